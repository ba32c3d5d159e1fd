"""Local Sphinx extension: fixes to the Jupyter Book 1.x stack, found by tests/test_browser.py
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
5. The repository and launch (Binder) buttons come from one value, ``repository.url`` in
   ``_config.yml``, and are hidden when it is empty (:func:`repository_buttons`); the
   executed notebook stays downloadable either way.
6. One search box (the sidebar's), not two.
7. A footer that says what the book is: title, which data the numbers come from, the paper
   and its licence, the repository when configured (:func:`footer_html`).
8. After the build, files no page uses are removed (:func:`prune_site`): all of MathJax
   but the one component and fonts the pages load (equations still render offline), source
   maps, Font Awesome's SVG script (the stylesheet draws the icons), translation catalogues;
   PNG figures get a palette where that is invisible. The site stays under 5 MB; tests/test_book_build.py checks its weight and that every
   local link resolves.
"""

import html
import re
import shutil
from pathlib import Path

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
        trial = load_trial(data_dir())
    except TrialDataError as exc:
        raise ConfigError("the trial data (TRIAL_DATA) are invalid, so no chapter was run: " + exc.public) from None
    from analysis.trial.published import load_published

    app._book_data = {"synthetic": trial.synthetic, "name": trial.meta.get("name", trial.path.name),
                      "citation": dict(load_published().citation)}


def setup(app):
    app.connect("config-inited", _validate_data)
    app.connect("env-get-outdated", _every_page)
    app.connect("html-page-context", _unique_scripts)
    app.connect("config-inited", _default_mode)
    app.connect("builder-inited", _parallel)
    app.connect("config-inited", _repository)
    app.connect("config-inited", _one_search)
    app.connect("html-page-context", _notebook_download, priority=500)
    app.connect("html-page-context", _footer)
    app.connect("build-finished", _prune, priority=900)  # after sphinx-mathjax-offline copies MathJax
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _parallel(app, config=None):
    for name in ("sphinx_multitoc_numbering", "sphinx-mathjax-offline", "sphinx_jupyterbook_latex"):
        ext = app.extensions.get(name)
        if ext is not None:
            ext.parallel_read_safe = True


# --- 5. The repository and launch buttons come from one value: ``repository.url`` -------------

#: The header buttons that link to the repository; shown only when ``repository.url`` is set.
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button", "use_source_button")


def repository_buttons(theme_options: dict) -> dict:
    """Theme options with the repository and launch buttons on exactly when a repository URL is set.

    ``repository.url`` in ``_config.yml`` (Sphinx's ``html_theme_options["repository_url"]``) is
    the one value: set, the page header links to the repository and launches the chapter on
    the BinderHub of ``launch_buttons``; empty (the default, as the book has no public
    repository yet), neither button is shown, so no page links to a repository that does not
    exist. Download buttons (.ipynb, .md) are always shown.

    Parameters
    ----------
    theme_options : dict
        ``html_theme_options`` as Jupyter Book built them from ``_config.yml``.

    Returns
    -------
    dict
        A copy with ``use_repository_button`` and ``launch_buttons`` set from the URL.
    """
    opts = dict(theme_options)
    url = str(opts.get("repository_url") or "").strip()
    opts["repository_url"] = url
    if url:
        opts["use_repository_button"] = True
    else:
        opts.update({key: False for key in REPOSITORY_BUTTONS})
        opts["launch_buttons"] = {}
    return opts


def _repository(app, config):
    config.html_theme_options = repository_buttons(config.html_theme_options)


def _notebook_download(app, pagename, templatename, context, doctree):
    # sphinx-book-theme copies a chapter's executed notebook to _sources (the .ipynb download)
    # only while it adds launch buttons; without a repository there are none, so copy it here.
    if context.get("ipynb_source") or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if executed.is_file():
        target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(executed, target)
        context["ipynb_source"] = f"{pagename}.ipynb"


# --- 6. One search box ------------------------------------------------------------------------

