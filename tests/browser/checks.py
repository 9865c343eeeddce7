"""Per-page checks of the built book, as plain functions that return a list of problems.

Each ``check_*`` function takes a Playwright page that shows one page of the book (or data
read from it) and returns a list of human-readable problems: an empty list means the page
passed. tests/test_browser.py runs them on the real build, and on a deliberately broken
copy to show that they report what they should. ``audit_page`` visits one URL and runs
the checks a viewing mode asks for.

What a page should show is computed from its notebook (``toc_title``, ``output_snippets``,
``image_output_count``), never copied from a run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import nbformat

from browser import axe

#: Colab and Binder launch URLs, as Jupyter Book 1 writes them for a GitHub repository.
COLAB_URL = "https://colab.research.google.com/github/{slug}/blob/{branch}/{path}"
BINDER_URL = "https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab/tree/{path}"

#: WCAG 2 AA: normal-size text needs a contrast ratio of at least 4.5 against its background.
MIN_CONTRAST = 4.5
#: Most cumulative layout shift a page may show while it loads: web.dev calls 0.1
#: "good"; a page drawn once in its final form shows none.
MAX_LAYOUT_SHIFT = 0.01

#: A figure's border, as displayed, counts as white from this relative luminance up.
MIN_FIGURE_BORDER_LUMINANCE = 0.85

#: Output data that myst-nb renders as something other than the plain text.
_RICH_PREFIXES = ("image/", "text/html", "text/markdown", "text/latex", "application/")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SNIPPET_CHARS = 80


# --------------------------------------------------------------------------------------
# What a page should show, read from its notebook


def normalise_text(text: str) -> str:
    """Collapse every run of whitespace to one space and drop ANSI colour codes.

    Examples
    --------
    >>> normalise_text("  (2,\\n 4)\\t")
    '(2, 4)'
    >>> normalise_text("\\x1b[31mValueError\\x1b[0m: bad")
    'ValueError: bad'
    """
    return " ".join(_ANSI.sub("", text).split())


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def toc_title(nb) -> str:
    """The page title Jupyter Book uses: the notebook's first Markdown ``# `` heading.

    Inline-code backticks are dropped, as they are in the rendered heading.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("x = 1"),
    ...     nbformat.v4.new_markdown_cell("Intro\\n\\n# Stack `LSTM` layers\\n\\n## Setup")])
    >>> toc_title(nb)
    'Stack LSTM layers'
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return normalise_text(line[2:].replace("`", ""))
    raise ValueError("expected a Markdown cell with a '# Title' heading, found none: "
                     "every page of the book needs one (Jupyter Book takes its title from it)")


def output_snippets(nb) -> list[str]:
    """The start of every plain-text output, in order: what the page must show.

    One snippet per text output (``text/plain`` only, stream, or error): the first
    non-empty line, whitespace collapsed, at most 80 characters. Outputs that render as
    something richer (an image, HTML) are left to the other checks.

    Examples
    --------
    >>> cell = nbformat.v4.new_code_cell("shape")
    >>> cell.outputs = [
    ...     nbformat.v4.new_output("stream", name="stdout", text="\\nGRU (2, 4)\\nLSTM (2, 4)\\n"),
    ...     nbformat.v4.new_output("execute_result", data={"text/plain": "(2,  4)"}),
    ...     nbformat.v4.new_output("display_data",
    ...                            data={"image/png": "iVBOR", "text/plain": "A figure"}),
    ...     nbformat.v4.new_output("error", ename="ValueError", evalue="bad\\nshape",
    ...                            traceback=[])]
    >>> output_snippets(nbformat.v4.new_notebook(cells=[cell]))
    ['GRU (2, 4)', '(2, 4)', 'ValueError: bad']
    """
    snippets = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.output_type == "stream":
                text = _text(output.text)
            elif output.output_type == "error":
                text = f"{output.ename}: {output.evalue}"
            else:
                data = output.get("data", {})
                if "text/plain" not in data or any(
                        key.startswith(_RICH_PREFIXES) for key in data):
                    continue
                text = _text(data["text/plain"])
            lines = [normalise_text(line) for line in _ANSI.sub("", text).splitlines()]
            first = next((line for line in lines if line), "")
            if first:
                snippets.append(first[:_SNIPPET_CHARS])
    return snippets


