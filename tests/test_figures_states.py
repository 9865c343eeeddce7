"""Tests for companion.figures.states: returned tensors, highlighted states, alt text."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch

from companion.figures import RETURNED, returned_states_figure
from companion.figures.states import returned_tensors

COMBOS = list(itertools.product(("LSTM", "GRU", "SimpleRNN"), (False, True), (False, True)))


def filled(ax):
    """Labels of the boxes filled with the RETURNED colour."""
    colour = to_rgba(RETURNED)
    centres = {(round(x, 3), round(y, 3)): text.get_text()
               for text in ax.texts for x, y in [text.get_position()]}
    return sorted(centres[(round(p.get_x() + p.get_width() / 2, 3),
                           round(p.get_y() + p.get_height() / 2, 3))]
                  for p in ax.patches
                  if isinstance(p, FancyBboxPatch) and p.get_facecolor() == colour)


@pytest.mark.parametrize("combo", COMBOS, ids=[f"{n}-seq{int(s)}-state{int(t)}"
                                               for n, s, t in COMBOS])
def test_lists_the_returned_tensors_in_keras_order(combo):
    layer, sequences, state = combo
    fig = returned_states_figure(layer, return_sequences=sequences, return_state=state)
    listed = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("[")]
    expected_count = 1 + (2 if layer == "LSTM" else 1) * state
    assert len(listed) == expected_count
    assert listed[0] == ("[0] output = [h1, h2, h3]" if sequences else "[0] output = h3")
    if state:
        assert listed[1] == "[1] state h = h3"
    if state and layer == "LSTM":
        assert listed[2] == "[2] state c = c3"
    assert all(label in fig.alt_text for label in listed)


@pytest.mark.parametrize(("layer", "sequences", "state", "expected"), [
    ("LSTM", False, True, ["c3", "h3"]),
    ("LSTM", True, True, ["c3", "h1", "h2", "h3"]),
    ("LSTM", True, False, ["h1", "h2", "h3"]),
    ("GRU", False, False, ["h3"]),
], ids=["lstm-last", "lstm-every", "lstm-no-state", "gru-last"])
def test_highlights_the_states_the_tensors_come_from(layer, sequences, state, expected):
    fig = returned_states_figure(layer, return_sequences=sequences, return_state=state)
    assert filled(fig.axes[0]) == expected


def test_only_an_lstm_draws_cell_states():
    lstm = [t.get_text() for t in returned_states_figure("LSTM").axes[0].texts]
    gru = [t.get_text() for t in returned_states_figure("GRU").axes[0].texts]
    assert {"c1", "c2", "c3"} <= set(lstm)
    assert not any(text.startswith("c") for text in gru)


def test_alt_text_counts_the_tensors_and_names_the_flags():
    fig = returned_states_figure("GRU", return_sequences=True, timesteps=2)
    assert fig.alt_text == (
        "A GRU unrolled over 2 timesteps with return_sequences=True and "
        "return_state=True: it returns 2 tensors, in this order: [0] output = [h1, h2], "
        "[1] state h = h2; the returned states are highlighted.")
    assert returned_states_figure("SimpleRNN", return_state=False).alt_text.count(
        "one tensor") == 1


def test_renders_to_png():
    assert returned_states_figure(timesteps=6).to_png().startswith(b"\x89PNG")


def test_returned_tensors_matches_the_figure_listing():
    assert returned_tensors("SimpleRNN", 4, return_sequences=False, return_state=False) == [
        ("output", "h4")]


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"layer": "Dense"}, ValueError, "LSTM"),
    ({"return_state": 1}, TypeError, "return_state=True or return_state=False"),
    ({"return_sequences": "yes"}, TypeError, "return_sequences"),
    ({"timesteps": 7}, ValueError, "at most 6, got 7"),
    ({"timesteps": 0}, ValueError, "positive integer"),
    ({"timesteps": 2.0}, TypeError, "positive integer"),
], ids=["layer", "state-int", "sequences-str", "too-wide", "zero", "float"])
def test_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        returned_states_figure(**kwargs)