def _one_search(app, config):
    # sphinx-book-theme shows a search field in the primary sidebar and the pydata header shows
    # another; the header's is dropped. On narrow screens the article header's search button
    # (an icon, not a box) opens the same search dialog.
    config.html_theme_options["navbar_persistent"] = []


# --- 7. A footer that says what the book is --------------------------------------------------

def footer_html(title: str, citation: dict, synthetic: bool, dataset: str, data_href: str,
                repository_url: str = "") -> str:
    """The footer of every page: the book's title, what data the numbers come from, the paper and its licence.

    Parameters
    ----------
    title : str
        The book's title (``title`` in ``_config.yml``).
    citation : dict
        The paper's citation (``Published.citation``: authors, title, venue, year, doi, license).
    synthetic : bool
        Whether the book was computed on the synthetic cohort (``Trial.synthetic``).
    dataset : str
        The dataset's name, shown when the data are not synthetic.
    data_href : str
        Relative link from the page to the Data chapter; empty on the Data chapter itself.
    repository_url : str, default ""
        The book's repository; linked when set.

    Returns
    -------
    str
        HTML for the theme's ``extra_footer``.
    """
    esc = html.escape
    see = f' (see <a href="{esc(data_href)}">Data</a>).' if data_href else "."
    if synthetic:
        data = ("Every computed number comes from a <strong>synthetic cohort</strong> calibrated to the "
                "paper's published aggregates, not from the trial's patients" + see)
    else:
        data = f"Computed on the dataset <strong>{esc(dataset)}</strong>; only aggregates are shown" + see
    first = citation.get("authors", "").split(",")[0].split()
    authors = first[0] if first else ""
    paper = (f"{esc(authors)} et al. ({esc(str(citation.get('year', '')))}), "
             f"<em>{esc(citation.get('title', ''))}</em>, {esc(citation.get('venue', ''))}")
    doi = citation.get("doi")
    if doi:
        paper += f", <a href=\"https://doi.org/{esc(doi)}\">doi:{esc(doi)}</a>"
    licence = citation.get("license", "")
    if licence == "CC BY 4.0":
        licence = '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>'
    else:
        licence = esc(licence)
    parts = [f"<strong>{esc(title)}</strong>. {data}",
             f"Published numbers are from {paper}, licensed {licence}." if licence else
             f"Published numbers are from {paper}."]
    if repository_url:
        parts.append(f"Source: <a href=\"{esc(repository_url)}\">{esc(repository_url)}</a>.")
    return '<div class="book-footer">' + "".join(f"<p>{p}</p>" for p in parts) + "</div>"


def _footer(app, pagename, templatename, context, doctree):
    data = getattr(app, "_book_data", None)
    if data is None:
        return
    data_doc = "chapters/data" if "chapters/data" in app.env.found_docs else app.config.root_doc
    context["theme_extra_footer"] = footer_html(
        app.config.html_title or app.config.project, data["citation"], data["synthetic"], data["name"],
        "" if pagename == data_doc else context["pathto"](data_doc),
        app.config.html_theme_options.get("repository_url", ""))


# --- 8. Site weight: only the files pages use --------------------------------------------------

