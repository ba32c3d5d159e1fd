"""analysis.toolkit.evidence against independent computations.

- The conjugate posterior against a hand computation and against importance sampling from the
  prior times the likelihood (seeded numpy Generator; tolerance from the Monte Carlo SE).
- Fisher's two-sided p against an enumeration of the hypergeometric distribution written here
  (R's ``fisher.test`` rule: tables at most ``1 + 1e-7`` times as probable as the observed one).
  Both are also checked against R (``tests/reference/evidence_reference.R`` ->
  ``tests/data/evidence_reference.json``: ``fisher.test``, a fragility enumeration with it, and the
  conjugate posterior with ``qnorm``/``pnorm``; R version recorded in the file).
- The (reverse) fragility index against a brute-force search over every change in one arm, and
  one small case worked by hand.
- The excluded-patient tipping analysis against the formula evaluated by hand.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.toolkit import evidence as ev

Z975 = 1.959963984540054  # qnorm(0.975)
R_REFERENCE = json.loads((Path(__file__).parent / "data" / "evidence_reference.json").read_text())


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _ci(hr: float, se: float, z: float = Z975) -> tuple[float, float]:
    return hr * math.exp(-z * se), hr * math.exp(z * se)


# ----------------------------------------------------------------------------
# Posterior
# ----------------------------------------------------------------------------
def test_likelihood_from_ci():
    lo, hi = _ci(2.0, 0.5)
    y, se = ev.log_hr_from_ci(2.0, lo, hi)
    assert y == pytest.approx(math.log(2.0), rel=1e-12)
    assert se == pytest.approx(0.5, rel=1e-9)
    lo90, hi90 = _ci(2.0, 0.5, z=1.6448536269514722)
    assert ev.log_hr_from_ci(2.0, lo90, hi90, conf_level=0.90)[1] == pytest.approx(0.5, rel=1e-9)


def test_conjugate_posterior_by_hand():
    """Prior N(0, 0.5^2), data log HR = log 2 with SE 0.5 (equal precisions).

    By hand: posterior precision 4 + 4 = 8, SD = 1/sqrt(8) = 0.3535534; mean = (0 * 4 + log 2 * 4) / 8
    = 0.3465736; median HR = sqrt(2) = 1.4142136; 95% CrI exp(0.3465736 -+ 1.959964 * 0.3535534) =
    exp(0.3465736 -+ 0.6929515) = (0.7072, 2.8279); P(HR > 1) = Phi(0.3465736 / 0.3535534) = Phi(0.9802581) = 0.836521.
    """
    lo, hi = _ci(2.0, 0.5)
    post = ev.normal_posterior(2.0, lo, hi, ev.NormalPrior("test", 0.0, 0.5))
    assert post.sd == pytest.approx(1 / math.sqrt(8), rel=1e-9)
    assert post.mean == pytest.approx(math.log(2) / 2, rel=1e-9)
    assert post.median == pytest.approx(math.sqrt(2), rel=1e-9)
    a, b = post.interval(0.95)
    assert a == pytest.approx(math.exp(math.log(2) / 2 - Z975 / math.sqrt(8)), rel=1e-9)
    assert b == pytest.approx(math.exp(math.log(2) / 2 + Z975 / math.sqrt(8)), rel=1e-9)
    assert (a, b) == pytest.approx((0.7072, 2.8279), abs=5e-5)
    assert post.prob_above(1.0) == pytest.approx(0.836521, abs=1e-6)
    assert post.prob_above(1.0) == pytest.approx(_phi((math.log(2) / 2) * math.sqrt(8)), rel=1e-12)


@pytest.mark.parametrize("hr,se,prior", [
    (1.7, 0.33, ev.NormalPrior("skeptical", 0.0, 0.7)),
    (1.7, 0.33, ev.NormalPrior("vague", 0.0, 10.0)),
    (0.8, 0.45, ev.NormalPrior("enthusiastic", 1.1, 0.7)),
    (3.0, 0.50, ev.NormalPrior("pessimistic", -1.1, 0.7)),
])
def test_posterior_against_importance_sampling(hr, se, prior):
    """Monte Carlo: draw log HR from the likelihood N(log hr, se^2), weight by the prior density.

    The weighted sample targets prior x likelihood; its mean, P(log HR > 0) and P(HR > 1.25) must
    match the conjugate result within 4 Monte Carlo standard errors.
    """
    rng = np.random.default_rng(20240514)
    n = 200_000
    theta = rng.normal(math.log(hr), se, n)
    logw = -0.5 * ((theta - prior.mean) / prior.sd) ** 2
    w = np.exp(logw - logw.max())
    w /= w.sum()
    lo, hi = _ci(hr, se)
    post = ev.normal_posterior(hr, lo, hi, prior)

    def check(values: np.ndarray, exact: float) -> None:
        est = float(np.sum(w * values))
        mcse = float(np.sqrt(np.sum(w**2 * (values - est) ** 2)))
        assert abs(est - exact) < 4 * mcse + 1e-12, (est, exact, mcse)

    check(theta, post.mean)
    check((theta > 0).astype(float), post.prob_above(1.0))
    check((theta > math.log(1.25)).astype(float), post.prob_above(1.25))
    check((theta - post.mean) ** 2, post.sd**2)


def test_design_hazard_ratio_and_priors():
    # 60% vs 85% at the same time under exponential survival (hand: log 0.6 / log 0.85)
    hd = ev.design_hazard_ratio(0.6, 0.85)
    assert hd == pytest.approx(math.log(0.6) / math.log(0.85), rel=1e-12)
    pri = ev.design_priors(hd)
    assert tuple(pri) == ev.PRIOR_NAMES
    s = math.log(hd) / 1.6448536269514722
    assert pri["skeptical"].sd == pytest.approx(s, rel=1e-9)
    assert pri["vague"] == ev.NormalPrior("vague", 0.0, 10.0)
    assert pri["enthusiastic"].mean == pytest.approx(math.log(hd)) and pri["pessimistic"].mean == pytest.approx(-math.log(hd))
    # the skeptical prior puts 5% on an effect at least as large as the design effect
    assert 1 - _phi(math.log(hd) / pri["skeptical"].sd) == pytest.approx(0.05, abs=1e-9)
    # the enthusiastic prior puts 5% on no benefit
    assert _phi(-pri["enthusiastic"].mean / pri["enthusiastic"].sd) == pytest.approx(0.05, abs=1e-9)


def test_posterior_summary_and_sensitivity():
    lo, hi = _ci(1.5, 0.3)
    pri = ev.design_priors(2.0)
    tab = ev.posterior_summary(1.5, lo, hi, pri)
    assert list(tab.index) == list(ev.PRIOR_NAMES)
    assert {"median", "cri_low", "cri_high", "p_benefit", "p_gt_1_25"} <= set(tab.columns)
    for name, prior in pri.items():
        post = ev.normal_posterior(1.5, lo, hi, prior)
        assert tab.loc[name, "p_benefit"] == pytest.approx(post.prob_above(1.0))
        assert tab.loc[name, "median"] == pytest.approx(post.median)
    # enthusiastic > vague-ish > skeptical > pessimistic in P(benefit) for a positive result
    p = tab["p_benefit"]
    assert p["enthusiastic"] > p["skeptical"] > p["pessimistic"]
    sens = ev.prior_sd_sensitivity(1.5, lo, hi, [0.05, 0.2, 1.0, 100.0])
    assert list(sens.columns) == ["prior_sd", "p_above"]
    assert sens["p_above"].is_monotonic_increasing  # a sceptic centred on 0 is won over as the SD grows
    assert sens["p_above"].iloc[-1] == pytest.approx(_phi(math.log(1.5) / 0.3), abs=1e-4)


@pytest.mark.parametrize("args,match", [
    ((2.0, 2.5, 3.0), "does not contain"),
    ((2.0, 1.0, 1.5), "does not contain"),
    ((0.0, 0.5, 1.0), "positive"),
    ((-1.0, 0.5, 1.0), "positive"),
    ((1.0, 1.5, 0.5), "below"),
    ((1.0, 1.0, 1.0), "below"),
    ((float("nan"), 0.5, 2.0), "positive"),
    (("a", 0.5, 2.0), "number"),
])
def test_bad_published_numbers_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        ev.log_hr_from_ci(*args)


def test_bad_priors_and_options_are_refused():
    with pytest.raises(ValueError, match="SD"):
        ev.NormalPrior("x", 0.0, 0.0)
    with pytest.raises(ValueError, match="differ from 1"):
        ev.design_priors(1.0)
    with pytest.raises(ValueError, match="probability"):
        ev.design_hazard_ratio(0.6, 1.0)
    with pytest.raises(ValueError):
        ev.log_hr_from_ci(2.0, 1.0, 3.0, conf_level=95)
    with pytest.raises(TypeError):
        ev.normal_posterior(2.0, 1.0, 3.0, (0.0, 1.0))
    with pytest.raises(ValueError, match="at least one"):
        ev.prior_sd_sensitivity(2.0, 1.0, 3.0, [])


# ----------------------------------------------------------------------------
# Fisher and fragility
# ----------------------------------------------------------------------------
def _fisher_enumerated(e1: int, n1: int, e2: int, n2: int) -> float:
    """Two-sided Fisher p by enumerating the hypergeometric distribution of the first arm's events."""
    m = e1 + e2
    total = math.comb(n1 + n2, m)
    probs = {k: math.comb(n1, k) * math.comb(n2, m - k) / total for k in range(max(0, m - n2), min(n1, m) + 1)}
    obs = probs[e1]
    return min(1.0, sum(p for p in probs.values() if p <= obs * (1 + 1e-7)))


