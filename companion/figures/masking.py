"""A padded batch and its mask: which timesteps are real, and which state is returned.

Introduced in "Variable-length sequences and masking".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.patches import FancyBboxPatch, Patch

from companion import _validate as v
from companion.figures._base import DROPPED, INPUT, RETURNED, BookFigure, _box, new_figure

#: Padding sides :func:`padded_batch_figure` accepts, as in ``keras.utils.pad_sequences``.
PADDINGS = ("pre", "post")
MAX_SAMPLES = 8
MAX_TIMESTEPS = 12


def _lengths(lengths: Any, timesteps: Any) -> tuple[list[int], int]:
    """Validate ``lengths`` and ``timesteps``; return them as ints."""
    if type(lengths).__module__ == "numpy" and getattr(lengths, "ndim", None) == 1:
        lengths = lengths.tolist()  # for example mask.sum(axis=1)
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence):
        raise TypeError(f"expected lengths to be a list of sequence lengths, got "
                        f"{lengths!r} of type {type(lengths).__name__}: pass for example "
                        "lengths=[5, 3, 2]")
    if not 1 <= len(lengths) <= MAX_SAMPLES:
        raise ValueError(f"expected 1 to {MAX_SAMPLES} lengths (one per sample), got "
                         f"{len(lengths)}: draw a smaller batch, for example lengths=[5, 3, 2]")
    checked = [v.positive_int(f"lengths[{i}]", n, hint="every sequence has at least one "
                              "real timestep; drop empty sequences before padding")
               for i, n in enumerate(lengths)]
    if timesteps is None:
        timesteps = max(checked)
    timesteps = v.positive_int("timesteps", timesteps,
                               hint="pass the padded length, for example timesteps=5")
    if timesteps > MAX_TIMESTEPS:
        raise ValueError(f"expected timesteps of at most {MAX_TIMESTEPS} so the grid stays "
                         f"readable, got {timesteps}: draw a shorter example")
    longest = max(checked)
    if longest > timesteps:
        raise ValueError(f"expected every length to be at most timesteps={timesteps}, got "
                         f"a length of {longest}: raise timesteps, or truncate the sequences "
                         "first (pad_sequences(..., maxlen=..., truncating=...))")
    return checked, timesteps


def _and_list(items: Sequence[Any]) -> str:
    words = [str(item) for item in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def padded_batch_figure(lengths: Sequence[int] = (5, 3, 2), *, timesteps: int | None = None,
                        padding: str = "post", show_returned: bool = True) -> BookFigure:
    """Draw a padded batch as a grid: one row per sample, one column per timestep.

    Real timesteps (mask ``True``) are green boxes labelled ``x1, x2, ...`` in the order
    the sample has them; padding (mask ``False``) is a grey outline labelled ``0``.
    With ``show_returned=True`` the last real step of each row gets an orange frame and
    the row ends with ``returns h<n>``: the state a masked recurrent layer with the
    default ``return_sequences=False`` hands back, the one after the sample's ``n``-th
    (last) real step.

    Parameters
    ----------
    lengths : sequence of int
        The real length of each sample, 1 to 8 samples, each at least 1; a 1-D NumPy
        array such as ``mask.sum(axis=1)`` works too.
    timesteps : int, optional
        The padded length, at most 12; by default the longest of ``lengths``.
    padding : {"post", "pre"}
        Where the padding goes, as in ``keras.utils.pad_sequences``: ``"post"`` after
        the real steps (right-padded), ``"pre"`` before them (left-padded; the
        ``pad_sequences`` default).
    show_returned : bool
        Mark the state the default ``return_sequences=False`` returns.

    Returns
    -------
    BookFigure
        One axes titled with ``padding``; row labels ``sample 0``, ``sample 1``, ...
        and column labels ``t1..tT``.

    Raises
    ------
    TypeError
        If ``lengths`` is not a list of integers or ``show_returned`` not a bool.
    ValueError
        If a length is below 1 or above ``timesteps``, there are more than 8 samples,
        ``timesteps`` is above 12, or ``padding`` is not ``"pre"`` or ``"post"``.

    Examples
    --------
    >>> fig = padded_batch_figure([5, 3, 2], timesteps=5, padding="post")
    >>> fig.axes[0].get_title()
    'padding="post": mask True on real steps, False on padding'
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("returns")]
    ['returns h5', 'returns h3', 'returns h2']
    >>> print(fig.alt_text)  # doctest: +NORMALIZE_WHITESPACE
    Grid of a batch of 3 sequences of lengths 5, 3 and 2 padded to 5 timesteps with
    padding="post": the real steps (mask True) come first and the padding (mask False)
    fills the end of each row, and a masked recurrent layer with return_sequences=False
    returns the state after each sequence's last real step, at timesteps 5, 3 and 2.
    """
    sizes, timesteps = _lengths(lengths, timesteps)
    padding = v.choice("padding", padding, PADDINGS,
                       hint='pass padding="post" (right-padded) or padding="pre" '
                            "(left-padded), as in keras.utils.pad_sequences")
    show_returned = v.flag("show_returned", show_returned)
    rows = len(sizes)
    right = timesteps + (2.1 if show_returned else 0.6)
    top = (rows - 1) * 0.6 + 0.45
    scale = min(0.8, 10.0 / (right + 1.1))  # inches per data unit, so boxes keep their shape
    fig = new_figure(_alt_text(sizes, timesteps, padding, show_returned),
                     width=max(scale * (right + 1.1), 6.5),
                     height=scale * (top + 0.8) + 0.9)
    ax = fig.add_subplot()
    last_steps = []
    for row, size in enumerate(sizes):
        y = float(rows - 1 - row) * 0.6
        first = 1 if padding == "post" else timesteps - size + 1
        last = first + size - 1
        last_steps.append(last)
        ax.text(0.3, y, f"sample {row}", ha="right", va="center", fontsize=10)
        for step in range(1, timesteps + 1):
            if first <= step <= last:
                _box(ax, float(step), y, f"x{step - first + 1}", INPUT, fontsize=10,
                     width=0.8)
            else:
                _box(ax, float(step), y, "0", DROPPED, filled=False, fontsize=10, width=0.8)
        if show_returned:
            ax.add_patch(FancyBboxPatch((last - 0.46, y - 0.26), 0.92, 0.52,
                                        boxstyle="round,pad=0.02", linewidth=2.5,
                                        edgecolor=RETURNED, facecolor="none"))
            ax.text(timesteps + 0.6, y, f"returns h{size}", ha="left", va="center",
                    fontsize=10, color=RETURNED, fontweight="bold")
    for step in range(1, timesteps + 1):
        ax.text(float(step), top, f"t{step}", ha="center", va="bottom", fontsize=10)
    handles = [Patch(facecolor=INPUT, edgecolor=INPUT, label="real step (mask True)"),
               Patch(facecolor="white", edgecolor=DROPPED, label="padding (mask False)")]
    if show_returned:
        handles.append(Patch(facecolor="white", edgecolor=RETURNED, linewidth=2.5,
                             label="state returned by default"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=len(handles), fontsize=9, frameon=False)
    ax.set_xlim(-1.1, right)
    ax.set_ylim(-0.45, top + 0.35)
    ax.axis("off")
    ax.set_title(f'padding="{padding}": mask True on real steps, False on padding',
                 fontsize=11)
    return fig


def _alt_text(sizes: list[int], timesteps: int, padding: str, show_returned: bool) -> str:
    count = "1 sequence of length" if len(sizes) == 1 else f"a batch of {len(sizes)} " \
        "sequences of lengths"
    order = ("the real steps (mask True) come first and the padding (mask False) fills the "
             "end of each row" if padding == "post" else
             "the padding (mask False) comes first and the real steps (mask True) fill the "
             "end of each row")
    text = (f"Grid of {count} {_and_list(sizes)} padded to {timesteps} timesteps with "
            f'padding="{padding}": {order}')
    if show_returned:
        firsts = [1 if padding == "post" else timesteps - n + 1 for n in sizes]
        lasts = [first + n - 1 for first, n in zip(firsts, sizes, strict=True)]
        where = (f"at timestep {lasts[0]}" if len(set(lasts)) == 1 and len(lasts) == 1
                 else f"at timestep {lasts[0]} in every row" if len(set(lasts)) == 1
                 else f"at timesteps {_and_list(lasts)}")
        text += (", and a masked recurrent layer with return_sequences=False returns the "
                 f"state after each sequence's last real step, {where}")
    return text + "."
