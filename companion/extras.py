"""Install Part III's extras (PyTorch, JAX, Keras 2) where a chapter needs them.

Binder builds the book's image from ``requirements.txt`` and the companion only, and
Colab has its own packages, so a chapter that imports ``torch`` or runs a snippet on the
JAX backend or on Keras 2 (tf-keras) starts with a hidden cell::

    import companion.extras
    companion.extras.ensure("torch", "jax")

:func:`ensure` prints nothing when every named extra is importable (as in the book's
``.venv``). Otherwise it installs only the missing ones into this interpreter, with
``sys.executable -m pip``, so the kernel and the child processes that
``companion.run_snippet`` starts (the same interpreter) both find them, and prints one
line per installed extra. A failed install raises ``RuntimeError``.

The versions are the ones the book's outputs were produced with (``requirements-extras.txt``
and ``requirements-nodeps.txt``; a test keeps them equal):

- ``torch``: ``torch==2.13.0``, from PyTorch's CPU-only index on Linux x86-64 (PyTorch's
  install page, https://pytorch.org/get-started/locally/), so no CUDA build is pulled. Set
  ``COMPANION_TORCH_INDEX_URL`` to use another index; empty means pip's configured index.
  On Linux, after the install, a child process reads ``torch.version.cuda``: anything but
  ``None`` (a CUDA build from another index, or a torch that does not import) raises
  ``RuntimeError``.
- ``jax``: ``jax==0.10.2`` and ``jaxlib==0.10.2`` (CPU).
- ``tf_keras``: the tf-keras release of the installed TensorFlow's major.minor
  (``tf-keras~=2.21.0`` for TensorFlow 2.21), with ``--no-deps``: tf-keras asks for the
  ``tensorflow`` wheel, which would install a second TensorFlow beside ``tensorflow-cpu``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

TORCH_VERSION = "2.13.0"
JAX_VERSION = "0.10.2"
#: PyTorch's index of CPU-only wheels.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: Set it to use another index for torch; set and empty: pip's configured index.
TORCH_INDEX_VARIABLE = "COMPANION_TORCH_INDEX_URL"

#: Extra -> the modules that must be importable for it to count as installed.
MODULES = {"torch": ("torch",), "jax": ("jax", "jaxlib"), "tf_keras": ("tf_keras",)}
#: Extra -> the distribution whose version is reported after the install.
DISTRIBUTIONS = {"torch": "torch", "jax": "jax", "tf_keras": "tf-keras"}
EXTRAS = tuple(MODULES)


def is_installed(extra: str) -> bool:
    """True if every module of ``extra`` can be imported here (nothing is imported)."""
    return all(importlib.util.find_spec(module) is not None for module in MODULES[extra])


def tensorflow_version() -> str | None:
    """The installed TensorFlow's version (``tensorflow-cpu`` or ``tensorflow``), or None."""
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            return version(name)
        except PackageNotFoundError:
            pass
    return None


def tf_keras_requirement(tensorflow: str | None) -> str:
    """The tf-keras release that goes with TensorFlow ``tensorflow``.

    Examples
    --------
    >>> tf_keras_requirement("2.21.0")
    'tf-keras~=2.21.0'
    >>> tf_keras_requirement("2.19.1")
    'tf-keras~=2.19.0'
    """
    if tensorflow is None:
        raise RuntimeError("tf-keras (Keras 2) needs TensorFlow, which is not installed here: "
                           "install the book's requirements.txt (or tensorflow) first, then "
                           "run this cell again")
    major, minor = tensorflow.split(".")[:2]
    return f"tf-keras~={major}.{minor}.0"


def torch_index() -> str | None:
    """The index to take torch from: ``COMPANION_TORCH_INDEX_URL`` if it is set (empty:
    pip's own), else PyTorch's CPU index on Linux x86-64 and pip's own elsewhere."""
    if TORCH_INDEX_VARIABLE in os.environ:
        return os.environ[TORCH_INDEX_VARIABLE] or None
    if sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64"):
        return TORCH_CPU_INDEX
    return None


def pip_arguments(extra: str) -> list[str]:
    """The arguments after ``python -m pip install`` that install ``extra``.

    Examples
    --------
    >>> pip_arguments("jax")
    ['jax==0.10.2', 'jaxlib==0.10.2']
    """
    if extra == "torch":
        index = torch_index()
        return [f"torch=={TORCH_VERSION}", *(["--index-url", index] if index else [])]
    if extra == "jax":
        return [f"jax=={JAX_VERSION}", f"jaxlib=={JAX_VERSION}"]
    return ["--no-deps", tf_keras_requirement(tensorflow_version())]


def _check_names(extras: tuple[str, ...]) -> None:
    for extra in extras:
        if extra not in MODULES:
            raise ValueError(f"expected extras among {', '.join(map(repr, EXTRAS))}, got "
                             f"{extra!r}: pass for example ensure(\"torch\", \"jax\")")


def _install(extra: str) -> str:
    command = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
               *pip_arguments(extra)]
    pip = subprocess.run(command, capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError(
            f"could not install the extra {extra!r} with `{' '.join(command[1:])}` (pip's "
            f"exit status {pip.returncode}): {pip.stderr.strip()[-500:]}\nCheck that this "
            "runtime reaches the package index (or set COMPANION_TORCH_INDEX_URL for torch), "
            "then run this cell again; or install it yourself and restart the kernel.")
    importlib.invalidate_caches()
    if extra == "torch" and sys.platform == "linux":
        cuda = subprocess.run([sys.executable, "-c", "import torch; print(torch.version.cuda)"],
                              capture_output=True, text=True)
        if cuda.returncode != 0:
            raise RuntimeError(
                f"pip installed torch, but it does not import: {cuda.stderr.strip()[-500:]}"
                "\nRestart the runtime and run this cell again; if it fails again, install "
                f"it yourself: `pip install torch=={TORCH_VERSION} --index-url "
                f"{TORCH_CPU_INDEX}`")
        if cuda.stdout.strip() != "None":
            raise RuntimeError(
                f"pip installed a torch build for CUDA {cuda.stdout.strip()}, not the "
                "CPU-only build the book uses: "
                f"uninstall it and run `pip install torch=={TORCH_VERSION} --index-url "
                f"{TORCH_CPU_INDEX}`")
    return version(DISTRIBUTIONS[extra])


def ensure(*extras: str) -> None:
    """Install each of ``extras`` that cannot be imported here; print one line for each.

    Parameters
    ----------
    *extras : str
        Any of ``"torch"``, ``"jax"`` and ``"tf_keras"``.

    It returns None, so that the notebook cell that calls it shows nothing.
    """
    _check_names(extras)
    for extra in dict.fromkeys(extras):
        if not is_installed(extra):
            installed = _install(extra)
            print(f"installed {DISTRIBUTIONS[extra]} {installed} "
                  f"({' '.join(pip_arguments(extra))})", flush=True)
