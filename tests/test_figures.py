"""Tests for companion.figures: structure, highlighted states, alt text, PNG output, errors."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.image import imread
from matplotlib.patches import FancyBboxPatch

from companion import figures
from companion.figures import (
    BookFigure,
    encoder_decoder_figure,
    hidden_states_figure,
    new_figure,
    return_sequences_figure,
    stacked_figure,
    training_curves_figure,
    unrolled_figure,
)

RETURNED = to_rgba(figures.RETURNED)


def boxes(ax):
    """Map each box's label to the list of its face colours (labels can repeat)."""
    labels = {tuple(np.round(text.get_position(), 3)): text.get_text() for text in ax.texts}
    found: dict[str, list] = {}
    for patch in ax.patches:
        if isinstance(patch, FancyBboxPatch):
            centre = (patch.get_x() + patch.get_width() / 2,
                      patch.get_y() + patch.get_height() / 2)
            label = labels[tuple(np.round(centre, 3))]
            found.setdefault(label, []).append(patch.get_facecolor())
    return found


def highlighted(ax):
    """Labels of the boxes filled with the RETURNED colour, in drawing order, with repeats."""
    return [label for label, colours in boxes(ax).items()
            for colour in colours if colour == RETURNED]


def texts(ax):
    return [text.get_text() for text in ax.texts]


def steps(n):
    return [f"h{step}" for step in range(1, n + 1)]


class FakeTensor:
    """Stands in for a TensorFlow tensor: only ``.numpy()``."""

    def __init__(self, array):
        self._array = array

    def numpy(self):
        return self._array


class ArrayLike:
    """Anything NumPy converts through ``__array__``."""

    def __init__(self, array):
        self._array = array

    def __array__(self, dtype=None, copy=None):
        return self._array


class FakeHistory:
    """Stands in for keras.callbacks.History: only ``.history``."""

    def __init__(self, logs):
        self.history = logs


STATES = np.sin(np.arange(2 * 6 * 10, dtype=np.float32).reshape(2, 6, 10) / 7.0)
LOGS = {"loss": [0.9, 0.61, 0.4567], "val_loss": [1.0, 0.7, 0.5004],
        "accuracy": [0.5, 0.75, 0.8], "val_accuracy": [0.5, 0.7, 0.7777]}

#: Every public figure function with typical arguments.
FACTORIES = {
    "unrolled": lambda: unrolled_figure(4, return_sequences=True, layer="GRU"),
    "return_sequences": lambda: return_sequences_figure(3),
    "stacked": lambda: stacked_figure((True, True, False), 3),
    "stacked-broken": lambda: stacked_figure((False, True), 3),
    "encoder-decoder-state": lambda: encoder_decoder_figure(4, 3),
    "encoder-decoder-repeat": lambda: encoder_decoder_figure(3, 2, style="repeat"),
    "hidden-states": lambda: hidden_states_figure(STATES, sample=1),
    "training-curves": lambda: training_curves_figure(LOGS, metrics=("loss", "accuracy")),
}
NEW = [name for name in FACTORIES if name not in ("unrolled", "return_sequences")]


# --- existing figures -------------------------------------------------------------------


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last-only", "sequence"])
@pytest.mark.parametrize("timesteps", [1, 3, 5], ids=lambda n: f"{n}-steps")
def test_unrolled_highlights_exactly_the_returned_states(return_sequences, timesteps):
    fig = unrolled_figure(timesteps, return_sequences=return_sequences)
    expected = steps(timesteps) if return_sequences else [f"h{timesteps}"]
    assert highlighted(fig.axes[0]) == expected
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title().startswith(f"return_sequences={return_sequences}")


def test_return_sequences_figure_has_two_panels_last_only_then_all():
    fig = return_sequences_figure(4)
    left, right = fig.axes
    assert highlighted(left) == ["h4"]
    assert highlighted(right) == steps(4)
    assert "return_sequences=False" in fig.alt_text and "[h1, h2, h3, h4]" in fig.alt_text


