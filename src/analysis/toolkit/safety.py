"""Safety: adverse-event tables, infusion reactions, between-arm comparisons, HCC incidence.

Tables follow the way trial reports give adverse events (ICH E3 section 12.2;
CONSORT harms extension, Ioannidis et al. 2004): per arm, the number of
patients with at least one event (and its percentage of the patients
exposed) and the number of events, by term and by seriousness, with the
denominators stated.

Conventions (explicit arguments with these defaults):

- Denominator ("patients exposed"): the analysed patients of each arm
  (``population="analyzed"``). The paper does not define its safety
  population; the analysed set is the one it reports for every other
  outcome. ``population="randomized"`` counts every randomized patient.
- Collection window: events with ``onset_day <= window_days``; the default
  ``None`` keeps every event (the chapter passes the paper's 48 weeks).
- Between-arm comparisons: risk difference **UC-MSC minus control**
  (``direction``) with Newcombe's hybrid score interval (method 10 of
  Newcombe 1998; recommended by Fagerland et al. 2015), and the two-sided
  Fisher exact test of the 2 x 2 table of patients with and without the
  event (the paper names Fisher's and the chi-square test for categorical
  data).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import disclosure
from .agreement import STATUSES
from .conventions import validate_choice, validate_conf_level, validate_direction, validate_population
from .schema import ARM_LABELS, ARMS, SEVERITIES, Trial
from .disclosure import protected_summary

__all__ = [
    "ANY_EVENT",
    "exposed",
    "ae_frame",
    "compare_proportions",
    "ae_by_term",
    "ae_by_seriousness",
    "infusion_reactions",
    "hcc_incidence",
    "incidence_test",
    "safety_statements",
]

#: Label of the "any adverse event" row.
ANY_EVENT = "Any adverse event"

_METHODS = {"newcombe": "newcomb", "wald": "wald"}
_INFUSION_PREFIX = "infusion-related "


# ----------------------------------------------------------------------------
# Populations and the event frame
# ----------------------------------------------------------------------------
def _population(trial: Trial, population: str) -> pd.DataFrame:
    validate_population(population)
    return trial.analyzed if population == "analyzed" else trial.patients


def exposed(trial: Trial, *, population: str = "analyzed") -> pd.Series:
    """Patients exposed per arm: the denominators of every table.

    Parameters
    ----------
    trial : Trial
        The trial.
    population : {"analyzed", "randomized"}, default "analyzed"
        ``"analyzed"`` (default; the paper's analysis set) or ``"randomized"``.

    Returns
    -------
    pandas.Series
        Number of patients, indexed by arm (control first).
    """
    p = _population(trial, population)
    return p["arm"].value_counts().reindex(list(ARMS), fill_value=0).rename("n")


def ae_frame(trial: Trial, *, population: str = "analyzed", window_days: float | None = None) -> pd.DataFrame:
    """Adverse events of the population's patients with onset inside the collection window.

    Parameters
    ----------
    trial : Trial
        A trial with ``adverse_events.csv``.
    population : {"analyzed", "randomized"}, default "analyzed"
        ``"analyzed"`` (default) or ``"randomized"``; events of other patients
        are dropped.
    window_days : float, optional
        Keep events with ``onset_day <= window_days``; ``None`` (default)
        keeps all.

    Returns
    -------
    pandas.DataFrame
        The events with an ``arm`` column added and ``term`` lower-cased and
        stripped.

    Raises
    ------
    ValueError
        If the trial has no adverse-event table or ``window_days`` is negative.
    """
    if trial.adverse_events is None:
        raise ValueError("trial.adverse_events is None: the trial has no adverse_events.csv")
    if window_days is not None and not window_days >= 0:
        raise ValueError(f"window_days must be >= 0 or None, got {window_days}")
    p = _population(trial, population)
    ae = trial.adverse_events.merge(p[["patient_id", "arm"]], on="patient_id", how="inner")
    ae["term"] = ae["term"].str.strip().str.lower()
    if window_days is not None:
        ae = ae[ae["onset_day"] <= window_days]
    return ae.reset_index(drop=True)


# ----------------------------------------------------------------------------
# Two proportions
# ----------------------------------------------------------------------------
def compare_proportions(
    x_ucmsc: int,
    n_ucmsc: int,
    x_control: int,
    n_control: int,
    *,
    method: str = "newcombe",
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> dict[str, float]:
    """Risk difference with confidence interval and Fisher's exact test.

    Parameters
    ----------
    x_ucmsc, n_ucmsc, x_control, n_control : int
        Patients with the event and patients exposed, per arm.
    method : {"newcombe", "wald"}, default "newcombe"
        ``"newcombe"`` (default): hybrid score interval, method 10 of
        Newcombe (1998), built from the two Wilson score intervals;
        ``"wald"``: the simple Wald interval (for comparison only; poor
        coverage with few events).
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "ucmsc_vs_control"
        ``"ucmsc_vs_control"`` (default): UC-MSC minus control; or the
        reverse.
    conf_level : float, default 0.95
        Confidence level.

    Returns
    -------
    dict
        ``risk_ucmsc``, ``risk_control``, ``risk_diff``, ``ci_low``,
        ``ci_high``, ``p_fisher`` (two-sided).

    Notes
    -----
    The interval is statsmodels' ``confint_proportions_2indep(...,
    method="newcomb")``; the test is ``scipy.stats.fisher_exact``, which
    matches ``fisher.test(matrix(c(x1, n1 - x1, x2, n2 - x2), 2, byrow =
    TRUE))$p.value`` in R. R has no base function for the Newcombe
    interval; ``PropCIs::diffscoreci`` is the score (Miettinen-Nurminen
    type) interval, a different method.

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Stat Med
    17:873-890.
    Fagerland MW, Lydersen S, Laake P (2015). Recommended confidence
    intervals for two independent binomial proportions. Stat Methods Med
    Res 24:224-254.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    validate_choice(method, tuple(_METHODS), "method")
    validate_direction(direction)
    validate_conf_level(conf_level)
    for name, x, n in (("x_ucmsc", x_ucmsc, n_ucmsc), ("x_control", x_control, n_control)):
        if not (n > 0 and 0 <= x <= n) or int(x) != x or int(n) != n:
            raise ValueError(f"{name} must be an integer count between 0 and its n (> 0), got {x} of {n}")
    x1, n1, x2, n2 = (x_ucmsc, n_ucmsc, x_control, n_control)
    if direction == "control_vs_ucmsc":
        x1, n1, x2, n2 = x2, n2, x1, n1
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method=_METHODS[method], compare="diff",
                                        alpha=1 - conf_level)
    table = [[x_ucmsc, n_ucmsc - x_ucmsc], [x_control, n_control - x_control]]
    return {
        "risk_ucmsc": x_ucmsc / n_ucmsc,
        "risk_control": x_control / n_control,
        "risk_diff": x1 / n1 - x2 / n2,
        "ci_low": float(max(lo, -1.0)),
        "ci_high": float(min(hi, 1.0)),
        "p_fisher": float(stats.fisher_exact(table).pvalue),
    }


