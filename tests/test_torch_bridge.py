"""Tests for companion.torch_bridge: Keras and PyTorch layers with equal weights agree.

PyTorch is an optional dependency. Locally these tests skip when it is missing; under
CI (``CI=true``, where the extras are installed) a missing PyTorch fails them.
"""

from __future__ import annotations

import builtins
import functools
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import companion
from companion import torch_bridge

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        pytest.fail("PyTorch is missing but CI=true: install the extras "
                    "(pip install torch==2.13.0)", pytrace=False)
    pytest.skip("PyTorch is not installed (pip install torch==2.13.0)",
                allow_module_level=True)

import keras  # noqa: E402

pytestmark = pytest.mark.keras
torch.set_num_threads(1)
LAYERS = {"LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU,
          "SimpleRNN": keras.layers.SimpleRNN}


def inputs(batch=2, timesteps=5, features=3, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, timesteps, features)).astype(
        "float32")


def random_weights(layer, seed=1):
    """Non-zero weights everywhere, biases included, so a misplaced block shows."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in layer.get_weights()])


def keras_layer(kind, units, *, bidirectional=False, use_bias=True, features=3, **options):
    inner = LAYERS[kind](units, return_sequences=True, return_state=True,
                         use_bias=use_bias, **options)
    layer = keras.layers.Bidirectional(inner) if bidirectional else inner
    layer.build((None, None, features))
    random_weights(layer)
    return layer


def run_torch(module, x):
    with torch.no_grad():
        output, states = module(torch.from_numpy(x))
    states = states if isinstance(states, tuple) else (states,)
    return output.numpy(), [s.numpy() for s in states]


def assert_same(layer, module, x):
    """Every output and final state of the Keras layer equals the module's."""
    output, *keras_states = (np.asarray(a) for a in layer(x))
    torch_output, torch_states = run_torch(module, x)
    assert np.allclose(output, torch_output, atol=1e-5)
    directions = 2 if isinstance(layer, keras.layers.Bidirectional) else 1
    # Keras: forward states then backward states; PyTorch: (directions, batch, units) each.
    per_direction = len(keras_states) // directions
    for d in range(directions):
        for k, state in enumerate(torch_states):
            assert np.allclose(keras_states[d * per_direction + k], state[d], atol=1e-5)


CASES = [(kind, two, bias) for kind in LAYERS for two in (False, True)
         for bias in (True, False)]
IDS = [f"{k}-{'bi' if two else 'uni'}-{'bias' if b else 'nobias'}" for k, two, b in CASES]


def test_names_are_exported_lazily_from_the_package():
    assert companion.to_torch is torch_bridge.to_torch
    assert companion.from_torch is torch_bridge.from_torch


@pytest.mark.parametrize(("kind", "bidirectional", "use_bias"), CASES, ids=IDS)
def test_keras_to_torch_gives_equal_outputs_and_states(kind, bidirectional, use_bias):
    layer = keras_layer(kind, 4, bidirectional=bidirectional, use_bias=use_bias)
    module = torch_bridge.to_torch(layer)
    assert type(module).__name__ == torch_bridge.TORCH_CLASS[kind]
    assert module.bidirectional is bidirectional and module.bias is use_bias
    assert not module.training
    assert_same(layer, module, inputs())


@pytest.mark.parametrize(("kind", "bidirectional", "use_bias"), CASES, ids=IDS)
def test_torch_to_keras_gives_equal_outputs_and_states(kind, bidirectional, use_bias):
    torch.manual_seed(0)
    module = getattr(torch.nn, torch_bridge.TORCH_CLASS[kind])(
        3, 4, batch_first=True, bidirectional=bidirectional, bias=use_bias)
    layer = torch_bridge.from_torch(module, return_sequences=True, return_state=True)
    assert_same(layer, module, inputs())


