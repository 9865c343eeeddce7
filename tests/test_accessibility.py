"""Accessibility of the built book: axe-core on every page, light and dark.

axe-core (pinned in ``tests/accessibility/package.json``, installed from the npm registry
into the git-ignored ``.venv/axe-core`` by ``make axe``; ``AXE_CORE_JS`` names another
copy) is injected by Playwright into the same headless Chromium the browser suite uses,
over the HTML of ``BOOK_HTML_DIR`` (default ``_build/html``). Every page of the TOC and
the search page, light and dark on a desktop and light 390 px wide: no violation of
impact "serious" or "critical", and none of impact "moderate" beyond ``KNOWN_MODERATE``
(empty: those that were the theme's are fixed in ``_ext/book_accessibility.py``). Every table has
header cells, and every scrollable code cell or output can take the keyboard focus.
What axe reports (all impacts) is written to ``<build>/../accessibility/axe.json``.

Each mode runs the rules it can change (``RULES``), so no page pays three full audits:
the light desktop runs every rule; dark mode changes only colours, so it runs the colour
rules over the whole page; the phone width changes only layout (same colours as light),
so it runs every rule but the colour rules, plus the colour rules over what is not cell
content (the theme's header, menus and buttons, which the width rearranges).

A page served with the theme's old markup put back must fail, so the check can fail.
Without a build, axe-core or Chromium the tests skip (fail with ``CI=true``).
"""

from __future__ import annotations

import doctest
import json
import os
import sys
from pathlib import Path

import booktools
import pytest
from browser import checks, session
from browser.server import serve_directory

sys.path.insert(0, str(booktools.ROOT / "_ext"))
import book_accessibility  # noqa: E402
import book_html_fixes  # noqa: E402
import book_icons  # noqa: E402

AXE_VERSION = "4.14.1"
AXE_JS = booktools.ROOT / ".venv" / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [*booktools.toc_files(), "search"]
_LIGHT = 'localStorage.setItem("mode", "light"); localStorage.setItem("theme", "light");'
_DARK = 'localStorage.setItem("mode", "dark"); localStorage.setItem("theme", "dark");'
#: mode: (colour scheme, init script, viewport). The phone width makes code cells scroll.
MODES = {
    "light": ("light", _LIGHT, {"width": 1280, "height": 900}),
    "dark": ("dark", _DARK, {"width": 1280, "height": 900}),
    "phone": ("light", _LIGHT, {"width": 390, "height": 844}),
}
#: axe's colour rules: the only ones whose answer the dark mode can change.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
#: mode: the axe.run calls (context, options) that audit it; see the module docstring.
RULES = {
    "light": [("document", {})],
    "dark": [("document", {"runOnly": {"type": "rule", "values": COLOUR_RULES}})],
    "phone": [
        ("document", {"rules": {rule: {"enabled": False} for rule in COLOUR_RULES}}),
        ({"exclude": [["main .cell"]]}, {"runOnly": {"type": "rule", "values": COLOUR_RULES}}),
    ],
}
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




def test_the_html_fixes_do_what_their_examples_say():
    assert doctest.testmod(book_accessibility).failed == 0
    assert doctest.testmod(book_html_fixes).failed == 0
    assert doctest.testmod(book_icons).failed == 0


@pytest.fixture(scope="module")
def html_dir() -> Path:
    return session.built_book(booktools.ROOT / "_build" / "html")


@pytest.fixture(scope="module")
def axe_source() -> str:
    path = Path(os.environ.get("AXE_CORE_JS") or AXE_JS)
    if not path.is_file():
        session.unavailable(f"no axe-core at {path}: run `make axe` (npm install of "
                            f"axe-core {AXE_VERSION} into .venv/axe-core)")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser():
    with session.chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def base_url(html_dir):
    with serve_directory(html_dir) as url:
        yield url




