"""Numbers spelled out in English words, and the token ids the task shares.

Part of :mod:`companion.translation` (chapter "Map sequences to sequences"). The
special token ids (``PAD``, ``START``, ``END``), the source words and target digits,
:func:`spell` (``4212`` -> ``"four thousand two hundred twelve"``) and the longest
spelling up to a number, which fixes the padded source length.
"""

from __future__ import annotations

import numpy as np

from companion import _validate as v

PAD, START, END = 0, 1, 2
#: Special tokens, in id order.
SPECIALS = ("<pad>", "<start>", "<end>")
#: The largest number the task can spell.
LARGEST = 999_999

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
         "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
         "ninety")
SOURCE_WORDS = (*_ONES, *_TENS[2:], "hundred", "thousand")
TARGET_CHARACTERS = tuple("0123456789")


def _below_thousand(n: int) -> list[str]:
    """Words for 1 <= n <= 999 (empty for 0)."""
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        words.append(_TENS[rest // 10])
        if rest % 10:
            words.append(_ONES[rest % 10])
    elif rest:
        words.append(_ONES[rest])
    return words


def spell(n: int) -> str:
    """Spell a whole number from 0 to 999,999 in English words, without "and" or hyphens.

    Examples
    --------
    >>> spell(4212)
    'four thousand two hundred twelve'
    >>> spell(0), spell(90), spell(100005)
    ('zero', 'ninety', 'one hundred thousand five')
    """
    if not v.is_int(n):
        raise TypeError(f"expected a whole number to spell, got {n!r} of type "
                        f"{type(n).__name__}: pass an int such as 412")
    if not 0 <= n <= LARGEST:
        raise ValueError(f"expected a number from 0 to {LARGEST:,}, got {n}: "
                         "the task spells at most six digits")
    if n == 0:
        return "zero"
    thousands, rest = divmod(int(n), 1000)
    words = _below_thousand(thousands) + ["thousand"] if thousands else []
    return " ".join(words + _below_thousand(rest))


def _longest_spelling(max_value: int) -> int:
    """The most words any number from 0 to ``max_value`` needs."""
    small = np.array([len(_below_thousand(n)) for n in range(1000)])
    n = np.arange(max_value + 1)
    thousands, rest = np.divmod(n, 1000)
    counts = np.where(thousands > 0, small[thousands] + 1, 0) + small[rest]
    counts[0] = 1
    return int(counts.max())
