"""Run each version fact's snippet on the Keras releases it names; write the outcomes.

    python scripts/version_facts.py          # make version-facts
    python scripts/version_facts.py --dry-run   # list the releases and facts only
    python scripts/version_facts.py --fresh     # ignore the stored observations

A sentence such as "Keras 3.11 does not check the batch size" is only as good as the
run behind it. This script installs every Keras release a fact needs into a scratch
folder under `.venv/version-facts/` (`pip install --no-deps --target`), runs the
release in a subprocess beside the pinned TensorFlow (`PYTHONPATH` puts the scratch
folder before the virtual environment's own Keras), executes each fact's snippet
there and writes `companion/data/version-facts.json`. Keras 3.0.x imports `tree`
(dm-tree), which the pinned stack lacks: it goes into its own scratch folder too. The
pinned Keras runs from the virtual environment itself, tf-keras through `import
tf_keras as keras`. Each run records the TensorFlow version it ran beside.

The snippets print what they observe (a raised exception, the warnings, a value);
`label` turns those observations into a short, stable outcome, and `changed_in`
names the first run release whose outcome differs from the run release before it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".venv" / "version-facts"
OUTPUT = ROOT / "companion" / "data" / "version-facts.json"
GENERATED_BY = "python scripts/version_facts.py  (make version-facts)"
PINNED = "3.15.1"
TF_KERAS = "tf-keras 2.21.0"
# Keras releases older than this import dm-tree's `tree` module.
NEEDS_DM_TREE_BEFORE = (3, 1, 0)

# What every snippet starts with: `observe` runs one call and prints what happened.
PRELUDE = '''\
import json
import warnings

import keras
import numpy as np


def observe(label, call):
    """Run call(); print its value or exception and the warnings it gave, as JSON."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = {"value": call()}
        except Exception as error:
            result = {"raised": type(error).__name__, "message": str(error)}
    result["warnings"] = [str(w.message) for w in caught
                          if issubclass(w.category, UserWarning)]
    print("OBSERVED", label, json.dumps(result, default=repr))
'''

STATEFUL_MODEL = '''
x = np.random.default_rng(0).normal(size=(2, 12, 3)).astype("float32")
x4 = np.concatenate([x, x], axis=0)
inputs = keras.Input(batch_shape=(2, None, 3), name="series")
lstm = keras.layers.LSTM(5, return_sequences=True, stateful=True, name="stateful_lstm")
model = keras.Model(inputs, lstm(inputs), name="stateful_model")
'''


@dataclass(frozen=True)
class Fact:
    question: str
    body: str
    releases: tuple[str, ...]

    @property
    def snippet(self) -> str:
        return PRELUDE + self.body


STATEFUL_RELEASES = ("3.10.0", "3.11.3", "3.12.0", "3.13.2", "3.14.0", "3.15.1")
# Every minor line's latest patch from 3.0 to 3.15, and 3.0.0 and 3.2.0 (the first release
# of the line where input_length stopped raising).
EVERY_MINOR = ("3.0.0", "3.0.5", "3.1.1", "3.2.0", "3.2.1", "3.3.3", "3.4.1", "3.5.0",
               "3.6.0", "3.7.0", "3.8.0", "3.9.2", "3.10.0", "3.11.3", "3.12.4", "3.13.2",
               "3.14.1", "3.15.1")

FACTS: dict[str, Fact] = {
    "stateful_call_batch_check": Fact(
        "Calling (eagerly) a model whose stateful LSTM is built for batch 2 on a batch "
        "of 4: which error, raised by Keras's own check or by TensorFlow.",
        STATEFUL_MODEL + '''
observe("batch 4", lambda: tuple(model(x4).shape))
''', STATEFUL_RELEASES),
    "stateful_predict_batch": Fact(
        "model.predict of that stateful model (built for batch 2), after a predict on a "
        "batch of 2 as in the chapter, on a batch of 4 and on a batch of 1: the outcome "
        "of each.",
        STATEFUL_MODEL + '''
model.predict(x[:, :4], verbose=0)  # as in the chapter: predict ran on batches of 2 first
lstm.reset_state()
observe("batch 4", lambda: model.predict(x4, verbose=0).shape)
lstm.reset_state()
observe("batch 1", lambda: model.predict(x[:1], verbose=0).shape)
''', STATEFUL_RELEASES),
    "masked_metric": Fact(
        "evaluate of a Masking -> LSTM -> Dense sequence model compiled with loss='mse' "
        "and metrics=['mae'] on post-padded data: do the loss and the metric skip the "
        "padded steps.",
        '''
