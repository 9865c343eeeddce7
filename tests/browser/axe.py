"""axe-core in a loaded page: which rules each viewing mode runs, and what fails a page.

axe-core (pinned in ``tests/accessibility/package.json``, installed from the npm registry
into the git-ignored ``.venv/axe-core`` by ``make axe``; ``AXE_CORE_JS`` names another
copy) is injected into a page the browser suite has just loaded. A page fails on any
violation of impact "serious" or "critical", and on one of impact "moderate" beyond
``KNOWN_MODERATE``; also on a table without header cells, or a scrolling code cell or
output that the keyboard cannot reach.

Each mode runs the rules it can change (``runs``), so no page pays three full audits:

- ``light`` (desktop) runs every rule (the colour rules on all but the
  syntax-highlighted code, see below);
- ``dark`` changes only colours: the colour rules (on all but that code);
- ``phone`` changes only layout (the colours are light's): every rule but the colour
  rules; and, on the pages in ``PHONE_COLOUR_PAGES``, the colour rules over what is not
  cell content, that is the theme's header, menus and buttons, which the width
  rearranges. That frame is the same on every page but for what those pages differ in
  (the first has no "previous" link, the last no "next").

The colour rules skip the syntax-highlighted code (``.highlight``, thousands of token
spans per page, a third of their time): a token's colour comes from its
class in the one stylesheet every page shares (``_static/pygments.css``), whatever page
it is on. tests/test_accessibility.py audits every class that stylesheet colours, in
light and in dark, once (``code_token_sample``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import booktools

AXE_VERSION = "4.14.1"
AXE_JS = booktools.ROOT / ".venv" / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"
#: Where the browser suite's server offers axe-core next to the book (``served``): a script
#: loaded from a URL is compiled once and cached, not parsed anew on every page.
URL_PATH = "/_tests/axe.min.js"
#: axe's colour rules: the only ones whose answer the dark mode can change.
COLOUR_RULES = ("color-contrast", "link-in-text-block")
COLOUR_ONLY = {"runOnly": {"type": "rule", "values": list(COLOUR_RULES)}}
_ALL_BUT_COLOUR = {"rules": {rule: {"enabled": False} for rule in COLOUR_RULES}}
#: The colour rules, on everything but the syntax-highlighted code (see above).
_COLOUR_BUT_CODE = ({"exclude": [[".highlight"]]}, COLOUR_ONLY)
_TOC = booktools.toc_files()
#: Where the phone audit also checks the colours of the theme's frame (see above).
PHONE_COLOUR_PAGES = (_TOC[0], _TOC[1], _TOC[-1], "search")
BLOCKING = ("serious", "critical")
#: Moderate violations accepted, with the reason: none.
KNOWN_MODERATE: dict[str, str] = {}

_RUN_AXE = """async ([context, options]) => {
  const result = await axe.run(context === "document" ? document : context,
                               {...options, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" "))}));
}"""

_TABLES_WITHOUT_HEADERS = """() => [...document.querySelectorAll("main table")]
  .filter(t => !t.querySelector("th")).map(t => t.outerHTML.slice(0, 120))"""

_UNFOCUSABLE_SCROLLERS = """() => [...document.querySelectorAll(
    "main pre, main .output, main .cell_output, main .highlight")]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible")
  .filter(e => e.tabIndex < 0 && !e.querySelector("[tabindex='0'], a, button"))
  .map(e => e.className + ": " + e.textContent.trim().slice(0, 60))"""


def _path() -> Path:
    return Path(os.environ.get("AXE_CORE_JS") or AXE_JS)


def source() -> str | None:
    """axe-core's script, or None where it is not installed."""
    return _path().read_text(encoding="utf-8") if _path().is_file() else None


def served() -> dict[str, Path]:
    """What ``serve_directory(..., extra=)`` needs to offer axe-core at ``URL_PATH``."""
    return {URL_PATH: _path()} if _path().is_file() else {}


def require_source() -> str:
    """axe-core's script; skip (fail under ``CI=true``) where it is missing."""
    from browser import session  # here: session imports checks, which imports this module

    script = source()
    if script is None:
        session.unavailable(f"no axe-core at {_path()}: run "
                            f"`make axe` (npm install of axe-core {AXE_VERSION} into "
                            ".venv/axe-core)")
    return script


