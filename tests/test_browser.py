"""The built book in a real browser: every page of the TOC loads cleanly, shows its
notebook's title and outputs, offers working launch and download buttons, links the
chapters in order, is found by search, fits a phone, stays readable in dark mode, passes
axe-core's accessibility audit in every mode (tests/browser/axe.py) and contacts no
server but MathJax's CDN (on pages with math).

Headless Chromium (the system one, never a downloaded browser) drives the HTML of
``BOOK_HTML_DIR`` (default ``_build/html``), served on 127.0.0.1; every request to
another host is blocked and recorded. One browser for the session, one context per
viewing mode, each page visited once per mode: the checks of tests/browser/checks.py run
during that visit and the tests below read their results. With ``BOOK_SCREENSHOTS=1`` a
screenshot of every page in every mode lands in ``_build/screenshots/<page>-<mode>.png``.

Without a built book or without Chromium the tests skip, saying what to run; with
``CI=true`` they fail instead.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import booktools
import nbformat
import pytest
from browser import axe, checks, session
from browser.server import serve_directory

PAGES = booktools.toc_files()
IDS = [name.rsplit("/", 1)[-1] for name in PAGES]
browser_test = pytest.mark.browser

_DESKTOP = {"width": 1280, "height": 900}
_PHONE = {"width": 390, "height": 844}
_CONTENT = frozenset({"title", "outputs", "images", "launch", "download", "hidden"})
#: The owner in _config.yml's repository URL until a fork sets its own.
PLACEHOLDER_OWNER = "REPLACE-WITH-OWNER"
#: What no page may show: the Colab install cell (tagged remove-cell) and the placeholder.
HIDDEN_TEXTS = (booktools.COLAB_MARKER, PLACEHOLDER_OWNER)
_VIEW = frozenset({"layout", "readability", "shift"})

#: Light modes clear localStorage before every page, so that every page is checked as the
#: first page a reader opens. Dark mode is what the theme switcher stores.
MODES = {
    mode.name: mode for mode in (
        checks.Mode("desktop-light", {"viewport": _DESKTOP, "color_scheme": "light"}, "light",
                    _CONTENT | _VIEW, init_script="localStorage.clear();", axe="light"),
        checks.Mode("phone-light", {"viewport": _PHONE, "is_mobile": True, "has_touch": True,
                                    "color_scheme": "light"}, "light",
                    _VIEW, init_script="localStorage.clear();", axe="phone"),
        checks.Mode("desktop-dark", {"viewport": _DESKTOP, "color_scheme": "dark"}, "dark",
                    _VIEW, init_script='localStorage.setItem("mode", "dark"); '
                                       'localStorage.setItem("theme", "dark");', axe="dark"),
    )
}
MODE_PAGES = [(mode, name) for mode in MODES for name in PAGES]
MODE_PAGE_IDS = [f"{mode}-{page_id}" for mode in MODES for page_id in IDS]
SEARCH_TERMS = ["return_sequences", "return_state"]


def _mathjax_url() -> str:
    """Where pages with math load MathJax: the book's ``mathjax_path``, else Sphinx's default."""
    from sphinx.ext.mathjax import MATHJAX_URL

    sphinx_config = (booktools.config().get("sphinx") or {}).get("config") or {}
    return sphinx_config.get("mathjax_path", MATHJAX_URL)


def _math_hosts() -> frozenset[str]:
    return frozenset({urlsplit(_mathjax_url()).hostname})


class Viewer:
    """One browser context and page in one mode; visits each page of the book once."""

    def __init__(self, browser, mode: checks.Mode, site: checks.Site, screenshots: Path,
                 expectations: dict[str, checks.Expectation], axe_script: dict | None) -> None:
        self.mode, self.site, self.screenshots = mode, site, screenshots
        self.expectations, self.axe_script = expectations, axe_script
        self.context = browser.new_context(**mode.context_options)
        self.context.add_init_script(checks.LAYOUT_SHIFT_OBSERVER)
        if mode.init_script:
            self.context.add_init_script(mode.init_script)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.recorder = checks.Recorder(self.page)
        self.audits: dict[str, checks.PageAudit] = {}

    def audit(self, name: str) -> checks.PageAudit:
        if name not in self.audits:
            # Screenshots are for people, not checks: taken only on request, since a
            # full-page capture of every page in every mode is the suite's costliest step.
            shot = (self.screenshots / f"{name.rsplit('/', 1)[-1]}-{self.mode.name}.png"
                    if os.environ.get("BOOK_SCREENSHOTS") == "1" else None)
            self.audits[name] = checks.audit_page(
                self.page, self.recorder, self.site, self.expectations[name], self.mode,
                screenshot=shot, axe_script=self.axe_script)
        return self.audits[name]


@pytest.fixture(scope="session")
def html_dir() -> Path:
    return session.built_book(booktools.ROOT / "_build" / "html")


@pytest.fixture(scope="session")
def browser():
    # One Playwright driver per process, shared with the explorer and accessibility
    # tests (pytest-xdist may run them on the same worker).
    with session.chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def site(html_dir):
    with serve_directory(html_dir, extra=axe.served()) as base_url:
        yield checks.Site(base_url=base_url, book_title=str(booktools.config()["title"]),
                          repository_url=booktools.repository_url(),
                          branch=booktools.branch(), math_hosts=_math_hosts(),
                          hidden_texts=HIDDEN_TEXTS)


def _built_notebook(html_dir: Path, name: str) -> Path:
    """The copy of a notebook that the HTML was built from (what the download button serves)."""
    return html_dir / "_sources" / f"{name}.ipynb"


@pytest.fixture(scope="session")
def expectations(html_dir) -> dict[str, checks.Expectation]:
    """What each page must show, read from the notebook it was built from."""
    missing = [name for name in PAGES if not _built_notebook(html_dir, name).is_file()]
    if missing:
        pytest.fail(f"the build has no copy of {missing} under _sources/: rebuild the book "
                    "(`make book`)", pytrace=False)
    return {name: checks.Expectation.from_notebook(name, _built_notebook(html_dir, name))
            for name in PAGES}


@pytest.fixture(scope="session")
def viewers(browser, site, html_dir, expectations):
    """The viewers of every mode, created on first use; they list external requests in
    ``_build/screenshots/external-requests.json`` and what axe-core reported (all
    impacts) in ``_build/accessibility/axe.json`` at the end of the session."""
    screenshots = html_dir.parent / "screenshots"
    created: dict[str, Viewer] = {}
    axe_script = {"url": site.base_url + axe.URL_PATH.lstrip("/")} if axe.served() else None

    def get(mode: str) -> Viewer:
        if mode not in created:
            created[mode] = Viewer(browser, MODES[mode], site, screenshots, expectations,
                                   axe_script)
        return created[mode]

    yield get
    report = {mode: {name: audit.external for name, audit in viewer.audits.items()}
              for mode, viewer in created.items()}
    if report:
        checks.dump_json(report, screenshots / "external-requests.json")
    found = {f"{name} ({mode})": audit.accessibility for mode, viewer in created.items()
             for name, audit in viewer.audits.items() if audit.accessibility is not None}
    if found:
        checks.dump_json(found, html_dir.parent / "accessibility" / "axe.json")
    for viewer in created.values():
        viewer.context.close()


@pytest.fixture(scope="session")
def desktop(viewers) -> Viewer:
    return viewers("desktop-light")


def _problems(audit: checks.PageAudit, key: str) -> str:
    return f"{audit.url} ({audit.mode}):\n  " + "\n  ".join(audit.problems[key])


# --------------------------------------------------------------------------------------
# Without a book or a browser: skip locally, fail under CI

CI_CASES = pytest.mark.parametrize(
    ("ci", "outcome"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)],
    ids=["local-skips", "ci-fails"])


@CI_CASES
def test_missing_book_skips_locally_and_fails_under_ci(monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("BOOK_HTML_DIR", str(tmp_path))
    with pytest.raises(outcome, match="build the book first"):
        session.built_book(tmp_path)


@CI_CASES
def test_missing_chromium_skips_locally_and_fails_under_ci(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(session, "find_chromium", lambda: None)
    with pytest.raises(outcome, match="apt-get install chromium"), session.chromium():
        pass


class _TitledPage:
    """What ``checks.check_title`` reads from a Playwright page, without a browser."""

    def __init__(self, title: str, h1: str) -> None:
        self._title, self._h1 = title, h1

    def title(self) -> str:
        return self._title

    def evaluate(self, script: str) -> str:
        return self._h1


@pytest.mark.parametrize(("h1", "problems"), [("Keras\u2019s \u201clast\u201d state", 0),
                                              ("Keras\u2019s first state", 1)],
                         ids=["smart-quotes-match", "other-heading"])
def test_title_check_reads_sphinx_smart_quotes_as_the_notebooks_plain_ones(h1, problems):
    """Sphinx turns a heading's ' and " into typographic quotes; the notebook's heading
    has plain ones. The same words match; other words still fail."""
    expected = checks.toc_title(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Keras's \"last\" state")]))
    page = _TitledPage("Keras\u2019s \u201clast\u201d state \u2014 The \u201cbook\u201d", h1)
    found = checks.check_title(page, expected, 'The "book"')
    assert len(found) == problems, found


# --------------------------------------------------------------------------------------
# Every page, every mode


@browser_test
@pytest.mark.parametrize(("mode", "name"), MODE_PAGES, ids=MODE_PAGE_IDS)
def test_page_loads_without_errors_or_failed_requests(viewers, mode, name):
    audit = viewers(mode).audit(name)
    assert audit.problems["load"] == [], _problems(audit, "load")


@browser_test
@pytest.mark.parametrize(("mode", "name"), MODE_PAGES, ids=MODE_PAGE_IDS)
def test_page_does_not_scroll_sideways(viewers, mode, name):
    audit = viewers(mode).audit(name)
    assert audit.problems["layout"] == [], _problems(audit, "layout")


@browser_test
@pytest.mark.parametrize(("mode", "name"), MODE_PAGES, ids=MODE_PAGE_IDS)
def test_page_does_not_move_once_drawn(viewers, mode, name):
    """No layout shift while the page loads (book_html_fixes point 9: the theme's colours
    apply before the first paint)."""
    audit = viewers(mode).audit(name)
    assert audit.problems["shift"] == [], _problems(audit, "shift")


@browser_test
@pytest.mark.parametrize(("mode", "name"), MODE_PAGES, ids=MODE_PAGE_IDS)
def test_outputs_and_figures_are_readable(viewers, mode, name):
    audit = viewers(mode).audit(name)
    assert audit.problems["readability"] == [], _problems(audit, "readability")


@browser_test
@pytest.mark.parametrize(("mode", "name"), MODE_PAGES, ids=MODE_PAGE_IDS)
def test_page_has_no_serious_accessibility_violation(viewers, mode, name):
    """axe-core on the same visit (tests/browser/axe.py: the rules each mode runs)."""
    axe.require_source()
    audit = viewers(mode).audit(name)
    problems = axe.problems(audit.accessibility)
    assert problems == [], f"{audit.url} ({audit.mode}):\n" + "\n".join(problems)


@browser_test
@pytest.mark.parametrize(("mode", "name"), MODE_PAGES, ids=MODE_PAGE_IDS)
def test_only_mathjax_cdn_is_contacted_and_only_by_pages_with_math(viewers, mode, name):
    audit = viewers(mode).audit(name)
    assert audit.problems["external"] == [], _problems(audit, "external")


# --------------------------------------------------------------------------------------
# Every page: what it shows


@browser_test
@pytest.mark.parametrize("name", PAGES, ids=IDS)
def test_page_was_built_from_the_current_notebook(html_dir, name):
    built = _built_notebook(html_dir, name)
    assert built.is_file(), f"{built} is missing: rebuild the book (`make book`)"
    source = booktools.ROOT / f"{name}.ipynb"
    same = built.read_bytes() == source.read_bytes()
    assert same, f"{name}.ipynb changed after the book was built: rebuild it (`make book`)"


_STYLESHEET_LINK = re.compile(r'<link[^>]*rel="stylesheet"[^>]*>')
_HREF = re.compile(r'href="([^"?]+)')


@browser_test
def test_no_stylesheet_a_page_links_imports_another(html_dir):
    """_ext/book_html_fixes.py point 10: an ``@import`` is found only once its stylesheet
    has arrived, a round trip more before the first paint; pages link every sheet."""
    importing = set()
    for path in html_dir.glob("**/*.html"):
        if "_static" in path.parts:
            continue
        for link in _STYLESHEET_LINK.findall(path.read_text(encoding="utf-8")):
            sheet = (path.parent / _HREF.search(link).group(1)).resolve()
            if "@import" in sheet.read_text(encoding="utf-8"):
                importing.add(f"{path.relative_to(html_dir)} links {sheet.relative_to(html_dir)}")
    assert importing == set(), sorted(importing)


@browser_test
def test_images_load_lazily_and_figures_reserve_their_box(html_dir):
    """_ext/book_html_fixes.py point 11: figures far down a page do not compete with what
    the reader sees first, and do not move the text below them when they arrive."""
    problems = []
    for path in html_dir.glob("**/*.html"):
        if "_static" in path.parts:
            continue
        for tag in re.findall(r"<img\b[^>]*>", path.read_text(encoding="utf-8")):
            src = re.search(r'src="([^"]*)"', tag).group(1)
            if 'loading="lazy"' not in tag:
                problems.append(f"{path.relative_to(html_dir)}: {src} loads at once")
            if "_images/" in src and not ("width=" in tag and "height=" in tag):
                problems.append(f"{path.relative_to(html_dir)}: {src} has no width and height")
    assert problems == [], "\n".join(problems)


@browser_test
def test_search_and_explorer_scripts_load_only_on_their_own_pages(html_dir):
    """_ext/book_html_fixes.py: no page pays for scripts it does not run."""
    pages = {path.relative_to(html_dir).as_posix(): path.read_text(encoding="utf-8")
             for path in html_dir.glob("**/*.html") if "_static" not in path.parts}
    assert {page for page, text in pages.items() if "searchindex.js" in text} == {"search.html"}
    assert {page for page, text in pages.items()
            if "shape-explorer.js" in text or "shape-explorer.css" in text} == {
        "book/shape-explorer.html"}


@browser_test
@pytest.mark.parametrize(("mode", "name"), MODE_PAGES, ids=MODE_PAGE_IDS)
def test_page_downloads_no_web_font(viewers, mode, name):
    """The theme's icons are inline SVG (_ext/book_icons.py): 268 KiB of fonts less."""
    audit = viewers(mode).audit(name)
    assert audit.problems["fonts"] == [], _problems(audit, "fonts")


