"""Replay a Keras recurrent layer in NumPy, step by step, from its own weights.

Introduced in the chapter "Return every hidden state": the replay shows that
``return_sequences=True`` hands back the hidden state of every timestep, and that the
last of them is what ``return_sequences=False`` returns. The code is written to be read:
one function per cell type whose body is the cell's equations, in Keras's gate order,
and one loop over the timesteps that applies masks the way Keras does.

What Keras 3 does with a mask (``keras.src.backend.tensorflow.rnn``, read for Keras
3.15), and what :func:`replay` copies:

- At a masked timestep the states (``h``, and ``c`` for an LSTM) keep their previous
  values, and the output repeats the previous step's output (zeros before the first
  unmasked step). So with ``return_sequences=False`` a right-padded sequence returns the
  output of its last real timestep, not of the padding.
- ``Bidirectional`` sets ``zero_output_for_mask`` on both directions when it returns
  sequences: there the masked timesteps of the returned sequence are zeros.
- With ``go_backwards=True`` the layer reads the sequence from the end, and with
  ``return_sequences=True`` it returns the outputs in that reading order (last
  timestep first); ``Bidirectional`` flips the backward sequence back before merging.

Only inference is replayed: ``dropout`` and ``recurrent_dropout`` act only in training,
so they are ignored. Keras's cuDNN kernel (used on a GPU) writes zeros at masked steps of
a right-padded sequence; the replay follows the generic kernel, the one used on a CPU.
NumPy is imported here; Keras is never imported by this module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from companion import _validate as v

#: Class names :func:`replay` accepts.
ACCEPTED = ("SimpleRNN", "GRU", "LSTM", "Bidirectional")


# ---------------------------------------------------------------- activations


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, written with tanh so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``."""
    return np.maximum(x, 0.0)


def linear(x: np.ndarray) -> np.ndarray:
    """The identity: Keras's ``"linear"`` activation, also what ``activation=None`` means."""
    return x


#: Keras activation name -> NumPy function.
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh, "sigmoid": sigmoid, "relu": relu, "linear": linear,
}


# ---------------------------------------------------------------- one step of each cell


@dataclass(frozen=True)
class CellWeights:
    """A cell's weights, one block per gate, and its activations as NumPy functions.

    Keras stores each kernel as one matrix with the gate blocks side by side along the
    last axis, in the order ``i, f, c, o`` (LSTM), ``z, r, h`` (GRU) or a single block
    (SimpleRNN). Here they are split: ``kernels[g]`` is the input kernel of gate ``g``,
    ``(features, units)``; ``recurrent_kernels[g]`` is ``(units, units)``;
    ``biases[g]`` is ``(units,)`` (zeros when ``use_bias=False``). ``recurrent_biases``
    holds the GRU's second bias (``reset_after=True``), zeros otherwise.
    """

    units: int
    kernels: tuple[np.ndarray, ...]
    recurrent_kernels: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    recurrent_biases: tuple[np.ndarray, ...]
    activation: Callable[[np.ndarray], np.ndarray]
    recurrent_activation: Callable[[np.ndarray], np.ndarray]
    reset_after: bool = True


