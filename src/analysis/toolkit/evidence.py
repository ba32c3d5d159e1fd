"""What published summary statistics support: Bayesian re-reading, fragility, excluded patients.

Everything here works from **published summary numbers alone** (a hazard ratio with its
confidence interval, event counts per arm, the numbers randomized and analysed), so it applies to
any two-arm trial report; nothing here knows the paper this project re-analyses.

- **Bayesian re-reading of a hazard ratio** (Spiegelhalter, Freedman & Parmar 1994): the
  published HR and CI give a normal likelihood for the log hazard ratio (estimate ``log HR``,
  standard error from the CI's width); a normal prior on the log hazard ratio gives a normal
  posterior (conjugate, precision-weighted). The community of priors (vague, skeptical,
  enthusiastic, pessimistic) is built from the hazard ratio the trial was designed to detect
  (:func:`design_priors`). :func:`normal_posterior`, :func:`posterior_summary` and the
  prior-SD sensitivity curve :func:`prior_sd_sensitivity`.
- **Fragility** of a 2x2 comparison under Fisher's exact test (Walsh et al. 2014; the reverse
  fragility index of a non-significant result, Khan et al. 2020): :func:`fragility_index`,
  :func:`fragility_quotient`.
- **Patients randomized but not analysed** (EMA 2010; ICH E9(R1)): how the hazard ratio and its
  CI move when some excluded patients are counted as events, by the event-count approximation
  ``Var(log HR) = 1/d1 + 1/d2`` (:func:`shifted_hazard_ratio`, :func:`exclusion_tipping`), and the
  best and worst cases (:func:`best_worst_hazard_ratio`, :func:`best_worst_counts`).
- **A published claim against the evidence**: :func:`claim_verdict` with stated thresholds.

Hazard ratios here are **control relative to treatment** (HR > 1: the control arm has the higher
hazard, the treatment is better), the direction the posterior's ``P(HR > 1)`` calls a benefit. For
a ratio in the other direction pass ``1 / HR`` and the swapped limits.

References
----------
Spiegelhalter DJ, Freedman LS, Parmar MKB. Bayesian approaches to randomized trials. J R Stat Soc
Ser A 1994;157:357-416.
Goligher EC, Tomlinson G, Hajage D, et al. Extracorporeal membrane oxygenation for severe acute
respiratory distress syndrome and posterior probability of mortality benefit in a post hoc
Bayesian analysis of a randomized clinical trial. JAMA 2018;320:2251-2259.
Walsh M, Srinathan SK, McAuley DF, et al. The statistical significance of randomized controlled
trial results is frequently fragile: a case for a Fragility Index. J Clin Epidemiol
2014;67:622-628.
Khan MS, Fonarow GC, Friede T, et al. Application of the reverse fragility index to statistically
nonsignificant randomized clinical trial results. JAMA Netw Open 2020;3:e2012469.
European Medicines Agency. Guideline on missing data in confirmatory clinical trials
(EMA/CPMP/EWP/1776/99 Rev. 1), 2010.
ICH E9(R1). Addendum on estimands and sensitivity analysis in clinical trials, 2019.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .conventions import validate_alpha, validate_conf_level

__all__ = [
    "PRIOR_NAMES",
    "VERDICTS",
    "NormalPrior",
    "log_hr_from_ci",
    "design_hazard_ratio",
    "design_priors",
    "PosteriorLogHR",
    "normal_posterior",
    "posterior_summary",
    "prior_sd_sensitivity",
    "fisher_two_sided",
    "FragilityResult",
    "fragility_index",
    "fragility_quotient",
    "shifted_hazard_ratio",
    "TippingResult",
    "exclusion_tipping",
    "best_worst_hazard_ratio",
    "best_worst_counts",
    "claim_verdict",
]

#: The community of priors of :func:`design_priors`, in this order.
PRIOR_NAMES = ("vague", "skeptical", "enthusiastic", "pessimistic")
#: What :func:`claim_verdict` can say about a published claim.
VERDICTS = ("supported", "not supported", "not assessable")


# ----------------------------------------------------------------------------
# Bayesian re-reading of a hazard ratio
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class NormalPrior:
    """A normal prior on the log hazard ratio (control relative to treatment).

    Attributes
    ----------
    name : str
        Its name (``"skeptical"``, ...).
    mean : float
        Prior mean of the log hazard ratio (0: no effect).
    sd : float
        Prior standard deviation of the log hazard ratio (> 0).
    """

    name: str
    mean: float
    sd: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean)):
            raise ValueError(f"prior {self.name!r}: the mean must be finite, got {self.mean!r}")
        if not (math.isfinite(self.sd) and self.sd > 0):
            raise ValueError(f"prior {self.name!r}: the SD must be a positive number, got {self.sd!r}")


def _positive(name: str, x: float) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {x!r}") from exc
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return v


def log_hr_from_ci(hr: float, ci_low: float, ci_high: float, *, conf_level: float = 0.95) -> tuple[float, float]:
    """The normal likelihood of the log hazard ratio implied by a published HR and its CI.

    Parameters
    ----------
    hr : float
        The hazard ratio (> 0).
    ci_low, ci_high : float
        Its confidence limits (``0 < ci_low <= hr <= ci_high``, ``ci_low < ci_high``).
    conf_level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    tuple of float
        ``(log(hr), se)`` with ``se = (log ci_high - log ci_low) / (2 z)``, ``z`` the
        ``(1 + conf_level) / 2`` normal quantile (1.959964 for 95%): a Wald interval on the log scale.

    Raises
    ------
    ValueError
        If a number is not positive and finite, the limits are not increasing, or the interval
        does not contain the hazard ratio.

    References
    ----------
    Spiegelhalter DJ, Freedman LS, Parmar MKB. J R Stat Soc A 1994;157:357-416 (section 3).
    Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ 2011;343:d2304.
    """
    hr, lo, hi = _positive("hr", hr), _positive("ci_low", ci_low), _positive("ci_high", ci_high)
    level = validate_conf_level(conf_level)
    if not lo < hi:
        raise ValueError(f"ci_low must be below ci_high, got {lo!r} and {hi!r}")
    if not lo <= hr <= hi:
        raise ValueError(f"the interval ({lo!r}, {hi!r}) does not contain the hazard ratio {hr!r}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    return math.log(hr), (math.log(hi) - math.log(lo)) / (2 * z)


def design_hazard_ratio(survival_control: float, survival_treatment: float) -> float:
    """The hazard ratio (control relative to treatment) implied by planned survival probabilities.

    Under exponential survival the hazard is ``-log(S(t)) / t``; both arms' probabilities refer to
    the same time ``t``, which cancels.

    Parameters
    ----------
    survival_control, survival_treatment : float
        Planned survival probabilities of the control and the treatment arm at the same time,
        each in (0, 1).

    Returns
    -------
    float
        ``log(survival_control) / log(survival_treatment)``: above 1 when the plan expects the
        treatment to do better.

    Raises
    ------
    ValueError
        If a probability is not in (0, 1).

    Notes
    -----
    R: ``log(s_control) / log(s_treatment)``; equals the ratio of
    ``rpact::getLambdaByPi(1 - s, eventTime = t)`` of the two arms.
    """
    for name, s in (("survival_control", survival_control), ("survival_treatment", survival_treatment)):
        if not (isinstance(s, (int, float, np.floating)) and 0 < float(s) < 1):
            raise ValueError(f"{name} must be a probability in (0, 1), got {s!r}")
    return math.log(float(survival_control)) / math.log(float(survival_treatment))


def design_priors(hr_design: float, *, tail: float = 0.05, vague_sd: float = 10.0) -> dict[str, NormalPrior]:
    """The community of priors on the log hazard ratio built from the design hazard ratio.

    Parameters
    ----------
    hr_design : float
        The hazard ratio the trial was designed to detect, control relative to treatment
        (e.g. :func:`design_hazard_ratio`); not 1.
    tail : float, default 0.05
        Prior probability the skeptical prior puts on an effect at least as large as the design
        effect (it sets the common SD of the three informative priors; see Returns).
    vague_sd : float, default 10.0
        SD of the vague prior (log scale).

    Returns
    -------
    dict of str to NormalPrior
        In the order of :data:`PRIOR_NAMES`, with ``s = |log hr_design| / z(1 - tail)``
        (``z(0.95) = 1.644854``):

        - ``vague``: N(0, ``vague_sd`` ^ 2);
        - ``skeptical``: N(0, s^2): probability ``tail`` of an effect at least as large as the
          design effect;
        - ``enthusiastic``: N(log hr_design, s^2): centred on the design effect, probability
          ``tail`` of no benefit (HR <= 1 when the design HR is above 1);
        - ``pessimistic``: N(-log hr_design, s^2): the design effect in the other direction.

    Raises
    ------
    ValueError
        If ``hr_design`` is not positive, equals 1, or ``tail`` is not in (0, 1/2).

    References
    ----------
    Spiegelhalter DJ, Freedman LS, Parmar MKB. J R Stat Soc A 1994;157:357-416 (section 4.2,
    skeptical and enthusiastic priors). Goligher EC, et al. JAMA 2018;320:2251-2259 (a community
    of priors for a published trial).
    """
    hr_design = _positive("hr_design", hr_design)
    if hr_design == 1:
        raise ValueError("hr_design must differ from 1 (the design effect sets the priors' SD)")
    tail = validate_alpha(tail, "tail")
    if not tail < 0.5:
        raise ValueError(f"tail must be below 0.5, got {tail!r}")
    mu = math.log(hr_design)
    s = abs(mu) / float(stats.norm.ppf(1 - tail))
    return {
        "vague": NormalPrior("vague", 0.0, _positive("vague_sd", vague_sd)),
        "skeptical": NormalPrior("skeptical", 0.0, s),
        "enthusiastic": NormalPrior("enthusiastic", mu, s),
        "pessimistic": NormalPrior("pessimistic", -mu, s),
    }


@dataclass(frozen=True)
class PosteriorLogHR:
    """A normal posterior of the log hazard ratio (control relative to treatment).

    Attributes
    ----------
    prior : NormalPrior
        The prior.
    data_mean, data_se : float
        The likelihood: the published log HR and its standard error.
    mean, sd : float
        The posterior mean and SD of the log hazard ratio.
    median : float
        The posterior median hazard ratio, ``exp(mean)`` (property).
    """

    prior: NormalPrior
    data_mean: float
    data_se: float
    mean: float
    sd: float

    @property
    def median(self) -> float:
        return math.exp(self.mean)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval of the hazard ratio.

        Parameters
        ----------
        level : float, default 0.95
            Posterior probability inside the interval.

        Returns
        -------
        tuple of float
            ``exp(mean -+ z sd)``, ``z`` the ``(1 + level) / 2`` normal quantile.
        """
        z = float(stats.norm.ppf(0.5 + validate_conf_level(level, "level") / 2))
        return math.exp(self.mean - z * self.sd), math.exp(self.mean + z * self.sd)

    def prob_above(self, threshold: float = 1.0) -> float:
        """Posterior probability that the hazard ratio exceeds ``threshold``.

        Parameters
        ----------
        threshold : float, default 1.0
            A hazard ratio (> 0); 1 gives the probability of any benefit of the treatment.

        Returns
        -------
        float
            ``P(HR > threshold) = 1 - Phi((log threshold - mean) / sd)``.
        """
        t = _positive("threshold", threshold)
        return float(stats.norm.sf((math.log(t) - self.mean) / self.sd))