@pytest.mark.parametrize("kind", list(LAYERS))
def test_round_trip_keeps_keras_weights_and_sums_pytorch_biases(kind):
    layer = keras_layer(kind, 3)
    back = torch_bridge.from_torch(torch_bridge.to_torch(layer), return_sequences=True,
                                   return_state=True)
    for before, after in zip(layer.get_weights(), back.get_weights(), strict=True):
        assert np.allclose(before, after)
    torch.manual_seed(0)
    module = getattr(torch.nn, torch_bridge.TORCH_CLASS[kind])(2, 3, batch_first=True)
    again = torch_bridge.to_torch(torch_bridge.from_torch(module))
    x = inputs(features=2)
    assert np.allclose(run_torch(module, x)[0], run_torch(again, x)[0], atol=1e-6)
    if kind != "GRU":  # the two biases come back as one sum in bias_ih
        assert np.allclose(again.bias_ih_l0.detach(),
                           (module.bias_ih_l0 + module.bias_hh_l0).detach())
        assert not again.bias_hh_l0.detach().any()


def test_gru_blocks_swap_update_and_reset_gates():
    layer = keras_layer("GRU", 2)
    module = torch_bridge.to_torch(layer)
    kernel = layer.cell.kernel.numpy()  # (features, 3 * units): z, r, h
    weight = module.weight_ih_l0.detach().numpy()  # (3 * units, features): r, z, n
    assert np.allclose(weight[0:2], kernel[:, 2:4].T)  # r
    assert np.allclose(weight[2:4], kernel[:, 0:2].T)  # z
    assert np.allclose(weight[4:6], kernel[:, 4:6].T)  # candidate


def test_lstm_gate_order_is_the_same_so_the_weight_is_the_transposed_kernel():
    layer = keras_layer("LSTM", 2)
    module = torch_bridge.to_torch(layer)
    assert np.allclose(module.weight_ih_l0.detach().numpy(), layer.cell.kernel.numpy().T)
    assert np.allclose(module.weight_hh_l0.detach().numpy(),
                       layer.cell.recurrent_kernel.numpy().T)


@pytest.mark.parametrize("batch_first", [True, False])
def test_batch_first_only_moves_the_axes_of_output(batch_first):
    layer = keras_layer("LSTM", 4)
    module = torch_bridge.to_torch(layer, batch_first=batch_first)
    x = inputs()
    fed = x if batch_first else np.swapaxes(x, 0, 1).copy()
    output, (h_n, _) = run_torch(module, fed)
    expected = np.asarray(layer(x)[0])
    assert np.allclose(output if batch_first else np.swapaxes(output, 0, 1), expected,
                       atol=1e-5)
    assert h_n.shape == (1, 2, 4)


def test_simple_rnn_with_relu_maps_to_the_relu_nonlinearity():
    layer = keras_layer("SimpleRNN", 3, activation="relu")
    module = torch_bridge.to_torch(layer)
    assert module.nonlinearity == "relu"
    assert_same(layer, module, inputs())
    assert torch_bridge.from_torch(module).activation is keras.activations.relu


@given(kind=st.sampled_from(list(LAYERS)), two=st.booleans(), use_bias=st.booleans(),
       units=st.integers(1, 6), features=st.integers(1, 5), batch=st.integers(1, 3),
       timesteps=st.integers(1, 6))
@settings(max_examples=15)
@pytest.mark.slow
def test_outputs_agree_for_random_sizes(kind, two, use_bias, units, features, batch,
                                        timesteps):
    layer = keras_layer(kind, units, bidirectional=two, use_bias=use_bias,
                        features=features)
    x = inputs(batch, timesteps, features, seed=units)
    assert_same(layer, torch_bridge.to_torch(layer), x)


def unconvertible():
    built = {}

    def make(name, layer):
        layer.build((None, None, 3))
        built[name] = layer

    make("gru-reset-before", keras.layers.GRU(2, reset_after=False))
    make("lstm-relu", keras.layers.LSTM(2, activation="relu"))
    make("gru-hard-sigmoid", keras.layers.GRU(2, recurrent_activation="hard_sigmoid"))
    make("rnn-sigmoid", keras.layers.SimpleRNN(2, activation="sigmoid"))
    make("go-backwards", keras.layers.LSTM(2, go_backwards=True))
    make("merge-sum", keras.layers.Bidirectional(keras.layers.LSTM(2), merge_mode="sum"))
    make("bi-gru-reset-before",
         keras.layers.Bidirectional(keras.layers.GRU(2, reset_after=False)))
    return built


