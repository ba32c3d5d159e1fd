"""Landmark chapter: the paper's landmark analyses, their sensitivity to the landmark, and
time-varying treatment effects.

Conventions (each an explicit argument of the toolkit functions called here): analysed
population; months from randomization, censored at the paper's horizon; the paper's landmark per
endpoint (``landmarks:`` of the published file); hazard ratios control relative to UC-MSC, Cox
with Efron ties (:func:`analysis.toolkit.survival.cox_hr`, the one Cox fitter), Wald and log-rank p
values both reported; a landmark counts as "significant" on the grid when its Wald p is below the
paper's two-sided alpha; the grid of landmark times is :data:`analysis.toolkit.landmark.LANDMARK_GRID`
unless ``grid`` is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ...toolkit import landmark as lm
from ...toolkit import survival as sv
from ...toolkit.agreement import Tolerance
from ...toolkit.schema import Trial
from ...trial.paper import landmark_comparison
from ...trial.published import Published
from ..results import ChapterResults, computed_once
from . import _endpoints
from ._conventions import add_conventions
from .survival import HR_DIRECTION, HR_LOG_TOLERANCE

__all__ = ["HR_AT_MONTHS", "compute"]

#: Months at which the treatment x log(time) model's HR(t) is tabulated, besides the paper's
#: overall-survival landmark and the horizon.
HR_AT_MONTHS = (3.0, 6.0, 24.0, 48.0)

_ENDPOINTS = ("os", "hcc")
_TV_KINDS = {"log": "log", "piecewise": "pw"}


def _name(ep: str) -> str:
    return sv.ENDPOINTS[ep][2]


def _published_windows(res: ChapterResults, pub: Published, comparison: pd.DataFrame,
                       present: tuple[str, ...]) -> None:
    """The ledger's ids of the published hazard ratios that are not ``*.cox`` (the landmark windows):
    ``<key>.hr`` and ``<key>.p`` as the paper reports them, and ``<key>.logrank.p``."""
    tol = Tolerance("log_ratio", HR_LOG_TOLERANCE)
    for key, h in pub.hazard_ratios.items():
        if key.endswith(".cox"):
            continue
        r = comparison.loc[key]  # cox_hr(endpoint_frame(trial, h.endpoint, horizon), *h.window)
        why = "" if h.endpoint in present else _endpoints.absent_note(h.endpoint)
        glue_hr, glue_p, glue_lr = {}, {}, {}
        if h.part:  # glue keys lm_<endpoint>_<part>[_lo, _hi, _p, _plr] and lm_pub_<endpoint>_<part>[_p]
            g, gp = f"lm_{h.endpoint}_{h.part}", f"lm_pub_{h.endpoint}_{h.part}"
            glue_hr = {g: "value", gp: "published"}
            if h.part == "late":  # the prose quotes the late windows in full
                glue_hr.update({f"{g}_lo": "ci_low", f"{g}_hi": "ci_high"})
                glue_p = {f"{g}_p": "value", f"{gp}_p": "published"}
                glue_lr = {f"{g}_plr": "value"}
        res.add(f"{key}.hr", f"{h.label}: hazard ratio", r["hr"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                unit="ratio", direction=HR_DIRECTION, published=h.hr, published_ci_low=h.ci_low,
                published_ci_high=h.ci_high, tolerance=tol, provenance="by construction", source=h.source,
                glue=glue_hr,
                note=why or (f"calibrated to within {HR_LOG_TOLERANCE:g} on the log scale, limits included"
                             if res.synthetic else ""))
        res.add(f"{key}.p", f"{h.label}: p (Cox Wald)", r["p"], unit="p", published=h.p, source=h.source,
                glue=glue_p, note=why or "the paper prints one p per hazard ratio without naming the test")
        res.add(f"{key}.logrank.p", f"{h.label}: p (log-rank)", r["p_logrank"], unit="p", glue=glue_lr,
                note=why or f"the paper's p is compared under {key}.p")


def _grid(res: ChapterResults, frames: dict, H: float, alpha: float, grid: Sequence[float]) -> None:
    grids = {ep: lm.landmark_grid(frames[ep], grid, horizon=H) for ep in frames}
    summaries = {ep: lm.grid_summary(grids[ep], alpha=alpha) for ep in frames}
    res.objects["grids"] = {ep: grids.get(ep) for ep in _ENDPOINTS}  # None: the data lack the endpoint
    res.objects["grid_summary"] = (pd.DataFrame(summaries).T.rename(index={ep: _name(ep) for ep in frames})
                                   if frames else None)
    res.add("landmark.grid.first", "First landmark of the sensitivity grid", float(min(grid)), unit="months",
            glue={"lm_grid_first": "value"}, note="an analysis setting (analysis.toolkit.landmark.LANDMARK_GRID)")
    res.add("landmark.grid.last", "Last landmark of the sensitivity grid", float(max(grid)), unit="months",
            glue={"lm_grid_last": "value"}, note="an analysis setting (analysis.toolkit.landmark.LANDMARK_GRID)")
    for ep in _ENDPOINTS:
        why = "" if ep in frames else _endpoints.absent_note(ep)
        s = summaries.get(ep, {"hr_min": None, "hr_max": None, "n": None, "n_significant": None})
        g = f"lm_{ep}_grid"
        res.add(f"landmark.grid.{ep}.hr_min", f"{_name(ep)}: smallest late-window hazard ratio over the grid",
                s["hr_min"], unit="ratio", direction=HR_DIRECTION, glue={f"{g}_hr_min": "value"}, note=why)
        res.add(f"landmark.grid.{ep}.hr_max", f"{_name(ep)}: largest late-window hazard ratio over the grid",
                s["hr_max"], unit="ratio", direction=HR_DIRECTION, glue={f"{g}_hr_max": "value"}, note=why)
        res.add(f"landmark.grid.{ep}.n", f"{_name(ep)}: landmarks of the grid with a late-window estimate",
                s["n"], unit="landmarks", glue={f"{g}_n": "value"}, note=why)
        res.add(f"landmark.grid.{ep}.n_significant",
                f"{_name(ep)}: landmarks whose late-window Wald p is below alpha (unadjusted)",
                s["n_significant"], unit="landmarks", glue={f"{g}_nsig": "value"}, note=why)


def _time_varying(res: ChapterResults, frames: dict, L: dict, H: float) -> None:
    tv = {(ep, kind): lm.time_varying_test(frames[ep], kind=kind, landmark=L[ep] if kind == "piecewise" else None)
          for ep in frames for kind in _TV_KINDS}
    res.objects["tv_coef"] = pd.concat({f"{ep}, {kind}": r.coef for (ep, kind), r in tv.items()},
                                       names=["model", None]).reset_index(level=0) if tv else None
    res.objects["tv_tests"] = pd.DataFrame(
        [{"endpoint": ep, "model": kind, "p (constant effect)": r.p_interaction} for (ep, kind), r in tv.items()])
    res.objects["hr_at_os"] = (tv[("os", "log")].hr_at(sorted({*HR_AT_MONTHS, L["os"], H})) if "os" in frames
                               else None)
    for ep in _ENDPOINTS:
        for kind in _TV_KINDS:
            r = tv.get((ep, kind))
            what = ("treatment x log(time) interaction" if kind == "log"
                    else f"difference between the hazard ratios before and after {L[ep]:g} months")
            res.add(f"landmark.tv.{ep}.{kind}.p", f"{_name(ep)}: Wald test of a constant treatment effect, {what}",
                    None if r is None else r.p_interaction, unit="p", glue={f"lm_{ep}_tv_{_TV_KINDS[kind]}_p": "value"},
                    note=_endpoints.absent_note(ep) if r is None
                    else "post hoc: the landmark was read off the curves" if kind == "piecewise" else "")


@computed_once
def compute(trial: Trial, published: Published, *, grid: Sequence[float] = lm.LANDMARK_GRID) -> ChapterResults:
    """The landmark chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data (analysed patients are used).
    published : Published
        The paper's numbers: horizon, landmark times, hazard ratios, significance level.
    grid : sequence of float, optional
        Landmark times (months) of the sensitivity grid; default
        :data:`analysis.toolkit.landmark.LANDMARK_GRID`.

    Returns
    -------
    ChapterResults
        Results with ids ``landmark.*`` and, for every published hazard ratio that is not
        ``*.cox`` (``os.landmark13.early`` ...), ``<key>.hr``, ``<key>.p`` and
        ``<key>.logrank.p``; objects ``landmarks`` (endpoint -> L), ``horizon``, ``alpha``,
        ``windows``, ``km_split`` (endpoint -> (early, late) Kaplan-Meier, ``late`` ``None`` if
        nobody is followed beyond L), ``km_split_message`` (endpoint -> why a split curve is not
        drawn, or ``""``), ``comparison``, ``grids``, ``grid_summary``, ``tv_coef``, ``tv_tests``,
        ``hr_at_os``, ``absent`` (endpoint the data lack -> the note a page shows instead of its figures)
        and ``absent_notice``. On a survival-only dataset with one endpoint, the other endpoint's results
        are ``None`` with a note naming what is missing (its rows of ``comparison`` not computable, its
        grid and ``hr_at_os`` ``None``).
    """
    if len(grid) == 0:
        raise ValueError("grid: give at least one landmark time (months)")
    pub = published
    H = pub.horizon
    L = {ep: pub.landmarks[ep] for ep in _ENDPOINTS}
    alpha = pub.sample_size["alpha"]
    res = ChapterResults("landmark", trial.synthetic)
    add_conventions(res, "lm", alpha=False)
    res.objects.update({"landmarks": L, "horizon": H, "alpha": alpha})
    res.add("landmark.horizon", "Administrative censoring horizon (the paper's follow-up)", H, unit="months",
            provenance="published", published=H, source=pub.followup["source"], glue={"lm_horizon": "value"})
    for ep in _ENDPOINTS:
        res.add(f"landmark.time.{ep}", f"{_name(ep)}: the paper's landmark", L[ep], unit="months",
                provenance="published", published=L[ep], source=pub.raw["landmarks"]["source"],
                glue={f"lm_L_{ep}": "value"})
    res.add("landmark.alpha", "The paper's two-sided significance level", alpha, provenance="published",
            published=alpha, source=pub.sample_size["source"], glue={"lm_alpha": "value"})

    present = _endpoints.present(trial)
    res.objects["absent"] = _endpoints.absent(trial)  # absent endpoint -> what the page shows instead
    res.objects["absent_notice"] = _endpoints.notice(trial)  # "" when both endpoints are present
    frames = {ep: sv.endpoint_frame(trial, ep, H) for ep in _ENDPOINTS if ep in present}
    res.objects["windows"] = pd.concat(
        [lm.landmark_windows(frames[ep], L[ep], horizon=H, endpoint=_name(ep)) for ep in frames],
        ignore_index=True) if frames else None
    res.objects["km_split"] = {ep: lm.landmark_km(frames[ep], L[ep], horizon=H) if ep in frames else (None, None)
                               for ep in _ENDPOINTS}
    res.objects["km_split_message"] = {
        ep: _endpoints.absent_message(ep) if ep not in frames
        else "" if res.objects["km_split"][ep][1] is not None
        else f"Not drawn: nobody is followed beyond the landmark ({L[ep]:g} months)." for ep in _ENDPOINTS}

    comparison = landmark_comparison(trial, pub, hr_tolerance=HR_LOG_TOLERANCE)
    res.objects["comparison"] = comparison
    _published_windows(res, pub, comparison, present)
    ratio = comparison["hr_ratio"]
    over = "" if len(frames) == len(_ENDPOINTS) else "; over the hazard ratios computable on these data (" + "; ".join(
        _endpoints.absent_note(ep) for ep in _ENDPOINTS if ep not in frames) + ")"
    for stat, v in (("min", ratio.min()), ("max", ratio.max())):
        res.add(f"landmark.hr_ratio.{stat}",
                f"{'Smallest' if stat == 'min' else 'Largest'} ratio of the cohort's to the published hazard "
                "ratio, over the six", v, unit="ratio", glue={f"lm_ratio_{stat}": "value"},
                note="cohort HR / published HR, both control relative to UC-MSC" + over)

    _grid(res, frames, H, alpha, grid)
    _time_varying(res, frames, L, H)
    return res
