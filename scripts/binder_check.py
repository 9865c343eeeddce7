"""Run the chapters as Binder builds them (or as Colab runs them), each in a fresh kernel.

    python scripts/binder_check.py [--env DIR] [--colab] [NOTEBOOK ...]

Binder (the default). mybinder.org builds its image with repo2docker, whose Python
buildpack this reproduces in a virtual environment, without Docker and without ``.venv``:

- Where it looks: the root of the repository, or only ``binder/`` (or ``.binder/``) if
  that folder exists; both folders at once is an error (repo2docker's documentation,
  https://repo2docker.readthedocs.io/en/latest/use/repository.html, "Where to put
  configuration files"; ``BuildPack.binder_dir`` in repo2docker/buildpacks/base.py).
- Which buildpack: the first that detects its files wins, in the order of
  ``Repo2Docker.buildpacks`` (repo2docker/app.py): the legacy Dockerfile check, Dockerfile,
  Julia (Project.toml or JuliaProject.toml; REQUIRE), Nix (default.nix), R (runtime.txt
  naming r, or a root DESCRIPTION), Conda (environment.yml or environment.yaml), Pipfile
  (Pipfile, Pipfile.lock), Python (runtime.txt naming python, requirements.txt, or a
  Python package). This check reproduces the Python buildpack only. It refuses a
  repository holding one of the files in ``OTHER_BUILDPACKS`` or ``NOT_REPRODUCED``
  (apt.txt, postBuild, start), and a runtime.txt that does not name python; it does not
  look for DESCRIPTION (R's package file, which repo2docker reads at the root only).
- Python: ``runtime.txt``'s ``python-X.Y`` (repo2docker's ``BuildPack.runtime`` accepts
  name-version, name-version-yyyy-mm-dd and name-yyyy-mm-dd; this check accepts the first
  two, with a minor version). The venv is made with ``pythonX.Y`` from PATH; the check
  fails if that Python is not there.
- Installs: ``pip install --no-cache-dir -r requirements.txt``, then, for a Python
  package (a root ``setup.py``, or a ``pyproject.toml`` with ``[project]`` and
  ``[build-system]``, and no binder folder), ``pip install --no-cache-dir .``.
  repo2docker installs requirements.txt before it copies the repository in only when the
  repository is not a Python package and requirements.txt has no local reference such as
  ``-e .`` (``_should_preassemble_pip``); this repository is a package, so both installs
  run after the copy
  (``PythonBuildPack._get_pip_scripts``, ``_is_python_package`` and
  ``get_assemble_scripts`` in repo2docker/buildpacks/python/__init__.py; the
  configuration page https://repo2docker.readthedocs.io/en/latest/configuration/
  lists requirements.txt and pyproject.toml).

The environment is reused while its stamp (the hash of the files above and the Python)
matches; what a previous run installed on top is uninstalled first, and the package is
installed again, as repo2docker's last layer is rebuilt on every commit. Before each
notebook the environment goes back to that image (what the previous notebook's extras
cell installed is uninstalled): a launch button starts a fresh session of the image.
Part III's extras (requirements-extras.txt) are not installed: each chapter that needs
one installs it from its hidden extras cell (``companion.extras.ensure``), as it does on
mybinder.org. Where PyTorch's CPU index does not answer (this offline machine),
``COMPANION_TORCH_INDEX_URL`` is set empty, so torch comes from pip's configured index,
which here serves the CPU build; elsewhere (CI) the cell uses the CPU index, as on
mybinder.org. A ``COMPANION_TORCH_INDEX_URL`` set by the caller is passed on.

``--colab``: a fresh environment holding only what the Colab cell assumes Colab has:
TensorFlow and Keras (the pins of requirements.txt), NumPy, Matplotlib, ipykernel and
nbclient; not the companion. Each notebook gets, in memory, a first cell that registers a
stand-in ``google.colab`` module, and its Colab cell points at this checkout
(``git+file://localhost<repository>@<HEAD commit>``: commit first), so the Colab cell really
installs the companion and the extras cell really installs the extras. By default it
runs the chapters that need an extra (the only ones with more to install than the
companion) and the first chapter, ``book/input-shapes`` (what every other chapter
does on Colab: install the companion, then run); the others differ from it only in the
code that the Binder check runs already.

Each notebook runs in a fresh kernel of that environment, from the notebook's folder
(Binder clones the repository; with ``--colab`` from an empty folder, as Colab opens the
notebook alone in /content, so a chapter that reads a repository file fails there too),
with the quiet environment of ``make notebooks``. The table gives its seconds (kernel
start included) and the peak resident memory of the kernel and its children (pip and
snippet processes included, sampled every 20 ms as ``bench_notebooks.PeakMemory`` does).
The check fails if a cell raises outside a ``raises-exception`` cell, or if a peak reaches 2 GB
(mybinder.org restarts the kernel there); over 1 GB (what mybinder.org guarantees) it
warns. Exit status 0 only if every notebook ran within the limit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import tomllib
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_notebooks  # noqa: E402
import booktools  # noqa: E402

HARD_LIMIT_MB = 2048.0
GUARANTEED_MB = 1024.0
#: Files of repo2docker buildpacks that come before Python's, or steps it does not copy.
OTHER_BUILDPACKS = ("Dockerfile", "Project.toml", "JuliaProject.toml", "REQUIRE",
                    "default.nix", "install.R", "environment.yml", "environment.yaml",
                    "Pipfile", "Pipfile.lock")
NOT_REPRODUCED = ("apt.txt", "postBuild", "start")
#: What the Colab cell assumes Colab has (their pins are read from requirements.txt).
COLAB_PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "matplotlib",
                  "ipykernel", "nbclient")
COLAB_FIRST = "book/input-shapes.ipynb"
FAKE_COLAB = ("# binder_check: a stand-in google.colab module marks this kernel as Colab.\n"
              "import sys, types\n"
              'sys.modules["google.colab"] = types.ModuleType("google.colab")')
KERNEL = "binder-check"
TORCH_INDEX = "COMPANION_TORCH_INDEX_URL"


class ConfigError(RuntimeError):
    """The repository's Binder configuration is not one this check reproduces."""


