"""Measure the forward and training time of recurrent layers, and write the data file.

Introduced in "What return_sequences costs"; run it with
``python -m companion.benchmark --output book/data/cost.json`` (add ``--quick`` for a
small grid). Keras and TensorFlow are imported inside the functions.

How a number is taken: the layer (or model) is built, its computation is wrapped in one
``tf.function``, called once to trace it (warm-up, not timed), then called ``repeats``
times, each timed with :func:`time.perf_counter`; the record keeps the median and every
time, and the median process CPU time (:func:`time.process_time`, all threads), which a
busy machine disturbs less than the wall-clock time. The function returns one element of
its result, which forces the whole result to be computed without copying it to Python.
Memory is the rise of the process's resident set size (RSS, sampled every millisecond by
:mod:`psutil`) above its level before the first call. It counts the traced graph and
memory the allocator keeps, and misses memory it reuses from earlier calls: a rough sign
of what a call needs, not the size of one tensor.
"""

from __future__ import annotations

import datetime
import itertools
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from companion.benchmark.flops import output_bytes, recurrent_flops

#: The grids. Every configuration varies one of timesteps, units and batch_size away
#: from ``base``; the union of those configurations is measured once each.
GRIDS: dict[str, dict[str, Any]] = {
    "full": {"layers": ("LSTM", "GRU", "SimpleRNN"), "timesteps": (10, 30, 100, 300, 1000),
             "units": (16, 64, 256, 512), "batch_size": (8, 32, 128),
             "base": {"batch_size": 32, "timesteps": 100, "features": 16, "units": 64},
             "repeats": 5, "matmul_n": 2048, "vocabulary": 1000},
    "quick": {"layers": ("LSTM", "GRU", "SimpleRNN"), "timesteps": (10, 100, 1000),
              "units": (16, 64, 256), "batch_size": (8, 32, 128),
              "base": {"batch_size": 32, "timesteps": 100, "features": 16, "units": 64},
              "repeats": 3, "matmul_n": 1024, "vocabulary": 1000},
}

#: Heads of the training-step breakdown: name -> (return_sequences, head units, loss).
HEADS = {
    "last step, Dense(1)": (False, 1, "mse"),
    "every step, Dense(1)": (True, 1, "mse"),
    "every step, Dense(vocabulary)": (True, "vocabulary", "sparse_crossentropy"),
}


class _RssPeak:
    """Sample the process's RSS every millisecond in a thread; keep the highest value."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.start = self._process.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.001)

    def __enter__(self) -> _RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def time_calls(function: Callable[[], Any], *, repeats: int) -> dict[str, Any]:
    """Call ``function`` once (warm-up), then ``repeats`` times; return times and memory.

    ``function`` must return a tensor; its ``.numpy()`` is read after each call so that
    the time covers finished work on a GPU too.

    Examples
    --------
    >>> result = time_calls(lambda: __import__("numpy").float32(1.0), repeats=3)
    >>> len(result["seconds_all"]), result["seconds"] >= 0, result["rss_peak_rise_bytes"] >= 0
    (3, True, True)
    """
    def finish(value: Any) -> None:
        if hasattr(value, "numpy"):
            value.numpy()

    with _RssPeak() as memory:
        finish(function())
        times, cpu_times = [], []
        for _ in range(repeats):
            start, cpu_start = time.perf_counter(), time.process_time()
            finish(function())
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    return {"seconds": statistics.median(times), "seconds_all": times,
            "cpu_seconds": statistics.median(cpu_times),
            "rss_peak_rise_bytes": max(0, memory.peak - memory.start)}


def _recurrent(layer: str, units: int, return_sequences: bool, fused: bool | None) -> Any:
    import keras

    options = {} if fused is None else {"use_cudnn": fused}
    return getattr(keras.layers, layer)(units, return_sequences=return_sequences, **options)


def _first(tensor: Any) -> Any:
    import tensorflow as tf

    return tf.reshape(tensor, [-1])[0]


def measure_layer(layer: str, *, return_sequences: bool, step: str, batch_size: int,
                  timesteps: int, features: int, units: int, repeats: int,
                  fused: bool | None = None) -> dict[str, Any]:
    """Time one recurrent layer's forward pass (``step="forward"``) or training step.

    The training step is the layer alone: loss ``mean(output ** 2)``, gradients of the
    layer's weights, one Adam update; so ``return_sequences`` changes only how many
    outputs the loss reads.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    recurrent = _recurrent(layer, units, return_sequences, fused)
    recurrent.build((batch_size, timesteps, features))
    x = tf.random.normal((batch_size, timesteps, features))
    if step == "forward":
        call = tf.function(lambda: _first(recurrent(x, training=False)))
    else:
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(recurrent.trainable_variables)

        @tf.function
        def call() -> Any:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(recurrent(x, training=True)))
            grads = tape.gradient(loss, recurrent.trainable_variables)
            optimizer.apply(grads, recurrent.trainable_variables)
            return loss

    return time_calls(call, repeats=repeats)


