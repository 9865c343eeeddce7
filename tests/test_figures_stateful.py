"""Tests for companion.figures.stateful: chunks, carried states, resets, alt text, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

import companion
from companion import figures
from companion.figures import BookFigure, stateful_chunks_figure


def texts(fig):
    return [text.get_text() for text in fig.axes[0].texts]


def box_count(fig):
    return sum(isinstance(patch, FancyBboxPatch) for patch in fig.axes[0].patches)


def arrows(fig, color):
    return [patch for patch in fig.axes[0].patches
            if isinstance(patch, FancyArrowPatch) and patch.get_edgecolor() == to_rgba(color)]


@pytest.mark.parametrize("stateful", [True, False], ids=["stateful", "stateless"])
def test_draws_every_input_and_state_with_one_call_per_chunk(stateful):
    fig = stateful_chunks_figure(12, 4, stateful=stateful)
    shown = texts(fig)
    for step in range(1, 13):
        assert f"t{step}" in shown and f"h{step}" in shown
    assert "t13" not in shown
    assert [t for t in shown if t.startswith("call")] == ["call 1", "call 2", "call 3"]
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title().startswith(f"stateful={stateful}:")


def test_stateful_carries_the_state_across_each_boundary_and_resets_at_the_end():
    fig = stateful_chunks_figure(12, 4)
    shown = texts(fig)
    assert shown.count("zeros") == 1
    assert shown.count("state\ncarried") == 2
    assert "reset_state()" in shown and "back to zeros" in shown
    # two carried arrows and the arrow into reset_state(), all in the RETURNED colour
    assert len(arrows(fig, figures.RETURNED)) == 3
    assert box_count(fig) == 12 + 12 + 1 + 1  # inputs, states, zeros, reset_state()


def test_stateless_starts_every_chunk_from_zeros_and_carries_nothing():
    fig = stateful_chunks_figure(12, 4, stateful=False)
    shown = texts(fig)
    assert shown.count("zeros") == 3
    assert "state\ncarried" not in shown and "reset_state()" not in shown
    assert arrows(fig, figures.RETURNED) == []
    assert len(arrows(fig, figures.DROPPED)) == 3


def test_recurrent_arrows_stay_inside_each_chunk():
    # 12 steps in 3 chunks: 3 arrows h->h inside each chunk, 9 in all
    assert len(arrows(stateful_chunks_figure(12, 4), figures.CELL)) == 9
    assert len(arrows(stateful_chunks_figure(12, 4, stateful=False), figures.CELL)) == 9


@given(timesteps=st.integers(1, 24), data=st.data(), stateful=st.booleans())
@settings(max_examples=15)
def test_counts_follow_timesteps_and_chunk(timesteps, data, stateful):
    chunk = data.draw(st.integers(1, timesteps))
    fig = stateful_chunks_figure(timesteps, chunk, stateful=stateful)
    n_chunks = -(-timesteps // chunk)
    shown = texts(fig)
    assert sum(t.startswith("call ") for t in shown) == n_chunks
    assert shown.count("zeros") == (1 if stateful else n_chunks)
    assert shown.count("state\ncarried") == (n_chunks - 1 if stateful else 0)
    assert len(arrows(fig, figures.CELL)) == timesteps - n_chunks
    assert len(arrows(fig, figures.INPUT)) == timesteps
    assert fig.alt_text.endswith(".") and f"{timesteps} timesteps" in fig.alt_text


@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    ((12, 4), {}, "A sequence of 12 timesteps cut into 3 chunks of 4 (t1-t4, t5-t8, t9-t12) "
     "and fed to a recurrent layer with stateful=True in 3 calls: the hidden state starts "
     "from zeros, runs on across each chunk boundary (h4 to h5, h8 to h9) and "
     "reset_state() sets it back to zeros after the last chunk."),
    ((12, 4), {"stateful": False}, "A sequence of 12 timesteps cut into 3 chunks of 4 "
     "(t1-t4, t5-t8, t9-t12) and fed to a recurrent layer with stateful=False in 3 calls: "
     "every call starts again from zeros, so no state crosses a chunk boundary (between h4 "
     "and h5, between h8 and h9)."),
    ((10, 4), {}, "A sequence of 10 timesteps cut into 3 chunks of at most 4 (t1-t4, t5-t8, "
     "t9-t10)"),
    ((3, 3), {"stateful": False}, "A sequence of 3 timesteps cut into 1 chunk (t1-t3) and fed "
     "to a recurrent layer with stateful=False in 1 call: the hidden state starts from zeros "
     "and runs through the chunk."),
], ids=["stateful", "stateless", "short-last-chunk", "one-chunk"])
def test_alt_text_says_what_the_figure_shows(args, kwargs, expected):
    assert stateful_chunks_figure(*args, **kwargs).alt_text.startswith(expected)


def test_is_a_book_figure_with_identical_png_bytes_each_time():
    first, second = stateful_chunks_figure(8, 3), stateful_chunks_figure(8, 3)
    assert isinstance(first, BookFigure)
    assert first.to_png() == second.to_png()
    bundle = first._repr_mimebundle_()
    assert bundle["text/plain"] == first.alt_text and bundle["image/png"]


def test_is_exported_from_companion():
    assert companion.stateful_chunks_figure is stateful_chunks_figure


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    ((0, 1), {}, ValueError, "timesteps to be a positive integer, got 0"),
    ((25, 4), {}, ValueError, "timesteps between 1 and 24, got 25"),
    ((12.0, 4), {}, TypeError, "timesteps to be a positive integer"),
    ((12, 13), {}, ValueError, "chunk between 1 and timesteps=12, got 13"),
    ((12, 0), {}, ValueError, "chunk to be a positive integer, got 0"),
    ((12, "4"), {}, TypeError, "chunk to be a positive integer"),
    ((12, 4), {"stateful": "yes"}, TypeError, "stateful to be True or False"),
], ids=["zero-steps", "too-long", "float-steps", "chunk-too-long", "zero-chunk", "str-chunk",
        "str-flag"])
def test_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        stateful_chunks_figure(*args, **kwargs)
