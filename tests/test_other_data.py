"""Every chapter computes on a public trial of another shape, without notebooks.

ACTG 175 (``tests/datasets/actg175``: unequal arms, a sparse second endpoint, no dates, no optional
tables) runs through every chapter's ``compute`` here; its notebooks are not executed by the suite
(the chapter runs of ``tests/test_book_build.py`` cover the page code on the private copy of the
cohort, the leukemia trial and a reconstructed folder). Every result id and glue key of the committed
cohort is there, so every page's prose has its numbers.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from analysis import load_trial
from analysis.report.chapters import CHAPTERS
from analysis.report.ledger import chapter_results
from analysis.toolkit.warnings import StatisticalWarning

pytestmark = pytest.mark.heavy
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def actg(published):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return chapter_results(load_trial(ROOT / "tests" / "datasets" / "actg175"), published)


def test_every_chapter_computes_with_the_cohort_s_ids_and_glue_keys(actg, all_results):
    assert tuple(actg) == CHAPTERS
    for name in CHAPTERS:
        assert set(all_results[name]) <= set(actg[name]) | {r for r in all_results[name] if r.startswith("data.")}, name
        assert set(all_results[name].glue_values()) == set(actg[name].glue_values()), name


def test_real_data_has_no_forced_or_assumed_result(actg):
    for res in actg.values():
        assert not res.synthetic
        assert {r.provenance for r in res.values()} <= {"computed", "published"}


def test_absent_tables_are_not_computable_with_a_note(actg):
    r = actg["safety"]["ae.fever.ucmsc"]
    assert r.value is None and r.status == "not computable" and r.note
