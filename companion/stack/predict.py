"""Predict the shapes of a stack of layers before building it, and trace a built model.

Introduced in the chapter "Stack recurrent layers". :func:`predict_stack` works out, in
pure Python, what each layer of a stack returns and where Keras would refuse to build
it; :func:`trace_shapes` reads the same table off a model Keras has built. Both return a
:class:`ShapeTrace`, and two traces compare equal when they agree row by row, so a
chapter can show ``predict_stack(...) == trace_shapes(model)``.

Nothing here imports TensorFlow or Keras at import time; :func:`trace_shapes` only
touches Keras through the model it is given.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from companion import _validate as v
from companion.shapes import count_params, rnn_output_shape

Shape = tuple[Any, ...]

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
}
#: Keys a spec must have, beyond ``layer``.
REQUIRED_KEYS = {"LSTM": ("units",), "GRU": ("units",), "SimpleRNN": ("units",),
                 "Dense": ("units",), "TimeDistributed": ("units",), "RepeatVector": ("n",)}

_NOT_COMPUTED = "(not computed)"
_FAILS = "(fails)"


@dataclass(frozen=True)
class ShapeRow:
    """One layer of a :class:`ShapeTrace`.

    ``output_shape`` and ``params`` are ``None`` for the layer that fails (its
    ``problem`` says why) and for every layer after it (not computed).
    """

    index: int
    layer: str
    output_shape: Shape | tuple[Shape, ...] | None
    params: int | None
    problem: str | None = None

    @property
    def computed(self) -> bool:
        """Whether the shape of this layer is known."""
        return self.output_shape is not None


@dataclass(frozen=True, eq=False, repr=False)
class ShapeTrace:
    """What each layer of a stack returns: a table of shapes and parameter counts.

    Build one with :func:`predict_stack` (before Keras builds anything) or
    :func:`trace_shapes` (from a built model). Printing it, or ending a notebook cell
    with it, shows a plain-text table.

    Attributes
    ----------
    rows : tuple of ShapeRow
        One row per layer: ``index`` (from 1), ``layer`` (class label such as
        ``"LSTM"`` or ``"Bidirectional(GRU)"``), ``output_shape``, ``params`` and
        ``problem`` (``None``, or why Keras would refuse the layer).
    names : tuple
        The Keras layer names (``trace_shapes``) or ``None`` entries (``predict_stack``).
        Names come from global counters, so they are kept out of the table and out of
        equality.

    Examples
    --------
    >>> trace = predict_stack((10, 32), [{"layer": "LSTM", "units": 64},
    ...                                  {"layer": "Dense", "units": 1}])
    >>> trace.ok, trace.output_shape, trace.total_params
    (True, (None, 1), 24897)
    >>> trace.to_rows()[0]
    (1, 'LSTM', (None, 64), 24832, None)
    """

    rows: tuple[ShapeRow, ...]
    names: tuple[str | None, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every layer's shape is known: Keras can build the stack."""
        return all(row.computed and row.problem is None for row in self.rows)

    @property
    def total_params(self) -> int | None:
        """Sum of the parameter counts, or ``None`` when a layer fails."""
        if not self.ok:
            return None
        return sum(row.params or 0 for row in self.rows)

    @property
    def output_shape(self) -> Shape | tuple[Shape, ...] | None:
        """Output shape of the last layer, or ``None`` when a layer fails."""
        return self.rows[-1].output_shape if self.rows and self.ok else None

    @property
    def problem(self) -> str | None:
        """The first problem, prefixed with the layer it belongs to, or ``None``."""
        for row in self.rows:
            if row.problem is not None:
                return f"layer {row.index} ({row.layer}) fails: {row.problem}"
        return None

    def to_rows(self) -> list[tuple[Any, ...]]:
        """Rows as plain tuples ``(index, layer, output_shape, params, problem)``."""
        return [(r.index, r.layer, r.output_shape, r.params, r.problem) for r in self.rows]

    def _key(self) -> tuple[tuple[Any, ...], ...]:
        return tuple((r.layer, r.output_shape, r.params, r.problem) for r in self.rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ShapeTrace):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        header = ("#", "layer", "output shape", "params")
        body = [(str(r.index), r.layer, _shape_text(r), _params_text(r)) for r in self.rows]
        widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(4)]

        def line(cells: Sequence[str]) -> str:
            number, layer, shape, params = cells
            return (f"{number:>{widths[0]}}  {layer:<{widths[1]}}  {shape:<{widths[2]}}  "
                    f"{params:>{widths[3]}}").rstrip()

        rule = "-" * len(line(header))
        lines = [line(header), rule, *(line(cells) for cells in body), rule]
        if self.ok:
            lines.append(f"Total params: {self.total_params:,}")
        else:
            failing = next((r.index for r in self.rows if r.problem is not None), None)
            lines.append(f"Total params: unknown (layer {failing} fails)")
            lines.append(f"Problem: {self.problem}")
        return "\n".join(lines)

    __repr__ = __str__


