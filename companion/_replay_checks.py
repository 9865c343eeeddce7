"""Checks and weight reading behind :func:`companion.replay` (Keras layer -> NumPy).

Introduced with the replay in "Return every hidden state"; "Return the final states too"
adds the starting states (``initial_state``, or a stateful layer's current states) and
recognises activations by identity. Keras is never imported here: the caller passes the
``keras`` module that the layer itself comes from.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from companion.replay_cells import ACTIVATIONS, STATE_COUNT, CellWeights

#: Class names :func:`companion.replay` accepts.
ACCEPTED = ("SimpleRNN", "GRU", "LSTM", "Bidirectional")
#: The states of each layer type, in the order Keras returns and accepts them.
STATE_NAMES = {"SimpleRNN": ("h",), "GRU": ("h",), "LSTM": ("h", "c")}


def keras_for(layer: Any) -> Any:
    """The Keras module, if ``layer`` can be a Keras layer at all; else TypeError."""
    keras = sys.modules.get("keras")
    if keras is None or not isinstance(layer, keras.layers.Layer):
        raise TypeError(f"expected a Keras layer ({', '.join(ACCEPTED)}), got "
                        f"{type(layer).__name__}: pass for example keras.layers.LSTM(4) "
                        "after calling it once on your data")
    return keras


def kind_of(keras: Any, layer: Any, *, wrapped: bool = False, generic: bool = False) -> str:
    """``"SimpleRNN"``, ``"GRU"`` or ``"LSTM"`` for a built layer of those classes, else raise.

    With ``generic=True`` a ``keras.layers.RNN`` whose cell is exactly one of Keras's
    ``SimpleRNNCell``, ``GRUCell`` or ``LSTMCell`` counts as the matching layer (it runs
    the same equations); stacked cells and cells of your own are refused by name.
    """
    for name in ("SimpleRNN", "GRU", "LSTM"):
        if isinstance(layer, getattr(keras.layers, name)):
            kind = name
            break
    else:
        if generic and isinstance(layer, keras.layers.RNN):
            kind = _kind_of_cell(keras, layer.cell)
        else:
            inside = " inside Bidirectional" if wrapped else ""
            extra = (", and keras.layers.RNN(cell) with one built-in cell" if generic
                     else "")
            raise TypeError(f"expected one of {', '.join(ACCEPTED)}, got "
                            f"{type(layer).__name__}{inside}: replay supports the built-in "
                            "Keras recurrent layers, optionally wrapped in Bidirectional"
                            f"{extra}")
    check_built(layer)
    return kind


#: Keras's cell classes whose equations the replay knows, and the layer each matches.
CELLS = {"SimpleRNNCell": "SimpleRNN", "GRUCell": "GRU", "LSTMCell": "LSTM"}


def _kind_of_cell(keras: Any, cell: Any) -> str:
    """The layer kind of one built-in cell (its exact class, not a subclass), else raise."""
    if isinstance(cell, keras.layers.StackedRNNCells):
        inner = ", ".join(type(c).__name__ for c in cell.cells)
        raise TypeError(f"expected keras.layers.RNN with one cell, got stacked cells "
                        f"[{inner}] (RNN([...]) or StackedRNNCells): replay runs one cell; "
                        "build one RNN layer per cell, each with return_sequences=True "
                        "except the last, to replay them one after the other")
    for name, kind in CELLS.items():
        if type(cell) is getattr(keras.layers, name):
            return kind
    raise TypeError(f"expected keras.layers.RNN with a {', '.join(CELLS)}, got a cell of "
                    f"class {type(cell).__name__}: replay knows the equations of Keras's "
                    "built-in cells only (a subclass or a cell of your own may compute "
                    "anything); run your layer with Keras instead")


def check_built(layer: Any) -> None:
    if not layer.built:
        raise ValueError(f"the {type(layer).__name__} layer is not built, so it has no "
                         "weights yet: call it once on your data, layer(x), or build it "
                         "with layer.build((batch_size, timesteps, features))")


def check_inputs(layer: Any, kind: str, inputs: Any, mask: Any
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        raw = np.asarray(inputs)
    except (TypeError, ValueError) as error:
        raise TypeError(f"expected inputs to be a numeric array (batch_size, timesteps, "
                        f"features), got {type(inputs).__name__}: pass a NumPy array or "
                        "a tensor") from error
    if raw.dtype.kind not in "biuf":  # Keras refuses complex, object and string arrays
        raise TypeError(f"expected inputs of real numbers (float, int or bool), got dtype "
                        f"{raw.dtype}: Keras refuses it too; pass np.asarray(x, "
                        "dtype='float32') (for complex data, split it into real and "
                        "imaginary features with np.concatenate([x.real, x.imag], -1))")
    x = raw.astype(np.float64)
    if x.ndim != 3:
        raise ValueError(f"expected 3-D inputs (batch_size, timesteps, features), got "
                         f"shape {x.shape}: a {kind} reads sequences; if the inputs come "
                         "from another recurrent layer, set return_sequences=True on the "
                         "layer before it")
    if 0 in x.shape[:2]:
        raise ValueError(f"expected at least one sample and one timestep, got inputs of "
                         f"shape {x.shape}")
    features = layer.cell.kernel.shape[0]
    if x.shape[2] != features:
        raise ValueError(f"expected inputs with {features} features (the layer's kernel "
                         f"is built for {features}), got shape {x.shape} with "
                         f"{x.shape[2]}: pass inputs shaped like the data the layer was "
                         "built on")
    if mask is None:
        return x, None
    try:
        m = np.asarray(mask)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"expected a mask of shape (batch_size, timesteps) = "
                         f"{x.shape[:2]}, got a ragged {type(mask).__name__}: one "
                         "True/False per timestep of every sample") from error
    if m.dtype != np.bool_:
        raise TypeError(f"expected a boolean mask, got dtype {m.dtype}: pass "
                        "mask.astype(bool), True for real timesteps and False for padding")
    if m.shape != x.shape[:2]:
        raise ValueError(f"expected a mask of shape (batch_size, timesteps) = "
                         f"{x.shape[:2]}, got {m.shape}: one True/False per timestep "
                         "of every sample")
    return x, m


def _state_list(initial_state: Any) -> list[Any]:
    """Keras's rule: a list or tuple is the states, anything else is one state."""
    if isinstance(initial_state, (list, tuple)):
        return list(initial_state)
    return [initial_state]


