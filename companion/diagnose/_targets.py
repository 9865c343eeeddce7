"""Targets against the model's output: the shape rules of Keras 3's losses, in pure Python.

Keras's losses first line the two shapes up with ``squeeze_or_expand_to_same_rank``
(they drop or add one trailing axis of size 1 when the ranks differ by one). The
crossentropy losses then insist on equal shapes and raise a ``ValueError``;
``sparse_categorical_crossentropy`` wants the output's shape without its last axis; the
element-wise losses (``mse``, ``mae``, ...) broadcast whatever NumPy broadcasting
allows, which can silently compare the wrong numbers. The tests cross-check these
rules against Keras itself.
"""

from __future__ import annotations

import math
import re
from typing import Any

from companion.diagnose._report import Finding

Shape = tuple[Any, ...]

ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
    "huber_loss": "huber", "logcosh": "log_cosh", "kld": "kl_divergence",
}
SPARSE = ("sparse_categorical_crossentropy",)
STRICT = ("binary_crossentropy", "categorical_crossentropy", "binary_focal_crossentropy",
          "categorical_focal_crossentropy")
ELEMENTWISE = ("mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
               "mean_squared_logarithmic_error", "huber", "log_cosh")


def loss_name(loss: Any) -> str | None:
    """The canonical snake-case name of a loss, or ``None`` when no loss is known.

    Accepts a string (``"mse"``), a Keras loss object (``keras.losses.MeanSquaredError()``)
    or a loss function (``keras.losses.mean_squared_error``).

    Examples
    --------
    >>> loss_name("MSE"), loss_name("sparse_categorical_crossentropy"), loss_name(None)
    ('mean_squared_error', 'sparse_categorical_crossentropy', None)
    """
    if loss is None:
        return None
    if isinstance(loss, str):
        name = loss.strip().lower()
    elif callable(getattr(loss, "fn", None)):  # keras.losses.LossFunctionWrapper
        name = loss.fn.__name__
    elif type(loss).__name__ != "function" and hasattr(loss, "call") and callable(loss):
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(loss).__name__).lower()
    elif callable(loss) and hasattr(loss, "__name__"):
        name = loss.__name__
    else:
        raise TypeError(f"expected loss to be a string such as 'mse', a Keras loss object or "
                        f"a loss function, got {loss!r} of type {type(loss).__name__}: pass "
                        "for example loss='mse' or loss=keras.losses.MeanSquaredError()")
    return ALIASES.get(name, name)


def _squeeze_or_expand(y: Shape, p: Shape) -> tuple[Shape, Shape]:
    """Keras's ``squeeze_or_expand_to_same_rank(y_true, y_pred)`` on shapes."""
    if len(y) == len(p) + 1 and y[-1] == 1:
        if len(p) == 1:
            p = (*p, 1)
        else:
            y = y[:-1]
    elif len(p) == len(y) + 1 and p[-1] == 1:
        if len(y) == 1:
            y = (*y, 1)
        else:
            p = p[:-1]
    return y, p


def sparse_shapes(y: Shape, p: Shape) -> tuple[Shape, Shape]:
    """Targets and output as ``sparse_categorical_crossentropy`` compares them.

    Keras's loss wrapper first lines the ranks up (``squeeze_or_expand_to_same_rank``:
    a trailing axis of size 1 goes when the ranks differ by one); the loss then drops
    a trailing axis of size 1 from targets of the output's rank, and needs the targets
    to equal the output without its last (class) axis.

    Examples
    --------
    >>> sparse_shapes((6, 1, 1), (6, 3))  # targets squeezed twice: one label per sample
    ((6,), (6, 3))
    >>> sparse_shapes((6, 1), (6, 3, 1))  # output squeezed: its 3 steps become 3 classes
    ((6,), (6, 3))
    """
    y, p = _squeeze_or_expand(y, p)
    if len(y) == len(p) and y and y[-1] == 1:
        y = y[:-1]
    return y, p


def _same(y: Shape, p: Shape) -> bool:
    """Equal shapes, ``None`` in ``p`` matching any size."""
    return len(y) == len(p) and all(b is None or a == b for a, b in zip(y, p, strict=True))


def _broadcast(y: Shape, p: Shape) -> Shape | None:
    """NumPy broadcasting of two shapes (``None`` in ``p`` assumed to match), or None."""
    rank = max(len(y), len(p))
    y = (1,) * (rank - len(y)) + y
    p = (1,) * (rank - len(p)) + p
    out = []
    for a, b in zip(y, p, strict=True):
        if b is None:
            out.append(None if a == 1 else a)
        elif a in (b, 1):
            out.append(b)
        elif b == 1:
            out.append(a)
        else:
            return None
    return tuple(out)


