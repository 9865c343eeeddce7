"""Root test set-up, loaded for every pytest run here (unit tests, doctests, nbval).

1. The quiet environment (``booktools.QUIET_ENV``) is set at import time, before any
   test imports Keras and before nbval starts a kernel: TensorFlow's C++ start-up lines
   must not reach stderr, or nbval reports outputs the stored notebooks do not have.
   ``PYTHONHASHSEED`` is the exception: one set by the caller is kept.
2. No network at run time. In this process pytest-socket lets test functions connect
   only to loopback (``--allow-hosts``, set below unless given on the command line).
   Notebook kernels are separate processes: they get the same restriction from an
   IPython start-up file in a temporary ``IPYTHONDIR`` (``tests/no_network/startup.py``).
   ``tests/test_no_network.py`` shows that both catch a deliberate connection.
3. nbval's kernels come from a fork server that has imported Keras once
   (``tests/preloaded_kernel``, the ``book-preloaded`` kernelspec): each notebook still
   runs in a new kernel process, in the state a fresh ``import keras`` leaves, without
   paying three to four seconds of TensorFlow import per notebook. A kernel the server
   cannot give exactly (another interpreter, another import-time environment, a random
   hash seed) is started fresh, and ``BOOK_FRESH_KERNELS=1`` starts every one fresh.
   The server starts when a process has collected two notebooks or more.
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

import booktools  # noqa: E402
import preloaded_kernel  # noqa: E402

# A PYTHONHASHSEED already set wins, so the notebooks can be checked under other hash
# seeds (PYTHONHASHSEED=random make test-pytest); make exports 0.
os.environ.update({key: value for key, value in booktools.QUIET_ENV.items()
                   if key != "PYTHONHASHSEED" or key not in os.environ})

LOOPBACK = "127.0.0.1,::1"


def _ipython_dir_without_network() -> str:
    directory = tempfile.mkdtemp(prefix="book-ipython-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    startup = Path(directory, "profile_default", "startup")
    startup.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "no_network" / "startup.py", startup / "00-no-network.py")
    return directory


os.environ["IPYTHONDIR"] = _ipython_dir_without_network()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--allow-hosts", default=None) is None:
        config.option.allow_hosts = LOOPBACK
    option = config.option
    if (getattr(option, "nbval_current_env", False) and not option.nbval_kernel_name
            and os.environ.get("BOOK_FRESH_KERNELS") != "1"):
        directory = tempfile.mkdtemp(prefix="book-jupyter-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        preloaded_kernel.write_kernelspec(directory)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [directory, os.environ.get("JUPYTER_PATH")]))
        option.nbval_current_env = False
        option.nbval_kernel_name = preloaded_kernel.KERNEL_NAME


#: The files that take longest under ``make test`` (worker seconds, measured by
#: scripts/bench_phases.py on 2026-12-07), longest first. pytest-xdist hands out whole
#: files in the order collected (pyproject.toml: ``--no-loadscope-reorder``), so these go
#: first, then the other notebooks, the other test files, and the package's doctests
#: (many short files) last: no long file starts while the other worker is about to
#: finish. It sets an order only: a stale entry costs time, never a result.
LONGEST_FIRST = (
    "tests/test_browser.py", "tests/test_fuzz_diagnose.py", "book/error-gallery.ipynb",
    "tests/test_backends.py", "tests/test_diagnose_cli.py", "tests/test_shapes.py",
    "book/saving.ipynb", "tests/test_replay.py", "tests/test_explorer.py",
    "tests/test_accessibility.py", "book/fused-kernel.ipynb", "tests/test_session.py",
    "book/static-features.ipynb", "tests/test_preloaded_kernel.py",
    "tests/test_browser_search.py", "tests/test_compat.py", "tests/test_companion_alone.py",
    "book/convlstm.ipynb", "tests/test_fuzz_keras.py", "book/backends.ipynb",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the files as ``LONGEST_FIRST`` says (a stable sort: within a file, nothing
    moves)."""
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}

    def place(item: pytest.Item) -> tuple[int, int]:
        try:
            name = item.path.relative_to(ROOT).as_posix()
        except ValueError:
            return (4, 0)
        if name in rank:
            return (0, rank[name])
        if name.endswith(".ipynb"):
            return (1, 0)
        return (2, 0) if name.startswith("tests/") else (3, 0)

    items.sort(key=place)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything collection imported (TensorFlow, Keras, the test modules) out of
    the garbage collector's reach: a full collection then walks only what the tests make.

    ``keras.backend.clear_session()`` calls ``gc.collect()``, and with TensorFlow's
    object graph in the heap each call took about 0.24 s; the diagnose and Keras fuzz
    files spent half their time there (65 s against 25-30 s, two runs each, measured
    2026-12-07). Frozen objects are never freed, which costs nothing here: they are the
    imported modules, alive until the worker exits. Nothing a test checks depends on it.
    """
    gc.collect()
    gc.freeze()
    # One fork server per process that runs two notebooks or more (one notebook gains
    # nothing), unless a parent pytest's server is already in the environment.
    notebooks = {item.path for item in session.items if item.path.suffix == ".ipynb"}
    if (getattr(session.config.option, "nbval_kernel_name", None)
            == preloaded_kernel.KERNEL_NAME
            and len(notebooks) >= 2 and not os.environ.get(preloaded_kernel.SERVER_ENV)):
        server = preloaded_kernel.Server()
        os.environ[preloaded_kernel.SERVER_ENV] = server.path
        session.config.add_cleanup(server.stop)