def normal_posterior(hr: float, ci_low: float, ci_high: float, prior: NormalPrior, *,
                     conf_level: float = 0.95) -> PosteriorLogHR:
    """Conjugate normal posterior of the log hazard ratio from a published HR, CI and a normal prior.

    Parameters
    ----------
    hr, ci_low, ci_high : float
        The published hazard ratio (control relative to treatment) and its confidence limits.
    prior : NormalPrior
        The prior on the log hazard ratio.
    conf_level : float, default 0.95
        Confidence level of the published interval.

    Returns
    -------
    PosteriorLogHR
        Posterior precision ``1/sd0^2 + 1/se^2`` and mean ``(m0/sd0^2 + log(hr)/se^2) / precision``.

    Raises
    ------
    ValueError
        If the published numbers are invalid (see :func:`log_hr_from_ci`).

    References
    ----------
    Spiegelhalter DJ, Freedman LS, Parmar MKB. J R Stat Soc A 1994;157:357-416.
    Spiegelhalter DJ, Abrams KR, Myles JP. Bayesian Approaches to Clinical Trials and
    Health-Care Evaluation. Wiley, 2004 (section 3.6).

    Notes
    -----
    R: ``w <- 1/sd0^2 + 1/se^2; m <- (m0/sd0^2 + log(hr)/se^2) / w; exp(qnorm(c(.025, .5, .975), m, 1/sqrt(w)))``.
    """
    if not isinstance(prior, NormalPrior):
        raise TypeError(f"prior must be a NormalPrior, got {type(prior).__name__}")
    y, se = log_hr_from_ci(hr, ci_low, ci_high, conf_level=conf_level)
    w0, w1 = 1 / prior.sd**2, 1 / se**2
    mean = (prior.mean * w0 + y * w1) / (w0 + w1)
    return PosteriorLogHR(prior, y, se, mean, math.sqrt(1 / (w0 + w1)))