@dataclass
class Plan:
    """What repo2docker's Python buildpack does with a repository."""

    python: str
    config_dir: str
    files: list[str]
    installs: list[list[str]] = field(default_factory=list)
    package: bool = False


def binder_dir(root: Path) -> str:
    """``binder``, ``.binder`` or ``""`` (the root), as repo2docker chooses."""
    has, has_dot = (root / "binder").is_dir(), (root / ".binder").is_dir()
    if has and has_dot:
        raise ConfigError("the repository has both binder/ and .binder/: repo2docker refuses "
                          "that (they are exclusive)")
    return ".binder" if has_dot else "binder" if has else ""


def runtime_python(text: str | None) -> str:
    """The Python version that runtime.txt's ``text`` asks for (None: no runtime.txt).

    Examples
    --------
    >>> runtime_python("python-3.11"), runtime_python("python-3.12-2025-01-01")
    ('3.11', '3.12')
    """
    if text is None:
        raise ConfigError("no runtime.txt: repo2docker would take its default Python; name "
                          "the book's Python in runtime.txt (python-3.11)")
    parts = text.strip().split("-")
    if len(parts) not in (2, 4, 5) or not all(parts) or parts[0] != "python" \
            or len(parts) == 4:
        raise ConfigError(f"runtime.txt says {text.strip()!r}: expected python-X.Y "
                          "(optionally -YYYY-MM-DD)")
    version = parts[1].split(".")
    if len(version) < 2:
        raise ConfigError(f"runtime.txt says {text.strip()!r}: name the minor version too "
                          "(python-3.11); repo2docker maps a bare major to its own default")
    return ".".join(version[:2])


def is_python_package(root: Path, config_dir: str) -> bool:
    if config_dir:
        return False
    if (root / "setup.py").exists():
        return True
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        return "project" in data and "build-system" in data
    return False


