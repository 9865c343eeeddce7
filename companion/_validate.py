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
    # NumPy's bool is ``numpy.bool`` in NumPy 2 and ``numpy.bool_`` in NumPy 1; checked
    # by module and name so that importing the companion does not import NumPy.
    kind = type(value)
    numpy_bool = kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")
    if isinstance(value, bool) or numpy_bool:
        return bool(value)
    key = name.split(" of ")[0]  # "mask_zero of layer 1" names the key mask_zero
    raise TypeError(f"expected {name} to be True or False, got {value!r} of type "
                    f"{type(value).__name__}: pass {key}=True or {key}=False")


def choice(name: str, value: Any, options: Iterable[Any], *, hint: str = "") -> Any:
    """Return the option equal to ``value``, else raise ``ValueError``.

    Strings match any ``str`` subclass (``numpy.str_`` too); other options match only
    values of their own type, so ``True`` is not mistaken for ``1``.
    """
    options = tuple(options)
    for option in options:
        if value is option:
            return option
        if option is None:
            continue
        same_kind = type(value) is type(option) or (isinstance(option, str)
                                                    and isinstance(value, str))
        try:
            equal = same_kind and bool(value == option)
        except Exception:  # values whose == misbehaves (arrays) are simply not options
            equal = False
        if equal:
            return option
    shown = ", ".join(repr(option) for option in options)
    fix = f": {hint}" if hint else ""
    raise ValueError(f"expected {name} to be one of {shown}, got {value!r}{fix}")


def out_of_scope(value: Any) -> str | None:
    """What to use instead, for a Keras layer name the shape helpers do not cover.

    ``None`` when ``value`` is not one of the names of Part IV that sit next to the
    recurrent layers (convolutional recurrent layers, cells, attention, wrappers).
    """
    if not isinstance(value, str):
        return None
    name = value.strip().lower()
    for rank in (1, 2, 3):
        if name == f"convlstm{rank}d":
            return (f"ConvLSTM{rank}D shapes and counts come from "
                    f"companion.convlstm_output_shape(..., rank={rank}) and "
                    f"companion.convlstm_count_params(..., rank={rank})")
    for layer in LAYERS:
        if name == f"{layer.lower()}cell":
            return (f"keras.layers.RNN({layer}Cell(units)) returns the shapes and has the "
                    f"weights of keras.layers.{layer}(units): use \"{layer}\" instead")
    if name in ("rnn", "stackedrnncells"):
        return ("for keras.layers.RNN over one built-in cell use the matching layer name "
                "(\"LSTM\" for LSTMCell); for stacked cells build the model and read "
                "companion.trace_shapes(model)")
    if name in ("attention", "additiveattention", "multiheadattention",
                "groupedqueryattention"):
        return ("an attention layer reads a query and a value, not one stack: build the "
                "model and read companion.trace_shapes(model)")
    if name == "bidirectional":
        return "wrap a recurrent layer with bidirectional=True instead"
    return None


def layer_name(value: Any) -> str:
    """Validate a recurrent layer name: ``"LSTM"``, ``"GRU"`` or ``"SimpleRNN"``."""
    if isinstance(value, str):
        for known in LAYERS:
            if value.lower() == known.lower():
                return known
    instead = out_of_scope(value)
    if instead is not None:
        raise ValueError(f"expected layer to be one of 'LSTM', 'GRU', 'SimpleRNN', got "
                         f"{value!r}: {instead}")
    return choice("layer", value, LAYERS,
                  hint="name the Keras class, for example layer=\"GRU\"")


def shape3d(name: str, value: Any) -> tuple[int | None, int | None, int]:
    """Validate ``(batch_size, timesteps, features)``; ``None`` allowed for the first two.

    A TensorFlow ``TensorShape`` (what ``tensor.shape`` gives under the TensorFlow
    backend) is accepted too, through its ``as_list()`` method.
    """
    if type(value).__name__ == "TensorShape" and callable(getattr(value, "as_list", None)):
        try:
            value = value.as_list()
        except ValueError as error:  # unknown rank
            raise ValueError(f"expected {name} with a known number of dimensions, got "
                             f"{value!r}: give the tensor a fixed rank") from error
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


def seed(value: Any) -> int:
    """Validate a random seed: an integer from 0 to 2**32 - 1 (NumPy's and TensorFlow's range)."""
    if not is_int(value):
        raise TypeError(f"expected seed to be an integer, got {value!r} of type "
                        f"{type(value).__name__}: pass a whole number such as seed=0")
    if not 0 <= value < 2**32:
        raise ValueError(f"expected seed between 0 and 2**32 - 1, got {value}: "
                         "pass a non-negative whole number such as seed=0")
    return int(value)


def real_array(name: str, value: Any) -> Any:
    """Convert a NumPy array, a list, a tensor (``.numpy()``) or an ``__array__`` object.

    Returns a ``numpy.ndarray`` of real numbers; anything else raises ``TypeError``.
    NumPy is imported here, not at module level, so that shape checks stay light.
    """
    import numpy as np

    if isinstance(value, (str, bytes, dict, set)) or value is None:
        raise TypeError(f"expected {name} to be an array of numbers, got "
                        f"{type(value).__name__}: pass a NumPy array, a list of floats or a "
                        "Keras/TensorFlow tensor")
    numpy_method = getattr(value, "numpy", None)
    try:
        array = np.asarray(numpy_method() if callable(numpy_method) else value)
    except Exception as error:  # ragged lists, objects NumPy cannot convert
        raise TypeError(f"expected {name} to be an array of numbers, got "
                        f"{type(value).__name__} that NumPy cannot convert ({error}): pass a "
                        "NumPy array, a flat list of floats or a Keras/TensorFlow tensor"
                        ) from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"expected {name} to hold real numbers, got dtype {array.dtype}: "
                        "pass an array of floats")
    return array
