"""Read the shapes of a model Keras has built: :func:`trace_shapes`.

Part of :mod:`companion.stack` (chapter "Stack recurrent layers"). Nothing here imports
Keras: :func:`trace_shapes` takes it from ``sys.modules`` (a Keras model exists, so
Keras is loaded) and only touches it through the model it is given.
"""

from __future__ import annotations

import sys
from typing import Any

from companion.stack.table import Shape, ShapeRow, ShapeTrace


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
        ``"TimeDistributed(Dense)"``, ``"RNN(LSTMCell)"``, ``"RNN([LSTMCell, GRUCell])"``
        for stacked cells, whose ``return_state=True`` outputs are flattened in order:
        the output, then every cell's states, first cell first), the output shape as a
        tuple (a tuple of tuples for several outputs) and ``layer.count_params()``. Layer
        names, which come from global counters, are in ``trace.names`` and not in the table.

    Raises
    ------
    TypeError
        If ``model`` is not a Keras model.
    ValueError
        If the model is not built yet.

    Examples
    --------
    >>> import keras
    >>> from companion.stack import predict_stack
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
        axes = "timesteps, features"
        if model.layers and isinstance(model.layers[0], keras.layers.Embedding):
            axes = "timesteps"  # integer ids: (batch_size, timesteps), no features axis
        shape = "(timesteps,)" if axes == "timesteps" else f"({axes})"
        raise ValueError(
            "the model is not built, so its layers have no output shapes yet: add "
            f"keras.Input(shape={shape}) as its first layer, or call "
            f"model.build((batch_size, {axes}))")
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
    if type(layer) is keras.layers.RNN:  # the generic layer: name the cell(s) it loops over
        cell = layer.cell
        if isinstance(cell, keras.layers.StackedRNNCells):
            return f"RNN([{', '.join(type(each).__name__ for each in cell.cells)}])"
        return f"RNN({type(cell).__name__})"
    return type(layer).__name__


def _output_shape(keras: Any, output: Any) -> Shape | tuple[Shape, ...]:
    if isinstance(output, (list, tuple, dict)):
        return tuple(tuple(tensor.shape) for tensor in keras.tree.flatten(output))
    return tuple(output.shape)
