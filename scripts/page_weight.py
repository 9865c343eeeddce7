"""Weigh every page of the built book as a reader's browser downloads it.

    python scripts/page_weight.py [_build/html] [--top 3]      (or: make weight)

Serves the build with gzip (scripts/serve_book.py, as a static host does), opens each
page of _toc.yml in headless Chromium (the system one, as the browser tests use) with an
empty cache, makes every image load (the book's load lazily, as the reader scrolls to
them: here all of them count), waits for the network to go quiet, and adds up what
Chromium's network panel calls "transferred": the encoded bytes of every response,
headers included. Requests to other hosts (MathJax's CDN on
pages with math) are blocked, counted and listed, not weighed.

Prints one line per page (requests, transferred KiB, the heaviest resources) and writes
``_build/page-weight.json``. Exits 1 naming every page over 1 MB (1,000,000 bytes).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booktools  # noqa: E402
import serve_book  # noqa: E402

PAGE_LIMIT_BYTES = 1_000_000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@dataclass
class PageWeight:
    name: str
    requests: int = 0
    transferred: int = 0
    resources: dict[str, int] = field(default_factory=dict)
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.transferred <= PAGE_LIMIT_BYTES and not self.failed


def short(url: str, base: str) -> str:
    """A URL relative to the server, without its query string.

    Examples
    --------
    >>> short("http://127.0.0.1:8000/_static/x.js?v=1", "http://127.0.0.1:8000/")
    '_static/x.js'
    """
    path = urlsplit(url).path
    return path[len(urlsplit(base).path):] if path.startswith(urlsplit(base).path) else url


def weigh(context, base: str, name: str) -> PageWeight:
    """Open one page in a fresh page of ``context`` and add up its network traffic."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    result = PageWeight(name)
    urls: dict[str, str] = {}

    def sent(event):
        if event.get("redirectResponse") is None:
            result.requests += 1
        urls[event["requestId"]] = event["request"]["url"]

    def finished(event):
        url = short(urls.get(event["requestId"], "?"), base)
        size = int(event["encodedDataLength"])
        result.transferred += size
        result.resources[url] = result.resources.get(url, 0) + size

    def failed(event):
        url = urls.get(event["requestId"], "?")
        if serve_book_host(url, base):
            result.failed.append(f"{short(url, base)}: {event.get('errorText')}")

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", failed)

    def route(route):
        url = route.request.url
        if serve_book_host(url, base) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            result.external.append(url)
            route.abort()

    page.route("**/*", route)
    page.goto(urljoin(base, f"{name}.html"), wait_until="load")
    page.evaluate("() => { for (const image of document.images) image.loading = 'eager'; }")
    page.wait_for_load_state("networkidle")
    page.close()
    result.requests -= len(result.external)
    return result


def serve_book_host(url: str, base: str) -> bool:
    return urlsplit(url).netloc == urlsplit(base).netloc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path,
                        default=booktools.ROOT / "_build" / "html")
    parser.add_argument("--top", type=int, default=3,
                        help="name this many of each page's heaviest resources")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the figures (default: next to the build)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    pages = [name for name in booktools.toc_files()
             if (args.directory / f"{name}.html").is_file()]
    missing = [name for name in booktools.toc_files() if name not in pages]
    weights = []
    with serve_book.serve(args.directory) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        for name in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            weights.append(weigh(context, base, name))
            context.close()
        browser.close()

    print(f"page weight over gzip, empty cache (limit {PAGE_LIMIT_BYTES:,} bytes)")
    print(f"{'page':34} {'requests':>8} {'KiB':>7}  heaviest")
    for weight in weights:
        heaviest = sorted(weight.resources.items(), key=lambda item: -item[1])[:args.top]
        names = ", ".join(f"{url.rsplit('/', 1)[-1]} {size / 1024:.0f}" for url, size
                          in heaviest)
        print(f"{weight.name:34} {weight.requests:8d} {weight.transferred / 1024:7.0f}  "
              f"{names}{'' if weight.ok else '  FAIL'}")
        if weight.external:
            print(f"{'':34} + {len(weight.external)} blocked external: "
                  + ", ".join(sorted({urlsplit(u).netloc for u in weight.external})))
    output = args.json or args.directory.parent / "page-weight.json"
    output.write_text(json.dumps([asdict(w) for w in weights], indent=1) + "\n",
                      encoding="utf-8")
    problems = [f"{w.name} weighs {w.transferred:,} bytes (limit {PAGE_LIMIT_BYTES:,})"
                for w in weights if w.transferred > PAGE_LIMIT_BYTES]
    problems += [f"{w.name}: request failed: {f}" for w in weights for f in w.failed]
    problems += [f"{name}: not built (no {name}.html)" for name in missing]
    for problem in problems:
        print(f"page_weight: {problem}", file=sys.stderr)
    print(f"figures written to {output}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
