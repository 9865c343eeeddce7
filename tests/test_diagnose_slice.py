"""diagnose finds one timestep taken from a Bidirectional sequence, whatever layer
takes it (a slice, a Lambda, Cropping1D), and leaves layers that do not slice alone;
each finding is checked against what Keras's layer really returns."""

from __future__ import annotations

import numpy as np
import pytest

from companion.diagnose import diagnose
from companion.diagnose._slices import picked_step

STEPS = 6


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _model(keras, pick, steps=STEPS, merge_mode="concat"):
    inputs = keras.Input(shape=(steps, 3))
    both = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True),
                                      merge_mode=merge_mode, name="bi")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(pick(keras, both)))


FORMS = {
    "slice-last": (lambda k, b: b[:, -1], True),
    "slice-first": (lambda k, b: b[:, 0], True),
    "lambda-last": (lambda k, b: k.layers.Lambda(lambda t: t[:, -1], name="lam")(b), True),
    "lambda-first": (lambda k, b: k.layers.Lambda(lambda t: t[:, 0], name="lam")(b), True),
    "cropping1d-last": (lambda k, b: k.layers.Flatten()(
        k.layers.Cropping1D((STEPS - 1, 0), name="crop")(b)), True),
    "cropping1d-first": (lambda k, b: k.layers.Flatten()(
        k.layers.Cropping1D((0, STEPS - 1), name="crop")(b)), True),
    "lambda-middle": (lambda k, b: k.layers.Lambda(lambda t: t[:, 2], name="lam")(b), False),
    "global-max-pooling": (lambda k, b: k.layers.GlobalMaxPooling1D(name="pool")(b), False),
    "global-average-pooling": (lambda k, b: k.layers.GlobalAveragePooling1D()(b), False),
    "lambda-sum": (lambda k, b: k.layers.Lambda(lambda t: k.ops.sum(t, axis=1))(b), False),
    "dense-per-step": (lambda k, b: k.layers.Flatten()(k.layers.Dense(2)(b)), False),
    "cropping1d-two-steps": (lambda k, b: k.layers.Flatten()(
        k.layers.Cropping1D((STEPS - 2, 0))(b)), False),
}


@pytest.mark.keras
@pytest.mark.parametrize("form", list(FORMS))
def test_a_single_step_of_a_bidirectional_sequence_is_found_in_every_form(keras, form):
    pick, found = FORMS[form]
    report = diagnose(_model(keras, pick))
    assert report.checks == (("bidirectional-last-step",) if found else ())


@pytest.mark.keras
@pytest.mark.parametrize("form", [name for name, (_, found) in FORMS.items() if found])
def test_the_finding_names_the_step_keras_really_keeps(keras, form):
    """Run the model up to the slicing layer: its output is the step the finding names,
    so the direction the finding blames is the one that has read one step."""
    model = _model(keras, FORMS[form][0])
    report = diagnose(model)
    finding = report[0]
    bi = model.get_layer("bi")
    x = np.random.default_rng(0).normal(size=(2, STEPS, 3)).astype("float32")
    sequence = keras.ops.convert_to_numpy(bi(x))
    taker = model.layers[2] if form.startswith(("lambda", "cropping")) else None
    kept = (keras.ops.convert_to_numpy(taker(sequence)).reshape(2, -1) if taker is not None
            else sequence[:, -1] if form.endswith("last") else sequence[:, 0])
    step = STEPS - 1 if "last" in form else 0
    assert np.array_equal(kept, sequence[:, step])
    assert ("backward" if step else "forward") in finding.why
    if taker is not None:
        assert ("last" if step else "first") in finding.saw
        assert f"'{taker.name}'" in finding.saw


@pytest.mark.keras
def test_a_slice_with_open_timesteps_is_found(keras):
    model = _model(keras, FORMS["lambda-last"][0], steps=None)
    assert diagnose(model).checks == ("bidirectional-last-step",)


@pytest.mark.keras
@pytest.mark.parametrize(("index", "step", "found"), [
    (0, -1, False), (1, 0, False), (1, -1, True), (0, 0, True)])
def test_merge_mode_none_blames_only_the_blind_direction(keras, index, step, found):
    inputs = keras.Input(shape=(STEPS, 3))
    halves = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True),
                                        merge_mode=None, name="bi")(inputs)
    taken = keras.layers.Lambda(lambda t: t[:, step], name="lam")(halves[index])
    model = keras.Model(inputs, keras.layers.Dense(1)(taken))
    assert diagnose(model).checks == (("bidirectional-last-step",) if found else ())


@pytest.mark.keras
def test_a_slice_of_a_returned_state_is_not_flagged(keras):
    inputs = keras.Input(shape=(STEPS, 3))
    sequence, h_forward, h_backward = keras.layers.Bidirectional(
        keras.layers.GRU(4, return_sequences=True, return_state=True), name="bi")(inputs)
    taken = keras.layers.Lambda(lambda t: t[:, -1], name="lam")(h_backward[:, None])
    model = keras.Model(inputs, [keras.layers.Dense(1)(taken), sequence])
    assert diagnose(model).ok


@pytest.mark.keras
def test_picked_step_refuses_a_layer_that_fails_on_the_probe(keras):
    inputs = keras.Input(shape=(STEPS, 3))
    layer = keras.layers.Lambda(lambda t: t[:, -1] + np.ones((5,), "float32"))
    layer(keras.Input(shape=(STEPS, 5)))
    node = layer._inbound_nodes[0]
    assert picked_step(keras, layer, node, STEPS, 3) is None
    assert inputs.shape[1] == STEPS
