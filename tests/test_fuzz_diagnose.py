"""The companion's words are claims too: every run-time statement of ``companion.diagnose``
is checked against Keras doing it.

Each :class:`~companion.diagnose.Finding` lists in ``keras`` what it says Keras does
(``("fit", "raises")``, ``("predict", "runs")``, ``("build", "raises")``). Each case
below builds the model, runs every call a finding names (and, for a clean report, fit,
evaluate and predict) and compares the outcome with the verdict. A grid of output ranks
times target ranks pins the loss rules, and a grid of batch sizes and sample counts the
stateful-remainder finding, including the rows ``predict`` returns.
"""

from __future__ import annotations

import ast
import math
import re
import warnings

import numpy as np
import pytest

from companion.diagnose import diagnose

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")
L = keras.layers

from test_fuzz_keras import keras_stack  # noqa: E402 - tests/ is on sys.path under pytest


def _outcome(function):
    """``("runs", result)`` or ``("raises", error)`` for one call."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "runs", function()
    except Exception as error:  # ValueError from Keras, or TensorFlow's errors
        return "raises", error


def _run(make, call, x, y, loss, batch_size=None):
    if call == "build":
        return _outcome(make)
    model = make()
    model.compile("sgd", loss or "mse")
    if call == "fit":
        return _outcome(lambda: model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0))
    if call == "evaluate":
        return _outcome(lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0))
    return _outcome(lambda: model.predict(x, batch_size=batch_size, verbose=0))


def _check_claims(make, x=None, y=None, loss=None, *, batch_size=None, model=None):
    """Run diagnose, then every call each finding names; a clean report must run."""
    keras.backend.clear_session()
    report = diagnose(model if model is not None else make(), x, y, loss)
    claims = [claim for finding in report for claim in finding.keras]
    if report.ok and x is not None:
        claims = [("predict", "runs")] + ([("fit", "runs"), ("evaluate", "runs")]
                                          if y is not None else [])
    for call, verdict in claims:
        keras.backend.clear_session()
        got, detail = _run(make, call, x, y, loss, batch_size)
        assert got == verdict, (f"diagnose says {call} {verdict}, Keras {got}: {detail!r}"
                                f"\n{report}")
    return report


# ---------------------------------------------------------------- loss rules, as a grid

OUTPUTS = [(3,), (1,), (3, 1), (3, 4), (3, 2, 1)]
TARGETS = [(6,), (6, 1), (6, 3), (6, 1, 1), (6, 3, 1), (6, 4), (6, 3, 2)]


def _head(output):
    def make():
        inputs = keras.Input((3, 2))
        flat = L.Dense(math.prod(output), name="head")(L.Flatten()(inputs))
        return keras.Model(inputs, L.Reshape(output)(flat))
    return make


@pytest.mark.slow
@pytest.mark.parametrize("output", OUTPUTS, ids=str)
def test_sparse_verdicts_match_evaluate_over_output_and_target_ranks(output):
    """output ranks 1-3 x target ranks 1-3 (6 samples of 3 steps, 2 features); the
    other losses are drawn at random in tests/test_fuzz_keras.py."""
    loss = "sparse_categorical_crossentropy"
    x = np.random.default_rng(0).uniform(size=(6, 3, 2)).astype("float32")
    make = _head(output)
    for target in TARGETS:
        y = np.zeros(target, dtype="float32")  # class 0: valid for every class count
        report = diagnose(make(), x, y, loss)
        says = dict(report[0].keras).get("evaluate") if not report.ok else "runs"
        if says is None:
            continue
        keras.backend.clear_session()
        got, detail = _run(make, "evaluate", x, y, loss)
        assert got == says, f"{loss} output {output} targets {target}: {detail!r}\n{report}"


def test_the_three_sparse_shapes_of_the_audit():
    """The cases issue 22 found: one raised where diagnose said ok, two ran where it
    said they raise."""
    x = np.zeros((6, 3, 2), dtype="float32")
    loss = "sparse_categorical_crossentropy"
    raised = _check_claims(_head((3, 1)), x, np.zeros((6, 3)), loss)
    assert "raises an error" in raised[0].why
    assert _check_claims(_head((3,)), x, np.zeros((6, 1, 1)), loss).ok
    misread = _check_claims(_head((3, 1)), x, np.zeros((6, 1)), loss)
    assert "raises no error" in misread[0].why and "3 class scores" in misread[0].why


# ---------------------------------------------------------------- stateful remainders

def _stateful(kind, batch):
    def make():
        inputs = keras.Input((5, 2), batch_size=batch)
        hidden = getattr(L, kind)(4, stateful=True, name="rnn")(inputs)
        return keras.Model(inputs, L.Dense(3, name="head")(hidden))
    return make


# Remainder 1 with several batches, and as the only batch; remainder 2 or more; none.
STATEFUL = [("LSTM", 4, 17), ("LSTM", 4, 18), ("LSTM", 2, 1), ("GRU", 3, 2),
            ("GRU", 4, 16), ("SimpleRNN", 2, 3)]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "batch", "count"), STATEFUL)
def test_stateful_remainder_verdicts_match_fit_evaluate_predict(kind, batch, count):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(count, 5, 2)).astype("float32")
    y = rng.uniform(size=(count, 3)).astype("float32")
    make = _stateful(kind, batch)
    report = diagnose(make(), x)
    claims = dict(report[0].keras) if not report.ok else {
        "fit": "runs", "evaluate": "runs", "predict": "runs"}
    assert set(claims) == {"fit", "evaluate", "predict"}
    for call, says in claims.items():
        keras.backend.clear_session()
        got, result = _run(make, call, x, y, "mse", batch)
        assert got == says, f"{kind} B={batch} N={count} {call}: {result!r}\n{report}"
        if call == "predict" and got == "runs":
            rows = math.ceil(count / batch) * batch
            assert result.shape == (rows, 3)
            if rows != count:
                assert f"returns {rows} rows" in report[0].why
    if count > batch and count % batch == 1:  # "the last B rows: that sample from each state"
        keras.backend.clear_session()
        model, full = make(), count - 1
        rows = model.predict(x, batch_size=batch, verbose=0)[full:]
        model.get_layer("rnn").reset_state()
        model.predict(x[:full], batch_size=batch, verbose=0)  # the same states as before
        again = model.predict(np.repeat(x[full:], batch, axis=0), batch_size=batch, verbose=0)
        assert np.allclose(rows, again, atol=1e-5)
    if count == 1 < batch:  # "after one full-batch predict, B rows instead"
        keras.backend.clear_session()
        model = make()
        model.predict(np.repeat(x, batch, axis=0), batch_size=batch, verbose=0)
        assert model.predict(x, batch_size=batch, verbose=0).shape == (batch, 3)
        assert f"predict returns {batch} rows for the one sample" in report[0].why
    if not report.ok:
        rest = count % batch
        assert f"has {rest} sample{'' if rest == 1 else 's'}," in report[0].why


# ---------------------------------------------------------------- the other findings

def _stack(layers, input_shape=(10, 3)):
    return lambda: keras.Sequential([keras.Input(input_shape), *layers()])


def _bidirectional_states_sliced():
    inputs = keras.Input((6, 2))
    seq, *states = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True),
                                   name="bi")(inputs)
    return keras.Model(inputs, L.Dense(1)(states[0][:, -1:]))


def _bidirectional_sequence_sliced():
    inputs = keras.Input((6, 2))
    seq = L.Bidirectional(L.LSTM(3, return_sequences=True), name="bi")(inputs)
    return keras.Model(inputs, L.Dense(1)(seq[:, -1]))


def _two_inputs():
    first, second = keras.Input((5, 2)), keras.Input((5, 2))
    merged = L.Concatenate()([L.LSTM(3)(first), L.LSTM(3)(second)])
    return keras.Model([first, second], L.Dense(1)(merged))


CASES = {
    "one-array-for-two-inputs": (_two_inputs, (4, 5, 2), None),
    "return-state-in-sequential": (lambda: keras.Sequential([
        keras.Input((5, 2)), L.LSTM(3, return_state=True), L.Dense(1)]), (4, 5, 2), None),
    "merge-none-in-sequential": (lambda: keras.Sequential([
        keras.Input((5, 2)), L.Bidirectional(L.LSTM(3), merge_mode=None), L.Dense(1)]),
        (4, 5, 2), None),
    "stateful-without-batch": (lambda: keras.Sequential([
        keras.Input((5, 2)), L.LSTM(3, stateful=True)]), None, None),
    "wrong-features": (_stack(lambda: [L.LSTM(3), L.Dense(1)]), (4, 10, 2), None),
    "missing-features-axis": (_stack(lambda: [L.LSTM(3), L.Dense(1)], (10, 1)),
                              (4, 10), None),
    "bidirectional-sequence-slice": (_bidirectional_sequence_sliced, (4, 6, 2), None),
    "bidirectional-state-slice": (_bidirectional_states_sliced, (4, 6, 2), None),
    "mask-into-flatten": (_stack(lambda: [L.Masking(), L.LSTM(3, return_sequences=True),
                                          L.Flatten(), L.Dense(1)]), (4, 10, 3), None),
    "time-axis-mse": (_stack(lambda: [L.LSTM(3, return_sequences=True), L.Dense(1)]),
                      (4, 10, 3), (4, 1)),
    "time-axis-bce": (_stack(lambda: [L.LSTM(3, return_sequences=True),
                                      L.Dense(1, activation="sigmoid")]), (4, 10, 3), (4,)),
}


@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")
@pytest.mark.parametrize("name", CASES)
def test_each_findings_run_time_claims_hold(name):
    make, x_shape, y_shape = CASES[name]
    x = None if x_shape is None else np.zeros(x_shape, dtype="float32")
    y = None if y_shape is None else np.zeros(y_shape, dtype="float32")
    loss = {"bce": "binary_crossentropy", "mse": "mse"}.get(name.rpartition("-")[2])
    model = None
    if name in ("return-state-in-sequential", "stateful-without-batch"):
        # Keras refuses to build these, so diagnose looks at them unbuilt.
        model = keras.Sequential([L.LSTM(3, return_state="state" in name,
                                         stateful="stateful" in name), L.Dense(1)])
        x = None
    if name == "merge-none-in-sequential":
        model = keras.Sequential([L.Bidirectional(L.LSTM(3), merge_mode=None), L.Dense(1)])
        x = None
    report = _check_claims(make, x, y, loss, model=model)
    assert report.ok == (name == "bidirectional-state-slice"), str(report)
    assert all(finding.keras for finding in report), "a finding without a checked claim"


STACKS = {
    "lstm-into-lstm": [{"layer": "LSTM", "units": 4}, {"layer": "LSTM", "units": 4}],
    "repeat-after-sequence": [{"layer": "LSTM", "units": 4, "return_sequences": True},
                              {"layer": "RepeatVector", "n": 3}],
    "merge-none-into-dense": [{"layer": "LSTM", "units": 4, "bidirectional": True,
                               "merge_mode": None}, {"layer": "Dense", "units": 1}],
    "time-distributed-after-vector": [{"layer": "GRU", "units": 4},
                                      {"layer": "TimeDistributed", "units": 2}],
}


@pytest.mark.parametrize("name", STACKS)
def test_stack_spec_findings_say_what_keras_does_and_are_labelled_right(name):
    specs = STACKS[name]
    report = diagnose(specs, input_shape=(10, 3))
    assert len(report) == 1
    expected = "no-time-axis" if name == "lstm-into-lstm" else "layer-input"
    assert report.checks == (expected,)
    assert report[0].keras == (("build", "raises"),)
    keras.backend.clear_session()
    assert _outcome(keras_stack(specs, (10, 3)))[0] == "raises"


def test_unbuilt_model_fed_a_2d_array_raises_as_said():
    def make():
        return keras.Sequential([L.LSTM(3), L.Dense(1)])
    report = _check_claims(make, np.zeros((4, 10), dtype="float32"), model=make())
    assert report.checks == ("input-shape",) and "expected ndim=3" in report[0].why


def test_missing_features_axis_then_both_ranks_fail_as_said():
    make = _stack(lambda: [L.LSTM(3), L.Dense(1)], (10, 1))
    report = diagnose(make(), np.zeros((4, 10)))
    assert "Cannot take the length of shape with unknown rank" in report[0].why
    model = make()
    model.predict(np.zeros((4, 10)), verbose=0)
    with pytest.raises(ValueError, match="Cannot take the length of shape with unknown rank"):
        model.predict(np.zeros((4, 10, 1)), verbose=0)


@pytest.mark.parametrize(("output", "target"), [((10, 1), (1,)), ((10, 1), ()),
                                                 ((1,), (10, 1)), ((3,), (1,))])
def test_broadcast_findings_give_the_shape_keras_averages_over(output, target):
    """'mse raises no error: it broadcasts targets A against the output B to C': the
    loss Keras computes is the mean of the squared differences over shape C."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=(4, *target)).astype("float32")
    p = rng.normal(size=(4, *output)).astype("float32")
    report = diagnose(_head(output)(), np.zeros((4, 3, 2), dtype="float32"), y, "mse")
    why = report[0].why if not report.ok else ""
    loss = float(keras.losses.MeanSquaredError()(y, p))
    assert "raises no error: it broadcasts targets" in why, str(report)
    tail = why.split("broadcasts targets ")[1]
    ys, ps, shape = (ast.literal_eval(text) for text in
                     re.findall(r"\([0-9, None]*\)", tail)[:3])
    y_lined, p_lined = y.reshape(ys), p.reshape(ps)  # the squeeze Keras did first
    assert np.broadcast_shapes(y_lined.shape, p_lined.shape) == shape
    assert abs(loss - np.mean((y_lined - p_lined) ** 2)) < 1e-5


