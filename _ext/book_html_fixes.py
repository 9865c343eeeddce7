"""Sphinx extension: fixes to the HTML of the Jupyter Book 1 stack.

Console errors:

1. Sphinx 7.4 writes an inline script twice when an extension adds it after the builder
   started (sphinx-thebe, sphinx-togglebutton): once from the builder and once re-read
   from the registry with ``filename=''`` instead of ``None``. The second
   ``const THEBE_JS_URL`` throws "Identifier 'THEBE_JS_URL' has already been declared".
   Keep the first of each inline script.
2. pydata-sphinx-theme starts in mode ``""`` on a reader's first visit (empty
   localStorage) and logs "Got invalid theme mode". ``html_context.default_mode`` is
   the mode it falls back to: ``auto``.

Lighter, findable pages:

3. Every page gets a ``<meta name="description">``: its first paragraph (the chapter's
   introduction), shortened to about 160 characters; pages without one (search, index)
   get the book's ``book_description`` (set in ``_config.yml``).
4. pydata-sphinx-theme loads ``fontawesome.js`` (1.5 MB, 530 KiB with gzip) on every
   page only to turn ``<i class="fa-...">`` icons into inline SVG. The script is dropped
   from every page and from the output; ``_ext/book_icons.py`` puts the same SVG into
   the HTML at build time (without it, the theme's stylesheet would draw the icons with
   two Font Awesome web fonts, 268 KiB per page).
5. Sphinx 7 loads MathJax (from its CDN) on a page when the page or any page in its
   toctree has math, so the landing page, whose toctree holds every chapter, loads it
   although it has no math. Only pages with math of their own keep it.
6. Jupyter Book adds every ``.js`` and ``.css`` file of ``_static`` to every page's head.
   The shape explorer's script and stylesheet (46 KiB before gzip) serve one page, whose
   own HTML (``_static/shape-explorer.html``) links both: every head drops them
   (``SELF_LINKED_ASSETS``), which also stops that page loading the script twice.
7. pydata-sphinx-theme loads Sphinx's search scripts (``searchtools.js``,
   ``language_data.js`` and the whole ``searchindex.js``, about 100 KiB before gzip,
   render-blocking) on every page for its search-as-you-type option, which is off
   (``search_as_you_type = False``): the search box then sends the reader to
   ``search.html``, the one page that runs them. Other pages drop them.
8. Sphinx and its extensions load their scripts in the head without ``defer``
   (``doctools.js``, ``clipboard.min.js``, ``copybutton.js``, ``sphinx-book-theme.js``,
   ``togglebutton.js``, ``design-tabs.js`` and more): the page cannot be drawn before
   each has been fetched and run. They get ``defer`` (they still run in order, before
   ``DOMContentLoaded``), except ``documentation_options.js``, which the page's inline
   scripts use at once, and except on the search page, whose search scripts use them
   as they load.
9. pydata-sphinx-theme's head script copies the mode and theme a reader chose into
   ``<html data-mode data-theme>``; on a first visit both are ``auto``, a theme its
   stylesheet has no colours for, until ``pydata-sphinx-theme.js`` (deferred, so after
   the first paint) resolves ``auto`` to ``light`` or ``dark``. The page is drawn
   without the theme's colours and borders, then restyled whole: inline code gains
   its border and can wrap onto another line, moving the text below it (Lighthouse:
   cumulative layout shift 0.155 on "Map sequences to sequences"). The head script
   resolves ``auto`` itself, as the theme's script later does (``THEME_SCRIPT``).
10. The theme's first stylesheet, ``styles/theme.css``, only imports ``basic.css``:
    the browser finds ``basic.css`` after ``theme.css`` has arrived, one more round trip
    before the first paint. Pages link ``basic.css`` in its place (same position, so
    the same cascade).
11. Images carry no size and load at once: a chapter's figures, far down the page, share
    a slow connection with what the reader sees first (Lighthouse counts them in the
    largest contentful paint: 3.2 s on "What return_sequences costs", three figures,
    205 KiB), and each one moves the text below it when it arrives. Every ``<img>``
    gets ``loading="lazy"`` and ``decoding="async"``, and a PNG figure of ``_images/``
    its pixel ``width`` and ``height`` (the browser reserves its box before it loads;
    the stylesheets scale it as before; the theme's icons keep the size its stylesheet
    gives them).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

DESCRIPTION_CHARS = 160
#: Files of ``_static`` that the one page using them links itself (see point 6).
SELF_LINKED_ASSETS = frozenset({"shape-explorer.js", "shape-explorer.css"})
SEARCH_SCRIPTS = re.compile(
    r'[ \t]*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js'
    r'|searchindex\.js)"></script>\n?')
#: The theme's head lines that copy the stored mode and theme (point 9) ...
THEME_LINES = re.compile(
    r'document\.documentElement\.dataset\.mode = localStorage\.getItem\("mode"\) \|\| "auto";'
    r'\s*document\.documentElement\.dataset\.theme = localStorage\.getItem\("theme"\) \|\| "auto";')
#: ... and what replaces them: ``auto`` resolved from the reader's system preference.
THEME_SCRIPT = (
    'var mode = localStorage.getItem("mode") || "auto";\n'
    '    document.documentElement.dataset.mode = mode;\n'
    '    document.documentElement.dataset.theme = mode !== "auto" ? mode\n'
    '      : matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";')
#: The link to the theme's import-only stylesheet (point 10); group 1: the path to _static.
THEME_CSS_LINK = re.compile(
    r'<link href="([^"]*_static/)styles/theme\.css(?:\?[^"]*)?" rel="stylesheet" />')
IMG_TAG = re.compile(r"<img\b[^>]*>")
FONTAWESOME_SCRIPT = re.compile(
    r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?')


def _drop_duplicate_inline_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or None, script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _mathjax_only_where_needed(app, pagename, templatename, context, doctree):
    """Drop MathJax from a page without math of its own (runs after Sphinx adds it)."""
    if app.env.get_domain("math").data["has_equations"].get(pagename, False):
        return
    mathjax = app.config.mathjax_path
    context["script_files"] = [script for script in context.get("script_files", [])
                               if not (script.filename and mathjax
                                       and script.filename.endswith(mathjax.split("/")[-1]))
                               and "MathJax" not in str(script.attributes.get("body", ""))]


#: Head scripts that must run as they are parsed (see point 8).
RUN_AT_ONCE = frozenset({"documentation_options.js"})


def deferred(filename: str | None, attributes: dict, page: str) -> bool:
    """Whether a script of ``script_files`` gets ``defer`` on ``page`` (point 8).

    Examples
    --------
    >>> deferred("_static/doctools.js", {}, "book/stacking")
    True
    >>> deferred("_static/documentation_options.js", {}, "book/stacking")
    False
    >>> deferred(None, {"body": "let x = 1;"}, "book/stacking")  # inline: cannot defer
    False
    >>> deferred("_static/sphinx-thebe.js", {"async": "async"}, "book/stacking")
    False
    >>> deferred("_static/doctools.js", {}, "search")
    False
    """
    return (bool(filename) and page != "search"
            and Path(filename.split("?", 1)[0]).name not in RUN_AT_ONCE
            and not {"async", "defer"} & set(attributes))


def _defer_head_scripts(app, pagename, templatename, context, doctree):
    from sphinx.builders.html._assets import _JavaScript

    context["script_files"] = [
        _JavaScript(script.filename, priority=script.priority,
                    **{**script.attributes, "defer": "defer"})
        if isinstance(script, _JavaScript)
        and deferred(script.filename, script.attributes, pagename) else script
        for script in context.get("script_files", [])]


def _default_mode(app, config):
    config.html_context.setdefault("default_mode", "auto")


def shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """Collapse whitespace; keep at most ``limit`` characters, cut after the last whole
    sentence that fits (if it reaches half the limit), else at a word boundary.

    Examples
    --------
    >>> shorten("A  layer\\nreturns its last state.")
    'A layer returns its last state.'
    >>> shorten("One two. Three four five six.", limit=20)
    'One two. Three four…'
    >>> shorten("One two three. Four five six.", limit=20)
    'One two three.'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    sentence_end = head.rfind(". ")
    if sentence_end >= limit // 2:
        return head[: sentence_end + 1]
    return head.rsplit(" ", 1)[0].rstrip(",;:") + "…"


