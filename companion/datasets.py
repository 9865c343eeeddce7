"""Small, seeded toy datasets for sequence models, in pure NumPy.

Introduced in the chapters "The default: only the last hidden state" and "Return every
hidden state". Every generator draws from its own ``numpy.random.default_rng(seed)``,
so it never touches NumPy's global random state, and the same seed always gives the
same arrays. Inputs are ``float32``, shaped ``(batch_size, timesteps, features)`` as
Keras recurrent layers expect.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from companion import _validate as v

__all__ = [
    "make_sequence_regression",
    "make_sequence_classification",
    "make_per_timestep_labels",
    "make_sine_series",
    "make_forecasting_windows",
]


def _real(name: str, value: Any, *, minimum: float, strict: bool, hint: str) -> float:
    """Validate a finite real number above (``strict``) or at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"expected {name} to be a real number, got {value!r} of type "
                        f"{type(value).__name__}: {hint}")
    number = float(value)
    too_small = number <= minimum if strict else number < minimum
    if not np.isfinite(number) or too_small:
        bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
        raise ValueError(f"expected {name} to be a finite number {bound}, got {value!r}: {hint}")
    return number


def make_sequence_regression(n_samples: int = 1024, timesteps: int = 10, features: int = 8, *,
                             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sequences whose target is the mean over time of their first feature.

    A sequence-to-one regression task: the model must read every step to answer, so the
    last hidden state has to summarise the whole sequence.

    Parameters
    ----------
    n_samples, timesteps, features : int
        Sizes of ``x``: ``(n_samples, timesteps, features)``.
    seed : int
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        ``float32``, shape ``(n_samples, timesteps, features)``, standard normal.
    y : numpy.ndarray
        ``float32``, shape ``(n_samples, 1)``: ``x[:, :, 0].mean(axis=1)``.

    Raises
    ------
    TypeError, ValueError
        If a size is not a positive integer or ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> x, y = make_sequence_regression(32, 10, 8)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((32, 10, 8), dtype('float32'), (32, 1), dtype('float32'))
    >>> bool(np.allclose(y[:, 0], x[:, :, 0].mean(axis=1), atol=1e-6))
    True
    """
    n_samples = v.positive_int("n_samples", n_samples)
    timesteps = v.positive_int("timesteps", timesteps)
    features = v.positive_int("features", features)
    rng = np.random.default_rng(v.seed(seed))
    x = rng.standard_normal((n_samples, timesteps, features)).astype(np.float32)
    y = x[:, :, 0].mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    return x, y


def make_sequence_classification(n_samples: int = 1024, timesteps: int = 10, features: int = 4,
                                 *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sequences labelled 1 when the sum over time of their first feature is positive.

    A sequence-to-one binary classification task; the two classes are close to balanced.

    Parameters
    ----------
    n_samples, timesteps, features : int
        Sizes of ``x``: ``(n_samples, timesteps, features)``.
    seed : int
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        ``float32``, shape ``(n_samples, timesteps, features)``, standard normal.
    y : numpy.ndarray
        ``int32``, shape ``(n_samples,)``: 1 where ``x[:, :, 0].sum(axis=1) > 0``, else 0.

    Raises
    ------
    TypeError, ValueError
        If a size is not a positive integer or ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> x, y = make_sequence_classification(64, 10, 4)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((64, 10, 4), dtype('float32'), (64,), dtype('int32'))
    >>> sorted(set(y.tolist()))
    [0, 1]
    """
    n_samples = v.positive_int("n_samples", n_samples)
    timesteps = v.positive_int("timesteps", timesteps)
    features = v.positive_int("features", features)
    rng = np.random.default_rng(v.seed(seed))
    x = rng.standard_normal((n_samples, timesteps, features)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1, dtype=np.float64) > 0).astype(np.int32)
    return x, y