def _fragility_brute(e1: int, n1: int, e2: int, n2: int, alpha: float = 0.05) -> int | None:
    """Fewest status changes in one arm that move Fisher's p across alpha, by trying every change."""
    sig = _fisher_enumerated(e1, n1, e2, n2) < alpha
    best = None
    for arm in (0, 1):
        e, n = (e1, n1) if arm == 0 else (e2, n2)
        for new in range(0, n + 1):
            if new == e:
                continue
            t = (new, n1, e2, n2) if arm == 0 else (e1, n1, new, n2)
            p = _fisher_enumerated(*t)
            if (p >= alpha) if sig else (p < alpha):
                # the first crossing along the path from e is what "fewest changes" means only if
                # every table on the path stays on the original side; check the path
                step = 1 if new > e else -1
                path = [(k, n1, e2, n2) if arm == 0 else (e1, n1, k, n2) for k in range(e + step, new, step)]
                if all(((_fisher_enumerated(*q) < alpha) == sig) for q in path):
                    k = abs(new - e)
                    best = k if best is None else min(best, k)
    return best


@pytest.mark.parametrize("table", [(0, 10, 5, 10), (3, 40, 12, 40), (7, 30, 7, 30), (15, 60, 5, 58),
                                   (10, 25, 2, 25), (1, 8, 6, 9), (20, 100, 9, 100)])
