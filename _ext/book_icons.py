"""Sphinx extension: draw the theme's Font Awesome icons as inline SVG, not web fonts.

pydata-sphinx-theme marks its header and footer icons as ``<i class="fa-solid
fa-bars">``. Without the theme's ``fontawesome.js`` (1.5 MB, dropped by
``book_html_fixes``), its stylesheet draws them with Font Awesome's web fonts, which
every page then downloads: ``fa-solid-900.woff2`` (153 KiB) and ``fa-brands-400.woff2``
(115 KiB) for about fifteen small icons, the largest part of a page's weight.

After the build, every such element keeps its tag, its other classes and attributes (so
the theme's rules for ``.search-button i`` or ``.theme-switch[data-mode=dark]`` still
apply) and loses the Font Awesome classes that pull in a font; inside it goes the
icon's SVG path, read from the same Font Awesome release that the theme ships in
``fontawesome.js``. A short ``<style>`` in each page's head sizes the SVG as Font
Awesome's own SVG mode does (1em high, width from the icon's proportions). The fonts
stay in ``_static`` but no page asks for them.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

#: Font Awesome's style classes, and the pack each one selects.
STYLE_CLASSES = {"fa-solid": "solid", "fas": "solid", "fa-regular": "regular",
                 "far": "regular", "fa-brands": "brands", "fab": "brands"}
#: Classes that size or place an icon without naming a font; they stay on the element.
MODIFIERS = frozenset({"fa-2xs", "fa-xs", "fa-sm", "fa-lg", "fa-xl", "fa-2xl", "fa-fw",
                       "fa-1x", "fa-2x", "fa-3x", "fa-4x", "fa-5x", "fa-6x", "fa-7x",
                       "fa-8x", "fa-9x", "fa-10x"})
#: The class every converted element gets, styled by ``STYLE``.
ICON_CLASS = "book-icon"
STYLE = (f"<style>.{ICON_CLASS}{{display:inline-block;font-style:normal;font-variant:normal;"
         f"line-height:1;text-rendering:auto}}.{ICON_CLASS}>svg{{height:1em;overflow:visible;"
         "vertical-align:-.125em;width:auto}</style>")
#: An empty ``<i>`` or ``<span>`` with a class attribute (the form the theme writes).
ELEMENT = re.compile(r'<(i|span)\s+class="([^"]*)"([^>]*)>\s*</\1>')
#: One icon in ``fontawesome.js``: name (quoted or not), width, height, aliases, code, path.
ICON = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z0-9]+)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]+",'
                  r'"([^"]+)"\]')
#: Where each pack's icons end in ``fontawesome.js``: its ``bunker(...("fab", ...))`` call.
PACK_END = re.compile(r'\("(fab|far|fas)",')
PACK_NAMES = {"fab": "brands", "far": "regular", "fas": "solid"}


def icon_table(script: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """Read ``(pack, name) -> (width, height, path)`` from Font Awesome's ``all.js``.

    The script defines each pack's icons, then registers them with a call that names
    the pack (``"fab"``, ``"far"``, ``"fas"``); aliases get the same entry.

    Examples
    --------
    >>> js = 'a={"arrow-up":[384,512,[8593],"f062","M1 2z"]};b("fas",a);'
    >>> icon_table(js)[("solid", "arrow-up")]
    (384, 512, 'M1 2z')
    """
    table: dict[tuple[str, str], tuple[int, int, str]] = {}
    start = 0
    for end in PACK_END.finditer(script):
        pack = PACK_NAMES[end.group(1)]
        for icon in ICON.finditer(script, start, end.start()):
            entry = (int(icon.group(3)), int(icon.group(4)), icon.group(6))
            names = [icon.group(1) or icon.group(2)]
            names += [alias.strip('"') for alias in icon.group(5).split(",")
                      if alias.startswith('"')]
            for name in names:
                table.setdefault((pack, name), entry)
        start = end.end()
    return table


def inline_icons(text: str, table: dict[tuple[str, str], tuple[int, int, str]]) -> str:
    """``text`` with every Font Awesome ``<i>``/``<span>`` turned into one holding an SVG.

    Elements whose icon is not in ``table`` are left as they are.

    Examples
    --------
    >>> table = {("solid", "sun"): (512, 512, "M1 2z")}
    >>> print(inline_icons('<i class="theme-switch fa-solid fa-sun fa-lg" title="Light"></i>',
    ...                    table))
    <i class="theme-switch fa-lg book-icon" title="Light"><svg viewBox="0 0 512 512" \
aria-hidden="true" focusable="false"><path fill="currentColor" d="M1 2z"/></svg></i>
    >>> inline_icons('<i class="fa-solid fa-unknown"></i>', table)
    '<i class="fa-solid fa-unknown"></i>'
    """
    def replace(match: re.Match) -> str:
        tag, classes, rest = match.group(1), match.group(2).split(), match.group(3)
        packs = [STYLE_CLASSES[name] for name in classes if name in STYLE_CLASSES]
        names = [name[3:] for name in classes
                 if name.startswith("fa-") and name not in STYLE_CLASSES and name not in MODIFIERS]
        if len(packs) != 1 or len(names) != 1 or (packs[0], names[0]) not in table:
            return match.group(0)
        width, height, path = table[(packs[0], names[0])]
        kept = [name for name in classes
                if name not in STYLE_CLASSES and name != "fa-" + names[0]] + [ICON_CLASS]
        svg = (f'<svg viewBox="0 0 {width} {height}" aria-hidden="true" focusable="false">'
               f'<path fill="currentColor" d="{html.escape(path, quote=True)}"/></svg>')
        return f'<{tag} class="{" ".join(kept)}"{rest}>{svg}</{tag}>'

    return ELEMENT.sub(replace, text)


def _theme_script() -> Path:
    import pydata_sphinx_theme  # here: the helpers above need no Sphinx

    return (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
            / "static" / "scripts" / "fontawesome.js")


def _inline_icons(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    table = icon_table(_theme_script().read_text(encoding="utf-8"))
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        drawn = inline_icons(text, table)
        if drawn != text:
            page.write_text(drawn.replace("</head>", STYLE + "\n</head>", 1), encoding="utf-8")


def setup(app):
    app.connect("build-finished", _inline_icons)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