def make_per_timestep_labels(n_samples: int = 512, timesteps: int = 20, *,
                             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random walks of -1/+1 steps, labelled at every step: is the walk above zero?

    A label at every timestep that needs memory of the past: after the first step, the
    current step alone cannot tell whether the running sum is positive, so the task suits
    a recurrent layer with ``return_sequences=True``.

    Parameters
    ----------
    n_samples, timesteps : int
        Sizes of ``x``: ``(n_samples, timesteps, 1)``.
    seed : int
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        ``float32``, shape ``(n_samples, timesteps, 1)``, each value -1.0 or +1.0.
    y : numpy.ndarray
        ``float32``, shape ``(n_samples, timesteps, 1)``: 1.0 where the running sum of
        ``x`` up to and including that step is greater than 0, else 0.0.

    Raises
    ------
    TypeError, ValueError
        If a size is not a positive integer or ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> x, y = make_per_timestep_labels(16, 5)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((16, 5, 1), dtype('float32'), (16, 5, 1), dtype('float32'))
    >>> bool(np.array_equal(y, (np.cumsum(x, axis=1) > 0).astype(np.float32)))
    True
    """
    n_samples = v.positive_int("n_samples", n_samples)
    timesteps = v.positive_int("timesteps", timesteps)
    rng = np.random.default_rng(v.seed(seed))
    steps = rng.integers(0, 2, size=(n_samples, timesteps, 1)) * 2 - 1
    y = (np.cumsum(steps, axis=1) > 0).astype(np.float32)
    return steps.astype(np.float32), y


def make_sine_series(n_steps: int = 1000, *, period: float = 50.0, noise: float = 0.1,
                     seed: int = 0) -> np.ndarray:
    """A noisy sine wave: ``sin(2 * pi * t / period)`` plus Gaussian noise, ``t = 0, 1, ...``.

    Parameters
    ----------
    n_steps : int
        Length of the series.
    period : float
        Steps per full cycle; must be positive.
    noise : float
        Standard deviation of the added Gaussian noise; 0 gives a clean sine.
    seed : int
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray
        ``float32``, shape ``(n_steps,)``. Cut it into model inputs with
        :func:`make_forecasting_windows`.

    Raises
    ------
    TypeError, ValueError
        If ``n_steps`` is not a positive integer, ``period`` is not a positive finite
        number, ``noise`` is negative or not finite, or ``seed`` is invalid.

    Examples
    --------
    >>> series = make_sine_series(200)
    >>> series.shape, series.dtype
    ((200,), dtype('float32'))
    >>> make_sine_series(5, period=4.0, noise=0.0).round(3).tolist()
    [0.0, 1.0, 0.0, -1.0, -0.0]
    """
    n_steps = v.positive_int("n_steps", n_steps)
    period = _real("period", period, minimum=0.0, strict=True,
                   hint="pass the number of steps per cycle, for example period=50.0")
    noise = _real("noise", noise, minimum=0.0, strict=False,
                  hint="pass the noise standard deviation, for example noise=0.1 (0 for none)")
    rng = np.random.default_rng(v.seed(seed))
    t = np.arange(n_steps, dtype=np.float64)
    series = np.sin(2.0 * np.pi * t / period) + noise * rng.standard_normal(n_steps)
    return series.astype(np.float32)


def make_forecasting_windows(series: Any, window: int, *, horizon: int = 1,
                             per_step: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Slide a window over a 1-D series to make forecasting inputs and targets.

    Parameters
    ----------
    series : array_like
        A 1-D sequence of finite numbers, for example from :func:`make_sine_series`.
    window : int
        Number of timesteps in each input.
    horizon : int
        With ``per_step=False``, how many values after the window to predict.
        Must be 1 with ``per_step=True``.
    per_step : bool
        ``False``: one target vector per window (sequence-to-vector).
        ``True``: a target at every step of the window, the value one step ahead
        (same-length sequence-to-sequence, for ``return_sequences=True``).

    Returns
    -------
    x : numpy.ndarray
        ``float32``, shape ``(n, window, 1)`` with ``x[i, :, 0] = series[i:i + window]``.
    y : numpy.ndarray
        ``float32``. With ``per_step=False``: shape ``(n, horizon)``,
        ``y[i] = series[i + window:i + window + horizon]`` and
        ``n = len(series) - window - horizon + 1``. With ``per_step=True``: shape
        ``(n, window, 1)``, ``y[i, :, 0] = series[i + 1:i + window + 1]`` and
        ``n = len(series) - window``.

    Raises
    ------
    TypeError
        If ``series`` is not numeric, ``window``/``horizon`` are not integers or
        ``per_step`` is not a bool.
    ValueError
        If ``series`` is not 1-D, holds NaN or infinity, or is too short for one window.

    Examples
    --------
    >>> series = np.arange(6.0)
    >>> x, y = make_forecasting_windows(series, 3)
    >>> x.shape, y.shape, x.dtype
    ((3, 3, 1), (3, 1), dtype('float32'))
    >>> x[0, :, 0].tolist(), y[0].tolist()
    ([0.0, 1.0, 2.0], [3.0])
    >>> x, y = make_forecasting_windows(series, 3, horizon=2)
    >>> x.shape, y.shape, y[-1].tolist()
    ((2, 3, 1), (2, 2), [4.0, 5.0])
    >>> x, y = make_forecasting_windows(series, 3, per_step=True)
    >>> x.shape, y.shape, y[0, :, 0].tolist()
    ((3, 3, 1), (3, 3, 1), [1.0, 2.0, 3.0])
    """
    window = v.positive_int("window", window, hint="pass the number of input steps, e.g. 20")
    horizon = v.positive_int("horizon", horizon,
                             hint="pass how many future values to predict, e.g. horizon=1")
    per_step = v.flag("per_step", per_step)
    if per_step and horizon != 1:
        raise ValueError(f"expected horizon=1 with per_step=True, got horizon={horizon}: "
                         "per-step targets are always the next value; use per_step=False "
                         "to predict several values after the window")
    values = v.real_array("series", series)
    if values.ndim != 1:
        raise ValueError(f"expected a 1-D series, got shape {values.shape}: "
                         "pass a single series, for example series.ravel() or series[:, 0]")
    if not np.all(np.isfinite(values)):
        raise ValueError("expected series to hold only finite values, got NaN or infinity: "
                         "fill or drop the missing values first")
    steps_after = 1 if per_step else horizon
    n = len(values) - window - steps_after + 1
    if n < 1:
        need = window + steps_after
        raise ValueError(f"expected a series of at least window + {'1' if per_step else 'horizon'}"
                         f" = {need} values, got {len(values)}: use a longer series or a "
                         "smaller window")
    values = values.astype(np.float32)
    idx = np.arange(n)[:, None] + np.arange(window)[None, :]
    x = values[idx][..., None]
    if per_step:
        y = values[idx + 1][..., None]
    else:
        y = values[np.arange(n)[:, None] + window + np.arange(horizon)[None, :]]
    return x, y
