"""companion.diagnose: each check against a broken and a fixed model, Keras's loss rules,
no false positive on the book's models, and clear errors for bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import companion
from companion.diagnose import CHECKS, Diagnosis, Finding, ModelFileError, diagnose
from companion.diagnose._targets import (
    ELEMENTWISE,
    SPARSE,
    STRICT,
    check_targets,
    loss_name,
    outcome,
)

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- pure Python


def test_importing_the_module_loads_no_heavy_library():
    code = ("import json, sys, companion.diagnose, companion; "
            "companion.diagnose([{'layer': 'LSTM', 'units': 2}], input_shape=(3, 4)); "
            "print(json.dumps([m for m in ('tensorflow', 'keras', 'matplotlib') "
            "if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120).stdout
    assert json.loads(out) == []


def test_companion_diagnose_stays_callable_after_its_module_is_imported():
    code = ("import companion.diagnose, companion; "
            "r = companion.diagnose([{'layer': 'GRU', 'units': 2}], input_shape=(3, 4)); "
            "print(r.ok)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120).stdout
    assert out.strip() == "True"


def test_every_check_has_a_problem_text():
    assert all(isinstance(text, str) and text for text in CHECKS.values())
    assert Finding("mask-dropped", "x", "a", "b", "c").problem == "mask dropped"


@pytest.mark.parametrize(("loss", "name"), [
    ("mse", "mean_squared_error"), ("MAE", "mean_absolute_error"),
    ("binary_crossentropy", "binary_crossentropy"), (None, None),
    ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
])
def test_loss_names_are_canonical(loss, name):
    assert loss_name(loss) == name


def test_loss_name_rejects_a_number():
    with pytest.raises(TypeError, match="expected loss to be a string such as 'mse'"):
        loss_name(3)


# (loss, targets, output) -> what Keras does; each row is cross-checked against Keras below.
OUTCOMES = [
    ("mean_squared_error", (8, 1), (None, 1), "ok"),
    ("mean_squared_error", (8,), (None, 1), "ok"),
    ("mean_squared_error", (8, 10), (None, 10, 1), "ok"),
    ("mean_squared_error", (8, 1), (None, 10, 1), "broadcasts"),
    ("mean_squared_error", (8,), (None, 10, 1), "broadcasts"),
    ("mean_squared_error", (8, 10, 1), (None, 1), "broadcasts"),
    ("mean_squared_error", (8, 3), (None, 2), "fails"),
    ("mean_absolute_error", (8, 1), (None, 10, 1), "broadcasts"),
    ("huber", (8, 5), (None, 10, 1), "fails"),
    ("binary_crossentropy", (8, 1), (None, 10, 1), "fails"),
    ("binary_crossentropy", (8,), (None, 10, 1), "fails"),
    ("binary_crossentropy", (8,), (None, 1), "ok"),
    ("binary_crossentropy", (8, 10, 1), (None, 10, 1), "ok"),
    ("categorical_crossentropy", (8, 3), (None, 10, 3), "fails"),
    ("categorical_crossentropy", (8, 10, 3), (None, 10, 3), "ok"),
    ("sparse_categorical_crossentropy", (8, 1), (None, 10, 2), "fails"),
    ("sparse_categorical_crossentropy", (8, 5), (None, 6, 13), "fails"),
    ("sparse_categorical_crossentropy", (8, 5), (None, 5, 13), "ok"),
    ("sparse_categorical_crossentropy", (8, 5, 1), (None, 5, 13), "ok"),
    ("sparse_categorical_crossentropy", (8,), (None, 4), "ok"),
]
ROW_IDS = [f"{loss}-{y}-{p}" for loss, y, p, _ in OUTCOMES]


@pytest.mark.parametrize(("loss", "y", "p", "expected"), OUTCOMES, ids=ROW_IDS)
def test_outcome_follows_keras_loss_rules(loss, y, p, expected):
    assert outcome(loss, y, p)[0] == expected


@pytest.mark.keras
@pytest.mark.parametrize(("loss", "y", "p", "expected"), OUTCOMES, ids=ROW_IDS)
def test_outcome_agrees_with_keras(loss, y, p, expected):
    import keras

    classes = {"mean_squared_error": keras.losses.MeanSquaredError,
               "mean_absolute_error": keras.losses.MeanAbsoluteError,
               "huber": keras.losses.Huber,
               "binary_crossentropy": keras.losses.BinaryCrossentropy,
               "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
               "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy}
    rng = np.random.default_rng(0)
    concrete = tuple(y[0] if size is None else size for size in p)
    predictions = rng.uniform(0.1, 0.9, size=concrete).astype("float32")
    targets = rng.integers(0, 2, size=y).astype("float32")
    try:
        classes[loss]()(targets, predictions)
        keras_says = "ok or broadcasts"
    except Exception:  # ValueError from the loss, or TensorFlow's InvalidArgumentError
        keras_says = "fails"
    assert (expected == "fails") == (keras_says == "fails")


@given(st.lists(st.integers(1, 5), min_size=1, max_size=3),
       st.sampled_from(ELEMENTWISE + STRICT))
def test_targets_shaped_like_the_output_are_always_ok(dims, loss):
    output = (None, *dims)
    assert outcome(loss, (7, *dims), output)[0] == "ok"


@given(st.lists(st.integers(1, 5), min_size=0, max_size=2), st.integers(2, 5),
       st.sampled_from(SPARSE))
def test_sparse_targets_without_the_class_axis_are_ok(dims, classes, loss):
    # With one class (a last axis of size 1) Keras first squeezes the output: the grid
    # test below covers that case against Keras.
    assert outcome(loss, (7, *dims), (None, *dims, classes))[0] == "ok"


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_elementwise_broadcast_shape_is_numpys(y_dims, p_dims):
    y, p = (3, *y_dims), (3, *p_dims)
    verdict, shape = outcome("mean_squared_error", y, p)
    from companion.diagnose._targets import _squeeze_or_expand
    ys, ps = _squeeze_or_expand(y, p)
    try:
        numpy_shape = np.broadcast_shapes(ys, ps)
    except ValueError:
        numpy_shape = None
    if verdict == "broadcasts":
        assert shape == numpy_shape
    elif verdict == "fails":
        assert numpy_shape is None
    else:
        assert ys == ps


def test_check_targets_names_the_layer_that_keeps_the_time_axis():
    [finding] = check_targets((None, 10, 1), (256, 1), "mean_squared_error",
                              head="'head' (Dense)", sequence_layer="'lstm' (LSTM)",
                              vector_layer=None)
    assert finding.check == "time-axis-in-output"
    assert finding.layer == "'lstm' (LSTM)"
    assert "return_sequences=False on 'lstm' (LSTM)" in finding.fix
    assert "the same target for every timestep" in finding.why


def test_check_targets_says_flat_targets_mix_the_batch():
    [finding] = check_targets((None, 10, 1), (256,), "mean_squared_error",
                              head="h", sequence_layer="s", vector_layer=None)
    assert "(256, 10, 256)" in finding.why
    assert "depends on the batch size" in finding.why


def test_check_targets_without_a_loss_says_it_may_fail_or_broadcast():
    [finding] = check_targets((None, 3), (8, 4), None, head="'head' (Dense)",
                              sequence_layer=None, vector_layer=None)
    assert finding.check == "target-shape"
    assert "either raises an error or silently broadcasts" in finding.why


def test_clean_report_prints_no_problems():
    report = Diagnosis((), checked="model (1 layers)")
    assert report.ok and len(report) == 0 and report.checks == ()
    assert str(report).endswith("No problems found.")


def test_report_prints_a_table_and_each_finding():
    finding = Finding("mask-dropped", "'flat' (Flatten)", "saw it", "because", "do this")
    report = Diagnosis((finding,), checked="model")
    text = str(report)
    assert not report.ok and list(report) == [finding] and report[0] is finding
    assert "1  'flat' (Flatten)  mask dropped" in text
    assert "   fix: do this" in text and "1 problem found." in text


# ---------------------------------------------------------------- stack specs


def test_stack_spec_recurrent_layer_without_time_axis():
    broken = diagnose([{"layer": "LSTM", "units": 8}, {"layer": "LSTM", "units": 8}],
                      input_shape=(10, 3))
    assert broken.checks == ("no-time-axis",)
    assert broken[0].layer == "layer 2 (LSTM)"
    fixed = diagnose([{"layer": "LSTM", "units": 8, "return_sequences": True},
                      {"layer": "LSTM", "units": 8}], input_shape=(10, 3))
    assert fixed.ok


def test_stack_spec_dense_into_recurrent_layer_suggests_repeat_vector():
    report = diagnose([{"layer": "LSTM", "units": 8}, {"layer": "Dense", "units": 4},
                       {"layer": "LSTM", "units": 8}], input_shape=(10, 3))
    assert report.checks == ("no-time-axis",)
    assert "RepeatVector" in report[0].fix


def test_stack_spec_takes_its_input_shape_from_x_and_checks_targets():
    x, y = np.zeros((16, 10, 3)), np.zeros((16, 1))
    stack = [{"layer": "GRU", "units": 4, "return_sequences": True},
             {"layer": "Dense", "units": 1}]
    report = diagnose(stack, x, y, "mse")
    assert report.checks == ("time-axis-in-output",)
    assert report[0].layer == "layer 1 (GRU)"
    stack[0]["return_sequences"] = False
    assert diagnose(stack, x, y, "mse").ok


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    ((b"model",), {}, TypeError, "expected a Keras model or a list of layer specs"),
    (("model",), {}, ModelFileError, "model: no such file"),
    ((42,), {}, TypeError, "expected a Keras model"),
    (([{"layer": "LSTM", "units": 2}],), {}, ValueError, "needs its input shape"),
    (([{"layer": "LSTM", "units": 2}], [1, 2]), {}, TypeError, "expected x to be an array"),
    (([{"layer": "LSTM", "units": 2}], np.zeros((4, 3, 2)), np.zeros((5, 1))), {},
     ValueError, "same number of samples"),
    (([{"layer": "LSTM", "units": 2}], None, "abc"), {"input_shape": (3, 2)}, TypeError,
     "expected y to be an array"),
    (([{"layer": "LSTM", "units": 2}], None, np.zeros((4, 2)), 7), {"input_shape": (3, 2)},
     TypeError, "expected loss"),
    (([{"layer": "LSTM", "units": 2}],), {"input_shape": (3,)}, ValueError,
     "expected input_shape"),
])
def test_bad_arguments_get_a_clear_error(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        diagnose(*args, **kwargs)


# ---------------------------------------------------------------- Keras models


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _seq(keras, input_shape, *layers, batch_size=None):
    return keras.Sequential([keras.Input(shape=input_shape, batch_size=batch_size), *layers])


@pytest.mark.keras
def test_keras_layer_instead_of_model_suggests_sequential(keras):
    with pytest.raises(TypeError, match="wrap the layer in keras.Sequential"):
        diagnose(keras.layers.LSTM(2))


@pytest.mark.keras
def test_input_shape_with_a_keras_model_is_refused(keras):
    model = _seq(keras, (3, 2), keras.layers.LSTM(2))
    with pytest.raises(ValueError, match="input_shape is only for a stack spec"):
        diagnose(model, input_shape=(3, 2))


@pytest.mark.keras
def test_two_d_array_into_a_model_without_input(keras):
    broken = keras.Sequential([keras.layers.LSTM(4, name="lstm"),
                               keras.layers.Dense(1, name="head")])
    report = diagnose(broken, np.zeros((8, 24)))
    assert report.checks == ("input-shape",)
    assert report[0].layer == "'lstm' (LSTM)" and "x[..., None]" in report[0].fix
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        broken.predict(np.zeros((8, 24)), verbose=0)
    fixed = _seq(keras, (24, 1), keras.layers.LSTM(4, name="lstm"))
    assert diagnose(fixed, np.zeros((8, 24, 1))).ok


@pytest.mark.keras
def test_missing_features_axis_of_size_one_is_reported_for_a_built_model(keras):
    model = _seq(keras, (24, 1), keras.layers.LSTM(4, name="lstm"))
    model.predict(np.zeros((8, 24, 1)), verbose=0)
    with pytest.raises(ValueError, match="unknown rank"):
        model.predict(np.zeros((8, 24)), verbose=0)
    report = diagnose(model, np.zeros((8, 24)))
    assert report.checks == ("input-shape",) and "x[..., None]" in report[0].fix
    assert diagnose(model, np.zeros((8, 24, 1))).ok


@pytest.mark.keras
def test_wrong_number_of_features_is_reported(keras):
    model = _seq(keras, (24, 3), keras.layers.LSTM(4, name="lstm"))
    report = diagnose(model, np.zeros((8, 24, 2)))
    assert report.checks == ("input-shape",)
    assert "reshape x to (8, 24, 3)" in report[0].fix  # the array's batch, not None


@pytest.mark.keras
@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_time_axis_left_in_the_output(keras, loss):
    def model(sequences):
        return _seq(keras, (10, 4), keras.layers.LSTM(4, return_sequences=sequences,
                                                      name="lstm"),
                    keras.layers.Dense(1, activation="sigmoid", name="head"))
    x, y = np.zeros((8, 10, 4)), np.zeros((8, 1))
    broken = diagnose(model(True), x, y, loss)
    assert broken.checks == ("time-axis-in-output",)
    assert broken[0].layer == "'lstm' (LSTM)"
    assert diagnose(model(False), x, y, loss).ok


@pytest.mark.keras
def test_compiled_loss_is_used_when_loss_is_none(keras):
    model = _seq(keras, (10, 4), keras.layers.LSTM(4, return_sequences=True, name="lstm"),
                 keras.layers.Dense(1, name="head"))
    model.compile(loss=keras.losses.MeanSquaredError())
    report = diagnose(model, y=np.zeros((8, 1)))
    assert "mean_squared_error raises no error" in report[0].why


@pytest.mark.keras
def test_targets_with_a_time_axis_and_an_output_without(keras):
    def model(sequences):
        return _seq(keras, (10, 4), keras.layers.GRU(4, return_sequences=sequences,
                                                     name="gru"),
                    keras.layers.Dense(1, name="head"))
    y = np.zeros((8, 10, 1))
    broken = diagnose(model(False), y=y, loss="mse")
    assert broken.checks == ("time-axis-in-targets",)
    assert "return_sequences=True on 'gru' (GRU)" in broken[0].fix
    assert diagnose(model(True), y=y, loss="mse").ok


@pytest.mark.keras
def test_sparse_targets_of_another_length(keras):
    model = _seq(keras, (6,), keras.layers.Embedding(20, 4, name="embedding"),
                 keras.layers.LSTM(4, return_sequences=True, name="lstm"),
                 keras.layers.Dense(13, activation="softmax", name="head"))
    report = diagnose(model, y=np.zeros((8, 5)), loss="sparse_categorical_crossentropy")
    assert report.checks == ("target-shape",)
    assert "(8, 6)" in report[0].fix


def _bidirectional(keras, merge_mode, pick):
    inputs = keras.Input(shape=(10, 4))
    both = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True),
                                      merge_mode=merge_mode, name="bi")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(pick(keras, both)))


@pytest.mark.keras
@pytest.mark.parametrize(("merge_mode", "pick", "found"), [
    ("concat", lambda k, b: b[:, -1], True),
    ("sum", lambda k, b: b[:, 9], True),
    ("concat", lambda k, b: b[:, 0], True),
    (None, lambda k, b: k.layers.Concatenate()([b[0][:, -1], b[1][:, -1]]), True),
    (None, lambda k, b: k.layers.Concatenate()([b[0][:, -1], b[1][:, 0]]), False),
    ("concat", lambda k, b: k.layers.GlobalAveragePooling1D()(b), False),
], ids=["concat-last", "sum-last-by-index", "concat-first", "none-both-last",
        "none-forward-last-backward-first", "pooling"])
def test_final_step_slice_of_bidirectional_sequence(keras, merge_mode, pick, found):
    report = diagnose(_bidirectional(keras, merge_mode, pick))
    assert report.checks == (("bidirectional-last-step",) if found else ())


@pytest.mark.keras
def test_fixed_bidirectional_returns_final_states(keras):
    model = _seq(keras, (10, 4), keras.layers.Bidirectional(keras.layers.LSTM(4), name="bi"),
                 keras.layers.Dense(1, name="head"))
    assert diagnose(model).ok


@pytest.mark.keras
@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")
@pytest.mark.parametrize(("reduce", "found"), [
    (lambda k: k.layers.Flatten(name="flat"), True),
    (lambda k: k.layers.GlobalMaxPooling1D(name="pool"), True),
    (lambda k: k.layers.GlobalAveragePooling1D(name="pool"), False),
    (lambda k: k.layers.LSTM(4, name="lstm"), False),
], ids=["flatten", "global-max", "global-average", "lstm"])
def test_mask_dropped_before_the_layer_that_needs_it(keras, reduce, found):
    model = _seq(keras, (10,), keras.layers.Embedding(20, 4, mask_zero=True, name="emb"),
                 reduce(keras), keras.layers.Dense(1, name="head"))
    report = diagnose(model)
    assert report.checks == (("mask-dropped",) if found else ())
    if found:
        assert "'emb' (Embedding)" in report[0].saw


@pytest.mark.keras
def test_stateful_layer_without_fixed_batch_size(keras):
    broken = keras.Sequential([keras.layers.LSTM(4, stateful=True, name="lstm"),
                               keras.layers.Dense(1, name="head")])
    assert diagnose(broken).checks == ("stateful-batch",)
    with pytest.raises(ValueError, match="batch size must be static"):
        keras.Sequential([keras.Input(shape=(10, 1)),
                          keras.layers.LSTM(4, stateful=True, name="lstm")])
    fixed = _seq(keras, (10, 1), keras.layers.LSTM(4, stateful=True, name="lstm"),
                 keras.layers.Dense(1, name="head"), batch_size=8)
    assert diagnose(fixed, np.zeros((32, 10, 1))).ok
    assert diagnose(fixed, np.zeros((30, 10, 1))).checks == ("stateful-remainder",)


@pytest.mark.keras
def test_state_returning_layer_inside_sequential(keras):
    broken = keras.Sequential([keras.layers.LSTM(4, return_state=True, name="lstm"),
                               keras.layers.Dense(1, name="head")])
    assert diagnose(broken).checks == ("return-state-in-sequential",)
    assert "followed by 'head' (Dense)" in diagnose(broken)[0].saw
    inputs = keras.Input(shape=(10, 2))
    output, _, _ = keras.layers.LSTM(4, return_state=True, name="lstm")(inputs)
    assert diagnose(keras.Model(inputs, keras.layers.Dense(1)(output))).ok


# ---------------------------------------------------------------- the book's models


def _book_models(keras):  # noqa: PLR0915 - one catalogue, read top to bottom
    """(name, model, x, y, loss) for every correct model the book builds."""
    L = keras.layers
    models = []

    def add(name, model, x=None, y=None, loss=None):
        models.append((name, model, x, y, loss))

    # input-shapes
    add("input-shapes: any length", _seq(keras, (None, 3), L.LSTM(4)),
        np.zeros((2, 7, 3)))
    add("input-shapes: fixed", _seq(keras, (24, 1), L.LSTM(8)), np.zeros((4, 24, 1)))
    # last-hidden-state
    add("last-hidden-state: sequence to one", _seq(keras, (10, 8), L.LSTM(64), L.Dense(1)),
        np.zeros((4, 10, 8)), np.zeros((4, 1)), "mse")
    # every-hidden-state
    add("every-hidden-state: every step", _seq(keras, (10, 8), L.LSTM(64, return_sequences=True),
                                               L.Dense(3)))
    tagger = _seq(keras, (20, 1), L.LSTM(16, return_sequences=True, name="lstm"),
                  L.Dense(1, activation="sigmoid"))
    add("every-hidden-state: tagger", tagger, np.zeros((4, 20, 1)), np.zeros((4, 20, 1)),
        "binary_crossentropy")
    add("every-hidden-state: states model",
        keras.Model(tagger.inputs, tagger.get_layer("lstm").output))
    # stacking
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = keras.Sequential([L.LSTM(64, return_sequences=True, input_shape=(10, 32)),
                                     L.LSTM(64), L.Dense(1)])
    add("stacking: the document's model", document)
    for layer in (L.LSTM, L.GRU, L.SimpleRNN):
        add(f"stacking: {layer.__name__}", _seq(keras, (10, 32),
                                                layer(64, return_sequences=True),
                                                layer(64), L.Dense(1)))
    add("stacking: three deep", _seq(keras, (10, 32), L.LSTM(32, return_sequences=True),
                                     L.LSTM(32, return_sequences=True), L.LSTM(16),
                                     L.Dense(1)))
    add("stacking: classifier", _seq(keras, (10, 4), L.LSTM(16, return_sequences=True),
                                     L.LSTM(16), L.Dense(1, activation="sigmoid")),
        np.zeros((8, 10, 4)), np.zeros((8,)), "binary_crossentropy")
    # sequence-to-sequence
    add("seq2seq: forecaster", _seq(keras, (20, 1), L.LSTM(16, return_sequences=True),
                                    L.Dense(1)),
        np.zeros((4, 20, 1)), np.zeros((4, 20, 1)), "mse")
    add("seq2seq: repeat vector", _seq(keras, (6,), L.Embedding(40, 16, mask_zero=True),
                                       L.LSTM(64), L.RepeatVector(5),
                                       L.LSTM(64, return_sequences=True),
                                       L.Dense(13, activation="softmax")),
        np.zeros((4, 6)), np.zeros((4, 5)), "sparse_categorical_crossentropy")
    source = keras.Input(shape=(6,))
    source_vectors = L.Embedding(40, 16, mask_zero=True)(source)
    _, state_h, state_c = L.LSTM(64, return_state=True)(source_vectors)
    target = keras.Input(shape=(5,))
    decoder_lstm = L.LSTM(64, return_sequences=True, return_state=True)
    decoder_embedding, head = L.Embedding(13, 16), L.Dense(13, activation="softmax")
    decoder_sequence, _, _ = decoder_lstm(decoder_embedding(target),
                                          initial_state=[state_h, state_c])
    add("seq2seq: encoder-decoder with states",
        keras.Model([source, target], head(decoder_sequence)),
        [np.zeros((4, 6)), np.zeros((4, 5))], np.zeros((4, 5)),
        "sparse_categorical_crossentropy")
    add("seq2seq: encoder for inference", keras.Model(source, [state_h, state_c]))
    token, h_in, c_in = keras.Input(shape=(1,)), keras.Input(shape=(64,)), keras.Input(
        shape=(64,))
    step, h_out, c_out = decoder_lstm(decoder_embedding(token), initial_state=[h_in, c_in])
    add("seq2seq: decoder step", keras.Model([token, h_in, c_in], [head(step), h_out, c_out]))
    source_steps, _, _ = L.LSTM(64, return_sequences=True, return_state=True)(source_vectors)
    context = L.Attention()([decoder_sequence, source_steps])
    add("seq2seq: attention", keras.Model([source, target], head(context)))
    # choosing-return-sequences
    add("choosing: translator", _translator(keras))
    add("choosing: per step", _seq(keras, (10, 8), L.LSTM(8, return_sequences=True),
                                   L.Dense(1)),
        np.zeros((4, 10, 8)), np.zeros((4, 10)), "mse")
    add("choosing: forecaster", _seq(keras, (20, 1), L.LSTM(16), L.Dense(1)),
        np.zeros((4, 20, 1)), np.zeros((4, 1)), "mse")
    add("choosing: classifier", _seq(keras, (10, 8), L.LSTM(16),
                                     L.Dense(1, activation="sigmoid")),
        np.zeros((4, 10, 8)), np.zeros((4, 1)), "binary_crossentropy")
    # Part II: return-state, bidirectional, masking, stateful, output patterns
    inputs = keras.Input(shape=(10, 4))
    output, state = L.GRU(8, return_state=True)(inputs)
    add("return-state: GRU output and state", keras.Model(inputs, [output, state]))
    for merge in ("concat", "sum", "ave", "mul"):
        add(f"bidirectional: {merge}", _seq(keras, (10, 4),
                                            L.Bidirectional(L.LSTM(8), merge_mode=merge),
                                            L.Dense(1)),
            np.zeros((4, 10, 4)), np.zeros((4, 1)), "mse")
    add("bidirectional: stacked", _seq(keras, (10, 4),
                                       L.Bidirectional(L.GRU(8, return_sequences=True)),
                                       L.Bidirectional(L.GRU(8)), L.Dense(1)))
    add("bidirectional: tagger", _seq(keras, (10, 4),
                                      L.Bidirectional(L.LSTM(8, return_sequences=True)),
                                      L.TimeDistributed(L.Dense(3, activation="softmax"))),
        np.zeros((4, 10, 4)), np.zeros((4, 10)), "sparse_categorical_crossentropy")
    inputs = keras.Input(shape=(10, 4))
    forward, backward = L.Bidirectional(L.LSTM(8, return_sequences=True),
                                        merge_mode=None)(inputs)
    add("bidirectional: merge None, ends of each direction",
        keras.Model(inputs, L.Concatenate()([forward[:, -1], backward[:, 0]])))
    inputs = keras.Input(shape=(10, 4))
    outputs = L.Bidirectional(L.LSTM(8, return_state=True))(inputs)
    add("bidirectional: with states", keras.Model(inputs, outputs))
    add("masking: Masking layer", _seq(keras, (10, 3), L.Masking(0.0), L.LSTM(8),
                                       L.Dense(1)),
        np.zeros((4, 10, 3)), np.zeros((4, 1)), "mse")
    add("masking: tagger", _seq(keras, (12,), L.Embedding(30, 8, mask_zero=True),
                                L.LSTM(8, return_sequences=True),
                                L.TimeDistributed(L.Dense(5, activation="softmax"))),
        np.zeros((4, 12)), np.zeros((4, 12)), "sparse_categorical_crossentropy")
    add("masking: bidirectional", _seq(keras, (12,), L.Embedding(30, 8, mask_zero=True),
                                       L.Bidirectional(L.GRU(8)), L.Dense(1)))
    add("masking: pooling", _seq(keras, (12,), L.Embedding(30, 8, mask_zero=True),
                                 L.LSTM(8, return_sequences=True),
                                 L.GlobalAveragePooling1D(), L.Dropout(0.2), L.Dense(1)))
    add("stateful: fixed batch", _seq(keras, (5, 1), L.LSTM(8, stateful=True), L.Dense(1),
                                      batch_size=4),
        np.zeros((16, 5, 1)), np.zeros((16, 1)), "mse")
    add("stateful: stacked GRU", _seq(keras, (5, 1),
                                      L.GRU(8, stateful=True, return_sequences=True),
                                      L.GRU(8, stateful=True), L.Dense(1), batch_size=2))
    add("output patterns: many to one pooling", _seq(keras, (10, 4),
                                                     L.LSTM(8, return_sequences=True),
                                                     L.GlobalMaxPooling1D(), L.Dense(2)),
        np.zeros((4, 10, 4)), np.zeros((4, 2)), "mse")
    add("output patterns: one to many", _seq(keras, (4,), L.RepeatVector(6),
                                             L.GRU(8, return_sequences=True),
                                             L.TimeDistributed(L.Dense(1))),
        np.zeros((4, 4)), np.zeros((4, 6, 1)), "mse")
    inputs = keras.Input(shape=(10, 4))
    encoded, state = L.GRU(8, return_state=True)(inputs)
    decoded = L.GRU(8, return_sequences=True)(L.RepeatVector(3)(encoded),
                                              initial_state=state)
    add("output patterns: encoder-decoder GRU", keras.Model(inputs, L.Dense(1)(decoded)),
        np.zeros((4, 10, 4)), np.zeros((4, 3, 1)), "mse")
    return models


def _translator(keras):
    source = keras.Input(shape=(10, 8))
    target = keras.Input(shape=(12, 8))
    _, state_h, state_c = keras.layers.LSTM(16, return_state=True)(source)
    decoded = keras.layers.LSTM(16, return_sequences=True)(target,
                                                           initial_state=[state_h, state_c])
    scores = keras.layers.Dense(100, activation="softmax")(decoded)
    return keras.Model([source, target], scores)


@pytest.mark.keras
@pytest.mark.slow
def test_no_false_positive_on_the_books_models(keras):
    keras.backend.clear_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalogue = _book_models(keras)
    found = {name: diagnose(model, x, y, loss).checks
             for name, model, x, y, loss in catalogue}
    assert {name: checks for name, checks in found.items() if checks} == {}
    assert len(catalogue) >= 40


def test_diagnose_is_exported():
    assert "diagnose" in companion.__all__
