"""The compatibility run (`make compat`, scripts/compat.py) and its sanitizers.

``tests/compat-sanitize.cfg`` may mask wording and incidental rounded numbers, never a
fact: these tests apply it exactly as nbval does (its own parser, ``re.sub`` in file
order, on stored and new output alike) and check both directions. One slow test runs
nbval itself on a small notebook, with and without the file.
"""

from __future__ import annotations

import re
import subprocess
import sys

import booktools
import compat
import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

SANITIZE = booktools.ROOT / "tests" / "compat-sanitize.cfg"
PATTERNS = get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8"))

NEW_INPUT = ("Input 0 with name 'None' of layer 'lstm_upper' is incompatible with the layer: "
             "expected ndim=3, found ndim=2. Full shape received: (None, 64)")
OLD_INPUT = ("Input 0 of layer 'lstm_upper' is incompatible with the layer: "
             "expected ndim=3, found ndim=2. Full shape received: (None, 64)")
CALL_NEW = ("Exception encountered when calling LSTM.call().\n\n\x1b[1mlist index out of range"
            "\x1b[0m\n\nArguments received by LSTM.call():\n"
            "  • sequences=tf.Tensor(shape=(2, 3, 5), dtype=float32)\n  • mask=None")
CALL_OLD = ("Exception encountered when calling LSTM.call().\n\n\x1b[1mlist index out of range"
            "\x1b[0m\n\nArguments received by LSTM.call():\n"
            "  • args=('tf.Tensor(shape=(2, 3, 5), dtype=float32)',)\n  • kwargs={'mask': None}")
SAME_SHAPE = ("ValueError: Arguments `target` and `output` must have the same shape. "
              "Received: target.shape=(32, 1), output.shape=(32, 10)\n")
METRICS = ("baseline accuracy 0.49, stacked LSTM accuracy 0.91\n"
           "beats the baseline by more than 0.3: True\n")
ARRAY = ("array([[ 0.  ,  0.  ,  0.  ],\n       [ 0.04,  0.01,  0.07],\n"
         "       [ 0.29, -0.03,  0.42]], dtype=float32)")


def sanitize(text: str) -> str:
    """What nbval's ``IPyNbCell.sanitize`` does with the patterns of the compat file."""
    for regex, replace in PATTERNS:
        text = re.sub(regex, replace, text)
    return text


WORDING = {
    "keras 3.13 names the input": (NEW_INPUT, OLD_INPUT),
    "the call() wrapper lists the arguments differently": (CALL_NEW, CALL_OLD),
    "crossentropy says rank instead of shape": (
        SAME_SHAPE, SAME_SHAPE.replace("same shape. Received", "same rank (ndim). Received")),
    "versions on the index page": ("('3.15.1', '2.21.0')", "('3.4.1', '2.16.2')"),
    "rounded metrics move": (METRICS, METRICS.replace("0.49", "0.50").replace("0.91", "0.88")),
    "a value changes sign and numpy pads the column": (ARRAY, ARRAY.replace("-0.03", " 0.03")),
    "a 3-decimal loss": ("returns a loss of 0.109\n", "returns a loss of 0.112\n"),
}

FACTS = {
    "the found ndim": (OLD_INPUT, OLD_INPUT.replace("found ndim=2", "found ndim=4")),
    "the received shape": (NEW_INPUT, OLD_INPUT.replace("(None, 64)", "(None, 65)")),
    "the layer named in the error": (NEW_INPUT, OLD_INPUT.replace("lstm_upper", "lstm_lower")),
    "the message inside the call() wrapper": (
        CALL_NEW, CALL_OLD.replace("list index out of range", "tuple index out of range")),
    "a crossentropy output shape": (SAME_SHAPE, SAME_SHAPE.replace("(32, 10)", "(32, 10, 1)")),
    "crossentropy accepts what it refused": (SAME_SHAPE, "returns a loss of 0.693\n"),
    "a boolean claim": (METRICS, METRICS.replace("True", "False")),
    "a padded step that is no longer zero": (
        ARRAY, ARRAY.replace("[ 0.  ,  0.  ,", "[ 0.01,  0.  ,")),
    "a parameter count": ("weights: single 1,361, stack 3,473\n",
                          "weights: single 1,361, stack 3,474\n"),
    "a printed shape": ("(None, 10, 64)", "(None, 64)"),
    "a state reset to exactly zero": ("(True, 0.0)", "(True, 0.01)"),
}


@pytest.mark.parametrize(("stored", "new"), WORDING.values(), ids=WORDING.keys())
def test_compat_sanitizer_lets_wording_and_incidental_numbers_differ(stored, new):
    assert stored != new
    assert sanitize(stored) == sanitize(new)


@pytest.mark.parametrize(("stored", "new"), FACTS.values(), ids=FACTS.keys())
def test_compat_sanitizer_keeps_every_fact(stored, new):
    assert sanitize(stored) != sanitize(new)


def test_compat_sanitizer_keeps_the_inner_message_of_a_call_error():
    assert sanitize(CALL_NEW) == "list index out of range"


def test_compat_sanitizer_file_has_only_well_formed_pairs():
    text = SANITIZE.read_text(encoding="utf-8")
    assert text.count("\nregex: ") == text.count("\nreplace: ") == len(PATTERNS) > 0
    for regex, _ in PATTERNS:
        re.compile(regex)


