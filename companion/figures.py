"""Figures for the book, drawn with Matplotlib.

Introduced on the landing page and in "The default: only the last hidden state".

Every function returns a :class:`BookFigure`: a Matplotlib ``Figure`` that carries
``alt_text``, a one-sentence description of what it shows. In a notebook the figure
displays as a PNG, with the alt text as its plain-text form; ``make notebooks`` copies
that text into the cell's ``mystnb.image.alt`` metadata, so the HTML ``<img>`` gets
it as its ``alt`` attribute. Figures are built without ``pyplot``, so nothing is
shown twice and no global figure state leaks between cells.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from companion import _validate as v

RETURNED = "#d9480f"  # hidden states the layer returns
DROPPED = "#adb5bd"  # hidden states computed but not returned
CELL = "#1971c2"  # the recurrent cell
INPUT = "#2f9e44"  # inputs


class BookFigure(Figure):
    """A Matplotlib figure with alt text and a deterministic PNG form.

    Attributes
    ----------
    alt_text : str
        One-sentence description used as the ``alt`` attribute in the HTML book.
    """

    alt_text: str = ""

    def to_png(self, *, dpi: int = 100) -> bytes:
        """Render to PNG bytes, without timestamps, so equal figures give equal bytes."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        return buffer.getvalue()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        png = base64.b64encode(self.to_png()).decode("ascii")
        return {"image/png": png, "text/plain": self.alt_text or repr(self)}

    def __repr__(self) -> str:
        return f"<BookFigure: {self.alt_text}>" if self.alt_text else super().__repr__()


def new_figure(alt_text: str, *, width: float = 8.0, height: float = 3.0) -> BookFigure:
    """Create an empty :class:`BookFigure` with ``alt_text`` (used by every figure here).

    Examples
    --------
    >>> fig = new_figure("An empty figure.")
    >>> fig.alt_text
    'An empty figure.'
    """
    if not isinstance(alt_text, str) or not alt_text.strip():
        raise ValueError(f"expected alt_text to be a non-empty string, got {alt_text!r}: "
                         "describe in one sentence what the figure shows")
    fig = BookFigure(figsize=(width, height), layout="constrained")
    fig.alt_text = alt_text.strip()
    return fig


def _box(ax, x: float, y: float, text: str, color: str, *, filled: bool = True) -> None:
    ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.22), 0.64, 0.44,
                                boxstyle="round,pad=0.02", linewidth=1.5,
                                edgecolor=color, facecolor=color if filled else "white"))
    ax.text(x, y, text, ha="center", va="center", fontsize=11,
            color="white" if filled else color, fontweight="bold")


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], color: str) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                 linewidth=1.3, color=color))


def draw_unrolled(ax, timesteps: int, *, return_sequences: bool, layer: str = "LSTM",
                  title: str | None = None) -> list[int]:
    """Draw one unrolled recurrent layer on ``ax``; return the steps it returns (1-based).

    Inputs ``t1..tT`` sit at the bottom, the cell copies in the middle and the hidden
    states ``h1..hT`` on top. Returned states are filled in orange; the others are grey
    outlines, because the layer computes them but does not hand them on.
    """
    returned = list(range(1, timesteps + 1)) if return_sequences else [timesteps]
    for step in range(1, timesteps + 1):
        x = float(step)
        _box(ax, x, 0.0, f"t{step}", INPUT)
        _box(ax, x, 1.0, layer, CELL)
        kept = step in returned
        _box(ax, x, 2.0, f"h{step}", RETURNED if kept else DROPPED, filled=kept)
        _arrow(ax, (x, 0.22), (x, 0.78), INPUT)
        _arrow(ax, (x, 1.22), (x, 1.78), RETURNED if kept else DROPPED)
        if step < timesteps:
            _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
    ax.set_xlim(0.4, timesteps + 0.6)
    ax.set_ylim(-0.5, 2.7)
    ax.set_aspect("equal")
    ax.axis("off")
    shown = ", ".join(f"h{step}" for step in returned)
    ax.set_title(title if title is not None else
                 f"return_sequences={return_sequences}: returns [{shown}]", fontsize=11)
    return returned


def unrolled_figure(timesteps: int = 3, *, return_sequences: bool = False,
                    layer: str = "LSTM") -> BookFigure:
    """Draw a recurrent layer unrolled over time, highlighting the states it returns.

    Parameters
    ----------
    timesteps : int
        Number of input steps to draw (1 to 12).
    return_sequences : bool
        ``False``: only the last hidden state is returned. ``True``: all of them.
    layer : {"LSTM", "GRU", "SimpleRNN"}
        Label for the cell boxes.

    Examples
    --------
    >>> fig = unrolled_figure(3)
    >>> fig.alt_text.endswith("returns only [h3], highlighted.")
    True
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("h")]
    ['h1', 'h2', 'h3']
    """
    timesteps = v.positive_int("timesteps", timesteps, hint="draw between 1 and 12 steps")
    if timesteps > 12:
        raise ValueError(f"expected timesteps of at most 12, got {timesteps}: a wider "
                         "drawing is unreadable, draw a few steps to show the idea")
    return_sequences = v.flag("return_sequences", return_sequences)
    layer = v.layer_name(layer)
    article = "An" if layer == "LSTM" else "A"
    if return_sequences:
        kept = "returns every hidden state [" + ", ".join(
            f"h{s}" for s in range(1, timesteps + 1)) + "], highlighted."
    else:
        kept = f"returns only [h{timesteps}], highlighted."
    alt = (f"{article} {layer} unrolled over {timesteps} timesteps t1 to t{timesteps} with "
           f"return_sequences={return_sequences}: it computes h1 to h{timesteps} and {kept}")
    fig = new_figure(alt, width=1.2 + 1.1 * timesteps, height=3.0)
    draw_unrolled(fig.add_subplot(), timesteps, return_sequences=return_sequences, layer=layer)
    return fig


def return_sequences_figure(timesteps: int = 3, *, layer: str = "LSTM") -> BookFigure:
    """Draw the two values of ``return_sequences`` side by side (the landing-page figure).

    Examples
    --------
    >>> fig = return_sequences_figure()
    >>> [ax.get_title() for ax in fig.axes]
    ['return_sequences=False: returns [h3]', 'return_sequences=True: returns [h1, h2, h3]']
    """
    timesteps = v.positive_int("timesteps", timesteps, hint="draw between 1 and 6 steps")
    if timesteps > 6:
        raise ValueError(f"expected timesteps of at most 6, got {timesteps}: "
                         "the two panels get unreadable beyond that")
    layer = v.layer_name(layer)
    every = ", ".join(f"h{s}" for s in range(1, timesteps + 1))
    article = "an" if layer == "LSTM" else "a"
    alt = (f"Two copies of {article} {layer} unrolled over inputs t1 to t{timesteps}. Left, "
           f"return_sequences=False: only the last hidden state [h{timesteps}] is returned. "
           f"Right, return_sequences=True: every hidden state [{every}] is returned.")
    fig = new_figure(alt, width=2.4 + 2.2 * timesteps, height=3.0)
    left, right = fig.subplots(1, 2)
    draw_unrolled(left, timesteps, return_sequences=False, layer=layer)
    draw_unrolled(right, timesteps, return_sequences=True, layer=layer)
    return fig