def image_output_count(nb) -> int:
    """How many outputs of the notebook are images (each becomes one ``<img>``).

    Examples
    --------
    >>> image = nbformat.v4.new_output("execute_result",
    ...                                data={"image/png": "iVBOR", "text/plain": "alt"})
    >>> cells = [nbformat.v4.new_code_cell("figure", outputs=[image]) for _ in range(2)]
    >>> image_output_count(nbformat.v4.new_notebook(cells=cells))
    2
    """
    return sum(
        1 for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
        if any(key.startswith("image/") for key in output.get("data", {})))


def mentions(nb, term: str) -> bool:
    """Whether the notebook's Markdown (its prose, not its code) mentions ``term``.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Set `return_state`.")])
    >>> mentions(nb, "return_state"), mentions(nb, "return_sequences")
    (True, False)
    """
    return any(term in cell.source for cell in nb.cells if cell.cell_type == "markdown")


@dataclass(frozen=True)
class Expectation:
    """What the page built from one notebook must show."""

    name: str  #: the TOC entry, e.g. ``book/stacking``
    title: str
    outputs: tuple[str, ...]
    images: int

    @classmethod
    def from_notebook(cls, name: str, path: Path) -> Expectation:
        nb = nbformat.read(path, as_version=4)
        return cls(name=name, title=toc_title(nb), outputs=tuple(output_snippets(nb)),
                   images=image_output_count(nb))


# --------------------------------------------------------------------------------------
# URLs


def is_local(url: str) -> bool:
    """True for requests the test server answers (and for data/blob URLs, which stay in
    the browser).

    Examples
    --------
    >>> is_local("http://127.0.0.1:8000/book/index.html"), is_local("data:image/png;base64,")
    (True, True)
    >>> is_local("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js")
    False
    """
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname == "127.0.0.1"


def page_name(url: str, base_url: str) -> str:
    """The TOC name of a page URL of the book.

    Examples
    --------
    >>> page_name("http://127.0.0.1:8000/book/stacking.html#setup", "http://127.0.0.1:8000/")
    'book/stacking'
    """
    path = urlsplit(url).path
    base = urlsplit(base_url).path
    if path.startswith(base):
        path = path[len(base):]
    return path[: -len(".html")] if path.endswith(".html") else path


def expected_launch_urls(chapter: str, repository_url: str, branch: str) -> dict[str, str]:
    """The Colab and Binder URLs that open ``chapter`` from the book's repository.

    Examples
    --------
    >>> urls = expected_launch_urls("book/stacking", "https://github.com/me/book/", "main")
    >>> urls["Colab"]
    'https://colab.research.google.com/github/me/book/blob/main/book/stacking.ipynb'
    >>> urls["Binder"]
    'https://mybinder.org/v2/gh/me/book/main?urlpath=lab/tree/book/stacking.ipynb'
    """
    prefix = "https://github.com/"
    repository_url = repository_url.rstrip("/")
    if not repository_url.startswith(prefix):
        raise ValueError(f"expected a repository URL starting with {prefix!r}, got "
                         f"{repository_url!r}: set repository.url in _config.yml")
    slug = repository_url[len(prefix):]
    path = f"{chapter}.ipynb"
    return {"Colab": COLAB_URL.format(slug=slug, branch=branch, path=path),
            "Binder": BINDER_URL.format(slug=slug, branch=branch, path=path)}


# --------------------------------------------------------------------------------------
# Colour arithmetic for the readability checks (WCAG 2 definitions)


