"""A long sequence fed to a recurrent layer in chunks, with and without ``stateful=True``.

Introduced in "Stateful layers in Keras 3".
"""

from __future__ import annotations

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

MAX_TIMESTEPS = 24
GAP = 0.9  # extra horizontal space between two chunks


def _chunks(timesteps: int, chunk: int) -> list[tuple[int, int]]:
    """1-based ``(first, last)`` timesteps of each chunk."""
    return [(start, min(start + chunk - 1, timesteps)) for start in range(1, timesteps + 1, chunk)]


def _alt_text(timesteps: int, chunk: int, spans: list[tuple[int, int]], stateful: bool) -> str:
    pieces = ", ".join(f"t{a}-t{b}" for a, b in spans)
    size = (f"{len(spans)} chunks of {chunk}" if timesteps % chunk == 0 or len(spans) == 1
            else f"{len(spans)} chunks of at most {chunk}")
    if len(spans) == 1:
        size = "1 chunk"
    head = (f"A sequence of {timesteps} timesteps cut into {size} ({pieces}) and fed to a "
            f"recurrent layer with stateful={stateful} in {len(spans)} "
            f"call{'s' if len(spans) > 1 else ''}: ")
    links = ", ".join(f"h{b} to h{b + 1}" for _, b in spans[:-1])
    if stateful:
        carried = (f"the hidden state starts from zeros, runs on across each chunk boundary "
                   f"({links}) " if links else "the hidden state starts from zeros, ")
        return head + carried + "and reset_state() sets it back to zeros after the last chunk."
    if not links:
        return head + "the hidden state starts from zeros and runs through the chunk."
    gaps = ", ".join(f"between h{b} and h{b + 1}" for _, b in spans[:-1])
    return head + ("every call starts again from zeros, so no state crosses a chunk boundary "
                   f"({gaps}).")


def stateful_chunks_figure(timesteps: int = 12, chunk: int = 4, *,
                           stateful: bool = True) -> BookFigure:
    """Draw a sequence fed in chunks, one call per chunk, and what happens to the state.

    Inputs ``t1..tT`` run along the bottom, grouped into calls of ``chunk`` timesteps;
    hidden states ``h1..hT`` run above them. With ``stateful=True`` the state crosses
    every chunk boundary (orange arrows, "state carried") and ``reset_state()`` sets it
    back to zeros after the last chunk. With ``stateful=False`` each call starts from a
    grey ``zeros`` box instead.

    Parameters
    ----------
    timesteps : int
        Length of the whole sequence, 1 to 24.
    chunk : int
        Timesteps per call, 1 to ``timesteps``; the last chunk is shorter when
        ``timesteps`` is not a multiple of ``chunk``.
    stateful : bool
        Which behaviour to draw.

    Returns
    -------
    BookFigure
        One axes; its title starts with ``stateful=True`` or ``stateful=False``.

    Raises
    ------
    TypeError
        If ``timesteps`` or ``chunk`` is not an integer, or ``stateful`` not a bool.
    ValueError
        If ``timesteps`` is not between 1 and 24, or ``chunk`` not between 1 and
        ``timesteps``.

    Examples
    --------
    >>> fig = stateful_chunks_figure(6, 3)
    >>> fig.axes[0].get_title()
    'stateful=True: the state runs on from one call to the next'
    >>> fig.alt_text
    'A sequence of 6 timesteps cut into 2 chunks of 3 (t1-t3, t4-t6) and fed to a recurrent \
layer with stateful=True in 2 calls: the hidden state starts from zeros, runs on across each \
chunk boundary (h3 to h4) and reset_state() sets it back to zeros after the last chunk.'
    """
    timesteps = v.positive_int("timesteps", timesteps,
                               hint=f"pass the sequence length, 1 to {MAX_TIMESTEPS}")
    if timesteps > MAX_TIMESTEPS:
        raise ValueError(f"expected timesteps between 1 and {MAX_TIMESTEPS}, got {timesteps}: "
                         "a longer sequence does not fit one figure; draw a shorter one, the "
                         "chunks work the same way")
    chunk = v.positive_int("chunk", chunk, hint="pass the timesteps per call, for example 4")
    if chunk > timesteps:
        raise ValueError(f"expected chunk between 1 and timesteps={timesteps}, got {chunk}: "
                         "a chunk cannot be longer than the sequence")
    stateful = v.flag("stateful", stateful)
    spans = _chunks(timesteps, chunk)
    xs = {step: step + GAP * ((step - 1) // chunk) for step in range(1, timesteps + 1)}
    right = xs[timesteps] + (2.2 if stateful else 0.6)
    left = xs[1] - 1.7
    fig = new_figure(_alt_text(timesteps, chunk, spans, stateful),
                     width=max(6.0, 0.62 * (right - left)), height=3.3)
    ax = fig.add_subplot()
    ax.set_xlim(left, right)
    ax.set_ylim(-1.05, 2.25)
    ax.set_axis_off()
    ax.set_title("stateful=True: the state runs on from one call to the next" if stateful
                 else "stateful=False: every call starts again from zeros", fontsize=11)
    for number, (first, last) in enumerate(spans, start=1):
        middle = (xs[first] + xs[last]) / 2
        ax.plot([xs[first] - 0.35, xs[last] + 0.35], [-0.42, -0.42], color=DENSE, linewidth=1.2)
        ax.text(middle, -0.72, f"call {number}", ha="center", va="center", fontsize=10,
                color=DENSE)
        if stateful and number > 1:
            continue
        zero_x = xs[first] - 0.95
        _box(ax, zero_x, 1.2, "zeros", DROPPED, filled=False, fontsize=9, width=0.72)
        _arrow(ax, (zero_x + 0.37, 1.2), (xs[first] - 0.33, 1.2), DROPPED)
    for step, x in xs.items():
        _box(ax, x, 0.0, f"t{step}", INPUT, fontsize=10)
        _box(ax, x, 1.2, f"h{step}", CELL, fontsize=10)
        _arrow(ax, (x, 0.23), (x, 0.97), INPUT)
    for first, last in spans:
        for step in range(first, last):
            _arrow(ax, (xs[step] + 0.33, 1.2), (xs[step + 1] - 0.33, 1.2), CELL)
        if stateful and last < timesteps:
            _arrow(ax, (xs[last] + 0.3, 1.38), (xs[last + 1] - 0.3, 1.38), RETURNED,
                   connectionstyle="arc3,rad=-0.5")
            ax.text((xs[last] + xs[last + 1]) / 2, 1.95, "state\ncarried", ha="center",
                    va="center", fontsize=8.5, color=RETURNED)
    if stateful:
        end = xs[timesteps]
        _box(ax, end + 1.3, 1.2, "reset_state()", RETURNED, filled=False, fontsize=8,
             width=1.55)
        _arrow(ax, (end + 0.33, 1.2), (end + 0.51, 1.2), RETURNED)
        ax.text(end + 1.3, 0.7, "back to zeros", ha="center", va="center", fontsize=8.5,
                color=RETURNED)
    return fig
