"""The shape calculator and the NumPy replay under the TensorFlow, JAX and PyTorch
backends, and Keras 2.

Part III's chapters "Check the same shapes on the TensorFlow, JAX and PyTorch backends"
and "Port recurrent code from Keras 2 to Keras 3" rest on these. Each backend needs its
own process (Keras fixes its backend at import), so each test runs one snippet with
:func:`companion.run_snippet`: the shape table and the replay in the same process, so
each backend is imported once. The TensorFlow backend is the test suite's own (the
in-process suites ``test_shapes.py`` and ``test_replay.py`` check both under it), so it
gets no subprocess here. A test skips when its package (jax, torch, tf_keras) is
missing, except under ``CI=true``, where a missing package fails the test.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from companion.subprocess_run import run_snippet

pytestmark = [pytest.mark.keras, pytest.mark.slow]

#: The backends other than the suite's own TensorFlow, with the package each needs.
PACKAGES = {"jax": "jax", "torch": "torch"}


def require(package: str) -> None:
    """Skip without ``package`` on a workstation; fail without it under CI=true."""
    if importlib.util.find_spec(package) is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{package} is not installed, and CI=true: install the extras "
                    "(requirements-extras.txt, requirements-nodeps.txt)")
    pytest.skip(f"{package} is not installed (under CI=true this test fails instead)")


SHAPES = """
import itertools
import keras
import companion

mismatches = []
for name, seq, state, bidi, merge in itertools.product(
        ("SimpleRNN", "GRU", "LSTM"), (False, True), (False, True), (False, True),
        ("concat", "sum", None)):
    if merge != "concat" and not bidi:
        continue
    for batch, steps in ((2, 5), (None, None)):
        # Shapes do not depend on the weights: zeros spare JAX compiling an initializer
        # per weight shape. REPLAY below keeps random weights.
        layer = getattr(keras.layers, name)(3, return_sequences=seq, return_state=state,
                                            kernel_initializer="zeros",
                                            recurrent_initializer="zeros")
        if bidi:
            layer = keras.layers.Bidirectional(layer, merge_mode=merge)
        out = layer(keras.Input(batch_shape=(batch, steps, 4)))
        got = [tuple(t.shape) for t in (out if isinstance(out, (list, tuple)) else [out])]
        want = companion.rnn_output_shape((batch, steps, 4), 3, layer=name,
                                          return_sequences=seq, return_state=state,
                                          bidirectional=bidi, merge_mode=merge)
        want = list(want) if isinstance(want[0], tuple) else [want]
        if got != want:
            mismatches.append([name, seq, state, bidi, merge, batch, got, want])
"""

REPLAY = """
import numpy as np

rng = np.random.default_rng(0)
x = rng.normal(size=(3, 6, 4)).astype("float32")
mask = np.array([[True] * 6, [True] * 4 + [False] * 2, [False] + [True] * 5])
h0 = rng.normal(size=(3, 5)).astype("float32")
worst = {}
for name in ("SimpleRNN", "GRU", "LSTM"):
    cls = getattr(keras.layers, name)
    cases = {
        "plain": (cls(5, return_sequences=True, return_state=True), {}),
        "go_backwards": (cls(5, return_sequences=True, go_backwards=True), {}),
        "mask": (cls(5, return_sequences=True, return_state=True), {"mask": mask}),
        "initial_state": (cls(5, return_state=True),
                          {"initial_state": [h0] * (2 if name == "LSTM" else 1)}),
        "bidirectional": (keras.layers.Bidirectional(
            cls(5, return_sequences=True, return_state=True), merge_mode=None), {}),
        "bidirectional_mask": (keras.layers.Bidirectional(
            cls(5, return_sequences=True)), {"mask": mask}),
    }
    if name == "GRU":
        cases["reset_before"] = (cls(5, return_sequences=True, reset_after=False), {})
    for case, (layer, kwargs) in cases.items():
        out = layer(x, **kwargs)
        got = out if isinstance(out, (list, tuple)) else [out]
        want = companion.replay(layer, x, **kwargs)
        want = want if isinstance(want, tuple) else [want]
        assert len(got) == len(want), (name, case)
        worst[f"{name} {case}"] = max(
            float(np.max(np.abs(keras.ops.convert_to_numpy(g) - w)))
            for g, w in zip(got, want))
result = {"backend": keras.backend.backend(), "mismatches": mismatches, "worst": worst}
"""


@pytest.mark.parametrize("backend", list(PACKAGES))
def test_shape_calculator_and_replay_match_keras_under_the_other_backends(backend):
    require(PACKAGES[backend])
    result = run_snippet(SHAPES + REPLAY, backend=backend)
    assert result["backend"] == backend
    assert result["mismatches"] == []
    assert len(result["worst"]) == 19
    assert {case: worst for case, worst in result["worst"].items() if worst > 1e-5} == {}


KERAS2 = """
import numpy as np
import tensorflow as tf
import tf_keras

x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
lstm = tf.keras.layers.LSTM(4, return_sequences=True, return_state=True)
out = lstm(x)
result = {
    "same module": tf.keras.layers.LSTM is tf_keras.layers.LSTM,
    "version": tf_keras.__version__,
    "returns": type(out).__name__,
    "shapes": [tuple(t.shape) for t in out],
    "weights": [w.tolist() for w in lstm.get_weights()],
    "outputs": [t.numpy().tolist() for t in out],
    "batch_input_shape": outcome(lambda: tuple(tf.keras.Sequential(
        [tf.keras.layers.GRU(4, batch_input_shape=(2, 5, 3))]).output_shape)),
}
"""


def test_keras2_runs_in_its_own_process_and_its_weights_load_into_keras3():
    require("tf_keras")
    import numpy as np

    from companion._keras import import_keras

    keras = import_keras("this test")
    result = run_snippet(KERAS2, legacy_keras=True)
    assert result["same module"] is True
    assert result["version"].startswith("2.")
    assert result["returns"] == "list"
    assert result["shapes"] == [[2, 5, 4], [2, 4], [2, 4]]
    assert result["batch_input_shape"] == {"value": [2, 4]}
    lstm = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    lstm.build(x.shape)
    lstm.set_weights([np.array(w, dtype="float32") for w in result["weights"]])
    for got, want in zip(lstm(x), result["outputs"], strict=True):
        assert np.allclose(got, want, atol=1e-5)
