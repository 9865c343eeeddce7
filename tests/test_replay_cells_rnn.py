"""companion.replay and trace_shapes on keras.layers.RNN(cell) (chapter "Step through a
sequence with cells"): the generic layer over a built-in cell replays like the matching
layer; stacked cells and cells of your own are refused; trace_shapes names the cells.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_replay import randomize  # tests/ is on sys.path under pytest

from companion.numpy_replay import replay, replay_states

pytestmark = pytest.mark.keras
CELLS = ("LSTMCell", "GRUCell", "SimpleRNNCell")
TOLERANCE = {"atol": 1e-5, "rtol": 1e-5}


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def as_tuple(result):
    return tuple(result) if isinstance(result, (list, tuple)) else (result,)


def assert_replays_as_keras(layer, shape, masked, seed):
    """Build ``layer`` with random weights, run it and the replay on the same random
    batch (a random mask if ``masked``), and compare every returned tensor."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype("float32")
    mask = rng.random(shape[:2]) < 0.7 if masked else None
    layer.build((None, None, shape[-1]))
    randomize(layer, seed)
    expected = as_tuple(layer(x, mask=mask))
    got = as_tuple(replay(layer, x, mask))
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        np.testing.assert_allclose(mine, np.asarray(theirs), **TOLERANCE)


@settings(max_examples=24)
@given(cell=st.sampled_from(CELLS), batch=st.integers(1, 4), timesteps=st.integers(1, 6),
       features=st.integers(1, 4), units=st.integers(1, 5),
       return_sequences=st.booleans(), return_state=st.booleans(),
       go_backwards=st.booleans(), masked=st.booleans(), seed=st.integers(0, 2**16))
def test_rnn_of_a_builtin_cell_replays_as_keras_runs_it(
        keras, cell, batch, timesteps, features, units, return_sequences, return_state,
        go_backwards, masked, seed):
    layer = keras.layers.RNN(getattr(keras.layers, cell)(units),
                             return_sequences=return_sequences, return_state=return_state,
                             go_backwards=go_backwards)
    assert_replays_as_keras(layer, (batch, timesteps, features), masked, seed)


@pytest.mark.parametrize("cell", CELLS)
def test_rnn_of_a_cell_equals_the_matching_layer_with_the_same_weights(keras, cell):
    x = np.random.default_rng(1).normal(size=(3, 5, 2)).astype("float32")
    generic = keras.layers.RNN(getattr(keras.layers, cell)(4), return_sequences=True)
    layer = getattr(keras.layers, cell.removesuffix("Cell"))(4, return_sequences=True)
    generic.build((None, None, 2))
    layer.build((None, None, 2))
    randomize(generic, 2)
    layer.set_weights(generic.get_weights())
    np.testing.assert_allclose(replay(generic, x), np.asarray(layer(x)), **TOLERANCE)
    np.testing.assert_allclose(replay(generic, x), replay(layer, x), **TOLERANCE)


@pytest.mark.parametrize("cell", CELLS)
def test_replay_states_of_rnn_of_a_cell_ends_at_keras_final_states(keras, cell):
    x = np.random.default_rng(3).normal(size=(2, 4, 3)).astype("float32")
    layer = keras.layers.RNN(getattr(keras.layers, cell)(3), return_state=True)
    layer.build((None, None, 3))
    randomize(layer, 4)
    _, *finals = layer(x)
    per_step = replay_states(layer, x)
    assert len(per_step) == len(finals)
    for steps, final in zip(per_step, finals, strict=True):
        np.testing.assert_allclose(steps[:, -1], np.asarray(final), **TOLERANCE)


def test_refuses_stacked_cells_both_spellings(keras):
    for stacked in (keras.layers.RNN([keras.layers.LSTMCell(2), keras.layers.GRUCell(3)]),
                    keras.layers.RNN(keras.layers.StackedRNNCells(
                        [keras.layers.LSTMCell(2), keras.layers.GRUCell(3)]))):
        stacked.build((None, None, 2))
        for function in (replay, replay_states):
            with pytest.raises(TypeError, match=r"stacked cells \[LSTMCell, GRUCell\]"):
                function(stacked, np.zeros((1, 3, 2)))


