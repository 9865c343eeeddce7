"""The examples in scripts/ run: pytest does not collect that folder (pyproject.toml's
norecursedirs: it holds tools, not tests), so its docstring examples run here."""

from __future__ import annotations

import doctest
import importlib
import re

import booktools
import pytest

#: A docstring example: a line that starts, after its indent, with the ``>>>`` prompt.
_EXAMPLE = re.compile(r"^[ \t]+>>> ", re.MULTILINE)
WITH_EXAMPLES = sorted(path.stem for path in (booktools.ROOT / "scripts").glob("*.py")
                       if _EXAMPLE.search(path.read_text(encoding="utf-8")))


def test_the_scripts_with_examples_are_found():
    assert {"bench_phases", "page_weight", "lighthouse_report"} <= set(WITH_EXAMPLES)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_examples_in_the_script_hold(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0, result


def test_the_readme_names_the_configured_repository_and_its_site():
    readme = (booktools.ROOT / "README.md").read_text(encoding="utf-8")
    assert booktools.site_url() in readme, "run `make sync-url`"
    assert f"git+{booktools.repository_url()}@{booktools.branch()}" in readme


def test_sync_url_rewrites_a_copy_of_the_readme(tmp_path):
    import sync_repository_url

    copy = tmp_path / "README.md"
    copy.write_text((booktools.ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    fork = "https://github.com/Octo-Cat/my-book"
    assert sync_repository_url.sync_readme(copy, fork)
    text = copy.read_text(encoding="utf-8")
    assert booktools.repository_url() not in text and booktools.site_url() not in text
    assert "https://octo-cat.github.io/my-book/" in text
    assert f"  url: {fork}   # <- edit this" in text
    assert f"git+{fork}@{booktools.branch()}" in text
    assert not sync_repository_url.sync_readme(copy, fork)
