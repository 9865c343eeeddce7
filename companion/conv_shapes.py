"""Shape arithmetic for Keras's convolutional recurrent layers, in pure Python.

Introduced in the chapter "Read image sequences with convolutional recurrent layers".
``ConvLSTM1D``, ``ConvLSTM2D`` and ``ConvLSTM3D`` read a sequence of 1-D, 2-D or 3-D
grids: their input has a batch axis, a time axis, ``rank`` spatial axes and a channels
axis. Nothing here imports TensorFlow or Keras; the tests check every rule against Keras.
"""

from __future__ import annotations

import math
from typing import Any

from companion import _validate as v

Shape = tuple[Any, ...]

#: The spatial axes each layer reads, by rank.
SPATIAL_AXES = {1: ("steps",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}
#: An LSTM's weight blocks: three gates (input, forget, output) and the candidate.
WEIGHT_BLOCKS = 4
DATA_FORMATS = ("channels_last", "channels_first")
PADDINGS = ("valid", "same")


def _rank(rank: Any) -> int:
    return v.choice("rank", rank, (1, 2, 3),
                    hint="rank=1 for ConvLSTM1D, 2 for ConvLSTM2D, 3 for ConvLSTM3D")


def _layout(rank: int, data_format: str) -> str:
    """``(batch_size, timesteps, rows, cols, channels)`` and the like, for messages."""
    axes = list(SPATIAL_AXES[rank])
    axes = axes + ["channels"] if data_format == "channels_last" else ["channels", *axes]
    return "(" + ", ".join(["batch_size", "timesteps", *axes]) + ")"


def _per_axis(name: str, value: Any, rank: int) -> tuple[int, ...]:
    """An int or a tuple/list of ``rank`` positive ints, as Keras accepts them."""
    if v.is_int(value):
        value = (value,) * rank
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"expected {name} to be an integer or a tuple of {rank} integers, "
                        f"got {value!r} of type {type(value).__name__}: pass for example "
                        f"{name}=3 or {name}={(3,) * rank}")
    if len(value) != rank:
        raise ValueError(f"expected {name} to have {rank} value(s), one per spatial axis of "
                         f"ConvLSTM{rank}D, got {tuple(value)!r}: pass one integer for every "
                         f"axis, for example {name}={(3,) * rank}")
    return tuple(v.positive_int(f"{name}[{i}]", size) for i, size in enumerate(value))


def _input_shape(input_shape: Any, rank: int, data_format: str) -> tuple:
    if type(input_shape).__name__ == "TensorShape" and callable(
            getattr(input_shape, "as_list", None)):
        input_shape = input_shape.as_list()
    layout = _layout(rank, data_format)
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"expected input_shape to be a tuple {layout}, got {input_shape!r} "
                        f"of type {type(input_shape).__name__}: pass for example "
                        f"{(None, 8) + (16,) * rank + (1,)}")
    ndim = rank + 3
    if len(input_shape) != ndim:
        if len(input_shape) == ndim - 1:
            fix = ("one axis is missing: for a batch of single frames (no time axis) add "
                   "one with x[:, None]; for one video (no batch axis) add one with x[None]; "
                   "or group the frames of each video into (batch_size, timesteps, ...)")
        elif len(input_shape) == ndim + 1:
            fix = ("one axis too many: keras.Input(shape=...) leaves out the batch axis, "
                   "so do not include the number of samples there")
        else:
            fix = f"reshape the data to {layout}"
        raise ValueError(f"expected a {ndim}-D input_shape {layout} for ConvLSTM{rank}D, got "
                         f"{tuple(input_shape)!r} with {len(input_shape)} dimension(s): {fix}")
    batch, steps = input_shape[:2]
    for axis, size in (("batch_size", batch), ("timesteps", steps)):
        if size is not None:
            v.positive_int(f"{axis} in input_shape", size,
                           hint="use a positive integer, or None when it is not known")
    rest = input_shape[2:]
    if data_format == "channels_last":
        spatial, channels = rest[:-1], rest[-1]
    else:
        spatial, channels = rest[1:], rest[0]
    names = SPATIAL_AXES[rank]
    for axis, size in zip(names, spatial, strict=True):
        if size is None:
            raise ValueError(f"expected known spatial sizes in input_shape {layout}, got "
                             f"{tuple(input_shape)!r}: ConvLSTM layers need every {axis} "
                             "size fixed (only batch_size and timesteps may be None)")
        v.positive_int(f"{axis} in input_shape", size)
    if channels is None:
        raise ValueError(f"expected a known channels size in input_shape {layout}, got "
                         f"{tuple(input_shape)!r}: give the channels axis its size, for "
                         "example 1 for grey frames")
    channels = v.positive_int("channels in input_shape", channels,
                              hint="the channels axis must be known, for example 1 for "
                                   "grey frames")
    return (batch, steps, tuple(int(s) for s in spatial), channels)


