"""Tests for companion.stack: predicted stacks agree with the models Keras builds."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion._validate import LAYERS, MERGE_MODES
from companion.shapes import rnn_output_shape
from companion.stack import SPEC_KEYS, ShapeTrace, predict_stack, trace_shapes

SOURCE_STACK = [
    {"layer": "LSTM", "units": 64, "return_sequences": True},
    {"layer": "LSTM", "units": 64},
    {"layer": "Dense", "units": 1},
]
MISSING_RETURN_SEQUENCES = [
    {"layer": "LSTM", "units": 64},
    {"layer": "LSTM", "units": 64},
    {"layer": "Dense", "units": 1},
]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def keras_stack(keras, input_shape, specs):
    """Build the keras.Sequential model that a list of specs describes."""
    batch, steps, features = input_shape if len(input_shape) == 3 else (None, *input_shape)
    layers = [keras.Input(shape=(steps, features), batch_size=batch)]
    for spec in specs:
        kind = spec["layer"]
        if kind in LAYERS:
            flags = {key: spec[key] for key in ("return_sequences", "use_bias", "reset_after")
                     if key in spec}
            layer = getattr(keras.layers, kind)(spec["units"], **flags)
            if spec.get("bidirectional", False):
                layer = keras.layers.Bidirectional(
                    layer, merge_mode=spec.get("merge_mode", "concat"))
        elif kind == "Dense":
            layer = keras.layers.Dense(spec["units"], use_bias=spec.get("use_bias", True))
        elif kind == "TimeDistributed":
            layer = keras.layers.TimeDistributed(
                keras.layers.Dense(spec["units"], use_bias=spec.get("use_bias", True)))
        elif kind == "RepeatVector":
            layer = keras.layers.RepeatVector(spec["n"])
        elif kind == "Flatten":
            layer = keras.layers.Flatten()
        else:
            layer = keras.layers.Dropout(spec.get("rate", 0.5))
        layers.append(layer)
    return keras.Sequential(layers)


# ---------------------------------------------------------------- agreement with Keras

STACKS = {
    "source-document": ((10, 32), SOURCE_STACK),
    "deep-mixed": ((None, 12, 6), [
        {"layer": "LSTM", "units": 16, "return_sequences": True},
        {"layer": "GRU", "units": 12, "return_sequences": True},
        {"layer": "SimpleRNN", "units": 8, "return_sequences": True},
        {"layer": "LSTM", "units": 4},
        {"layer": "Dense", "units": 2},
    ]),
    "gru-simplernn-flags": ((4, 9, 3), [
        {"layer": "GRU", "units": 10, "return_sequences": True, "reset_after": False},
        {"layer": "SimpleRNN", "units": 5, "use_bias": False},
        {"layer": "Dense", "units": 3, "use_bias": False},
    ]),
    "unknown-timesteps": ((None, None, 5), [
        {"layer": "GRU", "units": 6, "return_sequences": True},
        {"layer": "TimeDistributed", "units": 2},
    ]),
    "bidirectional-merge-none-last": ((7, 3), [
        {"layer": "GRU", "units": 4, "return_sequences": True, "bidirectional": True,
         "merge_mode": None},
    ]),
    "bidirectional-then-dropout-keeps-both": ((7, 3), [
        {"layer": "LSTM", "units": 4, "bidirectional": True, "merge_mode": None},
        {"layer": "Dropout", "rate": 0.1},
    ]),
    "encoder-decoder-repeatvector": ((None, 8, 4), [
        {"layer": "LSTM", "units": 16},
        {"layer": "RepeatVector", "n": 5},
        {"layer": "LSTM", "units": 16, "return_sequences": True},
        {"layer": "TimeDistributed", "units": 2},
    ]),
    "dense-on-3d-input": ((10, 3), [
        {"layer": "Dense", "units": 8},
        {"layer": "LSTM", "units": 4, "return_sequences": True},
        {"layer": "Dense", "units": 1},
    ]),
    "timedistributed-head": ((6, 2), [
        {"layer": "SimpleRNN", "units": 6, "return_sequences": True},
        {"layer": "TimeDistributed", "units": 3, "use_bias": False},
    ]),
    "flatten-then-dense": ((32, 10, 3), [
        {"layer": "LSTM", "units": 4, "return_sequences": True},
        {"layer": "Flatten"},
        {"layer": "Dense", "units": 1},
    ]),
    "dropout-between-layers": ((5, 3), [
        {"layer": "LSTM", "units": 8, "return_sequences": True},
        {"layer": "Dropout", "rate": 0.2},
        {"layer": "LSTM", "units": 8},
        {"layer": "Dropout"},
        {"layer": "Dense", "units": 1},
    ]),
}
STACKS.update({
    f"bidirectional-{merge}": ((None, 9, 4), [
        {"layer": layer, "units": 5, "return_sequences": True, "bidirectional": True,
         "merge_mode": merge},
        {"layer": layer, "units": 3, "bidirectional": True, "merge_mode": merge},
        {"layer": "Dense", "units": 1},
    ])
    for merge, layer in zip(["concat", "sum", "mul", "ave"], ["LSTM", "GRU", "SimpleRNN",
                                                             "LSTM"], strict=True)
})


@pytest.mark.keras
@pytest.mark.parametrize("name", list(STACKS))
def test_prediction_equals_the_trace_of_the_built_model(keras, name):
    input_shape, specs = STACKS[name]
    predicted = predict_stack(input_shape, specs)
    model = keras_stack(keras, input_shape, specs)
    traced = trace_shapes(model)

    assert predicted.ok and traced.ok
    assert predicted == traced
    assert predicted.to_rows() == traced.to_rows()
    assert str(predicted) == str(traced)
    assert predicted.total_params == model.count_params()
    assert predicted.output_shape == traced.output_shape


def test_source_document_stack_by_the_rules():
    trace = predict_stack((10, 32), SOURCE_STACK)
    first = rnn_output_shape((None, 10, 32), 64, return_sequences=True)
    second = rnn_output_shape(first, 64)
    assert [row.output_shape for row in trace.rows] == [first, second, (None, 1)]
    assert [row.layer for row in trace.rows] == ["LSTM", "LSTM", "Dense"]
    assert trace.rows[2].params == 64 * 1 + 1


@pytest.mark.parametrize("shape", [(10, 32), [10, 32], (None, 10, 32)],
                         ids=["keras-input-shape", "list", "with-batch"])
def test_two_entry_input_shape_means_unknown_batch(shape):
    assert predict_stack(shape, SOURCE_STACK).rows[0].output_shape == (None, 10, 64)


@pytest.mark.parametrize(("units", "width"), [(4, 4), (7, 7)])
def test_dense_on_3d_input_maps_every_timestep(units, width):
    trace = predict_stack((5, 11, 3), [{"layer": "Dense", "units": units}])
    assert trace.output_shape == (5, 11, width)
    assert trace.total_params == 3 * units + units


# ---------------------------------------------------------------- stacks Keras refuses

FAILING = {
    "missing-return-sequences": (
        (10, 32), MISSING_RETURN_SEQUENCES, 2,
        "expected 3-D input (batch_size, timesteps, features), got (None, 64): "
        "set return_sequences=True on layer 1 (LSTM)"),
    "missing-return-sequences-behind-dropout": (
        (10, 32), [{"layer": "GRU", "units": 8, "bidirectional": True},
                   {"layer": "Dropout"}, {"layer": "LSTM", "units": 4}], 3,
        "got (None, 16): set return_sequences=True on layer 1 (Bidirectional(GRU))"),
    "repeatvector-on-sequences": (
        (10, 32), [{"layer": "LSTM", "units": 6, "return_sequences": True},
                   {"layer": "RepeatVector", "n": 3}], 2,
        "expected 2-D input (batch_size, features), got (None, 10, 6): "
        "set return_sequences=False on layer 1 (LSTM)"),
    "timedistributed-on-last-state": (
        (10, 32), [{"layer": "LSTM", "units": 6}, {"layer": "TimeDistributed", "units": 1}],
        2, "set return_sequences=True on layer 1 (LSTM)"),
    "recurrent-after-flatten": (
        (10, 4), [{"layer": "Flatten"}, {"layer": "SimpleRNN", "units": 3}], 2,
        "got (None, 40): this layer needs a timesteps axis: put RepeatVector"),
    "merge-none-then-lstm": (
        (10, 4), [{"layer": "LSTM", "units": 3, "return_sequences": True,
                   "bidirectional": True, "merge_mode": None},
                  {"layer": "LSTM", "units": 3}], 2,
        'expected one input tensor, got 2 .* set merge_mode="concat"'),
    "flatten-over-unknown-timesteps": (
        (None, 4), [{"layer": "Flatten"}, {"layer": "Dense", "units": 1}], 2,
        r"the last axis \(features\) of the input must be known, got \(None, None\)"),
}


@pytest.mark.parametrize("name", list(FAILING))
def test_refused_stack_names_the_problem_and_stops(name):
    input_shape, specs, failing, message = FAILING[name]
    trace = predict_stack(input_shape, specs)
    assert not trace.ok
    assert trace.total_params is None and trace.output_shape is None
    row = trace.rows[failing - 1]
    assert re.search(message if "*" in message or "\\" in message else re.escape(message),
                     row.problem)
    assert row.output_shape is None and row.params is None
    assert all(r.computed and r.problem is None for r in trace.rows[: failing - 1])
    assert all(not r.computed and r.problem is None for r in trace.rows[failing:])


def test_missing_return_sequences_gives_the_exact_message():
    trace = predict_stack((10, 32), MISSING_RETURN_SEQUENCES)
    assert trace.rows[1].problem == (
        "expected 3-D input (batch_size, timesteps, features), got (None, 64): "
        "set return_sequences=True on layer 1 (LSTM)")
    assert trace.problem.startswith("layer 2 (LSTM) fails: expected 3-D input")
    assert str(trace).splitlines()[-1] == f"Problem: {trace.problem}"


@pytest.mark.keras
@pytest.mark.parametrize("name", list(FAILING))
def test_keras_really_refuses_the_stacks_predicted_to_fail(keras, name):
    input_shape, specs, _, _ = FAILING[name]
    with pytest.raises(ValueError):
        keras_stack(keras, input_shape, specs)


# Random stacks from a small vocabulary: the prediction must agree with Keras whether
# Keras builds them or refuses them.
layer_specs = st.one_of(
    st.builds(lambda kind, units, seq, bi, merge: {
        "layer": kind, "units": units, "return_sequences": seq, "bidirectional": bi,
        "merge_mode": merge},
        st.sampled_from(LAYERS), st.integers(1, 4), st.booleans(), st.booleans(),
        st.sampled_from(MERGE_MODES)),
    st.builds(lambda units: {"layer": "Dense", "units": units}, st.integers(1, 3)),
    st.builds(lambda units: {"layer": "TimeDistributed", "units": units}, st.integers(1, 3)),
    st.builds(lambda n: {"layer": "RepeatVector", "n": n}, st.integers(1, 3)),
    st.just({"layer": "Flatten"}),
    st.just({"layer": "Dropout", "rate": 0.1}),
)


@pytest.mark.keras
@settings(max_examples=50)
@given(steps=st.one_of(st.none(), st.integers(1, 4)), features=st.integers(1, 3),
       specs=st.lists(layer_specs, min_size=1, max_size=4))
def test_random_stacks_agree_with_keras_including_refusals(keras, steps, features, specs):
    predicted = predict_stack((steps, features), specs)
    try:
        model = keras_stack(keras, (steps, features), specs)
    except ValueError:
        assert not predicted.ok
    else:
        assert predicted == trace_shapes(model)


# ---------------------------------------------------------------- trace_shapes


@pytest.mark.keras
def test_trace_lists_every_layer_of_a_functional_model_with_several_inputs(keras):
    left, right = keras.Input(shape=(6, 3)), keras.Input(shape=(4, 2))
    merged = keras.layers.Concatenate()([keras.layers.LSTM(5)(left),
                                         keras.layers.GRU(7)(right)])
    model = keras.Model([left, right], keras.layers.Dense(1)(merged))
    trace = trace_shapes(model)
    assert [row.layer for row in trace.rows] == ["LSTM", "GRU", "Concatenate", "Dense"]
    assert [row.output_shape for row in trace.rows] == [
        rnn_output_shape((None, 6, 3), 5), rnn_output_shape((None, 4, 2), 7, layer="GRU"),
        (None, 12), (None, 1)]
    assert trace.total_params == model.count_params()
    assert [row.index for row in trace.rows] == [1, 2, 3, 4]


@pytest.mark.keras
def test_trace_keeps_layer_names_out_of_the_table(keras):
    model = keras.Sequential([keras.Input(shape=(5, 2)),
                              keras.layers.LSTM(3, name="encoder_lstm"),
                              keras.layers.Dense(1, name="head")])
    trace = trace_shapes(model)
    assert trace.names == ("encoder_lstm", "head")
    assert "encoder_lstm" not in str(trace) and "head" not in str(trace)


@pytest.mark.keras
def test_trace_of_a_model_built_with_build(keras):
    model = keras.Sequential([keras.layers.GRU(3, return_sequences=True),
                              keras.layers.TimeDistributed(keras.layers.Dense(2))])
    model.build((None, 7, 4))
    assert trace_shapes(model) == predict_stack((7, 4), [
        {"layer": "GRU", "units": 3, "return_sequences": True},
        {"layer": "TimeDistributed", "units": 2}])


@pytest.mark.keras
def test_trace_rejects_an_unbuilt_model(keras):
    model = keras.Sequential([keras.layers.LSTM(4)])
    with pytest.raises(ValueError, match=r"not built.*keras\.Input.*model\.build"):
        trace_shapes(model)


@pytest.mark.keras
def test_trace_rejects_a_bare_layer_and_suggests_sequential(keras):
    with pytest.raises(TypeError, match=r"got LSTM: wrap it in keras\.Sequential"):
        trace_shapes(keras.layers.LSTM(4))


@pytest.mark.parametrize("thing", [None, "model", [1, 2], SOURCE_STACK],
                         ids=["None", "str", "list", "spec-list"])
def test_trace_rejects_what_is_not_a_model(thing):
    with pytest.raises(TypeError, match=r"expected a Keras model .*predict_stack"):
        trace_shapes(thing)


# ---------------------------------------------------------------- ShapeTrace


def test_table_has_no_ansi_codes_and_aligned_columns():
    trace = predict_stack((None, 10, 32), STACKS["bidirectional-concat"][1])
    text = str(trace)
    assert "\x1b" not in text and text.isascii()
    lines = text.splitlines()
    header, rule = lines[0], lines[1]
    rows = lines[2: 2 + len(trace.rows)]
    assert set(rule) == {"-"} and len(rule) == len(header) == lines[2 + len(trace.rows)].__len__()
    shape_column = header.index("output shape")
    for line, row in zip(rows, trace.rows, strict=True):
        assert line[shape_column:].startswith(repr(row.output_shape))
        assert line.endswith(f"{row.params:,}")
        assert len(line) == len(header)  # params are right-aligned under the header
    assert lines[-1] == f"Total params: {trace.total_params:,}"
    assert all(line == line.rstrip() for line in lines)


def test_table_is_the_repr_and_deterministic():
    first = predict_stack((10, 32), SOURCE_STACK)
    second = predict_stack((10, 32), SOURCE_STACK)
    assert repr(first) == str(first) == str(second)


def test_failing_table_marks_the_failure_and_the_rows_not_computed():
    lines = str(predict_stack((10, 32), MISSING_RETURN_SEQUENCES)).splitlines()
    assert re.fullmatch(r"2\s+LSTM\s+\(fails\)\s+-", lines[3])
    assert re.fullmatch(r"3\s+Dense\s+\(not computed\)\s+-", lines[4])
    assert lines[-2] == "Total params: unknown (layer 2 fails)"


def test_equality_compares_rows_not_names():
    predicted = predict_stack((10, 32), SOURCE_STACK)
    renamed = dataclasses.replace(predicted, names=("a", "b", "c"))
    assert predicted == renamed and hash(predicted) == hash(renamed)
    assert predicted != predict_stack((10, 32), MISSING_RETURN_SEQUENCES)
    assert predicted != predict_stack((10, 31), SOURCE_STACK)
    assert predicted != predicted.to_rows()


def test_trace_is_immutable():
    trace = predict_stack((10, 32), SOURCE_STACK)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.rows = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.rows[0].params = 0
    assert isinstance(trace.rows, tuple)


def test_to_rows_gives_plain_tuples():
    rows = predict_stack((10, 32), MISSING_RETURN_SEQUENCES).to_rows()
    assert rows[0] == (1, "LSTM", (None, 64), 24832, None)
    assert rows[2] == (3, "Dense", None, None, None)
    assert all(type(row) is tuple for row in rows)


def test_specs_are_case_insensitive_and_labels_are_keras_class_names():
    trace = predict_stack((4, 2), [{"layer": "gru", "units": 3, "bidirectional": True,
                                    "return_sequences": True},
                                   {"layer": "timedistributed", "units": 1}])
    assert [row.layer for row in trace.rows] == ["Bidirectional(GRU)",
                                                 "TimeDistributed(Dense)"]


def test_shape_trace_is_exported_from_the_package():
    import companion

    assert companion.ShapeTrace is ShapeTrace
    assert companion.predict_stack is predict_stack


# ---------------------------------------------------------------- malformed specs

BAD_SPECS = [
    ("not-a-list", "LSTM", TypeError, "list of dicts"),
    ("a-dict", {"layer": "LSTM", "units": 4}, TypeError, "list of dicts"),
    ("none", None, TypeError, "list of dicts"),
    ("empty", [], ValueError, "at least one layer"),
    ("entry-not-dict", ["LSTM"], TypeError, "layer 1 to be a dict"),
    ("no-layer-key", [{"units": 4}], ValueError, "'layer' key"),
    ("unknown-layer", [{"layer": "Conv1D"}], ValueError,
     "unknown layer 'Conv1D'.*'LSTM', 'GRU', 'SimpleRNN', 'Dense', 'TimeDistributed'"),
    ("layer-not-str", [{"layer": 3}], ValueError, "unknown layer 3"),
    ("unknown-key", [{"layer": "LSTM", "units": 4, "return_state": True}], ValueError,
     "unknown key.*'return_state'.*accepts 'layer', 'units'"),
    ("reset-after-on-lstm", [{"layer": "LSTM", "units": 4, "reset_after": True}], ValueError,
     "'reset_after'"),
    ("missing-units", [{"layer": "GRU"}], ValueError, "needs 'units'"),
    ("missing-n", [{"layer": "RepeatVector"}], ValueError, "needs 'n'"),
    ("float-units", [{"layer": "LSTM", "units": 3.0}], TypeError, "units of layer 1"),
    ("bool-units", [{"layer": "Dense", "units": True}], TypeError, "units of layer 1"),
    ("zero-n", [{"layer": "RepeatVector", "n": 0}], ValueError, "n of layer 1"),
    ("str-flag", [{"layer": "LSTM", "units": 2, "return_sequences": "yes"}], TypeError,
     "return_sequences of layer 1"),
    ("bad-merge", [{"layer": "LSTM", "units": 2, "bidirectional": True,
                    "merge_mode": "max"}], ValueError, "merge_mode of layer 1"),
    ("bad-rate", [{"layer": "Dropout", "rate": 1.5}], ValueError, "rate of layer 1"),
    ("str-rate", [{"layer": "Dropout", "rate": "0.2"}], TypeError, "rate of layer 1"),
    ("second-bad", [{"layer": "LSTM", "units": 2}, {"layer": "Dense", "units": -1}],
     ValueError, "units of layer 2"),
]


@pytest.mark.parametrize(("layers", "error", "match"), [case[1:] for case in BAD_SPECS],
                         ids=[case[0] for case in BAD_SPECS])
def test_malformed_specs_raise_naming_what_is_allowed(layers, error, match):
    with pytest.raises(error, match=match):
        predict_stack((10, 32), layers)


def test_malformed_specs_raise_even_after_a_failing_layer():
    with pytest.raises(TypeError, match="units of layer 3"):
        predict_stack((10, 32), [*MISSING_RETURN_SEQUENCES[:2], {"layer": "Dense",
                                                                  "units": "1"}])


@pytest.mark.parametrize(("shape", "error", "match"), [
    ((5,), ValueError, r"\(timesteps, features\) as given to keras\.Input"),
    ((1, 2, 3, 4), ValueError, "or \\(timesteps, features\\)"),
    ("10, 32", TypeError, "expected input_shape to be a tuple"),
    ((10, None), TypeError, "features in input_shape"),
    ((0, 32), ValueError, "timesteps in input_shape"),
], ids=["1-D", "4-D", "str", "unknown-features", "zero-timesteps"])
def test_bad_input_shape_raises(shape, error, match):
    with pytest.raises(error, match=match):
        predict_stack(shape, SOURCE_STACK)


garbage = st.one_of(
    st.integers(-3, 100), st.floats(), st.text(max_size=6), st.none(), st.booleans(),
    st.sampled_from(MERGE_MODES), st.builds(np.int64, st.integers(-3, 9)),
    st.builds(np.float64, st.floats(-3, 9)), st.builds(np.bool_, st.booleans()),
    st.builds(np.zeros, st.integers(0, 3)), st.lists(st.integers(-1, 3), max_size=3),
    st.tuples(st.integers(-1, 3), st.none()),
)
every_key = st.sampled_from(sorted({key for keys in SPEC_KEYS.values() for key in keys}
                                   | {"return_state", "name"}))
spec_garbage = st.one_of(
    garbage,
    st.dictionaries(every_key, st.one_of(garbage, st.sampled_from(list(SPEC_KEYS))),
                    max_size=5),
    st.fixed_dictionaries({"layer": st.sampled_from(list(SPEC_KEYS))},
                          optional={"units": garbage, "n": garbage, "rate": garbage,
                                    "return_sequences": garbage, "bidirectional": garbage,
                                    "merge_mode": garbage, "use_bias": garbage}),
)


@given(input_shape=st.one_of(garbage, st.tuples(garbage, garbage),
                             st.tuples(garbage, garbage, garbage)),
       layers=st.one_of(garbage, st.lists(spec_garbage, max_size=4)))
def test_garbage_raises_only_value_or_type_errors(input_shape, layers):
    try:
        trace = predict_stack(input_shape, layers)
    except (ValueError, TypeError) as error:
        assert "expected" in str(error) or "unknown" in str(error) or "needs" in str(error)
    else:
        assert isinstance(trace, ShapeTrace) and len(trace.rows) == len(layers)
        str(trace)
