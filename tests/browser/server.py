"""Serve the built book on 127.0.0.1 and find the browser that the browser tests drive.

Standard library only: the HTTP server runs in a thread of the test process, so a test
session starts and stops it without any port or process left behind.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

#: Where Debian's ``apt-get install chromium`` puts the browser.
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")

#: Every host name but the test server's fails to resolve: no request leaves the machine,
#: and no Playwright route is needed to block them (a routed context sends every request
#: through Python and loses the HTTP cache: about 0.2 CPU seconds more per page visit).
BLOCK_OTHER_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"

#: Chromium flags: no sandbox (containers run as root), no GPU, no traffic of the
#: browser's own (updates, sync, QUIC probes) next to the requests the page makes, and
#: no host reachable but 127.0.0.1.
CHROMIUM_ARGS = (
    BLOCK_OTHER_HOSTS,
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)


def find_chromium() -> Path | None:
    """The system Chromium: ``/usr/bin/chromium``, else ``chromium`` on ``PATH``, else None.

    Examples
    --------
    >>> found = find_chromium()
    >>> found is None or found.name.startswith("chromium")
    True
    """
    if SYSTEM_CHROMIUM.exists():
        return SYSTEM_CHROMIUM
    on_path = shutil.which("chromium")
    return Path(on_path) if on_path else None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files like ``python -m http.server`` without one log line per request, and
    the files of ``extra`` (URL path: file) from wherever they are, over kept-alive
    connections (HTTP/1.1: one connection for a page's dozens of files, not one each)."""

    protocol_version = "HTTP/1.1"
    extra: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        found = self.extra.get(path.split("?", 1)[0])
        return str(found) if found is not None else super().translate_path(path)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base's name)
        pass


@contextlib.contextmanager
def serve_directory(directory: Path, extra: dict[str, Path] | None = None) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free port of 127.0.0.1; yield its base URL.
    ``extra`` maps more URL paths (``/_tests/axe.min.js``) to files outside it.

    Examples
    --------
    >>> import tempfile, urllib.request
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "hello.txt").write_text("hi")
    ...     with serve_directory(Path(folder)) as base:
    ...         urllib.request.urlopen(base + "hello.txt").read()
    b'hi'
    >>> with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as other:
    ...     _ = (Path(other) / "tool.js").write_text("1;")
    ...     extra = {"/_tests/tool.js": Path(other) / "tool.js"}
    ...     with serve_directory(Path(folder), extra) as base:
    ...         urllib.request.urlopen(base + "_tests/tool.js").read()
    b'1;'
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"expected a folder of built HTML, got {str(directory)!r}, which is "
                         "not a folder: build the book first (`make book`)")
    handler_class = type("Handler", (_QuietHandler,), {"extra": dict(extra or {})})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
