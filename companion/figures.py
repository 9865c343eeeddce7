"""Figures for the book, drawn with Matplotlib.

Introduced on the landing page and in "The default: only the last hidden state";
the stacking, every-hidden-state and sequence-to-sequence chapters add their own.

Every function returns a :class:`BookFigure`: a Matplotlib ``Figure`` that carries
``alt_text``, a one-sentence description of what it shows. In a notebook the figure
displays as a PNG, with the alt text as its plain-text form; ``make notebooks`` copies
that text into the cell's ``mystnb.image.alt`` metadata, so the HTML ``<img>`` gets
it as its ``alt`` attribute. Figures are built without ``pyplot``, so nothing is
shown twice and no global figure state leaks between cells.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from companion import _validate as v

RETURNED = "#d9480f"  # hidden states the layer returns
DROPPED = "#adb5bd"  # hidden states computed but not returned
CELL = "#1971c2"  # the recurrent cell
INPUT = "#2f9e44"  # inputs
DENSE = "#6741d9"  # Dense layers and their outputs
ERROR = "#e03131"  # a layer that cannot be built


class BookFigure(Figure):
    """A Matplotlib figure with alt text and a deterministic PNG form.

    Attributes
    ----------
    alt_text : str
        One-sentence description used as the ``alt`` attribute in the HTML book.
    """

    alt_text: str = ""

    def to_png(self, *, dpi: int = 100) -> bytes:
        """Render to PNG bytes, without timestamps, so equal figures give equal bytes."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        return buffer.getvalue()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        png = base64.b64encode(self.to_png()).decode("ascii")
        return {"image/png": png, "text/plain": self.alt_text or repr(self)}

    def __repr__(self) -> str:
        return f"<BookFigure: {self.alt_text}>" if self.alt_text else super().__repr__()


def new_figure(alt_text: str, *, width: float = 8.0, height: float = 3.0) -> BookFigure:
    """Create an empty :class:`BookFigure` with ``alt_text`` (used by every figure here).

    Examples
    --------
    >>> fig = new_figure("An empty figure.")
    >>> fig.alt_text
    'An empty figure.'
    """
    if not isinstance(alt_text, str) or not alt_text.strip():
        raise ValueError(f"expected alt_text to be a non-empty string, got {alt_text!r}: "
                         "describe in one sentence what the figure shows")
    fig = BookFigure(figsize=(width, height), layout="constrained")
    fig.alt_text = alt_text.strip()
    return fig


def _box(ax, x: float, y: float, text: str, color: str, *, filled: bool = True,
         fontsize: float = 11, width: float = 0.64) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.22), width, 0.44,
                                boxstyle="round,pad=0.02", linewidth=1.5,
                                edgecolor=color, facecolor=color if filled else "white"))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
            color="white" if filled else color, fontweight="bold")


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], color: str, *,
           linestyle: str = "-", connectionstyle: str = "arc3") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                 linewidth=1.3, color=color, linestyle=linestyle,
                                 connectionstyle=connectionstyle))


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


def _as_array(name: str, value: Any) -> np.ndarray:
    """Convert a NumPy array, a tensor (``.numpy()``) or an ``__array__`` object."""
    if isinstance(value, Mapping):
        raise TypeError(f"expected {name} to be an array of numbers, got "
                        f"{type(value).__name__}: pass a NumPy array or a Keras/TensorFlow "
                        "tensor")
    return v.real_array(name, value)