def relative_luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour with channels 0-255.

    Examples
    --------
    >>> relative_luminance((255, 255, 255)), relative_luminance((0, 0, 0))
    (1.0, 0.0)
    """
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground, background) -> float:
    """WCAG contrast ratio of two opaque colours, from 1 (none) to 21 (black on white).

    Examples
    --------
    >>> round(contrast_ratio((0, 0, 0), (255, 255, 255)), 1)
    21.0
    >>> round(contrast_ratio((119, 119, 119), (255, 255, 255)), 2)
    4.48
    """
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def over(top, bottom) -> tuple[float, float, float]:
    """Composite an RGBA colour (alpha 0-1) over an opaque RGB colour.

    Examples
    --------
    >>> over((0, 0, 0, 0.5), (255, 255, 255))
    (127.5, 127.5, 127.5)
    """
    alpha = top[3] if len(top) > 3 else 1.0
    return tuple(alpha * t + (1 - alpha) * b for t, b in zip(top[:3], bottom[:3], strict=True))


def effective_background(layers, canvas=(255, 255, 255)) -> tuple[float, float, float]:
    """The colour behind an element: its background layers (innermost first) composited
    over the browser canvas.

    Examples
    --------
    >>> effective_background([(0, 0, 0, 0.5), (255, 255, 255, 1.0)])
    (127.5, 127.5, 127.5)
    >>> effective_background([])
    (255, 255, 255)
    """
    colour = tuple(canvas)
    for layer in reversed(list(layers)):
        colour = over(layer, colour)
    return colour


# --------------------------------------------------------------------------------------
# Recording what a page does


class Recorder:
    """Records the requests of a page to other hosts (which the browser blocks:
    ``server.BLOCK_OTHER_HOSTS``), any of them that was answered all the same, and the
    console errors, page errors, failed local requests and web fonts of the page.

    Call ``reset()`` before loading a URL and read the lists after the checks ran.
    """

    def __init__(self, page) -> None:
        self.external: list[str] = []
        self.answered_external: list[str] = []
        self.fonts: list[str] = []
        self.console_errors: list[str] = []
        self.failed_local: list[str] = []
        page.on("request", self._on_request)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(
            f"uncaught exception: {error.message}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def reset(self) -> None:
        self.external.clear()
        self.answered_external.clear()
        self.fonts.clear()
        self.console_errors.clear()
        self.failed_local.clear()

    def _on_request(self, request) -> None:
        if not is_local(request.url) and request.url not in self.external:
            self.external.append(request.url)

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and not is_local(source):
            return  # a blocked external request: reported by the external-request check
        self.console_errors.append(f"console error: {message.text}")

    def _on_request_failed(self, request) -> None:
        if urlsplit(request.url).hostname == "127.0.0.1":
            self.failed_local.append(f"request failed: {request.url} ({request.failure})")

    def _on_response(self, response) -> None:
        if not is_local(response.url):
            self.answered_external.append(response.url)
            return
        if response.status >= 400:
            self.failed_local.append(f"HTTP {response.status}: {response.url}")
        if response.request.resource_type == "font":
            self.fonts.append(response.url)


# --------------------------------------------------------------------------------------
# Checks on a loaded page

_H1_TEXT = """() => {
  const h1 = document.querySelector('article.bd-article h1') || document.querySelector('h1');
  if (!h1) return null;
  const copy = h1.cloneNode(true);
  copy.querySelectorAll('.headerlink').forEach((a) => a.remove());
  return copy.textContent;
}"""

#: One entry per rendered output (myst-nb: a ``div.output`` per stream, text or error).
_OUTPUT_TEXTS = """() => Array.from(document.querySelectorAll('.cell_output .output'),
                                   (el) => el.innerText)"""

_IMAGES = """() => Array.from(document.querySelectorAll('article.bd-article img'), (img) => ({
  src: img.getAttribute('src') || '', alt: (img.getAttribute('alt') || '').trim(),
  complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
  shown: [img.getBoundingClientRect().width, img.getBoundingClientRect().height],
  inOutput: !!img.closest('.cell_output')}))"""

#: The book's images load lazily (_ext/book_html_fixes.py point 11): start every one and
#: wait until each has loaded and decoded, or failed, so that the checks see them all.
_LOAD_IMAGES = """async () => {
  const images = Array.from(document.images);
  for (const image of images) image.loading = 'eager';
  await Promise.all(images.map((image) => image.decode().catch(() => null)));
}"""

_LINKS = """(selector) => Array.from(document.querySelectorAll(selector), (a) => ({
  href: a.href, text: a.textContent.trim(), title: a.getAttribute('title') || ''}))"""

_OVERFLOW = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0 && getComputedStyle(el).position !== 'fixed') {
      let inScroller = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const overflow = getComputedStyle(p).overflowX;
        if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') {
          inScroller = true; break;
        }
      }
      if (!inScroller) {
        const name = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
          ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
        wide.push(name + ' (right edge ' + Math.round(box.right) + 'px)');
      }
    }
    if (wide.length >= 3) break;
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, wide};
}"""

