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
from .display import mark_code
from .chapters.survival import HR_DIRECTION, HR_LOG_TOLERANCE
from .results import PROVENANCES, ChapterResults

__all__ = ["HR_LOG_TOLERANCE", "LEDGER_VERSION", "data_identity", "chapter_results", "build_ledger", "ledger_with_results",
           "format_results_html", "format_ledger_html", "ledger_frame", "write_ledger"]

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


#: Readable chapter names for the table's chapter column and filter (chapter module name -> name).
_CHAPTER_NAMES = {"intro": "Introduction", "liver_function": "Liver function"}
#: What each provenance means, for the legend above a results table.
_PROVENANCE_LEGEND = {
    "by construction": "forced by the synthetic generator, so its agreement is not a finding (computed on real data)",
    "assumed": "follows from a parameter of the synthetic generator (computed on real data)",
    "computed": "from the data",
    "published": "the paper's number, quoted (it agrees with the paper by definition)",
}
#: Headers of a results table: (text, sort type, cell class).
_HEADERS = (("Result", "text"), ("Published", "num"), ("Value", "num"), ("Status", "status"),
            ("Provenance", "text"))
#: Style of the results tables (scoped to ``.results-box``; the card layout below 640 px).
_CSS = """
.results-box{margin:1em 0}
.results-box .results-legend{font-size:.85em;margin:.3em 0;line-height:1.9}
.results-box .results-filters{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;font-size:.85em;margin:.5em 0}
.results-box .results-filters input,.results-box .results-filters select{font-size:1em;padding:.1em .3em;max-width:100%}
.results-box .results-count{color:#555}
.results-box .results-scroll{max-height:75vh;overflow:auto;border:1px solid #ddd}
.results-box table.results-table{display:table;width:100%;table-layout:fixed;border-collapse:collapse;font-size:.82em;margin:0;max-width:none;overflow:visible}
.results-box .results-table th:nth-child(1){width:41%}
.results-box .results-table th:nth-child(2),.results-box .results-table th:nth-child(3){width:14%}
.results-box .results-table th:nth-child(4){width:12%}
.results-box .results-table th:nth-child(5){width:19%}
.results-box .results-table th{position:sticky;top:0;z-index:1;background:var(--pst-color-surface,#f3f4f6);text-align:left;padding:.4em .5em;border-bottom:2px solid #ccc}
.results-box .results-table th button{all:unset;cursor:pointer;font-weight:600;white-space:nowrap}
.results-box .results-table th button:focus-visible{outline:2px solid #0b5cad}
.results-box .results-table th[aria-sort=ascending] button::after{content:" \\25B2";font-size:.7em}
.results-box .results-table th[aria-sort=descending] button::after{content:" \\25BC";font-size:.7em}
.results-box .results-table th[aria-sort=none] button::after{content:" \\21C5";font-size:.7em;color:#999}
.results-box .results-table td{padding:.35em .5em;vertical-align:top;border-bottom:1px solid #e5e5e5}
.results-box .results-table .lab{display:block}
.results-box .results-table .meta{display:block;color:var(--pst-color-text-muted,#5f6368);font-size:.85em;margin-top:.15em}
.results-box .results-table .meta code{font-size:1em;background:none;border:none;padding:0;color:inherit;word-break:break-all}
.results-box .results-table td.num{text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.results-box .results-table .ci,.results-box .results-table .tol{display:block;color:var(--pst-color-text-muted,#5f6368);font-size:.85em}
.results-box .results-table .note{display:block;margin-top:.2em;font-size:.9em;overflow-wrap:anywhere}
.results-box .results-table .note::before{content:"Note: ";color:var(--pst-color-text-muted,#5f6368)}
.results-box .rbadge{display:inline-block;padding:0 .35em;border-radius:.7em;font-size:.85em;color:#1f1f1f;line-height:1.35;border:1px solid transparent}
.results-box .status-agrees{background:#e3f1e6;border-color:#9ccaa6}
.results-box .status-differs{background:#f9d9d4;border-color:#e39a8f}
.results-box .status-not-published{background:#eeeeee;border-color:#c8c8c8}
.results-box .status-not-computable{background:#fdf3d7;border-color:#e6cf87}
.results-box .prov-by-construction{background:#dbe9f8;border-color:#7aa7d6;font-weight:600}
.results-box .prov-assumed{background:#f3e1f5;border-color:#c38fcb;font-weight:600}
.results-box .prov-published{background:#fafafa;border-color:#bbb;font-style:italic}
.results-box .prov-computed{background:#fff;border-color:#ddd}
@media (max-width:640px){
.results-box .results-scroll{border-left:none;border-right:none}
.results-box table.results-table,.results-box .results-table tbody,.results-box .results-table tr,.results-box .results-table td{display:block;width:auto}
.results-box .results-table thead tr{display:flex;flex-wrap:wrap;gap:.2em .8em}
.results-box .results-table th,.results-box .results-table th:nth-child(n){position:static;width:auto;border:none;padding:.2em 0;background:none}
.results-box .results-table tbody tr{border-top:1px solid #ccc;padding:.4em 0}
.results-box .results-table td{border:none;padding:.1em .2em}
.results-box .results-table td.num,.results-box .results-table td.st,.results-box .results-table td.pv{display:inline-block;text-align:left;vertical-align:top;margin-right:1em}
.results-box .results-table td[data-label]::before{content:attr(data-label);display:block;color:var(--pst-color-text-muted,#5f6368);font-size:.8em}
}
"""
#: The filter, search and sort script of a results table; ``@ID@`` is the table's id.
_JS = """(function(){
var id='@ID@',t=document.getElementById(id);if(!t)return;
var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows),ths=t.tHead.rows[0].cells;
var q=document.getElementById(id+'-search'),n=document.getElementById(id+'-count');
var keys=['status','provenance','chapter'],sel=keys.map(function(k){return document.getElementById(id+'-'+(k==='status'?'filter':k));});
var order=['agrees','differs','not published','not computable'];
rows.forEach(function(r,i){r.dataset.order=i;r.dataset.text=r.textContent.toLowerCase();});
function filter(){
  var s=q.value.trim().toLowerCase(),k=0;
  rows.forEach(function(r){
    var ok=!s||r.dataset.text.indexOf(s)>=0;
    keys.forEach(function(key,i){if(sel[i]&&sel[i].value!=='all'&&r.dataset[key]!==sel[i].value)ok=false;});
    r.style.display=ok?'':'none';if(ok)k++;
  });
  n.textContent=k+' of '+rows.length+' results shown';
}
function key(r,c,type){
  var td=r.cells[c];
  if(type==='num'){var v=td.dataset.sort;return v===''||v===undefined?null:parseFloat(v);}
  if(type==='status')return order.indexOf(r.dataset.status);
  var x=td.textContent.trim().toLowerCase();return x===''?null:x;
}
Array.prototype.forEach.call(ths,function(th,c){
  var b=th.querySelector('button');if(!b)return;
  b.addEventListener('click',function(){
    var dir=th.getAttribute('aria-sort')==='ascending'?-1:1,type=th.dataset.type;
    Array.prototype.forEach.call(ths,function(h){h.setAttribute('aria-sort','none');});
    th.setAttribute('aria-sort',dir===1?'ascending':'descending');
    rows.sort(function(a,z){
      var x=key(a,c,type),y=key(z,c,type);
      if(x===null||y===null){if(x!==y)return x===null?1:-1;}
      else if(x<y)return -dir;else if(x>y)return dir;
      return a.dataset.order-z.dataset.order;
    });
    rows.forEach(function(r){tb.appendChild(r);});
  });
});
q.addEventListener('input',filter);
sel.forEach(function(s){if(s)s.addEventListener('change',filter);});
filter();
})();"""


