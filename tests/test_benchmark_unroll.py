"""Tests for companion.benchmark.unroll and its data file companion/data/unroll.json.

No test asserts anything about a time: the file's timings are checked for their form
(enough interleaved runs, load recorded) and for verdicts that agree with
companion.benchmark.verdicts; the graph sizes are counts, the same on every run. The
memory part is checked the same way (form, verdicts), never for a number of KiB, and
run_memory's rounds and verdicts with a stand-in for the fresh processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion.benchmark import unroll
from companion.benchmark.runner import MIN_REPEATS
from companion.benchmark.verdicts import NO_DIFFERENCE, compare, ratio_range

DATA = Path(__file__).resolve().parents[1] / "companion" / "data" / "unroll.json"
TIMING_KEYS = {"seconds", "seconds_all", "seconds_min", "seconds_max", "cpu_seconds",
               "cpu_seconds_all", "load_average"}


@pytest.fixture(scope="module")
def data():
    return json.loads(DATA.read_text())


def recorded_command(meta):
    """The command a data file records, as it reads now: files measured before the data
    moved into the package (issue 25) record their output under book/data/."""
    return meta["command"].replace("--output book/data/", "--output companion/data/")


def check_schema(content, *, min_repeats):
    """Assert the form of a data file written by run_unroll (shared by the file and a run)."""
    meta = content["meta"]
    assert recorded_command(meta) == unroll.COMMAND
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


# The memory part: peak resident memory of fresh processes, unroll=True next to False.

MEMORY_KEYS = {"baseline_kib", "forward_peak_kib", "training_peak_kib"}


def check_memory_schema(memory, *, min_repeats):
    """Assert the form of the memory part written by run_memory (file and small runs)."""
    meta = memory["meta"]
    assert recorded_command(meta) == f"{unroll.COMMAND} --only memory"
    assert meta["labels"] == list(unroll.MEMORY_LABELS)
    assert meta["unit"] == "KiB"
    for key in ("load_average_start", "load_average_end"):
        assert len(meta[key]) == 3 and all(value >= 0 for value in meta[key])
    settings = meta["settings"]
    assert settings["repeats"] >= min_repeats
    assert [row["timesteps"] for row in memory["rows"]] == settings["timesteps"]
    for row in memory["rows"]:
        for flag in ("unroll_true", "unroll_false"):
            runs = row[flag]
            assert set(runs) == {"baseline_kib", *(f"{s}_peak_kib" for s in settings["steps"])}
            assert all(len(values) == settings["repeats"] for values in runs.values())
            assert all(isinstance(value, int) and value > 0
                       for values in runs.values() for value in values)
            for step in settings["steps"]:  # a peak never falls below an earlier reading
                assert all(share >= 0 for share in unroll.model_share(runs, step))
        for step in settings["steps"]:
            assert len(row[step]["ratio_range"]) == 3
            assert row[step]["verdict"] in (*unroll.MEMORY_LABELS, NO_DIFFERENCE)


def test_memory_part_has_the_schema_the_chapter_reads(data):
    check_memory_schema(data["memory"], min_repeats=3)


def test_memory_part_is_measured_on_the_stack_of_the_timings(data):
    machine, memory_machine = data["meta"]["machine"], data["memory"]["meta"]["machine"]
    for key in ("cpu_model", "keras", "tensorflow", "python"):
        assert memory_machine[key] == machine[key]


def test_memory_part_is_the_model_of_the_timings(data):
    settings = data["memory"]["meta"]["settings"]
    for key in ("layer", "batch_size", "features", "units", "calls"):
        assert settings[key] == data["meta"]["settings"][key]


def test_stored_memory_verdicts_are_those_of_the_shared_verdict_function(data):
    for row in data["memory"]["rows"]:
        for step in data["memory"]["meta"]["settings"]["steps"]:
            trues = unroll.model_share(row["unroll_true"], step)
            falses = unroll.model_share(row["unroll_false"], step)
            assert row[step]["verdict"] == compare(trues, falses, labels=unroll.MEMORY_LABELS)
            assert row[step]["ratio_range"] == pytest.approx(list(ratio_range(trues, falses)))


def fake_measure(shares, calls=None):
    """A stand-in for a fresh process: a share in KiB per (unroll, timesteps), in turn."""
    counters = {}

    def measure(flag, timesteps, settings):
        if calls is not None:
            calls.append((flag, timesteps))
        index = counters.get((flag, timesteps), 0)
        counters[(flag, timesteps)] = index + 1
        share = shares[(flag, timesteps)][index]
        return {"baseline_kib": 500_000 + index, "forward_peak_kib": 500_000 + index + share,
                "training_peak_kib": 500_000 + index + 2 * share}

    return measure


def test_run_memory_interleaves_the_settings_and_reverses_the_order_every_other_round():
    calls = []
    shares = {(flag, t): [1000, 1000, 1000] for flag in (True, False) for t in (5, 20)}
    memory = unroll.run_memory({"timesteps": [5, 20], "repeats": 3},
                               measure=fake_measure(shares, calls))
    assert calls == [(False, 5), (True, 5), (True, 5), (False, 5), (False, 5), (True, 5),
                     (False, 20), (True, 20), (True, 20), (False, 20), (False, 20), (True, 20)]
    check_memory_schema(memory, min_repeats=3)


@pytest.mark.parametrize(("true_shares", "expected"), [
    ((1300, 1250, 1400), "unroll=True larger"),
    ((900, 800, 950), "unroll=True smaller"),
    ((1100, 950, 1000), NO_DIFFERENCE),
], ids=["larger", "smaller", "spread-covers-1"])
def test_run_memory_calls_a_difference_only_outside_the_spread(true_shares, expected):
    shares = {(True, 5): list(true_shares), (False, 5): [1000, 1000, 1000]}
    memory = unroll.run_memory({"timesteps": [5], "repeats": 3}, measure=fake_measure(shares))
    row = memory["rows"][0]
    assert row["forward"]["verdict"] == row["training"]["verdict"] == expected
    assert row["forward"]["ratio_range"] == pytest.approx(
        [min(true_shares) / 1000, sorted(true_shares)[1] / 1000, max(true_shares) / 1000])


def test_model_share_subtracts_each_runs_own_baseline():
    runs = {"baseline_kib": [100, 90], "training_peak_kib": [150, 150]}
    assert unroll.model_share(runs, "training") == [50, 60]


def test_merge_keeps_the_part_that_was_not_measured():
    timing = {"meta": {"wall_seconds": 20}, "trace": [1], "speed": [2]}
    old_memory, new_memory = {"rows": ["old"]}, {"rows": ["new"]}
    merged = unroll.merge_part({**timing, "memory": old_memory}, "memory", new_memory)
    assert merged == {**timing, "memory": new_memory}
    new_timing = {"meta": {"wall_seconds": 30}, "trace": [3], "speed": [4]}
    merged = unroll.merge_part({**timing, "memory": old_memory}, "timing", new_timing)
    assert merged == {**new_timing, "memory": old_memory}
    with pytest.raises(ValueError, match="one of"):
        unroll.merge_part(timing, "speed", new_timing)


def test_only_memory_rewrites_the_memory_part_and_keeps_the_timings(tmp_path, monkeypatch,
                                                                    data):
    path = tmp_path / "unroll.json"
    path.write_text(json.dumps({key: data[key] for key in ("meta", "trace", "speed")}))
    fake = unroll.run_memory({"timesteps": [5], "repeats": 3},
                             measure=fake_measure({(f, 5): [10, 10, 10] for f in (True, False)}))
    monkeypatch.setattr(unroll, "run_memory", lambda **options: fake)
    monkeypatch.setattr(unroll, "machine_info", lambda: {"cpu_model": "test"})
    assert unroll.main(["--output", str(path), "--only", "memory"]) == 0
    written = json.loads(path.read_text())
    assert {key: written[key] for key in ("meta", "trace", "speed")} == {
        key: data[key] for key in ("meta", "trace", "speed")}
    assert written["memory"]["rows"] == fake["rows"]
    assert written["memory"]["meta"]["machine"] == {"cpu_model": "test"}


def test_only_needs_an_existing_file_to_merge_into(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        unroll.main(["--output", str(tmp_path / "missing.json"), "--only", "memory"])
    assert exit_info.value.code == 2
    assert "run once without --only" in capsys.readouterr().err


@pytest.mark.keras
def test_memory_point_reads_a_baseline_then_peaks_that_never_fall():
    tiny = {"units": 2, "batch_size": 2, "features": 2, "calls": 1}
    readings = unroll.memory_point(True, 2, tiny)
    assert set(readings) == MEMORY_KEYS
    assert 0 < readings["baseline_kib"] <= readings["forward_peak_kib"] <= readings[
        "training_peak_kib"]


@pytest.mark.slow
@pytest.mark.keras
def test_a_fresh_process_reports_its_own_readings():
    tiny = {**unroll.MEMORY_SETTINGS, "units": 2, "batch_size": 2, "features": 2, "calls": 1}
    readings = unroll.memory_in_fresh_process(False, 2, tiny)
    assert set(readings) == MEMORY_KEYS
    assert 0 < readings["baseline_kib"] <= readings["forward_peak_kib"] <= readings[
        "training_peak_kib"]


@pytest.mark.parametrize("only", [None, "timing"])
def test_a_run_with_the_timings_writes_them_and_measures_or_keeps_the_memory(
        tmp_path, monkeypatch, data, only):
    path = tmp_path / "unroll.json"
    path.write_text(json.dumps(data))
    timing = {**{key: data[key] for key in ("trace", "speed")},
              "meta": {**data["meta"], "created_utc": "new"}}
    fresh = {"meta": {"wall_seconds": 1.0}, "rows": ["fresh"]}
    monkeypatch.setattr(unroll, "run_unroll", lambda **options: timing)
    monkeypatch.setattr(unroll, "run_memory", lambda **options: fresh)
    arguments = ["--output", str(path)] + (["--only", only] if only else [])
    assert unroll.main(arguments) == 0
    written = json.loads(path.read_text())
    assert written["meta"]["created_utc"] == "new"
    assert written["memory"]["rows"] == (data["memory"]["rows"] if only else ["fresh"])
