"""Local Sphinx extension: three fixes to the Jupyter Book 1.x stack, found by tests/test_browser.py
and tests/test_book_build.py.

1. Every build re-reads every page. Sphinx re-reads only sources that changed, so
   ``jupyter-book build book/`` into an existing ``_build`` would keep the outputs of
   unchanged chapters even with ``execute_notebooks: force``: a page could show
   outputs computed from older code or data.
2. sphinx-thebe 0.3.1 adds its inline ``const THEBE_JS_URL = ...`` script twice on
   Sphinx 7.4 (once with ``filename=None``, once with ``''``), a SyntaxError in
   every page's console. Identical inline scripts are kept once.
3. pydata-sphinx-theme 0.17 reads ``default_mode`` from the HTML context; Jupyter
   Book leaves it unset, so every first visit logs "Got invalid theme mode".
4. The data are validated before any chapter runs. On invalid data the build stops at
   once, with a message that names the file, column, lines and rule but neither the
   folder's path nor any value from the data (``TrialDataError.public``): otherwise
   every chapter would fail and write the validation error, with a patient's
   identifier, into its page, its notebook and the error reports.
"""

from sphinx.errors import ConfigError


def _every_page(app, env, added, changed, removed):
    return sorted(env.found_docs - added - changed - removed)


def _unique_scripts(app, pagename, templatename, context, doctree):
    seen, scripts = set(), []
    for js in context.get("script_files", []):
        key = (js.filename or "", tuple(sorted((k, str(v)) for k, v in js.attributes.items())))
        if key not in seen:
            seen.add(key)
            scripts.append(js)
    context["script_files"] = scripts


def _default_mode(app, config):
    config.html_context.setdefault("default_mode", "auto")


def _validate_data(app, config):
    from analysis.trial.data import TrialDataError, load_trial
    from analysis.trial.paths import data_dir

    try:
        load_trial(data_dir())
    except TrialDataError as exc:
        raise ConfigError("the trial data (TRIAL_DATA) are invalid, so no chapter was run: " + exc.public) from None


def setup(app):
    app.connect("config-inited", _validate_data)
    app.connect("env-get-outdated", _every_page)
    app.connect("html-page-context", _unique_scripts)
    app.connect("config-inited", _default_mode)
    app.connect("builder-inited", _parallel)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _parallel(app, config=None):
    for name in ("sphinx_multitoc_numbering", "sphinx-mathjax-offline", "sphinx_jupyterbook_latex"):
        ext = app.extensions.get(name)
        if ext is not None:
            ext.parallel_read_safe = True