# --- stacked_figure ---------------------------------------------------------------------


def test_stacked_figure_draws_one_axes_per_layer_top_layer_first():
    fig = stacked_figure((True, True, False), 4, layer="GRU")
    assert [ax.get_title().split(",")[0] for ax in fig.axes] == [
        "layer 3: return_sequences=False",
        "layer 2: return_sequences=True",
        "layer 1: return_sequences=True",
    ]
    assert [highlighted(ax) for ax in fig.axes] == [["h4"], steps(4), steps(4)]
    assert "GRU" in texts(fig.axes[0]) and "t1" in texts(fig.axes[-1])


def test_stacked_figure_inputs_appear_only_under_the_first_layer():
    fig = stacked_figure((True, True), 3)
    assert [t for t in texts(fig.axes[-1]) if t.startswith("t")] == ["t1", "t2", "t3"]
    assert not [t for t in texts(fig.axes[0]) if t.startswith("t")]


def test_stacked_figure_marks_the_layer_above_a_last_state_layer_as_an_error():
    fig = stacked_figure((False, True, True), 3)
    top, middle, bottom = fig.axes
    assert highlighted(bottom) == ["h3"]
    assert highlighted(middle) == [] and highlighted(top) == []
    note = "needs a sequence: set return_sequences=True below"
    assert note in texts(middle) and note not in texts(top)
    assert "fails" in middle.get_title() and "not built" in top.get_title()
    assert to_rgba(middle.title.get_color()) == to_rgba(figures.ERROR)
    assert "set return_sequences=True on layer 1" in fig.alt_text


def test_stacked_figure_last_layer_returning_only_last_state_is_not_an_error():
    fig = stacked_figure((True, False), 3)
    assert all("needs a sequence" not in t for ax in fig.axes for t in texts(ax))
    assert "fails" not in fig.alt_text


@given(flags=st.lists(st.booleans(), min_size=1, max_size=4), timesteps=st.integers(1, 6))
@settings(max_examples=25)
def test_stacked_figure_highlights_follow_the_flags(flags, timesteps):
    fig = stacked_figure(tuple(flags), timesteps)
    assert len(fig.axes) == len(flags)
    broken = next((k for k in range(1, len(flags)) if not flags[k - 1]), None)
    for k, ax in zip(range(len(flags), 0, -1), fig.axes, strict=True):
        assert ax.get_title().startswith(f"layer {k}: return_sequences={flags[k - 1]}")
        if broken is not None and k > broken:
            expected = []
        else:
            expected = steps(timesteps) if flags[k - 1] else [f"h{timesteps}"]
        assert highlighted(ax) == expected
    assert fig.alt_text.endswith(".") and ". " not in fig.alt_text


# --- encoder_decoder_figure -------------------------------------------------------------


def test_encoder_decoder_state_style_passes_h_and_c_and_uses_teacher_forcing():
    fig = encoder_decoder_figure(4, 3)
    ax = fig.axes[0]
    assert highlighted(ax) == ["h, c", *steps(3)]
    shown = texts(ax)
    for label in ["x1", "x4", "<start>", "y1", "y2", "y3", "initial_state",
                  "encoder: LSTM(return_state=True)", "decoder: LSTM(return_sequences=True)"]:
        assert label in shown
    assert "x5" not in shown and "RepeatVector(3)" not in shown
    assert shown.count("Dense") == 3
    for words in ["return_state=True", "initial_state", "<start>, y1, y2", "teacher forcing"]:
        assert words in fig.alt_text


def test_encoder_decoder_repeat_style_copies_the_last_encoder_state():
    fig = encoder_decoder_figure(5, 2, style="repeat")
    ax = fig.axes[0]
    found = boxes(ax)
    assert [c == RETURNED for c in found["h5"]] == [True, True, True]  # encoder's + 2 copies
    assert all(c != RETURNED for c in found["h1"][:1])  # encoder h1 is dropped
    assert "RepeatVector(2)" in texts(ax) and "<start>" not in texts(ax)
    assert "encoder: LSTM(return_sequences=False)" in texts(ax)
    assert "RepeatVector(2) copies it 2 times" in fig.alt_text


