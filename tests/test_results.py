"""The results layer: chapter results are well formed, and every number glued into the book is a
ledger entry with the same value.

The second test reads the executed chapter notebooks (``book/notebooks``, which nbval checks are
current) and the chapter results computed here, on the same committed synthetic cohort; no book is
built.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import pytest

from analysis.report.book import displayed, glue_formats
from analysis.report.results import FIELDS, PROVENANCES, ChapterResults, Result
from analysis.toolkit.agreement import STATUSES, Tolerance

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "book" / "notebooks"
pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module")
def results(all_results):
    return all_results


def _glued(notebook: Path) -> dict[str, object]:
    """Glue key -> stored value (numbers and strings; figures skipped) of an executed notebook."""
    out = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            text = o.get("data", {}).get("application/papermill.record/text/plain")
            rich = {"application/papermill.record/image/png", "application/papermill.record/text/markdown"}
            if name and text is not None and not rich & set(o["data"]):  # figures, provenance markers
                out[name] = float("nan") if text == "nan" else ast.literal_eval(text)
    return out


def test_chapter_results_are_well_formed(results):
    for name, res in results.items():
        assert isinstance(res, ChapterResults) and len(res) > 0, name
        for rid, r in res.items():
            assert r.id == rid and r.label and r.provenance in PROVENANCES and r.status in STATUSES, rid
            if r.published is not None and not isinstance(r.value, str) and r.value is not None:
                assert r.status in ("agrees", "differs"), rid
            if r.status == "differs" or r.status == "not computable":
                pass  # explained by the ledger page's note column where set
            if r.unit == "ratio" and r.ci_low is not None:
                assert r.direction, f"{rid}: an effect needs its direction"


@pytest.mark.parametrize("chapter", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_glued_number_is_a_ledger_entry_with_the_same_value(chapter, results):
    """Each number a chapter glues comes from the ledger entry that names its key, at the displayed precision."""
    by_key: dict[str, tuple[Result, str]] = {}
    for res in results.values():
        for r in res.values():
            for key, field in r.glue.items():
                by_key[key] = (r, field)
    formats = glue_formats(ROOT / "book" / "chapters")
    glued = _glued(NOTEBOOKS / f"{chapter}.ipynb")
    missing, wrong = [], []
    for key, stored in glued.items():
        if isinstance(stored, str):
            continue  # text (an identifier, a list of weeks) is not a number
        if key not in by_key:
            missing.append(key)
            continue
        r, field = by_key[key]
        v = r.get(field)
        expected = float("nan") if v is None else v
        if isinstance(expected, float):
            expected = displayed(expected, formats.get(key))
        same = (isinstance(expected, float) and math.isnan(expected) and isinstance(stored, float)
                and math.isnan(stored)) or expected == stored
        if not same:
            wrong.append(f"{key}: glued {stored!r}, ledger {r.id}.{field} = {expected!r}")
    assert not missing, f"{chapter}: glued numbers that no ledger entry names: {sorted(missing)}"
    assert not wrong, f"{chapter}: " + "; ".join(wrong)


def test_ids_and_glue_keys_are_unique_across_chapters(all_results):
    """Ids and glue keys are unique across the chapters (chapter_results would refuse duplicates)."""
    res = all_results
    ids = [rid for r in res.values() for rid in r]
    assert len(ids) == len(set(ids))
    keys = [k for r in res.values() for x in r.values() for k in x.glue]
    assert len(keys) == len(set(keys))


def test_result_status_and_provenance_rules():
    r = ChapterResults("x", synthetic=True)
    a = r.add("a", "A", 2.474, published=2.47, unit="ratio", direction="control relative to UC-MSC")
    assert a.status == "agrees"  # within half a unit of the printed 2nd decimal
    b = r.add("b", "B", 2.476, published=2.47)
    assert b.status == "differs"
    c = r.add("c", "C", 2.6, published=2.47, tolerance=Tolerance("log_ratio", 0.10))
    assert c.status == "agrees"  # |log(2.6 / 2.47)| is about 0.05
    assert r.add("c2", "C2", 2.8, published=2.47, tolerance=Tolerance("log_ratio", 0.10)).status == "differs"
    d = r.add("d", "D", 1.0, ci_low=0.2, ci_high=4.9, published=1.06, published_ci_low=0.31, published_ci_high=5.12,
              tolerance=Tolerance("log_ratio", 0.10))
    assert d.status == "differs"  # the estimate agrees, the lower limit does not
    assert r.add("e", "E", None, published=3).status == "not computable"
    assert r.add("f", "F", 3.0).status == "not published"
    assert r.add("g", "G", 0.0004, published=0.001, tolerance=Tolerance("upper_bound")).status == "agrees"
    assert r.add("h", "H", 7, provenance="by construction").provenance == "by construction"
    real = ChapterResults("x", synthetic=False)
    assert real.add("h", "H", 7, provenance="by construction").provenance == "computed"
    assert real.add("i", "I", 7, provenance="published").provenance == "published"
    with pytest.raises(ValueError, match="used twice"):
        r.add("a", "A again", 1.0)
    r.add("j", "J", 1.0, glue={"k": "value"})
    with pytest.raises(ValueError, match="glue key 'k'"):
        r.add("k", "K", 1.0, glue={"k": "ci_low"})
    with pytest.raises(ValueError, match="glue fields"):
        r.add("l", "L", 1.0, glue={"m": "estimate"})
    with pytest.raises(ValueError, match="provenance"):
        r.add("n", "N", 1.0, provenance="guessed")
    assert set(FIELDS) >= {"value", "published"}
    with pytest.raises(ValueError):
        Tolerance("interval", (0.2, 0.1))


def test_computed_once_per_dataset_and_warnings_replayed(trial, published, tmp_path):
    """A chapter's results are computed once per dataset in a process; other data are computed
    afresh; the warnings of the computation are raised again at every call."""
    import shutil
    import warnings

    import pandas as pd

    from analysis.report.results import computed_once
    from analysis.toolkit.warnings import StatisticalWarning
    from analysis.trial.data import load_trial

    calls = []

    @computed_once
    def compute(t, p, **kw):
        calls.append(len(t.patients))
        warnings.warn("not defined on these data", StatisticalWarning)
        return ChapterResults("probe", t.synthetic)

    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = compute(trial, published)
        assert [str(w.message) for w in caught] == ["not defined on these data"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        assert calls == [len(trial.patients)] and compute(trial, published) is first
    other = tmp_path / "other"
    shutil.copytree(trial.path, other)
    p = pd.read_csv(other / "patients.csv", dtype=str, keep_default_na=False)
    p.loc[p.index[0], "age"] = str(float(p.loc[p.index[0], "age"]) + 1)
    p.to_csv(other / "patients.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        assert compute(load_trial(other), published) is not first
        compute(trial, published, grid=(3, 6))
    assert len(calls) == 3


def test_every_forced_or_assumed_number_in_the_prose_carries_its_marker(all_results):
    """A number the prose glues whose result is ``by construction`` or ``assumed`` on the synthetic
    cohort is followed by its provenance marker (``{glue:md}`key__m```), and no other number is."""
    import re

    from analysis.report.results import MARK_SUFFIX, MARKERS

    forced, other = set(), set()
    for res in all_results.values():
        for r in res.values():
            for key, fld in r.glue.items():
                if fld == "value" and not isinstance(r.value, str) and r.provenance in MARKERS:
                    forced.add(key)
                else:
                    other.add(key)
    role = re.compile(r"\{glue:text\}`([A-Za-z0-9_]+)(?::[^`]*)?`(\{glue:md\}`([A-Za-z0-9_]+)" + MARK_SUFFIX + "`)?")
    unmarked, wrongly = [], []
    for md in sorted((ROOT / "book" / "chapters").glob("*.md")):
        for m in role.finditer(md.read_text(encoding="utf-8")):
            key, marker = m.group(1), m.group(3)
            if key in forced and marker != key:
                unmarked.append(f"{md.stem}: {key}")
            if marker is not None and (marker != key or key in other):
                wrongly.append(f"{md.stem}: {key} marked as {marker}")
    assert not unmarked, f"numbers forced or assumed by the generator without their marker: {unmarked}"
    assert not wrongly, f"markers on numbers that are computed or published, or on another key: {wrongly}"


def test_markers():
    from analysis.report.results import MARKERS, marker_html

    assert "\u2021" in marker_html("by construction") and MARKERS["by construction"][1] in marker_html("by construction")
    assert "\u2020" in marker_html("assumed")
    assert marker_html("computed") == marker_html("published") == "\u2060"
    with pytest.raises(ValueError, match="provenance"):
        marker_html("guessed")
    real = ChapterResults("x", synthetic=False)
    real.add("a", "A", 1.0, provenance="assumed", glue={"ka": "value"})
    syn = ChapterResults("x", synthetic=True)
    syn.add("a", "A", 1.0, provenance="assumed", glue={"ka": "value"})
    assert real.markers() == {"ka": "\u2060"} and syn.markers() == {"ka": marker_html("assumed")}
    assert syn.markers(set()) == {}
