"""The data files the chapters read, shipped inside the companion.

A chapter opened alone (on Colab, in an empty folder) has no ``book/`` beside it, so the
measurements and release runs it prints travel with the package:

- ``version-facts.json``: snippets run on several Keras releases (``make version-facts``
  writes it with ``scripts/version_facts.py``);
- ``cost.json``: what ``return_sequences`` costs (``make cost-data``, i.e.
  ``python -m companion.benchmark --output companion/data/cost.json``);
- ``unroll.json``: ``unroll=True`` against ``unroll=False`` (``make unroll-data``).

>>> sorted(book_data("version-facts")["facts"])[:2]
['embedding_input_length', 'masked_metric']
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["book_data", "book_data_path", "available"]


def available() -> list[str]:
    """Names of the packaged data files, without ``.json``."""
    return sorted(entry.name.removesuffix(".json") for entry in resources.files(__name__)
                  .iterdir() if entry.name.endswith(".json"))


def book_data_path(name: str) -> Path:
    """Where the installed data file ``name`` (e.g. ``"cost"``) lies on disk."""
    names = available()
    if name.removesuffix(".json") not in names:
        raise ValueError(f"no data file named {name!r} in the companion: the available "
                         f"ones are {', '.join(repr(n) for n in names)}")
    return Path(str(resources.files(__name__) / f"{name.removesuffix('.json')}.json"))


def book_data(name: str) -> Any:
    """The parsed JSON of the packaged data file ``name``, e.g. ``book_data("version-facts")``."""
    return json.loads(book_data_path(name).read_text(encoding="utf-8"))
