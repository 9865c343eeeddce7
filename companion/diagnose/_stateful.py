"""A stateful model fed a number of samples that does not split into whole batches.

What Keras 3.15.1 does with the last, smaller batch was measured for LSTM, GRU and
SimpleRNN (``tests/test_fuzz_diagnose.py`` runs it again against every finding):

- TensorFlow, a last batch of 1 sample: the sample is broadcast against the ``B`` stored
  states. ``fit`` and ``evaluate`` raise no error (with a loss that broadcasts, such as
  ``mse``), and ``predict`` returns ``B`` rows for that one sample, ``ceil(N / B) * B``
  rows in all, unless that batch is the only one (``N = 1``): then ``predict`` raises
  Keras's own batch-size check on a model that has not yet predicted on a full batch
  (after one such call TensorFlow recompiles the step with an open batch size, and
  ``predict`` returns ``B`` rows).
- TensorFlow, a last batch of 2 or more samples: ``fit``, ``evaluate`` and ``predict``
  raise (TensorFlow's ``Incompatible shapes``, or Keras's check when it is the only
  batch).
- JAX and PyTorch (measured with GRU): Keras's check raises on every call whose batch
  differs from ``B``.
"""

from __future__ import annotations

import math

from companion.diagnose._report import Finding


def samples(count: int) -> str:
    """``'1 sample'``, ``'3 samples'``."""
    return f"{count} sample{'' if count == 1 else 's'}"


def remainder_finding(where: str, backend: str, batch: int, count: int) -> Finding | None:
    """The finding for ``count`` samples fed to a model built for batches of ``batch``,
    or None when they split into whole batches."""
    rest = count % batch
    if rest == 0:
        return None
    saw = f"stateful=True with batch size {batch}, and x has {samples(count)}"
    head = (f"{count} is not a multiple of {batch}: with batch_size={batch} the last batch "
            f"has {samples(rest)}, but the layer keeps states for exactly {batch}")
    only = count < batch
    if backend == "tensorflow" and rest == 1:
        rows = math.ceil(count / batch) * batch
        outcomes = {"fit": "runs", "evaluate": "runs",
                    "predict": "raises" if only else "runs"}
        what = ("predict raises Keras's check 'the batch size of the input sequences must "
                "be the same as the batch size of the initial state' on a model that has "
                f"not yet predicted on a full batch (after one such call, predict returns "
                f"{batch} rows for the one sample instead)" if only else
                f"predict silently returns {rows} rows for {samples(count)}, the last "
                f"{batch} of them that one sample run from each stored state")
        why = (f"{head}. TensorFlow broadcasts the single sample against the {batch} "
               f"states instead of raising: fit and evaluate raise no error (with a loss "
               f"that broadcasts, such as mse) and count that sample {batch} times; {what}")
    elif backend == "tensorflow":
        outcomes = {"fit": "raises", "evaluate": "raises", "predict": "raises"}
        why = (f"{head}, so fit, evaluate and predict raise an error on that batch "
               "(TensorFlow's 'Incompatible shapes', or Keras's batch-size check when it "
               "is the only batch)")
    else:
        outcomes = {"fit": "raises", "evaluate": "raises", "predict": "raises"}
        why = (f"{head}, so fit, evaluate and predict raise an error: on the {backend} "
               "backend Keras checks every batch ('the batch size of the input sequences "
               "must be the same as the batch size of the initial state')")
    last = "the last sample" if rest == 1 else f"the last {rest} samples"
    drop = "" if only else f"drop {last}, or "
    fix = (f"feed a multiple of {batch} samples ({drop}pad to "
           f"{math.ceil(count / batch) * batch} and ignore the padded rows), and pass "
           f"batch_size={batch} to fit, evaluate and predict")
    return Finding("stateful-remainder", where, saw, why, fix,
                   keras=tuple(outcomes.items()))