def test_fisher_against_enumeration(table):
    assert ev.fisher_two_sided(*table) == pytest.approx(_fisher_enumerated(*table), rel=1e-9)


def test_fragility_small_case_by_hand():
    """0/10 vs 5/10. Events total 5 of 20, C(20, 5) = 15504: P(0 events in arm 1) = C(10,5)/15504 =
    252/15504 = 0.01625, and P(5) the same, so two-sided p = 0.0325 < 0.05: significant.
    One event added to the first arm (1/10 vs 5/10): 6 events, C(20, 6) = 38760; P(k) = C(10,k)C(10,6-k)/38760:
    P(0) = P(6) = 210, P(1) = P(5) = 2520 (k = 1 observed), P(2) = P(4) = 9450, P(3) = 14400 (/38760); so
    p = (210 + 2520 + 2520 + 210)/38760 = 0.140867 >= 0.05: the fragility index is 1 (first arm, +1)."""
    assert ev.fisher_two_sided(0, 10, 5, 10) == pytest.approx(504 / 15504, rel=1e-9)
    r = ev.fragility_index(0, 10, 5, 10)
    assert (r.kind, r.index, r.arm, r.change) == ("fragility", 1, 0, 1)
    assert r.p_after == pytest.approx(5460 / 38760, rel=1e-9)
    assert r.quotient == pytest.approx(1 / 20)


@pytest.mark.parametrize("table", [(3, 40, 12, 40), (7, 30, 7, 30), (15, 60, 5, 58), (10, 25, 2, 25),
                                   (1, 8, 6, 9), (20, 100, 9, 100), (0, 10, 5, 10), (2, 12, 3, 11)])
def test_fragility_against_brute_force(table):
    r = ev.fragility_index(*table)
    assert r.index == _fragility_brute(*table)
    assert r.kind == ("fragility" if _fisher_enumerated(*table) < 0.05 else "reverse")
    if r.index is not None:
        assert (r.p_after < 0.05) == (r.kind == "reverse")