def split_bidirectional(initial_state: Any, counts: tuple[int, int]
                        ) -> tuple[list[Any] | None, list[Any] | None]:
    """Keras's split of a ``Bidirectional`` layer's initial states: first half forward."""
    if initial_state is None:
        return None, None
    if not isinstance(initial_state, (list, tuple)):
        raise TypeError(f"expected initial_state to be a list of {sum(counts)} arrays for "
                        f"Bidirectional (forward states, then backward states), got "
                        f"{type(initial_state).__name__}: pass a list such as "
                        "[h_forward, c_forward, h_backward, c_backward]")
    half = len(initial_state) // 2
    if len(initial_state) != sum(counts) or half != counts[0]:
        raise ValueError(f"expected {sum(counts)} initial states for Bidirectional "
                         f"({counts[0]} forward, then {counts[1]} backward, Keras's order), "
                         f"got {len(initial_state)}: Keras gives the first half to the "
                         "forward layer and the second half to the backward layer")
    return list(initial_state[:half]), list(initial_state[half:])


def starting_states(layer: Any, kind: str, initial_state: Any, batch: int
                    ) -> list[np.ndarray] | None:
    """The states the replay starts from, as float64 arrays; ``None`` means zeros.

    ``initial_state`` wins when given (Keras does the same); otherwise a stateful layer
    starts from its current ``layer.states``, which the replay reads but never updates.
    """
    names = STATE_NAMES[kind]
    units = int(layer.cell.units)
    listing = "[" + ", ".join(f"{n}0" for n in names) + "]"
    if layer.stateful:
        current = [np.asarray(state.numpy()) for state in layer.states]
        if current[0].shape[0] != batch:
            # Keras checks this even when initial_state is given.
            raise ValueError(f"expected inputs with batch_size {current[0].shape[0]}, the "
                             f"batch size the stateful {kind} was built for (its states "
                             f"hold {current[0].shape[0]} rows), got batch_size {batch}: "
                             "Keras raises 'If an RNN is stateful, the batch size of the "
                             "input sequences must be the same as the batch size of the "
                             f"initial state', with or without initial_state; pass "
                             f"{current[0].shape[0]} samples")
    if initial_state is None:
        if not layer.stateful:
            return None
        return [state.astype(np.float64) for state in current]
    given = _state_list(initial_state)
    if len(given) != STATE_COUNT[kind]:
        raise ValueError(f"expected {STATE_COUNT[kind]} initial state"
                         f"{'s' if len(names) > 1 else ''} for {kind}, {listing}, got "
                         f"{len(given)}: pass initial_state={listing}, each of shape "
                         f"(batch_size, units) = {(batch, units)}")
    states = []
    for name, state in zip(names, given, strict=True):
        try:
            array = np.asarray(state)
        except ValueError:  # ragged nested lists
            array = np.empty(0, dtype=object)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"expected initial state {name}0 to be a numeric array of shape "
                            f"(batch_size, units) = {(batch, units)}, got "
                            f"{type(state).__name__}: pass a NumPy array or a tensor")
        if array.shape != (batch, units):
            raise ValueError(f"expected initial state {name}0 of shape (batch_size, units) "
                             f"= {(batch, units)}, got {array.shape}: one row per sample "
                             f"of the inputs, one column per unit of the {kind}")
        states.append(array.astype(np.float64))
    return states


