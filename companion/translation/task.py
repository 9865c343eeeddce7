"""A toy translation task: spelled-out numbers to digits (chapter: "Map sequences to sequences").

The source side is English words, ``"four thousand two hundred twelve"``; the target
side is the digits of the same number, ``"4212"``. Source and target have different
lengths (six words can become four digits, two words can become four digits), so a
model that emits one output per input step cannot solve it: it needs an encoder that
reads the whole source and a decoder that writes the target. The task is generated,
seeded and small, so a tiny encoder-decoder learns it in seconds on a CPU.

Token ids are shared by both vocabularies for the special tokens: ``0`` is padding,
``1`` the start token and ``2`` the end token. Nothing here imports TensorFlow or
Keras; :func:`greedy_decode` calls the Keras models it is given.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Iterable
from typing import Any

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


def greedy_decode(encoder_model: Callable[..., Any], decoder_model: Callable[..., Any],
                  source_ids: Any, task: TranslationTask, *,
                  max_len: int | None = None) -> np.ndarray:
    """Translate source ids step by step, feeding each predicted token back in.

    This is the inference loop of an encoder-decoder trained with teacher forcing. At
    each step the decoder reads the token it wrote at the previous step (``<start>``
    first) and the states it returned, and the most probable token is kept.

    Parameters
    ----------
    encoder_model : callable
        ``encoder_model(source_ids)`` returns the initial decoder states: a list such
        as ``[state_h, state_c]`` (a single tensor is taken as a one-state list).
    decoder_model : callable
        ``decoder_model([tokens, *states])`` with ``tokens`` of shape ``(n, 1)``
        returns ``[probabilities, *new_states]``, ``probabilities`` of shape
        ``(n, 1, target_vocab_size)`` or ``(n, target_vocab_size)``.
    source_ids : array_like
        ``(n, source_len)`` integer ids, for example ``task.encode_source(texts)``.
    task : TranslationTask
        Gives the start, end and padding ids.
    max_len : int, optional
        Most steps to decode; defaults to ``task.target_len``.

    Returns
    -------
    numpy.ndarray
        ``(n, max_len)`` int32 ids: each row ends with ``<end>`` (if the model wrote
        it in time) followed by padding; ``task.decode_target`` turns it into text.

    Examples
    --------
    A stand-in "model" that always writes the digit 7 and then stops:

    >>> task = make_translation_task(10)
    >>> seven = task.target_vocab.index("7")
    >>> def encoder(ids):
    ...     return [np.zeros((len(ids), 1))]
    >>> def decoder(inputs):
    ...     tokens, state = inputs
    ...     probs = np.zeros((len(tokens), 1, task.target_vocab_size))
    ...     probs[:, 0, seven if state[0, 0] == 0 else task.end_id] = 1.0
    ...     return [probs, state + 1]
    >>> ids = greedy_decode(encoder, decoder, task.encoder_inputs[:2], task)
    >>> ids
    array([[10,  2,  0,  0,  0],
           [10,  2,  0,  0,  0]], dtype=int32)
    >>> task.decode_target(ids)
    ['7', '7']
    """
    if not isinstance(task, TranslationTask):
        raise TypeError(f"expected task to be a TranslationTask, got {type(task).__name__}: "
                        "pass the task from companion.make_translation_task")
    if not callable(encoder_model) or not callable(decoder_model):
        raise TypeError("expected encoder_model and decoder_model to be callables such as "
                        "keras.Model objects, got "
                        f"{type(encoder_model).__name__} and {type(decoder_model).__name__}")
    steps = task.target_len if max_len is None else v.positive_int("max_len", max_len)
    source = np.asarray(source_ids)
    if source.ndim != 2 or source.dtype.kind not in "iu":
        raise ValueError(f"expected source_ids as a 2-D integer array (n, source_len), got "
                         f"shape {source.shape} of {source.dtype}: use "
                         "task.encode_source(texts) or task.encoder_inputs")
    states = encoder_model(source)
    states = list(states) if isinstance(states, (list, tuple)) else [states]
    states = [np.asarray(state) for state in states]  # Keras models refuse mixed inputs
    n = source.shape[0]
    tokens = np.full((n, 1), START, dtype=np.int32)
    result = np.zeros((n, steps), dtype=np.int32)
    finished = np.zeros(n, dtype=bool)
    for step in range(steps):
        outputs = decoder_model([tokens, *states])
        if not isinstance(outputs, (list, tuple)) or len(outputs) < 2:
            raise ValueError("expected decoder_model to return [probabilities, *states]: build "
                             "it with the decoder's states as outputs (return_state=True)")
        probabilities = np.asarray(outputs[0])
        states = [np.asarray(state) for state in outputs[1:]]
        best = probabilities.reshape(n, -1).argmax(axis=-1).astype(np.int32)
        best[finished] = PAD
        result[:, step] = best
        finished |= best == END
        if finished.all():
            break
        tokens = best.reshape(n, 1)
    return result