def first_paragraph(doctree) -> str:
    """The text of the first paragraph that sits directly in a section (not in a table,
    a note or a cell's output), or ``""``."""
    from docutils import nodes  # here, so the module's helpers import without docutils

    for paragraph in doctree.findall(nodes.paragraph):
        if isinstance(paragraph.parent, nodes.section):
            return paragraph.astext()
    return ""


def _meta_description(app, pagename, templatename, context, doctree):
    if 'name="description"' in context.get("metatags", ""):
        return
    text = first_paragraph(doctree) if doctree is not None else ""
    description = shorten(text or app.config.book_description)
    if description:
        context["metatags"] = (context.get("metatags", "")
                               + f'\n<meta name="description" content="'
                               f'{html.escape(description, quote=True)}" />')


def _drop_self_linked_assets(app, pagename, templatename, context, doctree):
    """Drop ``SELF_LINKED_ASSETS`` from the head of every page (see point 6)."""
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key]
                            if Path(getattr(asset, "filename", None) or "").name
                            not in SELF_LINKED_ASSETS]


def without_search_scripts(text: str, page: str) -> str:
    """The HTML of ``page`` without Sphinx's search scripts, unless it is the search page.

    Examples
    --------
    >>> head = '<script src="../_static/searchtools.js"></script>\\n<p>x</p>'
    >>> without_search_scripts(head, "book/stacking.html")
    '<p>x</p>'
    >>> without_search_scripts(head, "search.html") == head
    True
    """
    return text if page == "search.html" else SEARCH_SCRIPTS.sub("", text)


