"""Figures for Part III, "Bridges": how Keras lays out a recurrent layer's weights
(chapter "Recurrent layers from scratch") and what Keras and PyTorch return for the same
layer (chapter "PyTorch and Keras side by side").
"""

from __future__ import annotations

from matplotlib.patches import Rectangle

from companion import _validate as v
from companion.figures._base import (
    CELL,
    DENSE,
    DROPPED,
    INPUT,
    RETURNED,
    BookFigure,
    _arrow,
    _box,
    new_figure,
)

#: Gate blocks along the last axis of Keras's weights, in Keras's order.
GATE_BLOCKS = {
    "LSTM": (("i", "input gate"), ("f", "forget gate"), ("c", "candidate"),
             ("o", "output gate")),
    "GRU": (("z", "update gate"), ("r", "reset gate"), ("h", "candidate")),
    "SimpleRNN": (("h", "no gates: one block"),),
}
GATE_COLOURS = (INPUT, CELL, RETURNED, DENSE)


def _small(name: str, value: object, most: int) -> int:
    value = v.positive_int(name, value)
    if value > most:
        raise ValueError(f"expected {name} of at most {most} for a readable drawing, got "
                         f"{value}: the layout is the same for any size")
    return value


def kernel_layout_figure(layer: str = "LSTM", *, features: int = 3, units: int = 2,
                         reset_after: bool = True) -> BookFigure:
    """Draw a Keras recurrent layer's ``kernel``, ``recurrent_kernel`` and ``bias``.

    Each weight is a grid of cells, one per number; its columns fall into one block of
    ``units`` columns per gate, side by side along the last axis in Keras's order
    (``i, f, c, o`` for LSTM, ``z, r, h`` for GRU, one block for SimpleRNN). A GRU with
    ``reset_after=True`` has two bias rows: the input bias and the recurrent bias.

    Parameters
    ----------
    layer : {"LSTM", "GRU", "SimpleRNN"}
    features : int
        Input features, the kernel's rows (1 to 6).
    units : int
        Units per gate block (1 to 4).
    reset_after : bool
        GRU only: ``True`` (Keras's default) draws a ``(2, 3 * units)`` bias.

    Returns
    -------
    BookFigure
        One axes; its title names the shapes.

    Examples
    --------
    >>> fig = kernel_layout_figure("LSTM", features=3, units=2)
    >>> fig.axes[0].get_title()
    'LSTM: kernel (3, 8), recurrent_kernel (2, 8), bias (8,)'
    >>> kernel_layout_figure("GRU").axes[0].get_title()
    'GRU: kernel (3, 6), recurrent_kernel (2, 6), bias (2, 6)'
    """
    layer = v.layer_name(layer)
    features = _small("features", features, 6)
    units = _small("units", units, 4)
    reset_after = v.flag("reset_after", reset_after)
    gates = GATE_BLOCKS[layer]
    width = len(gates) * units
    bias_rows = 2 if layer == "GRU" and reset_after else 1
    bias_shape = f"({bias_rows}, {width})" if bias_rows == 2 else f"({width},)"
    title = (f"{layer}: kernel ({features}, {width}), recurrent_kernel ({units}, {width}), "
             f"bias {bias_shape}")
    names = ", ".join(f"{short} ({long})" for short, long in gates) if len(gates) > 1 \
        else "a single block, since SimpleRNN has no gates"
    bias_note = (" The bias has two rows, the input bias and the recurrent bias, because "
                 "reset_after=True adds a bias inside the reset gate's product."
                 if bias_rows == 2 else "")
    alt = (f"The weights of a Keras {layer} with {features} features and {units} units: "
           f"kernel ({features}, {width}), recurrent_kernel ({units}, {width}) and bias "
           f"{bias_shape}, each cut along its last axis into blocks of {units} columns: "
           f"{names}.{bias_note}")

    matrices = [("kernel", features), ("recurrent_kernel", units), ("bias", bias_rows)]
    total_rows = sum(rows for _, rows in matrices) + 1.3 * (len(matrices) - 1)
    fig = new_figure(alt, width=max(6.0, 2.8 + 0.42 * width),
                     height=1.4 + 0.32 * (total_rows + 2))
    ax = fig.add_subplot()
    top = 0.0
    for name, rows in matrices:
        for g, (short, _) in enumerate(gates):
            colour = GATE_COLOURS[g % len(GATE_COLOURS)]
            for column in range(units):
                for row in range(rows):
                    x = g * units + column
                    ax.add_patch(Rectangle((x, top - row - 1), 1, 1, facecolor=colour,
                                           edgecolor="white", linewidth=1.5,
                                           alpha=0.85 if row % 2 == 0 else 0.65))
            if name == "kernel":
                ax.text(g * units + units / 2, top + 0.35, short, ha="center",
                        va="bottom", fontsize=12, fontweight="bold",
                        color=GATE_COLOURS[g % len(GATE_COLOURS)])
        shape = f"({rows}, {width})" if name != "bias" or rows == 2 else f"({width},)"
        ax.text(-0.3, top - rows / 2, f"{name}\n{shape}", ha="right", va="center",
                fontsize=10)
        top -= rows + 1.3
    ax.set_xlim(-3.6, width + 0.3)
    ax.set_ylim(top + 0.8, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10.5)
    return fig


