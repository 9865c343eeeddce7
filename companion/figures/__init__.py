"""Figures for the book, drawn with Matplotlib.

Introduced on the landing page and in "The default: only the last hidden state";
the stacking, every-hidden-state and sequence-to-sequence chapters add their own.

Every function returns a :class:`BookFigure`: a Matplotlib ``Figure`` that carries
``alt_text``, a one-sentence description of what it shows. In a notebook the figure
displays as a PNG, with the alt text as its plain-text form; ``make notebooks`` copies
that text into the cell's ``mystnb.image.alt`` metadata, so the HTML ``<img>`` gets
it as its ``alt`` attribute. Figures are built without ``pyplot``, so nothing is
shown twice and no global figure state leaks between cells.

The package has one module per kind of drawing: ``_base`` (colours, :class:`BookFigure`,
:func:`new_figure`), ``unrolled`` (a layer unrolled over time, stacks), ``seq2seq``
(encoder-decoder) and ``data`` (hidden states, training curves). New chapters add a
module of their own and re-export its public functions here.
"""

from companion.figures._base import (  # noqa: F401
    CELL,
    DENSE,
    DROPPED,
    ERROR,
    INPUT,
    RETURNED,
    BookFigure,
    new_figure,
)
from companion.figures.bidirectional import bidirectional_figure  # noqa: F401
from companion.figures.bridges import kernel_layout_figure, torch_returns_figure  # noqa: F401
from companion.figures.cells import cell_step_figure  # noqa: F401
from companion.figures.cost import cost_scaling_figure, step_breakdown_figure  # noqa: F401
from companion.figures.data import hidden_states_figure, training_curves_figure  # noqa: F401
from companion.figures.diagnose import bidirectional_slice_figure  # noqa: F401
from companion.figures.masking import padded_batch_figure  # noqa: F401
from companion.figures.outcomes import outcome_grid_figure  # noqa: F401
from companion.figures.patterns import output_patterns_figure  # noqa: F401
from companion.figures.seq2seq import encoder_decoder_figure, same_length_figure  # noqa: F401
from companion.figures.stateful import stateful_chunks_figure  # noqa: F401
from companion.figures.states import returned_states_figure  # noqa: F401
from companion.figures.unrolled import (  # noqa: F401
    draw_unrolled,
    return_sequences_figure,
    stacked_figure,
    unrolled_figure,
)
