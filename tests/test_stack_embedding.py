"""Tests for the Embedding first layer of companion.predict_stack, against Keras itself.

Chapter "Put an Embedding in front of a recurrent layer": integer ids
``(batch_size, timesteps)`` become ``(batch_size, timesteps, output_dim)`` with
``input_dim * output_dim`` parameters, and ids with an extra axis make the next
recurrent layer fail. Every case is also built in Keras and read back with
:func:`trace_shapes`.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion._validate import LAYERS
from companion.stack import ShapeTrace, predict_stack, trace_shapes


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def embedding(input_dim=50, output_dim=8, **extra):
    return {"layer": "Embedding", "input_dim": input_dim, "output_dim": output_dim, **extra}


def keras_layer(keras, spec):
    kind = spec["layer"]
    if kind == "Embedding":
        return keras.layers.Embedding(spec["input_dim"], spec["output_dim"],
                                      mask_zero=spec.get("mask_zero", False))
    if kind in LAYERS:
        return getattr(keras.layers, kind)(
            spec["units"], return_sequences=spec.get("return_sequences", False))
    if kind == "TimeDistributed":
        return keras.layers.TimeDistributed(keras.layers.Dense(spec["units"]))
    if kind == "Flatten":
        return keras.layers.Flatten()
    return keras.layers.Dense(spec["units"])


def keras_trace(keras, ids_shape, specs):
    """Build the stack in Keras; a refused layer gives a trace row with its problem."""
    batch, *rest = ids_shape
    inputs = keras.Input(shape=tuple(rest), batch_size=batch, dtype="int32")
    layers = [inputs]
    for spec in specs:
        layers.append(keras_layer(keras, spec))
    try:
        return trace_shapes(keras.Sequential(layers)), None
    except ValueError as error:
        return None, str(error)


tails = st.lists(st.one_of(
    st.builds(lambda kind, units, seq: {"layer": kind, "units": units,
                                        "return_sequences": seq},
              st.sampled_from(LAYERS), st.integers(1, 5), st.booleans()),
    st.builds(lambda units: {"layer": "Dense", "units": units}, st.integers(1, 4)),
), max_size=2)


@settings(max_examples=40)
@given(batch=st.one_of(st.none(), st.integers(1, 4)),
       steps=st.one_of(st.none(), st.integers(1, 6)),
       input_dim=st.integers(1, 300), output_dim=st.integers(1, 20),
       mask_zero=st.booleans(), extra_axis=st.one_of(st.none(), st.integers(1, 2)),
       tail=tails)
def test_embedding_stacks_agree_with_keras(keras, batch, steps, input_dim, output_dim,
                                           mask_zero, extra_axis, tail):
    ids_shape = (batch, steps) if extra_axis is None else (batch, steps, extra_axis)
    specs = [embedding(input_dim, output_dim, mask_zero=mask_zero), *tail]
    predicted = predict_stack(ids_shape, specs)
    built, error = keras_trace(keras, ids_shape, specs)
    if error is None:
        assert predicted.ok, predicted
        assert predicted == built
    else:
        assert not predicted.ok
        failing = next(row.index for row in predicted.rows if row.problem is not None)
        received = predicted.rows[failing - 2].output_shape
        assert f"expected ndim=3, found ndim={len(received)}" in error
        assert f"{received!r}" in predicted.problem


@settings(max_examples=15)
@given(steps=st.integers(1, 50), input_dim=st.integers(1, 300),
       output_dim=st.integers(1, 20))
def test_embedding_params_do_not_depend_on_timesteps(keras, steps, input_dim, output_dim):
    trace = predict_stack((steps,), [embedding(input_dim, output_dim)])
    any_length = predict_stack((None,), [embedding(input_dim, output_dim)])
    layer = keras.layers.Embedding(input_dim, output_dim)
    layer.build((None, steps))
    assert trace.rows[0].output_shape == (None, steps, output_dim)
    assert trace.total_params == any_length.total_params == input_dim * output_dim
    assert layer.count_params() == input_dim * output_dim


def test_keras_input_shape_form_and_full_shape_agree():
    assert predict_stack((7,), [embedding()]) == predict_stack((None, 7), [embedding()])


def test_ids_with_an_extra_axis_name_the_fix():
    trace = predict_stack((None, 7, 1), [embedding(), {"layer": "LSTM", "units": 4}])
    assert trace.rows[0].output_shape == (None, 7, 1, 8)
    assert "x[..., 0]" in trace.problem and "keras.Input(shape=(timesteps,))" in trace.problem


def test_mask_zero_changes_no_shape():
    stack = [{"layer": "LSTM", "units": 4}]
    assert (predict_stack((7,), [embedding(mask_zero=True), *stack])
            == predict_stack((7,), [embedding(), *stack]))


@pytest.mark.parametrize(("shape", "layers", "error", "match"), [
    ((7,), [{"layer": "LSTM", "units": 4}, embedding()], ValueError,
     "Embedding only as the first layer"),
    ((7, 1), [{"layer": "Dense", "units": 2}, embedding()], ValueError,
     "Embedding only as the first layer"),
    ((None, 7, 1, 1), [embedding()], ValueError, r"\(batch_size, timesteps\) of integer ids"),
    ((), [embedding()], ValueError, r"\(timesteps,\) as given to keras.Input"),
    ("7", [embedding()], TypeError, "integer ids"),
    ((None, 7, None), [embedding()], TypeError, "the last axis in input_shape"),
    ((0,), [embedding()], ValueError, "timesteps in input_shape"),
    ((7,), [embedding(input_length=7)], ValueError,
     r"unknown key\(s\) 'input_length'.*keras.Input\(shape=\(timesteps,\)\)"),
    ((7,), [embedding(input_dim=0)], ValueError, "input_dim of layer 1"),
    ((7,), [embedding(output_dim=2.0)], TypeError, "output_dim of layer 1"),
    ((7,), [embedding(mask_zero=1)], TypeError, "mask_zero of layer 1"),
    ((7,), [{"layer": "Embedding", "input_dim": 5}], ValueError, "needs 'output_dim'"),
], ids=["after-lstm", "after-dense", "4-D-ids", "empty-shape", "str-shape",
        "unknown-last-axis", "zero-timesteps", "input_length", "zero-input-dim",
        "float-output-dim", "int-mask-zero", "missing-output-dim"])
def test_out_of_scope_or_malformed_embedding_specs_raise(shape, layers, error, match):
    with pytest.raises(error, match=match):
        predict_stack(shape, layers)


def test_trace_shapes_reads_an_embedding_model(keras):
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                              keras.layers.Embedding(100, 6, mask_zero=True, name="ids"),
                              keras.layers.GRU(3, name="gru")])
    trace = trace_shapes(model)
    assert isinstance(trace, ShapeTrace)
    assert trace.to_rows() == [(1, "Embedding", (None, None, 6), 600, None),
                               (2, "GRU", (None, 3), 3 * 3 * (6 + 3 + 2), None)]
    assert trace == predict_stack((None,), [embedding(100, 6, mask_zero=True),
                                            {"layer": "GRU", "units": 3}])


def test_diagnose_does_not_call_the_4d_embedding_output_a_missing_time_axis():
    import companion

    specs = [embedding(), {"layer": "LSTM", "units": 4}]
    diagnosis = companion.diagnose(specs, input_shape=(None, 7, 1))
    text = str(diagnosis)
    assert "layer 2 (LSTM)" in text and "x[..., 0]" in text
    assert "no time axis" not in text and "ndim=2" not in text
