"""Draw the task's pairs and build their id arrays: :func:`make_translation_task`.

Part of :mod:`companion.translation` (chapter "Map sequences to sequences"). The
numbers are drawn with a seeded NumPy generator, spelled with
:func:`companion.translation.words.spell`, and turned into the padded arrays of a
:class:`~companion.translation.task.TranslationTask`.
"""

from __future__ import annotations

import numpy as np

from companion import _validate as v
from companion.translation.task import TranslationTask, _readonly
from companion.translation.words import (
    END,
    LARGEST,
    SOURCE_WORDS,
    SPECIALS,
    START,
    TARGET_CHARACTERS,
    _longest_spelling,
    spell,
)


def make_translation_task(n_samples: int = 2000, *, seed: int = 0,
                          max_value: int = 9999) -> TranslationTask:
    """Make a seeded set of (spelled-out number, digits) pairs for a seq2seq model.

    ``n_samples`` different numbers are drawn from 0 to ``max_value`` without
    replacement, so no pair repeats and :meth:`TranslationTask.split` gives a test set
    of unseen numbers.

    Parameters
    ----------
    n_samples : int
        Number of pairs; at most ``max_value + 1``, since each number appears once.
        The default 2000 is too many for ``max_value=999``: pass ``n_samples=1000``
        or fewer there.
    seed : int
        Seed of the NumPy generator that draws the numbers (0 to 2**32 - 1).
    max_value : int
        Largest number, from 9 to 999,999. It fixes the padded lengths: with the
        default 9999 the source has 6 word slots (``"seven thousand seven hundred
        seventy seven"``) and the target 5 (four digits and ``<end>``).

    Returns
    -------
    TranslationTask

    Raises
    ------
    TypeError
        If an argument is not an integer (``True`` and ``3.0`` are not).
    ValueError
        If an argument is out of range, or ``n_samples`` exceeds ``max_value + 1``.

    Examples
    --------
    >>> task = make_translation_task(2000, seed=0)
    >>> task
    TranslationTask(n_samples=2000, max_value=9999, source_len=6, target_len=5, \
source_vocab_size=33, target_vocab_size=13)
    >>> task.pairs[0]
    ('one thousand nine hundred thirty nine', '1939')
    >>> task.encoder_inputs[0], task.decoder_inputs[0], task.decoder_targets[0]
    (array([ 4, 32, 12, 31, 24, 12], dtype=int32), array([ 1,  4, 12,  6, 12], dtype=int32), \
array([ 4, 12,  6, 12,  2], dtype=int32))
    """
    n_samples = v.positive_int("n_samples", n_samples, hint="pass for example 2000")
    max_value = v.positive_int("max_value", max_value, hint="pass for example 9999")
    seed = v.seed(seed)
    if not 9 <= max_value <= LARGEST:
        raise ValueError(f"expected max_value from 9 to {LARGEST:,}, got {max_value}: "
                         "pass for example max_value=9999")
    if n_samples > max_value + 1:
        raise ValueError(f"expected n_samples of at most max_value + 1 = {max_value + 1} "
                         f"(each number from 0 to {max_value} appears once), got {n_samples}: "
                         f"pass n_samples={max_value + 1} or fewer, or raise max_value")
    rng = np.random.default_rng(int(seed))
    chosen = rng.choice(max_value + 1, size=n_samples, replace=False).tolist()
    source_vocab = (*SPECIALS, *SOURCE_WORDS)
    target_vocab = (*SPECIALS, *TARGET_CHARACTERS)
    source_len = _longest_spelling(max_value)
    target_len = len(str(max_value)) + 1
    source_ids = {word: i for i, word in enumerate(source_vocab)}
    target_ids = {char: i for i, char in enumerate(target_vocab)}

    pairs = tuple((spell(n), str(n)) for n in chosen)
    encoder = np.zeros((n_samples, source_len), dtype=np.int32)
    decoder_in = np.zeros((n_samples, target_len), dtype=np.int32)
    decoder_out = np.zeros((n_samples, target_len), dtype=np.int32)
    for row, (words, digits) in enumerate(pairs):
        word_ids = [source_ids[w] for w in words.split()]
        digit_ids = [target_ids[d] for d in digits]
        encoder[row, : len(word_ids)] = word_ids
        decoder_in[row, : len(digit_ids) + 1] = [START, *digit_ids]
        decoder_out[row, : len(digit_ids) + 1] = [*digit_ids, END]
    return TranslationTask(source_vocab=source_vocab, target_vocab=target_vocab, pairs=pairs,
                           encoder_inputs=_readonly(encoder), decoder_inputs=_readonly(decoder_in),
                           decoder_targets=_readonly(decoder_out), max_value=max_value)
