"""The shape explorer (book/shape-explorer) gives the companion's answers.

Its rules run in the page's JavaScript (``_static/shape-explorer.js``, exposed as
``window.ShapeRules``). The tests load the built page in headless Chromium and compare,
case by case, with ``companion.rnn_output_shape``, ``count_params`` and ``predict_stack``
computed here: every combination of layer x ``return_sequences`` x ``return_state`` x
Bidirectional x ``merge_mode`` x ``None``/number sizes, and a seeded random sample of
stacks, evaluated in the page; then a sample driven through the real controls, with the
mouse and with the keyboard alone. A copy of the script with one rule changed (served by
route interception) must make the same cross-check report mismatches.

The HTML comes from ``BOOK_HTML_DIR`` (default ``_build/html``); without a build that
has the explorer page, or without Chromium, the tests skip (fail with ``CI=true``).
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import booktools
import pytest
from browser import session
from browser.server import serve_directory

import companion

pytestmark = pytest.mark.browser

PAGE = "book/shape-explorer.html"
SCRIPT = booktools.ROOT / "_static" / "shape-explorer.js"
LAYERS = ("LSTM", "GRU", "SimpleRNN")
MERGE_MODES = ("concat", "sum", "mul", "ave", None)
#: (features, units) pairs: 1 catches an off-by-one, unequal sizes a swapped argument.
SIZES = ((1, 1), (8, 4), (5, 16))
STACK_SAMPLE = 400
#: One rule of the script, and the wrong rule the mutation test serves instead.
CONCAT_RULE = 'mergeMode === "concat" ? 2 * units : units'
BROKEN_CONCAT_RULE = 'mergeMode === "concat" ? units : units'


@pytest.fixture(scope="module")
def html_dir() -> Path:
    return session.built_book(booktools.ROOT / "_build" / "html", PAGE)


@pytest.fixture(scope="module")
def browser():
    with session.chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def base_url(html_dir):
    with serve_directory(html_dir) as url:
        yield url




def _open(browser, base_url, *, script: str | None = None):
    """A new context and page on the explorer; ``script`` replaces shape-explorer.js."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if script is not None:
        context.route("**/_static/shape-explorer.js",
                      lambda route: route.fulfill(body=script,
                                                  content_type="application/javascript"))
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(error.message))
    page.goto(base_url + PAGE, wait_until="load")
    page.wait_for_function("() => window.ShapeRules !== undefined")
    return context, page, errors


@pytest.fixture(scope="module")
def explorer(browser, base_url):
    context, page, errors = _open(browser, base_url)
    yield page
    context.close()
    assert errors == [], errors


# --------------------------------------------------------------------------------------
# What the companion says, as JSON-like lists (a tuple of shapes becomes a list of lists)


def _plain(value):
    return json.loads(json.dumps(value))


def single_layer_cases() -> list[dict]:
    """Every combination of layer x flags x merge_mode x None/number sizes x SIZES."""
    cases = []
    for layer, sequences, state, bidirectional, merge_mode, batch, steps, (features, units) in (
            itertools.product(LAYERS, (False, True), (False, True), (False, True), MERGE_MODES,
                              (None, 3), (None, 7), SIZES)):
        flags = {"layer": layer, "return_sequences": sequences, "return_state": state,
                 "bidirectional": bidirectional, "merge_mode": merge_mode}
        shape = companion.rnn_output_shape((batch, steps, features), units, **flags)
        cases.append({"input": [batch, steps, features], "units": units, "flags": flags,
                      "expected": _plain(shape)})
    return cases


def param_cases() -> list[dict]:
    cases = []
    for layer, bidirectional, use_bias, reset_after, (features, units) in itertools.product(
            LAYERS, (False, True), (False, True), (False, True), (*SIZES, (32, 64), (3, 2))):
        flags = {"layer": layer, "bidirectional": bidirectional, "use_bias": use_bias,
                 "reset_after": reset_after}
        cases.append({"features": features, "units": units, "flags": flags,
                      "expected": companion.count_params(features, units, **flags)})
    return cases


