"""Measure what ``unroll=True`` costs and saves: trace time, graph size, speed, memory.

Introduced in "Change precision and unroll the loop". Run
``python -m companion.benchmark.unroll --output companion/data/unroll.json`` (about six
minutes on a busy 2-core machine, five of them for the memory part's 40 fresh processes;
each part records its wall time in the file); the chapter reads the file and never times
anything or measures memory itself. ``--only memory`` re-measures the process
memory alone and keeps the timings already in the file (``--only timing`` the reverse).

Two measurements, each ``unroll=True`` next to ``unroll=False`` of the same LSTM:

- ``trace``: for each number of timesteps, the first call of a fresh ``tf.function``
  around a freshly built layer (tracing, graph optimisation and one run), and the traced
  graph's number of operations and serialised size in bytes (counts, not timings: the
  operation count is the same in every process; the bytes also carry the operation
  names, which hold Keras's layer-name counter, so they differ a little between
  processes).
- ``speed``: for a few short sequences, the forward pass and one training step, each
  compiled and warmed up, timed as ``calls`` calls in a row.

Both go through :func:`companion.benchmark.measure.time_interleaved` (the cost chapter's
rounds: the two variants in turn, the order reversed every other round, every run kept
with the load average), and the chapter's verdicts come from
:mod:`companion.benchmark.verdicts`, which call a difference only outside the spread.

The process memory (the file's ``memory`` part, with its own metadata) is measured apart
from the timings: see :func:`run_memory`. The graph size above counts what the traced
graph holds; the process memory is what the operating system gives the process.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion.benchmark.measure import (
    machine_info,
    time_interleaved,
    training_step,
    write_data_file,
)
from companion.benchmark.verdicts import compare, ratio_range
from companion.subprocess_run import run_snippet

#: What is timed. Sized to take well under a minute on a quiet 2-core machine.
SETTINGS: dict[str, Any] = {
    "layer": "LSTM", "batch_size": 32, "features": 8, "units": 32,
    "trace_timesteps": [5, 20, 50, 100], "trace_repeats": 8,
    "speed_timesteps": [5, 10, 20, 50], "speed_repeats": 8, "calls": 20,
    "steps": ["forward", "training"],
}

#: Verdict labels, read as "unroll=True is slower/faster than unroll=False".
LABELS = ("unroll=True slower", "unroll=True faster")

COMMAND = "python -m companion.benchmark.unroll --output companion/data/unroll.json"

#: The memory part: the model of :data:`SETTINGS`, each point in a fresh process.
MEMORY_SETTINGS: dict[str, Any] = {
    **{key: SETTINGS[key] for key in ("layer", "batch_size", "features", "units", "calls")},
    "timesteps": [5, 20, 50, 100], "repeats": 5, "steps": ["forward", "training"],
}

#: Memory verdict labels, read as "unroll=True needs more/less memory than unroll=False".
MEMORY_LABELS = ("unroll=True larger", "unroll=True smaller")

#: The parts of the data file that ``--only`` re-measures alone.
PARTS = ("timing", "memory")


def _layer(unroll: bool, timesteps: int, settings: dict[str, Any]) -> tuple[Any, Any]:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    layer = getattr(keras.layers, settings["layer"])(settings["units"], unroll=unroll)
    shape = (settings["batch_size"], timesteps, settings["features"])
    layer.build(shape)
    return layer, tf.random.normal(shape)


def graph_size(unroll: bool, timesteps: int,
               settings: dict[str, Any] | None = None) -> dict[str, int]:
    """Operations and serialised bytes of the traced forward pass (a count, not a time).

    Examples
    --------
    >>> rolled, unrolled = graph_size(False, 5), graph_size(True, 5)
    >>> rolled["operations"] < unrolled["operations"]
    True
    """
    import tensorflow as tf

    layer, x = _layer(unroll, timesteps, settings or SETTINGS)
    graph = tf.function(lambda t: layer(t)).get_concrete_function(x).graph
    return {"operations": len(graph.get_operations()),
            "graph_bytes": len(graph.as_graph_def().SerializeToString())}


def first_call(unroll: bool, timesteps: int,
               settings: dict[str, Any]) -> Callable[[], Any]:
    """A function that builds a fresh layer and ``tf.function`` and calls it once.

    Timed by :func:`time_interleaved`, each call is a first call: tracing, graph
    optimisation and one run (building the layer is the same for both settings).
    """
    import tensorflow as tf

    def call() -> Any:
        layer, x = _layer(unroll, timesteps, settings)
        return tf.function(lambda: layer(x))()

    return call


def compiled_calls(unroll: bool, timesteps: int, step: str,
                   settings: dict[str, Any]) -> Callable[[], Any]:
    """``settings["calls"]`` calls in a row of one compiled forward pass or training step."""
    import tensorflow as tf

    layer, x = _layer(unroll, timesteps, settings)
    if step == "forward":
        function = tf.function(lambda: layer(x, training=False))
    else:
        function = training_step(layer, x)

    def calls() -> Any:
        for _ in range(settings["calls"] - 1):
            function()
        return function()

    return calls


def _pair(make: Callable[[bool], Callable[[], Any]], repeats: int) -> dict[bool, Any]:
    timed = time_interleaved({"True": make(True), "False": make(False)}, repeats=repeats)
    return {flag: timed[str(flag)] for flag in (True, False)}


def _record(kind: dict[str, Any], pair: dict[bool, Any]) -> dict[str, Any]:
    trues, falses = pair[True]["seconds_all"], pair[False]["seconds_all"]
    return {**kind, "unroll_true": pair[True], "unroll_false": pair[False],
            "ratio_range": list(ratio_range(trues, falses)),
            "verdict": compare(trues, falses, labels=LABELS)}


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def run_unroll(settings: dict[str, Any] | None = None, *,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure trace time, graph size and speed; return the data file's content."""
    settings = {**SETTINGS, **(settings or {})}
    say = progress or (lambda line: None)
    started = time.perf_counter()
    load_start = _load()
    trace = []
    for timesteps in settings["trace_timesteps"]:
        pair = _pair(lambda flag, t=timesteps: first_call(flag, t, settings),
                     settings["trace_repeats"])
        sizes = {str(flag): graph_size(flag, timesteps, settings) for flag in (True, False)}
        trace.append(_record({"timesteps": timesteps, "graph": sizes}, pair))
        say(f"{time.perf_counter() - started:5.0f} s trace T={timesteps}: "
            f"{trace[-1]['verdict']}, ratio {trace[-1]['ratio_range']}")
    speed = []
    for step in settings["steps"]:
        for timesteps in settings["speed_timesteps"]:
            pair = _pair(lambda flag, t=timesteps, s=step: compiled_calls(flag, t, s, settings),
                         settings["speed_repeats"])
            speed.append(_record({"step": step, "timesteps": timesteps}, pair))
            say(f"{time.perf_counter() - started:5.0f} s {step} T={timesteps}: "
                f"{speed[-1]['verdict']}, ratio {speed[-1]['ratio_range']}, "
                f"load {pair[True]['load_average']}")
    meta = {
        "command": COMMAND,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "load_average_start": load_start, "load_average_end": _load(),
        "wall_seconds": time.perf_counter() - started, "machine": machine_info(),
        "settings": settings, "labels": list(LABELS),
        "notes": "Two measurements, " + __doc__.split("Two measurements, ", 1)[1].strip(),
    }
    return {"meta": meta, "trace": trace, "speed": speed}