def test_dropped_mask_comes_with_only_a_warning_as_said():
    make = CASES["mask-into-flatten"][0]
    with pytest.warns(UserWarning, match="does not support masking"):
        model = make()
    report = diagnose(model)
    assert report.checks == ("mask-dropped",) and "only a warning" in report[0].why


# ---------------------------------------------------------------- forecast heads

# (timesteps the LSTM reads, target shape after the batch, loss, units of the Dense head)
FORECASTS = [(12, (3, 2), "mse", 6), (12, (3, 2), "mse", 2), (10, (4,), "mse", 1),
             (8, (3,), "sparse_categorical_crossentropy", 5)]


@pytest.mark.parametrize(("steps", "target", "loss", "units"), FORECASTS, ids=str)
def test_a_forecast_of_fewer_steps_gets_a_head_that_fits_not_return_sequences(
        steps, target, loss, units):
    """Targets of 3 steps after 12 input steps: return_sequences=True would give 12
    predictions, so diagnose names a Dense (+ Reshape) head; that head, built as the fix
    says, evaluates with these targets, and the return_sequences=True model does not."""
    x = np.zeros((4, steps, 2), dtype="float32")
    y = np.zeros((4, *target), dtype="float32")

    def model(*head, return_sequences=False):
        keras.backend.clear_session()
        made = keras.Sequential([keras.Input((steps, 2)),
                                 L.LSTM(4, return_sequences=return_sequences, name="rnn"),
                                 *head])
        made.compile("sgd", loss)
        return made

    report = diagnose(model(L.Dense(units, name="head")), x, y, loss)
    assert report.checks == ("time-axis-in-targets",), str(report)
    fix = report[0].fix
    assert f"reads {steps} timesteps but the targets hold {target[0]}" in fix
    dense = int(re.search(r"Dense\((\d+)\)", fix).group(1))
    head = [L.Dense(dense)]
    if reshape := re.search(r"Reshape\(\((\d+), (\d+)\)\)", fix):
        head.append(L.Reshape(tuple(int(size) for size in reshape.groups())))
    if "softmax" in fix:
        head.append(L.Softmax())
    fixed = model(*head)
    assert _outcome(lambda: fixed.evaluate(x, y, verbose=0))[0] == "runs"
    assert diagnose(fixed, x, y, loss).ok
    old_advice = model(L.Dense(units), return_sequences=True)
    assert _outcome(lambda: old_advice.evaluate(x, y, verbose=0))[0] == "raises"


