"""The sequence-to-sequence drawings (chapter "Map sequences to sequences" and the two
encoder-decoder pages after it): a same-length model on one translation pair, and the
encoder-decoder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from companion import _validate as v
from companion.figures._base import (
    CELL,
    DENSE,
    DROPPED,
    ERROR,
    INPUT,
    RETURNED,
    BookFigure,
    _arrow,
    _box,
    new_figure,
)
from companion.figures.unrolled import _steps


def encoder_decoder_figure(source_steps: int = 4, target_steps: int = 3, *,
                           style: str = "state") -> BookFigure:
    """Draw a sequence-to-sequence encoder-decoder built from two LSTM layers.

    Parameters
    ----------
    source_steps : int
        Length of the input sequence ``x1..xS`` the encoder reads (1 to 6).
    target_steps : int
        Length of the output sequence ``y1..yT`` the decoder writes (1 to 6).
    style : {"state", "repeat"}
        ``"state"``: the encoder LSTM uses ``return_state=True`` and its final states
        ``[h, c]`` become the decoder's ``initial_state``; the decoder reads the target
        shifted right (``<start>, y1, y2, ...``, teacher forcing).
        ``"repeat"``: the encoder returns only its last hidden state, ``RepeatVector``
        copies it ``T`` times, and the decoder reads the copies.
        In both, the decoder uses ``return_sequences=True`` and a ``Dense`` layer maps
        every step to an output.

    Returns
    -------
    BookFigure
        One axes. Returned states are filled orange, as in :func:`unrolled_figure`.

    Examples
    --------
    >>> fig = encoder_decoder_figure(4, 3)
    >>> [t.get_text() for t in fig.axes[0].texts if "return_" in t.get_text()]
    ['decoder: LSTM(return_sequences=True)', 'encoder: LSTM(return_state=True)']
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_position()[1] == 0.0][-3:]
    ['<start>', 'y1', 'y2']
    >>> fig = encoder_decoder_figure(2, 2, style="repeat")
    >>> "RepeatVector(2)" in fig.alt_text
    True
    """
    source_steps = _steps("source_steps", source_steps, 6)
    target_steps = _steps("target_steps", target_steps, 6)
    style = v.choice("style", style, ("state", "repeat"),
                     hint='use style="state" (pass the encoder states) or style="repeat"')
    S, T = source_steps, target_steps
    first = S + 2.0  # x position of the first decoder step
    outputs = ", ".join(f"y{t}" for t in range(1, T + 1))
    states = "1 hidden state" if T == 1 else f"{T} hidden states"
    times = "once" if T == 1 else f"{T} times"
    if style == "state":
        shifted = ", ".join(["<start>"] + [f"y{t}" for t in range(1, T)])
        alt = (f"An encoder LSTM with return_state=True reads x1 to x{S} and passes its final "
               f"states [h, c] as the initial_state of a decoder LSTM with "
               f"return_sequences=True, which reads the target shifted right ({shifted}, "
               f"teacher forcing) and returns {states} that a Dense layer turns "
               f"into {outputs}.")
    else:
        alt = (f"An encoder LSTM with return_sequences=False reads x1 to x{S} and returns "
               f"only h{S}; RepeatVector({T}) copies it {times} for a decoder LSTM with "
               f"return_sequences=True, which returns {states} that a Dense layer "
               f"turns into {outputs}.")

    middle = first + (T - 1) / 2
    left = min(0.4, (1 + S) / 2 - 1.9)  # room for the encoder's label
    right = max(first + T - 0.4, middle + 1.9)  # room for the decoder's label
    fig = new_figure(alt, width=max(5.5, 0.5 + 0.72 * (right - left)), height=5.0)
    ax = fig.add_subplot()
    # Encoder: inputs x1..xS, LSTM cells, and (repeat style) its hidden states.
    for step in range(1, S + 1):
        x = float(step)
        _box(ax, x, 0.0, f"x{step}", INPUT)
        _arrow(ax, (x, 0.22), (x, 0.78), INPUT)
        _box(ax, x, 1.0, "LSTM", CELL)
        if step < S:
            _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
        if style == "repeat":
            kept = step == S
            _box(ax, x, 2.0, f"h{step}", RETURNED if kept else DROPPED, filled=kept)
            _arrow(ax, (x, 1.22), (x, 1.78), RETURNED if kept else DROPPED)
    # The bridge between encoder and decoder, in the gap column S + 1.
    if style == "state":
        _box(ax, S + 1.0, 1.0, "h, c", RETURNED, fontsize=10)
        _arrow(ax, (S + 0.32, 1.0), (S + 0.68, 1.0), RETURNED)
        _arrow(ax, (S + 1.32, 1.0), (first - 0.32, 1.0), RETURNED)
        ax.text(S + 1.0, 0.7, "initial_state", ha="center", va="top", fontsize=9,
                color=RETURNED)
        inputs = ["<start>"] + [f"y{t}" for t in range(1, T)]
        input_color = INPUT
    else:
        _box(ax, S + 1.0, -0.9, f"RepeatVector({T})", DENSE, fontsize=8.5, width=2.0)
        _arrow(ax, (S + 0.32, 2.0), (S + 1.0, -0.68), RETURNED, connectionstyle="arc3,rad=-0.2")
        inputs = [f"h{S}"] * T
        input_color = RETURNED
    # Decoder: inputs, LSTM cells, hidden states, Dense and outputs.
    for t in range(1, T + 1):
        x = first + t - 1
        label = inputs[t - 1]
        wide = len(label) > 3
        _box(ax, x, 0.0, label, input_color, fontsize=8.5 if wide else 11,
             width=0.84 if wide else 0.64)
        if style == "repeat":
            _arrow(ax, (S + 1.6, -0.68), (x, -0.22), DENSE)
        _arrow(ax, (x, 0.22), (x, 0.78), input_color)
        _box(ax, x, 1.0, "LSTM", CELL)
        if t < T:
            _arrow(ax, (x + 0.32, 1.0), (x + 0.68, 1.0), CELL)
        _arrow(ax, (x, 1.22), (x, 1.78), RETURNED)
        _box(ax, x, 2.0, f"h{t}", RETURNED)
        _arrow(ax, (x, 2.22), (x, 2.78), RETURNED)
        _box(ax, x, 3.0, "Dense", DENSE, fontsize=9)
        _arrow(ax, (x, 3.22), (x, 3.78), DENSE)
        _box(ax, x, 4.0, f"y{t}", DENSE, filled=False)
    ax.text(middle, 4.45, "decoder: LSTM(return_sequences=True)", ha="center", va="bottom",
            fontsize=10)
    ax.text((1 + S) / 2, 2.55 if style == "repeat" else 1.55,
            "encoder: LSTM(return_state=True)" if style == "state" else
            "encoder: LSTM(return_sequences=False)", ha="center", va="bottom", fontsize=10)
    ax.set_xlim(left, right)
    ax.set_ylim(-1.35, 4.9)
    ax.set_aspect("equal")
    ax.axis("off")
    # A figure-level title: constrained layout keeps it inside the canvas, where an axes
    # title above an equal-aspect axes was clipped.
    fig.suptitle("Encoder-decoder: encoder states become the decoder's initial_state"
                 if style == "state" else
                 "Encoder-decoder: RepeatVector feeds the last state to every decoder step",
                 fontsize=11)
    return fig




def same_length_figure(source: Sequence[str], target: Sequence[str]) -> BookFigure:
    """Draw a same-length model on one translation pair: one output per source token.

    The model is the one a same-length sequence-to-sequence task uses, an LSTM with
    ``return_sequences=True`` and a per-step ``Dense``. It writes output ``y_t`` after
    reading the first ``t`` source tokens; the target is drawn above the outputs, token
    ``t`` over output ``t``. A target token with no output under it, or an output with
    no target over it, is drawn in red.

    Parameters
    ----------
    source : sequence of str
        The source tokens, one per input step (1 to 6), for example ``["three",
        "thousand", "five"]``.
    target : sequence of str
        The target tokens (1 to 6), for example ``["3", "0", "0", "5"]``.

    Returns
    -------
    BookFigure
        One axes; its alt text names both lengths and what does not line up.

    Raises
    ------
    TypeError
        If ``source`` or ``target`` is a plain string or holds something other than
        strings.
    ValueError
        If either holds no token or more than 6, or a token is empty.

    Examples
    --------
    >>> fig = same_length_figure(["three", "thousand", "five"], list("3005"))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("y")]
    ['y1', 'y2', 'y3']
    >>> "4 tokens" in fig.alt_text and "1 target token has no output" in fig.alt_text
    True
    """
    source = _tokens("source", source)
    target = _tokens("target", target)
    S, T = len(source), len(target)
    if T > S:
        gap = (f"{T - S} target token{'s' if T - S > 1 else ''} "
               f"{'have' if T - S > 1 else 'has'} no output step")
    elif S > T:
        gap = (f"{S - T} output{'s' if S - T > 1 else ''} "
               f"{'have' if S - T > 1 else 'has'} no target token")
    else:
        gap = "the lengths agree, but output t has read only the first t source tokens"
    alt = (f"A same-length model, an LSTM with return_sequences=True and a per-step Dense, "
           f"reads the {S} source tokens {', '.join(source)} and writes one output per "
           f"token, y1 to y{S}; the target {' '.join(target)} has {T} tokens, "
           f"so {gap}.")
    columns = max(S, T)
    pitch = 1.25
    fig = new_figure(alt, width=max(5.0, 1.0 + 1.15 * columns * pitch), height=4.2)
    ax = fig.add_subplot()
    for step in range(1, columns + 1):
        x = pitch * step
        if step <= S:
            word = source[step - 1]
            _box(ax, x, 0.0, word, INPUT, fontsize=9 if len(word) > 4 else 11,
                 width=max(0.64, 0.12 * len(word) + 0.2))
            _arrow(ax, (x, 0.22), (x, 0.78), INPUT)
            _box(ax, x, 1.0, "LSTM", CELL)
            if step < S:
                _arrow(ax, (x + 0.32, 1.0), (x + pitch - 0.32, 1.0), CELL)
            _arrow(ax, (x, 1.22), (x, 1.78), RETURNED)
            _box(ax, x, 2.0, "Dense", DENSE, fontsize=9)
            _arrow(ax, (x, 2.22), (x, 2.78), DENSE)
            _box(ax, x, 3.0, f"y{step}", DENSE if step <= T else ERROR, filled=False)
        if step <= T:
            _box(ax, x, 4.0, target[step - 1], DENSE if step <= S else ERROR,
                 filled=step <= S)
    ax.text(pitch * 0.35, 4.0, "target", ha="right", va="center", fontsize=10)
    ax.text(pitch * 0.35, 3.0, "output", ha="right", va="center", fontsize=10)
    ax.text(pitch * 0.35, 0.0, "source", ha="right", va="center", fontsize=10)
    ax.set_xlim(pitch * 0.35 - 1.1, pitch * columns + 0.7)
    ax.set_ylim(-0.5, 4.5)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle("A same-length model writes one output per source token", fontsize=11)
    return fig


def _tokens(name: str, value: Any) -> list[str]:
    """Validate a drawn token sequence: 1 to 6 non-empty strings."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"expected {name} as a list of tokens, got {value!r}: split a "
                        f"sentence into words first, {name}='three thousand five'.split()")
    tokens = list(value)
    if not all(isinstance(token, str) for token in tokens):
        raise TypeError(f"expected every token of {name} to be a string, got {tokens!r}")
    if not 1 <= len(tokens) <= 6 or not all(tokens):
        raise ValueError(f"expected 1 to 6 non-empty tokens in {name}, got {tokens!r}: "
                         "a wider drawing is unreadable, draw a short pair")
    return tokens
