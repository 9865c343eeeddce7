"""Tests for companion.translation: the spelled-numbers task, its arrays, its decoding
helpers, bad input, and a tiny Keras encoder-decoder that learns it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.translation import (
    END,
    PAD,
    START,
    TranslationTask,
    greedy_decode,
    make_translation_task,
    spell,
)
from companion.translation.words import _longest_spelling

# An independent reading of English number words, written here and not imported, so the
# spelling rule is checked against a second implementation.
UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
         "seventeen", "eighteen", "nineteen"]
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
VALUES = {**{word: i for i, word in enumerate(UNITS)}, **TENS}


def read_number(text: str) -> int:
    total, current = 0, 0
    for word in text.split():
        if word == "hundred":
            current *= 100
        elif word == "thousand":
            total, current = total + current * 1000, 0
        else:
            current += VALUES[word]
    return total + current


@pytest.fixture(scope="module")
def task() -> TranslationTask:
    return make_translation_task(300, seed=3)


# --- spelling ---------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "words"), [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (21, "twenty one"),
    (100, "one hundred"), (105, "one hundred five"), (110, "one hundred ten"),
    (1000, "one thousand"), (1001, "one thousand one"), (4212, "four thousand two hundred twelve"),
    (12_345, "twelve thousand three hundred forty five"),
    (100_000, "one hundred thousand"),
], ids=lambda value: str(value).replace(" ", "_"))
def test_spell_writes_english_number_words(number, words):
    assert spell(number) == words


@given(st.integers(0, 999_999))
def test_spelling_reads_back_as_the_same_number(number):
    words = spell(number)
    assert read_number(words) == number
    assert ("zero" in words.split()) == (number == 0)


@given(st.integers(9, 3000))
def test_longest_spelling_matches_brute_force(max_value):
    brute = max(len(spell(n).split()) for n in range(max_value + 1))
    assert _longest_spelling(max_value) == brute


@pytest.mark.parametrize("bad", [True, 4.0, "12"], ids=["bool", "float", "str"])
def test_spell_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="whole number"):
        spell(bad)


@pytest.mark.parametrize("bad", [-1, 1_000_000], ids=["negative", "seven_digits"])
def test_spell_rejects_numbers_out_of_range(bad):
    with pytest.raises(ValueError, match="0 to 999,999"):
        spell(bad)


# --- shapes, dtypes, lengths ------------------------------------------------------------


@given(n=st.integers(1, 40), max_value=st.integers(9, 20_000))
def test_arrays_have_documented_shapes_and_dtype(n, max_value):
    n = min(n, max_value + 1)
    task = make_translation_task(n, max_value=max_value)
    source_len = _longest_spelling(max_value)
    target_len = len(str(max_value)) + 1
    assert (len(task), task.source_len, task.target_len) == (n, source_len, target_len)
    assert task.encoder_inputs.shape == (n, source_len)
    assert task.decoder_inputs.shape == task.decoder_targets.shape == (n, target_len)
    for array in (task.encoder_inputs, task.decoder_inputs, task.decoder_targets):
        assert array.dtype == np.int32


@pytest.mark.parametrize(("max_value", "source_len", "target_len"), [
    (99, 2, 3), (999, 4, 4), (9999, 6, 5), (999_999, 9, 7),
], ids=["two_digits", "three_digits", "four_digits", "six_digits"])
def test_padded_lengths_follow_the_longest_number(max_value, source_len, target_len):
    task = make_translation_task(10, max_value=max_value)
    assert (task.source_len, task.target_len) == (source_len, target_len)


def test_default_task_has_different_source_and_target_lengths():
    task = make_translation_task(50)
    assert (task.source_len, task.target_len) == (6, 5)
    word_counts = {len(words.split()) for words, _ in task.pairs}
    digit_counts = {len(digits) for _, digits in task.pairs}
    assert max(word_counts) > max(digit_counts)
    assert any(len(w.split()) < len(d) for w, d in task.pairs), "and the other way round"


def test_vocabularies_start_with_the_special_tokens(task):
    for vocab in (task.source_vocab, task.target_vocab):
        assert vocab[:3] == ("<pad>", "<start>", "<end>")
        assert len(set(vocab)) == len(vocab)
    assert (task.pad_id, task.start_id, task.end_id) == (PAD, START, END) == (0, 1, 2)
    assert task.target_vocab[3:] == tuple("0123456789")
    assert task.source_vocab_size == len(task.source_vocab)
    assert task.target_vocab_size == 13


# --- the arrays agree with the pairs ----------------------------------------------------


def test_pairs_are_numbers_with_their_spelling(task):
    for words, digits in task.pairs:
        assert read_number(words) == int(digits)
        assert str(int(digits)) == digits, "no leading zeros"


def test_each_number_appears_once():
    task = make_translation_task(500, max_value=499)
    assert sorted(int(digits) for _, digits in task.pairs) == list(range(500))


def test_arrays_decode_back_to_the_pairs(task):
    assert task.decode_source(task.encoder_inputs) == [w for w, _ in task.pairs]
    assert task.decode_target(task.decoder_targets) == [d for _, d in task.pairs]


def test_decoder_inputs_are_start_then_the_targets_shifted_right(task):
    inputs, targets = task.decoder_inputs, task.decoder_targets
    assert (inputs[:, 0] == START).all()
    without_end = np.where(targets == END, PAD, targets)
    assert (inputs[:, 1:] == without_end[:, :-1]).all()


def test_every_target_row_has_one_end_then_only_padding(task):
    for row, (_, digits) in zip(task.decoder_targets, task.pairs, strict=True):
        assert (row == END).sum() == 1
        end = int(np.flatnonzero(row == END)[0])
        assert end == len(digits)
        assert (row[end + 1:] == PAD).all() and (row[:end] > END).all()


def test_source_rows_are_padded_at_the_end_only(task):
    for row, (words, _) in zip(task.encoder_inputs, task.pairs, strict=True):
        n = len(words.split())
        assert (row[:n] > END).all() and (row[n:] == PAD).all()


# --- determinism and immutability -------------------------------------------------------


def test_same_seed_gives_identical_tasks():
    first, second = make_translation_task(100, seed=7), make_translation_task(100, seed=7)
    assert first.pairs == second.pairs
    for name in ("encoder_inputs", "decoder_inputs", "decoder_targets"):
        assert np.array_equal(getattr(first, name), getattr(second, name))


def test_different_seeds_give_different_pairs():
    assert make_translation_task(100, seed=0).pairs != make_translation_task(100, seed=1).pairs


def test_task_is_frozen_and_its_arrays_are_read_only(task):
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.pairs = ()
    with pytest.raises(ValueError, match="read-only"):
        task.encoder_inputs[0, 0] = 5


def test_repr_is_short_and_names_the_lengths(task):
    assert repr(task) == ("TranslationTask(n_samples=300, max_value=9999, source_len=6, "
                          "target_len=5, source_vocab_size=33, target_vocab_size=13)")


# --- encode and decode ------------------------------------------------------------------


@given(st.lists(st.integers(0, 9999), min_size=1, max_size=8))
def test_encode_then_decode_source_round_trips(numbers):
    task = make_translation_task(10)
    texts = [spell(n) for n in numbers]
    ids = task.encode_source(texts)
    assert ids.shape == (len(texts), task.source_len) and ids.dtype == np.int32
    assert task.decode_source(ids) == texts


def test_encode_source_matches_the_stored_inputs(task):
    texts = [words for words, _ in task.pairs]
    assert np.array_equal(task.encode_source(texts), task.encoder_inputs)


def test_encode_source_forgives_case_hyphens_and_takes_one_string(task):
    ids = task.encode_source("Twenty-One")
    assert ids.shape == (1, task.source_len)
    assert task.decode_source(ids[0]) == "twenty one"


@pytest.mark.parametrize(("texts", "error", "match"), [
    (["four hundred and twelve"], ValueError, "'and'"),
    (["four hundert"], ValueError, "hundert"),
    ([""], ValueError, "empty text"),
    ([], ValueError, "at least one text"),
    (["one " * 7], ValueError, "at most source_len=6"),
    ([412], TypeError, "every text to be a string"),
    (412, TypeError, "string or a list of strings"),
    (b"four", TypeError, "string or a list of strings"),
], ids=["and", "unknown_word", "empty", "no_texts", "too_long", "int_in_list", "int", "bytes"])
def test_encode_source_rejects_bad_texts(task, texts, error, match):
    with pytest.raises(error, match=match):
        task.encode_source(texts)


def test_decode_target_stops_at_end_or_padding(task):
    four, one, two = (task.target_vocab.index(d) for d in "412")
    assert task.decode_target([four, one, two, END, four]) == "412"
    assert task.decode_target([four, PAD, one, two, END]) == "4"
    assert task.decode_target([END, four]) == ""


def test_decode_target_shows_a_start_token_so_it_counts_as_wrong(task):
    assert task.decode_target([START, 4, END]) == "<start>1"


@pytest.mark.parametrize(("ids", "error", "match"), [
    (np.full((2, 5, 13), 0.1), TypeError, "argmax"),
    (np.zeros((2, 5, 13), dtype=int), ValueError, "argmax"),
    (np.int64(3), ValueError, "1-D or 2-D"),
    ([3, 99], ValueError, "from 0 to 12"),
    ([-1, 3], ValueError, "from 0 to 12"),
    (["4", "1"], TypeError, "integer target ids"),
    ([[3, 4], [5]], TypeError, "equal-length rows"),
], ids=["probabilities", "3d_ids", "scalar", "too_large", "negative", "strings", "ragged"])
def test_decode_target_rejects_bad_ids(task, ids, error, match):
    with pytest.raises(error, match=match):
        task.decode_target(ids)


# --- scores -----------------------------------------------------------------------------


def test_scores_are_one_for_the_targets_and_drop_with_each_mistake(task):
    assert task.exact_match(task.decoder_targets) == 1.0
    assert task.token_accuracy(task.decoder_targets) == 1.0
    wrong = task.decoder_targets.copy()
    wrong[0, 0] = 3 if wrong[0, 0] != 3 else 4
    tokens = int((task.decoder_targets != PAD).sum())
    assert task.exact_match(wrong) == pytest.approx(1 - 1 / len(task))
    assert task.token_accuracy(wrong) == pytest.approx(1 - 1 / tokens)


def test_exact_match_ignores_what_follows_end(task):
    noisy = task.decoder_targets.copy()
    noisy[noisy == PAD] = 5
    assert task.exact_match(noisy) == 1.0


@pytest.mark.parametrize("method", ["exact_match", "token_accuracy"])
def test_scores_reject_ids_of_the_wrong_shape(task, method):
    with pytest.raises(ValueError, match=r"\(300, steps\)"):
        getattr(task, method)(task.decoder_targets[:10])
    with pytest.raises(ValueError, match="argmax"):
        getattr(task, method)(np.zeros((300, 5, 13)))


def test_token_accuracy_needs_target_len_steps(task):
    with pytest.raises(ValueError, match="target_len=5"):
        task.token_accuracy(task.decoder_targets[:, :3])


# --- split ------------------------------------------------------------------------------


@given(fraction=st.floats(0.05, 0.95))
def test_split_keeps_every_pair_once(fraction):
    task = make_translation_task(60)
    train, test = task.split(fraction)
    assert len(train) + len(test) == len(task)
    assert train.pairs + test.pairs == task.pairs
    assert np.array_equal(np.concatenate([train.decoder_targets, test.decoder_targets]),
                          task.decoder_targets)
    assert (train.source_vocab, test.target_vocab) == (task.source_vocab, task.target_vocab)
    assert not train.encoder_inputs.flags.writeable


@pytest.mark.parametrize(("fraction", "error", "match"), [
    (0.0, ValueError, "strictly between 0 and 1"),
    (1.0, ValueError, "strictly between 0 and 1"),
    (0.001, ValueError, "at least one pair"),
    (True, TypeError, "number between 0 and 1"),
    ("0.8", TypeError, "number between 0 and 1"),
], ids=["zero", "one", "empty_train", "bool", "str"])
def test_split_rejects_bad_fractions(task, fraction, error, match):
    with pytest.raises(error, match=match):
        task.split(fraction)


# --- bad arguments to make_translation_task ---------------------------------------------


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_samples": True}, TypeError, "n_samples to be a positive integer"),
    ({"n_samples": 3.0}, TypeError, "n_samples to be a positive integer"),
    ({"n_samples": 0}, ValueError, "n_samples to be a positive integer"),
    ({"seed": -1}, ValueError, "seed between 0"),
    ({"seed": 1.5}, TypeError, "seed to be an integer"),
    ({"seed": 2**32}, ValueError, "seed between 0"),
    ({"max_value": 8}, ValueError, "max_value from 9"),
    ({"max_value": 1_000_000}, ValueError, "max_value from 9"),
    ({"max_value": "9999"}, TypeError, "max_value to be a positive integer"),
    ({"n_samples": 101, "max_value": 99}, ValueError, "at most max_value \\+ 1 = 100"),
], ids=["n_bool", "n_float", "n_zero", "seed_negative", "seed_float", "seed_huge",
        "max_small", "max_large", "max_str", "too_many_samples"])
def test_make_translation_task_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_translation_task(**{"n_samples": 10, **kwargs})


def test_default_n_samples_with_max_value_999_names_the_largest_that_works():
    with pytest.raises(ValueError, match=r"got 2000: pass n_samples=1000 or fewer"):
        make_translation_task(max_value=999)
    assert len(make_translation_task(1000, max_value=999)) == 1000


garbage = st.one_of(st.none(), st.booleans(), st.integers(-10, 2**33), st.floats(),
                    st.text(max_size=5), st.lists(st.integers(-3, 20), max_size=3))


@given(n_samples=garbage, seed=garbage, max_value=garbage)
def test_garbage_arguments_raise_only_value_or_type_errors(n_samples, seed, max_value):
    if isinstance(max_value, int) and not isinstance(max_value, bool) and max_value > 20_000:
        max_value = 20_000  # keep valid draws small; the range check is tested above
    try:
        task = make_translation_task(n_samples, seed=seed, max_value=max_value)
    except (ValueError, TypeError):
        return
    assert isinstance(task, TranslationTask)


@given(ids=st.one_of(garbage, st.lists(st.lists(st.integers(-3, 20), max_size=4), max_size=3)))
def test_decoding_garbage_raises_only_value_or_type_errors(ids):
    task = make_translation_task(5)
    for method in (task.decode_target, task.decode_source, task.encode_source,
                   task.exact_match, task.token_accuracy):
        try:
            method(ids)
        except (ValueError, TypeError):
            pass


# --- greedy decoding with stand-in models ----------------------------------------------


def counting_models(task, digits):
    """A stand-in encoder and decoder: the decoder writes ``digits`` then <end>."""
    ids = [task.target_vocab.index(d) for d in digits] + [END]

    def encoder(source):
        return [np.zeros((len(source), 1)), np.zeros((len(source), 1))]

    def decoder(inputs):
        tokens, step, other = inputs
        probabilities = np.zeros((len(tokens), 1, task.target_vocab_size))
        index = min(int(step[0, 0]), len(ids) - 1)
        probabilities[:, 0, ids[index]] = 1.0
        return [probabilities, step + 1, other]

    return encoder, decoder


def test_greedy_decode_stops_at_end_and_pads_after_it(task):
    encoder, decoder = counting_models(task, "42")
    ids = greedy_decode(encoder, decoder, task.encoder_inputs[:3], task)
    assert ids.shape == (3, task.target_len) and ids.dtype == np.int32
    assert task.decode_target(ids) == ["42"] * 3
    assert (ids[:, 2] == END).all() and (ids[:, 3:] == PAD).all()


def test_greedy_decode_feeds_back_the_previous_token(task):
    seen = []

    def encoder(source):
        return np.zeros((len(source), 2))  # one state, not in a list

    def decoder(inputs):
        tokens, state = inputs
        seen.append(int(tokens[0, 0]))
        probabilities = np.zeros((len(tokens), task.target_vocab_size))
        probabilities[:, 3 + len(seen) % 10] = 1.0
        return [probabilities, state]

    ids = greedy_decode(encoder, decoder, task.encoder_inputs[:2], task, max_len=3)
    assert seen == [START, int(ids[0, 0]), int(ids[0, 1])]
    assert ids.shape == (2, 3)


BAD_DECODE_CALLS = {
    "task": (lambda t, e, d: greedy_decode(e, d, t.encoder_inputs[:2], "not a task"),
             TypeError, "TranslationTask"),
    "models": (lambda t, e, d: greedy_decode(None, None, t.encoder_inputs[:2], t),
               TypeError, "callables"),
    "source_1d": (lambda t, e, d: greedy_decode(e, d, t.encoder_inputs[0], t),
                  ValueError, "2-D integer array"),
    "source_float": (lambda t, e, d: greedy_decode(e, d, np.zeros((2, 6)), t),
                     ValueError, "2-D integer array"),
    "max_len_float": (lambda t, e, d: greedy_decode(e, d, t.encoder_inputs[:2], t, max_len=2.0),
                      TypeError, "max_len"),
    "max_len_zero": (lambda t, e, d: greedy_decode(e, d, t.encoder_inputs[:2], t, max_len=0),
                     ValueError, "max_len"),
}


@pytest.mark.parametrize("case", BAD_DECODE_CALLS.values(), ids=BAD_DECODE_CALLS.keys())
def test_greedy_decode_rejects_bad_arguments(task, case):
    call, error, match = case
    encoder, decoder = counting_models(task, "1")
    with pytest.raises(error, match=match):
        call(task, encoder, decoder)


def test_greedy_decode_needs_a_decoder_that_returns_states(task):
    def decoder(inputs):
        return np.zeros((len(inputs[0]), 1, task.target_vocab_size))

    with pytest.raises(ValueError, match="return_state=True"):
        greedy_decode(lambda s: [np.zeros((len(s), 1))], decoder, task.encoder_inputs[:2], task)


# --- a real encoder-decoder learns the task ---------------------------------------------


def build_encoder_decoder(keras, task, units):
    """The chapter's state-passing encoder-decoder and its two inference models."""
    source = keras.Input(shape=(task.source_len,))
    vectors = keras.layers.Embedding(task.source_vocab_size, 16, mask_zero=True)(source)
    _, state_h, state_c = keras.layers.LSTM(units, return_state=True)(vectors)
    target = keras.Input(shape=(task.target_len,))
    embedding = keras.layers.Embedding(task.target_vocab_size, 16)
    lstm = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    head = keras.layers.Dense(task.target_vocab_size, activation="softmax")
    sequence, _, _ = lstm(embedding(target), initial_state=[state_h, state_c])
    model = keras.Model([source, target], head(sequence))
    encoder = keras.Model(source, [state_h, state_c])
    token, h_in, c_in = (keras.Input(shape=(1,)), keras.Input(shape=(units,)),
                         keras.Input(shape=(units,)))
    step, h_out, c_out = lstm(embedding(token), initial_state=[h_in, c_in])
    decoder = keras.Model([token, h_in, c_in], [head(step), h_out, c_out])
    return model, encoder, decoder


