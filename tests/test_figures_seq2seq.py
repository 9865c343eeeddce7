"""Tests for companion.figures.seq2seq.same_length_figure: a same-length model on one pair."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch

import companion
from companion import figures
from companion.figures import BookFigure, same_length_figure
from companion.translation import spell


def box_edges(ax):
    """Label -> edge colours of the boxes drawn with that label."""
    centres = {}
    for patch in ax.patches:
        if isinstance(patch, FancyBboxPatch):
            centre = (round(patch.get_x() + patch.get_width() / 2, 3),
                      round(patch.get_y() + patch.get_height() / 2, 3))
            centres[centre] = patch.get_edgecolor()
    found = {}
    for text in ax.texts:
        x, y = text.get_position()
        edge = centres.get((round(x, 3), round(y, 3)))
        if edge is not None:
            found.setdefault(text.get_text(), []).append(tuple(edge))
    return found


@pytest.mark.parametrize(("number", "missing_outputs", "spare_outputs"), [
    (3005, 1, 0),  # three thousand five: 3 words, 4 digits
    (1939, 0, 2),  # one thousand nine hundred thirty nine: 6 words, 4 digits
    (4212, 0, 1),  # four thousand two hundred twelve: 5 words, 4 digits
], ids=["fewer-words", "more-words", "the-intro-example"])
def test_one_output_per_source_word_and_the_mismatch_in_red(number, missing_outputs,
                                                            spare_outputs):
    words, digits = spell(number).split(), list(str(number))
    fig = same_length_figure(words, digits)
    assert isinstance(fig, BookFigure)
    edges = box_edges(fig.axes[0])
    outputs = [label for label in edges if label.startswith("y")]
    assert outputs == [f"y{t}" for t in range(1, len(words) + 1)]
    red = to_rgba(figures.ERROR)
    assert sum(edges[f"y{t}"][0] == red for t in range(1, len(words) + 1)) == spare_outputs
    red_targets = sum(edge == red for d in set(digits) for edge in edges[d])
    assert red_targets == missing_outputs
    assert f"{len(words)} source tokens" in fig.alt_text
    assert f"has {len(digits)} tokens" in fig.alt_text


def test_equal_lengths_say_the_outputs_still_read_only_the_words_so_far():
    fig = same_length_figure(["a", "b"], ["1", "2"])
    assert "the lengths agree, but output t has read only the first t" in fig.alt_text


def test_is_a_public_name():
    assert companion.same_length_figure is same_length_figure


@pytest.mark.parametrize(("source", "error", "match"), [
    ("three thousand five", TypeError, r"\.split\(\)"),
    (["three", 5], TypeError, "to be a string"),
    ([], ValueError, "1 to 6 non-empty tokens"),
    (["w"] * 7, ValueError, "1 to 6 non-empty tokens"),
    (["three", ""], ValueError, "non-empty"),
], ids=["a-string", "a-number", "empty", "too-long", "empty-token"])
def test_rejects_what_it_cannot_draw(source, error, match):
    with pytest.raises(error, match=match):
        same_length_figure(source, ["3"])
