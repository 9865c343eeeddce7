"""Find a single-step slice of a ``Bidirectional`` sequence, whatever layer takes it.

``h[:, -1]``, ``Lambda(lambda t: t[:, -1])`` and ``Cropping1D((steps - 1, 0))`` make the
same mistake: they keep one timestep of a bidirectional sequence, where one of the two
directions has read almost nothing. Reading the code cannot find every form, so the
check calls each layer that takes such a sequence on an input whose steps are numbered,
and looks at which step comes out. A second call with the steps in reverse order tells
a slice (the same position both times) from a reduction such as ``GlobalMaxPooling1D``
(the largest number, wherever it is).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from companion.diagnose._model import _history, label, operations
from companion.diagnose._report import Finding

#: The number of steps a probe uses when the sequence's timesteps are ``None``.
PROBE_STEPS = 7


def picked_step(keras: Any, op: Any, node: Any, steps: int, features: int) -> int | None:
    """The timestep ``op`` (called as in ``node``) keeps of a ``(1, steps, features)``
    sequence, or ``None`` if it does not keep exactly one step unchanged."""
    numbered = np.arange(steps * features, dtype="float32").reshape(1, steps, features)
    args, kwargs = node.arguments.args, dict(node.arguments.kwargs)
    kwargs.pop("mask", None)
    found = []
    for probe in (numbered, numbered[:, ::-1].copy()):
        try:
            out = keras.ops.convert_to_numpy(op(probe, *args[1:], **kwargs))
        except Exception:  # a layer that cannot run on the probe is not judged
            return None
        out = np.asarray(out).reshape(-1)
        if out.shape != (features,):
            return None
        rows = [step for step in range(steps) if np.array_equal(out, probe[0, step])]
        if len(rows) != 1:
            return None
        found.append(rows[0])
    return found[0] if found[0] == found[1] else None


def _keeps_one_step(tensor: Any, out: Any) -> bool:
    shape, result = tuple(tensor.shape), tuple(getattr(out, "shape", ()))
    if len(result) == 2:
        return result[1] == shape[2]
    return len(result) == 3 and result[1] == 1 and result[2] == shape[2]


def check_bidirectional_slices(keras: Any, model: Any) -> list[Finding]:
    """One timestep taken from the sequence of a ``Bidirectional`` layer: the last when
    the backward direction is in it, the first when the forward direction is."""
    findings = []
    for op in operations(model):
        if isinstance(op, keras.layers.InputLayer):
            continue
        for node in op._inbound_nodes:
            args = node.arguments.args
            source = _history(args[0]) if args else None
            if source is None or not isinstance(source[0], keras.layers.Bidirectional):
                continue
            layer, index = source
            tensor = args[0]
            separate = layer.merge_mode is None
            if index >= (2 if separate else 1) or not layer.return_sequences:
                continue  # a returned state, not a sequence
            outputs = node.outputs
            if len(tensor.shape) != 3 or len(outputs) != 1 or not _keeps_one_step(
                    tensor, outputs[0]):
                continue
            steps = tensor.shape[1] or PROBE_STEPS
            step = picked_step(keras, op, node, steps, tensor.shape[2])
            if step is None:
                continue
            if step == steps - 1 and (not separate or index == 1):
                half, blind = "backward", "the last timestep only"
            elif step == 0 and (not separate or index == 0):
                half, blind = "forward", "the first timestep only"
            else:
                continue
            findings.append(_finding(keras, layer, op, args, tensor, step, steps, half,
                                     blind))
    return findings


def _finding(keras: Any, layer: Any, op: Any, args: Any, tensor: Any, step: int,
             steps: int, half: str, blind: str) -> Finding:
    key = args[1] if len(args) > 1 else None
    shape = tuple(tensor.shape)
    mode = f"(merge_mode={layer.merge_mode!r})"
    if (type(op).__name__ == "GetItem" and isinstance(key, tuple) and len(key) > 1
            and isinstance(key[1], int)):
        saw = f"[:, {key[1]}] on its sequence {shape!r} {mode}"
    else:
        which = "last" if step == steps - 1 else "first"
        name = label(keras, op) if isinstance(op, keras.layers.Layer) else op.name
        saw = f"{name} keeps only the {which} timestep of its sequence {shape!r} {mode}"
    return Finding(
        "bidirectional-last-step", label(keras, layer), saw,
        f"at that position the {half} direction has read {blind}, so half of the "
        "vector knows almost nothing about the sequence; no error is raised",
        "set return_sequences=False on the Bidirectional layer (it returns each "
        "direction's final state); or, with merge_mode=None, combine forward[:, -1] "
        "with backward[:, 0]", keras=(("predict", "runs"),))