def runs(mode: str, name: str) -> list[tuple[object, dict]]:
    """The ``axe.run`` calls (context, options) that audit page ``name`` in ``mode``.

    Examples
    --------
    >>> [context for context, _ in runs("light", "book/stacking")]
    ['document', {'exclude': [['.highlight']]}]
    >>> [context for context, _ in runs("dark", "book/stacking")]
    [{'exclude': [['.highlight']]}]
    >>> [options["runOnly"]["values"] for _, options in runs("dark", "book/stacking")]
    [['color-contrast', 'link-in-text-block']]
    >>> len(runs("phone", "book/stacking")), len(runs("phone", "search"))
    (1, 2)
    >>> runs("sepia", "book/stacking")
    Traceback (most recent call last):
    ...
    ValueError: expected a mode among ['dark', 'light', 'phone'], got 'sepia'
    """
    if mode == "light":
        return [("document", _ALL_BUT_COLOUR), _COLOUR_BUT_CODE]
    if mode == "dark":
        return [_COLOUR_BUT_CODE]
    if mode == "phone":
        frame = [({"exclude": [["main .cell"]]}, COLOUR_ONLY)]
        return [("document", _ALL_BUT_COLOUR), *(frame if name in PHONE_COLOUR_PAGES else [])]
    raise ValueError(f"expected a mode among ['dark', 'light', 'phone'], got {mode!r}")


def code_token_sample(stylesheet: str, theme: str) -> str:
    """HTML for inside a ``<pre>`` of ``.highlight``: a line of plain code, then one token
    of every class that ``stylesheet`` (pygments.css) colours for ``theme``.

    Highlighted lines (``hll``, from ``emphasize-lines``) are left out: no page has one
    (tests/test_accessibility.py checks), and in the theme's dark style an error token on
    one fails (#FFA07A on the yellow tint).

    Examples
    --------
    >>> css = ('html[data-theme="dark"] .highlight .k { color: #FF0 }\\n'
    ...        'html[data-theme="light"] .highlight .k { color: #00F }\\n'
    ...        'html[data-theme="dark"] .highlight .hll { background: #333 }\\n'
    ...        'html[data-theme="dark"] .highlight .s2 { color: #ABE338 }')
    >>> print(code_token_sample(css, "dark"))
    plain code
    <span class="k">k token</span>
    <span class="s2">s2 token</span>
    """
    classes = sorted(set(re.findall(
        rf'html\[data-theme="{theme}"\] \.highlight \.([\w-]+) {{[^}}]*\bcolor:',
        stylesheet)))
    return "\n".join(["plain code", *(f'<span class="{name}">{name} token</span>'
                                      for name in classes)])


def inject(page, script: dict) -> None:
    """Put axe-core into the loaded ``page``. ``script`` is what Playwright's
    ``add_script_tag`` takes: ``{"url": ...}`` or ``{"content": source()}``."""
    page.add_script_tag(**script)
    version = page.evaluate("() => axe.version")
    if version != AXE_VERSION:
        raise RuntimeError(f"expected axe-core {AXE_VERSION}, the page runs {version}: "
                           "run `make axe`")


def violations(page, calls: list[tuple[object, dict]]) -> list[dict]:
    """What ``axe.run`` reports for each (context, options) of ``calls``, in one list."""
    return [v for call in calls for v in page.evaluate(_RUN_AXE, list(call))]


def audit(page, script: dict, mode: str, name: str) -> dict:
    """Inject axe-core (``inject``) into the loaded ``page`` and audit it as
    ``runs(mode, name)`` says."""
    inject(page, script)
    return {"violations": violations(page, runs(mode, name)),
            "tables_without_headers": page.evaluate(_TABLES_WITHOUT_HEADERS),
            "unfocusable_scrollers": page.evaluate(_UNFOCUSABLE_SCROLLERS)}


def summary(violations: list[dict]) -> str:
    return "\n".join(f"  {v['impact']} {v['id']} ({v['help']}): {v['nodes'][:4]}"
                     for v in violations)


def problems(found: dict) -> list[str]:
    """What fails a page in one mode, as lines for an assertion message.

    Examples
    --------
    >>> problems({"violations": [{"id": "region", "impact": "minor", "help": "h",
    ...                           "nodes": ["div"]}],
    ...           "tables_without_headers": [], "unfocusable_scrollers": []})
    []
    >>> problems({"violations": [{"id": "color-contrast", "impact": "serious",
    ...                           "help": "Contrast", "nodes": ["p"]}],
    ...           "tables_without_headers": ["<table>"], "unfocusable_scrollers": []})
    ["  serious color-contrast (Contrast): ['p']", "  tables without header cells: ['<table>']"]
    """
    failing = [v for v in found["violations"] if v["impact"] in BLOCKING
               or (v["impact"] == "moderate" and v["id"] not in KNOWN_MODERATE)]
    lines = [summary(failing)] if failing else []
    if found["tables_without_headers"]:
        lines.append(f"  tables without header cells: {found['tables_without_headers']}")
    if found["unfocusable_scrollers"]:
        lines.append(f"  scrolling blocks the keyboard cannot reach: "
                     f"{found['unfocusable_scrollers']}")
    return lines
