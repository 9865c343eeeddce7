"""Tests for companion.stateful: chunks of a sequence, stateless and stateful copies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.stateful import split_into_chunks, stateful_copy, stateless_copy

# --- split_into_chunks ------------------------------------------------------------------


@pytest.mark.parametrize(("timesteps", "chunk_len", "lengths"), [
    (12, 4, [4, 4, 4]),
    (10, 4, [4, 4, 2]),
    (3, 5, [3]),
    (5, 1, [1, 1, 1, 1, 1]),
    (6, 6, [6]),
], ids=["even", "short-last", "longer-than-sequence", "one-step", "whole"])
def test_split_into_chunks_gives_consecutive_pieces_of_chunk_len(timesteps, chunk_len, lengths):
    x = np.arange(2 * timesteps * 3).reshape(2, timesteps, 3)
    pieces = split_into_chunks(x, chunk_len)
    assert [piece.shape for piece in pieces] == [(2, n, 3) for n in lengths]
    assert pieces[0][1, 0].tolist() == x[1, 0].tolist()  # rows keep their sample


@given(batch=st.integers(1, 3), timesteps=st.integers(1, 30), features=st.integers(1, 3),
       chunk_len=st.integers(1, 35))
@settings(max_examples=40)
def test_split_into_chunks_concatenates_back_to_the_input(batch, timesteps, features, chunk_len):
    x = np.random.default_rng(timesteps).normal(size=(batch, timesteps, features))
    pieces = split_into_chunks(x, chunk_len)
    assert len(pieces) == -(-timesteps // chunk_len)
    assert all(piece.shape[1] == chunk_len for piece in pieces[:-1])
    assert np.array_equal(np.concatenate(pieces, axis=1), x)


def test_split_into_chunks_accepts_nested_lists():
    pieces = split_into_chunks([[[1.0], [2.0], [3.0]]], 2)
    assert [piece[0, :, 0].tolist() for piece in pieces] == [[1.0, 2.0], [3.0]]


@pytest.mark.parametrize(("x", "chunk_len", "error", "match"), [
    (np.zeros((2, 12)), 4, ValueError, r"got shape \(2, 12\).*x\[\.\.\., None\]"),
    (np.zeros(12), 4, ValueError, r"with 1 dimension\(s\).*\(batch_size, timesteps, features\)"),
    (np.zeros((2, 0, 3)), 4, ValueError, "at least one timestep"),
    (np.zeros((2, 12, 3)), 0, ValueError, "chunk_len to be a positive integer, got 0"),
    (np.zeros((2, 12, 3)), 2.0, TypeError, "chunk_len to be a positive integer, got 2.0"),
    (np.zeros((2, 12, 3)), True, TypeError, "chunk_len"),
], ids=["2-d", "1-d", "no-timesteps", "zero-chunk", "float-chunk", "bool-chunk"])
def test_split_into_chunks_rejects_bad_input(x, chunk_len, error, match):
    with pytest.raises(error, match=match):
        split_into_chunks(x, chunk_len)


# --- stateless_copy and stateful_copy, against Keras ------------------------------------


def _data(batch=2, timesteps=12, features=3, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, timesteps, features)).astype("float32")


def _sequential(layer="LSTM", *, batch_size=2, stateful=True, bidirectional=False):
    import keras

    keras.utils.set_random_seed(0)
    recurrent = getattr(keras.layers, layer)(4, return_sequences=True, stateful=stateful,
                                             name="rnn")
    if bidirectional:
        recurrent = keras.layers.Bidirectional(recurrent, name="both_ways")
    return keras.Sequential([keras.Input(batch_shape=(batch_size, None, 3)), recurrent,
                             keras.layers.Dense(1, name="out")])


def _functional(batch_size=2):
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input(batch_shape=(batch_size, None, 3), name="series")
    hidden = keras.layers.LSTM(4, return_sequences=True, stateful=True, name="lower")(inputs)
    merged = keras.layers.Concatenate(name="merge")([
        keras.layers.GRU(3, stateful=True, name="gru_top")(hidden),
        keras.layers.SimpleRNN(2, stateful=True, name="rnn_top")(hidden),
    ])
    return keras.Model(inputs, keras.layers.Dense(1, name="out")(merged))


def _run(model, x):
    """Call the model eagerly (no ``predict`` tracing) and return a NumPy array."""
    import keras

    return keras.ops.convert_to_numpy(model(x))


def _recurrent_layers(model):
    found = []
    for layer in model.layers:
        if hasattr(layer, "forward_layer"):
            found += [layer.forward_layer, layer.backward_layer]
        elif hasattr(layer, "stateful"):
            found.append(layer)
    return found


def _reset(model):
    for layer in _recurrent_layers(model):
        layer.reset_state()


MODELS = {
    "lstm": lambda: _sequential("LSTM"),
    "gru": lambda: _sequential("GRU"),
    "simple-rnn": lambda: _sequential("SimpleRNN"),
    "bidirectional-gru": lambda: _sequential("GRU", bidirectional=True),
    "functional-branches": _functional,
}


@pytest.mark.keras
@pytest.mark.parametrize("build", MODELS.values(), ids=MODELS.keys())
def test_stateless_copy_equals_the_stateful_model_right_after_a_reset(build):
    model = build()
    x = _data()
    _run(model, x)  # move the state away from zeros
    _reset(model)
    after_reset = _run(model, x)
    copy = stateless_copy(model)
    assert copy is not model and type(copy) is type(model)
    assert copy.input_shape == (None, None, 3)
    assert all(layer.stateful is False for layer in _recurrent_layers(copy))
    assert np.allclose(_run(copy, x), after_reset, atol=1e-5)
    wide = _run(copy, np.concatenate([x, x, x]))
    assert wide.shape[0] == 6 and np.allclose(wide[4:], after_reset, atol=1e-5)


@pytest.mark.keras
def test_stateless_copy_leaves_the_original_stateful():
    model = _sequential()
    stateless_copy(model)
    assert model.get_layer("rnn").stateful is True
    assert model.input_shape == (2, None, 3)


@pytest.mark.keras
def test_stateless_copy_does_not_share_weights_with_the_original():
    model = _sequential()
    copy = stateless_copy(model)
    kernel = copy.get_layer("out").kernel
    kernel.assign(np.zeros(kernel.shape))
    assert np.abs(model.get_layer("out").get_weights()[0]).sum() > 0


#: Models that read forwards only: fed one step per call, they match one pass.
FORWARD = {name: build for name, build in MODELS.items() if "bidirectional" not in name}


@pytest.mark.keras
@pytest.mark.parametrize("build", FORWARD.values(), ids=FORWARD.keys())
def test_stateful_copy_streamed_step_by_step_equals_one_pass(build):
    model = build()
    x = _data(batch=1, timesteps=7)
    one_pass = _run(stateless_copy(model), x)
    streamer = stateful_copy(model, batch_size=1)
    assert streamer.input_shape == (1, None, 3)
    assert all(layer.stateful is True for layer in _recurrent_layers(streamer))
    steps = [_run(streamer, x[:, t:t + 1]) for t in range(7)]
    if one_pass.ndim == 3:  # one output per step
        assert np.allclose(np.concatenate(steps, axis=1), one_pass, atol=1e-5)
    else:  # one vector per sequence: the last step's output is the whole sequence's
        assert np.allclose(steps[-1], one_pass, atol=1e-5)
        assert not np.allclose(steps[0], one_pass, atol=1e-3)


@pytest.mark.keras
def test_stateful_copy_of_a_stateless_model_sets_the_batch_size():
    import keras

    free = keras.Sequential([keras.Input(shape=(10, 2)), keras.layers.GRU(3, name="gru")])
    copy = stateful_copy(free, batch_size=5)
    assert copy.input_shape == (5, 10, 2)
    assert copy.get_layer("gru").stateful is True
    assert [tuple(state.shape) for state in copy.get_layer("gru").states] == [(5, 3)]


@pytest.mark.keras
def test_copies_reject_a_layer_a_subclassed_model_and_an_unbuilt_model():
    import keras

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = keras.layers.LSTM(2)

        def call(self, inputs):
            return self.rnn(inputs)

    with pytest.raises(TypeError, match="got LSTM: stateless_copy copies a whole model"):
        stateless_copy(keras.layers.LSTM(2, stateful=True))
    with pytest.raises(TypeError, match="subclassed model of type Custom.*set_weights"):
        stateless_copy(Custom())
    with pytest.raises(TypeError, match="stateful_copy"):
        stateful_copy("model", batch_size=1)
    unbuilt = keras.Sequential([keras.layers.LSTM(2, stateful=True)])
    with pytest.raises(ValueError, match="expected a built model.*keras.Input"):
        stateless_copy(unbuilt)


@pytest.mark.parametrize(("batch_size", "error"), [(0, ValueError), (-1, ValueError),
                                                   (1.5, TypeError), (None, TypeError)],
                         ids=["zero", "negative", "float", "none"])
def test_stateful_copy_rejects_a_bad_batch_size_before_touching_keras(batch_size, error):
    with pytest.raises(error, match="expected batch_size to be a positive integer"):
        stateful_copy(object(), batch_size=batch_size)
