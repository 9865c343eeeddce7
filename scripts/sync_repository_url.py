"""Write the repository URL from _config.yml into every chapter's Colab install cell.

    python scripts/sync_repository_url.py      (or: make sync-url)

Only the first code cell changes (its source, and its ``remove-cell`` tag, which keeps it
out of the HTML); outputs stay as they are (that cell prints nothing outside Colab).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booktools  # noqa: E402


def main() -> int:
    url = booktools.repository_url()
    for path in booktools.toc_notebooks():
        nb = nbformat.read(path, as_version=4)
        if booktools.set_colab_cell(nb, url):
            nbformat.write(booktools.normalise(nb, name=str(path)), path)
            print(f"updated {path.relative_to(booktools.ROOT)}")
    print(f"Colab install cells point at {url}@{booktools.branch()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