def _p_column(threshold: float) -> str:
    return "p_benefit" if threshold == 1 else "p_gt_" + f"{threshold:g}".replace(".", "_")


def posterior_summary(hr: float, ci_low: float, ci_high: float, priors: Mapping[str, NormalPrior] | Iterable[NormalPrior],
                      *, conf_level: float = 0.95, cri_level: float = 0.95,
                      thresholds: Sequence[float] = (1.0, 1.25)) -> pd.DataFrame:
    """The posterior of one published hazard ratio under each of several priors.

    Parameters
    ----------
    hr, ci_low, ci_high : float
        The published hazard ratio (control relative to treatment) and its confidence limits.
    priors : mapping of str to NormalPrior, or iterable of NormalPrior
        The priors (e.g. :func:`design_priors`).
    conf_level : float, default 0.95
        Confidence level of the published interval.
    cri_level : float, default 0.95
        Level of the equal-tailed credible intervals.
    thresholds : sequence of float, default (1.0, 1.25)
        Hazard ratios for which ``P(HR > threshold)`` is given.

    Returns
    -------
    pandas.DataFrame
        Index ``prior``; columns ``prior_mean`` and ``prior_sd`` (log scale), ``post_mean`` and
        ``post_sd`` (log scale), ``median``, ``cri_low``, ``cri_high`` (hazard ratios), and one
        column per threshold: ``p_benefit`` for 1, ``p_gt_1_25`` for 1.25, ...
    """
    plist = list(priors.values()) if isinstance(priors, Mapping) else list(priors)
    if not plist:
        raise ValueError("priors: give at least one prior")
    rows = []
    for prior in plist:
        post = normal_posterior(hr, ci_low, ci_high, prior, conf_level=conf_level)
        lo, hi = post.interval(cri_level)
        row = {"prior": prior.name, "prior_mean": prior.mean, "prior_sd": prior.sd, "post_mean": post.mean,
               "post_sd": post.sd, "median": post.median, "cri_low": lo, "cri_high": hi}
        for t in thresholds:
            row[_p_column(float(t))] = post.prob_above(t)
        rows.append(row)
    return pd.DataFrame(rows).set_index("prior")


