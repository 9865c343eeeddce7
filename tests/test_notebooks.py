"""The chapter notebooks: table of contents, Colab cell, normalised metadata, alt text,
and proof that nbval catches an output that drifted."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import types

import booktools
import nbformat
import pytest

NOTEBOOKS = booktools.toc_notebooks()
IDS = [path.stem for path in NOTEBOOKS]


def read(path):
    return nbformat.read(path, as_version=4)


def test_every_toc_entry_is_a_notebook():
    missing = [name for name in booktools.toc_files()
               if not (booktools.ROOT / f"{name}.ipynb").exists()]
    assert missing == []


def test_every_notebook_in_book_is_in_the_toc():
    listed = set(NOTEBOOKS)
    orphans = [p.name for p in sorted((booktools.ROOT / "book").glob("*.ipynb"))
               if p not in listed]
    assert orphans == [], "add these notebooks to _toc.yml or remove them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_installs_companion_in_colab_only(path):
    cell = booktools.first_code_cell(read(path))
    assert cell.source == booktools.colab_cell_source(), "run `make notebooks`"
    assert booktools.repository_url() in cell.source
    assert 'if "google.colab" in sys.modules:' in cell.source
    assert cell.outputs == [], "outside Colab the install cell must print nothing"
    assert booktools.COLAB_TAG in cell.metadata.get("tags", []), (
        "the install cell must stay out of the HTML pages (tag remove-cell)")


class _FakeColab(types.ModuleType):
    """Stands in for the ``google.colab`` module, whose presence marks a Colab runtime."""


def _run_colab_cell(monkeypatch, *, in_colab, url=None):
    """Execute the Colab cell's source as Colab would, with or without ``google.colab``."""
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", _FakeColab("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(booktools.colab_cell_source(url), "<colab cell>", "exec"), {})


def test_colab_cell_prints_nothing_and_installs_nothing_outside_colab(monkeypatch, capfd):
    def refuse(*args, **kwargs):
        raise AssertionError(f"the cell ran {args} outside Colab")

    monkeypatch.setattr(subprocess, "run", refuse)
    _run_colab_cell(monkeypatch, in_colab=False)
    assert capfd.readouterr() == ("", "")


def test_colab_cell_installs_the_companion_from_the_repository_in_colab(monkeypatch, capfd):
    calls = []

    def pip_succeeds(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="", stderr="")

    monkeypatch.setattr(subprocess, "run", pip_succeeds)
    _run_colab_cell(monkeypatch, in_colab=True)
    (command,) = calls
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[-1] == (f"{booktools.PACKAGE} @ git+{booktools.repository_url()}"
                           f"@{booktools.branch()}")
    assert capfd.readouterr() == ("", "")


def test_colab_cell_raises_saying_what_failed_when_pip_fails(monkeypatch):
    def pip_fails(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, stdout="",
                                           stderr="ERROR: could not resolve host: github.com")

    monkeypatch.setattr(subprocess, "run", pip_fails)
    with pytest.raises(RuntimeError) as raised:
        _run_colab_cell(monkeypatch, in_colab=True)
    message = str(raised.value)
    assert f"git+{booktools.repository_url()}@{booktools.branch()}" in message
    assert "exit status 1" in message and "could not resolve host" in message
    assert "_config.yml" in message and "internet" in message and "run this cell again" in message


@pytest.mark.slow
def test_colab_cell_raises_when_the_real_pip_cannot_fetch_the_repository(monkeypatch, tmp_path):
    missing = (tmp_path / "no-such-repository").as_uri()
    with pytest.raises(RuntimeError, match=r"pip could not install .*no-such-repository.* "
                                           r"\(exit status [1-9]\d*\)"):
        _run_colab_cell(monkeypatch, in_colab=True, url=missing)


