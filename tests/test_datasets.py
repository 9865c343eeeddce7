"""Tests for companion.datasets: shapes, dtypes, seeding, target rules and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.datasets import (
    make_forecasting_windows,
    make_per_timestep_labels,
    make_sequence_classification,
    make_sequence_regression,
    make_sine_series,
)

sizes = st.integers(min_value=1, max_value=12)
seeds = st.integers(min_value=0, max_value=2**32 - 1)

#: Each generator with small arguments, to run the shared checks on all of them.
GENERATORS = {
    "regression": lambda seed: make_sequence_regression(16, 5, 3, seed=seed),
    "classification": lambda seed: make_sequence_classification(16, 5, 3, seed=seed),
    "per_timestep": lambda seed: make_per_timestep_labels(16, 5, seed=seed),
    "sine": lambda seed: (make_sine_series(50, seed=seed),),
}


def arrays(result):
    return result if isinstance(result, tuple) else (result,)


# --- shapes and dtypes ------------------------------------------------------------------


@given(n=sizes, steps=sizes, features=sizes)
def test_regression_shapes_and_dtypes(n, steps, features):
    x, y = make_sequence_regression(n, steps, features)
    assert (x.shape, x.dtype) == ((n, steps, features), np.float32)
    assert (y.shape, y.dtype) == ((n, 1), np.float32)


@given(n=sizes, steps=sizes, features=sizes)
def test_classification_shapes_and_dtypes(n, steps, features):
    x, y = make_sequence_classification(n, steps, features)
    assert (x.shape, x.dtype) == ((n, steps, features), np.float32)
    assert (y.shape, y.dtype) == ((n,), np.int32)


@given(n=sizes, steps=sizes)
def test_per_timestep_shapes_and_dtypes(n, steps):
    x, y = make_per_timestep_labels(n, steps)
    assert (x.shape, x.dtype) == ((n, steps, 1), np.float32)
    assert (y.shape, y.dtype) == ((n, steps, 1), np.float32)


@given(n_steps=st.integers(1, 300))
def test_sine_series_shape_and_dtype(n_steps):
    series = make_sine_series(n_steps)
    assert (series.shape, series.dtype) == ((n_steps,), np.float32)


@given(length=st.integers(2, 60), window=st.integers(1, 30), horizon=st.integers(1, 5))
def test_forecasting_windows_count_and_shapes(length, window, horizon):
    series = np.arange(length, dtype=np.float64)
    if length - window - horizon + 1 >= 1:
        x, y = make_forecasting_windows(series, window, horizon=horizon)
        n = length - window - horizon + 1
        assert (x.shape, y.shape) == ((n, window, 1), (n, horizon))
        assert x.dtype == y.dtype == np.float32
    if length - window >= 1:
        x, y = make_forecasting_windows(series, window, per_step=True)
        n = length - window
        assert (x.shape, y.shape) == ((n, window, 1), (n, window, 1))


def test_defaults_match_the_documented_sizes():
    assert make_sequence_regression()[0].shape == (1024, 10, 8)
    assert make_sequence_classification()[0].shape == (1024, 10, 4)
    assert make_per_timestep_labels()[0].shape == (512, 20, 1)
    assert make_sine_series().shape == (1000,)


# --- seeding ----------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS.values(), ids=GENERATORS.keys())
def test_same_seed_gives_equal_arrays(make):
    for first, second in zip(arrays(make(7)), arrays(make(7)), strict=True):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("make", GENERATORS.values(), ids=GENERATORS.keys())
def test_different_seeds_give_different_inputs(make):
    assert not np.array_equal(arrays(make(1))[0], arrays(make(2))[0])


@pytest.mark.parametrize("make", GENERATORS.values(), ids=GENERATORS.keys())
def test_global_numpy_random_state_is_untouched(make):
    before = np.random.get_state()  # noqa: NPY002 (the legacy global state is the point)
    make(0)
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0] and np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


# --- targets follow their rule ----------------------------------------------------------


@given(seed=seeds)
def test_regression_target_is_mean_over_time_of_feature_zero(seed):
    x, y = make_sequence_regression(8, 6, 3, seed=seed)
    for i in range(len(x)):
        expected = sum(float(value) for value in x[i, :, 0]) / x.shape[1]
        assert math.isclose(float(y[i, 0]), expected, abs_tol=1e-5)


@given(seed=seeds)
def test_classification_label_is_one_where_feature_zero_sums_positive(seed):
    x, y = make_sequence_classification(8, 6, 3, seed=seed)
    expected = [int(sum(float(value) for value in sample[:, 0]) > 0) for sample in x]
    assert y.tolist() == expected


def test_classification_classes_are_roughly_balanced():
    _, y = make_sequence_classification(2000)
    assert 0.4 < y.mean() < 0.6


@given(seed=seeds)
def test_per_timestep_inputs_are_plus_or_minus_one(seed):
    x, _ = make_per_timestep_labels(8, 10, seed=seed)
    assert set(np.unique(x).tolist()) <= {-1.0, 1.0}


@given(seed=seeds)
def test_per_timestep_label_is_running_sum_positive(seed):
    x, y = make_per_timestep_labels(6, 9, seed=seed)
    for i in range(x.shape[0]):
        total = 0.0
        for t in range(x.shape[1]):
            total += float(x[i, t, 0])  # the running sum includes this step
            assert y[i, t, 0] == (1.0 if total > 0 else 0.0)


def test_per_timestep_label_at_zero_sum_is_zero():
    x, y = make_per_timestep_labels(200, 2)
    balanced = x[:, 0, 0] + x[:, 1, 0] == 0
    assert balanced.any()
    assert np.all(y[balanced, 1, 0] == 0.0)


@pytest.mark.parametrize("period", [4.0, 12.5, 50], ids=["period-4", "period-12.5", "int-50"])
def test_clean_sine_follows_the_formula(period):
    series = make_sine_series(60, period=period, noise=0.0)
    expected = [math.sin(2 * math.pi * t / period) for t in range(60)]
    np.testing.assert_allclose(series, expected, atol=1e-6)


def test_sine_noise_has_the_requested_spread():
    clean = make_sine_series(5000, noise=0.0)
    noisy = make_sine_series(5000, noise=0.3)
    assert 0.28 < float(np.std(noisy - clean)) < 0.32


@given(values=st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=40),
       window=st.integers(1, 5), horizon=st.integers(1, 3))
def test_windows_and_next_values_align_with_series(values, window, horizon):
    series = np.asarray(values, dtype=np.float32)
    if len(series) < window + horizon:
        return
    x, y = make_forecasting_windows(series, window, horizon=horizon)
    for i in range(len(x)):
        assert x[i, :, 0].tolist() == series[i:i + window].tolist()
        assert y[i].tolist() == series[i + window:i + window + horizon].tolist()


@given(values=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40),
       window=st.integers(1, 5))
def test_per_step_targets_are_the_series_one_step_ahead(values, window):
    series = np.asarray(values, dtype=np.float32)
    if len(series) < window + 1:
        return
    x, y = make_forecasting_windows(series, window, per_step=True)
    for i in range(len(x)):
        assert x[i, :, 0].tolist() == series[i:i + window].tolist()
        assert y[i, :, 0].tolist() == series[i + 1:i + window + 1].tolist()
        # the target at step t is the input at step t + 1 of the same window
        assert y[i, :-1, 0].tolist() == x[i, 1:, 0].tolist()


def test_windows_accept_lists_and_integer_series():
    x, y = make_forecasting_windows([1, 2, 3, 4], 2)
    assert x.dtype == y.dtype == np.float32
    assert y[:, 0].tolist() == [3.0, 4.0]


# --- bad input --------------------------------------------------------------------------

BAD_CALLS = [
    (lambda: make_sequence_regression(0), ValueError, "n_samples"),
    (lambda: make_sequence_regression(10, True), TypeError, "timesteps"),
    (lambda: make_sequence_regression(10, 5, 3.0), TypeError, "features"),
    (lambda: make_sequence_regression(seed=-1), ValueError, "seed"),
    (lambda: make_sequence_classification(seed=1.5), TypeError, "seed"),
    (lambda: make_sequence_classification(4, -2), ValueError, "timesteps"),
    (lambda: make_per_timestep_labels("8"), TypeError, "n_samples"),
    (lambda: make_sine_series(0), ValueError, "n_steps"),
    (lambda: make_sine_series(10, period=0.0), ValueError, "period"),
    (lambda: make_sine_series(10, period=float("nan")), ValueError, "period"),
    (lambda: make_sine_series(10, period=True), TypeError, "period"),
    (lambda: make_sine_series(10, noise=-0.1), ValueError, "noise"),
    (lambda: make_sine_series(10, noise="0.1"), TypeError, "noise"),
    (lambda: make_forecasting_windows(np.arange(5.0), 5), ValueError, "at least"),
    (lambda: make_forecasting_windows(np.arange(5.0), 5, per_step=True), ValueError, "at least"),
    (lambda: make_forecasting_windows(np.ones((4, 2)), 2), ValueError, "1-D series"),
    (lambda: make_forecasting_windows([1.0, np.nan, 2.0], 1), ValueError, "finite"),
    (lambda: make_forecasting_windows([1.0, np.inf, 2.0], 1), ValueError, "finite"),
    (lambda: make_forecasting_windows(["a", "b", "c"], 1), TypeError, "real numbers"),
    (lambda: make_forecasting_windows("abc", 1), TypeError, "array of numbers"),
    (lambda: make_forecasting_windows(None, 1), TypeError, "array of numbers"),
    (lambda: make_forecasting_windows([[1.0], [2.0, 3.0]], 1), TypeError, "array of numbers"),
    (lambda: make_forecasting_windows(np.arange(9.0), 0), ValueError, "window"),
    (lambda: make_forecasting_windows(np.arange(9.0), 2.0), TypeError, "window"),
    (lambda: make_forecasting_windows(np.arange(9.0), 2, horizon=0), ValueError, "horizon"),
    (lambda: make_forecasting_windows(np.arange(9.0), 2, per_step=1), TypeError, "per_step"),
    (lambda: make_forecasting_windows(np.arange(9.0), 2, horizon=2, per_step=True),
     ValueError, "horizon=1 with per_step=True"),
]
BAD_IDS = [
    "regression-zero-samples", "regression-bool-timesteps", "regression-float-features",
    "regression-negative-seed", "classification-float-seed", "classification-negative-steps",
    "per-timestep-string-size", "sine-zero-steps", "sine-zero-period", "sine-nan-period",
    "sine-bool-period", "sine-negative-noise", "sine-string-noise", "windows-too-short",
    "windows-per-step-too-short", "windows-2d-series", "windows-nan", "windows-inf",
    "windows-strings", "windows-str-series", "windows-none", "windows-ragged",
    "windows-zero-window", "windows-float-window", "windows-zero-horizon",
    "windows-int-per-step", "windows-horizon-with-per-step",
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_CALLS, ids=BAD_IDS)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "got" in str(info.value)


garbage = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
    st.text(max_size=3), st.lists(st.integers(-2, 2), max_size=3),
    st.lists(st.lists(st.floats(), max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@given(a=garbage, b=garbage, c=garbage, seed=garbage)
def test_sequence_generators_raise_only_value_or_type_errors(a, b, c, seed):
    for call in (lambda: make_sequence_regression(a, b, c, seed=seed),
                 lambda: make_sequence_classification(a, b, c, seed=seed),
                 lambda: make_per_timestep_labels(a, b, seed=seed),
                 lambda: make_sine_series(a, period=b, noise=c, seed=seed)):
        try:
            result = call()
        except (ValueError, TypeError):
            continue
        assert all(np.all(np.isfinite(array)) for array in arrays(result))


@given(series=garbage, window=garbage, horizon=garbage, per_step=garbage)
def test_forecasting_windows_raise_only_value_or_type_errors(series, window, horizon, per_step):
    try:
        make_forecasting_windows(series, window, horizon=horizon, per_step=per_step)
    except (ValueError, TypeError):
        pass


# --- a tiny LSTM can learn each task ----------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    import companion

    companion.start_session(seed=0)
    return keras


@pytest.mark.slow
@pytest.mark.keras
def test_tiny_lstm_beats_majority_class_on_per_timestep_labels(keras):
    x, y = make_per_timestep_labels(512, 20, seed=0)
    x_val, y_val = make_per_timestep_labels(256, 20, seed=1)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((20, 1)),
        keras.layers.LSTM(8, return_sequences=True),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    majority = max(y_val.mean(), 1 - y_val.mean())
    print(f"accuracy {accuracy:.3f}, majority baseline {majority:.3f}")
    assert accuracy > majority + 0.1


@pytest.mark.slow
@pytest.mark.keras
def test_tiny_lstm_beats_predicting_the_mean_on_regression(keras):
    x, y = make_sequence_regression(1024, 10, 8, seed=0)
    x_val, y_val = make_sequence_regression(256, 10, 8, seed=1)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((10, 8)),
        keras.layers.LSTM(16),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    mse = model.evaluate(x_val, y_val, verbose=0)
    baseline = float(np.mean((y_val - y.mean()) ** 2))
    print(f"mse {mse:.4f}, predicting the mean {baseline:.4f}")
    assert mse < 0.5 * baseline
