"""The randomization chapter's results, computed without building the book: the ``consort.*`` ledger
ids as the ledger computed them before, glue keys, provenance, values equal to the toolkit's, and a
dataset without a screening log."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import randomization
from analysis.toolkit import consort
from analysis.toolkit import randomization as rz
from analysis.toolkit.schema import ARMS

pytestmark = pytest.mark.heavy  # builds the ledger's pending section and two chapters' results

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "chapters" / "randomization.md"
CONSORT_IDS = (["consort.screened", "consort.excluded.refused", "consort.excluded.ineligible"]
               + [f"consort.{s}.{a}" for s in ("randomized", "withdrew", "lost", "analyzed") for a in ARMS])


@pytest.fixture(scope="module")
def res(trial, published):
    return randomization.compute(trial, published)


@pytest.fixture(scope="module")
def leukemia(published):
    """Freireich's leukemia trial: no screening log, real data."""
    trial = load_trial(ROOT / "tests" / "datasets" / "leukemia")
    return trial, randomization.compute(trial, published)


@pytest.mark.parametrize("which", ["synthetic", "leukemia"])
def test_consort_ids(which, res, leukemia, trial, published):
    """The CONSORT ids, in flow order; counts from the data beside the published flow; without a
    screening log the screening counts are not computable, with a note."""
    t, r = (trial, res) if which == "synthetic" else leukemia
    consort_ids = [i for i in r if i.startswith("consort.")]
    assert consort_ids == CONSORT_IDS
    c = published.consort
    for a in ("control", "ucmsc"):
        assert r[f"consort.randomized.{a}"].value == int((t.patients["arm"] == a).sum())
        assert r[f"consort.analyzed.{a}"].published == c["analyzed"][a]
    if t.screening is None:
        assert r["consort.screened"].value is None and "screening.csv" in r["consort.screened"].note
    else:
        assert r["consort.screened"].value == len(t.screening)


def test_consort_on_the_synthetic_cohort(res):
    for i in CONSORT_IDS:
        assert res[i].provenance == "by construction" and res[i].status == "agrees", i


def test_without_a_screening_log(leukemia):
    trial, r = leukemia
    assert trial.screening is None
    for i in ("consort.screened", "consort.excluded.refused", "consort.excluded.ineligible"):
        assert r[i].value is None and r[i].status == "not computable" and r[i].note == "screening.csv is absent"
    assert r["consort.randomized.control"].provenance == "computed"
    assert not any(s == "assessed" for s in r.objects["flow"]["stage"])


def test_every_key_the_page_glues_is_a_result(res):
    keys = set(re.findall(r"\{glue:text\}`([^`:]+)", PAGE.read_text()))
    assert keys <= set(res.glue_values()), sorted(keys - set(res.glue_values()))


def test_population_values(res, trial, published):
    pop = consort.analysis_population(consort.consort_counts(trial)).set_index("arm")
    pub = consort.analysis_population(consort.published_consort_counts(published.consort)).set_index("arm")
    for col, key in (("randomized", "randomized"), ("analyzed", "analyzed"), ("lost_to_follow_up", "lost"),
                     ("fraction_analyzed", "fraction_analyzed")):
        r = res[f"randomization.population.{key}.all"]
        assert (r.value, r.published) == (pop.loc["all", col], pub.loc["all", col])
    g = res.glue_values()
    assert g["rz_pub_lost_ucmsc"] == published.consort["lost_to_follow_up"]["ucmsc"]
    assert g["rz_data_randomized"] == len(trial.patients)


def test_allocation_list_is_seeded_and_balanced(res, published):
    n = sum(published.consort["randomized"][a] for a in ARMS)
    table = res.objects["allocation"].table
    again = rz.generate_allocation(n, seed=randomization.SEED, block_sizes=randomization.BLOCK_SIZES)
    assert table[["sequence", "block", "block_size", "arm", "code"]].equals(
        again.table[["sequence", "block", "block_size", "arm", "code"]])
    full = table.groupby("block").filter(lambda b: len(b) == b["block_size"].iloc[0])
    assert (full.groupby("block")["arm"].apply(lambda a: (a == ARMS[0]).sum() * 2 == len(a))).all()
    assert res.objects["verification"]["passed"].all()
    bal = rz.allocation_balance(table)
    assert res["randomization.list.max_difference"].value == int(bal["difference"].abs().max())
    assert res["randomization.list.max_difference"].value <= res["randomization.list.bound"].value
    simple = rz.simple_allocation_list(n, rng=np.random.default_rng(randomization.SEED))
    assert res["randomization.simple.predictability"].value == rz.guessing_predictability(simple)
    assert res["randomization.expected_predictability.random_blocks"].value == \
        rz.expected_predictability(randomization.BLOCK_SIZES)


def test_table1_chance_significance(res, published):
    c = rz.chance_significance([row.p for row in published.table1], alpha=randomization.ALPHA)
    assert res["randomization.table1.n_significant"].value == c.n_significant
    assert res["randomization.table1.p_at_least"].value == c.p_at_least
    r = res["randomization.table1.meld.mean.ucmsc"]
    assert r.provenance == "published" and r.value == published.table1_row("meld").ucmsc["mean"]