def test_a_stack_spec_forecast_gets_the_same_head():
    specs = [{"layer": "LSTM", "units": 4}, {"layer": "Dense", "units": 6}]
    report = diagnose(specs, y=np.zeros((4, 3, 2)), loss="mse", input_shape=(12, 2))
    assert "end the model with Dense(6) and Reshape((3, 2))" in report[0].fix


@pytest.mark.parametrize("layer", ["return_state", "merge_mode=None"])
@pytest.mark.parametrize("built", [True, False], ids=["built", "unbuilt"])
def test_a_tuple_returning_last_layer_of_sequential_is_no_problem(layer, built):
    """Only a layer after it receives the tuple: as the last layer, Keras builds the
    model and predict returns the tuple, so diagnose reports nothing."""
    keras.backend.clear_session()
    last = (L.LSTM(3, return_state=True) if layer == "return_state"
            else L.Bidirectional(L.LSTM(3), merge_mode=None))
    model = keras.Sequential([keras.Input((5, 2)), last] if built else [last])
    x = np.zeros((4, 5, 2), dtype="float32")
    assert diagnose(model, x).ok
    got, result = _outcome(lambda: model.predict(x, verbose=0))
    assert got == "runs" and isinstance(result, tuple), result


# ---------------------------------------------------------------- models built from cells

