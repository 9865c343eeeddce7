"""Re-execute the book's notebooks in place with nbclient and normalise them.

    python scripts/execute_notebooks.py            # every notebook in _toc.yml
    python scripts/execute_notebooks.py book/x.ipynb

This is the only way the committed outputs are produced (`make notebooks`). Each
notebook runs in a fresh kernel of this interpreter, from its own folder, with the
same quiet environment nbval uses in `make test`. The hidden install cells come first:
the Colab cell, and in a chapter whose code needs Part III's extras the extras cell
(booktools.set_extras_cell), kept in step with the code before each run. Cells tagged
`raises-exception` may fail; any other error stops the run. Volatile metadata is
normalised, so running it twice leaves `git diff` empty.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booktools  # noqa: E402


def execute(path: Path, *, timeout: int = 120) -> float:
    nb = nbformat.read(path, as_version=4)
    booktools.set_colab_cell(nb)
    booktools.set_extras_cell(nb)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    seconds = time.perf_counter() - start
    nb = booktools.normalise(nb, name=str(path))
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.update(booktools.QUIET_ENV)
    paths = [p.resolve() for p in args.notebooks] or booktools.toc_notebooks()
    for path in paths:
        try:
            seconds = execute(path, timeout=args.timeout)
        except Exception as error:  # report which notebook failed, then stop
            print(f"FAILED {path.relative_to(booktools.ROOT)}: {error}", file=sys.stderr)
            return 1
        print(f"executed {path.relative_to(booktools.ROOT)} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
