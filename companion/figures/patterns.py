"""The five input-output patterns of recurrent models, side by side.

Introduced in the chapter "Match the output to the task" (``book/output-patterns.ipynb``):
one-to-one, one-to-many, many-to-one, many-to-many of the same length, and
many-to-many with an encoder and a decoder (lengths that differ).
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
from companion.figures.unrolled import _steps

#: Panel names, left to right, as they appear in the axes titles.
PATTERNS = ("one-to-one", "one-to-many", "many-to-one", "many-to-many",
            "encoder-decoder")

#: The Keras settings that make each pattern, the second line of each title.
SETTINGS = {
    "one-to-one": "timesteps=1",
    "one-to-many": "RepeatVector, return_sequences=True",
    "many-to-one": "return_sequences=False",
    "many-to-many": "return_sequences=True",
    "encoder-decoder": "encoder state -> decoder",
}


def _column(ax, x: float, *, source: str | None, copied: bool, layer: str,
            output: str | None, kept: bool) -> None:
    """One timestep: an input box (or none), the cell, and an output box (or none)."""
    if source is not None:
        _box(ax, x, 0.0, source, INPUT, filled=not copied, fontsize=9)
        _arrow(ax, (x, 0.22), (x, 0.78), INPUT, linestyle=":" if copied else "-")
    _box(ax, x, 1.0, layer, CELL, fontsize=8)
    if output is not None:
        color = DENSE if kept else DROPPED
        _arrow(ax, (x, 1.22), (x, 1.78), color)
        _box(ax, x, 2.0, output, color, filled=kept, fontsize=9)


def _span(columns: int) -> float:
    """Width of a panel in data units: its columns, and room for the title of a narrow one."""
    return max(float(columns), 1.9) + 0.1


def _finish(ax, columns: int, title: str) -> None:
    centre, half = (columns + 1) / 2, _span(columns) / 2
    ax.set_xlim(centre - half, centre + half)
    ax.set_ylim(-0.4, 2.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=8.5)


def output_patterns_figure(timesteps: int = 3, target_steps: int = 2, *,
                           layer: str = "LSTM") -> BookFigure:
    """Draw the five input-output patterns of recurrent models side by side.

    Each panel is one small unrolled model: inputs (green) at the bottom, recurrent
    steps (blue) in the middle, outputs (purple) on top. An output a layer computes
    but does not return is a grey outline; an input that ``RepeatVector`` copies to a
    later step is a green outline with a dotted arrow.

    Parameters
    ----------
    timesteps : int
        Input steps of the many-to-* panels, and output steps of one-to-many (2 to 4).
    target_steps : int
        Output steps of the encoder-decoder panel (1 to 3).
    layer : {"LSTM", "GRU", "SimpleRNN"}
        Label for the recurrent boxes.

    Returns
    -------
    BookFigure
        Five axes, left to right in :data:`PATTERNS` order; each title is the pattern's
        name and, on a second line, the Keras setting that makes it (:data:`SETTINGS`).

    Raises
    ------
    TypeError
        If ``timesteps`` or ``target_steps`` is not an integer.
    ValueError
        If ``timesteps`` is not 2 to 4, ``target_steps`` not 1 to 3, or ``layer``
        is not a recurrent layer name.

    Examples
    --------
    >>> fig = output_patterns_figure(3, 2)
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes]
    ['one-to-one', 'one-to-many', 'many-to-one', 'many-to-many', 'encoder-decoder']
    >>> fig.axes[2].get_title().splitlines()[1]
    'return_sequences=False'
    >>> [t.get_text() for t in fig.axes[4].texts if t.get_text().startswith("y")]
    ['y1', 'y2']
    """
    timesteps = _steps("timesteps", timesteps, 4)
    if timesteps < 2:
        raise ValueError(f"expected timesteps of at least 2, got {timesteps}: with one step "
                         "the many-to-* panels look like one-to-one; draw 2 to 4 steps")
    target_steps = _steps("target_steps", target_steps, 3)
    layer = v.layer_name(layer)
    T, S = timesteps, target_steps
    xs = ", ".join(f"x{t}" for t in range(1, T + 1))
    ys = ", ".join(f"y{t}" for t in range(1, T + 1))
    targets = ", ".join(f"y{t}" for t in range(1, S + 1))
    alt = (f"Five {layer} patterns side by side, with boxes for inputs, recurrent steps and "
           f"outputs: one-to-one maps x1 to y1 in one step; one-to-many copies x1 to "
           f"{T} steps with RepeatVector and returns {ys} (return_sequences=True); "
           f"many-to-one reads {xs} and returns only y{T} (return_sequences=False); "
           f"many-to-many reads {xs} and returns {ys} (return_sequences=True); "
           f"encoder-decoder reads {xs} into an encoder whose state starts a decoder "
           f"that returns {targets}, a length of its own.")
    widths = [1, T, T, T, T + S]
    spans = [_span(columns) for columns in widths]
    fig = new_figure(alt, width=min(11.0, 1.0 + 0.62 * sum(spans)), height=2.7)
    axes = fig.subplots(1, 5, gridspec_kw={"width_ratios": spans})
    one, many_out, many_in, same, encdec = axes

    _column(one, 1.0, source="x1", copied=False, layer=layer, output="y1", kept=True)
    for step in range(1, T + 1):
        x = float(step)
        _column(many_out, x, source="x1", copied=step > 1, layer=layer,
                output=f"y{step}", kept=True)
        _column(many_in, x, source=f"x{step}", copied=False, layer=layer,
                output=f"y{step}", kept=step == T)
        _column(same, x, source=f"x{step}", copied=False, layer=layer,
                output=f"y{step}", kept=True)
        _column(encdec, x, source=f"x{step}", copied=False, layer=layer, output=None,
                kept=False)
        if step < T:
            for ax in (many_out, many_in, same, encdec):
                _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
    for step in range(1, S + 1):
        x = float(T + step)
        _column(encdec, x, source=None, copied=False, layer=layer, output=f"y{step}",
                kept=True)
        _arrow(encdec, (x - 0.68, 1.0), (x - 0.32, 1.0), RETURNED if step == 1 else CELL)
    encdec.text(T + 0.5, 1.3, "state", ha="center", va="bottom", fontsize=7, color=RETURNED)
    for ax, name, columns in zip(axes, PATTERNS, widths, strict=True):
        setting = SETTINGS[name].replace(", ", ",\n")
        _finish(ax, columns, f"{name}\n{setting}")
    return fig