def hidden_states_figure(states: Any, *, sample: int = 0, title: str | None = None,
                         max_units: int = 8) -> BookFigure:
    """Plot hidden states over time, one line per unit.

    Parameters
    ----------
    states : array_like
        ``(timesteps, units)``, or ``(batch_size, timesteps, units)`` as returned by a
        recurrent layer with ``return_sequences=True``. NumPy arrays, tensors (anything
        with ``.numpy()``) and objects with ``__array__`` are accepted.
    sample : int
        Which sample of a 3-D batch to draw (0-based); must be 0 for a 2-D array.
    title : str, optional
        Axes title; by default it states the sample and the shape.
    max_units : int
        Draw at most this many units (the first ones), so the legend stays readable.

    Returns
    -------
    BookFigure
        One axes with x axis "timestep" (1-based, like ``t1..tT``) and y axis
        "hidden state value"; lines are labelled ``unit 0``, ``unit 1``, ... as indexed
        in NumPy.

    Examples
    --------
    >>> states = np.linspace(-1, 1, 2 * 5 * 3).reshape(2, 5, 3)
    >>> fig = hidden_states_figure(states, sample=1)
    >>> ax = fig.axes[0]
    >>> ax.get_legend_handles_labels()[1], ax.get_xlabel(), ax.get_ylabel()
    (['unit 0', 'unit 1', 'unit 2'], 'timestep', 'hidden state value')
    >>> ax.lines[0].get_xdata().tolist()
    [1, 2, 3, 4, 5]
    >>> fig.alt_text
    'Line plot of the hidden states of sample 1 of an array of shape (2, 5, 3): all 3 units \
over timesteps 1 to 5, one line per unit.'
    """
    array = _as_array("states", states)
    if array.ndim not in (2, 3):
        fix = ("pass the output of a recurrent layer with return_sequences=True, which "
               "holds a state at every timestep")
        if array.ndim == 1:
            fix = ("one vector per sample is what return_sequences=False returns; set "
                   "return_sequences=True to get a state at every timestep")
        raise ValueError(f"expected states of shape (timesteps, units) or (batch_size, "
                         f"timesteps, units), got shape {array.shape}: {fix}")
    if 0 in array.shape:
        raise ValueError(f"expected states with at least one timestep and unit, got shape "
                         f"{array.shape}: pass a non-empty array")
    if not v.is_int(sample):
        raise TypeError(f"expected sample to be an integer index, got {sample!r} of type "
                        f"{type(sample).__name__}: pass for example sample=0")
    limit = array.shape[0] if array.ndim == 3 else 1
    if not 0 <= sample < limit:
        raise ValueError(f"expected sample between 0 and {limit - 1} for states of shape "
                         f"{array.shape}, got {sample}: pick a sample of the batch"
                         + ("" if array.ndim == 3 else "; a 2-D array holds one sample"))
    if title is not None and not isinstance(title, str):
        raise TypeError(f"expected title to be a string or None, got {type(title).__name__}: "
                        'pass for example title="LSTM hidden states"')
    max_units = v.positive_int("max_units", max_units,
                               hint="pass how many units to draw, for example max_units=8")
    if not np.all(np.isfinite(array)):
        raise ValueError("expected finite hidden states, got NaN or infinity: check the "
                         "model's inputs and weights")
    matrix = array[sample] if array.ndim == 3 else array
    timesteps, units = matrix.shape
    drawn = min(units, max_units)
    shape = tuple(int(size) for size in array.shape)
    which = f"sample {sample} of an array" if array.ndim == 3 else "an array"
    units_text = ("its single unit" if units == 1 else f"all {units} units" if drawn == units
                  else f"the first {drawn} of {units} units")
    alt = (f"Line plot of the hidden states of {which} of shape {shape}: {units_text} over "
           f"timesteps 1 to {timesteps}, one line per unit.")
    fig = new_figure(alt, width=7.0, height=3.6)
    ax = fig.add_subplot()
    steps = np.arange(1, timesteps + 1)
    marker = "o" if timesteps <= 30 else None
    for unit in range(drawn):
        ax.plot(steps, matrix[:, unit], marker=marker, markersize=3.5, linewidth=1.5,
                label=f"unit {unit}", color=f"C{unit % 10}")
    ax.axhline(0.0, color=DROPPED, linewidth=0.8, zorder=0)
    ax.set_xlabel("timestep")
    ax.set_ylabel("hidden state value")
    if timesteps <= 20:
        ax.set_xticks(steps)
    ax.set_xlim(0.5, timesteps + 0.5)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    default = (f"Hidden states of sample {sample}, shape {shape}" if array.ndim == 3 else
               f"Hidden states, shape {shape}")
    ax.set_title(default if title is None else title, fontsize=11)
    return fig