#: An init script for every browser context: records the page's layout shifts from its
#: first paint on (the entries Lighthouse sums into cumulative layout shift).
LAYOUT_SHIFT_OBSERVER = """(() => {
  const name = (node) => !node ? 'an element' : node.nodeType !== 1 ? 'text'
    : node.tagName.toLowerCase() + (node.id ? '#' + node.id : '')
      + (typeof node.className === 'string' && node.className.trim()
         ? '.' + node.className.trim().split(/\\s+/).slice(0, 2).join('.') : '');
  const shifts = window.__layoutShifts = [];
  const keep = (entries) => { for (const entry of entries) shifts.push({
    value: entry.value, time: Math.round(entry.startTime),
    moved: Array.from(entry.sources || [], (source) => name(source.node))}); };
  const observer = new PerformanceObserver((list) => keep(list.getEntries()));
  observer.observe({type: 'layout-shift', buffered: true});
  window.__takeLayoutShifts = () => { keep(observer.takeRecords()); return shifts; };
})();"""

#: The shifts so far, once the frame being drawn is done (null without the observer).
_LAYOUT_SHIFTS = """async () => {
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
  return window.__takeLayoutShifts ? window.__takeLayoutShifts() : null;
}"""

#: Helpers shared by the colour probes: any CSS colour to sRGB bytes via a 1x1 canvas
#: (computed styles may use color() or oklch()), and the background layers behind an element.
_COLOUR_JS = """
  const probe = document.createElement('canvas'); probe.width = probe.height = 1;
  const pctx = probe.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => {
    pctx.clearRect(0, 0, 1, 1); pctx.fillStyle = 'rgba(0, 0, 0, 0)'; pctx.fillStyle = css;
    pctx.fillRect(0, 0, 1, 1); const d = pctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const layers = (el) => {
    const out = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) out.push(c);
      if (c[3] >= 1) break;
    }
    return out;
  };
"""

_OUTPUT_COLOURS = "() => {" + _COLOUR_JS + """
  const items = [], seen = new Set();
  for (const out of document.querySelectorAll('.cell_output')) {
    const walker = document.createTreeWalker(out, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.trim(), el = n.parentElement;
      if (!text || !el.checkVisibility()) continue;
      const item = {text: text.slice(0, 40), fg: rgba(getComputedStyle(el).color),
                    layers: layers(el)};
      const key = JSON.stringify([item.fg, item.layers]);
      if (!seen.has(key)) { seen.add(key); items.push(item); }
    }
  }
  return items;
}"""

_FIGURE_BORDERS = "() => {" + _COLOUR_JS + """
  return Array.from(document.querySelectorAll('.cell_output img'), (img) => {
    const w = img.naturalWidth, h = img.naturalHeight;
    if (!w || !h) return {src: img.getAttribute('src'), pixels: [], layers: layers(img)};
    const canvas = document.createElement('canvas'); canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    ctx.drawImage(img, 0, 0);
    const pixels = [];
    for (let i = 0; i < 32; i++) {
      const x = Math.floor(i * (w - 1) / 31), y = Math.floor(i * (h - 1) / 31);
      for (const [px, py] of [[x, 0], [x, h - 1], [0, y], [w - 1, y]]) {
        const d = ctx.getImageData(px, py, 1, 1).data;
        pixels.push([d[0], d[1], d[2], d[3] / 255]);
      }
    }
    return {src: img.getAttribute('src'), pixels, layers: layers(img)};
  });
}"""


def check_response(response, url: str) -> list[str]:
    """The page answered with HTTP 200."""
    if response is None:
        return [f"no response for {url}"]
    if response.status != 200:
        return [f"HTTP {response.status} for {url}"]
    return []


