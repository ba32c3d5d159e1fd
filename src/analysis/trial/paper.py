"""The paper-specific uses of the toolkit: the published sample-size plan and its effect
scenarios, observed dropout and accrual, and the comparison of landmark windows with the
published ones. Everything here reads :class:`~analysis.trial.published.Published`.
"""

from __future__ import annotations

import pandas as pd

from ..toolkit.agreement import Tolerance, agreement
from ..toolkit.design import PiecewiseExponential, Scenario, SurvivalDesign, dropout_hazard, hazard_from_survival
from ..toolkit.survival import ENDPOINTS, cox_hr, endpoint_frame
from ..toolkit.units import days_to_months
from .published import Published, load_published

__all__ = ["READINGS", "observed_dropout", "paper_design", "reported_effect_hazards", "reported_effect_design", "paper_scenarios", "observed_accrual_months", "landmark_comparison"]


# ----------------------------------------------------------------------------
# The paper's design, from the published numbers
# ----------------------------------------------------------------------------
#: Readings of the paper's "follow for over 75 months".
READINGS = {
    "total_duration": "the study ends 75 months after the first patient entered (minimum follow-up 75 - accrual)",
    "minimum_follow_up": "every patient is followed for at least 75 months (study duration accrual + 75)",
}


def observed_dropout(published: Published | None = None, *, time: float | None = None) -> dict:
    """Arm-specific exponential dropout hazards implied by the published CONSORT flow.

    Dropout = withdrew consent + lost to follow-up, out of those randomized, read as the
    probability of dropping out by ``time`` (default: the paper's follow-up horizon),
    converted with :func:`dropout_hazard` (rpact's ``dropoutRate``/``dropoutTime``).

    Parameters
    ----------
    published : Published, optional
        Published numbers (default ``None``: the paper's, :func:`load_published`); its
        ``consort`` flow gives the counts.
    time : float, optional
        Months by which the dropout fraction is reached (default ``None``: the published
        follow-up horizon).

    Returns
    -------
    dict
        ``fraction_control``, ``fraction_ucmsc`` (dropout fractions), ``hazard_control``,
        ``hazard_ucmsc`` (exponential dropout hazards per month) and ``time`` (months).
    """
    pub = published or load_published()
    c = pub.consort
    t = float(pub.horizon if time is None else time)
    out = {"time": t}
    for arm in ("control", "ucmsc"):
        lost = c["withdrew"][arm] + c["lost_to_follow_up"][arm]
        frac = lost / c["randomized"][arm]
        out[f"fraction_{arm}"] = frac
        out[f"hazard_{arm}"] = dropout_hazard(frac, t)
    return out


def paper_design(
    published: Published | None = None,
    *,
    reading: str = "total_duration",
    dropout_control: float = 0.0,
    dropout_treatment: float = 0.0,
) -> SurvivalDesign:
    """The paper's planned design (Methods, sample size) as a :class:`SurvivalDesign`.

    Exponential hazards from the planned ``survival_time_months`` survival
    probabilities of each arm (``sample_size`` in the published YAML), uniform accrual over
    ``accrual_months``, 1:1 allocation. The treatment arm is UC-MSC.

    Parameters
    ----------
    published : Published, optional
        Published numbers (default ``None``: the paper's, :func:`load_published`); its
        ``sample_size`` section gives the planned survival, accrual and follow-up.
    reading : {"total_duration", "minimum_follow_up"}
        How to read "follow for over 75 months" (default ``"total_duration"``): analysis 75
        months after the first entry (minimum follow-up 75 - accrual), or every patient
        followed 75 months. See :data:`READINGS`.
    dropout_control, dropout_treatment : float, default 0.0
        Exponential dropout hazards per month (the plan stated none; see :func:`observed_dropout`).

    Returns
    -------
    SurvivalDesign
        Exponential hazards per month (control and UC-MSC as the treatment arm), uniform accrual,
        minimum follow-up in months under ``reading``, the given dropout and 1:1 allocation.

    See Also
    --------
    analysis.toolkit.design.sample_size_survival : the sample size under this design
        (R: ``rpact::getSampleSizeSurvival``).
    """
    if reading not in READINGS:
        raise ValueError(f"reading must be one of {tuple(READINGS)}, got {reading!r}")
    pub = published or load_published()
    ss = pub.sample_size
    t = float(ss["survival_time_months"])
    lc = hazard_from_survival(float(ss["survival_control"]), t)
    lt = hazard_from_survival(float(ss["survival_ucmsc"]), t)
    R = float(ss["accrual_months"])
    horizon = float(ss["followup_months"])
    fu = horizon - R if reading == "total_duration" else horizon
    if fu < 0:
        raise ValueError(f"follow-up {horizon} months is shorter than accrual {R} months under reading {reading!r}")
    return SurvivalDesign(
        hazard_control=lc,
        hazard_treatment=lt,
        accrual_time=R,
        follow_up=fu,
        dropout_control=dropout_control,
        dropout_treatment=dropout_treatment,
        label=f"paper plan ({reading.replace('_', ' ')})",
    )


