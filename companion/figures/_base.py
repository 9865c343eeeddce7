"""The drawing kit every book figure shares: colours, :class:`BookFigure`, boxes and arrows.

Introduced on the landing page. A :class:`BookFigure` is a Matplotlib ``Figure`` that
carries its alt text; the topic modules next to this one draw on it.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

RETURNED = "#d9480f"  # hidden states the layer returns
DROPPED = "#adb5bd"  # hidden states computed but not returned
CELL = "#1971c2"  # the recurrent cell
INPUT = "#2f9e44"  # inputs
DENSE = "#6741d9"  # Dense layers and their outputs
ERROR = "#e03131"  # a layer that cannot be built


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


def _box(ax, x: float, y: float, text: str, color: str, *, filled: bool = True,
         fontsize: float = 11, width: float = 0.64) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.22), width, 0.44,
                                boxstyle="round,pad=0.02", linewidth=1.5,
                                edgecolor=color, facecolor=color if filled else "white"))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
            color="white" if filled else color, fontweight="bold")


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], color: str, *,
           linestyle: str = "-", connectionstyle: str = "arc3") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                 linewidth=1.3, color=color, linestyle=linestyle,
                                 connectionstyle=connectionstyle))


