"""What an ensemble of calibrated synthetic cohorts says about the analyses the paper did not report.

The book runs on one synthetic cohort; its RMST difference, MELD-adjusted hazard ratio, Gray's test,
liver-function effects and landmark grid are one draw among the cohorts that reproduce the paper's
aggregates equally well. :func:`cohort_statistics` computes those analyses on one cohort;
:func:`summarise` runs it over an ensemble (:func:`analysis.trial.ensemble.ensemble`) and
:func:`write_summary` stores one row per cohort in ``data/ensemble/summary.csv``, which
the Data chapter summarises (median and 2.5-97.5 percentiles) with provenance ``assumed``: the
spread comes from the generator, whose assumptions (severity effect, liver-function effects) it
carries.

Regenerate (after any change to the generator; ~1 s of CPU per cohort)::

    python -m analysis.report.ensemble --cohorts 100 --out data/ensemble/summary.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ..toolkit import competing as cr
from ..toolkit import landmark as lm
from ..toolkit import longitudinal as lf
from ..toolkit import survival as sv
from ..toolkit.schema import Trial
from ..trial.ensemble import DEFAULT_ENSEMBLE_SEED, ensemble
from ..trial.paths import default_data_dir
from ..trial.published import Published, load_published
from ..trial.synthetic import SyntheticParameters

__all__ = ["STATISTICS", "SUMMARY_FILE", "summary_path", "cohort_statistics", "summarise", "write_summary"]

#: The stored summary, relative to the committed cohort's folder: a folder of its own, so that the
#: cohort's folder holds exactly what :func:`analysis.trial.synthetic.write_cohort` writes.
SUMMARY_FILE = Path("..") / "ensemble" / "summary.csv"

#: Column -> (label, unit, direction of the effect) of the statistics per cohort.
STATISTICS = {
    "os_rmst_difference": ("Overall survival: RMST difference up to the horizon", "months", "UC-MSC minus control"),
    "hcc_rmst_difference": ("HCC-free survival: RMST difference up to the horizon", "months", "UC-MSC minus control"),
    "os_hr_meld_adjusted": ("Overall survival: hazard ratio adjusted for baseline MELD", "ratio",
                            "control relative to UC-MSC"),
    "gray_hcc_p": ("Gray's test of the cumulative incidence of HCC, p", "p", ""),
    "lf_alb_w48": ("ALB at week 48: treatment effect (MMRM)", "g/L", "UC-MSC minus control"),
    "lf_pta_w48": ("PTA at week 48: treatment effect (MMRM)", "%", "UC-MSC minus control"),
    "lf_che_w48": ("CHE at week 48: treatment effect (MMRM, ratio of geometric means)", "ratio",
                   "UC-MSC relative to control"),
    "lf_tbil_w48": ("TBIL at week 48: treatment effect (MMRM, ratio of geometric means)", "ratio",
                    "UC-MSC relative to control"),
    "os_grid_hr_min": ("Overall survival: smallest late-window hazard ratio over the landmark grid", "ratio",
                       "control relative to UC-MSC"),
    "os_grid_hr_max": ("Overall survival: largest late-window hazard ratio over the landmark grid", "ratio",
                       "control relative to UC-MSC"),
    "os_meld_log_hr": ("Log hazard ratio of death per baseline MELD point, stratified by arm", "log ratio",
                       "one MELD point higher relative to lower"),
}


def summary_path(folder: str | Path | None = None) -> Path:
    """Where the stored summary of the committed cohort's ensemble is (``data/ensemble/summary.csv``).

    Parameters
    ----------
    folder : path-like, optional
        The committed cohort's folder (default :func:`analysis.trial.paths.default_data_dir`).

    Returns
    -------
    pathlib.Path
        ``<folder>/../ensemble/summary.csv``, resolved.
    """
    return (Path(folder or default_data_dir()) / SUMMARY_FILE).resolve()


def _trial(tables: dict[str, pd.DataFrame]) -> Trial:
    return Trial(patients=tables["patients"], screening=tables["screening"], labs=tables["labs"],
                 adverse_events=tables["adverse_events"], path=Path("."), synthetic=True)


def cohort_statistics(tables: dict[str, pd.DataFrame], published: Published | None = None) -> dict[str, float]:
    """The unreported analyses, and each published hazard ratio's tests, on one cohort.

    Parameters
    ----------
    tables : dict of DataFrame
        A cohort as :func:`analysis.trial.synthetic.generate` returns it.
    published : Published, optional
        The paper's numbers (horizon, landmark windows); default the paper's.

    Returns
    -------
    dict
        The :data:`STATISTICS` columns and, per published hazard ratio ``<key>``: ``<key>.hr``,
        ``<key>.ci_low``, ``<key>.ci_high``, ``<key>.p`` (Cox Wald), ``<key>.p_logrank``.
    """
    pub = published or load_published()
    H = pub.horizon
    trial = _trial(tables)
    frames = {ep: sv.add_covariates(sv.endpoint_frame(trial, ep, H)) for ep in ("os", "hcc")}
    out: dict[str, float] = {}
    for ep in ("os", "hcc"):
        out[f"{ep}_rmst_difference"] = sv.rmst(frames[ep], H, direction="ucmsc_vs_control", truncate=True).difference
    out["os_hr_meld_adjusted"] = sv.cox_hr(frames["os"], covariates=("meld",)).hr
    out["gray_hcc_p"] = cr.gray_test(cr.competing_frame(trial, H), 1).p
    labs = lf.lab_frame(trial)
    for a in ("alb", "pta", "che", "tbil"):
        s = lf.mmrm(labs, a).summary
        out[f"lf_{a}_w48"] = float(s.loc[s["week"] == s["week"].max(), "effect"].iloc[0])
    g = lm.grid_summary(lm.landmark_grid(frames["os"], lm.LANDMARK_GRID, horizon=H))
    out["os_grid_hr_min"], out["os_grid_hr_max"] = g["hr_min"], g["hr_max"]
    out["os_meld_log_hr"] = _meld_log_hr(frames["os"])
    for key, h in pub.hazard_ratios.items():
        r = sv.cox_hr(frames[h.endpoint], start=h.window[0], end=h.window[1])
        out.update({f"{key}.hr": r.hr, f"{key}.ci_low": r.ci_low, f"{key}.ci_high": r.ci_high, f"{key}.p": r.p,
                    f"{key}.p_logrank": r.p_logrank})
    return out


def _meld_log_hr(frame: pd.DataFrame) -> float:
    """Cox coefficient of baseline MELD for death, stratified by arm (lifelines, Efron ties)."""
    from lifelines import CoxPHFitter

    d = frame[["time", "event", "meld", "control"]].dropna()
    return float(CoxPHFitter().fit(d, "time", "event", strata=["control"]).params_["meld"])


def _statistics(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The worker's analysis (top-level, so it pickles)."""
    return cohort_statistics(tables)


