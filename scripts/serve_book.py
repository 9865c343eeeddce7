"""Serve the built book the way a static host does: text compressed with gzip.

    python scripts/serve_book.py [_build/html] [--port 8000]

``python -m http.server`` sends every file as stored, so a page measured through it
weighs several times what a reader downloads from GitHub Pages, Netlify or Read the
Docs, which all compress HTML, CSS, JavaScript, JSON and SVG. This server answers
``Accept-Encoding: gzip`` requests for those types with gzip (level 6, as nginx does),
sends ``Vary: Accept-Encoding`` and a short ``Cache-Control`` (GitHub Pages sends 10
minutes), and otherwise behaves like ``http.server``. Used by scripts/page_weight.py and
scripts/lighthouse_report.py; standard library only, loopback only.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPRESSED_TYPES = ("text/", "application/javascript", "application/json",
                    "application/xml", "image/svg+xml", "application/x-ipynb+json")
CACHE_CONTROL = "max-age=600"


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` plus gzip for text types and kept-alive connections
    (HTTP/1.1, as static hosts answer; ``http.server`` speaks HTTP/1.0, a new
    connection per file), quietly."""

    protocol_version = "HTTP/1.1"

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "application/javascript", ".mjs": "application/javascript",
                      ".json": "application/json", ".ipynb": "application/x-ipynb+json",
                      ".svg": "image/svg+xml", ".woff2": "font/woff2"}
    _cache: dict[tuple[str, float], bytes] = {}
    _lock = threading.Lock()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base's name)
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", CACHE_CONTROL)
        super().end_headers()

    def _compressed(self, path: str) -> bytes:
        key = (path, os.path.getmtime(path))
        with self._lock:
            if key not in self._cache:
                with open(path, "rb") as stream:
                    self._cache[key] = gzip.compress(stream.read(), compresslevel=6, mtime=0)
            return self._cache[key]

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?", 1)[0].endswith("/"):
            path = os.path.join(path, "index.html")
        content_type = self.guess_type(path)
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and os.path.isfile(path)
                and content_type.startswith(COMPRESSED_TYPES)):
            return super().send_head()
        body = self._compressed(path)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _BytesFile(body)


class _BytesFile:
    """What ``send_head`` returns: ``do_GET`` copies it to the socket, then closes it."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        data, self.data = (self.data, b"") if size < 0 else (self.data[:size],
                                                              self.data[size:])
        return data

    def close(self) -> None:
        self.data = b""


@contextlib.contextmanager
def serve(directory: Path, port: int = 0) -> Iterator[str]:
    """Serve ``directory`` with gzip on 127.0.0.1 (a free port by default); yield its URL.

    Examples
    --------
    >>> import tempfile, urllib.request
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "index.html").write_text("<p>hello</p>" * 100)
    ...     with serve(Path(folder)) as base:
    ...         request = urllib.request.Request(base,
    ...                                          headers={"Accept-Encoding": "gzip"})
    ...         with urllib.request.urlopen(request) as response:
    ...             encoding, body = response.headers["Content-Encoding"], response.read()
    >>> encoding, len(body) < 1200, gzip.decompress(body)[:12]
    ('gzip', True, b'<p>hello</p>')
    """
    directory = Path(directory)
    if not (directory / "index.html").is_file():
        raise ValueError(f"expected the built book in {str(directory)!r}, found no "
                         "index.html there: build it first (`make book`)")
    handler = functools.partial(GzipHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-gzip", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with serve(args.directory, args.port) as base:
        print(f"serving {args.directory} with gzip at {base}book/index.html (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