# ----------------------------------------------------------------------------
# AE tables
# ----------------------------------------------------------------------------
def _row(label: str, sub: pd.DataFrame, n: pd.Series, method: str, direction: str, conf_level: float) -> dict:
    row: dict[str, Any] = {"term": label}
    for arm in ARMS:
        s = sub[sub["arm"] == arm]
        row[f"patients_{arm}"] = int(s["patient_id"].nunique())
        row[f"events_{arm}"] = int(len(s))
        row[f"n_{arm}"] = int(n[arm])
        row[f"pct_{arm}"] = 100.0 * row[f"patients_{arm}"] / n[arm] if n[arm] else np.nan
    row.update(compare_proportions(row["patients_ucmsc"], row["n_ucmsc"], row["patients_control"],
                                   row["n_control"], method=method, direction=direction, conf_level=conf_level))
    del row["risk_ucmsc"], row["risk_control"]
    return row


def _select(ae: pd.DataFrame, term: str) -> pd.DataFrame:
    """Events of a term; 'infusion-related X' means X linked to an infusion."""
    t = term.strip().lower()
    if t.startswith(_INFUSION_PREFIX):
        base = t[len(_INFUSION_PREFIX):]
        linked = ae["infusion_number"].notna() if "infusion_number" in ae.columns else pd.Series(False, ae.index)
        return ae[(ae["term"] == base) & linked]
    return ae[ae["term"] == t]


