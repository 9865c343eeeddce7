"""Figures of numbers: hidden states over time and training curves.

Introduced in "Return every hidden state" and the chapters that train a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from companion import _validate as v
from companion.figures._base import (
    CELL,
    DROPPED,
    RETURNED,
    BookFigure,
    new_figure,
)


def _as_array(name: str, value: Any) -> np.ndarray:
    """Convert a NumPy array, a tensor (``.numpy()``) or an ``__array__`` object."""
    if isinstance(value, Mapping):
        raise TypeError(f"expected {name} to be an array of numbers, got "
                        f"{type(value).__name__}: pass a NumPy array or a Keras/TensorFlow "
                        "tensor")
    return v.real_array(name, value)


def _at_plot_precision(values: np.ndarray) -> np.ndarray:
    """Round to about a thousandth of the data's range, below one pixel of a book figure.

    Training numbers can differ in their last bits between runs or CPUs; rounded, the
    drawn line (and so the PNG committed in the notebook) stays the same unless a value
    moves by a visible amount. The decimals come from the order of magnitude of the
    range, which tiny changes do not move.

    >>> _at_plot_precision(np.array([0.123456789, 0.5]))
    array([0.1235, 0.5   ])
    """
    finite = values[np.isfinite(values)]
    span = float(np.ptp(finite)) if finite.size else 0.0
    if span == 0.0:
        span = float(np.max(np.abs(finite))) if finite.size else 1.0
    decimals = 3 - int(np.floor(np.log10(span))) if span > 0 else 3
    return np.round(values, max(decimals, 0))


def hidden_states_figure(states: Any, *, sample: int = 0, title: str | None = None,
                         max_units: int = 8) -> BookFigure:
    """Plot hidden states over time, one line per unit.

    Parameters
    ----------
    states : array_like
        ``(timesteps, units)``, or ``(batch_size, timesteps, units)`` as returned by a
        recurrent layer with ``return_sequences=True``. NumPy arrays, tensors (anything
        with ``.numpy()``) and objects with ``__array__`` are accepted.
    sample : int
        Which sample of a 3-D batch to draw (0-based); must be 0 for a 2-D array.
    title : str, optional
        Axes title; by default it states the sample and the shape.
    max_units : int
        Draw at most this many units (the first ones), so the legend stays readable.

    Returns
    -------
    BookFigure
        One axes with x axis "timestep" (1-based, like ``t1..tT``) and y axis
        "hidden state value"; lines are labelled ``unit 0``, ``unit 1``, ... as indexed
        in NumPy.

    Examples
    --------
    >>> states = np.linspace(-1, 1, 2 * 5 * 3).reshape(2, 5, 3)
    >>> fig = hidden_states_figure(states, sample=1)
    >>> ax = fig.axes[0]
    >>> ax.get_legend_handles_labels()[1], ax.get_xlabel(), ax.get_ylabel()
    (['unit 0', 'unit 1', 'unit 2'], 'timestep', 'hidden state value')
    >>> ax.lines[0].get_xdata().tolist()
    [1, 2, 3, 4, 5]
    >>> fig.alt_text
    'Line plot of the hidden states of sample 1 of an array of shape (2, 5, 3): all 3 units \
over timesteps 1 to 5, one line per unit.'
    """
    array = _as_array("states", states)
    if array.ndim not in (2, 3):
        fix = ("pass the output of a recurrent layer with return_sequences=True, which "
               "holds a state at every timestep")
        if array.ndim == 1:
            fix = ("one vector per sample is what return_sequences=False returns; set "
                   "return_sequences=True to get a state at every timestep")
        raise ValueError(f"expected states of shape (timesteps, units) or (batch_size, "
                         f"timesteps, units), got shape {array.shape}: {fix}")
    if 0 in array.shape:
        raise ValueError(f"expected states with at least one timestep and unit, got shape "
                         f"{array.shape}: pass a non-empty array")
    if not v.is_int(sample):
        raise TypeError(f"expected sample to be an integer index, got {sample!r} of type "
                        f"{type(sample).__name__}: pass for example sample=0")
    limit = array.shape[0] if array.ndim == 3 else 1
    if not 0 <= sample < limit:
        raise ValueError(f"expected sample between 0 and {limit - 1} for states of shape "
                         f"{array.shape}, got {sample}: pick a sample of the batch"
                         + ("" if array.ndim == 3 else "; a 2-D array holds one sample"))
    if title is not None and not isinstance(title, str):
        raise TypeError(f"expected title to be a string or None, got {type(title).__name__}: "
                        'pass for example title="LSTM hidden states"')
    max_units = v.positive_int("max_units", max_units,
                               hint="pass how many units to draw, for example max_units=8")
    if not np.all(np.isfinite(array)):
        raise ValueError("expected finite hidden states, got NaN or infinity: check the "
                         "model's inputs and weights")
    matrix = _at_plot_precision(array[sample] if array.ndim == 3 else array)
    timesteps, units = matrix.shape
    drawn = min(units, max_units)
    shape = tuple(int(size) for size in array.shape)
    which = f"sample {sample} of an array" if array.ndim == 3 else "an array"
    units_text = ("its single unit" if units == 1 else f"all {units} units" if drawn == units
                  else f"the first {drawn} of {units} units")
    alt = (f"Line plot of the hidden states of {which} of shape {shape}: {units_text} over "
           f"timesteps 1 to {timesteps}, one line per unit.")
    fig = new_figure(alt, width=7.0, height=3.6)
    ax = fig.add_subplot()
    steps = np.arange(1, timesteps + 1)
    marker = "o" if timesteps <= 30 else None
    for unit in range(drawn):
        ax.plot(steps, matrix[:, unit], marker=marker, markersize=3.5, linewidth=1.5,
                label=f"unit {unit}", color=f"C{unit % 10}")
    ax.axhline(0.0, color=DROPPED, linewidth=0.8, zorder=0)
    ax.set_xlabel("timestep")
    ax.set_ylabel("hidden state value")
    if timesteps <= 20:
        ax.set_xticks(steps)
    ax.set_xlim(0.5, timesteps + 0.5)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    default = (f"Hidden states of sample {sample}, shape {shape}" if array.ndim == 3 else
               f"Hidden states, shape {shape}")
    ax.set_title(default if title is None else title, fontsize=11)
    return fig


def training_curves_figure(history: Any, *, metrics: Sequence[str] = ("loss",)) -> BookFigure:
    """Plot training (and validation) curves per epoch, one axes per metric.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        What ``model.fit`` returns (its ``.history`` dict is used), or a dict mapping
        metric names to per-epoch values.
    metrics : sequence of str
        Metrics to draw, for example ``("loss", "accuracy")``. A ``val_`` curve is added
        when the history holds one.

    Returns
    -------
    BookFigure
        One axes per metric, x axis "epoch" (1-based), y axis the metric name.

    Examples
    --------
    >>> history = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.45]}
    >>> fig = training_curves_figure(history)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['train loss', 'validation loss']
    >>> fig.alt_text
    'Training curves over 3 epochs for loss: train loss falls, validation loss falls.'
    """
    logs = history.history if not isinstance(history, Mapping) and isinstance(
        getattr(history, "history", None), Mapping) else history
    if not isinstance(logs, Mapping):
        raise TypeError(f"expected history to be what model.fit returns or a dict of lists, "
                        f"got {type(history).__name__}: pass history = model.fit(...) or "
                        '{"loss": [...]}')
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, (tuple, list)) or not metrics:
        raise TypeError(f"expected metrics to be a non-empty tuple of names, got {metrics!r}: "
                        'pass for example metrics=("loss", "accuracy")')
    available = ", ".join(repr(key) for key in logs) or "none"
    curves: dict[str, dict[str, np.ndarray]] = {}
    for metric in metrics:
        if not isinstance(metric, str):
            raise TypeError(f"expected each metric to be a name (str), got {metric!r}: "
                            'pass for example metrics=("loss",)')
        if metric.startswith("val_"):
            raise ValueError(f"expected a training metric name, got {metric!r}: pass "
                             f"{metric[4:]!r}; its validation curve is drawn with it")
        if metric not in logs:
            raise ValueError(f"expected metrics found in the history, got {metric!r}; "
                             f"the history holds {available}: pass one of those, or compile "
                             "the model with that metric")
        curves[metric] = {}
        for key, kind in ((metric, "train"), (f"val_{metric}", "validation")):
            if key not in logs:
                continue
            values = _as_array(f"history[{key!r}]", logs[key])
            if values.ndim != 1 or values.size == 0:
                raise ValueError(f"expected history[{key!r}] to be a non-empty list of "
                                 f"per-epoch values, got shape {values.shape}: pass the "
                                 "History returned by model.fit")
            curves[metric][kind] = _at_plot_precision(values.astype(np.float64))
    epochs = max(len(values) for curve in curves.values() for values in curve.values())
    # The alt text is also the cell's plain-text output, which nbval compares: it names
    # the direction of each curve, not its values, which differ across CPUs in low digits.
    finals = []
    for metric, curve in curves.items():
        for kind, values in curve.items():
            trend = ("falls" if values[-1] < values[0] else
                     "rises" if values[-1] > values[0] else "stays flat")
            finals.append(f"{kind} {metric} {trend}")
    names = " and ".join([", ".join(metrics[:-1]), metrics[-1]] if len(metrics) > 1
                         else list(metrics))
    alt = (f"Training curves over {epochs} epoch{'s' if epochs != 1 else ''} for {names}: "
           + ", ".join(finals) + ".")
    fig = new_figure(alt, width=min(11.0, 1.0 + 3.6 * len(curves)), height=3.2)
    axes = fig.subplots(1, len(curves), squeeze=False)[0]
    for ax, (metric, curve) in zip(axes, curves.items(), strict=True):
        for kind, values in curve.items():
            ax.plot(np.arange(1, len(values) + 1), values,
                    color=CELL if kind == "train" else RETURNED,
                    linestyle="-" if kind == "train" else "--",
                    marker="o" if len(values) <= 30 else None, markersize=3.5,
                    label=f"{kind} {metric}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric, fontsize=11)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9, frameon=False)
        if epochs <= 12:
            ax.set_xticks(np.arange(1, epochs + 1))
    return fig
