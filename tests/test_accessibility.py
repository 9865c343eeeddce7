"""Accessibility of the built book: axe-core on every page, light, dark and phone-sized.

The pages of the TOC are audited on the browser suite's own visits (tests/test_browser.py,
``test_page_has_no_serious_accessibility_violation``, one per page and mode), with the
rules and the pass mark of tests/browser/axe.py. Here: the search page, which the browser
suite does not visit, in the same three modes; the colour of every code token class, light
and dark (the page audits leave syntax-highlighted code to this test); proof that the
audits can fail (the theme's old markup put back, grey text on grey in the lighter dark
and phone audits, an unreadable token colour); axe-core's pin; and the examples of the
build extensions that fix what axe found in the theme.

Without a build, axe-core or Chromium the tests skip (fail with ``CI=true``).
"""

from __future__ import annotations

import contextlib
import doctest
import json
import sys

import booktools
import pytest
from browser import axe, session
from browser.server import serve_directory

sys.path.insert(0, str(booktools.ROOT / "_ext"))
import book_accessibility  # noqa: E402
import book_html_fixes  # noqa: E402
import book_icons  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}
_LIGHT = 'localStorage.setItem("mode", "light"); localStorage.setItem("theme", "light");'
_DARK = 'localStorage.setItem("mode", "dark"); localStorage.setItem("theme", "dark");'
#: axe mode: the browser context that opens a page in it (as the browser suite's modes).
CONTEXTS = {
    "light": ({"viewport": DESKTOP, "color_scheme": "light"}, _LIGHT),
    "dark": ({"viewport": DESKTOP, "color_scheme": "dark"}, _DARK),
    "phone": ({"viewport": {"width": 390, "height": 844}, "is_mobile": True,
               "has_touch": True, "color_scheme": "light"}, _LIGHT),
}


def test_the_html_fixes_do_what_their_examples_say():
    assert doctest.testmod(book_accessibility).failed == 0
    assert doctest.testmod(book_html_fixes).failed == 0
    assert doctest.testmod(book_icons).failed == 0


def test_axe_core_is_pinned_where_make_installs_it():
    package = json.loads((booktools.ROOT / "tests" / "accessibility" / "package.json")
                         .read_text(encoding="utf-8"))
    lock = json.loads((booktools.ROOT / "tests" / "accessibility" / "package-lock.json")
                      .read_text(encoding="utf-8"))
    assert package["dependencies"] == {"axe-core": axe.AXE_VERSION}
    assert lock["packages"]["node_modules/axe-core"]["version"] == axe.AXE_VERSION


@pytest.fixture(scope="module")
def html_dir():
    return session.built_book(booktools.ROOT / "_build" / "html")


@pytest.fixture(scope="module")
def axe_source() -> str:
    return axe.require_source()


@pytest.fixture(scope="module")
def browser():
    with session.chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def base_url(html_dir):
    with serve_directory(html_dir) as url:
        yield url


@contextlib.contextmanager
def opened(browser, base_url: str, name: str, mode: str, edit=None):
    """Page ``name`` in a fresh context in ``mode``, its HTML passed through ``edit``."""
    options, script = CONTEXTS[mode]
    context = browser.new_context(**options)
    context.add_init_script(script)
    if edit is not None:
        def edited(route):
            route.fulfill(body=edit(route.fetch().text()), content_type="text/html")
        context.route(f"**/{name}.html", edited)
    try:
        page = context.new_page()
        page.goto(f"{base_url}{name}.html", wait_until="load")
        yield page
    finally:
        context.close()


def audit_page(browser, base_url: str, name: str, axe_source: str, mode: str,
               edit=None) -> dict:
    """Open ``name`` as ``opened`` does and audit it as the browser suite does."""
    with opened(browser, base_url, name, mode, edit) as page:
        return axe.audit(page, {"content": axe_source}, mode, name)


@pytest.mark.browser
@pytest.mark.parametrize("mode", CONTEXTS)
def test_search_page_has_no_serious_accessibility_violation(browser, base_url, axe_source,
                                                           mode):
    problems = axe.problems(audit_page(browser, base_url, "search", axe_source, mode))
    assert problems == [], f"search ({mode}):\n" + "\n".join(problems)


@pytest.mark.browser
def test_axe_reports_the_theme_markup_that_the_extension_fixes(browser, base_url, axe_source):
    """Put the theme's labels back, as the build was before the fix: axe must object."""
    def unfixed(html: str) -> str:
        return html.replace('aria-keyshortcuts="Control+K"', 'aria-label="Search"')

    found = {v["id"]: v for v in audit_page(browser, base_url, "book/index", axe_source,
                                            "light", unfixed)["violations"]}
    assert "label-content-name-mismatch" in found
    assert found["label-content-name-mismatch"]["impact"] == "serious"


def _grey_on_grey(html: str) -> str:
    return html.replace("</head>", "<style>main p { color: #777 !important; "
                                   "background: #888 !important; }</style></head>")


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "name"), [("dark", "book/stacking"),
                                            ("phone", axe.PHONE_COLOUR_PAGES[1])])
def test_the_lighter_audits_still_catch_poor_contrast_outside_code_cells(
        browser, base_url, axe_source, mode, name):
    """Dark and phone run fewer rules (tests/browser/axe.py): grey text on grey must
    still fail, in dark mode on any page, on a phone where the frame's colours are
    checked."""
    found = audit_page(browser, base_url, name, axe_source, mode, _grey_on_grey)
    assert "color-contrast" in {v["id"] for v in found["violations"]}


_TOKEN_SAMPLE = """(html) => {
  const block = document.querySelector("main .cell_input .highlight");
  block.id = "token-sample";
  block.querySelector("pre").innerHTML = html;
}"""


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "override"), [
    ("light", ""), ("dark", ""),
    ("dark", "html .highlight .k { color: #444 !important; }"),
], ids=["light", "dark", "dark-unreadable-keyword"])
def test_every_code_token_colour_is_readable(browser, base_url, html_dir, axe_source, mode,
                                             override):
    """Every class pygments.css colours, as a token in a real code cell: axe's colour
    rules pass; a keyword coloured #444 on the dark background fails."""
    highlighted = [path.name for path in html_dir.rglob("*.html")
                   if 'class="hll"' in path.read_text(encoding="utf-8")]
    assert highlighted == [], "pages with highlighted lines: add them to code_token_sample"
    stylesheet = (html_dir / "_static" / "pygments.css").read_text(encoding="utf-8")
    sample = axe.code_token_sample(stylesheet, mode)
    assert sample.count('class="') > 40, "too few token classes read from pygments.css"

    def styled(html: str) -> str:
        return html.replace("</head>", f"<style>{override}</style></head>")

    with opened(browser, base_url, "book/stacking", mode, styled) as page:
        page.evaluate(_TOKEN_SAMPLE, sample)
        axe.inject(page, {"content": axe_source})
        violations = axe.violations(page, [({"include": [["#token-sample"]]},
                                            axe.COLOUR_ONLY)])
    if override:
        assert {v["id"] for v in violations} == {"color-contrast"}
        assert [node for v in violations for node in v["nodes"]] == ["#codecell0 > .k"]
    else:
        assert violations == [], f"{mode}:\n{axe.summary(violations)}"
