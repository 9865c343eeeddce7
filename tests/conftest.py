"""Test set-up shared by every test module.

The quiet environment is set here, at import time, before any test imports Keras and
before nbval starts a kernel: TensorFlow's C++ start-up lines must not reach stderr,
or nbval reports outputs the stored notebooks do not have.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import booktools  # noqa: E402

os.environ.update(booktools.QUIET_ENV)

from hypothesis import HealthCheck, settings  # noqa: E402

# Deterministic property tests: the same examples on every run and every machine.
settings.register_profile(
    "book", derandomize=True, deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("book")
