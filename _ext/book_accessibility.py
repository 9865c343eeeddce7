"""Sphinx extension: accessibility fixes to the HTML of the Jupyter Book 1 stack.

axe-core 4.14.1 (``tests/browser/axe.py``, run by ``tests/test_browser.py``) found, on
every page of the book:

1. ``label-content-name-mismatch`` (serious) on pydata-sphinx-theme's three search
   buttons: their ``aria-label="Search"`` hides the visible text "Search Ctrl+K" from
   speech-input users, who say what they see. The label is dropped, so the name comes
   from the visible text, and ``aria-keyshortcuts`` announces the shortcut.
2. The same rule on myst-nb's ``hide-cell`` toggles: ``<summary aria-label="Toggle
   hidden content">`` shows "Show code cell content". The label is dropped.
3. ``region`` (moderate): the book's title and logo at the top of the primary sidebar
   sit outside every landmark. The sidebar becomes a navigation landmark, "Book".

The build's HTML files are rewritten when the build finishes (:func:`fix_html`).
"""

from __future__ import annotations

import re
from pathlib import Path

_SEARCH_BUTTON = re.compile(
    r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"')
_TOGGLE_SUMMARY = '<summary aria-label="Toggle hidden content">'
_PRIMARY_SIDEBAR = '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">'


def fix_html(text: str) -> str:
    """Apply the three fixes to one page of HTML.

    Examples
    --------
    >>> fix_html('<button class="btn search-button-field x" title="Search" '
    ...          'aria-label="Search" data-bs-toggle="tooltip">')
    '<button class="btn search-button-field x" title="Search" aria-keyshortcuts="Control+K" data-bs-toggle="tooltip">'
    >>> fix_html('<summary aria-label="Toggle hidden content">')
    '<summary>'
    >>> fix_html(_PRIMARY_SIDEBAR)
    '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar" role="navigation" aria-label="Book">'
    >>> fix_html('<button class="btn btn-sm search-button" aria-label="Search">')  # icon only
    '<button class="btn btn-sm search-button" aria-label="Search">'
    """  # noqa: E501
    text = _SEARCH_BUTTON.sub(r'\1 aria-keyshortcuts="Control+K"', text)
    text = text.replace(_TOGGLE_SUMMARY, "<summary>")
    return text.replace(_PRIMARY_SIDEBAR,
                        _PRIMARY_SIDEBAR[:-1] + ' role="navigation" aria-label="Book">')


def _fix_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = fix_html(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _fix_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
