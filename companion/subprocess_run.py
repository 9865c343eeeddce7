"""Run a snippet of Python in a fresh process, under a chosen Keras, and get its result.

Introduced in Part III, "Port recurrent code from Keras 2 to Keras 3", and used again by
"Check the same shapes on the TensorFlow, JAX and PyTorch backends" and "Find what
switches off the fused GPU kernel". A process imports Keras 3 once, with one backend
(``KERAS_BACKEND``), and binds ``tf.keras`` to one Keras (``TF_USE_LEGACY_KERAS=1``
makes it Keras 2, from the ``tf-keras`` package; ``import tf_keras`` beside ``import
keras`` works in any process). So a notebook whose kernel runs Keras 3 on TensorFlow
needs another process to show JAX or PyTorch, or code written against ``tf.keras`` as
Keras 2. :func:`run_snippet` starts that process with the quiet TensorFlow variables of
:mod:`companion.session`, runs the snippet, and hands back the value the snippet stores
in ``result``, through JSON. :func:`run_snippets` runs several, one per backend, all at
once by default: the wait is the slowest child's, not the sum (each child spends seconds
importing its framework), and the memory is the sum of the children's (a few hundred MB
each for JAX and PyTorch, more with what the snippet builds), so ``parallel=False`` runs
them one after another where memory is short.

A child imports only what its backend needs: by default the other backends' packages and
Matplotlib cannot be imported there (see :func:`blocked_imports`). Keras 3 imports them
when they are installed, to check a type (a ``Bidirectional`` layer asks whether its
argument is a ``tf.TensorShape``) or for a plotting helper, which costs a JAX or PyTorch
process memory and seconds. The child exits as soon as it has written its result,
without the clean-up of the frameworks it loaded.

Inside the snippet two helpers are defined: ``outcome(function)`` calls ``function()``
and returns ``{"value": ...}`` or ``{"error": "ValueError", "message": ...}``, with any
warnings as ``"warnings"``; ``strip_paths(text)`` removes file-system paths (a path
would make the printed text depend on the machine). Error messages and warnings that
``outcome`` returns are already stripped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from companion import _validate as v
from companion.session import QUIET_ENVIRONMENT

#: Backends a snippet can run under (``KERAS_BACKEND``).
BACKENDS = ("tensorflow", "jax", "torch")
#: The line the child process writes before its JSON result.
MARKER = "@@companion-result@@"
#: Lines of the child's stderr quoted when it fails.
STDERR_TAIL = 15

_PATH = re.compile(r"""(?:[A-Za-z]:)?(?:[/\\][^\s/\\'"`:,()<>]+)+[/\\]""")

_WRAPPER = """
import json, os, sys
for blocked in filter(None, sys.argv[2].split(",")):
    sys.modules[blocked] = None  # `import blocked` now raises ImportError
from companion.subprocess_run import outcome, strip_paths, to_json
namespace = {"outcome": outcome, "strip_paths": strip_paths, "__name__": "__snippet__"}
exec(compile(sys.argv[1], "<snippet>", "exec"), namespace)
if "result" not in namespace:
    raise NameError("the snippet did not set `result`: end it with result = ...")
sys.stdout.write("\\n" + MARKER + json.dumps(to_json(namespace["result"])) + "\\n")
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)  # skip the frameworks' clean-up at exit: seconds for PyTorch
""".replace("MARKER", repr(MARKER))


def strip_paths(text: str) -> str:
    """Remove directory paths from ``text``, keeping the file names.

    Examples
    --------
    >>> strip_paths("File /usr/lib/python3.11/site-packages/keras/src/layers/rnn.py, line 3")
    'File rnn.py, line 3'
    >>> strip_paths("no path here")
    'no path here'
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text to be a str, got {type(text).__name__}: "
                        "pass str(value)")
    return _PATH.sub("", text)


def to_json(value: Any) -> Any:
    """Turn tuples, NumPy values and arrays into plain JSON values (lists, numbers).

    Examples
    --------
    >>> import numpy as np
    >>> to_json({"shape": (2, 3), "close": np.bool_(True), "x": np.arange(2)})
    {'shape': [2, 3], 'close': True, 'x': [0, 1]}
    """
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if hasattr(value, "tolist") and callable(value.tolist):  # NumPy arrays and scalars
        return to_json(value.tolist())
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"expected JSON-able values (dict, list, tuple, str, number, bool, "
                    f"None or NumPy), got {type(value).__name__}: convert it in the "
                    "snippet, for example with str(value) or np.asarray(value).tolist()")


def outcome(function: Callable[[], Any]) -> dict[str, Any]:
    """Call ``function()`` and describe what happened, as a JSON-able dict.

    Returns ``{"value": result}`` when it returns, ``{"error": class name, "message":
    first line of the message}`` when it raises; either with ``"warnings"``, a list of
    ``"Category: message"`` strings, when it warned. Paths are removed from messages,
    lines longer than 120 characters are cut, and when Keras 2's first line only names
    the layer ("Exception encountered when calling layer ...") the next line, the cause,
    is kept too. A value that is not JSON-able raises ``TypeError`` (see :func:`to_json`).

    Examples
    --------
    >>> outcome(lambda: 1 + 1)
    {'value': 2}
    >>> outcome(lambda: int("x"))
    {'error': 'ValueError', 'message': "invalid literal for int() with base 10: 'x'"}
    """
    if not callable(function):
        raise TypeError(f"expected a function of no arguments, got "
                        f"{type(function).__name__}: wrap the call, outcome(lambda: ...)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function()
        except Exception as error:  # the point is to report any error by name
            report: dict[str, Any] = {"error": type(error).__name__,
                                      "message": _first_line(error)}
        else:
            report = {"value": to_json(value)}
    seen = [f"{item.category.__name__}: {_first_line(item.message)}" for item in caught]
    if seen:
        report["warnings"] = list(dict.fromkeys(seen))
    return report


#: Keras 2 wraps errors raised in a layer's call in a first line that names the layer;
#: the cause is on the next line, so :func:`outcome` keeps that one too.
_KERAS2_WRAPPER = "Exception encountered when calling layer"
_LONG = 120


def _first_line(error: Any) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return ""
    kept = lines[:2] if lines[0].startswith(_KERAS2_WRAPPER) else lines[:1]
    kept = [line if len(line) <= _LONG else line[:_LONG] + "..." for line in kept]
    return strip_paths(" ".join(kept))


def snippet_environment(backend: str = "tensorflow", *, legacy_keras: bool = False,
                        extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment :func:`run_snippet` gives the child process.

    This process's environment, plus the quiet TensorFlow variables, ``KERAS_BACKEND``,
    ``TF_USE_LEGACY_KERAS`` (``"1"`` or removed), ``PYTHONPATH`` starting with the
    folder that holds ``companion``, and ``extra`` last.

    Examples
    --------
    >>> env = snippet_environment("jax")
    >>> env["KERAS_BACKEND"], env["TF_CPP_MIN_LOG_LEVEL"], "TF_USE_LEGACY_KERAS" in env
    ('jax', '3', False)
    >>> snippet_environment(legacy_keras=True)["TF_USE_LEGACY_KERAS"]
    '1'
    """
    backend = v.choice("backend", backend, BACKENDS,
                       hint='pass "tensorflow", "jax" or "torch" (the KERAS_BACKEND values)')
    legacy_keras = v.flag("legacy_keras", legacy_keras)
    if legacy_keras and backend != "tensorflow":
        raise ValueError(f"expected backend='tensorflow' with legacy_keras=True, got "
                         f"backend={backend!r}: Keras 2 (tf-keras) runs on TensorFlow only")
    if extra is not None and not (isinstance(extra, Mapping) and all(
            isinstance(key, str) and isinstance(value, str) for key, value in extra.items())):
        raise TypeError(f"expected extra to be a mapping of str to str, got {extra!r}: "
                        'pass for example extra={"CUDA_VISIBLE_DEVICES": ""}')
    env = dict(os.environ)
    env.update(QUIET_ENVIRONMENT)
    env["KERAS_BACKEND"] = backend
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy_keras:
        env["TF_USE_LEGACY_KERAS"] = "1"
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        [root, *[part for part in env.get("PYTHONPATH", "").split(os.pathsep) if part]])
    env.update(extra or {})
    return env


#: Packages a child cannot import by default, besides the other backends' packages.
ALSO_BLOCKED = ("matplotlib",)


def blocked_imports(backend: str = "tensorflow") -> tuple[str, ...]:
    """The packages a child under ``backend`` cannot import, unless told otherwise.

    The other backends' packages, then :data:`ALSO_BLOCKED`. Keras 3 imports them
    only when they are installed, and carries on without them.

    Examples
    --------
    >>> blocked_imports("jax")
    ('tensorflow', 'torch', 'matplotlib')
    >>> blocked_imports()
    ('jax', 'torch', 'matplotlib')
    """
    backend = v.choice("backend", backend, BACKENDS,
                       hint='pass "tensorflow", "jax" or "torch" (the KERAS_BACKEND values)')
    # Each backend's package has the backend's name.
    return (*[name for name in BACKENDS if name != backend], *ALSO_BLOCKED)


def _blocked(block: Any, backend: str) -> tuple[str, ...]:
    if block is None:
        return blocked_imports(backend)
    if isinstance(block, str) or not all(
            isinstance(name, str) and name.isidentifier() for name in block):
        raise TypeError(f"expected block to be None or a sequence of package names, got "
                        f"{block!r}: pass for example block=() to block nothing")
    return tuple(block)


def _check_code(code: Any) -> None:
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"expected code to be a non-empty string of Python, got {code!r}: "
                         "pass a snippet that ends with result = ...")


