"""Make a notebook session quiet and reproducible.

Introduced in the chapter "The default: only the last hidden state"; every chapter
calls :func:`start_session` in its set-up cell, before it imports Keras.

What it does, in order:

1. Sets ``TF_CPP_MIN_LOG_LEVEL=3`` so TensorFlow's C++ start-up lines do not land in
   the notebook (they reach notebooks run by JupyterLab and nbclient, but not nbval,
   which would then report a missing stderr output). It only works when it runs
   before TensorFlow is first imported, so it is the first thing a chapter does.
2. Sets ``TF_ENABLE_ONEDNN_OPTS=0`` so numbers agree between Intel and AMD hosts.
3. Imports Keras, seeds Python, NumPy and TensorFlow with
   ``keras.utils.set_random_seed`` and turns on TensorFlow's deterministic ops.
4. Rounds NumPy's printed numbers so that outputs do not change in the last digits.
"""

from __future__ import annotations

import os
import sys

from companion import _validate as v
from companion._keras import import_keras

QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
}


def quiet_environment() -> dict[str, str]:
    """Set the environment variables that keep TensorFlow quiet and portable.

    Returns the variables that were set. Call it before TensorFlow is imported; the
    notebook runner (``make notebooks``) and the tests set the same variables.

    Examples
    --------
    >>> quiet_environment()["TF_CPP_MIN_LOG_LEVEL"]
    '3'
    """
    os.environ.update(QUIET_ENVIRONMENT)
    return dict(QUIET_ENVIRONMENT)


def start_session(seed: int = 0, *, precision: int = 4) -> None:
    """Quiet TensorFlow, seed Python's, NumPy's, TensorFlow's and Keras's global random
    generators and fix NumPy's print precision.

    Call it first in a notebook, before ``import keras``. Calling it again resets the
    seeds, which makes a later cell reproducible on its own.

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, NumPy and TensorFlow (0 to 2**32 - 1).
    precision : int
        Digits NumPy prints after the decimal point.

    Raises
    ------
    TypeError, ValueError
        If ``seed`` or ``precision`` is not a non-negative integer.
    ImportError
        If Keras 3 or its backend is not installed; the message says what to install.
    """
    seed = v.seed(seed)
    if not v.is_int(precision) or precision < 0:
        raise ValueError(f"expected precision to be a non-negative integer, got "
                         f"{precision!r}: pass for example precision=4")
    if "tensorflow" not in sys.modules:
        quiet_environment()
    import numpy as np

    np.set_printoptions(precision=int(precision), suppress=True)

    keras = import_keras("start_session()")
    keras.utils.set_random_seed(int(seed))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        tf.config.experimental.enable_op_determinism()