#: Sphinx's smart quotes turn a title's ' and " into typographic ones: compare without them.
_PLAIN_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def plain_quotes(text: str) -> str:
    """``text`` with typographic quotes and apostrophes made plain.

    Examples
    --------
    >>> print(plain_quotes("What \u201creturn_sequences\u201d costs: Keras\u2019s view"))
    What "return_sequences" costs: Keras's view
    """
    return text.translate(_PLAIN_QUOTES)


def check_title(page, expected: str, book_title: str) -> list[str]:
    """The ``<title>`` is "<TOC title> — <book title>" and the first ``<h1>`` is the TOC
    title (quotes compared plain: ``plain_quotes``)."""
    problems = []
    title = normalise_text(page.title())
    expected, book_title = plain_quotes(expected), plain_quotes(book_title)
    if plain_quotes(title) != f"{expected} \u2014 {book_title}":
        problems.append(f"<title> is {title!r}, expected the TOC title {expected!r} "
                        f"and the book title {book_title!r}")
    h1 = page.evaluate(_H1_TEXT)
    if h1 is None:
        problems.append("the page has no <h1>")
    elif plain_quotes(normalise_text(h1)) != expected:
        problems.append(f"first <h1> is {normalise_text(h1)!r}, expected {expected!r}")
    return problems


def check_outputs(page, expected: list[str] | tuple[str, ...], images: int = 0) -> list[str]:
    """Every stored text output is visible on the page, in notebook order, and every
    image output became an ``<img>`` in the page's outputs.

    Each expected snippet must appear in its own rendered output block, after the block
    that showed the previous one, so a short output (``True``) cannot be matched inside
    another output's text.
    """
    # Open every toggle first: exercise solutions are hidden cells (tag hide-cell), and a
    # closed <details> is not rendered, so its text would not count as shown.
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    blocks = [normalise_text(text) for text in page.evaluate(_OUTPUT_TEXTS)]
    problems, position = [], 0
    for number, snippet in enumerate(expected, start=1):
        found = next((index for index in range(position, len(blocks))
                      if snippet in blocks[index]), None)
        if found is None:
            hint = " (it is shown, but out of order)" if any(
                snippet in block for block in blocks) else ""
            problems.append(f"text output {number} of {len(expected)} is not shown: "
                            f"{snippet!r}{hint}")
        else:
            position = found + 1
    shown_images = sum(1 for image in page.evaluate(_IMAGES) if image["inOutput"])
    if shown_images < images:
        problems.append(f"the notebook has {images} image output(s), the page shows "
                        f"{shown_images} in its cell outputs")
    return problems


_ARTICLE = """() => {
  const article = document.querySelector('article.bd-article');
  if (!article) return null;
  return {text: article.innerText,
          hrefs: Array.from(article.querySelectorAll('a[href]'), (a) => a.href)};
}"""


def check_hidden_texts(page, hidden: tuple[str, ...] | list[str]) -> list[str]:
    """The article (what a reader reads, not the header's launch buttons) shows none of
    ``hidden``, in its visible text or in its links.

    The book hides its Colab install cell (tag ``remove-cell``): a reader of the pages
    has nothing to install, and the cell names the repository, whose owner is a
    placeholder until a fork sets it.
    """
    article = page.evaluate(_ARTICLE)
    if article is None:
        return ["the page has no article.bd-article"]
    problems = []
    for text in hidden:
        if text in article["text"]:
            line = next(line for line in article["text"].splitlines() if text in line)
            problems.append(f"the page shows {text!r}: {normalise_text(line)[:120]!r}")
        problems += [f"a link in the page goes to {href}" for href in article["hrefs"]
                     if text in href]
    return problems


def check_images(page) -> list[str]:
    """Every ``<img>`` in the article loaded (``naturalWidth > 0``), has alt text and,
    where shown, keeps its proportions (within 2%)."""
    problems = []
    for image in page.evaluate(_IMAGES):
        if not image["complete"] or image["width"] == 0:
            problems.append(f"image did not load: {image['src']}")
        if not image["alt"]:
            problems.append(f"image without alt text: {image['src']}")
        shown_width, shown_height = image["shown"]
        if image["width"] and image["height"] and shown_width > 0 and shown_height > 0:
            natural = image["width"] / image["height"]
            if abs(shown_width / shown_height - natural) > 0.02 * natural:
                problems.append(f"image drawn out of proportion: {image['src']} is "
                                f"{image['width']}x{image['height']} pixels, shown "
                                f"{shown_width:.0f}x{shown_height:.0f}")
    return problems