def prior_sd_sensitivity(hr: float, ci_low: float, ci_high: float, sds: Sequence[float], *, prior_mean: float = 0.0,
                         threshold: float = 1.0, conf_level: float = 0.95) -> pd.DataFrame:
    """Posterior ``P(HR > threshold)`` as the prior's SD varies (prior mean fixed).

    Parameters
    ----------
    hr, ci_low, ci_high : float
        The published hazard ratio (control relative to treatment) and its confidence limits.
    sds : sequence of float
        Prior SDs of the log hazard ratio (each > 0).
    prior_mean : float, default 0.0
        Prior mean of the log hazard ratio (0: a skeptical prior centred on no effect).
    threshold : float, default 1.0
        The hazard ratio above which the probability is computed.
    conf_level : float, default 0.95
        Confidence level of the published interval.

    Returns
    -------
    pandas.DataFrame
        Columns ``prior_sd`` and ``p_above``; one row per SD in the order given. As the SD grows
        the probability tends to the vague-prior value ``Phi((log hr - log threshold) / se)``.
    """
    if len(sds) == 0:
        raise ValueError("sds: give at least one prior SD")
    out = [{"prior_sd": float(s), "p_above": normal_posterior(
        hr, ci_low, ci_high, NormalPrior("sensitivity", float(prior_mean), _positive("prior SD", s)),
        conf_level=conf_level).prob_above(threshold)} for s in sds]
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------
# Fragility of a 2x2 comparison
# ----------------------------------------------------------------------------
def _count(name: str, x: int) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {x!r}")
    return int(x)


def _table(events1: int, n1: int, events2: int, n2: int) -> tuple[int, int, int, int]:
    e1, n1, e2, n2 = (_count(k, v) for k, v in (("events1", events1), ("n1", n1), ("events2", events2), ("n2", n2)))
    if n1 == 0 or n2 == 0:
        raise ValueError("each arm needs at least one patient")
    if e1 > n1 or e2 > n2:
        raise ValueError(f"events cannot exceed patients: {e1}/{n1} and {e2}/{n2}")
    return e1, n1, e2, n2


def fisher_two_sided(events1: int, n1: int, events2: int, n2: int) -> float:
    """Two-sided Fisher exact p of a 2x2 table given as events / patients per arm.

    Parameters
    ----------
    events1, n1 : int
        Events and patients of the first arm.
    events2, n2 : int
        Events and patients of the second arm.

    Returns
    -------
    float
        The two-sided p (tables at most as probable as the observed one, with scipy's relative
        tolerance), :func:`scipy.stats.fisher_exact`.

    Notes
    -----
    R: ``fisher.test(matrix(c(e1, n1 - e1, e2, n2 - e2), 2, byrow = TRUE))$p.value``.
    """
    e1, n1, e2, n2 = _table(events1, n1, events2, n2)
    return float(stats.fisher_exact([[e1, n1 - e1], [e2, n2 - e2]]).pvalue)


