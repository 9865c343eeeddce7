"""Unrolled recurrent layers and stacks: which hidden states a layer returns.

Introduced in "The default: only the last hidden state", "Return every hidden state"
and "Stack recurrent layers".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from companion import _validate as v
from companion.figures._base import (
    CELL,
    DROPPED,
    ERROR,
    INPUT,
    RETURNED,
    BookFigure,
    _arrow,
    _box,
    new_figure,
)


def draw_unrolled(ax, timesteps: int, *, return_sequences: bool, layer: str = "LSTM",
                  title: str | None = None) -> list[int]:
    """Draw one unrolled recurrent layer on ``ax``; return the steps it returns (1-based).

    Inputs ``t1..tT`` sit at the bottom, the cell copies in the middle and the hidden
    states ``h1..hT`` on top. Returned states are filled in orange; the others are grey
    outlines, because the layer computes them but does not hand them on.
    """
    returned = list(range(1, timesteps + 1)) if return_sequences else [timesteps]
    for step in range(1, timesteps + 1):
        x = float(step)
        _box(ax, x, 0.0, f"t{step}", INPUT)
        _box(ax, x, 1.0, layer, CELL)
        kept = step in returned
        _box(ax, x, 2.0, f"h{step}", RETURNED if kept else DROPPED, filled=kept)
        _arrow(ax, (x, 0.22), (x, 0.78), INPUT)
        _arrow(ax, (x, 1.22), (x, 1.78), RETURNED if kept else DROPPED)
        if step < timesteps:
            _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
    ax.set_xlim(0.4, timesteps + 0.6)
    ax.set_ylim(-0.5, 2.7)
    ax.set_aspect("equal")
    ax.axis("off")
    shown = ", ".join(f"h{step}" for step in returned)
    ax.set_title(title if title is not None else
                 f"return_sequences={return_sequences}: returns [{shown}]", fontsize=11)
    return returned


def unrolled_figure(timesteps: int = 3, *, return_sequences: bool = False,
                    layer: str = "LSTM") -> BookFigure:
    """Draw a recurrent layer unrolled over time, highlighting the states it returns.

    Parameters
    ----------
    timesteps : int
        Number of input steps to draw (1 to 12).
    return_sequences : bool
        ``False``: only the last hidden state is returned. ``True``: all of them.
    layer : {"LSTM", "GRU", "SimpleRNN"}
        Label for the cell boxes.

    Examples
    --------
    >>> fig = unrolled_figure(3)
    >>> fig.alt_text.endswith("returns only [h3], highlighted.")
    True
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("h")]
    ['h1', 'h2', 'h3']
    """
    timesteps = v.positive_int("timesteps", timesteps, hint="draw between 1 and 12 steps")
    if timesteps > 12:
        raise ValueError(f"expected timesteps of at most 12, got {timesteps}: a wider "
                         "drawing is unreadable, draw a few steps to show the idea")
    return_sequences = v.flag("return_sequences", return_sequences)
    layer = v.layer_name(layer)
    article = "An" if layer == "LSTM" else "A"
    if return_sequences:
        kept = "returns every hidden state [" + ", ".join(
            f"h{s}" for s in range(1, timesteps + 1)) + "], highlighted."
    else:
        kept = f"returns only [h{timesteps}], highlighted."
    alt = (f"{article} {layer} unrolled over {timesteps} timesteps t1 to t{timesteps} with "
           f"return_sequences={return_sequences}: it computes h1 to h{timesteps} and {kept}")
    fig = new_figure(alt, width=1.2 + 1.1 * timesteps, height=3.0)
    draw_unrolled(fig.add_subplot(), timesteps, return_sequences=return_sequences, layer=layer)
    return fig


def return_sequences_figure(timesteps: int = 3, *, layer: str = "LSTM") -> BookFigure:
    """Draw the two values of ``return_sequences`` side by side (the landing-page figure).

    Examples
    --------
    >>> fig = return_sequences_figure()
    >>> [ax.get_title() for ax in fig.axes]
    ['return_sequences=False: returns [h3]', 'return_sequences=True: returns [h1, h2, h3]']
    """
    timesteps = v.positive_int("timesteps", timesteps, hint="draw between 1 and 6 steps")
    if timesteps > 6:
        raise ValueError(f"expected timesteps of at most 6, got {timesteps}: "
                         "the two panels get unreadable beyond that")
    layer = v.layer_name(layer)
    every = ", ".join(f"h{s}" for s in range(1, timesteps + 1))
    article = "an" if layer == "LSTM" else "a"
    alt = (f"Two copies of {article} {layer} unrolled over inputs t1 to t{timesteps}. Left, "
           f"return_sequences=False: only the last hidden state [h{timesteps}] is returned. "
           f"Right, return_sequences=True: every hidden state [{every}] is returned.")
    fig = new_figure(alt, width=2.4 + 2.2 * timesteps, height=3.0)
    left, right = fig.subplots(1, 2)
    draw_unrolled(left, timesteps, return_sequences=False, layer=layer)
    draw_unrolled(right, timesteps, return_sequences=True, layer=layer)
    return fig


def _steps(name: str, value: Any, most: int) -> int:
    """Validate a number of drawn steps: a positive integer of at most ``most``."""
    value = v.positive_int(name, value, hint=f"draw between 1 and {most} steps")
    if value > most:
        raise ValueError(f"expected {name} of at most {most}, got {value}: a wider drawing "
                         "is unreadable, draw a few steps to show the idea")
    return value


def _listing(steps: Sequence[int]) -> str:
    return "[" + ", ".join(f"h{step}" for step in steps) + "]"


def stacked_figure(return_sequences: Sequence[bool] = (True, False), timesteps: int = 3, *,
                   layer: str = "LSTM") -> BookFigure:
    """Draw stacked recurrent layers, bottom to top, and what each hands to the next.

    Each layer gets one row (one axes), the first layer at the bottom with the inputs
    ``t1..tT`` under it. Returned hidden states are filled orange and feed the layer
    above, one arrow per step. When a layer returns only its last state but another
    recurrent layer sits above it, the upper layer is drawn in red with the note
    "needs a sequence: set return_sequences=True below" (Keras raises an error there),
    and any layers above that one are grey.

    Parameters
    ----------
    return_sequences : sequence of bool
        The ``return_sequences`` flag of each layer, bottom (first) to top (last);
        1 to 4 layers.
    timesteps : int
        Number of input steps to draw (1 to 6).
    layer : {"LSTM", "GRU", "SimpleRNN"}
        Label for the cell boxes.

    Returns
    -------
    BookFigure
        One axes per layer; ``fig.axes[0]`` is the top layer, ``fig.axes[-1]`` layer 1.
        Each axes title starts with ``"layer k: return_sequences=..."``.

    Examples
    --------
    >>> fig = stacked_figure((True, False))
    >>> [ax.get_title() for ax in fig.axes]
    ['layer 2: return_sequences=False, returns [h3]', \
'layer 1: return_sequences=True, returns [h1, h2, h3]']
    >>> fig = stacked_figure((False, True))
    >>> fig.axes[0].get_title()
    'layer 2: return_sequences=True, fails: its input is not a sequence'
    """
    if isinstance(return_sequences, (bool, str)) or not isinstance(return_sequences,
                                                                   (tuple, list)):
        raise TypeError(f"expected return_sequences to be a tuple of True/False, one per "
                        f"layer from the bottom, got {return_sequences!r}: pass for example "
                        "return_sequences=(True, False) for two stacked layers")
    if not 1 <= len(return_sequences) <= 4:
        raise ValueError(f"expected 1 to 4 layers in return_sequences, got "
                         f"{len(return_sequences)}: draw a short stack to show the idea")
    flags = [v.flag(f"return_sequences[{i}]", value)
             for i, value in enumerate(return_sequences)]
    timesteps = _steps("timesteps", timesteps, 6)
    layer = v.layer_name(layer)
    n_layers = len(flags)
    every = list(range(1, timesteps + 1))
    broken = next((k for k in range(1, n_layers) if not flags[k - 1]), None)

    parts = []
    for k, rs in enumerate(flags, start=1):
        if broken is not None and k > broken:
            break
        kept = _listing(every if rs else [timesteps])
        parts.append(f"layer {k} (return_sequences={rs}) returns "
                     f"{'every hidden state ' if rs else 'only '}{kept}")
    if broken is not None:
        end = (f", so layer {broken + 1} gets a single vector instead of a sequence and "
               f"fails: set return_sequences=True on layer {broken}.")
    elif n_layers > 1:
        end = ", and each layer's returned states feed the layer above at every step."
    else:
        end = "."
    count = {2: "Two", 3: "Three", 4: "Four"}.get(n_layers)
    stack = (f"{count} {layer} layers stacked bottom to top" if n_layers > 1 else
             f"A single {layer} layer")
    alt = f"{stack} over inputs t1 to t{timesteps}: " + "; ".join(parts) + end

    fig = new_figure(alt, width=max(6.0, 1.6 + 1.1 * timesteps),
                     height=0.3 + 2.6 * n_layers)
    axes = fig.subplots(n_layers, 1, squeeze=False)[:, 0]
    for k, ax in zip(range(n_layers, 0, -1), axes, strict=True):
        rs = flags[k - 1]
        if k == 1:
            returned = draw_unrolled(ax, timesteps, return_sequences=rs, layer=layer)
            ax.set_title(f"layer 1: return_sequences={rs}, returns {_listing(returned)}",
                         fontsize=11)
            continue
        failed = broken is not None and k == broken + 1
        unreached = broken is not None and k > broken + 1
        below = every if (broken is None or k <= broken) and flags[k - 2] else [timesteps]
        cell = ERROR if failed else DROPPED if unreached else CELL
        for step in every:
            x = float(step)
            if not unreached:
                fed = step in below
                _arrow(ax, (x, -0.5), (x, 0.78), RETURNED if fed else ERROR,
                       linestyle="-" if fed else ":")
            _box(ax, x, 1.0, layer, cell, filled=not (failed or unreached))
            if step < timesteps:
                _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), cell)
            kept = not (failed or unreached) and (rs or step == timesteps)
            _box(ax, x, 2.0, f"h{step}", RETURNED if kept else DROPPED, filled=kept)
            _arrow(ax, (x, 1.22), (x, 1.78), RETURNED if kept else DROPPED)
        ax.set_xlim(0.4, timesteps + 0.6)
        ax.set_ylim(-0.5, 2.7)
        ax.set_aspect("equal")
        ax.axis("off")
        if failed:
            ax.text((timesteps + 1) / 2, 0.2, "needs a sequence: set return_sequences=True below",
                    ha="center", va="center", fontsize=10, color=ERROR, fontweight="bold",
                    bbox={"facecolor": "white", "edgecolor": ERROR, "boxstyle": "round"})
            status = "fails: its input is not a sequence"
        elif unreached:
            status = "not built"
        else:
            status = f"returns {_listing(every if rs else [timesteps])}"
        ax.set_title(f"layer {k}: return_sequences={rs}, {status}", fontsize=11,
                     color=ERROR if failed else "black")
    return fig


