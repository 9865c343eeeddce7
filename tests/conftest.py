"""Test set-up for the unit tests: deterministic hypothesis profile.

The quiet environment and the network guard live in the root ``conftest.py``, so they
also apply when pytest runs only the notebooks.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Deterministic property tests: the same examples on every run and every machine.
settings.register_profile(
    "book", derandomize=True, deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("book")
