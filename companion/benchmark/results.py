"""Read the benchmark's data file and answer questions about it, without TensorFlow.

Introduced in "What return_sequences costs": the chapter loads the committed file with
:func:`load_benchmark` and prints only numbers derived from it: medians with the range of
the repeated runs, slopes with the range of slopes the runs allow, and verdicts from
:mod:`companion.benchmark.verdicts`, which call a difference only outside the spread.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from companion import _validate as v
from companion.benchmark.verdicts import Range, compare, ratio_range, spread

VARIED = ("timesteps", "units", "batch_size")
STEPS = ("forward", "training")
#: Each median field of a record and the field that holds every run of it.
RUNS = {"seconds": "seconds_all", "cpu_seconds": "cpu_seconds_all"}


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Slope of the least-squares line through ``(log x, log y)``: ``y`` grows as ``x**slope``.

    Examples
    --------
    >>> round(loglog_slope([10, 100, 1000], [2.0, 20.0, 200.0]), 6)
    1.0
    >>> round(loglog_slope([1, 2, 4], [1, 4, 16]), 6)
    2.0
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.shape != ys.shape or xs.ndim != 1 or xs.size < 2:
        raise ValueError(f"expected two 1-D sequences of the same length, at least 2, got "
                         f"shapes {xs.shape} and {ys.shape}: pass one y per x")
    if np.any(xs <= 0) or np.any(ys <= 0) or not np.all(np.isfinite([*xs, *ys])):
        raise ValueError("expected positive finite numbers, got zero, negative or non-finite "
                         "values: a log-log slope needs x > 0 and y > 0")
    if np.unique(xs).size < 2:
        raise ValueError(f"expected at least two different x values, got {xs.tolist()}: "
                         "vary x to fit a slope")
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


class Benchmark:
    """The content of a data file written by ``python -m companion.benchmark``.

    Attributes
    ----------
    meta : dict
        Machine, versions, grid, load average, the measured matmul peak.
    records : list of dict
        One per measurement: ``layer``, ``return_sequences``, ``step`` ("forward" or
        "training"), ``batch_size``, ``timesteps``, ``features``, ``units``, ``device``,
        ``fused``, ``seconds`` (median), ``seconds_all`` (every run), ``cpu_seconds``,
        ``cpu_seconds_all``, ``load_average`` (one-minute, before and after the runs),
        ``flops``, ``output_bytes``.
    breakdown : list of dict
        Training step of LSTM + head: ``head``, ``part`` ("full", "recurrent", "head"),
        ``seconds``, ``seconds_all``.

    Examples
    --------
    >>> rows = [{"layer": "LSTM", "return_sequences": rs, "step": "forward", "device": "CPU",
    ...          "fused": None, "batch_size": 2, "timesteps": t, "features": 1, "units": 3,
    ...          "seconds": t * (2.0 if rs else 1.0), "flops": 10 * t,
    ...          "seconds_all": [t * (2.0 if rs else 1.0) * k for k in (0.9, 1.0, 1.1)]}
    ...         for t in (10, 100) for rs in (True, False)]
    >>> bench = Benchmark({"meta": {"grid": {"base": {"batch_size": 2, "timesteps": 10,
    ...                    "features": 1, "units": 3}}}, "records": rows, "breakdown": []})
    >>> bench.series("timesteps", layer="LSTM", return_sequences=True)
    ([10, 100], [20.0, 200.0])
    >>> round(bench.slope("timesteps", layer="LSTM", return_sequences=True), 2)
    1.0
    >>> bench.ratio(layer="LSTM", timesteps=100)
    2.0
    >>> bench.compare(layer="LSTM", timesteps=100)["verdict"]
    'True slower'
    """

    def __init__(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or not {"meta", "records"} <= set(data):
            raise ValueError("expected the content of a benchmark data file, a dict with "
                             f"'meta' and 'records', got {type(data).__name__}"
                             + (f" with keys {sorted(data)}" if isinstance(data, dict) else "")
                             + ": write it with python -m companion.benchmark --output FILE")
        self.meta: dict[str, Any] = data["meta"]
        self.records: list[dict[str, Any]] = list(data["records"])
        self.breakdown: list[dict[str, Any]] = list(data.get("breakdown", []))

    @property
    def base(self) -> dict[str, int]:
        """The sizes that stay fixed while one of them varies."""
        return dict(self.meta["grid"]["base"])

    @property
    def matmul_peak(self) -> float:
        """FLOP/s of the measured float32 matrix product on the CPU."""
        return float(next(peak["flops_per_second"] for peak in self.meta["matmul_peak"]
                          if peak["device"] == "CPU"))

    def select(self, **criteria: Any) -> list[dict[str, Any]]:
        """The records whose fields equal every ``criteria`` value."""
        unknown = set(criteria) - (set(self.records[0]) if self.records else set())
        if unknown:
            raise ValueError(f"expected record fields, got {sorted(unknown)}; records have "
                             f"{sorted(self.records[0]) if self.records else 'no fields'}")
        return [r for r in self.records if all(r[k] == value for k, value in criteria.items())]

    def _one(self, **criteria: Any) -> dict[str, Any]:
        found = self.select(**criteria)
        if len(found) != 1:
            raise ValueError(f"expected one record for {criteria}, found {len(found)}: name "
                             "a size measured in the grid (see .meta['grid'])")
        return found[0]

    def _criteria(self, *, layer: str, return_sequences: bool, step: str, device: str,
                  fused: bool | None, sizes: dict[str, int]) -> dict[str, Any]:
        return {"layer": v.layer_name(layer),
                "return_sequences": v.flag("return_sequences", return_sequences),
                "step": v.choice("step", step, STEPS), "device": device, "fused": fused,
                **sizes}

    def series(self, vary: str, *, layer: str, return_sequences: bool, step: str = "forward",
               quantity: str = "seconds", device: str = "CPU",
               fused: bool | None = None) -> tuple[list[int], list[float]]:
        """``(sizes, values)`` of ``quantity`` as ``vary`` changes, the others at ``base``."""
        vary = v.choice("vary", vary, VARIED, hint='pass for example vary="timesteps"')
        fixed = {k: value for k, value in self.base.items() if k != vary}
        rows = self.select(**self._criteria(layer=layer, return_sequences=return_sequences,
                                            step=step, device=device, fused=fused,
                                            sizes=fixed))
        rows.sort(key=lambda r: r[vary])
        return [r[vary] for r in rows], [r[quantity] for r in rows]

    def series_spread(self, vary: str, *, quantity: str = "seconds",
                      **options: Any) -> tuple[list[int], list[Range]]:
        """``(sizes, [(min, median, max), ...])`` of the runs as ``vary`` changes."""
        field = _runs_field(quantity)
        xs, runs = self.series(vary, quantity=field, **options)
        return xs, [spread(r) for r in runs]

    def slope_range(self, vary: str, *, quantity: str = "seconds",
                    **options: Any) -> Range:
        """``(lowest, median, highest)`` log-log slope that the repeated runs give.

        The middle value is the slope through the medians; the lowest and highest are the
        extremes of the slopes fitted to each round of runs (run ``i`` of every size).
        """
        xs, runs = self.series(vary, quantity=_runs_field(quantity), **options)
        _, medians = self.series(vary, quantity=quantity, **options)
        rounds = min(len(r) for r in runs)
        slopes = [loglog_slope(xs, [r[i] for r in runs]) for i in range(rounds)]
        return min(slopes), loglog_slope(xs, medians), max(slopes)

    def compare(self, *, layer: str, step: str = "forward", quantity: str = "seconds",
                device: str = "CPU", fused: bool | None = None,
                **sizes: int) -> dict[str, Any]:
        """``return_sequences=True`` against ``False`` at one size, with the runs' spread.

        Returns ``true`` and ``false`` as ``(min, median, max)``, ``ratio`` as
        :func:`~companion.benchmark.verdicts.ratio_range` gives it, and ``verdict``:
        ``"True slower"``, ``"True faster"`` or ``"no difference"`` (the range of the
        paired ratios includes 1).
        """
        where = {**self.base, **sizes}
        true_runs, false_runs = (
            self._one(**self._criteria(layer=layer, return_sequences=flag, step=step,
                                       device=device, fused=fused,
                                       sizes=where))[_runs_field(quantity)]
            for flag in (True, False))
        return {"true": spread(true_runs), "false": spread(false_runs),
                "ratio": ratio_range(true_runs, false_runs),
                "verdict": compare(true_runs, false_runs)}

    def breakdown_runs(self, head: str, part: str) -> list[float]:
        """Every run (seconds) of one part of one head's training step."""
        found = [row for row in self.breakdown if (row["head"], row["part"]) == (head, part)]
        if len(found) != 1:
            heads = sorted({row["head"] for row in self.breakdown})
            raise ValueError(f"expected one breakdown row for head {head!r} and part "
                             f"{part!r}, found {len(found)}: heads are {heads}, parts "
                             "'full', 'recurrent' and 'head'")
        return list(found[0]["seconds_all"])

    def slope(self, vary: str, **options: Any) -> float:
        """Log-log slope of :meth:`series`: the time grows as ``vary ** slope``."""
        return loglog_slope(*self.series(vary, **options))

    def ratio(self, *, layer: str, step: str = "forward", quantity: str = "seconds",
              device: str = "CPU", fused: bool | None = None, **sizes: int) -> float:
        """``quantity`` with ``return_sequences=True`` over the same with ``False``."""
        where = {**self.base, **sizes}
        values = [self._one(**self._criteria(layer=layer, return_sequences=flag, step=step,
                                             device=device, fused=fused, sizes=where))[quantity]
                  for flag in (True, False)]
        return float(values[0] / values[1])


def _runs_field(quantity: str) -> str:
    return RUNS[v.choice("quantity", quantity, tuple(RUNS), hint='pass quantity="seconds"')]


def load_benchmark(path: str | Path | None = None) -> Benchmark:
    """Load a data file written by ``python -m companion.benchmark --output PATH``.

    Without ``path``, the one the chapter reads: the companion's ``cost.json``.
    """
    if path is None:
        from companion.data import book_data_path

        path = book_data_path("cost")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"expected a benchmark data file, got {str(path)!r}, which does not "
                         "exist: regenerate it with python -m companion.benchmark --output "
                         f"{path}")
    return Benchmark(json.loads(path.read_text()))