def peak_memory_kib() -> int:
    """This process's peak resident memory so far, in KiB (``ru_maxrss``).

    Linux reports ``ru_maxrss`` in KiB and macOS in bytes; the result is KiB on both.
    The peak never goes down: what a process held once counts until it exits.

    Examples
    --------
    >>> first = peak_memory_kib()
    >>> block = bytearray(64 * 2**20)  # 64 MiB, written, so resident
    >>> peak_memory_kib() >= first
    True
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def memory_point(unroll: bool, timesteps: int,
                 settings: dict[str, Any] | None = None) -> dict[str, int]:
    """Peak memory of this process before and after the compiled calls, in KiB.

    Imports TensorFlow and Keras, reads the peak (``baseline_kib``: what the imports
    took), then builds the layer of ``settings`` and runs ``settings["calls"]`` calls of
    its compiled forward pass (``forward_peak_kib``), then builds it again and runs as many
    compiled training steps (``training_peak_kib``), as the speed measurement does. Each
    reading is the peak so far, so the training reading includes the forward pass. Run it
    in a fresh process (:func:`memory_in_fresh_process`), or earlier work counts too.
    """
    import keras  # noqa: F401  (imported before the baseline, like TensorFlow)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    settings = {**MEMORY_SETTINGS, **(settings or {})}
    readings = {"baseline_kib": peak_memory_kib()}
    for step in settings["steps"]:
        compiled_calls(unroll, timesteps, step, settings)()
        readings[f"{step}_peak_kib"] = peak_memory_kib()
    return readings


def memory_in_fresh_process(unroll: bool, timesteps: int,
                            settings: dict[str, Any]) -> dict[str, int]:
    """:func:`memory_point` in a new Python process; returns its readings.

    The process is :func:`companion.subprocess_run.run_snippet`'s: the TensorFlow
    backend, TensorFlow's quiet variables, and JAX, PyTorch and Matplotlib not importable
    (Keras imports them when it can), so the baseline is the imports of TensorFlow, Keras
    and the companion's modules that :func:`memory_point` needs.
    """
    code = ("import json\nfrom companion.benchmark.unroll import memory_point\n"
            f"result = memory_point({bool(unroll)!r}, {int(timesteps)!r}, "
            f"json.loads({json.dumps(settings)!r}))")
    return run_snippet(code, timeout=600)


def model_share(runs: dict[str, list[int]], step: str) -> list[int]:
    """Peak minus baseline of each run, in KiB: the memory the model and its calls added,
    TensorFlow's first compiled call included (a one-operation ``tf.function`` alone adds
    several MiB), so it is not the layer's own memory; that fixed part cancels out of the
    growth per timestep.

    Examples
    --------
    >>> model_share({"baseline_kib": [100, 102], "forward_peak_kib": [130, 131]}, "forward")
    [30, 29]
    """
    return [peak - base for peak, base in
            zip(runs[f"{step}_peak_kib"], runs["baseline_kib"], strict=True)]


def run_memory(settings: dict[str, Any] | None = None, *,
               measure: Callable[[bool, int, dict[str, Any]], dict[str, int]] | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure the process memory of ``unroll=False`` and ``unroll=True``; the file's part.

    For each number of timesteps, ``repeats`` rounds, each running both settings, each in
    a fresh process (``measure``, :func:`memory_in_fresh_process` by default), ``False``
    first in even rounds and ``True`` first in odd ones. Every reading is kept; each row
    holds, per step, the paired ratio ``True / False`` of the model's share
    (:func:`model_share`) and the verdict of :func:`companion.benchmark.verdicts.compare`.
    """
    settings = {**MEMORY_SETTINGS, **(settings or {})}
    measure = measure or memory_in_fresh_process
    say = progress or (lambda line: None)
    started = time.perf_counter()
    load_start = _load()
    rows = []
    for timesteps in settings["timesteps"]:
        runs: dict[bool, dict[str, list[int]]] = {True: {}, False: {}}
        for round_index in range(settings["repeats"]):
            for flag in (False, True) if round_index % 2 == 0 else (True, False):
                for key, value in measure(flag, timesteps, settings).items():
                    runs[flag].setdefault(key, []).append(value)
        row: dict[str, Any] = {"timesteps": timesteps, "unroll_true": runs[True],
                               "unroll_false": runs[False]}
        for step in settings["steps"]:
            trues, falses = model_share(runs[True], step), model_share(runs[False], step)
            row[step] = {"ratio_range": list(ratio_range(trues, falses)),
                         "verdict": compare(trues, falses, labels=MEMORY_LABELS)}
        rows.append(row)
        say(f"{time.perf_counter() - started:5.0f} s memory T={timesteps}: "
            + ", ".join(f"{step} {row[step]['verdict']}" for step in settings["steps"]))
    meta = {
        "command": f"{COMMAND} --only memory",
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "load_average_start": load_start, "load_average_end": _load(),
        "wall_seconds": time.perf_counter() - started, "settings": settings,
        "labels": list(MEMORY_LABELS), "unit": "KiB",
        "notes": "\n\n".join(inspect.cleandoc(function.__doc__).split("\n\n")[1]
                             for function in (run_memory, memory_point,
                                              memory_in_fresh_process)),
    }
    return {"meta": meta, "rows": rows}


