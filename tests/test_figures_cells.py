"""Tests for companion.figures.cells: one cell step beside the RNN loop."""

from __future__ import annotations

import pytest

from companion.figures import cell_step_figure
from companion.figures.cells import CELL_STATES


@pytest.mark.parametrize("cell", list(CELL_STATES))
def test_draws_the_states_of_each_cell_and_says_so(cell):
    fig = cell_step_figure(cell, timesteps=3)
    texts = [t.get_text() for t in fig.axes[0].texts]
    states = "[" + ", ".join(f"{s}1" for s in CELL_STATES[cell]) + "]"
    assert states in texts
    assert f"(output, {states})" in fig.alt_text
    assert fig.axes[1].get_title() == f"RNN({cell}): the loop over 3 steps"
    assert sum(t.get_text() == "cell" for t in fig.axes[1].texts) == 3


def test_lstm_cell_has_two_states_the_others_one():
    assert {cell: len(states) for cell, states in CELL_STATES.items()} == {
        "LSTMCell": 2, "GRUCell": 1, "SimpleRNNCell": 1}


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"cell": "LSTM"}, "one of LSTMCell, GRUCell, SimpleRNNCell"),
    ({"timesteps": 9}, "at most 8"),
    ({"timesteps": 0}, "timesteps"),
])
def test_rejects_what_it_cannot_draw(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cell_step_figure(**kwargs)
