"""What the explorer and accessibility tests share: skip-or-fail, the built book's folder,
one headless Chromium, and a route handler that blocks every request to another host."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser.checks import is_local
from browser.server import CHROMIUM_ARGS, find_chromium


def unavailable(message: str):
    """Skip, or fail under ``CI=true``, where a real run would be vacuous."""
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def built_book(default: Path, page: str = "index.html") -> Path:
    """``BOOK_HTML_DIR`` (else ``default``), when it holds ``page``; else skip or fail."""
    path = Path(os.environ.get("BOOK_HTML_DIR") or default)
    if not (path / page).is_file():
        unavailable(f"no {page} in {path}: build the book first (`make book`)")
    return path


@contextlib.contextmanager
def chromium() -> Iterator:
    """The system Chromium, headless, driven by Playwright."""
    executable = find_chromium()
    if executable is None:
        unavailable("no Chromium at /usr/bin/chromium or on PATH: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True,
                                              args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


def block_external(route) -> None:
    """A Playwright route handler: local requests go through, all others are aborted."""
    if is_local(route.request.url):
        route.continue_()
    else:
        route.abort()