BAD_LAYERS = {"gru-reset-before": "reset_after=False has no PyTorch equivalent",
              "lstm-relu": "activation='relu'", "gru-hard-sigmoid": "sigmoid",
              "rnn-sigmoid": "'tanh' or 'relu'", "go-backwards": "go_backwards=True",
              "merge-sum": "merge_mode='sum'", "bi-gru-reset-before": "reset_after=True"}


@pytest.fixture(scope="module")
def bad_layers():
    return unconvertible()


@pytest.mark.parametrize("name", BAD_LAYERS)
def test_layers_without_pytorch_equivalent_are_rejected(bad_layers, name):
    with pytest.raises(ValueError, match=BAD_LAYERS[name]) as info:
        torch_bridge.to_torch(bad_layers[name])
    assert "cannot convert" in str(info.value)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_bidirectional_with_a_backwards_forward_layer_is_refused(kind):
    """Keras accepts forward go_backwards=True with backward go_backwards=False, and
    concatenates the directions in an order PyTorch cannot express: refused, while the
    usual pair given explicitly converts and matches Keras."""
    def pair(forward_backwards):
        make = functools.partial(LAYERS[kind], 3, return_sequences=True, return_state=True)
        layer = keras.layers.Bidirectional(
            make(go_backwards=forward_backwards),
            backward_layer=make(go_backwards=not forward_backwards))
        layer.build((None, None, 2))
        random_weights(layer)
        return layer

    with pytest.raises(ValueError, match="forward layer has go_backwards=True"):
        torch_bridge.to_torch(pair(True))
    usual = pair(False)
    assert_same(usual, torch_bridge.to_torch(usual), inputs(2, 5, 2, seed=1))


BAD_CALLS = {
    "not-a-layer": (lambda: torch_bridge.to_torch("LSTM"), TypeError, "Keras layer"),
    "dense": (lambda: torch_bridge.to_torch(keras.layers.Dense(2)), TypeError,
              "got Dense"),
    "unbuilt": (lambda: torch_bridge.to_torch(keras.layers.LSTM(2)), ValueError,
                "not built"),
    "batch-first-int": (lambda: torch_bridge.to_torch(keras.layers.LSTM(2), batch_first=1),
                        TypeError, "batch_first"),
    "linear-module": (lambda: torch_bridge.from_torch(torch.nn.Linear(2, 2)), TypeError,
                      "torch.nn.LSTM"),
    "cell-module": (lambda: torch_bridge.from_torch(torch.nn.LSTMCell(2, 2)), TypeError,
                    "LSTMCell"),
    "two-layers": (lambda: torch_bridge.from_torch(torch.nn.GRU(2, 2, num_layers=2)),
                   ValueError, "num_layers=2"),
    "projection": (lambda: torch_bridge.from_torch(torch.nn.LSTM(2, 3, proj_size=2)),
                   ValueError, "proj_size=2"),
    "flag-str": (lambda: torch_bridge.from_torch(torch.nn.RNN(2, 2), return_state="yes"),
                 TypeError, "return_state"),
    "name-int": (lambda: torch_bridge.from_torch(torch.nn.RNN(2, 2), name=3), TypeError,
                 "name"),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_arguments_raise_clear_errors(name):
    call, error, match = BAD_CALLS[name]
    with pytest.raises(error, match=match) as info:
        call()
    assert "got" in str(info.value) or "build it with" in str(info.value)


def test_missing_torch_raises_import_error_naming_the_pinned_install(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    layer = keras_layer("LSTM", 2)
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        torch_bridge.to_torch(layer)
    with pytest.raises(ImportError, match="from_torch needs PyTorch"):
        torch_bridge.from_torch(None)


def test_importing_the_companion_and_the_bridge_does_not_import_torch():
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, sys, companion, companion.torch_bridge; "
            "print(json.dumps('torch' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert json.loads(out) is False
