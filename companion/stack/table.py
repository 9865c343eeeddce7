"""The table :func:`predict_stack` and :func:`trace_shapes` return: :class:`ShapeTrace`.

Part of :mod:`companion.stack` (chapter "Stack recurrent layers"). A :class:`ShapeTrace`
holds one :class:`ShapeRow` per layer (class label, output shape, parameter count and,
for a layer Keras would refuse, the problem), prints as a plain-text table and compares
equal to another trace that agrees with it row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Shape = tuple[Any, ...]

_NOT_COMPUTED = "(not computed)"
_FAILS = "(fails)"


@dataclass(frozen=True)
class ShapeRow:
    """One layer of a :class:`ShapeTrace`.

    ``output_shape`` and ``params`` are ``None`` for the layer that fails (its
    ``problem`` says why) and for every layer after it (not computed).
    """

    index: int
    layer: str
    output_shape: Shape | tuple[Shape, ...] | None
    params: int | None
    problem: str | None = None

    @property
    def computed(self) -> bool:
        """Whether the shape of this layer is known."""
        return self.output_shape is not None


@dataclass(frozen=True, eq=False, repr=False)
class ShapeTrace:
    """What each layer of a stack returns: a table of shapes and parameter counts.

    Build one with :func:`predict_stack` (before Keras builds anything) or
    :func:`trace_shapes` (from a built model). Printing it, or ending a notebook cell
    with it, shows a plain-text table.

    Attributes
    ----------
    rows : tuple of ShapeRow
        One row per layer: ``index`` (from 1), ``layer`` (class label such as
        ``"LSTM"`` or ``"Bidirectional(GRU)"``), ``output_shape``, ``params`` and
        ``problem`` (``None``, or why Keras would refuse the layer).
    names : tuple
        The Keras layer names (``trace_shapes``) or ``None`` entries (``predict_stack``).
        Names come from global counters, so they are kept out of the table and out of
        equality.

    Examples
    --------
    >>> from companion.stack import predict_stack
    >>> trace = predict_stack((10, 32), [{"layer": "LSTM", "units": 64},
    ...                                  {"layer": "Dense", "units": 1}])
    >>> trace.ok, trace.output_shape, trace.total_params
    (True, (None, 1), 24897)
    >>> trace.to_rows()[0]
    (1, 'LSTM', (None, 64), 24832, None)
    """

    rows: tuple[ShapeRow, ...]
    names: tuple[str | None, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every layer's shape is known: Keras can build the stack."""
        return all(row.computed and row.problem is None for row in self.rows)

    @property
    def total_params(self) -> int | None:
        """Sum of the parameter counts, or ``None`` when a layer fails."""
        if not self.ok:
            return None
        return sum(row.params or 0 for row in self.rows)

    @property
    def output_shape(self) -> Shape | tuple[Shape, ...] | None:
        """Output shape of the last layer, or ``None`` when a layer fails."""
        return self.rows[-1].output_shape if self.rows and self.ok else None

    @property
    def problem(self) -> str | None:
        """The first problem, prefixed with the layer it belongs to, or ``None``."""
        for row in self.rows:
            if row.problem is not None:
                return f"layer {row.index} ({row.layer}) fails: {row.problem}"
        return None

    def to_rows(self) -> list[tuple[Any, ...]]:
        """Rows as plain tuples ``(index, layer, output_shape, params, problem)``."""
        return [(r.index, r.layer, r.output_shape, r.params, r.problem) for r in self.rows]

    def _key(self) -> tuple[tuple[Any, ...], ...]:
        return tuple((r.layer, r.output_shape, r.params, r.problem) for r in self.rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ShapeTrace):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        header = ("#", "layer", "output shape", "params")
        body = [(str(r.index), r.layer, _shape_text(r), _params_text(r)) for r in self.rows]
        widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(4)]

        def line(cells: Sequence[str]) -> str:
            number, layer, shape, params = cells
            return (f"{number:>{widths[0]}}  {layer:<{widths[1]}}  {shape:<{widths[2]}}  "
                    f"{params:>{widths[3]}}").rstrip()

        rule = "-" * len(line(header))
        lines = [line(header), rule, *(line(cells) for cells in body), rule]
        if self.ok:
            lines.append(f"Total params: {self.total_params:,}")
        else:
            failing = next((r.index for r in self.rows if r.problem is not None), None)
            lines.append(f"Total params: unknown (layer {failing} fails)")
            lines.append(f"Problem: {self.problem}")
        return "\n".join(lines)

    __repr__ = __str__


def _shape_text(row: ShapeRow) -> str:
    if row.problem is not None:
        return _FAILS
    if row.output_shape is None:
        return _NOT_COMPUTED
    return repr(row.output_shape)


def _params_text(row: ShapeRow) -> str:
    return "-" if row.params is None else f"{row.params:,}"