def _random_spec(rng: random.Random) -> dict:
    kind = rng.choice((*LAYERS, "Dense", "TimeDistributed", "RepeatVector", "Flatten",
                       "Dropout"))
    if kind in LAYERS:
        spec = {"layer": kind, "units": rng.choice((1, 3, 8)),
                "return_sequences": rng.random() < 0.5}
        if rng.random() < 0.3:
            spec.update(bidirectional=True, merge_mode=rng.choice(MERGE_MODES))
        if rng.random() < 0.2:
            spec["use_bias"] = False
        if kind == "GRU" and rng.random() < 0.3:
            spec["reset_after"] = False
        return spec
    if kind in ("Dense", "TimeDistributed"):
        return {"layer": kind, "units": rng.choice((1, 2, 5))}
    if kind == "RepeatVector":
        return {"layer": kind, "n": rng.choice((1, 4))}
    return {"layer": kind}


def stack_cases(count: int = STACK_SAMPLE, seed: int = 0) -> list[dict]:
    """A seeded random sample of stacks of 1 to 5 layers on 2-D and 3-D input shapes."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        input_shape = rng.choice(((10, 4), (None, 6, 3), (2, None, 5), (None, None, 1)))
        layers = [_random_spec(rng) for _ in range(rng.randint(1, 5))]
        cases.append(_stack_case(input_shape, layers))
    return cases


#: Integer ids an Embedding first layer reads: keras.Input's (timesteps,), a full
#: (batch_size, timesteps), and ids with an extra axis (the Embedding returns 4-D).
IDS_SHAPES = ((10,), (None, 6), (2, None), (None, 7, 1), (3, 5, 2))
EMBEDDING_SAMPLE = 150


def embedding_stack_cases(count: int = EMBEDDING_SAMPLE, seed: int = 1) -> list[dict]:
    """A seeded random sample of stacks that start with an Embedding, on integer ids."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        input_shape = rng.choice(IDS_SHAPES)
        first = {"layer": "Embedding", "input_dim": rng.choice((1, 50)),
                 "output_dim": rng.choice((1, 4, 16))}
        if rng.random() < 0.3:
            first["mask_zero"] = True
        layers = [first, *(_random_spec(rng) for _ in range(rng.randint(0, 4)))]
        cases.append(_stack_case(input_shape, layers))
    return cases


def _stack_case(input_shape, layers) -> dict:
    trace = companion.predict_stack(input_shape, layers)
    return {"input": list(input_shape), "layers": layers, "expected": {
        "rows": _plain([[r.layer, r.output_shape, r.params, r.problem] for r in trace.rows]),
        "ok": trace.ok, "total_params": trace.total_params,
        "output_shape": _plain(trace.output_shape), "problem": trace.problem}}