@dataclass(frozen=True)
class FragilityResult:
    """The fragility index (or reverse fragility index) of a 2x2 comparison.

    Attributes
    ----------
    kind : {"fragility", "reverse"}
        ``"fragility"`` for a significant result (changes that make it non-significant),
        ``"reverse"`` for a non-significant one (changes that make it significant).
    index : int or None
        The fewest patients of one arm whose event status must change; ``None`` if no change
        within one arm flips the result.
    arm : int or None
        The arm changed (0: first, 1: second).
    change : int or None
        +1: non-events become events; -1: events become non-events.
    p_before, p_after : float
        The two-sided Fisher p of the published table and of the table after the changes
        (``nan`` if ``index`` is ``None``).
    alpha : float
        The significance level.
    n_total : int
        Patients in the table (``n1 + n2``).
    candidates : pandas.DataFrame
        Every arm and direction searched: ``arm``, ``change``, ``index`` (nullable integer;
        missing: never), ``p_after``.
    quotient : float or None
        ``index / n_total`` (property; :func:`fragility_quotient`).
    """

    kind: str
    index: int | None
    arm: int | None
    change: int | None
    p_before: float
    p_after: float
    alpha: float
    n_total: int
    candidates: pd.DataFrame

    @property
    def quotient(self) -> float | None:
        return None if self.index is None else fragility_quotient(self.index, self.n_total)


def fragility_index(events1: int, n1: int, events2: int, n2: int, *, alpha: float = 0.05,
                    arms: Sequence[int] = (0, 1), changes: Sequence[int] = (1, -1)) -> FragilityResult:
    """Fragility index (significant result) or reverse fragility index (non-significant result).

    The fewest patients **in one arm** whose event status must change to move the two-sided Fisher
    exact p across ``alpha``: from below to at least ``alpha`` (fragility index), or from at least
    ``alpha`` to below it (reverse fragility index). Each arm and direction in ``arms`` and
    ``changes`` is searched by changing 1, 2, ... patients; the smallest count wins (ties: the
    first in ``arms`` then ``changes`` order).

    Parameters
    ----------
    events1, n1 : int
        Events and patients of the first arm.
    events2, n2 : int
        Events and patients of the second arm.
    alpha : float, default 0.05
        Two-sided significance level.
    arms : sequence of int, default (0, 1)
        Arms whose patients may change (0: first, 1: second).
    changes : sequence of int, default (1, -1)
        Directions: +1 turns non-events into events, -1 events into non-events.

    Returns
    -------
    FragilityResult
        The index, the arm and direction that achieve it, the p values and every candidate.

    Raises
    ------
    ValueError
        For an invalid table (negative counts, events above patients, an empty arm) or options.

    Notes
    -----
    Walsh et al. (2014) add events to the arm with fewer events only; Khan et al. (2020) compute
    the reverse fragility index the same way for non-significant results. Searching both arms
    and both directions gives the smallest such number (it can only be at most theirs); pass
    ``arms`` and ``changes`` to restrict the search to their variant. R: package ``FragilityTools``
    (``bin.fi``) computes the same quantity by the same enumeration.

    References
    ----------
    Walsh M, Srinathan SK, McAuley DF, et al. J Clin Epidemiol 2014;67:622-628.
    Khan MS, Fonarow GC, Friede T, et al. JAMA Netw Open 2020;3:e2012469.
    Ahmed W, Fowler RA, McCredie VA. Does sample size matter when interpreting the fragility
    index? Crit Care Med 2016;44:e1142-e1143 (the fragility quotient).
    """
    e = list(_table(events1, n1, events2, n2))
    alpha = validate_alpha(alpha)
    if not arms or any(a not in (0, 1) for a in arms):
        raise ValueError(f"arms must be a non-empty subset of (0, 1), got {arms!r}")
    if not changes or any(c not in (1, -1) for c in changes):
        raise ValueError(f"changes must be a non-empty subset of (1, -1), got {changes!r}")
    p0 = fisher_two_sided(*e)
    significant = p0 < alpha
    rows = []
    for arm in arms:
        for ch in changes:
            found, p_found = None, float("nan")
            t = e.copy()
            k = 0
            while True:
                k += 1
                t[2 * arm] += ch
                if not 0 <= t[2 * arm] <= t[2 * arm + 1]:
                    break
                p = fisher_two_sided(*t)
                if (p >= alpha) if significant else (p < alpha):
                    found, p_found = k, p
                    break
            rows.append({"arm": arm, "change": ch, "index": found, "p_after": p_found})
    cand = pd.DataFrame(rows).astype({"index": "Int64"})
    hits = [r for r in rows if r["index"] is not None]
    best = min(hits, key=lambda r: r["index"]) if hits else None
    return FragilityResult("fragility" if significant else "reverse", best["index"] if best else None,
                           best["arm"] if best else None, best["change"] if best else None, p0,
                           best["p_after"] if best else float("nan"), alpha, e[1] + e[3], cand)


