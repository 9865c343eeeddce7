"""Copy weights between Keras recurrent layers and PyTorch modules (chapter "PyTorch and
Keras side by side").

:func:`to_torch` turns a built Keras ``LSTM``, ``GRU`` or ``SimpleRNN`` (or a
``Bidirectional`` around one) into the ``torch.nn.LSTM``, ``GRU`` or ``RNN`` that computes
the same thing; :func:`from_torch` goes the other way. What changes on the way:

- Kernels are transposed: Keras multiplies ``x @ kernel`` with a ``(features, blocks *
  units)`` kernel, PyTorch ``weight_ih @ x`` with a ``(blocks * units, features)`` weight
  (four weight blocks for LSTM, three for GRU, one for SimpleRNN).
- Block order. LSTM: Keras ``i, f, c, o`` and PyTorch ``i, f, g, o`` are the same order
  (PyTorch calls the candidate ``g``). GRU: Keras ``z, r, h``, PyTorch ``r, z, n``: the
  first two blocks swap places.
- Biases. PyTorch has two per layer, ``bias_ih`` and ``bias_hh``. For LSTM and SimpleRNN
  only their sum matters: the Keras ``bias`` goes to ``bias_ih`` with ``bias_hh = 0``, and
  comes back as ``bias_ih + bias_hh``. A Keras GRU with ``reset_after=True`` (the
  default) has the same two biases, ``bias[0]`` (input) and ``bias[1]`` (recurrent).
- GRU definitions. PyTorch's GRU applies the reset gate after the recurrent product,
  ``n = tanh(W_n x + b_in + r * (U_n h + b_hn))``: that is Keras's ``reset_after=True``.
  Keras's ``reset_after=False`` (the original GRU of Cho et al., ``r * h`` before the
  product) has no PyTorch equivalent and is rejected.
- Activations. PyTorch fixes them: ``tanh`` with ``sigmoid`` gates for LSTM and GRU,
  ``tanh`` or ``relu`` for ``nn.RNN``. Other Keras activations are rejected.

PyTorch is optional: importing this module does not import it; the two functions do,
and say how to install the release the book pins (``torch==2.13.0``; the book's outputs
come from its CPU build, ``2.13.0+cpu``, which PyTorch's CPU index serves) when it is
missing.
Keras is imported inside :func:`from_torch` only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from companion import _replay_checks as check
from companion import _validate as v

INSTALL = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
#: Keras layer class -> PyTorch module class name, and the number of gate blocks.
TORCH_CLASS = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}
GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
#: Where each PyTorch block comes from in Keras's order (and back: the GRU swap is its
#: own inverse).
TORCH_ORDER = {"LSTM": (0, 1, 2, 3), "GRU": (1, 0, 2), "SimpleRNN": (0,)}


def import_torch(caller: str) -> Any:
    """Import and return ``torch``, or raise an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{caller} needs PyTorch, which is not installed in this "
                          f"environment: run `{INSTALL}` (the CPU build of the pinned "
                          "release, from PyTorch's CPU index, which the book's outputs come "
                          "from), then restart the kernel") from error
    return torch


def _reorder(matrix: np.ndarray, kind: str) -> np.ndarray:
    """Swap weight blocks along axis 0 between Keras's and PyTorch's order."""
    blocks = np.split(matrix, GATES[kind], axis=0)
    return np.concatenate([blocks[i] for i in TORCH_ORDER[kind]], axis=0)


def _activation_name(keras: Any, function: Any) -> str | None:
    """``"tanh"``, ``"sigmoid"`` or ``"relu"`` if ``function`` is Keras's own, else None."""
    for name in ("tanh", "sigmoid", "relu"):
        if function is getattr(keras.activations, name):
            return name
    return None