def check_launch_links(page, chapter: str, repository_url: str, branch: str) -> list[str]:
    """The Colab and Binder buttons open this chapter's notebook on the book's branch."""
    expected = expected_launch_urls(chapter, repository_url, branch)
    links = page.evaluate(_LINKS, ".dropdown-launch-buttons a")
    problems = []
    for service, url in expected.items():
        offered = [link["href"] for link in links
                   if service in link["text"] or service in link["title"]]
        if not offered:
            problems.append(f"no {service} launch button")
        elif offered != [url]:
            problems.append(f"{service} launch button opens {offered[0]}, expected {url}")
    return problems


def check_download(page, chapter: str) -> list[str]:
    """The download button serves this chapter's ``.ipynb``, a valid notebook."""
    links = [link["href"] for link in page.evaluate(_LINKS, ".dropdown-download-buttons a")
             if urlsplit(link["href"]).path.endswith(".ipynb")]
    if not links:
        return ["no download button for the .ipynb"]
    href = links[0]
    if not urlsplit(href).path.endswith(f"/{chapter}.ipynb"):
        return [f"the download button serves {href}, expected a copy of {chapter}.ipynb"]
    response = page.request.get(href)
    if response.status != 200:
        return [f"downloading {href} gives HTTP {response.status}"]
    try:
        nb = nbformat.reads(response.text(), as_version=4)
        nbformat.validate(nb)
    except (ValueError, nbformat.ValidationError) as error:
        return [f"{href} is not a valid notebook: {str(error).splitlines()[0]}"]
    return []


def nav_links(page) -> dict[str, str | None]:
    """The page's "next" and "previous" links (absolute URLs), or None where absent."""
    found = {}
    for key, selector in (("next", "a.right-next"), ("previous", "a.left-prev")):
        links = page.evaluate(_LINKS, selector)
        found[key] = links[0]["href"] if links else None
    return found


def check_no_sideways_scroll(page) -> list[str]:
    """The page is no wider than the viewport: wide content scrolls in its own box."""
    result = page.evaluate(_OVERFLOW)
    if result["scrollWidth"] <= result["clientWidth"] + 1:
        return []
    culprits = ", ".join(result["wide"]) or "unknown elements"
    return [f"the page scrolls sideways: {result['scrollWidth']}px of content in a "
            f"{result['clientWidth']}px viewport; too wide: {culprits}"]


def layout_shift_problems(shifts: list[dict] | None, limit: float = MAX_LAYOUT_SHIFT) -> list[str]:
    """One problem when the shifts recorded by ``LAYOUT_SHIFT_OBSERVER`` add up to more
    than ``limit``, naming what moved in the largest ones.

    Examples
    --------
    >>> layout_shift_problems([{"value": 0.004, "time": 300, "moved": ["p"]}])
    []
    >>> shifts = [{"value": 0.155, "time": 430, "moved": ["section#a", "text"]},
    ...           {"value": 0.02, "time": 900, "moved": ["img"]}]
    >>> print(layout_shift_problems(shifts)[0])  # doctest: +NORMALIZE_WHITESPACE
    the content moves after it is first drawn: cumulative layout shift 0.175 > 0.01
    (Lighthouse's mobile score loses up to 25 points to it); largest:
    0.155 at 430 ms (section#a, text), 0.020 at 900 ms (img)
    >>> layout_shift_problems(None)[0].startswith("no layout-shift record")
    True
    """
    if shifts is None:
        return ["no layout-shift record in the page: the browser context needs "
                "checks.LAYOUT_SHIFT_OBSERVER as an init script"]
    total = sum(shift["value"] for shift in shifts)
    if total <= limit:
        return []
    largest = sorted(shifts, key=lambda shift: -shift["value"])[:3]
    described = ", ".join(f"{shift['value']:.3f} at {shift['time']} ms "
                          f"({', '.join(dict.fromkeys(shift['moved'])) or 'unknown'})"
                          for shift in largest)
    return [f"the content moves after it is first drawn: cumulative layout shift "
            f"{total:.3f} > {limit} (Lighthouse's mobile score loses up to 25 points to "
            f"it); largest: {described}"]


