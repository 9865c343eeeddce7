"""Shared helpers for the book's scripts and tests: the TOC, the repository URL, the
Colab install cell and notebook normalisation. Standard library plus nbformat/PyYAML."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import yaml

from companion.session import QUIET_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "return-sequences-companion"
COLAB_MARKER = "# Colab only: install the companion package"
EXTRAS_MARKER = "# Binder and Colab: install the Part III extras this chapter needs"
#: myst-nb drops cells with this tag from the HTML; the notebooks keep them.
COLAB_TAG = "remove-cell"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
LANGUAGE_INFO = {
    "name": "python",
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "codemirror_mode": {"name": "ipython", "version": 3},
}
#: Cell metadata keys that only record when or how a notebook was last run.
VOLATILE_CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled", "papermill",
                      "vscode", "widgets")
#: The environment every notebook runs in, here and under nbval (see tests/conftest.py).
#: companion.session's variables (read without importing TensorFlow), plus a fixed hash seed.
QUIET_ENV = {**QUIET_ENVIRONMENT, "PYTHONHASHSEED": "0"}


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def repository_url() -> str:
    return str(config()["repository"]["url"]).rstrip("/")


def branch() -> str:
    return str(config()["repository"].get("branch", "main"))


def site_url(url: str | None = None) -> str:
    """Where GitHub Pages serves the book of ``url`` (default: ``_config.yml``'s).

    >>> site_url("https://github.com/Octo-Cat/keras-return-sequences/")
    'https://octo-cat.github.io/keras-return-sequences/'
    >>> site_url("https://github.com/octo-cat/octo-cat.github.io")
    'https://octo-cat.github.io/'
    """
    url = (url or repository_url()).rstrip("/")
    prefix = "https://github.com/"
    owner, _, repo = url.removeprefix(prefix).partition("/")
    if not url.startswith(prefix) or not owner or not repo or "/" in repo:
        raise ValueError(f"not a GitHub repository URL (https://github.com/OWNER/REPO): {url}")
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if repo.lower() == host else f"https://{host}/{repo}/"


def toc_files() -> list[str]:
    """Every page of ``_toc.yml`` in reading order, without suffix (``book/index``)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def toc_notebooks() -> list[Path]:
    return [ROOT / f"{name}.ipynb" for name in toc_files()
            if (ROOT / f"{name}.ipynb").exists()]


def colab_cell_source(url: str | None = None, ref: str | None = None) -> str:
    """The first code cell of every notebook: install the companion, in Colab only.

    Outside Colab it prints nothing. In Colab a failed install raises a ``RuntimeError``
    that names the package URL, pip's exit status and its last words, and what to check.
    Plain Python (no ``%pip``), so a test can execute it with ``exec``.
    """
    url = (url or repository_url()).rstrip("/")
    ref = ref or branch()
    return (
        f"{COLAB_MARKER} (prints nothing elsewhere).\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    package = "{PACKAGE} @ git+{url}@{ref}"\n'
        '    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", package],\n'
        "                         capture_output=True, text=True)\n"
        "    if pip.returncode != 0:\n"
        "        raise RuntimeError(\n"
        '            f"pip could not install {package!r} (exit status {pip.returncode}): "\n'
        '            f"{pip.stderr.strip()[-500:]}\\nCheck that this runtime reaches the "\n'
        '            "internet and that the repository URL and branch exist (the book\'s "\n'
        '            "_config.yml sets them: repository.url, repository.branch), then run "\n'
        '            "this cell again.")'
    )


def first_code_cell(nb) -> nbformat.NotebookNode | None:
    return next((cell for cell in nb.cells if cell.cell_type == "code"), None)


def set_colab_cell(nb, url: str | None = None) -> bool:
    """Write the Colab cell into ``nb`` (replacing an older one). True if it changed.

    The cell carries the ``remove-cell`` tag: Colab needs it, the HTML pages do not show
    it (a reader of the built book has nothing to install).
    """
    source = colab_cell_source(url)
    cell = first_code_cell(nb)
    if cell is None or not cell.source.startswith(COLAB_MARKER):
        new = nbformat.v4.new_code_cell(source, metadata={"tags": [COLAB_TAG]})
        new.id = "colab-install"
        index = nb.cells.index(cell) if cell is not None else len(nb.cells)
        nb.cells.insert(index, new)
        return True
    tags = list(cell.metadata.get("tags", []))
    if cell.source == source and COLAB_TAG in tags:
        return False
    cell.source = source
    if COLAB_TAG not in tags:
        cell.metadata["tags"] = [*tags, COLAB_TAG]
    return True


#: Part III's bridges (requirements-extras.txt, requirements-nodeps.txt): the import names
#: that companion.extras.ensure installs. Code needs one if it imports it, or if it calls
#: ``companion.run_snippet(s)`` with that backend named as a string literal (``"jax"``,
#: ``"torch"``) or with ``legacy_keras=True`` (Keras 2: tf_keras), in child processes.
EXTRAS = ("torch", "jax", "tf_keras")
_IMPORT = re.compile(r"^\s*(?:>>> )?(?:import|from) ([\w., ]+)", re.MULTILINE)
_BACKEND = re.compile(r"""["'](jax|torch)["']""")


def needed_extras(text: str) -> set[str]:
    """The EXTRAS that the code ``text`` needs (installed or not).

    Examples
    --------
    >>> sorted(needed_extras("import keras, torch; companion.run_snippet(c, 'jax')"))
    ['jax', 'torch']
    """
    names = {part.strip().split(".")[0].split(" ")[0]
             for line in _IMPORT.findall(text) for part in line.split(",")}
    if "companion.run_snippet" in text:
        names |= set(_BACKEND.findall(text))
        if "legacy_keras=True" in text:
            names.add("tf_keras")
    return names & set(EXTRAS)


def notebook_code(nb) -> str:
    """The code of a notebook's code cells, without the generated install cells."""
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code"
                     and not cell.source.startswith((COLAB_MARKER, EXTRAS_MARKER)))