def simple_rnn_step(x_t: np.ndarray, states: list[np.ndarray], w: CellWeights
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
    """One timestep of SimpleRNN: ``h_t = activation(x_t W + h_{t-1} U + b)``.

    Examples
    --------
    One unit, one feature, linear activation: ``h = 1.0 * 2 + 4.0 * 0.5 + 0``.

    >>> one = (np.zeros(1),)
    >>> w = CellWeights(units=1, kernels=(np.array([[2.0]]),),
    ...                 recurrent_kernels=(np.array([[0.5]]),), biases=one,
    ...                 recurrent_biases=one, activation=linear, recurrent_activation=linear)
    >>> h, states = simple_rnn_step(np.array([[1.0]]), [np.array([[4.0]])], w)
    >>> h
    array([[4.]])
    """
    (h_prev,) = states
    (W,), (U,), (b,) = w.kernels, w.recurrent_kernels, w.biases
    h = w.activation(x_t @ W + h_prev @ U + b)
    return h, [h]


def gru_step(x_t: np.ndarray, states: list[np.ndarray], w: CellWeights
             ) -> tuple[np.ndarray, list[np.ndarray]]:
    """One timestep of GRU. Gates in Keras's order: z (update), r (reset), h (candidate).

    ``reset_after=True`` (Keras's default) applies the reset gate after the recurrent
    matrix product, which has its own bias; ``reset_after=False`` applies it to
    ``h_{t-1}`` before the product.
    """
    (h_prev,) = states
    W_z, W_r, W_h = w.kernels  # input kernel blocks
    U_z, U_r, U_h = w.recurrent_kernels  # recurrent kernel blocks
    b_z, b_r, b_h = w.biases  # input biases
    rb_z, rb_r, rb_h = w.recurrent_biases  # recurrent biases (zeros if not reset_after)
    z = w.recurrent_activation(x_t @ W_z + b_z + h_prev @ U_z + rb_z)  # update gate
    r = w.recurrent_activation(x_t @ W_r + b_r + h_prev @ U_r + rb_r)  # reset gate
    if w.reset_after:
        h_candidate = w.activation(x_t @ W_h + b_h + r * (h_prev @ U_h + rb_h))
    else:
        h_candidate = w.activation(x_t @ W_h + b_h + (r * h_prev) @ U_h)
    h = z * h_prev + (1.0 - z) * h_candidate  # z near 1 keeps the old state
    return h, [h]


def lstm_step(x_t: np.ndarray, states: list[np.ndarray], w: CellWeights
              ) -> tuple[np.ndarray, list[np.ndarray]]:
    """One timestep of LSTM. Gates in Keras's order: i (input), f (forget), c, o (output).

    The state is ``[h, c]``: the hidden state ``h`` (also the output) and the cell
    state ``c``.
    """
    h_prev, c_prev = states
    W_i, W_f, W_c, W_o = w.kernels  # input kernel blocks
    U_i, U_f, U_c, U_o = w.recurrent_kernels  # recurrent kernel blocks
    b_i, b_f, b_c, b_o = w.biases
    i = w.recurrent_activation(x_t @ W_i + h_prev @ U_i + b_i)  # input gate
    f = w.recurrent_activation(x_t @ W_f + h_prev @ U_f + b_f)  # forget gate
    c_candidate = w.activation(x_t @ W_c + h_prev @ U_c + b_c)  # candidate cell state
    o = w.recurrent_activation(x_t @ W_o + h_prev @ U_o + b_o)  # output gate
    c = f * c_prev + i * c_candidate
    h = o * w.activation(c)
    return h, [h, c]


STEPS = {"SimpleRNN": simple_rnn_step, "GRU": gru_step, "LSTM": lstm_step}
STATE_COUNT = {"SimpleRNN": 1, "GRU": 1, "LSTM": 2}


# ---------------------------------------------------------------- the loop over time


def run_layer(kind: str, w: CellWeights, inputs: np.ndarray, mask: np.ndarray | None, *,
              go_backwards: bool = False, zero_output_for_mask: bool = False
              ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run one direction over every timestep.

    ``kind`` is ``"SimpleRNN"``, ``"GRU"`` or ``"LSTM"``; ``inputs`` is
    ``(batch_size, timesteps, features)`` and ``mask``, if given, a boolean
    ``(batch_size, timesteps)`` array. Returns the outputs of every step in reading
    order, ``(batch_size, timesteps, units)``, and the final states.
    """
    kind = v.layer_name(kind)
    batch, timesteps, _ = inputs.shape
    by_time = np.ascontiguousarray(np.swapaxes(inputs, 0, 1))  # (timesteps, batch, features)
    step = STEPS[kind]
    states = [np.zeros((batch, w.units)) for _ in range(STATE_COUNT[kind])]
    previous_output = np.zeros((batch, w.units))
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    outputs = []
    for t in order:
        output, new_states = step(by_time[t], states, w)
        if mask is not None:
            keep = mask[:, t, None]  # (batch_size, 1): True where this timestep is real
            # Masked: keep the previous states, repeat the previous output (or zeros).
            fill = np.zeros_like(output) if zero_output_for_mask else previous_output
            output = np.where(keep, output, fill)
            new_states = [np.where(keep, new, old) for new, old in zip(new_states, states,
                                                                        strict=True)]
        states, previous_output = new_states, output
        outputs.append(output)
    return np.stack(outputs, axis=1), states


# ---------------------------------------------------------------- replay


def replay(layer: Any, inputs: Any, mask: Any = None) -> np.ndarray | tuple[np.ndarray, ...]:
    """Run a built Keras recurrent layer forward in NumPy and return what Keras returns.

    Parameters
    ----------
    layer : keras.layers.SimpleRNN, GRU, LSTM or Bidirectional
        A built layer (called once, or built with ``layer.build(input_shape)``).
        ``Bidirectional`` may wrap any of the three, with any ``merge_mode``.
        Activations ``"tanh"``, ``"sigmoid"``, ``"relu"`` and ``"linear"`` are
        supported. ``dropout`` and ``recurrent_dropout`` are ignored: they only act in
        training, and the replay is inference.
    inputs : array_like
        ``(batch_size, timesteps, features)``, with ``features`` matching the layer.
    mask : array_like of bool, optional
        ``(batch_size, timesteps)``, ``True`` for real timesteps, ``False`` for padding
        (what ``keras.layers.Masking`` or ``Embedding(mask_zero=True)`` produce).

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        The same structure as ``layer(inputs, mask=mask)``: one array, or a tuple
        ``(output, *states)`` with ``return_state=True``; for ``Bidirectional`` the
        merged output (both outputs when ``merge_mode=None``), then the forward states,
        then the backward states. Values equal Keras's within about ``1e-5``.

    Raises
    ------
    TypeError
        If ``layer`` is not one of the accepted classes, or ``inputs`` or ``mask``
        are not numeric or boolean arrays.
    ValueError
        If the layer is not built, is stateful or uses an unsupported activation; if
        ``inputs`` is not 3-D or its features do not match the kernel; or if ``mask``
        has the wrong shape.

    Examples
    --------
    >>> import keras
    >>> lstm = keras.layers.LSTM(4, return_sequences=True)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> from_keras = lstm(x)  # the first call builds the layer
    >>> every = replay(lstm, x)
    >>> every.shape
    (2, 5, 4)
    >>> bool(np.allclose(every, from_keras, atol=1e-5))
    True
    """
    keras = _keras_for(layer)
    if isinstance(layer, keras.layers.Bidirectional):
        return _replay_bidirectional(keras, layer, inputs, mask)
    kind = _kind(keras, layer)
    x, m = _check_inputs(layer, kind, inputs, mask)
    output, states = _replay_one(layer, kind, x, m)
    return _cast(layer, (output, *states) if layer.return_state else output)


def _replay_one(layer: Any, kind: str, x: np.ndarray, mask: np.ndarray | None
                ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output (sequence or last) and final states of a plain recurrent layer."""
    sequence, states = run_layer(kind, _weights(layer, kind), x, mask,
                                 go_backwards=bool(layer.go_backwards),
                                 zero_output_for_mask=bool(layer.zero_output_for_mask))
    return (sequence if layer.return_sequences else sequence[:, -1]), states


def _replay_bidirectional(keras: Any, layer: Any, inputs: Any, mask: Any
                          ) -> np.ndarray | tuple[np.ndarray, ...]:
    _check_built(layer)
    forward, backward = layer.forward_layer, layer.backward_layer
    kinds = [_kind(keras, forward, wrapped=True), _kind(keras, backward, wrapped=True)]
    x, m = _check_inputs(forward, kinds[0], inputs, mask)
    y, forward_states = _replay_one(forward, kinds[0], x, m)
    y_rev, backward_states = _replay_one(backward, kinds[1], x, m)
    if layer.return_sequences:
        y_rev = y_rev[:, ::-1]  # back into time order
    merged: tuple[np.ndarray, ...]
    if layer.merge_mode == "concat":
        merged = (np.concatenate([y, y_rev], axis=-1),)
    elif layer.merge_mode == "sum":
        merged = (y + y_rev,)
    elif layer.merge_mode == "ave":
        merged = ((y + y_rev) / 2,)
    elif layer.merge_mode == "mul":
        merged = (y * y_rev,)
    else:  # None: both directions, separately
        merged = (y, y_rev)
    states = (*forward_states, *backward_states) if layer.return_state else ()
    result = (*merged, *states)
    return _cast(layer, result[0] if len(result) == 1 else result)


# ---------------------------------------------------------------- checks and weights


def _keras_for(layer: Any) -> Any:
    """The Keras module, if ``layer`` can be a Keras layer at all; else TypeError."""
    keras = sys.modules.get("keras")
    if keras is None or not isinstance(layer, keras.layers.Layer):
        raise TypeError(f"expected a Keras layer ({', '.join(ACCEPTED)}), got "
                        f"{type(layer).__name__}: pass for example keras.layers.LSTM(4) "
                        "after calling it once on your data")
    return keras


def _kind(keras: Any, layer: Any, *, wrapped: bool = False) -> str:
    for name in ("SimpleRNN", "GRU", "LSTM"):
        if isinstance(layer, getattr(keras.layers, name)):
            kind = name
            break
    else:
        inside = " inside Bidirectional" if wrapped else ""
        raise TypeError(f"expected one of {', '.join(ACCEPTED)}, got "
                        f"{type(layer).__name__}{inside}: replay supports the built-in "
                        "Keras recurrent layers, optionally wrapped in Bidirectional")
    _check_built(layer)
    if layer.stateful:
        raise ValueError(f"stateful {kind} layers are not supported: replay always "
                         "starts from zero states; build the layer with stateful=False")
    return kind


def _check_built(layer: Any) -> None:
    if not layer.built:
        raise ValueError(f"the {type(layer).__name__} layer is not built, so it has no "
                         "weights yet: call it once on your data, layer(x), or build it "
                         "with layer.build((batch_size, timesteps, features))")


def _check_inputs(layer: Any, kind: str, inputs: Any, mask: Any
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        x = np.asarray(inputs, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"expected inputs to be a numeric array (batch_size, timesteps, "
                        f"features), got {type(inputs).__name__}: pass a NumPy array or "
                        "a tensor") from error
    if x.ndim != 3:
        raise ValueError(f"expected 3-D inputs (batch_size, timesteps, features), got "
                         f"shape {x.shape}: a {kind} reads sequences; if the inputs come "
                         "from another recurrent layer, set return_sequences=True on the "
                         "layer before it")
    if 0 in x.shape[:2]:
        raise ValueError(f"expected at least one sample and one timestep, got inputs of "
                         f"shape {x.shape}")
    features = layer.cell.kernel.shape[0]
    if x.shape[2] != features:
        raise ValueError(f"expected inputs with {features} features (the layer's kernel "
                         f"is built for {features}), got shape {x.shape} with "
                         f"{x.shape[2]}: pass inputs shaped like the data the layer was "
                         "built on")
    if mask is None:
        return x, None
    try:
        m = np.asarray(mask)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"expected a mask of shape (batch_size, timesteps) = "
                         f"{x.shape[:2]}, got a ragged {type(mask).__name__}: one "
                         "True/False per timestep of every sample") from error
    if m.dtype != np.bool_:
        raise TypeError(f"expected a boolean mask, got dtype {m.dtype}: pass "
                        "mask.astype(bool), True for real timesteps and False for padding")
    if m.shape != x.shape[:2]:
        raise ValueError(f"expected a mask of shape (batch_size, timesteps) = "
                         f"{x.shape[:2]}, got {m.shape}: one True/False per timestep "
                         "of every sample")
    return x, m


def _activation(layer: Any, attribute: str) -> Callable[[np.ndarray], np.ndarray]:
    function = getattr(layer.cell, attribute)
    name = getattr(function, "__name__", type(function).__name__)
    known = ACTIVATIONS.get(name)
    module = getattr(function, "__module__", "") or ""
    if known is None or not module.startswith("keras"):
        raise ValueError(f"unsupported {attribute} {name!r}: replay knows "
                         f"{', '.join(repr(n) for n in ACTIVATIONS)}")
    return known


def _weights(layer: Any, kind: str) -> CellWeights:
    cell = layer.cell
    units = int(cell.units)
    gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[kind]

    def blocks(array: Any) -> tuple[np.ndarray, ...]:
        """Split Keras's side-by-side gate blocks along the last axis."""
        matrix = np.asarray(array, dtype=np.float64)
        return tuple(np.ascontiguousarray(part) for part in np.split(matrix, gates, axis=-1))

    zeros = blocks(np.zeros(gates * units))
    biases, recurrent_biases = zeros, zeros
    reset_after = bool(getattr(cell, "reset_after", False))
    if cell.use_bias:
        bias = cell.bias.numpy()
        if kind == "GRU" and reset_after:
            biases, recurrent_biases = blocks(bias[0]), blocks(bias[1])  # input, recurrent
        else:
            biases = blocks(bias)
    recurrent = "recurrent_activation" if kind != "SimpleRNN" else "activation"
    return CellWeights(units=units, kernels=blocks(cell.kernel.numpy()),
                       recurrent_kernels=blocks(cell.recurrent_kernel.numpy()),
                       biases=biases, recurrent_biases=recurrent_biases,
                       activation=_activation(layer, "activation"),
                       recurrent_activation=_activation(layer, recurrent),
                       reset_after=reset_after)


def _cast(layer: Any, result: Any) -> Any:
    dtype = np.dtype(layer.compute_dtype)
    if isinstance(result, tuple):
        return tuple(array.astype(dtype) for array in result)
    return result.astype(dtype)