def merge_part(existing: dict[str, Any], part: str, measured: dict[str, Any]) -> dict[str, Any]:
    """The data file's content with one part replaced by a new measurement.

    ``part="memory"``: ``measured`` is what :func:`run_memory` returns, stored under
    ``"memory"``. ``part="timing"``: ``measured`` is what :func:`run_unroll` returns
    (``meta``, ``trace``, ``speed``), and the existing memory part is kept.

    Examples
    --------
    >>> merge_part({"meta": {"a": 1}, "trace": [], "speed": []}, "memory", {"rows": []})
    {'meta': {'a': 1}, 'trace': [], 'speed': [], 'memory': {'rows': []}}
    """
    if part not in PARTS:
        raise ValueError(f"expected part to be one of {PARTS}, got {part!r}")
    if part == "memory":
        return {**existing, "memory": measured}
    kept = {"memory": existing["memory"]} if "memory" in existing else {}
    return {**measured, **kept}


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m companion.benchmark.unroll --output FILE [--only PART]``."""
    parser = argparse.ArgumentParser(
        prog="python -m companion.benchmark.unroll",
        description="Time an LSTM with unroll=True and unroll=False (first call, graph "
                    "size, forward pass, training step), measure the peak memory of a "
                    "fresh process running each, and write the data file of the chapter "
                    "'Change precision and unroll the loop'.")
    parser.add_argument("--output", type=Path, required=True,
                        help="JSON file to write, e.g. companion/data/unroll.json")
    parser.add_argument("--only", choices=PARTS,
                        help="measure this part alone and keep the other part already in "
                             "--output (which must exist)")
    args = parser.parse_args(argv)
    if args.only and not args.output.is_file():
        parser.error(f"--only {args.only} keeps the rest of {args.output}, which does not "
                     "exist: run once without --only")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # as the book's notebooks run

    def say(line: str) -> None:
        print(line, flush=True)

    if args.only == "memory":
        memory = run_memory(progress=say)
        memory["meta"]["machine"] = machine_info()
        content = merge_part(json.loads(args.output.read_text()), "memory", memory)
        args.output.write_text(json.dumps(content, indent=1) + "\n")
        print(f"wrote the memory part of {args.output} in "
              f"{memory['meta']['wall_seconds']:.0f} s")
        return 0
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # retracing notices: each layer is new
    content = run_unroll(progress=say)
    if args.only == "timing":
        content = merge_part(json.loads(args.output.read_text()), "timing", content)
    else:
        memory = run_memory(progress=say)
        memory["meta"]["machine"] = content["meta"]["machine"]
        content = merge_part(content, "memory", memory)
    write_data_file(args.output, content)
    if not args.only:
        print(f"(timings; the memory part took {memory['meta']['wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