@pytest.mark.parametrize("style", ["state", "repeat"])
@given(source=st.integers(1, 6), target=st.integers(1, 6))
@settings(max_examples=10)
def test_encoder_decoder_draws_one_dense_per_target_step(style, source, target):
    fig = encoder_decoder_figure(source, target, style=style)
    shown = texts(fig.axes[0])
    assert shown.count("Dense") == target
    assert [t for t in shown if t.startswith("x")] == [f"x{s}" for s in range(1, source + 1)]
    assert f"y{target}" in shown and f"y{target + 1}" not in shown
    assert fig.alt_text.endswith(".") and ". " not in fig.alt_text


# --- hidden_states_figure ---------------------------------------------------------------


def test_hidden_states_draws_the_first_units_of_the_chosen_sample():
    fig = hidden_states_figure(STATES, sample=1, max_units=4)
    ax = fig.axes[0]
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["unit 0", "unit 1", "unit 2", "unit 3"]
    for unit, line in enumerate(handles):
        assert line.get_xdata().tolist() == [1, 2, 3, 4, 5, 6]
        # drawn at plot precision: within a thousandth of the data's range
        span = np.ptp(STATES[1])
        np.testing.assert_allclose(line.get_ydata(), STATES[1, :, unit], atol=span / 1000)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("timestep", "hidden state value")
    assert "(2, 6, 10)" in fig.alt_text and "first 4 of 10 units" in fig.alt_text
    assert "sample 1" in fig.alt_text and "timesteps 1 to 6" in fig.alt_text


@pytest.mark.parametrize("wrap", [np.asarray, FakeTensor, ArrayLike, lambda a: a.tolist()],
                         ids=["ndarray", "dot-numpy", "dunder-array", "nested-list"])
def test_hidden_states_accepts_arrays_tensors_and_array_likes(wrap):
    fig = hidden_states_figure(wrap(STATES[0]), title="Custom title")
    assert len(fig.axes[0].get_legend_handles_labels()[0]) == 8
    assert fig.axes[0].get_title() == "Custom title"
    assert "of an array of shape (6, 10)" in fig.alt_text


def test_hidden_states_alt_text_for_a_single_unit():
    fig = hidden_states_figure(np.zeros((3, 1)))
    assert "its single unit" in fig.alt_text


# --- training_curves_figure -------------------------------------------------------------


def test_training_curves_one_axes_per_metric_with_validation_curves():
    fig = training_curves_figure(FakeHistory(LOGS), metrics=("loss", "accuracy"))
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, metric in zip(fig.axes, ["loss", "accuracy"], strict=True):
        labels = [line.get_label() for line in ax.lines]
        assert labels == [f"train {metric}", f"validation {metric}"]
        assert ax.lines[0].get_xdata().tolist() == [1, 2, 3]
        np.testing.assert_allclose(ax.lines[1].get_ydata(), LOGS[f"val_{metric}"])
        assert ax.get_xlabel() == "epoch"


def test_training_curves_alt_text_names_metrics_epochs_and_trends_not_values():
    fig = training_curves_figure(LOGS, metrics=("loss", "accuracy"))
    assert "3 epochs" in fig.alt_text and "loss and accuracy" in fig.alt_text
    for key, values in LOGS.items():
        kind = "validation" if key.startswith("val_") else "train"
        trend = "falls" if values[-1] < values[0] else "rises"
        assert f"{kind} {key.removeprefix('val_')} {trend}" in fig.alt_text
    assert not any(char.isdigit() for char in fig.alt_text.replace("3 epochs", "")), (
        "no metric values: they differ across CPUs and the alt text is compared by nbval")