def _check_convertible(keras: Any, layer: Any, kind: str, *, wrapped: bool = False) -> None:
    where = " inside Bidirectional" if wrapped else ""
    name = f"{kind}{where}"
    allowed = ("tanh", "relu") if kind == "SimpleRNN" else ("tanh",)
    if _activation_name(keras, layer.cell.activation) not in allowed:
        found = getattr(layer.cell.activation, "__name__", "?")
        raise ValueError(f"cannot convert a {name} with activation={found!r}: PyTorch's "
                         f"nn.{TORCH_CLASS[kind]} supports activation "
                         f"{' or '.join(repr(a) for a in allowed)} only: build the layer "
                         f"with activation={allowed[0]!r}")
    if kind != "SimpleRNN" and _activation_name(
            keras, layer.cell.recurrent_activation) != "sigmoid":
        found = getattr(layer.cell.recurrent_activation, "__name__", "?")
        raise ValueError(f"cannot convert a {name} with recurrent_activation={found!r}: "
                         f"PyTorch's nn.{kind} always uses a sigmoid for its gates: build "
                         "the layer with recurrent_activation='sigmoid' (the default)")
    if kind == "GRU" and not layer.cell.reset_after:
        raise ValueError(f"cannot convert a GRU{where} with reset_after=False: PyTorch's "
                         "nn.GRU applies the reset gate after the recurrent matrix "
                         "product, which is Keras's reset_after=True (the default); "
                         "reset_after=False has no PyTorch equivalent: build the GRU "
                         "with reset_after=True and train it again")
    if layer.go_backwards and not wrapped:
        raise ValueError(f"cannot convert a {kind} with go_backwards=True: PyTorch has no "
                         "single-direction module that reads backwards: flip the time "
                         "axis of the inputs yourself (x.flip(1)), or wrap the layer in "
                         "Bidirectional")


def _keras_to_torch_weights(layer: Any, kind: str) -> dict[str, np.ndarray]:
    """One direction's weights under PyTorch's names (without the ``_l0`` suffix)."""
    cell = layer.cell
    weights = {"weight_ih": _reorder(np.asarray(cell.kernel.numpy()).T, kind),
               "weight_hh": _reorder(np.asarray(cell.recurrent_kernel.numpy()).T, kind)}
    if cell.use_bias:
        bias = np.asarray(cell.bias.numpy())
        if kind == "GRU":  # reset_after=True: (2, 3 * units), input then recurrent
            weights["bias_ih"], weights["bias_hh"] = (_reorder(b, kind) for b in bias)
        else:
            weights["bias_ih"], weights["bias_hh"] = _reorder(bias, kind), np.zeros_like(bias)
    return weights


