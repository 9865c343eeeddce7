"""The task's container: :class:`TranslationTask`.

Part of :mod:`companion.translation` (chapter "Map sequences to sequences"). A
:class:`TranslationTask` holds the (spelled-out number, digits) pairs, both
vocabularies and the padded, read-only id arrays an encoder-decoder trains on, with
methods that encode texts, decode ids, score predictions and split the pairs;
:func:`companion.translation.make_translation_task` builds one.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from companion.translation.words import END, PAD, SOURCE_WORDS, START


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class TranslationTask:
    """Pairs of (spelled-out number, digits) with vocabularies and padded id arrays.

    Build it with :func:`make_translation_task`. The arrays are read-only and aligned:
    row ``i`` of each is ``pairs[i]``.

    Attributes
    ----------
    source_vocab : tuple of str
        Source tokens (words); the position of a token is its id. Ids 0, 1, 2 are
        ``<pad>``, ``<start>``, ``<end>``.
    target_vocab : tuple of str
        Target tokens (digit characters), with the same three special tokens first.
    pairs : tuple of (str, str)
        The raw pairs, ``("four hundred twelve", "412")``.
    encoder_inputs : numpy.ndarray
        ``(n_samples, source_len)`` int32: source word ids, padded with 0 at the end.
    decoder_inputs : numpy.ndarray
        ``(n_samples, target_len)`` int32: ``<start>`` then the digits (teacher forcing:
        what the decoder reads at each step), padded with 0.
    decoder_targets : numpy.ndarray
        ``(n_samples, target_len)`` int32: the digits then ``<end>`` (what the decoder
        should write at each step), padded with 0. It is ``decoder_inputs`` shifted
        left by one step.
    max_value : int
        The largest number the task may contain; it fixes ``source_len`` and
        ``target_len``.
    """

    source_vocab: tuple[str, ...]
    target_vocab: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    encoder_inputs: np.ndarray
    decoder_inputs: np.ndarray
    decoder_targets: np.ndarray
    max_value: int

    pad_id = PAD
    start_id = START
    end_id = END

    def __len__(self) -> int:
        return len(self.pairs)

    def __repr__(self) -> str:
        return (f"TranslationTask(n_samples={len(self)}, max_value={self.max_value}, "
                f"source_len={self.source_len}, target_len={self.target_len}, "
                f"source_vocab_size={self.source_vocab_size}, "
                f"target_vocab_size={self.target_vocab_size})")

    @property
    def source_len(self) -> int:
        """Padded source length: the most words a number up to ``max_value`` needs."""
        return int(self.encoder_inputs.shape[1])

    @property
    def target_len(self) -> int:
        """Padded target length: the digits of ``max_value`` plus the end token."""
        return int(self.decoder_targets.shape[1])

    @property
    def source_vocab_size(self) -> int:
        """Number of source token ids, special tokens included (an Embedding's input_dim)."""
        return len(self.source_vocab)

    @property
    def target_vocab_size(self) -> int:
        """Number of target token ids, special tokens included (the softmax width)."""
        return len(self.target_vocab)

    def encode_source(self, texts: str | Iterable[str]) -> np.ndarray:
        """Turn spelled-out numbers into padded source ids, ``(len(texts), source_len)``.

        Case and hyphens are forgiven (``"Twenty-One"`` reads as ``"twenty one"``). A
        single string gives one row, ready for ``model.predict``.

        Raises
        ------
        TypeError
            If ``texts`` is not a string or an iterable of strings.
        ValueError
            If a text is empty, has a word outside ``source_vocab``, or has more than
            ``source_len`` words.

        Examples
        --------
        >>> from companion.translation import make_translation_task
        >>> task = make_translation_task(10, max_value=999)
        >>> task.encode_source("four hundred twelve")
        array([[ 7, 31, 15,  0]], dtype=int32)
        >>> task.decode_source(task.encode_source(["Twenty-One", "nine"]))
        ['twenty one', 'nine']
        """
        if isinstance(texts, str):
            texts = [texts]
        elif not isinstance(texts, Iterable) or isinstance(texts, (bytes, dict)):
            raise TypeError(f"expected a string or a list of strings, got {texts!r} of type "
                            f"{type(texts).__name__}: pass for example ['four hundred twelve']")
        index = {word: i for i, word in enumerate(self.source_vocab) if i > END}
        rows = []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"expected every text to be a string, got {text!r} of type "
                                f"{type(text).__name__}: pass words such as 'four hundred "
                                "twelve'")
            words = text.lower().replace("-", " ").split()
            if not words:
                raise ValueError(f"expected a spelled-out number, got the empty text "
                                 f"{text!r}: pass words such as 'four hundred twelve'")
            unknown = [word for word in words if word not in index]
            if unknown:
                raise ValueError(f"expected words from source_vocab, got {unknown[0]!r} in "
                                 f"{text!r}: spell numbers with {', '.join(SOURCE_WORDS[:3])}, "
                                 "..., 'hundred', 'thousand', without 'and'")
            if len(words) > self.source_len:
                raise ValueError(f"expected at most source_len={self.source_len} words, got "
                                 f"{len(words)} in {text!r}: this task spells numbers up to "
                                 f"{self.max_value}; make a task with a larger max_value")
            rows.append([index[word] for word in words] + [PAD] * (self.source_len - len(words)))
        if not rows:
            raise ValueError("expected at least one text, got an empty list: pass for example "
                             "['four hundred twelve']")
        return np.array(rows, dtype=np.int32)

    def decode_source(self, ids: Any) -> str | list[str]:
        """Turn source ids back into words; reading stops at the first padding.

        A 1-D array gives one string, a 2-D array a list of strings.

        Examples
        --------
        >>> from companion.translation import make_translation_task
        >>> task = make_translation_task(10, max_value=999)
        >>> task.decode_source([7, 31, 15, 0])
        'four hundred twelve'
        """
        return self._decode(ids, self.source_vocab, " ", "source")

    def decode_target(self, ids: Any) -> str | list[str]:
        """Turn target ids (a decoder's argmax) into digit strings.

        Reading stops at the first ``<end>`` or padding, so what follows does not count.
        A ``<start>`` token is written out as ``"<start>"``: a model that emits it has
        made a mistake. A 1-D array gives one string, a 2-D array ``(n, steps)`` a list
        of strings.

        Raises
        ------
        TypeError
            If ``ids`` holds floats (probabilities: take ``.argmax(-1)`` first).
        ValueError
            If ``ids`` is not 1-D or 2-D, or holds an id outside the vocabulary.

        Examples
        --------
        >>> from companion.translation import make_translation_task
        >>> task = make_translation_task(10, max_value=999)
        >>> task.decode_target([7, 4, 5, 2, 0])
        '412'
        >>> task.decode_target([[3, 2, 9, 9], [12, 12, 0, 4]])
        ['0', '99']
        >>> task.decode_target([1, 7, 4, 5])  # a decoder input row, not an output
        '<start>412'
        """
        return self._decode(ids, self.target_vocab, "", "target")

    def _decode(self, ids: Any, vocab: tuple[str, ...], sep: str, side: str
                ) -> str | list[str]:
        try:
            array = np.asarray(ids)
        except Exception as error:  # ragged lists and other things NumPy cannot take
            raise TypeError(f"expected {side} ids as a 1-D or 2-D array of integers, got "
                            f"{type(ids).__name__}: pass equal-length rows ({error})") from None
        if array.dtype.kind == "f":
            raise TypeError(f"expected integer {side} ids, got an array of {array.dtype}: for "
                            "a model's probabilities take probabilities.argmax(axis=-1) first")
        if array.dtype.kind not in "iu" and array.size:
            raise TypeError(f"expected integer {side} ids, got an array of {array.dtype}: "
                            "pass ids such as [7, 4, 5, 2]")
        if array.ndim not in (1, 2):
            hint = (": for probabilities of shape (n, steps, vocab) take .argmax(axis=-1)"
                    if array.ndim == 3 else "")
            raise ValueError(f"expected a 1-D or 2-D array of {side} ids, got shape "
                             f"{array.shape}{hint}")
        if array.size and (array.min() < 0 or array.max() >= len(vocab)):
            bad = array.min() if array.min() < 0 else array.max()
            raise ValueError(f"expected {side} ids from 0 to {len(vocab) - 1}, got {int(bad)}: "
                             f"decode ids made with this task's {side}_vocab")
        rows = array.reshape(1, -1) if array.ndim == 1 else array
        texts = []
        for row in rows.tolist():
            tokens = []
            for token in row:
                if token in (END, PAD):
                    break
                tokens.append(vocab[token])
            texts.append(sep.join(tokens))
        return texts[0] if array.ndim == 1 else texts

    def exact_match(self, ids: Any) -> float:
        """Fraction of pairs whose predicted digits equal the target digits exactly.

        ``ids`` is ``(n_samples, steps)``: a decoder's argmax or the output of
        :func:`greedy_decode`, row ``i`` for ``pairs[i]``. Each row is read as
        :meth:`decode_target` reads it, so what follows ``<end>`` does not count.

        Examples
        --------
        >>> from companion.translation import make_translation_task
        >>> task = make_translation_task(4)
        >>> task.exact_match(task.decoder_targets)
        1.0
        >>> task.exact_match(task.decoder_inputs)  # reads '<start>...': all wrong
        0.0
        """
        predicted = self._rows(ids, "exact_match")
        truth = [digits for _, digits in self.pairs]
        return float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)]))

    def token_accuracy(self, ids: Any) -> float:
        """Fraction of target tokens (digits and ``<end>``, not padding) predicted right.

        ``ids`` must have the shape of ``decoder_targets``; it is compared position by
        position, so a digit written one step late counts as wrong.

        Examples
        --------
        >>> from companion.translation import make_translation_task
        >>> task = make_translation_task(4)
        >>> task.token_accuracy(task.decoder_targets)
        1.0
        >>> task.token_accuracy(np.zeros_like(task.decoder_targets))
        0.0
        """
        array = self._rows(ids, "token_accuracy", decode=False)
        if array.shape != self.decoder_targets.shape:
            raise ValueError(f"expected ids of shape {self.decoder_targets.shape} (the shape "
                             f"of decoder_targets), got {array.shape}: pass one row of "
                             f"target_len={self.target_len} ids per pair")
        real = self.decoder_targets != PAD
        return float(np.mean(array[real] == self.decoder_targets[real]))

    def _rows(self, ids: Any, method: str, *, decode: bool = True) -> Any:
        array = np.asarray(ids) if not isinstance(ids, (str, bytes)) else None
        if array is None or array.ndim != 2 or array.shape[0] != len(self):
            shape = "a string" if array is None else f"shape {array.shape}"
            hint = (": for probabilities (n, steps, vocab) take .argmax(axis=-1) first"
                    if array is not None and array.ndim == 3 else
                    f": pass one row of ids per pair, {len(self)} rows for this task")
            raise ValueError(f"expected {method} ids of shape ({len(self)}, steps), got "
                             f"{shape}{hint}")
        decoded = self.decode_target(array)  # validates dtype and range
        return decoded if decode else array

    def split(self, fraction: float = 0.8) -> tuple[TranslationTask, TranslationTask]:
        """Split into a training task (the first ``fraction`` of the pairs) and a test task.

        The pairs are in random order and every number appears once, so the test task
        holds numbers the training task never shows.

        Examples
        --------
        >>> from companion.translation import make_translation_task
        >>> train, test = make_translation_task(100).split(0.8)
        >>> len(train), len(test)
        (80, 20)
        >>> set(train.pairs).isdisjoint(test.pairs)
        True
        """
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
            raise TypeError(f"expected fraction to be a number between 0 and 1, got "
                            f"{fraction!r} of type {type(fraction).__name__}: pass for "
                            "example fraction=0.8")
        if not 0 < fraction < 1:
            raise ValueError(f"expected fraction strictly between 0 and 1, got {fraction!r}: "
                             "pass for example fraction=0.8 for 80% training pairs")
        cut = int(round(len(self) * float(fraction)))
        if not 0 < cut < len(self):
            raise ValueError(f"expected both parts to hold at least one pair, got {cut} and "
                             f"{len(self) - cut} of {len(self)}: use more samples or a "
                             "fraction nearer 0.5")

        def part(rows: slice) -> TranslationTask:
            return dataclasses.replace(
                self, pairs=self.pairs[rows],
                encoder_inputs=_readonly(self.encoder_inputs[rows].copy()),
                decoder_inputs=_readonly(self.decoder_inputs[rows].copy()),
                decoder_targets=_readonly(self.decoder_targets[rows].copy()))

        return part(slice(None, cut)), part(slice(cut, None))
