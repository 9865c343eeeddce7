"""companion.extras: the hidden cell that installs Part III's extras where they are
missing (Binder, Colab). No network, no real pip: subprocess.run is replaced."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from companion import extras

ROOT = Path(__file__).resolve().parents[1]


class FakePip:
    """Records the commands ``subprocess.run`` gets; answers like pip and python would."""

    def __init__(self, returncode=0, stderr="", cuda="None", broken=False):
        self.commands = []
        self.returncode, self.stderr, self.cuda = returncode, stderr, cuda
        self.broken = broken  # the installed torch fails to import

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        if command[1:3] == ["-m", "pip"]:
            return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)
        if self.broken:
            return subprocess.CompletedProcess(command, 1, "", "ImportError: libtorch.so")
        return subprocess.CompletedProcess(command, 0, f"{self.cuda}\n", "")


@pytest.fixture
def fake(monkeypatch):
    def install(missing=(), **kwargs):
        pip = FakePip(**kwargs)
        monkeypatch.setattr(extras.subprocess, "run", pip)
        monkeypatch.setattr(extras, "is_installed", lambda extra: extra not in missing)
        monkeypatch.setattr(extras, "version", lambda name: {
            "torch": "2.13.0+cpu", "jax": "0.10.2", "tf-keras": "2.21.0",
            "tensorflow-cpu": "2.21.0"}[name])
        return pip
    return install


def installs(pip):
    return [command[command.index("install") + 1:] for command in pip.commands
            if command[1:3] == ["-m", "pip"]]


def test_nothing_missing_prints_nothing_and_runs_no_pip(fake, capsys):
    pip = fake(missing=())
    assert extras.ensure("torch", "jax", "tf_keras") is None
    assert pip.commands == []
    assert capsys.readouterr() == ("", "")


def test_the_book_environment_has_every_extra_so_the_cell_is_a_no_op_there(capsys):
    if not all(extras.is_installed(extra) for extra in extras.EXTRAS):
        pytest.skip("this environment lacks an extra (the compatibility stack)")
    extras.ensure(*extras.EXTRAS)
    assert capsys.readouterr().out == ""


def test_torch_comes_from_the_cpu_index_on_linux(fake, monkeypatch, capsys):
    monkeypatch.delenv(extras.TORCH_INDEX_VARIABLE, raising=False)
    monkeypatch.setattr(extras.sys, "platform", "linux")
    monkeypatch.setattr(extras.platform, "machine", lambda: "x86_64")
    pip = fake(missing=("torch",))
    extras.ensure("torch", "jax")
    assert installs(pip) == [["-q", "--disable-pip-version-check", "torch==2.13.0",
                              "--index-url", "https://download.pytorch.org/whl/cpu"]]
    assert pip.commands[0][0] == sys.executable
    assert pip.commands[-1][:2] == [sys.executable, "-c"]  # torch.version.cuda is checked
    assert capsys.readouterr().out.startswith("installed torch 2.13.0+cpu (torch==2.13.0")


def test_the_torch_index_variable_overrides_and_empty_means_pips_own(fake, monkeypatch):
    monkeypatch.setattr(extras.sys, "platform", "linux")
    monkeypatch.setenv(extras.TORCH_INDEX_VARIABLE, "")
    pip = fake(missing=("torch",))
    extras.ensure("torch")
    assert installs(pip)[0][-1] == "torch==2.13.0"
    monkeypatch.setenv(extras.TORCH_INDEX_VARIABLE, "https://mirror.example/cpu")
    assert extras.pip_arguments("torch")[-2:] == ["--index-url", "https://mirror.example/cpu"]


def test_a_cuda_build_of_torch_raises(fake, monkeypatch):
    monkeypatch.setattr(extras.sys, "platform", "linux")
    fake(missing=("torch",), cuda="12.8")
    with pytest.raises(RuntimeError, match="CUDA 12.8.*CPU-only"):
        extras.ensure("torch")


def test_a_torch_that_does_not_import_says_so(fake, monkeypatch):
    monkeypatch.setattr(extras.sys, "platform", "linux")
    fake(missing=("torch",), broken=True)
    with pytest.raises(RuntimeError, match="does not import: ImportError: libtorch.so"):
        extras.ensure("torch")


def test_jax_and_tf_keras_commands(fake, monkeypatch, capsys):
    pip = fake(missing=("jax", "tf_keras"))
    monkeypatch.setattr(extras, "tensorflow_version", lambda: "2.19.1")
    extras.ensure("tf_keras", "jax", "jax")
    assert capsys.readouterr().out.splitlines() == [
        "installed tf-keras 2.21.0 (--no-deps tf-keras~=2.19.0)",
        "installed jax 0.10.2 (jax==0.10.2 jaxlib==0.10.2)"]
    assert [args[2:] for args in installs(pip)] == [
        ["--no-deps", "tf-keras~=2.19.0"], ["jax==0.10.2", "jaxlib==0.10.2"]]


def test_tf_keras_without_tensorflow_says_what_to_do():
    with pytest.raises(RuntimeError, match="needs TensorFlow"):
        extras.tf_keras_requirement(None)


def test_a_failed_install_raises_naming_the_extra_the_status_and_pips_words(fake):
    fake(missing=("jax",), returncode=1,
         stderr="ERROR: No matching distribution found for jaxlib==0.10.2")
    with pytest.raises(RuntimeError) as error:
        extras.ensure("jax")
    message = str(error.value)
    assert "'jax'" in message and "exit status 1" in message
    assert "No matching distribution found for jaxlib==0.10.2" in message
    assert "run this cell again" in message


def test_an_unknown_extra_is_a_value_error_naming_the_known_ones(fake):
    pip = fake()
    with pytest.raises(ValueError, match="'torch', 'jax', 'tf_keras'.*got 'pytorch'"):
        extras.ensure("torch", "pytorch")
    assert pip.commands == []


def _pins(name):
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        match = re.match(r"([\w-]+)==([\w.]+)", line)
        if match:
            pins[match[1]] = match[2]
    return pins


def test_pins_equal_the_requirements_files():
    assert _pins("requirements-extras.txt") == {
        "torch": extras.TORCH_VERSION, "jax": extras.JAX_VERSION, "jaxlib": extras.JAX_VERSION}
    tensorflow = _pins("requirements.txt")["tensorflow-cpu"]
    assert extras.tf_keras_requirement(tensorflow) == f"tf-keras~={tensorflow}"
    assert _pins("requirements-nodeps.txt") == {"tf-keras": tensorflow}
    assert extras.TORCH_CPU_INDEX in (ROOT / "requirements-extras.txt").read_text()


def test_a_snippet_process_uses_this_interpreter_so_it_finds_what_ensure_installed(
        monkeypatch):
    from companion import subprocess_run

    calls = []

    def popen(command, **kwargs):
        calls.append(command)
        raise OSError("stop here")

    monkeypatch.setattr(subprocess_run.subprocess, "Popen", popen)
    with pytest.raises(OSError):
        subprocess_run._start("result = 1", {}, ())
    assert calls[0][0] == sys.executable
