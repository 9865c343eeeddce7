"""Lighthouse scores of every page of the built book, served as a static host serves it.

    python scripts/lighthouse_report.py [_build/html] [--runs 3] [--pages book/stacking]
    (or: make lighthouse, which installs the pinned Lighthouse first)

Serves the build with gzip (scripts/serve_book.py), runs Lighthouse (npm, pinned in
scripts/lighthouse/package.json, installed under .venv/lighthouse) with its default
mobile preset against each page of _toc.yml in the system Chromium, ``--runs`` times, and
prints the median score of each category: performance, accessibility, best practices and
SEO, with the page's transfer size as Lighthouse counts it. Below the table it lists what
each page loses points on (from the run with the median performance score), so that a
fix can start from the audit's name.

Writes ``_build/lighthouse/summary.json`` and each page's median report. Exits 1 naming
every page and category under the target (95). Performance depends on the machine's
load (Lighthouse times the page's scripts): measure on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booktools  # noqa: E402
import serve_book  # noqa: E402

TARGET = 95
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
HEADINGS = ("perf", "a11y", "best", "seo")
LIGHTHOUSE = booktools.ROOT / ".venv" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")


def run_lighthouse(url: str, output: Path) -> dict:
    """One Lighthouse run of ``url`` (mobile preset); its JSON report."""
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={output}",
               f"--chrome-flags={CHROME_FLAGS}",
               f"--only-categories={','.join(CATEGORIES)}"]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not output.is_file():
        raise RuntimeError(f"lighthouse failed on {url} (exit {done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    return json.loads(output.read_text(encoding="utf-8"))


def scores(report: dict) -> dict[str, int]:
    """The category scores of a report, 0-100.

    Examples
    --------
    >>> scores({"categories": {"seo": {"score": 0.91}, "performance": {"score": None}}})
    {'seo': 91, 'performance': 0}
    """
    return {name: round(100 * (category["score"] or 0))
            for name, category in report["categories"].items()}


def lost_points(report: dict) -> list[str]:
    """The audits that cost a category points: weighted, scored, and not passed.

    Examples
    --------
    >>> report = {"categories": {"seo": {"auditRefs": [{"id": "meta-description",
    ...                                                  "weight": 1}]}},
    ...           "audits": {"meta-description": {"score": 0, "title": "No description",
    ...                                            "scoreDisplayMode": "binary"}}}
    >>> lost_points(report)
    ['seo: meta-description (No description)']
    """
    lost = []
    for name, category in report["categories"].items():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if (ref.get("weight", 0) > 0 and audit.get("score") is not None
                    and audit["score"] < 1
                    and audit.get("scoreDisplayMode") in ("binary", "numeric")):
                value = audit.get("displayValue")
                lost.append(f"{name}: {ref['id']} ({audit['title']}"
                            f"{'; ' + value if value else ''})")
    return lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path,
                        default=booktools.ROOT / "_build" / "html")
    parser.add_argument("--runs", type=int, default=3, help="runs per page (median)")
    parser.add_argument("--pages", nargs="*", help="TOC names (default: every page)")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        print(f"no Lighthouse at {LIGHTHOUSE}: run `make lighthouse` (it installs it)",
              file=sys.stderr)
        return 2
    pages = args.pages or [name for name in booktools.toc_files()
                           if (args.directory / f"{name}.html").is_file()]
    out = args.directory.parent / "lighthouse"
    out.mkdir(parents=True, exist_ok=True)
    print(f"Lighthouse, mobile preset, median of {args.runs} runs, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'page':34} " + " ".join(f"{h:>5}" for h in HEADINGS) + f" {'KiB':>6}")
    summary, problems, losses = {}, [], {}
    with serve_book.serve(args.directory) as base, tempfile.TemporaryDirectory() as tmp:
        for name in pages:
            reports = [run_lighthouse(urljoin(base, f"{name}.html"),
                                      Path(tmp) / f"run{run}.json")
                       for run in range(args.runs)]
            runs = [scores(report) for report in reports]
            median = {c: int(statistics.median(r[c] for r in runs)) for c in CATEGORIES}
            by_performance = sorted(zip(runs, reports, strict=True),
                                    key=lambda pair: pair[0]["performance"])
            typical = by_performance[len(by_performance) // 2][1]
            weight = typical["audits"]["total-byte-weight"]["numericValue"] / 1024
            summary[name] = {"median": median, "runs": runs, "kib": round(weight)}
            losses[name] = lost_points(typical)
            (out / f"{name.replace('/', '-')}.json").write_text(
                json.dumps(typical), encoding="utf-8")
            print(f"{name:34} " + " ".join(f"{median[c]:5d}" for c in CATEGORIES)
                  + f" {weight:6.0f}", flush=True)
            problems += [f"{name}: {c} {median[c]} (target >= {TARGET})"
                         for c in CATEGORIES if median[c] < TARGET]
    print()
    for name, lost in losses.items():
        for line in lost:
            print(f"{name}: {line}")
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"reports in {out}")
    for problem in problems:
        print(f"lighthouse: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
