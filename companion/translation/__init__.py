"""A toy translation task: spelled-out numbers to digits.

The code lives in ``task`` for now (moved from ``companion/translation.py``).
"""

from companion.translation.task import (
    END,
    LARGEST,
    PAD,
    SOURCE_WORDS,
    SPECIALS,
    START,
    TARGET_CHARACTERS,
    TranslationTask,
    _longest_spelling,
    greedy_decode,
    make_translation_task,
    spell,
)

__all__ = ["END", "LARGEST", "PAD", "SOURCE_WORDS", "SPECIALS", "START",
           "TARGET_CHARACTERS", "TranslationTask", "_longest_spelling", "greedy_decode",
           "make_translation_task", "spell"]
