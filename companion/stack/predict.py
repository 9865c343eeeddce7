"""Predict what each layer of a stack returns, without building it: :func:`predict_stack`.

Part of :mod:`companion.stack` (chapter "Stack recurrent layers"). The shape rules of
each kind of layer live here, with the messages that say why Keras would refuse a
layer and how to fix the stack; the specs are parsed in :mod:`companion.stack.specs`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from companion import _validate as v
from companion.shapes import count_params, rnn_output_shape
from companion.stack.specs import _parse_layers, _Spec, _stack_input_shape
from companion.stack.table import Shape, ShapeRow, ShapeTrace


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
        ``batch_size`` is ``None``. When the first layer is an ``Embedding``, the input
        is integer ids: ``(batch_size, timesteps)``, or ``(timesteps,)`` as given to
        ``keras.Input(shape=...)``; a 3-D ``(batch_size, timesteps, k)`` is followed as
        Keras follows it (the ``Embedding`` returns 4-D).
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
          ``{"layer": "Dropout"}`` (optional ``rate``; the shape is kept);
        - ``{"layer": "Embedding", "input_dim": 1000, "output_dim": 16}``, first layer
          only, optional ``mask_zero`` (``False``; it changes no shape): each id becomes
          a vector of ``output_dim`` numbers, ``(batch_size, timesteps) ->
          (batch_size, timesteps, output_dim)``, with ``input_dim * output_dim``
          parameters whatever ``timesteps`` is.

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
        not positive; or an ``Embedding`` is not the first layer. ``ConvLSTM*``, cells,
        ``RNN``/``StackedRNNCells`` and attention layers are refused with a message that
        names what to use instead (:func:`companion.convlstm_output_shape`, the matching
        layer name, or :func:`trace_shapes` on the built model).

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

    Integer ids of 20 timesteps through an ``Embedding`` into an LSTM:

    >>> predict_stack((20,), [{"layer": "Embedding", "input_dim": 1000, "output_dim": 16},
    ...                       {"layer": "LSTM", "units": 32}])
    #  layer      output shape    params
    ------------------------------------
    1  Embedding  (None, 20, 16)  16,000
    2  LSTM       (None, 32)       6,272
    ------------------------------------
    Total params: 22,272
    """  # noqa: E501
    specs = _parse_layers(layers)
    current: Shape | tuple[Shape, ...] = _stack_input_shape(input_shape, specs[0])
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
    if kind == "Embedding":
        # One vector of output_dim numbers per id: the ids' shape gains a last axis.
        return (*current, spec.get("output_dim")), spec.get("input_dim") * spec.get(
            "output_dim")
    if kind in v.LAYERS:
        if len(current) > 3 and _squeeze_ids(before):
            raise _Problem(f"got {len(current)}-D input {current!r} where 3-D (batch_size, "
                           f"timesteps, features) is expected: {_squeeze_ids(before)}")
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


def _squeeze_ids(before: list[_Spec]) -> str | None:
    source = _source(before)
    if source is None or source[1].kind != "Embedding":
        return None
    index = source[0]
    return (f"the ids reaching the Embedding (layer {index}) have an extra axis, so it "
            "returns 4-D: give it ids shaped (batch_size, timesteps), for example "
            "x[..., 0] for ids shaped (batch_size, timesteps, 1), and declare "
            "keras.Input(shape=(timesteps,))")


def _needs_vector(before: list[_Spec]) -> str:
    source = _source(before)
    if source is not None and source[1].kind in v.LAYERS:
        index, spec = source
        return f"set return_sequences=False on layer {index} ({spec.label})"
    return ("RepeatVector repeats one vector per sample: put Flatten() or a recurrent "
            "layer with return_sequences=False before it")
