"""Competing risks for HCC: cumulative incidence of HCC and of death without HCC.

The paper analyses HCC as HCC-free survival, censoring deaths. A death
without HCC removes the patient from any chance of HCC, so the Kaplan-Meier
complement over-states the probability of HCC when deaths are frequent. This
module gives the competing-risk view:

- :func:`competing_frame`: one row per analysed patient with ``status`` 0
  (censored), 1 (HCC) or 2 (death without HCC) at the first event.
- :func:`cumulative_incidence`: Aalen-Johansen cumulative incidence per arm
  with Gray's (1988) variance, as ``cmprsk::cuminc``.
- :func:`gray_test`: Gray's K-sample test of equal cumulative incidence
  (``cmprsk::cuminc``'s ``Tests``).
- :func:`cause_specific_hr`: the cause-specific Cox hazard ratio (other causes
  censored), a test of the cause-specific hazards rather than of the
  cumulative incidences.

Conventions: time in months from randomization, administrative censoring at
75 months, hazard ratios control relative to UC-MSC.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .schema import ARMS, Trial
from .warnings import StatisticalWarning
from .survival import HRResult, _administrative_censoring, _check_alpha, _check_arms, _require, cox_hr

__all__ = [
    "CAUSES",
    "competing_frame",
    "CIFResult",
    "cumulative_incidence",
    "GrayResult",
    "gray_test",
    "cause_specific_hr",
    "crude_incidence",
]

#: Status codes of :func:`competing_frame`.
CAUSES = {0: "censored", 1: "HCC", 2: "death without HCC"}


def competing_frame(trial: Trial | pd.DataFrame, horizon: float | None = 75.0) -> pd.DataFrame:
    """First event of HCC or death, per analysed patient.

    Parameters
    ----------
    trial : Trial or pandas.DataFrame
        Trial or analysed-patients frame with ``hcc_months``, ``hcc``,
        ``os_months`` and ``death``.
    horizon : float or None, default 75.0
        Administrative censoring in months (default 75); ``None`` for none.

    Returns
    -------
    pandas.DataFrame
        The patient columns plus ``time`` and ``status``: 1 = HCC at
        ``hcc_months``; else 2 = death without HCC at ``os_months``; else 0 =
        censored at ``hcc_months`` (end of HCC follow-up). Also ``event`` (any
        of the two) and ``control``.
    """
    p = trial.analyzed if isinstance(trial, Trial) else trial
    _require(p, ["arm", "hcc_months", "hcc", "os_months", "death"], "trial patients")
    _check_arms(p, "trial patients")
    df = p.copy()
    hcc = df["hcc"].astype(int) == 1
    death = df["death"].astype(int) == 1
    df["status"] = np.where(hcc, 1, np.where(death, 2, 0))
    df["time"] = np.where(hcc, df["hcc_months"], np.where(death, df["os_months"], df["hcc_months"])).astype(float)
    _administrative_censoring(df, horizon, ("status",))
    df["status"] = df["status"].astype(int)
    df["event"] = (df["status"] > 0).astype(int)
    df["control"] = (df["arm"] == "control").astype(int)
    return df.reset_index(drop=True)


def _check_status(df: pd.DataFrame) -> None:
    _require(df, ["time", "status", "arm"])
    _check_arms(df)
    bad = ~df["status"].isin([0, 1, 2])
    if bad.any():
        raise ValueError(f"df['status'] must be 0 (censored), 1 or 2; found {sorted(set(df.loc[bad, 'status']))}")


def _cif_one(time: np.ndarray, status: np.ndarray, cause: int) -> pd.DataFrame:
    """Aalen-Johansen CIF of ``cause`` and Gray's variance at each of its event times.

    The variance is Gray's (1988) delta-method estimator as computed by
    cmprsk's ``cinc`` routine; it is updated at event times of the cause of
    interest only (competing events between two such times enter at the next
    one), which we reproduce.
    """
    order = np.argsort(time, kind="mergesort")
    time, status = time[order], status[order]
    n = len(time)
    # counts per distinct time by one sort (the recursion below then visits event times only,
    # with the same numbers as a scan of the data per time: linear, not quadratic, in the patients)
    ut, first, inv = np.unique(time, return_index=True, return_inverse=True)
    rs_all = n - first  # patients with time >= u (time is sorted)
    nd1_all = np.bincount(inv, weights=status == cause, minlength=len(ut))
    nd2_all = np.bincount(inv, weights=(status > 0) & (status != cause), minlength=len(ut))
    surv = 1.0  # overall KM just before the current time
    f = 0.0
    v1 = v2 = v3 = 0.0
    out = []
    for k in np.flatnonzero(nd1_all + nd2_all > 0):
        u = ut[k]
        rs = float(rs_all[k])
        nd1 = float(nd1_all[k])
        nd2 = float(nd2_all[k])
        surv_new = surv * (rs - nd1 - nd2) / rs
        if nd1 > 0:
            f = f + surv * nd1 / rs
        if nd2 > 0 and surv_new > 0:
            t5 = 1 - (nd2 - 1) / (rs - 1) if nd2 > 1 else 1.0
            t6 = surv * surv * t5 * nd2 / (rs * rs)
            t3, t4 = 1 / surv_new, f / surv_new
            v1 += t4 * t4 * t6
            v2 += t3 * t4 * t6
            v3 += t3 * t3 * t6
        if nd1 > 0:
            t5 = 1 - (nd1 - 1) / (rs - 1) if nd1 > 1 else 1.0
            t6 = surv * surv * t5 * nd1 / (rs * rs)
            t3 = 1 / surv_new if surv_new > 0 else 0.0
            t4 = 1 + t3 * f
            v1 += t4 * t4 * t6
            v2 += t3 * t4 * t6
            v3 += t3 * t3 * t6
            out.append((u, rs, nd1, f, v1 + f * f * v3 - 2 * f * v2))
        surv = surv_new
    tab = pd.DataFrame(out, columns=["time", "n_risk", "n_event", "cif", "var"])
    return tab


@dataclass(frozen=True)
class CIFResult:
    """Cumulative incidence of one cause per arm.

    Returned by :func:`cumulative_incidence`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per arm and event time of the cause: ``arm``, ``time``
        (months), ``n_risk`` (at risk just before the time), ``n_event``
        (events of the cause at the time), ``cif`` (Aalen-Johansen cumulative
        incidence), ``var`` (Gray's variance), ``ci_low``, ``ci_high``
        (pointwise interval on the log(-log) scale; ``nan`` where the CIF
        is 0 or 1).
    cause : int
        Status code of the cause (1 = HCC, 2 = death without HCC).
    last_time : dict
        Arm -> last follow-up time in months (any status); the CIF is not
        estimated beyond it.
    alpha : float
        1 - confidence level of the intervals (default 0.05).

    See Also
    --------
    cumulative_incidence : the function that computes it.

    Notes
    -----
    R: ``cmprsk::cuminc(time, status, group = arm, cencode = 0)`` (``est``
    and ``var``); :meth:`at` matches ``cmprsk::timepoints``.
    """

    table: pd.DataFrame
    cause: int
    last_time: dict
    alpha: float = 0.05

    @property
    def summary(self) -> pd.DataFrame:
        return self.at()

    def at(self, times: Sequence[float] = (12.0, 24.0, 36.0, 48.0, 60.0, 75.0)) -> pd.DataFrame:
        """Cumulative incidence, variance and CI at given times (``cmprsk::timepoints``)."""
        z = _check_alpha(self.alpha)
        rows = []
        for arm, last in self.last_time.items():
            t = self.table[self.table["arm"] == arm]
            for u in times:
                if u > last:
                    cif = var = np.nan
                else:
                    i = np.searchsorted(t["time"].to_numpy(), u, side="right") - 1
                    cif = float(t["cif"].iloc[i]) if i >= 0 else 0.0
                    var = float(t["var"].iloc[i]) if i >= 0 else 0.0
                lo, hi = _cif_ci(np.array([cif]), np.array([var]), z)
                rows.append({"arm": arm, "time": float(u), "cif": cif, "var": var, "ci_low": lo[0], "ci_high": hi[0]})
        return pd.DataFrame(rows)

    def curve(self, arm: str) -> pd.DataFrame:
        """Step coordinates of one arm from (0, 0) to the last follow-up."""
        t = self.table[self.table["arm"] == arm][["time", "cif", "ci_low", "ci_high"]]
        start = pd.DataFrame({"time": [0.0], "cif": [0.0], "ci_low": [0.0], "ci_high": [0.0]})
        end = t.tail(1).assign(time=self.last_time[arm]) if len(t) else start.assign(time=self.last_time[arm])
        return pd.concat([x for x in (start, t, end) if len(x)], ignore_index=True)


def _cif_ci(cif: np.ndarray, var: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where((cif <= 0) | (cif >= 1), np.nan, cif)
        se = np.sqrt(var) / (x * np.abs(np.log(x)))
        eta = np.log(-np.log(x))
        return np.exp(-np.exp(eta + z * se)), np.exp(-np.exp(eta - z * se))


def cumulative_incidence(df: pd.DataFrame, cause: int = 1, *, alpha: float = 0.05) -> CIFResult:
    """Aalen-Johansen cumulative incidence of one cause, per arm.

    Parameters
    ----------
    df : pandas.DataFrame
        Competing-risk frame (:func:`competing_frame`).
    cause : int, default 1
        Status code of interest (1 = HCC, 2 = death without HCC).
    alpha : float, default 0.05
        1 - confidence level of the pointwise interval.

    Returns
    -------
    CIFResult

    Notes
    -----
    The estimate is the Aalen-Johansen estimator, equal to lifelines'
    ``AalenJohansenFitter`` and to ``cmprsk::cuminc``'s ``est``. The variance
    is Gray's (1988) estimator as in ``cuminc``'s ``var`` (lifelines uses a
    different, Aalen-type variance), computed by our own code because no
    Python library has it. The interval is ours: the log(-log) transform of
    the CIF with that variance (cmprsk prints no interval). Matches
    ``cuminc(time, status, group = arm, cencode = 0)``.

    References
    ----------
    Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous
    Markov chains based on censored observations. Scand J Stat 1978;5:141-50.
    Gray RJ. A class of K-sample tests for comparing the cumulative incidence
    of a competing risk. Ann Stat 1988;16:1141-54.
    """
    _check_status(df)
    if cause not in (1, 2):
        raise ValueError(f"cause must be 1 or 2, got {cause!r}")
    z = _check_alpha(alpha)
    parts, last = [], {}
    for arm in ARMS:
        g = df[df["arm"] == arm]
        if g.empty:
            continue
        t = _cif_one(g["time"].to_numpy(float), g["status"].to_numpy(int), cause)
        t["ci_low"], t["ci_high"] = _cif_ci(t["cif"].to_numpy(), t["var"].to_numpy(), z)
        t.insert(0, "arm", arm)
        parts.append(t)
        last[arm] = float(g["time"].max())
    # column by column: pandas' concat warns when an arm without events has all-NaN limits
    table = pd.DataFrame({c: np.concatenate([p[c].to_numpy() for p in parts]) for c in parts[0].columns})
    return CIFResult(table, cause, last, alpha)


@dataclass(frozen=True)
class GrayResult:
    """Gray's test of equal cumulative incidence of one cause across arms.

    Returned by :func:`gray_test`.

    Attributes
    ----------
    stat : float
        Chi-square statistic ``score**2 / variance``; ``nan`` when the test
        is not defined (no event of the cause, or zero variance).
    df : int
        Degrees of freedom (1: two arms).
    p : float
        p value, ``P(chi2_df > stat)``.
    score : float
        Gray's score of the control arm (weighted observed minus expected
        events of the cause), summed over strata.
    variance : float
        Variance of the score, summed over strata.
    cause : int
        Status code tested (1 = HCC, 2 = death without HCC).
    rho : float
        Power of the weight ``(1 - F(t-))**rho`` (0 by default, as ``cuminc``).

    See Also
    --------
    gray_test : the function that computes it.

    Notes
    -----
    R: ``cmprsk::cuminc(time, status, group = arm, cencode = 0)$Tests``
    (``stat``, ``pv``, ``df``).
    """

    stat: float
    df: int
    p: float
    score: float
    variance: float
    cause: int
    rho: float = 0.0

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"cause": self.cause, "stat": self.stat, "df": self.df, "p": self.p}])


def _gray_stratum(time, status, group, cause, rho, ng):
    """Score (first ng-1 groups) and its variance within one stratum (Gray 1988)."""
    order = np.argsort(time, kind="mergesort")
    time, status, group = time[order], status[order], group[order]
    ng1 = ng - 1
    rs = np.bincount(group, minlength=ng).astype(float)
    f1m = np.zeros(ng)
    skmm = np.ones(ng)
    fm = 0.0
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    c = np.zeros((ng, ng))
    v3 = np.zeros(ng)
    v2 = np.zeros((ng1, ng))
    # counts per distinct time and group by one sort; the recursion visits event times only (the
    # numbers at risk in between are the same integers a scan of the data per time gives)
    ut, inv = np.unique(time, return_inverse=True)
    cell = inv * ng + group
    d1_all = np.bincount(cell, weights=status == cause, minlength=len(ut) * ng).reshape(-1, ng)
    d2_all = np.bincount(cell, weights=(status > 0) & (status != cause), minlength=len(ut) * ng).reshape(-1, ng)
    leaving = np.bincount(cell, minlength=len(ut) * ng).reshape(-1, ng).astype(float)
    rs_all = rs - np.vstack([np.zeros((1, ng)), np.cumsum(leaving, axis=0)[:-1]])
    for k in np.flatnonzero((d1_all + d2_all).sum(axis=1) > 0):
        d1, d2, rs = d1_all[k], d2_all[k], rs_all[k].copy()
        nd1, nd2 = d1.sum(), d2.sum()
        if nd1 + nd2 > 0:
            ok = rs > 0
            skm = skmm.copy()
            f1 = f1m.copy()
            skm[ok] = skmm[ok] * (rs[ok] - d1[ok] - d2[ok]) / rs[ok]
            f1[ok] = f1m[ok] + skmm[ok] * d1[ok] / rs[ok]
            tr = np.sum(rs[ok] / skmm[ok])
            tq = np.sum(rs[ok] * (1 - f1m[ok]) / skmm[ok])
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = np.zeros((ng, ng))
            h = np.where(ok, rs / np.where(ok, skmm, 1.0), 0.0)  # hat h_r per group
            for i in range(ng):
                if not ok[i]:
                    continue
                a[i, i] = fb * h[i] * (1 - h[i] / tr)
                c[i, i] += a[i, i] * nd1 / (tr * (1 - fm))
                for j in range(i + 1, ng):
                    if not ok[j]:
                        continue
                    a[i, j] = a[j, i] = -fb * h[i] * h[j] / tr
                    c[i, j] += a[i, j] * nd1 / (tr * (1 - fm))
                    c[j, i] = c[i, j]
            for i in range(ng1):
                if ok[i]:
                    s[i] += fb * (d1[i] - nd1 * rs[i] * (1 - f1m[i]) / (skmm[i] * tq))
            if nd1 > 0:
                for k in range(ng):
                    if not ok[k]:
                        continue
                    t4 = 1 - (1 - f) / skm[k] if skm[k] > 0 else 1.0
                    t5 = 1 - (nd1 - 1) / (tr * skmm[k] - 1) if nd1 > 1 else 1.0
                    t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
                    v3[k] += t4 * t4 * t3
                    t1 = a[:ng1, k] - t4 * c[:ng1, k]
                    v2[:, k] += t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            if nd2 > 0:
                for k in range(ng):
                    if skm[k] <= 0 or d2[k] <= 0:
                        continue
                    t4 = (1 - f) / skm[k]
                    t5 = 1 - (d2[k] - 1) / (rs[k] - 1) if d2[k] > 1 else 1.0
                    t3 = t5 * skmm[k] ** 2 * d2[k] / rs[k] ** 2
                    v3[k] += t4 * t4 * t3
                    t1 = t4 * c[:ng1, k]
                    v2[:, k] -= t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            fm, f1m, skmm = f, f1, skm
    v += (c[:ng1] * v3) @ c[:ng1].T + c[:ng1] @ v2.T + v2 @ c[:ng1].T
    return s, v


def gray_test(df: pd.DataFrame, cause: int = 1, *, rho: float = 0.0, strata: str | None = None) -> GrayResult:
    """Gray's test that the cumulative incidence of ``cause`` is equal in the two arms.

    Parameters
    ----------
    df : pandas.DataFrame
        Competing-risk frame (:func:`competing_frame`).
    cause : int, default 1
        Status code of interest.
    rho : float, default 0.0
        Power of the weight (1 - F(t-))^rho (default 0, as ``cuminc``).
    strata : str, optional
        Optional column: scores and variances are summed over its levels.

    Returns
    -------
    GrayResult
        Chi-square with 1 df (two arms). ``score`` is the control arm's.

    Notes
    -----
    Our own implementation of Gray's (1988) score and variance, following the
    algorithm of cmprsk's ``crstm`` routine. Matches ``cmprsk::cuminc(time, status,
    group = arm, strata = strata, rho = rho, cencode = 0)$Tests``.

    References
    ----------
    Gray RJ. A class of K-sample tests for comparing the cumulative incidence
    of a competing risk. Ann Stat 1988;16:1141-54.
    """
    _check_status(df)
    if strata is not None:
        _require(df, [strata])
    groups = [a for a in ARMS if (df["arm"] == a).any()]
    if len(groups) < 2:
        raise ValueError("df must hold both arms for Gray's test")
    code = df["arm"].map({a: i for i, a in enumerate(groups)}).to_numpy(int)
    if not (df["status"] == cause).any():
        warnings.warn(f"Gray's test not defined: no events of cause {cause} ({CAUSES.get(cause, cause)})",
                      StatisticalWarning, stacklevel=2)
        nan = float("nan")
        return GrayResult(nan, 1, nan, nan, nan, cause, rho)
    key = df[strata].astype(str).to_numpy() if strata else np.zeros(len(df), dtype=int)
    s_tot = np.zeros(1)
    v_tot = np.zeros((1, 1))
    for k in np.unique(key):
        m = key == k
        s, v = _gray_stratum(df["time"].to_numpy(float)[m], df["status"].to_numpy(int)[m], code[m], cause, rho, 2)
        s_tot += s
        v_tot += v
    if not v_tot[0, 0] > 0:
        warnings.warn("Gray's test not defined: the variance of the score is zero", StatisticalWarning,
                      stacklevel=2)
        nan = float("nan")
        return GrayResult(nan, 1, nan, float(s_tot[0]), float(v_tot[0, 0]), cause, rho)
    stat = float(s_tot @ np.linalg.solve(v_tot, s_tot))
    return GrayResult(stat, 1, float(stats.chi2.sf(stat, 1)), float(s_tot[0]), float(v_tot[0, 0]), cause, rho)


def cause_specific_hr(df: pd.DataFrame, cause: int = 1, **kwargs) -> HRResult:
    """Cause-specific Cox hazard ratio: events of other causes are censored.

    Parameters
    ----------
    df : pandas.DataFrame
        Competing-risk frame (:func:`competing_frame`).
    cause : int, default 1
        Status code of interest.
    **kwargs
        Passed to :func:`analysis.toolkit.survival.cox_hr` (``direction``, ``alpha``,
        ``strata``, ``covariates``, window).

    Returns
    -------
    HRResult
        Matches ``survival::coxph(Surv(time, status == cause) ~ arm)``. For HCC this is
        the same model as the paper's HCC-free-survival Cox model (death
        censored) when no HCC follows the horizon; the reading differs: it
        compares the hazard of HCC among patients alive and HCC-free, not the
        probability of HCC.

    References
    ----------
    Prentice RL, Kalbfleisch JD, Peterson AV, et al. The analysis of failure
    times in the presence of competing risks. Biometrics 1978;34:541-54.
    Putter H, Fiocco M, Geskus RB. Tutorial in biostatistics: competing risks
    and multi-state models. Stat Med 2007;26:2389-430.
    """
    _check_status(df)
    d = df.assign(event=(df["status"] == cause).astype(int))
    return cox_hr(d, model=f"cause-specific ({CAUSES.get(cause, cause)})", **kwargs)


def crude_incidence(df: pd.DataFrame) -> pd.DataFrame:
    """Events of each cause per arm as counts and proportions of the arm (no time dimension).

    This is how the paper reports HCC (events / analysed patients); it ignores censoring,
    so it is shown beside, not instead of, the cumulative incidence.

    Parameters
    ----------
    df : pandas.DataFrame
        Competing-risk frame (:func:`competing_frame`) with ``arm``, ``time``
        and ``status`` (0 censored, 1 HCC, 2 death without HCC).

    Returns
    -------
    pandas.DataFrame
        One row per arm present: ``arm``, ``n`` (patients), ``hcc``,
        ``death_without_hcc``, ``censored`` (counts) and the proportions of
        ``n`` ``hcc_prop`` and ``death_without_hcc_prop`` (fractions in [0, 1]).

    See Also
    --------
    cumulative_incidence : the incidence over time, accounting for censoring.
    """
    _check_status(df)
    rows = []
    for arm in ARMS:
        g = df[df["arm"] == arm]
        if g.empty:
            continue
        n = len(g)
        h, dth = int((g["status"] == 1).sum()), int((g["status"] == 2).sum())
        rows.append({"arm": arm, "n": n, "hcc": h, "death_without_hcc": dth, "censored": n - h - dth,
                     "hcc_prop": h / n, "death_without_hcc_prop": dth / n})
    return pd.DataFrame(rows)