def reported_effect_hazards(
    published: Published | None = None,
    *,
    endpoint: str = "os",
    control_hazard: float | None = None,
) -> tuple[PiecewiseExponential, PiecewiseExponential]:
    """Piecewise-exponential hazards (control, UC-MSC) that reproduce the paper's landmark result.

    Assumptions (documented, since the paper reports hazard ratios but no hazards):

    - the control hazard is constant; by default it is the planned one
      (``-log(survival_control) / survival_time_months``, 60% at 60 months);
    - the UC-MSC hazard is the control hazard divided by the published landmark hazard
      ratios (control relative to UC-MSC) before and after the landmark
      (the overall-survival landmark hazard ratios of the published YAML).

    Parameters
    ----------
    published : Published, optional
        Published numbers (default ``None``: the paper's, :func:`load_published`).
    endpoint : {"os", "hcc"}
        Endpoint whose landmark hazard ratios are used (default ``"os"``; a key of
        ``published.landmarks``).
    control_hazard : float, optional
        Constant control hazard per month (default ``None``: the planned one).

    Returns
    -------
    (PiecewiseExponential, PiecewiseExponential)
        Control and UC-MSC hazards per month, breaks at 0 and the landmark (months).
    """
    pub = published or load_published()
    if endpoint not in pub.landmarks:
        raise ValueError(f"endpoint must be one of {sorted(pub.landmarks)}, got {endpoint!r}")
    L = pub.landmarks[endpoint]
    early = pub.landmark_hr(endpoint, "early").hr
    late = pub.landmark_hr(endpoint, "late").hr
    if control_hazard is None:
        ss = pub.sample_size
        control_hazard = hazard_from_survival(float(ss["survival_control"]), float(ss["survival_time_months"]))
    hc = PiecewiseExponential((control_hazard, control_hazard), (0.0, L))
    ht = PiecewiseExponential((control_hazard / early, control_hazard / late), (0.0, L))
    return hc, ht


def reported_effect_design(
    published: Published | None = None, *, reading: str = "total_duration", endpoint: str = "os"
) -> SurvivalDesign:
    """The planned accrual and follow-up with the hazards of :func:`reported_effect_hazards`.

    This is the design under the effect the paper reports (no difference before the
    landmark, a large one after), for power calculations under non-proportional hazards
    (``method="asymptotic"`` or simulation). UC-MSC is the treatment arm.

    Parameters
    ----------
    published : Published, optional
        Published numbers (default ``None``: the paper's, :func:`load_published`).
    reading : {"total_duration", "minimum_follow_up"}
        Reading of the planned follow-up (default ``"total_duration"``), as in :func:`paper_design`.
    endpoint : {"os", "hcc"}
        Endpoint whose landmark hazard ratios are used (default ``"os"``).

    Returns
    -------
    SurvivalDesign
        :func:`paper_design` with the piecewise-exponential hazards of
        :func:`reported_effect_hazards` (non-proportional hazards).
    """
    hc, ht = reported_effect_hazards(published, endpoint=endpoint)
    return paper_design(published, reading=reading).with_(
        hazard_control=hc, hazard_treatment=ht, label=f"reported effect ({reading.replace('_', ' ')})"
    )


def paper_scenarios(published: Published | None = None) -> list[Scenario]:
    """The sample sizes the paper planned and analysed, under its own planning assumptions.

    - the plan (``n_per_arm``), under both readings of the follow-up (:data:`READINGS`);
    - the inflated plan (``n_per_arm_inflated``) with the dropout observed in the CONSORT flow
      (withdrew + lost to follow-up, :func:`observed_dropout`), both readings;
    - the analysed patients (control and UC-MSC as published, unequal allocation), no
      further dropout, both readings (the paper analysed only those followed up).

    Parameters
    ----------
    published : Published, optional
        Published numbers (default ``None``: the paper's, :func:`load_published`).

    Returns
    -------
    list of Scenario
        Six scenarios (three per reading, in the order above), each with its label, its
        :class:`SurvivalDesign` and its total number of patients.
    """
    pub = published or load_published()
    ss = pub.sample_size
    c = pub.consort
    od = observed_dropout(pub)
    out = []
    for reading in READINGS:
        short = "75 months total" if reading == "total_duration" else "75 months minimum follow-up"
        base = paper_design(pub, reading=reading)
        n = 2 * float(ss["n_per_arm"])
        out.append(Scenario(f"Plan: {ss['n_per_arm']} per arm ({short})", base, n))
        n2 = 2 * float(ss["n_per_arm_inflated"])
        out.append(
            Scenario(
                f"{ss['n_per_arm_inflated']} per arm, observed dropout ({short})",
                base.with_(dropout_control=od["hazard_control"], dropout_treatment=od["hazard_ucmsc"]),
                n2,
            )
        )
        nc, nt = c["analyzed"]["control"], c["analyzed"]["ucmsc"]
        out.append(Scenario(f"Analysed: {nc} vs {nt} ({short})", base.with_(allocation=nt / nc), float(nc + nt)))
    return out


