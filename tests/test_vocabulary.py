"""The book uses one vocabulary: the glossary's (book/glossary.ipynb).

An audit found the same things named two ways: "four gates" for an LSTM (it has three
gates and a candidate: four weight blocks), "returns a list" for the tuple Keras 3
returns with `return_state=True` or `merge_mode=None`, a kernel "gates * units" wide
(it is blocks * units), and "fused" for Keras's per-step fallback. These tests scan the
markdown of every chapter for those contradictions, and check that every {term} role
names a term the glossary defines. Each pattern also has a test that feeds it a bad
sentence, so a pattern that can no longer fail is noticed.
"""

from __future__ import annotations

import json
import re

import booktools
import pytest

BOOK = booktools.ROOT / "book"
GLOSSARY = BOOK / "glossary.ipynb"
TERMS = {"gate", "candidate", "weight block", "hidden state", "cell state", "carry",
         "sequence output", "fused kernel", "generic loop", "tuple result"}

# A sentence that speaks of Keras 2 may say "list": that is what Keras 2 returns.
KERAS2 = re.compile(r"Keras 2|tf[-_.]keras|tf\.keras", re.IGNORECASE)


def four_gates(sentence: str) -> bool:
    """An LSTM has three gates and a candidate: "four gates" counts the candidate."""
    return re.search(r"\b(four|4) gates\b", sentence, re.IGNORECASE) is not None


def list_for_a_tuple(sentence: str) -> bool:
    """A Keras 3 return_state / merge_mode=None result called a list."""
    if KERAS2.search(sentence) or not re.search(r"return_state|merge_mode", sentence):
        return False
    return re.search(r"\breturns? a list\b|\ba list of\b|\bgives a list\b|\bthe list\b",
                     sentence, re.IGNORECASE) is not None


def gates_times_units(sentence: str) -> bool:
    """The kernel is blocks * units wide, not gates * units."""
    return re.search(r"\bgates\s*(\*|×|x|times)\s*`?units\b", sentence,
                     re.IGNORECASE) is not None


FUSED_FALLBACK = re.compile(
    r"fused (?:\w+ ){0,2}(?:fallback|per-step|loop\b)"  # "a fused fallback", "fused per-step loop"
    r"|non-cuDNN fused"
    r"|(?:fallback|per-step loop|generic loop|_fallback_\w+)`?(?: \w+){0,3} (?:is|are|runs as) "
    r"(?:a |an |the |its |one )?fused", re.IGNORECASE)


def fused_fallback(sentence: str) -> bool:
    """Keras's per-step fallback (generic loop, `_fallback_lstm`) called fused."""
    return FUSED_FALLBACK.search(sentence) is not None and not re.search(
        r"\bnot (?:a |an |the )?(?:\"|`|\*)?fused", sentence, re.IGNORECASE)


CHECKS = {
    "an LSTM has three gates and a candidate, not four gates": four_gates,
    "Keras 3 returns a tuple here (Keras 2 a list)": list_for_a_tuple,
    "the kernel is blocks * units wide": gates_times_units,
    "a per-step fallback is not fused": fused_fallback,
}


def sentences(text: str) -> list[str]:
    """Split markdown into sentences: at blank lines, list items and ". " boundaries."""
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)  # code blocks
    pieces = []
    for block in re.split(r"\n\s*\n|\n\s*[-*|] ", text):
        block = re.sub(r"^[-*|]\s+", "", " ".join(block.split()))
        pieces += re.split(r"(?<=[.!?])\s+(?=[A-Z`*\[(])", block)
    return [piece for piece in pieces if piece]


def chapter_markdown():
    """(where, markdown) for every markdown cell of every chapter and every .md page."""
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                yield f"{path.name} cell {number}", "".join(cell["source"])
    for path in sorted(BOOK.glob("*.md")):
        yield path.name, path.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", CHECKS)
def test_no_chapter_contradicts_the_glossary(rule):
    check = CHECKS[rule]
    found = [f"{where}: {sentence}" for where, text in chapter_markdown()
             for sentence in sentences(text) if check(sentence)]
    assert not found, f"{rule} (book/glossary.ipynb):\n" + "\n".join(found)


@pytest.mark.parametrize(("check", "bad", "good"), [
    (four_gates, "An LSTM has four gates, so its kernel is four blocks wide.",
     "An LSTM has three gates and a candidate: four weight blocks."),
    (list_for_a_tuple, "With `return_state=True` the layer returns a list of three tensors.",
     "With `return_state=True` the layer returns a tuple; Keras 2 returns a list."),
    (list_for_a_tuple, "`merge_mode=None` gives a list of two tensors.",
     "`merge_mode=None` gives a tuple of two tensors."),
    (gates_times_units, "The kernel is `(features, gates * units)`.",
     "The kernel is `(features, blocks * units)`."),
    (gates_times_units, "Its width is gates × units.", "Its width is blocks × units."),
    (fused_fallback, "PyTorch's CPU path runs the fused per-step fallback `_fallback_lstm`.",
     "PyTorch's CPU path is Keras's per-step fallback, not a fused function."),
    (fused_fallback, "Its `lstm` has a non-cuDNN fused fallback for the CPU.",
     "It runs a fused kernel when it can; otherwise the generic loop, one step at a time."),
    (fused_fallback, "The generic loop is fused into one call.",
     "The fused kernel did the work, or the generic loop did."),
])
def test_each_check_can_fail(check, bad, good):
    assert check(bad) and not check(good)


def test_sentences_splits_where_a_reader_does():
    text = "The LSTM has three gates. It also has a candidate.\n\n- An item\n```\nfour gates\n```"
    assert sentences(text) == ["The LSTM has three gates.", "It also has a candidate.",
                               "An item"]


# ------------------------------------------------------------------ glossary terms

def defined_terms(text: str) -> set[str]:
    """The terms of the {glossary} blocks of a MyST page: their unindented lines."""
    terms = set()
    for block in re.findall(r"```\{glossary\}\n(.*?)```", text, re.DOTALL):
        terms |= {line.strip() for line in block.splitlines()
                  if line.strip() and not line[0].isspace() and not line.startswith(":")}
    return terms


def used_terms(text: str) -> list[str]:
    """The term each {term} role points at: {term}`gate`, {term}`gates <gate>`."""
    return [target or plain
            for plain, target in re.findall(r"\{term\}`(?:([^`<]+?)|[^`<]*<([^`>]+)>)`", text)]


def glossary_markdown() -> str:
    """The glossary page's markdown cells, joined."""
    cells = json.loads(GLOSSARY.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(cell["source"]) for cell in cells
                         if cell["cell_type"] == "markdown")


def test_the_glossary_defines_exactly_the_books_terms():
    assert defined_terms(glossary_markdown()) == TERMS


def test_every_term_role_names_a_defined_term():
    defined = defined_terms(glossary_markdown())
    unknown = [f"{where}: {term}" for where, text in chapter_markdown()
               for term in used_terms(text) if term not in defined]
    assert not unknown, "term roles with no glossary entry:\n" + "\n".join(unknown)


def test_the_term_parsers_read_both_forms():
    page = "```{glossary}\ngate\n  A vector.\n\nweight block\n  Slices.\n```\n"
    assert defined_terms(page) == {"gate", "weight block"}
    assert used_terms("a {term}`gate` and {term}`weight blocks <weight block>`, "
                      "{term}`gates <gates>`") == ["gate", "weight block", "gates"]


def test_the_glossary_is_in_the_table_of_contents():
    assert "file: book/glossary" in booktools.ROOT.joinpath("_toc.yml").read_text()
