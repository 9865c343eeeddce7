"""Call a difference between timings only when it lies outside their spread.

Introduced in "What return_sequences costs". The benchmark times two variants in turn
(round ``i`` of ``True`` next to round ``i`` of ``False``), so each round gives one paired
ratio taken under the same load. Every function here takes the repeated runs and answers
with a median and a range, so that a verdict never rests on one median:

- :func:`spread`: ``(min, median, max)`` of one set of runs.
- :func:`ratio_range`: ``(min, median, max)`` of the paired ratios ``true[i] / false[i]``.
- :func:`compare`: ``"True slower"`` or ``"True faster"`` only when every paired ratio lies
  on the same side of 1 (the ratio's range excludes 1), else ``"no difference"``.
- :func:`compare_ranges`: the same for runs that were not interleaved (different
  models): a difference only when the two ranges do not overlap.
- :func:`trend`: ``"rising"``, ``"falling"`` or ``"no trend"`` across ranges in order.
- :func:`difference_range` and :func:`parts_verdict`: whether a whole splits into parts
  measured alone, or into the difference of two measured variants.

No TensorFlow here: the chapter calls these on the committed data file.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

Range = tuple[float, float, float]

NO_DIFFERENCE = "no difference"


def spread(runs: Sequence[float]) -> Range:
    """``(minimum, median, maximum)`` of repeated runs.

    Examples
    --------
    >>> spread([3.0, 1.0, 2.0, 10.0])
    (1.0, 2.5, 10.0)
    """
    values = _runs("runs", runs)
    return min(values), float(statistics.median(values)), max(values)


def ratio_range(true_runs: Sequence[float], false_runs: Sequence[float]) -> Range:
    """``(lowest, median, highest)`` of the paired ratios ``true_runs[i] / false_runs[i]``.

    Run ``i`` of each set was taken in the same round, next to each other, so each ratio
    compares the two variants under about the same load.

    Examples
    --------
    >>> ratio_range([2.0, 3.0, 4.0], [1.0, 2.0, 2.0])
    (1.5, 2.0, 2.0)
    """
    trues, falses = _pairs(true_runs, false_runs)
    if not all(falses):
        raise ValueError("expected false_runs to hold no zero time: a ratio needs a "
                         "positive time to divide by")
    return spread([t / f for t, f in zip(trues, falses, strict=True)])


def compare(true_runs: Sequence[float], false_runs: Sequence[float], *,
            labels: tuple[str, str] = ("True slower", "True faster")) -> str:
    """Say which variant is slower, or ``"no difference"``, from the paired ratios.

    ``labels[0]`` when every paired ratio ``true[i] / false[i]`` is above 1, ``labels[1]``
    when every one is below 1; otherwise the ratio's range includes 1 and the answer is
    ``"no difference"``. Without a real difference, all of ``n`` ratios fall on one side
    by chance with probability ``2 / 2**n`` (0.2 % for 10 rounds).

    Examples
    --------
    >>> compare([1.0, 1.2, 1.1], [0.5, 0.6, 0.7])
    'True slower'
    >>> compare([1.0, 1.2, 1.1], [1.15, 1.1, 1.4])
    'no difference'
    >>> compare([1.0, 1.1], [2.0, 2.1], labels=("A slower", "A faster"))
    'A faster'
    """
    low, _, high = ratio_range(true_runs, false_runs)
    if low > 1:
        return labels[0]
    if high < 1:
        return labels[1]
    return NO_DIFFERENCE


def compare_ranges(a_runs: Sequence[float], b_runs: Sequence[float], *,
                   labels: tuple[str, str] = ("first slower", "first faster")) -> str:
    """Compare runs that were not interleaved: a difference only if the ranges are apart.

    ``labels[0]`` when every run of ``a_runs`` is slower than every run of ``b_runs``,
    ``labels[1]`` when every one is faster, ``"no difference"`` when the ranges overlap.

    Examples
    --------
    >>> compare_ranges([2.0, 2.5], [1.0, 1.5])
    'first slower'
    >>> compare_ranges([1.0, 2.0], [1.5, 3.0])
    'no difference'
    """
    low_a, _, high_a = spread(a_runs)
    low_b, _, high_b = spread(b_runs)
    if low_a > high_b:
        return labels[0]
    if high_a < low_b:
        return labels[1]
    return NO_DIFFERENCE


def trend(ranges: Sequence[Sequence[float]]) -> str:
    """``"rising"``, ``"falling"`` or ``"no trend"`` across ranges listed in order.

    Each item is ``(low, ..., high)`` (what :func:`spread` or :func:`ratio_range` return).
    The values rise only when every range lies wholly above the one before it, and fall
    only when every range lies wholly below it; anything else is ``"no trend"``.

    Examples
    --------
    >>> trend([(1, 2), (3, 4), (5, 6)])
    'rising'
    >>> trend([(5, 6), (3, 4), (1, 2)])
    'falling'
    >>> trend([(1, 3), (2, 4), (5, 6)])
    'no trend'
    """
    if isinstance(ranges, str) or len(ranges) < 2:
        raise ValueError(f"expected at least two ranges (low, ..., high) in order, got "
                         f"{ranges!r}: pass one range per size")
    bounds = [(float(item[0]), float(item[-1])) for item in ranges]
    pairs = list(zip(bounds[:-1], bounds[1:], strict=True))
    if all(after[0] > before[1] for before, after in pairs):
        return "rising"
    if all(after[1] < before[0] for before, after in pairs):
        return "falling"
    return "no trend"


def difference_range(whole_runs: Sequence[float], part_runs: Sequence[float]) -> Range:
    """``(lowest, median, highest)`` of the paired differences ``whole[i] - part[i]``.

    Subtracting a measured variant (the model without its head) from the whole, round by
    round, gives the cost of what was left out; the range says whether it is told apart
    from zero.

    Examples
    --------
    >>> difference_range([10.0, 11.0, 12.0], [7.0, 8.0, 9.5])
    (2.5, 3.0, 3.0)
    """
    wholes, parts = _pairs(whole_runs, part_runs)
    return spread_signed([w - p for w, p in zip(wholes, parts, strict=True)])


def spread_signed(values: Sequence[float]) -> Range:
    """``(min, median, max)`` of values that may be negative (differences of times)."""
    numbers = [float(value) for value in values]
    if not numbers or not all(math.isfinite(value) for value in numbers):
        raise ValueError(f"expected at least one finite number, got {list(values)!r}")
    return min(numbers), float(statistics.median(numbers)), max(numbers)


def parts_verdict(whole_runs: Sequence[float], *parts_runs: Sequence[float]) -> str:
    """Whether parts measured alone add up to the whole, round by round.

    ``"parts exceed the whole"`` when in every round the parts' times sum to more than
    the whole's, ``"parts fall short of the whole"`` when to less in every round, and
    ``"adds up"`` otherwise (the whole lies within the rounds' spread of the sum). When
    the parts exceed or fall short, the whole does not split into those parts: they are
    not separable this way.

    Examples
    --------
    >>> parts_verdict([10.0, 11.0], [8.0, 10.5], [1.0, 1.5])
    'adds up'
    >>> parts_verdict([7.0, 8.0], [8.0, 9.0], [1.0, 1.5])
    'parts exceed the whole'
    """
    if not parts_runs:
        raise ValueError("expected at least one part's runs after the whole's: pass "
                         "parts_verdict(whole, part_a, part_b)")
    wholes = _runs("whole_runs", whole_runs)
    sums = [0.0] * len(wholes)
    for runs in parts_runs:
        _, values = _pairs(wholes, runs)
        sums = [total + value for total, value in zip(sums, values, strict=True)]
    if all(total > whole for total, whole in zip(sums, wholes, strict=True)):
        return "parts exceed the whole"
    if all(total < whole for total, whole in zip(sums, wholes, strict=True)):
        return "parts fall short of the whole"
    return "adds up"


def _pairs(a_runs: Sequence[float],
           b_runs: Sequence[float]) -> tuple[list[float], list[float]]:
    a_values, b_values = _runs("the first runs", a_runs), _runs("the second runs", b_runs)
    if len(a_values) != len(b_values):
        raise ValueError(f"expected runs taken in the same rounds, as many of each, got "
                         f"{len(a_values)} and {len(b_values)}: pass the seconds_all of two "
                         "variants measured together")
    return a_values, b_values


def _runs(name: str, runs: Sequence[float]) -> list[float]:
    if isinstance(runs, str | bytes) or not hasattr(runs, "__len__"):
        raise TypeError(f"expected {name} to be a sequence of times in seconds, got "
                        f"{type(runs).__name__}: pass the list of repeated runs")
    values = [float(value) for value in runs]
    if not values or not all(math.isfinite(value) and value >= 0 for value in values):
        raise ValueError(f"expected {name} to hold at least one finite, non-negative time, "
                         f"got {list(runs)!r}: pass the repeated runs of one measurement")
    return values
