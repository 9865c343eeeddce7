"""companion/data/version-facts.json keeps its schema, and the chapters name only releases
that someone ran.

The file is written by scripts/version_facts.py (`make version-facts`), which installs
each Keras release a fact needs and runs the fact's snippet on it. These tests need no
network: they read the committed file, the chapters, and test the script's pure
functions (outcome labels, `changed_in`) on made-up observations.
"""

from __future__ import annotations

import json
import re

import booktools
import pytest
import version_facts

DATA = booktools.ROOT / "companion" / "data" / "version-facts.json"
FACT_IDS = {"stateful_call_batch_check", "stateful_predict_batch", "masked_metric",
            "softmax_mask_shape_check", "embedding_input_length"}
RUN_KEYS = {"keras", "tensorflow", "outcome", "detail"}
RELEASE = re.compile(r"\d+\.\d+\.\d+|tf-keras \d+\.\d+\.\d+")
# "Keras 3.12", "Keras 3.12.0", "Keras 3.12 and 3.13", "Keras 3.10, 3.11 or 3.12"
NAMED = re.compile(r"\bKeras (\d+\.\d+(?:\.\d+)?(?:(?:,? (?:and|or|to) |, |–)\d+\.\d+(?:\.\d+)?)*)")
VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def document():
    return json.loads(DATA.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the data file

def test_the_file_has_the_schema(document):
    assert set(document) == {"generated_by", "facts"}
    assert document["generated_by"] == version_facts.GENERATED_BY
    assert set(document["facts"]) == FACT_IDS
    for fact_id, fact in document["facts"].items():
        assert set(fact) == {"question", "snippet", "runs", "changed_in"}, fact_id
        assert fact["question"].strip() and fact["snippet"].strip(), fact_id
        compile(fact["snippet"], fact_id, "exec")
        assert fact["runs"], fact_id
        for run in fact["runs"]:
            assert set(run) == RUN_KEYS, (fact_id, run)
            assert RELEASE.fullmatch(run["keras"]), (fact_id, run)
            assert re.fullmatch(r"\d+\.\d+\.\d+", run["tensorflow"]), (fact_id, run)
            assert run["outcome"].strip() and "\n" not in run["outcome"], (fact_id, run)
            assert isinstance(run["detail"], str) and "\n" not in run["detail"]
        assert fact["changed_in"] is None or isinstance(fact["changed_in"], str)


def test_the_runs_are_in_release_order_without_repeats(document):
    for fact_id, fact in document["facts"].items():
        releases = [run["keras"] for run in fact["runs"]]
        assert releases == sorted(releases, key=version_facts.version_key), fact_id
        assert len(set(releases)) == len(releases), fact_id


def test_the_file_runs_what_the_script_defines(document):
    for fact_id, fact in document["facts"].items():
        defined = version_facts.FACTS[fact_id]
        assert fact["snippet"] == defined.snippet, f"{fact_id}: rerun make version-facts"
        assert [run["keras"] for run in fact["runs"]] == sorted(defined.releases,
                                                               key=version_facts.version_key)


def test_changed_in_follows_from_the_runs(document):
    for fact_id, fact in document["facts"].items():
        runs = fact["runs"]
        assert fact["changed_in"] == version_facts.changed_in(runs), fact_id
        if fact["changed_in"] is not None:
            keras3 = [run for run in runs if not run["keras"].startswith("tf-keras")]
            index = [run["keras"] for run in keras3].index(fact["changed_in"])
            assert index > 0, f"{fact_id}: changed_in needs the release before it run"
            assert keras3[index - 1]["outcome"] != keras3[index]["outcome"], fact_id


def test_the_pinned_release_is_among_the_runs(document):
    pinned = booktools.ROOT.joinpath("requirements.txt").read_text()
    release = re.search(r"^keras==(\S+)", pinned, re.MULTILINE)[1]
    assert release == version_facts.PINNED
    for fact_id, fact in document["facts"].items():
        assert release in [run["keras"] for run in fact["runs"]], fact_id


# ------------------------------------------------------------------ the chapters

def _pinned_release(name: str, requirements: str = "requirements.txt") -> str:
    text = booktools.ROOT.joinpath(requirements).read_text(encoding="utf-8")
    return re.search(rf"^{name}==(\S+)", text, re.MULTILINE)[1]


def named_releases(text: str) -> list[str]:
    """Every Keras release a sentence names: "Keras 3.12 and 3.13" -> ["3.12", "3.13"]."""
    return [version for match in NAMED.finditer(text)
            for version in VERSION.findall(match[1])]


def is_covered(named: str, known: set[str]) -> bool:
    """A named "3.12" is covered by a known "3.12.x"; a named "3.12.0" only by itself."""
    parts = named.split(".")
    return any(release == named or (len(parts) == 2 and release.split(".")[:2] == parts)
               for release in known)


def _chapter_markdown():
    """(where, markdown) of every chapter's markdown cells, the .md pages and the README."""
    for path in sorted((booktools.ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                yield f"{path.name} cell {number}", "".join(cell["source"])
    for path in [*sorted((booktools.ROOT / "book").glob("*.md")), booktools.ROOT / "README.md"]:
        yield path.name, path.read_text(encoding="utf-8")


def known_releases(document) -> set[str]:
    known = {_pinned_release("keras"), _pinned_release("tf-keras", "requirements-nodeps.txt"),
             _pinned_release("keras", "requirements-compat.txt")}
    for fact in document["facts"].values():
        known |= {run["keras"].removeprefix("tf-keras ") for run in fact["runs"]}
    return known


def test_the_sentence_pattern_reads_lists_of_releases():
    assert named_releases("Keras 3.12 and 3.13 behave differently; Keras 3.10, 3.11 "
                          "or 3.12.4 too, not Keras 3 nor TensorFlow 2.16") == [
        "3.12", "3.13", "3.10", "3.11", "3.12.4"]
    assert is_covered("3.12", {"3.12.4"}) and is_covered("3.12.4", {"3.12.4"})
    assert not is_covered("3.12.1", {"3.12.4"}) and not is_covered("3.9", {"3.10.0"})
    assert quoted_only("1.2.0") and not quoted_only("3.2.0") and not quoted_only("2.21")


def quoted_only(named: str) -> bool:
    """Standalone Keras 1 does not install beside TensorFlow 2.21: the gallery names its
    releases only as the source of a quoted message, marked "not run"."""
    return named.split(".")[0] == "1"


def test_every_release_a_chapter_names_was_run(document):
    known = known_releases(document)
    unrun = [f"{where}: Keras {named}" for where, text in _chapter_markdown()
             for named in named_releases(text)
             if not is_covered(named, known) and not quoted_only(named)]
    assert not unrun, ("sentences name Keras releases nobody ran (add the release to a "
                       "fact in scripts/version_facts.py or narrow the sentence):\n"
                       + "\n".join(unrun))


# "before Keras 3.14", "since Keras 3.12", "Keras 3.14 and newer": a cut-off at 3.14.
CUT_FROM = re.compile(r"\b(?:[Bb]efore|[Ss]ince|[Ss]tarting with) Keras (\d+\.\d+(?:\.\d+)?)"
                      r"|\bKeras (\d+\.\d+(?:\.\d+)?),? (?:and|or) (?:newer|later|above)")
# "Keras 3.10 and older": a cut-off after 3.10.
CUT_AFTER = re.compile(r"\bKeras (\d+\.\d+(?:\.\d+)?),? (?:and|or) (?:older|earlier|below)")


def unrun_cutoffs(text: str, runs: list[list[dict]]) -> list[str]:
    """Cut-offs a sentence states that no fact's runs show as a change.

    "before/since Keras X" needs a fact whose changed_in is X (so the release before
    X was run too); "Keras X and older" needs a fact whose run X is followed by its
    changed_in. A two-part X ("3.14") matches any X.* release.
    """
    def same(named, release):
        return release == named or release.split(".")[:2] == named.split(".")
    wrong = []
    for match in CUT_FROM.finditer(text):
        named = match[1] or match[2]
        if not any(version_facts.changed_in(r) and same(named, version_facts.changed_in(r))
                   for r in runs):
            wrong.append(match[0])
    for match in CUT_AFTER.finditer(text):
        lines = [[run["keras"] for run in r if not run["keras"].startswith("tf-keras")]
                 for r in runs]
        if not any(version_facts.changed_in(r) in line
                   and line.index(version_facts.changed_in(r)) > 0
                   and same(match[1], line[line.index(version_facts.changed_in(r)) - 1])
                   for r, line in zip(runs, lines, strict=True)):
            wrong.append(match[0])
    return wrong


def test_a_stated_cutoff_is_a_change_the_runs_show(document):
    runs = [fact["runs"] for fact in document["facts"].values()]
    wrong = [f"{where}: {cut}" for where, text in _chapter_markdown()
             for cut in unrun_cutoffs(text, runs)]
    assert not wrong, ("sentences state a release where a behaviour changed that no "
                       "version fact shows changing there:\n" + "\n".join(wrong))


def test_the_cutoff_check_can_fail():
    runs = [_runs(("3.10.0", "a"), ("3.11.3", "a"), ("3.12.0", "b"))]
    assert unrun_cutoffs("Before Keras 3.12, it fails. Keras 3.12 and newer check. "
                         "Keras 3.11 and older do not.", runs) == []
    assert unrun_cutoffs("Keras 3.10 and older do not check; since Keras 3.11 they do; "
                         "Keras 3.13 and newer too.", runs) == [
        "since Keras 3.11", "Keras 3.13 and newer", "Keras 3.10 and older"]


# ------------------------------------------------------------------ the pure functions

def _raised(kind, message):
    return {"raised": kind, "message": message, "warnings": []}


def _runs(*pairs):
    return [{"keras": keras, "tensorflow": "2.21.0", "outcome": outcome, "detail": ""}
            for keras, outcome in pairs]


def test_changed_in_names_the_first_release_that_differs_from_the_one_before():
    runs = _runs(("3.10.0", "a"), ("3.11.3", "a"), ("3.12.0", "b"), ("3.13.2", "a"))
    assert version_facts.changed_in(runs) == "3.12.0"
    assert version_facts.changed_in(_runs(("3.10.0", "a"), ("3.15.1", "a"))) is None
    assert version_facts.changed_in([]) is None


def test_changed_in_sorts_by_release_not_by_text_and_skips_tf_keras():
    runs = _runs(("3.9.2", "a"), ("3.10.0", "a"), ("3.2.1", "b"), ("tf-keras 2.21.0", "c"))
    assert version_facts.changed_in(runs) == "3.9.2"
    assert version_facts.changed_in(_runs(("3.15.1", "a"), ("tf-keras 2.21.0", "b"))) is None


def test_errors_are_labelled_by_who_raised_them():
    header = "Exception encountered when calling LSTM.call().\n\n\x1b[1m"
    keras_check = _raised("ValueError", header + "If an RNN is stateful, the batch size "
                          "of the input sequences must be the same\n- Expected batch size: 2")
    assert version_facts.label_one(keras_check) == (
        "ValueError (Keras check)",
        "If an RNN is stateful, the batch size of the input sequences must be the same")
    tensorflow = _raised("InvalidArgumentError", "Graph execution error:\n... Incompatible "
                         "shapes: [4,20] vs. [2,20]\n\t [[{{node add}}]]")
    assert version_facts.label_one(tensorflow) == ("InvalidArgumentError (TensorFlow)",
                                                   "Incompatible shapes: [4,20] vs. [2,20]")
    softmax = _raised("ValueError", "Exception encountered when calling Softmax.call().\n\n"
                      "The `mask` must be broadcastable to `inputs`.")
    assert version_facts.label_one(softmax)[0] == "ValueError in Softmax"
    assert version_facts.label_one(_raised("TypeError", "odd"))[0] == "TypeError"
    long = _raised("OperatorNotAllowedInGraphError", "Using a symbolic `tf.Tensor` as a "
                   "Python `bool` is not allowed. You can attempt the following resolutions "
                   "to the problem: If you are running in Graph mode, use Eager execution mode or "
                   "decorate this function with @tf.function.")
    assert version_facts.label_one(long)[1] == (
        "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed.")


def test_values_and_several_observations_make_one_outcome():
    observed = {"batch 4": _raised("InvalidArgumentError", "Incompatible shapes: [4,20] "
                                   "vs. [2,20]"),
                "batch 1": {"value": [2, 12, 5], "warnings": []}}
    assert version_facts.label("stateful_predict_batch", observed) == (
        "batch 4: InvalidArgumentError (TensorFlow); batch 1: returns (2, 12, 5)",
        "batch 4: Incompatible shapes: [4,20] vs. [2,20]")


def test_the_masked_metric_and_embedding_labels():
    masked = {"evaluate": {"value": {"loss": True, "mae": False}, "warnings": []}}
    assert version_facts.label("masked_metric", masked) == (
        "metric counts padded steps", "loss skips padded steps")
    warned = {"create": {"value": "Embedding", "warnings": [
                  "Argument `input_length` is deprecated. Just remove it."]},
              "length 7": {"value": [1, 7, 4], "warnings": []}}
    assert version_facts.label("embedding_input_length", warned) == (
        "warns, ignored", "Argument `input_length` is deprecated. Just remove it.")
    rejected = {"create": _raised("ValueError", "Unrecognized keyword arguments passed to "
                                  "Embedding: {'input_length': 5}"),
                "length 7": _raised("ValueError", "Unrecognized keyword arguments")}
    assert version_facts.label("embedding_input_length", rejected)[0] == (
        "ValueError (unrecognized keyword)")
    keras2 = {"create": {"value": "Embedding", "warnings": []},
              "length 7": {"value": [1, 7, 4], "warnings": []}}
    assert version_facts.label("embedding_input_length", keras2) == (
        "accepted, ignored", "")
    broken = {"snippet": _raised("NameError", "name 'x' is not defined")}
    assert version_facts.label("masked_metric", broken)[0] == "snippet failed: NameError"


def test_the_output_of_a_run_is_parsed_by_fact():
    stdout = ('noise\nVERSIONS {"keras": "3.12.0", "tensorflow": "2.21.0"}\nFACT a\n'
              'OBSERVED batch 4 {"raised": "ValueError", "message": "x {1}", "warnings": []}\n'
              'FACT b\nOBSERVED call {"value": [1, 8], "warnings": []}\n')
    versions, observed = version_facts.parse_output(stdout)
    assert versions == {"keras": "3.12.0", "tensorflow": "2.21.0"}
    assert observed == {"a": {"batch 4": {"raised": "ValueError", "message": "x {1}",
                                          "warnings": []}},
                        "b": {"call": {"value": [1, 8], "warnings": []}}}