def test_training_curves_without_validation_draws_one_line():
    fig = training_curves_figure({"loss": [1.0]}, metrics="loss")
    assert [line.get_label() for line in fig.axes[0].lines] == ["train loss"]
    assert "over 1 epoch for loss" in fig.alt_text


# --- every figure -----------------------------------------------------------------------


@pytest.mark.parametrize("name", FACTORIES)
def test_figures_are_book_figures_with_alt_text(name):
    fig = FACTORIES[name]()
    assert isinstance(fig, BookFigure)
    assert fig.alt_text and fig.alt_text.endswith(".")
    assert fig.get_facecolor() == to_rgba("white")


@pytest.mark.parametrize("name", NEW)
def test_new_figures_have_one_sentence_alt_text(name):
    alt = FACTORIES[name]().alt_text
    assert alt[0].isupper() and alt.endswith(".") and ". " not in alt


@pytest.mark.parametrize("name", FACTORIES)
def test_png_is_deterministic(name):
    assert FACTORIES[name]().to_png() == FACTORIES[name]().to_png()


@pytest.mark.parametrize("name", FACTORIES)
def test_png_decodes_to_a_white_non_blank_image_of_the_figure_size(name):
    fig = FACTORIES[name]()
    image = imread(io.BytesIO(fig.to_png(dpi=100)), format="png")
    width, height = fig.get_size_inches() * 100
    assert abs(image.shape[0] - height) <= 1 and abs(image.shape[1] - width) <= 1
    assert np.allclose(image[0, 0, :3], 1.0)  # white background reads in dark mode too
    assert float(image[..., :3].std()) > 0.05
    assert 400 <= image.shape[1] <= 1100  # about 700 px wide, so text stays readable


@pytest.mark.parametrize("name", FACTORIES)
def test_mimebundle_has_png_and_alt_text(name):
    fig = FACTORIES[name]()
    bundle = fig._repr_mimebundle_()
    assert bundle["text/plain"] == fig.alt_text
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


# --- bad input --------------------------------------------------------------------------

