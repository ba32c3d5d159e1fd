"""Figures for the survival and landmark chapters.

Each function takes the result object of a statistical function (never raw
data it would have to analyse itself) and returns a matplotlib ``Figure``.
Arm colours and labels come from :mod:`analysis.report.figures`; times are months
since randomization.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..toolkit.competing import CIFResult
from .figures import ARM_COLORS
from .format import arm_label
from ..toolkit.survival import KMResult, ZPHResult

__all__ = ["AT_RISK_TIMES", "plot_km", "plot_landmark_km", "plot_forest", "plot_zph", "plot_cif", "plot_landmark_grid",
           "plot_reconstruction"]

#: Times (months) of the numbers-at-risk table.
AT_RISK_TIMES = (0.0, 12.0, 24.0, 36.0, 48.0, 60.0, 75.0)
_MONTHS = "Months since randomization"
#: Font size (points) of the numbers at risk: large enough to read when a 7-inch figure is
#: scaled to a phone's width (about half its size).
AT_RISK_FONTSIZE = 14.0
#: Arm favoured on each side of a hazard ratio of 1, for HRs of control relative to UC-MSC:
#: below 1 the control arm's hazard is lower, above 1 UC-MSC's is.
HR_FAVOURS = ("control", "UC-MSC")


def _favours_x(ax, favours: tuple[str, str], *, at: float, y: float, fontsize: float = 10.0) -> None:
    """Write "favours <left>" and "favours <right>" either side of ``x = at`` (data) at height ``y`` (data)."""
    kw = dict(va="center", fontsize=fontsize, color="0.25")
    ax.text(at, y, f"\u2190 favours {favours[0]}  ", ha="right", gid="favours:left", **kw)
    ax.text(at, y, f"  favours {favours[1]} \u2192", ha="left", gid="favours:right", **kw)


def _step(ax, x, y, **kw):
    ax.step(x, y, where="post", **kw)


def _draw_km(ax, km: KMResult, *, ci: bool, censor_marks: bool, start: float | None = None) -> None:
    for arm in km.arms:
        c = km.curve(arm)
        if start is not None:
            c.loc[0, "time"] = start
        col = ARM_COLORS[arm]
        _step(ax, c["time"], c["surv"], color=col, lw=1.8, label=arm_label(arm))
        if ci:
            ax.fill_between(c["time"], c["ci_low"].fillna(c["surv"]), c["ci_high"].fillna(c["surv"]),
                            step="post", color=col, alpha=0.15, lw=0)
        if censor_marks:
            t = km.table[(km.table["arm"] == arm) & (km.table["n_censor"] > 0)]
            ax.plot(t["time"], t["surv"], "|", color=col, ms=6, mew=1)


def _at_risk_rows(ax, tables: Sequence[tuple[pd.DataFrame, Sequence[float]]], arms: Sequence[str]) -> None:
    """Numbers-at-risk table under a plot, one row per arm, aligned with the x axis."""
    ax.set_ylim(-0.5, len(arms) - 0.5)
    ax.invert_yaxis()
    for tab, times in tables:
        for i, arm in enumerate(arms):
            for t in times:
                if arm in tab.index:
                    ax.text(t, i, f"{int(tab.loc[arm, float(t)])}", ha="center", va="center",
                            fontsize=AT_RISK_FONTSIZE, color=ARM_COLORS[arm])
    ax.set_yticks(range(len(arms)), [arm_label(a) for a in arms], fontsize=AT_RISK_FONTSIZE - 1)
    for lab, arm in zip(ax.get_yticklabels(), arms):
        lab.set_color(ARM_COLORS[arm])
    ax.tick_params(axis="y", length=0, pad=14)
    ax.tick_params(axis="x", length=0, labelbottom=False)
    for s in ("left", "bottom", "top", "right"):
        ax.spines[s].set_visible(False)
    ax.set_title("Number at risk", fontsize=AT_RISK_FONTSIZE - 2, loc="left")


def _km_figure(figsize) -> tuple[Figure, plt.Axes, plt.Axes]:
    fig, (ax, axr) = plt.subplots(2, 1, figsize=figsize, sharex=True, gridspec_kw={"height_ratios": [4, 1.5]})
    fig.subplots_adjust(hspace=0.45, left=0.17, right=0.97, top=0.95, bottom=0.04)
    return fig, ax, axr


def plot_km(
    km: KMResult,
    *,
    at_risk_times: Sequence[float] = AT_RISK_TIMES,
    ci: bool = True,
    censor_marks: bool = True,
    ylabel: str = "Probability event-free",
    title: str | None = None,
    horizon: float | None = None,
    figsize: tuple[float, float] = (7.0, 5.6),
) -> Figure:
    """Kaplan-Meier curves per arm with CI bands and a numbers-at-risk table.

    Parameters
    ----------
    km : KMResult
        :func:`analysis.toolkit.survival.kaplan_meier` result.
    at_risk_times : sequence of float, default AT_RISK_TIMES
        Months at which the numbers at risk are printed (from
        ``km.at_risk``, so the table shown is the data returned); times beyond the x
        limit are dropped.
    ci, censor_marks : bool, default True
        Draw the pointwise CI band (the ``km.conf_type`` interval) and ticks at
        censoring times.
    ylabel : str, default "Probability event-free"
        Label of the y axis.
    title : str, optional
        Title above the curves (default ``None``: none).
    horizon : float, optional
        Upper x limit in months (default ``None``: the last time).
    figsize : tuple of float, default (7.0, 5.6)
        Figure size in inches (width, height).

    Returns
    -------
    matplotlib.figure.Figure
        The curves (months since randomization on the x axis) above the numbers-at-risk table.

    Notes
    -----
    R analogue: ``plot(survival::survfit(Surv(time, event) ~ arm))`` with a risk table
    (e.g. ``survminer::ggsurvplot(fit, risk.table = TRUE)``).
    """
    fig, ax, axr = _km_figure(figsize)
    _draw_km(ax, km, ci=ci, censor_marks=censor_marks)
    xmax = horizon if horizon is not None else float(km.table["time"].max())
    times = [t for t in at_risk_times if t <= xmax]
    ax.set_xlim(-0.03 * xmax, xmax * 1.03)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", frameon=False)
    if title:
        ax.set_title(title)
    ax.set_xticks(times)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel(_MONTHS)
    _at_risk_rows(axr, [(km.at_risk(times), times)], km.arms)
    return fig


def plot_landmark_km(
    early: KMResult,
    late: KMResult,
    landmark: float,
    *,
    horizon: float = 75.0,
    at_risk_times: Sequence[float] = AT_RISK_TIMES,
    ylabel: str = "Probability event-free",
    title: str | None = None,
    figsize: tuple[float, float] = (7.0, 5.6),
) -> Figure:
    """Kaplan-Meier curves split at a landmark: (0, L] and, restarted at 1, (L, horizon].

    Parameters
    ----------
    early, late : KMResult
        KM of the early window and of the late window (delayed entry at L),
        from :func:`analysis.toolkit.survival.kaplan_meier` on
        :func:`analysis.toolkit.survival.window_frame` output.
    landmark : float
        L in months (vertical line); the late curves start there at 1.
    horizon : float, default 75.0
        Upper x limit in months.
    at_risk_times : sequence of float, default AT_RISK_TIMES
        Months at which the numbers at risk are printed (the landmark is added to the late
        window's; times too close to the landmark are dropped so that columns do not overprint).
    ylabel : str, default "Probability event-free"
        Label of the y axis.
    title : str, optional
        Title above the curves (default ``None``: none).
    figsize : tuple of float, default (7.0, 5.6)
        Figure size in inches (width, height).

    Returns
    -------
    matplotlib.figure.Figure
        Both windows' curves with CI bands, a dashed line at the landmark, and the numbers
        at risk of each window.
    """
    fig, ax, axr = _km_figure(figsize)
    _draw_km(ax, early, ci=True, censor_marks=False)
    _draw_km(ax, late, ci=True, censor_marks=False, start=landmark)
    ax.axvline(landmark, color="0.3", ls="--", lw=1)
    ax.text(landmark, 0.03, f" landmark {landmark:g} months", fontsize=9, color="0.3", va="bottom")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[:2], labels[:2], loc="lower right", frameon=False)
    ax.set_xlim(-0.03 * horizon, horizon * 1.03)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    # times too close to the landmark would overprint its column
    t_early = [t for t in at_risk_times if t < landmark - 0.08 * horizon]
    t_late = [landmark] + [t for t in at_risk_times if landmark + 0.08 * horizon < t <= horizon]
    ax.set_xticks(sorted(set(t_early + t_late)))
    ax.tick_params(labelbottom=True)
    ax.set_xlabel(_MONTHS + " (curves restart at the landmark)")
    _at_risk_rows(axr, [(early.at_risk(t_early), t_early), (late.at_risk(t_late), t_late)], early.arms)
    return fig


def plot_forest(
    table: pd.DataFrame,
    *,
    label: str = "label",
    published: bool = False,
    xlabel: str = "Hazard ratio, control vs UC-MSC (log scale)",
    favours: tuple[str, str] | None = HR_FAVOURS,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Forest plot of hazard ratios with 95% CIs.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows to draw, with columns ``label`` (or the name given), ``hr``,
        ``ci_low``, ``ci_high``; with ``published=True`` also
        ``hr_published``, ``ci_low_published``, ``ci_high_published`` (drawn
        as open grey markers just below each estimate). Rows with missing values are
        not drawn.
    label : str, default "label"
        Column holding the row labels.
    published : bool, default False
        Also draw the published estimates and a legend.
    xlabel : str, default "Hazard ratio, control vs UC-MSC (log scale)"
        Label of the x axis; it must name the direction of the hazard ratios in ``table``.
    favours : (str, str) or None, default HR_FAVOURS
        Arms favoured by a hazard ratio below and above 1, written above the rows either side
        of the line of no difference (``("control", "UC-MSC")`` for HRs of control relative
        to UC-MSC); ``None``: no labels.
    figsize : tuple of float, optional
        Figure size in inches (default ``None``: 7 wide, 0.55 per row + 1.3 high, plus a row
        for the ``favours`` labels).

    Returns
    -------
    matplotlib.figure.Figure
        Estimates with their intervals on a log scale, a dotted line at HR = 1 and, with
        ``favours``, the arm each side favours.
    """
    n = len(table)
    top = n - 0.3 + (0.7 if favours else 0.0)  # a row above the estimates for the favours labels
    fig, ax = plt.subplots(figsize=figsize or (7.0, 0.55 * (top + 0.7) + 1.3))
    y = np.arange(n)[::-1].astype(float)
    off = 0.18 if published else 0.0
    col = lambda c: table[c].to_numpy(dtype=float)  # noqa: E731  (arrays: NaN rows are simply not drawn)
    ax.errorbar(col("hr"), y + off, xerr=[col("hr") - col("ci_low"), col("ci_high") - col("hr")],
                fmt="s", color="black", ms=6, capsize=3, lw=1.4, label="This cohort")
    if published:
        ax.errorbar(col("hr_published"), y - off,
                    xerr=[col("hr_published") - col("ci_low_published"),
                          col("ci_high_published") - col("hr_published")],
                    fmt="o", mfc="white", color="0.5", ms=6, capsize=3, lw=1.2, label="Published")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.axvline(1, color="0.4", lw=1, ls=":")
    ax.set_xscale("log")
    lo = np.nanmin(np.r_[table["ci_low"], table.get("ci_low_published", pd.Series(dtype=float))])
    hi = np.nanmax(np.r_[table["ci_high"], table.get("ci_high_published", pd.Series(dtype=float))])
    x0, x1 = min(lo, 1) / 1.3, max(hi, 1) * 1.3
    if favours:  # symmetric about 1 on the log scale: room for both labels
        x1 = max(x1, 1 / x0, 1.6)
        x0 = 1 / x1
    ax.set_xlim(x0, x1)
    ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if x0 <= t <= x1]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(y, table[label])
    ax.set_ylim(-0.7, top)
    if favours:
        _favours_x(ax, favours, at=1.0, y=n - 0.15)
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    fig.tight_layout()
    return fig