def test_refuses_a_cell_of_your_own_and_a_subclass_of_a_builtin_cell(keras):
    class Doubling(keras.layers.Layer):
        state_size = 2
        output_size = 2

        def call(self, inputs, states):
            return inputs * 2, [states[0] + inputs]

    class Tweaked(keras.layers.LSTMCell):
        pass

    for cell in (Doubling(), Tweaked(2)):
        layer = keras.layers.RNN(cell)
        layer.build((None, None, 2))
        with pytest.raises(TypeError, match=f"class {type(cell).__name__}: replay knows"):
            replay(layer, np.zeros((1, 3, 2)))


@settings(max_examples=16)
@given(cell=st.sampled_from(CELLS), batch=st.integers(1, 3), timesteps=st.integers(1, 5),
       features=st.integers(1, 3), units=st.integers(1, 4),
       merge_mode=st.sampled_from(["concat", "sum", "ave", "mul", None]),
       return_sequences=st.booleans(), return_state=st.booleans(), masked=st.booleans(),
       seed=st.integers(0, 2**16))
def test_bidirectional_rnn_of_a_builtin_cell_replays_as_keras_runs_it(
        keras, cell, batch, timesteps, features, units, merge_mode, return_sequences,
        return_state, masked, seed):
    layer = keras.layers.Bidirectional(
        keras.layers.RNN(getattr(keras.layers, cell)(units),
                         return_sequences=return_sequences, return_state=return_state),
        merge_mode=merge_mode)
    assert_replays_as_keras(layer, (batch, timesteps, features), masked, seed)


def test_refuses_stacked_cells_inside_bidirectional(keras):
    # (A cell of your own cannot be wrapped unregistered: Bidirectional rebuilds the layer
    # from its config, and Keras raises "Could not locate class" first.)
    stacked = keras.layers.RNN([keras.layers.GRUCell(2), keras.layers.LSTMCell(2)])
    wrapped = keras.layers.Bidirectional(stacked)
    wrapped.build((None, None, 2))
    with pytest.raises(TypeError, match="got stacked cells"):
        replay(wrapped, np.zeros((1, 3, 2)))


def test_refuses_an_unbuilt_rnn_of_a_cell(keras):
    with pytest.raises(ValueError, match="not built"):
        replay(keras.layers.RNN(keras.layers.LSTMCell(2)), np.zeros((1, 3, 2)))


@settings(max_examples=10)
@given(units=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       features=st.integers(1, 4), timesteps=st.integers(1, 5),
       kinds=st.lists(st.sampled_from(CELLS), min_size=3, max_size=3),
       return_sequences=st.booleans(), return_state=st.booleans())
def test_trace_shapes_names_the_cells_and_reads_keras_shapes(
        keras, units, features, timesteps, kinds, return_sequences, return_state):
    from companion.stack import trace_shapes

    cells = [getattr(keras.layers, kind)(n) for kind, n in zip(kinds, units, strict=False)]
    inputs = keras.Input((timesteps, features))
    layer = keras.layers.RNN(cells if len(cells) > 1 else cells[0],
                             return_sequences=return_sequences, return_state=return_state)
    outputs = layer(inputs)
    (row,) = trace_shapes(keras.Model(inputs, outputs)).rows
    names = ", ".join(type(cell).__name__ for cell in cells)
    assert row.layer == (f"RNN([{names}])" if len(cells) > 1 else f"RNN({names})")
    flat = keras.tree.flatten(outputs)
    shapes = tuple(tuple(t.shape) for t in flat)
    assert row.output_shape == (shapes if len(flat) > 1 else shapes[0])
    assert row.params == layer.count_params()
    top = (None, timesteps, units[len(cells) - 1]) if return_sequences else (
        None, units[len(cells) - 1])
    assert shapes[0] == top


@pytest.mark.parametrize("cell", CELLS)
def test_rnn_of_a_cell_starts_from_initial_state_or_its_stateful_states(keras, cell):
    x = np.random.default_rng(5).normal(size=(2, 4, 3)).astype("float32")
    layer = keras.layers.RNN(getattr(keras.layers, cell)(3), stateful=True)
    layer.build((2, None, 3))
    randomize(layer, 6)
    layer(x)  # the layer now holds the states after x
    np.testing.assert_allclose(replay(layer, x), np.asarray(layer(x)), **TOLERANCE)
    plain = keras.layers.RNN(getattr(keras.layers, cell)(3))
    plain.build((None, None, 3))
    plain.set_weights(layer.get_weights())
    start = [np.full((2, 3), 0.5, "float32")] * (2 if cell == "LSTMCell" else 1)
    np.testing.assert_allclose(replay(plain, x, initial_state=start),
                               np.asarray(plain(x, initial_state=start)), **TOLERANCE)
