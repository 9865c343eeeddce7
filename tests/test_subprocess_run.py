"""Tests for companion.subprocess_run: snippets in fresh processes, results through JSON.

These snippets import neither Keras nor a backend, so they run in a fraction of a second
each; tests/test_backends.py runs Keras under every backend with the same helper.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

import companion
from companion import subprocess_run as sr


def test_result_comes_back_through_json():
    assert sr.run_snippet("result = {'shape': (2, 3), 'ok': True, 'x': None}") == {
        "shape": [2, 3], "ok": True, "x": None}


def test_snippet_is_dedented_and_may_print():
    code = """
        print("chatter that is not the result")
        result = [1, 2]
    """
    assert sr.run_snippet(code) == [1, 2]


@pytest.mark.parametrize("backend", sr.BACKENDS)
def test_child_gets_the_backend_and_the_quiet_variables(backend):
    code = ("import os; result = [os.environ[k] for k in "
            "('KERAS_BACKEND', 'TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS')]")
    assert sr.run_snippet(code, backend=backend) == [backend, "3", "0"]


def test_legacy_keras_sets_the_variable_only_when_asked(monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    code = "import os; result = os.environ.get('TF_USE_LEGACY_KERAS')"
    assert sr.run_snippet(code) is None
    assert sr.run_snippet(code, legacy_keras=True) == "1"


def test_extra_environment_is_set_last():
    code = "import os; result = os.environ['KERAS_BACKEND'], os.environ['EXTRA']"
    assert sr.run_snippet(code, env={"EXTRA": "x", "KERAS_BACKEND": "torch"}) == ["torch", "x"]


def test_child_imports_this_companion():
    assert sr.run_snippet("import companion; result = companion.__file__") == companion.__file__


def test_run_snippets_returns_every_result_in_order():
    code = "import os; result = os.environ['KERAS_BACKEND']"
    assert sr.run_snippets({"torch": code, "jax": code}) == {"torch": "torch", "jax": "jax"}
    assert sr.run_snippets({"a": "result = 1", "b": "result = 2"},
                           backends={"a": "jax", "b": "jax"}) == {"a": 1, "b": 2}


HANDSHAKE = """
import pathlib, time
folder = pathlib.Path(FOLDER)
(folder / ME).touch()
deadline = time.monotonic() + 60
while not (folder / OTHER).exists() and time.monotonic() < deadline:
    time.sleep(0.01)