def measure_breakdown(head: str, *, batch_size: int, timesteps: int, features: int,
                      units: int, vocabulary: int, repeats: int) -> dict[str, dict[str, Any]]:
    """Time a training step of LSTM + head + loss, of the LSTM alone and of the head alone.

    The head alone gets a fixed input of the LSTM's output shape and computes the
    gradient of that input too, as it does inside the model.
    """
    import keras
    import tensorflow as tf

    return_sequences, head_units, loss_name = HEADS[head]
    head_units = vocabulary if head_units == "vocabulary" else head_units
    keras.utils.set_random_seed(0)
    recurrent = _recurrent("LSTM", units, return_sequences, None)
    dense = keras.layers.Dense(head_units)
    model = keras.Sequential([keras.Input((timesteps, features)), recurrent, dense])
    x = tf.random.normal((batch_size, timesteps, features))
    hidden = tf.random.normal((batch_size, timesteps, units) if return_sequences
                              else (batch_size, units))
    target_shape = (batch_size, timesteps) if return_sequences else (batch_size,)
    if loss_name == "mse":
        y = tf.random.normal((*target_shape, 1))
        loss_fn = keras.losses.MeanSquaredError()
    else:
        y = tf.random.uniform(target_shape, maxval=vocabulary, dtype=tf.int32)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(forward: Callable[[], Any], variables: list[Any], watched: list[Any]) -> Any:
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(variables)

        @tf.function
        def call() -> Any:
            with tf.GradientTape() as tape:
                for tensor in watched:
                    tape.watch(tensor)
                loss = forward()
            grads = tape.gradient(loss, [*variables, *watched])
            optimizer.apply(grads[:len(variables)], variables)
            return loss

        return call

    parts = {
        "full": step(lambda: loss_fn(y, model(x, training=True)),
                     model.trainable_variables, []),
        "recurrent": step(lambda: tf.reduce_mean(tf.square(recurrent(x, training=True))),
                          recurrent.trainable_variables, []),
        "head": step(lambda: loss_fn(y, dense(hidden, training=True)),
                     dense.trainable_variables, [hidden]),
    }
    return {part: time_calls(call, repeats=repeats) for part, call in parts.items()}


def matmul_peak(*, n: int, repeats: int, device: str = "CPU") -> dict[str, Any]:
    """Measure the FLOP/s of an ``n``-by-``n`` float32 matrix product (best of repeats).

    This is the "measured matmul peak" the chapter compares with, not a vendor number:
    a large product is about the best case for the same library on the same machine.
    """
    import tensorflow as tf

    with tf.device(f"/{device}:0"):
        a = tf.random.normal((n, n))
        b = tf.random.normal((n, n))
        call = tf.function(lambda: _first(tf.linalg.matmul(a, b)))
        timing = time_calls(call, repeats=repeats)
    best = min(timing["seconds_all"])
    return {"n": n, "device": device, "seconds_best": best, "seconds": timing["seconds"],
            "flops_per_second": 2 * n**3 / best}


def machine_info() -> dict[str, Any]:
    """Hardware and versions: CPU model (``lscpu``), cores, memory, GPUs, libraries."""
    import keras
    import numpy as np
    import psutil
    import tensorflow as tf

    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        lscpu = ""
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                  if line.startswith("Model name")), platform.processor() or "unknown")
    gpus = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
            for gpu in tf.config.list_physical_devices("GPU")]
    return {"cpu_model": model, "logical_cores": os.cpu_count(),
            "physical_cores": psutil.cpu_count(logical=False),
            "memory_bytes": psutil.virtual_memory().total, "gpus": gpus,
            "platform": platform.platform(), "python": sys.version.split()[0],
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__,
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset)")}