lengths = np.array([5, 3, 2, 4])
rng = np.random.default_rng(1)
raw = [rng.normal(size=(length, 2)) for length in lengths]
x = keras.utils.pad_sequences(raw, padding="post", dtype="float32")
y = keras.utils.pad_sequences([np.cumsum(s[:, :1], axis=0) for s in raw],
                              padding="post", dtype="float32")
real = x.any(axis=-1)
tagger = keras.Sequential([
    keras.Input(shape=(5, 2)),
    keras.layers.Masking(name="masking"),
    keras.layers.LSTM(8, return_sequences=True, name="lstm"),
    keras.layers.Dense(1, name="per_step"),
])
tagger.compile(loss="mse", metrics=["mae"])
error = (keras.ops.convert_to_numpy(tagger(x)) - y)[..., 0]


def skips_padding():
    reported = tagger.evaluate(x, y, verbose=0, return_dict=True)
    return {
        "loss": bool(np.isclose(reported["loss"], np.mean(error[real] ** 2), rtol=1e-5)),
        "mae": bool(np.isclose(reported["mae"], np.mean(np.abs(error[real])), rtol=1e-5)),
    }


observe("evaluate", skips_padding)
''', STATEFUL_RELEASES),
    "softmax_mask_shape_check": Fact(
        "A Masking -> LSTM -> Dense(1) -> Softmax(axis=1) -> Dot -> Reshape attention "
        "pooling gives Softmax a (1, 4) mask over (1, 4, 1) scores: where the first "
        "call fails.",
        '''
values = np.array([[[1.0], [2.0], [3.0], [0.0]]], dtype="float32")
padded = keras.Input(shape=(4, 1), name="padded")
masked = keras.layers.Masking(mask_value=0.0, name="masking")(padded)
states = keras.layers.LSTM(8, return_sequences=True, name="lstm")(masked)
scores = keras.layers.Dense(1, name="score")(states)
weights = keras.layers.Softmax(axis=1, name="weights")(scores)
pooled = keras.layers.Dot(axes=1, name="weighted_sum")([weights, states])
pooled = keras.layers.Reshape((8,), name="pooled")(pooled)
model = keras.Model(padded, pooled)
observe("call", lambda: tuple(model(values).shape))
''', STATEFUL_RELEASES[2:]),
    "embedding_input_length": Fact(
        "keras.layers.Embedding(10, 4, input_length=5): an error or a warning, and "
        "whether the layer then accepts sequences of length 7 (the tf-keras run "
        "imports tf_keras as keras).",
        '''
observe("create", lambda: type(keras.layers.Embedding(10, 4, input_length=5)).__name__)
observe("length 7", lambda: tuple(
    keras.layers.Embedding(10, 4, input_length=5)(np.zeros((1, 7), "int32")).shape))