def test_compat_run_covers_every_toc_page_with_the_sanitizer():
    expected = [f"{page}.ipynb" for page in booktools.toc_files()]
    assert compat.notebooks() == expected
    cmd = compat.command(["-x"], {})  # nothing left out (see the next test)
    assert cmd[cmd.index("--nbval-sanitize-with") + 1] == str(SANITIZE)
    assert set(expected) <= set(cmd) and cmd[-1] == "-x"
    assert cmd[cmd.index("not browser") - 1] == "-m"


def test_compat_leaves_out_only_code_that_imports_a_missing_extra(monkeypatch):
    monkeypatch.setattr(compat.importlib.util, "find_spec",
                        lambda name: None if name == "torch" else object())
    assert compat.missing_extras(">>> import keras, torch\nimport jax\n") == {"torch"}
    assert compat.missing_extras("import torchvision\nx = 'import torch'\n") == set()
    snippets = 'companion.run_snippets({b: CODE for b in ("jax", "torch")})\n'
    assert compat.missing_extras(snippets) == {"torch"}
    assert compat.missing_extras("companion.run_snippet(CODE, legacy_keras=True)") == set()
    assert compat.missing_extras("run_snippet(CODE, backend='torch')") == set()
    cmd = compat.command([], {"companion/x.py": {"torch"}, "book/pytorch.ipynb": {"torch"}})
    assert "--ignore=companion/x.py" in cmd and "book/pytorch.ipynb" not in cmd


def test_compat_reads_a_notebooks_code_cells_not_its_json(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("import jax"),
        nbformat.v4.new_code_cell("import keras\nimport torch")])
    path = tmp_path / "page.ipynb"
    nbformat.write(notebook, path)
    assert compat.code_of(path) == "import keras\nimport torch"


def _floor_pins() -> dict[str, str]:
    pins = {}
    for line in (booktools.ROOT / "requirements-compat.txt").read_text().splitlines():
        match = re.match(r"(keras|tensorflow-cpu)==([\w.]+)", line)
        if match:
            pins[match[1]] = match[2]
    return pins


def test_declared_floor_is_the_floor_that_compat_runs():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((booktools.ROOT / "pyproject.toml").read_text())["project"]
    extra = project["optional-dependencies"]["tensorflow"]
    pins = _floor_pins()
    assert set(pins) == {"keras", "tensorflow-cpu"}
    assert f"keras>={pins['keras']}" in extra
    tf_floor = ">=" + pins["tensorflow-cpu"]
    assert [r for r in extra if r.startswith("tensorflow")] == [
        r for r in extra if r.startswith(("tensorflow-cpu" + tf_floor, "tensorflow" + tf_floor))]


def _notebook(evalue: str, printed: str) -> nbformat.NotebookNode:
    """Cells that print METRICS and raise OLD_INPUT, stored with other outputs."""
    show = nbformat.v4.new_code_cell(f"print({METRICS!r}, end='')", id="show",
                                     execution_count=1)
    show.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    fail = nbformat.v4.new_code_cell(f"raise ValueError({OLD_INPUT!r})", id="fail",
                                     metadata={"tags": ["raises-exception"]},
                                     execution_count=2)
    fail.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue=evalue,
                                           traceback=[])]
    return nbformat.v4.new_notebook(cells=[show, fail])


def _nbval(paths, *extra):
    folder = paths[0].parent
    return subprocess.run(
        [sys.executable, "-m", "pytest", *map(str, paths), "--nbval", "--nbval-current-env",
         "-p", "no:cacheprovider", "-o", "addopts=", "-q", "--rootdir", str(folder),
         *extra],
        capture_output=True, text=True, timeout=300, cwd=folder)


@pytest.mark.slow
def test_nbval_with_the_compat_file_passes_on_wording_and_fails_on_a_fact(tmp_path):
    """The stored outputs are Keras 3.15's wording and other rounded numbers; the cells
    print the older wording. Strict nbval fails, compat passes, a changed fact fails."""
    reworded = tmp_path / "reworded.ipynb"
    nbformat.write(_notebook(NEW_INPUT, METRICS.replace("0.91", "0.88")), reworded)
    changed = tmp_path / "changed.ipynb"
    nbformat.write(_notebook(NEW_INPUT.replace("found ndim=2", "found ndim=4"), METRICS),
                   changed)
    flipped = tmp_path / "flipped.ipynb"
    nbformat.write(_notebook(NEW_INPUT, METRICS.replace("True", "False")), flipped)
    strict = _nbval([reworded])
    assert strict.returncode == 1 and "2 failed" in strict.stdout, strict.stdout[-3000:]
    # The three copies under the sanitizer in one pytest run (one start-up, not three).
    compat_run = _nbval([reworded, changed, flipped], "--nbval-sanitize-with", str(SANITIZE),
                        "-vv")  # -vv: one line per cell (-q is already on)
    report = compat_run.stdout
    assert compat_run.returncode == 1, report[-3000:]
    assert set(re.findall(r"reworded::ipynb::Cell \d (\w+)", report)) == {"PASSED"}
    assert re.findall(r"changed::ipynb::Cell (\d) (\w+)", report) == [
        ("0", "PASSED"), ("1", "FAILED")], report[-3000:]
    assert "ndim=4" in report, "the report shows the fact that changed"
    assert "flipped::ipynb::Cell 0 FAILED" in report, report[-3000:]
