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

One module per concern:

- ``words``: the special token ids, the source words and target digits, :func:`spell`;
- ``task``: :class:`TranslationTask`, the pairs and id arrays with their encoding,
  decoding, scoring and splitting methods;
- ``generate``: :func:`make_translation_task`, which draws the pairs and builds a task;
- ``decode``: :func:`greedy_decode`, the step-by-step inference loop.
"""

from companion.translation.decode import greedy_decode
from companion.translation.generate import make_translation_task
from companion.translation.task import TranslationTask
from companion.translation.words import (
    END,
    LARGEST,
    PAD,
    SOURCE_WORDS,
    SPECIALS,
    START,
    TARGET_CHARACTERS,
    spell,
)

__all__ = ["END", "LARGEST", "PAD", "SOURCE_WORDS", "SPECIALS", "START",
           "TARGET_CHARACTERS", "TranslationTask", "greedy_decode", "make_translation_task",
           "spell"]
