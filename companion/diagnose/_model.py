"""Checks that read a Keras model: its layers, its graph and the masks on its tensors.

Nothing here imports Keras: the functions receive the ``keras`` module from
:func:`companion.diagnose`, which takes it from ``sys.modules`` (a Keras model exists,
so Keras is loaded).
"""

from __future__ import annotations

from typing import Any

from companion.diagnose._report import Finding
from companion.diagnose._stateful import remainder_finding
from companion.stack.trace import _label

Shape = tuple[Any, ...]


def label(keras: Any, layer: Any) -> str:
    """``'name' (Class)``, the way a finding names a layer."""
    return f"'{layer.name}' ({_label(keras, layer)})"


def recurrent(keras: Any, layer: Any) -> Any | None:
    """The recurrent layer inside ``layer`` (itself, or a Bidirectional's forward layer)."""
    if isinstance(layer, keras.layers.Bidirectional):
        return layer.forward_layer
    return layer if isinstance(layer, keras.layers.RNN) else None


def operations(model: Any) -> list[Any]:
    """Every operation of a built model's graph, ``GetItem`` slices included."""
    graph = model if hasattr(model, "operations") else getattr(model, "_functional", None)
    if graph is None:
        return list(model.layers)
    return list(graph.operations)


def _mask(tensor: Any) -> Any:
    return getattr(tensor, "_keras_mask", None)


def _history(tensor: Any) -> tuple[Any, int] | None:
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else (history[0], history[2])


def check_layer_settings(keras: Any, model: Any) -> list[Finding]:
    """Settings that stop a model from building: stateful without a batch size, and a
    tuple-returning layer (``return_state=True``, ``Bidirectional(merge_mode=None)``)
    followed by another layer inside ``Sequential``. As the last layer of a
    ``Sequential`` model such a layer builds, and the model returns the tuple."""
    findings = []
    batch = _fixed_batch(model)
    sequential = isinstance(model, keras.Sequential)
    layers = [layer for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer)]
    for position, layer in enumerate(layers, start=1):
        cell = recurrent(keras, layer)
        if cell is None:
            continue
        followed = sequential and position < len(layers)
        after = label(keras, layers[position]) if followed else ""
        if followed and getattr(layer, "return_state", cell.return_state):
            findings.append(Finding(
                "return-state-in-sequential", label(keras, layer),
                f"return_state=True in a keras.Sequential model, followed by {after}",
                "with return_state=True the layer returns a tuple (output, *states), and "
                "Sequential passes each layer's output to the next as one tensor, so the "
                "next layer receives several inputs and Keras refuses to build the model",
                "build the model with the functional API (keras.Model(inputs, outputs)) and "
                "unpack output, *states = layer(x); or drop return_state=True",
                keras=(("build", "raises"),)))
        elif followed and isinstance(layer, keras.layers.Bidirectional) and (
                layer.merge_mode is None):
            findings.append(Finding(
                "merge-none-in-sequential", label(keras, layer),
                f"merge_mode=None in a keras.Sequential model, followed by {after}",
                "with merge_mode=None the layer returns a tuple (forward, backward), and "
                "Sequential passes it to the next layer as its input, so the next layer "
                "receives two inputs and Keras refuses to build the model",
                'set merge_mode="concat" (or "sum", "mul", "ave") on that layer; or build '
                "the model with the functional API and combine forward and backward "
                "yourself (keras.layers.Concatenate()([forward, backward]))",
                keras=(("build", "raises"),)))
        if cell.stateful and batch is None:
            findings.append(Finding(
                "stateful-batch", label(keras, layer),
                "stateful=True, but the model's input has no fixed batch size",
                "a stateful layer keeps one state per sample between batches, so it needs "
                "the batch size when it is built; Keras raises 'When using `stateful=True` "
                "in a RNN, the batch size must be static'",
                "give the input a fixed batch size: keras.Input(shape=(timesteps, "
                "features), batch_size=32), and feed batches of exactly that size",
                keras=(("build", "raises"),)))
    return findings