def _start(code: str, env: dict[str, str], block: tuple[str, ...]) -> subprocess.Popen:
    # run_snippets has checked ``code`` with _check_code before any process starts.
    # The snippet travels as an argument (up to 128 KiB on Linux), not through a pipe.
    return subprocess.Popen([sys.executable, "-c", _WRAPPER, textwrap.dedent(code),
                             ",".join(block)],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, label: str, timeout: float) -> Any:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise TimeoutError(f"the snippet under {label} did not finish within {timeout} s: "
                           "make it smaller or pass a larger timeout=") from None
    head, marker, tail = stdout.rpartition(MARKER)
    if process.returncode != 0 or not marker:
        quoted = "\n".join(strip_paths(stderr).strip().splitlines()[-STDERR_TAIL:])
        raise RuntimeError(f"the snippet under {label} failed (exit status "
                           f"{process.returncode}); the end of its stderr:\n{quoted}")
    return json.loads(tail)


def _label(backend: str, legacy_keras: bool) -> str:
    return "Keras 2 (tf-keras)" if legacy_keras else f"KERAS_BACKEND={backend}"


def run_snippet(code: str, *, backend: str = "tensorflow", legacy_keras: bool = False,
                env: Mapping[str, str] | None = None, block: Sequence[str] | None = None,
                timeout: float = 300) -> Any:
    """Run ``code`` in a fresh Python process and return the value it stores in ``result``.

    Parameters
    ----------
    code : str
        Python source (dedented first). It imports what it needs and ends by assigning a
        JSON-able value (tuples and NumPy values are converted) to ``result``. It may use
        ``outcome`` and ``strip_paths`` (see the module docstring) without importing them.
    backend : {"tensorflow", "jax", "torch"}
        ``KERAS_BACKEND`` for the child: the backend Keras 3 uses there.
    legacy_keras : bool
        Set ``TF_USE_LEGACY_KERAS=1``, so that ``tf.keras`` is Keras 2 (needs the
        ``tf-keras`` package; ``import tf_keras`` works too). TensorFlow only.
    env : mapping of str to str, optional
        More environment variables, set last.
    block : sequence of str, optional
        Top-level packages the child cannot import (``import`` raises ``ImportError``).
        ``None``, the default, blocks :func:`blocked_imports` of ``backend``; ``()``
        blocks nothing.
    timeout : float
        Seconds before the child is killed and :class:`TimeoutError` raised.

    Returns
    -------
    object
        ``result`` after a round trip through JSON: dicts, lists, str, numbers, bools.

    Raises
    ------
    TypeError, ValueError
        For a bad argument: an unknown backend, ``legacy_keras`` with another backend,
        empty code.
    RuntimeError
        If the child fails (an exception the snippet does not catch, or no ``result``);
        the message quotes the end of its stderr, without paths.
    TimeoutError
        If the child runs longer than ``timeout``.

    Examples
    --------
    >>> run_snippet("import os; result = {'backend': os.environ['KERAS_BACKEND']}",
    ...             backend="jax")
    {'backend': 'jax'}
    >>> run_snippet("result = outcome(lambda: 1 / 0)")
    {'error': 'ZeroDivisionError', 'message': 'division by zero'}
    """
    return run_snippets({"run": code}, backends={"run": backend}, legacy_keras=legacy_keras,
                        env=env, block=block, timeout=timeout)["run"]


