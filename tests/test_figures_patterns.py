"""Tests for companion.figures.patterns: the five input-output patterns side by side."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.image import imread
from matplotlib.patches import FancyBboxPatch

import companion
from companion import figures
from companion.figures import BookFigure, output_patterns_figure
from companion.figures.patterns import PATTERNS, SETTINGS

FILLED_OUTPUT = to_rgba(figures.DENSE)


def labelled_boxes(ax):
    """(label, face colour) for every box, in drawing order."""
    labels = {tuple(np.round(text.get_position(), 3)): text.get_text() for text in ax.texts}
    found = []
    for patch in ax.patches:
        if isinstance(patch, FancyBboxPatch):
            centre = (patch.get_x() + patch.get_width() / 2,
                      patch.get_y() + patch.get_height() / 2)
            found.append((labels[tuple(np.round(centre, 3))], patch.get_facecolor()))
    return found


def returned_outputs(ax):
    """Output labels drawn filled: the outputs the model returns."""
    return [label for label, colour in labelled_boxes(ax)
            if label.startswith("y") and colour == FILLED_OUTPUT]


def labels(ax, prefix):
    return [label for label, _ in labelled_boxes(ax) if label.startswith(prefix)]


def ys(n):
    return [f"y{step}" for step in range(1, n + 1)]


def test_panels_are_the_five_patterns_left_to_right_with_their_settings():
    fig = output_patterns_figure(3, 2)
    assert len(fig.axes) == 5
    titles = [ax.get_title().split("\n", 1) for ax in fig.axes]
    assert [name for name, _ in titles] == list(PATTERNS)
    for (name, setting), ax in zip(titles, fig.axes, strict=True):
        assert setting.replace("\n", " ") == SETTINGS[name]
        assert ax.get_xlim()[0] < ax.get_xlim()[1]
    lefts = [ax.get_position().x0 for ax in fig.axes]
    assert lefts == sorted(lefts)


@pytest.mark.parametrize("timesteps", [2, 3, 4], ids=lambda n: f"{n}-steps")
@pytest.mark.parametrize("target_steps", [1, 2, 3], ids=lambda n: f"{n}-targets")
def test_each_panel_returns_the_outputs_of_its_pattern(timesteps, target_steps):
    one, one_many, many_one, same, encdec = output_patterns_figure(timesteps,
                                                                   target_steps).axes
    assert returned_outputs(one) == ["y1"]
    assert returned_outputs(one_many) == ys(timesteps)
    assert returned_outputs(many_one) == [f"y{timesteps}"]
    assert labels(many_one, "y") == ys(timesteps)  # the others drawn, not returned
    assert returned_outputs(same) == ys(timesteps)
    assert returned_outputs(encdec) == ys(target_steps)


@pytest.mark.parametrize("timesteps", [2, 4])
def test_one_to_many_reads_one_input_and_copies_it(timesteps):
    fig = output_patterns_figure(timesteps, layer="GRU")
    one, one_many, many_one, same, encdec = fig.axes
    white = to_rgba("white")
    copies = [colour for label, colour in labelled_boxes(one_many) if label == "x1"]
    assert len(copies) == timesteps
    assert copies[0] == to_rgba(figures.INPUT) and all(c == white for c in copies[1:])
    inputs = [f"x{step}" for step in range(1, timesteps + 1)]
    for ax in (many_one, same, encdec):
        assert labels(ax, "x") == inputs
    assert labels(one, "x") == ["x1"]
    assert labels(encdec, "GRU") == ["GRU"] * (timesteps + 2)
    assert "state" in [text.get_text() for text in encdec.texts]


def test_alt_text_is_one_sentence_naming_every_pattern_and_setting():
    fig = output_patterns_figure(3, 2, layer="SimpleRNN")
    alt = fig.alt_text
    assert alt.startswith("Five SimpleRNN patterns") and alt.endswith(".")
    assert ". " not in alt
    for words in [*PATTERNS, "RepeatVector", "return_sequences=False",
                  "returns only y3", "returns y1, y2, a length of its own"]:
        assert words in alt
    assert repr(fig) == f"<BookFigure: {alt}>"


def test_mimebundle_text_is_the_alt_text():
    fig = output_patterns_figure()
    assert fig._repr_mimebundle_()["text/plain"] == fig.alt_text


def test_png_is_deterministic_white_and_readable_width():
    fig = output_patterns_figure()
    png = fig.to_png()
    assert png == output_patterns_figure().to_png()
    image = imread(io.BytesIO(png), format="png")
    assert np.allclose(image[0, 0, :3], 1.0)
    assert float(image[..., :3].std()) > 0.05
    assert 400 <= image.shape[1] <= 1100


def test_exported_from_companion_and_figures():
    assert companion.output_patterns_figure is output_patterns_figure
    assert isinstance(output_patterns_figure(), BookFigure)


BAD_CALLS = {
    "one-step": (lambda: output_patterns_figure(1), ValueError, "at least 2"),
    "five-steps": (lambda: output_patterns_figure(5), ValueError, "at most 4"),
    "float-steps": (lambda: output_patterns_figure(3.0), TypeError, "timesteps"),
    "zero-targets": (lambda: output_patterns_figure(3, 0), ValueError, "target_steps"),
    "four-targets": (lambda: output_patterns_figure(3, 4), ValueError, "at most 3"),
    "bool-targets": (lambda: output_patterns_figure(3, True), TypeError, "target_steps"),
    "dense-layer": (lambda: output_patterns_figure(layer="Dense"), ValueError, "layer"),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_arguments_raise_clear_errors(name):
    call, error, match = BAD_CALLS[name]
    with pytest.raises(error, match=match) as info:
        call()
    assert "got" in str(info.value)


garbage = st.one_of(st.none(), st.booleans(), st.integers(-2, 7), st.floats(allow_nan=True),
                    st.text(max_size=5), st.sampled_from(["LSTM", "gru", "SimpleRNN"]))


@given(a=garbage, b=garbage, c=garbage)
@settings(max_examples=30)
def test_raises_only_value_or_type_errors(a, b, c):
    try:
        fig = output_patterns_figure(a, b, layer=c)
    except (ValueError, TypeError):
        return
    assert isinstance(fig, BookFigure) and len(fig.axes) == 5
