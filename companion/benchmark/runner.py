"""Measure the whole grid and return the content of the data file.

Introduced in "What return_sequences costs";
``python -m companion.benchmark --output companion/data/cost.json`` calls :func:`run_benchmark`
and writes what it returns (add ``--quick`` for a small grid). See
:mod:`companion.benchmark.measure` for how one number is taken.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable
from typing import Any

from companion.benchmark.flops import output_bytes, recurrent_flops
from companion.benchmark.measure import (
    HEADS,
    machine_info,
    matmul_peak,
    measure_breakdown,
    measure_pair,
)
from companion.benchmark.measure import __doc__ as MEASURE_DOC

#: The grids. Every configuration varies one of timesteps, units and batch_size away
#: from ``base``; the union of those configurations is measured once each, with
#: ``repeats`` interleaved runs of each flag. Sized to finish in about ten minutes on a
#: busy 2-core machine.
GRIDS: dict[str, dict[str, Any]] = {
    "full": {"layers": ("LSTM", "GRU", "SimpleRNN"), "timesteps": (10, 30, 100, 300, 1000),
             "units": (16, 64, 256, 512), "batch_size": (8, 32, 128),
             "base": {"batch_size": 32, "timesteps": 100, "features": 16, "units": 64},
             "repeats": 10, "matmul_n": 2048, "vocabulary": 1000},
    "quick": {"layers": ("LSTM", "GRU", "SimpleRNN"), "timesteps": (10, 100),
              "units": (16, 64), "batch_size": (8, 32),
              "base": {"batch_size": 32, "timesteps": 100, "features": 16, "units": 64},
              "repeats": 5, "matmul_n": 1024, "vocabulary": 1000},
}

#: The fewest runs of each flag a data file may hold per point.
MIN_REPEATS = 5


def configurations(grid: dict[str, Any]) -> list[dict[str, int]]:
    """The sizes to measure: ``base`` with one of timesteps, units, batch_size varied.

    Examples
    --------
    >>> [c["timesteps"] for c in configurations(GRIDS["full"])][:5]
    [10, 30, 100, 300, 1000]
    >>> len(configurations(GRIDS["quick"])), len(configurations(GRIDS["full"]))
    (4, 10)
    """
    seen: list[dict[str, int]] = []
    for name in ("timesteps", "units", "batch_size"):
        for value in grid[name]:
            config = {**grid["base"], name: value}
            if config not in seen:
                seen.append(config)
    return seen


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


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
    repeats = grid["repeats"]
    started = time.perf_counter()
    load_start = _load()
    say = progress or (lambda line: None)
    devices = [("CPU", None)]
    if gpu if gpu is not None else bool(tf.config.list_physical_devices("GPU")):
        devices += [("GPU", True), ("GPU", False)]
    peak_devices = list(dict.fromkeys(device for device, _ in devices))
    peaks = [matmul_peak(n=grid["matmul_n"], repeats=10, device=d) for d in peak_devices]
    records = []
    for device, fused in devices:
        for config in configurations(grid):
            for layer in grid["layers"]:
                if fused is not None and layer == "SimpleRNN":
                    continue  # no fused kernel for SimpleRNN
                for step in ("forward", "training"):
                    with tf.device(f"/{device}:0"):
                        pair = measure_pair(layer, step=step, repeats=repeats, fused=fused,
                                            **config)
                    flops = recurrent_flops(layer, training=step == "training", **config)
                    for flag, timing in pair.items():
                        out = output_bytes(return_sequences=flag,
                                           batch_size=config["batch_size"],
                                           timesteps=config["timesteps"],
                                           units=config["units"])
                        records.append({"device": device, "fused": fused, "layer": layer,
                                        "return_sequences": flag, "step": step, **config,
                                        "flops": flops, "output_bytes": out, **timing})
                    say(f"{time.perf_counter() - started:5.0f} s {device} fused={fused} "
                        f"{layer} {step} {config}: True {pair[True]['seconds'] * 1e3:.1f} "
                        f"ms, False {pair[False]['seconds'] * 1e3:.1f} ms, load "
                        f"{pair[True]['load_average']}")
    # The peak again at the end; the better of the two is kept (a busy machine lowers it).
    for index, device in enumerate(peak_devices):
        again = matmul_peak(n=grid["matmul_n"], repeats=10, device=device)
        if again["flops_per_second"] > peaks[index]["flops_per_second"]:
            peaks[index] = again
    breakdown = []
    for head in HEADS:
        parts = measure_breakdown(head, vocabulary=grid["vocabulary"], repeats=repeats,
                                  **grid["base"])
        for part, timing in parts.items():
            breakdown.append({"head": head, "part": part, **grid["base"], **timing})
        say(f"breakdown {head}: " + ", ".join(
            f"{part} {t['seconds'] * 1e3:.1f} ms" for part, t in parts.items()))
    meta = {
        "preliminary": quick, "grid_name": "quick" if quick else "full",
        "command": "python -m companion.benchmark --output companion/data/cost.json"
                   + (" --quick" if quick else ""),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "load_average_start": load_start, "load_average_end": _load(),
        "wall_seconds": time.perf_counter() - started, "machine": machine_info(),
        "grid": {key: list(value) if isinstance(value, tuple) else value
                 for key, value in grid.items()},
        "heads": {name: list(head) for name, head in HEADS.items()},
        "matmul_peak": peaks,
        "notes": MEASURE_DOC.split("How a number is taken: ", 1)[1].strip(),
    }
    if quick:
        meta["warning"] = ("preliminary: small grid, measured with --quick; regenerate "
                           "without --quick")
    return {"meta": meta, "records": records, "breakdown": breakdown}
