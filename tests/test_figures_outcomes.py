"""Tests for companion.figures.outcomes: the grid of outcomes of Part III."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

import companion
from companion.figures import BookFigure
from companion.figures.outcomes import NO, TEXT, YES, outcome_grid_figure

ROWS, COLUMNS = ["LSTM", "GRU"], ["tensorflow", "jax", "torch"]


def cells(fig):
    """(face colour, text) of every cell, row by row."""
    ax = fig.axes[0]
    boxes = [patch for patch in ax.patches if isinstance(patch, Rectangle)]
    texts = {tuple(np.round(t.get_position(), 3)): t.get_text() for t in ax.texts}
    return [(patch.get_facecolor(), texts[(round(patch.get_x() + 0.46, 3),
                                           round(patch.get_y() + 0.44, 3))])
            for patch in boxes]


def test_true_is_green_yes_false_is_orange_no_text_is_grey():
    fig = outcome_grid_figure(ROWS, COLUMNS, [[True, False, "(2, 4)"],
                                              [np.bool_(False), True, "tuple"]],
                              title="Fused path")
    assert isinstance(fig, BookFigure)
    assert cells(fig) == [(to_rgba(YES), "yes"), (to_rgba(NO), "no"), (to_rgba(TEXT), "(2, 4)"),
                          (to_rgba(NO), "no"), (to_rgba(YES), "yes"), (to_rgba(TEXT), "tuple")]


def test_alt_text_counts_yes_per_column_and_lists_strings():
    fig = outcome_grid_figure(ROWS, ["a", "b"], [[True, "x"], [True, False]], title="T")
    assert fig.alt_text == ("T: a grid of 2 rows (LSTM, GRU) by 2 columns; a: yes in 2 of 2; "
                            "b: x, no.")


def test_custom_words_for_true_and_false_in_cells_and_alt_text():
    fig = outcome_grid_figure(["r"], ["c1", "c2"], [[True, False]], title="T",
                              yes="fused", no="loop")
    assert [text for _, text in cells(fig)] == ["fused", "loop"]
    assert fig.alt_text.endswith("c1: fused in 1 of 1; c2: fused in 0 of 1.")
    mixed = outcome_grid_figure(["r", "s"], ["c"], [[True], ["warns"]], title="T", yes="ok")
    assert mixed.alt_text.endswith("c: ok, warns.")


def test_exported_from_companion():
    assert companion.outcome_grid_figure is outcome_grid_figure


@pytest.mark.parametrize("values, error, match", [
    ([[True, False, True]], ValueError, "2 rows of 3 cells"),
    ([[True, False], [True, False]], ValueError, "2 rows of 3 cells"),
    ([[True, False, 1.5], [True, True, True]], TypeError, "bool"),
], ids=["missing-row", "short-rows", "float-cell"])
def test_rejects_values_that_do_not_fit_the_labels(values, error, match):
    with pytest.raises(error, match=match):
        outcome_grid_figure(ROWS, COLUMNS, values, title="T")


def test_rejects_bad_labels_and_empty_title():
    with pytest.raises(TypeError, match="list of non-empty strings"):
        outcome_grid_figure("LSTM", COLUMNS, [[True] * 3], title="T")
    with pytest.raises(ValueError, match="title"):
        outcome_grid_figure(ROWS, COLUMNS, [[True] * 3] * 2, title=" ")
