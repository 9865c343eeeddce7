"""Helpers for the browser tests of the built book (tests/test_browser.py).

``server`` serves the built HTML on 127.0.0.1 and finds the system Chromium; ``checks``
holds the per-page checks, plain functions that return a list of problems; ``axe`` runs
axe-core's accessibility audit in a visited page; ``session`` holds what the browser,
explorer and accessibility tests share (one Playwright driver, skip-or-fail).
"""
