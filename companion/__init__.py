"""Companion to the book on what Keras recurrent layers return.

Importing ``companion`` is cheap: it imports neither TensorFlow, Keras nor
Matplotlib. Each public name is loaded from its module on first use (PEP 562), and
the functions that need Keras import it when they are called.

Set-up
    start_session, quiet_environment
Shapes
    rnn_output_shape, count_params
Figures
    BookFigure, unrolled_figure, return_sequences_figure
"""

from __future__ import annotations

import importlib
from typing import Any

from companion._version import __version__

#: Public name -> module that defines it.
_EXPORTS = {
    "start_session": "companion.session",
    "quiet_environment": "companion.session",
    "rnn_output_shape": "companion.shapes",
    "count_params": "companion.shapes",
    "BookFigure": "companion.figures",
    "unrolled_figure": "companion.figures",
    "return_sequences_figure": "companion.figures",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'companion' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