def observed_accrual_months(published: Published | None = None) -> float:
    """Months between the first and last screening dates the paper reports (its actual accrual).

    Days are converted by :func:`analysis.toolkit.units.days_to_months` (30.4375 days per month).

    Parameters
    ----------
    published : Published, optional
        Published numbers (default ``None``: the paper's, :func:`load_published`); its
        ``recruitment`` section gives the first and last screening dates.

    Returns
    -------
    float
        Accrual duration in months.
    """
    pub = published or load_published()
    rec = pub.raw["recruitment"]
    days = (pd.Timestamp(rec["last_screened"]) - pd.Timestamp(rec["first_screened"])).days
    return days_to_months(days)


def landmark_comparison(
    trial,
    published: Published,
    *,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
    hr_tolerance: float = 0.10,
) -> pd.DataFrame:
    """The six published hazard ratios beside the cohort's.

    Parameters
    ----------
    trial : Trial or pandas.DataFrame
        Trial (or analysed-patients frame).
    published : Published
        :func:`analysis.trial.published.load_published` output; its hazard ratios
        give the endpoints and windows (so nothing is hard-coded here).
    direction : str, default "control_vs_ucmsc"
        Must be the published convention (``"control_vs_ucmsc"``) for the
        ratio column to make sense; the other direction is refused.
    alpha : float, default 0.05
        1 - confidence level of the cohort's Wald intervals.
    hr_tolerance : float, default 0.10
        Largest ``|log(cohort / published)|`` at which a hazard ratio and each of its
        limits agree with the paper's (default 0.10, the synthetic cohort's calibration
        target for hazard ratios and their limits).

    Returns
    -------
    pandas.DataFrame
        Index: the published key (e.g. ``os.landmark13.late``). Columns
        ``endpoint``, ``label``, ``start``, ``end``, the cohort's ``hr``,
        ``ci_low``, ``ci_high``, ``p``, ``p_logrank``, ``events``; the paper's
        ``hr_published``, ``ci_low_published``, ``ci_high_published``,
        ``p_published``; ``hr_ratio`` = cohort HR / published HR; and ``status``, one of
        :data:`analysis.toolkit.agreement.STATUSES`: :func:`~analysis.toolkit.agreement.agreement`
        of the HR with ``Tolerance("log_ratio", hr_tolerance)``, ``"differs"`` also when either
        limit does not agree (the rule of the results ledger). On data without an endpoint (a
        survival-only dataset with one endpoint) that endpoint's rows have NaN estimates and status
        ``"not computable"``.
    """
    from ..toolkit.schema import Trial
    from ..trial.published import HR_CONVENTION

    if direction != HR_CONVENTION:
        raise ValueError(f"direction must be {HR_CONVENTION!r} (the published convention) to compare, got {direction!r}")
    horizon = published.horizon
    patients = trial.analyzed if isinstance(trial, Trial) else trial
    frames = {ep: endpoint_frame(trial, ep, horizon) for ep, (tcol, _, _) in ENDPOINTS.items()
              if tcol not in patients.columns or patients.empty or patients[tcol].notna().any()}  # else absent
    pub = published.hr_frame()
    tol = Tolerance("log_ratio", hr_tolerance)
    rows = []
    for key, h in pub.iterrows():
        if h["endpoint"] not in frames:
            rows.append({"key": key, "endpoint": h["endpoint"], "label": h["label"], "start": h["start"],
                         "end": h["end"], "hr": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"),
                         "p": float("nan"), "p_logrank": float("nan"), "events": float("nan"),
                         "hr_published": h["hr"], "ci_low_published": h["ci_low"],
                         "ci_high_published": h["ci_high"], "p_published": h["p"], "hr_ratio": float("nan"),
                         "status": "not computable"})
            continue
        r = cox_hr(frames[h["endpoint"]], start=h["start"], end=h["end"], direction=direction, alpha=alpha)
        status = agreement(r.hr, h["hr"], tol)
        if status == "agrees" and any(agreement(x, h[c], tol) != "agrees"
                                      for x, c in ((r.ci_low, "ci_low"), (r.ci_high, "ci_high"))):
            status = "differs"
        rows.append({
            "key": key, "endpoint": h["endpoint"], "label": h["label"], "start": h["start"], "end": h["end"],
            "hr": r.hr, "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p, "p_logrank": r.p_logrank,
            "events": r.events_control + r.events_ucmsc,
            "hr_published": h["hr"], "ci_low_published": h["ci_low"], "ci_high_published": h["ci_high"],
            "p_published": h["p"], "hr_ratio": r.hr / h["hr"], "status": status,
        })
    return pd.DataFrame(rows).set_index("key")
