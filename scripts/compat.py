"""The compatibility run (`make compat`): the companion's unit tests and every notebook of
``_toc.yml``, executed again under nbval, on the floor stack of ``requirements-compat.txt``
(the oldest Keras and TensorFlow the book supports, installed in ``.venv-compat``).

Outputs are compared with ``tests/compat-sanitize.cfg``: facts (exception types, shapes,
counts, booleans) must match the stored notebooks, wording and incidental rounded numbers
may differ. A cell that crashes fails, as in the pinned run. The pinned run (`make test`)
stays strict: it uses no sanitizer.

Usage: .venv-compat/bin/python scripts/compat.py [extra pytest arguments]
"""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version

import booktools
import nbformat

SANITIZE = booktools.ROOT / "tests" / "compat-sanitize.cfg"
#: The browser tests drive the built book (made by the pinned stack), not the floor stack.
UNIT_PATHS = ["tests", "companion", "README.md"]


#: Part III's bridges are pinned with the pinned stack only: the floor stack tests the
#: TensorFlow backend. A notebook or a companion module whose code needs one of them
#: (booktools.needed_extras: the same analysis that writes a chapter's extras cell) is left
#: out where the module is not installed (and said so).
EXTRAS = booktools.EXTRAS


def missing_extras(text: str) -> set[str]:
    """The EXTRAS that the code ``text`` needs and that this environment lacks."""
    return {name for name in booktools.needed_extras(text)
            if importlib.util.find_spec(name) is None}


def code_of(path: pathlib.Path) -> str:
    """The code of a module, or of a notebook's code cells (not its JSON text)."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    return booktools.notebook_code(nbformat.read(path, as_version=4))


def notebooks() -> list[str]:
    """Every page of ``_toc.yml`` as a notebook path relative to the repository root."""
    return [f"{page}.ipynb" for page in booktools.toc_files()]


#: Test modules that exist to test the Part III extras themselves (under CI=true they
#: fail, rather than skip, when an extra is missing): left out where one is missing.
EXTRA_TESTS = {"tests/test_torch_bridge.py": {"torch"},
               "tests/test_backends.py": {"jax", "torch", "tf_keras"}}


def left_out() -> dict[str, set[str]]:
    """Notebooks, companion modules and extra-only tests that need an extra this
    environment lacks."""
    paths = notebooks() + sorted(
        str(p.relative_to(booktools.ROOT)) for p in (booktools.ROOT / "companion").rglob("*.py"))
    result = {}
    for path in paths:
        missing = missing_extras(code_of(booktools.ROOT / path))
        if missing:
            result[path] = missing
    for path, needs in EXTRA_TESTS.items():
        missing = {name for name in needs if importlib.util.find_spec(name) is None}
        if missing:
            result[path] = missing
    return result


def command(extra: list[str], skip: dict[str, set[str]] | None = None) -> list[str]:
    skip = left_out() if skip is None else skip
    workers = ["-n", "2"] if importlib.util.find_spec("xdist") else []
    pages = [page for page in notebooks() if page not in skip]
    ignored = [f"--ignore={path}" for path in skip if path.startswith(("companion/", "tests/"))]
    return [sys.executable, "-m", "pytest", *workers, "-m", "not browser",
            "--nbval-sanitize-with", str(SANITIZE), *ignored, *UNIT_PATHS, *pages, *extra]


def installed(*names: str) -> str:
    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            pass
    return "not installed"


def main(argv: list[str]) -> int:
    print(f"compat: keras {installed('keras')}, "
          f"tensorflow {installed('tensorflow-cpu', 'tensorflow')}, numpy {installed('numpy')}; "
          f"{len(notebooks())} notebooks", flush=True)
    skip = left_out()
    for path, missing in skip.items():
        print(f"compat: left out {path} (needs {', '.join(sorted(missing))}, "
              "not part of the floor stack)", flush=True)
    start = time.perf_counter()
    code = subprocess.call(command(argv, skip), cwd=booktools.ROOT)
    print(f"compat: pytest took {time.perf_counter() - start:.0f} s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
