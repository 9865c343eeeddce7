"""Measure each notebook's execution time and its kernel's peak memory.

    python scripts/bench_notebooks.py [book/x.ipynb ...]      (or: make bench)

Runs every notebook of _toc.yml in a fresh kernel, exactly as `make notebooks` does
but without writing anything back, samples the kernel's resident memory (RSS, the
kernel and its children) every 20 ms, and prints one line per notebook with the
targets from the issues: under 20 s and under 1.5 GB (Binder gives 2 GB). Exits 1 if
a notebook misses a target. Figures depend on the machine: run it on an idle one.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booktools  # noqa: E402

SECONDS_TARGET = 20.0
MEMORY_TARGET_MB = 1536.0


class PeakMemory(threading.Thread):
    """Poll a process tree's RSS until stopped; keep the peak in MB."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_mb = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                processes = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:  # the kernel itself is gone
                break
            rss = 0
            for process in processes:
                try:
                    rss += process.memory_info().rss
                except psutil.Error:  # a child (pip, a snippet) ended since the listing
                    pass
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            time.sleep(self.interval)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak_mb


def measure(path: Path) -> tuple[float, float]:
    """Seconds from asking for a fresh kernel to the last cell's end, and peak MB.

    Kernel start and imports count: they are part of what a reader (and nbval) waits for.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        sampler = PeakMemory(pid)
        sampler.start()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        peak = sampler.stop()
    return seconds, peak


def verdict(path: Path, seconds: float, peak_mb: float) -> str:
    """PASS, or FAIL naming the notebook and each target it misses.

    Examples
    --------
    >>> verdict(Path("book/x.ipynb"), 3.0, 500.0)
    'PASS'
    >>> verdict(Path("book/x.ipynb"), 25.0, 2000.0)
    'FAIL: book/x.ipynb takes 25.0 s (target < 20 s) and peaks at 2000 MB (target < 1536 MB)'
    """
    misses = []
    if seconds >= SECONDS_TARGET:
        misses.append(f"takes {seconds:.1f} s (target < {SECONDS_TARGET:.0f} s)")
    if peak_mb >= MEMORY_TARGET_MB:
        misses.append(f"peaks at {peak_mb:.0f} MB (target < {MEMORY_TARGET_MB:.0f} MB)")
    return f"FAIL: {path} {' and '.join(misses)}" if misses else "PASS"


def relative(path: Path) -> Path:
    try:
        return path.relative_to(booktools.ROOT)
    except ValueError:
        return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    os.environ.update(booktools.QUIET_ENV)
    paths = [p.resolve() for p in args.notebooks] or booktools.toc_notebooks()
    print(f"{psutil.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; targets: "
          f"< {SECONDS_TARGET:.0f} s (fresh kernel, start included), "
          f"< {MEMORY_TARGET_MB:.0f} MB kernel peak")
    print(f"{'notebook':40} {'seconds':>8} {'peak MB':>8}  verdict")
    failures = []
    total = 0.0
    for path in paths:
        seconds, peak = measure(path)
        total += seconds
        result = verdict(relative(path), seconds, peak)
        if result != "PASS":
            failures.append(result)
        print(f"{str(relative(path)):40} {seconds:8.1f} {peak:8.0f}  {result}")
    print(f"{'all notebooks':40} {total:8.1f}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