def outcome(loss: str | None, y: Shape, p: Shape) -> tuple[str, Shape | None]:
    """``("ok" | "fails" | "broadcasts" | "misreads" | "unknown", broadcast shape)``.

    ``"misreads"``: ``sparse_categorical_crossentropy`` runs, but only after dropping the
    output's last axis of size 1, so the axis before it is read as the classes.
    """
    if loss in SPARSE:
        ys, ps = sparse_shapes(y, p)
        if not ps or not _same(ys, ps[:-1]):
            return "fails", None
        # Squeezing the output changes nothing when the targets already lack its last axis.
        return ("ok" if len(ps) == len(p) or _same(y, p[:-1]) else "misreads"), None
    ys, ps = _squeeze_or_expand(y, p)
    if _same(ys, ps):
        return "ok", None
    if loss in STRICT:
        return "fails", None
    if loss in ELEMENTWISE:
        shape = _broadcast(ys, ps)
        return ("fails", None) if shape is None else ("broadcasts", shape)
    sparse_like = _same(y[:-1] if len(y) == len(p) and y[-1] == 1 else y, p[:-1])
    return ("ok", None) if sparse_like else ("unknown", None)


def _text(shape: Shape) -> str:
    return repr(tuple(shape))


def check_targets(output_shape: Shape, y_shape: Shape, loss: str | None, *, head: str,
                  sequence_layer: str | None, vector_layer: str | None,
                  vector_steps: int | None = None) -> list[Finding]:
    """Compare targets with the model's output; a list of at most one :class:`Finding`.

    ``head`` labels the output layer; ``sequence_layer`` the last recurrent layer with
    ``return_sequences=True`` (the one that leaves a time axis in the output) and
    ``vector_layer`` the last one with ``return_sequences=False``, or ``None``;
    ``vector_steps`` the timesteps ``vector_layer`` reads, if known. Targets whose time
    axis has another length (a forecast of a few steps ahead) get a forecast head as the
    fix, not ``return_sequences=True``.

    Examples
    --------
    >>> [f.check for f in check_targets((None, 10, 1), (256, 1), "mean_squared_error",
    ...  head="'head' (Dense)", sequence_layer="'lstm' (LSTM)", vector_layer=None)]
    ['time-axis-in-output']
    >>> check_targets((None, 1), (256, 1), "mse", head="'head' (Dense)",
    ...               sequence_layer=None, vector_layer="'lstm' (LSTM)")
    []
    """
    y = tuple(int(size) for size in y_shape)
    p = (y[0] if y else None, *output_shape[1:])
    verdict, broadcast = outcome(loss, y, p)
    if verdict == "ok":
        return []
    sparse = loss in SPARSE
    y_core = y[:-1] if sparse and len(y) == len(p) and y[-1] == 1 else y
    saw = f"output {_text(output_shape)}, targets {_text(y)}"
    if loss is not None:
        saw += f", loss {loss}"
    why = _why(verdict, loss, y, p, broadcast)
    expected = _text(_expected(p, sparse))
    if sparse and p[-1] == 1:
        classes = _text((None, *p[1:-1], "classes")).replace("'", "")
        fix = (f"give {head} one unit per class (Dense(classes, activation='softmax')), "
               f"so that the output is {classes}")
        if verdict == "misreads" and sequence_layer is not None:
            fix += (f"; to classify whole sequences, also set return_sequences=False on "
                    f"{sequence_layer}")
        check = "time-axis-in-output" if verdict == "misreads" else "target-shape"
        layer = sequence_layer or head if verdict == "misreads" else head
        return [Finding(check, layer, saw, why, fix, keras=_claims(verdict))]
    if len(p) == 3 and (len(y_core) == 1 if sparse else len(y) <= 2 and (
            len(y) == 1 or y[-1] == p[-1] or p[-1] == 1)):
        fix = _return_sequences_fix(
            False, sequence_layer, f"one prediction per sequence, {_text((None, *p[2:]))}",
            f"one target per timestep, give targets of shape {expected}")
        return [Finding("time-axis-in-output", sequence_layer or head, saw, why, fix,
                        keras=_claims(verdict))]
    if len(p) == 2 and (len(y_core) == 2 if sparse else len(y) == 3 or (
            len(y) == 2 and p[-1] == 1 and y[1] > 1 and vector_layer is not None)):
        steps = y_core[1] if sparse else y[1]
        fix = _forecast_fix(y, p, sparse, steps, vector_layer, vector_steps, expected)
        if fix is None:
            fix = _return_sequences_fix(
                True, vector_layer, "one prediction per timestep",
                f"one target per sequence, give targets of shape {expected}")
        return [Finding("time-axis-in-targets", vector_layer or head, saw, why, fix,
                        keras=_claims(verdict))]
    fix = (f"give targets of shape {_text(_expected(p, sparse))}, or change {head} so that "
           f"the model's output matches the targets")
    return [Finding("target-shape", head, saw, why, fix, keras=_claims(verdict))]