def check_layout_shift(page) -> list[str]:
    """The page does not move once drawn (needs ``LAYOUT_SHIFT_OBSERVER``)."""
    return layout_shift_problems(page.evaluate(_LAYOUT_SHIFTS))


def check_output_contrast(page, minimum: float = MIN_CONTRAST) -> list[str]:
    """Every piece of output text has a contrast ratio of at least ``minimum``."""
    problems = []
    for item in page.evaluate(_OUTPUT_COLOURS):
        background = effective_background(item["layers"])
        ratio = contrast_ratio(over(item["fg"], background), background)
        if ratio < minimum:
            colour = tuple(round(c) for c in item["fg"][:3])
            behind = tuple(round(c) for c in background)
            problems.append(f"output text {item['text']!r} has contrast {ratio:.2f} < {minimum} "
                            f"(colour {colour} on {behind})")
    return problems


def check_figure_backgrounds(page) -> list[str]:
    """Every output figure is displayed on an opaque white background."""
    problems = []
    for figure in page.evaluate(_FIGURE_BORDERS):
        if not figure["pixels"]:
            continue  # did not load: check_images reports it
        behind = effective_background(figure["layers"])
        transparent = any(pixel[3] < 1 for pixel in figure["pixels"])
        shown = [relative_luminance(over(pixel, behind)) for pixel in figure["pixels"]]
        mean = sum(shown) / len(shown)
        if mean < MIN_FIGURE_BORDER_LUMINANCE:
            kind = "a transparent background over a dark page" if transparent else \
                "a dark background"
            problems.append(f"figure {figure['src']} has {kind} (border luminance {mean:.2f}, "
                            f"expected >= {MIN_FIGURE_BORDER_LUMINANCE})")
    return problems


def check_theme(page, expected: str) -> list[str]:
    """The theme switcher's state: ``data-theme`` on ``<html>`` is ``expected``."""
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    return [] if theme == expected else [f"data-theme is {theme!r}, expected {expected!r}"]


def has_math(page) -> bool:
    """Whether the page contains math that MathJax would typeset."""
    return page.evaluate("() => !!document.querySelector('.math, mjx-container')")


def check_external_requests(urls: list[str], *, math: bool,
                            allowed_hosts: frozenset[str]) -> list[str]:
    """Only MathJax's CDN may be contacted, and only by a page with math.

    Examples
    --------
    >>> cdn = frozenset({"cdn.jsdelivr.net"})
    >>> check_external_requests(["https://cdn.jsdelivr.net/mathjax.js"], math=True,
    ...                         allowed_hosts=cdn)
    []
    >>> check_external_requests(["https://fonts.example.org/a.woff"], math=True,
    ...                         allowed_hosts=cdn)  # doctest: +ELLIPSIS
    ['requests https://fonts.example.org/a.woff (only cdn.jsdelivr.net is allowed, ...)']
    """
    allowed = ", ".join(sorted(allowed_hosts))
    problems = []
    for url in urls:
        if urlsplit(url).hostname in allowed_hosts:
            if not math:
                problems.append(f"requests {url} from MathJax's CDN, but the page has no math")
        else:
            problems.append(f"requests {url} (only {allowed} is allowed, on pages with math)")
    return problems


# --------------------------------------------------------------------------------------
# One visit


@dataclass
class Mode:
    """A way to view the book: a browser context's options and the checks that apply."""

    name: str
    context_options: dict
    theme: str
    checks: frozenset[str]
    init_script: str = ""
    #: The axe audit this mode runs (``browser.axe.runs``): "light", "dark" or "phone".
    axe: str = ""


@dataclass
class PageAudit:
    """What one visit of one page in one mode found, problems grouped by check."""

    url: str
    mode: str
    problems: dict[str, list[str]] = field(default_factory=dict)
    external: list[str] = field(default_factory=list)
    math: bool = False
    nav: dict[str, str | None] = field(default_factory=dict)
    #: What axe-core found (``browser.axe.audit``), when the visit ran it.
    accessibility: dict | None = None


