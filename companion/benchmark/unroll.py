"""Measure what ``unroll=True`` costs and saves: trace time, graph size and speed.

Introduced in "Change precision and unroll the loop". Run
``python -m companion.benchmark.unroll --output book/data/unroll.json`` (about two
minutes on a busy 2-core machine); the chapter reads the file and never times anything
itself.

Two measurements, each ``unroll=True`` next to ``unroll=False`` of the same LSTM:

- ``trace``: for each number of timesteps, the first call of a fresh ``tf.function``
  around a freshly built layer (tracing, graph optimisation and one run), and the traced
  graph's number of operations and serialised size in bytes (these two are counts, the
  same on every run).
- ``speed``: for a few short sequences, the forward pass and one training step, each
  compiled and warmed up, timed as ``calls`` calls in a row.

Both go through :func:`companion.benchmark.measure.time_interleaved` (the cost chapter's
rounds: the two variants in turn, the order reversed every other round, every run kept
with the load average), and the chapter's verdicts come from
:mod:`companion.benchmark.verdicts`, which call a difference only outside the spread.
"""

from __future__ import annotations

import argparse
import datetime
import os
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

#: What is measured. Sized to take about two minutes on a busy 2-core machine.
SETTINGS: dict[str, Any] = {
    "layer": "LSTM", "batch_size": 32, "features": 8, "units": 32,
    "trace_timesteps": [5, 20, 50, 100], "trace_repeats": 8,
    "speed_timesteps": [5, 10, 20, 50], "speed_repeats": 8, "calls": 20,
    "steps": ["forward", "training"],
}

#: Verdict labels, read as "unroll=True is slower/faster than unroll=False".
LABELS = ("unroll=True slower", "unroll=True faster")

COMMAND = "python -m companion.benchmark.unroll --output book/data/unroll.json"


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


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m companion.benchmark.unroll --output FILE``."""
    parser = argparse.ArgumentParser(
        prog="python -m companion.benchmark.unroll",
        description="Time an LSTM with unroll=True and unroll=False (first call, graph "
                    "size, forward pass, training step) and write the data file of the "
                    "chapter 'Change precision and unroll the loop'.")
    parser.add_argument("--output", type=Path, required=True,
                        help="JSON file to write, e.g. book/data/unroll.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # as the book's notebooks run
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # retracing notices: each layer is new
    write_data_file(args.output, run_unroll(progress=lambda line: print(line, flush=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