def fragility_quotient(index: int, n_total: int) -> float:
    """Fragility quotient: the fragility index divided by the number of patients.

    Parameters
    ----------
    index : int
        A (reverse) fragility index (>= 0).
    n_total : int
        Patients in the comparison (> 0).

    Returns
    -------
    float
        ``index / n_total``.

    References
    ----------
    Ahmed W, Fowler RA, McCredie VA. Crit Care Med 2016;44:e1142-e1143.
    """
    index, n_total = _count("index", index), _count("n_total", n_total)
    if n_total == 0:
        raise ValueError("n_total must be positive")
    return index / n_total


# ----------------------------------------------------------------------------
# Patients randomized but not analysed
# ----------------------------------------------------------------------------
def _events(name: str, d: float) -> float:
    return _positive(name, d)


def shifted_hazard_ratio(hr: float, events_control: float, events_treatment: float, added_control: float,
                         added_treatment: float, *, se: float | None = None,
                         conf_level: float = 0.95) -> tuple[float, float, float]:
    """The hazard ratio and CI after counting some excluded patients as early events.

    Event-count approximation: an arm's hazard is its events over its person-time; patients who
    left the trial early and are counted as events at their exclusion add events but almost no
    person-time, so the hazard ratio (control relative to treatment) becomes
    ``hr * (1 + a_c/d_c) / (1 + a_t/d_t)``, and ``Var(log HR) = 1/d_c + 1/d_t`` becomes
    ``1/(d_c + a_c) + 1/(d_t + a_t)``.

    Parameters
    ----------
    hr : float
        The published hazard ratio, control relative to treatment.
    events_control, events_treatment : float
        Events behind it in each arm (``d_c``, ``d_t``; > 0), e.g. derived from the CI's width.
    added_control, added_treatment : float
        Excluded patients of each arm counted as events (``a_c``, ``a_t``; >= 0).
    se : float, optional
        The published SE of the log hazard ratio. If given, the new SE is
        ``se * sqrt(V_new / V_old)`` (the approximation's relative change applied to the published
        SE, so that no added events give the published CI); otherwise ``sqrt(V_new)``.
    conf_level : float, default 0.95
        Confidence level of the interval returned.

    Returns
    -------
    tuple of float
        ``(hr, ci_low, ci_high)`` after the additions.

    References
    ----------
    Parmar MKB, Torri V, Stewart L. Stat Med 1998;17:2815-2834 (Var(log HR) from event counts).
    European Medicines Agency. Guideline on missing data in confirmatory clinical trials, 2010
    (worst-case and tipping-point sensitivity analyses).
    """
    hr = _positive("hr", hr)
    dc, dt = _events("events_control", events_control), _events("events_treatment", events_treatment)
    ac, at = float(added_control), float(added_treatment)
    if not (math.isfinite(ac) and math.isfinite(at) and ac >= 0 and at >= 0):
        raise ValueError(f"added events must be non-negative, got {added_control!r} and {added_treatment!r}")
    level = validate_conf_level(conf_level)
    log_hr = math.log(hr) + math.log1p(ac / dc) - math.log1p(at / dt)
    v_new = 1 / (dc + ac) + 1 / (dt + at)
    s = math.sqrt(v_new) if se is None else _positive("se", se) * math.sqrt(v_new / (1 / dc + 1 / dt))
    z = float(stats.norm.ppf(0.5 + level / 2))
    return math.exp(log_hr), math.exp(log_hr - z * s), math.exp(log_hr + z * s)


@dataclass(frozen=True)
class TippingResult:
    """Which numbers of excluded patients counted as events move a hazard ratio's CI across the null.

    Attributes
    ----------
    grid : pandas.DataFrame
        One row per ``(added_control, added_treatment)``: ``hr``, ``ci_low``, ``ci_high`` and
        ``excludes_null`` (the CI lies wholly on one side of ``null``), ``flipped`` (the CI's
        position relative to the null differs from the published one: a significant result becomes
        non-significant, or the reverse).
    frontier : pandas.DataFrame
        For each ``added_control``, the fewest ``added_treatment`` that flip the conclusion
        (missing: none within the excluded patients), and for each ``added_treatment`` the fewest
        ``added_control``: columns ``arm_varied`` ("treatment" or "control"), ``fixed``
        (events added in the other arm) and ``fewest`` (nullable integer).
    fewest_treatment : int or None
        Fewest excluded treatment patients counted as events (none in control) that flip it.
    fewest_control : int or None
        Fewest excluded control patients counted as events (none in treatment) that flip it.
    published_excludes_null : bool
        Whether the CI with no added events excludes the null.
    """

    grid: pd.DataFrame
    frontier: pd.DataFrame
    fewest_treatment: int | None
    fewest_control: int | None
    published_excludes_null: bool


