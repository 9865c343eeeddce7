"""Stateful recurrent layers: chunks of a long sequence, and copies with another batch size.

Introduced in the chapter "Stateful layers in Keras 3".

A recurrent layer built with ``stateful=True`` keeps its last state between calls and
needs a fixed batch size. :func:`split_into_chunks` cuts a long sequence into the
pieces you feed such a layer one call after another. :func:`stateless_copy` rebuilds a
model with ``stateful=False`` and the same weights, so it accepts any batch size;
:func:`stateful_copy` rebuilds it the other way, stateful with a new fixed batch size
(for example 1, to stream one series step by step).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from companion import _validate as v


def split_into_chunks(x: Any, chunk_len: int) -> list[np.ndarray]:
    """Cut ``(batch_size, timesteps, features)`` into pieces of ``chunk_len`` timesteps.

    The pieces keep every sample in its row, so sample ``i`` of each piece continues
    sample ``i`` of the piece before: the order a stateful layer needs. The last piece
    is shorter when ``timesteps`` is not a multiple of ``chunk_len``; joining the pieces
    with ``numpy.concatenate(pieces, axis=1)`` gives ``x`` back.

    Parameters
    ----------
    x : array_like
        ``(batch_size, timesteps, features)``, a NumPy array or anything NumPy converts.
    chunk_len : int
        Timesteps per piece; a positive integer.

    Returns
    -------
    list of numpy.ndarray
        ``ceil(timesteps / chunk_len)`` arrays of shape ``(batch_size, chunk_len,
        features)`` (views into ``x`` when ``x`` is already a NumPy array).

    Raises
    ------
    TypeError
        If ``chunk_len`` is not an integer.
    ValueError
        If ``x`` is not 3-D or has no timesteps, or ``chunk_len`` is not positive.

    Examples
    --------
    >>> x = np.arange(2 * 10 * 1).reshape(2, 10, 1)
    >>> [piece.shape for piece in split_into_chunks(x, 4)]
    [(2, 4, 1), (2, 4, 1), (2, 2, 1)]
    >>> split_into_chunks(x, 4)[1][0, :, 0].tolist()
    [4, 5, 6, 7]
    >>> bool(np.array_equal(np.concatenate(split_into_chunks(x, 4), axis=1), x))
    True
    """
    chunk_len = v.positive_int("chunk_len", chunk_len,
                               hint="pass the number of timesteps per piece, for example 4")
    array = np.asarray(x)
    if array.ndim != 3:
        fix = (": add a features axis with x[..., None]" if array.ndim == 2 else
               ": pass (batch_size, timesteps, features), for example shape (1, 100, 1)")
        raise ValueError(f"expected x of shape (batch_size, timesteps, features), got shape "
                         f"{array.shape} with {array.ndim} dimension(s){fix}")
    if array.shape[1] == 0:
        raise ValueError(f"expected x with at least one timestep, got shape {array.shape}: "
                         "pass a non-empty sequence")
    return [array[:, start:start + chunk_len] for start in range(0, array.shape[1], chunk_len)]


def stateless_copy(model: Any) -> Any:
    """The same model with ``stateful=False`` everywhere, any batch size and the same weights.

    A stateful model only accepts its fixed batch size. This copy accepts any batch
    size and starts every sequence from zeros, so it returns what the stateful model
    returns right after its states are reset. Use it to predict, evaluate or serve a
    model that was trained stateful.

    Parameters
    ----------
    model : keras.Sequential or functional keras.Model
        A built model. Recurrent layers anywhere in it (also inside ``Bidirectional``)
        become stateless; other layers are copied as they are.

    Returns
    -------
    keras.Model
        A new model of the same class, with every input's batch size set to ``None``
        and the weights of ``model`` (the stateful layers' states are not copied).

    Raises
    ------
    TypeError
        If ``model`` is not a Keras ``Sequential`` or functional model.
    ValueError
        If ``model`` is not built yet.

    Examples
    --------
    >>> import keras
    >>> stateful = keras.Sequential([keras.Input(batch_shape=(4, 10, 3)),
    ...                              keras.layers.LSTM(2, stateful=True, name="lstm")])
    >>> free = stateless_copy(stateful)
    >>> free.get_layer("lstm").stateful, free.input_shape
    (False, (None, 10, 3))
    >>> free.predict(np.ones((7, 10, 3)), verbose=0).shape
    (7, 2)
    """
    return _rebuild(model, batch_size=None, stateful=False, caller="stateless_copy")


def stateful_copy(model: Any, batch_size: int) -> Any:
    """The same model with ``stateful=True`` on every recurrent layer and a new batch size.

    Train a model stateless on shuffled windows, then make a stateful copy with
    ``batch_size=1`` to feed one long series chunk by chunk, or step by step, while
    the state runs on. The copy starts from zeros.

    Parameters
    ----------
    model : keras.Sequential or functional keras.Model
        A built model, stateful or not.
    batch_size : int
        The copy's fixed batch size: how many independent streams it follows at once.

    Returns
    -------
    keras.Model
        A new model of the same class with inputs of batch size ``batch_size``, every
        recurrent layer stateful, and the weights of ``model``.

    Raises
    ------
    TypeError
        If ``model`` is not a Keras ``Sequential`` or functional model, or
        ``batch_size`` is not an integer.
    ValueError
        If ``model`` is not built yet, or ``batch_size`` is not positive.

    Examples
    --------
    >>> import keras
    >>> free = keras.Sequential([keras.Input(shape=(None, 1)),
    ...                          keras.layers.GRU(3, name="gru")])
    >>> streamer = stateful_copy(free, batch_size=1)
    >>> streamer.get_layer("gru").stateful, streamer.input_shape
    (True, (1, None, 1))
    """
    batch_size = v.positive_int("batch_size", batch_size,
                                hint="pass the number of streams, for example batch_size=1")
    return _rebuild(model, batch_size=batch_size, stateful=True, caller="stateful_copy")


def _rebuild(model: Any, *, batch_size: int | None, stateful: bool, caller: str) -> Any:
    import keras

    kinds = "a keras.Sequential or a functional keras.Model (keras.Model(inputs, outputs))"
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected {kinds}, got {type(model).__name__}: {caller} copies a "
                        "whole model; to change one layer, build it again with the new "
                        "stateful= argument")
    try:
        config = model.get_config()
    except NotImplementedError:
        config = None
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise TypeError(f"expected {kinds}, got a subclassed model of type "
                        f"{type(model).__name__}: {caller} rebuilds a model from its "
                        "config, so build the model with keras.Sequential or keras.Model("
                        "inputs, outputs), or write the copy by hand and call set_weights")
    if not model.built:
        raise ValueError(f"expected a built model, got {model.name!r} that has no weights "
                         "yet: start it with keras.Input(...) or call it on a batch first")
    config = _edit_config(copy.deepcopy(config), batch_size=batch_size, stateful=stateful)
    clone = type(model).from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def _edit_config(node: Any, *, batch_size: int | None, stateful: bool) -> Any:
    """Set ``stateful`` and the batch size of every input in a serialised model, in place."""
    if isinstance(node, list):
        for item in node:
            _edit_config(item, batch_size=batch_size, stateful=stateful)
    elif isinstance(node, dict):
        if isinstance(node.get("stateful"), bool):
            node["stateful"] = stateful
        shapes = [(node, "batch_shape"), (node, "input_shape")]
        if node.get("class_name") == "__keras_tensor__" and isinstance(node.get("config"), dict):
            shapes.append((node["config"], "shape"))
        for owner, key in shapes:
            if key in owner:
                owner[key] = _with_batch(owner[key], batch_size)
        for value in node.values():
            _edit_config(value, batch_size=batch_size, stateful=stateful)
    return node


def _with_batch(shape: Any, batch_size: int | None) -> Any:
    """Replace the batch size of a serialised shape, or of each shape in a nested list."""
    if not isinstance(shape, (list, tuple)) or not shape:
        return shape
    if shape[0] is None or v.is_int(shape[0]):
        return [batch_size, *shape[1:]]
    return [_with_batch(item, batch_size) for item in shape]