def _fixed_batch(model: Any) -> int | None:
    if not model.built:
        return None
    try:
        shapes = model.input_shape
    except (AttributeError, ValueError):
        return None
    first = shapes[0] if shapes and isinstance(shapes[0], (tuple, list)) else shapes
    return first[0] if first else None


def check_stateful_batches(keras: Any, model: Any, x_shapes: list[Shape]) -> list[Finding]:
    """A stateful model with a fixed batch size, fed a number of samples it cannot split."""
    batch = _fixed_batch(model)
    stateful = [layer for layer in model.layers
                if (cell := recurrent(keras, layer)) is not None and cell.stateful]
    if batch is None or not stateful or not x_shapes:
        return []
    found = remainder_finding(label(keras, stateful[0]), keras.backend.backend(), batch,
                              x_shapes[0][0])
    return [] if found is None else [found]


def check_inputs(keras: Any, model: Any, x_shapes: list[Shape]) -> list[Finding]:
    """Each input array against the shape the model was built for."""
    expected = model.input_shape
    expected = list(expected) if isinstance(expected, list) else [expected]
    if len(x_shapes) != len(expected):
        return [Finding(
            "input-shape", "x", f"{len(x_shapes)} input array(s) for a model with "
            f"{len(expected)} input(s)",
            "Keras matches arrays to inputs by position and refuses a different number",
            f"pass a list of {len(expected)} arrays, in the order of model.inputs",
            keras=(("predict", "raises"),))]
    first = next((layer for layer in model.layers
                  if not isinstance(layer, keras.layers.InputLayer)), None)
    findings = []
    for shape, want in zip(x_shapes, expected, strict=True):
        want = tuple(want)
        if len(shape) == len(want) and all(w is None or s == w for s, w in
                                           zip(shape[1:], want[1:], strict=True)):
            continue
        saw = f"x has shape {shape!r}; the model expects {want!r}"
        if len(shape) == len(want) - 1 and want[-1] == 1 and all(
                w is None or s == w for s, w in zip(shape[1:], want[1:-1], strict=True)):
            findings.append(Finding(
                "input-shape", "x", saw,
                "the array has no features axis; Keras 3 adds it on a model's first call, "
                "but a model called on arrays of both ranks fails ('Cannot take the length "
                "of shape with unknown rank')",
                f"add the features axis yourself: x[..., None] has shape {(*shape, 1)!r}",
                keras=(("predict", "runs"),)))
            continue
        where = f" (the first layer is {label(keras, first)})" if first is not None else ""
        findings.append(Finding(
            "input-shape", "x", saw,
            f"Keras refuses an array whose shape differs from the model's input{where}",
            f"reshape x to {(shape[0], *want[1:])!r}, or build the model with keras.Input(shape="
            f"{want[1:]!r}) to match the data", keras=(("predict", "raises"),)))
    return findings


def check_unbuilt_inputs(keras: Any, model: Any, x_shapes: list[Shape]) -> list[Finding]:
    """An array without a time or features axis, for a model that builds from the data."""
    layers = [layer for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer)]
    if (len(layers) > 1 and x_shapes and len(x_shapes[0]) != 2
            and isinstance(layers[0], keras.layers.Embedding)
            and recurrent(keras, layers[1]) is not None):
        return [_ids_finding(keras, layers, x_shapes[0])]
    if not layers or not x_shapes or recurrent(keras, layers[0]) is None:
        return []
    shape = x_shapes[0]
    if len(shape) == 3:
        return []
    fix = ("give every sample a timesteps and a features axis, (batch_size, timesteps, "
           "features)")
    if len(shape) == 2:
        fix = (f"add the features axis: x[..., None] has shape {(*shape, 1)!r}; and start "
               f"the model with keras.Input(shape={(*shape[1:], 1)!r})")
    return [Finding(
        "input-shape", label(keras, layers[0]),
        f"x has shape {shape!r}, {len(shape)}-D, for a model without keras.Input that "
        f"starts with a recurrent layer",
        "the model is built from the first batch, and a recurrent layer reads "
        "(batch_size, timesteps, features): Keras raises 'expected ndim=3, found "
        f"ndim={len(shape)}'", fix, keras=(("predict", "raises"),))]