def torch_returns_figure(layer: str = "LSTM", *, bidirectional: bool = False) -> BookFigure:
    """Draw what a Keras layer and the matching PyTorch module return, side by side.

    Left, Keras's ``layer(units, return_sequences=True, return_state=True)``: the output
    sequence, then the final states. Right, PyTorch's module with ``batch_first=True``:
    ``output``, then ``h_n`` (and ``c_n`` for an LSTM). Arrows join the tensors that
    hold the same numbers, with the indexing that gets from one to the other.

    Parameters
    ----------
    layer : {"LSTM", "GRU", "SimpleRNN"}
    bidirectional : bool
        ``True``: ``Bidirectional(layer)`` against ``bidirectional=True``; the output has
        ``2 * units`` features and ``h_n`` one row per direction.

    Returns
    -------
    BookFigure

    Examples
    --------
    >>> fig = torch_returns_figure("GRU")
    >>> fig.axes[0].get_title()
    'keras.layers.GRU and torch.nn.GRU(batch_first=True) return the same numbers'
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("h_n"))
    ['h_n (1, batch_size, units)', 'h_n[0]']
    """
    layer = v.layer_name(layer)
    bidirectional = v.flag("bidirectional", bidirectional)
    torch_name = {"SimpleRNN": "RNN"}.get(layer, layer)
    states = ("h", "c") if layer == "LSTM" else ("h",)
    directions = 2 if bidirectional else 1
    size = "2 * units" if bidirectional else "units"
    keras_rows = [("output", f"(batch_size, timesteps, {size})", "output")]
    torch_rows = [("output", f"(batch_size, timesteps, {size})")]
    for d, direction in enumerate(("forward", "backward")[:directions]):
        for state in states:
            label = f"{state}_{direction}" if bidirectional else state
            keras_rows.append((label, "(batch_size, units)", f"{state}_n[{d}]"))
    for state in states:
        torch_rows.append((f"{state}_n", f"({directions}, batch_size, units)"))
    keras_call = (f"Bidirectional({layer}(units, return_sequences=True, "
                  "return_state=True))" if bidirectional
                  else f"{layer}(units, return_sequences=True, return_state=True)")
    torch_call = (f"nn.{torch_name}(features, units, batch_first=True"
                  f"{', bidirectional=True' if bidirectional else ''})")
    torch_returns = ("output, (h_n, c_n)" if layer == "LSTM" else "output, h_n")
    pairs = "; ".join(f"{label} is {where}" for label, _, where in keras_rows[1:])
    alt = (f"Side by side, what Keras's {keras_call} and PyTorch's {torch_call} return: "
           f"Keras returns {', '.join(r[0] for r in keras_rows)}, PyTorch returns "
           f"{torch_returns}; both outputs have shape (batch_size, timesteps, {size}) and "
           f"hold the same numbers, and {pairs}.")
    title = (f"keras.layers.{'Bidirectional(' + layer + ')' if bidirectional else layer} "
             f"and torch.nn.{torch_name}(batch_first=True"
             f"{', bidirectional=True' if bidirectional else ''}) return the same numbers")

    rows = max(len(keras_rows), len(torch_rows))
    fig = new_figure(alt, width=9.0, height=1.6 + 0.75 * rows)
    ax = fig.add_subplot()
    ax.text(0, 0.9, "Keras", ha="center", fontsize=12, fontweight="bold", color=CELL)
    ax.text(6, 0.9, "PyTorch", ha="center", fontsize=12, fontweight="bold", color=RETURNED)
    torch_y = {}
    for k, (name, shape) in enumerate(torch_rows):
        y = -k
        torch_y[name] = y
        _box(ax, 6, y, f"{name} {shape}", RETURNED, filled=False, fontsize=9, width=3.3)
    for k, (name, shape, where) in enumerate(keras_rows):
        y = -k
        _box(ax, 0, y, f"{name} {shape}", CELL, filled=False, fontsize=9, width=3.3)
        target = "output" if where == "output" else where.split("[")[0]
        _arrow(ax, (1.7, y), (4.3, torch_y[target]), DROPPED if k else INPUT)
        if where != "output":
            ax.text(1.8, y + 0.06, where, ha="left", va="bottom", fontsize=9,
                    color=DENSE)
    ax.text(3.0, 0.12, "same array", ha="center", va="bottom", fontsize=9, color=INPUT)
    ax.set_xlim(-1.8, 7.8)
    ax.set_ylim(-rows + 0.4, 1.4)
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return fig