def _claims(verdict: str) -> tuple[tuple[str, str], ...]:
    """What a target finding says ``fit`` and ``evaluate`` do."""
    if verdict == "unknown":
        return ()
    outcome = "raises" if verdict == "fails" else "runs"
    return (("fit", outcome), ("evaluate", outcome))


def _return_sequences_fix(value: bool, layer: str | None, returns: str, meant: str) -> str:
    where = f"on {layer}" if layer else "on the last recurrent layer"
    return (f"set return_sequences={value} {where}, so that the model returns {returns}; "
            f"or, if you meant {meant}")


def _forecast_fix(y: Shape, p: Shape, sparse: bool, steps: int, layer: str | None,
                  reads: int | None, expected: str) -> str | None:
    """The fix for targets of ``steps`` steps when the recurrent layer reads another
    number of timesteps (``reads``): return_sequences=True would give ``reads`` steps."""
    if reads is None or steps == reads:
        return None
    where = layer or "the last recurrent layer"
    start = (f"{where} reads {reads} timesteps but the targets hold {steps}, so "
             f"return_sequences=True would give {reads} predictions per sequence, not "
             f"{steps}; for a forecast of {steps} steps, end the model with ")
    if sparse:
        classes = p[-1]
        head = (f"Dense({steps * classes}), Reshape(({steps}, {classes})) and a softmax "
                f"over the last axis, so that it outputs (None, {steps}, {classes})")
    elif len(y) == 3:
        head = (f"Dense({steps * y[2]}) and Reshape(({steps}, {y[2]})), so that it "
                f"outputs (None, {steps}, {y[2]})")
    else:
        head = f"Dense({steps}), so that it outputs (None, {steps})"
    return (f"{start}{head}; or, if you meant one target per sequence, give targets of "
            f"shape {expected}")


def _expected(p: Shape, sparse: bool) -> Shape:
    return p[:-1] if sparse else p


def _why(verdict: str, loss: str | None, y: Shape, p: Shape, broadcast: Shape | None) -> str:
    expected = _text(_expected(p, loss in SPARSE))
    if verdict == "fails" and loss in SPARSE:
        ys, ps = sparse_shapes(y, p)
        lined = "" if ps == p else (f" (Keras first drops the output's last axis of size 1, "
                                    f"leaving {_text(ps)})")
        return (f"{loss} raises an error when you call fit or evaluate: it needs targets "
                f"shaped like the output without its last (class) axis{lined}, "
                f"{_text(ps[:-1])}, and got {_text(ys)}")
    if verdict == "fails":
        return (f"{loss} raises an error when you call fit or evaluate: it needs "
                f"targets of shape {expected}")
    if verdict == "misreads":
        classes = p[-2]
        return (f"{loss} raises no error: Keras drops the output's last axis of size 1, "
                f"so the output becomes {_text(p[:-1])} and its axis of size {classes} is "
                f"read as {classes} class scores for each target; the loss is not the one "
                "you meant")
    if verdict == "unknown":
        name = f"the loss {loss}" if loss else "the loss"
        return (f"{name} either raises an error or silently broadcasts the targets against "
                f"the output, depending on the loss: targets should have shape {expected}")
    ys, ps = _squeeze_or_expand(y, p)

    def size(shape: Shape) -> int:
        return math.prod(2 if n is None else n for n in shape)

    if size(broadcast) > max(size(ys), size(ps)):
        meaning = ("every prediction in a batch is compared with every target in that "
                   "batch, and the loss even depends on the batch size")
    elif size(broadcast) > size(ps):
        meaning = ("each prediction is repeated along the axes it lacks and compared with "
                   "several targets, for example one prediction per sequence against the "
                   "target of every timestep")
    else:
        meaning = ("each target is repeated along the axes it lacks, for example the same "
                   "target for every timestep, and the loss is not the one you meant")
    return (f"{loss} raises no error: it broadcasts targets {_text(ys)} against the output "
            f"{_text(ps)} to {_text(broadcast)}, so {meaning}")
