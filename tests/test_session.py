"""companion.session: quiet, reproducible notebook sessions."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import companion
from companion import session


def test_quiet_environment_sets_tensorflow_log_level(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    assert session.quiet_environment()["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [(1.5, TypeError, "integer"), (True, TypeError, "integer"), ("0", TypeError, "integer"),
     (-1, ValueError, "between 0"), (2**32, ValueError, "between 0")],
    ids=["float", "bool", "str", "negative", "too-large"],
)
def test_start_session_rejects_bad_seeds(seed, error, match):
    with pytest.raises(error, match=match):
        companion.start_session(seed)


def test_start_session_rejects_bad_precision():
    with pytest.raises(ValueError, match="precision"):
        companion.start_session(0, precision=-1)


SCRIPT = """
import sys
import companion
for seed in map(int, sys.argv[1:]):
    companion.start_session(seed=seed)
    import keras, numpy as np, random, os
    layer = keras.layers.LSTM(3)
    out = layer(np.ones((1, 4, 2), dtype="float32"))
    print(os.environ["TF_CPP_MIN_LOG_LEVEL"], random.random(), np.random.rand(),
          float(np.asarray(out).sum()))
"""


def _run(*seeds):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", SCRIPT, *map(str, seeds)],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.slow
@pytest.mark.keras
def test_start_session_is_quiet_and_reproducible_across_processes():
    """Two fresh processes (TensorFlow starts twice, not three times): the same seed
    gives the same numbers in both, another seed other numbers."""
    first, second = _run(7, 8), _run(7)
    assert first.returncode == 0, first.stderr
    seven, eight = first.stdout.splitlines()
    assert seven.split()[0] == "3", "sets the log level when unset"
    assert second.stdout.splitlines() == [seven], "same seed, same numbers in fresh processes"
    assert all(a != b for a, b in zip(seven.split()[1:], eight.split()[1:], strict=True)), \
        "another seed, other numbers (Python, NumPy and Keras's weights)"
    assert "cuda" not in first.stderr.lower() and "oneDNN" not in first.stderr, first.stderr
