"""Tests for companion.conv_shapes: every rule is checked against Keras's ConvLSTM layers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.conv_shapes import convlstm_count_params, convlstm_output_shape


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@st.composite
def layers(draw):
    """A random ConvLSTM layer and an input shape it accepts."""
    rank = draw(st.sampled_from((1, 2, 3)))
    data_format = draw(st.sampled_from(("channels_last", "channels_first")))
    padding = draw(st.sampled_from(("valid", "same")))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    use_strides = draw(st.booleans())
    strides = tuple(draw(st.integers(1, 3)) if use_strides else 1 for _ in range(rank))
    dilation = tuple(1 if use_strides else draw(st.integers(1, 2)) for _ in range(rank))
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    spatial = tuple(draw(st.integers(r, 7)) for r in reach)
    channels = draw(st.integers(1, 3))
    frame = spatial + (channels,) if data_format == "channels_last" else (channels,) + spatial
    return dict(
        input_shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3))) + frame,
        filters=draw(st.integers(1, 4)), kernel_size=kernel, rank=rank, strides=strides,
        padding=padding, data_format=data_format, dilation_rate=dilation,
        return_sequences=draw(st.booleans()), return_state=draw(st.booleans()),
        use_bias=draw(st.booleans()),
    )


def shape_of(result):
    if isinstance(result, (list, tuple)):
        return tuple(tuple(t.shape) for t in result)
    return tuple(result.shape)


@pytest.mark.keras
@given(spec=layers())
def test_shapes_and_counts_match_keras_on_random_layers(keras, spec):
    spec = dict(spec)
    use_bias = spec.pop("use_bias")
    input_shape, rank = spec["input_shape"], spec["rank"]
    args = {k: val for k, val in spec.items() if k not in ("input_shape", "rank")}
    layer = getattr(keras.layers, f"ConvLSTM{rank}D")(use_bias=use_bias, **args)
    if spec["data_format"] == "channels_last":
        result = layer(np.zeros(input_shape, dtype="float32"))
    else:  # TensorFlow's CPU convolution runs NCHW only with oneDNN on: check it symbolically
        result = layer(keras.Input(input_shape[1:], batch_size=input_shape[0]))

    assert isinstance(result, tuple) == spec["return_state"]
    assert convlstm_output_shape(**spec) == shape_of(result)
    channel_axis = -1 if spec["data_format"] == "channels_last" else 2
    predicted = convlstm_count_params(input_shape[channel_axis], spec["filters"],
                                      spec["kernel_size"], rank=rank, use_bias=use_bias)
    assert predicted == layer.count_params()


@pytest.mark.keras
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_unknown_batch_and_timesteps_match_compute_output_shape(keras, rank):
    layer = getattr(keras.layers, f"ConvLSTM{rank}D")(2, 3, padding="same",
                                                        return_sequences=True)
    shape = (None, None) + (5,) * rank + (1,)
    assert convlstm_output_shape(shape, 2, 3, rank=rank, padding="same",
                                 return_sequences=True) == layer.compute_output_shape(shape)


@pytest.mark.keras
def test_keras_refuses_what_the_companion_refuses(keras):
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        keras.layers.ConvLSTM2D(2, 3)(np.zeros((1, 6, 6, 1), dtype="float32"))
    with pytest.raises(ValueError, match="expected a 5-D input_shape"):
        convlstm_output_shape((1, 6, 6, 1), 2, 3, rank=2)
    with pytest.raises(ValueError, match="zero or negative"):
        keras.layers.ConvLSTM2D(2, 7)(np.zeros((1, 2, 6, 6, 1), dtype="float32"))
    with pytest.raises(ValueError, match="kernel's reach"):
        convlstm_output_shape((1, 2, 6, 6, 1), 2, 7, rank=2)
    with pytest.raises(ValueError, match="strides > 1"):
        keras.layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="strides or dilation_rate to be 1"):
        convlstm_output_shape((1, 2, 9, 9, 1), 2, 3, rank=2, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="static"):
        keras.layers.ConvLSTM2D(2, 3)(keras.Input((4, None, 6, 1)))
    with pytest.raises(ValueError, match="known spatial sizes"):
        convlstm_output_shape((None, 4, None, 6, 1), 2, 3, rank=2)


@pytest.mark.parametrize("shape, match", [
    ((8, 16, 16, 1), r"no time axis\) add one with x\[:, None\]; for one video \(no batch axis\)"),
    ((1, 8, 8, 16, 16, 1), "leaves out the batch axis"),
    ((8, 16), "reshape the data"),
], ids=["no-time-axis", "batch-in-shape", "far-off"])
def test_wrong_rank_says_expected_received_and_fix(shape, match):
    with pytest.raises(ValueError, match=r"expected a 5-D input_shape \(batch_size, timesteps, "
                                         r"rows, cols, channels\)") as error:
        convlstm_output_shape(shape, 4, 3, rank=2)
    assert str(shape) in str(error.value)
    assert error.match(match)


def test_channels_first_layout_is_named_in_the_message():
    with pytest.raises(ValueError, match=r"\(batch_size, timesteps, channels, steps\)"):
        convlstm_output_shape((4, 1, 9), 2, 3, rank=1, data_format="channels_first")


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(rank=4), ValueError, "2 for ConvLSTM2D"),
    (dict(rank=2, padding="causal"), ValueError, '"valid" or "same"'),
    (dict(rank=2, data_format="NHWC"), ValueError, "channels_first"),
    (dict(rank=2, kernel_size=(3, 3, 3)), ValueError, "one per spatial axis"),
    (dict(rank=2, kernel_size=3.0), TypeError, "kernel_size=3"),
    (dict(rank=2, filters=0), ValueError, "filters"),
    (dict(rank=2, strides=(1, 0)), ValueError, r"strides\[1\]"),
    (dict(rank=2, return_sequences=1), TypeError, "return_sequences=True"),
    (dict(rank=2, input_shape="16x16"), TypeError, "input_shape"),
    (dict(rank=2, input_shape=(2, 8, 16, 16, None)), ValueError, "channels"),
], ids=["rank", "padding", "data-format", "kernel-length", "kernel-float", "filters",
        "zero-stride", "flag", "shape-string", "channels-none"])
def test_bad_arguments_are_refused_with_a_fix(kwargs, error, match):
    args = dict(input_shape=(2, 8, 16, 16, 1), filters=4, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        convlstm_output_shape(args.pop("input_shape"), args.pop("filters"),
                              args.pop("kernel_size"), **args)


def test_padding_is_case_insensitive_like_keras():
    assert convlstm_output_shape((2, 3, 9, 9, 1), 4, 3, rank=2, padding="SAME") == (2, 9, 9, 4)


def test_return_state_gives_a_tuple_of_output_h_and_c():
    result = convlstm_output_shape((2, 3, 9, 9, 1), 4, 3, rank=2, return_sequences=True,
                                   return_state=True)
    assert type(result) is tuple
    assert result == ((2, 3, 7, 7, 4), (2, 7, 7, 4), (2, 7, 7, 4))


def test_count_does_not_depend_on_frame_size_and_refuses_bad_input():
    assert convlstm_count_params(1, 4, 3, rank=2) == 4 * 4 * (9 * (1 + 4) + 1)
    with pytest.raises(TypeError, match="use_bias=True"):
        convlstm_count_params(1, 4, 3, rank=2, use_bias="yes")
    with pytest.raises(ValueError, match="input_channels"):
        convlstm_count_params(0, 4, 3, rank=2)
