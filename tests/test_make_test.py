"""``make test`` runs the strict build beside pytest (Makefile, ``build-beside-pytest``):
the browser tests wait for the build and fail when it failed, and the target fails when
either the build or pytest does. Fake commands stand in for both (``MAKE=`` and
``PYTEST=`` on the command line), so these tests take a second, not a build."""

from __future__ import annotations

import os
import stat
import subprocess

import booktools
import pytest
from browser import session


def _script(path, body):
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def fakes(tmp_path):
    """A fake `make` (the build: prints a line, exits FAKE_BUILD_EXIT after a short pause)
    and a fake pytest (exits FAKE_TEST_EXIT; 9 when it was not told where the build's
    status goes)."""
    build = _script(tmp_path / "fake-make", 'sleep 0.3; echo "fake build output"; '
                                            'exit "${FAKE_BUILD_EXIT:-0}"')
    tests = _script(tmp_path / "fake-pytest", '[ -n "$BOOK_BUILD_STATUS" ] || exit 9; '
                                              'exit "${FAKE_TEST_EXIT:-0}"')
    return build, tests


def _make(fakes, build_exit, test_exit):
    build, tests = fakes
    env = {**os.environ, "FAKE_BUILD_EXIT": str(build_exit), "FAKE_TEST_EXIT": str(test_exit)}
    env.pop("MAKEFLAGS", None)
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed-stamp", "-o",
         ".venv/axe-core/node_modules/axe-core/axe.min.js", "build-beside-pytest",
         f"MAKE={build}", f"PYTEST={tests}"],
        cwd=booktools.ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("build_exit", "test_exit", "passes"),
                         [(0, 0, True), (2, 0, False), (0, 1, False), (2, 1, False)])
def test_the_target_fails_when_the_build_or_pytest_fails(fakes, build_exit, test_exit,
                                                         passes):
    done = _make(fakes, build_exit, test_exit)
    assert (done.returncode == 0) is passes, done.stdout + done.stderr
    assert "fake build output" in done.stdout
    failed_build = f"the strict build failed (exit {build_exit})"
    assert (failed_build in done.stdout) is (build_exit != 0), done.stdout


def test_pytest_is_told_where_the_build_status_goes(fakes):
    assert _make(fakes, 0, 0).returncode == 0  # the fake pytest exits 9 without it


def test_the_browser_tests_wait_for_the_build_and_fail_when_it_failed(tmp_path, monkeypatch):
    status = tmp_path / "status"
    monkeypatch.setenv(session.BUILD_STATUS_ENV, str(status))
    with pytest.raises(pytest.fail.Exception, match="did not end within"):
        session.wait_for_build(timeout=0.3)
    status.write_text("2\n")
    with pytest.raises(pytest.fail.Exception, match=r"strict build failed \(exit status 2\)"):
        session.wait_for_build()
    status.write_text("0\n")
    session.wait_for_build()
