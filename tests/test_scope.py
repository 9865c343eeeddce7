"""What the shape helpers do with the layers of Part IV: answer right, or refuse.

``rnn_output_shape``, ``count_params``, ``predict_stack``, ``trace_shapes`` and
``diagnose`` each cover part of what Part IV builds (an ``Embedding`` in front, cells
inside, attention on top, convolutional recurrent layers). Inside that part they must
agree with Keras over random sizes; outside it they must refuse with an error that
names what to use instead, never give a wrong answer.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import count_params, rnn_output_shape
from companion._validate import LAYERS, flag
from companion.conv_shapes import convlstm_count_params, convlstm_output_shape
from companion.diagnose import diagnose
from companion.stack import predict_stack, trace_shapes


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


# --- refusals: each names the function or the layer name to use instead -----------

@pytest.mark.parametrize(("name", "instead"), [
    ("ConvLSTM1D", r"companion\.convlstm_output_shape\(\.\.\., rank=1\)"),
    ("ConvLSTM2D", r"companion\.convlstm_output_shape\(\.\.\., rank=2\)"),
    ("convlstm3d", r"companion\.convlstm_count_params\(\.\.\., rank=3\)"),
    ("LSTMCell", 'use "LSTM" instead'),
    ("GRUCell", 'use "GRU" instead'),
    ("SimpleRNNCell", 'use "SimpleRNN" instead'),
    ("StackedRNNCells", r"companion\.trace_shapes\(model\)"),
    ("RNN", r"companion\.trace_shapes\(model\)"),
    ("Attention", r"companion\.trace_shapes\(model\)"),
    ("MultiHeadAttention", r"companion\.trace_shapes\(model\)"),
    ("Bidirectional", "bidirectional=True"),
])
def test_shape_helpers_refuse_part_iv_layers_and_name_the_replacement(name, instead):
    with pytest.raises(ValueError, match=instead):
        rnn_output_shape((2, 5, 3), 4, layer=name)
    with pytest.raises(ValueError, match=instead):
        count_params(3, 4, layer=name)
    with pytest.raises(ValueError, match=f"unknown layer {name!r}.*{instead}"):
        predict_stack((5, 3), [{"layer": name, "units": 4}])
    with pytest.raises(ValueError, match=f"unknown layer {name!r}.*{instead}"):
        diagnose([{"layer": name, "units": 4}], input_shape=(5, 3))


def test_flag_error_names_the_key_not_the_layer():
    with pytest.raises(TypeError, match=r"pass mask_zero=True or mask_zero=False$"):
        flag("mask_zero of layer 1", "yes")
    with pytest.raises(TypeError, match=r"pass mask_zero=True or mask_zero=False$"):
        predict_stack((5,), [{"layer": "Embedding", "input_dim": 9, "output_dim": 2,
                              "mask_zero": 1}])


# --- RNN(cell) is the matching layer: the replacement the refusal names is right ----

@settings(max_examples=12)
@given(layer=st.sampled_from(LAYERS), steps=st.integers(1, 6),
       features=st.integers(1, 6), units=st.integers(1, 6),
       return_sequences=st.booleans(), return_state=st.booleans())
def test_rnn_of_a_builtin_cell_matches_the_layer_name(keras, layer, steps, features,
                                                      units, return_sequences,
                                                      return_state):
    cell = getattr(keras.layers, f"{layer}Cell")(units)
    rnn = keras.layers.RNN(cell, return_sequences=return_sequences,
                           return_state=return_state)
    out = rnn(keras.ops.zeros((2, steps, features)))
    got = (tuple(tuple(t.shape) for t in out) if isinstance(out, (list, tuple))
           else tuple(out.shape))
    assert got == rnn_output_shape((2, steps, features), units, layer=layer,
                                   return_sequences=return_sequences,
                                   return_state=return_state)
    assert rnn.count_params() == count_params(features, units, layer=layer)


@settings(max_examples=10)
@given(layers=st.lists(st.sampled_from(LAYERS), min_size=2, max_size=3),
       widths=st.lists(st.integers(1, 5), min_size=3, max_size=3),
       steps=st.integers(1, 5), features=st.integers(1, 5), return_state=st.booleans())
def test_trace_shapes_reads_stacked_cells_as_keras_builds_them(keras, layers, widths,
                                                              steps, features,
                                                              return_state):
    cells = [getattr(keras.layers, f"{layer}Cell")(width)
             for layer, width in zip(layers, widths, strict=False)]
    model = keras.Sequential([keras.Input((steps, features)),
                              keras.layers.RNN(cells, return_state=return_state)])
    row = trace_shapes(model).rows[0]
    assert row.layer == f"RNN([{', '.join(f'{layer}Cell' for layer in layers)}])"
    # parameters: each cell counted as its own layer, fed by the cell below it
    inputs = [features, *widths[: len(layers) - 1]]
    assert row.params == sum(count_params(size, width, layer=layer) for layer, size, width
                             in zip(layers, inputs, widths, strict=False))
    top = (None, widths[len(layers) - 1])
    if not return_state:
        assert row.output_shape == top
    else:  # the output, then every cell's states, first cell first
        states = [(None, width) for layer, width in zip(layers, widths, strict=False)
                  for _ in range(2 if layer == "LSTM" else 1)]
        assert row.output_shape == (top, *states)


# --- ConvLSTM: trace_shapes reads Keras, conv_shapes predicts it ------------------------

@settings(max_examples=10)
@given(steps=st.integers(1, 4), size=st.integers(3, 9), channels=st.integers(1, 3),
       filters=st.integers(1, 3), kernel=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), return_sequences=st.booleans(),
       return_state=st.booleans())
def test_trace_shapes_of_convlstm2d_agrees_with_conv_shapes(keras, steps, size, channels,
                                                           filters, kernel, padding,
                                                           return_sequences, return_state):
    layer = keras.layers.ConvLSTM2D(filters, kernel, padding=padding,
                                    return_sequences=return_sequences,
                                    return_state=return_state)
    model = keras.Sequential([keras.Input((steps, size, size, channels)), layer])
    row = trace_shapes(model).rows[0]
    want = convlstm_output_shape((None, steps, size, size, channels), filters, kernel,
                                 rank=2, padding=padding, return_sequences=return_sequences,
                                 return_state=return_state)
    assert (row.layer, row.output_shape) == ("ConvLSTM2D", want)
    assert row.params == convlstm_count_params(channels, filters, kernel, rank=2)


@settings(max_examples=12)
@given(rank=st.sampled_from([1, 3]), steps=st.integers(1, 3), size=st.integers(3, 6),
       channels=st.integers(1, 2), filters=st.integers(1, 3), kernel=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), return_sequences=st.booleans(),
       return_state=st.booleans())
def test_trace_shapes_of_convlstm1d_and_3d_agrees_with_keras_and_conv_shapes(
        keras, rank, steps, size, channels, filters, kernel, padding, return_sequences,
        return_state):
    layer = getattr(keras.layers, f"ConvLSTM{rank}D")(
        filters, kernel, padding=padding, return_sequences=return_sequences,
        return_state=return_state)
    inputs = keras.Input((steps, *[size] * rank, channels))
    outputs = layer(inputs)
    row = trace_shapes(keras.Model(inputs, outputs)).rows[0]
    want = convlstm_output_shape((None, steps, *[size] * rank, channels), filters, kernel,
                                 rank=rank, padding=padding,
                                 return_sequences=return_sequences, return_state=return_state)
    built = (tuple(tuple(t.shape) for t in outputs) if return_state
             else tuple(outputs.shape))
    assert (row.layer, row.output_shape) == (f"ConvLSTM{rank}D", want) and want == built
    assert row.params == convlstm_count_params(channels, filters, kernel, rank=rank) == (
        layer.count_params())


def test_predict_stack_refuses_a_convlstm_spec_before_answering():
    with pytest.raises(ValueError, match=r"unknown layer 'ConvLSTM2D'.*predict_stack does "
                                         r"not follow it.*convlstm_output_shape"):
        predict_stack((5, 8, 8, 3), [{"layer": "ConvLSTM2D", "filters": 4}])


# --- attention and TimeDistributed(Conv2D): trace_shapes reads what Keras built ---------

@settings(max_examples=8)
@given(queries=st.integers(1, 5), steps=st.integers(1, 6), width=st.integers(1, 5))
def test_trace_shapes_of_attention_over_a_recurrent_sequence(keras, queries, steps, width):
    query = keras.Input((queries, width))
    value = keras.Input((steps, 3))
    sequence = keras.layers.LSTM(width, return_sequences=True)(value)
    output, scores = keras.layers.Attention()([query, sequence],
                                              return_attention_scores=True)
    model = keras.Model([query, value], [output, scores])
    rows = trace_shapes(model).rows
    assert [row.layer for row in rows] == ["LSTM", "Attention"]
    assert rows[0].output_shape == predict_stack((steps, 3), [
        {"layer": "LSTM", "units": width, "return_sequences": True}]).output_shape
    assert rows[1].output_shape == ((None, queries, width), (None, queries, steps))
    assert rows[1].params == 0


def test_trace_shapes_of_time_distributed_conv2d(keras):
    model = keras.Sequential([
        keras.Input((5, 8, 8, 3)), keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3)),
        keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D()),
        keras.layers.LSTM(2)])
    rows = trace_shapes(model).rows
    assert [(row.layer, row.output_shape, row.params) for row in rows] == [
        ("TimeDistributed(Conv2D)", (None, 5, 6, 6, 4), 3 * 3 * 3 * 4 + 4),
        ("TimeDistributed(GlobalAveragePooling2D)", (None, 5, 4), 0),
        ("LSTM", (None, 2), count_params(4, 2))]


# --- Embedding first: the advice for an unbuilt model, and the rank diagnose names ---

def test_unbuilt_embedding_model_gets_ids_advice_that_builds(keras):
    layers = [keras.layers.Embedding(20, 4), keras.layers.LSTM(3)]
    with pytest.raises(ValueError, match=r"keras\.Input\(shape=\(timesteps,\)\).*"
                                         r"model\.build\(\(batch_size, timesteps\)\)"):
        trace_shapes(keras.Sequential(layers))
    model = keras.Sequential([keras.layers.Embedding(20, 4), keras.layers.LSTM(3)])
    model.build((None, 7))  # the advice, followed
    assert trace_shapes(model).output_shape == (None, 3)
    with pytest.raises(ValueError, match=r"keras\.Input\(shape=\(timesteps, features\)\)"):
        trace_shapes(keras.Sequential([keras.layers.LSTM(3)]))


@pytest.mark.parametrize("extra", [(1,), (3,)])
def test_diagnose_names_the_rank_keras_finds(keras, extra):
    ids = (None, 5, *extra)
    specs = [{"layer": "Embedding", "input_dim": 10, "output_dim": 4},
             {"layer": "LSTM", "units": 3}]
    (finding,) = diagnose(specs, input_shape=ids).findings
    vectors = keras.layers.Embedding(10, 4)(keras.Input(ids[1:]))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=(\d)") as raised:
        keras.layers.LSTM(3)(vectors)
    found = raised.value.args[0].split("found ndim=")[1][0]
    assert f"found ndim={found}'" in finding.why


@pytest.mark.parametrize("shape", [(2, 5, 1), (2, 5, 3), (2,)])
def test_diagnose_unbuilt_embedding_model_flags_ids_keras_refuses(keras, shape):
    import numpy as np

    model = keras.Sequential([keras.layers.Embedding(10, 4), keras.layers.LSTM(3)])
    (finding,) = diagnose(model, np.zeros(shape, dtype="int32")).findings
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=(\d)") as raised:
        model.predict(np.zeros(shape, dtype="int32"), verbose=0)
    found = raised.value.args[0].split("found ndim=")[1][0]
    assert f"found ndim={found}'" in finding.why
    if shape == (2, 5, 1):
        assert "x[..., 0] has shape (2, 5)" in finding.fix


def test_diagnose_unbuilt_embedding_model_passes_ids_keras_takes(keras):
    import numpy as np

    model = keras.Sequential([keras.layers.Embedding(10, 4), keras.layers.LSTM(3)])
    assert diagnose(model, np.zeros((2, 5), dtype="int32")).ok
    model.predict(np.zeros((2, 5), dtype="int32"), verbose=0)


def test_diagnose_reads_convlstm_and_attention_models(keras):
    import numpy as np

    video = keras.Sequential([keras.Input((5, 8, 8, 3)),
                              keras.layers.ConvLSTM2D(4, 3, return_sequences=True),
                              keras.layers.ConvLSTM2D(2, 3)])
    assert diagnose(video, np.zeros((2, 5, 8, 8, 3)), np.zeros((2, 4, 4, 2)), "mse").ok
    frames = np.zeros((2, 5, 8, 8))  # channels axis missing: Keras refuses it too
    (finding,) = diagnose(video, frames).findings
    assert finding.check == "input-shape" and "(None, 5, 8, 8, 3)" in finding.saw
    with pytest.raises(ValueError):
        video.predict(frames, verbose=0)

    query, value = keras.Input((4, 6)), keras.Input((7, 3))
    sequence = keras.layers.LSTM(6, return_sequences=True)(value)
    model = keras.Model([query, value], keras.layers.Attention()([query, sequence]))
    x = [np.zeros((2, 4, 6)), np.zeros((2, 7, 3))]
    assert diagnose(model, x, np.zeros((2, 4, 6)), "mse").ok
    assert model.predict(x, verbose=0).shape == (2, 4, 6)