_SEP = " \u00b7 "


def _fmt(x: Any) -> str:
    """A value for a table: 4 significant digits, integers in full, strings (identifiers) as they are."""
    from html import escape

    if x is None:
        return ""
    if isinstance(x, str):  # an identifier (a registration number, a digest)
        return escape(x)
    if isinstance(x, list):
        return ", ".join(_fmt(v) for v in x)
    v = float(x)
    return f"{v:.0f}" if v == int(v) and abs(v) >= 1 else f"{v:.4g}"


def _sort_value(x: Any) -> str:
    """A cell's numeric sort key (``""``: none, sorted last)."""
    return "" if x is None or isinstance(x, (str, list)) else repr(float(x))


def _chapter_name(name: str) -> str:
    """A chapter module's name as a reader reads it (``liver_function`` -> ``Liver function``)."""
    return _CHAPTER_NAMES.get(name, name.replace("_", " ").capitalize())


def _tolerance_text(tol: Any) -> str:
    """A tolerance in words: a ledger entry's ``{"kind", "value"}`` or a text already."""
    if not tol:
        return ""
    if isinstance(tol, str):
        return tol
    kind, v = tol.get("kind"), tol.get("value")
    if kind == "log_ratio":
        return f"|log ratio| \u2264 {v:g}"
    if kind == "upper_bound":
        return "below the printed bound"
    if kind == "interval":
        return f"in [{v[0]:.3g}, {v[1]:.3g}]"
    return f"\u00b1 {v:g}"


