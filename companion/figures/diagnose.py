"""The bidirectional final-step mistake: what ``[:, -1]`` takes from each direction.

Introduced in "A gallery of real errors".
"""

from __future__ import annotations

from companion import _validate as v
from companion.figures._base import (
    CELL,
    DROPPED,
    ERROR,
    INPUT,
    RETURNED,
    BookFigure,
    _arrow,
    _box,
    new_figure,
)


def bidirectional_slice_figure(timesteps: int = 4) -> BookFigure:
    """Draw a bidirectional layer's two directions and what ``[:, -1]`` picks from them.

    The forward states ``f1..fT`` run left to right over the inputs, the backward
    states ``b1..bT`` right to left. The slice ``[:, -1]`` takes ``fT`` (it has read
    every input) and ``bT`` (it has read only the last one, drawn in red);
    ``return_sequences=False`` returns ``fT`` and ``b1``, each of which has read all.

    Parameters
    ----------
    timesteps : int
        Number of input steps to draw (2 to 8).

    Examples
    --------
    >>> fig = bidirectional_slice_figure(4)
    >>> "b4, which has read only x4" in fig.alt_text
    True
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text()[:1] == "b"][:4]
    ['b1', 'b2', 'b3', 'b4']
    """
    timesteps = v.positive_int("timesteps", timesteps, hint="draw between 2 and 8 steps")
    if not 2 <= timesteps <= 8:
        raise ValueError(f"expected timesteps between 2 and 8, got {timesteps}: draw a few "
                         "steps to show the idea")
    last = timesteps
    alt = (f"A bidirectional layer unrolled over inputs x1 to x{last}: forward states f1 to "
           f"f{last} run left to right and backward states b1 to b{last} right to left. "
           f"The slice [:, -1] takes f{last}, which has read every input, and b{last}, which "
           f"has read only x{last} (in red); return_sequences=False returns f{last} and b1, "
           "which have both read the whole sequence.")
    fig = new_figure(alt, width=1.8 + 1.25 * timesteps, height=3.6)
    ax = fig.add_subplot()
    for step in range(1, last + 1):
        x = float(step)
        _box(ax, x, 0.0, f"x{step}", INPUT)
        forward_kept = step == last
        backward_bad, backward_kept = step == last, step == 1
        _box(ax, x, 1.0, f"f{step}", RETURNED if forward_kept else DROPPED,
             filled=forward_kept)
        colour = ERROR if backward_bad else RETURNED if backward_kept else DROPPED
        _box(ax, x, 2.0, f"b{step}", colour, filled=backward_bad or backward_kept)
        _arrow(ax, (x, 0.22), (x, 0.78), INPUT)
        _arrow(ax, (x + 0.18, 0.2), (x + 0.18, 1.78), INPUT, linestyle=":")
        if step < last:
            _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
            _arrow(ax, (x + 0.68, 2.0), (x + 0.32, 2.0), CELL)
    ax.add_patch(_column(last))
    ax.text(last, 2.62, "[:, -1]", ha="center", va="bottom", fontsize=11, color=ERROR,
            fontweight="bold")
    ax.text(0.35, 1.0, "forward", ha="right", va="center", fontsize=10, color=CELL)
    ax.text(0.35, 2.0, "backward", ha="right", va="center", fontsize=10, color=CELL)
    ax.set_xlim(-0.6, last + 0.6)
    ax.set_ylim(-0.5, 3.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"[:, -1] pairs f{last} (read x1..x{last}) with b{last} (read x{last} only)",
                 fontsize=11)
    return fig


def _column(step: int):
    from matplotlib.patches import Rectangle

    return Rectangle((step - 0.45, -0.35), 0.9, 2.9, fill=False, linewidth=1.5,
                     edgecolor=ERROR, linestyle="--")
