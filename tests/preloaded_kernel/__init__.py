"""Notebook kernels with Keras already imported, for nbval under ``make test``.

Every chapter's first code cell imports Keras, and in a fresh kernel that import (with
TensorFlow behind it) takes three to four seconds of CPU: a third of what the shorter
chapters cost under nbval. Here one process per pytest process imports Keras once
(``server.py``) and forks a kernel for every notebook. Each notebook still runs in its
own new kernel process; that process starts in the state a fresh ``import keras`` leaves,
with the notebook's own folder, environment and standard streams.

- ``write_kernelspec`` makes the ``book-preloaded`` kernelspec: ipykernel's own spec for
  this interpreter, its command swapped for ``client.py``, which asks the server named by
  ``BOOK_KERNEL_SERVER`` for a kernel and stands in for it towards jupyter_client
  (signals go on to the kernel; killing the client kills the kernel).
- ``start_server`` starts the server; ``conftest.py`` (the root one) does both for every
  pytest process that runs two notebooks or more.
- Where a fork would not give what a fresh process gives (another interpreter or module
  path, another value of an environment variable read on import, a random hash seed), the
  server refuses and the client starts a fresh kernel. ``BOOK_FRESH_KERNELS=1`` makes
  every kernel fresh; ``scripts/binder_check.py`` and the benchmark's floor always are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "book-preloaded"
SERVER_ENV = "BOOK_KERNEL_SERVER"
HERE = Path(__file__).resolve().parent


def write_kernelspec(directory: str | os.PathLike) -> Path:
    """Write the ``book-preloaded`` kernelspec under ``directory/kernels`` (a folder for
    JUPYTER_PATH) and return the spec's folder."""
    import ipykernel.kernelspec

    spec = ipykernel.kernelspec.get_kernel_dict()
    spec["argv"] = [sys.executable, str(HERE / "client.py"), "-f", "{connection_file}"]
    spec["display_name"] = "Python 3 (ipykernel, Keras preloaded)"
    spec["interrupt_mode"] = "signal"
    folder = Path(directory, "kernels", KERNEL_NAME)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder


class Server:
    """A running fork server: ``path`` is its socket; ``stop()`` ends it and its kernels.

    Its imports run in the background; a kernel asked for before they finish waits.
    """

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.folder = tempfile.mkdtemp(prefix="book-kernel-")
        self.path = os.path.join(self.folder, "server.sock")
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), self.path], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