def _extras_cells(nb):
    return [cell for cell in nb.cells
            if cell.cell_type == "code" and cell.source.startswith(booktools.EXTRAS_MARKER)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_extras_cell_follows_the_colab_cell_where_the_code_needs_an_extra(path):
    nb = read(path)
    needed = booktools.needed_extras(booktools.notebook_code(nb))
    cells = _extras_cells(nb)
    if not needed:
        assert cells == [], "this chapter needs no extra: run scripts/execute_notebooks.py"
        return
    assert len(cells) == 1, "run scripts/execute_notebooks.py on this chapter"
    cell = cells[0]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code.index(cell) == 1, "the extras cell comes right after the Colab cell"
    assert cell.source == booktools.extras_cell_source(needed)
    assert cell.outputs == [], "where the extras are installed the cell must print nothing"
    assert booktools.COLAB_TAG in cell.metadata.get("tags", [])


def test_the_extras_analysis_finds_part_iii():
    needing = {path.stem for path in NOTEBOOKS
               if booktools.needed_extras(booktools.notebook_code(read(path)))}
    assert {"pytorch", "keras2-to-keras3", "backends"} <= needing
    assert "input-shapes" not in needing


def test_set_extras_cell_adds_updates_and_removes_the_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import keras")])
    booktools.set_colab_cell(nb)
    assert booktools.set_extras_cell(nb) is False and _extras_cells(nb) == []
    nb.cells.append(nbformat.v4.new_code_cell("import torch"))
    assert booktools.set_extras_cell(nb) is True
    assert nb.cells[1].source == booktools.extras_cell_source({"torch"})
    assert booktools.set_extras_cell(nb) is False
    nb.cells.append(nbformat.v4.new_code_cell('companion.run_snippet(CODE, "jax")'))
    assert booktools.set_extras_cell(nb) is True
    assert 'ensure("jax", "torch")' in nb.cells[1].source and len(_extras_cells(nb)) == 1
    del nb.cells[-2:]
    assert booktools.set_extras_cell(nb) is True and _extras_cells(nb) == []


def test_extras_cell_prints_nothing_where_the_extras_are_installed(monkeypatch, capfd):
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail(f"ran {a}"))
    monkeypatch.setattr("companion.extras.is_installed", lambda extra: True)
    exec(compile(booktools.extras_cell_source({"torch", "jax", "tf_keras"}), "<cell>", "exec"),
         {})
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_normalised(path):
    nb = read(path)
    assert nb.metadata.kernelspec.name == "python3"
    assert booktools.normalise(nb, name=path.name) == nb, "run `make notebooks`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_fully_executed(path):
    counts = [cell.execution_count for cell in read(path).cells if cell.cell_type == "code"]
    assert None not in counts, "a code cell was never run: run `make notebooks`"
    assert counts == list(range(1, len(counts) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_figure_has_alt_text(path):
    for cell in read(path).cells:
        if cell.cell_type == "code" and any(
                "image/png" in out.get("data", {}) for out in cell.outputs):
            assert cell.metadata["mystnb"]["image"]["alt"].strip()


def test_normalise_rejects_a_figure_without_alt_text():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plt.plot()")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBOR", "text/plain": "<Figure size 640x480>"})]
    nb.cells.append(cell)
    with pytest.raises(booktools.NormaliseError, match="alt text"):
        booktools.normalise(nb)


def test_set_colab_cell_follows_a_new_repository_url():
    nb = copy.deepcopy(read(NOTEBOOKS[0]))
    url = "https://github.com/someone/fork-of-the-book"
    assert booktools.set_colab_cell(nb, url) is True
    assert f"git+{url}@main" in booktools.first_code_cell(nb).source
    assert booktools.set_colab_cell(nb, url) is False


def test_set_colab_cell_inserts_a_tagged_cell_and_retags_an_old_one():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
                                         nbformat.v4.new_code_cell("import companion")])
    assert booktools.set_colab_cell(nb) is True
    cell = booktools.first_code_cell(nb)
    assert nb.cells.index(cell) == 1 and cell.metadata["tags"] == [booktools.COLAB_TAG]
    cell.metadata["tags"] = ["keep-me"]  # an older cell, without the tag
    assert booktools.set_colab_cell(nb) is True
    assert cell.metadata["tags"] == ["keep-me", booktools.COLAB_TAG]
    assert booktools.set_colab_cell(nb) is False
    assert [c.source for c in nb.cells].count(booktools.colab_cell_source()) == 1


def _run_nbval(*paths):
    folder = paths[0].parent
    return subprocess.run(
        [sys.executable, "-m", "pytest", *map(str, paths), "--nbval", "--nbval-current-env",
         "-p", "no:cacheprovider", "-o", "addopts=", "-v", "--rootdir", str(folder)],
        capture_output=True, text=True, timeout=300, cwd=folder)


@pytest.mark.slow
def test_nbval_fails_when_a_printed_shape_drifts(tmp_path):
    """A stored shape that no longer matches what the cell prints fails nbval, which names
    the notebook and cell and shows both outputs; the faithful copy passes. A NumPy-only
    notebook keeps it fast: the mechanism is nbval's comparison, not Keras."""
    shape = nbformat.v4.new_code_cell("np.zeros((2, 3, 4)).sum(axis=-1).shape",
                                      execution_count=2)
    # What the cell prints, stored by hand (no kernel to run it here): nbval passing the
    # faithful copy below is what shows that it is right.
    shape.outputs = [nbformat.v4.new_output("execute_result", execution_count=2,
                                            data={"text/plain": "(2, 3)"})]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np", execution_count=1), shape])
    faithful = tmp_path / "faithful.ipynb"
    nbformat.write(nb, faithful)

    shape.outputs[0]["data"]["text/plain"] = "(2, 4)"
    drifted = tmp_path / "drifted.ipynb"
    nbformat.write(nb, drifted)

    run = _run_nbval(faithful, drifted)
    report = run.stdout
    assert run.returncode == 1, report[-3000:]
    assert re.search(r"faithful::ipynb::Cell 1 PASSED", report), report[-3000:]
    assert re.search(r"drifted::ipynb::Cell 1 FAILED", report), report[-3000:]
    assert "drifted.ipynb::Cell 1" in report, "the failure names the notebook and the cell"
    assert "(2, 4)" in report and "(2, 3)" in report, "and shows both outputs"


def test_normalise_merges_split_prints_and_drops_traceback_paths():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("for i in range(2): print(i)\nraise ValueError('bad')")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="0\n"),
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad",
                               traceback=["File /usr/lib/python3/site-packages/x.py", "..."]),
    ]
    nb.cells.append(cell)
    outputs = booktools.normalise(nb).cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "error"]
    assert outputs[0].text == "0\n1\n"
    assert outputs[1].traceback == ["ValueError: bad"]
