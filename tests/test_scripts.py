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
