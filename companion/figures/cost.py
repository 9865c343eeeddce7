"""Figures of measured cost: time against size on log-log axes, and a training step split.

Introduced in "What return_sequences costs". Both draw a
:class:`companion.benchmark.Benchmark` loaded from the committed data file, each point at
the median of its repeated runs with an error bar from the fastest to the slowest run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from companion import _validate as v
from companion.figures._base import CELL, DENSE, DROPPED, INPUT, RETURNED, BookFigure, new_figure

LAYER_COLOURS = {"LSTM": CELL, "GRU": RETURNED, "SimpleRNN": INPUT}
AXIS_NAMES = {"timesteps": "timesteps", "units": "units", "batch_size": "batch_size"}
PARTS = {"full": "full model", "recurrent": "LSTM alone", "head": "head and loss alone"}
PART_COLOURS = {"full": "black", "recurrent": CELL, "head": DENSE}


def _check_benchmark(benchmark: Any) -> None:
    from companion.benchmark import Benchmark

    if not isinstance(benchmark, Benchmark):
        raise TypeError(f"expected a Benchmark, got {type(benchmark).__name__}: load the "
                        "data file with companion.load_benchmark()")


def cost_scaling_figure(benchmark: Any, *, vary: str = "timesteps",
                        steps: tuple[str, ...] = ("forward", "training"),
                        device: str = "CPU", fused: bool | None = None) -> BookFigure:
    """Log-log plot of the median time against one size, per layer and flag, with spread.

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
        ``return_sequences=True`` and dashed for ``False``; each point is the median, its
        error bar spans the fastest to the slowest run. The alt text states the slopes
        fitted through the medians, rounded to one decimal.

    Examples
    --------
    >>> from companion.benchmark import Benchmark
    >>> rows = [{"layer": layer, "return_sequences": rs, "step": step, "device": "CPU",
    ...          "fused": None, "batch_size": 2, "timesteps": t, "features": 1, "units": 3,
    ...          "seconds": 1e-4 * t, "seconds_all": [1e-4 * t * k for k in (0.9, 1, 1.2)]}
    ...         for layer in ("LSTM", "GRU", "SimpleRNN")
    ...         for rs in (True, False) for step in ("forward", "training") for t in (10, 100)]
    >>> bench = Benchmark({"meta": {"grid": {"base": {"batch_size": 2, "timesteps": 10,
    ...                    "features": 1, "units": 3}}}, "records": rows})
    >>> fig = cost_scaling_figure(bench)
    >>> [ax.get_xscale() for ax in fig.axes], fig.axes[0].get_xlabel()
    (['log', 'log'], 'timesteps')
    >>> len(fig.axes[0].lines), len(fig.axes[0].containers)
    (6, 6)
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
                xs, ranges = benchmark.series_spread(vary, layer=layer, return_sequences=flag,
                                                     step=step, device=device, fused=fused)
                if len(xs) < 2:
                    continue
                low, mid, high = np.asarray(ranges).T * 1e3
                ax.errorbar(xs, mid, yerr=[mid - low, high - mid], fmt=style, color=colour,
                            marker="o", markersize=4, capsize=0, elinewidth=1,
                            label=f"{layer}, {flag}")
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
                    f"{vary} ({fixed}), with error bars from the fastest to the slowest run, "
                    f"solid lines for return_sequences=True and dashed for False, one panel "
                    f"per {' and '.join(steps)}; slopes through the medians {per_step}.")
    return fig


def step_breakdown_figure(benchmark: Any) -> BookFigure:
    """Horizontal bars: a training step of LSTM + head, and its parts measured alone.

    Each head of the benchmark gets three bars: the full model's step, the LSTM's own
    training step, and the head and loss alone; each bar ends at the median, its error bar
    spans the fastest to the slowest run. The parts are drawn beside the whole, not
    stacked, because parts timed alone need not add up to the whole.

    Examples
    --------
    >>> from companion.benchmark import Benchmark
    >>> parts = {"full": 5.0, "recurrent": 4.0, "head": 0.5}
    >>> rows = [{"head": "last step, Dense(1)", "part": p, "seconds": s / 1e3,
    ...          "seconds_all": [s / 1e3, 1.1 * s / 1e3]} for p, s in parts.items()]
    >>> bench = Benchmark({"meta": {"grid": {"base": {"batch_size": 32, "timesteps": 100,
    ...                    "features": 16, "units": 64}}}, "records": [], "breakdown": rows})
    >>> fig = step_breakdown_figure(bench)
    >>> fig.axes[0].get_xlabel()
    'median time per training step (ms)'
    >>> fig.alt_text.split(":")[0]
    'Horizontal bars of one training step of an LSTM with one head'
    >>> len(fig.axes[0].patches), len(fig.axes[0].containers)
    (3, 6)
    """
    _check_benchmark(benchmark)
    if not benchmark.breakdown:
        raise ValueError("expected a benchmark with a training-step breakdown, got none: "
                         "regenerate the data file with python -m companion.benchmark")
    from companion.benchmark.verdicts import spread

    heads = list(dict.fromkeys(row["head"] for row in benchmark.breakdown))
    ms = {(head, part): np.asarray(spread(benchmark.breakdown_runs(head, part))) * 1e3
          for head in heads for part in PARTS}
    count = {1: "one head", 2: "two heads", 3: "three heads"}.get(len(heads),
                                                                  f"{len(heads)} heads")
    medians = "; ".join(f"{head}: " + ", ".join(f"{PARTS[part]} {ms[head, part][1]:.1f} ms"
                                                for part in PARTS) for head in heads)
    fig = new_figure(f"Horizontal bars of one training step of an LSTM with {count}: "
                     f"medians {medians}; error bars from the fastest to the slowest run.",
                     width=8.0, height=1.2 + 1.0 * len(heads))
    ax = fig.add_subplot()
    rows = np.arange(len(heads))[::-1].astype(float)
    for offset, (part, colour) in zip((0.27, 0.0, -0.27), PART_COLOURS.items(), strict=True):
        low, mid, high = np.array([ms[head, part] for head in heads]).T
        ax.barh(rows + offset, mid, xerr=[mid - low, high - mid], color=colour, height=0.25,
                label=PARTS[part], error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "0.5"})
    ax.set_yticks(rows, heads)
    ax.set_xlabel("median time per training step (ms)")
    ax.grid(True, axis="x", alpha=0.3, color=DROPPED)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