def build_plan(root: Path) -> Plan:
    """Read the repository as repo2docker's Python buildpack does."""
    config_dir = binder_dir(root)
    folder = root / config_dir
    found = [name for name in (*OTHER_BUILDPACKS, *NOT_REPRODUCED) if (folder / name).exists()]
    if found:
        raise ConfigError(f"{', '.join(config_dir + '/' * bool(config_dir) + n for n in found)}: "
                          "this check reproduces repo2docker's Python buildpack only (runtime.txt, "
                          "requirements.txt, the package)")
    runtime = folder / "runtime.txt"
    python = runtime_python(runtime.read_text(encoding="utf-8") if runtime.exists() else None)
    plan = Plan(python=python, config_dir=config_dir,
                files=[str(runtime.relative_to(root))])
    requirements = folder / "requirements.txt"
    if requirements.exists():
        plan.files.append(str(requirements.relative_to(root)))
        plan.installs.append(["-r", str(requirements)])
    plan.package = is_python_package(root, config_dir)
    return plan


def colab_requirements(text: str) -> list[str]:
    """The lines of requirements.txt that pin what Colab has (markers kept).

    Examples
    --------
    >>> colab_requirements("keras==3.1\\npytest==9\\nnumpy==2.0 ; python_version > '3'\\n")
    ['keras==3.1', "numpy==2.0 ; python_version > '3'"]
    """
    lines = []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        name = line.split(";")[0].split("==")[0].split(">=")[0].strip().lower()
        if name in COLAB_PACKAGES:
            lines.append(line)
    return lines


