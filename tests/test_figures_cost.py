"""Tests for companion.figures.cost: what the log-log and breakdown figures draw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from companion.benchmark import Benchmark, load_benchmark
from companion.figures import BookFigure, cost_scaling_figure, step_breakdown_figure

DATA = Path(__file__).resolve().parents[1] / "companion" / "data" / "cost.json"


@pytest.fixture(scope="module")
def bench():
    return load_benchmark(DATA)


@pytest.mark.parametrize("vary", ["timesteps", "units", "batch_size"])
def test_scaling_figure_draws_each_layer_and_flag_on_log_log_axes(bench, vary):
    fig = cost_scaling_figure(bench, vary=vary)
    assert isinstance(fig, BookFigure)
    assert len(fig.axes) == 2  # forward and training panels
    for ax, step in zip(fig.axes, ("forward", "training"), strict=True):
        assert (ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()) == ("log", "log", vary)
        assert len(ax.lines) == 6
        assert [line.get_linestyle() for line in ax.lines] == ["-", "--"] * 3
        first = ax.lines[0]
        xs, ys = bench.series(vary, layer="LSTM", return_sequences=True, step=step)
        assert first.get_xdata().tolist() == xs
        assert np.allclose(first.get_ydata(), np.asarray(ys) * 1e3)


@pytest.mark.parametrize("step", ["forward", "training"])
def test_scaling_error_bars_span_the_fastest_to_the_slowest_run(bench, step):
    fig = cost_scaling_figure(bench, vary="timesteps", steps=(step,))
    ax = fig.axes[0]
    assert len(ax.containers) == 6  # one error-bar container per layer and flag
    _, ranges = bench.series_spread("timesteps", layer="GRU", return_sequences=False,
                                    step=step)
    bars = ax.containers[3].lines[2][0].get_segments()  # GRU, False: the fourth series
    assert np.allclose([segment[0][1] for segment in bars], [low * 1e3 for low, _, _ in ranges])
    assert np.allclose([segment[1][1] for segment in bars],
                       [high * 1e3 for _, _, high in ranges])


def test_scaling_alt_text_states_the_fitted_slopes_to_one_decimal(bench):
    fig = cost_scaling_figure(bench, steps=("forward",))
    slope = bench.slope("timesteps", layer="GRU", return_sequences=False)
    assert f"GRU False {slope:.1f}" in fig.alt_text
    assert fig.alt_text.startswith("Log-log plot of the median time")
    assert "error bars from the fastest to the slowest run" in fig.alt_text


def test_breakdown_draws_whole_and_parts_side_by_side_with_error_bars(bench):
    fig = step_breakdown_figure(bench)
    ax = fig.axes[0]
    heads = [label.get_text() for label in ax.get_yticklabels()]
    assert len(heads) == 3
    bars = ax.patches
    assert len(bars) == 9 and all(bar.get_x() == 0 for bar in bars)  # none stacked
    full = sorted(bar.get_width() for bar in bars[:3])
    assert np.allclose(full, sorted(np.median(bench.breakdown_runs(h, "full")) * 1e3
                                    for h in heads))
    errorbars = [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    assert len(errorbars) == 3
    segments = errorbars[1].lines[2][0].get_segments()  # the LSTM-alone bars
    highs = sorted(segment[1][0] for segment in segments)
    assert np.allclose(highs, sorted(max(bench.breakdown_runs(h, "recurrent")) * 1e3
                                     for h in heads))
    assert "error bars from the fastest to the slowest run" in fig.alt_text


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda b: cost_scaling_figure({"meta": {}}), TypeError, "load_benchmark"),
    (lambda b: cost_scaling_figure(b, vary="features"), ValueError, "vary"),
    (lambda b: cost_scaling_figure(b, steps="forward"), TypeError, "steps="),
    (lambda b: step_breakdown_figure(Benchmark({**b.__dict__, "breakdown": []})), ValueError,
     "breakdown"),
], ids=["not-a-benchmark", "bad-vary", "steps-as-str", "no-breakdown"])
def test_figures_reject_bad_input_with_a_fix(bench, call, error, match):
    with pytest.raises(error, match=match):
        call(bench)
