"""Companion to the book on what Keras recurrent layers return.

Importing ``companion`` is cheap: it imports neither TensorFlow, Keras nor
Matplotlib. Each public name is loaded from its module on first use (PEP 562), and
the functions that need Keras import it when they are called.

Set-up (``companion.session``)
    start_session, quiet_environment
Shapes (``companion.shapes``, ``companion.stack``)
    rnn_output_shape, count_params, predict_stack, trace_shapes, ShapeTrace
Convolutional recurrent layers (``companion.conv_shapes``)
    convlstm_output_shape, convlstm_count_params
NumPy replay of Keras recurrent layers (``companion.numpy_replay``)
    replay, replay_states, returned_states_figure (figure)
Datasets (``companion.datasets``, ``companion.translation``)
    make_sequence_regression, make_sequence_classification, make_per_timestep_labels,
    make_sine_series, make_forecasting_windows, make_translation_task, TranslationTask,
    greedy_decode
Diagnosis of a reader's model (``companion.diagnose``)
    diagnose (a model, a stack spec or a saved file's path; ``python -m companion.diagnose``),
    bidirectional_slice_figure (figure)
Bridges to PyTorch (``companion.torch_bridge``; needs ``pip install torch==2.13.0``)
    to_torch, from_torch, kernel_layout_figure (figure), torch_returns_figure (figure)
Stateful layers (``companion.stateful``)
    split_into_chunks, stateless_copy, stateful_copy, stateful_chunks_figure (figure)
Cost of return_sequences (``companion.benchmark``)
    recurrent_flops, output_bytes, run_benchmark, load_benchmark, Benchmark,
    loglog_slope, cost_scaling_figure (figure), step_breakdown_figure (figure)
The chapters' data files (``companion.data``)
    book_data (``"version-facts"``, ``"cost"``, ``"unroll"``)
Keras 2, other backends, fresh processes (``companion.subprocess_run``)
    run_snippet, run_snippets, outcome_grid_figure (figure)
Figures (``companion.figures``)
    BookFigure, new_figure, unrolled_figure, return_sequences_figure, stacked_figure,
    encoder_decoder_figure, same_length_figure, hidden_states_figure, training_curves_figure,
    padded_batch_figure, output_patterns_figure, bidirectional_figure, cell_step_figure
"""

from __future__ import annotations

import importlib
from typing import Any

from companion._version import __version__

#: Public name -> module that defines it.
_EXPORTS = {
    "start_session": "companion.session",
    "quiet_environment": "companion.session",
    "rnn_output_shape": "companion.shapes",
    "count_params": "companion.shapes",
    "convlstm_output_shape": "companion.conv_shapes",
    "convlstm_count_params": "companion.conv_shapes",
    "predict_stack": "companion.stack",
    "trace_shapes": "companion.stack",
    "ShapeTrace": "companion.stack",
    "replay": "companion.numpy_replay",
    "replay_states": "companion.numpy_replay",
    "returned_states_figure": "companion.figures",
    "make_sequence_regression": "companion.datasets",
    "make_sequence_classification": "companion.datasets",
    "make_per_timestep_labels": "companion.datasets",
    "make_sine_series": "companion.datasets",
    "make_forecasting_windows": "companion.datasets",
    "make_translation_task": "companion.translation",
    "TranslationTask": "companion.translation",
    "greedy_decode": "companion.translation",
    "diagnose": "companion.diagnose",
    "bidirectional_slice_figure": "companion.figures",
    "to_torch": "companion.torch_bridge",
    "from_torch": "companion.torch_bridge",
    "kernel_layout_figure": "companion.figures",
    "torch_returns_figure": "companion.figures",
    "split_into_chunks": "companion.stateful",
    "stateless_copy": "companion.stateful",
    "stateful_copy": "companion.stateful",
    "stateful_chunks_figure": "companion.figures",
    "recurrent_flops": "companion.benchmark",
    "output_bytes": "companion.benchmark",
    "run_benchmark": "companion.benchmark",
    "load_benchmark": "companion.benchmark",
    "Benchmark": "companion.benchmark",
    "loglog_slope": "companion.benchmark",
    "book_data": "companion.data",
    "cost_scaling_figure": "companion.figures",
    "step_breakdown_figure": "companion.figures",
    "run_snippet": "companion.subprocess_run",
    "run_snippets": "companion.subprocess_run",
    "outcome_grid_figure": "companion.figures",
    "BookFigure": "companion.figures",
    "new_figure": "companion.figures",
    "unrolled_figure": "companion.figures",
    "return_sequences_figure": "companion.figures",
    "stacked_figure": "companion.figures",
    "encoder_decoder_figure": "companion.figures",
    "same_length_figure": "companion.figures",
    "cell_step_figure": "companion.figures",
    "hidden_states_figure": "companion.figures",
    "training_curves_figure": "companion.figures",
    "output_patterns_figure": "companion.figures",
    "padded_batch_figure": "companion.figures",
    "bidirectional_figure": "companion.figures",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'companion' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
