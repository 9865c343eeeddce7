"""Importing the companion is cheap, and every public name it promises exists."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import companion

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "matplotlib")


def fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter from the repository root; return its stdout."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True, timeout=120)
    return result.stdout


def test_import_loads_neither_tensorflow_keras_nor_matplotlib():
    loaded = json.loads(fresh_python(
        "import json, sys, companion; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"))
    assert loaded == []


def test_shape_and_stack_modules_load_no_heavy_library_either():
    loaded = json.loads(fresh_python(
        "import json, sys, companion; "
        "companion.rnn_output_shape((2, 3, 4), 5); "
        "companion.predict_stack((3, 4), [{'layer': 'LSTM', 'units': 5}]); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"))
    assert loaded == []


def test_all_lists_the_version_and_every_export():
    assert companion.__all__ == ["__version__", *sorted(companion._EXPORTS)]
    assert set(dir(companion)) >= set(companion.__all__)


def test_every_public_name_resolves():
    missing = [name for name, module in companion._EXPORTS.items()
               if importlib.util.find_spec(module) is None]
    assert missing == [], f"modules not written yet for {missing}"
    for name in companion.__all__:
        assert getattr(companion, name) is not None, name


def test_every_export_lives_in_the_module_the_table_names():
    # In a fresh interpreter: in this one, another test may already have imported a
    # submodule, which changes what companion.<name> is (see the next test).
    wrong = json.loads(fresh_python(
        "import importlib, json, companion; print(json.dumps([name for name, module in "
        "companion._EXPORTS.items() if getattr(companion, name) is not "
        "getattr(importlib.import_module(module), name)]))"))
    assert wrong == []


def test_replay_stays_the_function_after_its_module_is_imported():
    kind = fresh_python("from companion.numpy_replay import lstm_step; import companion; "
                        "print(type(companion.replay).__name__)")
    assert kind.strip() == "function"


def test_unknown_attribute_raises_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="no attribute 'lstm'"):
        companion.lstm  # noqa: B018


def test_every_public_name_is_in_the_readme_api_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| "))
    missing = [name for name in companion.__all__
               if name != "__version__" and f"`{name}" not in table]
    assert missing == [], "add these names to the README's API table"