def exclusion_tipping(hr: float, events_control: float, events_treatment: float, excluded_control: int,
                      excluded_treatment: int, *, se: float | None = None, conf_level: float = 0.95,
                      null: float = 1.0) -> TippingResult:
    """Tipping-point grid: excluded patients of each arm counted as events, and the CI against the null.

    Parameters
    ----------
    hr : float
        The published hazard ratio, control relative to treatment.
    events_control, events_treatment : float
        Events behind it in each arm (> 0).
    excluded_control, excluded_treatment : int
        Patients randomized to each arm but not analysed (>= 0): the grid runs from 0 to these.
    se : float, optional
        The published SE of the log hazard ratio (see :func:`shifted_hazard_ratio`).
    conf_level : float, default 0.95
        Confidence level of the intervals.
    null : float, default 1.0
        The hazard ratio of no effect.

    Returns
    -------
    TippingResult
        The grid, the tipping frontier and the fewest events in one arm that flip the conclusion.

    References
    ----------
    European Medicines Agency. Guideline on missing data in confirmatory clinical trials, 2010.
    ICH E9(R1) addendum on estimands and sensitivity analysis, 2019 (tipping-point analyses).
    Parmar MKB, Torri V, Stewart L. Stat Med 1998;17:2815-2834.
    """
    xc, xt = _count("excluded_control", excluded_control), _count("excluded_treatment", excluded_treatment)
    null = _positive("null", null)

    def side(lo: float, hi: float) -> int:
        return 1 if lo > null else (-1 if hi < null else 0)

    _, lo0, hi0 = shifted_hazard_ratio(hr, events_control, events_treatment, 0, 0, se=se, conf_level=conf_level)
    s0 = side(lo0, hi0)
    rows = []
    for ac in range(xc + 1):
        for at in range(xt + 1):
            h, lo, hi = shifted_hazard_ratio(hr, events_control, events_treatment, ac, at, se=se,
                                             conf_level=conf_level)
            s = side(lo, hi)
            rows.append({"added_control": ac, "added_treatment": at, "hr": h, "ci_low": lo, "ci_high": hi,
                         "excludes_null": s != 0, "flipped": s != s0})
    grid = pd.DataFrame(rows)

    def fewest(sub: pd.DataFrame, col: str) -> int | None:
        hit = sub.loc[sub["flipped"], col]
        return int(hit.min()) if len(hit) else None

    front = [{"arm_varied": "treatment", "fixed": ac,
              "fewest": fewest(grid[grid["added_control"] == ac], "added_treatment")} for ac in range(xc + 1)]
    front += [{"arm_varied": "control", "fixed": at,
               "fewest": fewest(grid[grid["added_treatment"] == at], "added_control")} for at in range(xt + 1)]
    frontier = pd.DataFrame(front).astype({"fewest": "Int64"})
    return TippingResult(grid, frontier, fewest(grid[grid["added_control"] == 0], "added_treatment"),
                         fewest(grid[grid["added_treatment"] == 0], "added_control"), s0 != 0)


