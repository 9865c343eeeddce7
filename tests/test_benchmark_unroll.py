"""Tests for companion.benchmark.unroll and its data file book/data/unroll.json.

No test asserts anything about a time: the file's timings are checked for their form
(enough interleaved runs, load recorded) and for verdicts that agree with
companion.benchmark.verdicts; the graph sizes are counts, the same on every run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion.benchmark import unroll
from companion.benchmark.runner import MIN_REPEATS
from companion.benchmark.verdicts import NO_DIFFERENCE, compare, ratio_range

DATA = Path(__file__).resolve().parents[1] / "book" / "data" / "unroll.json"
TIMING_KEYS = {"seconds", "seconds_all", "seconds_min", "seconds_max", "cpu_seconds",
               "cpu_seconds_all", "load_average"}


@pytest.fixture(scope="module")
def data():
    return json.loads(DATA.read_text())


def check_schema(content, *, min_repeats):
    """Assert the form of a data file written by run_unroll (shared by the file and a run)."""
    meta = content["meta"]
    assert meta["command"] == unroll.COMMAND
    assert meta["labels"] == list(unroll.LABELS)
    for key in ("load_average_start", "load_average_end"):
        assert len(meta[key]) == 3 and all(value >= 0 for value in meta[key])
    machine = meta["machine"]
    for key in ("cpu_model", "logical_cores", "keras", "tensorflow", "python", "numpy"):
        assert machine[key]
    settings = meta["settings"]
    assert [row["timesteps"] for row in content["trace"]] == settings["trace_timesteps"]
    assert [(row["step"], row["timesteps"]) for row in content["speed"]] == [
        (step, t) for step in settings["steps"] for t in settings["speed_timesteps"]]
    for row in content["trace"] + content["speed"]:
        for flag in ("unroll_true", "unroll_false"):
            timing = row[flag]
            assert TIMING_KEYS <= set(timing)
            assert len(timing["seconds_all"]) == len(timing["cpu_seconds_all"]) >= min_repeats
            assert all(value > 0 for value in timing["seconds_all"])
            assert len(timing["load_average"]) == 2
        assert len(row["ratio_range"]) == 3
        assert row["verdict"] in (*unroll.LABELS, NO_DIFFERENCE)
    for row in content["trace"]:
        for flag in ("True", "False"):
            sizes = row["graph"][flag]
            assert isinstance(sizes["operations"], int) and sizes["operations"] > 0
            assert isinstance(sizes["graph_bytes"], int) and sizes["graph_bytes"] > 0


def test_data_file_has_the_schema_the_chapter_reads(data):
    check_schema(data, min_repeats=MIN_REPEATS)


def test_data_file_has_at_least_five_interleaved_repeats(data):
    settings = data["meta"]["settings"]
    assert settings["trace_repeats"] >= MIN_REPEATS
    assert settings["speed_repeats"] >= MIN_REPEATS


def test_stored_verdicts_are_those_of_the_shared_verdict_functions(data):
    for row in data["trace"] + data["speed"]:
        trues = row["unroll_true"]["seconds_all"]
        falses = row["unroll_false"]["seconds_all"]
        assert row["verdict"] == compare(trues, falses, labels=unroll.LABELS)
        assert row["ratio_range"] == pytest.approx(list(ratio_range(trues, falses)))


def test_unrolled_graph_grows_with_timesteps_and_the_rolled_one_does_not(data):
    operations = {flag: [row["graph"][flag]["operations"] for row in data["trace"]]
                  for flag in ("True", "False")}
    assert operations["True"] == sorted(set(operations["True"]))
    assert len(set(operations["False"])) == 1


@pytest.mark.parametrize(("ratios", "expected"), [
    ((2.0, 1.5, 1.2, 1.1, 3.0), "unroll=True slower"),
    ((0.5, 0.9, 0.7, 0.8, 0.6), "unroll=True faster"),
    ((0.9, 1.1, 1.0, 0.8, 1.3), NO_DIFFERENCE),
], ids=["slower", "faster", "spread-covers-1"])
def test_record_calls_a_difference_only_outside_the_spread(ratios, expected):
    falses = [0.01 * (index + 1) for index in range(len(ratios))]
    timing = {flag: {"seconds_all": runs} for flag, runs in
              ((True, [r * f for r, f in zip(ratios, falses, strict=True)]), (False, falses))}
    record = unroll._record({"timesteps": 5}, timing)
    assert record["verdict"] == expected
    assert record["ratio_range"][0] == pytest.approx(min(ratios))


def test_command_line_needs_an_output_file(capsys):
    with pytest.raises(SystemExit) as exit_info:
        unroll.main([])
    assert exit_info.value.code == 2
    assert "--output" in capsys.readouterr().err


@pytest.mark.keras
def test_graph_sizes_in_the_file_are_what_the_pinned_stack_traces(data):
    import keras

    if keras.__version__ != data["meta"]["machine"]["keras"]:
        pytest.skip("the file was measured with another Keras release")
    first = data["trace"][0]
    settings = data["meta"]["settings"]
    for flag in (True, False):
        live = unroll.graph_size(flag, first["timesteps"], settings)
        assert live["operations"] == first["graph"][str(flag)]["operations"]


@pytest.mark.slow
@pytest.mark.keras
def test_a_small_run_writes_the_same_schema():
    small = {"trace_timesteps": [2, 3], "trace_repeats": 2, "speed_timesteps": [2],
             "speed_repeats": 2, "calls": 1, "units": 2, "batch_size": 2, "features": 2}
    check_schema(unroll.run_unroll(small), min_repeats=2)
