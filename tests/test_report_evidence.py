"""The evidence chapter's results, computed without building the book.

Ids present with their exact names, provenance ``published`` for everything derived from the
published numbers, values equal to the toolkit's output on the published numbers, and the same
published-only results on a dataset that is not the synthetic cohort.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

from analysis.report.chapters import evidence
from analysis.toolkit import evidence as ev
from analysis.trial.data import load_trial
from analysis.trial.published import load_published
from analysis.toolkit.warnings import StatisticalWarning
from analysis.trial.synthetic import derive_event_counts

pytestmark = pytest.mark.heavy  # the cohort analyses of the chapter take a few seconds
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pub():
    return load_published()


@pytest.fixture(scope="module")
def res(trial, pub):
    return evidence.compute(trial, pub)


#: Id prefixes of the results the chapter module computes from the published numbers alone.
_MINE = ("evidence.alpha", "evidence.design.", "evidence.prior.", "evidence.cri_level", "evidence.benefit_hr",
         "evidence.published.", "evidence.likelihood.", "evidence.bayes.", "evidence.hcc.", "evidence.fragility.hcc.",
         "evidence.excluded.control", "evidence.excluded.ucmsc", "evidence.excluded.total", "evidence.excluded.os.cox.",
         "evidence.excluded.hcc.cox.", "evidence.excluded.hcc.counts.", "evidence.randomized.",
         "evidence.conclusion.", "evidence.verdict.")


def _published_only(res):
    """The results this module adds itself (the cohort module adds others, with other provenance)."""
    return {rid: r for rid, r in res.items() if rid.startswith(_MINE) and "cohort" not in rid}


def test_bayes_ids_for_every_published_hazard_ratio_and_prior(res, pub):
    assert set(pub.hazard_ratios) >= {"os.cox", "os.landmark13.early", "os.landmark13.late", "hcc.cox"}
    for key in pub.hazard_ratios:
        for prior in ev.PRIOR_NAMES:
            for stat in ("p_benefit", "median", "cri_low", "cri_high", "p_gt_1_25"):
                assert f"evidence.bayes.{key}.{prior}.{stat}" in res


def test_bayes_values_equal_the_toolkit(res, pub):
    ss = pub.sample_size
    hd = ev.design_hazard_ratio(ss["survival_control"], ss["survival_ucmsc"])
    assert res["evidence.design.hr"].value == pytest.approx(hd)
    assert hd == pytest.approx(math.log(ss["survival_control"]) / math.log(ss["survival_ucmsc"]))
    priors = ev.design_priors(hd, tail=evidence.PRIOR_TAIL, vague_sd=evidence.VAGUE_SD)
    for key, h in pub.hazard_ratios.items():
        for name, prior in priors.items():
            post = ev.normal_posterior(h.hr, h.ci_low, h.ci_high, prior)
            lo, hi = post.interval(evidence.CRI_LEVEL)
            base = f"evidence.bayes.{key}.{name}"
            assert res[f"{base}.p_benefit"].value == pytest.approx(post.prob_above(1.0), rel=1e-9)
            assert res[f"{base}.p_gt_1_25"].value == pytest.approx(post.prob_above(evidence.BENEFIT_HR), rel=1e-9)
            assert res[f"{base}.median"].value == pytest.approx(post.median, rel=1e-9)
            assert res[f"{base}.cri_low"].value == pytest.approx(lo, rel=1e-9)
            assert res[f"{base}.cri_high"].value == pytest.approx(hi, rel=1e-9)
            assert res[f"{base}.median"].direction == "control relative to UC-MSC"


def test_fragility_ids_and_values(res, pub):
    inc = pub.hcc_incidence
    f = ev.fragility_index(inc["control"]["events"], inc["control"]["n"], inc["ucmsc"]["events"], inc["ucmsc"]["n"],
                           alpha=pub.sample_size["alpha"])
    assert f.kind == "reverse"  # the published HCC comparison is not significant
    assert res["evidence.fragility.hcc.index"].value == f.index
    assert res["evidence.fragility.hcc.quotient"].value == pytest.approx(f.quotient)
    assert res["evidence.fragility.hcc.p"].value == pytest.approx(f.p_before)
    assert res["evidence.fragility.hcc.index"].value < res["evidence.excluded.total"].value


def test_excluded_patient_results(res, pub):
    c = pub.consort
    for a in ("control", "ucmsc"):
        assert res[f"evidence.excluded.{a}"].value == c["randomized"][a] - c["analyzed"][a]
    events = derive_event_counts(pub)
    h = pub.hazard_ratios["os.cox"]
    _, se = ev.log_hr_from_ci(h.hr, h.ci_low, h.ci_high)
    t = ev.exclusion_tipping(h.hr, events.loc["os.cox", "events_control"], events.loc["os.cox", "events_ucmsc"],
                             res["evidence.excluded.control"].value, res["evidence.excluded.ucmsc"].value, se=se)
    assert res["evidence.excluded.os.cox.tipping.ucmsc"].value == t.fewest_treatment
    assert res["evidence.excluded.os.cox.tipping.control"].value == t.fewest_control
    assert res["evidence.excluded.os.cox.events.control"].value == events.loc["os.cox", "events_control"]
    for key in ("os.cox", "hcc.cox"):
        best, worst = res[f"evidence.excluded.{key}.best.hr"], res[f"evidence.excluded.{key}.worst.hr"]
        assert worst.value < best.value and worst.ci_low < worst.value < worst.ci_high
    assert res["evidence.excluded.hcc.counts.best.p"].value < res["evidence.excluded.hcc.counts.worst.p"].value


def test_conclusions_table_and_verdicts(res, pub):
    conc = pub.conclusions
    assert [c["id"] for c in conc] == ["survival", "hcc", "liver_function", "safety"]
    table = res.objects["conclusions"]
    assert len(table) == len(conc) and set(table["verdict"]) <= set(ev.VERDICTS)
    for c in conc:
        r = res[f"evidence.conclusion.{c['id']}.verdict"]
        assert r.value in ev.VERDICTS
        if c["kind"] == "qualitative":
            assert r.value == "not assessable"
        else:
            h = pub.hazard_ratios[c["hr"]]
            prior = ev.design_priors(res["evidence.design.hr"].value)[evidence.VERDICT_PRIOR]
            post = ev.normal_posterior(h.hr, h.ci_low, h.ci_high, prior)
            alpha = pub.sample_size["alpha"]
            assert r.value == ev.claim_verdict(c["kind"], post, benefit_prob=1 - alpha / 2,
                                               harm_hr=evidence.HARM_HR, harm_prob=alpha / 2)[0]
        # the quoted sentence is in the paper
        paper = next((ROOT.parent / "shared" / "paper").glob("*.txt"), None) if (ROOT.parent / "shared").exists() else None
        if paper is not None:
            assert c["text"] in paper.read_text()


def test_everything_derived_from_published_numbers_is_published(res):
    for rid, r in _published_only(res).items():
        assert r.provenance == "published", rid


def test_same_published_results_on_real_data(res, pub):
    """On data that are not the synthetic cohort the published-only results are the same numbers."""
    with warnings.catch_warnings():  # the cohort analyses warn of statistics undefined on these data (notes on a page)
        warnings.simplefilter("ignore", StatisticalWarning)
        other = evidence.compute(load_trial(ROOT / "tests" / "datasets" / "leukemia"), pub)
    assert len(_published_only(res)) > 150
    for rid, r in _published_only(res).items():
        assert other[rid].value == r.value and other[rid].provenance == "published", rid


@pytest.mark.parametrize("change,match", [
    ({"hr": "os.nothing"}, "no hazard ratio"),
    ({"kind": "maybe"}, "kind"),
    ({"kind": "qualitative"}, "has no `hr`"),
    ({"also": ["hcc.landmark.middle"]}, "no hazard ratio"),
])
def test_conclusions_are_checked_when_loaded(tmp_path, change, match):
    """A conclusion naming a hazard ratio that does not exist, or with an unknown kind, is refused."""
    import yaml

    raw = yaml.safe_load((ROOT / "data" / "published" / "shi2021.yaml").read_text())
    raw["conclusions"][0].update(change)
    path = tmp_path / "pub.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=match):
        load_published(path)


def test_conclusion_landmark_keys_resolve(pub):
    survival = next(c for c in pub.conclusions if c["id"] == "survival")
    assert survival["hr"] in pub.hazard_ratios and all(k in pub.hazard_ratios for k in survival["also"])
    assert survival["also"] == [pub.landmark_hr("os", "late").key]