def training_curves_figure(history: Any, *, metrics: Sequence[str] = ("loss",)) -> BookFigure:
    """Plot training (and validation) curves per epoch, one axes per metric.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        What ``model.fit`` returns (its ``.history`` dict is used), or a dict mapping
        metric names to per-epoch values.
    metrics : sequence of str
        Metrics to draw, for example ``("loss", "accuracy")``. A ``val_`` curve is added
        when the history holds one.

    Returns
    -------
    BookFigure
        One axes per metric, x axis "epoch" (1-based), y axis the metric name.

    Examples
    --------
    >>> history = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.45]}
    >>> fig = training_curves_figure(history)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['train loss', 'validation loss']
    >>> fig.alt_text
    'Training curves over 3 epochs for loss: train loss falls, validation loss falls.'
    """
    logs = history.history if not isinstance(history, Mapping) and isinstance(
        getattr(history, "history", None), Mapping) else history
    if not isinstance(logs, Mapping):
        raise TypeError(f"expected history to be what model.fit returns or a dict of lists, "
                        f"got {type(history).__name__}: pass history = model.fit(...) or "
                        '{"loss": [...]}')
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, (tuple, list)) or not metrics:
        raise TypeError(f"expected metrics to be a non-empty tuple of names, got {metrics!r}: "
                        'pass for example metrics=("loss", "accuracy")')
    available = ", ".join(repr(key) for key in logs) or "none"
    curves: dict[str, dict[str, np.ndarray]] = {}
    for metric in metrics:
        if not isinstance(metric, str):
            raise TypeError(f"expected each metric to be a name (str), got {metric!r}: "
                            'pass for example metrics=("loss",)')
        if metric.startswith("val_"):
            raise ValueError(f"expected a training metric name, got {metric!r}: pass "
                             f"{metric[4:]!r}; its validation curve is drawn with it")
        if metric not in logs:
            raise ValueError(f"expected metrics found in the history, got {metric!r}; "
                             f"the history holds {available}: pass one of those, or compile "
                             "the model with that metric")
        curves[metric] = {}
        for key, kind in ((metric, "train"), (f"val_{metric}", "validation")):
            if key not in logs:
                continue
            values = _as_array(f"history[{key!r}]", logs[key])
            if values.ndim != 1 or values.size == 0:
                raise ValueError(f"expected history[{key!r}] to be a non-empty list of "
                                 f"per-epoch values, got shape {values.shape}: pass the "
                                 "History returned by model.fit")
            curves[metric][kind] = values.astype(np.float64)
    epochs = max(len(values) for curve in curves.values() for values in curve.values())
    # The alt text is also the cell's plain-text output, which nbval compares: it names
    # the direction of each curve, not its values, which differ across CPUs in low digits.
    finals = []
    for metric, curve in curves.items():
        for kind, values in curve.items():
            trend = ("falls" if values[-1] < values[0] else
                     "rises" if values[-1] > values[0] else "stays flat")
            finals.append(f"{kind} {metric} {trend}")
    names = " and ".join([", ".join(metrics[:-1]), metrics[-1]] if len(metrics) > 1
                         else list(metrics))
    alt = (f"Training curves over {epochs} epoch{'s' if epochs != 1 else ''} for {names}: "
           + ", ".join(finals) + ".")
    fig = new_figure(alt, width=min(11.0, 1.0 + 3.6 * len(curves)), height=3.2)
    axes = fig.subplots(1, len(curves), squeeze=False)[0]
    for ax, (metric, curve) in zip(axes, curves.items(), strict=True):
        for kind, values in curve.items():
            ax.plot(np.arange(1, len(values) + 1), values,
                    color=CELL if kind == "train" else RETURNED,
                    linestyle="-" if kind == "train" else "--",
                    marker="o" if len(values) <= 30 else None, markersize=3.5,
                    label=f"{kind} {metric}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric, fontsize=11)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9, frameon=False)
        if epochs <= 12:
            ax.set_xticks(np.arange(1, epochs + 1))
    return fig
