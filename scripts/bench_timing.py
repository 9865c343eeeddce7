"""A pytest plugin for scripts/bench_phases.py: the wall seconds of every test item.

    PYTHONPATH=scripts BENCH_TIMINGS_DIR=/tmp/t python -m pytest -p bench_timing ...

Loaded only by the benchmark (``-p bench_timing``); without ``BENCH_TIMINGS_DIR`` it
records nothing. Each process (the controller, or every pytest-xdist worker) writes one
JSON line per test item to ``BENCH_TIMINGS_DIR/<worker>.jsonl``: its node id, its file
and the wall seconds of its setup + call + teardown (so a notebook's kernel start and a
session fixture's browser launch count for the item that triggers them).

No CPU seconds per item: the CPU of processes that outlive an item (nbval's kernel, the
browser) cannot be split between items reliably, and Chromium's renderers exit without
being counted by any parent; bench_phases reports each make step's CPU instead.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

ENV = "BENCH_TIMINGS_DIR"


class _Recorder:
    def __init__(self, folder: Path, worker: str) -> None:
        self.path = folder / f"{worker}.jsonl"
        self.records: list[dict] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        start = time.perf_counter()
        yield
        self.records.append({"nodeid": item.nodeid, "file": item.location[0],
                             "wall": time.perf_counter() - start})

    def pytest_sessionfinish(self, session):
        if not self.records:  # the xdist controller runs no test
            return
        with self.path.open("a", encoding="utf-8") as stream:
            for record in self.records:
                stream.write(json.dumps(record) + "\n")


def pytest_configure(config):
    folder = os.environ.get(ENV)
    if folder:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        config.pluginmanager.register(_Recorder(Path(folder), worker), "bench-timing-recorder")
