"""A fuzz of every public companion function that models Keras, against Keras itself.

Hypothesis draws layers, stacks, inputs and targets (the deterministic profile of
``tests/conftest.py``: the same examples on every run); each test builds the real Keras
object and compares. A companion answer that differs from Keras without an error fails
here. The example counts are bounded so that the whole file runs in well under a minute
on two cores; ``EXAMPLES`` lists them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import companion
from companion.diagnose import diagnose

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")
L = keras.layers

#: test -> hypothesis examples per run (diagnose also runs three explicit examples).
EXAMPLES = {"shapes": 40, "replay": 30, "replay_states": 20, "stateful": 15, "stack": 40,
            "diagnose": 12, "to_torch": 25}
KINDS = ("LSTM", "GRU", "SimpleRNN")
MERGES = ("concat", "sum", "mul", "ave", None)
ATOL = 1e-5


def _randomize(layer, seed):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in layer.get_weights()])


def _x(batch, steps, features, seed):
    return np.random.default_rng(seed).normal(size=(batch, steps, features)).astype("float32")


def _arrays(result):
    return [np.asarray(a) for a in (result if isinstance(result, (list, tuple)) else [result])]


def _close(ours, theirs):
    ours, theirs = _arrays(ours), _arrays(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape and np.allclose(a, b, atol=ATOL), np.abs(a - b).max()


layers = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS), "units": st.integers(1, 4),
    "return_sequences": st.booleans(), "return_state": st.booleans(),
    "bidirectional": st.booleans(), "merge_mode": st.sampled_from(MERGES),
    "use_bias": st.booleans(), "reset_after": st.booleans(), "go_backwards": st.booleans(),
})
data = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3),
                 st.integers(0, 2**16))


def _layer(spec, *, stateful=False):
    options = {key: spec[key] for key in ("return_sequences", "return_state", "use_bias",
                                          "go_backwards")}
    if spec["kind"] == "GRU":
        options["reset_after"] = spec["reset_after"]
    # Bidirectional(layer) refuses a layer that already reads backwards.
    options["go_backwards"] = spec["go_backwards"] and not spec["bidirectional"]
    layer = getattr(L, spec["kind"])(spec["units"], stateful=stateful, **options)
    if spec["bidirectional"]:
        layer = L.Bidirectional(layer, merge_mode=spec["merge_mode"])
    return layer


# ---------------------------------------------------------------- shapes and counts

@settings(max_examples=EXAMPLES["shapes"])
@given(layers, data)
def test_rnn_output_shape_and_count_params_match_keras(spec, sizes):
    batch, steps, features, _ = sizes
    layer = _layer(spec)
    result = layer(np.zeros((batch, steps, features), dtype="float32"))
    shapes = tuple(tuple(a.shape) for a in _arrays(result))
    predicted = companion.rnn_output_shape(
        (batch, steps, features), spec["units"], layer=spec["kind"],
        return_sequences=spec["return_sequences"], return_state=spec["return_state"],
        bidirectional=spec["bidirectional"], merge_mode=spec["merge_mode"])
    predicted = predicted if isinstance(predicted[0], tuple) else (predicted,)
    assert predicted == shapes
    assert companion.count_params(
        features, spec["units"], layer=spec["kind"], bidirectional=spec["bidirectional"],
        use_bias=spec["use_bias"], reset_after=spec["reset_after"]) == layer.count_params()


# ---------------------------------------------------------------- replay

masks = st.one_of(st.none(), st.integers(0, 2**16))


def _mask(batch, steps, seed):
    if seed is None:
        return None
    mask = np.random.default_rng(seed).uniform(size=(batch, steps)) < 0.7
    mask[:, 0] = True  # Keras's fused paths want each sample to start with a real step
    return mask


@settings(max_examples=EXAMPLES["replay"])
@given(layers, data, masks, st.booleans())
def test_replay_matches_keras(spec, sizes, mask_seed, start):
    batch, steps, features, seed = sizes
    layer = _layer(spec)
    x = _x(batch, steps, features, seed)
    layer.build(x.shape)
    _randomize(layer, seed + 1)
    mask = _mask(batch, steps, mask_seed)
    initial = None
    if start:
        count = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}[spec["kind"]]
        count *= 2 if spec["bidirectional"] else 1
        rng = np.random.default_rng(seed + 2)
        initial = [rng.normal(size=(batch, spec["units"])).astype("float32")
                   for _ in range(count)]
    _close(companion.replay(layer, x, mask, initial_state=initial),
           layer(x, mask=mask, initial_state=initial))


@settings(max_examples=EXAMPLES["replay_states"])
@given(layers, data, masks)
def test_replay_states_equal_final_states_of_each_prefix(spec, sizes, mask_seed):
    batch, steps, features, seed = sizes
    spec = {**spec, "bidirectional": False, "return_state": True}
    layer = _layer(spec)
    x = _x(batch, steps, features, seed)
    layer.build(x.shape)
    _randomize(layer, seed + 1)
    mask = _mask(batch, steps, mask_seed)
    states = companion.replay_states(layer, x, mask)
    k = 1 + seed % steps
    part = slice(steps - k, steps) if spec["go_backwards"] else slice(0, k)
    keras_states = layer(x[:, part], mask=None if mask is None else mask[:, part])[1:]
    _close(tuple(s[:, k - 1] for s in states), keras_states)


@settings(max_examples=EXAMPLES["stateful"])
@given(layers, data, st.integers(1, 3))
def test_stateful_replay_starts_where_keras_left_off(spec, sizes, other):
    batch, steps, features, seed = sizes
    # Keras 3.15.1 cannot call a stateful Bidirectional with return_state=True at all
    # (Bidirectional.compute_mask multiplies a generator: TypeError), so none is drawn.
    spec = {**spec, "return_state": spec["return_state"] and not spec["bidirectional"]}
    layer = _layer(spec, stateful=True)
    layer.build((batch, steps, features))
    _randomize(layer, seed + 1)
    layer(_x(batch, steps, features, seed + 2))  # moves the states on
    x = _x(batch, steps, features, seed)
    _close(companion.replay(layer, x), layer(x))
    if other != batch:  # Keras refuses another batch size; so does replay
        wrong = _x(other, steps, features, seed)
        with pytest.raises(ValueError):
            layer(wrong)
        with pytest.raises(ValueError, match="stateful"):
            companion.replay(layer, wrong)
        start = [np.zeros((other, spec["units"]), dtype="float32")] * (
            (2 if spec["kind"] == "LSTM" else 1) * (2 if spec["bidirectional"] else 1))
        with pytest.raises(ValueError, match="stateful"):
            companion.replay(layer, wrong, initial_state=start)


# ---------------------------------------------------------------- stacks

specs = st.one_of(
    st.fixed_dictionaries({"layer": st.sampled_from(KINDS), "units": st.integers(1, 4),
                           "return_sequences": st.booleans(),
                           "bidirectional": st.booleans(),
                           "merge_mode": st.sampled_from(MERGES)}),
    st.fixed_dictionaries({"layer": st.sampled_from(["Dense", "TimeDistributed"]),
                           "units": st.integers(1, 4)}),
    st.fixed_dictionaries({"layer": st.just("RepeatVector"), "n": st.integers(1, 3)}),
    st.fixed_dictionaries({"layer": st.sampled_from(["Flatten", "Dropout"])}),
)


def keras_stack(layer_specs, input_shape):
    """A function building the functional Keras model of a ``predict_stack`` spec."""
    def make():
        tensor = inputs = keras.Input(input_shape)
        for spec in layer_specs:
            kind = spec["layer"]
            if kind in KINDS:
                layer = getattr(L, kind)(spec["units"],
                                         return_sequences=spec.get("return_sequences", False))
                if spec.get("bidirectional"):
                    layer = L.Bidirectional(layer, merge_mode=spec.get("merge_mode", "concat"))
            elif kind == "RepeatVector":
                layer = L.RepeatVector(spec["n"])
            elif kind == "TimeDistributed":
                layer = L.TimeDistributed(L.Dense(spec["units"]))
            elif kind == "Dense":
                layer = L.Dense(spec["units"])
            else:
                layer = getattr(L, kind)(**({"rate": 0.5} if kind == "Dropout" else {}))
            tensor = layer(tensor)
        return keras.Model(inputs, tensor)
    return make


def _built(make):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make()
    except Exception:  # Keras refuses the stack: ValueError, TypeError
        return None


@settings(max_examples=EXAMPLES["stack"])
@given(st.lists(specs, min_size=1, max_size=3), st.integers(1, 4), st.integers(1, 3))
def test_predict_stack_and_trace_shapes_match_keras(layer_specs, steps, features):
    trace = companion.predict_stack((steps, features), layer_specs)
    model = _built(keras_stack(layer_specs, (steps, features)))
    assert trace.ok == (model is not None), str(trace)
    if model is None:
        assert not diagnose(layer_specs, input_shape=(steps, features)).ok
        return
    traced = companion.trace_shapes(model)
    assert [(r.output_shape, r.params) for r in trace.rows] == [
        (r.output_shape, r.params) for r in traced.rows]
    assert diagnose(layer_specs, input_shape=(steps, features)).ok


# ---------------------------------------------------------------- diagnose verdicts

SPARSE = "sparse_categorical_crossentropy"


@settings(max_examples=EXAMPLES["diagnose"])
@given(st.lists(st.sampled_from([1, 3]), min_size=1, max_size=2),
       st.lists(st.sampled_from([1, 3]), min_size=0, max_size=2),
       st.sampled_from([SPARSE, "mse", "categorical_crossentropy", "binary_crossentropy"]))
@example([3, 1], [3], SPARSE)  # the three shapes issue 22's audit found wrong
@example([3], [1, 1], SPARSE)
@example([3, 1], [1], SPARSE)
def test_diagnose_target_verdicts_match_evaluate(output, target, loss):
    keras.backend.clear_session()
    inputs = keras.Input((3, 2))
    flat = L.Dense(math.prod(output))(L.Flatten()(inputs))
    model = keras.Model(inputs, L.Reshape(tuple(output))(flat))
    model.compile("sgd", loss)
    x = np.zeros((4, 3, 2), dtype="float32")
    y = np.zeros((4, *target), dtype="float32")
    report = diagnose(model, x, y)
    says = "runs" if report.ok else dict(report[0].keras).get("evaluate")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.evaluate(x, y, verbose=0)
        got = "runs"
    except Exception:  # the loss's ValueError or TensorFlow's InvalidArgumentError
        got = "raises"
    assert says in (got, None), str(report)


# ---------------------------------------------------------------- to_torch

@settings(max_examples=EXAMPLES["to_torch"])
@given(layers, data, st.booleans())
def test_to_torch_matches_keras_or_refuses(spec, sizes, swap):
    torch = pytest.importorskip("torch")
    batch, steps, features, seed = sizes
    spec = {**spec, "return_sequences": True, "return_state": False, "go_backwards": False,
            # mostly the one merge mode PyTorch has, so that most pairs convert
            "merge_mode": spec["merge_mode"] if seed % 4 == 0 else "concat"}
    if spec["bidirectional"] and swap:  # a pair Keras accepts: forward reads backwards
        make = getattr(L, spec["kind"])
        layer = L.Bidirectional(make(spec["units"], return_sequences=True,
                                     go_backwards=True),
                                backward_layer=make(spec["units"], return_sequences=True),
                                merge_mode=spec["merge_mode"])
    else:
        layer = _layer(spec)
    x = _x(batch, steps, features, seed)
    layer.build(x.shape)
    _randomize(layer, seed + 1)
    try:
        module = companion.to_torch(layer)
    except ValueError as error:
        assert "cannot convert" in str(error)
        return
    with torch.no_grad():
        output = module(torch.from_numpy(x))[0].numpy()
    _close(output, layer(x))
