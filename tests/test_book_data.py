"""The chapters' data files ship inside the companion, and companion.book_data reads them.

A chapter opened alone (Colab opens a notebook in an empty /content) has no book/ folder
beside it: it reads its data from the installed package, so the wheel must hold them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

import companion
from companion.data import available, book_data, book_data_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "companion" / "data"
NAMES = ["cost", "unroll", "version-facts"]


def test_every_data_file_is_available_by_name():
    assert available() == sorted(path.stem for path in DATA.glob("*.json")) == NAMES


def test_book_data_returns_the_parsed_file():
    facts = companion.book_data("version-facts")["facts"]
    assert "stateful_call_batch_check" in facts
    assert book_data("unroll.json") == book_data("unroll")
    assert book_data_path("cost") == DATA / "cost.json"


def test_an_unknown_name_raises_value_error_naming_the_available_files():
    with pytest.raises(ValueError, match="'version_facts'.*'cost', 'unroll', 'version-facts'"):
        book_data("version_facts")


def test_load_benchmark_reads_the_packaged_cost_file_by_default():
    assert companion.load_benchmark().meta == companion.load_benchmark(DATA / "cost.json").meta


def test_pyproject_declares_the_data_files_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["package-data"]["companion.data"] == ["*.json"]


@pytest.mark.slow
def test_the_built_wheel_contains_every_data_file(tmp_path):
    # Built from a copy, so that setuptools' build/ and egg-info stay out of the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "companion", source / "companion",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    # Without build isolation (offline): the environment's own setuptools builds it, which
    # is why requirements.txt and requirements-compat.txt pin one that pyproject accepts.
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--quiet",
                            "--wheel-dir", str(tmp_path / "wheel"), str(source)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"companion/data/{name}.json" for name in NAMES} <= names