def _interval(lo: Any, hi: Any) -> str:
    return "" if lo is None and hi is None else f"{_fmt(lo)}\u2013{_fmt(hi)}"


def format_results_html(entries: list[dict], table_id: str = "results", *, css_class: str = "",
                        caption: str | None = None) -> str:
    """Results as a compact, sortable, filterable HTML table that works offline.

    One row per result: its label, with the id, chapter, unit and effect direction in small type
    under it and then its note in full; the published value (with its interval and tolerance); the
    value (with its interval); the status; the provenance, as a marked badge for ``by
    construction`` and ``assumed`` (a legend above the table says what each provenance means).
    Clicking a header
    sorts by it; select boxes filter by status, provenance and chapter, and a text box searches
    every cell. Below 640 px each row is shown as a card. About 40 lines of JavaScript and a
    scoped style sheet are part of the HTML (no library, no network, no random ids: the same
    entries give the same bytes). Numbers are shown to 4 significant digits (integers in full).

    Parameters
    ----------
    entries : list of dict
        Results as in the ledger (:meth:`~analysis.report.results.Result.as_json`, with
        ``chapter``): ``id``, ``label``, ``value``, ``status`` and ``provenance`` are required;
        ``chapter``, ``unit``, ``direction``, ``ci_low``, ``ci_high``, ``published``,
        ``published_ci_low``, ``published_ci_high``, ``tolerance`` (a ledger tolerance or a text)
        and ``note`` are shown when present.
    table_id : str, default "results"
        The HTML id of the table; the controls' ids are derived from it (``<id>-search``,
        ``<id>-filter`` for the status, ``<id>-provenance``, ``<id>-chapter``, ``<id>-count``).
    css_class : str, default ""
        Further classes of the table (the ledger's is ``ledger-table``).
    caption : str, optional
        A caption above the table.

    Returns
    -------
    str
        The HTML: style, legend, controls, table and script.

    Raises
    ------
    ValueError
        If ``table_id`` is not a simple identifier (letters, digits, ``-``, ``_``).
    """
    import re
    from html import escape

    if not re.fullmatch(r"[A-Za-z][\w-]*", table_id):
        raise ValueError(f"table_id must be a simple identifier, got {table_id!r}")
    tid = table_id
    provenances = [p for p in PROVENANCES if any(e["provenance"] == p for e in entries)]
    statuses = [s for s in STATUSES if any(e["status"] == s for e in entries)]
    chapters = list(dict.fromkeys(e["chapter"] for e in entries if e.get("chapter")))

    def slug(s: str) -> str:
        return s.replace(" ", "-")

    def select(suffix: str, label: str, values: list[str], names: dict[str, str] | None = None) -> str:
        opts = "".join(f'<option value="{escape(v)}">{escape((names or {}).get(v, v))}</option>' for v in values)
        return (f'<label>{label} <select id="{tid}-{suffix}"><option value="all">all</option>{opts}</select>'
                f'</label>')

    legend = " ".join(f'<span class="rbadge prov-{slug(p)}">{p}</span>: {escape(_PROVENANCE_LEGEND[p])};'
                      for p in provenances).rstrip(";") + "."
    controls = (f'<label>Search <input type="search" id="{tid}-search" placeholder="label, id or note"></label>'
                + select("filter", "Status", statuses)
                + select("provenance", "Provenance", provenances)
                + (select("chapter", "Chapter", chapters, {c: _chapter_name(c) for c in chapters}) if chapters else "")
                + f'<span class="results-count" id="{tid}-count" aria-live="polite">{len(entries)} results</span>')
    head = "".join(f'<th data-type="{t}" aria-sort="none"><button type="button">{h}</button></th>'
                   for h, t in _HEADERS)
    rows = []
    for e in entries:
        st, pv = e["status"], e["provenance"]
        meta = [f'<code>{escape(e["id"])}</code>']
        if e.get("chapter"):
            meta.append(escape(_chapter_name(e["chapter"])))
        for k in ("unit", "direction"):
            if e.get(k):
                meta.append(escape(str(e[k])))
        pub_ci = _interval(e.get("published_ci_low"), e.get("published_ci_high"))
        ci = _interval(e.get("ci_low"), e.get("ci_high"))
        tol = _tolerance_text(e.get("tolerance")) if e.get("published") is not None else ""
        pub = (f'<span class="v">{_fmt(e.get("published"))}</span>'
               + (f'<span class="ci">{pub_ci}</span>' if pub_ci else "")
               + (f'<span class="tol">{escape(tol)}</span>' if tol else ""))
        val = f'<span class="v">{_fmt(e["value"])}</span>' + (f'<span class="ci">{ci}</span>' if ci else "")
        note = f'<span class="note">{mark_code(escape(e["note"]))}</span>' if e.get("note") else ""
        chapter = f' data-chapter="{escape(e["chapter"])}"' if e.get("chapter") else ""
        rows.append(
            f'<tr data-id="{escape(e["id"])}" data-status="{escape(st)}" data-provenance="{escape(pv)}"{chapter}>'
            f'<td class="res"><span class="lab">{escape(e["label"])}</span><span class="meta">{_SEP.join(meta)}'
            f'</span>{note}</td>'
            f'<td class="num" data-label="Published" data-sort="{_sort_value(e.get("published"))}">{pub}</td>'
            f'<td class="num" data-label="Value" data-sort="{_sort_value(e["value"])}">{val}</td>'
            f'<td class="st" data-label="Status"><span class="rbadge status-{slug(st)}">{escape(st)}</span></td>'
            f'<td class="pv" data-label="Provenance"><span class="rbadge prov-{slug(pv)}">{escape(pv)}</span></td></tr>'
        )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    classes = " ".join(["results-table", *css_class.split()])
    return (
        f'<div class="results-box" id="{tid}-box"><style>{_CSS}</style>'
        f'<p class="results-legend"><strong>Provenance:</strong> {legend}</p>'
        f'<div class="results-filters">{controls}</div>'
        f'<div class="results-scroll"><table id="{tid}" class="{classes}">{cap}<thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>'
        f'<script>{_JS.replace("@ID@", tid)}</script></div>'
    )


def format_ledger_html(ledger: dict, table_id: str = "ledger") -> str:
    """The ledger as a sortable, filterable HTML table (:func:`format_results_html`, class ``ledger-table``).

    Deterministic output; works offline. Numbers are shown to 4 significant digits; the JSON file
    has them in full.

    Parameters
    ----------
    ledger : dict
        A ledger (:func:`build_ledger`).
    table_id : str
        The HTML id of the table (the controls' ids are derived from it).

    Returns
    -------
    str
        The HTML: legend, filters, search box, table and script.
    """
    return format_results_html(ledger["entries"], table_id, css_class="ledger-table")
