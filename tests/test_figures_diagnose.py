"""The error gallery's figure: what [:, -1] takes from a bidirectional sequence."""

from __future__ import annotations

import pytest

import companion
from companion.figures.diagnose import bidirectional_slice_figure


@pytest.mark.parametrize("timesteps", [2, 4, 8])
def test_alt_text_names_the_half_that_read_one_step(timesteps):
    fig = bidirectional_slice_figure(timesteps)
    assert f"b{timesteps}, which has read only x{timesteps}" in fig.alt_text
    assert f"returns f{timesteps} and b1" in fig.alt_text


def test_draws_one_forward_and_one_backward_state_per_step():
    texts = [t.get_text() for t in bidirectional_slice_figure(3).axes[0].texts]
    assert [t for t in texts if t[:1] in "fb" and t[1:].isdigit()] == [
        "f1", "b1", "f2", "b2", "f3", "b3"]


def test_renders_the_same_png_twice():
    assert bidirectional_slice_figure(3).to_png() == bidirectional_slice_figure(3).to_png()


def test_is_exported_from_companion():
    assert companion.bidirectional_slice_figure is bidirectional_slice_figure


@pytest.mark.parametrize(("value", "error"), [(1, ValueError), (9, ValueError),
                                              (2.0, TypeError)])
def test_rejects_timesteps_outside_two_to_eight(value, error):
    with pytest.raises(error, match="timesteps"):
        bidirectional_slice_figure(value)
