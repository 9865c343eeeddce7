"""The layer specs :func:`predict_stack` accepts: their keys, parsing and validation.

Part of :mod:`companion.stack` (chapter "Stack recurrent layers"; the ``Embedding``
spec in "Put an Embedding in front of a recurrent layer"). :data:`SPEC_KEYS` and
:data:`REQUIRED_KEYS` say what each kind of layer spec may and must hold; the private
helpers turn ``input_shape`` and ``layers`` into validated ``_Spec`` objects, or raise
``TypeError``/``ValueError`` naming what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from companion import _validate as v
from companion.stack.table import Shape

#: Keys each kind of layer spec accepts; ``layer`` names the kind.
SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "LSTM": ("layer", "units", "return_sequences", "bidirectional", "merge_mode", "use_bias"),
    "GRU": ("layer", "units", "return_sequences", "bidirectional", "merge_mode", "use_bias",
            "reset_after"),
    "SimpleRNN": ("layer", "units", "return_sequences", "bidirectional", "merge_mode",
                  "use_bias"),
    "Dense": ("layer", "units", "use_bias"),
    "TimeDistributed": ("layer", "units", "use_bias"),
    "RepeatVector": ("layer", "n"),
    "Flatten": ("layer",),
    "Dropout": ("layer", "rate"),
    "Embedding": ("layer", "input_dim", "output_dim", "mask_zero"),
}
#: Keys a spec must have, beyond ``layer``.
REQUIRED_KEYS = {"LSTM": ("units",), "GRU": ("units",), "SimpleRNN": ("units",),
                 "Dense": ("units",), "TimeDistributed": ("units",), "RepeatVector": ("n",),
                 "Embedding": ("input_dim", "output_dim")}


@dataclass(frozen=True)
class _Spec:
    """A validated layer spec."""

    kind: str
    label: str
    options: tuple[tuple[str, Any], ...]

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.options).get(key, default)


def _stack_input_shape(value: Any, first: _Spec | None = None) -> Shape:
    if first is not None and first.kind == "Embedding":
        return _ids_shape(value)
    if type(value).__name__ == "TensorShape" or isinstance(value, (tuple, list)):
        try:
            size = len(value)
        except (TypeError, ValueError):  # a TensorShape of unknown rank
            size = None
        if size == 2:
            value = (None, *value)
        elif size != 3:
            raise ValueError(
                f"expected input_shape (batch_size, timesteps, features), or (timesteps, "
                f"features) as given to keras.Input(shape=...), got {value!r}: pass for "
                "example (10, 32) or (None, 10, 32)")
    return v.shape3d("input_shape", value)


def _ids_shape(value: Any) -> Shape:
    """The shape of the integer ids an Embedding first layer receives."""
    if type(value).__name__ == "TensorShape" and callable(getattr(value, "as_list", None)):
        try:
            value = tuple(value.as_list())
        except ValueError:  # unknown rank
            value = None
    if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 3:
        raise (TypeError if not isinstance(value, (tuple, list)) else ValueError)(
            f"expected input_shape (batch_size, timesteps) of integer ids for an "
            f"Embedding first layer, or (timesteps,) as given to keras.Input(shape=...), "
            f"got {value!r}: pass for example (20,) or (None, 20)")
    if len(value) == 1:
        value = (None, *value)
    known = "use a positive integer, or None when it is not known"
    axes = (("batch_size", known), ("timesteps", known),
            ("the last axis", "ids shaped (batch_size, timesteps, k) need a known k"))
    shape: list[int | None] = []
    for (axis, hint), size in zip(axes, value, strict=False):
        if size is None and axis != "the last axis":
            shape.append(None)
        else:
            shape.append(v.positive_int(f"{axis} in input_shape", size, hint=hint))
    return tuple(shape)


def _parse_layers(layers: Any) -> list[_Spec]:
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence):
        raise TypeError(
            f"expected layers to be a list of dicts, got {type(layers).__name__}: pass for "
            'example [{"layer": "LSTM", "units": 64}, {"layer": "Dense", "units": 1}]')
    if len(layers) == 0:
        raise ValueError("expected at least one layer in layers, got an empty list: "
                         'add for example {"layer": "LSTM", "units": 64}')
    specs = [_parse_spec(index, spec) for index, spec in enumerate(layers, start=1)]
    for index, spec in enumerate(specs[1:], start=2):
        if spec.kind == "Embedding":
            raise ValueError(
                f"expected an Embedding only as the first layer, got one as layer {index}: "
                "predict_stack follows integer ids into an Embedding at the start of a "
                "stack; an Embedding after other layers is outside what it predicts")
    return specs


def _parse_spec(index: int, spec: Any) -> _Spec:
    where = f"layer {index}"
    if not isinstance(spec, Mapping):
        raise TypeError(f"expected {where} to be a dict such as "
                        f'{{"layer": "LSTM", "units": 64}}, got {spec!r} of type '
                        f"{type(spec).__name__}")
    if "layer" not in spec:
        raise ValueError(f"expected {where} to have a 'layer' key naming one of "
                         f"{_kinds_text()}, got keys {_keys_text(spec)}")
    kind = _kind(where, spec["layer"])
    allowed = SPEC_KEYS[kind]
    unknown = [key for key in spec if key not in allowed]
    if unknown:
        fix = ""
        if kind == "Embedding" and "input_length" in unknown:
            fix = ("; give the number of timesteps in input_shape instead, as in "
                   "keras.Input(shape=(timesteps,)): for example predict_stack((20,), ...)")
        article = "an" if kind[0] in "AEIOU" else "a"
        raise ValueError(f"unknown key(s) {_keys_text(unknown)} in {where} ({kind}): "
                         f"{article} {kind} spec accepts {_keys_text(allowed)}{fix}")
    missing = [key for key in REQUIRED_KEYS.get(kind, ()) if key not in spec]
    if missing:
        raise ValueError(f"{where} ({kind}) needs {_keys_text(missing)}: for example "
                         f"{_example(kind)}")

    options: dict[str, Any] = {}
    label = kind
    if kind in v.LAYERS:
        options["units"] = v.positive_int(f"units of {where}", spec["units"])
        for key in ("return_sequences", "bidirectional", "use_bias", "reset_after"):
            default = key in ("use_bias", "reset_after")
            options[key] = v.flag(f"{key} of {where}", spec.get(key, default))
        options["merge_mode"] = v.choice(
            f"merge_mode of {where}", spec.get("merge_mode", "concat"), v.MERGE_MODES,
            hint='use "concat" (the Keras default) or None for separate outputs')
        if options["bidirectional"]:
            label = f"Bidirectional({kind})"
    elif kind in ("Dense", "TimeDistributed"):
        options["units"] = v.positive_int(f"units of {where}", spec["units"])
        options["use_bias"] = v.flag(f"use_bias of {where}", spec.get("use_bias", True))
        if kind == "TimeDistributed":
            label = "TimeDistributed(Dense)"
    elif kind == "RepeatVector":
        options["n"] = v.positive_int(f"n of {where}", spec["n"],
                                      hint="the number of timesteps to repeat, e.g. 5")
    elif kind == "Dropout":
        options["rate"] = _rate(where, spec.get("rate", 0.5))
    elif kind == "Embedding":
        options["input_dim"] = v.positive_int(
            f"input_dim of {where}", spec["input_dim"],
            hint="the number of distinct ids (vocabulary size), for example 1000")
        options["output_dim"] = v.positive_int(
            f"output_dim of {where}", spec["output_dim"],
            hint="the length of each id's vector, for example 16")
        options["mask_zero"] = v.flag(f"mask_zero of {where}", spec.get("mask_zero", False))
    return _Spec(kind, label, tuple(options.items()))


def _kind(where: str, value: Any) -> str:
    if isinstance(value, str):
        for kind in SPEC_KEYS:
            if value.lower() == kind.lower():
                return kind
    instead = v.out_of_scope(value)
    fix = f"; predict_stack does not follow it: {instead}" if instead else ""
    raise ValueError(f"unknown layer {value!r} in {where}: expected one of "
                     f"{_kinds_text()}{fix}")


def _rate(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"expected rate of {where} to be a number between 0 and 1, got "
                        f"{value!r} of type {type(value).__name__}: pass for example 0.2")
    if not 0 <= value < 1:
        raise ValueError(f"expected rate of {where} to be at least 0 and below 1, got "
                         f"{value!r}: pass for example 0.2")
    return float(value)


def _kinds_text() -> str:
    return ", ".join(repr(kind) for kind in SPEC_KEYS)


def _keys_text(keys: Any) -> str:
    return ", ".join(repr(key) for key in keys)


def _example(kind: str) -> str:
    if kind == "RepeatVector":
        return '{"layer": "RepeatVector", "n": 5}'
    if kind == "Embedding":
        return '{"layer": "Embedding", "input_dim": 1000, "output_dim": 16}'
    return f'{{"layer": "{kind}", "units": 64}}'

