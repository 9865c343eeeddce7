"""One call of a recurrent cell next to the loop that ``keras.layers.RNN`` runs over it.

Introduced in "Step through a sequence with cells".
"""

from __future__ import annotations

from companion import _validate as v
from companion.figures._base import CELL, INPUT, RETURNED, BookFigure, _arrow, _box, new_figure
from companion.figures.unrolled import draw_unrolled

#: The states each built-in cell keeps, in Keras's order.
CELL_STATES = {"LSTMCell": ("h", "c"), "GRUCell": ("h",), "SimpleRNNCell": ("h",)}


def cell_step_figure(cell: str = "LSTMCell", timesteps: int = 4) -> BookFigure:
    """Draw one call of ``cell`` (left) and ``RNN(cell)`` looping it over time (right).

    Parameters
    ----------
    cell : {"LSTMCell", "GRUCell", "SimpleRNNCell"}
        Which cell; it decides the states drawn (``[h, c]`` or ``[h]``).
    timesteps : int
        Steps of the loop on the right (1 to 8).

    Examples
    --------
    >>> fig = cell_step_figure("GRUCell", timesteps=3)
    >>> "returns (output, [h1])" in fig.alt_text
    True
    """
    if cell not in CELL_STATES:
        raise ValueError(f"expected cell to be one of {', '.join(CELL_STATES)}, got "
                         f"{cell!r}: the figure draws Keras's built-in cells")
    timesteps = v.positive_int("timesteps", timesteps, hint="draw between 1 and 8 steps")
    if timesteps > 8:
        raise ValueError(f"expected timesteps of at most 8, got {timesteps}: a wider "
                         "drawing is unreadable, draw a few steps to show the idea")
    before = "[" + ", ".join(f"{s}0" for s in CELL_STATES[cell]) + "]"
    after = "[" + ", ".join(f"{s}1" for s in CELL_STATES[cell]) + "]"
    fig = new_figure(
        f"Left: one call of {cell} reads x_t of shape (batch_size, features) and the states "
        f"{before}, and returns (output, {after}), the output being h1. Right: "
        f"keras.layers.RNN({cell}) calls the same cell at each of {timesteps} timesteps, "
        "handing each step's new states to the next.", width=10.0, height=3.2)
    left, right = fig.subplots(1, 2, width_ratios=[2, max(timesteps, 2)])
    _box(left, 1.0, 0.0, "x_t", INPUT)
    _box(left, 1.0, 1.0, "cell", CELL)
    _box(left, 1.0, 2.0, "output", RETURNED, width=0.9)
    left.text(-0.45, 1.0, before, ha="center", va="center", fontsize=10, color=CELL)
    left.text(2.45, 1.0, after, ha="center", va="center", fontsize=10, color=CELL)
    _arrow(left, (1.0, 0.22), (1.0, 0.78), INPUT)
    _arrow(left, (1.0, 1.22), (1.0, 1.78), RETURNED)
    _arrow(left, (0.0, 1.0), (0.68, 1.0), CELL)
    _arrow(left, (1.32, 1.0), (2.0, 1.0), CELL)
    left.set_xlim(-1.0, 3.0)
    left.set_ylim(-0.5, 2.7)
    left.set_aspect("equal")
    left.axis("off")
    left.set_title(f"{cell}: one step", fontsize=11)
    draw_unrolled(right, timesteps, return_sequences=True, layer="cell",
                  title=f"RNN({cell}): the loop over {timesteps} steps")
    return fig
