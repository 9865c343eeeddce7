"""What ``return_sequences`` costs: a FLOP model, measurements and their data file.

Introduced in "What return_sequences costs". Three modules, one concern each:

- ``flops``: FLOPs and output bytes of a recurrent layer, counted from its equations.
- ``measure``: times forward passes and training steps (imports Keras when called) and
  writes the data file; ``python -m companion.benchmark --output companion/data/cost.json``.
- ``results``: loads that file and answers questions about it (log-log slopes, ratios),
  without TensorFlow, so the chapter never compares live timings.
"""

from companion.benchmark.flops import output_bytes, recurrent_flops  # noqa: F401
from companion.benchmark.results import Benchmark, load_benchmark, loglog_slope  # noqa: F401
from companion.benchmark.runner import run_benchmark  # noqa: F401
