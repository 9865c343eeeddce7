"""Tests for companion.shapes: every rule is cross-checked against Keras itself."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import shapes
from companion._validate import LAYERS, MERGE_MODES
from companion.shapes import count_params, rnn_output_shape

# Small concrete sizes for the real forward pass: batch_size, timesteps, features, units.
BATCH, STEPS, FEATURES, UNITS = 2, 3, 5, 4


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def keras_layer(keras, layer, units, *, return_sequences=False, return_state=False,
                bidirectional=False, merge_mode="concat", **kwargs):
    """The Keras object that rnn_output_shape describes."""
    cell = getattr(keras.layers, layer)(units, return_sequences=return_sequences,
                                        return_state=return_state, **kwargs)
    if bidirectional:
        return keras.layers.Bidirectional(cell, merge_mode=merge_mode)
    return cell


def shape_of(result):
    """Shape tuple of one tensor, or a tuple of shape tuples for several."""
    if isinstance(result, (list, tuple)):
        return tuple(tuple(t.shape) for t in result)
    return tuple(result.shape)


# ---------------------------------------------------------------- agreement with Keras

COMBOS = list(itertools.product(LAYERS, (False, True), (False, True), (False, True),
                                MERGE_MODES))


def combo_id(combo):
    layer, sequences, state, bidirectional, merge = combo
    return (f"{layer}-seq{int(sequences)}-state{int(state)}-bi{int(bidirectional)}-"
            f"{merge}")


@pytest.mark.keras
@pytest.mark.parametrize("combo", COMBOS, ids=[combo_id(c) for c in COMBOS])
def test_matches_keras_compute_output_shape_and_real_outputs(keras, combo):
    layer, sequences, state, bidirectional, merge = combo
    flags = dict(return_sequences=sequences, return_state=state,
                 bidirectional=bidirectional, merge_mode=merge)
    predicted = rnn_output_shape((BATCH, STEPS, FEATURES), UNITS, layer=layer, **flags)
    built = keras_layer(keras, layer, UNITS, **flags)

    assert predicted == built.compute_output_shape((BATCH, STEPS, FEATURES))
    inputs = np.zeros((BATCH, STEPS, FEATURES), dtype="float32")
    assert predicted == shape_of(built(inputs))


def test_returns_plain_tuples_all_the_way_down():
    result = rnn_output_shape([None, 7, 3], 2, bidirectional=True, merge_mode=None,
                              return_state=True, return_sequences=True)
    assert type(result) is tuple
    assert all(type(shape) is tuple for shape in result)


def test_merge_mode_is_ignored_without_bidirectional():
    plain = rnn_output_shape((8, 5, 3), 4, return_state=True)
    for merge in MERGE_MODES:
        assert rnn_output_shape((8, 5, 3), 4, return_state=True, merge_mode=merge) == plain


sizes = st.one_of(st.none(), st.integers(1, 512))


@pytest.mark.keras
@settings(max_examples=40)
@given(batch=sizes, steps=sizes, features=st.integers(1, 512), units=st.integers(1, 256),
       layer=st.sampled_from(LAYERS), sequences=st.booleans(), state=st.booleans(),
       bidirectional=st.booleans(), merge=st.sampled_from(MERGE_MODES))
def test_matches_keras_for_any_sizes_including_unknown_ones(
        keras, batch, steps, features, units, layer, sequences, state, bidirectional, merge):
    flags = dict(return_sequences=sequences, return_state=state,
                 bidirectional=bidirectional, merge_mode=merge)
    shape = (batch, steps, features)
    expected = keras_layer(keras, layer, units, **flags).compute_output_shape(shape)
    assert rnn_output_shape(shape, units, layer=layer, **flags) == expected


@given(batch=sizes, steps=sizes, features=st.integers(1, 512), units=st.integers(1, 512),
       layer=st.sampled_from(LAYERS))
def test_sequence_output_keeps_batch_and_timesteps_and_swaps_features_for_units(
        batch, steps, features, units, layer):
    last = rnn_output_shape((batch, steps, features), units, layer=layer)
    every = rnn_output_shape((batch, steps, features), units, layer=layer,
                             return_sequences=True)
    assert last == (batch, units)
    assert every == (batch, steps, units)


@pytest.mark.keras
def test_accepts_numpy_integers_and_tensorflow_shapes(keras):
    import tensorflow as tf

    numpy_sizes = (np.int64(4), np.int32(6), np.int16(3))
    assert rnn_output_shape(numpy_sizes, np.int64(2)) == (4, 2)
    assert rnn_output_shape(tf.zeros((4, 6, 3)).shape, 2) == (4, 2)
    assert rnn_output_shape((4, 6, 3), 2, return_sequences=np.True_) == (4, 6, 2)


# ---------------------------------------------------------------- parameter counts

PARAM_CASES = [
    (layer, bidirectional, use_bias, reset_after)
    for layer in LAYERS
    for bidirectional in (False, True)
    for use_bias in (True, False)
    for reset_after in ((True, False) if layer == "GRU" else (True,))
]


def param_id(case):
    layer, bidirectional, use_bias, reset_after = case
    extra = f"-reset_after{int(reset_after)}" if layer == "GRU" else ""
    return f"{layer}-bi{int(bidirectional)}-bias{int(use_bias)}{extra}"


@pytest.mark.keras
@pytest.mark.parametrize("case", PARAM_CASES, ids=[param_id(c) for c in PARAM_CASES])
@pytest.mark.parametrize(("features", "units"), [(1, 1), (7, 3), (32, 64)],
                         ids=["1x1", "7x3", "32x64"])
def test_count_params_matches_keras(keras, case, features, units):
    layer, bidirectional, use_bias, reset_after = case
    kwargs = {"use_bias": use_bias}
    if layer == "GRU":
        kwargs["reset_after"] = reset_after
    built = keras_layer(keras, layer, units, bidirectional=bidirectional, **kwargs)
    built.build((None, None, features))
    predicted = count_params(features, units, layer=layer, bidirectional=bidirectional,
                             use_bias=use_bias, reset_after=reset_after)
    assert predicted == built.count_params()


@given(features=st.integers(1, 300), units=st.integers(1, 300),
       layer=st.sampled_from(LAYERS), use_bias=st.booleans())
def test_bidirectional_doubles_the_parameters(features, units, layer, use_bias):
    one = count_params(features, units, layer=layer, use_bias=use_bias)
    two = count_params(features, units, layer=layer, use_bias=use_bias, bidirectional=True)
    assert two == 2 * one


@given(features=st.integers(1, 300), units=st.integers(1, 300), use_bias=st.booleans())
def test_reset_after_only_changes_gru(features, units, use_bias):
    for layer in ("LSTM", "SimpleRNN"):
        assert (count_params(features, units, layer=layer, reset_after=True, use_bias=use_bias)
                == count_params(features, units, layer=layer, reset_after=False,
                                use_bias=use_bias))
    with_second_bias = count_params(features, units, layer="GRU", reset_after=True)
    assert with_second_bias - count_params(features, units, layer="GRU",
                                           reset_after=False) == 3 * units


def test_layer_tables_cover_every_layer():
    assert set(shapes.WEIGHT_BLOCKS) == set(LAYERS) == set(shapes.STATES)


@pytest.mark.keras
@pytest.mark.parametrize("layer", LAYERS)
def test_weight_blocks_are_the_kernel_width_over_units(layer):
    import keras

    units = 3
    built = getattr(keras.layers, layer)(units)
    built.build((2, 5, 4))
    kernel = built.cell.kernel
    assert tuple(kernel.shape) == (4, shapes.WEIGHT_BLOCKS[layer] * units)


def test_old_gates_name_is_gone():
    assert not hasattr(shapes, "GATES")


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("shape", [(32, 64), [None, 64]], ids=["tuple", "list"])
def test_rejects_2d_input_and_suggests_return_sequences(shape):
    with pytest.raises(ValueError, match=r"return_sequences=True"):
        rnn_output_shape(shape, 4)


@pytest.mark.parametrize("shape", [(), (5,), (1, 2, 3, 4)], ids=["0-D", "1-D", "4-D"])
def test_rejects_other_ranks_naming_the_expected_axes(shape):
    with pytest.raises(ValueError, match=r"3-D .*\(batch_size, timesteps, features\)"):
        rnn_output_shape(shape, 4)


@pytest.mark.parametrize("shape", ["(32, 10, 8)", 8, None, {32, 10, 8}, np.zeros((2, 3, 4))],
                         ids=["str", "int", "None", "set", "array"])
def test_rejects_a_shape_that_is_not_a_tuple(shape):
    with pytest.raises(TypeError, match=r"expected input_shape to be a tuple"):
        rnn_output_shape(shape, 4)


@pytest.mark.parametrize(("shape", "error", "match"), [
    ((0, 10, 8), ValueError, "batch_size"),
    ((32, -1, 8), ValueError, "timesteps"),
    ((32, 10, None), TypeError, "features .* last axis must be known"),
    ((32, 10, 0), ValueError, "features"),
    ((32.0, 10, 8), TypeError, "batch_size"),
    ((32, True, 8), TypeError, "timesteps"),
], ids=["zero-batch", "negative-steps", "unknown-features", "zero-features", "float-batch",
        "bool-steps"])
def test_rejects_bad_sizes_naming_the_axis(shape, error, match):
    with pytest.raises(error, match=match):
        rnn_output_shape(shape, 4)


@pytest.mark.parametrize(("units", "error"), [
    (0, ValueError), (-3, ValueError), (True, TypeError), (3.0, TypeError),
    ("64", TypeError), (None, TypeError),
], ids=["zero", "negative", "True", "float", "str", "None"])
def test_rejects_units_that_are_not_positive_integers(units, error):
    with pytest.raises(error, match=r"expected units to be a positive integer"):
        rnn_output_shape((32, 10, 8), units)
    with pytest.raises(error, match=r"expected units to be a positive integer"):
        count_params(8, units)


@pytest.mark.parametrize("layer", ["Conv1D", "lstm2", "", 3, None], ids=str)
def test_rejects_unknown_layer_listing_the_known_ones(layer):
    with pytest.raises(ValueError, match=r"'LSTM', 'GRU', 'SimpleRNN'"):
        rnn_output_shape((32, 10, 8), 4, layer=layer)


def test_layer_names_ignore_case():
    assert rnn_output_shape((2, 3, 4), 5, layer="gru") == (2, 5)
    assert count_params(4, 5, layer="simplernn") == count_params(4, 5, layer="SimpleRNN")


@pytest.mark.parametrize("merge", ["max", "Concat", "none", 0, True], ids=str)
def test_rejects_unknown_merge_mode_listing_the_known_ones(merge):
    with pytest.raises(ValueError, match=r"merge_mode .*'concat', 'sum', 'mul', 'ave', None"):
        rnn_output_shape((32, 10, 8), 4, bidirectional=True, merge_mode=merge)


@pytest.mark.parametrize("name", ["return_sequences", "return_state", "bidirectional"])
@pytest.mark.parametrize("value", [1, "yes", None], ids=["int", "str", "None"])
def test_rejects_flags_that_are_not_bools(name, value):
    with pytest.raises(TypeError, match=rf"{name}=True or {name}=False"):
        rnn_output_shape((32, 10, 8), 4, **{name: value})


def test_count_params_rejects_bad_features_with_a_hint():
    with pytest.raises(ValueError, match="input_features"):
        count_params(0, 4)
    with pytest.raises(TypeError, match="size of the last input axis"):
        count_params(8.0, 4)


# Anything a reader might type: only ValueError or TypeError may come out.
garbage = st.one_of(
    st.integers(-3, 10**6), st.floats(allow_nan=True), st.text(max_size=8), st.none(),
    st.booleans(), st.lists(st.integers(-2, 5), max_size=4),
    st.tuples(st.integers(-2, 5), st.none()), st.tuples(), st.sampled_from(MERGE_MODES),
    st.builds(np.int64, st.integers(-3, 9)), st.builds(np.float32, st.floats(-3, 9)),
    st.builds(np.bool_, st.booleans()), st.builds(np.str_, st.text(max_size=4)),
    st.builds(np.zeros, st.integers(0, 3)),
    st.tuples(st.one_of(st.none(), st.integers(-1, 4), st.text(max_size=2), st.floats()),
              st.one_of(st.none(), st.integers(-1, 4), st.booleans()),
              st.one_of(st.none(), st.integers(-1, 4), st.builds(np.int8, st.integers(0, 4)))),
)
OUTPUT_ARGS = ["input_shape", "units", "layer", "return_sequences", "return_state",
               "bidirectional", "merge_mode"]
PARAM_ARGS = ["input_features", "units", "layer", "bidirectional", "use_bias", "reset_after"]


@pytest.mark.parametrize("argument", OUTPUT_ARGS)
@given(value=garbage)
def test_rnn_output_shape_garbage_raises_only_value_or_type_errors(argument, value):
    kwargs = dict(input_shape=(4, 5, 3), units=2, layer="LSTM", return_sequences=False,
                  return_state=False, bidirectional=True, merge_mode="concat")
    kwargs[argument] = value
    try:
        result = rnn_output_shape(**kwargs)
    except (ValueError, TypeError) as error:
        assert "expected" in str(error)
    else:
        assert isinstance(result, tuple)


@pytest.mark.parametrize("argument", PARAM_ARGS)
@given(value=garbage)
def test_count_params_garbage_raises_only_value_or_type_errors(argument, value):
    kwargs = dict(input_features=3, units=2, layer="GRU", bidirectional=False, use_bias=True,
                  reset_after=True)
    kwargs[argument] = value
    try:
        result = count_params(**kwargs)
    except (ValueError, TypeError) as error:
        assert "expected" in str(error)
    else:
        assert isinstance(result, int) and result > 0