def ae_by_term(
    trial: Trial,
    *,
    terms: Sequence[str] | None = None,
    include_other: bool = True,
    population: str = "analyzed",
    window_days: float | None = None,
    serious_only: bool = False,
    method: str = "newcombe",
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Patients with at least one event and number of events, by term and arm.

    Parameters
    ----------
    trial : Trial
        A trial with ``adverse_events.csv``.
    terms : sequence of str, optional
        Terms to show first, in this order, even when nobody had them (so that
        an absence is shown as 0). A term ``"infusion-related X"`` counts
        events of term X with an ``infusion_number``.
    include_other : bool, default True
        Also show every other term found (most frequent first).
    population : {"analyzed", "randomized"}, default "analyzed"
        Whose events are counted and who forms the denominators (see :func:`ae_frame`).
    window_days : float, optional
        Keep events with ``onset_day <= window_days`` (days from randomization); ``None``
        (default) keeps all.
    serious_only : bool, default False
        Count serious events only.
    method : {"newcombe", "wald"}, default "newcombe"
        Interval of the risk difference (see :func:`compare_proportions`).
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "ucmsc_vs_control"
        Risk difference UC-MSC minus control (default) or the reverse.
    conf_level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        First row :data:`ANY_EVENT`, then one row per term; columns ``term``,
        ``patients_control``, ``events_control``, ``n_control``,
        ``pct_control``, the same for ``ucmsc``, ``risk_diff``, ``ci_low``,
        ``ci_high``, ``p_fisher``. ``pct`` is the percentage of patients
        exposed with at least one event.

    Raises
    ------
    ValueError
        If the trial has no adverse-event table.

    Notes
    -----
    R: ``stats::fisher.test`` on each row's 2 x 2 table of patients with and
    without the event; the Newcombe interval from two Wilson intervals
    (``stats::prop.test(x, n, correct = FALSE)$conf.int``), as in
    ``tests/reference/safety_reference.R``.

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Stat Med
    17:873-890.
    """
    ae = ae_frame(trial, population=population, window_days=window_days)
    if serious_only:
        ae = ae[ae["serious"] == 1]
    n = exposed(trial, population=population)
    rows = [_row(ANY_EVENT, ae, n, method, direction, conf_level)]
    shown = [t.strip().lower() for t in (terms or [])]
    for t in shown:
        rows.append(_row(t, _select(ae, t), n, method, direction, conf_level))
    if include_other:
        counts = ae.groupby("term")["patient_id"].nunique().sort_values(ascending=False, kind="stable")
        for t in counts.index:
            if t not in shown:
                rows.append(_row(t, ae[ae["term"] == t], n, method, direction, conf_level))
    return pd.DataFrame(rows)


def ae_by_seriousness(
    trial: Trial,
    *,
    population: str = "analyzed",
    window_days: float | None = None,
    method: str = "newcombe",
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Patients with at least one event and events, by seriousness and by severity.

    Parameters
    ----------
    trial : Trial
        A trial with ``adverse_events.csv`` (columns ``serious`` 0/1 and
        ``severity``).
    population : {"analyzed", "randomized"}, default "analyzed"
        Whose events are counted and who forms the denominators (see
        :func:`ae_frame` and :func:`exposed`).
    window_days : float, optional
        Keep events with ``onset_day <= window_days`` (days from
        randomization); ``None`` (default) keeps all. The chapter passes the
        paper's 48 weeks.
    method : {"newcombe", "wald"}, default "newcombe"
        Interval of the risk difference (see :func:`compare_proportions`).
    direction : {"ucmsc_vs_control", "control_vs_ucmsc"}, default "ucmsc_vs_control"
        Risk difference UC-MSC minus control (default) or the reverse.
    conf_level : float, default 0.95
        Confidence level of the risk-difference interval.

    Returns
    -------
    pandas.DataFrame
        Rows :data:`ANY_EVENT`, ``serious``, ``non-serious`` and one per
        severity grade (``mild`` ... ``fatal``), with the columns of
        :func:`ae_by_term` (the label in ``term``; per arm ``patients_*``,
        ``events_*``, ``n_*``, ``pct_*``; ``risk_diff``, ``ci_low``,
        ``ci_high``, ``p_fisher``) plus a first column ``category``
        (``any``, ``seriousness`` or ``severity``).

    Raises
    ------
    ValueError
        If the trial has no adverse-event table.

    Notes
    -----
    R: ``stats::fisher.test`` on each row's 2 x 2 table of patients with and
    without an event; the Newcombe interval from two Wilson intervals
    (``stats::prop.test(x, n, correct = FALSE)$conf.int``), as in
    ``tests/reference/safety_reference.R``.

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Stat Med
    17:873-890.
    """
    ae = ae_frame(trial, population=population, window_days=window_days)
    n = exposed(trial, population=population)
    groups = [("any", ANY_EVENT, ae), ("seriousness", "serious", ae[ae["serious"] == 1]),
              ("seriousness", "non-serious", ae[ae["serious"] == 0])]
    groups += [("severity", s, ae[ae["severity"] == s]) for s in SEVERITIES]
    rows = []
    for cat, label, sub in groups:
        r = _row(label, sub, n, method, direction, conf_level)
        r["category"] = cat
        rows.append(r)
    out = pd.DataFrame(rows)
    return out[["category", *[c for c in out.columns if c != "category"]]]


def infusion_reactions(
    trial: Trial,
    *,
    population: str = "analyzed",
    by_infusion: bool = False,
    protect: bool | None = None,
) -> pd.DataFrame:
    """Events linked to an infusion: onset after the infusion and duration, by term.

    Parameters
    ----------
    trial : Trial
        A trial whose adverse events carry ``infusion_number`` (and, ideally,
        ``onset_hours_after_infusion`` and ``duration_hours``).
    population : {"analyzed", "randomized"}, default "analyzed"
        See :func:`ae_frame`.
    by_infusion : bool, default False
        Also split by infusion number (1, 2, 3).
    protect : bool, optional
        Apply the small-cell rule (:mod:`analysis.toolkit.disclosure`): cells of fewer than 5 patients
        show counts only and ranges are rounded outwards (whole hours, 0.5 °C). Default: on
        real data (``trial.synthetic`` False), not on the synthetic cohort.

    Returns
    -------
    pandas.DataFrame
        One row per term and arm (and infusion): ``patients``, ``events``,
        ``onset_min``, ``onset_median``, ``onset_max`` (hours after the
        infusion), ``duration_min``, ``duration_median``, ``duration_max``
        (hours), ``n_timed`` (events with both times recorded), and
        ``temperature_min``, ``temperature_max`` (°C) when the data carry
        ``temperature_c``. Empty (with these columns) if no event is linked
        to an infusion.

    Notes
    -----
    Median as R's ``median`` (mean of the two middle values for an even
    count).
    """
    protect = disclosure.applies(trial) if protect is None else protect
    ae = ae_frame(trial, population=population)
    cols = ["term", "arm", *(["infusion_number"] if by_infusion else []), "patients", "events",
            "onset_min", "onset_median", "onset_max", "duration_min", "duration_median", "duration_max", "n_timed"]
    temp = "temperature_c" in ae.columns
    if temp:
        ae["temperature_c"] = pd.to_numeric(ae["temperature_c"], errors="coerce")
        cols += ["temperature_min", "temperature_max"]
    if "infusion_number" not in ae.columns:
        return pd.DataFrame(columns=cols)
    f = ae[ae["infusion_number"].notna()].copy()
    for c in ("onset_hours_after_infusion", "duration_hours"):
        if c not in f.columns:
            f[c] = np.nan
    keys = ["term", "arm", *(["infusion_number"] if by_infusion else [])]
    rows = []
    for k, g in f.groupby(keys, observed=True):
        on, du = g["onset_hours_after_infusion"], g["duration_hours"]
        r = dict(zip(keys, k if isinstance(k, tuple) else (k,)))
        n_pat = int(g["patient_id"].nunique())
        r.update(patients=n_pat, events=int(len(g)), n_timed=int((on.notna() & du.notna()).sum()))
        for name, values, step in (("onset", on, 1.0), ("duration", du, 1.0)):
            ps = protected_summary(values, patients=n_pat, step=step, protect=protect)
            r.update({f"{name}_{k}": v for k, v in ps.items()})
        if temp:
            ps = protected_summary(g["temperature_c"], patients=n_pat, step=0.5, protect=protect)
            r.update(temperature_min=ps["min"], temperature_max=ps["max"])
        rows.append(r)
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------
# HCC incidence
# ----------------------------------------------------------------------------
def incidence_test(
    events_control: int,
    n_control: int,
    events_ucmsc: int,
    n_ucmsc: int,
    *,
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Compare two cumulative incidences (events / patients): tests and risk difference.

    Parameters
    ----------
    events_control : int
        Patients with the event in the control arm.
    n_control : int
        Patients in the control arm (> 0).
    events_ucmsc : int
        Patients with the event in the UC-MSC arm.
    n_ucmsc : int
        Patients in the UC-MSC arm (> 0).
    direction : {"ucmsc_vs_control", "control_vs_ucmsc"}, default "ucmsc_vs_control"
        Risk difference UC-MSC minus control (default) or control minus
        UC-MSC.
    conf_level : float, default 0.95
        Confidence level of the Newcombe interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``events_control``, ``n_control``, ``pct_control``, the
        same for ``ucmsc``, ``risk_diff`` (UC-MSC minus control by default)
        with Newcombe ``ci_low``, ``ci_high``, ``p_fisher``, ``p_chisq``
        (Pearson, no continuity correction) and ``p_chisq_yates`` (with
        Yates' correction).

    Raises
    ------
    ValueError
        If a count is not an integer between 0 and its arm's size.

    Notes
    -----
    ``scipy.stats.chi2_contingency``; matches ``chisq.test(tab, correct =
    TRUE / FALSE)`` and ``fisher.test(tab)`` in R. Both chi-square p values
    are ``nan`` when nobody (or everybody) had the event.

    References
    ----------
    Yates F (1934). Contingency tables involving small numbers and the chi2
    test. Suppl J R Stat Soc 1:217-235. Newcombe (1998), see
    :func:`compare_proportions`.
    """
    cmp = compare_proportions(events_ucmsc, n_ucmsc, events_control, n_control, direction=direction,
                              conf_level=conf_level)
    tab = np.array([[events_ucmsc, n_ucmsc - events_ucmsc], [events_control, n_control - events_control]])
    if (tab.sum(axis=0) == 0).any():
        p_c = p_y = np.nan  # a column of zeros: chi-square undefined
    else:
        p_c = float(stats.chi2_contingency(tab, correction=False).pvalue)
        p_y = float(stats.chi2_contingency(tab, correction=True).pvalue)
    return pd.DataFrame([{
        "events_control": int(events_control), "n_control": int(n_control),
        "pct_control": 100.0 * events_control / n_control,
        "events_ucmsc": int(events_ucmsc), "n_ucmsc": int(n_ucmsc), "pct_ucmsc": 100.0 * events_ucmsc / n_ucmsc,
        "risk_diff": cmp["risk_diff"], "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
        "p_fisher": cmp["p_fisher"], "p_chisq": p_c, "p_chisq_yates": p_y,
    }])


def hcc_incidence(
    trial: Trial,
    *,
    horizon: float | None = None,
    published: Mapping[str, Any] | None = None,
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cumulative HCC incidence per arm (events / analysed patients) and its tests.

    Parameters
    ----------
    trial : Trial
        The trial (analysed patients).
    horizon : float, optional
        Count HCC diagnosed at ``hcc_months <= horizon``; ``None`` (default)
        counts all. The chapter passes the paper's 75 months.
    published : mapping, optional
        ``load_published().hcc_incidence``; if given, a second row applies the
        same tests to the published counts (the paper prints the counts but
        no test of them).
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "ucmsc_vs_control"
        Risk difference UC-MSC minus control (default) or the reverse (see
        :func:`incidence_test`).
    conf_level : float, default 0.95
        Confidence level of the Newcombe interval.

    Returns
    -------
    pandas.DataFrame
        Rows ``source`` = ``cohort`` (and ``published``) with the columns of
        :func:`incidence_test`. On data without HCC outcomes (``hcc_months`` empty: a
        survival-only dataset with overall survival only) the cohort row's events, percentages,
        difference and p values are NaN.

    Notes
    -----
    A crude proportion: it ignores that patients who died, or were followed
    for less than the horizon, could not be diagnosed later. The survival
    chapter gives the time-to-event and competing-risk views.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Stat Med 1998;17:873-890. Fisher RA. The logic of inductive
    inference. J R Stat Soc 1935;98:39-82.
    """
    p = trial.analyzed
    if horizon is not None and not horizon > 0:
        raise ValueError(f"horizon must be > 0 months or None, got {horizon}")
    ev = p["hcc"].fillna(0).astype(int).eq(1)
    if horizon is not None:
        ev &= p["hcc_months"] <= horizon
    counts = {arm: (int(ev[p["arm"] == arm].sum()), int((p["arm"] == arm).sum())) for arm in ARMS}
    rows = [incidence_test(*counts["control"], *counts["ucmsc"], direction=direction, conf_level=conf_level)
            .assign(source="cohort")]
    if not trial.has_outcome("hcc_months"):  # no HCC outcome recorded: nothing to count
        gone = [c for c in rows[0].columns if c not in ("source", "n_control", "n_ucmsc")]
        rows[0] = rows[0].astype({c: float for c in gone}).assign(**{c: np.nan for c in gone})
    if published is not None:
        c, u = published["control"], published["ucmsc"]
        rows.append(incidence_test(c["events"], c["n"], u["events"], u["n"], direction=direction,
                                   conf_level=conf_level).assign(source="published"))
    out = pd.concat(rows, ignore_index=True)
    out["horizon_months"] = np.nan if horizon is None else float(horizon)
    return out[["source", "horizon_months", *[c for c in out.columns if c not in ("source", "horizon_months")]]]


# ----------------------------------------------------------------------------
# The paper's statements
# ----------------------------------------------------------------------------
def safety_statements(trial: Trial, published: Any, *, population: str = "analyzed",
                      protect: bool | None = None) -> pd.DataFrame:
    """Set the paper's safety statements beside the cohort's values.

    Parameters
    ----------
    trial : Trial
        The trial (adverse-event table needed for all but the HCC rows).
    published : Published or mapping
        :func:`analysis.load_published` result (uses ``adverse_events``,
        ``hcc_incidence``).
    population : {"analyzed", "randomized"}, default "analyzed"
        See :func:`ae_frame`.
    protect : bool, optional
        Small-cell rule for the fever ranges shown (:mod:`analysis.toolkit.disclosure`); default on
        real data. The statuses use the exact values either way.

    Returns
    -------
    pandas.DataFrame
        One row per statement: ``id``, ``statement``, ``published`` and
        ``cohort`` (numbers as text, for display), ``published_value`` and
        ``cohort_value`` (numbers, NaN when not a single number),
        ``status`` (one of :data:`~analysis.toolkit.agreement.STATUSES`:
        ``agrees`` or ``differs`` by the rules below, ``not computable``
        where the data do not record the quantity).

    Notes
    -----
    Rules: the fever count must equal the published count; onset, duration
    and temperature must lie within the published ranges; absent terms must
    have no event in the UC-MSC arm during the collection window; HCC counts
    must equal the published counts over the published horizon.
    """
    protect = disclosure.applies(trial) if protect is None else protect
    pa = published.adverse_events
    hi = published.hcc_incidence
    window = 7.0 * float(pa["collection_weeks"])
    rows: list[dict[str, Any]] = []

    def add(id_: str, text: str, pub: str, coh: str, pv: float, cv: float, ok: Any) -> None:
        rows.append({"id": id_, "statement": text, "published": pub, "cohort": coh,
                     "published_value": float(pv), "cohort_value": float(cv),
                     "status": STATUSES[3] if ok is pd.NA else STATUSES[0] if ok else STATUSES[1]})

    nan = float("nan")
    if trial.adverse_events is not None:
        fev = pa["fever"]
        arm = fev["arm"]
        ae = ae_frame(trial, population=population, window_days=window)
        f = ae[(ae["term"] == "fever") & (ae["arm"] == arm)]
        if "infusion_number" in f.columns:
            f = f[f["infusion_number"].notna()]
        n_fev = int(f["patient_id"].nunique())
        add("fever_patients", f"Patients with fever after {ARM_LABELS[arm]} infusion", str(fev["patients"]),
            str(n_fev), fev["patients"], n_fev, n_fev == fev["patients"])
        for col, key, label, unit in (("onset_hours_after_infusion", "onset_hours_after_infusion",
                                       "Fever onset after infusion", "h"),
                                      ("temperature_c", "temperature_c", "Fever body temperature", "°C")):
            lo, hi_ = (float(v) for v in fev[key])
            if col in f.columns and f[col].notna().any():
                v = pd.to_numeric(f[col], errors="coerce").dropna()
                ok = bool(v.min() >= lo and v.max() <= hi_)
                ps = protected_summary(v, patients=n_fev, step=1.0 if unit == "h" else 0.5, protect=protect)
                coh = (f"{ps['min']:g}-{ps['max']:g} {unit}" if not math.isnan(ps["min"])
                       else f"within {lo:g}-{hi_:g} {unit}" if ok else f"outside {lo:g}-{hi_:g} {unit}")
            else:
                ok, coh = pd.NA, "not recorded"
            add(f"fever_{key}", label, f"{lo:g}-{hi_:g} {unit}", coh, nan, nan, ok)
        lim = float(fev["resolved_within_hours"])
        if "duration_hours" in f.columns and f["duration_hours"].notna().any():
            mx = float(f["duration_hours"].max())
            shown = protected_summary(f["duration_hours"], patients=n_fev, step=1.0, protect=protect)["max"]
            coh = f"longest {shown:g} h" if not math.isnan(shown) else ("all within" if mx <= lim else "not all within")
            add("fever_resolution", "Fever resolved within", f"{lim:g} h", coh, lim,
                mx if not protect else shown, mx <= lim)
        else:
            add("fever_resolution", "Fever resolved within", f"{lim:g} h", "not recorded", lim, nan, pd.NA)
        u = ae[ae["arm"] == "ucmsc"]
        for t in pa["absent_terms"]:
            k = int(_select(u, t)["patient_id"].nunique())
            add(f"absent_{t.replace(' ', '_')}", f"{t.capitalize()} with UC-MSC", "none", f"{k} patients", 0, k,
                k == 0)
    for arm in ARMS:
        e = published.hcc_incidence[arm]
        p = trial.analyzed
        if not trial.has_outcome("hcc_months"):  # a survival-only dataset without HCC outcomes
            add(f"hcc_{arm}", f"HCC within {hi['horizon_months']} months, {ARM_LABELS[arm]}",
                f"{e['events']}/{e['n']}", "not recorded", e["events"], nan, pd.NA)
            continue
        ev = p["hcc"].fillna(0).astype(int).eq(1) & (p["hcc_months"] <= float(hi["horizon_months"]))
        x, n = int(ev[p["arm"] == arm].sum()), int((p["arm"] == arm).sum())
        add(f"hcc_{arm}", f"HCC within {hi['horizon_months']} months, {ARM_LABELS[arm]}",
            f"{e['events']}/{e['n']}", f"{x}/{n}", e["events"], x, x == e["events"] and n == e["n"])
    return pd.DataFrame(rows)