def stamp_of(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def find_python(version: str) -> str:
    path = shutil.which(f"python{version}")
    if path is None:
        raise ConfigError(f"runtime.txt asks for Python {version}, and python{version} is "
                          "not on PATH: install it (pyenv, the distribution) and run again")
    return path


def pip(env: Path, *args: str) -> None:
    command = [str(env / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args]
    print("  $ pip " + " ".join(args), flush=True)
    subprocess.run(command, check=True, cwd=booktools.ROOT)


def freeze(env: Path) -> list[str]:
    result = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "list",
                             "--format=freeze", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True)
    return sorted(result.stdout.split())


def restore(env: Path, image: list[str]) -> bool:
    """Put ``env`` back to the frozen ``image``: uninstall what was added since (the extras
    a chapter installed), reinstall what was upgraded (torch upgrades setuptools). True if
    that worked."""
    now = freeze(env)
    if set(now) == set(image):
        return True
    names = {line.split("==")[0] for line in image}
    added = sorted({line.split("==")[0] for line in now} - names)
    if added:
        pip(env, "uninstall", "-y", "-qq", *added)
    changed = {line.split("==")[0] for line in set(freeze(env)) - set(image)}
    if changed:
        pip(env, "install", "-qq", "--no-deps",
            *[line for line in image if line.split("==")[0] in changed])
    return set(freeze(env)) == set(image)


def prepare(env: Path, *, python: str, stamp: str, installs: list[list[str]]) -> float:
    """Make (or reuse) the environment; return the seconds it took."""
    start = time.perf_counter()
    stamp_file, base_file = env / "binder-check.stamp", env / "binder-check.base"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        print(f"reusing {env} (stamp matches)", flush=True)
        if restore(env, base_file.read_text().split()):
            return time.perf_counter() - start
        print(f"{env} differs from what was built: rebuilding", flush=True)
    if env.exists():
        shutil.rmtree(env)
    print(f"creating {env} with {python}", flush=True)
    subprocess.run([python, "-m", "venv", str(env)], check=True)
    for args in installs:
        pip(env, "install", "-qq", *args)
    base_file.write_text("\n".join(freeze(env)) + "\n")
    stamp_file.write_text(stamp)
    return time.perf_counter() - start


def kernel_environment(env: Path) -> dict[str, str]:
    """The variables the kernels get: this environment first on PATH, nothing of .venv."""
    kernels = env / "share" / "binder-check" / "kernels" / KERNEL
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(env / "bin" / "python"), "-m", "ipykernel_launcher",
                 "-f", "{connection_file}"],
        "display_name": KERNEL, "language": "python"}))
    variables = {key: value for key, value in os.environ.items()
                 if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    variables.update(booktools.QUIET_ENV)
    variables["PATH"] = f"{env / 'bin'}{os.pathsep}{variables.get('PATH', '')}"
    variables["JUPYTER_PATH"] = str(kernels.parent.parent)
    index = torch_index()
    if index is None:
        variables.pop(TORCH_INDEX, None)
    else:
        variables[TORCH_INDEX] = index
    return variables


def torch_index() -> str | None:
    """``COMPANION_TORCH_INDEX_URL`` for the kernels: the caller's, if set; else unset (the
    extras cell takes PyTorch's CPU index, as on mybinder.org) where that index answers,
    and empty (pip's configured index) where it does not, as on this offline machine,
    whose registry serves the CPU build of torch 2.13.0."""
    if TORCH_INDEX in os.environ:
        return os.environ[TORCH_INDEX]
    try:
        socket.create_connection(("download.pytorch.org", 443), timeout=5).close()
    except OSError:
        return ""
    return None


@dataclass
class Result:
    notebook: str
    seconds: float
    peak_mb: float
    error: str = ""
    #: What the hidden install cells printed (the extras they installed).
    installed: str = ""

    @property
    def verdict(self) -> str:
        """FAIL (a cell raised, or the 2 GB limit), WARN (over 1 GB) or PASS.

        Examples
        --------
        >>> Result("a", 1.0, 900.0).verdict, Result("a", 1.0, 1100.0).verdict
        ('PASS', 'WARN: over 1 GB')
        >>> Result("a", 1.0, 2100.0).verdict, Result("a", 1.0, 9.0, "cell 3: X").verdict
        ('FAIL: over 2 GB', 'FAIL: cell 3: X')
        """
        if self.error:
            return f"FAIL: {self.error}"
        if self.peak_mb >= HARD_LIMIT_MB:
            return "FAIL: over 2 GB"
        if self.peak_mb >= GUARANTEED_MB:
            return "WARN: over 1 GB"
        return "PASS"


def table(results: list[Result], environment: str) -> str:
    """The report: one row per notebook, and the environment it ran in.

    Examples
    --------
    >>> print(table([Result("book/a.ipynb", 3.04, 512.4)], "Binder: Python 3.11"))
    environment: Binder: Python 3.11
    notebook                                  seconds  peak MB  verdict
    book/a.ipynb                                  3.0      512  PASS
    all 1 notebooks                               3.0      512  0 failed
    """
    lines = [f"environment: {environment}",
             f"{'notebook':40} {'seconds':>8} {'peak MB':>8}  verdict"]
    for r in results:
        note = f" ({r.installed})" if r.installed else ""
        lines.append(f"{r.notebook:40} {r.seconds:8.1f} {r.peak_mb:8.0f}  {r.verdict}{note}")
    failed = sum(r.verdict.startswith("FAIL") for r in results)
    lines.append(f"{f'all {len(results)} notebooks':40} {sum(r.seconds for r in results):8.1f} "
                 f"{max((r.peak_mb for r in results), default=0):8.0f}  {failed} failed")
    return "\n".join(lines)


def run_notebook(nb, folder: Path, name: str) -> Result:
    """Execute ``nb`` in a fresh kernel from ``folder``; time it and sample its memory."""
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(folder)}})
    error = ""
    start = time.perf_counter()
    with client.setup_kernel():
        sampler = bench_notebooks.PeakMemory(client.km.provisioner.process.pid)
        sampler.start()
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                error = f"cell {index}: {exc.ename}: {str(exc.evalue).splitlines()[0][:150]}"
                break
        seconds = time.perf_counter() - start
        peak = sampler.stop()
    installed = [line.split(" (")[0] for cell in nb.cells if cell.cell_type == "code"
                 and cell.source.startswith(booktools.EXTRAS_MARKER)
                 for output in cell.get("outputs", []) if output.get("name") == "stdout"
                 for line in output.text.splitlines() if line.startswith("installed ")]
    return Result(name, seconds, peak, error, "; ".join(installed))