def _shape_text(row: ShapeRow) -> str:
    if row.problem is not None:
        return _FAILS
    if row.output_shape is None:
        return _NOT_COMPUTED
    return repr(row.output_shape)


def _params_text(row: ShapeRow) -> str:
    return "-" if row.params is None else f"{row.params:,}"


# ---------------------------------------------------------------- predict_stack


@dataclass(frozen=True)
class _Spec:
    """A validated layer spec."""

    kind: str
    label: str
    options: tuple[tuple[str, Any], ...]

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.options).get(key, default)


class _Problem(Exception):
    """Raised inside predict_stack when Keras would refuse a layer."""


def predict_stack(input_shape: Sequence[int | None], layers: Sequence[Mapping[str, Any]]
                  ) -> ShapeTrace:
    """Predict what every layer of a stack returns, without building it.

    Parameters
    ----------
    input_shape : tuple
        ``(batch_size, timesteps, features)``, ``None`` allowed for the first two; or
        ``(timesteps, features)`` as given to ``keras.Input(shape=...)``, in which case
        ``batch_size`` is ``None``.
    layers : list of dict
        One dict per layer, in order. ``"layer"`` names the kind:

        - ``{"layer": "LSTM", "units": 64}``, also ``"GRU"`` and ``"SimpleRNN"``, with
          optional ``return_sequences`` (default ``False``), ``bidirectional``
          (``False``), ``merge_mode`` (``"concat"``), ``use_bias`` (``True``) and, for
          GRU, ``reset_after`` (``True``);
        - ``{"layer": "Dense", "units": 1}``: on 3-D input it maps every timestep,
          ``(batch_size, timesteps, features) -> (batch_size, timesteps, units)``;
        - ``{"layer": "TimeDistributed", "units": 1}``: ``TimeDistributed(Dense(1))``;
        - ``{"layer": "RepeatVector", "n": 5}``, ``{"layer": "Flatten"}`` and
          ``{"layer": "Dropout"}`` (optional ``rate``; the shape is kept).

    Returns
    -------
    ShapeTrace
        One row per layer. When Keras would refuse a layer (for example a recurrent
        layer that receives 2-D input), that row carries a ``problem`` message, the
        rows after it are not computed and ``trace.ok`` is ``False``: no exception.

    Raises
    ------
    TypeError
        If ``input_shape`` is not a tuple, ``layers`` is not a list of dicts, or a
        value has the wrong type (``units=3.0``, ``return_sequences="yes"``).
    ValueError
        If a spec names an unknown layer or key, misses a required key, or a size is
        not positive.

    Examples
    --------
    The stack of the source document, LSTM -> LSTM -> Dense on ``(10, 32)``:

    >>> predict_stack((10, 32), [
    ...     {"layer": "LSTM", "units": 64, "return_sequences": True},
    ...     {"layer": "LSTM", "units": 64},
    ...     {"layer": "Dense", "units": 1},
    ... ])
    #  layer  output shape    params
    --------------------------------
    1  LSTM   (None, 10, 64)  24,832
    2  LSTM   (None, 64)      33,024
    3  Dense  (None, 1)           65
    --------------------------------
    Total params: 57,921

    Forget ``return_sequences=True`` and the second LSTM receives 2-D input:

    >>> trace = predict_stack((10, 32), [{"layer": "LSTM", "units": 64},
    ...                                  {"layer": "LSTM", "units": 64}])
    >>> trace.ok
    False
    >>> print(trace.rows[1].problem)
    expected 3-D input (batch_size, timesteps, features), got (None, 64): set return_sequences=True on layer 1 (LSTM)
    """  # noqa: E501
    current: Shape | tuple[Shape, ...] = _stack_input_shape(input_shape)
    specs = _parse_layers(layers)
    rows: list[ShapeRow] = []
    failed = False
    for index, spec in enumerate(specs, start=1):
        if failed:
            rows.append(ShapeRow(index, spec.label, None, None))
            continue
        try:
            current, params = _predict_layer(spec, current, specs[: index - 1])
        except _Problem as problem:
            rows.append(ShapeRow(index, spec.label, None, None, str(problem)))
            failed = True
            continue
        rows.append(ShapeRow(index, spec.label, current, params))
    return ShapeTrace(tuple(rows), (None,) * len(rows))


