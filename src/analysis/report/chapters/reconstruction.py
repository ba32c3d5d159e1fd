"""Chapter "From the paper's figures": patient data reconstructed from Kaplan-Meier curves.

Three parts, each computed here (the page only displays):

1. **Round trips on public trials** whose patient data ship with lifelines 0.30.3 (pinned):
   GBSG-2 (overall and recurrence-free survival), Rossi's randomized experiment of financial aid
   for released prisoners, and two arms of ACTG 175. Each arm's Kaplan-Meier curve is clicked as a
   person would (:func:`analysis.toolkit.reconstruct.simulate_clicks`), the numbers at risk are
   counted every :data:`AT_RISK_EVERY` months (3 for Rossi's one year), the data are reconstructed
   (:func:`analysis.toolkit.reconstruct.round_trip`) with the at-risk table and the total events,
   with the total events only, and with neither, and compared with the original. The table does
   not depend on the data the book runs on and is computed once per process.
2. **A demonstration on the book's own data**: the trial's Kaplan-Meier curves (censored at the
   paper's horizon) are clicked and reconstructed the same way, and the paper's six hazard ratios
   (overall and landmark windows) are computed on the reconstruction beside the data's.
3. **The paper's own figures**, when digitised files are placed in :data:`DIGITISED_DIR`
   (``data/digitised/``; see its README): the reconstruction of Figures 3A and 5A and the six
   hazard ratios on it, beside the published ones.

Conventions: hazard ratios control relative to UC-MSC (Cox, Efron ties); the at-risk times of the
demonstration are the book's (:data:`analysis.report.survival_plots.AT_RISK_TIMES` before the
horizon); the click noise and the accuracy bounds are the issue's (:data:`TIME_NOISE`,
:data:`SURVIVAL_NOISE`, :data:`BOUNDS`); one seed (:data:`SEED`).
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ...toolkit.units import days_to_months, weeks_to_months
from ...toolkit import survival as sv
from ...toolkit.agreement import Tolerance
from ...toolkit.conventions import DEFAULT_HR_DIRECTION
from ...toolkit.reconstruct import (VARIANTS, ReconstructionError, at_risk_table, read_at_risk, read_curve,
                                    reconstruct, round_trip, simulate_clicks)
from ...toolkit.schema import ARMS, Trial
from ...toolkit.warnings import StatisticalWarning
from ...trial.paths import project_dir
from ...trial.published import Published
from ..results import ChapterResults, computed_once
from ..survival_plots import AT_RISK_TIMES
from .survival import HR_DIRECTION, HR_LOG_TOLERANCE

__all__ = ["SEED", "TIME_NOISE", "SURVIVAL_NOISE", "MIN_AT_RISK", "AT_RISK_EVERY", "BOUNDS", "DIGITISED_DIR", "public_trials",
           "round_trip_table", "digitised_files", "compute"]

#: Seed of the simulated clicks (round trips and demonstration).
SEED = 2012
#: Standard deviation of the click noise: months, and survival (a proportion).
TIME_NOISE = 0.15
SURVIVAL_NOISE = 0.004
#: Survival is compared at the at-risk times where at least this many patients are at risk.
MIN_AT_RISK = 20
#: Months between the at-risk times of the public round trips (3 for Rossi: one year of follow-up).
AT_RISK_EVERY = 12.0
#: Accuracy bounds with the numbers at risk: |log HR difference|, relative RMST difference per arm,
#: largest |S(t) difference| at the at-risk times, relative median difference (where defined).
BOUNDS = {"log_hr": 0.10, "rmst": 0.03, "ds": 0.03, "median": 0.05}
#: Folder of digitised files of the paper's figures, relative to the project (``$TRIAL_DIGITISED``
#: overrides it).
DIGITISED_DIR = Path("data") / "digitised"
_DIGITISED_ENV = "TRIAL_DIGITISED"
_VARIANT_LABELS = {"at risk": "numbers at risk and total events", "total events only": "total events only",
                   "neither": "neither (number of patients only)"}


def public_trials() -> dict[str, tuple[pd.DataFrame, float]]:
    """The public trials of the round trips: name -> (``arm``, ``time``, ``event`` frame, at-risk step).

    Returns
    -------
    dict
        ``"GBSG-2, overall survival"`` and ``"GBSG-2, recurrence-free survival"`` (lifelines'
        ``load_lymph_node``: tamoxifen as ``ucmsc``), ``"Rossi, re-arrest"`` (``load_rossi``:
        financial aid as ``ucmsc``; at-risk every 3 months), ``"ACTG 175, composite endpoint"``
        (lifelines' ``ACTG175.csv``: didanosine, arm 3, as ``ucmsc`` against zidovudine, arm 0).
        Times in months.
    """
    from importlib.resources import files

    from lifelines.datasets import load_lymph_node, load_rossi

    g = load_lymph_node()
    arm = np.where(g["hormone"] == 2, "ucmsc", "control")
    r = load_rossi()
    with files("lifelines.datasets").joinpath("ACTG175.csv").open() as fh:  # shipped with lifelines' datasets
        a = pd.read_csv(fh)
    a = a[a["arms"].isin([0, 3])]
    return {
        "GBSG-2, overall survival": (pd.DataFrame({"arm": arm, "time": days_to_months(g["survtime"]),
                                                   "event": g["censdead"]}), AT_RISK_EVERY),
        "GBSG-2, recurrence-free survival": (pd.DataFrame({"arm": arm, "time": days_to_months(g["rectime"]),
                                                           "event": g["censrec"]}), AT_RISK_EVERY),
        "Rossi, re-arrest": (pd.DataFrame({"arm": np.where(r["fin"] == 1, "ucmsc", "control"),
                                           "time": weeks_to_months(r["week"]), "event": r["arrest"]}), 3.0),
        "ACTG 175, composite endpoint": (pd.DataFrame({"arm": np.where(a["arms"] == 0, "control", "ucmsc"),
                                                       "time": days_to_months(a["days"]), "event": a["cens"]}),
                                         AT_RISK_EVERY),
    }


@functools.lru_cache(maxsize=1)
def round_trip_table() -> pd.DataFrame:
    """The round-trip accuracy on the public trials (computed once per process).

    Returns
    -------
    pandas.DataFrame
        One row per trial and variant: ``trial``, ``variant`` (the information used),
        ``patients``, ``clicks`` (both arms), ``log_hr_diff`` (reconstructed minus original log
        HR), ``rmst_rel_diff`` and ``median_rel_diff`` (the larger in absolute value over the
        arms; median ``NaN`` where undefined), ``max_abs_ds`` (over arms and at-risk times with at
        least :data:`MIN_AT_RISK` patients at risk).
    """
    rows = []
    for name, (df, step) in public_trials().items():
        times = np.arange(0.0, df["time"].max(), step)
        for variant in VARIANTS:
            acc, _ = round_trip(df, times=times, tau=float(times[-1]), rng=np.random.default_rng(SEED),
                                variant=variant, time_noise=TIME_NOISE, survival_noise=SURVIVAL_NOISE,
                                min_at_risk=MIN_AT_RISK)
            rel = [acc[f"rmst_rel_diff.{a}"] for a in ARMS]
            med = [m for m in (acc[f"median_rel_diff.{a}"] for a in ARMS) if np.isfinite(m)]
            rows.append({"trial": name, "variant": _VARIANT_LABELS[variant], "patients": len(df),
                         "clicks": sum(acc[f"clicks.{a}"] for a in ARMS),
                         "log_hr_diff": acc["log_hr_diff"], "rmst_rel_diff": max(rel, key=abs),
                         "max_abs_ds": max(acc[f"max_abs_ds.{a}"] for a in ARMS),
                         "median_rel_diff": max(med, key=abs) if med else np.nan})
    return pd.DataFrame(rows)


def _digitised_dir(folder: str | Path | None) -> Path | None:
    if folder is not None:
        return Path(folder)
    if os.environ.get(_DIGITISED_ENV):
        return Path(os.environ[_DIGITISED_ENV])
    try:
        return project_dir() / DIGITISED_DIR
    except Exception:  # outside the project (an installed package): no digitised folder
        return None


def digitised_files(folder: str | Path | None = None) -> dict[str, dict[str, dict[str, Path]]]:
    """The digitised files of the paper's figures that are present.

    Parameters
    ----------
    folder : str or Path, optional
        Default: ``$TRIAL_DIGITISED`` or the project's :data:`DIGITISED_DIR`.

    Returns
    -------
    dict
        Endpoint (``"os"``, ``"hcc"``) -> arm -> ``{"curve": path, "at_risk": path}``, for the
        endpoints whose four files ``<endpoint>_<arm>_curve.csv`` and
        ``<endpoint>_<arm>_at_risk.csv`` all exist.
    """
    d = _digitised_dir(folder)
    out: dict = {}
    if d is None or not d.is_dir():
        return out
    for ep in sv.ENDPOINTS:
        files = {arm: {"curve": d / f"{ep}_{arm}_curve.csv", "at_risk": d / f"{ep}_{arm}_at_risk.csv"} for arm in ARMS}
        if all(p.is_file() for f in files.values() for p in f.values()):
            out[ep] = files
    return out


def _hrs(df: pd.DataFrame, pub: Published) -> dict[str, tuple[float, float, float] | None]:
    """The paper's six hazard ratios (endpoint, window) on a frame per endpoint; None where undefined."""
    out = {}
    for key, h in pub.hazard_ratios.items():
        f = df.get(h.endpoint)
        if f is None:
            out[key] = None
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatisticalWarning)
                r = sv.cox_hr(f, start=h.window[0], end=h.window[1], direction=DEFAULT_HR_DIRECTION)
            out[key] = (r.hr, r.ci_low, r.ci_high) if np.isfinite(r.hr) else None
        except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
            out[key] = None
    return out