def _spatial_out(spatial, kernel, strides, dilation, padding, input_shape) -> tuple:
    out = []
    for size, k, s, d in zip(spatial, kernel, strides, dilation, strict=True):
        if padding == "same":
            out.append((size - 1) // s + 1)
            continue
        reach = d * (k - 1) + 1
        if reach > size:
            raise ValueError(f"expected each spatial size to be at least the kernel's reach "
                             f"(dilation_rate * (kernel_size - 1) + 1 = {reach}) with "
                             f"padding='valid', got input_shape {tuple(input_shape)!r}: use "
                             "padding='same', a smaller kernel_size or larger frames")
        out.append((size - reach) // s + 1)
    return tuple(out)


def convlstm_output_shape(
    input_shape: tuple,
    filters: int,
    kernel_size: int | tuple[int, ...],
    *,
    rank: int,
    strides: int | tuple[int, ...] = 1,
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: int | tuple[int, ...] = 1,
    return_sequences: bool = False,
    return_state: bool = False,
) -> Shape | tuple[Shape, ...]:
    """Predict what ``ConvLSTM1D``, ``ConvLSTM2D`` or ``ConvLSTM3D`` returns, without Keras.

    Each spatial axis shrinks as in a convolution: with ``padding="valid"`` a size ``n``
    becomes ``(n - dilation_rate * (kernel_size - 1) - 1) // strides + 1``; with
    ``padding="same"`` it becomes ``(n - 1) // strides + 1``. The channels axis becomes
    ``filters``. The time axis is kept only with ``return_sequences=True``.

    Parameters
    ----------
    input_shape : tuple
        ``(batch_size, timesteps, *spatial, channels)`` for ``"channels_last"``, or
        ``(batch_size, timesteps, channels, *spatial)`` for ``"channels_first"``, with
        ``rank`` spatial axes; ``None`` allowed for ``batch_size`` and ``timesteps`` only.
    filters : int
        The layer's ``filters``: the channels of its output and of both states.
    kernel_size, strides, dilation_rate : int or tuple of int
        One value for every spatial axis, or one integer for all of them.
    rank : {1, 2, 3}
        1 for ``ConvLSTM1D``, 2 for ``ConvLSTM2D``, 3 for ``ConvLSTM3D``.
    padding : {"valid", "same"}
        Case-insensitive, as in Keras.
    data_format : {"channels_last", "channels_first"}
        Where the channels axis sits, in the input and in every result.
    return_sequences : bool
        ``True``: the output of every timestep, with the time axis.
    return_state : bool
        Also return the final states ``h`` and ``c``, each shaped like one timestep
        of the output.

    Returns
    -------
    tuple
        One shape, or with ``return_state=True`` a tuple ``(output, h, c)`` of shapes,
        in Keras's order (Keras 3 returns a tuple of three tensors).

    Raises
    ------
    TypeError
        If a size is not an integer, a flag not a bool, or ``input_shape`` not a tuple.
    ValueError
        If ``input_shape`` does not have ``rank + 3`` axes, a spatial or channels size is
        unknown, a spatial axis is smaller than the kernel with ``padding="valid"``,
        ``strides`` and ``dilation_rate`` are both above 1, or an option is unknown.

    Examples
    --------
    >>> convlstm_output_shape((32, 8, 16, 16, 1), 4, 3, rank=2)
    (32, 14, 14, 4)
    >>> convlstm_output_shape((None, 8, 16, 16, 1), 4, 3, rank=2, padding="same",
    ...                       return_sequences=True)
    (None, 8, 16, 16, 4)
    >>> convlstm_output_shape((None, None, 1, 20), 6, 5, rank=1, strides=2,
    ...                       data_format="channels_first", return_state=True)
    ((None, 6, 8), (None, 6, 8), (None, 6, 8))
    """
    rank = _rank(rank)
    data_format = v.choice("data_format", data_format, DATA_FORMATS,
                           hint='use "channels_last" (the Keras default) or "channels_first"')
    if isinstance(padding, str):
        padding = padding.lower()
    padding = v.choice("padding", padding, PADDINGS,
                       hint='ConvLSTM layers accept "valid" or "same"')
    batch, steps, spatial, _ = _input_shape(input_shape, rank, data_format)
    filters = v.positive_int("filters", filters)
    kernel = _per_axis("kernel_size", kernel_size, rank)
    strides = _per_axis("strides", strides, rank)
    dilation = _per_axis("dilation_rate", dilation_rate, rank)
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(f"expected strides or dilation_rate to be 1, got strides={strides} "
                         f"and dilation_rate={dilation}: Keras refuses both above 1; keep "
                         "one of them at 1")
    return_sequences = v.flag("return_sequences", return_sequences)
    return_state = v.flag("return_state", return_state)

    out = _spatial_out(spatial, kernel, strides, dilation, padding, input_shape)
    frame = out + (filters,) if data_format == "channels_last" else (filters,) + out
    state = (batch, *frame)
    output = (batch, steps, *frame) if return_sequences else state
    return (output, state, state) if return_state else output


def convlstm_count_params(
    input_channels: int,
    filters: int,
    kernel_size: int | tuple[int, ...],
    *,
    rank: int,
    use_bias: bool = True,
) -> int:
    """Count the trainable weights of ``ConvLSTM1D``, ``ConvLSTM2D`` or ``ConvLSTM3D``.

    Like an LSTM, the layer has four weight blocks (three gates and the candidate).
    Each block has an input kernel ``(*kernel_size, input_channels, filters)``, a
    recurrent kernel ``(*kernel_size, filters, filters)`` (the same window, run over the
    hidden state) and a bias ``(filters,)``::

        4 * filters * (prod(kernel_size) * (input_channels + filters) + 1)

    The frame size, ``strides``, ``padding`` and ``dilation_rate`` do not change it.

    Parameters
    ----------
    input_channels : int
        Size of the input's channels axis.
    filters : int
        The layer's ``filters``.
    kernel_size : int or tuple of int
        One value per spatial axis, or one integer for all of them.
    rank : {1, 2, 3}
        1 for ``ConvLSTM1D``, 2 for ``ConvLSTM2D``, 3 for ``ConvLSTM3D``.
    use_bias : bool
        The layer's ``use_bias``; without it the ``+ 1`` goes.

    Returns
    -------
    int

    Examples
    --------
    >>> convlstm_count_params(1, 4, 3, rank=2)
    736
    >>> convlstm_count_params(2, 4, (3, 2), rank=2)
    592
    >>> convlstm_count_params(3, 8, 3, rank=3, use_bias=False)
    9504
    """
    rank = _rank(rank)
    channels = v.positive_int("input_channels", input_channels,
                              hint="the size of the input's channels axis, for example 1")
    filters = v.positive_int("filters", filters)
    kernel = _per_axis("kernel_size", kernel_size, rank)
    use_bias = v.flag("use_bias", use_bias)
    return WEIGHT_BLOCKS * filters * (math.prod(kernel) * (channels + filters) + int(use_bias))
