"""Sphinx extension: remove two JavaScript console errors of the Jupyter Book 1 stack.

1. Sphinx 7.4 writes an inline script twice when an extension adds it after the builder
   started (sphinx-thebe, sphinx-togglebutton): once from the builder and once re-read
   from the registry with ``filename=''`` instead of ``None``. The second
   ``const THEBE_JS_URL`` throws "Identifier 'THEBE_JS_URL' has already been declared".
   Keep the first of each inline script.
2. pydata-sphinx-theme starts in mode ``""`` on a reader's first visit (empty
   localStorage) and logs "Got invalid theme mode". ``html_context.default_mode`` is
   the mode it falls back to: ``auto``.
"""


def _drop_duplicate_inline_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or None, script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _default_mode(app, config):
    config.html_context.setdefault("default_mode", "auto")


def setup(app):
    app.connect("config-inited", _default_mode)
    app.connect("html-page-context", _drop_duplicate_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