def activation(keras: Any, layer: Any, attribute: str
               ) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy twin of ``layer.cell.<attribute>``, recognised by identity, else raise.

    Only Keras's own functions count (``function is keras.activations.tanh``): a function
    of your own named ``tanh`` might compute anything, so it is rejected.
    """
    function = getattr(layer.cell, attribute)
    for name, twin in ACTIVATIONS.items():
        if function is getattr(keras.activations, name):
            return twin
    name = getattr(function, "__name__", type(function).__name__)
    raise ValueError(f"unsupported {attribute} {name!r}: replay knows "
                     f"{', '.join(repr(n) for n in ACTIVATIONS)}, Keras's own functions "
                     "(keras.activations.<name>, recognised by identity, so a function "
                     "of your own is rejected even under the same name): build the layer "
                     f"with {attribute}='tanh' or another of these")


def weights(keras: Any, layer: Any, kind: str) -> CellWeights:
    """The layer's weights split into gate blocks, as float64, with NumPy activations."""
    cell = layer.cell
    units = int(cell.units)
    gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[kind]

    def blocks(array: Any) -> tuple[np.ndarray, ...]:
        """Split Keras's side-by-side gate blocks along the last axis."""
        matrix = np.asarray(array, dtype=np.float64)
        return tuple(np.ascontiguousarray(part) for part in np.split(matrix, gates, axis=-1))

    zeros = blocks(np.zeros(gates * units))
    biases, recurrent_biases = zeros, zeros
    reset_after = bool(getattr(cell, "reset_after", False))
    if cell.use_bias:
        bias = cell.bias.numpy()
        if kind == "GRU" and reset_after:
            biases, recurrent_biases = blocks(bias[0]), blocks(bias[1])  # input, recurrent
        else:
            biases = blocks(bias)
    recurrent = "recurrent_activation" if kind != "SimpleRNN" else "activation"
    return CellWeights(units=units, kernels=blocks(cell.kernel.numpy()),
                       recurrent_kernels=blocks(cell.recurrent_kernel.numpy()),
                       biases=biases, recurrent_biases=recurrent_biases,
                       activation=activation(keras, layer, "activation"),
                       recurrent_activation=activation(keras, layer, recurrent),
                       reset_after=reset_after)
