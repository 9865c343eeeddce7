"""Translate with a trained encoder-decoder, one token at a time: :func:`greedy_decode`.

Part of :mod:`companion.translation` (chapter "Map sequences to sequences"). Nothing
here imports TensorFlow or Keras: :func:`greedy_decode` calls the models it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from companion import _validate as v
from companion.translation.task import TranslationTask
from companion.translation.words import END, PAD, START


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

    >>> from companion.translation import make_translation_task
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
