"""What ``return_state=True`` adds: the tensors a recurrent layer returns, in order.

Introduced in "Return the final states too".
"""

from __future__ import annotations

from companion import _validate as v
from companion.figures._base import (
    CELL,
    DROPPED,
    INPUT,
    RETURNED,
    BookFigure,
    _arrow,
    _box,
    new_figure,
)

#: The state names of each layer type, in the order Keras returns them.
STATES = {"LSTM": ("h", "c"), "GRU": ("h",), "SimpleRNN": ("h",)}


def returned_tensors(layer: str, timesteps: int, *, return_sequences: bool,
                     return_state: bool) -> list[tuple[str, str]]:
    """The tensors a layer returns, in order, as ``(name, what it holds)`` pairs.

    Examples
    --------
    >>> returned_tensors("LSTM", 3, return_sequences=False, return_state=True)
    [('output', 'h3'), ('state h', 'h3'), ('state c', 'c3')]
    >>> returned_tensors("GRU", 2, return_sequences=True, return_state=True)
    [('output', '[h1, h2]'), ('state h', 'h2')]
    """
    every = "[" + ", ".join(f"h{step}" for step in range(1, timesteps + 1)) + "]"
    tensors = [("output", every if return_sequences else f"h{timesteps}")]
    if return_state:
        tensors += [(f"state {name}", f"{name}{timesteps}") for name in STATES[layer]]
    return tensors


def returned_states_figure(layer: str = "LSTM", *, return_sequences: bool = False,
                           return_state: bool = True, timesteps: int = 3) -> BookFigure:
    """Draw a recurrent layer unrolled over time and the tensors it returns, in order.

    The layer sits on the left: inputs ``t1..tT``, one cell per step, the hidden states
    ``h1..hT`` above them and, for an LSTM, the cell states ``c1..cT`` on top. States
    that the layer returns are filled orange, the others are grey outlines. On the right,
    the returned tensors are listed in Keras's order, ``[0]`` first, each with the step
    it comes from: the output, then (with ``return_state=True``) ``h``, then ``c`` for
    an LSTM.

    Parameters
    ----------
    layer : {"LSTM", "GRU", "SimpleRNN"}
        The layer type: an LSTM returns two states, the others one.
    return_sequences, return_state : bool
        The layer's flags.
    timesteps : int
        Number of steps to draw (1 to 6).

    Raises
    ------
    ValueError, TypeError
        For an unknown layer name, a flag that is not a bool, or a number of steps that
        is not an integer from 1 to 6.

    Examples
    --------
    >>> fig = returned_states_figure("LSTM")
    >>> fig.alt_text.split(":")[0]
    'An LSTM unrolled over 3 timesteps with return_sequences=False and return_state=True'
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("[")]
    ['[0] output = h3', '[1] state h = h3', '[2] state c = c3']
    """
    layer = v.layer_name(layer)
    return_sequences = v.flag("return_sequences", return_sequences)
    return_state = v.flag("return_state", return_state)
    timesteps = v.positive_int("timesteps", timesteps, hint="draw between 1 and 6 steps")
    if timesteps > 6:
        raise ValueError(f"expected timesteps of at most 6, got {timesteps}: a wider "
                         "drawing is unreadable, draw a few steps to show the idea")
    tensors = returned_tensors(layer, timesteps, return_sequences=return_sequences,
                               return_state=return_state)
    article = "An" if layer == "LSTM" else "A"
    listing = ", ".join(f"[{i}] {name} = {what}" for i, (name, what) in enumerate(tensors))
    count = len(tensors)
    alt = (f"{article} {layer} unrolled over {timesteps} timesteps with "
           f"return_sequences={return_sequences} and return_state={return_state}: it returns "
           f"{'one tensor' if count == 1 else f'{count} tensors, in this order'}: {listing}; "
           "the returned states are highlighted.")
    rows = STATES[layer]
    fig = new_figure(alt, width=3.6 + 1.2 * timesteps, height=1.9 + 0.75 * len(rows))
    ax = fig.add_subplot()
    _draw(ax, layer, timesteps, rows, tensors, return_sequences=return_sequences,
          return_state=return_state)
    return fig


def _draw(ax, layer: str, timesteps: int, rows: tuple[str, ...],
          tensors: list[tuple[str, str]], *, return_sequences: bool,
          return_state: bool) -> None:
    returned = {what for _, what in tensors}
    if return_sequences:
        returned |= {f"h{step}" for step in range(1, timesteps + 1)}
    for step in range(1, timesteps + 1):
        x = float(step)
        _box(ax, x, 0.0, f"t{step}", INPUT)
        _box(ax, x, 1.0, layer, CELL, fontsize=9 if len(layer) > 4 else 11)
        _arrow(ax, (x, 0.22), (x, 0.78), INPUT)
        if step < timesteps:
            _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
        for row, name in enumerate(rows):
            label = f"{name}{step}"
            kept = label in returned
            _box(ax, x, 2.0 + 0.75 * row, label, RETURNED if kept else DROPPED, filled=kept)
        _arrow(ax, (x, 1.22), (x, 1.78), RETURNED if f"h{step}" in returned else DROPPED)
    labels = [f"[{i}] {name} = {what}" for i, (name, what) in enumerate(tensors)]
    width = max(2.4, 0.115 * max(len(label) for label in labels) + 0.3)
    right = timesteps + 0.7 + width / 2
    top = 2.0 + 0.75 * (len(rows) - 1)
    for i, label in enumerate(labels):
        _box(ax, right, top - 0.6 * i, label, RETURNED, filled=False, fontsize=9.5,
             width=width)
    ax.text(right, top + 0.5, "returned, in order", ha="center", va="bottom", fontsize=10)
    ax.set_xlim(0.4, right + width / 2 + 0.2)
    ax.set_ylim(-0.5, top + 0.85)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{layer}(return_sequences={return_sequences}, "
                 f"return_state={return_state})", fontsize=11)