result = (folder / OTHER).exists()
"""


def test_run_snippets_runs_the_processes_at_once_by_default(tmp_path):
    # Each child waits for the other's file: both see it only if both run at the same time.
    def code(me, other):
        return f"FOLDER, ME, OTHER = {str(tmp_path)!r}, {me!r}, {other!r}\n" + HANDSHAKE

    both = sr.run_snippets({"a": code("a", "b"), "b": code("b", "a")},
                           backends={"a": "jax", "b": "jax"}, block=())
    assert both == {"a": True, "b": True}


def test_run_snippets_one_after_another_when_not_parallel():
    code = "import time; start = time.time(); time.sleep(0.2); result = [start, time.time()]"
    runs = sr.run_snippets({"a": code, "b": code}, backends={"a": "jax", "b": "jax"},
                           block=(), parallel=False)
    assert runs["b"][0] >= runs["a"][1]
    with pytest.raises(TypeError, match="parallel"):
        sr.run_snippets({"jax": "result = 1"}, parallel="yes")


def test_outcome_reports_value_error_and_warnings():
    def warns():
        warnings.warn("careful", UserWarning, stacklevel=1)
        return (1, 2)

    assert sr.outcome(warns) == {"value": [1, 2], "warnings": ["UserWarning: careful"]}
    assert sr.outcome(lambda: {}["k"]) == {"error": "KeyError", "message": "'k'"}


def test_outcome_strips_paths_and_keeps_the_first_line():
    def fails():
        raise ValueError("bad in /home/me/.venv/lib/site-packages/keras/layer.py\nmore")

    assert sr.outcome(fails) == {"error": "ValueError", "message": "bad in layer.py"}


def test_outcome_keeps_the_cause_under_keras2s_wrapper_line_and_cuts_long_lines():
    def fails():
        raise ValueError('Exception encountered when calling layer "lstm" (type LSTM).\n\n'
                         "Unrolling requires a fixed number of timesteps.\n\nCall arguments")

    assert sr.outcome(fails)["message"] == ('Exception encountered when calling layer "lstm" '
                                            "(type LSTM). Unrolling requires a fixed number "
                                            "of timesteps.")
    assert sr.outcome(lambda: int("x" * 200))["message"].endswith("...")


def test_outcome_rejects_a_value_that_is_not_json_able():
    with pytest.raises(TypeError, match="JSON-able"):
        sr.outcome(object)


def test_outcome_is_available_inside_the_snippet():
    assert sr.run_snippet("result = outcome(lambda: [][1])") == {
        "error": "IndexError", "message": "list index out of range"}


@pytest.mark.parametrize("text, expected", [
    ("/usr/lib/python3.11/site-packages/keras/src/x.py:12", "x.py:12"),
    ("C:\\Users\\me\\venv\\keras\\x.py", "x.py"),
    ("shape (2, 4) and 1/2", "shape (2, 4) and 1/2"),
], ids=["posix", "windows", "no-path"])
def test_strip_paths(text, expected):
    assert sr.strip_paths(text) == expected


def test_to_json_converts_numpy_and_rejects_objects():
    assert sr.to_json([np.float32(0.5), np.arange(2).reshape(1, 2)]) == [0.5, [[0, 1]]]
    with pytest.raises(TypeError, match="JSON-able"):
        sr.to_json({"x": object()})


def test_failure_quotes_the_childs_error():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        sr.run_snippet("result = 1 / 0")


def test_missing_result_is_an_error():
    with pytest.raises(RuntimeError, match="did not set `result`"):
        sr.run_snippet("x = 1")


def test_timeout_kills_the_child():
    with pytest.raises(TimeoutError, match="did not finish within"):
        sr.run_snippet("import time; time.sleep(30); result = 1", timeout=0.5)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"backend": "numpy"}, ValueError, "KERAS_BACKEND"),
    ({"backend": "jax", "legacy_keras": True}, ValueError, "TensorFlow only"),
    ({"legacy_keras": "yes"}, TypeError, "True or False"),
    ({"env": {"A": 1}}, TypeError, "str to str"),
    ({"timeout": 0}, ValueError, "positive number"),
], ids=["unknown-backend", "legacy-on-jax", "flag-not-bool", "env-not-str", "zero-timeout"])
def test_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        sr.run_snippet("result = 1", **kwargs)


def test_rejects_empty_code_and_missing_backend_names():
    with pytest.raises(ValueError, match="non-empty string"):
        sr.run_snippet("  ")
    with pytest.raises(ValueError, match="a backend for every snippet"):
        sr.run_snippets({"first": "result = 1", "b": "result = 2"}, backends={"b": "jax"})
    with pytest.raises(ValueError, match="KERAS_BACKEND values"):
        sr.run_snippets({"first": "result = 1"})
    with pytest.raises(ValueError, match="non-empty string"):  # before any process starts
        sr.run_snippets({"jax": "result = 1", "torch": ""})


def test_exported_from_companion():
    assert companion.run_snippet is sr.run_snippet
    assert companion.run_snippets is sr.run_snippets


def test_child_cannot_import_the_blocked_packages_by_default():
    code = """
        import importlib
        def tries(name):
            try:
                importlib.import_module(name)
            except ImportError:
                return False
            return True
        result = [tries(name) for name in NAMES]
    """
    every = code.replace("NAMES", '("tensorflow", "torch", "matplotlib", "sqlite3")')
    assert sr.run_snippet(every, backend="jax") == [False, False, False, True]
    # A block of one's own replaces the default one: matplotlib (blocked by default)
    # imports where it is installed, sqlite3 no longer does. (Not TensorFlow and torch
    # again: importing them costs seconds and proves nothing more.)
    installed = importlib.util.find_spec("matplotlib") is not None
    two = code.replace("NAMES", '("matplotlib", "sqlite3")')
    assert sr.run_snippet(two, backend="jax", block=["sqlite3"]) == [installed, False]


@pytest.mark.parametrize("backend, blocked", [
    ("tensorflow", ("jax", "torch", "matplotlib")),
    ("jax", ("tensorflow", "torch", "matplotlib")),
    ("torch", ("tensorflow", "jax", "matplotlib")),
])
def test_blocked_imports_are_the_other_backends_and_matplotlib(backend, blocked):
    assert sr.blocked_imports(backend) == blocked


def test_rejects_a_block_that_is_not_package_names():
    with pytest.raises(TypeError, match="sequence of package names"):
        sr.run_snippet("result = 1", block="tensorflow")
    with pytest.raises(TypeError, match="sequence of package names"):
        sr.run_snippet("result = 1", block=["not a name"])
