"""scripts/binder_check.py: its reading of repo2docker's rules and its report (the pure
parts; the check itself builds environments and runs every notebook: `make binder-check`)."""

from __future__ import annotations

import time
import types

import binder_check
import booktools
import nbformat
import pytest


def repository(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


PACKAGE = '[project]\nname = "x"\n[build-system]\nrequires = ["setuptools"]\n'


def test_this_repository_is_built_from_runtime_requirements_and_the_package():
    plan = binder_check.build_plan(booktools.ROOT)
    assert (plan.python, plan.config_dir, plan.package) == ("3.11", "", True)
    assert plan.files == ["runtime.txt", "requirements.txt"]
    assert plan.installs == [["-r", str(booktools.ROOT / "requirements.txt")]]


def test_a_binder_folder_hides_the_root_files_and_the_package(tmp_path):
    root = repository(tmp_path, {"runtime.txt": "python-3.12", "requirements.txt": "numpy\n",
                                 "pyproject.toml": PACKAGE,
                                 "binder/runtime.txt": "python-3.11-2025-01-31"})
    plan = binder_check.build_plan(root)
    assert (plan.python, plan.config_dir, plan.files) == ("3.11", "binder",
                                                          ["binder/runtime.txt"])
    assert plan.installs == [] and plan.package is False


def test_both_binder_folders_are_refused(tmp_path):
    (tmp_path / "binder").mkdir()
    (tmp_path / ".binder").mkdir()
    with pytest.raises(binder_check.ConfigError, match="exclusive"):
        binder_check.build_plan(tmp_path)


@pytest.mark.parametrize("pyproject, package", [
    (PACKAGE, True), ('[project]\nname = "x"\n', False), ("[tool.ruff]\n", False)])
def test_pyproject_needs_project_and_build_system_to_be_installed(tmp_path, pyproject, package):
    root = repository(tmp_path, {"runtime.txt": "python-3.11", "pyproject.toml": pyproject})
    assert binder_check.build_plan(root).package is package


@pytest.mark.parametrize("name", ["environment.yml", "Dockerfile", "postBuild", "apt.txt"])
def test_files_of_other_buildpacks_or_steps_not_reproduced_are_refused(tmp_path, name):
    root = repository(tmp_path, {"runtime.txt": "python-3.11", name: ""})
    with pytest.raises(binder_check.ConfigError, match=name):
        binder_check.build_plan(root)


@pytest.mark.parametrize("text", [None, "r-4.3-2024-01-01", "python-3", "python3.11"])
def test_runtime_txt_must_name_a_python_minor_version(text):
    with pytest.raises(binder_check.ConfigError):
        binder_check.runtime_python(text)


def test_a_missing_python_fails_clearly(monkeypatch):
    monkeypatch.setattr(binder_check.shutil, "which", lambda name: None)
    with pytest.raises(binder_check.ConfigError, match="python3.99 is not on PATH"):
        binder_check.find_python("3.99")


def test_colab_gets_the_pinned_tensorflow_keras_numpy_matplotlib_and_the_runner_only():
    lines = binder_check.colab_requirements(
        (booktools.ROOT / "requirements.txt").read_text(encoding="utf-8"))
    names = {line.split("==")[0] for line in lines}
    assert names == {"tensorflow-cpu", "tensorflow", "keras", "numpy", "matplotlib",
                     "ipykernel", "nbclient"}
    assert not any("companion" in line or "torch" in line for line in lines)


def test_the_colab_run_marks_the_kernel_as_colab_and_installs_from_this_checkout():
    nb = nbformat.read(booktools.ROOT / binder_check.COLAB_FIRST, as_version=4)
    cells = len(nb.cells)
    nb = binder_check.as_colab(nb, "abc123")
    assert len(nb.cells) == cells + 1
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert 'sys.modules["google.colab"]' in nb.cells[0].source == code[0]
    assert f"git+file://localhost{booktools.ROOT}@abc123" in code[1]


def test_kernels_run_the_environments_python_quietly_with_pips_own_torch_index(
        tmp_path, monkeypatch):
    monkeypatch.delenv(binder_check.TORCH_INDEX, raising=False)
    monkeypatch.setattr(binder_check.socket, "create_connection",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    variables = binder_check.kernel_environment(tmp_path)
    spec = tmp_path / "share" / "binder-check" / "kernels" / binder_check.KERNEL / "kernel.json"
    assert str(tmp_path / "bin" / "python") in spec.read_text()
    assert variables["PATH"].startswith(str(tmp_path / "bin"))
    assert variables["COMPANION_TORCH_INDEX_URL"] == ""
    assert variables["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert "VIRTUAL_ENV" not in variables and "PYTHONPATH" not in variables


def test_where_pytorchs_cpu_index_answers_the_extras_cell_uses_it(monkeypatch):
    class Connection:
        def close(self):
            pass

    monkeypatch.delenv(binder_check.TORCH_INDEX, raising=False)
    monkeypatch.setattr(binder_check.socket, "create_connection", lambda *a, **k: Connection())
    assert binder_check.torch_index() is None
    monkeypatch.setenv(binder_check.TORCH_INDEX, "https://mirror.example/cpu")
    assert binder_check.torch_index() == "https://mirror.example/cpu"


def test_the_report_fails_on_an_error_or_2_gb_and_warns_over_1_gb():
    results = [binder_check.Result("book/a.ipynb", 2.0, 1200.0, "", "installed torch 2.13.0"),
               binder_check.Result("book/b.ipynb", 3.0, 300.0,
                                   "cell 4: ModuleNotFoundError: No module named 'torch'")]
    report = binder_check.table(results, "Binder")
    assert "WARN: over 1 GB (installed torch 2.13.0)" in report
    assert "No module named 'torch'" in report
    assert report.splitlines()[-1].endswith("1 failed")


def test_peak_memory_keeps_sampling_when_a_child_ends(monkeypatch):
    """bench_notebooks.PeakMemory, which this check uses: a pip or snippet child that ends
    between the listing and the reading does not stop the sampling."""
    bench = binder_check.bench_notebooks

    class Gone:
        def memory_info(self):
            raise bench.psutil.NoSuchProcess(1)

    class Kernel:
        def __init__(self):
            self.rss = 0

        def children(self, recursive):
            return [Gone()]

        def memory_info(self):
            self.rss += 2**20
            return types.SimpleNamespace(rss=self.rss)

    monkeypatch.setattr(bench.psutil, "Process", lambda pid: Kernel())
    sampler = bench.PeakMemory(1, interval=0.001)
    sampler.start()
    time.sleep(0.05)
    assert sampler.is_alive()
    assert sampler.stop() >= 2