def to_torch(layer: Any, *, batch_first: bool = True) -> Any:
    """The PyTorch module that computes what a built Keras recurrent layer computes.

    Parameters
    ----------
    layer : keras.layers.LSTM, GRU, SimpleRNN or Bidirectional
        A built layer (called once, or ``layer.build(input_shape)``). ``Bidirectional``
        must wrap one of the three with ``merge_mode="concat"`` (the default), the only
        way PyTorch combines two directions.
    batch_first : bool
        Passed to the module. ``True`` (the default) makes its inputs and ``output``
        ``(batch_size, timesteps, ...)`` as in Keras; ``h_n`` and ``c_n`` are always
        ``(directions, batch_size, units)``.

    Returns
    -------
    torch.nn.LSTM, torch.nn.GRU or torch.nn.RNN
        One layer (``num_layers=1``), ``bidirectional`` for a ``Bidirectional``,
        ``bias=use_bias``, float32, in evaluation mode. Its ``output`` equals the Keras
        layer's output with ``return_sequences=True``; ``output[:, -1]`` equals the
        default output of a one-direction layer.

    Raises
    ------
    ImportError
        If PyTorch is not installed (the message gives the ``pip install torch==2.13.0``
        command with PyTorch's CPU index).
    TypeError
        If ``layer`` is not one of the accepted Keras layers, or ``batch_first`` is not
        a bool.
    ValueError
        If the layer is not built, or has no PyTorch equivalent: a GRU with
        ``reset_after=False``, activations other than ``tanh`` (SimpleRNN: ``tanh`` or
        ``relu``) and sigmoid gates, ``go_backwards=True`` outside ``Bidirectional``, a
        ``Bidirectional`` whose forward layer reads backwards, or a ``Bidirectional``
        with another ``merge_mode``.

    Examples
    --------
    >>> import keras, torch
    >>> lstm = keras.layers.LSTM(4, return_sequences=True)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> from_keras = lstm(x)
    >>> module = to_torch(lstm)
    >>> module
    LSTM(3, 4, batch_first=True)
    >>> output, (h_n, c_n) = module(torch.from_numpy(x))
    >>> tuple(output.shape), tuple(h_n.shape)
    ((2, 5, 4), (1, 2, 4))
    >>> bool(np.allclose(output.detach().numpy(), from_keras, atol=1e-5))
    True
    """
    batch_first = v.flag("batch_first", batch_first)
    keras = check.keras_for(layer)
    torch = import_torch("to_torch")
    if isinstance(layer, keras.layers.Bidirectional):
        check.check_built(layer)
        if layer.merge_mode != "concat":
            raise ValueError(f"cannot convert a Bidirectional with merge_mode="
                             f"{layer.merge_mode!r}: a bidirectional PyTorch module always "
                             "concatenates the two directions: build the Bidirectional "
                             "with merge_mode='concat' (the default)")
        if layer.forward_layer.go_backwards:
            raise ValueError("cannot convert a Bidirectional whose forward layer has "
                             "go_backwards=True (and backward_layer go_backwards=False): "
                             "Keras then concatenates the reversed-reading direction first "
                             "and flips the forward-reading one, an order PyTorch's "
                             "bidirectional module has no setting for: build the forward "
                             "layer with go_backwards=False and the backward layer with "
                             "go_backwards=True (what Bidirectional(layer) does)")
        directions = [layer.forward_layer, layer.backward_layer]
        kinds = [check.kind_of(keras, d, wrapped=True) for d in directions]
        if kinds[0] != kinds[1]:
            raise ValueError(f"cannot convert a Bidirectional with a {kinds[0]} forward "
                             f"and a {kinds[1]} backward layer: a PyTorch module has one "
                             "cell type for both directions: use the same layer type")
    else:
        directions = [layer]
        kinds = [check.kind_of(keras, layer)]
    kind = kinds[0]
    for direction in directions:
        _check_convertible(keras, direction, kind, wrapped=len(directions) == 2)
    cells = [d.cell for d in directions]
    if len({(c.units, bool(c.use_bias)) for c in cells}) != 1:
        raise ValueError("cannot convert a Bidirectional whose two directions differ in "
                         "units or use_bias: a PyTorch module has one size for both")
    options = {"input_size": int(cells[0].kernel.shape[0]), "hidden_size": int(cells[0].units),
               "batch_first": batch_first, "bias": bool(cells[0].use_bias),
               "bidirectional": len(directions) == 2}
    activations = {_activation_name(keras, d.cell.activation) for d in directions}
    if len(activations) != 1:
        raise ValueError("cannot convert a Bidirectional whose two directions use "
                         "different activations: a PyTorch module has one nonlinearity")
    if kind == "SimpleRNN":
        options["nonlinearity"] = activations.pop()
    module = getattr(torch.nn, TORCH_CLASS[kind])(**options)
    with torch.no_grad():
        for direction, suffix in zip(directions, ("_l0", "_l0_reverse"), strict=False):
            for name, value in _keras_to_torch_weights(direction, kind).items():
                getattr(module, name + suffix).copy_(torch.from_numpy(
                    np.ascontiguousarray(value, dtype=np.float32)))
    return module.eval()


