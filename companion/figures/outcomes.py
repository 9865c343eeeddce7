"""A grid of outcomes, one row per case and one column per Keras: Part III's figure.

Introduced in Part III ("Bridges"): "Port recurrent code from Keras 2 to Keras 3" draws
which idioms each Keras accepts, "Check the same shapes on the TensorFlow, JAX and PyTorch
backends" whether each backend agrees with the shape calculator and the NumPy replay, and
"Find what switches off the fused GPU kernel" which backend function ran for each setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.patches import Rectangle

from companion.figures._base import INPUT, RETURNED, BookFigure, new_figure

#: Fill colours: ``True`` cells, ``False`` cells, cells holding text.
YES, NO, TEXT = INPUT, RETURNED, "#e9ecef"


def _labels(name: str, labels: Any) -> list[str]:
    if isinstance(labels, str) or not isinstance(labels, Sequence) or not labels or not all(
            isinstance(label, str) and label for label in labels):
        raise TypeError(f"expected {name} to be a non-empty list of non-empty strings, got "
                        f"{labels!r}: pass for example {name}=['tensorflow', 'jax']")
    return list(labels)


def _cells(values: Any, rows: int, columns: int) -> list[list[bool | str]]:
    shape_hint = (f"expected values to be {rows} rows of {columns} cells (each True, False "
                  "or a short string), one row per row label")
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != rows:
        raise ValueError(f"{shape_hint}, got {values!r}")
    grid = []
    for row in values:
        if isinstance(row, str) or not isinstance(row, Sequence) or len(row) != columns:
            raise ValueError(f"{shape_hint}, got the row {row!r}")
        cells = []
        for cell in row:
            kind = type(cell)
            if kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"):
                cell = bool(cell)
            if not isinstance(cell, (bool, str)):
                raise TypeError(f"{shape_hint}, got the cell {cell!r} of type "
                                f"{kind.__name__}: convert it with bool() or str()")
            cells.append(cell)
        grid.append(cells)
    return grid


def _describe(row_labels: list[str], column_labels: list[str],
              grid: list[list[bool | str]], title: str, yes: str, no: str) -> str:
    parts = []
    for index, column in enumerate(column_labels):
        cells = [row[index] for row in grid]
        if all(isinstance(cell, bool) for cell in cells):
            parts.append(f"{column}: {yes} in {sum(cells)} of {len(cells)}")
        else:
            words = [cell if isinstance(cell, str) else (yes if cell else no)
                     for cell in cells]
            parts.append(f"{column}: {', '.join(words)}")
    return (f"{title}: a grid of {len(row_labels)} rows ({', '.join(row_labels)}) by "
            f"{len(column_labels)} columns; " + "; ".join(parts) + ".")


def outcome_grid_figure(row_labels: Sequence[str], column_labels: Sequence[str],
                        values: Sequence[Sequence[bool | str]], *, title: str,
                        yes: str = "yes", no: str = "no") -> BookFigure:
    """Draw a table of outcomes: green for ``True``, orange for ``False``, grey for text.

    Parameters
    ----------
    row_labels : list of str
        One label per row (a layer configuration, an idiom), drawn on the left.
    column_labels : list of str
        One label per column (a backend, a Keras version), drawn on top.
    values : list of lists
        ``values[i][j]`` is the cell of row ``i`` and column ``j``: ``True`` (written
        ``yes``), ``False`` (written ``no``) or a short string written on grey.
    title : str
        Drawn above the grid and used to start the alt text.
    yes, no : str
        The words written in ``True`` and ``False`` cells.

    Returns
    -------
    BookFigure
        Its alt text names the rows and columns and, per column, how many cells are
        ``True`` (in the ``yes`` word), or every cell in row order (``yes``/``no`` words
        for booleans) when the column holds strings too.

    Raises
    ------
    TypeError
        If a label list is not a list of strings, or a cell is not a bool or a string.
    ValueError
        If ``values`` does not have one row per row label and one cell per column label,
        or ``title`` is empty.

    Examples
    --------
    >>> fig = outcome_grid_figure(["LSTM", "GRU"], ["tensorflow", "jax"],
    ...                           [[True, False], [True, True]], title="Fused path")
    >>> print(fig.alt_text)  # doctest: +NORMALIZE_WHITESPACE
    Fused path: a grid of 2 rows (LSTM, GRU) by 2 columns; tensorflow: yes in 2 of 2;
    jax: yes in 1 of 2.
    """
    rows = _labels("row_labels", row_labels)
    columns = _labels("column_labels", column_labels)
    grid = _cells(values, len(rows), len(columns))
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"expected title to be a non-empty string, got {title!r}: say in "
                         "a few words what the grid shows")
    label_width = max(len(label) for label in rows) * 0.075 + 0.3
    cell_width = max(1.1, max(len(label) for label in columns) * 0.085 + 0.2,
                     max(len(cell) for row in grid for cell in row
                         if isinstance(cell, str)) * 0.075 + 0.2
                     if any(isinstance(cell, str) for row in grid for cell in row) else 0)
    width = label_width + cell_width * len(columns) + 0.3
    height = 0.32 * len(rows) + 0.9
    fig = new_figure(_describe(rows, columns, grid, title.strip(), yes, no), width=width,
                     height=height)
    ax = fig.add_subplot()
    for j, column in enumerate(columns):
        ax.text(j + 0.5, -0.35, column, ha="center", va="bottom", fontsize=9,
                fontweight="bold")
    for i, (label, row) in enumerate(zip(rows, grid, strict=True)):
        ax.text(-0.08, i + 0.5, label, ha="right", va="center", fontsize=9,
                family="monospace")
        for j, cell in enumerate(row):
            fill = TEXT if isinstance(cell, str) else (YES if cell else NO)
            ax.add_patch(Rectangle((j + 0.04, i + 0.06), 0.92, 0.88, facecolor=fill,
                                   edgecolor="white"))
            text = cell if isinstance(cell, str) else (yes if cell else no)
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=8.5,
                    color="black" if isinstance(cell, str) else "white",
                    fontweight="normal" if isinstance(cell, str) else "bold")
    ax.set_xlim(-label_width / cell_width, len(columns))
    ax.set_ylim(len(rows), -0.9)
    ax.axis("off")
    ax.set_title(title.strip(), fontsize=10)
    return fig