def run_snippets(codes: Mapping[str, str], *, backends: Mapping[str, str] | None = None,
                 legacy_keras: bool = False, env: Mapping[str, str] | None = None,
                 block: Sequence[str] | None = None, timeout: float = 300,
                 parallel: bool = True) -> dict[str, Any]:
    """Run several snippets, each in its own process; return every ``result``.

    Parameters
    ----------
    codes : mapping of str to str
        Name -> snippet. When ``backends`` is omitted, each name is the backend its
        snippet runs under (``"tensorflow"``, ``"jax"`` or ``"torch"``).
    backends : mapping of str to str, optional
        Name -> backend, for names that are not backends.
    legacy_keras, env, block, timeout
        As in :func:`run_snippet`, for every snippet (``timeout`` for each).
    parallel : bool, default True
        Start every process at once (the wall time of the slowest; the memory of all
        of them together), or, with ``False``, one after another (the sum of their
        times; the memory of the largest).

    Returns
    -------
    dict
        Name -> the snippet's ``result``, in the order of ``codes``.

    Raises
    ------
    TypeError, ValueError, RuntimeError, TimeoutError
        As :func:`run_snippet`; the first failure is raised after every snippet has run.

    Examples
    --------
    >>> code = "import os; result = os.environ['KERAS_BACKEND']"
    >>> run_snippets({"jax": code, "torch": code})
    {'jax': 'jax', 'torch': 'torch'}
    """
    if not isinstance(codes, Mapping) or not codes:
        raise TypeError(f"expected codes to be a non-empty mapping of name to snippet, got "
                        f"{codes!r}: pass for example {{'jax': code, 'torch': code}}")
    if backends is None:
        backends = {name: name for name in codes}
    missing = [name for name in codes if name not in backends]
    if missing:
        raise ValueError(f"expected a backend for every snippet, got none for {missing}: "
                         "name the snippets after backends or pass backends={name: backend}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"expected timeout to be a positive number of seconds, got "
                         f"{timeout!r}: pass for example timeout=300")
    envs = {name: snippet_environment(backends[name], legacy_keras=legacy_keras, extra=env)
            for name in codes}
    blocks = {name: _blocked(block, backends[name]) for name in codes}
    parallel = v.flag("parallel", parallel)
    for code in codes.values():  # every snippet checked before any process starts
        _check_code(code)
    started: dict[str, subprocess.Popen] = {}
    if parallel:
        started = {name: _start(code, envs[name], blocks[name]) for name, code in codes.items()}
    results: dict[str, Any] = {}
    failure: Exception | None = None
    for name, code in codes.items():
        process = started.get(name) or _start(code, envs[name], blocks[name])
        try:
            results[name] = _finish(process, _label(backends[name], legacy_keras), timeout)
        except (RuntimeError, TimeoutError) as error:
            failure = failure or error
    if failure is not None:
        raise failure
    return results