def from_torch(module: Any, *, return_sequences: bool = False, return_state: bool = False,
               name: str | None = None) -> Any:
    """The built Keras layer that computes what a PyTorch recurrent module computes.

    Parameters
    ----------
    module : torch.nn.LSTM, torch.nn.GRU or torch.nn.RNN
        One layer (``num_layers=1``; convert a stack module by module), either
        direction count, with or without bias; ``batch_first`` does not matter (a Keras
        layer is always batch first). An LSTM with ``proj_size > 0`` is rejected.
    return_sequences, return_state : bool
        Set on the Keras layer, as in ``keras.layers.LSTM(...)``.
    name : str, optional
        The Keras layer's name (a ``Bidirectional``'s name when the module has two
        directions).

    Returns
    -------
    keras.layers.LSTM, GRU (``reset_after=True``), SimpleRNN, or Bidirectional
        Built for ``(batch_size, timesteps, input_size)``, float32. A bidirectional module
        becomes ``Bidirectional(..., merge_mode="concat")``. LSTM and SimpleRNN biases
        are ``bias_ih + bias_hh``.

    Raises
    ------
    ImportError
        If PyTorch is not installed.
    TypeError
        If ``module`` is not an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``, or a flag is not
        a bool, or ``name`` not a string.
    ValueError
        If ``num_layers > 1`` or ``proj_size > 0``.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> module = torch.nn.GRU(3, 4, batch_first=True, bidirectional=True)
    >>> layer = from_torch(module, return_sequences=True, name="gru_from_torch")
    >>> type(layer).__name__, layer.forward_layer.reset_after
    ('Bidirectional', True)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> output, h_n = module(torch.from_numpy(x))
    >>> bool(np.allclose(layer(x), output.detach().numpy(), atol=1e-5))
    True
    """
    torch = import_torch("from_torch")
    return_sequences = v.flag("return_sequences", return_sequences)
    return_state = v.flag("return_state", return_state)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"expected name to be a string or None, got {type(name).__name__}: "
                        "pass name='lstm_from_torch' or leave it out")
    kinds = {torch.nn.LSTM: "LSTM", torch.nn.GRU: "GRU", torch.nn.RNN: "SimpleRNN"}
    kind = kinds.get(type(module))
    if kind is None:
        raise TypeError(f"expected a torch.nn.LSTM, torch.nn.GRU or torch.nn.RNN, got "
                        f"{type(module).__name__}: from_torch converts PyTorch's built-in "
                        "recurrent modules (the cell classes such as nn.LSTMCell are not "
                        "supported)")
    if module.num_layers != 1:
        raise ValueError(f"expected a module with num_layers=1, got num_layers="
                         f"{module.num_layers}: a Keras layer is one layer: convert a stack "
                         "as one module per layer, or stack Keras layers with "
                         "return_sequences=True")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"expected an LSTM with proj_size=0, got proj_size="
                         f"{module.proj_size}: Keras's LSTM has no projection of h")
    import keras

    options: dict[str, Any] = {"return_sequences": return_sequences,
                               "return_state": return_state, "use_bias": module.bias}
    if kind == "SimpleRNN":
        options["activation"] = module.nonlinearity
    if kind == "GRU":
        options["reset_after"] = True
    two = module.bidirectional
    layer_class = getattr(keras.layers, kind)
    inner = layer_class(module.hidden_size, **options,
                        **({} if two or name is None else {"name": name}))
    layer = keras.layers.Bidirectional(inner, merge_mode="concat", name=name) if two \
        else inner
    layer.build((None, None, module.input_size))
    directions = [layer.forward_layer, layer.backward_layer] if two else [layer]
    for direction, suffix in zip(directions, ("_l0", "_l0_reverse"), strict=False):
        def get(weight: str, suffix: str = suffix) -> np.ndarray:
            return getattr(module, weight + suffix).detach().cpu().numpy().astype(np.float32)

        weights = [_reorder(get("weight_ih"), kind).T, _reorder(get("weight_hh"), kind).T]
        if module.bias:
            ih, hh = _reorder(get("bias_ih"), kind), _reorder(get("bias_hh"), kind)
            weights.append(np.stack([ih, hh]) if kind == "GRU" else ih + hh)
        direction.set_weights(weights)
    return layer
