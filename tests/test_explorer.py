"""The shape explorer (book/shape-explorer) gives the companion's answers.

Its rules run in the page's JavaScript (``_static/shape-explorer.js``, exposed as
``window.ShapeRules``). The tests load the built page in headless Chromium and compare,
case by case, with ``companion.rnn_output_shape``, ``count_params`` and ``predict_stack``
computed here: every combination of layer x ``return_sequences`` x ``return_state`` x
Bidirectional x ``merge_mode`` x ``None``/number sizes, and a seeded random sample of
stacks, evaluated in the page; then a sample driven through the real controls, with the
mouse and with the keyboard alone. The ConvLSTM2D section is compared the same way with
``companion.convlstm_output_shape`` and ``convlstm_count_params``: its rules on seeded random
layers, its controls on a fixed list of edge settings, and the code it shows run in Keras.
A copy of the script with one rule changed (served by route interception) must make the
same cross-check report mismatches.

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

        # The ConvLSTM2D section: Tab walks its fields in reading order; an arrow key
        # picks padding="same", Space ticks return_state.
        page.focus("#se-conv-batch")
        conv_order = []
        for _ in range(19):
            conv_order.append(page.evaluate("() => document.activeElement.id"))
            page.keyboard.press("Tab")
        assert conv_order == ["se-conv-" + name for name in (
            "batch", "batch-none", "timesteps", "timesteps-none", "rows", "cols", "channels",
            "data-format", "filters", "kernel-rows", "kernel-cols", "strides-rows",
            "strides-cols", "dilation", "padding", "return-sequences", "return-state",
            "use-bias", "copy")]
        page.focus("#se-conv-padding")
        page.keyboard.press("ArrowDown")
        page.focus("#se-conv-return-state")
        page.keyboard.press("Space")
        assert page.inner_text("#se-conv-repr") == repr(companion.convlstm_output_shape(
            (32, 8, 16, 16, 1), 4, 3, rank=2, padding="same", return_state=True))
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


# --------------------------------------------------------------------------------------
# ConvLSTM2D: companion.convlstm_output_shape and convlstm_count_params, in the page


CONVLSTM_SAMPLE = 300


def _convlstm_expected(input_shape, filters, kernel, options) -> dict:
    """The companion's shape (or its ValueError's words) and count for one layer."""
    channels = input_shape[2] if options["data_format"] == "channels_first" else input_shape[-1]
    params = companion.convlstm_count_params(channels, filters, kernel, rank=options["rank"],
                                             use_bias=options["use_bias"])
    flags = {k: value for k, value in options.items() if k != "use_bias"}
    try:
        shape = _plain(companion.convlstm_output_shape(input_shape, filters, kernel, **flags))
    except ValueError as error:
        return {"shape": None, "problem": str(error), "params": params}
    return {"shape": shape, "problem": None, "params": params}


def convlstm_rule_cases(count: int = CONVLSTM_SAMPLE, seed: int = 2) -> list[dict]:
    """Seeded random ConvLSTM1D/2D/3D layers, frames from 1 to 9 wide: some too small for
    the kernel with padding "valid", some with strides and dilation_rate both above 1."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        rank = rng.choice((1, 2, 2, 3))
        per_axis = [(lambda: rng.randint(1, 9)), (lambda: rng.randint(1, 4)),
                    (lambda: rng.choice((1, 1, 2, 3))), (lambda: rng.choice((1, 1, 1, 2)))]
        spatial, kernel, strides, dilation = ([pick() for _ in range(rank)] for pick in per_axis)
        channels = rng.choice((1, 3))
        options = {"rank": rank, "strides": strides, "dilation_rate": dilation,
                   "padding": rng.choice(("valid", "same")),
                   "data_format": rng.choice(("channels_last", "channels_first")),
                   "return_sequences": rng.random() < 0.5, "return_state": rng.random() < 0.5,
                   "use_bias": rng.random() < 0.8}
        frame = ([channels, *spatial] if options["data_format"] == "channels_first"
                 else [*spatial, channels])
        input_shape = [rng.choice((None, 2)), rng.choice((None, 5)), *frame]
        filters = rng.choice((1, 4))
        cases.append({"input": input_shape, "filters": filters, "kernel": kernel,
                      "options": options, "expected": _convlstm_expected(
                          tuple(input_shape), filters, tuple(kernel), {
                              **options, "strides": tuple(strides),
                              "dilation_rate": tuple(dilation)})})
    return cases