def test_fragility_random_tables_against_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(8):
        n1, n2 = (int(x) for x in rng.integers(5, 30, 2))
        e1, e2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        assert ev.fragility_index(e1, n1, e2, n2).index == _fragility_brute(e1, n1, e2, n2), (e1, n1, e2, n2)


def test_reverse_fragility_restricted_search_and_none():
    r = ev.fragility_index(3, 40, 12, 40, arms=(1,), changes=(-1,))
    assert r.kind == "fragility" and r.arm == 1 and r.change == -1
    # a balanced tiny table can never become significant by changing one arm of size 2
    r = ev.fragility_index(1, 2, 1, 2)
    assert r.kind == "reverse" and r.index is None and r.quotient is None and math.isnan(r.p_after)
    assert len(r.candidates) == 4


@pytest.mark.parametrize("args", [(-1, 10, 2, 10), (11, 10, 2, 10), (1, 0, 2, 10), (1.5, 10, 2, 10), (True, 10, 2, 10)])
def test_bad_tables_are_refused(args):
    with pytest.raises(ValueError):
        ev.fragility_index(*args)
    with pytest.raises(ValueError):
        ev.fisher_two_sided(*args)


def test_fragility_quotient():
    assert ev.fragility_quotient(3, 150) == pytest.approx(0.02)
    with pytest.raises(ValueError):
        ev.fragility_quotient(3, 0)


# ----------------------------------------------------------------------------
# Excluded patients
# ----------------------------------------------------------------------------
def test_shifted_hazard_ratio_by_hand():
    """HR 2 from 20 control and 10 treatment events; 10 treatment events added: by hand
    HR' = 2 * (1 + 0/20) / (1 + 10/10) = 1, SE = sqrt(1/20 + 1/20) = 0.3162278,
    CI = exp(-+1.959964 * 0.3162278) = exp(-+0.6197951) = (0.5381, 1.8585)."""
    hr, lo, hi = ev.shifted_hazard_ratio(2.0, 20, 10, 0, 10)
    assert hr == pytest.approx(1.0)
    assert (lo, hi) == pytest.approx((math.exp(-Z975 * math.sqrt(0.1)), math.exp(Z975 * math.sqrt(0.1))), rel=1e-9)
    assert (lo, hi) == pytest.approx((0.5381, 1.8585), abs=5e-5)
    # anchored on a published SE: no additions give the published interval back
    hr0, lo0, hi0 = ev.shifted_hazard_ratio(2.0, 20, 10, 0, 0, se=0.4)
    assert (hr0, lo0, hi0) == pytest.approx((2.0, *_ci(2.0, 0.4)), rel=1e-9)
    # and additions scale it by the approximation's relative change
    _, lo1, _ = ev.shifted_hazard_ratio(2.0, 20, 10, 5, 5, se=0.4)
    se1 = 0.4 * math.sqrt((1 / 25 + 1 / 15) / (1 / 20 + 1 / 10))
    assert lo1 == pytest.approx(2.0 * (1.25 / 1.5) * math.exp(-Z975 * se1), rel=1e-9)


def test_exclusion_tipping_against_direct_search():
    hr, dc, dt, xc, xt = 1.9, 30, 15, 14, 17
    se = 0.32
    r = ev.exclusion_tipping(hr, dc, dt, xc, xt, se=se)
    assert r.published_excludes_null
    assert len(r.grid) == (xc + 1) * (xt + 1)
    direct = next(k for k in range(xt + 1) if ev.shifted_hazard_ratio(hr, dc, dt, 0, k, se=se)[1] <= 1)
    assert r.fewest_treatment == direct
    assert r.fewest_control is None  # control events only push the estimate away from 1
    front = r.frontier[r.frontier["arm_varied"] == "treatment"].set_index("fixed")["fewest"]
    for ac in range(xc + 1):
        ks = [k for k in range(xt + 1) if ev.shifted_hazard_ratio(hr, dc, dt, ac, k, se=se)[1] <= 1]
        assert (front[ac] if front[ac] is not pd.NA else None) == (min(ks) if ks else None)
    assert list(front.dropna()) == sorted(front.dropna())  # more control events need more treatment events to tip