def _stack_input_shape(value: Any) -> Shape:
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


def _parse_layers(layers: Any) -> list[_Spec]:
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence):
        raise TypeError(
            f"expected layers to be a list of dicts, got {type(layers).__name__}: pass for "
            'example [{"layer": "LSTM", "units": 64}, {"layer": "Dense", "units": 1}]')
    if len(layers) == 0:
        raise ValueError("expected at least one layer in layers, got an empty list: "
                         'add for example {"layer": "LSTM", "units": 64}')
    return [_parse_spec(index, spec) for index, spec in enumerate(layers, start=1)]


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
        raise ValueError(f"unknown key(s) {_keys_text(unknown)} in {where} ({kind}): "
                         f"a {kind} spec accepts {_keys_text(allowed)}")
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
    return _Spec(kind, label, tuple(options.items()))


def _kind(where: str, value: Any) -> str:
    if isinstance(value, str):
        for kind in SPEC_KEYS:
            if value.lower() == kind.lower():
                return kind
    raise ValueError(f"unknown layer {value!r} in {where}: expected one of {_kinds_text()}")


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
    return f'{{"layer": "{kind}", "units": 64}}'


def _predict_layer(spec: _Spec, current: Any, before: list[_Spec]) -> tuple[Any, int]:
    """Output shape and parameter count of one layer, or raise _Problem."""
    several = bool(current) and isinstance(current[0], tuple)
    if spec.kind == "Dropout":
        return current, 0
    if several:
        raise _Problem(
            f"expected one input tensor, got {len(current)} {current!r} from a "
            "Bidirectional layer with merge_mode=None: set merge_mode=\"concat\" (or "
            "\"sum\", \"mul\", \"ave\") on that layer")
    kind = spec.kind
    if kind in v.LAYERS:
        if len(current) != 3:
            raise _Problem(f"expected 3-D input (batch_size, timesteps, features), got "
                           f"{current!r}: {_needs_sequences(before)}")
        _known_features(current)
        flags = {key: spec.get(key) for key in ("bidirectional", "use_bias", "reset_after")}
        shape = rnn_output_shape(current, spec.get("units"), layer=kind,
                                 return_sequences=spec.get("return_sequences"),
                                 bidirectional=flags["bidirectional"],
                                 merge_mode=spec.get("merge_mode"))
        return shape, count_params(current[-1], spec.get("units"), layer=kind, **flags)
    if kind in ("Dense", "TimeDistributed"):
        if kind == "TimeDistributed" and len(current) < 3:
            raise _Problem(f"expected 3-D input (batch_size, timesteps, features), got "
                           f"{current!r}: {_needs_sequences(before)}")
        features = _known_features(current)
        units = spec.get("units")
        params = features * units + (units if spec.get("use_bias") else 0)
        return (*current[:-1], units), params
    if kind == "RepeatVector":
        if len(current) != 2:
            raise _Problem(f"expected 2-D input (batch_size, features), got {current!r}: "
                           f"{_needs_vector(before)}")
        return (current[0], spec.get("n"), current[1]), 0
    if kind == "Flatten":
        rest = current[1:]
        flat = None if any(size is None for size in rest) else math.prod(rest)
        return (current[0], flat), 0
    raise AssertionError(f"unhandled layer kind {kind}")  # pragma: no cover


def _known_features(shape: Shape) -> int:
    if shape[-1] is None:
        raise _Problem(
            f"the last axis (features) of the input must be known, got {shape!r}: a "
            "Flatten over an unknown number of timesteps gives an unknown size; give "
            "keras.Input a fixed number of timesteps")
    return shape[-1]