@pytest.mark.slow
@pytest.mark.keras
def test_greedy_decode_runs_keras_inference_models():
    import companion

    companion.start_session(seed=0)
    import keras

    task = make_translation_task(20)
    _, encoder, decoder = build_encoder_decoder(keras, task, units=8)
    ids = greedy_decode(encoder, decoder, task.encoder_inputs, task)
    assert ids.shape == (20, task.target_len)
    assert len(task.decode_target(ids)) == 20


@pytest.mark.slow
@pytest.mark.keras
def test_tiny_encoder_decoder_learns_to_translate_unseen_numbers():
    import companion

    companion.start_session(seed=0)
    import keras

    train, test = make_translation_task(2000, seed=0).split(0.8)
    model, encoder, decoder = build_encoder_decoder(keras, train, units=64)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy")
    model.fit([train.encoder_inputs, train.decoder_inputs], train.decoder_targets,
              epochs=12, batch_size=64, verbose=0)

    majority = np.array([np.bincount(column).argmax() for column in train.decoder_targets.T])
    baseline = np.tile(majority, (len(test), 1))
    predicted = greedy_decode(encoder, decoder, test.encoder_inputs, test)
    assert test.exact_match(predicted) > 0.6 > test.exact_match(baseline) + 0.5
    assert test.token_accuracy(predicted) > test.token_accuracy(baseline) + 0.4
