"""Figures of measured cost: time against size on log-log axes, and a training step split.

Introduced in "What return_sequences costs". Both draw a
:class:`companion.benchmark.Benchmark` loaded from the committed data file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from companion import _validate as v
from companion.figures._base import CELL, DENSE, DROPPED, INPUT, RETURNED, BookFigure, new_figure

LAYER_COLOURS = {"LSTM": CELL, "GRU": RETURNED, "SimpleRNN": INPUT}
AXIS_NAMES = {"timesteps": "timesteps", "units": "units", "batch_size": "batch_size"}


def _check_benchmark(benchmark: Any) -> None:
    from companion.benchmark import Benchmark

    if not isinstance(benchmark, Benchmark):
        raise TypeError(f"expected a Benchmark, got {type(benchmark).__name__}: load the "
                        "data file with companion.load_benchmark('data/cost.json')")


def cost_scaling_figure(benchmark: Any, *, vary: str = "timesteps",
                        steps: tuple[str, ...] = ("forward", "training"),
                        device: str = "CPU", fused: bool | None = None) -> BookFigure:
    """Log-log plot of the median time against one size, per layer and flag.

    Parameters
    ----------
    benchmark : companion.benchmark.Benchmark
        What :func:`companion.load_benchmark` returns.
    vary : {"timesteps", "units", "batch_size"}
        The size on the x axis; the other sizes stay at the grid's base.
    steps : tuple of {"forward", "training"}
        One axes per step.
    device, fused : str, bool or None
        Which records to draw (``"CPU"`` and ``None`` on a CPU).

    Returns
    -------
    BookFigure
        One log-log axes per step; a colour per layer, solid lines for
        ``return_sequences=True`` and dashed for ``False``. The alt text states the fitted
        slopes, rounded to one decimal.

    Examples
    --------
    >>> from companion.benchmark import Benchmark
    >>> rows = [{"layer": layer, "return_sequences": rs, "step": step, "device": "CPU",
    ...          "fused": None, "batch_size": 2, "timesteps": t, "features": 1, "units": 3,
    ...          "seconds": 1e-4 * t} for layer in ("LSTM", "GRU", "SimpleRNN")
    ...         for rs in (True, False) for step in ("forward", "training") for t in (10, 100)]
    >>> bench = Benchmark({"meta": {"grid": {"base": {"batch_size": 2, "timesteps": 10,
    ...                    "features": 1, "units": 3}}}, "records": rows})
    >>> fig = cost_scaling_figure(bench)
    >>> [ax.get_xscale() for ax in fig.axes], fig.axes[0].get_xlabel()
    (['log', 'log'], 'timesteps')
    >>> len(fig.axes[0].lines)
    6
    """
    _check_benchmark(benchmark)
    vary = v.choice("vary", vary, tuple(AXIS_NAMES), hint='pass for example vary="units"')
    if isinstance(steps, str) or not steps:
        raise TypeError(f"expected steps to be a non-empty tuple, got {steps!r}: pass for "
                        'example steps=("forward",)')
    fixed = ", ".join(f"{k} {value}" for k, value in benchmark.base.items() if k != vary)
    fig = new_figure("placeholder", width=4.2 * len(steps) + 1.0, height=3.8)
    slopes = []
    for index, step in enumerate(steps):
        ax = fig.add_subplot(1, len(steps), index + 1)
        for layer, colour in LAYER_COLOURS.items():
            for flag, style in ((True, "-"), (False, "--")):
                xs, ys = benchmark.series(vary, layer=layer, return_sequences=flag, step=step,
                                          device=device, fused=fused)
                if len(xs) < 2:
                    continue
                ax.plot(xs, np.asarray(ys) * 1e3, style, color=colour, marker="o",
                        markersize=4, label=f"{layer}, {flag}")
                slopes.append(f"{layer} {'True' if flag else 'False'} "
                              f"{benchmark.slope(vary, layer=layer, return_sequences=flag, step=step, device=device, fused=fused):.1f}")  # noqa: E501
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(AXIS_NAMES[vary])
        ax.set_ylabel("median time per call (ms)")
        ax.set_title(f"{step} ({device}{'' if fused is None else f', fused={fused}'})",
                     fontsize=11)
        ax.grid(True, which="both", alpha=0.3)
    fig.axes[-1].legend(title="layer, return_sequences", fontsize=8, title_fontsize=8,
                        loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    per_step = "; ".join(
        f"{step}: " + ", ".join(slopes[i * 6:(i + 1) * 6]) for i, step in enumerate(steps))
    fig.alt_text = (f"Log-log plot of the median time of LSTM, GRU and SimpleRNN against "
                    f"{vary} ({fixed}), solid lines for return_sequences=True and dashed for "
                    f"False, one panel per {' and '.join(steps)}; fitted slopes {per_step}.")
    return fig


def step_breakdown_figure(benchmark: Any) -> BookFigure:
    """Horizontal bars: a training step of LSTM + head, split into recurrent and head parts.

    Each head of the benchmark gets a bar for the LSTM's own training step, one for the
    head and loss alone, and a black tick at the full model's step.

    Examples
    --------
    >>> from companion.benchmark import Benchmark
    >>> parts = {"full": 5.0, "recurrent": 4.0, "head": 0.5}
    >>> rows = [{"head": "last step, Dense(1)", "part": p, "seconds": s / 1e3}
    ...         for p, s in parts.items()]
    >>> bench = Benchmark({"meta": {"grid": {"base": {"batch_size": 32, "timesteps": 100,
    ...                    "features": 16, "units": 64}}}, "records": [], "breakdown": rows})
    >>> fig = step_breakdown_figure(bench)
    >>> fig.axes[0].get_xlabel()
    'median time per training step (ms)'
    >>> fig.alt_text.split(":")[0]
    'Horizontal bars of one training step of an LSTM with one head'
    """
    _check_benchmark(benchmark)
    if not benchmark.breakdown:
        raise ValueError("expected a benchmark with a training-step breakdown, got none: "
                         "regenerate the data file with python -m companion.benchmark")
    heads = list(dict.fromkeys(row["head"] for row in benchmark.breakdown))
    ms = {(row["head"], row["part"]): row["seconds"] * 1e3 for row in benchmark.breakdown}
    count = {1: "one head", 2: "two heads", 3: "three heads"}.get(len(heads),
                                                                  f"{len(heads)} heads")
    shares = ", ".join(f"{head}: head and loss {ms[head, 'head'] / ms[head, 'full']:.0%} of "
                       "the full step" for head in heads)
    fig = new_figure(f"Horizontal bars of one training step of an LSTM with {count}: {shares}.",
                     width=8.0, height=1.0 + 0.8 * len(heads))
    ax = fig.add_subplot()
    rows = np.arange(len(heads))[::-1]
    recurrent = [ms[h, "recurrent"] for h in heads]
    head_part = [ms[h, "head"] for h in heads]
    ax.barh(rows, recurrent, color=CELL, height=0.5, label="LSTM alone (training step)")
    ax.barh(rows, head_part, left=recurrent, color=DENSE, height=0.5,
            label="head and loss alone (training step)")
    ax.scatter([ms[h, "full"] for h in heads], rows, marker="|", s=900, color="black",
               label="full model (training step)", zorder=3)
    ax.set_yticks(rows, heads)
    ax.set_xlabel("median time per training step (ms)")
    ax.set_xlim(0, max(max(ms.values()), max(np.add(recurrent, head_part))) * 1.1)
    ax.grid(True, axis="x", alpha=0.3, color=DROPPED)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              markerscale=0.4)
    return fig