#: MathJax files the pages load: the combined TeX-to-CommonHTML component and its web fonts
#: (sphinx-mathjax-offline copies all of MathJax 3, 24 MB, most of it other components).
MATHJAX_KEEP = ("tex-chtml.js", "output/chtml/fonts/woff-v2/")
_SOURCE_MAP = re.compile(r"(?:\A|\n)(?://# sourceMappingURL=[\w.\-/]+|/\*# sourceMappingURL=[\w.\-/]+\s*\*/)\s*\Z")
_FONTAWESOME_JS = re.compile(r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?')
_TTF_FALLBACK = re.compile(r',url\([^)]*\.ttf\) format\("truetype"\)')


def prune_site(outdir: Path) -> None:
    """Remove from the built site what no page uses; every remaining reference still resolves.

    - MathJax: everything but :data:`MATHJAX_KEEP` (equations still render offline);
    - source maps (``*.map``) and the comments that name them;
    - Font Awesome's 1.5 MB SVG script: the theme's stylesheet already draws the same icons
      with the web fonts, of which the WOFF2 files are kept and the TrueType fallbacks dropped;
    - the themes' translation catalogues (``_static/locales``) and Jinja macro files, used only
      at build time;
    - figures (PNG) are stored with a 256-colour palette where that is invisible
      (:func:`compress_png`): a quarter of the bytes for the same picture.

    Parameters
    ----------
    outdir : Path
        The HTML output folder (``_build/html``).
    """
    static = outdir / "_static"
    mathjax = static / "mathjax"
    if mathjax.is_dir():
        for f in sorted(mathjax.rglob("*"), reverse=True):
            rel = f.relative_to(mathjax).as_posix()
            if f.is_file() and not any(rel == k or (k.endswith("/") and rel.startswith(k)) for k in MATHJAX_KEEP):
                f.unlink()
            elif f.is_dir() and not any(f.iterdir()):
                f.rmdir()
    for f in outdir.rglob("*.map"):
        f.unlink()
    for f in list(static.rglob("*.js")) + list(static.rglob("*.css")):
        text = f.read_text(encoding="utf-8")
        new = _TTF_FALLBACK.sub("", _SOURCE_MAP.sub("", text)) if f.suffix == ".css" else _SOURCE_MAP.sub("", text)
        if new != text:
            f.write_text(new, encoding="utf-8")
    fonts = static / "vendor" / "fontawesome" / "webfonts"
    for f in fonts.glob("*.ttf") if fonts.is_dir() else []:
        f.unlink()
    fa = static / "scripts" / "fontawesome.js"
    if fa.exists():
        fa.unlink()
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _FONTAWESOME_JS.sub("", text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    shutil.rmtree(static / "locales", ignore_errors=True)
    for png in sorted((outdir / "_images").glob("*.png")):
        compress_png(png)
    for template in ("webpack-macros.html", "sbt-webpack-macros.html"):  # the themes' Jinja macros
        (static / template).unlink(missing_ok=True)


#: Largest root-mean-square change of a colour channel (0-255) that :func:`compress_png` accepts.
PNG_MAX_RMS = 2.5


def compress_png(path: Path, max_rms: float = PNG_MAX_RMS) -> bool:
    """Re-encode a PNG figure with a 256-colour palette if no colour channel changes by more than ``max_rms``.

    Matplotlib figures (lines, markers, text on a plain background) have a few hundred
    colours, most of them antialiasing shades; a 256-colour palette without dithering
    (Pillow's fast octree, as pngquant does) keeps them within about one level of 255 and
    stores the figure in a quarter of the bytes. Pictures with smooth gradients change more
    and are left as they are, as is any file the palette would not make smaller.

    Parameters
    ----------
    path : Path
        A PNG file, rewritten in place when compressed.
    max_rms : float, default :data:`PNG_MAX_RMS`
        Largest root-mean-square difference, per channel on the 0-255 scale, between the
        original and the palette image.

    Returns
    -------
    bool
        Whether the file was rewritten.
    """
    import io

    from PIL import Image, ImageChops, ImageStat

    with Image.open(path) as im:
        im.load()
        info = {k: im.info[k] for k in ("dpi",) if k in im.info}
        rgba = im.convert("RGBA")
    palette = rgba.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    if max(ImageStat.Stat(ImageChops.difference(rgba, palette.convert("RGBA"))).rms) > max_rms:
        return False
    buf = io.BytesIO()
    palette.save(buf, "PNG", optimize=True, **info)
    if buf.tell() >= path.stat().st_size:
        return False
    path.write_bytes(buf.getvalue())
    return True


def _prune(app, exc):
    if exc is None and app.builder.format == "html":
        prune_site(Path(app.outdir))