@browser_test
@pytest.mark.parametrize("name", PAGES, ids=IDS)
def test_title_and_first_heading_match_the_toc(desktop, name):
    audit = desktop.audit(name)
    assert audit.problems["title"] == [], _problems(audit, "title")


@browser_test
@pytest.mark.parametrize("name", PAGES, ids=IDS)
def test_every_stored_output_is_shown_in_order(desktop, name):
    audit = desktop.audit(name)
    assert audit.problems["outputs"] == [], _problems(audit, "outputs")


@browser_test
@pytest.mark.parametrize("name", PAGES, ids=IDS)
def test_every_image_loads_and_has_alt_text(desktop, name):
    audit = desktop.audit(name)
    assert audit.problems["images"] == [], _problems(audit, "images")


@browser_test
@pytest.mark.parametrize("name", PAGES, ids=IDS)
def test_launch_buttons_open_this_notebook_on_the_book_branch(desktop, name):
    audit = desktop.audit(name)
    assert audit.problems["launch"] == [], _problems(audit, "launch")


@browser_test
@pytest.mark.parametrize("name", PAGES, ids=IDS)
def test_page_hides_the_colab_install_cell_and_the_placeholder_owner(desktop, name):
    audit = desktop.audit(name)
    assert audit.problems["hidden"] == [], _problems(audit, "hidden")


