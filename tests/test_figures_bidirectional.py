"""Tests for companion.figures.bidirectional: where each direction's final state is drawn."""

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
from companion.figures import BookFigure, bidirectional_figure

RETURNED = to_rgba(figures.RETURNED)


def boxes(ax):
    """Map each box's label to its face colour (labels are unique in this figure)."""
    labels = {tuple(np.round(text.get_position(), 3)): text.get_text() for text in ax.texts}
    found = {}
    for patch in ax.patches:
        if isinstance(patch, FancyBboxPatch):
            centre = (patch.get_x() + patch.get_width() / 2,
                      patch.get_y() + patch.get_height() / 2)
            label = labels[tuple(np.round(centre, 3))]
            assert label not in found, f"box {label!r} drawn twice"
            found[label] = patch.get_facecolor()
    return found


def highlighted(ax):
    return [label for label, colour in boxes(ax).items() if colour == RETURNED]


def position(ax, label):
    return next(text.get_position() for text in ax.texts if text.get_text() == label)


def test_is_exported_from_the_package_and_the_figures_subpackage():
    assert companion.bidirectional_figure is bidirectional_figure
    assert "bidirectional_figure" in companion.__all__


@pytest.mark.parametrize("timesteps", [1, 2, 4, 6], ids=lambda n: f"{n}-steps")
def test_sequence_output_has_one_concatenated_output_per_step(timesteps):
    ax = bidirectional_figure(timesteps).axes[0]
    outputs = [label for label in boxes(ax) if label.startswith("[")]
    assert outputs == [f"[f{t}, b{t}]" for t in range(1, timesteps + 1)]
    assert set(highlighted(ax)) == {*outputs, "b1", f"f{timesteps}"}


@pytest.mark.parametrize("timesteps", [2, 3, 5])
def test_final_forward_state_is_at_the_last_step_and_final_backward_at_the_first(timesteps):
    ax = bidirectional_figure(timesteps).axes[0]
    states = [label for label in highlighted(ax) if not label.startswith("[")]
    assert sorted(states) == sorted(["b1", f"f{timesteps}"])
    assert position(ax, f"f{timesteps}")[0] == timesteps  # under the last input
    assert position(ax, "b1")[0] == 1  # under the first input
    assert position(ax, f"t{timesteps}")[0] == timesteps
    assert position(ax, "output[:, -1, :units]")[0] == timesteps
    assert position(ax, "output[:, 0, units:]")[0] == 1


def test_forward_row_sits_below_the_backward_row_and_inputs_at_the_bottom():
    ax = bidirectional_figure(3).axes[0]
    heights = {label[0]: position(ax, label)[1] for label in ("t1", "f1", "b1")}
    assert heights["t"] < heights["f"] < heights["b"] < position(ax, "[f1, b1]")[1]
    assert "forward \u2192" in [t.get_text() for t in ax.texts]
    assert "\u2190 backward" in [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("timesteps", [1, 3, 6])
def test_last_state_output_is_one_box_pairing_the_two_final_states(timesteps):
    fig = bidirectional_figure(timesteps, return_sequences=False)
    ax = fig.axes[0]
    assert [label for label in boxes(ax) if label.startswith("[")] == [f"[f{timesteps}, b1]"]
    assert sorted(highlighted(ax)) == sorted({f"[f{timesteps}, b1]", "b1", f"f{timesteps}"})
    assert ax.get_title() == f"return_sequences=False: returns [f{timesteps}, b1]"
    assert not [t for t in ax.texts if t.get_text().startswith("output[")]


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN"])
def test_alt_text_names_the_layer_the_flag_and_where_the_final_states_are(return_sequences,
                                                                          layer):
    alt = bidirectional_figure(4, return_sequences=return_sequences, layer=layer).alt_text
    assert alt.startswith(f"A Bidirectional {layer} unrolled over inputs t1 to t4")
    assert f"return_sequences={return_sequences}" in alt
    assert "go_backwards=True" in alt and "b4 to b1" in alt
    if return_sequences:
        assert "output[:, -1, :units]" in alt and "output[:, 0, units:]" in alt
    else:
        assert "one vector [f4, b1]" in alt
    assert alt[0].isupper() and alt.endswith(".") and ". " not in alt


def test_alt_text_for_a_single_step_reads_t1_once():
    alt = bidirectional_figure(1).alt_text
    assert "each read t1, into f1 and b1" in alt and "t1 down to" not in alt


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": False}, {"timesteps": 1},
                                    {"timesteps": 6, "layer": "GRU"}],
                         ids=["default", "last-only", "one-step", "six-steps"])
def test_png_is_deterministic_white_and_readable(kwargs):
    fig = bidirectional_figure(**kwargs)
    assert isinstance(fig, BookFigure)
    png = fig.to_png()
    assert png == bidirectional_figure(**kwargs).to_png()
    image = imread(io.BytesIO(png), format="png")
    width, height = fig.get_size_inches() * 100
    assert abs(image.shape[0] - height) <= 1 and abs(image.shape[1] - width) <= 1
    assert np.allclose(image[0, 0, :3], 1.0)
    assert float(image[..., :3].std()) > 0.05
    assert 400 <= image.shape[1] <= 1100


def test_mimebundle_has_png_and_alt_text():
    fig = bidirectional_figure()
    bundle = fig._repr_mimebundle_()
    assert bundle["text/plain"] == fig.alt_text
    assert "image/png" in bundle


BAD_CALLS = {
    "zero-steps": (lambda: bidirectional_figure(0), ValueError, "timesteps"),
    "seven-steps": (lambda: bidirectional_figure(7), ValueError, "at most 6"),
    "float-steps": (lambda: bidirectional_figure(4.0), TypeError, "timesteps"),
    "bool-steps": (lambda: bidirectional_figure(True), TypeError, "timesteps"),
    "int-flag": (lambda: bidirectional_figure(4, return_sequences=1), TypeError,
                 "return_sequences"),
    "none-flag": (lambda: bidirectional_figure(4, return_sequences=None), TypeError,
                  "return_sequences"),
    "bad-layer": (lambda: bidirectional_figure(4, layer="Bidirectional"), ValueError, "layer"),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_arguments_raise_clear_errors(name):
    call, error, match = BAD_CALLS[name]
    with pytest.raises(error, match=match) as info:
        call()
    assert "got" in str(info.value)


garbage = st.one_of(st.none(), st.booleans(), st.integers(-2, 9), st.floats(allow_nan=True),
                    st.text(max_size=4), st.sampled_from(["LSTM", "gru"]))


@given(a=garbage, b=garbage, c=garbage)
@settings(max_examples=30)
def test_raises_only_value_or_type_errors(a, b, c):
    try:
        fig = bidirectional_figure(a, return_sequences=b, layer=c)
    except (ValueError, TypeError):
        return
    assert isinstance(fig, BookFigure) and fig.alt_text