BAD_CALLS = {
    "new-figure-empty-alt": (lambda: new_figure("  "), ValueError, "alt_text"),
    "unrolled-too-many-steps": (lambda: unrolled_figure(13), ValueError, "at most 12"),
    "unrolled-int-flag": (lambda: unrolled_figure(3, return_sequences=1), TypeError,
                          "return_sequences"),
    "return-sequences-bad-layer": (lambda: return_sequences_figure(layer="Conv1D"), ValueError,
                                   "layer"),
    "stacked-bool": (lambda: stacked_figure(True), TypeError, "tuple of True/False"),
    "stacked-empty": (lambda: stacked_figure(()), ValueError, "1 to 4 layers"),
    "stacked-five-layers": (lambda: stacked_figure((True,) * 5), ValueError, "1 to 4 layers"),
    "stacked-int-flag": (lambda: stacked_figure((True, 0)), TypeError, r"return_sequences\[1\]"),
    "stacked-zero-steps": (lambda: stacked_figure((True,), 0), ValueError, "timesteps"),
    "stacked-seven-steps": (lambda: stacked_figure((True,), 7), ValueError, "at most 6"),
    "stacked-bad-layer": (lambda: stacked_figure(layer="Dense"), ValueError, "layer"),
    "encdec-bad-style": (lambda: encoder_decoder_figure(style="attention"), ValueError, "style"),
    "encdec-float-steps": (lambda: encoder_decoder_figure(4.0), TypeError, "source_steps"),
    "encdec-too-long": (lambda: encoder_decoder_figure(3, 9), ValueError, "target_steps"),
    "hidden-1d": (lambda: hidden_states_figure(np.zeros(4)), ValueError,
                  "return_sequences=True"),
    "hidden-4d": (lambda: hidden_states_figure(np.zeros((1, 2, 3, 4))), ValueError,
                  "got shape"),
    "hidden-empty": (lambda: hidden_states_figure(np.zeros((2, 0, 3))), ValueError, "non-empty"),
    "hidden-strings": (lambda: hidden_states_figure([["a"]]), TypeError, "real numbers"),
    "hidden-none": (lambda: hidden_states_figure(None), TypeError, "array of numbers"),
    "hidden-nan": (lambda: hidden_states_figure(np.full((2, 3), np.nan)), ValueError, "finite"),
    "hidden-sample-out-of-range": (lambda: hidden_states_figure(STATES, sample=2), ValueError,
                                   "between 0 and 1"),
    "hidden-sample-on-2d": (lambda: hidden_states_figure(STATES[0], sample=1), ValueError,
                            "one sample"),
    "hidden-float-sample": (lambda: hidden_states_figure(STATES, sample=0.0), TypeError,
                            "sample"),
    "hidden-bad-title": (lambda: hidden_states_figure(STATES, title=3), TypeError, "title"),
    "hidden-zero-units": (lambda: hidden_states_figure(STATES, max_units=0), ValueError,
                          "max_units"),
    "curves-list": (lambda: training_curves_figure([0.1, 0.2]), TypeError, "model.fit"),
    "curves-missing-metric": (lambda: training_curves_figure(LOGS, metrics=("mae",)),
                              ValueError, "'loss', 'val_loss'"),
    "curves-val-metric": (lambda: training_curves_figure(LOGS, metrics=("val_loss",)),
                          ValueError, "validation curve"),
    "curves-empty-metrics": (lambda: training_curves_figure(LOGS, metrics=()), TypeError,
                             "non-empty"),
    "curves-non-str-metric": (lambda: training_curves_figure(LOGS, metrics=(1,)), TypeError,
                              "name"),
    "curves-empty-values": (lambda: training_curves_figure({"loss": []}), ValueError,
                            "non-empty"),
    "curves-text-values": (lambda: training_curves_figure({"loss": ["a"]}), TypeError,
                           "real numbers"),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_arguments_raise_clear_errors(name):
    call, error, match = BAD_CALLS[name]
    with pytest.raises(error, match=match) as info:
        call()
    assert "got" in str(info.value)


garbage = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 8), st.floats(allow_nan=True), st.text(max_size=4),
    st.lists(st.booleans(), max_size=5), st.lists(st.floats(), max_size=3),
    st.dictionaries(st.sampled_from(["loss", "val_loss", "x"]),
                    st.lists(st.floats(), max_size=2), max_size=2),
)


@given(a=garbage, b=garbage, c=garbage)
@settings(max_examples=40)
def test_figure_functions_raise_only_value_or_type_errors(a, b, c):
    calls = [
        lambda: stacked_figure(a, b, layer=c),
        lambda: encoder_decoder_figure(a, b, style=c),
        lambda: hidden_states_figure(a, sample=b, max_units=c),
        lambda: hidden_states_figure(a, title=c),
        lambda: training_curves_figure(a, metrics=b),
    ]
    for call in calls:
        try:
            fig = call()
        except (ValueError, TypeError):
            continue
        assert isinstance(fig, BookFigure) and fig.alt_text


def test_plotted_values_ignore_changes_below_a_pixel():
    """A change in the last bits of a training run does not change the drawn line."""
    losses = np.array([0.693147, 0.41234567, 0.20101, 0.150004])
    nudged = losses + 1e-9
    first = training_curves_figure({"loss": losses}).axes[0].lines[0].get_ydata()
    second = training_curves_figure({"loss": nudged}).axes[0].lines[0].get_ydata()
    np.testing.assert_array_equal(first, second)
    states = np.linspace(-0.9, 0.9, 12).reshape(1, 4, 3)
    drawn = [hidden_states_figure(s).axes[0].lines[0].get_ydata() for s in (states,
                                                                             states + 1e-9)]
    np.testing.assert_array_equal(*drawn)