_CONVLSTM_CROSS_CHECK = """(cases) => {
  const R = window.ShapeRules, same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  return cases.flatMap(c => {
    let shape = null, problem = null;
    try {
      shape = R.convlstmOutputShape(c.input, c.filters, c.kernel, c.options);
    } catch (e) {
      if (e instanceof Error) throw e;  // a bug, not a problem Keras refuses
      problem = e.message;
    }
    const params = R.convlstmCountParams(
      c.options.data_format === "channels_first" ? c.input[2] : c.input[c.input.length - 1],
      c.filters, c.kernel, c.options);
    const got = {shape, problem, params};
    return same(got, c.expected) ? [] : [{case: c, got}];
  });
}"""


def test_convlstm_rules_match_the_companion_on_random_layers(explorer):
    cases = convlstm_rule_cases()
    refused = [case["expected"]["problem"] for case in cases if case["expected"]["problem"]]
    assert {case["options"]["rank"] for case in cases} == {1, 2, 3}
    assert any("kernel's reach" in p for p in refused)
    assert any("strides or dilation_rate" in p for p in refused)
    assert 0.5 < 1 - len(refused) / len(cases) < 0.95
    mismatches = explorer.evaluate(_CONVLSTM_CROSS_CHECK, cases)
    assert mismatches == [], json.dumps(mismatches[:5], indent=1)


#: Settings of the page's ConvLSTM2D controls: edge sizes (1-pixel frames, a kernel as
#: wide as the frame, strides wider than it), both paddings and data formats, unequal
#: axes (a swapped rows/cols shows), dilation, None sizes and every flag.
CONVLSTM_CONTROLS = [
    dict(batch=32, steps=8, rows=16, cols=16, channels=1, filters=4, kernel=(3, 3)),
    dict(batch=None, steps=8, rows=16, cols=16, channels=1, filters=4, kernel=(3, 3),
         padding="same", sequences=True),
    dict(batch=2, steps=None, rows=12, cols=9, channels=3, filters=5, kernel=(3, 2),
         strides=(2, 1), state=True),
    dict(batch=None, steps=None, rows=12, cols=9, channels=3, filters=5, kernel=(3, 2),
         strides=(1, 3), padding="same", data_format="channels_first", state=True),
    dict(batch=1, steps=1, rows=1, cols=1, channels=1, filters=1, kernel=(1, 1)),
    dict(batch=1, steps=1, rows=1, cols=1, channels=1, filters=1, kernel=(3, 3),
         padding="same", strides=(2, 2), sequences=True, state=True),
    dict(batch=4, steps=6, rows=5, cols=7, channels=2, filters=3, kernel=(5, 7)),
    dict(batch=4, steps=6, rows=5, cols=7, channels=2, filters=3, kernel=(5, 7),
         data_format="channels_first", sequences=True, use_bias=False),
    dict(batch=None, steps=10, rows=20, cols=11, channels=1, filters=8, kernel=(3, 3),
         dilation=2),
    dict(batch=3, steps=4, rows=20, cols=11, channels=1, filters=8, kernel=(3, 3),
         dilation=3, padding="same", state=True, use_bias=False),
    dict(batch=8, steps=3, rows=9, cols=9, channels=4, filters=2, kernel=(2, 2),
         strides=(3, 3), sequences=True),
    dict(batch=8, steps=3, rows=10, cols=10, channels=4, filters=2, kernel=(4, 1),
         strides=(3, 2), padding="same", data_format="channels_first"),
    dict(batch=None, steps=None, rows=64, cols=48, channels=3, filters=16, kernel=(5, 5),
         strides=(2, 2), sequences=True, state=True),
    dict(batch=2, steps=6, rows=12, cols=12, channels=1, filters=4, kernel=(3, 3),
         strides=(2, 2), data_format="channels_first", state=True, use_bias=False),
    dict(batch=2, steps=6, rows=2, cols=30, channels=1, filters=6, kernel=(1, 9),
         strides=(1, 4), sequences=True),
    dict(batch=5, steps=2, rows=7, cols=3, channels=2, filters=1, kernel=(7, 3),
         padding="same", data_format="channels_first", sequences=True, state=True),
    dict(batch=None, steps=7, rows=8, cols=8, channels=1, filters=3, kernel=(2, 3),
         dilation=2, data_format="channels_first"),
    dict(batch=6, steps=None, rows=11, cols=13, channels=5, filters=7, kernel=(3, 5),
         strides=(2, 3), state=True),
    # Refused by Keras, in words: a kernel wider than the frame with "valid", and
    # strides and dilation_rate both above 1.
    dict(batch=2, steps=6, rows=4, cols=16, channels=1, filters=4, kernel=(5, 3)),
    dict(batch=2, steps=6, rows=16, cols=16, channels=1, filters=4, kernel=(3, 3),
         strides=(2, 1), dilation=2),
]


