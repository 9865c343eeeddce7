"""Predict the shapes of a stack of layers before building it, and trace a built model.

Introduced in the chapter "Stack recurrent layers". :func:`predict_stack` works out, in
pure Python, what each layer of a stack returns and where Keras would refuse to build
it; :func:`trace_shapes` reads the same table off a model Keras has built. Both return a
:class:`ShapeTrace`, and two traces compare equal when they agree row by row, so a
chapter can show ``predict_stack(...) == trace_shapes(model)``.

Nothing here imports TensorFlow or Keras at import time; :func:`trace_shapes` only
touches Keras through the model it is given.

One module per concern:

- ``table``: :class:`ShapeTrace` and :class:`ShapeRow`, the table both functions return;
- ``specs``: the layer specs :func:`predict_stack` accepts (:data:`SPEC_KEYS`,
  :data:`REQUIRED_KEYS`), their parsing and validation;
- ``predict``: :func:`predict_stack` and the shape rules of each kind of layer;
- ``trace``: :func:`trace_shapes`, which reads a built Keras model.
"""

from companion.stack.predict import predict_stack
from companion.stack.specs import REQUIRED_KEYS, SPEC_KEYS
from companion.stack.table import ShapeRow, ShapeTrace
from companion.stack.trace import trace_shapes

__all__ = ["REQUIRED_KEYS", "SPEC_KEYS", "ShapeRow", "ShapeTrace", "predict_stack",
           "trace_shapes"]