def summarise(n: int, seed: int = DEFAULT_ENSEMBLE_SEED, *, workers: int = 2,
              params: SyntheticParameters | None = None) -> pd.DataFrame:
    """One row of :func:`cohort_statistics` per cohort of an ensemble.

    Parameters
    ----------
    n : int
        Cohorts.
    seed : int
        The ensemble's seed (:func:`analysis.trial.ensemble.cohort_seeds`).
    workers : int, default 2
        Processes.
    params : SyntheticParameters, optional
        Generator settings other than the seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort``, ``seed`` and the statistics.
    """
    rows = [{"cohort": i, "seed": s, **stats}
            for i, s, stats in ensemble(n, seed, workers=workers, params=params, analyse=_statistics)]
    return pd.DataFrame(rows)


def write_summary(out: str | Path, n: int, seed: int = DEFAULT_ENSEMBLE_SEED, *, workers: int = 2) -> Path:
    """Compute :func:`summarise` and write it as CSV.

    Parameters
    ----------
    out : path-like
        The CSV file to write (one row per cohort, ``float_format="%.10g"``).
    n : int
        Cohorts.
    seed : int
        The ensemble's seed.
    workers : int, default 2
        Processes.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    df = summarise(n, seed, workers=workers)
    out = Path(out)
    df.to_csv(out, index=False, lineterminator="\n", float_format="%.10g")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Summarise an ensemble of calibrated synthetic cohorts.")
    ap.add_argument("--cohorts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=DEFAULT_ENSEMBLE_SEED)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(summary_path()))
    a = ap.parse_args(argv)
    print(write_summary(a.out, a.cohorts, a.seed, workers=a.workers))


if __name__ == "__main__":
    main()