def _ids_finding(keras: Any, layers: list[Any], shape: Shape) -> Finding:
    """Ids of the wrong rank for an Embedding that feeds a recurrent layer."""
    rank = len(shape) + 1  # the Embedding adds the output_dim axis
    fix = "give the Embedding ids shaped (batch_size, timesteps)"
    if len(shape) == 3 and shape[-1] == 1:
        fix += (f": x[..., 0] has shape {shape[:2]!r}; and start the model with "
                f"keras.Input(shape={shape[1:2]!r})")
    return Finding(
        "layer-input", label(keras, layers[1]),
        f"x has shape {shape!r}, {len(shape)}-D ids, so {label(keras, layers[0])} returns "
        f"{rank}-D",
        "a recurrent layer reads a sequence, (batch_size, timesteps, features), so Keras "
        f"refuses to build the model ('expected ndim=3, found ndim={rank}')", fix,
        keras=(("predict", "raises"),))


def check_masks(keras: Any, model: Any) -> list[Finding]:
    """A layer that does not support masking receives a masked tensor and drops the mask."""
    findings = []
    for op in operations(model):
        if not isinstance(op, keras.layers.Layer) or getattr(op, "supports_masking", True):
            continue
        for node in op._inbound_nodes:
            masked = [t for t in node.input_tensors if _mask(t) is not None]
            if not masked:
                continue
            producer = _mask_producer(keras, masked[0])
            fix = ("keep the mask to the layer that reduces the timesteps: a recurrent layer "
                   "with return_sequences=False or GlobalAveragePooling1D use the mask")
            if isinstance(op, keras.layers.Flatten):
                fix = ("replace Flatten with a layer that uses the mask to reduce the "
                       "timesteps: a recurrent layer with return_sequences=False, or "
                       "GlobalAveragePooling1D")
            findings.append(Finding(
                "mask-dropped", label(keras, op),
                f"a masked input {tuple(masked[0].shape)!r} (mask from {producer}); "
                f"{type(op).__name__} does not support masking",
                "Keras drops the mask here with only a warning, so from this layer on the "
                "padded timesteps count as real data and change the result",
                fix, keras=(("predict", "runs"),)))
            break
    return findings


def _mask_producer(keras: Any, tensor: Any) -> str:
    """The layer that made the mask: the first masked tensor's operation, going back."""
    current = tensor
    while True:
        history = _history(current)
        if history is None:
            return "an earlier layer"
        op = history[0]
        node = op._inbound_nodes[0] if op._inbound_nodes else None
        parents = [t for t in (node.input_tensors if node else []) if _mask(t) is not None]
        if not parents:
            return label(keras, op) if isinstance(op, keras.layers.Layer) else op.name
        current = parents[0]


def culprits(keras: Any, model: Any) -> tuple[str, str | None, str | None, int | None]:
    """Labels of the output layer, the last sequence-returning and the last
    vector-returning recurrent layer, for the target checks; and the timesteps that
    vector-returning layer reads (``None`` when unknown)."""
    layers = [layer for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer)]
    head = label(keras, layers[-1]) if layers else "the model"
    sequence = vector = steps = None
    for layer in layers:
        cell = recurrent(keras, layer)
        if cell is None:
            continue
        if cell.return_sequences:
            sequence = label(keras, layer)
        else:
            vector, steps = label(keras, layer), _timesteps_in(layer)
    return head, sequence, vector, steps


def _timesteps_in(layer: Any) -> int | None:
    """The time axis of the input a built recurrent layer reads, if known."""
    try:
        shape = tuple(layer.input.shape)
    except (AttributeError, ValueError):  # a layer used more than once, or unconnected
        return None
    return shape[1] if len(shape) == 3 and isinstance(shape[1], int) else None
