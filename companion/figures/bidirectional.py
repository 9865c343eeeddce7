"""A bidirectional layer unrolled over time (chapter "Bidirectional layers").

The drawing answers the question the chapter keeps asking: in what a
``Bidirectional`` layer returns, where does each direction's *final* state sit?
"""

from __future__ import annotations

from companion import _validate as v
from companion.figures._base import (
    CELL,
    INPUT,
    RETURNED,
    BookFigure,
    _arrow,
    _box,
    new_figure,
)
from companion.figures.unrolled import _steps

BACKWARD = "#0c8599"  # the backward direction's cells


def bidirectional_figure(timesteps: int = 4, *, return_sequences: bool = True,
                         layer: str = "LSTM") -> BookFigure:
    """Draw ``Bidirectional(layer)`` unrolled, marking where each final state ends up.

    The inputs ``t1..tT`` sit at the bottom. The forward row holds the states
    ``f1..fT``, computed left to right; the backward row holds ``b1..bT``, computed
    right to left (the backward layer has ``go_backwards=True``), each drawn under the
    timestep it has just read. The two final states, ``fT`` (after reading ``tT``) and
    ``b1`` (after reading ``t1``), are filled orange. With ``merge_mode="concat"``
    (the default) the top row shows what Keras returns.

    Parameters
    ----------
    timesteps : int
        Number of input steps to draw (1 to 6).
    return_sequences : bool
        ``True``: one output ``[ft, bt]`` per step, so the forward final state is in the
        last step and the backward final state in the first. ``False``: one output,
        ``[fT, b1]``, the two final states.
    layer : {"LSTM", "GRU", "SimpleRNN"}
        The wrapped layer, named in the alt text.

    Returns
    -------
    BookFigure
        One axes. Its title starts with ``"return_sequences=..."``.

    Examples
    --------
    >>> fig = bidirectional_figure(4)
    >>> fig.axes[0].get_title()
    'return_sequences=True: forward final f4 at step 4, backward final b1 at step 1'
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("[")]
    ['[f1, b1]', '[f2, b2]', '[f3, b3]', '[f4, b4]']
    >>> fig = bidirectional_figure(3, return_sequences=False, layer="GRU")
    >>> fig.axes[0].get_title()
    'return_sequences=False: returns [f3, b1]'
    """
    timesteps = _steps("timesteps", timesteps, 6)
    return_sequences = v.flag("return_sequences", return_sequences)
    layer = v.layer_name(layer)
    T = timesteps
    reads = (f"the forward layer reads t1 to t{T} into states f1 to f{T}, and the backward "
             f"layer (go_backwards=True) reads t{T} down to t1 into states b{T} to b1"
             if T > 1 else "the forward and the backward layer each read t1, into f1 and b1")
    if return_sequences:
        where = (f"with return_sequences=True step t returns [ft, bt], so the forward final "
                 f"state f{T} sits at the last step (output[:, -1, :units]) and the backward "
                 f"final state b1 at the first step (output[:, 0, units:]).")
        title = (f"return_sequences=True: forward final f{T} at step {T}, "
                 f"backward final b1 at step 1")
    else:
        where = (f"with return_sequences=False it returns one vector [f{T}, b1], the forward "
                 f"state after t{T} and the backward state after t1.")
        title = f"return_sequences=False: returns [f{T}, b1]"
    alt = (f"A Bidirectional {layer} unrolled over inputs t1 to t{T}: {reads}; "
           f"{where}")

    fig = new_figure(alt, width=max(6.6, 2.4 + 1.15 * T), height=4.4)
    ax = fig.add_subplot()
    for step in range(1, T + 1):
        x = float(step)
        # Arrows first, so that the boxes drawn next sit on top of them.
        _arrow(ax, (x - 0.14, 0.22), (x - 0.14, 0.78), INPUT)
        _arrow(ax, (x + 0.14, 0.22), (x + 0.14, 1.78), INPUT)
        if return_sequences:
            _arrow(ax, (x - 0.14, 1.22), (x - 0.14, 2.78), CELL)
            _arrow(ax, (x + 0.14, 2.22), (x + 0.14, 2.78), BACKWARD)
        if step < T:
            _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
            _arrow(ax, (x + 0.68, 2.0), (x + 0.32, 2.0), BACKWARD)
        _box(ax, x, 0.0, f"t{step}", INPUT)
        _box(ax, x, 1.0, f"f{step}", RETURNED if step == T else CELL)
        _box(ax, x, 2.0, f"b{step}", RETURNED if step == 1 else BACKWARD)
        if return_sequences:
            _box(ax, x, 3.0, f"[f{step}, b{step}]", RETURNED, fontsize=9, width=0.9)
    if return_sequences:
        ax.text(T, 3.3, "output[:, -1, :units]", ha="center", va="bottom", fontsize=9,
                color=CELL)
        ax.text(1, 3.3 if T > 1 else 3.6, "output[:, 0, units:]", ha="center", va="bottom",
                fontsize=9, color=BACKWARD)
    else:
        middle = (T + 1) / 2
        _arrow(ax, (T + 0.32, 1.0), (middle + 0.45, 3.0), RETURNED,
               connectionstyle="arc3,rad=0.55")
        _arrow(ax, (1.0, 2.22), (middle - 0.45, 3.0), RETURNED,
               connectionstyle="arc3,rad=-0.4")
        _box(ax, middle, 3.0, f"[f{T}, b1]", RETURNED, fontsize=9, width=0.9)
    ax.text(0.35, 1.0, "forward \u2192", ha="right", va="center", fontsize=10, color=CELL)
    ax.text(0.35, 2.0, "\u2190 backward", ha="right", va="center", fontsize=10,
            color=BACKWARD)
    ax.set_xlim(-1.1, T + (0.6 if return_sequences else 1.0))
    ax.set_ylim(-0.5, 3.9)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10.5)
    return fig
