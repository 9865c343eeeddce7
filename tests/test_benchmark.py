"""Tests for companion.benchmark: the FLOP model, verdicts, the data file and its loader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import companion
from companion.benchmark import Benchmark, load_benchmark, loglog_slope, output_bytes
from companion.benchmark import recurrent_flops as flops
from companion.benchmark.flops import BLOCKS, ELEMENTWISE, TRAINING_FACTOR
from companion.benchmark.runner import GRIDS, MIN_REPEATS, configurations
from companion.benchmark.verdicts import (
    compare,
    compare_ranges,
    difference_range,
    parts_verdict,
    ratio_range,
    spread,
    trend,
)

DATA = Path(__file__).resolve().parents[1] / "companion" / "data" / "cost.json"
LAYERS = ("LSTM", "GRU", "SimpleRNN")
#: Bias vectors of each layer, in units: GRU has two by default (reset_after=True).
BIASES = {"LSTM": 4, "GRU": 6, "SimpleRNN": 1}
sizes = st.integers(min_value=1, max_value=300)


def synthetic(exponent: float = 1.0, *, ratio: float = 1.5,
              jitter: tuple[float, ...] = (0.95, 1.0, 1.05, 0.98, 1.02)) -> Benchmark:
    """A small benchmark whose time grows as timesteps ** exponent, runs scaled by jitter."""
    base = {"batch_size": 4, "timesteps": 10, "features": 2, "units": 3}
    rows = []
    for layer in LAYERS:
        for flag in (True, False):
            for step in ("forward", "training"):
                for t in (10, 100, 1000):
                    seconds = 1e-4 * t**exponent * (ratio if flag else 1.0)
                    rows.append({**base, "timesteps": t, "layer": layer, "step": step,
                                 "return_sequences": flag, "device": "CPU", "fused": None,
                                 "seconds": seconds,
                                 "seconds_all": [seconds * k for k in
                                                 (jitter if flag else jitter[::-1])]})
    return Benchmark({"meta": {"grid": {"base": base},
                               "matmul_peak": [{"device": "CPU", "flops_per_second": 1e9}]},
                      "records": rows, "breakdown": []})


# --- FLOP model -------------------------------------------------------------------------


@pytest.mark.parametrize(("layer", "expected"), [
    ("LSTM", 2 * 4 * 3 * (2 + 3) + 17 * 3),
    ("GRU", 2 * 3 * 3 * (2 + 3) + 17 * 3),
    ("SimpleRNN", 2 * 1 * 3 * (2 + 3) + 3 * 3),
], ids=LAYERS)
def test_one_sample_one_step_counts_products_and_elementwise_work(layer, expected):
    assert flops(layer, batch_size=1, timesteps=1, features=2, units=3) == expected


@given(layer=st.sampled_from(LAYERS), features=sizes, units=sizes)
def test_matrix_products_cost_two_flops_per_weight_that_is_not_a_bias(layer, features, units):
    # Cross-check against the parameter count: each kernel weight is one multiply-add
    # per sample and timestep.
    weights = companion.count_params(features, units, layer=layer) - BIASES[layer] * units
    per_step = flops(layer, batch_size=1, timesteps=1, features=features, units=units)
    assert per_step - ELEMENTWISE[layer] * units == 2 * weights


@given(layer=st.sampled_from(LAYERS), batch=sizes, steps=sizes, units=sizes)
def test_flops_grow_linearly_with_batch_size_and_timesteps(layer, batch, steps, units):
    one = flops(layer, batch_size=1, timesteps=1, features=8, units=units)
    assert flops(layer, batch_size=batch, timesteps=steps, features=8, units=units) == (
        batch * steps * one)
    training = flops(layer, batch_size=batch, timesteps=steps, features=8, units=units,
                     training=True)
    assert training == TRAINING_FACTOR * batch * steps * one


def test_gated_layers_cost_their_blocks_times_simple_rnn_in_products():
    products = {layer: flops(layer, batch_size=1, timesteps=1, features=5, units=7)
                - ELEMENTWISE[layer] * 7 for layer in LAYERS}
    assert {layer: products[layer] // products["SimpleRNN"] for layer in LAYERS} == BLOCKS


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"layer": "Dense"}, ValueError, "layer"),
    ({"units": 0}, ValueError, "units"),
    ({"timesteps": 2.5}, TypeError, "timesteps"),
    ({"training": 1}, TypeError, "training=True"),
], ids=["not-recurrent", "zero-units", "float-timesteps", "int-flag"])
def test_flops_reject_bad_input_with_a_fix(kwargs, error, match):
    args = {"layer": "LSTM", "batch_size": 2, "timesteps": 3, "features": 4, "units": 5}
    with pytest.raises(error, match=match):
        flops(**{**args, **kwargs})


@given(batch=sizes, steps=sizes, units=sizes)
def test_returned_sequence_is_timesteps_times_the_last_state(batch, steps, units):
    full = output_bytes(batch_size=batch, timesteps=steps, units=units, return_sequences=True)
    last = output_bytes(batch_size=batch, timesteps=steps, units=units, return_sequences=False)
    assert (full, last) == (steps * last, batch * units * 4)


# --- verdicts: a difference only outside the spread ------------------------------------


@pytest.mark.parametrize(("true_runs", "false_runs", "expected"), [
    ([2.0, 2.2, 2.1, 2.3, 2.05], [1.0, 1.1, 1.2, 1.05, 1.15], "True slower"),
    ([1.0, 1.1, 1.2, 1.05, 1.15], [2.0, 2.2, 2.1, 2.3, 2.05], "True faster"),
    ([1.0, 1.5, 1.2, 1.3, 1.4], [1.1, 1.4, 1.3, 1.2, 1.5], "no difference"),
    ([1.0, 3.0, 1.1, 1.0, 1.2], [1.5, 1.6, 1.4, 1.5, 1.6], "no difference"),
    ([1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0], "no difference"),
    ([1.1, 2.2, 3.3, 1.1, 2.2], [1.0, 2.0, 3.0, 1.0, 2.0], "True slower"),
], ids=["separated-slower", "separated-faster", "ratios-either-side", "one-outlier-round",
        "equal", "same-load-drift-in-both"])
def test_compare_calls_a_difference_only_when_every_paired_ratio_is_on_one_side(
        true_runs, false_runs, expected):
    assert compare(true_runs, false_runs) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ([2.0, 2.5, 2.2], [1.0, 1.5, 1.2], "first slower"),
    ([1.0, 1.5], [2.0, 2.5, 2.2], "first faster"),
    ([1.0, 2.0, 1.5], [1.9, 3.0], "no difference"),
], ids=["apart-slower", "apart-faster", "overlapping"])
def test_compare_ranges_needs_ranges_that_do_not_overlap(a, b, expected):
    assert compare_ranges(a, b) == expected


times = st.integers(min_value=1, max_value=1000).map(lambda n: n / 100)


@given(pairs=st.lists(st.tuples(times, times), min_size=1, max_size=12))
def test_ratio_range_excludes_one_exactly_when_compare_calls_a_difference(pairs):
    true_runs, false_runs = [t for t, _ in pairs], [f for _, f in pairs]
    low, mid, high = ratio_range(true_runs, false_runs)
    assert low <= mid <= high
    verdict = compare(true_runs, false_runs)
    assert (verdict == "True slower") == (low > 1)
    assert (verdict == "True faster") == (high < 1)


@given(runs=st.lists(st.floats(0.0, 1e3), min_size=1, max_size=20))
def test_spread_orders_min_median_max(runs):
    low, mid, high = spread(runs)
    assert low <= mid <= high and (low, high) == (min(runs), max(runs))


@pytest.mark.parametrize(("ranges", "expected"), [
    ([(1, 2), (3, 4), (5, 6)], "rising"),
    ([(5, 6), (3, 4), (1, 2)], "falling"),
    ([(1, 3), (2, 4), (5, 6)], "no trend"),
    ([(1, 2), (3, 4), (2.5, 3.5)], "no trend"),
    ([(1, 1.5, 2), (1.8, 2.0, 3)], "no trend"),
], ids=["rising", "falling", "first-two-overlap", "turns-back", "overlap-with-median"])
def test_trend_needs_every_range_clear_of_the_one_before(ranges, expected):
    assert trend(ranges) == expected


def test_parts_verdict_says_when_parts_measured_alone_exceed_the_whole():
    whole = [23.0, 24.0, 26.0]
    assert parts_verdict(whole, [29.0, 31.0, 30.0], [0.8, 1.4, 1.0]) == (
        "parts exceed the whole")
    assert parts_verdict(whole, [10.0, 12.0, 11.0], [1.0, 2.0, 1.0]) == (
        "parts fall short of the whole")
    assert parts_verdict(whole, [22.0, 24.0, 23.0], [1.0, 1.0, 1.0]) == "adds up"


def test_difference_range_spans_zero_when_the_paired_differences_change_sign():
    low, mid, high = difference_range([30.0, 31.0, 33.0], [31.0, 30.0, 32.0])
    assert (low, mid, high) == (-1.0, 1.0, 1.0)
    assert difference_range([30.0, 31.0], [29.0, 30.0])[0] > 0


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: spread([]), ValueError, "at least one"),
    (lambda: spread("1.0"), TypeError, "sequence of times"),
    (lambda: compare([1.0], [float("nan")]), ValueError, "finite"),
    (lambda: trend([(1, 2)]), ValueError, "at least two"),
    (lambda: parts_verdict([1.0]), ValueError, "part"),
    (lambda: ratio_range([1.0, 2.0], [1.0]), ValueError, "same rounds"),
], ids=["empty", "string", "nan", "one-range", "no-parts", "unpaired"])
def test_verdicts_reject_what_they_cannot_judge(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_benchmark_compare_reads_the_runs_of_both_flags():
    result = synthetic(ratio=1.5).compare(layer="GRU", step="training", timesteps=100)
    assert result["verdict"] == "True slower"
    assert result["ratio"][1] == pytest.approx(1.5, rel=0.05)
    close = synthetic(ratio=1.02).compare(layer="GRU", timesteps=100)
    assert close["verdict"] == "no difference"


def test_slope_range_brackets_the_slope_through_the_medians():
    bench = synthetic(exponent=1.0, jitter=(0.9, 1.0, 1.1, 1.0, 1.0))
    low, mid, high = bench.slope_range("timesteps", layer="LSTM", return_sequences=True)
    assert low <= mid <= high and mid == pytest.approx(1.0)


# --- log-log slopes and the loader ------------------------------------------------------


@given(exponent=st.floats(min_value=-2, max_value=3), scale=st.floats(min_value=1e-6,
                                                                      max_value=1e3))
def test_loglog_slope_recovers_the_exponent_of_a_power_law(exponent, scale):
    x = np.array([10.0, 30.0, 100.0, 1000.0])
    assert loglog_slope(x, scale * x**exponent) == pytest.approx(exponent, abs=1e-6)


@pytest.mark.parametrize(("x", "y", "match"), [
    ([1, 2], [1], "same length"),
    ([1, 2], [0, 1], "positive"),
    ([3, 3], [1, 2], "different x"),
], ids=["lengths", "zero", "one-x"])
def test_loglog_slope_rejects_what_it_cannot_fit(x, y, match):
    with pytest.raises(ValueError, match=match):
        loglog_slope(x, y)


def test_series_holds_the_other_sizes_at_base_and_sorts_by_the_varied_one():
    bench = synthetic(exponent=0.5)
    xs, ys = bench.series("timesteps", layer="GRU", return_sequences=False, step="training")
    assert xs == [10, 100, 1000]
    assert ys == pytest.approx([1e-4 * t**0.5 for t in xs])
    assert bench.slope("timesteps", layer="GRU", return_sequences=False) == pytest.approx(0.5)


def test_ratio_divides_true_by_false_at_one_configuration():
    assert synthetic(ratio=1.5).ratio(layer="SimpleRNN", timesteps=1000) == pytest.approx(1.5)


def test_ratio_names_the_fix_when_a_size_was_not_measured():
    with pytest.raises(ValueError, match="measured in the grid"):
        synthetic().ratio(layer="LSTM", timesteps=7)


def test_series_rejects_a_size_that_does_not_vary():
    with pytest.raises(ValueError, match='vary="timesteps"'):
        synthetic().series("features", layer="LSTM", return_sequences=True)


def test_load_benchmark_says_how_to_regenerate_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="python -m companion.benchmark"):
        load_benchmark(tmp_path / "cost.json")


def test_benchmark_rejects_content_that_is_not_a_data_file():
    with pytest.raises(ValueError, match="'meta' and 'records'"):
        Benchmark({"records": []})


# --- the committed data file ------------------------------------------------------------


@pytest.fixture(scope="module")
def committed():
    return load_benchmark(DATA)


def test_data_file_records_machine_versions_and_load(committed):
    meta = committed.meta
    assert isinstance(meta["preliminary"], bool)
    assert meta["machine"]["cpu_model"] and meta["machine"]["logical_cores"] >= 1
    assert {"tensorflow", "keras", "numpy", "python"} <= set(meta["machine"])
    assert len(meta["load_average_start"]) == len(meta["load_average_end"]) == 3
    assert committed.matmul_peak > 0


def test_data_file_measures_every_configuration_of_its_grid_with_both_flags(committed):
    grid = GRIDS[committed.meta["grid_name"]]
    cpu = committed.select(device="CPU")
    assert len(cpu) == len(configurations(grid)) * len(grid["layers"]) * 2 * 2
    for config in configurations(grid):
        for layer in grid["layers"]:
            assert len(committed.select(device="CPU", layer=layer, **config)) == 4


def test_data_file_keeps_at_least_five_runs_and_the_load_of_every_point(committed):
    for row in [*committed.records, *committed.breakdown]:
        runs = row["seconds_all"]
        assert len(runs) >= MIN_REPEATS and all(run > 0 for run in runs)
        assert row["seconds"] == pytest.approx(float(np.median(runs)))
        assert row["seconds_min"] == min(runs) and row["seconds_max"] == max(runs)
        assert len(row["load_average"]) == 2 and all(load >= 0 for load in row["load_average"])
    for row in committed.records:
        assert len(row["cpu_seconds_all"]) == len(row["seconds_all"])


def test_data_file_flops_follow_the_flop_model(committed):
    for record in committed.records:
        sizes = {k: record[k] for k in ("batch_size", "timesteps", "features", "units")}
        assert record["flops"] == flops(record["layer"], training=record["step"] == "training",
                                        **sizes)


def test_data_file_breaks_each_head_into_full_recurrent_and_head(committed):
    parts = {(row["head"], row["part"]) for row in committed.breakdown}
    heads = {head for head, _ in parts}
    assert len(heads) == 3 and parts == {(h, p) for h in heads
                                         for p in ("full", "recurrent", "head")}


# --- the runner -------------------------------------------------------------------------


def test_command_line_writes_what_run_benchmark_returns(tmp_path, monkeypatch):
    from companion.benchmark import __main__ as cli
    from companion.benchmark import runner

    fake = {"meta": {"wall_seconds": 1.0}, "records": [], "breakdown": []}
    monkeypatch.setattr(runner, "run_benchmark", lambda **kwargs: fake)
    target = tmp_path / "sub" / "cost.json"
    assert cli.main(["--output", str(target), "--quick", "--no-gpu"]) == 0
    assert json.loads(target.read_text()) == fake


def test_time_interleaved_alternates_the_order_of_the_variants():
    from companion.benchmark.measure import time_interleaved

    calls = []
    time_interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                     repeats=4)
    assert calls == ["a", "b"] + ["a", "b", "b", "a"] * 2  # warm-ups, then the rounds


def test_time_interleaved_rejects_a_repeat_count_that_is_not_positive():
    from companion.benchmark.measure import time_interleaved

    with pytest.raises(ValueError, match="repeats=7"):
        time_interleaved({"a": lambda: 1}, repeats=0)


def test_every_grid_repeats_each_point_at_least_five_times():
    assert all(grid["repeats"] >= MIN_REPEATS for grid in GRIDS.values())


@pytest.mark.keras
@pytest.mark.parametrize("step", ["forward", "training"])
def test_measure_pair_times_both_flags_after_a_warm_up(step):
    from companion.benchmark.measure import measure_pair

    result = measure_pair("GRU", step=step, batch_size=2, timesteps=3, features=2, units=4,
                          repeats=2)
    assert sorted(result) == [False, True]
    for timing in result.values():
        assert len(timing["seconds_all"]) == 2
        assert timing["seconds"] == pytest.approx(float(np.median(timing["seconds_all"])))


@pytest.mark.keras
@pytest.mark.slow
def test_breakdown_times_full_recurrent_and_head_parts():
    from companion.benchmark.measure import measure_breakdown

    parts = measure_breakdown("every step, Dense(vocabulary)", batch_size=2, timesteps=3,
                              features=2, units=4, vocabulary=5, repeats=1)
    assert sorted(parts) == ["full", "head", "recurrent"]
    assert all(part["seconds"] > 0 for part in parts.values())
