"""A synthetic trial cohort calibrated to the paper's published aggregates.

The trial's patient-level data are not public. :func:`generate` builds, from
one seed, a complete trial in the project's schema (``patients.csv``,
``screening.csv``, ``labs.csv``, ``adverse_events.csv``, ``dataset.yaml``)
whose aggregates reproduce what the paper reports:

Reproduced exactly, by construction
    the CONSORT flow; every categorical count of Table 1; every continuous
    mean and SD of Table 1 at the printed rounding, MELD included (below);
    the MELD t-test p at its printed digits; age median and range;
    HCC counts per arm; the number of fevers; median and range of follow-up
    per arm.
Reproduced approximately, by calibration
    the age t-test p value (the paper prints medians, ranges and a p);
    the six hazard ratios and their CIs (overall and landmark, OS and HCC):
    event counts per arm and window are derived from the published CI widths
    (:func:`derive_event_counts`), then event days are moved by a vectorised
    greedy search until each HR and CI limit prints as published where the
    counts allow it (:func:`printed_targets`, :func:`_digit_loss`): death days
    first (best of ``calibration_draws`` layouts, then :func:`_local_search`),
    then HCC days given the deaths (``hcc_draws`` layouts). Event days are
    distinct, so the batched fits (:func:`_cox_windows`, :func:`_move_fits`)
    equal the toolkit's Cox fit (:func:`analysis.toolkit.survival.cox_hr`,
    Efron ties), the one the book reports.
Plausible by assumption
    baseline MELD acts on the hazard of death within an arm (log HR
    ``severity_log_hr`` per point, :func:`_pair_by_severity`); HCC patients
    can die after their diagnosis (``hcc_death_weight``).
MELD, through its formula
    MELD is computed from bilirubin, INR and creatinine with the formula of
    Kamath et al. (2001) without the UNOS bounds (:data:`MELD_VARIANT`), the
    only variant whose mean the published component moments allow
    (:func:`analysis.toolkit.meld.meld_mean_range`); the three components are
    generated so that MELD meets Table 1's means, SDs, > 15 counts and p
    (:func:`_meld_components`).
Assumed (the paper reports no numbers)
    liver-function trajectories (:class:`LabEffects`, bilirubin linked to
    death: it rises before a death within the visits, and extreme bilirubin
    recovers in patients who survive them), rates of serious complications
    (:class:`SyntheticParameters.complication_risk`), the causes recorded for
    the deaths within the adverse-event window, each a fatal serious adverse
    event (:class:`SyntheticParameters.fatal_causes`), visit attendance.
    Every assumption is a named parameter.

Random streams
    Each generation step draws from its own random stream,
    ``numpy.random.default_rng(SeedSequence([seed, STREAMS[step]]))`` (:func:`step_rng`), with a
    fixed key per step in :data:`STREAMS`. Changing one step (its parameters, its code, how
    many numbers it draws) therefore leaves the draws of every other step unchanged; a table
    changes only if its own step or a table it is built from changes (the labs of a patient
    depend on the patient's baseline and follow-up, for instance). Adding a step takes a new
    key and disturbs no existing stream.

No library generates calibrated trial cohorts; this module is our own.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import yaml

from .data import ARMS, load_trial
from .published import Published, load_published
from ..toolkit.agreement import printed
from ..toolkit.meld import BILIRUBIN_UMOL_PER_MG, CREATININE_UMOL_PER_MG, MELD_COMPONENTS, MELD_VARIANTS, meld
from ..toolkit.randomization import allocation_list
from ..toolkit.survival import _cox_1d
from ..toolkit.units import DAYS_PER_WEEK, days_to_months, months_to_days, weeks_to_months

__all__ = [
    "LabEffects",
    "SyntheticParameters",
    "STREAMS",
    "step_rng",
    "derive_event_counts",
    "printed_targets",
    "MELD_VARIANT",
    "MELD_COEFFICIENTS",
    "meld_score",
    "generate",
    "write_cohort",
    "cohort_digest",
]



# ----------------------------------------------------------------------------
# Random streams
# ----------------------------------------------------------------------------
#: The generation steps, each with the fixed key of its random stream (see :func:`step_rng`).
#: Keys are never reused or renumbered: a new step takes a new key.
STREAMS: Mapping[str, int] = {
    "allocation": 1,       # the permuted-block allocation list
    "disposition": 2,      # who withdrew, was lost to follow-up or was analysed
    "survival": 3,         # death and censoring times (first stage of the HR calibration)
    "hcc": 4,              # HCC times (second stage of the HR calibration)
    "ages": 5,             # ages (median, range and t-test p search)
    "baseline": 6,         # analysed patients' Table 1 variables (MELD tuning grid)
    "pairing": 7,          # loose pairing of baseline severity with survival
    "not_analysed": 8,     # baseline of patients who withdrew or were lost to follow-up
    "seating": 9,          # each patient's position on the allocation list
    "dates": 10,           # randomization dates of patients who died
    "screening": 11,       # screening dates of the excluded candidates
    "labs": 12,            # liver-function visits
    "adverse_events": 13,  # fevers and serious complications
}


def step_rng(seed: int, step: str) -> np.random.Generator:
    """The random generator of one generation step.

    Parameters
    ----------
    seed
        The cohort's seed (:attr:`SyntheticParameters.seed`), a non-negative integer.
    step
        A step named in :data:`STREAMS`.

    Returns
    -------
    numpy.random.Generator
        ``default_rng(SeedSequence([seed, STREAMS[step]]))``: streams of different steps are
        statistically independent, and a step's stream depends only on the seed and its own key,
        not on what other steps draw.

    References
    ----------
    NumPy, "Parallel random number generation" (``SeedSequence`` entropy pools with a spawn
    key). R has no direct equivalent; ``parallel::nextRNGStream`` gives L'Ecuyer streams.
    """
    if step not in STREAMS:
        raise ValueError(f"unknown generation step {step!r}; steps are {sorted(STREAMS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), STREAMS[step]]))


# ----------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LabEffects:
    """Assumed mean change from baseline per analyte, arm and week.

    ALB and PTA changes are additive (g/L, percentage points). CHE and TBIL
    changes are on the natural-log scale (0.20 = 22% higher geometric mean).
    Chosen to follow the paper's qualitative statements (Results, Fig. 4):
    ALB up in both arms and higher with UC-MSC at weeks 24 and 48; PTA up with
    UC-MSC vs baseline and vs control; CHE up and TBIL down vs baseline with
    UC-MSC, without a clear difference from control.

    These are assumptions of the generator: a liver-function "effect" seen in the synthetic
    cohort is one of these numbers coming back out, not a finding.

    Attributes
    ----------
    weeks : tuple of int
        The visit weeks after baseline the effects refer to.
    alb, pta : mapping of str to tuple of float
        Arm -> mean change from baseline at each of ``weeks`` (g/L; percentage points).
    che, tbil : mapping of str to tuple of float
        Arm -> mean change of the natural log at each of ``weeks``.
    patient_sd : mapping of str to float
        Analyte -> SD of the patient-level random shift after baseline (units of the effect).
    visit_sd : mapping of str to float
        Analyte -> SD of the visit-level noise.
    missed_visit : float
        Probability that a visit of a living patient is missed.
    extreme_tbil : float
        Bilirubin (umol/L) from which a patient counts as having extreme bilirubin: 12 mg/dL,
        the liver-failure threshold of the CLIF-C organ-failure score (Moreau et al. 2013) and of
        the COSSH criteria for hepatitis B (Wu et al. 2018).
    tbil_recovery : tuple of float
        For a patient alive at the last lab visit whose baseline bilirubin is extreme: the fraction
        of the log excess above ``extreme_tbil`` gone at each of ``weeks`` (survivors of
        hepatitis B-related liver failure on antiviral therapy recover liver function within
        weeks to months; Wu et al. 2018, Garg et al. 2011).
    terminal_tbil : float
        Rise of log bilirubin at death of a patient who dies within the lab visits (liver
        function worsens before death in decompensated cirrhosis; D'Amico et al. 2006), reached
        linearly over the last ``terminal_months``.
    terminal_months : float
        Months before death over which the terminal rise builds up.
    """

    weeks: tuple[int, ...] = (12, 24, 48)
    alb: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: {"control": (1.0, 1.5, 2.0), "ucmsc": (1.8, 4.0, 4.8)})
    pta: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: {"control": (0.0, 1.0, 1.0), "ucmsc": (5.0, 7.0, 8.0)})
    che: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: {"control": (0.05, 0.08, 0.10), "ucmsc": (0.15, 0.20, 0.25)})
    tbil: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: {"control": (-0.05, -0.05, -0.05), "ucmsc": (-0.30, -0.45, -0.50)})
    #: SD of the patient-level random shift after baseline (same units as the effect).
    patient_sd: Mapping[str, float] = field(default_factory=lambda: {"alb": 3.0, "pta": 7.0, "che": 0.20, "tbil": 0.25})
    #: SD of the visit-level noise.
    visit_sd: Mapping[str, float] = field(default_factory=lambda: {"alb": 2.5, "pta": 6.0, "che": 0.15, "tbil": 0.20})
    #: Probability that a visit of a living patient is missed.
    missed_visit: float = 0.04
    #: Extreme bilirubin, umol/L: 12 mg/dL (CLIF-C liver failure, Moreau 2013; COSSH, Wu 2018).
    extreme_tbil: float = 205.2
    #: Fraction of the log excess above ``extreme_tbil`` gone at each visit week, in patients alive at the last visit.
    tbil_recovery: tuple[float, ...] = (0.5, 0.75, 0.9)
    #: Rise of log bilirubin reached at death, for patients who die within the lab visits.
    terminal_tbil: float = 0.5
    #: Months before death over which the terminal rise builds up.
    terminal_months: float = 6.0


@dataclass(frozen=True)
class SyntheticParameters:
    """Everything :func:`generate` needs besides the published numbers.

    Attributes
    ----------
    seed : int
        Seed of every random stream (one independent stream per generation step,
        :func:`step_rng`).
    block_sizes : tuple of int
        Permuted-block sizes of the allocation list (the paper does not report them).
    accrual_months : float or None
        Accrual period in months; ``None``: the paper's plan.
    first_date : str or None
        First randomization date (ISO); ``None``: the paper's first screening date.
    calibration_draws : int
        Candidate death-time layouts of the hazard-ratio calibration; the nearest to the printed
        digits of the overall-survival HRs and CIs is improved by a local search (first stage).
    hcc_draws : int
        Candidate HCC-time layouts given the deaths; the nearest is improved likewise (second stage).
    calibration_steps : int
        Largest number of steps of each local search (:func:`_local_search`).
    calibration_proposals : int
        Single-day moves tried (vectorised) at each step.
    calibration_patience : int
        Steps without improvement after which a local search stops.
    severity_log_hr : float
        Log hazard ratio of death per baseline MELD point within an arm (assumed): 0.1, the
        MELD scale's own construction (MELD is 10 times the linear predictor of the Cox model
        of Malinchoc et al. 2000, validated by Kamath et al. 2001), so HR exp(0.1) = 1.105 per
        point (:func:`_pair_by_severity`).
    hcc_death_weight : float
        How much likelier a patient who dies later is to be the one who develops an HCC
        (assumed; HCC shortens survival in cirrhosis, e.g. Fattovich et al. 2004): HCC patients
        die after their diagnosis in both arms.
    age_draws : int
        Candidate age samples tried to bring the age t-test p near the published one.
    meld_rho_grid : tuple of float
        Correlations of bilirubin, INR and creatinine with latent severity, tried in this order
        until their MELD meets Table 1 (:func:`_meld_components`).
    meld_attempts : int
        Seeded draws of the MELD components tried at each correlation.
    meld_swap_steps : int
        Proposed exchanges of one component between two patients per draw (the search that
        brings the SD and the > 15 count of MELD to Table 1's).
    lab_effects : LabEffects
        The assumed liver-function changes.
    complication_risk : mapping of str to float
        Assumed probability per analysed patient and 48 weeks of each serious complication,
        equal in both arms.
    fatal_causes : mapping of str to float
        Assumed probabilities of the cause recorded for a death within the adverse-event window
        (a fatal serious adverse event); an HCC diagnosed before the death is recorded instead.
    """

    seed: int = 20210301
    #: Permuted-block size of the allocation list (the paper does not report it).
    block_sizes: tuple[int, ...] = (10,)
    #: Accrual period, months; ``None``: the paper's plan (``sample_size.accrual_months``).
    accrual_months: float | None = None
    #: First randomization date; ``None``: the paper's first screening date.
    first_date: str | None = None
    #: Seeded candidate death-time layouts of the HR calibration (first stage).
    calibration_draws: int = 8
    #: Seeded candidate HCC-time layouts given the deaths (second stage).
    hcc_draws: int = 8
    #: Largest number of steps of each local search of the HR calibration.
    calibration_steps: int = 400
    #: Single-day moves tried at each step of the local search.
    calibration_proposals: int = 48
    #: Steps without improvement after which the local search stops.
    calibration_patience: int = 60
    #: Log hazard ratio of death per baseline MELD point within an arm (Malinchoc 2000; Kamath 2001).
    severity_log_hr: float = 0.1
    #: Relative chance that a patient who dies later is the one who develops an HCC.
    hcc_death_weight: float = 3.0
    #: Seeded candidate age samples tried to bring the age t-test p near the published one.
    age_draws: int = 200
    #: Correlations of bilirubin, INR and creatinine with latent severity, tried in this order.
    meld_rho_grid: tuple[float, ...] = (0.45, 0.3, 0.6, 0.15, 0.0)
    #: Seeded draws of the MELD components tried at each correlation.
    meld_attempts: int = 10
    #: Proposed exchanges of one MELD component between two patients, per draw.
    meld_swap_steps: int = 3000
    lab_effects: LabEffects = field(default_factory=LabEffects)
    #: Assumed probability, per analysed patient and 48 weeks, of each serious
    #: complication of cirrhosis; equal in both arms (no treatment effect assumed).
    complication_risk: Mapping[str, float] = field(
        default_factory=lambda: {
            "infection": 0.15,
            "gastrointestinal bleeding": 0.10,
            "hepatic encephalopathy": 0.08,
            "hepatorenal syndrome": 0.03,
        }
    )
    #: Assumed causes of a death within the adverse-event window, recorded as a fatal serious
    #: adverse event (the paper reports none; a death after an HCC diagnosis is recorded as HCC).
    #: The main causes of death in decompensated cirrhosis (D'Amico et al. 2006; Arvaniti et al. 2010).
    fatal_causes: Mapping[str, float] = field(
        default_factory=lambda: {
            "liver failure": 0.40,
            "infection": 0.25,
            "gastrointestinal bleeding": 0.20,
            "hepatorenal syndrome": 0.10,
            "hepatic encephalopathy": 0.05,
        }
    )

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        for name in ("calibration_draws", "hcc_draws", "calibration_steps", "calibration_proposals",
                     "calibration_patience", "age_draws", "meld_attempts", "meld_swap_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")


# ----------------------------------------------------------------------------
# Event counts from confidence-interval widths
# ----------------------------------------------------------------------------
def _se_from_ci(lo: float, hi: float, level: float = 0.95) -> float:
    from scipy.stats import norm

    return (np.log(hi) - np.log(lo)) / (2 * norm.ppf(0.5 + level / 2))


def derive_event_counts(published: Published | None = None) -> pd.DataFrame:
    """Event counts per arm and window consistent with the published CIs.

    For a Cox model with one binary covariate, Var(log HR) is close to
    1/d_control + 1/d_ucmsc, so each CI width implies the events behind it,
    and the HR roughly the ratio of event rates. For overall survival the
    early and late landmark windows must add up to the whole; for HCC the
    totals are published and only the split at the HCC landmark is free. We search integer counts minimising, over the three windows of
    each endpoint, the squared log-distances of the implied HR and SE from
    the published ones.

    Parameters
    ----------
    published : Published, optional
        The paper's numbers (default :func:`~analysis.trial.published.load_published`).

    Returns
    -------
    pandas.DataFrame
        One row per window: ``key``, ``events_control``, ``events_ucmsc``,
        ``se_published``, ``se_implied``, ``hr_published``, ``hr_implied``.
    """
    pub = published or load_published()
    n = {a: pub.consort["analyzed"][a] for a in ARMS}
    hrs = pub.hazard_ratios

    def implied(dc: int, du: int, nc: float, nu: float) -> tuple[float, float]:
        return (dc / nc) / (du / nu), float(np.sqrt(1 / dc + 1 / du))

    se_pub = {k: _se_from_ci(h.ci_low, h.ci_high) for k, h in hrs.items()}

    def loss(key: str, dc: int, du: int, nc: float, nu: float) -> float:
        hr, se = implied(dc, du, nc, nu)
        return (np.log(hr / hrs[key].hr)) ** 2 + (np.log(se / se_pub[key])) ** 2

    best: dict[str, tuple] = {}
    # The ids of the landmark windows derive from the published landmark times (typed once).
    os_e, os_l = pub.landmark_hr("os", "early").key, pub.landmark_hr("os", "late").key
    hcc_e, hcc_l = pub.landmark_hr("hcc", "early").key, pub.landmark_hr("hcc", "late").key
    # Overall survival: the early window first, then the late window given it
    # (jointly with the overall HR, which is their sum).
    early = min(
        ((ce, ue) for ce in range(1, 40) for ue in range(1, 40)),
        key=lambda t: loss(os_e, t[0], t[1], n["control"], n["ucmsc"]),
    )
    cand = [
        (cl, ul)
        for cl in range(1, 60)
        for ul in range(1, 60)
    ]
    late = min(
        cand,
        key=lambda t: loss(os_l, t[0], t[1], n["control"] - early[0], n["ucmsc"] - early[1])
        + loss("os.cox", early[0] + t[0], early[1] + t[1], n["control"], n["ucmsc"]),
    )
    best[os_e] = (early, (n["control"], n["ucmsc"]))
    best[os_l] = (late, (n["control"] - early[0], n["ucmsc"] - early[1]))
    best["os.cox"] = ((early[0] + late[0], early[1] + late[1]), (n["control"], n["ucmsc"]))
    # HCC: totals published; search the early split.
    inc = pub.hcc_incidence
    tot = (int(inc["control"]["events"]), int(inc["ucmsc"]["events"]))
    hearly = min(
        ((ce, ue) for ce in range(1, tot[0]) for ue in range(1, tot[1])),
        key=lambda t: loss(hcc_e, t[0], t[1], n["control"], n["ucmsc"])
        + loss(hcc_l, tot[0] - t[0], tot[1] - t[1], n["control"], n["ucmsc"]),
    )
    best[hcc_e] = (hearly, (n["control"], n["ucmsc"]))
    best[hcc_l] = ((tot[0] - hearly[0], tot[1] - hearly[1]), (n["control"], n["ucmsc"]))
    best["hcc.cox"] = (tot, (n["control"], n["ucmsc"]))
    rows = []
    for key in hrs:
        (dc, du), (nc, nu) = best[key]
        h = hrs[key]
        hr_i, se_i = implied(dc, du, nc, nu)
        rows.append(
            {
                "key": key,
                "events_control": int(dc),
                "events_ucmsc": int(du),
                "hr_published": h.hr,
                "hr_implied": hr_i,
                "se_published": _se_from_ci(h.ci_low, h.ci_high),
                "se_implied": se_i,
            }
        )
    return pd.DataFrame(rows).set_index("key")


# ----------------------------------------------------------------------------
# Small numeric helpers
# ----------------------------------------------------------------------------
#: The MELD variant of the cohort (:data:`analysis.toolkit.meld.MELD_VARIANTS`): the only one of the
#: variants in use whose mean MELD the published bilirubin, INR and creatinine moments allow in both
#: arms (the Data chapter, ``data.meld_formula.*``): Kamath et al. (2001), times 10, with the etiology
#: term (hepatitis B), without the UNOS bounds.
MELD_VARIANT = "kamath"

#: Coefficients of that formula (Kamath et al. 2001).
MELD_COEFFICIENTS = {**MELD_COMPONENTS, "constant": MELD_VARIANTS[MELD_VARIANT].constant}


def meld_score(tbil_umol: np.ndarray, inr: np.ndarray, cr_umol: np.ndarray, variant: str = MELD_VARIANT) -> np.ndarray:
    """MELD of the cohort (:data:`MELD_VARIANT`) from bilirubin and creatinine in umol/L and INR.

    MELD = 3.78 ln(bilirubin mg/dL) + 11.2 ln(INR) + 9.57 ln(creatinine mg/dL) + 6.43 (Kamath
    et al. 2001, etiology term of hepatitis B), without the UNOS bounds (``variant="unos"``: values
    below 1 set to 1, creatinine capped at 4 mg/dL, rounded to an integer).
    Bilirubin mg/dL = umol/L / 17.1; creatinine mg/dL = umol/L / 88.4.

    Parameters
    ----------
    tbil_umol : array_like
        Total bilirubin, umol/L.
    inr : array_like
        International normalised ratio.
    cr_umol : array_like
        Creatinine, umol/L.
    variant : str
        A key of :data:`analysis.toolkit.meld.MELD_VARIANTS` (default :data:`MELD_VARIANT`).

    Returns
    -------
    numpy.ndarray
        The MELD score of each patient.

    References
    ----------
    Kamath PS et al. A model to predict survival in patients with end-stage
    liver disease. Hepatology 2001;33:464-470.
    """
    return meld(np.asarray(tbil_umol, float) / BILIRUBIN_UMOL_PER_MG, np.asarray(inr, float),
                np.asarray(cr_umol, float) / CREATININE_UMOL_PER_MG, variant)


_GRID = sorted(((a, b) for a in np.linspace(-2, 2, 41) for b in np.linspace(-2, 2, 41)),
               key=lambda t: (t[0] ** 2 + t[1] ** 2, t))


def _match_moments(x: np.ndarray, mean: float, sd: float, decimals_store: int, dec_mean: int, dec_sd: int) -> np.ndarray:
    """Affine-transform ``x`` to the target mean/SD, round to storage precision,
    and repair until the printed mean and SD equal the targets."""
    z = (x - x.mean()) / x.std(ddof=1)
    step = 10.0**-decimals_store
    # Deterministic search on a grid of target offsets (a fraction of the storage
    # step), nearest first, for one whose rounded values print as the targets.
    for dm, ds in _GRID:
        y = np.round(mean + dm * step + (sd + ds * step) * z, decimals_store)
        m, s = y.mean(), y.std(ddof=1)
        if printed(m, dec_mean) == printed(mean, dec_mean) and printed(s, dec_sd) == printed(sd, dec_sd):
            return y
    raise RuntimeError(f"could not match mean {mean} and SD {sd} at the printed rounding")


def _lognormal(rng: np.random.Generator, latent: np.ndarray, cv: float) -> np.ndarray:
    sigma = np.sqrt(np.log1p(cv**2))
    return np.exp(sigma * latent)


def _exact_categories(rng: np.random.Generator, score: np.ndarray, counts: Mapping, order: list) -> np.ndarray:
    """Assign categories with exact counts; higher ``score`` gets later levels of ``order``."""
    n = len(score)
    rank = np.argsort(score + rng.normal(0, 0.7, n), kind="stable")
    out = np.empty(n, dtype=object)
    pos = 0
    for level in order:
        k = int(counts[level])
        out[rank[pos : pos + k]] = level
        pos += k
    if pos != n:
        raise ValueError(f"category counts {dict(counts)} do not add up to {n}")
    return out


# ----------------------------------------------------------------------------
# Baseline
# ----------------------------------------------------------------------------
# Storage decimals and plausibility floors of the continuous baseline labs.
_STORE = {"tp": 1, "alb": 1, "plt": 0, "cr": 1, "alt": 1, "ast": 1, "tbil": 1, "pta": 1, "che": 0, "inr": 2}
_FLOOR = {"tp": 35, "alb": 15, "plt": 8, "cr": 25, "alt": 5, "ast": 8, "tbil": 4, "pta": 15, "che": 400, "inr": 0.85}
_CEIL = {"pta": 130, "inr": 4.0, "alb": 55, "tp": 95, "plt": 700, "che": 12000, "alt": 900, "ast": 700,
         "cr": 700, "tbil": 1000}
# Loading on latent severity (sign: + rises with severity) and skewness (lognormal or normal).
_LOAD = {"tp": (-0.2, False), "alb": (-0.5, False), "plt": (-0.3, True), "cr": (0.3, True), "alt": (0.1, True),
         "ast": (0.3, True), "tbil": (0.6, True), "inr": (0.6, True), "pta": (-0.6, False), "che": (-0.5, True)}


def _age(rng: np.random.Generator, n: int, median: float, lo: int, hi: int) -> np.ndarray:
    a = np.sort(np.clip(np.round(rng.normal(median, 10, n)), lo, hi)).astype(int)
    a[0], a[-1] = lo, hi
    if n % 2:
        a[n // 2] = int(median)
    else:
        a[n // 2 - 1] = a[n // 2] = int(median)
    lower = a[: (n - 1) // 2]
    upper = a[n // 2 + 1 :]
    a[: (n - 1) // 2] = np.minimum(lower, int(median))
    a[n // 2 + 1 :] = np.maximum(upper, int(median))
    return rng.permutation(np.sort(a))


def _ages(rng: np.random.Generator, pub: Published, n: Mapping[str, int], draws: int) -> dict[str, np.ndarray]:
    """Ages with the published median and range per arm whose t-test p is nearest the published p.

    The paper prints only medians and ranges for age, and a p value (0.411)
    whose test it does not name; of ``draws`` seeded candidates we keep the one
    whose Student t test p is nearest the printed value.
    """
    from scipy.special import stdtr

    row = pub.table1_row("age")
    best, gap = None, np.inf
    for _ in range(draws):
        cand = {a: _age(rng, n[a], row.arm(a)["median"], int(row.arm(a)["min"]), int(row.arm(a)["max"])) for a in ARMS}
        x, y = (cand[a].astype(float) for a in ARMS)  # Student t test, as scipy.stats.ttest_ind (faster here)
        df = len(x) + len(y) - 2
        sp = np.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / df * (1 / len(x) + 1 / len(y)))
        p = 2 * stdtr(df, -abs(x.mean() - y.mean()) / sp)
        if abs(p - row.p) < gap:
            best, gap = cand, abs(p - row.p)
    assert best is not None
    return best


def _meld_targets(pub: Published) -> dict[str, dict[str, float]]:
    """Table 1's MELD per arm: mean, SD (their printed decimals), > 15 count; and the p (Student t)."""
    row, gt = pub.table1_row("meld"), pub.table1_row("meld_gt15")
    out = {}
    for a in ARMS:
        st, dec = row.arm(a), row.decimals_for(a)
        out[a] = {"mean": st["mean"], "sd": st["sd"], "count": int(gt.arm(a)[">15"]),
                  "mean_half": 0.5 * 10.0 ** -dec["mean"], "sd_half": 0.5 * 10.0 ** -dec["sd"],
                  "mean_decimals": dec["mean"], "sd_decimals": dec["sd"]}
    out["p"] = {"p": row.p}
    return out


def _student_p(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> float:
    from scipy.stats import ttest_ind_from_stats

    return float(ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=True).pvalue)


def _solve_for_p(f, lo: float, hi: float, p: float) -> float:
    """The x in [lo, hi] with ``f(x) == p`` by bisection (``f`` monotone); the nearer end if none."""
    flo, fhi = f(lo) - p, f(hi) - p
    if flo * fhi > 0:
        return lo if abs(flo) < abs(fhi) else hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        fm = f(mid) - p
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


#: The MELD components of Table 1 (patients.csv column -> the toolkit's component, conversion factor).
_MELD_VARS = {"tbil": ("bilirubin", BILIRUBIN_UMOL_PER_MG), "inr": ("inr", 1.0), "cr": ("creatinine", CREATININE_UMOL_PER_MG)}
#: Skewness factors (sample CV / target CV of the lognormal before moment matching) of the MELD
#: components at the two ends of the search for the MELD mean: a larger factor gives a heavier
#: right tail and a tighter body at the same mean and SD, hence a larger mean of the log.
_MELD_SHAPE = {"tbil": (1.3, 5.0), "inr": (1.0, 8.0), "cr": (1.0, 8.0)}


#: The SD difference that weighs as much as one patient on the wrong side of 15 in the exchange search.
_MELD_SD_SCALE = 0.02


def _component(latent: np.ndarray, pub: Published, arm: str, var: str, factor: float) -> np.ndarray:
    row = pub.table1_row(var)
    st, dec = row.arm(arm), row.decimals_for(arm)
    x = _lognormal(None, latent, factor * st["sd"] / st["mean"])
    return _match_moments(x, st["mean"], st["sd"], _STORE[var], dec["mean"], dec["sd"])


def _plausible(var: str, y: np.ndarray) -> bool:
    return bool(y.min() >= _FLOOR[var] and y.max() <= _CEIL.get(var, np.inf))


def _meld_components(rng: np.random.Generator, pub: Published, arm: str, sev: np.ndarray, rho: float,
                     target: Mapping[str, float] | None, steps: int) -> dict[str, np.ndarray] | None:
    """Bilirubin, INR and creatinine of one arm, each with Table 1's mean and SD, whose MELD
    (:data:`MELD_VARIANT`, stored to one decimal) has Table 1's mean, SD and > 15 count.

    The mean of MELD depends on the components' marginal distributions only (the score is a sum
    of one term per component): the shape of the three lognormals (their skewness factors,
    moved together between the ends of :data:`_MELD_SHAPE`) is searched by bisection until the
    mean of MELD is ``target["mean"]``. The SD and the count above 15 depend on which patient
    has which values: exchanging one component's values between two patients keeps every
    component's mean and SD, and exchanges that bring the SD and count nearer to the targets
    are kept (at most ``steps`` proposals). ``None`` when this draw does not get there. With
    ``target=None`` (patients outside Table 1) the shapes are the middle of their plausible
    ranges and nothing is searched.
    """
    n = len(sev)
    lat = {v: rho * sev + np.sqrt(1 - rho**2) * rng.normal(size=n) for v in _MELD_VARS}

    # Each component's factors that keep this draw within its plausibility limits (a grid scan).
    shape = {}
    for v, (lo, hi) in _MELD_SHAPE.items():
        ok = [f for f in lo * (hi / lo) ** np.linspace(0, 1, 13) if _plausible(v, _component(lat[v], pub, arm, v, f))]
        if not ok:
            return None
        shape[v] = (ok[0], ok[-1])

    def at(t: float) -> tuple[dict[str, np.ndarray], float]:
        vals = {v: _component(lat[v], pub, arm, v, lo * (hi / lo) ** t) for v, (lo, hi) in shape.items()}
        m = np.round(meld_score(vals["tbil"], vals["inr"], vals["cr"]), 1)
        return vals, float(m.mean()) if np.isfinite(m).all() else -np.inf

    if target is None:
        vals, _ = at(0.5)
        m = meld_score(vals["tbil"], vals["inr"], vals["cr"])
        return vals if all(_plausible(v, y) for v, y in vals.items()) and np.round(m, 1).min() >= 0 else None
    goal, tol = target["mean"], target["mean_tol"]
    lo, hi = 0.0, 1.0
    vals, mean = at(hi)
    if mean < goal - tol:
        return None
    for _ in range(30):
        if abs(mean - goal) <= tol:
            break
        mid = 0.5 * (lo + hi)
        vals, mean = at(mid)
        lo, hi = (mid, hi) if mean < goal else (lo, mid)
    if abs(mean - goal) > tol or not all(_plausible(v, y) for v, y in vals.items()):
        return None
    # Exchanges: SD and count. MELD terms per component, updated in place.
    terms = {v: MELD_VARIANTS[MELD_VARIANT].transform(c, vals[v] / f) for v, (c, f) in _MELD_VARS.items()}
    raw_a = MELD_VARIANTS[MELD_VARIANT].constant + sum(terms.values())
    m_a = np.round(raw_a, 1)
    s1, s2, cnt = float(m_a.sum()), float((m_a**2).sum()), int((m_a > 15).sum())
    neg = int((m_a < 0).sum())  # a negative score (possible without the UNOS bounds) is not plausible here
    # Plain Python floats in the loop (numpy scalars are several times slower there).
    raw, m = raw_a.tolist(), m_a.tolist()
    terms = {v: t.tolist() for v, t in terms.items()}
    sd_goal, sd_tol, c_goal = target["sd"], target["sd_tol"], int(target["count"])

    def loss(s1: float, s2: float, cnt: int, neg: int) -> tuple[float, float]:
        # Rounding to one decimal makes the stored mean depend slightly on the pairing: kept within tol.
        sd = (max(s2 - s1 * s1 / n, 0.0) / (n - 1)) ** 0.5
        off = max(abs(s1 / n - goal) - tol, 0.0)
        return abs(sd - sd_goal) / _MELD_SD_SCALE + abs(cnt - c_goal) + off / _MELD_SD_SCALE + neg, sd

    cur, sd = loss(s1, s2, cnt, neg)
    keys = list(_MELD_VARS)
    pairs, which = rng.integers(0, n, size=(steps, 2)).tolist(), rng.integers(0, len(keys), size=steps).tolist()
    for (a, b), k in zip(pairs, which):
        if abs(sd - sd_goal) <= sd_tol and cnt == c_goal and abs(s1 / n - goal) <= tol and neg == 0:
            break
        if a == b:
            continue
        tk = terms[keys[k]]
        d = tk[b] - tk[a]
        ra, rb = raw[a] + d, raw[b] - d
        na, nb = round(ra, 1), round(rb, 1)
        s1n = s1 - m[a] - m[b] + na + nb
        s2n = s2 - m[a] ** 2 - m[b] ** 2 + na**2 + nb**2
        cn = cnt - int(m[a] > 15) - int(m[b] > 15) + int(na > 15) + int(nb > 15)
        ng = neg - int(m[a] < 0) - int(m[b] < 0) + int(na < 0) + int(nb < 0)
        new, sdn = loss(s1n, s2n, cn, ng)
        if new < cur:
            cur, sd, s1, s2, cnt, neg = new, sdn, s1n, s2n, cn, ng
            raw[a], raw[b], m[a], m[b] = ra, rb, na, nb
            tk[a], tk[b] = tk[b], tk[a]
            y = vals[keys[k]]
            y[a], y[b] = y[b], y[a]
    m = np.round(meld_score(vals["tbil"], vals["inr"], vals["cr"]), 1)  # afresh: no drift from the updates
    if (abs(m.mean() - goal) > tol or abs(m.std(ddof=1) - sd_goal) > sd_tol or int((m > 15).sum()) != c_goal
            or m.min() < 0):
        return None
    return vals


def _baseline_arm(rng: np.random.Generator, pub: Published, arm: str, n: int, rho: float,
                  meld_target: Mapping[str, float] | None = None, swap_steps: int = 3000) -> pd.DataFrame | None:
    """One arm's analysed baseline; ``None`` if a plausibility floor is broken or MELD misses
    ``meld_target`` (:func:`_meld_components`; ``None``: MELD not calibrated)."""
    sev = rng.normal(size=n)
    df: dict[str, np.ndarray] = {}
    age = pub.table1_row("age").arm(arm)
    df["age"] = _age(rng, n, age["median"], int(age["min"]), int(age["max"]))
    comps = _meld_components(rng, pub, arm, sev, rho, meld_target, swap_steps)
    if comps is None:
        return None
    df.update(comps)
    for var, (load, is_skewed) in _LOAD.items():
        if var in _MELD_VARS:
            continue
        row = pub.table1_row(var)
        stats_ = row.arm(arm)
        dec = row.decimals_for(arm)
        cv = stats_["sd"] / stats_["mean"]
        for _ in range(200):  # redraw this variable until it is clinically plausible
            e = rng.normal(size=n)
            if var == "pta":  # PTA mirrors INR (both measure prothrombin time)
                latent = -(0.85 * (np.log(df["inr"]) - np.log(df["inr"]).mean()) / np.log(df["inr"]).std()
                           + np.sqrt(1 - 0.85**2) * e)
            else:
                w = abs(load)
                latent = np.sign(load) * w * sev + np.sqrt(1 - w**2) * e
            x = _lognormal(rng, latent, 1.3 * cv) if is_skewed else latent
            y = _match_moments(x, stats_["mean"], stats_["sd"], _STORE[var], dec["mean"], dec["sd"])
            if _plausible(var, y):
                break
        else:
            return None
        df[var] = y
    df["meld"] = np.round(meld_score(df["tbil"], df["inr"], df["cr"]), 1)
    for var in ("sex", "hbeag", "child_pugh", "ascites"):
        row = pub.table1_row(var)
        counts = {str(k): v for k, v in row.arm(arm).items()}
        if var == "child_pugh":
            df[var] = _exact_categories(rng, sev, counts, ["A", "B", "C"])
        elif var == "ascites":
            df[var] = _exact_categories(rng, sev, counts, ["0", "1"]).astype(int)
        elif var == "hbeag":
            df[var] = _exact_categories(rng, rng.normal(size=n), counts, ["0", "1"]).astype(int)
        else:
            df[var] = _exact_categories(rng, rng.normal(size=n), counts, ["M", "F"])
    df["_severity"] = sev
    return pd.DataFrame(df)


def _baselines(rng: np.random.Generator, pub: Published, n: Mapping[str, int],
               prm: SyntheticParameters) -> dict[str, pd.DataFrame]:
    """Both arms' analysed baselines, MELD at Table 1's printed mean, SD, > 15 count and p.

    The control arm aims inside the printed mean's rounding interval (below its middle) and at the
    printed SD; the UC-MSC arm then aims at the mean (inside its rounding interval) and the SD (inside
    its) whose Student t test against the control arm's MELD gives the printed p. Each arm tries
    ``prm.meld_attempts`` draws at each correlation of ``prm.meld_rho_grid`` in turn.
    """
    tg = _meld_targets(pub)
    p_goal = tg["p"]["p"]
    first, second = ARMS
    out: dict[str, pd.DataFrame] = {}

    def search(arm: str, target: Mapping[str, float]) -> pd.DataFrame:
        for rho in prm.meld_rho_grid:
            for _ in range(prm.meld_attempts):
                df = _baseline_arm(rng, pub, arm, n[arm], rho, target, prm.meld_swap_steps)
                if df is not None:
                    return df
        raise RuntimeError(f"no baseline of arm {arm} meets Table 1's MELD; widen meld_rho_grid or raise "
                           "meld_attempts / meld_swap_steps")

    t1 = tg[first]
    # Below the middle of its interval, so that the UC-MSC mean the printed p asks for lies inside its own.
    out[first] = search(first, {"mean": t1["mean"] - 0.4 * t1["mean_half"], "mean_tol": 0.04 * t1["mean_half"], "sd": t1["sd"],
                                "sd_tol": 0.2 * t1["sd_half"], "count": t1["count"]})
    m1, s1 = float(out[first]["meld"].mean()), float(out[first]["meld"].std(ddof=1))
    t2 = tg[second]
    lo, hi = t2["mean"] - 0.8 * t2["mean_half"], t2["mean"] + 0.8 * t2["mean_half"]
    goal_mean = _solve_for_p(lambda x: _student_p(m1, s1, n[first], x, t2["sd"], n[second]), lo, hi, p_goal)
    # The mean is met within a 25th of its rounding interval, so the SD that gives the printed
    # p at the goal mean gives it at the draw's mean too.
    sd_goal = _solve_for_p(lambda x: _student_p(m1, s1, n[first], goal_mean, x, n[second]),
                           t2["sd"] - 0.8 * t2["sd_half"], t2["sd"] + 0.8 * t2["sd_half"], p_goal)
    for rho in prm.meld_rho_grid:
        for _ in range(prm.meld_attempts):
            df = _baseline_arm(rng, pub, second, n[second], rho,
                               {"mean": goal_mean, "mean_tol": 0.04 * t2["mean_half"], "sd": sd_goal,
                                "sd_tol": 0.1 * t2["sd_half"], "count": t2["count"]}, prm.meld_swap_steps)
            if df is not None:
                out[second] = df
                return out
    raise RuntimeError(f"no baseline of arm {second} meets Table 1's MELD and its p; widen meld_rho_grid or "
                       "raise meld_attempts / meld_swap_steps")


def _baseline_uncalibrated(rng: np.random.Generator, pub: Published, n: int) -> pd.DataFrame:
    """Baseline of patients who were not analysed (not part of Table 1; MELD loosely near the control arm's)."""
    df = None
    while df is None:
        df = _baseline_arm(rng, pub, "control", int(pub.consort["analyzed"]["control"]), 0.3)
    return df.iloc[np.sort(rng.choice(len(df), n, replace=False))].reset_index(drop=True)


# ----------------------------------------------------------------------------
# Outcomes
# ----------------------------------------------------------------------------
#: Two-sided normal quantile of the 95% Wald intervals the calibration targets.
_Z975 = 1.959963984540054
#: Weights of a missed digit of the HR, its lower and its upper limit in the calibration's loss.
_HR_WEIGHT = np.array([3.0, 1.0, 1.0])
#: Quadratic pull of the loss per endpoint (:func:`_digit_loss`): weaker for HCC, whose early window
#: (three events per arm) cannot reach its printed HR and would otherwise hold the overall HR away from its own.
_QUADRATIC = {"os": 0.01, "hcc": 0.005}
#: Largest |log HR - log published HR| the calibration accepts without a steep penalty: inside the
#: book's tolerance (:data:`analysis.report.ledger.HR_LOG_TOLERANCE`, 0.1) with a margin.
_HR_GUARD = 0.095


def _draw_times(rng: np.random.Generator, k: int, lo: int, hi: int) -> np.ndarray:
    """``k`` integer days drawn uniformly from ``lo`` to ``hi`` (both included)."""
    return rng.integers(lo, hi + 1, k).astype(float)


def _censor_times(rng: np.random.Generator, n_cens: int, death_days: np.ndarray, n_total: int,
                  median_days: int, max_days: int, lo_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Censoring days making the arm's median follow-up and maximum exact, with each one's range.

    Returns the days and, per day, the lowest and highest day it may move to without changing the
    median and maximum (values below the median stay below it, above stay above, the median and
    maximum are fixed).
    """
    below_needed = (n_total - 1) // 2  # values strictly below the median position
    k_below = below_needed - int((death_days < median_days).sum())
    n_mid = 1 if n_total % 2 else 2
    k_above = n_cens - k_below - n_mid
    if k_below < 0 or k_above < 1:
        raise ValueError("censoring layout impossible for this median")
    days = np.concatenate([_draw_times(rng, k_below, lo_days, median_days - 1), np.full(n_mid, median_days),
                           _draw_times(rng, k_above - 1, median_days + 1, max_days - 1), [max_days]])
    lo = np.concatenate([np.full(k_below, lo_days), np.full(n_mid, median_days),
                         np.full(k_above - 1, median_days + 1), [max_days]])
    hi = np.concatenate([np.full(k_below, median_days - 1), np.full(n_mid, median_days),
                         np.full(k_above - 1, max_days - 1), [max_days]])
    return days, lo.astype(float), hi.astype(float)


def _window_days(pub: Published, endpoint: str) -> tuple[int, int, int]:
    """Last day of the early landmark window, first day of the late one, last day before the horizon."""
    L, H = months_to_days(pub.landmarks[endpoint]), months_to_days(pub.horizon)
    return int(np.floor(L)), int(np.floor(L)) + 1, int(np.floor(H))


def _survival_arm(rng: np.random.Generator, pub: Published, arm: str, n: int, counts: pd.DataFrame,
                  accrual_months: float) -> dict[str, np.ndarray]:
    """One arm's death and censoring days (integers), with the range each may move to.

    The derived death counts per landmark window; the arm's shortest follow-up is a death on the
    published minimum; censoring makes the published median and maximum follow-up exact. Rows:
    deaths first, then censored patients; ``lo``/``hi`` hold each day's range in the
    calibration (the same window, the same side of the median; fixed days have ``lo == hi``).
    """
    col = f"events_{arm}"
    de = int(counts.loc[pub.landmark_hr("os", "early").key, col])
    dl = int(counts.loc[pub.landmark_hr("os", "late").key, col])
    fu = pub.followup[arm]
    min_d, med, mx = (round(months_to_days(fu[k])) for k in ("min", "median", "max"))
    e_last, l_first, h_last = _window_days(pub, "os")
    early = _draw_times(rng, de - 1, min_d + 1, e_last)
    late = _draw_times(rng, dl, l_first, h_last)
    late[late == med] = med - 1
    deaths = np.concatenate([[min_d], early, late])
    d_lo = np.concatenate([[min_d], np.full(de - 1, min_d + 1), np.where(late < med, l_first, med + 1)])
    d_hi = np.concatenate([[min_d], np.full(de - 1, e_last), np.where(late < med, med - 1, h_last)])
    cens, c_lo, c_hi = _censor_times(rng, n - len(deaths), deaths, n, med, mx,
                                     int(np.ceil(months_to_days(accrual_months))))
    return {"os_days": np.concatenate([deaths, cens]),
            "death": np.concatenate([np.ones(len(deaths), int), np.zeros(len(cens), int)]),
            "lo": np.concatenate([d_lo, c_lo]).astype(float), "hi": np.concatenate([d_hi, c_hi]).astype(float)}


def _hcc_arm(rng: np.random.Generator, pub: Published, arm: str, os_days: np.ndarray, death: np.ndarray,
             counts: pd.DataFrame, death_weight: float) -> dict[str, np.ndarray]:
    """One arm's HCC days given its follow-up, with the range each HCC day may move to.

    The derived counts before and after the HCC landmark; each HCC falls in a patient still
    followed at its day, chosen with weight ``death_weight`` if the patient dies later and 1
    otherwise (HCC patients die more often than others; see :class:`SyntheticParameters`).
    Patients without HCC are censored at death or last follow-up (fixed days).
    """
    col = f"events_{arm}"
    n = len(os_days)
    he = int(counts.loc[pub.landmark_hr("hcc", "early").key, col])
    hl = int(counts.loc[pub.landmark_hr("hcc", "late").key, col])
    e_last, l_first, h_last = _window_days(pub, "hcc")
    hcc_days, hcc = os_days.astype(float).copy(), np.zeros(n, int)
    lo, hi = hcc_days.copy(), hcc_days.copy()
    times = np.concatenate([_draw_times(rng, he, 1, e_last), _draw_times(rng, hl, l_first, h_last)])
    for t in np.sort(times)[::-1]:
        free = np.flatnonzero((hcc == 0) & (os_days >= t))
        w = np.where(death[free] == 1, death_weight, 1.0)
        i = free[rng.choice(len(free), p=w / w.sum())]
        hcc[i], hcc_days[i] = 1, t
        lo[i], hi[i] = (1, min(e_last, os_days[i])) if t <= e_last else (l_first, min(h_last, os_days[i]))
    return {"hcc_days": hcc_days, "hcc": hcc, "lo": lo, "hi": hi}


def _cox_windows(time: np.ndarray, event: np.ndarray, control: np.ndarray,
                 windows: list[tuple[float, float, int]], beta0: np.ndarray | None = None,
                 iterations: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cox fits (control vs UC-MSC) of many candidate layouts at once, in several windows.

    ``time`` is (K, n) integer days (K candidate layouts of the same patients), ``event`` and
    ``control`` are (n,) and shared; ``windows`` lists (start, end, events in the window), the
    count being the same for every candidate. Event times are distinct within each candidate,
    so Efron's, Breslow's and the exact partial likelihood coincide and the fit is that of
    :func:`analysis.toolkit.survival._cox_1d` (checked in ``tests/test_synthetic.py``). A censored
    time equal to an event time is in the event's risk set, as there. One sort serves every
    window: a window's risk set at an event day is everyone followed to that day.

    Returns (K, W) arrays: log HR, its standard error (information at the estimate) and the
    log-rank z (score test at log HR 0; ties absent).
    """
    K, n = time.shape
    order = np.argsort(time - 0.5 * event[None, :], axis=1, kind="stable")  # events before censoring on a day
    ts = np.take_along_axis(time, order, 1)
    xs, es = control[order], event[order].astype(bool)
    at_risk = np.arange(n, 0, -1, dtype=float)[None, :]
    n1_all = np.cumsum(xs[:, ::-1], 1)[:, ::-1]
    beta, se, z_lr = (np.empty((K, len(windows))) for _ in range(3))
    for w, (start, end, d) in enumerate(windows):
        idx = np.nonzero(es & (ts > start) & (ts <= end))
        if len(idx[0]) != K * d:
            raise ValueError("candidate layouts differ in their number of events in a window")
        nn = np.broadcast_to(at_risk, es.shape)[idx].reshape(K, d)
        n1, xe = n1_all[idx].reshape(K, d), xs[idx].reshape(K, d)
        n0, sx = nn - n1, xe.sum(1)
        p0 = n1 / nn
        z_lr[:, w] = (sx - p0.sum(1)) / np.sqrt((p0 * (1 - p0)).sum(1))
        b = np.zeros(K) if beta0 is None else beta0[:, w].copy()
        for _ in range(iterations):
            r = np.exp(b)[:, None]
            p = n1 * r / (n1 * r + n0)
            b = b + (sx - p.sum(1)) / (p * (1 - p)).sum(1)
        r = np.exp(b)[:, None]
        p = n1 * r / (n1 * r + n0)
        beta[:, w], se[:, w] = b, 1 / np.sqrt((p * (1 - p)).sum(1))
    return beta, se, z_lr


def printed_targets(h, margin: float = 0.2) -> np.ndarray:
    """The log-scale intervals a hazard ratio, its lower and upper CI limit must fall in to print as published.

    Each printed value v (two decimals) stands for [v - 0.005, v + 0.005); the interval is
    narrowed by ``margin`` of its half-width on each side, so that the rounding of follow-up to
    months (three decimals) cannot flip a digit. A Wald interval is symmetric on the log scale,
    so the log HR is the midpoint of the log limits: when no HR in the printed interval is a
    midpoint of limits that print as published, the HR row becomes the achievable midpoints (the
    limits kept, the HR's last digit given up).

    Parameters
    ----------
    h : analysis.trial.published.PublishedHR
        A published hazard ratio.
    margin : float, default 0.2
        Fraction of each half-width left out at both ends.

    Returns
    -------
    numpy.ndarray
        Shape (3, 2): rows HR, lower, upper limit; columns lowest and highest log value.
    """
    iv = np.array([[np.log(v - 0.005), np.log(v + 0.005)] for v in (h.hr, h.ci_low, h.ci_high)])
    mid = (iv[1] + iv[2]) / 2
    if max(iv[0, 0], mid[0]) > min(iv[0, 1], mid[1]):
        iv[0] = mid
    m = margin * (iv[:, 1] - iv[:, 0]) / 2
    return np.stack([iv[:, 0] + m, iv[:, 1] - m], 1)


def _digit_loss(beta: np.ndarray, se: np.ndarray, targets: list[np.ndarray], quadratic: float = 0.01) -> np.ndarray:
    """The calibration's loss: printed digits missed, then how far.

    For each window's log HR and log CI limits, ``d`` is the distance outside its target
    interval (:func:`printed_targets`) in interval widths; a value costs ``1`` if it misses
    (``d > 0``) plus ``0.3 tanh(d) + quadratic d^2``, which guides the search towards the interval and
    keeps a value that cannot be reached (its SE is fixed by the integer event counts) from
    outweighing the digits that can. The HR's cost is weighted by :data:`_HR_WEIGHT`: a printed
    HR comes before its limits. A steep penalty keeps every log HR within :data:`_HR_GUARD` of
    the published one (the early HCC window, which cannot print, would otherwise drift away
    while the overall HCC HR reaches its digits).
    """
    loss = np.zeros(beta.shape[0])
    for w, t in enumerate(targets):
        y = np.stack([beta[:, w], beta[:, w] - _Z975 * se[:, w], beta[:, w] + _Z975 * se[:, w]], 1)
        d = (np.maximum(t[:, 0] - y, 0) + np.maximum(y - t[:, 1], 0)) / (t[:, 1] - t[:, 0])
        loss += (_HR_WEIGHT * ((d > 0) + 0.3 * np.tanh(d) + quadratic * d ** 2)).sum(1)
        # every HR within the book's tolerance of the published one (10% on the log scale, with a margin)
        loss += 1000 * np.maximum(np.abs(beta[:, w] - t[0].mean()) - _HR_GUARD, 0)
    return loss


def _move_fits(time: np.ndarray, event: np.ndarray, control: np.ndarray, windows: list, j: np.ndarray,
               new: np.ndarray, beta0: np.ndarray, iterations: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Cox fits of K single-day moves of one layout, without re-sorting.

    Move ``k`` sets ``time[j[k]]`` to ``new[k]`` (an event stays in its window: the calibration's
    day ranges lie within one window). The partial likelihood sums over events, in any order, of
    the numbers at risk (``time >= day``) overall and in the control arm; a move changes them by
    ``[new >= day] - [old >= day]`` (times ``control[j]`` for the control arm), and a moved event
    takes the numbers at risk at its new day. Same estimates as :func:`_cox_windows` on the moved
    layouts (distinct event days), at a fraction of the cost. Returns (K, W) log HRs and SEs.
    """
    n_all = len(time)
    st_all, st_ctrl = np.sort(time), np.sort(time[control == 1])
    old, xj, ev_j = time[j], control[j], event[j] == 1
    beta, se = np.empty((len(j), len(windows))), np.empty((len(j), len(windows)))
    for w, (start, end, d) in enumerate(windows):
        pat = np.flatnonzero((event == 1) & (time > start) & (time <= end))
        days = time[pat]
        n = (n_all - np.searchsorted(st_all, days, "left")).astype(float)
        n1 = (len(st_ctrl) - np.searchsorted(st_ctrl, days, "left")).astype(float)
        delta = (new[:, None] >= days[None, :]).astype(float) - (old[:, None] >= days[None, :])
        nn = n[None, :] + delta
        nn1 = n1[None, :] + xj[:, None] * delta
        col = np.full(n_all, -1)
        col[pat] = np.arange(len(pat))
        mine = np.flatnonzero(ev_j & (col[j] >= 0))
        if len(mine):
            v, o, x = new[mine], old[mine], xj[mine]
            nn[mine, col[j[mine]]] = n_all - np.searchsorted(st_all, v, "left") - (o >= v) + 1
            nn1[mine, col[j[mine]]] = (len(st_ctrl) - np.searchsorted(st_ctrl, v, "left")) - x * (o >= v) + x
        n0 = nn - nn1
        sx = control[pat].sum()
        b = beta0[w] + np.zeros(len(j))
        for _ in range(iterations):
            r = np.exp(b)[:, None]
            p = nn1 * r / (nn1 * r + n0)
            b = b + (sx - p.sum(1)) / (p * (1 - p)).sum(1)
        r = np.exp(b)[:, None]
        p = nn1 * r / (nn1 * r + n0)
        beta[:, w], se[:, w] = b, 1 / np.sqrt((p * (1 - p)).sum(1))
    return beta, se


def _local_search(rng: np.random.Generator, time: np.ndarray, event: np.ndarray, control: np.ndarray,
                  lo: np.ndarray, hi: np.ndarray, windows: list, targets: list, proposals: int, steps: int,
                  patience: int, quadratic: float = 0.01) -> tuple[np.ndarray, float]:
    """Greedy search: each step tries ``proposals`` single-day moves and keeps the best if it lowers the loss.

    A move sets one movable day (``lo < hi``) to a day drawn uniformly in its range; a move that
    would give an event the day of another event is refused (event days stay distinct). Stops
    when the loss is 0, after ``steps`` steps or after ``patience`` steps without improvement.
    """
    movable = np.flatnonzero(hi > lo)
    is_event = event == 1
    b, s, _ = _cox_windows(time[None], event, control, windows)
    cur, bcur = float(_digit_loss(b, s, targets, quadratic)[0]), b[0]
    stall = 0
    for _ in range(steps):
        if cur == 0 or stall >= patience or len(movable) == 0:
            break
        j = rng.choice(movable, proposals)
        new = rng.integers(lo[j], hi[j] + 1).astype(float)
        b, s = _move_fits(time, event, control, windows, j, new, bcur)
        loss = _digit_loss(b, s, targets, quadratic)
        loss[is_event[j] & np.isin(new, time[is_event])] = np.inf
        k = int(np.argmin(loss))
        if loss[k] < cur:
            time = time.copy()
            time[j[k]] = new[k]
            cur, bcur, stall = float(loss[k]), b[k], 0
        else:
            stall += 1
    return time, cur


def _distinct_event_days(rng: np.random.Generator, time: np.ndarray, event: np.ndarray, lo: np.ndarray,
                         hi: np.ndarray) -> np.ndarray:
    """Redraw event days (within their ranges) until no two events share a day."""
    time = time.copy()
    for _ in range(1000):
        ev = np.flatnonzero(event == 1)
        _, first = np.unique(time[ev], return_index=True)
        dup = np.setdiff1d(ev, ev[first])
        dup = dup[hi[dup] > lo[dup]]
        if len(dup) == 0:
            return time
        time[dup] = rng.integers(lo[dup], hi[dup] + 1)
    raise RuntimeError("could not make the event days distinct")


def _endpoint_windows(pub: Published, endpoint: str, time: np.ndarray, event: np.ndarray) -> tuple[list, list, list]:
    """The endpoint's published windows in days, with their event counts, targets and keys."""
    H = months_to_days(pub.horizon)
    windows, targets, keys = [], [], []
    for key, h in pub.hazard_ratios.items():
        if h.endpoint == endpoint:
            s, e = months_to_days(h.window[0]), min(months_to_days(h.window[1]), H)
            windows.append((s, e, int(((event == 1) & (time > s) & (time <= e)).sum())))
            targets.append(printed_targets(h))
            keys.append(key)
    return windows, targets, keys


def _calibrate(rng: np.random.Generator, layouts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
               control: np.ndarray, pub: Published, endpoint: str,
               prm: SyntheticParameters) -> tuple[np.ndarray, np.ndarray, float]:
    """The candidate layout (days, events, day ranges) nearest the printed digits of the endpoint's
    hazard ratios, improved by :func:`_local_search`; returns its days, events and final loss."""
    scored = []
    for t, e, lo, hi in layouts:
        t = _distinct_event_days(rng, t, e, lo, hi)
        windows, targets, _ = _endpoint_windows(pub, endpoint, t, e)
        if any(d == 0 for *_, d in windows):
            continue  # an arm-window without events: no hazard ratio
        b, s, _ = _cox_windows(t[None], e, control, windows)
        scored.append((float(_digit_loss(b, s, targets, _QUADRATIC[endpoint])[0]), t, e, lo, hi, windows, targets))
    if not scored:
        raise RuntimeError(f"no {endpoint} layout has events in every window: no hazard ratio to calibrate")
    _, t, e, lo, hi, windows, targets = min(scored, key=lambda r: r[0])
    t, loss = _local_search(rng, t, e, control, lo, hi, windows, targets, prm.calibration_proposals,
                            prm.calibration_steps, prm.calibration_patience, _QUADRATIC[endpoint])
    return t, e, loss


def _outcomes(rng_survival: np.random.Generator, rng_hcc: np.random.Generator, pub: Published,
              n: Mapping[str, int], prm: SyntheticParameters, accrual_months: float) -> dict[str, pd.DataFrame]:
    """Death, censoring and HCC days per arm, calibrated to the six published hazard ratios and their CIs.

    Event counts per window come from :func:`derive_event_counts`. Two stages, each on its own
    random stream: (1) ``prm.calibration_draws`` death-time layouts (:func:`_survival_arm`), the
    one whose three overall-survival HRs and CI limits lie nearest to the printed digits
    (:func:`printed_targets`, :func:`_digit_loss`) improved by a greedy search over single days
    (:func:`_local_search`, ``prm.calibration_steps`` steps of ``prm.calibration_proposals``
    moves, median and range of follow-up kept); (2) the same for the HCC days given the deaths
    (``prm.hcc_draws`` layouts, :func:`_hcc_arm`). The Cox fits are vectorised over candidates
    (:func:`_cox_windows`); event days are distinct, so they equal the toolkit's Efron fits.
    """
    counts = derive_event_counts(pub)
    control = np.concatenate([np.full(n[a], float(a == "control")) for a in ARMS])

    def stack(parts: list[dict[str, np.ndarray]], t: str, e: str) -> tuple:
        return tuple(np.concatenate([p[k] for p in parts]) for k in (t, e, "lo", "hi"))

    layouts = [stack([_survival_arm(rng_survival, pub, a, n[a], counts, accrual_months) for a in ARMS],
                     "os_days", "death") for _ in range(prm.calibration_draws)]
    os_days, death, _ = _calibrate(rng_survival, layouts, control, pub, "os", prm)
    cut = np.cumsum([0] + [n[a] for a in ARMS])
    part = {a: slice(cut[i], cut[i + 1]) for i, a in enumerate(ARMS)}
    layouts = [stack([_hcc_arm(rng_hcc, pub, a, os_days[part[a]], death[part[a]], counts, prm.hcc_death_weight)
                      for a in ARMS], "hcc_days", "hcc") for _ in range(prm.hcc_draws)]
    hcc_days, hcc, _ = _calibrate(rng_hcc, layouts, control, pub, "hcc", prm)
    return {a: pd.DataFrame({"os_days": os_days[part[a]], "death": death[part[a]],
                             "hcc_days": hcc_days[part[a]], "hcc": hcc[part[a]]}) for a in ARMS}


def _pair_by_severity(rng: np.random.Generator, meld: np.ndarray, os_days: np.ndarray, death: np.ndarray,
                      log_hr: float) -> np.ndarray:
    """Which baseline row goes with each follow-up row, so that MELD acts on the hazard of death.

    The permutational algorithm (Abrahamowicz et al. 1996; Sylvestre and Abrahamowicz 2008):
    follow-up rows are visited in time order; a death draws its patient among those not yet
    placed with probability proportional to ``exp(log_hr * MELD)``, a censored row draws one
    uniformly. The follow-up (and so every treatment hazard ratio) is unchanged; within an arm
    the data follow a Cox model with ``log_hr`` per MELD point.

    Parameters
    ----------
    rng : numpy.random.Generator
        The pairing step's stream.
    meld : numpy.ndarray
        Baseline MELD of the arm's patients.
    os_days, death : numpy.ndarray
        The arm's follow-up rows.
    log_hr : float
        Log hazard ratio of death per MELD point.

    Returns
    -------
    numpy.ndarray
        For each follow-up row, the index of its baseline row (a permutation).

    References
    ----------
    Abrahamowicz M, MacKenzie T, Esdaile JM. Time-dependent hazard ratio: modeling and
    hypothesis testing with application in lupus nephritis. J Am Stat Assoc 1996;91:1432-1439.
    Sylvestre MP, Abrahamowicz M. Comparison of algorithms to generate event times conditional
    on time-dependent covariates. Stat Med 2008;27:2618-2634. R: ``PermAlgo::permalgorithm``.
    """
    n = len(meld)
    if not (len(os_days) == len(death) == n):
        raise ValueError("meld, os_days and death must have the same length")
    weight = np.exp(log_hr * (np.asarray(meld, float) - np.max(meld)))
    free = np.ones(n, bool)
    out = np.empty(n, int)
    for i in np.lexsort((-np.asarray(death), np.asarray(os_days))):  # by day, deaths first on a day
        idx = np.flatnonzero(free)
        if death[i]:
            w = weight[idx]
            j = idx[rng.choice(len(idx), p=w / w.sum())]
        else:
            j = idx[rng.integers(len(idx))]
        out[i], free[j] = j, False
    return out


# ----------------------------------------------------------------------------
# Labs and adverse events
# ----------------------------------------------------------------------------
_LAB_STORE = {"alb": 1, "pta": 1, "che": 0, "tbil": 1}
_LOG_LABS = ("che", "tbil")


def _labs(rng: np.random.Generator, pts: pd.DataFrame, eff: LabEffects) -> pd.DataFrame:
    """Liver-function visits of the analysed patients (week 0 is the baseline).

    Each visit value is the baseline moved by the arm's assumed effect (:class:`LabEffects`), a
    patient-level shift and visit noise (log scale for CHE and TBIL). Bilirubin is also linked to
    death: a patient who dies within the visits has bilirubin rising towards the death
    (``terminal_tbil`` over the last ``terminal_months``), and a patient alive at the last visit
    whose baseline bilirubin was extreme (``extreme_tbil`` or more) recovers most of the excess
    (``tbil_recovery``), so extreme bilirubin that neither ends in death nor improves is rare.
    """
    names = list(_LAB_STORE)
    n, w, k = len(pts), len(eff.weeks), len(names)
    shift = rng.normal(size=(n, k)) * np.array([eff.patient_sd[a] for a in names])
    missed = rng.uniform(size=(n, w)) < eff.missed_visit
    noise = rng.normal(size=(n, w, k)) * np.array([eff.visit_sd[a] for a in names])
    os_m = pts["os_months"].to_numpy(float)
    visit_m = np.array([weeks_to_months(wk) for wk in eff.weeks])
    observed = (os_m[:, None] >= visit_m[None, :]) & ~missed  # no visit after death or the end of follow-up
    base = pts[names].to_numpy(float)
    arm = pts["arm"].to_numpy()
    mu = np.zeros((n, w, k))
    for j, a in enumerate(names):
        for arm_name in ARMS:
            mu[arm == arm_name, :, j] = getattr(eff, a)[arm_name]
    kt = names.index("tbil")
    dies = (pts["death"].to_numpy() == 1) & (os_m <= visit_m[-1])
    excess = np.where(~dies & (os_m >= visit_m[-1]), np.maximum(np.log(base[:, kt]) - np.log(eff.extreme_tbil), 0.0), 0.0)
    mu[:, :, kt] -= np.asarray(eff.tbil_recovery, float)[None, :] * excess[:, None]
    ramp = np.clip(1.0 - (os_m[:, None] - visit_m[None, :]) / eff.terminal_months, 0.0, None)
    mu[:, :, kt] += np.where(dies[:, None], eff.terminal_tbil * ramp, 0.0)
    z = mu + shift[:, None, :] + noise
    is_log = np.array([a in _LOG_LABS for a in names])
    val = np.where(is_log, base[:, None, :] * np.exp(z), base[:, None, :] + z)
    val = np.maximum(val, np.array([_FLOOR.get(a, 0.0) for a in names]))
    val[:, :, names.index("pta")] = np.minimum(val[:, :, names.index("pta")], _CEIL["pta"])
    for j, a in enumerate(names):
        val[:, :, j] = np.round(val[:, :, j], _LAB_STORE[a])
    # Rows: each patient's baseline (week 0), then each observed visit, analytes in _LAB_STORE order.
    pi, wi = np.nonzero(observed)
    ids = pts["patient_id"].to_numpy()
    out = pd.DataFrame({
        "_p": np.concatenate([np.repeat(np.arange(n), k), np.repeat(pi, k)]),
        "patient_id": np.concatenate([np.repeat(ids, k), np.repeat(ids[pi], k)]),
        "week": np.concatenate([np.zeros(n * k, int), np.repeat(np.asarray(eff.weeks)[wi], k)]),
        "_a": np.concatenate([np.tile(np.arange(k), n), np.tile(np.arange(k), len(pi))]),
        "value": np.concatenate([base.ravel(), val[pi, wi, :].ravel()]),
    })
    out["analyte"] = np.asarray(names, dtype=object)[out["_a"].to_numpy()]
    out = out.sort_values(["_p", "week", "_a"], kind="stable")
    return out[["patient_id", "week", "analyte", "value"]].reset_index(drop=True)


def _adverse_events(rng: np.random.Generator, pts: pd.DataFrame, pub: Published, prm: SyntheticParameters) -> pd.DataFrame:
    """Adverse events of the analysed patients within the collection window: the published fevers
    after UC-MSC infusions, the assumed serious complications of cirrhosis
    (``prm.complication_risk``), and every death within the window as a fatal serious adverse event
    (its cause: an HCC diagnosed before it, else drawn from ``prm.fatal_causes``)."""
    ae = pub.adverse_events
    dose = pub.dosing
    window_days = ae["collection_weeks"] * DAYS_PER_WEEK
    rows = []
    ucmsc = pts[pts["arm"] == "ucmsc"]
    fever_ids = rng.choice(ucmsc["patient_id"].to_numpy(), size=int(ae["fever"]["patients"]), replace=False)
    t_lo, t_hi = ae["fever"]["temperature_c"]
    h_lo, h_hi = ae["fever"]["onset_hours_after_infusion"]
    within = ae["fever"]["resolved_within_hours"]
    for pid in sorted(fever_ids):
        k = int(rng.integers(1, dose["infusions"] + 1))
        onset_h = round(float(rng.uniform(h_lo, h_hi)), 1)
        dur = round(float(rng.uniform(0.25 * within, within - 0.5)), 1)
        day = int((k - 1) * dose["interval_weeks"] * DAYS_PER_WEEK)
        rows.append({"patient_id": pid, "term": "fever", "onset_day": day,
                     "resolution_day": day + int((onset_h + dur) // 24), "serious": 0, "severity": "mild",
                     "infusion_number": k, "onset_hours_after_infusion": onset_h, "duration_hours": dur,
                     "temperature_c": round(float(rng.uniform(t_lo + 0.2, t_hi)), 1)})
    ids = pts["patient_id"].to_numpy()
    os_m = pts["os_months"].to_numpy(float)
    death_day = np.round(months_to_days(os_m)).astype(int)
    dies = (pts["death"].to_numpy() == 1) & (death_day <= window_days)
    limit = np.minimum(window_days, months_to_days(os_m))
    terms = list(prm.complication_risk)
    if terms:
        has = rng.uniform(size=(len(pts), len(terms))) < np.array([prm.complication_risk[t] for t in terms])
        onset = rng.integers(1, np.maximum(limit.astype(int), 2)[:, None], size=has.shape)
        end = onset + rng.integers(4, 21, size=has.shape)
        end = np.where(dies[:, None], np.minimum(end, death_day[:, None]), end)
        pi, ti = np.nonzero(has)
        for i, t in zip(pi, ti):
            rows.append({"patient_id": ids[i], "term": terms[t], "onset_day": int(onset[i, t]),
                         "resolution_day": int(end[i, t]), "serious": 1, "severity": "severe",
                         "infusion_number": None, "onset_hours_after_infusion": None, "duration_hours": None,
                         "temperature_c": None})
    # A death within the collection window is a fatal serious adverse event.
    causes, weights = list(prm.fatal_causes), np.array(list(prm.fatal_causes.values()), float)
    dying = np.flatnonzero(dies)
    cause = rng.choice(len(causes), size=len(dying), p=weights / weights.sum())
    before = rng.integers(0, 15, size=len(dying))
    hcc_first = (pts["hcc"].to_numpy() == 1) & (pts["hcc_months"].to_numpy(float) < os_m)
    for i, c, b_ in zip(dying, cause, before):
        rows.append({"patient_id": ids[i], "term": "hepatocellular carcinoma" if hcc_first[i] else causes[c],
                     "onset_day": int(max(death_day[i] - b_, 0)), "resolution_day": int(death_day[i]), "serious": 1,
                     "severity": "fatal", "infusion_number": None, "onset_hours_after_infusion": None,
                     "duration_hours": None, "temperature_c": None})
    out = pd.DataFrame(rows)
    return out.sort_values(["onset_day", "patient_id", "term"], kind="stable").reset_index(drop=True)


def _screening(rng: np.random.Generator, patients: pd.DataFrame, excluded: Mapping[str, int],
               first: pd.Timestamp, acc_days: float) -> pd.DataFrame:
    """Screening log: the randomized patients plus the excluded candidates (at random dates), in date order."""
    excl = [o for o, k in excluded.items() for _ in range(int(k))]
    scr = pd.DataFrame({"date": patients["randomized_on"], "outcome": "randomized", "patient_id": patients["patient_id"]})
    extra_days = rng.uniform(0, acc_days, len(excl)).round()
    scr = pd.concat([scr, pd.DataFrame({"date": [(first + pd.Timedelta(days=float(d))).strftime("%Y-%m-%d") for d in extra_days],
                                         "outcome": excl, "patient_id": None})], ignore_index=True)
    scr = scr.sort_values(["date", "outcome"], kind="stable").reset_index(drop=True)
    scr.insert(0, "screening_id", [f"S{i:03d}" for i in range(1, len(scr) + 1)])
    return scr.rename(columns={"date": "screened_on"})


# ----------------------------------------------------------------------------
# The cohort
# ----------------------------------------------------------------------------
def generate(params: SyntheticParameters | None = None, published: Published | None = None) -> dict[str, pd.DataFrame]:
    """Generate the calibrated synthetic trial.

    Parameters
    ----------
    params
        Seed and assumptions (:class:`SyntheticParameters`).
    published
        The published numbers to calibrate to (default: the paper's).

    Returns
    -------
    dict of DataFrame
        ``patients``, ``screening``, ``labs``, ``adverse_events`` in the
        schema of :mod:`analysis.trial.data`. Same parameters give identical frames.

    Notes
    -----
    Every step draws from its own stream (:func:`step_rng`, keys in :data:`STREAMS`), so a
    change to one step leaves the other steps' draws unchanged.
    """
    prm = params or SyntheticParameters()
    pub = published or load_published()
    rng = {step: step_rng(prm.seed, step) for step in STREAMS}
    c = pub.consort
    n_rand = sum(c["randomized"][a] for a in ARMS)

    alloc = allocation_list(n_rand, block_sizes=prm.block_sizes, rng=rng["allocation"])
    for a in ARMS:
        if int((alloc["arm"] == a).sum()) != c["randomized"][a]:
            raise ValueError(f"allocation list gives {int((alloc['arm'] == a).sum())} {a}, expected {c['randomized'][a]}")

    # Dispositions per arm, exact.
    disp = np.empty(n_rand, dtype=object)
    for a in ARMS:
        idx = rng["disposition"].permutation(np.flatnonzero(alloc["arm"].to_numpy() == a))
        k_w, k_l = c["withdrew"][a], c["lost_to_follow_up"][a]
        disp[idx[:k_w]] = "withdrew"
        disp[idx[k_w : k_w + k_l]] = "lost_to_follow_up"
        disp[idx[k_w + k_l :]] = "analyzed"
    n_an = {a: int(((alloc["arm"] == a) & (disp == "analyzed")).sum()) for a in ARMS}
    for a in ARMS:
        if n_an[a] != c["analyzed"][a]:
            raise ValueError(f"CONSORT arithmetic: {n_an[a]} analysed {a}, published {c['analyzed'][a]}")

    accrual_months = float(prm.accrual_months or pub.sample_size["accrual_months"])
    outcomes = _outcomes(rng["survival"], rng["hcc"], pub, n_an, prm, accrual_months)
    ages = _ages(rng["ages"], pub, n_an, prm.age_draws)
    baselines = _baselines(rng["baseline"], pub, n_an, prm)
    parts = []
    for a in ARMS:
        b = baselines[a]
        b["age"] = ages[a]
        o = outcomes[a]
        # Sicker patients die sooner: MELD acts on the hazard of death (permutational algorithm).
        pick = _pair_by_severity(rng["pairing"], b["meld"].to_numpy(float), o["os_days"].to_numpy(),
                                 o["death"].to_numpy(), prm.severity_log_hr)
        b = b.iloc[pick].reset_index(drop=True)
        parts.append(pd.concat([b, o], axis=1).assign(arm=a, disposition="analyzed"))
    others = []
    for a in ARMS:
        for d in ("withdrew", "lost_to_follow_up"):
            k = c["withdrew" if d == "withdrew" else "lost_to_follow_up"][a]
            if k:
                others.append(_baseline_uncalibrated(rng["not_analysed"], pub, k).assign(arm=a, disposition=d))
    body = pd.concat(parts + others, ignore_index=True)

    # Seat each generated patient at an allocation-list position of the same arm and disposition.
    seq = alloc.assign(disposition=disp)
    body["sequence"] = 0
    for (a, d), g in seq.groupby(["arm", "disposition"], sort=True):
        slots = rng["seating"].permutation(g["sequence"].to_numpy())
        rows = body.index[(body["arm"] == a) & (body["disposition"] == d)]
        body.loc[rows, "sequence"] = slots[: len(rows)]
    body = body.sort_values("sequence", kind="stable").reset_index(drop=True)

    # Dates: censored patients were censored at the data cut-off; the others
    # were randomized at random dates within accrual.
    first = pd.Timestamp(prm.first_date or pub.raw["recruitment"]["first_screened"])
    max_fu = months_to_days(max(pub.followup[a]["max"] for a in ARMS))
    cutoff = first + pd.Timedelta(days=round(max_fu))
    acc_days = months_to_days(accrual_months)
    rand_day = np.where(
        body["death"].fillna(1).to_numpy() == 0,
        (cutoff - first).days - body["os_days"].fillna(0).to_numpy(),
        rng["dates"].uniform(0, acc_days, len(body)).round(),
    )
    body["randomized_on"] = [(first + pd.Timedelta(days=float(d))).strftime("%Y-%m-%d") for d in rand_day]
    body = body.sort_values(["randomized_on", "sequence"], kind="stable").reset_index(drop=True)
    body["patient_id"] = [f"P{i:03d}" for i in range(1, len(body) + 1)]
    body["os_months"] = np.round(days_to_months(body["os_days"]), 3)
    body["hcc_months"] = np.round(days_to_months(body["hcc_days"]), 3)

    cols = ["patient_id", "arm", "disposition", "randomized_on", "age", "sex", "tp", "alb", "plt", "cr", "alt",
            "ast", "tbil", "pta", "che", "inr", "meld", "hbeag", "child_pugh", "ascites",
            "os_months", "death", "hcc_months", "hcc"]
    patients = body[cols].copy()
    for cint in ("death", "hcc"):
        patients[cint] = patients[cint].astype("Int64")

    scr = _screening(rng["screening"], patients, c["excluded"], first, acc_days)
    an = patients[patients["disposition"] == "analyzed"]
    labs = _labs(rng["labs"], an, prm.lab_effects)
    aes = _adverse_events(rng["adverse_events"], an, pub, prm)
    return {"patients": patients, "screening": scr, "labs": labs, "adverse_events": aes}


def _params_dict(prm: SyntheticParameters) -> dict:
    def conv(o):
        if isinstance(o, dict):
            return {str(k): conv(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [conv(v) for v in o]
        return o

    return conv(asdict(prm))


def write_cohort(out_dir: str | Path, params: SyntheticParameters | None = None) -> Path:
    """Generate the cohort and write it as a trial data folder.

    Files are written to a temporary folder, validated with
    :func:`analysis.trial.data.load_trial`, and only then moved into place, so a
    failure never leaves a half-written folder.

    Parameters
    ----------
    out_dir : path-like
        The data folder to write (created if needed; its cohort files are replaced).
    params : SyntheticParameters, optional
        Generator settings (default: ``SyntheticParameters()``, the committed cohort's).

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    import shutil
    import tempfile

    prm = params or SyntheticParameters()
    out = Path(out_dir)
    tables = generate(prm)
    tmp = Path(tempfile.mkdtemp(prefix=".cohort-", dir=out.parent if out.parent.exists() else None))
    try:
        for name, df in tables.items():
            df.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n", float_format="%.10g")
        meta = {
            "name": "Synthetic cohort calibrated to Shi et al. (2021)",
            "synthetic": True,
            "generator": "analysis.trial.synthetic.generate",
            "parameters": _params_dict(prm),
            "random_streams": {
                "method": "numpy.random.default_rng(numpy.random.SeedSequence([seed, key])), "
                          "one independent stream per generation step",
                "keys": dict(STREAMS),
            },
        }
        (tmp / "dataset.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
        load_trial(tmp)  # validate before publishing
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(tmp.iterdir()):
            shutil.move(str(f), out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def cohort_digest(folder: str | Path) -> str:
    """SHA-256 over the folder's files (names and bytes, sorted by name).

    Parameters
    ----------
    folder : path-like
        A data folder.

    Returns
    -------
    str
        The hexadecimal digest (hidden files are skipped).
    """
    h = hashlib.sha256()
    for f in sorted(Path(folder).iterdir()):
        if f.is_file() and not f.name.startswith("."):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()