def _convlstm_setting(case: dict) -> dict:
    """A CONVLSTM_CONTROLS entry with its defaults, the page's field ids and the answer."""
    s = {"strides": (1, 1), "dilation": 1, "padding": "valid", "data_format": "channels_last",
         "sequences": False, "state": False, "use_bias": True, **case}
    first = s["data_format"] == "channels_first"
    frame = ((s["channels"], s["rows"], s["cols"]) if first
             else (s["rows"], s["cols"], s["channels"]))
    expected = _convlstm_expected((s["batch"], s["steps"], *frame), s["filters"], s["kernel"], {
        "rank": 2, "strides": s["strides"], "dilation_rate": s["dilation"],
        "padding": s["padding"], "data_format": s["data_format"],
        "return_sequences": s["sequences"], "return_state": s["state"],
        "use_bias": s["use_bias"]})
    sizes = {"batch": s["batch"], "timesteps": s["steps"], "rows": s["rows"], "cols": s["cols"],
             "channels": s["channels"], "filters": s["filters"], "kernel-rows": s["kernel"][0],
             "kernel-cols": s["kernel"][1], "strides-rows": s["strides"][0],
             "strides-cols": s["strides"][1], "dilation": s["dilation"]}
    return {"sizes": sizes, "selects": {"padding": s["padding"],
                                        "data-format": s["data_format"]},
            "checks": {"return-sequences": s["sequences"], "return-state": s["state"],
                       "use-bias": s["use_bias"]}, "expected": expected}


#: Sets each setting on the page's own controls (with the events a reader's edit fires)
#: and reads back what the page shows.
_CONVLSTM_DRIVE = """(settings) => settings.map(s => {
  const field = name => document.getElementById("se-conv-" + name);
  const fire = input => ["input", "change"].forEach(
    type => input.dispatchEvent(new Event(type, {bubbles: true})));
  for (const [name, value] of Object.entries(s.sizes)) {
    const none = field(name + "-none");
    if (none) { none.checked = value === null; fire(none); }
    if (value !== null) { field(name).value = String(value); fire(field(name)); }
  }
  for (const [name, value] of Object.entries(s.selects)) {
    field(name).value = value; fire(field(name));
  }
  for (const [name, value] of Object.entries(s.checks)) {
    field(name).checked = value; fire(field(name));
  }
  return {repr: field("repr").textContent, params: field("params").textContent,
          message: field("message").textContent, hidden: field("result").hidden,
          tensors: [...field("tensors").querySelectorAll("tbody tr")].map(r => r.textContent),
          code: field("code").textContent};
})"""


