"""Predict the shapes of a stack of layers before building it, and trace a built model.

The code lives in ``predict`` for now (moved from ``companion/stack.py``).
"""

from companion.stack.predict import (
    REQUIRED_KEYS,
    SPEC_KEYS,
    ShapeRow,
    ShapeTrace,
    _label,
    predict_stack,
    trace_shapes,
)

__all__ = ["REQUIRED_KEYS", "SPEC_KEYS", "ShapeRow", "ShapeTrace", "_label", "predict_stack",
           "trace_shapes"]