#: Runs every case through window.ShapeRules; returns the cases whose answer differs.
_CROSS_CHECK = """({single, params, stacks}) => {
  const R = window.ShapeRules, same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const bad = [];
  for (const c of single) {
    const got = R.rnnOutputShape(c.input, c.units, c.flags);
    if (!same(got, c.expected)) bad.push({kind: "shape", case: c, got});
  }
  for (const c of params) {
    const got = R.countParams(c.features, c.units, c.flags);
    if (got !== c.expected) bad.push({kind: "params", case: c, got});
  }
  for (const c of stacks) {
    const t = R.predictStack(c.input, c.layers);
    const got = {rows: t.rows.map(r => [r.layer, r.output_shape, r.params, r.problem]),
                 ok: t.ok, total_params: t.total_params, output_shape: t.output_shape,
                 problem: t.problem};
    if (!same(got, c.expected)) bad.push({kind: "stack", case: c, got});
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def cases() -> dict[str, list[dict]]:
    return {"single": single_layer_cases(), "params": param_cases(),
            "stacks": stack_cases() + embedding_stack_cases()}


def cross_check(page, cases) -> list[dict]:
    return page.evaluate(_CROSS_CHECK, cases)


def test_the_cases_cover_every_combination_and_both_outcomes_of_a_stack(cases):
    assert len(cases["single"]) == 3 * 2 * 2 * 2 * 5 * 2 * 2 * len(SIZES) == 1440
    assert len(cases["params"]) == 3 * 2 * 2 * 2 * 5 == 120
    outcomes = [case["expected"]["ok"] for case in cases["stacks"]]
    problems = {case["expected"]["problem"].split(": ", 2)[1].split(",")[0]
                for case in cases["stacks"] if case["expected"]["problem"]}
    assert len(outcomes) == STACK_SAMPLE + EMBEDDING_SAMPLE
    assert 0.1 < sum(outcomes) / len(outcomes) < 0.9
    assert {"expected 3-D input (batch_size", "expected 2-D input (batch_size",
            "expected one input tensor"} <= problems
    embedded = [case for case in cases["stacks"] if case["layers"][0]["layer"] == "Embedding"]
    assert {tuple(case["input"]) for case in embedded} == set(IDS_SHAPES)
    assert any(case["expected"]["ok"] and len(case["layers"]) > 1 for case in embedded)
    assert any("the ids reaching the Embedding" in (case["expected"]["problem"] or "")
               for case in embedded)


def test_every_combination_matches_the_companion(explorer, cases):
    mismatches = cross_check(explorer, cases)
    assert mismatches == [], json.dumps(mismatches[:5], indent=1)


def test_a_changed_rule_in_the_script_fails_the_cross_check(browser, base_url, cases):
    original = SCRIPT.read_text(encoding="utf-8")
    assert original.count(CONCAT_RULE) == 1, "the rule this test breaks has moved: update it"
    context, page, _ = _open(browser, base_url,
                             script=original.replace(CONCAT_RULE, BROKEN_CONCAT_RULE))
    try:
        mismatches = cross_check(page, cases)
    finally:
        context.close()
    kinds = {mismatch["kind"] for mismatch in mismatches}
    assert mismatches and kinds == {"shape", "stack"}
    assert all(m["case"]["flags"]["merge_mode"] == "concat"
               for m in mismatches if m["kind"] == "shape")


# --------------------------------------------------------------------------------------
# The real controls


def _set_layer(page, *, layer, batch, steps, features, units, sequences, state,
               bidirectional, merge_mode, use_bias=True, reset_after=True):
    page.select_option("#se-layer", layer)
    for name, value in (("batch", batch), ("timesteps", steps)):
        page.set_checked(f"#se-{name}-none", value is None)
        if value is not None:
            page.fill(f"#se-{name}", str(value))
    page.fill("#se-features", str(features))
    page.fill("#se-units", str(units))
    page.set_checked("#se-return-sequences", sequences)
    page.set_checked("#se-return-state", state)
    page.set_checked("#se-bidirectional", bidirectional)
    page.set_checked("#se-use-bias", use_bias)
    if bidirectional:
        page.select_option("#se-merge-mode", "None" if merge_mode is None else merge_mode)
    if layer == "GRU":
        page.set_checked("#se-reset-after", reset_after)


def _shown(page) -> tuple[str, str, str]:
    return (page.inner_text("#se-repr"), page.inner_text("#se-params"),
            page.inner_text("#se-code"))


CONTROL_SAMPLE = [
    dict(layer="LSTM", batch=32, steps=10, features=8, units=4, sequences=False, state=False,
         bidirectional=False, merge_mode="concat"),
    dict(layer="LSTM", batch=None, steps=10, features=8, units=4, sequences=True, state=True,
         bidirectional=True, merge_mode=None),
    dict(layer="GRU", batch=2, steps=None, features=3, units=5, sequences=False, state=True,
         bidirectional=True, merge_mode="sum", reset_after=False),
    dict(layer="SimpleRNN", batch=None, steps=None, features=1, units=7, sequences=True,
         state=True, bidirectional=False, merge_mode="concat", use_bias=False),
    dict(layer="GRU", batch=4, steps=6, features=2, units=3, sequences=True, state=False,
         bidirectional=True, merge_mode="ave", use_bias=False),
]


@pytest.mark.parametrize("setting", CONTROL_SAMPLE,
                         ids=[f"{s['layer']}-{i}" for i, s in enumerate(CONTROL_SAMPLE)])
def test_the_controls_show_the_companions_answer(explorer, setting):
    _set_layer(explorer, **setting)
    shape = companion.rnn_output_shape(
        (setting["batch"], setting["steps"], setting["features"]), setting["units"],
        layer=setting["layer"], return_sequences=setting["sequences"],
        return_state=setting["state"], bidirectional=setting["bidirectional"],
        merge_mode=setting["merge_mode"])
    params = companion.count_params(
        setting["features"], setting["units"], layer=setting["layer"],
        bidirectional=setting["bidirectional"], use_bias=setting.get("use_bias", True),
        reset_after=setting.get("reset_after", True))
    shown, shown_params, code = _shown(explorer)
    assert (shown, shown_params) == (repr(shape), f"{params:,}")
    assert f"keras.layers.{setting['layer']}({setting['units']}" in code
    tensors = explorer.locator("#se-tensors tbody tr").count()
    assert tensors == (len(shape) if isinstance(shape[0], tuple) else 1)
    highlighted = explorer.locator("#se-diagram .se-returned").count()
    rows = 2 if setting["bidirectional"] else 1
    steps = setting["steps"]
    drawn = 3 if steps is None else steps if steps <= 6 else 5  # 6 columns, one is "…"
    assert highlighted == (rows * drawn if setting["sequences"] else rows)


def test_an_invalid_size_shows_a_message_instead_of_a_shape(explorer):
    _set_layer(explorer, **CONTROL_SAMPLE[0])
    explorer.fill("#se-units", "0")
    assert "units must be a whole number of at least 1" in explorer.inner_text("#se-message")
    assert explorer.locator("#se-result").is_hidden()
    explorer.fill("#se-units", "4")
    assert explorer.inner_text("#se-message") == "" and explorer.locator("#se-result").is_visible()


def _stack_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#se-stack-table tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent))")


def test_stack_mode_flags_the_failing_layer_with_the_companions_fix(explorer):
    _set_layer(explorer, **CONTROL_SAMPLE[0])  # input (32, 10, 8)
    explorer.click("#se-stack-reset")
    explorer.uncheck("#se-stack-1-return_sequences")
    layers = [{"layer": "LSTM", "units": 64}, {"layer": "LSTM", "units": 64},
              {"layer": "Dense", "units": 1}]
    trace = companion.predict_stack((32, 10, 8), layers)
    assert explorer.inner_text("#se-stack-problem") == trace.problem
    assert explorer.locator("#se-stack-table tr.se-fails").count() == 1
    assert _stack_rows(explorer)[1] == ["2", "LSTM", "(fails)", "-"]

    explorer.click("#se-stack-2-remove")  # remove the failing LSTM
    explorer.select_option("#se-stack-kind", "RepeatVector")
    explorer.click("#se-stack-add")
    trace = companion.predict_stack((32, 10, 8), [layers[0], layers[2],
                                                  {"layer": "RepeatVector", "n": 5}])
    assert trace.ok
    assert _stack_rows(explorer) == [
        [str(r.index), r.layer, repr(r.output_shape), f"{r.params:,}"] for r in trace.rows]
    assert "keras.layers.RepeatVector(5)" in explorer.inner_text("#se-stack-code")


def test_an_embedding_added_to_the_stack_goes_first_and_reads_ids(explorer):
    _set_layer(explorer, **CONTROL_SAMPLE[0])  # input (32, 10, 8): ids (32, 10)
    explorer.click("#se-stack-reset")
    explorer.select_option("#se-stack-kind", "Embedding")
    explorer.click("#se-stack-add")
    explorer.click("#se-stack-add")  # a second Embedding is not added
    explorer.fill("#se-stack-1-output_dim", "8")
    explorer.dispatch_event("#se-stack-1-output_dim", "change")
    layers = [{"layer": "Embedding", "input_dim": 1000, "output_dim": 8},
              {"layer": "LSTM", "units": 64, "return_sequences": True},
              {"layer": "LSTM", "units": 64}, {"layer": "Dense", "units": 1}]
    trace = companion.predict_stack((32, 10), layers)
    assert trace.ok and trace.rows[0].output_shape == (32, 10, 8)
    assert _stack_rows(explorer) == [
        [str(r.index), r.layer, repr(r.output_shape), f"{r.params:,}"] for r in trace.rows]
    code = explorer.inner_text("#se-stack-code")
    assert "keras.Input(shape=(10,), batch_size=32)" in code
    assert "keras.layers.Embedding(1000, 8)" in code
    explorer.click("#se-stack-reset")


def test_the_explorer_works_with_the_keyboard_alone(browser, base_url):
    context, page, errors = _open(browser, base_url)
    try:
        page.focus("#se-batch")
        order = []
        for _ in range(40):
            focused = page.evaluate("() => document.activeElement.id")
            if focused in order:
                break
            order.append(focused)
            page.keyboard.press("Tab")
            if not page.evaluate("() => document.getElementById('shape-explorer')"
                                 ".contains(document.activeElement)"):
                break
        # reset_after (GRU only) and merge_mode (Bidirectional only) start disabled.
        expected = ["se-batch", "se-batch-none", "se-timesteps", "se-timesteps-none",
                    "se-features", "se-layer", "se-units", "se-return-sequences",
                    "se-return-state", "se-use-bias", "se-bidirectional", "se-copy"]
        assert order[: len(expected)] == expected
        assert {"se-stack-add", "se-stack-kind", "se-stack-1-remove",
                "se-stack-copy"} <= set(order)

        # Operate it: LSTM -> GRU with an arrow key, return_state with Space.
        page.focus("#se-layer")
        page.keyboard.press("ArrowDown")
        page.focus("#se-return-state")
        page.keyboard.press("Space")
        assert page.inner_text("#se-repr") == repr(
            companion.rnn_output_shape((32, 10, 8), 4, layer="GRU", return_state=True))
        # Add a layer with Enter, then remove it with Enter: focus stays in the stack.
        page.focus("#se-stack-kind")
        page.keyboard.press("End")
        page.focus("#se-stack-add")
        page.keyboard.press("Enter")
        assert page.locator("#se-stack-layers li").count() == 4
        page.focus("#se-stack-4-remove")
        page.keyboard.press("Enter")
        assert page.locator("#se-stack-layers li").count() == 3
        assert page.evaluate("() => document.activeElement.id") == "se-stack-3-remove"
    finally:
        context.close()
    assert errors == []


def test_the_explorer_works_offline_from_the_built_files(browser, html_dir):
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("file:", "data:")) else route.abort())
    page = context.new_page()
    try:
        page.goto((html_dir / PAGE).resolve().as_uri(), wait_until="load")
        assert page.locator("#shape-explorer").is_visible()
        assert page.locator("#shape-explorer-noscript").is_hidden()
        assert page.inner_text("#se-repr") == repr(companion.rnn_output_shape((32, 10, 8), 4))
    finally:
        context.close()


# --------------------------------------------------------------------------------------
# Global pooling: in the explorer's stack mode but not in companion.predict_stack


POOLING_STACKS = [
    [{"layer": "LSTM", "units": 6, "return_sequences": True},
     {"layer": "GlobalAveragePooling1D"}, {"layer": "Dense", "units": 2}],
    [{"layer": "GRU", "units": 3, "return_sequences": True, "bidirectional": True},
     {"layer": "GlobalMaxPooling1D"}],
    [{"layer": "Dense", "units": 4}, {"layer": "GlobalMaxPooling1D"}],
]


@pytest.mark.keras
@pytest.mark.slow
def test_global_pooling_in_the_stack_matches_keras(explorer):
    import keras

    def build(spec):
        kind = spec["layer"]
        if kind in LAYERS:
            inner = getattr(keras.layers, kind)(spec["units"],
                                                return_sequences=spec["return_sequences"])
            return keras.layers.Bidirectional(inner) if spec.get("bidirectional") else inner
        if kind == "Dense":
            return keras.layers.Dense(spec["units"])
        return getattr(keras.layers, kind)()

    for layers in POOLING_STACKS:
        model = keras.Sequential([keras.Input(shape=(7, 5)), *map(build, layers)])
        predicted = explorer.evaluate(
            "([shape, layers]) => window.ShapeRules.predictStack(shape, layers).rows"
            ".map(r => [r.layer, r.output_shape, r.params])", [[7, 5], layers])
        traced = companion.trace_shapes(model)
        assert predicted == _plain([[r.layer, r.output_shape, r.params] for r in traced.rows])
    failing = explorer.evaluate(
        "() => window.ShapeRules.predictStack([7, 5], [{layer: 'LSTM', units: 4}, "
        "{layer: 'GlobalAveragePooling1D'}]).problem")
    assert failing.endswith("set return_sequences=True on layer 1 (LSTM)")
