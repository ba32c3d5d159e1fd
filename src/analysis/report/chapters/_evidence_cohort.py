"""Evidence chapter, the parts that need simulation or patient data (issue 14, sections 2-4).

Added to the evidence chapter's results by :func:`add_cohort_results`, which
:func:`analysis.report.chapters.evidence.compute` calls.

- Choosing the landmark after seeing the data: the paper's late-window p values adjusted for the
  choice of the landmark among :data:`LANDMARK_SEARCH`, by simulating the trial without treatment
  effect (:func:`analysis.toolkit.sensitivity.landmark_selection`). The simulated trial is built
  from published numbers only, so these results have provenance ``published`` (derived by
  simulation): analysed patients per arm; accrual over the months between the first and last
  screening dates; analysis at the longest published follow-up; accrual split at the analysis
  minus the published median follow-up (half of the patients enter before, half after, so that
  the median potential follow-up is the published median: the median of observed times, which
  deaths shorten, is a little lower); administrative censoring at the paper's horizon; one
  constant hazard in both arms giving the deaths (HCC events) behind the published hazard ratios
  (:func:`analysis.trial.synthetic.derive_event_counts`); for HCC-free survival deaths censor at
  the death hazard.
- On the trial data (``assumed`` on the synthetic cohort, ``computed`` on real data): the
  survival-inferred fragility index of overall survival (Bomze et al. 2020), best and worst cases
  for the randomized patients who were not analysed, and a delta-adjusted multiple-imputation
  tipping-point analysis of overall survival.

Excluded patients have no outcome times in the data. The assumption made, and why it is the one
that matters: an excluded patient counted as an event has it before every observed time (Cox and
log-rank use only the order of times, so any earlier time gives the same result); one counted as
censored is censored at exclusion, taken as time 0+ (no follow-up recorded), which is the same as
leaving them out: so each case is moved by its early events only. Censoring them event-free at the
horizon instead is the extreme bound, also shown. The imputation follows them from randomization.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ...toolkit import sensitivity as sens
from ...toolkit.conventions import DEFAULT_HR_DIRECTION
from ...toolkit.landmark import LANDMARK_GRID
from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...toolkit.survival import ENDPOINTS, endpoint_frame
from ...toolkit.warnings import StatisticalWarning
from ...trial.paper import observed_accrual_months
from ...trial.published import Published
from ...trial.synthetic import derive_event_counts
from ..results import ChapterResults
from . import _endpoints
from .survival import HR_DIRECTION

__all__ = ["LANDMARK_SEARCH", "N_SIMULATIONS", "N_IMPUTATIONS", "MI_BREAKS", "DELTA_GRID", "TIPPING_BOUNDS",
           "SEED", "add_cohort_results"]

#: Landmark times (months) an analyst could have chosen: the landmark chapter's grid.
LANDMARK_SEARCH: tuple[int, ...] = LANDMARK_GRID
#: Simulated trials per endpoint (Monte Carlo SE of an adjusted p near 0.05: about 0.005).
N_SIMULATIONS = 2000
#: Imputed datasets per cell of the delta-adjusted multiple imputation.
N_IMPUTATIONS = 20
#: Starts (months) of the pieces of each arm's fitted hazard used to impute (one per year).
MI_BREAKS = (0.0, 12.0, 24.0, 36.0, 48.0, 60.0)
#: Hazard multipliers of the excluded patients of each arm shown in the grid (1: missing at random).
DELTA_GRID = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
#: Farthest multiplier searched for each arm's tipping point (UC-MSC's excluded faring worse,
#: control's faring better: the directions that weaken a benefit of UC-MSC).
TIPPING_BOUNDS = {"ucmsc": 20.0, "control": 0.05}
#: Seed of every random stream here (one stream per analysis: numpy SeedSequence([SEED, k])).
SEED = 14

_ENDPOINTS = ("os", "hcc")
_SIM = "derived from the published numbers alone by simulating the trial without treatment effect"
_WHAT = {"os": "deaths", "hcc": "HCC events"}


def _rng(k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([SEED, k]))


def _name(ep: str) -> str:
    return ENDPOINTS[ep][2]


# ----------------------------------------------------------------------------
# Choosing the landmark after seeing the data (published numbers only)
# ----------------------------------------------------------------------------
def _null_designs(pub: Published) -> tuple[dict, dict]:
    """The trial without treatment effect, per endpoint, from published numbers (module docstring)."""
    n = {a: int(pub.consort["analyzed"][a]) for a in ARMS}
    fu = pub.followup
    accrual = float(observed_accrual_months(pub))
    analysis = float(max(fu[a]["max"] for a in ARMS))
    median = sum(fu[a]["median"] * n[a] for a in ARMS) / sum(n.values())
    split = analysis - median
    if 0 < split < accrual:
        acc, intensity = (0.0, split, accrual), (0.5 / split, 0.5 / (accrual - split))
    else:  # published follow-up not compatible with the split: uniform accrual
        acc, intensity = accrual, None
    counts = derive_event_counts(pub)
    events = {ep: float(counts.loc[f"{ep}.cox", ["events_control", "events_ucmsc"]].sum()) for ep in _ENDPOINTS}
    N = sum(n.values())
    common = dict(accrual_time=acc, accrual_intensity=intensity, follow_up=max(analysis - accrual, 0.0),
                  horizon=float(pub.horizon))
    os_design = sens.null_design(events["os"], N, **common)
    death = os_design.hazard_control.rates[0]
    hcc_design = sens.null_design(events["hcc"], N, dropout=death, **common)
    info = {"n": n, "accrual": accrual, "analysis": analysis, "median": median, "events": events,
            "hazard": {"os": death, "hcc": hcc_design.hazard_control.rates[0]}}
    return {"os": os_design, "hcc": hcc_design}, info


def _landmark_selection(res: ChapterResults, pub: Published) -> None:
    designs, info = _null_designs(pub)
    alpha = float(pub.sample_size["alpha"])
    n = info["n"]
    rows, dists = [], {}
    src = "Methods (no landmark pre-specified); Results (Fig. 3B, Fig. 5B)"
    res.add("evidence.landmark_selection.n_trials", "Simulated trials per endpoint (landmark selection)",
            N_SIMULATIONS, unit="trials", provenance="published", glue={"evc_lms_trials": "value"},
            note="an analysis setting")
    res.add("evidence.landmark_selection.first", "First landmark an analyst could have chosen",
            float(min(LANDMARK_SEARCH)), unit="months", provenance="published", glue={"evc_lms_first": "value"},
            note="an analysis setting (the landmark chapter's grid)")
    res.add("evidence.landmark_selection.last", "Last landmark an analyst could have chosen",
            float(max(LANDMARK_SEARCH)), unit="months", provenance="published", glue={"evc_lms_last": "value"},
            note="an analysis setting (the landmark chapter's grid)")
    res.add("evidence.landmark_selection.accrual_months", "Accrual of the simulated trial (first to last screening)",
            info["accrual"], unit="months", provenance="published", source=pub.raw["recruitment"]["source"],
            glue={"evc_lms_accrual": "value"}, note=_SIM)
    res.add("evidence.landmark_selection.analysis_months", "Analysis of the simulated trial, months after the first entry",
            info["analysis"], unit="months", provenance="published", source=pub.followup["source"],
            glue={"evc_lms_analysis": "value"}, note=f"{_SIM}: the longest published follow-up")
    for k, ep in enumerate(_ENDPOINTS):
        h = pub.landmark_hr(ep, "late")
        r = sens.landmark_selection(designs[ep], n["control"], n["ucmsc"], landmarks=LANDMARK_SEARCH,
                                    observed_p=float(h.p), rng=_rng(k + 1), n_trials=N_SIMULATIONS,
                                    fixed_landmark=float(pub.landmarks[ep]), end=float(pub.horizon), alpha=alpha)
        cal = r.calibration
        g = f"evc_lms_{ep}"
        name = _name(ep)
        res.add(f"evidence.landmark_selection.{ep}.events", f"{name}: {_WHAT[ep]} the simulated trial expects",
                info["events"][ep], unit="events", provenance="published", source=h.source,
                glue={f"{g}_events": "value"},
                note=f"{_SIM}: the {_WHAT[ep]} behind the published hazard ratio (derived from its CI)")
        res.add(f"evidence.landmark_selection.{ep}.landmark", f"{name}: the paper's landmark", float(pub.landmarks[ep]),
                unit="months", provenance="published", published=float(pub.landmarks[ep]),
                source=pub.raw["landmarks"]["source"], glue={f"{g}_L": "value"})
        res.add(f"evidence.landmark_selection.{ep}.observed_p",
                f"{name}: published late-window p at the landmark of {pub.landmarks[ep]:g} months (unadjusted)",
                float(h.p), unit="p", provenance="published", published=float(h.p), source=h.source,
                glue={f"{g}_p": "value"})
        res.add(f"evidence.landmark_selection.{ep}.adjusted_p",
                f"{name}: late-window p adjusted for choosing the landmark after seeing the data",
                r.adjusted_p, ci_low=r.ci_low, ci_high=r.ci_high, unit="p", provenance="published", source=src,
                glue={f"{g}_adj": "value", f"{g}_adj_lo": "ci_low", f"{g}_adj_hi": "ci_high"},
                note=f"{_SIM}: proportion of {N_SIMULATIONS} simulated trials whose smallest late-window log-rank p "
                     f"over landmarks {min(LANDMARK_SEARCH)} to {max(LANDMARK_SEARCH)} months is at most the "
                     "published p; interval: 95% Wilson interval of the Monte Carlo error")
        res.add(f"evidence.landmark_selection.{ep}.mcse", f"{name}: Monte Carlo SE of the adjusted p", r.mc_se,
                unit="p", provenance="published", glue={f"{g}_mcse": "value"}, note=_SIM)
        res.add(f"evidence.landmark_selection.{ep}.familywise_error",
                f"{name}: probability without any effect that some landmark gives a late-window p below alpha",
                r.familywise_error, unit="probability", provenance="published", glue={f"{g}_fwe": "value"}, note=_SIM)
        res.add(f"evidence.landmark_selection.{ep}.calibration.rejection",
                f"{name}: calibration, rejection rate at alpha with the landmark fixed at {pub.landmarks[ep]:g} months",
                cal["rejection"], unit="probability", provenance="published", glue={f"{g}_cal_rej": "value"},
                note=f"{_SIM}: should be alpha within Monte Carlo error (SE {cal['rejection_mc_se']:.4f})")
        res.add(f"evidence.landmark_selection.{ep}.calibration.below_observed",
                f"{name}: calibration, proportion of fixed-landmark p values at most the published p",
                cal["below_observed"], unit="probability", provenance="published", glue={f"{g}_cal_below": "value"},
                note=f"{_SIM}: should be the published p within Monte Carlo error "
                     f"(SE {cal['below_observed_mc_se']:.4f})")
        res.add(f"evidence.landmark_selection.{ep}.calibration.ks_statistic",
                f"{name}: calibration, largest gap between the fixed-landmark p values' distribution and the uniform",
                cal["ks_statistic"], unit="probability", provenance="published", glue={f"{g}_cal_ks_d": "value"},
                note=f"{_SIM}: the Kolmogorov-Smirnov statistic")
        res.add(f"evidence.landmark_selection.{ep}.calibration.ks_p",
                f"{name}: calibration, Kolmogorov-Smirnov p of uniform fixed-landmark p values",
                cal["ks_p"], unit="p", provenance="published", glue={f"{g}_cal_ks": "value"},
                note=f"{_SIM}: a small value would mean the simulation's fixed-landmark p values are not uniform")
        rows.append({"endpoint": ep, "landmark": float(pub.landmarks[ep]), "p_published": float(h.p),
                     "p_adjusted": r.adjusted_p, "mc_se": r.mc_se, "mc_ci": (r.ci_low, r.ci_high),
                     "familywise_error": r.familywise_error, "rejection_fixed": cal["rejection"],
                     "below_fixed": cal["below_observed"], "ks_statistic": cal["ks_statistic"],
                     "events": info["events"][ep]})
        dists[ep] = pd.DataFrame({"min_p": r.min_p, "fixed_p": r.fixed_p, "best_landmark": r.best_landmark})
    t = pd.DataFrame(rows).set_index("endpoint")
    t["mc_ci"] = [f"{lo:.3f} to {hi:.3f}" for lo, hi in t["mc_ci"]]
    res.objects["landmark_selection"] = t
    res.objects["landmark_selection_draws"] = dists
    res.objects["landmark_selection_alpha"] = alpha


# ----------------------------------------------------------------------------
# On the trial data
# ----------------------------------------------------------------------------
def _excluded_counts(trial: Trial) -> dict[str, int]:
    p = trial.patients
    return {a: int(((p["arm"] == a) & (p["disposition"] != "analyzed")).sum()) for a in ARMS}


def _sifi(res: ChapterResults, df: pd.DataFrame | None, alpha: float) -> None:
    note = ("on the trial data: reassign the longest-followed patient (event or censored) from UC-MSC to control "
            "until the log-rank p is no longer below alpha (a negative index: from control to UC-MSC until it is)")
    out = {}
    for test in ("logrank", "wald"):
        if df is None:  # the data lack overall survival
            out[test] = (sens.SIFIResult(None, None, None, alpha, test, "ucmsc", None), [])
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StatisticalWarning)
            r = sens.survival_inferred_fragility(df, experimental="ucmsc", alpha=alpha, test=test)
        out[test] = (r, [str(w.message) for w in caught])
    r, why = out["logrank"]
    n_an = 0 if df is None else len(df)
    extra = f"; {why[0]}" if why else ""
    gone = "" if df is not None else _endpoints.absent_note("os")
    if gone:
        note, extra = gone, ""
    res.add("evidence.sifi.os.index", "Overall survival: survival-inferred fragility index (log-rank)", r.index,
            unit="patients", provenance="assumed", glue={"evc_sifi": "value"}, note=note + extra)
    res.add("evidence.sifi.os.p_initial", "Overall survival: log-rank p before any reassignment", r.p_initial,
            unit="p", provenance="assumed", glue={"evc_sifi_p0": "value"}, note=gone)
    res.add("evidence.sifi.os.p_final", "Overall survival: log-rank p after the reassignments of the index",
            r.p_final, unit="p", provenance="assumed", glue={"evc_sifi_p1": "value"}, note=gone)
    res.add("evidence.sifi.os.quotient", "Overall survival: fragility quotient (index over patients analysed)",
            None if r.index is None else abs(r.index) / n_an, unit="proportion", provenance="assumed",
            glue={"evc_sifi_q": "value"}, note=gone)
    rw, why_w = out["wald"]
    res.add("evidence.sifi.os.wald.index", "Overall survival: survival-inferred fragility index (Cox Wald test)",
            rw.index, unit="patients", provenance="assumed", glue={"evc_sifi_wald": "value"},
            note=note.replace("log-rank", "Cox Wald") + (f"; {why_w[0]}" if why_w else ""))
    res.objects["sifi_path"] = r.path


def _excluded(res: ChapterResults, trial: Trial, pub: Published, frames: dict, excluded: dict, alpha: float) -> None:
    pub_exc = {a: int(pub.consort["randomized"][a]) - int(pub.consort["analyzed"][a]) for a in ARMS}
    for a in ARMS:
        res.add(f"evidence.cohort_excluded.{a}", f"Randomized but not analysed in the data, {ARM_LABELS[a]}",
                excluded[a], unit="patients", provenance="by construction", published=pub_exc[a],
                source=pub.consort["source"], glue={f"evc_excl_{a}": "value"})
    tables = []
    none = sum(excluded.values()) == 0
    for ep in _ENDPOINTS:
        df = frames.get(ep)  # None: the data lack this endpoint
        for censor in sens.CENSOR_AT:
            if df is None:
                b = pd.DataFrame({"hr": None, "ci_low": None, "ci_high": None, "p": None},
                                 index=["best case", "worst case"])
            else:
                b = sens.excluded_bounds(df, excluded, experimental="ucmsc", censor_at=censor,
                                         horizon=float(pub.horizon), direction=DEFAULT_HR_DIRECTION, alpha=alpha)
                tables.append(b.reset_index().assign(endpoint=ep))
            suffix = "" if censor == "start" else "_horizon"
            how = ("censored at exclusion (time 0+: the same as leaving them out)" if censor == "start"
                   else "followed event-free to the horizon (the extreme bound)")
            for case in ("best case", "worst case"):
                r = b.loc[case]
                cid = case.replace(" ", "_")
                events_arm = "control" if case == "best case" else "UC-MSC"
                other = "UC-MSC" if case == "best case" else "control"
                g = f"evc_{ep}_{cid}{suffix}"
                n_note = (_endpoints.absent_note(ep) if df is None else
                          "no randomized patient is missing from the analysis in these data" if none else
                          f"every excluded {events_arm} patient an event before any observed time; excluded {other} "
                          f"patients {how}")
                res.add(f"evidence.excluded.{ep}.{cid}{suffix}.hr",
                        f"{_name(ep)}: {case} for UC-MSC, excluded patients {how.split(' (')[0]}",
                        r["hr"], ci_low=r["ci_low"], ci_high=r["ci_high"], unit="ratio", direction=HR_DIRECTION,
                        provenance="assumed", glue={g: "value", f"{g}_lo": "ci_low", f"{g}_hi": "ci_high"},
                        note=n_note)
                res.add(f"evidence.excluded.{ep}.{cid}{suffix}.p", f"{_name(ep)}: {case} for UC-MSC, Cox Wald p"
                        + ("" if censor == "start" else " (censored at the horizon)"), r["p"], unit="p",
                        provenance="assumed", glue={f"{g}_p": "value"},
                        note=_endpoints.absent_note(ep) if df is None else "")
    if not tables:
        res.objects["excluded_cases"] = None
        return
    t = pd.concat(tables, ignore_index=True)
    t = t.drop_duplicates(subset=["endpoint", "scenario", "censor_at"])
    t["case"] = [("as_analysed" if sc == "observed" else f"{sc.replace(' ', '_')}_{c}")
                 for sc, c in zip(t["scenario"], t["censor_at"])]
    t = t.rename(columns={"added_events_control": "added_control", "added_events_ucmsc": "added_ucmsc"})
    res.objects["excluded_cases"] = t.set_index(["endpoint", "case"])[
        ["added_control", "added_ucmsc", "hr", "ci_low", "ci_high", "p"]]


def _tipping(res: ChapterResults, pub: Published, df: pd.DataFrame | None, excluded: dict, alpha: float) -> None:
    H = float(pub.horizon)
    kw = dict(n_imputations=N_IMPUTATIONS, breaks=MI_BREAKS, horizon=H, direction=DEFAULT_HR_DIRECTION, alpha=alpha)
    note = (f"on the trial data: {N_IMPUTATIONS} imputations per cell from each arm's piecewise-exponential hazard "
            "(yearly pieces) times delta, followed from randomization to the horizon; Cox per imputed set; "
            "Rubin's rules; common random numbers across deltas")
    res.add("evidence.tipping.os.n_imputations", "Imputed datasets per multiplier", N_IMPUTATIONS,
            unit="datasets", glue={"evc_tip_m": "value"}, note="an analysis setting")
    for arm, word in (("ucmsc", "Largest"), ("control", "Smallest")):
        res.add(f"evidence.tipping.os.bound.{arm}", f"{word} multiplier searched for the excluded "
                f"{ARM_LABELS[arm]} patients", TIPPING_BOUNDS[arm], unit="ratio",
                glue={f"evc_tip_bound_{arm}": "value"}, note="an analysis setting")
    grid, tips, why = None, {a: {"delta": None, "hr_at_tipping": None} for a in ARMS}, ""
    if df is None:
        why = _endpoints.absent_note("os")
    elif sum(excluded.values()) == 0:
        why = "no randomized patient is missing from the analysis in these data"
    else:
        try:
            cells = [(dc, du) for dc in DELTA_GRID for du in DELTA_GRID]
            grid = sens.delta_adjusted_mi(df, excluded, cells, rng=_rng(11), **kw)
            for arm in ARMS:  # the grid's random stream again: the same imputations at delta 1
                tips[arm] = sens.tipping_point(df, excluded, arm=arm, bound=TIPPING_BOUNDS[arm], rng=_rng(11), **kw)
        except ValueError as exc:  # e.g. an arm without deaths: its hazard cannot be fitted
            grid, why = None, f"not computable on these data: {exc}"
    mar = (grid[(grid["delta_control"] == 1.0) & (grid["delta_ucmsc"] == 1.0)].iloc[0] if grid is not None
           else pd.Series({"hr": None, "ci_low": None, "ci_high": None, "p": None}))
    res.add("evidence.tipping.os.mar.hr", "Overall survival, excluded patients imputed like their arm (delta 1, 1)",
            mar["hr"], ci_low=mar["ci_low"], ci_high=mar["ci_high"], unit="ratio", direction=HR_DIRECTION,
            provenance="assumed", glue={"evc_tip_mar": "value", "evc_tip_mar_lo": "ci_low", "evc_tip_mar_hi": "ci_high"},
            note=why or note)
    res.add("evidence.tipping.os.mar.p", "Overall survival, excluded patients imputed like their arm: pooled p",
            mar["p"], unit="p", provenance="assumed", glue={"evc_tip_mar_p": "value"}, note=why or note)
    for arm in ARMS:
        t = tips[arm]
        direction = "more" if TIPPING_BOUNDS[arm] > 1 else "less"
        none = (f"; None: the conclusion does not change for multipliers from 1 to {TIPPING_BOUNDS[arm]:g} "
                f"({direction} hazard than the analysed {ARM_LABELS[arm]} patients)")
        res.add(f"evidence.tipping.os.{arm}.delta",
                f"Overall survival: hazard multiplier of the excluded {ARM_LABELS[arm]} patients at which the "
                "pooled conclusion changes (the other arm's at 1)", t["delta"], unit="ratio", provenance="assumed",
                glue={f"evc_tip_{arm}": "value"}, note=why or (note + (none if t["delta"] is None else "")))
        res.add(f"evidence.tipping.os.{arm}.hr", f"Overall survival: pooled HR at the {ARM_LABELS[arm]} tipping point",
                t["hr_at_tipping"], unit="ratio", direction=HR_DIRECTION, provenance="assumed",
                glue={f"evc_tip_{arm}_hr": "value"}, note=why or note)
    if grid is None:
        res.objects.update(mi_grid=None, mi_grid_p=None, mi_grid_hr=None, mi_table=None)
        return
    res.objects["mi_grid"] = grid
    res.objects["mi_grid_p"] = grid.pivot(index="delta_control", columns="delta_ucmsc", values="p")
    res.objects["mi_grid_hr"] = grid.pivot(index="delta_control", columns="delta_ucmsc", values="hr")
    table = res.objects["mi_grid_p"].copy()
    table.index = [f"Control hazard ×{d:g}" for d in table.index]
    table.columns = [f"p, UC-MSC hazard ×{d:g}" for d in table.columns]
    res.objects["mi_table"] = table


def add_cohort_results(res: ChapterResults, trial: Trial, published: Published) -> None:
    """Add the evidence chapter's results that need simulation or patient data to ``res``.

    Parameters
    ----------
    res : ChapterResults
        The evidence chapter's results (:func:`analysis.report.chapters.evidence.compute`); results and
        display objects are added to it.
    trial : Trial
        The trial data (analysed patients, and the randomized patients not analysed).
    published : Published
        The paper's numbers: patient flow, recruitment dates, follow-up, landmark times and late-window
        p values, hazard ratios (for the event counts), horizon and significance level.

    Returns
    -------
    None
        Adds ids ``evidence.landmark_selection.*`` (provenance ``published``: derived from published
        numbers by simulation), ``evidence.sifi.os.*``, ``evidence.cohort_excluded.<arm>``,
        ``evidence.excluded.<endpoint>.{best_case,worst_case}[_horizon].{hr,p}`` and
        ``evidence.tipping.os.*`` (provenance ``assumed`` on the synthetic cohort, ``computed`` on real
        data), and objects ``landmark_selection``, ``landmark_selection_draws``,
        ``landmark_selection_alpha``, ``sifi_path``, ``excluded_cases``, ``mi_grid``, ``mi_grid_p``,
        ``mi_grid_hr``, ``mi_table`` (pooled p by the two arms' multipliers, for display), ``absent`` and
        ``absent_notice`` (a survival-only dataset with one endpoint: the other endpoint's results are
        ``None`` with a note naming what is missing).

    References
    ----------
    Anderson JR, Cain KC, Gelber RD. J Clin Oncol 1983;1:710-719. Bomze D, et al. JAMA Netw Open
    2020;3(10):e2017675. European Medicines Agency, Guideline on missing data in confirmatory
    clinical trials, 2010. ICH E9(R1), 2019. Rubin DB. Multiple Imputation for Nonresponse in
    Surveys, 1987.
    """
    alpha = float(published.sample_size["alpha"])
    _landmark_selection(res, published)
    present = _endpoints.present(trial)  # a survival-only dataset may hold one endpoint
    frames = {ep: endpoint_frame(trial, ep, float(published.horizon)) for ep in _ENDPOINTS if ep in present}
    res.objects["absent"] = _endpoints.absent(trial)
    res.objects["absent_notice"] = _endpoints.notice(trial)  # "" when both endpoints are present
    excluded = _excluded_counts(trial)
    _sifi(res, frames.get("os"), alpha)
    _excluded(res, trial, published, frames, excluded, alpha)
    _tipping(res, published, frames.get("os"), excluded, alpha)