@browser_test
@pytest.mark.parametrize("name", PAGES, ids=IDS)
def test_download_button_serves_the_notebook(desktop, name):
    audit = desktop.audit(name)
    assert audit.problems["download"] == [], _problems(audit, "download")


# --------------------------------------------------------------------------------------
# The book as a whole


def _walk(desktop: Viewer, start: str, direction: str) -> list[str]:
    walked = [start]
    while len(walked) <= len(PAGES):
        link = desktop.audit(walked[-1]).nav[direction]
        if link is None:
            break
        walked.append(checks.page_name(link, desktop.site.base_url))
        if walked[-1] not in desktop.expectations:
            break  # a link out of the TOC: the comparison below shows it
    return walked


@browser_test
def test_next_links_walk_the_whole_toc_in_order(desktop):
    assert _walk(desktop, PAGES[0], "next") == PAGES


@browser_test
def test_previous_links_walk_the_whole_toc_backwards(desktop):
    assert _walk(desktop, PAGES[-1], "previous") == PAGES[::-1]


@browser_test
@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_lists_the_chapters_that_explain(desktop, html_dir, term):
    explaining = [name for name in PAGES if checks.mentions(
        nbformat.read(_built_notebook(html_dir, name), as_version=4), term)]
    assert explaining, f"no chapter's prose mentions {term}: the book should explain it"
    results, problems = checks.search(desktop.page, desktop.recorder, desktop.site, term)
    assert problems == [], "the search page: " + "; ".join(problems)
    assert [name for name in explaining if name not in results] == [], (
        f"search for {term} lists {results}")