@dataclass(frozen=True)
class Site:
    """Where the book is served and what it must link to."""

    base_url: str
    book_title: str
    repository_url: str
    branch: str
    math_hosts: frozenset[str]
    #: Texts no page may show (the Colab install cell, the placeholder owner).
    hidden_texts: tuple[str, ...] = ()


def check_web_fonts(urls: list[str]) -> list[str]:
    """One problem per web font a page downloaded: the book draws with the reader's
    system fonts, and the theme's icons are inline SVG (``_ext/book_icons.py``).

    >>> check_web_fonts([])
    []
    >>> check_web_fonts(["http://127.0.0.1:8000/_static/vendor/fontawesome/webfonts/x.woff2"])
    ['downloads the web font x.woff2 (icons should be inline SVG: _ext/book_icons.py)']
    """
    return [f"downloads the web font {urlsplit(url).path.rsplit('/', 1)[-1]} "
            "(icons should be inline SVG: _ext/book_icons.py)" for url in urls]


def audit_page(page, recorder: Recorder, site: Site, expectation: Expectation, mode: Mode,
               *, screenshot: Path | None = None, axe_script: dict | None = None) -> PageAudit:
    """Load one page of the book in ``mode`` and run that mode's checks on it; with
    ``axe_script`` (how to inject axe-core: ``browser.axe.audit``), also the mode's
    accessibility audit."""
    url = urljoin(site.base_url, f"{expectation.name}.html")
    recorder.reset()
    response = page.goto(url, wait_until="load")
    audit = PageAudit(url=url, mode=mode.name)
    problems = audit.problems
    problems["load"] = check_response(response, url)
    page.evaluate(_LOAD_IMAGES)
    checks = mode.checks
    if "title" in checks:
        problems["title"] = check_title(page, expectation.title, site.book_title)
    if "outputs" in checks:
        problems["outputs"] = check_outputs(page, expectation.outputs, expectation.images)
    if "images" in checks:
        problems["images"] = check_images(page)
    if "launch" in checks:
        problems["launch"] = check_launch_links(page, expectation.name, site.repository_url,
                                                site.branch)
    if "download" in checks:
        problems["download"] = check_download(page, expectation.name)
    if "hidden" in checks:
        problems["hidden"] = check_hidden_texts(page, site.hidden_texts)
    if "layout" in checks:
        problems["layout"] = check_no_sideways_scroll(page)
    if "readability" in checks:
        problems["readability"] = (check_theme(page, mode.theme) + check_output_contrast(page)
                                   + check_figure_backgrounds(page))
    if "shift" in checks:
        problems["shift"] = check_layout_shift(page)
    audit.nav = nav_links(page)
    audit.math = has_math(page)
    if axe_script is not None and mode.axe:
        audit.accessibility = axe.audit(page, axe_script, mode.axe, expectation.name)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True, animations="disabled")
    # Read what the page did last, so that requests made while checking count too.
    problems["load"] += recorder.console_errors + recorder.failed_local
    audit.external = list(recorder.external)
    problems["external"] = check_external_requests(audit.external, math=audit.math,
                                                   allowed_hosts=site.math_hosts) + [
        f"requests {url} and gets an answer: the browser must block other hosts "
        "(tests/browser/server.py BLOCK_OTHER_HOSTS)" for url in recorder.answered_external]
    problems["fonts"] = check_web_fonts(recorder.fonts)
    return audit


def search(page, recorder: Recorder, site: Site, term: str) -> tuple[list[str], list[str]]:
    """Run the book's search for ``term``; return the result pages and any load problems."""
    recorder.reset()
    page.goto(urljoin(site.base_url, f"search.html?q={quote(term)}"), wait_until="load")
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return !!s && s.textContent.trim().length > 0; }", timeout=15_000)
    hrefs = [link["href"] for link in page.evaluate(_LINKS, "#search-results ul.search li a")]
    names = [page_name(href, site.base_url) for href in hrefs]
    problems = recorder.console_errors + recorder.failed_local + [
        f"search page requests {url}" for url in recorder.external]
    return names, problems


def dump_json(data, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
