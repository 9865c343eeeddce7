"""Measure the companion's own speed and print a small report.

    .venv/bin/python scripts/bench_companion.py

Three figures, each with its target and PASS/FAIL:

1. ``import companion`` in a fresh interpreter (median of 5 runs): under 50 ms.
2. How much cheaper ``rnn_output_shape`` is than asking Keras (build the layer, then
   ``compute_output_shape``), per call, over many calls in one run: at least 1000x.
3. ``replay`` of LSTM, GRU and SimpleRNN on a (32, 100, 16) input with 64 units
   (median of 7 runs): under 100 ms each.

The script always exits 0: it reports, it does not gate. Timings depend on the machine
and on what else runs on it, so the load average is printed with the figures.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import booktools  # noqa: E402

os.environ.update(booktools.QUIET_ENV)

IMPORT_TARGET_MS = 50.0
RATIO_TARGET = 1000.0
REPLAY_TARGET_MS = 100.0


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def import_time_ms(runs: int = 5) -> float:
    """Median time of ``import companion`` alone, each in a fresh interpreter."""
    code = ("import time; start = time.perf_counter(); import companion; "
            "print((time.perf_counter() - start) * 1000)")
    times = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                                  capture_output=True, text=True).stdout)
             for _ in range(runs)]
    return statistics.median(times)


def per_call_seconds(function, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def shape_ratio() -> tuple[float, float, float]:
    """Per-call seconds for Keras and for rnn_output_shape, and their ratio."""
    import keras

    from companion import rnn_output_shape

    shape = (32, 10, 8)

    def with_keras():
        layer = keras.layers.LSTM(64, return_sequences=True)
        layer.build(shape)
        return layer.compute_output_shape(shape)

    def with_companion():
        return rnn_output_shape(shape, 64, return_sequences=True)

    assert with_keras() == with_companion()
    with_keras()  # warm up
    keras_seconds = per_call_seconds(with_keras, 200)
    companion_seconds = per_call_seconds(with_companion, 20000)
    return keras_seconds, companion_seconds, keras_seconds / companion_seconds


def replay_times_ms(runs: int = 7) -> dict[str, float]:
    import keras
    import numpy as np

    from companion import replay

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 100, 16)).astype("float32")
    results = {}
    for name in ("LSTM", "GRU", "SimpleRNN"):
        layer = getattr(keras.layers, name)(64, return_sequences=True)
        expected = np.asarray(layer(x))
        assert np.allclose(replay(layer, x), expected, atol=1e-5), name
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            replay(layer, x)
            times.append((time.perf_counter() - start) * 1000)
        results[name] = statistics.median(times)
    return results


def main() -> int:
    print("companion speed report")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}")
    milliseconds = import_time_ms()
    print(f"import companion (fresh interpreter, median of 5): {milliseconds:.1f} ms "
          f"(target < {IMPORT_TARGET_MS:.0f} ms) {verdict(milliseconds < IMPORT_TARGET_MS)}")
    keras_seconds, companion_seconds, ratio = shape_ratio()
    print(f"Keras build + compute_output_shape: {keras_seconds * 1e6:,.0f} us/call; "
          f"rnn_output_shape: {companion_seconds * 1e6:.1f} us/call")
    print(f"  ratio: {ratio:,.0f}x (target >= {RATIO_TARGET:,.0f}x) "
          f"{verdict(ratio >= RATIO_TARGET)}")
    for name, replay_ms in replay_times_ms().items():
        print(f"replay {name}(64) on (32, 100, 16), median of 7: {replay_ms:.1f} ms "
              f"(target < {REPLAY_TARGET_MS:.0f} ms) {verdict(replay_ms < REPLAY_TARGET_MS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