def _reconstructed_frames(clicks: dict, risk: dict, events: dict | None, H: float) -> dict[str, pd.DataFrame]:
    """Endpoint -> reconstructed (``arm``, ``time``, ``event``), censored at the horizon."""
    out = {}
    for ep in clicks:
        rec = reconstruct(clicks[ep], risk[ep], events=None if events is None else events[ep]).patients
        over = rec["time"] > H
        rec.loc[over, "event"] = 0
        rec.loc[over, "time"] = H
        out[ep] = rec
    return out


@computed_once
def compute(trial: Trial, published: Published, *, digitised: str | Path | None = None) -> ChapterResults:
    """The reconstruction chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data: its Kaplan-Meier curves are digitised and reconstructed (demonstration).
    published : Published
        The paper's horizon, landmarks and hazard ratios.
    digitised : str or Path, optional
        Folder of digitised files of the paper's figures (default ``$TRIAL_DIGITISED`` or
        ``data/digitised/``); see :func:`digitised_files`.

    Returns
    -------
    ChapterResults
        Results ``reconstruction.setting.*``, ``reconstruction.bound.*``,
        ``reconstruction.roundtrip.*``, ``reconstruction.demo.<hr key>.{data,reconstructed}``,
        ``reconstruction.demo.max_log_diff`` and, with digitised files,
        ``reconstruction.paper.<hr key>.hr``. Objects: ``round_trip`` (the accuracy table),
        ``demo`` (the six hazard ratios on the data and on the reconstruction), ``demo_km``
        (endpoint -> (KM of the data, KM of the reconstruction, clicks per arm)), ``paper`` (the hazard
        ratios on the paper's digitised figures, or ``None``), ``paper_message``, ``notes``.
    """
    pub = published
    H = pub.horizon
    res = ChapterResults("reconstruction", trial.synthetic)
    setting = "an analysis setting (analysis.report.chapters.reconstruction)"
    res.add("reconstruction.setting.time_noise", "Click noise in time (standard deviation)", TIME_NOISE,
            unit="months", note=setting, glue={"rc_noise_t": "value"})
    res.add("reconstruction.setting.survival_noise", "Click noise in survival (standard deviation)", SURVIVAL_NOISE,
            unit="proportion", note=setting, glue={"rc_noise_s": "value"})
    res.add("reconstruction.setting.at_risk_every", "Months between the at-risk times of the public round trips",
            AT_RISK_EVERY, unit="months", note=setting, glue={"rc_risk_every": "value"})
    res.add("reconstruction.setting.min_at_risk", "Fewest patients at risk at a time where survival is compared",
            MIN_AT_RISK, unit="patients", note=setting, glue={"rc_min_at_risk": "value"})
    labels = {"log_hr": ("Bound on the log hazard-ratio difference", "log ratio"),
              "rmst": ("Bound on the relative RMST difference per arm", "proportion"),
              "ds": ("Bound on the largest survival difference at the at-risk times", "proportion"),
              "median": ("Bound on the relative median difference", "proportion")}
    for k, v in BOUNDS.items():
        res.add(f"reconstruction.bound.{k}", labels[k][0], v, unit=labels[k][1],
                note="the acceptance rule of issue 15 (log HR: that of published reconstruction libraries)",
                glue={f"rc_bound_{k}": "value"})

    # 1. Round trips on public trials
    rt = round_trip_table()
    res.objects["round_trip"] = rt
    full = rt[rt["variant"] == _VARIANT_LABELS["at risk"]]
    note_rt = "public trials, independent of the data this book runs on"
    res.add("reconstruction.roundtrip.trials", "Public trial endpoints in the round trips", int(rt["trial"].nunique()),
            unit="endpoints", note=note_rt, glue={"rc_rt_n": "value"})
    res.add("reconstruction.roundtrip.at_risk.log_hr_max", "Largest |log HR difference| with the numbers at risk",
            float(full["log_hr_diff"].abs().max()), unit="log ratio", note=note_rt, glue={"rc_rt_lhr": "value"})
    res.add("reconstruction.roundtrip.at_risk.rmst_max", "Largest |relative RMST difference| with the numbers at risk",
            float(full["rmst_rel_diff"].abs().max()), unit="proportion", note=note_rt, glue={"rc_rt_rmst": "value"})
    res.add("reconstruction.roundtrip.at_risk.ds_max", "Largest |survival difference| with the numbers at risk",
            float(full["max_abs_ds"].max()), unit="proportion", note=note_rt, glue={"rc_rt_ds": "value"})
    res.add("reconstruction.roundtrip.at_risk.median_max", "Largest |relative median difference| (where defined)",
            float(full["median_rel_diff"].abs().max()), unit="proportion", note=note_rt, glue={"rc_rt_med": "value"})
    for variant, gk in (("total events only", "events"), ("neither", "neither")):
        sub = rt[rt["variant"] == _VARIANT_LABELS[variant]]
        res.add(f"reconstruction.roundtrip.{gk}.log_hr_max",
                f"Largest |log HR difference| with {_VARIANT_LABELS[variant]}",
                float(sub["log_hr_diff"].abs().max()), unit="log ratio", note=note_rt,
                glue={f"rc_rt_lhr_{gk}": "value"})

    # 2. The book's own data, digitised and reconstructed
    notes: list[str] = []
    frames, clicks, risk, events = {}, {}, {}, {}
    rng = np.random.default_rng(SEED)
    for ep in sv.ENDPOINTS:
        tcol, ecol, _ = sv.ENDPOINTS[ep]
        if not trial.has_outcome(tcol):
            notes.append(f"The data have no {sv.ENDPOINTS[ep][2]} values ({tcol}): the demonstration "
                         "on this endpoint is skipped.")
            continue
        f = sv.endpoint_frame(trial, ep, horizon=H)
        frames[ep] = f[["arm", "time", "event"]]
        clicks[ep], risk[ep], events[ep] = {}, {}, {}
        for arm in ARMS:
            a = f[f["arm"] == arm]
            clicks[ep][arm] = simulate_clicks(a["time"], a["event"], rng=rng, time_noise=TIME_NOISE,
                                              survival_noise=SURVIVAL_NOISE)
            risk[ep][arm] = at_risk_table(a["time"], [t for t in AT_RISK_TIMES if t < min(H, a["time"].max())])
            events[ep][arm] = int(a["event"].sum())
    try:
        rec = _reconstructed_frames(clicks, risk, events, H)
    except ReconstructionError as exc:  # e.g. follow-up too short for two clicks between at-risk times
        notes.append(f"The data's curves could not be reconstructed: {exc.rule}.")
        rec = {}
    hr_data, hr_rec = _hrs(frames, pub), _hrs(rec, pub)
    rows = []
    glue_short = {"os.cox": "os", "os.landmark13.late": "os_late", "hcc.cox": "hcc", "hcc.landmark8.late": "hcc_late"}
    diffs = []
    for key, h in pub.hazard_ratios.items():
        d, r = hr_data[key], hr_rec[key]
        g = glue_short.get(key)
        res.add(f"reconstruction.demo.{key}.data", f"{h.label}: hazard ratio on the data",
                None if d is None else d[0], ci_low=None if d is None else d[1], ci_high=None if d is None else d[2],
                unit="ratio", direction=HR_DIRECTION, provenance="by construction",
                glue={f"rc_demo_{g}_data": "value"} if g else {},
                note="the same estimate as the survival and landmark chapters" if d is not None else "not computable on these data")
        res.add(f"reconstruction.demo.{key}.reconstructed", f"{h.label}: hazard ratio on the reconstruction",
                None if r is None else r[0], ci_low=None if r is None else r[1], ci_high=None if r is None else r[2],
                unit="ratio", direction=HR_DIRECTION, glue={f"rc_demo_{g}_rec": "value"} if g else {},
                note="from the data's curves, clicked and reconstructed" if r is not None else "not computable on these data")
        if d is not None and r is not None:
            diffs.append(abs(np.log(r[0]) - np.log(d[0])))
        for source, v in (("Data", d), ("Reconstruction", r)):
            v = v or (np.nan, np.nan, np.nan)
            rows.append({"window": h.label, "source": source, "hr": v[0], "ci_low": v[1], "ci_high": v[2]})
    res.add("reconstruction.demo.max_log_diff", "Largest |log HR difference|, reconstruction vs data (six HRs)",
            float(max(diffs)) if diffs else None, unit="log ratio", glue={"rc_demo_max": "value"},
            note="" if diffs else "no hazard ratio computable on both")
    res.objects["demo"] = pd.DataFrame(rows)
    res.objects["demo_km"] = {ep: (sv.kaplan_meier(frames[ep]), sv.kaplan_meier(rec[ep]), clicks[ep])
                              for ep in rec}
    res.objects["horizon"] = H

    # 3. The paper's own figures, when digitised
    files = digitised_files(digitised)
    paper = None
    if files:
        pf: dict = {}
        try:
            for ep, per_arm in files.items():
                pf[ep] = reconstruct({a: read_curve(per_arm[a]["curve"]) for a in ARMS},
                                     {a: read_at_risk(per_arm[a]["at_risk"]) for a in ARMS}).patients
                over = pf[ep]["time"] > H
                pf[ep].loc[over, ["time", "event"]] = [H, 0]
        except ReconstructionError as exc:
            notes.append(f"The digitised files could not be used: {exc}.")
            pf = {}
        hr_paper = _hrs(pf, pub)
        prow = []
        for key, h in pub.hazard_ratios.items():
            p = hr_paper[key]
            res.add(f"reconstruction.paper.{key}.hr", f"{h.label}: hazard ratio on the digitised figure",
                    None if p is None else p[0], ci_low=None if p is None else p[1],
                    ci_high=None if p is None else p[2], unit="ratio", direction=HR_DIRECTION,
                    published=h.hr, published_ci_low=h.ci_low, published_ci_high=h.ci_high,
                    tolerance=Tolerance("log_ratio", HR_LOG_TOLERANCE), source=h.source,
                    note="reconstructed from the paper's figure (data/digitised)")
            v = p or (np.nan, np.nan, np.nan)
            prow.append({"window": h.label, "hr": v[0], "ci_low": v[1], "ci_high": v[2], "hr_published": h.hr,
                         "status": res[f"reconstruction.paper.{key}.hr"].status})
        paper = pd.DataFrame(prow)
        message = (f"Digitised files of the paper's figures were found ({', '.join(sorted(files))}): the "
                   "table below is computed on the reconstruction of the paper's own curves.")
    else:
        message = ("No digitised files of the paper's figures are present (data/digitised/, see its "
                   "README): this section shows nothing until they are.")
    res.objects["paper"] = paper
    res.objects["paper_message"] = message
    res.objects["notes"] = notes
    return res