def head_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=booktools.ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def as_colab(nb, ref: str):
    """``nb`` as Colab runs it from this checkout: a stand-in google.colab first, and the
    Colab cell installing the companion from ``git+file://<checkout>@ref``."""
    cell = booktools.first_code_cell(nb)
    if cell is None or not cell.source.startswith(booktools.COLAB_MARKER):
        raise ConfigError("the notebook has no Colab cell: run scripts/execute_notebooks.py")
    # file://localhost/...: pip before 24 refuses a git+file URL with an empty host.
    cell.source = booktools.colab_cell_source(url=f"file://localhost{booktools.ROOT}", ref=ref)
    nb.cells.insert(0, nbformat.v4.new_code_cell(FAKE_COLAB))
    return nb


def needs_an_extra(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return bool(booktools.needed_extras(booktools.notebook_code(nb)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--env", type=Path, help="the environment's folder (default: under "
                        "the temporary folder; reused while its stamp matches)")
    parser.add_argument("--colab", action="store_true",
                        help="Colab's packages and the Colab cell, instead of Binder's image")
    args = parser.parse_args(argv)
    root = booktools.ROOT
    try:
        plan = build_plan(root)
        python = find_python(plan.python)
        version = subprocess.run([python, "--version"], capture_output=True, text=True,
                                 check=True).stdout.strip()
        if args.colab:
            ref = head_commit()
            lines = colab_requirements((root / "requirements.txt").read_text(encoding="utf-8"))
            env = args.env or Path(tempfile.gettempdir()) / "colab-check-env"
            stamp = stamp_of("colab", version, *lines)
            installs = [lines]
            environment = (f"Colab stand-in: {version} venv {env} with {', '.join(lines)}; "
                           f"the companion from git+file://localhost{root}@{ref[:10]} "
                           "by the Colab cell")
        else:
            env = args.env or Path(tempfile.gettempdir()) / "binder-check-env"
            texts = [(root / name).read_text(encoding="utf-8") for name in plan.files]
            stamp = stamp_of("binder", version, *plan.files, *texts)
            installs = plan.installs
            environment = (f"Binder (repo2docker Python buildpack): {version} venv {env}, "
                           f"{' + '.join(plan.files)}" + (", pip install ." * plan.package))
        env = env.resolve()
        seconds = prepare(env, python=python, stamp=stamp, installs=installs)
        if plan.package and not args.colab:
            start = time.perf_counter()
            pip(env, "install", "-qq", ".")
            seconds += time.perf_counter() - start
    except (ConfigError, subprocess.CalledProcessError) as error:
        print(f"binder_check: {error}", file=sys.stderr)
        return 2
    print(f"environment ready in {seconds:.0f} s", flush=True)
    paths = [p.resolve() for p in args.notebooks] or booktools.toc_notebooks()
    if args.colab and not args.notebooks:
        paths = [p for p in paths if needs_an_extra(p) or p == root / COLAB_FIRST]
    os.environ.update(kernel_environment(env))
    image = freeze(env)
    results = []
    for path in paths:
        # Each launch button starts a fresh session of the image: no extras installed by
        # the notebook before.
        if not restore(env, image):
            print(f"binder_check: could not restore {env}: remove it", file=sys.stderr)
            return 2
        nb = nbformat.read(path, as_version=4)
        name = str(bench_notebooks.relative(path))
        if args.colab:  # Colab opens the notebook alone, in an empty folder (/content)
            with tempfile.TemporaryDirectory(prefix="content-") as content:
                result = run_notebook(as_colab(nb, ref), Path(content), name)
        else:
            result = run_notebook(nb, path.parent, name)
        print(f"  {result.notebook}: {result.seconds:.1f} s, {result.peak_mb:.0f} MB, "
              f"{result.verdict} {result.installed}", flush=True)
        results.append(result)
    print(table(results, environment))
    return 1 if any(r.verdict.startswith("FAIL") for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
