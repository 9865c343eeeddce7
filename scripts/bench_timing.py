"""A pytest plugin for scripts/bench_phases.py: wall and CPU seconds of every test item.

    PYTHONPATH=scripts BENCH_TIMINGS_DIR=/tmp/t python -m pytest -p bench_timing ...

Loaded only by the benchmark (``-p bench_timing``); without ``BENCH_TIMINGS_DIR`` it
records nothing. Each process (the controller, or every pytest-xdist worker) writes one
JSON line per test item to ``BENCH_TIMINGS_DIR/<worker>.jsonl``: its node id, its file,
the wall seconds of setup + call + teardown (so a notebook's kernel start and a session
fixture's browser launch count for the item that triggers them) and the CPU seconds
spent meanwhile by the process and every process below it (nbval's kernel included).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psutil
import pytest

ENV = "BENCH_TIMINGS_DIR"


def cpu_seconds(process: psutil.Process | None = None) -> float:
    """CPU seconds (user + system) of a process, its live descendants and reaped children.

    Examples
    --------
    >>> cpu_seconds() > 0
    True
    """
    process = process or psutil.Process()
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


class _Recorder:
    def __init__(self, folder: Path, worker: str) -> None:
        self.path = folder / f"{worker}.jsonl"
        self.records: list[dict] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        wall, cpu = time.perf_counter(), cpu_seconds()
        yield
        self.records.append({
            "nodeid": item.nodeid, "file": item.location[0],
            "wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu})

    def pytest_sessionfinish(self, session):
        with self.path.open("a", encoding="utf-8") as stream:
            for record in self.records:
                stream.write(json.dumps(record) + "\n")


def pytest_configure(config):
    folder = os.environ.get(ENV)
    if folder:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        config.pluginmanager.register(_Recorder(Path(folder), worker), "bench-timing-recorder")