def best_worst_hazard_ratio(hr: float, events_control: float, events_treatment: float, excluded_control: int,
                            excluded_treatment: int, *, se: float | None = None,
                            conf_level: float = 0.95) -> pd.DataFrame:
    """Best and worst cases for the treatment: every excluded patient of one arm an early event.

    Parameters
    ----------
    hr : float
        The published hazard ratio, control relative to treatment.
    events_control, events_treatment : float
        Events behind it in each arm (> 0).
    excluded_control, excluded_treatment : int
        Patients randomized to each arm but not analysed.
    se : float, optional
        The published SE of the log hazard ratio (see :func:`shifted_hazard_ratio`).
    conf_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Index ``case`` (``published``, ``best``, ``worst``); columns ``added_control``,
        ``added_treatment``, ``hr``, ``ci_low``, ``ci_high``. ``best``: all excluded control
        patients counted as early events, the excluded treatment patients censored at exclusion;
        ``worst``: the reverse.

    References
    ----------
    European Medicines Agency. Guideline on missing data in confirmatory clinical trials, 2010
    (section 6.3, worst-case analyses).
    """
    xc, xt = _count("excluded_control", excluded_control), _count("excluded_treatment", excluded_treatment)
    rows = []
    for case, ac, at in (("published", 0, 0), ("best", xc, 0), ("worst", 0, xt)):
        h, lo, hi = shifted_hazard_ratio(hr, events_control, events_treatment, ac, at, se=se, conf_level=conf_level)
        rows.append({"case": case, "added_control": ac, "added_treatment": at, "hr": h, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows).set_index("case")


def best_worst_counts(events_control: int, n_control: int, events_treatment: int, n_treatment: int,
                      excluded_control: int, excluded_treatment: int) -> pd.DataFrame:
    """Best and worst cases of an event proportion when excluded patients are added back.

    Parameters
    ----------
    events_control, n_control : int
        Events and analysed patients of the control arm.
    events_treatment, n_treatment : int
        Events and analysed patients of the treatment arm.
    excluded_control, excluded_treatment : int
        Patients randomized to each arm but not analysed.

    Returns
    -------
    pandas.DataFrame
        Index ``case`` (``published``: analysed patients only; ``best``: every excluded patient
        added back, the excluded control patients all with the event and the excluded treatment
        patients all without; ``worst``: the reverse); columns ``events_control``, ``n_control``,
        ``events_treatment``, ``n_treatment``, ``risk_diff`` (treatment minus control) and ``p``
        (two-sided Fisher exact).

    References
    ----------
    European Medicines Agency. Guideline on missing data in confirmatory clinical trials, 2010.
    """
    ec, nc, et, nt = _table(events_control, n_control, events_treatment, n_treatment)
    xc, xt = _count("excluded_control", excluded_control), _count("excluded_treatment", excluded_treatment)
    rows = []
    for case, (a, b, c, d) in (("published", (ec, nc, et, nt)), ("best", (ec + xc, nc + xc, et, nt + xt)),
                               ("worst", (ec, nc + xc, et + xt, nt + xt))):
        rows.append({"case": case, "events_control": a, "n_control": b, "events_treatment": c, "n_treatment": d,
                     "risk_diff": c / d - a / b, "p": fisher_two_sided(a, b, c, d)})
    return pd.DataFrame(rows).set_index("case")


# ----------------------------------------------------------------------------
# A published claim against the evidence
# ----------------------------------------------------------------------------
def claim_verdict(kind: str, posterior: PosteriorLogHR | None = None, *, benefit_prob: float = 0.95,
                  harm_hr: float = 1.25, harm_prob: float = 0.05) -> tuple[str, str]:
    """Whether a published claim about a hazard ratio is supported, by stated thresholds.

    Parameters
    ----------
    kind : {"benefit", "no_harm", "qualitative"}
        ``benefit``: the treatment lowers the hazard (HR > 1, control relative to treatment);
        ``no_harm``: the treatment does not raise it; ``qualitative``: a claim with no published
        hazard ratio or count to weigh it (always ``not assessable``).
    posterior : PosteriorLogHR, optional
        The posterior of the claim's hazard ratio (required unless ``kind`` is ``qualitative``);
        normally under a skeptical prior.
    benefit_prob : float, default 0.95
        ``benefit`` is supported when ``P(HR > 1) >= benefit_prob``.
    harm_hr : float, default 1.25
        A hazard ``harm_hr`` times higher with the treatment is a relevant harm: ``no_harm`` is
        supported when ``P(HR < 1 / harm_hr) <= harm_prob``.
    harm_prob : float, default 0.05
        See ``harm_hr``.

    Returns
    -------
    tuple of str
        ``(verdict, reason)``: the verdict one of :data:`VERDICTS`; the reason names the
        probability and the threshold.

    Raises
    ------
    ValueError
        For an unknown ``kind`` or a missing posterior.

    References
    ----------
    Spiegelhalter DJ, Freedman LS, Parmar MKB. J R Stat Soc A 1994;157:357-416 (a skeptical
    prior asks whether the data convince a skeptic). Goligher EC, et al. JAMA 2018;320:2251-2259.
    """
    if kind == "qualitative":
        return "not assessable", "the paper reports no hazard ratio or count that measures it"
    if kind not in ("benefit", "no_harm"):
        raise ValueError(f"kind must be 'benefit', 'no_harm' or 'qualitative', got {kind!r}")
    if posterior is None:
        raise ValueError(f"a {kind!r} claim needs the posterior of its hazard ratio")
    benefit_prob, harm_prob = validate_conf_level(benefit_prob, "benefit_prob"), validate_alpha(harm_prob, "harm_prob")
    harm_hr = _positive("harm_hr", harm_hr)
    if kind == "benefit":
        p = posterior.prob_above(1.0)
        ok = p >= benefit_prob
        return ("supported" if ok else "not supported",
                f"P(benefit) = {p:.3f} under the {posterior.prior.name} prior, "
                f"{'at least' if ok else 'below'} {benefit_prob:g}")
    p = 1 - posterior.prob_above(1 / harm_hr)
    ok = p <= harm_prob
    return ("supported" if ok else "not supported",
            f"P(hazard at least {harm_hr:g} times higher with the treatment) = {p:.3f} under the "
            f"{posterior.prior.name} prior, {'at most' if ok else 'above'} {harm_prob:g}")
