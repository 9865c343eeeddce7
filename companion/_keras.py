"""Import Keras on demand, with an error that says what to install when it is missing.

The companion's own dependencies are NumPy and Matplotlib only, so that Colab keeps its
preinstalled TensorFlow. Functions that need Keras call :func:`import_keras` when they
run; a reader who installed the companion alone then learns which extra to install,
instead of meeting a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = ('pip install "return-sequences-companion[tensorflow]" (Keras 3 with the '
                'TensorFlow backend), or install Keras 3 and a backend yourself: '
                'pip install tensorflow')


def import_keras(purpose: str) -> ModuleType:
    """Return the ``keras`` module, or raise ``ImportError`` naming what to install.

    ``purpose`` completes the sentence "... needs Keras 3 ...", for example
    ``"start_session()"``.

    Examples
    --------
    >>> import_keras("this example").__name__
    'keras'
    """
    try:
        keras = importlib.import_module("keras")
    except ImportError as error:
        missing = getattr(error, "name", None) or "keras"
        if missing == "keras":
            what = "Keras is not installed"
        else:
            what = f"Keras is installed but its backend cannot be imported ({missing})"
        raise ImportError(f"{purpose} needs Keras 3 with a backend, but {what}: "
                          f"{INSTALL_HINT}") from error
    version = getattr(keras, "__version__", "0")
    if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 3:
        raise ImportError(f"{purpose} needs Keras 3, but Keras {version} is installed: "
                          f"{INSTALL_HINT}")
    return keras
