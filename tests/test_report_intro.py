"""The introduction's results: the paper's numbers quoted, with provenance ``published``."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import load_trial
from analysis.report.chapters import intro
from analysis.toolkit.schema import ARMS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def res(trial, published):
    return intro.compute(trial, published)


#: Computed from published numbers only (the paper's numbers checked against each other), not quoted.
FROM_PUBLISHED = ("intro.hr.os.cox.wald_p",)


def test_every_result_quotes_the_paper(res):
    assert len(res) > 0
    for rid, r in res.items():
        if ".conventions." in rid:  # the book's confidence and significance levels, not the paper's numbers
            assert r.provenance == "computed" and r.status == "not published", rid
            continue
        if rid in FROM_PUBLISHED:
            assert r.provenance == "computed" and r.status == "not published" and r.glue, rid
            continue
        assert rid.startswith("intro.") and r.provenance == "published", rid
        if isinstance(r.value, str):
            assert r.status == "not published" and r.note, rid  # an identifier is never compared
        else:
            assert r.value == r.published and r.status == "agrees", rid
        assert r.glue, f"{rid}: every result of the introduction is shown"


def test_values_are_the_published_numbers(res, published):
    c = published.consort
    assert res["intro.screened"].value == c["screened"]
    assert res["intro.randomized.total"].value == sum(c["randomized"][a] for a in ARMS)
    assert res["intro.analyzed.total"].value == sum(c["analyzed"][a] for a in ARMS)
    for a in ARMS:
        assert res[f"intro.analyzed.{a}"].value == c["analyzed"][a]
    assert res["intro.horizon"].value == published.horizon
    assert res["intro.dosing.cells_per_kg"].value == pytest.approx(published.dosing["cells_per_kg"] / 1e6)
    assert res["intro.registration"].value == published.citation["registration"]
    h = published.hazard_ratios["os.cox"]
    r = res["intro.hr.os.cox"]
    assert (r.value, r.ci_low, r.ci_high) == (h.hr, h.ci_low, h.ci_high) and r.direction
    assert res["intro.lab_weeks"].value == max(published.visits["lab_weeks"])
    assert res.glue_values()["n_analyzed"] == res["intro.analyzed.total"].value


def test_same_results_on_other_data(res, published):
    """The introduction quotes the paper: other data change nothing."""
    other = intro.compute(load_trial(ROOT / "tests" / "datasets" / "leukemia"), published)
    assert other.glue_values() == res.glue_values()
    assert {r.provenance for rid, r in other.items() if rid not in FROM_PUBLISHED and ".conventions." not in rid} == {"published"}


def test_os_ci_p_clash_is_the_baseline_check(res, trial, published):
    """The Wald p the printed OS interval implies is the baseline chapter's check of it, below 0.05
    (the interval excludes 1) while the printed p is not."""
    from analysis.report.chapters import baseline

    h = published.hazard_ratios["os.cox"]
    check = baseline.compute(trial, published)["consistency.os.cox.wald_p"]
    assert res["intro.hr.os.cox.wald_p"].value == check.value
    assert res["intro.hr.os.cox.p"].value == h.p == check.published
    assert h.ci_low > 1 and check.value < 0.05 <= h.p
