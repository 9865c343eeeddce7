"""Shape arithmetic for Keras recurrent layers, in pure Python.

Introduced in the chapter "The default: only the last hidden state". Nothing here
imports TensorFlow or Keras: the rules are cross-checked against Keras in the tests.
"""

from __future__ import annotations

from typing import Any

from companion import _validate as v

Shape = tuple[Any, ...]

#: Number of weight blocks per layer: one per gate plus one for the candidate state.
#: LSTM: input, forget and output gates plus the candidate (4); GRU: update and reset
#: gates plus the candidate (3); SimpleRNN: no gates, one block.
WEIGHT_BLOCKS = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
#: Number of state tensors each layer returns with ``return_state=True``.
STATES = {"SimpleRNN": 1, "GRU": 1, "LSTM": 2}


def rnn_output_shape(
    input_shape: tuple[int | None, int | None, int],
    units: int,
    *,
    layer: str = "LSTM",
    return_sequences: bool = False,
    return_state: bool = False,
    bidirectional: bool = False,
    merge_mode: str | None = "concat",
) -> Shape | tuple[Shape, ...]:
    """Predict what a Keras recurrent layer returns, without building it.

    Parameters
    ----------
    input_shape : tuple
        ``(batch_size, timesteps, features)``; ``None`` allowed for the first two.
    units : int
        Width of the hidden state (the layer's ``units`` argument).
    layer : {"LSTM", "GRU", "SimpleRNN"}
        The Keras recurrent layer.
    return_sequences : bool
        ``False`` (default): only the last hidden state, ``(batch_size, units)``.
        ``True``: every hidden state, ``(batch_size, timesteps, units)``.
    return_state : bool
        Also return the final state tensors: ``h`` and ``c`` for LSTM, ``h`` for GRU
        and SimpleRNN, each ``(batch_size, units)``.
    bidirectional : bool
        Wrap the layer in ``keras.layers.Bidirectional``.
    merge_mode : {"concat", "sum", "mul", "ave", None}
        How ``Bidirectional`` merges the two directions; ``"concat"`` doubles the last
        axis, ``None`` returns the two outputs separately. Ignored when
        ``bidirectional=False``.

    Returns
    -------
    tuple
        One shape tuple when Keras returns one tensor; otherwise a tuple of shape
        tuples in Keras's order: outputs first (forward then backward when
        ``merge_mode=None``), then the states (forward states then backward states).

    Raises
    ------
    TypeError
        If ``input_shape`` is not a tuple or list, ``units`` is not an integer or a
        flag is not a bool.
    ValueError
        If ``input_shape`` is not 3-D, a size is not positive, or ``layer`` or
        ``merge_mode`` is unknown. A layer outside this function (``ConvLSTM2D``, a
        cell, ``StackedRNNCells``, an attention layer) is refused with a message that
        names what to use instead, such as :func:`companion.convlstm_output_shape`.

    Examples
    --------
    >>> rnn_output_shape((32, 10, 8), units=4)
    (32, 4)
    >>> rnn_output_shape((32, 10, 8), units=4, return_sequences=True)
    (32, 10, 4)
    >>> rnn_output_shape((None, 10, 8), 4, return_state=True)
    ((None, 4), (None, 4), (None, 4))
    >>> rnn_output_shape((32, None, 8), 4, layer="GRU", bidirectional=True)
    (32, 8)
    """
    batch, steps, _ = v.shape3d("input_shape", input_shape)
    units = v.positive_int("units", units)
    layer = v.layer_name(layer)
    return_sequences = v.flag("return_sequences", return_sequences)
    return_state = v.flag("return_state", return_state)
    bidirectional = v.flag("bidirectional", bidirectional)
    merge_mode = v.choice("merge_mode", merge_mode, v.MERGE_MODES,
                          hint='use "concat" (the Keras default) or None for separate outputs')

    def output(width: int) -> Shape:
        return (batch, steps, width) if return_sequences else (batch, width)

    state = (batch, units)
    if not bidirectional:
        shapes: list[Shape] = [output(units)]
        states = [state] * STATES[layer]
    else:
        if merge_mode is None:
            shapes = [output(units), output(units)]
        else:
            shapes = [output(2 * units if merge_mode == "concat" else units)]
        states = [state] * (2 * STATES[layer])
    if return_state:
        shapes += states
    return shapes[0] if len(shapes) == 1 else tuple(shapes)


def count_params(
    input_features: int,
    units: int,
    *,
    layer: str = "LSTM",
    bidirectional: bool = False,
    use_bias: bool = True,
    reset_after: bool = True,
) -> int:
    """Count the trainable weights of a Keras recurrent layer.

    Each weight block has an input kernel ``(features, units)``, a recurrent kernel
    ``(units, units)`` and a bias ``(units,)``. An LSTM has 4 blocks (three gates plus
    the candidate), a GRU 3 (two gates plus the candidate) and a SimpleRNN 1 (no
    gates); see :data:`WEIGHT_BLOCKS`. A GRU with ``reset_after=True`` (the Keras
    default) keeps a second bias for the recurrent kernel.

    Parameters
    ----------
    input_features : int
        Size of the last input axis, ``features``.
    units : int
        Width of the hidden state.
    layer : {"LSTM", "GRU", "SimpleRNN"}
        The Keras recurrent layer.
    bidirectional : bool
        Wrapped in ``Bidirectional``: two independent copies, twice the weights.
    use_bias : bool
        The layer's ``use_bias`` argument.
    reset_after : bool
        GRU only: the layer's ``reset_after`` argument.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a size is not positive or ``layer`` is unknown; ``ConvLSTM1D/2D/3D`` are
        refused with a pointer to :func:`companion.convlstm_count_params`, a cell with
        the matching layer name (``keras.layers.RNN(LSTMCell(u))`` counts as ``"LSTM"``).

    Examples
    --------
    >>> count_params(32, 64)
    24832
    >>> count_params(32, 64, layer="GRU")
    18816
    >>> count_params(32, 64, layer="GRU", reset_after=False)
    18624
    >>> count_params(8, 16, layer="SimpleRNN", bidirectional=True)
    800
    """
    features = v.positive_int("input_features", input_features,
                              hint="the size of the last input axis, for example 8")
    units = v.positive_int("units", units)
    layer = v.layer_name(layer)
    bidirectional = v.flag("bidirectional", bidirectional)
    use_bias = v.flag("use_bias", use_bias)
    reset_after = v.flag("reset_after", reset_after)
    biases = 0
    if use_bias:
        biases = 2 if (layer == "GRU" and reset_after) else 1
    per_block = units * (features + units + biases)
    total = WEIGHT_BLOCKS[layer] * per_block
    return 2 * total if bidirectional else total
