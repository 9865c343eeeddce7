"""The error gallery is where a pasted error message lands (issue 24, section 4).

Each message below is what a reader pastes into the built book's search (the message, or
the part of it without the reader's own names and shapes): the pinned Keras's wording,
tf-keras's (Keras 2) wording where it differs, and the wordings of old standalone Keras
releases that the gallery's index quotes. The book's own search (Sphinx, in headless
Chromium, served on 127.0.0.1 as in tests/test_browser.py) must list the gallery among
its first results. Sphinx's index leaves out some outputs (the printed Keras 2
messages, for one), so the index's table holds each message as text. Sphinx lists the
pages that hold every word of the query, ordered by score (a word in one of the page's
headings scores more than one in its text) and then by title, so "Fix real errors: a
gallery" can follow a few chapters of equal score whose titles come first in the
alphabet. (Entries of the book's index, an ``{index}``
directive, would rank first, but Sphinx 7.4's search page throws on their empty anchor:
``appendChild`` of a null summary.)

Build the book first (``make book``, or ``jupyter-book build . --path-output DIR`` and
``BOOK_HTML_DIR=DIR/_build/html``); without it, or without Chromium, the tests skip
(and fail under ``CI=true``).
"""

from __future__ import annotations

import booktools
import pytest
from browser import checks, session
from browser.server import serve_directory

pytestmark = pytest.mark.browser

GALLERY = "book/error-gallery"
#: How far down the result list the gallery may be: the first screen of results.
FIRST_RESULTS = 5

#: What a reader pastes, and which version of Keras says it.
MESSAGES = {
    # Keras 3.15.1, the pinned release
    "keras3-2d-input": "Input 0 with name 'None' of layer 'lstm' is incompatible with the "
                       "layer: expected ndim=3, found ndim=2. Full shape received: (32, 24)",
    "keras3-unpack": "Iterating over a symbolic KerasTensor is not supported",
    "unpack-too-many": "ValueError: too many values to unpack (expected 2)",
    "unpack-not-enough": "ValueError: not enough values to unpack (expected 3, got 2)",
    "keras3-sequential-state": 'Layer "head" expects 1 input(s), but it received 3 input '
                               "tensors. Inputs received: [<KerasTensor shape=(None, 8), "
                               "dtype=float32, sparse=False, ragged=False",
    "keras3-targets": "Arguments `target` and `output` must have the same shape",
    "keras3-unrecognized": "Unrecognized keyword arguments passed to LSTM: {'time_major': True}",
    "keras3-stateful": "When using `stateful=True` in a RNN, the batch size must be static",
    "keras3-forecast": "Dimensions must be equal, but are 2 and 6",
    "keras3-initial-state": "LSTM.call() list index out of range",
    "keras3-merge-mode-none": 'Layer "head" expects 1 input(s), but it received 2 input '
                              "tensors. Inputs received: [<KerasTensor shape=(None, 4), "
                              "dtype=float32, sparse=False, ragged=False",
    "recurrent-dropout": "recurrent_dropout fused kernel cuDNN",
    "keras3-mask-dropped": "UserWarning: Layer 'flatten' (of type Flatten) was passed an input "
                           "with a mask attached to it. However, this layer does not support "
                           "masking and will therefore destroy the mask information. "
                           "Downstream layers will not see the mask.",
    "keras3-input-shape": "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a "
                          "layer. When using Sequential models, prefer using an `Input(shape)` "
                          "object as the first layer in the model instead.",
    "keras3-reset-states": "'Sequential' object has no attribute 'reset_states'",
    "keras3-cudnnlstm": "module 'keras.layers' has no attribute 'CuDNNLSTM'",
    "keras3-input-length": "Argument `input_length` is deprecated. Just remove it.",
    # Keras 3.0.0, 3.0.5 and 3.1.1, run by `make version-facts` (the gallery prints them)
    "keras3-0-input-length": "Unrecognized keyword arguments passed to Embedding: "
                             "{'input_length': 5}",
    # tf-keras 2.21 (Keras 2), run by the gallery
    "keras2-2d-input": 'Input 0 of layer "lstm" is incompatible with the layer: expected '
                       "ndim=3, found ndim=2",
    "keras2-sequential": "All layers in a Sequential model should have a single output tensor",
    "keras2-sparse": "`labels.shape` must equal `logits.shape` except for the last dimension",
    "keras2-stateful": "If a RNN is stateful, it needs to know its batch size",
    "keras2-initial-state": "An `initial_state` was passed that is not compatible with "
                            "`cell.state_size`",
    "keras2-unpack": "TypeError: Cannot iterate over a Tensor with unknown first dimension.",
    # older standalone Keras, quoted in the gallery's index (not run)
    "old-target": "Error when checking target: expected dense_1 to have 3 dimensions, "
                  "but got array with shape",
    "old-input": "Error when checking input: expected lstm_1_input to have 3 dimensions",
    "old-input-keras1": "Error when checking model input: expected lstm_input_1 to have "
                        "3 dimensions",
    "old-stateful": "If a RNN is stateful, a complete input_shape must be provided "
                    "(including batch size)",
    "old-mask": "Layer flatten_2 does not support masking, but was passed an input_mask",
}


@pytest.fixture(scope="module")
def search_page():
    """One Chromium page on the served book, and what the search needs to run."""
    html_dir = session.built_book(booktools.ROOT / "_build" / "html", "search.html")
    with serve_directory(html_dir) as base_url, session.chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        site = checks.Site(base_url=base_url, book_title=str(booktools.config()["title"]),
                           repository_url=booktools.repository_url(),
                           branch=booktools.branch(), math_hosts=frozenset())
        try:
            yield page, checks.Recorder(page), site
        finally:
            context.close()


@pytest.mark.parametrize("message", MESSAGES.values(), ids=MESSAGES.keys())
def test_a_pasted_message_finds_the_error_gallery(search_page, message):
    page, recorder, site = search_page
    results, problems = checks.search(page, recorder, site, message)
    # The search page fetches each result page for its summary; loading the next query
    # aborts the fetches still under way, which is no fault of the page.
    problems = [problem for problem in problems if "net::ERR_ABORTED" not in problem]
    assert problems == [], "the search page: " + "; ".join(problems)
    assert GALLERY in results[:FIRST_RESULTS], (
        f"search for {message!r} lists {results[:10]}: the gallery's index should hold it")