def with_resolved_theme(text: str) -> str:
    """The HTML with the theme's head script resolving ``auto`` at once (point 9).

    Examples
    --------
    >>> root = "document.documentElement.dataset"
    >>> head = (f'{root}.mode = localStorage.getItem("mode") || "auto";\\n'
    ...         f'    {root}.theme = localStorage.getItem("theme") || "auto";')
    >>> print(with_resolved_theme(head))
    var mode = localStorage.getItem("mode") || "auto";
        document.documentElement.dataset.mode = mode;
        document.documentElement.dataset.theme = mode !== "auto" ? mode
          : matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    >>> with_resolved_theme("<p>no theme script</p>")
    '<p>no theme script</p>'
    """
    return THEME_LINES.sub(lambda match: THEME_SCRIPT, text)


def with_basic_css_linked(text: str) -> str:
    """The HTML linking ``basic.css`` where it linked ``theme.css`` (point 10).

    Examples
    --------
    >>> print(with_basic_css_linked(
    ...     '<link href="../_static/styles/theme.css?digest=5" rel="stylesheet" />'))
    <link href="../_static/basic.css" rel="stylesheet" />
    """
    return THEME_CSS_LINK.sub(r'<link href="\1basic.css" rel="stylesheet" />', text)


def png_size(path: Path) -> tuple[int, int] | None:
    """The pixel width and height of a PNG file (from its header), else ``None``."""
    try:
        with path.open("rb") as stream:
            header = stream.read(24)
    except OSError:
        return None
    if len(header) < 24 or header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        return None
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def with_lazy_images(text: str, folder: Path) -> str:
    """The HTML of a page in ``folder`` with every image lazy, and every PNG sized (point 11).

    Examples
    --------
    >>> import tempfile, zlib
    >>> png = (b"\\x89PNG\\r\\n\\x1a\\n" + (13).to_bytes(4, "big") + b"IHDR"
    ...        + (940).to_bytes(4, "big") + (380).to_bytes(4, "big") + bytes(5))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     (Path(folder) / "_images").mkdir()
    ...     _ = (Path(folder) / "_images" / "f.png").write_bytes(png)
    ...     print(with_lazy_images('<img alt="A plot" src="_images/f.png">', Path(folder)))
    ...     print(with_lazy_images('<img alt="Logo" src="logo.svg" loading="eager">',
    ...                            Path(folder)))
    <img alt="A plot" src="_images/f.png" width="940" height="380" loading="lazy" decoding="async">
    <img alt="Logo" src="logo.svg" loading="eager">
    """
    def rewrite(match: re.Match) -> str:
        tag = match.group(0)
        closing = "/>" if tag.endswith("/>") else ">"
        attributes = tag[: -len(closing)].rstrip()
        src = re.search(r'\ssrc="([^"?#]+)"', attributes)
        if (src and src.group(1).startswith(("_images/", "../_images/"))
                and not re.search(r"\s(?:width|height)=", attributes)):
            size = png_size(folder / src.group(1))
            if size:
                attributes += f' width="{size[0]}" height="{size[1]}"'
        if not re.search(r"\sloading=", attributes):
            attributes += ' loading="lazy" decoding="async"'
        return attributes + (" />" if closing == "/>" else ">")

    return IMG_TAG.sub(rewrite, text)


def _rewrite_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        lighter = with_basic_css_linked(with_resolved_theme(FONTAWESOME_SCRIPT.sub("", text)))
        lighter = with_lazy_images(lighter, page.parent)
        lighter = without_search_scripts(lighter, page.relative_to(out).as_posix())
        if lighter != text:
            page.write_text(lighter, encoding="utf-8")
    for name in ("fontawesome.js", "fontawesome.js.map", "fontawesome.js.LICENSE.txt"):
        (out / "_static" / "scripts" / name).unlink(missing_ok=True)


def setup(app):
    app.add_config_value("book_description", "", "html", types=[str])
    app.connect("config-inited", _default_mode)
    app.connect("html-page-context", _drop_duplicate_inline_scripts, priority=900)
    app.connect("html-page-context", _meta_description)
    app.connect("html-page-context", _mathjax_only_where_needed, priority=950)
    app.connect("html-page-context", _drop_self_linked_assets, priority=950)
    app.connect("html-page-context", _defer_head_scripts, priority=960)
    app.connect("build-finished", _rewrite_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
