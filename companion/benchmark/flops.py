"""How much arithmetic and memory a recurrent layer needs, counted from its equations.

Introduced in "What return_sequences costs". Conventions: a multiply-add counts as two
floating-point operations (FLOPs); every other element-wise operation, activations
included, counts as one. A training step counts three times the forward pass: the
backward pass does about twice the forward's matrix products (one product for the
gradient of the inputs, one for the gradient of the weights).
"""

from __future__ import annotations

from companion import _validate as v

#: Weight blocks (gates plus candidate) of each layer: LSTM has three gates and a
#: candidate, GRU two gates and a candidate, SimpleRNN none and one block.
BLOCKS = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}

#: Element-wise operations per unit and timestep, besides the matrix products.
#: LSTM: add the two products and the bias (8), four activations (4), c = f*c + i*g (3),
#: tanh(c) and o*tanh(c) (2). GRU (reset_after=True): two biases (6), add the products
#: (3), r times the recurrent candidate part (1), three activations (3),
#: h = z*h + (1-z)*candidate (4). SimpleRNN: add the products and the bias (2), tanh (1).
ELEMENTWISE = {"LSTM": 17, "GRU": 17, "SimpleRNN": 3}

#: FLOPs of a training step (forward and backward) per FLOP of the forward pass.
TRAINING_FACTOR = 3


def recurrent_flops(layer: str = "LSTM", *, batch_size: int, timesteps: int, features: int,
                    units: int, training: bool = False) -> int:
    """Count the FLOPs of one call of a recurrent layer (forward, or a training step).

    Per timestep and sample, the layer multiplies its input (``features``) and its
    previous hidden state (``units``) by ``blocks`` weight blocks of ``units`` columns:
    ``2 * blocks * units * (features + units)`` FLOPs, plus the element-wise work of
    :data:`ELEMENTWISE`. ``return_sequences`` does not appear: the layer computes every
    hidden state whichever value it has.

    Parameters
    ----------
    layer : {"LSTM", "GRU", "SimpleRNN"}
    batch_size, timesteps, features, units : int
        The input ``(batch_size, timesteps, features)`` and the layer's ``units``.
    training : bool
        Count a training step, :data:`TRAINING_FACTOR` times the forward pass.

    Returns
    -------
    int
        FLOPs of the call.

    Raises
    ------
    ValueError
        If ``layer`` is not one of the three recurrent layers or a size is not positive.

    Examples
    --------
    >>> recurrent_flops("LSTM", batch_size=1, timesteps=1, features=1, units=1)
    33
    >>> recurrent_flops("LSTM", batch_size=32, timesteps=100, features=16, units=64)
    134553600
    >>> recurrent_flops("SimpleRNN", batch_size=1, timesteps=10, features=3, units=2,
    ...                 training=True)
    780
    """
    layer = v.layer_name(layer)
    hint = "pass a whole number of at least 1"
    batch_size = v.positive_int("batch_size", batch_size, hint=hint)
    timesteps = v.positive_int("timesteps", timesteps, hint=hint)
    features = v.positive_int("features", features, hint=hint)
    units = v.positive_int("units", units, hint=hint)
    training = v.flag("training", training)
    per_step = 2 * BLOCKS[layer] * units * (features + units) + ELEMENTWISE[layer] * units
    forward = batch_size * timesteps * per_step
    return forward * TRAINING_FACTOR if training else forward


def output_bytes(*, batch_size: int, timesteps: int, units: int, return_sequences: bool,
                 itemsize: int = 4) -> int:
    """Bytes of the tensor a recurrent layer returns (float32 by default).

    ``(batch_size, timesteps, units)`` with ``return_sequences=True``, ``(batch_size,
    units)`` without: the one thing the flag changes in the layer's forward pass.

    Examples
    --------
    >>> output_bytes(batch_size=32, timesteps=1000, units=64, return_sequences=True)
    8192000
    >>> output_bytes(batch_size=32, timesteps=1000, units=64, return_sequences=False)
    8192
    """
    hint = "pass a whole number of at least 1"
    batch_size = v.positive_int("batch_size", batch_size, hint=hint)
    timesteps = v.positive_int("timesteps", timesteps, hint=hint)
    units = v.positive_int("units", units, hint=hint)
    itemsize = v.positive_int("itemsize", itemsize, hint="pass 4 for float32, 2 for float16")
    steps = timesteps if v.flag("return_sequences", return_sequences) else 1
    return batch_size * steps * units * itemsize