def extras_cell_source(extras) -> str:
    """The cell after the Colab cell of a chapter that needs ``extras`` (sorted)."""
    names = ", ".join(f'"{name}"' for name in sorted(extras))
    return (
        f"{EXTRAS_MARKER}\n"
        "# where they are missing (prints nothing where they are installed).\n"
        "import companion.extras\n"
        "\n"
        f"companion.extras.ensure({names})"
    )


def set_extras_cell(nb) -> bool:
    """Keep the extras cell of ``nb`` in step with its code. True if it changed.

    A notebook whose code needs an extra gets the cell right after the Colab cell (tag
    ``remove-cell``, like the Colab cell); one that needs none loses it.
    """
    extras = needed_extras(notebook_code(nb))
    cells = [cell for cell in nb.cells
             if cell.cell_type == "code" and cell.source.startswith(EXTRAS_MARKER)]
    if not extras:
        for cell in cells:
            nb.cells.remove(cell)
        return bool(cells)
    source = extras_cell_source(extras)
    colab = first_code_cell(nb)
    index = nb.cells.index(colab) + 1 if colab is not None else 0
    if len(cells) == 1 and nb.cells.index(cells[0]) == index and cells[0].source == source \
            and COLAB_TAG in cells[0].metadata.get("tags", []):
        return False
    for cell in cells:
        nb.cells.remove(cell)
    new = nbformat.v4.new_code_cell(source, metadata={"tags": [COLAB_TAG]})
    new.id = "extras-install"
    nb.cells.insert(index, new)
    return True


def _merge_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same name (stdout, stderr).

    How many pieces a cell's prints arrive in depends on timing (a loaded machine
    flushes more often); merged, the stored notebook is the same on every run.
    """
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


class NormaliseError(ValueError):
    pass


def normalise(nb, *, name: str = "notebook") -> nbformat.NotebookNode:
    """Drop volatile metadata and copy figure alt text into the cell metadata.

    An image output must come from a ``companion`` figure, whose plain-text form is its
    alt text; that text becomes the cell's ``mystnb.image.alt`` so the HTML ``<img>``
    has an ``alt`` attribute. A bare Matplotlib figure raises ``NormaliseError``.
    """
    nb = copy.deepcopy(nb)
    nb.metadata = nbformat.NotebookNode(
        kernelspec=copy.deepcopy(KERNELSPEC), language_info=copy.deepcopy(LANGUAGE_INFO))
    for index, cell in enumerate(nb.cells):
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        cell.outputs = _merge_streams(cell.outputs)
        for output in cell.outputs:
            if output.output_type == "error":
                # The full traceback holds absolute site-packages paths and ANSI codes, and
                # nbval ignores it anyway: keep the exception's name and message only.
                output.traceback = [f"{output.ename}: {output.evalue}"]
        alts = []
        for output in cell.outputs:
            data = output.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                alt = data.get("text/plain", "")
                if isinstance(alt, list):
                    alt = "".join(alt)
                if not alt or alt.startswith("<Figure size"):
                    raise NormaliseError(
                        f"{name}, cell {index}: an image without alt text; draw it with a "
                        "companion figure function (they return a BookFigure) or set "
                        "alt_text on a companion.figures.new_figure()")
                alts.append(alt)
        mystnb = cell.metadata.get("mystnb", {})
        if alts:
            mystnb.setdefault("image", {})["alt"] = " ".join(alts)
        elif "image" in mystnb:
            mystnb["image"].pop("alt", None)
            if not mystnb["image"]:
                mystnb.pop("image")
        if mystnb:
            cell.metadata["mystnb"] = mystnb
        else:
            cell.metadata.pop("mystnb", None)
    nbformat.validator.normalize(nb)
    return nb