def plot_zph(zph: ZPHResult, term: str = "trt", *, ylabel: str | None = None, frac: float = 0.5) -> Figure:
    """Scaled Schoenfeld residuals of one term against time, with a lowess smooth.

    A flat smooth at the Cox coefficient (dashed line) is what proportional
    hazards predict; a trend means the log hazard ratio changes with time.

    Parameters
    ----------
    zph : ZPHResult
        :func:`analysis.toolkit.survival.ph_test` result.
    term : str, default "trt"
        Column of ``zph.residuals`` (``"trt"`` for treatment).
    ylabel : str, optional
        Label of the y axis (default ``None``: ``"Log hazard ratio, <term>"``).
    frac : float, default 0.5
        Lowess span (statsmodels ``lowess``).

    Returns
    -------
    matplotlib.figure.Figure
        Residuals against months since randomization, their lowess smooth, the Cox estimate
        (dashed) and zero (dotted).

    Notes
    -----
    R analogue: ``plot(survival::cox.zph(fit))``, which smooths with a spline instead.
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    r = zph.residuals
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    ax.plot(r["time"], r[term], "o", color="0.45", ms=4, alpha=0.7, label="Scaled Schoenfeld residual (one per event)")
    sm = lowess(r[term], r["time"], frac=frac, return_sorted=True)
    ax.plot(sm[:, 0], sm[:, 1], color="black", lw=2, label="Lowess smooth: log HR(t)")
    ax.axhline(zph.coef[term], color="0.2", ls="--", lw=1, label="Cox estimate (constant log HR)")
    ax.axhline(0, color="0.6", ls=":", lw=1)
    ax.set_xlabel(_MONTHS)
    ax.set_ylabel(ylabel or f"Log hazard ratio, {term}")
    ax.legend(loc="best", frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def plot_cif(
    cifs: Sequence[tuple[CIFResult, str, str]],
    *,
    horizon: float = 75.0,
    ylabel: str = "Cumulative incidence",
    ci: bool = False,
) -> Figure:
    """Cumulative incidence curves per arm for one or more causes.

    Parameters
    ----------
    cifs : sequence of (CIFResult, str, str)
        ``(result, cause label, line style)`` per cause, one panel each, e.g.
        ``[(hcc, "HCC", "-"), (death, "Death without HCC", "-")]``; results from
        :func:`analysis.toolkit.competing.cumulative_incidence`.
    horizon : float, default 75.0
        Upper x limit in months.
    ylabel : str, default "Cumulative incidence"
        Label of the y axis (first panel).
    ci : bool, default False
        Draw the pointwise interval bands.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per cause with a curve per arm, sharing the y axis.
    """
    fig, axes = plt.subplots(1, len(cifs), figsize=(3.6 * len(cifs) + 0.4, 4.0), sharey=True, squeeze=False)
    for ax, (res, lab, ls) in zip(axes[0], cifs):
        for arm in res.last_time:
            c = res.curve(arm)
            _step(ax, c["time"], c["cif"], color=ARM_COLORS[arm], ls=ls, lw=1.8, label=arm_label(arm))
            if ci:
                ax.fill_between(c["time"], c["ci_low"].fillna(c["cif"]), c["ci_high"].fillna(c["cif"]),
                                step="post", color=ARM_COLORS[arm], alpha=0.12, lw=0)
        ax.set_title(lab)
        ax.set_xlim(0, horizon * 1.02)
        ax.set_ylim(bottom=0)
        ax.set_xticks([t for t in AT_RISK_TIMES if t <= horizon])
        ax.set_xlabel(_MONTHS)
    axes[0][0].set_ylabel(ylabel)
    axes[0][0].legend(loc="upper left", frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def _finite_range(*columns, default: tuple[float, float]) -> tuple[float, float]:
    """Smallest and largest finite value over the columns (``default`` if there is none)."""
    v = np.concatenate([np.asarray(c, dtype=float) for c in columns])
    v = v[np.isfinite(v)]
    return (float(v.min()), float(v.max())) if v.size else default

def plot_landmark_grid(grid: pd.DataFrame, chosen: float, *, window: str = "late", alpha: float = 0.05) -> Figure:
    """Hazard ratio and p value of one landmark window over a grid of landmark times.

    Parameters
    ----------
    grid : pandas.DataFrame
        :func:`analysis.toolkit.landmark.landmark_grid` output.
    chosen : float
        The landmark the paper chose, in months (vertical line).
    window : {"late", "early"}
        Window drawn (default ``"late"``).
    alpha : float, default 0.05
        Significance level drawn on the p-value panel.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels against the landmark time (months): the hazard ratio (control vs UC-MSC,
        log scale) with its 95% CI band and, right of it, the arm favoured above and below a
        hazard ratio of 1; and the Cox Wald and log-rank p values (log scale).
    """
    g = grid[grid["window"] == window]
    fig, (ax, axp) = plt.subplots(2, 1, figsize=(7.0, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax.fill_between(g["landmark"], g["ci_low"], g["ci_high"], color="0.8", lw=0, label="95% CI")
    ax.plot(g["landmark"], g["hr"], "o-", color="black", ms=4, label=f"HR, {window} window")
    ax.axhline(1, color="0.4", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_ylabel("HR, control vs UC-MSC\n(log scale)")
    lo, hi = _finite_range(g["ci_low"], g["ci_high"], default=(0.5, 2.0))
    yt = [t for t in (0.25, 0.5, 1, 2, 4, 8, 16) if lo / 1.2 <= t <= hi * 1.2]
    ax.set_yticks(yt, [f"{t:g}" for t in yt])
    ax.minorticks_off()
    # which arm each side of HR = 1 favours, right of the panel (the legend goes where it is not)
    y0, y1 = np.log(ax.get_ylim())
    low_one = (0.0 - y0) / (y1 - y0) < 0.5 if y1 > y0 else True
    trans = ax.get_yaxis_transform()
    kw = dict(transform=trans, ha="left", fontsize=9, color="0.25")
    ax.text(1.02, 1.0, f"\u2191 favours {HR_FAVOURS[1]}", va="bottom", gid="favours:up", **kw)
    ax.text(1.02, 1.0, f"\u2193 favours {HR_FAVOURS[0]}", va="top", gid="favours:down", **kw)
    axp.plot(g["landmark"], g["p"], "o-", color="black", ms=4, label="Cox Wald p")
    axp.plot(g["landmark"], g["p_logrank"], "s--", color="0.5", ms=3, label="Log-rank p")
    axp.axhline(alpha, color="#D55E00", ls=":", lw=1.2, label=f"p = {alpha:g}")
    axp.set_yscale("log")
    plo, phi = _finite_range(g["p"], g["p_logrank"], default=(alpha, alpha))
    pt = [t for t in (0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0) if plo / 2 <= t <= max(phi, alpha) * 2]
    axp.set_yticks(pt, [f"{t:g}" for t in pt])
    axp.minorticks_off()
    axp.set_ylabel("p value (log scale)")
    axp.set_xlabel("Landmark time (months)")
    for a in (ax, axp):
        a.axvline(chosen, color="#D55E00", lw=1.2)
    ax.text(chosen, ax.get_ylim()[1], f" paper's landmark, {chosen:g} months", color="#D55E00", fontsize=9,
            va="top")
    ax.legend(loc="upper left" if low_one else "lower left", bbox_to_anchor=(1.0, 1.0 if low_one else 0.0),
              frameon=False, fontsize=9)
    axp.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig




def plot_reconstruction(original: KMResult, reconstructed: KMResult, clicks: dict, *,
                        ylabel: str = "Probability event-free", horizon: float | None = None,
                        figsize: tuple[float, float] = (7.0, 4.8)) -> Figure:
    """Kaplan-Meier curves of some data beside those of their reconstruction from digitised clicks.

    Parameters
    ----------
    original, reconstructed : KMResult
        :func:`analysis.toolkit.survival.kaplan_meier` of the data and of the reconstructed
        patients (:mod:`analysis.toolkit.reconstruct`).
    clicks : dict of str to pandas.DataFrame
        Arm -> the clicks (``time``, ``survival``) the reconstruction started from.
    ylabel : str, default "Probability event-free"
        Label of the y axis.
    horizon : float, optional
        Upper x limit in months (default: the last time).
    figsize : tuple of float, default (7.0, 4.8)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Per arm (arm colours): the data's curve (solid), the reconstruction's (dashed) and the
        clicks (dots).
    """
    fig, ax = plt.subplots(figsize=figsize)
    for arm in original.arms:
        col = ARM_COLORS[arm]
        c = original.curve(arm)
        _step(ax, c["time"], c["surv"], color=col, lw=2.2, alpha=0.55, label=f"{arm_label(arm)}, data")
        r = reconstructed.curve(arm)
        _step(ax, r["time"], r["surv"], color=col, lw=1.4, ls="--", label=f"{arm_label(arm)}, reconstruction")
        k = clicks.get(arm)
        if k is not None:
            ax.plot(k["time"], k["survival"], "o", color=col, ms=2.5, alpha=0.7, label=f"{arm_label(arm)}, clicks")
    ax.set_xlim(0, horizon if horizon is not None else None)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(_MONTHS)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", fontsize=9, ncol=2, frameon=False)
    fig.tight_layout()
    return fig
