"""The results ledger: every result the book reports, beside the published value, as one JSON file.

``python -m analysis ledger --data DIR --out FILE.json`` writes it. Meta-analysts and reviewers get
the numbers, not only the pages; the Reproducibility chapter renders the same ledger, so book and
file cannot disagree.

The ledger is the union of the chapters' results (:mod:`analysis.report.chapters`): each entry is
one :class:`~analysis.report.results.Result` with its id, label, value and interval, unit, effect
direction, published value, tolerance, status (:data:`~analysis.toolkit.agreement.STATUSES`),
provenance (:data:`~analysis.report.results.PROVENANCES`), source, note, and the glue keys it
feeds in the chapters' prose. Ids and glue keys are unique across the ledger.

Conventions are those of the chapters: analysed population, follow-up censored at the paper's
75-month horizon, hazard ratios control relative to UC-MSC, Cox models with Efron ties, Wald p
values (log-rank p values have their own ids).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..toolkit.agreement import STATUSES
from ..toolkit.schema import Trial
from ..toolkit.warnings import StatisticalWarning
from ..trial.data import content_digest, load_trial
from ..trial.published import Published, load_published
from .chapters import CHAPTERS, chapter_module
from .chapters.survival import HR_DIRECTION, HR_LOG_TOLERANCE
from .results import PROVENANCES, ChapterResults

__all__ = ["HR_LOG_TOLERANCE", "LEDGER_VERSION", "data_identity", "chapter_results", "build_ledger", "ledger_with_results",
           "format_ledger_html", "ledger_frame", "write_ledger"]

LEDGER_VERSION = 2


def data_identity(trial: Trial) -> dict:
    """The ledger's ``data`` section: what the results were computed on.

    Parameters
    ----------
    trial : Trial
        The data.

    Returns
    -------
    dict
        ``{"sha256": content_digest(trial), "synthetic": bool}``: the content's hash, not the
        folder's name or layout (:func:`~analysis.trial.data.content_digest`).
    """
    return {"sha256": content_digest(trial), "synthetic": trial.synthetic}


#: The chapters that summarise the others: computed after the rest, from their results (the Data
#: chapter's calibration table, the Reproducibility chapter's counts over the ledger).
_SUMMARIES = ("data", "reproducibility")


def chapter_results(data: Trial | str | Path | None = None, published: Published | None = None,
                    chapters: tuple[str, ...] = CHAPTERS) -> dict[str, ChapterResults]:
    """Every chapter's results on one dataset, computed once (chapter name -> results).

    Warnings of statistics that are undefined on the data (which a chapter page shows as notes)
    are silenced: the result is then ``not computable`` with its note.

    The chapters that summarise the others (``data``: its calibration table; ``reproducibility``:
    its counts over the ledger) are results about the other chapters' results: they are computed
    after the rest, each from the results of every chapter that is not a summary, computed here
    once (not by recomputing them). When a summary is asked for, those chapters are computed even
    if ``chapters`` does not name them; only the chapters asked for are returned.

    Parameters
    ----------
    data : Trial or path-like, optional
        A :class:`~analysis.toolkit.schema.Trial` or a data folder (default: ``$TRIAL_DATA`` or
        the synthetic cohort).
    published : Published, optional
        The paper's numbers (default :func:`~analysis.trial.published.load_published`).
    chapters : tuple of str
        The chapters to compute (default: all, :data:`~analysis.report.chapters.CHAPTERS`).

    Returns
    -------
    dict of str to ChapterResults
        Chapter name -> its results, in the order of ``chapters`` (the book's order by default).

    Raises
    ------
    KeyError
        If a name in ``chapters`` is not a chapter.
    ValueError
        If two chapters use the same result id or glue key.
    """
    trial = data if isinstance(data, Trial) else load_trial(data)
    pub = published or load_published()
    for name in chapters:
        if name not in CHAPTERS:
            chapter_module(name)  # raises KeyError naming the chapters
    needed = CHAPTERS if any(c in _SUMMARIES for c in chapters) else chapters
    computed: dict[str, ChapterResults] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        for name in needed:
            if name not in _SUMMARIES:
                computed[name] = chapter_module(name).compute(trial, pub)
        others = {name: computed[name] for name in CHAPTERS if name in computed}
        for name in _SUMMARIES:
            if name in chapters:
                computed[name] = chapter_module(name).compute(trial, pub, others=others)
    out = {name: computed[name] for name in chapters}
    ids: dict[str, str] = {}
    keys: dict[str, str] = {}
    for name, res in out.items():
        for rid, r in res.items():
            if rid in ids:
                raise ValueError(f"result id {rid!r} is computed by chapters {ids[rid]!r} and {name!r}")
            ids[rid] = name
            for k in r.glue:
                if k in keys:
                    raise ValueError(f"glue key {k!r} is fed by chapters {keys[k]!r} and {name!r}")
                keys[k] = name
    return out


def build_ledger(data: Trial | str | Path | None = None, published: Published | None = None) -> dict:
    """Compute every ledger entry for one dataset.

    See :func:`ledger_with_results` for the ledger and the chapter results it is made of.

    Parameters
    ----------
    data : Trial or path-like, optional
        A :class:`~analysis.toolkit.schema.Trial` or a data folder (default: ``$TRIAL_DATA`` or
        the synthetic cohort).
    published : Published, optional
        The paper's numbers (default :func:`~analysis.trial.published.load_published`).

    Returns
    -------
    dict
        ``{"ledger_version", "data": {"sha256", "synthetic"}, "conventions", "statuses",
        "provenances", "entries": [...]}``, each entry with its ``chapter``. The same data give
        the same dict.
    """
    return ledger_with_results(data, published)[0]


def ledger_with_results(data: Trial | str | Path | None = None, published: Published | None = None
                        ) -> tuple[dict, dict[str, ChapterResults]]:
    """The ledger and the chapter results it is made of, each chapter computed once.

    Parameters
    ----------
    data : Trial or path-like, optional
        A :class:`~analysis.toolkit.schema.Trial` or a data folder (default: ``$TRIAL_DATA`` or
        the synthetic cohort).
    published : Published, optional
        The paper's numbers (default :func:`~analysis.trial.published.load_published`).

    Returns
    -------
    ledger : dict
        As :func:`build_ledger` returns it.
    results : dict of str to ChapterResults
        As :func:`chapter_results` returns it (the ``reproducibility`` chapter included).
    """
    trial = data if isinstance(data, Trial) else load_trial(data)
    pub = published or load_published()
    results = chapter_results(trial, pub)
    entries = []
    for name, res in results.items():
        for r in res.values():
            entries.append({"chapter": name, **r.as_json()})
    ledger = {
        "ledger_version": LEDGER_VERSION,
        "data": data_identity(trial),
        "conventions": {
            "population": "analyzed",
            "horizon_months": pub.horizon,
            "hr_direction": HR_DIRECTION,
            "ties": "efron",
            "p": "Cox Wald unless the id says logrank",
        },
        "statuses": list(STATUSES),
        "provenances": list(PROVENANCES),
        "entries": entries,
    }
    return ledger, results


def ledger_frame(ledger: dict) -> pd.DataFrame:
    """The ledger's entries as a DataFrame (one row per id).

    Parameters
    ----------
    ledger : dict
        A ledger (:func:`build_ledger`).

    Returns
    -------
    pandas.DataFrame
        One row per entry, the entry's fields as columns.
    """
    return pd.DataFrame(ledger["entries"])


def write_ledger(data: Trial | str | Path | None, out: str | Path, published: Published | None = None) -> Path:
    """Write the ledger as JSON (deterministic bytes: fixed key order, ``repr`` floats); atomic.

    Parameters
    ----------
    data : Trial or path-like or None
        A :class:`~analysis.toolkit.schema.Trial` or a data folder (``None``: ``$TRIAL_DATA`` or
        the synthetic cohort).
    out : path-like
        The JSON file to write (its folder is created).
    published : Published, optional
        The paper's numbers (default :func:`~analysis.trial.published.load_published`).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    led = build_ledger(data, published)
    text = json.dumps(led, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


_STATUS_COLORS = {"agrees": "#e3f1e6", "differs": "#f9d9d4", "not published": "#eeeeee", "not computable": "#fdf3d7"}


def _fmt(x: Any) -> str:
    from html import escape

    if x is None:
        return ""
    if isinstance(x, str):  # an identifier (a registration number, a digest)
        return escape(x)
    if isinstance(x, list):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    v = float(x)
    return f"{v:.0f}" if v == int(v) and abs(v) >= 1 else f"{v:.4g}"


def format_ledger_html(ledger: dict, table_id: str = "ledger") -> str:
    """The ledger as an HTML table with a status and a provenance filter (two select boxes and a few
    lines of JavaScript).

    Deterministic output; works offline. Numbers are shown to 4 significant
    digits; the JSON file has them in full.

    Parameters
    ----------
    ledger : dict
        A ledger (:func:`build_ledger`).
    table_id : str
        The HTML id of the table (the select boxes' ids are derived from it).

    Returns
    -------
    str
        The HTML: the filters, the table, the script.
    """
    from html import escape

    options = "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    prov_options = "".join(f'<option value="{p}">{p}</option>' for p in PROVENANCES)
    head = "".join(f"<th>{h}</th>" for h in ("id", "label", "published", "value", "unit", "status", "provenance", "note"))
    rows = []
    for e in ledger["entries"]:
        rows.append(
            f'<tr data-status="{escape(e["status"])}" data-provenance="{escape(e["provenance"])}" style="background:{_STATUS_COLORS[e["status"]]}">'
            f'<td><code>{escape(e["id"])}</code></td><td>{escape(e["label"])}</td>'
            f'<td class="num">{_fmt(e["published"])}</td><td class="num">{_fmt(e["value"])}</td>'
            f'<td>{escape(e["unit"])}</td><td>{e["status"]}</td><td>{e["provenance"]}</td>'
            f'<td>{escape(e.get("note", ""))}</td></tr>'
        )
    script = (
        "<script>(function(){var s=document.getElementById('%s-filter'),"
        "p=document.getElementById('%s-provenance');"
        "function f(){var v=s.value,w=p.value;"
        "document.querySelectorAll('#%s tbody tr').forEach(function(r){"
        "r.style.display=((v==='all'||r.dataset.status===v)&&(w==='all'||r.dataset.provenance===w))?'':'none';});}"
        "s.addEventListener('change',f);p.addEventListener('change',f);})();</script>"
        % (table_id, table_id, table_id)
    )
    return (
        f'<label for="{table_id}-filter">Show status: </label>'
        f'<select id="{table_id}-filter"><option value="all">all</option>{options}</select> '
        f'<label for="{table_id}-provenance">provenance: </label>'
        f'<select id="{table_id}-provenance"><option value="all">all</option>{prov_options}</select>'
        f'<table id="{table_id}" class="ledger-table"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>{script}'
    )