CELL_LAYERS = {
    "RNN(LSTMCell)": lambda **flags: L.RNN(L.LSTMCell(4), **flags),
    "RNN([LSTMCell, GRUCell])": lambda **flags: L.RNN([L.LSTMCell(4), L.GRUCell(3)], **flags),
    "RNN(StackedRNNCells)": lambda **flags: L.RNN(
        L.StackedRNNCells([L.SimpleRNNCell(4), L.LSTMCell(3)]), **flags),
}


@pytest.mark.parametrize("cell", CELL_LAYERS)
def test_diagnose_reads_a_recurrent_layer_built_from_cells_as_keras_runs_it(cell):
    """The same findings as for LSTM/GRU/SimpleRNN, each run-time claim run in Keras: a
    time axis the targets lack, a 2-D array, the bidirectional [:, -1] slice; and a
    clean model whose fit, evaluate and predict run."""
    layer = CELL_LAYERS[cell]
    x, y = np.zeros((4, 10, 3), dtype="float32"), np.zeros((4, 1), dtype="float32")

    def model(*head, **flags):
        return lambda: keras.Sequential([keras.Input((10, 3)), layer(**flags), *head])

    sequence = _check_claims(model(L.Dense(1), return_sequences=True), x, y, "mse")
    assert sequence.checks == ("time-axis-in-output",), str(sequence)
    assert _check_claims(model(L.Dense(1)), x, y, "mse").ok
    two_d = _check_claims(model(L.Dense(1)), np.zeros((4, 10), dtype="float32"))
    assert two_d.checks == ("input-shape",), str(two_d)

    def sliced():
        inputs = keras.Input((6, 2))
        both = L.Bidirectional(layer(return_sequences=True))(inputs)
        return keras.Model(inputs, L.Dense(1)(both[:, -1]))

    assert diagnose(sliced()).checks == ("bidirectional-last-step",)