''', EVERY_MINOR + (TF_KERAS,)),
}


# ---------------------------------------------------------------- pure functions

def version_key(release: str) -> tuple[int, ...]:
    """Sort key of a release: "3.12.0" -> (3, 12, 0); tf-keras sorts after Keras 3."""
    if release.startswith("tf-keras"):
        return (99,)
    return tuple(int(part) for part in release.split("."))


def first_line(message: str) -> str:
    """The informative first line of an error or warning, without Keras's header."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", message)
    shapes = re.search(r"Incompatible shapes: \S+ vs\. \S+", message)
    if shapes:
        return shapes[0]
    for line in message.splitlines():
        line = line.strip()
        if line and not line.startswith("Exception encountered when calling"):
            if len(line) > 200:  # a long message: its first sentence
                line = re.split(r"(?<=[.:])\s", line, maxsplit=1)[0]
            return line[:200]
    return ""


def raising_layer(message: str) -> str | None:
    """The layer class named by Keras's "Exception encountered when calling X.call()"."""
    found = re.search(r"when calling (\w+)\.call\(\)", message)
    return found[1] if found else None


def label_error(observation: dict) -> str:
    """A short label for one raised exception: its type and who raised it."""
    kind, message = observation["raised"], observation["message"]
    if kind == "InvalidArgumentError" or "Dimensions must be equal" in message:
        return f"{kind} (TensorFlow)"
    if "batch size" in message and kind in ("ValueError", "OperatorNotAllowedInGraphError"):
        return f"{kind} (Keras check)"
    if "Unrecognized keyword arguments" in message:
        return f"{kind} (unrecognized keyword)"
    layer = raising_layer(message)
    return f"{kind} in {layer}" if layer else kind


def label_one(observation: dict) -> tuple[str, str]:
    """(label, detail) of one observation, a value or an exception."""
    if "raised" in observation:
        return label_error(observation), first_line(observation["message"])
    value = observation["value"]
    if isinstance(value, list):
        value = tuple(value)
    return f"returns {value}", ""


def label(fact_id: str, observations: dict[str, dict]) -> tuple[str, str]:
    """The outcome label and detail of one run of one fact from its observations."""
    if "snippet" in observations:  # the snippet itself failed before observing
        outcome, detail = label_one(observations["snippet"])
        return f"snippet failed: {outcome}", detail
    if fact_id == "masked_metric":
        value = observations["evaluate"].get("value")
        if not isinstance(value, dict):
            return label_one(observations["evaluate"])
        metric = "metric skips padded steps" if value["mae"] else "metric counts padded steps"
        loss = "loss skips padded steps" if value["loss"] else "loss counts padded steps"
        return metric, loss
    if fact_id == "embedding_input_length":
        create = observations["create"]
        if "raised" in create:
            return label_one(create)
        warned = [w for w in create["warnings"] if "input_length" in w]
        seven = observations["length 7"]
        honoured = "ignored" if seven.get("value") in ([1, 7, 4], (1, 7, 4)) else "enforced"
        return (f"warns, {honoured}" if warned else f"accepted, {honoured}",
                first_line(warned[0]) if warned else "")
    parts = [(name, *label_one(observation)) for name, observation in observations.items()]
    if len(parts) == 1:
        return parts[0][1], parts[0][2]
    outcome = "; ".join(f"{name}: {outcome}" for name, outcome, _ in parts)
    detail = "; ".join(f"{name}: {detail}" for name, _, detail in parts if detail)
    return outcome, detail


def changed_in(runs: list[dict]) -> str | None:
    """The first run Keras 3 release whose outcome differs from the run release before it.

    Only Keras 3 releases count (a tf-keras run is an extra, not a step in the
    release line); runs are compared in release order.
    """
    line = sorted((run for run in runs if not run["keras"].startswith("tf-keras")),
                  key=lambda run: version_key(run["keras"]))
    for before, after in itertools.pairwise(line):
        if before["outcome"] != after["outcome"]:
            return after["keras"]
    return None


def parse_output(stdout: str) -> tuple[dict[str, str], dict[str, dict[str, dict]]]:
    """({"keras": ..., "tensorflow": ...}, {fact_id: {label: observation}}) from a run."""
    versions: dict[str, str] = {}
    observed: dict[str, dict[str, dict]] = {}
    fact = None
    for line in stdout.splitlines():
        if line.startswith("VERSIONS "):
            versions = json.loads(line.removeprefix("VERSIONS "))
        elif line.startswith("FACT "):
            fact = line.removeprefix("FACT ").strip()
            observed[fact] = {}
        elif line.startswith("OBSERVED ") and fact is not None:
            name, _, payload = line.removeprefix("OBSERVED ").partition(" {")
            observed[fact][name] = json.loads("{" + payload)
    return versions, observed


# ---------------------------------------------------------------- running releases

DRIVER = '''\
import importlib, json, sys
keras = importlib.import_module(sys.argv[1])
import tensorflow as tf
print("VERSIONS", json.dumps({"keras": keras.__version__, "tensorflow": tf.__version__}),
      flush=True)
for fact_id, source in json.load(open(sys.argv[2])):
    print("FACT", fact_id, flush=True)
    keras.backend.clear_session()
    try:
        exec(compile(source, fact_id, "exec"), {"__name__": fact_id})
    except Exception as error:
        print("OBSERVED snippet", json.dumps({"raised": type(error).__name__,
                                              "message": str(error)}), flush=True)