def configurations(grid: dict[str, Any]) -> list[dict[str, int]]:
    """The sizes to measure: ``base`` with one of timesteps, units, batch_size varied.

    Examples
    --------
    >>> [c["timesteps"] for c in configurations(GRIDS["quick"])][:3]
    [10, 100, 1000]
    >>> len(configurations(GRIDS["quick"])), len(configurations(GRIDS["full"]))
    (7, 10)
    """
    seen: list[dict[str, int]] = []
    for name in ("timesteps", "units", "batch_size"):
        for value in grid[name]:
            config = {**grid["base"], name: value}
            if config not in seen:
                seen.append(config)
    return seen


def run_benchmark(*, quick: bool = False, gpu: bool | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure every configuration of the grid; return the data file's content.

    Parameters
    ----------
    quick : bool
        Use the small grid (marked ``preliminary`` in the metadata).
    gpu : bool, optional
        Also measure on the first GPU, with the fused (cuDNN) kernel on and off. By
        default, when TensorFlow sees a GPU.
    progress : callable, optional
        Called with one line per measurement (the command line prints them).
    """
    import tensorflow as tf

    grid = GRIDS["quick" if quick else "full"]
    started = time.perf_counter()
    load_start = list(os.getloadavg())
    say = progress or (lambda line: None)
    devices = [("CPU", None)]
    if gpu if gpu is not None else bool(tf.config.list_physical_devices("GPU")):
        devices += [("GPU", True), ("GPU", False)]
    peak_devices = list(dict.fromkeys(device for device, _ in devices))
    peaks = [matmul_peak(n=grid["matmul_n"], repeats=10, device=d) for d in peak_devices]
    records = []
    for (device, fused), config, layer, return_sequences, step in itertools.product(
            devices, configurations(grid), grid["layers"], (True, False),
            ("forward", "training")):
        if fused is not None and layer == "SimpleRNN":
            continue  # no fused kernel for SimpleRNN
        with tf.device(f"/{device}:0"):
            timing = measure_layer(layer, return_sequences=return_sequences, step=step,
                                   repeats=grid["repeats"], fused=fused, **config)
        flops = recurrent_flops(layer, training=step == "training", **config)
        out = output_bytes(return_sequences=return_sequences, batch_size=config["batch_size"],
                           timesteps=config["timesteps"], units=config["units"])
        records.append({"device": device, "fused": fused, "layer": layer,
                        "return_sequences": return_sequences, "step": step, **config,
                        "flops": flops, "output_bytes": out, **timing})
        say(f"{device} fused={fused} {layer} return_sequences={return_sequences} {step} "
            f"{config}: {timing['seconds'] * 1e3:.1f} ms")
    # The peak again at the end; the better of the two is kept (a busy machine lowers it).
    for index, device in enumerate(peak_devices):
        again = matmul_peak(n=grid["matmul_n"], repeats=10, device=device)
        if again["flops_per_second"] > peaks[index]["flops_per_second"]:
            peaks[index] = again
    breakdown = []
    for head in HEADS:
        parts = measure_breakdown(head, vocabulary=grid["vocabulary"],
                                  repeats=grid["repeats"], **grid["base"])
        for part, timing in parts.items():
            breakdown.append({"head": head, "part": part, **grid["base"], **timing})
        say(f"breakdown {head}: " + ", ".join(
            f"{part} {t['seconds'] * 1e3:.1f} ms" for part, t in parts.items()))
    meta = {
        "preliminary": quick, "grid_name": "quick" if quick else "full",
        "command": "python -m companion.benchmark --output book/data/cost.json"
                   + (" --quick" if quick else ""),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "load_average_start": load_start, "load_average_end": list(os.getloadavg()),
        "wall_seconds": time.perf_counter() - started, "machine": machine_info(),
        "grid": {key: list(value) if isinstance(value, tuple) else value
                 for key, value in grid.items()},
        "heads": {name: list(head) for name, head in HEADS.items()},
        "matmul_peak": peaks,
        "notes": __doc__.split("How a number is taken: ", 1)[1].strip(),
    }
    if quick:
        meta["warning"] = ("preliminary: small grid, few repeats, measured on a shared, "
                           "loaded machine; regenerate without --quick on a quiet one")
    return {"meta": meta, "records": records, "breakdown": breakdown}
