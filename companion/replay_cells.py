"""The cell equations of SimpleRNN, GRU and LSTM in NumPy, and the loop over time.

Introduced in the chapter "Return every hidden state" (as part of :func:`companion.replay`)
and extended in "Return the final states too": the loop starts from given states and can
hand back the states of every timestep, not only the last ones. One function per cell
type whose body is the cell's equations, in Keras's weight-block order; :func:`run_layer` applies
masks the way Keras 3 does (see :mod:`companion.numpy_replay`). NumPy only, no Keras.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from companion import _validate as v

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
    """A cell's weights, one weight block per gate or candidate, and its activations.

    Keras stores each kernel as one matrix with the weight blocks side by side along the
    last axis, in the order ``i, f, c, o`` (LSTM), ``z, r, h`` (GRU) or a single block
    (SimpleRNN). Here they are split: ``kernels[g]`` is the input kernel of block ``g``,
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
    """One timestep of GRU. Blocks in Keras's order: z (update gate), r (reset gate), h
    (candidate).

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
    """One timestep of LSTM. Blocks in Keras's order: i (input gate), f (forget gate),
    c (candidate), o (output gate).

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


def time_steps(kind: str, w: CellWeights, inputs: np.ndarray, mask: np.ndarray | None,
               *, initial_state: Sequence[np.ndarray] | None = None,
               go_backwards: bool = False, zero_output_for_mask: bool = False
               ) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
    """Yield ``(output, states)`` after each timestep, in reading order.

    ``kind`` is ``"SimpleRNN"``, ``"GRU"`` or ``"LSTM"``; ``inputs`` is
    ``(batch_size, timesteps, features)`` and ``mask``, if given, a boolean
    ``(batch_size, timesteps)`` array. ``initial_state`` is the list of starting states,
    ``[h0]`` or ``[h0, c0]``, each ``(batch_size, units)``; zeros when ``None``. The
    caller checks shapes; :func:`companion.replay` does.

    Examples
    --------
    A SimpleRNN of one unit that adds its input to its state: the states count up.

    >>> one = (np.zeros(1),)
    >>> w = CellWeights(units=1, kernels=(np.ones((1, 1)),),
    ...                 recurrent_kernels=(np.ones((1, 1)),), biases=one,
    ...                 recurrent_biases=one, activation=linear, recurrent_activation=linear)
    >>> x = np.ones((1, 3, 1))
    >>> [float(h[0, 0]) for h, _ in time_steps("SimpleRNN", w, x, None,
    ...                                        initial_state=[np.array([[10.0]])])]
    [11.0, 12.0, 13.0]
    """
    kind = v.layer_name(kind)
    batch, timesteps, _ = inputs.shape
    by_time = np.ascontiguousarray(np.swapaxes(inputs, 0, 1))  # (timesteps, batch, features)
    step = STEPS[kind]
    if initial_state is None:
        states = [np.zeros((batch, w.units)) for _ in range(STATE_COUNT[kind])]
    else:
        states = [np.asarray(state, dtype=np.float64) for state in initial_state]
    previous_output = np.zeros((batch, w.units))
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
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
        yield output, states


def run_layer(kind: str, w: CellWeights, inputs: np.ndarray, mask: np.ndarray | None, *,
              initial_state: Sequence[np.ndarray] | None = None,
              go_backwards: bool = False, zero_output_for_mask: bool = False
              ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run one direction over every timestep (see :func:`time_steps` for the arguments).

    Returns the outputs of every step in reading order, ``(batch_size, timesteps,
    units)``, and the final states.
    """
    steps = list(time_steps(kind, w, inputs, mask, initial_state=initial_state,
                            go_backwards=go_backwards,
                            zero_output_for_mask=zero_output_for_mask))
    return np.stack([output for output, _ in steps], axis=1), steps[-1][1]