'''


def pip_target(folder: Path, requirement: str) -> Path:
    """Install one requirement, without dependencies, into a scratch folder (cached)."""
    if not (folder / ".complete").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--upgrade", "--target", str(folder), requirement], check=True)
        (folder / ".complete").touch()
    return folder


def path_for(release: str) -> list[Path]:
    """The PYTHONPATH entries a release needs (none for the pinned Keras or tf-keras)."""
    if release == PINNED or release == TF_KERAS:
        return []
    paths = [pip_target(CACHE / f"keras-{release}", f"keras=={release}")]
    if version_key(release) < NEEDS_DM_TREE_BEFORE:
        paths.append(pip_target(CACHE / "extra-dm-tree", "dm-tree"))
    return paths


def run_release(release: str, fact_ids: list[str], *, fresh: bool = False) -> tuple[dict, dict]:
    """Run the given facts' snippets on one release in a fresh interpreter.

    The observations are kept in `.venv/version-facts/results/`, keyed by the
    snippets' text, so a run with the same snippets (a new label, say) reads them back
    unless `fresh` is set.
    """
    module = "tf_keras" if release == TF_KERAS else "keras"
    sources = []
    for fact_id in fact_ids:
        source = FACTS[fact_id].snippet
        if module == "tf_keras":
            source = source.replace("import keras\n", "import tf_keras as keras\n", 1)
        sources.append((fact_id, source))
    digest = hashlib.sha256(json.dumps(sources).encode()).hexdigest()[:16]
    stored = CACHE / "results" / f"{release.replace(' ', '-')}-{digest}.json"
    if stored.exists() and not fresh:
        versions, observed = json.loads(stored.read_text())
        return versions, observed
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3",
               TF_ENABLE_ONEDNN_OPTS="0", PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in path_for(release))
    with tempfile.TemporaryDirectory() as scratch:
        driver, listing = Path(scratch, "driver.py"), Path(scratch, "sources.json")
        driver.write_text(DRIVER)
        listing.write_text(json.dumps(sources))
        done = subprocess.run([sys.executable, str(driver), module, str(listing)],
                              capture_output=True, text=True, env=env, cwd=scratch,
                              timeout=600)
    versions, observed = parse_output(done.stdout)
    wanted = release.removeprefix("tf-keras ")
    if versions.get("keras") != wanted:
        raise RuntimeError(f"asked for Keras {release}, the subprocess imported "
                           f"{versions.get('keras')}:\n{done.stderr[-2000:]}")
    missing = set(fact_ids) - set(observed)
    if missing:
        raise RuntimeError(f"Keras {release}: no output for {sorted(missing)}:\n"
                           f"{done.stderr[-2000:]}")
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps([versions, observed]))
    return versions, observed


def build(releases_done: dict[str, tuple[dict, dict]]) -> dict:
    """The version-facts document from every release's observations."""
    facts = {}
    for fact_id, fact in FACTS.items():
        runs = []
        for release in sorted(fact.releases, key=version_key):
            versions, observed = releases_done[release]
            outcome, detail = label(fact_id, observed[fact_id])
            runs.append({"keras": release, "tensorflow": versions["tensorflow"],
                         "outcome": outcome, "detail": detail})
        facts[fact_id] = {"question": fact.question, "snippet": fact.snippet,
                          "runs": runs, "changed_in": changed_in(runs)}
    return {"generated_by": GENERATED_BY, "facts": facts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="list each release and the facts it runs, run nothing")
    parser.add_argument("--fresh", action="store_true",
                        help="run every release again, even where stored observations "
                             "of the same snippets exist")
    args = parser.parse_args(argv)
    releases = sorted({r for fact in FACTS.values() for r in fact.releases}, key=version_key)
    plan = {r: [f for f, fact in FACTS.items() if r in fact.releases] for r in releases}
    done: dict[str, tuple[dict, dict]] = {}
    start = time.perf_counter()
    for number, (release, fact_ids) in enumerate(plan.items(), 1):
        print(f"[{number}/{len(plan)}] Keras {release}: {', '.join(fact_ids)}", flush=True)
        if args.dry_run:
            continue
        done[release] = run_release(release, fact_ids, fresh=args.fresh)
        for fact_id in fact_ids:
            outcome, _ = label(fact_id, done[release][1][fact_id])
            print(f"    {fact_id}: {outcome}", flush=True)
    if args.dry_run:
        return 0
    document = build(done)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)} in {time.perf_counter() - start:.0f} s")
    for fact_id, fact in document["facts"].items():
        print(f"{fact_id}: changed in {fact['changed_in']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