def test_best_worst_cases():
    bw = ev.best_worst_hazard_ratio(2.0, 20, 10, 5, 10)
    assert list(bw.index) == ["published", "best", "worst"]
    assert bw.loc["best", "hr"] == pytest.approx(2.0 * 1.25)
    assert bw.loc["worst", "hr"] == pytest.approx(1.0)
    c = ev.best_worst_counts(10, 50, 5, 50, 4, 6)
    assert tuple(c.loc["best", ["events_control", "n_control", "events_treatment", "n_treatment"]]) == (14, 54, 5, 56)
    assert tuple(c.loc["worst", ["events_control", "n_control", "events_treatment", "n_treatment"]]) == (10, 54, 11, 56)
    assert c.loc["worst", "p"] == pytest.approx(_fisher_enumerated(10, 54, 11, 56), rel=1e-9)
    assert c.loc["published", "risk_diff"] == pytest.approx(5 / 50 - 10 / 50)
    with pytest.raises(ValueError):
        ev.shifted_hazard_ratio(2.0, 0, 10, 0, 0)
    with pytest.raises(ValueError):
        ev.shifted_hazard_ratio(2.0, 10, 10, -1, 0)


# ----------------------------------------------------------------------------
# Verdicts
# ----------------------------------------------------------------------------
def test_claim_verdict_thresholds():
    lo, hi = _ci(2.5, 0.3)
    post = ev.normal_posterior(2.5, lo, hi, ev.NormalPrior("skeptical", 0.0, 0.7))
    assert ev.claim_verdict("benefit", post)[0] == "supported"
    assert ev.claim_verdict("benefit", post, benefit_prob=0.9999999)[0] == "not supported"
    assert ev.claim_verdict("no_harm", post)[0] == "supported"
    lo, hi = _ci(0.8, 0.4)
    weak = ev.normal_posterior(0.8, lo, hi, ev.NormalPrior("skeptical", 0.0, 0.7))
    verdict, reason = ev.claim_verdict("no_harm", weak)
    assert verdict == "not supported" and "skeptical" in reason
    assert ev.claim_verdict("qualitative")[0] == "not assessable"
    assert set(ev.VERDICTS) == {"supported", "not supported", "not assessable"}
    with pytest.raises(ValueError, match="posterior"):
        ev.claim_verdict("benefit")
    with pytest.raises(ValueError, match="kind"):
        ev.claim_verdict("harm", post)


# ----------------------------------------------------------------------------
# Against R (tests/reference/evidence_reference.R)
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", R_REFERENCE["fisher"], ids=lambda c: "-".join(map(str, c["table"])))
def test_fisher_and_fragility_against_r(case):
    """R: ``fisher.test(matrix(c(e1, n1 - e1, e2, n2 - e2), 2, byrow = TRUE))$p.value``, and the fewest
    one-arm changes found by the same enumeration with ``fisher.test``."""
    e1, n1, e2, n2 = case["table"]
    assert ev.fisher_two_sided(e1, n1, e2, n2) == pytest.approx(case["p"], rel=1e-9)
    assert ev.fragility_index(e1, n1, e2, n2).index == case["fragility"]


@pytest.mark.parametrize("case", R_REFERENCE["posterior"], ids=lambda c: f"hr{c['hr']:g}-m{c['prior_mean']:g}")
def test_posterior_against_r(case):
    """R: ``w <- 1/s0^2 + 1/se^2; m <- (m0/s0^2 + log(hr)/se^2)/w; exp(qnorm(c(.025, .5, .975), m, 1/sqrt(w)))``
    and ``pnorm(log(t), m, 1/sqrt(w), lower.tail = FALSE)``."""
    post = ev.normal_posterior(case["hr"], case["ci_low"], case["ci_high"],
                               ev.NormalPrior("r", case["prior_mean"], case["prior_sd"]))
    lo, hi = post.interval(0.95)
    assert post.median == pytest.approx(case["median"], rel=1e-9)
    assert (lo, hi) == pytest.approx((case["cri_low"], case["cri_high"]), rel=1e-9)
    assert post.prob_above(1.0) == pytest.approx(case["p_benefit"], rel=1e-9)
    assert post.prob_above(1.25) == pytest.approx(case["p_gt_1_25"], rel=1e-9)


def test_r_reference_records_its_version():
    assert R_REFERENCE["r_version"].startswith("R version")