def _source(before: list[_Spec]) -> tuple[int, _Spec] | None:
    """The layer whose output reaches the next one, skipping shape-keeping Dropout."""
    for index in range(len(before), 0, -1):
        if before[index - 1].kind != "Dropout":
            return index, before[index - 1]
    return None


def _needs_sequences(before: list[_Spec]) -> str:
    source = _source(before)
    if source is not None and source[1].kind in v.LAYERS:
        index, spec = source
        return f"set return_sequences=True on layer {index} ({spec.label})"
    return ("this layer needs a timesteps axis: put RepeatVector(n) before it to repeat "
            "each vector n times")


def _needs_vector(before: list[_Spec]) -> str:
    source = _source(before)
    if source is not None and source[1].kind in v.LAYERS:
        index, spec = source
        return f"set return_sequences=False on layer {index} ({spec.label})"
    return ("RepeatVector repeats one vector per sample: put Flatten() or a recurrent "
            "layer with return_sequences=False before it")


# ---------------------------------------------------------------- trace_shapes


def trace_shapes(model: Any) -> ShapeTrace:
    """Read the output shape and parameter count of every layer of a built Keras model.

    Parameters
    ----------
    model : keras.Model
        A built ``keras.Sequential`` or functional ``keras.Model``. Layers are listed
        in ``model.layers`` order, without the ``InputLayer``; a layer called more than
        once shows the shape of its first call.

    Returns
    -------
    ShapeTrace
        One row per layer: the class label (``"Bidirectional(LSTM)"``,
        ``"TimeDistributed(Dense)"``), the output shape as a tuple (a tuple of tuples
        for several outputs) and ``layer.count_params()``. Layer names, which come from
        global counters, are in ``trace.names`` and not in the table.

    Raises
    ------
    TypeError
        If ``model`` is not a Keras model.
    ValueError
        If the model is not built yet.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input(shape=(10, 32)), keras.layers.LSTM(64),
    ...                           keras.layers.Dense(1)])
    >>> trace_shapes(model)
    #  layer  output shape  params
    ------------------------------
    1  LSTM   (None, 64)    24,832
    2  Dense  (None, 1)         65
    ------------------------------
    Total params: 24,897
    >>> trace_shapes(model) == predict_stack((10, 32), [
    ...     {"layer": "LSTM", "units": 64}, {"layer": "Dense", "units": 1}])
    True
    """
    keras = sys.modules.get("keras")
    if keras is None or not isinstance(model, keras.Model):
        hint = ("wrap it in keras.Sequential([keras.Input(shape=(timesteps, features)), "
                "layer])")
        if keras is None or not isinstance(model, keras.layers.Layer):
            hint = ("to predict shapes from layer specs without a model, use "
                    "predict_stack(input_shape, layers)")
        raise TypeError(f"expected a Keras model (keras.Sequential or keras.Model), got "
                        f"{type(model).__name__}: {hint}")
    if not model.built:
        raise ValueError(
            "the model is not built, so its layers have no output shapes yet: add "
            "keras.Input(shape=(timesteps, features)) as its first layer, or call "
            "model.build((batch_size, timesteps, features))")
    rows: list[ShapeRow] = []
    names: list[str] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        label = _label(keras, layer)
        try:
            output = layer.output
        except (AttributeError, ValueError) as error:
            raise ValueError(f"cannot read the output shape of layer {len(rows) + 1} "
                             f"({label}): {error}; build the model with keras.Input") from error
        rows.append(ShapeRow(len(rows) + 1, label, _output_shape(keras, output),
                             int(layer.count_params())))
        names.append(layer.name)
    return ShapeTrace(tuple(rows), tuple(names))


def _label(keras: Any, layer: Any) -> str:
    if isinstance(layer, keras.layers.Bidirectional):
        return f"Bidirectional({type(layer.forward_layer).__name__})"
    if isinstance(layer, keras.layers.TimeDistributed):
        return f"TimeDistributed({type(layer.layer).__name__})"
    return type(layer).__name__


def _output_shape(keras: Any, output: Any) -> Shape | tuple[Shape, ...]:
    if isinstance(output, (list, tuple, dict)):
        return tuple(tuple(tensor.shape) for tensor in keras.tree.flatten(output))
    return tuple(output.shape)
