"""The Reproducibility chapter's results: counts over the other chapters' results, computed last."""

from __future__ import annotations

import re

import pytest

from analysis.report.chapters import CHAPTERS, reproducibility
from analysis.report.ledger import format_ledger_html, format_results_html, ledger_frame, ledger_with_results
from analysis.report.results import PROVENANCES, ChapterResults
from analysis.toolkit.agreement import STATUSES, Tolerance

DIRECTION = "control relative to UC-MSC"


@pytest.fixture
def others():
    """Two small chapters with known provenances and statuses."""
    a = ChapterResults("a", synthetic=True)
    a.add("a.n", "N", 10, published=10, provenance="by construction")                      # agrees
    a.add("a.quote", "Quoted", 3, published=3, provenance="published")                      # not counted by status
    a.add("a.id", "An identifier", "NCT0", provenance="published")
    a.add("x.cox.hr", "HR", 2.0, published=2.1, tolerance=Tolerance("log_ratio", 0.1), unit="ratio",
          direction=DIRECTION, provenance="by construction")                                # agrees
    a.add("x.cox.p", "p", 0.2, published=0.05, unit="p")                                    # differs
    a.add("t1.meld_gt15.count", "MELD > 15", 12, published=15, provenance="assumed")         # differs
    b = ChapterResults("b", synthetic=True)
    b.add("y.cox.hr", "HR", 3.0, published=2.0, tolerance=Tolerance("log_ratio", 0.1), unit="ratio",
          direction=DIRECTION)                                                              # differs
    b.add("y.adjusted.hr", "HR", 1.5, unit="ratio", direction=DIRECTION, provenance="assumed")  # not published
    b.add("b.none", "Missing", None, published=4)                                           # not computable
    own = ChapterResults("reproducibility", synthetic=True)
    own.add("reproducibility.old", "An old count", 99)                                      # ignored
    summary = ChapterResults("data", synthetic=True)
    summary.add("data.calibration.n", "A count of the others' results", 7)                 # ignored: a summary
    return {"a": a, "b": b, "data": summary, "reproducibility": own}


def test_counts_over_the_other_chapters(trial, published, others):
    res = reproducibility.compute(trial, published, others=others)
    v = {rid.removeprefix("reproducibility."): r.value for rid, r in res.items()}
    assert v["entries"] == 9  # the summary chapters' entries (data, reproducibility) are left out
    assert [v[f"provenance.{p.replace(' ', '_')}"] for p in PROVENANCES] == [3, 2, 2, 2]
    assert v["reproduced"] == 7  # the published entries agree with the paper by definition: not counted by status
    assert [v[f"status.{s.replace(' ', '_')}"] for s in STATUSES] == [2, 3, 1, 1]
    assert v["compared"] == v["status.agrees"] + v["status.differs"]
    assert (v["hr.published"], v["hr.agrees"], v["p.differs"], v["hr.log_tolerance"]) == (2, 1, 1, 0.1)
    assert v["meld.differs"] == 1
    # agreement forced by the generator: both agreeing entries are by construction, one a hazard ratio
    assert (v["agrees.by_construction"], v["agrees.assumed"], v["hr.agrees.by_construction"]) == (2, 0, 1)
    for r in res.values():
        if r.unit != "entries":
            continue
        assert "other than the data and reproducibility chapters' own" in r.label and r.glue, r.id
    assert res.objects["entries"] and all(not r.id.startswith(("reproducibility.", "data."))
                                          for r in res.objects["entries"])


def test_tolerance_not_computable_without_hazard_ratios(trial, published):
    res = reproducibility.compute(trial, published, others={"a": ChapterResults("a", synthetic=True)})
    assert res["reproducibility.entries"].value == 0
    assert res["reproducibility.hr.log_tolerance"].value is None and res["reproducibility.hr.log_tolerance"].note


def test_format_ledger_html_shows_strings_and_filters_provenance(trial, published, others):
    entries = [{"chapter": n, **r.as_json()} for n, res in others.items() for r in res.values()]
    html = format_ledger_html({"entries": entries})
    assert "NCT0" in html and html.count("<tr data-id=") == len(entries)
    assert 'class="results-table ledger-table"' in html
    for control in ("filter", "provenance", "chapter"):  # status, provenance and chapter filters
        assert re.search(rf'<select id="ledger-{control}"><option value="all">all</option>.*?</select>', html)
    assert '<input type="search" id="ledger-search"' in html
    assert all(f'<option value="{p}">' in html for p in PROVENANCES)
    assert 'data-provenance="by construction"' in html
    # the markers: a badge per provenance, each explained in the legend above the table
    legend = html[html.index('class="results-legend"'):html.index("<table")]
    for p in ("by construction", "assumed"):
        slug = p.replace(" ", "-")
        assert f'<span class="rbadge prov-{slug}">{p}</span>' in legend
        assert html.count(f'<span class="rbadge prov-{slug}">{p}</span>') == 1 + sum(e["provenance"] == p for e in entries)
    # sortable headers, readable chapter names, no Python repr, deterministic bytes
    assert html.count("<th data-type=") == 5 and "aria-sort" in html
    assert '<option value="a">A</option>' in html
    assert not re.search(r">\s*(None|nan|NaN|\[\])\s*<", html)
    assert format_ledger_html({"entries": entries}) == html
    with pytest.raises(ValueError, match="simple identifier"):
        format_results_html(entries, "bad id")


@pytest.mark.slow
def test_ledger_computes_reproducibility_last_from_the_other_chapters(trial, published):
    """chapter_results gives the summary chapters (data, reproducibility) the results of the others, in
    the book's order; reproducibility's compute() alone gives the same."""
    ledger, results = ledger_with_results(trial, published)
    assert list(results) == list(CHAPTERS)  # the ledger's order is the book's
    res = results["reproducibility"]
    summaries = ("data", "reproducibility")
    others = [r for name, ch in results.items() if name not in summaries for r in ch.values()]
    assert res["reproducibility.entries"].value == len(others)
    assert [r.id for r in res.objects["entries"]] == [r.id for r in others]
    df = ledger_frame(ledger)
    assert len(df) == len(others) + len(res) + len(results["data"])
    assert list(df["chapter"].drop_duplicates()) == list(CHAPTERS)
    counted = df[~df["chapter"].isin(summaries) & (df["provenance"] != "published")]
    for s in STATUSES:
        assert res[f"reproducibility.status.{s.replace(' ', '_')}"].value == (counted["status"] == s).sum(), s
    alone = reproducibility.compute(trial, published)
    assert alone.glue_values() == res.glue_values()
