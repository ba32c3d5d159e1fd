"""Helpers the chapters call: load the data once, show the data notice, glue numbers.

Chapters hold no statistics; they call ``analysis`` and display results. This
module is the thin layer between the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from IPython.display import Markdown, display

from ..toolkit.schema import Trial
from ..trial.data import TrialDataError, load_trial
from ..toolkit.disclosure import SMALL_CELL_NOTE
from ..trial.paths import TRIAL_DATA_ENV, data_dir
from .display import table
from .figures import set_style
from .format import format_p
from .provenance import MARK_SUFFIX, MARKERS
from ..trial.published import Published, load_published

__all__ = ["Chapter", "chapter", "data_notice", "displayed", "glue_formats", "glue_markers", "glue_numbers",
           "marked_keys", "not_shown", "p_text", "show"]


@dataclass(frozen=True)
class Chapter:
    """What every chapter starts from.

    Attributes
    ----------
    trial : Trial
        The trial data the book runs on (``$TRIAL_DATA`` or the synthetic cohort).
    published : Published
        The paper's published numbers.
    synthetic : bool
        Whether ``trial`` is the synthetic cohort (property).
    """

    trial: Trial
    published: Published

    @property
    def synthetic(self) -> bool:
        return self.trial.synthetic


def data_notice(trial: Trial, *, link: bool = True, published_page: bool = False) -> str:
    """The notice every chapter shows once, above its first output: which data this page was computed on.

    Kept here, in one place, rather than copied into chapters. On the synthetic cohort it is short
    (what the numbers are and are not) and links to the Data chapter, which explains the cohort in full.

    Parameters
    ----------
    trial : Trial
        The trial the page is computed on; ``trial.synthetic`` chooses the synthetic-data
        warning, otherwise the dataset's name (from ``dataset.yaml`` or the folder), the
        small-cell rule and ``trial.notes`` are shown.
    link : bool, default True
        Link the synthetic-data notice to the Data chapter (``False`` on the Data chapter itself,
        which points to its own sections instead).
    published_page : bool, default False
        The page's main results are derived from the published numbers alone (the evidence chapter):
        the notice says so, and that only the sections needing patient data run on the synthetic
        cohort.

    Returns
    -------
    str
        A MyST admonition (``:::{admonition} ... :::``), to be displayed as Markdown.
    """
    if trial.synthetic:
        where = ("The {ref}`Data chapter <data>` explains how it is made and what it reproduces."
                 if link else "The sections below explain how it is made and what it reproduces.")
        scope = (
            "Most results on this page are derived from the paper's published numbers alone: they are "
            "evidence about the trial. The trial's patient-level data are not public, so the sections "
            "that need them run on a synthetic cohort calibrated to the paper's published aggregates; "
            "there the numbers illustrate the methods and are not evidence about UC-MSC. "
            if published_page else
            "The trial's patient-level data are not public: every number computed on this page comes "
            "from a synthetic cohort calibrated to the paper's published aggregates, so it illustrates "
            "the methods and is not evidence about UC-MSC. "
        )
        body = (
            scope + "Numbers labelled *published* are the paper's; "
            f"{MARKERS['by construction'][0]} marks a number the generator forces (by construction), "
            f"{MARKERS['assumed'][0]} one that follows from an assumption of the generator. "
            + where
        )
        return f":::{{admonition}} Synthetic data\n:class: warning\n{body}\n:::"
    name = trial.meta.get("name", trial.path.name)
    body = (
        f"This page was computed on the dataset **{name}** (set with `{TRIAL_DATA_ENV}`), "
        "not on the synthetic cohort. Only aggregates are shown; no patient-level rows or "
        "identifiers appear. " + SMALL_CELL_NOTE
    )
    if trial.notes:
        body += "\n\nMissing in this dataset, and skipped:\n\n" + "\n".join(f"- {n}" for n in trial.notes)
    return f":::{{admonition}} Data: {name}\n:class: note\n{body}\n:::"


def chapter(show_notice: bool = True, *, data_link: bool = True, published_page: bool = False) -> Chapter:
    """Load the trial (``$TRIAL_DATA`` or the synthetic cohort) and the published numbers.

    Also applies the book's figure style and, by default, displays the data notice (the page's
    first output when ``chapter()`` runs in the chapter's first cell).

    Parameters
    ----------
    show_notice : bool, default True
        Display :func:`data_notice` of the loaded trial.
    data_link : bool, default True
        Let the notice link to the Data chapter (``False`` on the Data chapter itself).
    published_page : bool, default False
        The page's main results come from the published numbers alone (see :func:`data_notice`).

    Returns
    -------
    Chapter
        The trial and the published numbers.

    Raises
    ------
    TrialDataError
        If the data folder does not validate (its message names no path or data value).
    """
    set_style()
    try:  # inline PNG figures in notebooks (the Agg backend alone would show text reprs)
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        # "retina": PNG at twice the figure's dpi, shown at its 1x width (the width is stored in the
        # output's metadata), so figures stay sharp on high-density screens
        set_matplotlib_formats("retina")
    except ImportError:  # pragma: no cover - outside IPython
        pass
    # Figures appear where the chapter glues them ({glue:figure}), not again at the end of
    # the cell that drew them (the inline backend shows every open figure in interactive mode).
    import matplotlib.pyplot as plt

    plt.ioff()
    _warnings_as_notes()
    try:
        trial = load_trial(data_dir())
    except TrialDataError as exc:
        # The book build validates first and stops (book/_ext/book_fixes.py); a notebook run by hand
        # still never writes the folder's path or a value from the data into its outputs.
        raise TrialDataError(exc.public) from None
    ch = Chapter(trial=trial, published=load_published())
    if show_notice:
        display(Markdown(data_notice(trial, link=data_link, published_page=published_page)))
    return ch


#: ``{glue:text}`key:fmt``` (or ``{glue}``, ``{glue:}``) in a chapter's prose.
_GLUE_ROLE = re.compile(r"\{glue(?::text|:)?\}`([^`:]+)(?::([^`]*))?`")


def _decimals(fmt: str | None) -> int | None:
    """Decimal places a prose format shows of a number (``None``: significant digits instead)."""
    m = re.fullmatch(r"[^.]*\.(\d+)([f%])", fmt or "")
    if m:
        return int(m.group(1)) + (2 if m.group(2) == "%" else 0)
    if fmt == "d":
        return 0
    return None


_NOTED: set[str] = set()


def _warnings_as_notes() -> None:
    """Show each :class:`~analysis.toolkit.warnings.StatisticalWarning` as a note on the page.

    An analysis that is not defined on the data at hand (no events in a window, a follow-up too
    short for the horizon) warns; on a page the warning becomes a visible note where it arises,
    once per message, and the chapter goes on. Other warnings go to stderr as usual, which the
    book build treats as an error. The note carries the message only, never the path of a
    source file.
    """
    import warnings

    from ..toolkit.warnings import StatisticalWarning

    _NOTED.clear()
    # the book's own handler may be installed already (several chapters in one kernel)
    original = getattr(warnings.showwarning, "_analysis_original", warnings.showwarning)

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, StatisticalWarning):
            return original(message, category, filename, lineno, file, line)
        text = str(message)
        if text not in _NOTED:
            _NOTED.add(text)
            display(Markdown(f":::{{note}}\nOn these data: {text}.\n:::"))

    show._analysis_original = original  # type: ignore[attr-defined]
    warnings.showwarning = show
    warnings.simplefilter("always", StatisticalWarning)


def _chapter_dir(chapters: Path | None) -> Path | None:
    """``chapters``, or the chapter sources found from the current folder (``book/chapters`` when
    Jupyter Book executes a chapter, ``book/notebooks`` when nbval or JupyterLab runs one)."""
    if chapters is not None:
        return Path(chapters)
    here = Path.cwd()
    return next((d for d in (here, here.parent / "chapters") if (d.parent / "_toc.yml").is_file()
                 and any(d.glob("*.md"))), None)


#: ``{glue:md}`key__m``` in a chapter's prose: the provenance marker of the number glued as ``key``.
_MARK_ROLE = re.compile(r"\{glue:md\}`([^`]+)" + re.escape(MARK_SUFFIX) + "`")


def marked_keys(chapters: Path | None = None) -> set[str]:
    """The glue keys whose provenance marker the chapters' prose shows (``{glue:md}`key__m```).

    Parameters
    ----------
    chapters : Path, optional
        The folder of chapter sources; default found as :func:`glue_formats` finds it.

    Returns
    -------
    set of str
        The keys (without the ``__m`` suffix). Empty if no chapter folder is found.
    """
    chapters = _chapter_dir(chapters)
    if chapters is None:
        return set()
    return {k for md in sorted(chapters.glob("*.md")) for k in _MARK_ROLE.findall(md.read_text(encoding="utf-8"))}


def glue_formats(chapters: Path | None = None) -> dict[str, str | None]:
    """The format each glued key is shown with in the chapters' prose (``None``: no format).

    Parameters
    ----------
    chapters : Path, optional
        The folder of chapter sources (``book/chapters``). Default: found from the current
        folder, which is ``book/chapters`` when Jupyter Book executes a chapter and
        ``book/notebooks`` when nbval or JupyterLab runs its notebook.

    Returns
    -------
    dict
        Key -> format spec. Empty if no chapter folder is found.

    Raises
    ------
    ValueError
        If one key is shown at two different precisions: its stored value could then not be
        rounded to one displayed precision (glue a second key instead).
    """
    chapters = _chapter_dir(chapters)
    if chapters is None:
        return {}
    out: dict[str, str | None] = {}
    for md in sorted(Path(chapters).glob("*.md")):
        for key, fmt in _GLUE_ROLE.findall(md.read_text(encoding="utf-8")):
            fmt = fmt or None
            if key in out and _decimals(out[key]) != _decimals(fmt):
                raise ValueError(f"{md}: glued key {key!r} is shown with formats {out[key]!r} and {fmt!r}; "
                                 "a key must have one displayed precision")
            out.setdefault(key, fmt)
    return out


def displayed(value: float, fmt: str | None) -> float:
    """``value`` rounded to the precision ``fmt`` displays (``.2f``: 2 decimals; ``.1%``: 3; ``g``
    and none: 6 significant digits; ``.2e``: 3 significant digits).

    What a notebook stores is what a reader sees: digits beyond the displayed precision depend on
    the CPU and the BLAS kernel (an iterative optimiser's last digits), and must not make a stored
    notebook differ between machines. Rounding at the displayed precision and then formatting with
    ``fmt`` gives the same text as formatting the unrounded value.

    Parameters
    ----------
    value : float
        The number; NaN and infinities are returned unchanged.
    fmt : str or None
        The prose format spec (e.g. ``".2f"``, ``".1%"``, ``".2e"``, ``"d"``), or ``None``.

    Returns
    -------
    float
        ``value`` rounded to the displayed precision (``-0.0`` becomes ``0.0``).
    """
    if not np.isfinite(value):
        return value
    decimals = _decimals(fmt)
    if decimals is None:
        m = re.fullmatch(r"[^.]*\.(\d+)e", fmt or "")
        significant = int(m.group(1)) + 1 if m else 6
        if value == 0:
            return 0.0
        decimals = significant - 1 - int(np.floor(np.log10(abs(value))))
    out = round(value, decimals)
    return 0.0 if out == 0 else out  # no "-0.00"


def glue_numbers(values: Mapping[str, Any], formats: Mapping[str, str | None] | None = None) -> None:
    """Glue numbers for the prose (``{glue:text}`name:.2f```); nothing is displayed.

    Each float is stored rounded to the precision its prose format displays (see
    :func:`displayed`), so that the executed notebooks nbval compares hold only what a reader
    sees, never digits that depend on the machine. NumPy scalars become Python numbers.

    Parameters
    ----------
    values : Mapping of str to object
        Glue key -> value (number, string, ...).
    formats : Mapping of str to str or None, optional
        Key -> prose format; default ``None``: :func:`glue_formats` of the book's chapters.
    """
    from myst_nb import glue

    formats = glue_formats() if formats is None else formats
    for name, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float):
            value = displayed(value, formats.get(name))
        glue(name, value, display=False)


def glue_markers(markers: Mapping[str, str]) -> None:
    """Glue provenance markers for the prose (``{glue:md}`key__m```); nothing is displayed.

    Parameters
    ----------
    markers : Mapping of str to str
        Glue key (without the suffix) -> the marker's HTML (:func:`analysis.report.results.marker_html`).
    """
    from myst_nb import glue

    for key, html_text in markers.items():
        glue(key + MARK_SUFFIX, Markdown(html_text), display=False)


def show(df, *, caption: str | None = None, precision: int = 3, index: bool = False,
         labels: Mapping[Any, str] | None = None, decimals: Mapping[Any, int] | None = None, p_digits: int = 3,
         transpose: bool = False):
    """Display a frame in the book's one table style (:func:`analysis.report.display.table`).

    Headers and row labels are read through :mod:`analysis.report.labels`; counts are integers, p
    values ``format_p`` (``<0.001``), numbers right-aligned; wide tables scroll in their own box.
    The HTML is deterministic (no random ids).

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    caption : str, optional
        Caption above the table (default ``None``: none).
    precision : int, default 3
        Decimals of estimates; missing values are shown as an en dash (p values as ``n/a``).
    index : bool, default False
        Show the frame's index as row labels.
    labels : mapping, optional
        Column code -> header for this table only (before the shared vocabulary).
    decimals : mapping, optional
        Column code -> decimals, overriding ``precision``.
    p_digits : int, default 3
        Decimals of p values.
    transpose : bool, default False
        Turn the formatted table (one column per row of ``df``, e.g. per arm).

    Returns
    -------
    analysis.report.display.Table
        The formatted table (a notebook displays it as HTML).
    """
    return table(df, caption=caption, precision=precision, index=index, labels=labels, decimals=decimals,
                 p_digits=p_digits, transpose=transpose)


def not_shown(message: str) -> Markdown:
    """A visible note standing in for a table the page cannot show on these data.

    E.g. a table of an endpoint that a survival-only dataset does not hold; figures use
    :func:`analysis.report.figures.message_figure` instead.

    Parameters
    ----------
    message : str
        Why the table is not shown (e.g. ``"Not shown: this dataset has no HCC outcome."``).

    Returns
    -------
    IPython.display.Markdown
        A MyST note admonition; a notebook displays it where the table would be.
    """
    return Markdown(f":::{{note}}\n{message}\n:::")


def p_text(p: float, digits: int = 3) -> str:
    """A p value for prose after "p": ``"= 0.012"``, ``"< 0.001"``, ``"= n/a"`` when not computable.

    ``format_p(p, digits, prefix=True)`` (:func:`analysis.report.format.format_p`).

    Parameters
    ----------
    p : float
        The p value (``None``, NaN or infinite: not computable).
    digits : int, default 3
        Decimals; values below ``10**-digits`` are shown as ``< 0.001`` (for 3).

    Returns
    -------
    str
        The relation and the value, e.g. ``"= 0.012"``, ``"< 0.001"``, ``"= n/a"``.
    """
    return format_p(p, digits, prefix=True)