@browser_test
@pytest.mark.parametrize(("scheme", "stored", "expected"),
                         [("light", "", "light"), ("dark", "", "dark"),
                          ("light", "dark", "dark"), ("dark", "auto", "dark")],
                         ids=["first-visit-light", "first-visit-dark", "chose-dark", "chose-auto"])
def test_the_readers_theme_applies_before_any_script_file_runs(browser, site, scheme, stored,
                                                              expected):
    """_ext/book_html_fixes.py point 9: the head's inline script alone turns the mode the
    reader stored (or the theme's ``auto`` on a first visit) into light or dark, so the
    first paint has the theme's colours: with every script file blocked, the page gets it."""
    context = browser.new_context(color_scheme=scheme)
    if stored:
        context.add_init_script(f'localStorage.setItem("mode", "{stored}");')
    context.route(lambda url: urlsplit(url).path.endswith(".js"), lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(urljoin(site.base_url, f"{PAGES[1]}.html"), wait_until="load")
        theme = page.evaluate("document.documentElement.dataset.theme")
    finally:
        context.close()
    assert theme == expected, (f"{PAGES[1]} starts with data-theme={theme!r} in a {scheme} "
                               f"system, mode {stored or 'unset'}")


# --------------------------------------------------------------------------------------
# The checks catch what they should: a deliberately broken copy of the site


#: Once the page is first drawn, push the article's content 400px down.
_SHIFT_AFTER_FIRST_PAINT = (
    "new PerformanceObserver((list, observer) => { observer.disconnect(); setTimeout(() =>"
    " document.querySelector('article.bd-article').insertAdjacentHTML('afterbegin',"
    " '<div style=\"height: 400px\"></div>')); }).observe({type: 'paint', buffered: true});")


@pytest.fixture(scope="module")
def broken(html_dir, expectations, desktop, tmp_path_factory):
    """A copy of the site where one chapter has a broken image, a Colab link to a wrong
    path, the placeholder owner in its text, an external script, MathJax without math,
    a console error, an element wider than the screen, grey-on-white output text and
    content pushed down after the first paint;
    returns that chapter's audit."""
    with_images = [name for name in PAGES[1:] if expectations[name].images] or \
        [name for name in PAGES if expectations[name].images]
    if not with_images:
        pytest.fail("no page of the book shows a figure to break", pytrace=False)
    name = with_images[0]
    copy = tmp_path_factory.mktemp("broken-book") / "html"
    shutil.copytree(html_dir, copy)
    page_file = copy / f"{name}.html"
    html = page_file.read_text(encoding="utf-8")

    image = re.search(r'src="([^"]*_images/)([^"/]+)"', html)
    if image is None:
        pytest.fail(f"{name}.html shows no image from _images/ to break: rebuild the book",
                    pytrace=False)
    html = html.replace(image.group(0), f'src="{image.group(1)}missing-{image.group(2)}"', 1)
    chapter = name.rsplit("/", 1)[-1]
    good = f"blob/{booktools.branch()}/{name}.ipynb"
    wrong = f"blob/{booktools.branch()}/{chapter}.ipynb"
    if good not in html:
        pytest.fail(f"{name}.html has no Colab link to {name}.ipynb to break", pytrace=False)
    html = html.replace(good, wrong, 1)
    html = html.replace("</head>", '<script src="https://tracker.example.org/t.js"></script>'
                        f'<script async src="{_mathjax_url()}"></script>'
                        "<style>.cell_output pre { color: #999 !important; }</style></head>", 1)
    html, shown = re.subn(r'(<article class="bd-article"[^>]*>)',
                          rf'\1<p>pip install git+https://github.com/{PLACEHOLDER_OWNER}/x</p>',
                          html, count=1)
    if not shown:
        pytest.fail(f"{name}.html has no article.bd-article to write into", pytrace=False)
    html = html.replace("</body>", '<div style="width: 3000px">wide</div>'
                        '<script>console.error("deliberate error");</script>'
                        f"<script>{_SHIFT_AFTER_FIRST_PAINT}</script></body>", 1)
    page_file.write_text(html, encoding="utf-8")

    with serve_directory(copy) as base_url:
        site = dataclasses.replace(desktop.site, base_url=base_url)
        audit = checks.audit_page(desktop.page, desktop.recorder, site, expectations[name],
                                  desktop.mode)
    return {"audit": audit, "missing_image": f"missing-{image.group(2)}",
            "wrong_colab": f"/{wrong}"}


@browser_test
def test_checks_report_a_broken_image(broken):
    problems = broken["audit"].problems
    assert any(broken["missing_image"] in p and "did not load" in p for p in problems["images"])
    assert any(broken["missing_image"] in p for p in problems["load"]), "and the 404"


@browser_test
def test_checks_report_a_wrong_launch_url(broken):
    launch = broken["audit"].problems["launch"]
    assert len(launch) == 1, launch
    assert launch[0].startswith("Colab launch button opens") and broken["wrong_colab"] in launch[0]


@browser_test
def test_checks_report_a_placeholder_owner_shown_on_the_page(broken):
    hidden = broken["audit"].problems["hidden"]
    assert len(hidden) == 1, hidden
    assert hidden[0].startswith(f"the page shows {PLACEHOLDER_OWNER!r}")


@browser_test
def test_checks_report_console_errors_external_requests_and_layout(broken):
    problems = broken["audit"].problems
    assert "console error: deliberate error" in problems["load"]
    assert any("tracker.example.org" in p for p in problems["external"])
    assert not any("gets an answer" in p for p in problems["external"]), "and blocked"
    assert any("MathJax's CDN, but the page has no math" in p for p in problems["external"])
    assert any("scrolls sideways" in p for p in problems["layout"])
    assert any("cumulative layout shift" in p for p in problems["shift"]), problems["shift"]
    assert any("contrast" in p for p in problems["readability"])