def _tuples(value):
    return tuple(map(_tuples, value)) if isinstance(value, list) else value


def _convlstm_shown(expected: dict) -> dict:
    """What the page must show for the companion's answer."""
    if expected["problem"]:
        return {"message": "Keras refuses this layer: " + expected["problem"], "hidden": True}
    shape = _tuples(expected["shape"])
    shapes = shape if isinstance(shape[0], tuple) else (shape,)
    names = ("outputs", "state_h", "state_c")[:len(shapes)]
    return {"repr": repr(shape), "params": f"{expected['params']:,}", "message": "",
            "hidden": False,
            "tensors": [name + repr(s) for name, s in zip(names, shapes, strict=True)]}


@pytest.fixture(scope="module")
def convlstm_shown(explorer) -> list[dict]:
    """The page's answers for every CONVLSTM_CONTROLS setting, from one page load."""
    return explorer.evaluate(_CONVLSTM_DRIVE, [_convlstm_setting(c) for c in CONVLSTM_CONTROLS])


def test_the_convlstm2d_controls_show_the_companions_answer(convlstm_shown):
    assert len(CONVLSTM_CONTROLS) == 20
    mismatches = []
    for case, shown in zip(CONVLSTM_CONTROLS, convlstm_shown, strict=True):
        wanted = _convlstm_shown(_convlstm_setting(case)["expected"])
        got = {key: shown[key] for key in wanted}
        if got != wanted:
            mismatches.append({"case": case, "wanted": wanted, "got": got})
    assert mismatches == [], json.dumps(mismatches[:3], indent=1)
    refused = [shown for shown in convlstm_shown if shown["hidden"]]
    assert len(refused) == 2


def test_an_invalid_convlstm2d_setting_says_what_is_wrong(explorer):
    explorer.fill("#se-conv-rows", "0")
    assert explorer.inner_text("#se-conv-message").startswith(
        "rows must be a whole number of at least 1")
    assert explorer.locator("#se-conv-result").is_hidden()
    for name, value in (("rows", 4), ("cols", 16), ("kernel-rows", 5), ("kernel-cols", 3),
                        ("strides-rows", 1), ("dilation", 1)):
        explorer.fill(f"#se-conv-{name}", str(value))
    explorer.select_option("#se-conv-padding", "valid")
    assert "kernel's reach (dilation_rate * (kernel_size - 1) + 1 = 5) with padding='valid'" in (
        explorer.inner_text("#se-conv-message"))
    explorer.select_option("#se-conv-padding", "same")  # the fix the message names
    assert explorer.inner_text("#se-conv-message") == ""
    assert explorer.locator("#se-conv-result").is_visible()


@pytest.mark.keras
@pytest.mark.slow
def test_the_convlstm2d_code_the_page_shows_builds_those_shapes_in_keras(convlstm_shown):
    import keras

    for case, shown in zip(CONVLSTM_CONTROLS, convlstm_shown, strict=True):
        if shown["hidden"]:
            continue
        scope: dict = {}
        exec(shown["code"], scope)  # noqa: S102 (the page's own code)
        results = scope["layer"](scope["inputs"])
        results = results if isinstance(results, (tuple, list)) else (results,)
        assert repr(tuple(tuple(r.shape) for r in results)) in (
            shown["repr"], f"({shown['repr']},)"), case
        assert f"{scope['layer'].count_params():,}" == shown["params"], case
    keras.backend.clear_session()


def test_the_page_names_the_sample_sizes_these_tests_use():
    page = json.loads((booktools.ROOT / "book" / "shape-explorer.ipynb").read_text())
    intro = "".join(page["cells"][0]["source"])
    for words in (f"for {STACK_SAMPLE + EMBEDDING_SAMPLE} randomly generated stacks "
                  f"({EMBEDDING_SAMPLE} of them start with an `Embedding`)",
                  f"on {CONVLSTM_SAMPLE} random layers and on {len(CONVLSTM_CONTROLS)} "
                  "settings of its controls"):
        assert words in intro
