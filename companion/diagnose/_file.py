"""Load a saved model file for :func:`companion.diagnose`, with a clear error.

``keras.models.load_model`` reports a missing file and a file that is not a ``.keras``
zip archive with the same words ("File not found"), and a model that needs code it
does not have with a long chained message. :func:`load_model_file` tells these cases
apart and raises :class:`ModelFileError`, whose message says what is wrong and what to
do; the command line (``python -m companion.diagnose``) prints that message instead
of a traceback.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any


class ModelFileError(Exception):
    """A model file that cannot be loaded: missing, corrupt, or refused by Keras."""


def load_model_file(path: str | os.PathLike[str], *, safe_mode: bool = True) -> Any:
    """Load the model saved in ``path`` (``.keras`` or ``.h5``) with Keras.

    Parameters
    ----------
    path : str or path-like
        The file ``model.save`` wrote.
    safe_mode : bool, default True
        Passed to ``keras.models.load_model``: with ``True`` Keras refuses to rebuild a
        Python ``lambda`` stored in the file (it would run code from the file).

    Returns
    -------
    keras.Model

    Raises
    ------
    ModelFileError
        If the file is missing, is not a Keras model file, or Keras cannot rebuild the
        model from it; the message says why and what to do.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such file: check the path (a model saved with "
                             f"model.save('model.keras') is a single .keras file)")
    if path.is_dir():
        raise ModelFileError(f"{path}: a directory, not a model file: a folder written by "
                             f"model.export() is a TensorFlow SavedModel, which "
                             f"keras.layers.TFSMLayer loads; diagnose reads .keras files")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a .keras file (a .keras file is a zip archive "
                             f"of config.json, metadata.json and model.weights.h5): the "
                             f"file is damaged or is something else; save the model again")
    if path.suffix not in (".keras", ".h5"):
        raise ModelFileError(f"{path}: Keras 3 loads .keras files (and legacy .h5); this "
                             f"file ends in {path.suffix or 'no extension'!r}")
    import keras

    try:
        return keras.models.load_model(path, safe_mode=safe_mode)
    except Exception as error:
        raise ModelFileError(_explain(path, error)) from None


def _explain(path: Path, error: Exception) -> str:
    text = str(error)
    if "safe_mode" in text and "lambda" in text:
        return (f"{path}: the model holds a Python lambda (a Lambda layer), and Keras's "
                f"safe mode refuses to rebuild it, because loading it runs code stored in "
                f"the file. If you trust the file, load it with safe_mode=False (command "
                f"line: --unsafe); better, replace the Lambda with a layer class that has "
                f"get_config and is registered with "
                f"keras.saving.register_keras_serializable")
    missing = re.findall(r"Could not locate class '([^']+)'", text)
    if missing:
        return (f"{path}: the model uses the class {missing[-1]!r}, which this process "
                f"does not know: import the module that defines it (registered with "
                f"keras.saving.register_keras_serializable) before loading, or pass "
                f"custom_objects={{{missing[-1]!r}: {missing[-1]}}} to "
                f"keras.models.load_model")
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"{path}: Keras could not load the model ({type(error).__name__}: {first})"
