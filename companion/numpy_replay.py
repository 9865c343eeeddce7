"""Replay a Keras recurrent layer in NumPy, step by step, from its own weights.

Introduced in the chapter "Return every hidden state": the replay shows that
``return_sequences=True`` hands back the hidden state of every timestep, and that the
last of them is what ``return_sequences=False`` returns. "Return the final states too"
adds starting states (``initial_state=``, or a stateful layer's current states) and
:func:`replay_states`, the states after every timestep, which Keras does not return.
The cell equations and the loop over time live in :mod:`companion.replay_cells`, the
checks and the weight reading in ``companion._replay_checks``.

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

Precision. The replay computes in float64 and casts its results to the layer's
``compute_dtype``. For a float32 layer that agrees with Keras within ``1e-5``. Under
mixed precision (``dtype="mixed_float16"``) Keras rounds the states to float16 at every
step, the replay does not, so the two agree only to float16's resolution: measured at
most ``2e-3`` on states in ``(-1, 1)`` over 6 to 12 steps (``tests/test_replay.py``
checks ``5e-3``); compare such layers with ``atol=1e-2``.

An upstream inconsistency (Keras 3.15.1, TensorFlow backend). With ``unroll=True``,
``go_backwards=True``, a mask and ``zero_output_for_mask=True`` (which ``Bidirectional``
turns on when it returns sequences), Keras's unrolled loop gives other outputs, at the
masked steps' neighbours, than the same layer with ``unroll=False``. The replay follows
``unroll=False``, which also agrees with PyTorch; ``tests/test_replay.py`` asserts that
the unrolled result differs, so a fixed Keras shows up there.

Only inference is replayed: ``dropout`` and ``recurrent_dropout`` act only in training,
so they are ignored. Keras's cuDNN kernel (used on a GPU) writes zeros at masked steps of
a right-padded sequence; the replay follows the generic kernel, the one used on a CPU.
NumPy is imported here; Keras is never imported by this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from companion import _replay_checks as check
from companion._replay_checks import ACCEPTED, STATE_NAMES  # noqa: F401
from companion.replay_cells import (  # noqa: F401  (re-exported: tests and old imports)
    ACTIVATIONS,
    STATE_COUNT,
    STEPS,
    CellWeights,
    gru_step,
    linear,
    lstm_step,
    relu,
    run_layer,
    sigmoid,
    simple_rnn_step,
    time_steps,
)


def replay(layer: Any, inputs: Any, mask: Any = None, *, initial_state: Any = None
           ) -> np.ndarray | tuple[np.ndarray, ...]:
    """Run a built Keras recurrent layer forward in NumPy and return what Keras returns.

    Parameters
    ----------
    layer : keras.layers.SimpleRNN, GRU, LSTM, Bidirectional or RNN
        A built layer (called once, or built with ``layer.build(input_shape)``).
        ``keras.layers.RNN(cell)`` is accepted when ``cell`` is exactly one of Keras's
        ``SimpleRNNCell``, ``GRUCell`` or ``LSTMCell`` (chapter "Step through a sequence
        with cells"); stacked cells and cells of your own raise ``TypeError``.
        ``Bidirectional`` may wrap any of these, with any ``merge_mode``.
        Activations are recognised by identity with Keras's own ``tanh``, ``sigmoid``,
        ``relu`` and ``linear``; anything else is rejected. ``dropout`` and
        ``recurrent_dropout`` are ignored: they only act in training, and the replay is
        inference. A stateful layer starts from its current ``layer.states``, as Keras
        does; the replay reads them and never updates them.
    inputs : array_like
        ``(batch_size, timesteps, features)``, with ``features`` matching the layer.
    mask : array_like of bool, optional
        ``(batch_size, timesteps)``, ``True`` for real timesteps, ``False`` for padding
        (what ``keras.layers.Masking`` or ``Embedding(mask_zero=True)`` produce).
    initial_state : list of array_like, optional
        The states to start from, as in ``layer(x, initial_state=...)``: ``[h0]`` for
        SimpleRNN and GRU, ``[h0, c0]`` for LSTM, each ``(batch_size, units)``. For
        ``Bidirectional``, the forward states then the backward states (Keras gives the
        first half of the list to the forward layer). Zeros when omitted.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        The same structure as ``layer(inputs, mask=mask, initial_state=...)``: one array,
        or a tuple ``(output, *states)`` with ``return_state=True``; for
        ``Bidirectional`` the merged output (both outputs when ``merge_mode=None``),
        then the forward states, then the backward states. In the layer's
        ``compute_dtype``; values equal Keras's within about ``1e-5`` (see the module
        docstring for mixed precision).

    Raises
    ------
    TypeError
        If ``layer`` is not one of the accepted classes (an ``RNN`` with stacked cells or
        a cell of your own included), or ``inputs``, ``mask`` or an
        initial state is not a numeric (or, for the mask, boolean) array.
    ValueError
        If the layer is not built or uses an unsupported activation; if ``inputs`` is
        not 3-D or its features do not match the kernel; if ``mask`` has the wrong
        shape; if ``initial_state`` has the wrong number of states or a state has the
        wrong shape; or if a stateful layer's states hold another batch size.

    Examples
    --------
    >>> import keras
    >>> lstm = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> from_keras = lstm(x)  # the first call builds the layer
    >>> every, h, c = replay(lstm, x)
    >>> every.shape, h.shape, c.shape
    ((2, 5, 4), (2, 4), (2, 4))
    >>> bool(np.allclose(every, from_keras[0], atol=1e-5))
    True

    Start from given states, here the final states of the first run:

    >>> again = replay(lstm, x, initial_state=[h, c])
    >>> bool(np.allclose(again[0], lstm(x, initial_state=[h, c])[0], atol=1e-5))
    True
    """
    keras = check.keras_for(layer)
    if isinstance(layer, keras.layers.Bidirectional):
        return _replay_bidirectional(keras, layer, inputs, mask, initial_state)
    kind = check.kind_of(keras, layer, generic=True)
    x, m = check.check_inputs(layer, kind, inputs, mask)
    start = check.starting_states(layer, kind, initial_state, x.shape[0])
    output, states = _replay_one(keras, layer, kind, x, m, start)
    return _cast(layer, (output, *states) if layer.return_state else output)


def replay_states(layer: Any, inputs: Any, mask: Any = None, *, initial_state: Any = None
                  ) -> tuple[np.ndarray, ...]:
    """The layer's states after every timestep: what Keras keeps only for the last step.

    Keras's ``return_sequences=True`` returns the output ``h`` of every timestep, and
    ``return_state=True`` the final states; an LSTM's cell state ``c`` is never returned
    per step. This replays the layer (see :func:`replay` for the arguments) and returns
    one array per state, in Keras's state order: ``(h, c)`` for an LSTM, ``(h,)`` for a
    GRU or SimpleRNN, each ``(batch_size, timesteps, units)``. Slice ``[:, k - 1]`` holds
    the states after reading ``k`` timesteps, in reading order (from the end with
    ``go_backwards=True``), and equals the final states of the layer run on those ``k``
    timesteps. At a masked timestep the states keep their previous values.

    Raises
    ------
    TypeError
        If ``layer`` is a ``Bidirectional`` (replay each direction instead:
        ``layer.forward_layer`` and ``layer.backward_layer``), or for the reasons of
        :func:`replay`.
    ValueError
        For the reasons of :func:`replay`.

    Examples
    --------
    >>> import keras
    >>> lstm = keras.layers.LSTM(4, return_state=True)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> _, h_last, c_last = lstm(x)
    >>> h, c = replay_states(lstm, x)
    >>> c.shape
    (2, 5, 4)
    >>> bool(np.allclose(c[:, -1], c_last, atol=1e-5))
    True
    """
    keras = check.keras_for(layer)
    if isinstance(layer, keras.layers.Bidirectional):
        raise TypeError("expected a SimpleRNN, GRU or LSTM, got Bidirectional: call "
                        "replay_states on each direction, layer.forward_layer and "
                        "layer.backward_layer (whose steps run from the end)")
    kind = check.kind_of(keras, layer, generic=True)
    x, m = check.check_inputs(layer, kind, inputs, mask)
    start = check.starting_states(layer, kind, initial_state, x.shape[0])
    per_step = [states for _, states in time_steps(
        kind, check.weights(keras, layer, kind), x, m, initial_state=start,
        go_backwards=bool(layer.go_backwards))]
    return _cast(layer, tuple(np.stack(each, axis=1) for each in zip(*per_step, strict=True)))


def _replay_one(keras: Any, layer: Any, kind: str, x: np.ndarray, mask: np.ndarray | None,
                start: list[np.ndarray] | None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output (sequence or last) and final states of a plain recurrent layer."""
    sequence, states = run_layer(kind, check.weights(keras, layer, kind), x, mask,
                                 initial_state=start,
                                 go_backwards=bool(layer.go_backwards),
                                 zero_output_for_mask=bool(layer.zero_output_for_mask))
    return (sequence if layer.return_sequences else sequence[:, -1]), states


def _replay_bidirectional(keras: Any, layer: Any, inputs: Any, mask: Any,
                          initial_state: Any) -> np.ndarray | tuple[np.ndarray, ...]:
    check.check_built(layer)
    forward, backward = layer.forward_layer, layer.backward_layer
    kinds = [check.kind_of(keras, forward, wrapped=True, generic=True),
             check.kind_of(keras, backward, wrapped=True, generic=True)]
    x, m = check.check_inputs(forward, kinds[0], inputs, mask)
    given = check.split_bidirectional(initial_state, (STATE_COUNT[kinds[0]],
                                                      STATE_COUNT[kinds[1]]))
    starts = [check.starting_states(direction, kind, states, x.shape[0])
              for direction, kind, states in zip((forward, backward), kinds, given,
                                                 strict=True)]
    y, forward_states = _replay_one(keras, forward, kinds[0], x, m, starts[0])
    y_rev, backward_states = _replay_one(keras, backward, kinds[1], x, m, starts[1])
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


def _cast(layer: Any, result: Any) -> Any:
    dtype = np.dtype(layer.compute_dtype)
    if isinstance(result, tuple):
        return tuple(array.astype(dtype) for array in result)
    return result.astype(dtype)
