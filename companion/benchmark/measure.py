"""Time the forward pass and training step of recurrent layers, repeated and interleaved.

Introduced in "What return_sequences costs"; :mod:`companion.benchmark.runner` calls these
over a grid and writes the data file. Keras and TensorFlow are imported inside functions.

How a number is taken: each variant (``return_sequences=True`` and ``False``, or the parts
of a training step) is built and wrapped in one ``tf.function``, called once to trace it
(warm-up, not timed), then the variants are called in turn, ``repeats`` rounds, the order
reversed every other round, so that a change in the machine's load falls on every variant
alike. Each call is timed with :func:`time.perf_counter` (wall clock) and
:func:`time.process_time` (CPU time of the process, all threads). Every run is kept, with
the one-minute load average before and after the rounds. The function returns one element
of its result, which forces the whole result to be computed without copying it to Python.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

#: Heads of the training-step breakdown: name -> (return_sequences, head units, loss).
HEADS = {
    "last step, Dense(1)": (False, 1, "mse"),
    "every step, Dense(1)": (True, 1, "mse"),
    "every step, Dense(vocabulary)": (True, "vocabulary", "sparse_crossentropy"),
}


def time_interleaved(functions: dict[str, Callable[[], Any]], *,
                     repeats: int) -> dict[str, dict[str, Any]]:
    """Warm each function up once, then time them in turn for ``repeats`` rounds.

    Round ``i`` calls the functions in their given order when ``i`` is even and in reverse
    when it is odd. A function returns a tensor (its ``.numpy()`` is read, so the time
    covers finished work on a GPU too) or any other value.

    Returns
    -------
    dict
        Per name: ``seconds`` (median), ``seconds_all`` (every run, in round order),
        ``seconds_min``, ``seconds_max``, ``cpu_seconds`` (median), ``cpu_seconds_all``
        and ``load_average`` (one-minute load average before and after the rounds).

    Examples
    --------
    >>> result = time_interleaved({"a": lambda: 1, "b": lambda: 2}, repeats=5)
    >>> sorted(result), len(result["a"]["seconds_all"]), len(result["b"]["load_average"])
    (['a', 'b'], 5, 2)
    """
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"expected repeats to be a whole number of at least 1, got "
                         f"{repeats!r}: pass for example repeats=7")

    def finish(value: Any) -> None:
        if hasattr(value, "numpy"):
            value.numpy()

    names = list(functions)
    for name in names:
        finish(functions[name]())
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        for name in names if round_index % 2 == 0 else names[::-1]:
            start, cpu_start = time.perf_counter(), time.process_time()
            finish(functions[name]())
            times[name].append(time.perf_counter() - start)
            cpu_times[name].append(time.process_time() - cpu_start)
    load = [load_before, os.getloadavg()[0]]
    return {name: {"seconds": statistics.median(times[name]), "seconds_all": times[name],
                   "seconds_min": min(times[name]), "seconds_max": max(times[name]),
                   "cpu_seconds": statistics.median(cpu_times[name]),
                   "cpu_seconds_all": cpu_times[name], "load_average": load}
            for name in names}


def _recurrent(layer: str, units: int, return_sequences: bool, fused: bool | None) -> Any:
    import keras

    options = {} if fused is None else {"use_cudnn": fused}
    return getattr(keras.layers, layer)(units, return_sequences=return_sequences, **options)


def _first(tensor: Any) -> Any:
    import tensorflow as tf

    return tf.reshape(tensor, [-1])[0]


def layer_call(layer: str, *, return_sequences: bool, step: str, batch_size: int,
               timesteps: int, features: int, units: int,
               fused: bool | None = None) -> Callable[[], Any]:
    """A compiled call of one recurrent layer: its forward pass or one training step.

    ``step="forward"``: the layer alone, nothing reads its output but one element.
    ``step="training"``: the layer alone with the loss ``mean(output ** 2)``, gradients of
    its weights and one Adam update; so ``return_sequences`` changes only how many outputs
    the loss reads.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    recurrent = _recurrent(layer, units, return_sequences, fused)
    recurrent.build((batch_size, timesteps, features))
    x = tf.random.normal((batch_size, timesteps, features))
    if step == "forward":
        return tf.function(lambda: _first(recurrent(x, training=False)))
    return training_step(recurrent, x)


def training_step(layer: Any, x: Any) -> Callable[[], Any]:
    """One compiled training step of ``layer`` on ``x``: a mean-square loss of what it
    returns, its gradients and one Adam update (the unroll measurement uses it too)."""
    import keras
    import tensorflow as tf

    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(layer.trainable_variables)

    @tf.function
    def call() -> Any:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(layer(x, training=True)))
        grads = tape.gradient(loss, layer.trainable_variables)
        optimizer.apply(grads, layer.trainable_variables)
        return loss

    return call


def write_data_file(path: Any, data: dict[str, Any]) -> None:
    """Write a benchmark's data file (JSON) and say where, with its wall time."""
    import json
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path} in {data['meta']['wall_seconds']:.0f} s")


def measure_pair(layer: str, *, step: str, batch_size: int, timesteps: int, features: int,
                 units: int, repeats: int,
                 fused: bool | None = None) -> dict[bool, dict[str, Any]]:
    """Time ``return_sequences=True`` and ``False`` of one layer, interleaved.

    Returns ``{True: timing, False: timing}``, each as :func:`time_interleaved` gives it.
    """
    sizes = {"batch_size": batch_size, "timesteps": timesteps, "features": features,
             "units": units}
    calls = {flag: layer_call(layer, return_sequences=flag, step=step, fused=fused, **sizes)
             for flag in (True, False)}
    timed = time_interleaved({str(flag): call for flag, call in calls.items()},
                             repeats=repeats)
    return {flag: timed[str(flag)] for flag in (True, False)}


def measure_breakdown(head: str, *, batch_size: int, timesteps: int, features: int,
                      units: int, vocabulary: int, repeats: int) -> dict[str, dict[str, Any]]:
    """Time a training step of LSTM + head + loss, of the LSTM alone and of the head alone.

    The three are interleaved. The LSTM alone has the loss ``mean(output ** 2)``. The head
    alone gets a fixed input of the LSTM's output shape and computes the gradient of that
    input too, as it does inside the model.
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
    return time_interleaved(parts, repeats=repeats)


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
        timing = time_interleaved({"matmul": call}, repeats=repeats)["matmul"]
    best = timing["seconds_min"]
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
