"""Write the repository URL from _config.yml into every chapter's Colab install cell and
into the README (the repository's address and the book's GitHub Pages address).

    python scripts/sync_repository_url.py      (or: make sync-url)

Only the first code cell changes (its source, and its ``remove-cell`` tag, which keeps it
out of the HTML); outputs stay as they are (that cell prints nothing outside Colab).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booktools  # noqa: E402

#: The README quotes _config.yml's ``repository:`` block; its ``url:`` line holds the URL
#: that the README was last written with.
README_URL = re.compile(r"^[ \t]*repository:\n[ \t]+url: (\S+)", re.MULTILINE)


def sync_readme(path: Path, url: str) -> bool:
    """Replace the README's repository URL, and its site address, by ``url``'s.

    True if the file changed. Every copy of the old URL (``_config.yml``'s excerpt, the
    ``pip install`` line) and of its site address (``booktools.site_url``) is rewritten.

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> readme = Path(folder.name) / "README.md"
    >>> _ = readme.write_text("repository:\\n  url: https://github.com/a/book   # <- edit\\n"
    ...                       "Site: https://a.github.io/book/ (book: https://github.com/a/book)\\n")
    >>> sync_readme(readme, "https://github.com/Bee/book2"), sync_readme(readme, "https://github.com/Bee/book2")
    (True, False)
    >>> print(readme.read_text())
    repository:
      url: https://github.com/Bee/book2   # <- edit
    Site: https://bee.github.io/book2/ (book: https://github.com/Bee/book2)
    <BLANKLINE>
    >>> folder.cleanup()
    """
    text = path.read_text(encoding="utf-8")
    match = README_URL.search(text)
    if match is None:
        raise SystemExit(f"{path}: no quoted 'repository:' block with a 'url:' line")
    old = match.group(1).rstrip("/")
    new = text.replace(booktools.site_url(old), booktools.site_url(url))
    new = re.sub(re.escape(old) + r"(?![\w.-])", url, new)
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main() -> int:
    url = booktools.repository_url()
    for path in booktools.toc_notebooks():
        nb = nbformat.read(path, as_version=4)
        if booktools.set_colab_cell(nb, url):
            nbformat.write(booktools.normalise(nb, name=str(path)), path)
            print(f"updated {path.relative_to(booktools.ROOT)}")
    if sync_readme(booktools.ROOT / "README.md", url):
        print("updated README.md")
    print(f"Colab install cells point at {url}@{booktools.branch()}; "
          f"the README's site address is {booktools.site_url(url)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
