"""Sensitivity analyses of a two-arm survival comparison: choosing a landmark after seeing the
data, the survival-inferred fragility index, best and worst cases for patients not analysed, and
delta-adjusted multiple imputation with a tipping point.

Conventions (explicit arguments with these defaults):

- Arms ``control`` and ``ucmsc`` (the experimental arm), as in :mod:`analysis.toolkit.schema`;
  endpoint frames have columns ``time`` (months), ``event`` (0/1) and ``arm``
  (:func:`analysis.toolkit.survival.endpoint_frame`).
- Hazard ratios control relative to UC-MSC (``direction="control_vs_ucmsc"``), Cox with Efron
  ties by the toolkit's one Cox engine (:func:`analysis.toolkit.survival.cox_hr` and its
  one-covariate fitter), two-sided tests at ``alpha = 0.05``.
- Everything random takes a :class:`numpy.random.Generator`; the same inputs and seed give
  identical outputs. Monte Carlo estimates carry their Monte Carlo standard error
  (Morris, White & Crowther 2019).

References
----------
Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol
1983;1:710-719 (the landmark method; the landmark must be fixed in advance).

Bomze D, Asher N, Ali OH, Flatz L, Azoulay D, Markel G, Meirson T. Survival-inferred fragility
index of phase 3 clinical trials evaluating immune checkpoint inhibitors. JAMA Netw Open
2020;3(10):e2017675.

European Medicines Agency. Guideline on missing data in confirmatory clinical trials
(EMA/CPMP/EWP/1776/99 Rev. 1), 2010.

ICH E9(R1). Addendum on estimands and sensitivity analysis in clinical trials, 2019.

Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley, 1987.

Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical methods.
Stat Med 2019;38:2074-2102.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .conventions import validate_alpha
from .design import PiecewiseExponential, SurvivalDesign, event_probability
from .schema import ARMS
from .simulate import _as_2d, _logrank_terms, _sample_piecewise_exponential, logrank_statistics, simulate_trials
from .survival import _cox_1d, cox_hr
from .warnings import StatisticalWarning

__all__ = [
    "LandmarkSelectionResult",
    "null_design",
    "landmark_selection",
    "SIFIResult",
    "survival_inferred_fragility",
    "CENSOR_AT",
    "excluded_bounds",
    "piecewise_exponential_fit",
    "RubinResult",
    "rubin_pool",
    "delta_adjusted_mi",
    "tipping_point",
]

_Z95 = stats.norm.ppf(0.975)


def _wilson(k: int, m: int, z: float = _Z95) -> tuple[float, float]:
    p = k / m
    centre = (p + z**2 / (2 * m)) / (1 + z**2 / m)
    half = z * math.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)
    return centre - half, centre + half


def _check_frame(df: pd.DataFrame) -> None:
    missing = [c for c in ("time", "event", "arm") if c not in df.columns]
    if missing:
        raise ValueError(f"df must have columns time, event and arm; missing {missing}")
    bad = sorted(set(df["arm"]) - set(ARMS))
    if bad:
        raise ValueError(f"arm must be one of {ARMS}, got {bad}")
    if not set(ARMS) <= set(df["arm"]):
        raise ValueError(f"df must hold patients of both arms {ARMS}")
    if df["time"].isna().any() or (df["time"] <= 0).any():
        raise ValueError("time must be > 0 months and not missing")


def _check_excluded(excluded: Mapping[str, int]) -> dict[str, int]:
    out = {}
    for a in ARMS:
        v = excluded.get(a, 0)
        if int(v) != v or v < 0:
            raise ValueError(f"excluded[{a!r}] must be a count >= 0, got {v}")
        out[a] = int(v)
    extra = set(excluded) - set(ARMS)
    if extra:
        raise ValueError(f"excluded: unknown arms {sorted(extra)} (arms are {ARMS})")
    return out


# ----------------------------------------------------------------------------
# Choosing the landmark after seeing the data
# ----------------------------------------------------------------------------
def null_design(
    events: float,
    n: float,
    *,
    accrual_time: float | Sequence[float],
    follow_up: float,
    accrual_intensity: Sequence[float] | None = None,
    horizon: float | None = None,
    dropout: float = 0.0,
) -> SurvivalDesign:
    """A design with no treatment effect whose expected number of events is ``events``.

    One constant hazard ``lambda`` for both arms (on ``[0, horizon)``; zero after it, so that
    events after the analysis horizon are never observed), solved so that
    ``n * P(observed event) = events`` under the accrual, follow-up and dropout given
    (:func:`analysis.toolkit.design.event_probability`).

    Parameters
    ----------
    events : float
        Expected number of observed events (``0 < events < n``).
    n : float
        Number of patients.
    accrual_time : float or sequence of float
        Accrual duration in months, or breakpoints ``(0, ..., R)`` of piecewise-uniform accrual.
    follow_up : float
        Minimum follow-up in months (analysis at accrual end + ``follow_up``).
    accrual_intensity : sequence of float, optional
        Relative accrual intensity per accrual piece (default ``None``: uniform).
    horizon : float, optional
        Administrative censoring horizon in months (follow-up beyond it is not analysed);
        default ``None``: none.
    dropout : float, default 0.0
        Exponential dropout (or competing censoring) hazard per month, both arms.

    Returns
    -------
    SurvivalDesign
        Equal hazards (``PiecewiseExponential``) in both arms, allocation 1.

    Raises
    ------
    ValueError
        If ``events`` is not in ``(0, n)`` or cannot be reached under this follow-up.
    """
    if not (0 < events < n):
        raise ValueError(f"events must be in (0, n = {n}), got {events}")

    def hazard(lam: float) -> PiecewiseExponential:
        return PiecewiseExponential((lam,)) if horizon is None else PiecewiseExponential((lam, 0.0), (0.0, float(horizon)))

    def gap(log_lam: float) -> float:
        p = event_probability(hazard(math.exp(log_lam)), accrual_time=accrual_time, follow_up=follow_up,
                              dropout=dropout, accrual_intensity=accrual_intensity)
        return n * p - events

    lo, hi = math.log(1e-8), math.log(50.0)
    if gap(hi) < 0:
        raise ValueError(f"{events} events among {n} patients cannot be observed under this follow-up")
    lam = math.exp(optimize.brentq(gap, lo, hi, xtol=1e-12))
    h = hazard(lam)
    return SurvivalDesign(hazard_control=h, hazard_treatment=h, accrual_time=accrual_time, follow_up=follow_up,
                          accrual_intensity=None if accrual_intensity is None else tuple(accrual_intensity),
                          dropout_control=dropout, dropout_treatment=dropout, label="no treatment effect")


@dataclass(frozen=True)
class LandmarkSelectionResult:
    """The smallest late-window p over a grid of landmarks, in simulated trials without effect.

    Attributes
    ----------
    landmarks : tuple of float
        The landmark times searched (months).
    observed_p : float
        The p value to adjust (the one reported at the chosen landmark).
    fixed_landmark : float or None
        A landmark fixed in advance whose p values check the simulation's calibration.
    alpha : float
        Significance level of the rejection rates.
    min_p : numpy.ndarray
        Per simulated trial, the smallest two-sided late-window log-rank p over ``landmarks``
        (a landmark without events in its window counts as p = 1).
    best_landmark : numpy.ndarray
        Per trial, the landmark giving ``min_p`` (the first, if several).
    fixed_p : numpy.ndarray or None
        Per trial, the late-window p at ``fixed_landmark``.
    n_trials : int
        Number of simulated trials (property).
    adjusted_p : float
        ``P(min_p <= observed_p)``: the p value adjusted for choosing the landmark (property).
    mc_se : float
        Its Monte Carlo standard error ``sqrt(p (1 - p) / n_trials)`` (property).
    ci_low, ci_high : float
        95% Wilson interval of ``adjusted_p`` over the Monte Carlo error (properties).
    familywise_error : float
        ``P(min_p < alpha)``: how often some landmark is "significant" without any effect (property).
    calibration : dict
        For ``fixed_landmark``: ``rejection`` (``P(fixed_p < alpha)``, should be ``alpha``) and its
        ``rejection_mc_se``, ``below_observed`` (``P(fixed_p <= observed_p)``, should be
        ``observed_p``) and its ``below_observed_mc_se``, and ``ks_statistic``, ``ks_p`` of the
        Kolmogorov-Smirnov test of uniformity of ``fixed_p`` (property; empty without a fixed landmark).
    summary : pandas.DataFrame
        One row: ``n_trials``, ``observed_p``, ``adjusted_p``, ``mc_se``, ``ci_low``, ``ci_high``,
        ``familywise_error`` (property).
    """

    landmarks: tuple[float, ...]
    observed_p: float
    fixed_landmark: float | None
    alpha: float
    min_p: np.ndarray
    best_landmark: np.ndarray
    fixed_p: np.ndarray | None

    @property
    def n_trials(self) -> int:
        return int(self.min_p.size)

    @property
    def adjusted_p(self) -> float:
        return float(np.mean(self.min_p <= self.observed_p))

    @property
    def mc_se(self) -> float:
        p = self.adjusted_p
        return math.sqrt(p * (1 - p) / self.n_trials)

    @property
    def ci_low(self) -> float:
        return _wilson(int(np.sum(self.min_p <= self.observed_p)), self.n_trials)[0]

    @property
    def ci_high(self) -> float:
        return _wilson(int(np.sum(self.min_p <= self.observed_p)), self.n_trials)[1]

    @property
    def familywise_error(self) -> float:
        return float(np.mean(self.min_p < self.alpha))

    @property
    def calibration(self) -> dict:
        if self.fixed_p is None:
            return {}
        m = self.fixed_p.size
        rej = float(np.mean(self.fixed_p < self.alpha))
        below = float(np.mean(self.fixed_p <= self.observed_p))
        ks = stats.kstest(self.fixed_p, "uniform")
        return {"rejection": rej, "rejection_mc_se": math.sqrt(self.alpha * (1 - self.alpha) / m),
                "below_observed": below,
                "below_observed_mc_se": math.sqrt(self.observed_p * (1 - self.observed_p) / m),
                "ks_statistic": float(ks.statistic), "ks_p": float(ks.pvalue)}

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"n_trials": self.n_trials, "observed_p": self.observed_p, "adjusted_p": self.adjusted_p,
                              "mc_se": self.mc_se, "ci_low": self.ci_low, "ci_high": self.ci_high,
                              "familywise_error": self.familywise_error}])

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False)


def _late_window_p(time: np.ndarray, event: np.ndarray, group: np.ndarray, landmarks: Sequence[float],
                   end: float | None) -> np.ndarray:
    """Two-sided late-window log-rank p of every row at every landmark, shape (rows, landmarks).

    The risk set at an event time ``t > L`` is everyone with ``time >= t`` whatever the landmark
    ``L`` (all of them have ``time > L``), so each event time's contribution to ``O - E`` and to
    the variance is the same for every landmark: they are computed once per row (one sort) and
    summed over ``t > L`` for each ``L``. Equal to
    :func:`analysis.toolkit.simulate.landmark_logrank_statistics` landmark by landmark
    (``tests/test_sensitivity.py``), about twenty times faster on a grid of twenty landmarks.
    """
    time, event, group = _as_2d(time, event, group)
    if end is not None:
        event = event & (time <= end)
        time = np.minimum(time, end)
    t, ome, v, _ = _logrank_terms(time, event, group)
    out = np.empty((t.shape[0], len(landmarks)))
    for j, L in enumerate(landmarks):
        after = t > L
        o, var = (ome * after).sum(axis=1), (v * after).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(var > 0, o / np.sqrt(var), np.nan)
        out[:, j] = 2 * stats.norm.sf(np.abs(z))
    return out


def landmark_selection(
    design: SurvivalDesign,
    n_control: int,
    n_treatment: int | None = None,
    *,
    landmarks: Sequence[float],
    observed_p: float,
    rng: np.random.Generator,
    n_trials: int = 2000,
    fixed_landmark: float | None = None,
    end: float | None = None,
    alpha: float = 0.05,
    chunk_size: int = 1000,
) -> LandmarkSelectionResult:
    """The p value of a landmark analysis adjusted for choosing the landmark after seeing the data.

    Simulates ``n_trials`` whole trials without treatment effect
    (:func:`analysis.toolkit.simulate.simulate_trials`), computes in each the two-sided
    log-rank p of the late window ``(L, end]`` at every landmark ``L`` of ``landmarks``
    (:func:`analysis.toolkit.simulate.landmark_logrank_statistics`, vectorised over trials) and
    keeps the smallest. The adjusted p is the proportion of trials whose smallest p is at most
    ``observed_p``: how often an analyst free to pick the landmark finds a result at least as
    striking when there is no effect. A landmark fixed in advance (``fixed_landmark``) gives
    uniform p values under the null; :attr:`LandmarkSelectionResult.calibration` checks it.

    Parameters
    ----------
    design : SurvivalDesign
        Accrual, follow-up, dropout and hazards; the two arms' hazards must be equal (no
        effect), e.g. :func:`null_design`.
    n_control : int
        Patients in the control arm.
    n_treatment : int, optional
        Patients in the treatment arm (default ``None``: ``n_control``).
    landmarks : sequence of float
        Landmark times searched, months (``>= 0``; at least one).
    observed_p : float
        The p value reported at the chosen landmark, in ``(0, 1]``.
    rng : numpy.random.Generator
        NumPy ``Generator`` (results are reproducible from its seed).
    n_trials : int, default 2000
        Simulated trials; the Monte Carlo SE of an adjusted p near 0.05 is about 0.005.
    fixed_landmark : float, optional
        A landmark fixed in advance for the calibration check (default ``None``: none).
    end : float, optional
        End of the late window (the analysis horizon), months; default ``None``: all follow-up.
    alpha : float, default 0.05
        Significance level of :attr:`~LandmarkSelectionResult.familywise_error` and of the
        calibration's rejection rate.
    chunk_size : int, default 1000
        Trials simulated at once (bounds memory).

    Returns
    -------
    LandmarkSelectionResult
        Per-trial smallest p and fixed-landmark p, the adjusted p with its Monte Carlo SE and
        the calibration check.

    Raises
    ------
    ValueError
        If the arms' hazards differ, ``landmarks`` is empty or negative, or ``observed_p`` is
        not in ``(0, 1]``.

    Notes
    -----
    The late-window test is the log-rank (score) test, asymptotically equivalent to the Wald
    test of a Cox model in the same window. The adjustment is a Monte Carlo version of the
    "minimum p over cut points" correction of Altman et al. (J Natl Cancer Inst 1994;86:829-835)
    for an optimally chosen cut point, here over landmark times.

    References
    ----------
    Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol
    1983;1:710-719. Altman DG, Lausen B, Sauerbrei W, Schumacher M. Dangers of using "optimal"
    cutpoints in the evaluation of prognostic factors. J Natl Cancer Inst 1994;86:829-835.
    Morris TP, White IR, Crowther MJ. Stat Med 2019;38:2074-2102 (Monte Carlo SE).
    """
    hc, ht = design.hazard_control, design.hazard_treatment
    if hc != ht or design.dropout_control != design.dropout_treatment:
        raise ValueError("design must have no treatment effect: equal hazards and dropout in both arms")
    lms = tuple(float(x) for x in landmarks)
    if not lms or min(lms) < 0:
        raise ValueError(f"landmarks must be a non-empty sequence of times >= 0 months, got {lms}")
    if not (0 < observed_p <= 1):
        raise ValueError(f"observed_p must be in (0, 1], got {observed_p}")
    validate_alpha(alpha)
    if int(n_trials) != n_trials or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    n_treatment = n_control if n_treatment is None else n_treatment
    min_p, best, fixed = [], [], []
    for start in range(0, int(n_trials), int(chunk_size)):
        size = min(int(chunk_size), int(n_trials) - start)
        sim = simulate_trials(design, n_control, n_treatment, n_trials=size, rng=rng)
        ps = _late_window_p(sim.time, sim.event, ~sim.treatment, lms + ((float(fixed_landmark),) if fixed_landmark
                                                                        is not None else ()), end)
        ps = np.where(np.isnan(ps), 1.0, ps)  # a window without events supports no claim
        grid = ps[:, : len(lms)]
        min_p.append(grid.min(axis=1))
        best.append(np.asarray(lms)[grid.argmin(axis=1)])
        if fixed_landmark is not None:
            fixed.append(ps[:, -1])
    return LandmarkSelectionResult(
        landmarks=lms, observed_p=float(observed_p),
        fixed_landmark=None if fixed_landmark is None else float(fixed_landmark), alpha=alpha,
        min_p=np.concatenate(min_p), best_landmark=np.concatenate(best),
        fixed_p=np.concatenate(fixed) if fixed else None)


# ----------------------------------------------------------------------------
# Survival-inferred fragility index
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SIFIResult:
    """The survival-inferred fragility index (SIFI) of a two-arm comparison.

    Attributes
    ----------
    index : int or None
        Positive: the result is significant and ``index`` reassignments of the longest-followed
        patient from the experimental to the control arm make it non-significant. Negative: the
        result is not significant and ``-index`` reassignments of the longest-followed patient
        from the control to the experimental arm make it significant. ``None`` if no number of
        reassignments (up to the smaller arm's size) changes the conclusion.
    p_initial : float
        The p value of the data as observed.
    p_final : float or None
        The p value after ``|index|`` reassignments.
    alpha : float
        Significance threshold.
    test : str
        ``"logrank"`` or ``"wald"`` (Cox).
    experimental : str
        The experimental arm.
    path : pandas.DataFrame
        One row per step (0 = as observed): ``step``, ``moved_time``, ``moved_event`` (the patient
        reassigned at that step), ``p``.
    """

    index: int | None
    p_initial: float
    p_final: float | None
    alpha: float
    test: str
    experimental: str
    path: pd.DataFrame


#: Largest steps x patients :func:`survival_inferred_fragility` evaluates: the log-rank path holds one
#: row of the trial per step (about 1.5 GB at this size, 5.6 GB at 12,000 patients, 20 GB of booleans
#: alone at 200,000); larger data get no index (``None``) with a :class:`StatisticalWarning`.
MAX_SIFI_CELLS = 20_000_000


def survival_inferred_fragility(
    df: pd.DataFrame,
    *,
    experimental: str = "ucmsc",
    alpha: float = 0.05,
    test: str = "logrank",
) -> SIFIResult:
    """Survival-inferred fragility index (Bomze et al. 2020), the default "flip best responder" strategy.

    The SIFI is the smallest number of reassignments of the best survivors (the patients with
    the longest follow-up time, event or censored) from the experimental to the control arm that
    makes a significant result non-significant. For a non-significant result, the mirror
    ("negative SIFI"): the smallest number of reassignments of the best survivors from the control
    to the experimental arm that makes it significant, reported as a negative number. Each
    reassignment takes the patient with the longest time in the donor arm at that step (ties:
    the last in the frame's order, as a stable sort then "take the last" does).

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame: ``time`` (months, > 0), ``event`` (0/1), ``arm`` (``control``/``ucmsc``).
    experimental : {"ucmsc", "control"}, default "ucmsc"
        The experimental arm.
    alpha : float, default 0.05
        Two-sided significance level: significant when ``p < alpha``.
    test : {"logrank", "wald"}, default "logrank"
        Log-rank test (the authors' default; vectorised over all steps at once) or the Wald test
        of a Cox model (Efron ties).

    Returns
    -------
    SIFIResult
        The signed index, the p values before and after, and the path of reassignments.

    Warns
    -----
    StatisticalWarning
        If no number of reassignments changes the conclusion (the index is ``None``).

    Notes
    -----
    The authors' R code (github.com/davidbomze/SIFI, ``sifi()`` with ``operation = "flip"``,
    ``direction = "best"``) stops a significant result when ``p > 0.05`` and a non-significant one
    when ``p < 0.05``; here both use ``p < alpha`` for significance, which differs only when a p
    value equals ``alpha`` exactly.

    References
    ----------
    Bomze D, Asher N, Ali OH, et al. Survival-inferred fragility index of phase 3 clinical trials
    evaluating immune checkpoint inhibitors. JAMA Netw Open 2020;3(10):e2017675.
    Walsh M, Srinathan SK, McAuley DF, et al. The statistical significance of randomized
    controlled trial results is frequently fragile. J Clin Epidemiol 2014;67:622-628.
    """
    _check_frame(df)
    validate_alpha(alpha)
    if experimental not in ARMS:
        raise ValueError(f"experimental must be one of {ARMS}, got {experimental!r}")
    if test not in ("logrank", "wald"):
        raise ValueError(f"test must be 'logrank' or 'wald', got {test!r}")
    time = df["time"].to_numpy(float)
    event = df["event"].to_numpy(int)
    arm = df["arm"].to_numpy()
    control_arm = ARMS[0] if experimental == ARMS[1] else ARMS[1]

    def p_of(groups: np.ndarray) -> np.ndarray:
        """p of each row of ``groups`` (True: the experimental arm)."""
        if test == "logrank":
            k = groups.shape[0]
            return logrank_statistics(np.broadcast_to(time, (k, time.size)), np.broadcast_to(event.astype(bool), (k, time.size)),
                                      groups)["p"].to_numpy()
        out = []
        for g in groups:
            if not (event[g].any() and event[~g].any()):
                out.append(np.nan)
                continue
            beta, se = _cox_1d(time, event, g.astype(float))
            out.append(float(2 * stats.norm.sf(abs(beta / se))))
        return np.asarray(out)

    g0 = arm == experimental
    p0 = float(p_of(g0[None, :])[0])
    significant = p0 < alpha
    donor = experimental if significant else control_arm
    idx = np.flatnonzero(arm == donor)
    order = idx[np.argsort(time[idx], kind="stable")][::-1]  # longest first; ties: the last in frame order
    steps = min(int(g0.sum()), int((~g0).sum()), order.size - 1)
    if (steps + 1) * time.size > MAX_SIFI_CELLS:
        warnings.warn(f"survival-inferred fragility index not computed: {steps + 1:,} steps x {time.size:,} patients "
                      f"exceed {MAX_SIFI_CELLS:,} step-patient cells (memory and time; the index is a measure for "
                      "small trials)", StatisticalWarning, stacklevel=2)
        path = pd.DataFrame({"step": [0], "moved_time": [np.nan], "moved_event": [np.nan], "p": [p0]})
        return SIFIResult(None, p0, None, alpha, test, experimental, path)
    groups = np.repeat(g0[None, :], steps + 1, axis=0)
    for k in range(1, steps + 1):
        groups[k:, order[k - 1]] = not significant  # to control (False) or to experimental (True)
    if test == "logrank":
        ps = p_of(groups)
    else:  # one Cox fit per step, stopping at the first change (later steps are not needed)
        ps = np.full(steps + 1, np.nan)
        for k in range(steps + 1):
            ps[k] = p_of(groups[k:k + 1])[0]
            if k and not np.isnan(ps[k]) and ((ps[k] >= alpha) if significant else (ps[k] < alpha)):
                break
    changed = (ps >= alpha) if significant else (ps < alpha)
    changed &= ~np.isnan(ps)
    hit = np.flatnonzero(changed)
    path = pd.DataFrame({"step": np.arange(steps + 1),
                         "moved_time": np.concatenate([[np.nan], time[order[:steps]]]),
                         "moved_event": np.concatenate([[np.nan], event[order[:steps]]]), "p": ps})
    if hit.size == 0:
        warnings.warn(f"no number of reassignments (up to {steps}) changes the conclusion at alpha = {alpha}; "
                      "the fragility index is not defined", StatisticalWarning, stacklevel=2)
        return SIFIResult(None, p0, None, alpha, test, experimental, path)
    k = int(hit[0])
    return SIFIResult(k if significant else -k, p0, float(ps[k]), alpha, test, experimental,
                           path.iloc[: k + 1].reset_index(drop=True))


# ----------------------------------------------------------------------------
# Patients randomized but not analysed: best and worst cases
# ----------------------------------------------------------------------------
#: Where a censored excluded patient is censored in :func:`excluded_bounds`.
CENSOR_AT = ("start", "horizon")


def excluded_bounds(
    df: pd.DataFrame,
    excluded: Mapping[str, int],
    *,
    experimental: str = "ucmsc",
    censor_at: str = "start",
    horizon: float | None = None,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Best and worst cases for patients randomized but not analysed (no outcome recorded).

    Best case (for the experimental arm): the excluded patients of the control arm all have an
    event before any observed time, those of the experimental arm are censored. Worst case: the
    reverse. The hazard ratio is re-estimated on the analysed patients plus the excluded ones.

    The excluded patients' outcome times are unknown, so the two assumptions are arguments:

    - an early event is placed before every observed time; the Cox and log-rank statistics
      depend on times only through their order, so any earlier time gives the same result;
    - ``censor_at="start"``: censored at their exclusion, taken as time 0+ (the data hold no
      follow-up for them). Such a patient is never at risk at an event time, so the censored
      half changes nothing and each case moves only by the early events;
      ``censor_at="horizon"``: followed event-free to ``horizon`` (the most favourable outcome
      for their arm: the extreme bound).

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame of the analysed patients (``time`` > 0, ``event``, ``arm``).
    excluded : mapping of str to int
        Arm -> number of randomized patients not analysed.
    experimental : {"ucmsc", "control"}, default "ucmsc"
        The experimental arm (whose best case is computed as "best case").
    censor_at : {"start", "horizon"}, default "start"
        Where the excluded patients who do not have the early event are censored.
    horizon : float, optional
        Censoring time for ``censor_at="horizon"`` (months); default ``None``: the largest time in ``df``.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Direction of the hazard ratio.
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.

    Returns
    -------
    pandas.DataFrame
        Rows ``observed`` (analysed patients only), ``best case`` and ``worst case`` (index
        ``scenario``); columns ``censor_at``, ``hr``, ``ci_low``, ``ci_high``, ``p`` (Wald),
        ``p_logrank``, ``events_control``, ``events_ucmsc``, ``n_control``, ``n_ucmsc``,
        ``added_events_control``, ``added_events_ucmsc``.

    References
    ----------
    European Medicines Agency. Guideline on missing data in confirmatory clinical trials, 2010
    (worst-case analyses as sensitivity analyses). ICH E9(R1), 2019, section A.5.2.
    """
    _check_frame(df)
    exc = _check_excluded(excluded)
    if censor_at not in CENSOR_AT:
        raise ValueError(f"censor_at must be one of {CENSOR_AT}, got {censor_at!r}")
    if experimental not in ARMS:
        raise ValueError(f"experimental must be one of {ARMS}, got {experimental!r}")
    tmin = float(df["time"].min())
    h = float(df["time"].max() if horizon is None else horizon)
    if censor_at == "horizon" and h <= 0:
        raise ValueError(f"horizon must be > 0 months, got {h}")
    early, cens = tmin / 2.0, (tmin / 4.0 if censor_at == "start" else h)
    other = ARMS[0] if experimental == ARMS[1] else ARMS[1]
    rows = []
    base = df[["time", "event", "arm"]]
    for scenario, events_arm in (("observed", None), ("best case", other), ("worst case", experimental)):
        parts = [base]
        if events_arm is not None:
            for a in ARMS:
                k = exc[a]
                if k:
                    ev = a == events_arm
                    parts.append(pd.DataFrame({"time": np.full(k, early if ev else cens), "event": int(ev), "arm": a}))
        d = pd.concat(parts, ignore_index=True)
        r = cox_hr(d, direction=direction, alpha=alpha)
        rows.append({"scenario": scenario, "censor_at": censor_at if events_arm else "", "hr": r.hr,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p, "p_logrank": r.p_logrank,
                     "events_control": r.events_control, "events_ucmsc": r.events_ucmsc, "n_control": r.n_control,
                     "n_ucmsc": r.n_ucmsc,
                     "added_events_control": exc["control"] if events_arm == "control" else 0,
                     "added_events_ucmsc": exc["ucmsc"] if events_arm == "ucmsc" else 0})
    return pd.DataFrame(rows).set_index("scenario")


# ----------------------------------------------------------------------------
# Delta-adjusted multiple imputation
# ----------------------------------------------------------------------------
def piecewise_exponential_fit(time, event, breaks: Sequence[float] = (0.0,)) -> PiecewiseExponential:
    """Maximum-likelihood piecewise-constant hazard: events over exposure in each piece.

    Parameters
    ----------
    time, event : array_like
        Follow-up (months, ``>= 0``) and event indicator (0/1) of one group.
    breaks : sequence of float, default (0.0,)
        Start of each piece (first 0, increasing); the last piece runs to infinity.

    Returns
    -------
    PiecewiseExponential
        ``rates[j] = d_j / E_j`` with ``d_j`` the events and ``E_j`` the person-months in piece
        ``j`` (0 for a piece without exposure).

    Notes
    -----
    R: ``eha::piecewise`` or ``survival::pyears`` + events per interval; the estimate of
    Holford (Biometrics 1976;32:587-597), equivalently a Poisson GLM with log-exposure offset.
    """
    t = np.asarray(time, float)
    e = np.asarray(event, int)
    if t.shape != e.shape or t.ndim != 1 or t.size == 0:
        raise ValueError("time and event must be 1-D arrays of the same, non-zero length")
    if np.isnan(t).any() or (t < 0).any():
        raise ValueError("time must be >= 0 and not missing")
    s = np.asarray(breaks, float)
    ends = np.append(s[1:], np.inf)
    exposure = np.clip(t[:, None] - s, 0.0, ends - s).sum(axis=0)
    piece = np.searchsorted(s, t, side="right") - 1
    d = np.bincount(piece[e == 1], minlength=s.size).astype(float)
    rates = np.divide(d, exposure, out=np.zeros_like(d), where=exposure > 0)
    return PiecewiseExponential(tuple(rates), tuple(s))


@dataclass(frozen=True)
class RubinResult:
    """Estimates from multiply imputed data pooled by Rubin's rules.

    Attributes
    ----------
    estimate : float
        Mean of the ``M`` estimates.
    within, between : float
        Mean within-imputation variance ``W`` and between-imputation variance ``B``.
    total : float
        ``T = W + (1 + 1/M) B``.
    se : float
        ``sqrt(T)``.
    df : float
        Rubin's (1987) degrees of freedom ``(M - 1)(1 + 1/r)^2``, ``r = (1 + 1/M) B / W``
        (infinite when ``B = 0``).
    ci_low, ci_high : float
        ``estimate -/+ t_{df, 1 - alpha/2} se``.
    p : float
        Two-sided p of ``estimate / se`` against the t distribution with ``df``.
    m : int
        Number of imputations.
    """

    estimate: float
    within: float
    between: float
    total: float
    se: float
    df: float
    ci_low: float
    ci_high: float
    p: float
    m: int


def rubin_pool(estimates, variances, *, alpha: float = 0.05) -> RubinResult:
    """Pool ``M`` estimates and their variances by Rubin's rules.

    Parameters
    ----------
    estimates, variances : array_like
        One estimate (e.g. a log hazard ratio) and its squared standard error per imputed
        dataset (``M >= 2``).
    alpha : float, default 0.05
        1 - confidence level of the interval.

    Returns
    -------
    RubinResult
        Pooled estimate, variance components, degrees of freedom, interval and p.

    Notes
    -----
    R: ``mice::pool`` (which uses the Barnard-Rubin small-sample degrees of freedom; with
    ``dfcom = Inf`` they equal Rubin's). The same rules as ``mitools::MIcombine``.

    References
    ----------
    Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley, 1987, pp. 76-77.
    """
    q = np.asarray(estimates, float)
    u = np.asarray(variances, float)
    if q.ndim != 1 or q.shape != u.shape or q.size < 2:
        raise ValueError("estimates and variances must be 1-D of the same length >= 2")
    if not (np.isfinite(q).all() and np.isfinite(u).all()) or (u < 0).any():
        raise ValueError("estimates must be finite and variances finite and >= 0")
    validate_alpha(alpha)
    m = q.size
    qbar = float(q.mean())
    w = float(u.mean())
    b = float(q.var(ddof=1))
    t = w + (1 + 1 / m) * b
    if b > 0:
        r = (1 + 1 / m) * b / w if w > 0 else np.inf
        df = (m - 1) * (1 + 1 / r) ** 2
    else:
        df = np.inf
    se = math.sqrt(t)
    crit = stats.t.ppf(1 - alpha / 2, df) if np.isfinite(df) else stats.norm.ppf(1 - alpha / 2)
    z = qbar / se if se > 0 else np.nan
    p = float(2 * (stats.t.sf(abs(z), df) if np.isfinite(df) else stats.norm.sf(abs(z))))
    return RubinResult(qbar, w, b, t, se, float(df), qbar - crit * se, qbar + crit * se, p, m)


def _imputation_draws(excluded: dict[str, int], n_imputations: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Unit-exponential draws per arm, shape (M, excluded): shared by every delta (common random numbers)."""
    return {a: rng.standard_exponential((n_imputations, excluded[a])) for a in ARMS}


def _pooled_cells(df, exc, fits, draws, cells, horizon, direction, alpha) -> pd.DataFrame:
    time = df["time"].to_numpy(float)
    event = df["event"].to_numpy(int)
    ctrl = (df["arm"].to_numpy() == "control").astype(float)
    x_of = {a: float(a == "control") for a in ARMS}
    if direction != "control_vs_ucmsc":
        ctrl = 1.0 - ctrl
        x_of = {a: 1.0 - v for a, v in x_of.items()}
    x_all = np.concatenate([ctrl] + [np.full(exc[a], x_of[a]) for a in ARMS])
    m = next(iter(draws.values())).shape[0]
    rows = []
    for dc, du in cells:
        deltas = {"control": dc, "ucmsc": du}
        imp_t, imp_e = {}, {}
        for a in ARMS:
            t = _sample_piecewise_exponential(fits[a], draws[a] / deltas[a])  # hazard delta * lambda: H^{-1}(E / delta)
            imp_e[a] = (t <= horizon).astype(int)
            imp_t[a] = np.minimum(t, horizon)
        betas, variances = np.empty(m), np.empty(m)
        for i in range(m):
            tt = np.concatenate([time] + [imp_t[a][i] for a in ARMS])
            ee = np.concatenate([event] + [imp_e[a][i] for a in ARMS])
            beta, se = _cox_1d(tt, ee, x_all)
            betas[i], variances[i] = beta, se**2
        pool = rubin_pool(betas, variances, alpha=alpha)
        rows.append({"delta_control": dc, "delta_ucmsc": du, "hr": math.exp(pool.estimate),
                     "ci_low": math.exp(pool.ci_low), "ci_high": math.exp(pool.ci_high), "p": pool.p,
                     "se_log_hr": pool.se, "df": pool.df, "between": pool.between, "within": pool.within})
    return pd.DataFrame(rows)


def _mi_inputs(df, excluded, breaks, horizon, n_imputations, rng):
    _check_frame(df)
    exc = _check_excluded(excluded)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if int(n_imputations) != n_imputations or n_imputations < 2:
        raise ValueError(f"n_imputations must be an integer >= 2, got {n_imputations}")
    h = float(df["time"].max() if horizon is None else horizon)
    if not h > 0:
        raise ValueError(f"horizon must be > 0 months, got {h}")
    for a in ARMS:
        if not df.loc[df["arm"] == a, "event"].any():
            raise ValueError(f"arm {a!r} has no events: its hazard cannot be fitted")
    fits = {a: piecewise_exponential_fit(df.loc[df["arm"] == a, "time"], df.loc[df["arm"] == a, "event"], breaks)
            for a in ARMS}
    return exc, fits, h, _imputation_draws(exc, int(n_imputations), rng)


def delta_adjusted_mi(
    df: pd.DataFrame,
    excluded: Mapping[str, int],
    deltas: Sequence[tuple[float, float]],
    *,
    rng: np.random.Generator,
    n_imputations: int = 20,
    breaks: Sequence[float] = (0.0,),
    horizon: float | None = None,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Delta-adjusted multiple imputation of the outcomes of patients randomized but not analysed.

    Each excluded patient's event time is drawn from their arm's hazard, fitted to the analysed
    patients of that arm as a piecewise exponential (:func:`piecewise_exponential_fit`),
    multiplied by the arm's ``delta``: ``delta = 1`` is missing at random within the arm
    (excluded patients fare like the analysed ones); ``delta > 1`` makes them fare worse. Imputed
    times are followed from randomization (time 0: the data hold no follow-up for them) to
    ``horizon``, where they are censored. Each of ``n_imputations`` completed datasets is fitted
    by the Cox model (Efron ties) and the log hazard ratios are pooled by Rubin's rules
    (:func:`rubin_pool`). The same random draws serve every ``delta`` (common random numbers), so
    the results change smoothly and monotonically along the grid.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame of the analysed patients (``time`` > 0, ``event``, ``arm``).
    excluded : mapping of str to int
        Arm -> number of randomized patients not analysed.
    deltas : sequence of (float, float)
        ``(delta_control, delta_ucmsc)`` hazard multipliers (``> 0``) to evaluate.
    rng : numpy.random.Generator
        NumPy ``Generator`` (results are reproducible from its seed).
    n_imputations : int, default 20
        Imputed datasets per cell (``M >= 2``).
    breaks : sequence of float, default (0.0,)
        Starts of the pieces of the fitted hazards (months; default: one exponential piece).
    horizon : float, optional
        Administrative censoring of imputed times (months); default ``None``: the largest time in ``df``.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Direction of the hazard ratio.
    alpha : float, default 0.05
        1 - confidence level of the pooled intervals.

    Returns
    -------
    pandas.DataFrame
        One row per cell: ``delta_control``, ``delta_ucmsc``, pooled ``hr``, ``ci_low``,
        ``ci_high``, ``p``, ``se_log_hr``, ``df``, ``between``, ``within``.

    References
    ----------
    Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley, 1987. European Medicines
    Agency. Guideline on missing data in confirmatory clinical trials, 2010. ICH E9(R1), 2019
    (sensitivity analyses under departures from missing at random). Jackson D, White IR, Seaman
    S, Evans H, Baisley K, Carpenter J. Relaxing the independent censoring assumption in the Cox
    proportional hazards model using multiple imputation. Stat Med 2014;33:4681-4694.
    """
    if direction not in ("control_vs_ucmsc", "ucmsc_vs_control"):
        raise ValueError(f"direction must be 'control_vs_ucmsc' or 'ucmsc_vs_control', got {direction!r}")
    validate_alpha(alpha)
    cells = [(float(a), float(b)) for a, b in deltas]
    if not cells or any(not (d > 0 and math.isfinite(d)) for c in cells for d in c):
        raise ValueError("deltas must be a non-empty sequence of (delta_control, delta_ucmsc) pairs > 0")
    exc, fits, h, draws = _mi_inputs(df, excluded, breaks, horizon, n_imputations, rng)
    return _pooled_cells(df, exc, fits, draws, cells, h, direction, alpha)


def tipping_point(
    df: pd.DataFrame,
    excluded: Mapping[str, int],
    *,
    arm: str,
    bound: float,
    rng: np.random.Generator,
    n_imputations: int = 20,
    breaks: Sequence[float] = (0.0,),
    horizon: float | None = None,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
    tol: float = 0.01,
) -> dict:
    """The hazard multiplier of one arm's excluded patients at which the conclusion changes.

    The other arm's multiplier stays 1 (missing at random). Starting from ``delta = 1``, the
    multiplier of ``arm`` moves towards ``bound``; the tipping point is the multiplier closest
    to 1 at which the pooled p (:func:`delta_adjusted_mi`) is on the other side of ``alpha``
    than at ``delta = 1``, found by bisection on the log scale with common random numbers.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame of the analysed patients.
    excluded : mapping of str to int
        Arm -> number of randomized patients not analysed.
    arm : {"control", "ucmsc"}
        The arm whose excluded patients' hazard is multiplied.
    bound : float
        The farthest multiplier searched (``> 0``, not 1): above 1 for excluded patients faring
        worse, below 1 for faring better.
    rng : numpy.random.Generator
        NumPy ``Generator``.
    n_imputations : int, default 20
        Imputed datasets per evaluation.
    breaks : sequence of float, default (0.0,)
        Pieces of the fitted hazards (months).
    horizon : float, optional
        Administrative censoring of imputed times (months); default: the largest time in ``df``.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Direction of the hazard ratio.
    alpha : float, default 0.05
        Significance level.
    tol : float, default 0.01
        Precision of the tipping point on the log scale (relative).

    Returns
    -------
    dict
        ``delta`` (the tipping point, ``None`` if the conclusion does not change up to ``bound``),
        ``p_mar`` (pooled p at ``delta = 1``), ``p_bound`` (at ``bound``), ``significant_mar``,
        ``hr_at_tipping`` (pooled HR at the tipping point, ``None`` without one) and
        ``evaluations``.

    References
    ----------
    Ratitch B, O'Kelly M, Tosiello R. Missing data in clinical trials: from clinical assumptions
    to statistical analysis using pattern mixture models. Pharm Stat 2013;12:337-347 (tipping-point
    analyses). European Medicines Agency. Guideline on missing data in confirmatory clinical
    trials, 2010.
    """
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {ARMS}, got {arm!r}")
    if not (bound > 0 and math.isfinite(bound)) or bound == 1:
        raise ValueError(f"bound must be > 0, finite and not 1, got {bound}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    if direction not in ("control_vs_ucmsc", "ucmsc_vs_control"):
        raise ValueError(f"direction must be 'control_vs_ucmsc' or 'ucmsc_vs_control', got {direction!r}")
    validate_alpha(alpha)
    exc, fits, h, draws = _mi_inputs(df, excluded, breaks, horizon, n_imputations, rng)
    n_eval = 0

    def cell(d: float) -> pd.Series:
        nonlocal n_eval
        n_eval += 1
        pair = (1.0, d) if arm == "ucmsc" else (d, 1.0)
        return _pooled_cells(df, exc, fits, draws, [pair], h, direction, alpha).iloc[0]

    mar, far = cell(1.0), cell(float(bound))
    sig = bool(mar["p"] < alpha)
    out = {"delta": None, "p_mar": float(mar["p"]), "p_bound": float(far["p"]), "significant_mar": sig,
           "hr_at_tipping": None, "evaluations": 0}
    if bool(far["p"] < alpha) == sig:
        out["evaluations"] = n_eval
        return out
    lo, hi = 0.0, math.log(bound)  # status at lo as at MAR, at hi flipped
    row = far
    while abs(hi - lo) > tol:
        mid = (lo + hi) / 2
        r = cell(math.exp(mid))
        if bool(r["p"] < alpha) == sig:
            lo = mid
        else:
            hi, row = mid, r
    out.update(delta=math.exp(hi), hr_at_tipping=float(row["hr"]), evaluations=n_eval)
    return out
