"""The companion without Keras: its Keras-free functions work, and what needs Keras says
what to install (issue: "the companion alone is pleasant")."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import companion
from companion import _keras

ROOT = Path(__file__).resolve().parents[1]


def test_start_session_names_the_extra_when_keras_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)  # makes `import keras` raise ImportError
    with pytest.raises(ImportError, match=r"Keras is not installed.*\[tensorflow\]"):
        companion.start_session(0)


def test_start_session_names_the_backend_when_keras_cannot_import_it(monkeypatch):
    real_import = importlib.import_module

    def without_backend(name, *args, **kwargs):
        if name == "keras":
            raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(_keras.importlib, "import_module", without_backend)
    with pytest.raises(ImportError, match=r"backend cannot be imported \(tensorflow\).*"
                                          r"pip install tensorflow"):
        companion.start_session(0)


def test_keras_2_is_refused_with_the_same_hint(monkeypatch):
    class OldKeras:
        __name__ = "keras"
        __version__ = "2.15.0"

    monkeypatch.setattr(_keras.importlib, "import_module", lambda name: OldKeras())
    with pytest.raises(ImportError, match=r"needs Keras 3, but Keras 2.15.0"):
        _keras.import_keras("this test")


def test_functions_that_take_keras_objects_reject_other_objects_without_keras():
    with pytest.raises(TypeError, match="expected a Keras"):
        companion.replay(object(), [[[0.0]]])
    with pytest.raises(TypeError, match="expected a Keras model"):
        companion.trace_shapes(object())


BARE_SCRIPT = textwrap.dedent("""
    import importlib.util, sys
    assert importlib.util.find_spec("tensorflow") is None, "the bare venv has TensorFlow"
    assert importlib.util.find_spec("keras") is None, "the bare venv has Keras"
    import companion
    print(companion.rnn_output_shape((32, 10, 8), 4, return_sequences=True))
    print(companion.count_params(32, 64))
    print(companion.predict_stack((10, 32), [{"layer": "LSTM", "units": 64}]).ok)
    x, y = companion.make_sequence_regression(8, timesteps=5, features=3, seed=0)
    print(x.shape, y.shape)
    print(companion.make_translation_task(10, seed=0).pairs[0][1].isdigit())
    print(companion.unrolled_figure(3).alt_text[:9])
    try:
        companion.start_session(0)
    except ImportError as error:
        print("ImportError:", error)
    missing = [name for name in sys.argv[1:] if importlib.util.find_spec(name) is None]
    print("subpackages missing from the wheel:", missing)
""")


@pytest.mark.slow
def test_companion_installs_and_works_in_a_bare_virtual_environment(tmp_path):
    """pip install the package's wheel (no extras) into a new venv with no TensorFlow;
    every subpackage is installed, the Keras-free API runs and start_session explains
    what to install.

    The venv is made without pip and the wheel is built by this environment's pip (in
    build isolation: the floor env's own setuptools is older than pyproject needs), which
    then installs it into the venv (``pip --python``): the same wheel a user gets,
    without paying for pip's own installation into a throwaway venv. The wheel is built
    from a copy of the sources, so setuptools' ``build/`` folder in the repository can
    neither feed it stale files nor be left behind.
    """
    source = tmp_path / "source"
    shutil.copytree(ROOT / "companion", source / "companion",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    built = subprocess.run([*pip, "wheel", "--no-deps",
                            "--wheel-dir", str(tmp_path / "wheel"), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    install = subprocess.run([*pip, "--python", str(python), "install", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    packages = sorted(".".join(init.parent.relative_to(source).parts)
                      for init in (source / "companion").rglob("__init__.py"))
    run = subprocess.run([str(python), "-c", BARE_SCRIPT, *packages], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[:6] == ["(32, 10, 4)", "24832", "True", "(8, 5, 3) (8, 1)", "True",
                         "An LSTM u"]
    assert lines[6].startswith("ImportError: start_session() needs Keras 3")
    assert "[tensorflow]" in lines[6]
    assert lines[7] == "subpackages missing from the wheel: []"
