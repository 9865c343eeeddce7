"""Find the shape mistakes of the error gallery in a reader's own model.

Introduced in the chapter "A gallery of real errors". :func:`diagnose` looks at a Keras
model (or a stack spec, as :func:`companion.predict_stack` takes), and optionally a
batch of inputs, the targets and the loss, and reports every problem the gallery shows
that can be seen from them, as a plain-text table like :func:`companion.trace_shapes`.

Importing this module imports neither TensorFlow nor Keras: a Keras model can only
exist once Keras is loaded, and :func:`diagnose` takes Keras from ``sys.modules``.
The module is callable, so ``companion.diagnose(model)`` works even after
``import companion.diagnose`` has bound the module to that name.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from companion.diagnose import _model
from companion.diagnose._file import ModelFileError, load_model_file
from companion.diagnose._report import CHECKS, Diagnosis, Finding
from companion.diagnose._slices import check_bidirectional_slices
from companion.diagnose._targets import check_targets, loss_name

__all__ = ["CHECKS", "Diagnosis", "Finding", "ModelFileError", "diagnose", "diagnose_file"]

Shape = tuple[Any, ...]


def diagnose(model: Any, x: Any = None, y: Any = None, loss: Any = None, *,
             input_shape: Sequence[int | None] | None = None) -> Diagnosis:
    """Report the gallery's shape mistakes in a model, its data and its loss.

    Parameters
    ----------
    model : keras.Model, list of dict, or path
        A Keras model (``keras.Sequential`` or functional, built or not), a stack
        spec as :func:`companion.predict_stack` takes it, for a stack Keras cannot build,
        or the path of a saved ``.keras`` file (loaded as :func:`diagnose_file` does).
    x : array or list of arrays, optional
        A batch of inputs (anything with a ``.shape``): checked against the model's
        input, and used as the input shape of a stack spec.
    y : array, optional
        The targets, checked against the model's output under the loss.
    loss : str, keras loss or function, optional
        The loss; when ``None``, the loss the model was compiled with, if any.
    input_shape : tuple, optional
        For a stack spec only: ``(timesteps, features)`` or ``(batch_size, timesteps,
        features)``, as ``predict_stack`` takes it.

    Returns
    -------
    Diagnosis
        ``.ok`` is False when anything was found; ``.findings`` lists each
        :class:`Finding` (the layer, what it saw, why it is a problem, the fix).

    Raises
    ------
    ModelFileError
        If ``model`` is a path Keras cannot load (see :func:`diagnose_file`).
    TypeError
        If ``model`` is neither a Keras model nor a list of layer specs, ``x`` or ``y``
        has no shape, or ``loss`` is not a loss.
    ValueError
        If a stack spec comes without ``input_shape`` or ``x``, ``input_shape`` is given
        with a Keras model, or ``x`` and ``y`` have different numbers of samples.

    Examples
    --------
    A stack whose second LSTM receives no time axis:

    >>> report = diagnose([{"layer": "LSTM", "units": 8}, {"layer": "LSTM", "units": 8}],
    ...                   input_shape=(10, 3))
    >>> report.ok, report.checks
    (False, ('no-time-axis',))
    >>> print(report[0].fix)
    set return_sequences=True on layer 1 (LSTM)
    >>> diagnose([{"layer": "LSTM", "units": 8, "return_sequences": True},
    ...           {"layer": "LSTM", "units": 8}], input_shape=(10, 3)).ok
    True
    """
    if isinstance(model, (str, os.PathLike)):
        return diagnose_file(model, x, y, loss)
    x_shapes = _shapes("x", x)
    y_shape = None if y is None else _shapes("y", y, several=False)[0]
    if x_shapes and y_shape is not None and x_shapes[0][:1] != y_shape[:1]:
        raise ValueError(f"expected x and y to hold the same number of samples, got x "
                         f"{x_shapes[0]!r} and y {y_shape!r}: pass matching arrays")
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, keras.Model):
        if input_shape is not None:
            raise ValueError("input_shape is only for a stack spec (a list of dicts); a "
                             "Keras model knows its input shape: leave input_shape out")
        return _diagnose_model(keras, model, x_shapes, y_shape, loss)
    if isinstance(model, Sequence) and not isinstance(model, (str, bytes)) and all(
            isinstance(spec, Mapping) for spec in model):
        return _diagnose_stack(model, x_shapes, y_shape, loss, input_shape)
    hint = "pass a keras.Model, or a list of layer specs with input_shape="
    if keras is not None and isinstance(model, keras.layers.Layer):
        hint = ("wrap the layer in keras.Sequential([keras.Input(shape=(timesteps, "
                "features)), layer])")
    raise TypeError(f"expected a Keras model or a list of layer specs such as "
                    f'[{{"layer": "LSTM", "units": 8}}], got {type(model).__name__}: {hint}')


def diagnose_file(path: str | os.PathLike[str], x: Any = None, y: Any = None,
                  loss: Any = None, *, safe_mode: bool = True) -> Diagnosis:
    """Load a saved model file and diagnose the model, as ``python -m companion.diagnose``.

    Parameters
    ----------
    path : str or path-like
        A file written by ``model.save`` (``.keras``).
    x, y, loss
        As in :func:`diagnose`.
    safe_mode : bool, default True
        Passed to ``keras.models.load_model``; ``False`` rebuilds Python lambdas stored
        in the file (only for a file you trust).

    Returns
    -------
    Diagnosis
        ``checked`` names the file.

    Raises
    ------
    ModelFileError
        If the file is missing, is not a model file, or Keras refuses to load it; the
        message says why and what to do.
    """
    model = load_model_file(path, safe_mode=safe_mode)
    report = diagnose(model, x, y, loss)
    return Diagnosis(report.findings, f"{Path(path).name}: {report.checked}")


def _shapes(name: str, value: Any, *, several: bool = True) -> list[Shape]:
    if value is None:
        return []
    if several and isinstance(value, (list, tuple)) and value and all(
            hasattr(item, "shape") for item in value):
        return [_shape(name, item) for item in value]
    return [_shape(name, value)]


def _shape(name: str, value: Any) -> Shape:
    shape = getattr(value, "shape", None)
    if shape is None or isinstance(value, (str, bytes)):
        raise TypeError(f"expected {name} to be an array with a shape (NumPy array or "
                        f"tensor), got {type(value).__name__}: pass for example "
                        f"np.asarray({name})")
    shape = tuple(shape)
    if not shape or any(size is None for size in shape):
        raise ValueError(f"expected {name} to have a known shape with a batch axis, got "
                         f"{shape!r}: pass a NumPy array of data")
    return tuple(int(size) for size in shape)


def _checked(what: str, x_shapes: list[Shape], y_shape: Shape | None,
             loss: str | None) -> str:
    parts = [what]
    if x_shapes:
        parts.append("x " + ", ".join(repr(shape) for shape in x_shapes))
    if y_shape is not None:
        parts.append(f"y {y_shape!r}")
    if loss is not None:
        parts.append(f"loss {loss}")
    return ", ".join(parts)


def _diagnose_model(keras: Any, model: Any, x_shapes: list[Shape], y_shape: Shape | None,
                    loss: Any) -> Diagnosis:
    if loss is None and getattr(model, "compiled", False):
        loss = getattr(model, "loss", None)
    name = None if isinstance(loss, (dict, list, tuple)) else loss_name(loss)
    layers = [layer for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer)]
    what = f"model ({len(layers)} layers{'' if model.built else ', not built'})"
    findings = _model.check_layer_settings(keras, model)
    if not model.built:
        findings += _model.check_unbuilt_inputs(keras, model, x_shapes)
    if model.built:
        if x_shapes:
            findings += _model.check_inputs(keras, model, x_shapes)
            findings += _model.check_stateful_batches(keras, model, x_shapes)
        findings += check_bidirectional_slices(keras, model)
        findings += _model.check_masks(keras, model)
        output = model.output_shape
        if y_shape is not None and not isinstance(output, list):
            head, sequence, vector, steps = _model.culprits(keras, model)
            findings += check_targets(tuple(output), y_shape, name, head=head,
                                      sequence_layer=sequence, vector_layer=vector,
                                      vector_steps=steps)
    return Diagnosis(tuple(findings), _checked(what, x_shapes, y_shape, name))


def _diagnose_stack(specs: Sequence[Mapping[str, Any]], x_shapes: list[Shape],
                    y_shape: Shape | None, loss: Any,
                    input_shape: Sequence[int | None] | None) -> Diagnosis:
    from companion.stack import predict_stack

    if input_shape is None:
        if not x_shapes:
            raise ValueError("a stack spec needs its input shape: pass input_shape="
                             "(timesteps, features), or a batch x")
        input_shape = (None, *x_shapes[0][1:])
    name = loss_name(loss)
    trace = predict_stack(input_shape, specs)
    findings = []
    for row, spec in zip(trace.rows, specs, strict=False):
        if row.problem is None:
            continue
        recurrent = str(spec.get("layer", "")).upper() in ("LSTM", "GRU", "SIMPLERNN")
        check = ("no-time-axis" if recurrent and row.problem.startswith("expected 3-D")
                 else "layer-input")
        saw, _, fix = row.problem.partition(": ")
        received = trace.rows[row.index - 2].output_shape if row.index > 1 else None
        rank = len(received) if received and not isinstance(received[0], tuple) else None
        why = f"{row.layer} cannot take that input, so Keras refuses to build the model"
        if recurrent and rank is not None and rank != 3:
            # the rank this layer receives, as Keras's InputSpec error prints it
            why = ("a recurrent layer reads a sequence, (batch_size, timesteps, features), "
                   "so Keras refuses to build the model ('expected ndim=3, found "
                   f"ndim={rank}')")
        findings.append(Finding(check, f"layer {row.index} ({row.layer})", saw, why,
                                fix or "change the layers so that the shapes fit",
                                keras=(("build", "raises"),)))
    if trace.ok and y_shape is not None:
        rows = list(trace.rows)
        specs_by_row = list(specs)
        sequence = vector = steps = None
        for row, spec in zip(rows, specs_by_row, strict=True):
            if spec.get("layer", "").upper() in ("LSTM", "GRU", "SIMPLERNN"):
                where = f"layer {row.index} ({row.layer})"
                if spec.get("return_sequences", False):
                    sequence = where
                else:
                    vector = where
                    # the time axis this layer reads: the input's, or the previous row's
                    before = rows[row.index - 2].output_shape if row.index > 1 else (
                        None, *input_shape)
                    steps = before[1] if isinstance(before[1], int) else None
        head = f"layer {rows[-1].index} ({rows[-1].layer})"
        findings += check_targets(trace.output_shape, y_shape, name, head=head,
                                  sequence_layer=sequence, vector_layer=vector,
                                  vector_steps=steps)
    what = f"stack spec ({len(trace.rows)} layers)"
    return Diagnosis(tuple(findings), _checked(what, x_shapes, y_shape, name))


class _CallableModule(types.ModuleType):
    """``companion.diagnose`` stays callable when the name is bound to this module."""

    def __call__(self, *args: Any, **kwargs: Any) -> Diagnosis:
        return diagnose(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
