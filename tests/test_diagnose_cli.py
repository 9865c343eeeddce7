"""``python -m companion.diagnose`` and ``companion.diagnose(path)`` on saved model files:
the report, the exit status, and a clear error (no traceback) for a file that cannot be
loaded."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import companion
from companion.diagnose import ModelFileError, diagnose_file
from companion.diagnose.__main__ import CLEAN, FOUND, UNLOADABLE, main


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


@pytest.fixture(scope="module")
def files(keras, tmp_path_factory):
    """A clean model, one with a final-step slice in a Lambda, and broken files."""
    folder = tmp_path_factory.mktemp("models")
    layers = keras.layers
    clean = keras.Sequential([keras.Input(shape=(5, 3)), layers.LSTM(4, name="lstm"),
                              layers.Dense(1, name="head")])
    clean.save(folder / "clean.keras")
    inputs = keras.Input(shape=(5, 3))
    both = layers.Bidirectional(layers.LSTM(4, return_sequences=True), name="bi")(inputs)
    last = layers.Lambda(lambda t: t[:, -1], name="last")(both)
    keras.Model(inputs, layers.Dense(1, name="head")(last)).save(folder / "lambda.keras")
    (folder / "corrupt.keras").write_bytes(b"this is not a zip archive")
    (folder / "notes.txt").write_text("hello")
    return folder


def _run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "companion.diagnose", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.keras
def test_the_command_line_reports_a_clean_file_with_status_0(files):
    done = _run(files / "clean.keras")
    assert done.returncode == CLEAN == 0
    assert "clean.keras: model (2 layers)" in done.stdout
    assert "No problems found." in done.stdout


@pytest.mark.keras
def test_the_command_line_reports_a_problem_with_a_nonzero_status(files):
    done = _run(files / "lambda.keras", "--unsafe")
    assert done.returncode == FOUND != 0
    assert "final-step slice of a bidirectional sequence" in done.stdout


@pytest.mark.keras
def test_the_command_line_prints_an_error_without_a_traceback(files):
    done = _run(files / "missing.keras")
    assert done.returncode == UNLOADABLE != 0
    assert "no such file" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.keras
@pytest.mark.parametrize(("name", "words"), [
    ("missing.keras", "no such file"),
    ("corrupt.keras", "not a .keras file"),
    ("notes.txt", "loads .keras files"),
    ("lambda.keras", "safe_mode=False"),
    (".", "a directory"),
])
def test_an_unloadable_file_gets_a_reason_and_status_2(files, capsys, name, words):
    assert main([str(files / name)]) == UNLOADABLE
    captured = capsys.readouterr()
    assert words in captured.err
    assert captured.out == ""


@pytest.mark.keras
def test_the_lambda_message_says_why_and_what_to_do(files):
    with pytest.raises(ModelFileError) as caught:
        diagnose_file(files / "lambda.keras")
    message = str(caught.value)
    assert "runs code stored in the file" in message
    assert "--unsafe" in message
    assert "register_keras_serializable" in message


@pytest.mark.keras
def test_keras_itself_refuses_the_lambda_and_calls_the_corrupt_file_not_found(keras, files):
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(files / "lambda.keras")
    with pytest.raises(ValueError, match="File not found"):
        keras.models.load_model(files / "corrupt.keras")


@pytest.mark.keras
def test_diagnose_takes_a_path_from_python(files):
    assert companion.diagnose(str(files / "clean.keras")).ok
    report = diagnose_file(files / "lambda.keras", safe_mode=False)
    assert report.checks == ("bidirectional-last-step",)
    assert main([str(files / "lambda.keras"), "--unsafe"]) == FOUND


@pytest.mark.keras
def test_an_unregistered_class_names_the_class_and_the_fix(keras, files):
    @keras.saving.register_keras_serializable(package="cli_test")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    inputs = keras.Input(shape=(5, 3))
    keras.Model(inputs, keras.layers.LSTM(2)(Twice(name="twice")(inputs))).save(
        files / "custom.keras")
    del keras.saving.get_custom_objects()["cli_test>Twice"]
    with pytest.raises(ModelFileError, match="custom_objects"):
        diagnose_file(files / "custom.keras")
