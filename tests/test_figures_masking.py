"""Tests for companion.figures.masking: the padded-batch grid, its alt text, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.image import imread
from matplotlib.patches import FancyBboxPatch

import companion
from companion import figures
from companion.figures import BookFigure, padded_batch_figure

REAL = to_rgba(figures.INPUT)
RETURNED = to_rgba(figures.RETURNED)


def grid(fig):
    """Rows of cell labels, top row first, read from the box centres and their texts."""
    ax = fig.axes[0]
    labels = {tuple(np.round(t.get_position(), 3)): t.get_text() for t in ax.texts}
    cells = {}
    for patch in ax.patches:
        if isinstance(patch, FancyBboxPatch) and patch.get_facecolor() != (0, 0, 0, 0):
            centre = (round(patch.get_x() + patch.get_width() / 2, 3),
                      round(patch.get_y() + patch.get_height() / 2, 3))
            cells[centre] = (labels[centre], patch.get_facecolor() == REAL)
    ys = sorted({y for _, y in cells}, reverse=True)
    return [[cells[key] for key in sorted(k for k in cells if k[1] == y)] for y in ys]


def mask_of(fig):
    return [[real for _, real in row] for row in grid(fig)]


def frames(fig):
    """(row, timestep) of each orange frame, top row first, timesteps 1-based."""
    ax = fig.axes[0]
    found = [patch for patch in ax.patches if isinstance(patch, FancyBboxPatch)
             and patch.get_edgecolor() == RETURNED and patch.get_facecolor()[3] == 0]
    ys = sorted({round(p.get_y(), 3) for p in found}, reverse=True)
    return [(ys.index(round(p.get_y(), 3)), round(p.get_x() + p.get_width() / 2))
            for p in found]


def returns(fig):
    return [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("returns")]


def expected_mask(lengths, timesteps, padding):
    """The mask keras.utils.pad_sequences(...) != 0 gives, computed independently."""
    rows = []
    for n in lengths:
        real = [True] * n
        pad = [False] * (timesteps - n)
        rows.append(real + pad if padding == "post" else pad + real)
    return rows


# --- structure --------------------------------------------------------------------------


@pytest.mark.parametrize(("padding", "labels"), [
    ("post", [["x1", "x2", "x3", "x4", "x5"], ["x1", "x2", "x3", "0", "0"],
              ["x1", "x2", "0", "0", "0"]]),
    ("pre", [["x1", "x2", "x3", "x4", "x5"], ["0", "0", "x1", "x2", "x3"],
             ["0", "0", "0", "x1", "x2"]]),
], ids=["post", "pre"])
def test_grid_puts_real_steps_on_the_padding_side_named(padding, labels):
    fig = padded_batch_figure([5, 3, 2], timesteps=5, padding=padding)
    assert [[label for label, _ in row] for row in grid(fig)] == labels
    assert mask_of(fig) == expected_mask([5, 3, 2], 5, padding)
    assert fig.axes[0].get_title().startswith(f'padding="{padding}"')


@pytest.mark.parametrize(("padding", "frames_at"), [
    ("post", [(0, 5), (1, 3), (2, 2)]),
    ("pre", [(0, 5), (1, 5), (2, 5)]),
], ids=["post", "pre"])
def test_frames_mark_the_last_real_step_of_each_row(padding, frames_at):
    fig = padded_batch_figure([5, 3, 2], timesteps=5, padding=padding)
    assert sorted(frames(fig)) == frames_at
    assert returns(fig) == ["returns h5", "returns h3", "returns h2"]


def test_show_returned_false_draws_no_frames_and_says_nothing_about_returns():
    fig = padded_batch_figure([2, 1], timesteps=4, show_returned=False)
    assert frames(fig) == [] and returns(fig) == []
    assert "return_sequences" not in fig.alt_text
    assert len(fig.axes[0].get_legend().get_texts()) == 2


def test_timesteps_default_to_the_longest_length():
    fig = padded_batch_figure([2, 4, 1])
    assert len(grid(fig)[0]) == 4
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert [t for t in texts if t.startswith("t")] == ["t1", "t2", "t3", "t4"]
    assert [t for t in texts if t.startswith("sample")] == ["sample 0", "sample 1", "sample 2"]


def test_is_exported_from_the_package():
    assert companion.padded_batch_figure is padded_batch_figure
    assert "padded_batch_figure" in companion.__all__


@given(lengths=st.lists(st.integers(1, 6), min_size=1, max_size=5),
       extra=st.integers(0, 3), padding=st.sampled_from(["pre", "post"]))
@settings(max_examples=25)
def test_grid_matches_the_mask_for_any_batch(lengths, extra, padding):
    timesteps = max(lengths) + extra
    fig = padded_batch_figure(lengths, timesteps=timesteps, padding=padding)
    assert mask_of(fig) == expected_mask(lengths, timesteps, padding)
    last = [n if padding == "post" else timesteps for n in lengths]
    assert sorted(frames(fig)) == list(enumerate(last))
    assert returns(fig) == [f"returns h{n}" for n in lengths]
    assert fig.alt_text.endswith(".") and ". " not in fig.alt_text


# --- alt text ---------------------------------------------------------------------------


def test_alt_text_names_lengths_padding_and_returned_timesteps():
    fig = padded_batch_figure([5, 3, 2], timesteps=5, padding="post")
    for words in ["3 sequences of lengths 5, 3 and 2", "padded to 5 timesteps",
                  'padding="post"', "real steps (mask True) come first",
                  "return_sequences=False", "at timesteps 5, 3 and 2"]:
        assert words in fig.alt_text


def test_alt_text_for_pre_padding_says_the_last_timestep_in_every_row():
    fig = padded_batch_figure([5, 3, 2], padding="pre")
    assert "padding (mask False) comes first" in fig.alt_text
    assert "at timestep 5 in every row" in fig.alt_text


def test_alt_text_for_a_single_sequence():
    fig = padded_batch_figure([3], timesteps=4)
    assert fig.alt_text.startswith("Grid of 1 sequence of length 3 padded to 4 timesteps")
    assert "at timestep 3." in fig.alt_text


# --- rendering --------------------------------------------------------------------------


CASES = {"post": lambda: padded_batch_figure([5, 3, 2]),
         "pre": lambda: padded_batch_figure([5, 3, 2], padding="pre"),
         "widest": lambda: padded_batch_figure([12] + [1] * 7, timesteps=12),
         "one-cell": lambda: padded_batch_figure([1], show_returned=False)}


@pytest.mark.parametrize("name", CASES)
def test_png_is_deterministic_white_and_readable(name):
    fig = CASES[name]()
    assert isinstance(fig, BookFigure)
    png = fig.to_png()
    assert png == CASES[name]().to_png()
    image = imread(io.BytesIO(png), format="png")
    assert np.allclose(image[0, 0, :3], 1.0)
    assert float(image[..., :3].std()) > 0.05
    assert 400 <= image.shape[1] <= 1100


@pytest.mark.parametrize("name", CASES)
def test_mimebundle_text_is_the_alt_text(name):
    fig = CASES[name]()
    assert fig._repr_mimebundle_()["text/plain"] == fig.alt_text
    assert fig.alt_text[0].isupper() and fig.alt_text.endswith(".")


# --- bad input --------------------------------------------------------------------------

BAD_CALLS = {
    "lengths-int": (lambda: padded_batch_figure(5), TypeError, "list of sequence lengths"),
    "lengths-str": (lambda: padded_batch_figure("53"), TypeError, "lengths=\\[5, 3, 2\\]"),
    "lengths-empty": (lambda: padded_batch_figure([]), ValueError, "1 to 8 lengths"),
    "lengths-nine": (lambda: padded_batch_figure([1] * 9), ValueError, "1 to 8 lengths"),
    "length-zero": (lambda: padded_batch_figure([3, 0]), ValueError, r"lengths\[1\]"),
    "length-float": (lambda: padded_batch_figure([3.0]), TypeError, r"lengths\[0\]"),
    "length-bool": (lambda: padded_batch_figure([True]), TypeError, r"lengths\[0\]"),
    "too-long": (lambda: padded_batch_figure([6, 2], timesteps=5), ValueError,
                 "at most timesteps=5"),
    "timesteps-13": (lambda: padded_batch_figure([2], timesteps=13), ValueError, "at most 12"),
    "timesteps-zero": (lambda: padded_batch_figure([2], timesteps=0), ValueError, "timesteps"),
    "timesteps-float": (lambda: padded_batch_figure([2], timesteps=5.0), TypeError,
                        "timesteps"),
    "padding-left": (lambda: padded_batch_figure([2], padding="left"), ValueError,
                     'padding="post"'),
    "padding-none": (lambda: padded_batch_figure([2], padding=None), ValueError, "padding"),
    "show-returned-int": (lambda: padded_batch_figure([2], show_returned=1), TypeError,
                          "show_returned"),
}


@pytest.mark.parametrize(("call", "error", "match"), list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_arguments_say_what_was_expected_and_received(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    message = str(info.value)
    assert message.startswith("expected") and ", got " in message


garbage = st.one_of(st.none(), st.booleans(), st.integers(-2, 14), st.floats(),
                    st.text(max_size=3), st.lists(st.integers(-1, 13), max_size=9),
                    st.lists(st.floats(), max_size=2))


@given(a=garbage, b=garbage, c=garbage, d=garbage)
@settings(max_examples=40)
def test_raises_only_value_or_type_errors(a, b, c, d):
    try:
        fig = padded_batch_figure(a, timesteps=b, padding=c, show_returned=d)
    except (ValueError, TypeError):
        return
    assert isinstance(fig, BookFigure) and fig.alt_text


def test_accepts_a_numpy_array_of_lengths_such_as_a_mask_sum():
    mask = np.array(expected_mask([4, 1], 4, "pre"))
    fig = padded_batch_figure(mask.sum(axis=1), padding="pre")
    assert mask_of(fig) == mask.tolist()