@pytest.fixture(scope="module")
def pages(browser, html_dir):
    """One page per mode, created on first use; the axe report is written at the end."""
    opened, report = {}, {}

    def get(mode: str):
        if mode not in opened:
            scheme, script, viewport = MODES[mode]
            context = browser.new_context(viewport=viewport, color_scheme=scheme)
            context.add_init_script(script)
            context.route("**/*", session.block_external)
            opened[mode] = (context, context.new_page())
        return opened[mode][1]

    yield get, report
    out = html_dir.parent / "accessibility" / "axe.json"
    if report:
        checks.dump_json(report, out)
    for context, _ in opened.values():
        context.close()


def audit(page, base_url: str, name: str, axe_source: str, mode: str = "light") -> dict:
    page.goto(f"{base_url}{name}.html", wait_until="load")
    page.add_script_tag(content=axe_source)
    assert page.evaluate("() => axe.version") == AXE_VERSION
    violations = [v for run in RULES[mode] for v in page.evaluate(_RUN_AXE, list(run))]
    return {"violations": violations,
            "tables_without_headers": page.evaluate(_TABLES_WITHOUT_HEADERS),
            "unfocusable_scrollers": page.evaluate(_UNFOCUSABLE_SCROLLERS)}


def _summary(violations: list[dict]) -> str:
    return "\n".join(f"  {v['impact']} {v['id']} ({v['help']}): {v['nodes'][:4]}"
                     for v in violations)


@pytest.mark.browser
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGES, ids=[name.rsplit("/", 1)[-1] for name in PAGES])
def test_page_has_no_serious_accessibility_violation(pages, base_url, axe_source, mode, name):
    get, report = pages
    found = audit(get(mode), base_url, name, axe_source, mode)
    report[f"{name} ({mode})"] = found
    violations = found["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], f"{name} ({mode}):\n{_summary(blocking)}"
    moderate = [v for v in violations if v["impact"] == "moderate"
                and v["id"] not in KNOWN_MODERATE]
    assert moderate == [], f"{name} ({mode}):\n{_summary(moderate)}"
    assert found["tables_without_headers"] == []
    assert found["unfocusable_scrollers"] == []


@pytest.mark.browser
def test_axe_reports_the_theme_markup_that_the_extension_fixes(browser, base_url, axe_source):
    """Put the theme's labels back, as the build was before the fix: axe must object."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", session.block_external)

    def unfixed(route):
        html = route.fetch().text()
        html = html.replace('aria-keyshortcuts="Control+K"', 'aria-label="Search"')
        route.fulfill(body=html, content_type="text/html")

    context.route("**/book/index.html", unfixed)
    try:
        violations = audit(context.new_page(), base_url, "book/index", axe_source)["violations"]
    finally:
        context.close()
    found = {v["id"]: v for v in violations}
    assert "label-content-name-mismatch" in found
    assert found["label-content-name-mismatch"]["impact"] == "serious"


def test_axe_core_is_pinned_where_make_installs_it():
    package = json.loads((booktools.ROOT / "tests" / "accessibility" / "package.json")
                         .read_text(encoding="utf-8"))
    lock = json.loads((booktools.ROOT / "tests" / "accessibility" / "package-lock.json")
                      .read_text(encoding="utf-8"))
    assert package["dependencies"] == {"axe-core": AXE_VERSION}
    assert lock["packages"]["node_modules/axe-core"]["version"] == AXE_VERSION


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["dark", "phone"])
def test_the_lighter_audits_still_catch_poor_contrast_outside_code_cells(
        browser, base_url, axe_source, mode):
    """Dark and phone run fewer rules (``RULES``): grey text on grey must still fail."""
    scheme, script, viewport = MODES[mode]
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    context.add_init_script(script)
    context.route("**/*", session.block_external)

    def grey_on_grey(route):
        html = route.fetch().text().replace(
            "</head>", "<style>main p { color: #777 !important; "
                       "background: #888 !important; }</style></head>")
        route.fulfill(body=html, content_type="text/html")

    context.route("**/book/stacking.html", grey_on_grey)
    try:
        found = audit(context.new_page(), base_url, "book/stacking", axe_source, mode)
    finally:
        context.close()
    assert "color-contrast" in {v["id"] for v in found["violations"]}
