"""What the explorer and accessibility tests share: skip-or-fail, the built book's folder,
and one headless Chromium, which reaches no host but 127.0.0.1 (server.BLOCK_OTHER_HOSTS)."""

from __future__ import annotations

import atexit
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser.server import CHROMIUM_ARGS, find_chromium


def unavailable(message: str):
    """Skip, or fail under ``CI=true``, where a real run would be vacuous."""
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


#: Where ``make test`` says how its strict build, run beside pytest, ended (its exit status).
BUILD_STATUS_ENV = "BOOK_BUILD_STATUS"


def wait_for_build(timeout: float = 900.0) -> None:
    """Under ``make test`` the strict build runs beside pytest: wait for it to end (the
    Makefile writes its exit status to the file ``BOOK_BUILD_STATUS`` names), and fail
    when it failed. Without that variable, return at once."""
    status = os.environ.get(BUILD_STATUS_ENV)
    if not status:
        return
    deadline = time.monotonic() + timeout
    while not os.path.exists(status):
        if time.monotonic() > deadline:
            pytest.fail(f"the strict build beside pytest did not end within {timeout:.0f} s "
                        f"(no {status})", pytrace=False)
        time.sleep(0.2)
    code = Path(status).read_text(encoding="utf-8").strip()
    if code != "0":
        pytest.fail(f"the strict build failed (exit status {code}): `make test` prints its "
                    "output after pytest's", pytrace=False)


def built_book(default: Path, page: str = "index.html") -> Path:
    """``BOOK_HTML_DIR`` (else ``default``), when it holds ``page``; else skip or fail.
    Waits first for a build running beside pytest (``wait_for_build``)."""
    wait_for_build()
    path = Path(os.environ.get("BOOK_HTML_DIR") or default)
    if not (path / page).is_file():
        unavailable(f"no {page} in {path}: build the book first (`make book`)")
    return path


_PLAYWRIGHT = None


def playwright():
    """The one Playwright driver of this test process, started on first use.

    Playwright's sync API refuses a second driver while one runs in the same process
    (its event loop is already running), and pytest-xdist can put the browser suite,
    the explorer tests and the accessibility tests on one worker: they all share this
    driver, each launching its own Chromium from it. It stops when the process exits.
    """
    global _PLAYWRIGHT
    if _PLAYWRIGHT is None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            unavailable("Playwright for Python is missing: pip install -r requirements.txt")
        _PLAYWRIGHT = sync_playwright().start()
        atexit.register(_PLAYWRIGHT.stop)
    return _PLAYWRIGHT


@contextlib.contextmanager
def chromium() -> Iterator:
    """The system Chromium, headless, driven by Playwright."""
    executable = find_chromium()
    if executable is None:
        unavailable("no Chromium at /usr/bin/chromium or on PATH: apt-get install chromium")
    launched = playwright().chromium.launch(executable_path=str(executable), headless=True,
                                            args=list(CHROMIUM_ARGS))
    try:
        yield launched
    finally:
        launched.close()
