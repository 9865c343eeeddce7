"""Tests for companion.figures.bridges: the weight layout and the Keras/PyTorch returns."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.image import imread
from matplotlib.patches import Rectangle

import companion
from companion.figures import BookFigure, kernel_layout_figure, torch_returns_figure


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_are_exported_from_the_package():
    assert companion.kernel_layout_figure is kernel_layout_figure
    assert companion.torch_returns_figure is torch_returns_figure


@pytest.mark.parametrize(("layer", "gates", "labels"), [
    ("LSTM", 4, ["i", "f", "c", "o"]), ("GRU", 3, ["z", "r", "h"]),
    ("SimpleRNN", 1, ["h"])], ids=["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize(("features", "units"), [(1, 1), (3, 2), (6, 4)])
def test_kernel_layout_draws_one_cell_per_weight_in_keras_gate_order(layer, gates, labels,
                                                                       features, units):
    fig = kernel_layout_figure(layer, features=features, units=units)
    bias_rows = 2 if layer == "GRU" else 1
    cells = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(cells) == (features + units + bias_rows) * gates * units
    assert [t for t in texts(fig) if len(t) == 1] == labels
    width = gates * units
    assert f"kernel\n({features}, {width})" in texts(fig)
    assert f"recurrent_kernel\n({units}, {width})" in texts(fig)


def test_gru_with_reset_before_has_a_single_bias_row():
    fig = kernel_layout_figure("GRU", reset_after=False)
    assert fig.axes[0].get_title().endswith("bias (6,)")
    assert "two rows" not in fig.alt_text
    assert "two rows" in kernel_layout_figure("GRU").alt_text


@pytest.mark.parametrize(("layer", "bidirectional", "expected"), [
    ("LSTM", False, ["h_n[0]", "c_n[0]"]),
    ("GRU", False, ["h_n[0]"]),
    ("SimpleRNN", True, ["h_n[0]", "h_n[1]"]),
    ("LSTM", True, ["h_n[0]", "c_n[0]", "h_n[1]", "c_n[1]"]),
])
def test_returns_figure_links_each_keras_state_to_its_row_of_h_n(layer, bidirectional,
                                                                 expected):
    fig = torch_returns_figure(layer, bidirectional=bidirectional)
    assert [t for t in texts(fig) if t.endswith("]")] == expected
    for index in expected:
        assert f" is {index}" in fig.alt_text
    directions = 2 if bidirectional else 1
    assert f"h_n ({directions}, batch_size, units)" in texts(fig)
    assert ("c_n" in fig.alt_text) is (layer == "LSTM")


@pytest.mark.parametrize("make", [lambda: kernel_layout_figure("GRU", features=6, units=4),
                                  lambda: torch_returns_figure("LSTM", bidirectional=True)],
                         ids=["layout", "returns"])
def test_png_is_deterministic_and_not_blank(make):
    fig = make()
    assert isinstance(fig, BookFigure) and fig.alt_text.endswith(".")
    assert fig.to_png() == make().to_png()
    image = imread(io.BytesIO(fig.to_png()), format="png")
    assert float(image[..., :3].std()) > 0.05 and np.allclose(image[0, 0, :3], 1.0)


BAD_CALLS = {
    "layer": (lambda: kernel_layout_figure("Dense"), ValueError, "layer"),
    "units-big": (lambda: kernel_layout_figure(units=5), ValueError, "at most 4"),
    "features-zero": (lambda: kernel_layout_figure(features=0), ValueError, "features"),
    "units-float": (lambda: kernel_layout_figure(units=2.0), TypeError, "units"),
    "reset-int": (lambda: kernel_layout_figure("GRU", reset_after=1), TypeError,
                  "reset_after"),
    "returns-layer": (lambda: torch_returns_figure("Conv1D"), ValueError, "layer"),
    "bidirectional-str": (lambda: torch_returns_figure(bidirectional="yes"), TypeError,
                          "bidirectional"),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_arguments_raise_clear_errors(name):
    call, error, match = BAD_CALLS[name]
    with pytest.raises(error, match=match) as info:
        call()
    assert "got" in str(info.value)
