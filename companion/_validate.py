"""Argument checks shared by the companion modules.

Every public function validates its arguments with these helpers so that bad input
gets a ``ValueError`` or ``TypeError`` saying what was expected, what was received
and the likely fix, never an ``IndexError`` or ``AttributeError`` from deep inside.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

LAYERS = ("LSTM", "GRU", "SimpleRNN")
MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers, False for ``bool`` and floats."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name: str, value: Any, *, hint: str = "") -> int:
    """Return ``value`` as ``int`` if it is a positive integer, else raise."""
    fix = f": {hint}" if hint else ""
    if not is_int(value):
        raise TypeError(
            f"expected {name} to be a positive integer, got {value!r} "
            f"of type {type(value).__name__}{fix or ': pass a whole number such as 64'}"
        )
    if value <= 0:
        raise ValueError(
            f"expected {name} to be a positive integer, got {value!r}"
            f"{fix or ': pass a whole number of at least 1'}"
        )
    return int(value)


def flag(name: str, value: Any) -> bool:
    """Return ``value`` if it is a real ``bool`` (or NumPy bool), else raise."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise TypeError(f"expected {name} to be True or False, got {value!r} of type "
                    f"{type(value).__name__}: pass {name}=True or {name}=False")


def choice(name: str, value: Any, options: Iterable[Any], *, hint: str = "") -> Any:
    """Return ``value`` if it is one of ``options``, else raise ``ValueError``."""
    options = tuple(options)
    try:
        ok = any(value is option or (option is not None and value == option and
                                     type(value) is type(option)) for option in options)
    except Exception:  # values whose == misbehaves (arrays) are simply not options
        ok = False
    if not ok:
        shown = ", ".join(repr(option) for option in options)
        fix = f": {hint}" if hint else ""
        raise ValueError(f"expected {name} to be one of {shown}, got {value!r}{fix}")
    return value


def layer_name(value: Any) -> str:
    """Validate a recurrent layer name: ``"LSTM"``, ``"GRU"`` or ``"SimpleRNN"``."""
    if isinstance(value, str):
        for known in LAYERS:
            if value.lower() == known.lower():
                return known
    return choice("layer", value, LAYERS,
                  hint="name the Keras class, for example layer=\"GRU\"")


def shape3d(name: str, value: Any) -> tuple[int | None, int | None, int]:
    """Validate ``(batch_size, timesteps, features)``; ``None`` allowed for the first two."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(
            f"expected {name} to be a tuple (batch_size, timesteps, features), got "
            f"{value!r} of type {type(value).__name__}: pass for example (32, 10, 8), "
            "with None for an unknown batch_size or timesteps"
        )
    if len(value) != 3:
        extra = ""
        if len(value) == 2:
            extra = (": a recurrent layer needs 3-D input; if it comes from another "
                     "recurrent layer, set return_sequences=True on that layer, and if it "
                     "is a table, add a features axis with x[..., None]")
        elif len(value) == 1:
            extra = ": a recurrent layer needs (batch_size, timesteps, features)"
        raise ValueError(
            f"expected a 3-D {name} (batch_size, timesteps, features), got {tuple(value)!r} "
            f"with {len(value)} dimension(s){extra or ''}"
        )
    batch, steps, features = value
    for axis, size in (("batch_size", batch), ("timesteps", steps)):
        if size is not None:
            positive_int(f"{axis} in {name}", size,
                         hint="use a positive integer, or None when it is not known")
    positive_int(f"features in {name}", features,
                 hint="the last axis must be known: the number of values per timestep")
    return (None if batch is None else int(batch), None if steps is None else int(steps),
            int(features))
