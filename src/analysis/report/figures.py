"""Shared figure conventions: arm colours, labels, style.

The same two colour-blind-safe colours (Okabe-Ito orange and blue) mark the
arms in every chapter.
"""

from __future__ import annotations

import sys

import matplotlib

if "ipykernel" not in sys.modules:  # scripts and tests: headless; notebooks keep their inline backend
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from typing import Any, Mapping, Sequence  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..toolkit.consort import STAGES, _check_counts, _check_flow, _n  # noqa: E402
from ..toolkit.design import SurvivalDesign, expected_events  # noqa: E402
from ..toolkit.longitudinal import ANALYTE_LABELS, ANALYTE_UNITS, LOG_ANALYTES, lab_frame  # noqa: E402
from ..toolkit.randomization import _require_columns  # noqa: E402
from ..toolkit.schema import ARM_LABELS, ARMS, LAB_ANALYTES, Trial  # noqa: E402
from .format import _label  # noqa: E402

__all__ = ["ARM_COLORS", "arm_color", "set_style", "plot_expected_events", "plot_power_curves", "plot_imbalance", "plot_consort", "plot_lab_means", "plot_trajectories", "message_figure", "plot_risk_differences", "PRIOR_STYLES", "plot_posteriors", "plot_prior_sensitivity", "plot_landmark_selection"]

#: Okabe-Ito palette: control orange, UC-MSC blue.
ARM_COLORS = {"control": "#E69F00", "ucmsc": "#0072B2"}


def arm_color(arm: str) -> str:
    """Colour of an arm (``control`` or ``ucmsc``).

    Parameters
    ----------
    arm : {"control", "ucmsc"}
        Arm code.

    Returns
    -------
    str
        Hex colour of :data:`ARM_COLORS` (Okabe-Ito: control orange, UC-MSC blue).

    Raises
    ------
    KeyError
        If ``arm`` is not an arm code.
    """
    return ARM_COLORS[arm]


def set_style() -> None:
    """Apply the book's matplotlib style (seaborn ticks, readable sizes, fixed DPI)."""
    import seaborn as sns

    sns.set_theme(style="ticks", context="notebook", palette=[ARM_COLORS[a] for a in ARMS])
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.figsize": (7.0, 4.2),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "analysis",
        }
    )


def plot_expected_events(
    design: SurvivalDesign,
    n_total: float,
    ax=None,
    *,
    horizon: float | None = None,
    observed: float | None = None,
    observed_label: str = "observed",
):
    """Expected events per arm (and accrued patients) against calendar time.

    ``observed`` marks a number of events at the analysis time (e.g. the deaths in
    the analysed data). Arm colours from :mod:`analysis.report.figures` (treatment = UC-MSC).

    Parameters
    ----------
    design : SurvivalDesign
        Hazards, accrual, follow-up, dropout and allocation (treatment = UC-MSC).
    n_total : float
        Number of patients, both arms.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default ``None``: a new figure).
    horizon : float, optional
        Last calendar time drawn, in months (default ``None``: the analysis time
        ``design.study_duration``).
    observed : float, optional
        Observed number of events, marked at the analysis time (default ``None``: no mark).
    observed_label : str, default "observed"
        Legend label of the ``observed`` mark.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with expected events per arm and in total (from
        :func:`analysis.toolkit.design.expected_events`), and dotted and dashed vertical lines
        at the end of accrual and at the analysis.
    """
    import matplotlib.pyplot as plt


    if ax is None:
        _, ax = plt.subplots()
    end = horizon if horizon is not None else design.study_duration
    ev = expected_events(design, n_total, np.linspace(0.0, end, 301))
    ax.plot(ev["time"], ev["events_control"], color=ARM_COLORS["control"], label=f"{ARM_LABELS['control']} (expected)")
    ax.plot(ev["time"], ev["events_treatment"], color=ARM_COLORS["ucmsc"], label=f"{ARM_LABELS['ucmsc']} (expected)")
    ax.plot(ev["time"], ev["events"], color="0.2", label="Both arms (expected)")
    ax.axvline(design.accrual_duration, color="0.6", linewidth=0.8, linestyle=":")
    ax.axvline(design.study_duration, color="0.6", linewidth=0.8, linestyle="--")
    if observed is not None:
        ax.plot([design.study_duration], [observed], marker="D", color="0.2", linestyle="none", label=observed_label)
    ax.set_xlabel("Calendar time from first patient's entry (months)")
    ax.set_ylabel("Events (deaths)")
    ax.legend(frameon=False, fontsize="small", loc="upper left")
    return ax


_TEST_COLORS = {"logrank": "#009E73", "landmark": "#CC79A7", "rmst": "#56B4E9"}


_TEST_LABELS = {"logrank": "Log-rank", "landmark": "Landmark log-rank", "rmst": "RMST difference"}


def plot_power_curves(curve: pd.DataFrame, ax=None, *, target: float | None = 0.8, marks: Sequence[int] = ()):
    """Draw power against patients per arm from :func:`power_curve` output.

    Simulated power is drawn per test with its 95% Monte Carlo band; analytic
    rows as dashed lines. ``target`` draws a horizontal reference line and
    ``marks`` vertical ones (e.g. the planned sizes).

    Parameters
    ----------
    curve : pandas.DataFrame
        Output of :func:`analysis.toolkit.simulate.power_curve` (``n_per_arm``, ``test``,
        ``source``, ``method``, ``power``, ``ci_low``, ``ci_high``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default ``None``: a new figure).
    target : float or None, default 0.8
        Target power drawn as a horizontal line (``None``: no line).
    marks : sequence of int, default ()
        Patients per arm marked by vertical dotted lines.

    Returns
    -------
    matplotlib.axes.Axes
        The axes with the power curves.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    sim = curve[curve["source"] == "simulation"]
    for test, g in sim.groupby("test", sort=False):
        g = g.sort_values("n_per_arm")
        c = _TEST_COLORS.get(test, "0.3")
        ax.plot(g["n_per_arm"], g["power"], marker="o", color=c, label=f"{_TEST_LABELS.get(test, test)} (simulated)")
        ax.fill_between(g["n_per_arm"], g["ci_low"], g["ci_high"], color=c, alpha=0.2, linewidth=0)
    ana = curve[curve["source"] == "analytic"]
    styles = ["--", ":", "-."]
    for i, (m, g) in enumerate(ana.groupby("method", sort=False)):
        g = g.sort_values("n_per_arm")
        ax.plot(g["n_per_arm"], g["power"], linestyle=styles[i % len(styles)], color="0.25",
                label=f"Log-rank, analytic ({m.replace('_', '-')})")
    if target is not None:
        ax.axhline(target, color="0.6", linewidth=0.8)
    for m in marks:
        ax.axvline(m, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel("Patients per arm")
    ax.set_ylabel("Power (probability of p < alpha)")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    return ax


# ----------------------------------------------------------------------------
# Figure
# ----------------------------------------------------------------------------
def plot_imbalance(
    balances: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    bound: float | None = None,
    arms: Sequence[str] = ARMS,
    ax: Any = None,
):
    """Step plot of the arm-size difference along one or more lists.

    Parameters
    ----------
    balances : pandas.DataFrame or Mapping of str to pandas.DataFrame
        Output of :func:`analysis.toolkit.randomization.allocation_balance`, or a mapping
        label -> output
        (e.g. permuted blocks and simple randomization, for contrast). An
        unstratified list is expected; a stratified one is drawn per stratum.
    bound : float, optional
        If given, dashed lines at +-bound (e.g. half the largest block).
    arms : sequence of str, default ARMS
        Arm names, for the axis label (the difference is the last minus the first).
    ax : matplotlib.axes.Axes, optional
        A matplotlib Axes; default ``None``: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the step plot of the arm-size difference (patients) against the
        position in the list.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if isinstance(balances, pd.DataFrame):
        balances = {"": balances}
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 3.6))
    else:
        fig = ax.figure
    greys = ["#000000", "#999999", "#CC79A7", "#009E73"]
    i = 0
    for label, bal in balances.items():
        _require_columns(bal, ("sequence", "difference"), "balances")
        groups = bal.groupby("stratum") if "stratum" in bal.columns else [(None, bal)]
        for stratum, g in groups:
            name = " ".join(x for x in (label, "" if stratum is None else f"stratum {stratum}") if x)
            x = np.concatenate([[0], g["sequence"].to_numpy()])
            y = np.concatenate([[0], g["difference"].to_numpy()])
            ax.step(x, y, where="post", color=greys[i % len(greys)], lw=1.4 if i == 0 else 1.0,
                    label=name or None, zorder=3 if i == 0 else 2)
            i += 1
    if bound is not None:
        for b in (bound, -bound):
            ax.axhline(b, color="#0072B2", ls="--", lw=0.9)
        ax.text(ax.get_xlim()[1], bound, f" +/-{bound:g}", va="center", ha="left", fontsize=8, color="#0072B2")
    ax.axhline(0, color="#555555", lw=0.6, zorder=1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    a0, a1 = ARM_LABELS.get(arms[0], arms[0]), ARM_LABELS.get(arms[-1], arms[-1])
    ax.set_xlabel("Position in the allocation list (patients randomized)")
    ax.set_ylabel(f"{a1} minus {a0}\n(patients)")
    if any(lbl for lbl in balances) or i > 1:
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------
# Drawing
# ----------------------------------------------------------------------------
_HEADER_FC = "#DCE9F5"


def _line(s: str, n: int) -> str:
    return f"{s} (n = {n})"


def plot_consort(
    counts: pd.DataFrame,
    *,
    arms: Sequence[str] = ARMS,
    note: str | None = None,
    fontsize: float = 9.0,
):
    """Draw the CONSORT 2010 flow diagram of a counts table.

    Parameters
    ----------
    counts : pandas.DataFrame
        A table from :func:`analysis.toolkit.consort.consort_counts` or
        :func:`analysis.toolkit.consort.published_consort_counts`. Without the enrolment stages
        (no screening log) the diagram starts at randomization and shows a
        note saying so.
    arms : sequence of str, default ARMS
        The two arms, left and right.
    note : str, optional
        Optional extra line under the diagram (e.g. the data source).
    fontsize : float, default 9.0
        Font size of the boxes, points.

    Returns
    -------
    matplotlib.figure.Figure
        Every count is its own text artist with ``gid``
        ``"consort:<stage>:<arm>"`` (e.g. ``"consort:analyzed:ucmsc"``,
        ``"consort:assessed:all"``) whose text ends in ``(n = <count>)``; the
        missing-screening note has ``gid`` ``"consort:note:screening"``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch


    _check_counts(counts, "counts")
    arms = tuple(arms)
    if len(arms) != 2:
        raise ValueError(f"arms: the diagram has two columns; got {arms!r}")
    _check_flow(counts, arms)
    screening = _n(counts, "assessed") is not None

    fig = plt.figure(figsize=(8.0, 8.6 if screening else 7.4))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 100)
    top = 100.0
    ax.set_ylim(0, top)
    ax.set_axis_off()
    renderer = fig.canvas.get_renderer()
    inv = ax.transData.inverted()
    line_h = fontsize * 1.4 / 72 / fig.get_figheight() * top  # data units per text line

    def box(cx: float, ytop: float, lines: list[tuple[str, str | None, dict]], *, ec: str = "#333333",
            fc: str = "white", align: str = "center", ls: str = "-", width: float | None = None) -> dict:
        """Lines stacked from ytop down, a rounded box around them; returns the box geometry."""
        arts = []
        for i, (txt, gid, kw) in enumerate(lines):
            t = ax.text(cx, ytop - (i + 0.5) * line_h, txt, ha=align, va="center", fontsize=fontsize,
                        gid=gid, zorder=3, **kw)
            arts.append(t)
        ext = [inv.transform(a.get_window_extent(renderer)) for a in arts]
        x0 = min(e[0, 0] for e in ext)
        x1 = max(e[1, 0] for e in ext)
        pad = 1.2
        if width is not None and align == "center":
            x0, x1 = min(x0, cx - width / 2), max(x1, cx + width / 2)
        elif width is not None:
            x1 = max(x1, cx + width - 2 * pad)
        y0, y1 = ytop - len(lines) * line_h, ytop
        patch = FancyBboxPatch((x0 - pad, y0 - pad * 0.6), (x1 - x0) + 2 * pad, (y1 - y0) + 1.2 * pad,
                               boxstyle="round,pad=0,rounding_size=0.8", ec=ec, fc=fc, lw=1.1, ls=ls, zorder=2)
        ax.add_patch(patch)
        return {"x0": x0 - pad, "x1": x1 + pad, "y0": y0 - pad * 0.6, "y1": y1 + pad * 0.6, "cx": (x0 + x1) / 2}

    def arrow(x0: float, y0: float, x1: float, y1: float, head: bool = True) -> None:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1,
                    arrowprops=dict(arrowstyle="-|>" if head else "-", color="#333333", lw=1.0,
                                    shrinkA=0, shrinkB=0, mutation_scale=11))

    def header(y: float, text: str) -> None:
        ax.text(50, y, text, ha="center", va="center", fontsize=fontsize, fontweight="bold", zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=_HEADER_FC, ec="#8AA9C8", lw=0.8))

    gap = 3.6 * line_h
    y = top - 1.2 * line_h
    bold = {"fontweight": "bold"}
    if screening:
        ax.text(3, y - 0.5 * line_h, "Enrollment", ha="left", va="center", fontsize=fontsize, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.35", fc=_HEADER_FC, ec="#8AA9C8", lw=0.8))
        b_ass = box(50, y, [(_line(STAGES["assessed"], _n(counts, "assessed")), "consort:assessed:all", {})],
                    width=30)
        y_ex = b_ass["y0"] - 1.6 * line_h
        b_ex = box(58, y_ex, [
            (_line(STAGES["excluded"], _n(counts, "excluded")), "consort:excluded:all", bold),
            ("- " + _line(STAGES["refused"], _n(counts, "refused")), "consort:refused:all", {}),
            ("- " + _line(STAGES["ineligible"], _n(counts, "ineligible")), "consort:ineligible:all", {}),
        ], align="left")
        y_rnd = b_ex["y0"] - 1.6 * line_h
        arrow(50, b_ass["y0"], 50, y_rnd + 0.6 * 1.2)
        y_mid = (b_ex["y0"] + b_ex["y1"]) / 2
        arrow(50, y_mid, b_ex["x0"], y_mid)
    else:
        b_note = box(50, y, [
            ("Screening log not available (no screening.csv):", "consort:note:screening", {"style": "italic"}),
            ("patients assessed for eligibility and excluded before", None, {"style": "italic"}),
            ("randomization are not counted; the flow starts at randomization.", None, {"style": "italic"}),
        ], ec="#999999", fc="#F7F7F7", ls="--")
        y_rnd = b_note["y0"] - 1.6 * line_h
    b_rnd = box(50, y_rnd, [(_line(STAGES["randomized"], _n(counts, "randomized")), "consort:randomized:all", bold)],
                width=30)

    xs = {arms[0]: 25.0, arms[1]: 75.0}
    col_w = 40.0
    y_split = b_rnd["y0"] - 1.0 * line_h
    arrow(50, b_rnd["y0"], 50, y_split, head=False)
    arrow(xs[arms[0]], y_split, xs[arms[1]], y_split, head=False)
    header(y_split - 1.2 * line_h, "Allocation")
    y_alloc = y_split - 2.6 * line_h
    rows: dict[str, list[dict]] = {"alloc": [], "fu": [], "ana": []}
    for a in arms:
        x = xs[a]
        arrow(x, y_split, x, y_alloc + 0.72)
        rows["alloc"].append(box(x, y_alloc, [
            (_line(STAGES["allocated"].format(arm=ARM_LABELS.get(a, a)), _n(counts, "allocated", a)),
             f"consort:allocated:{a}", bold),
        ], ec=ARM_COLORS.get(a, "#333333"), width=col_w))
    y_fu = min(b["y0"] for b in rows["alloc"]) - gap
    header((min(b["y0"] for b in rows["alloc"]) + y_fu) / 2 + 0.3, "Follow-up")
    for a, b_alloc in zip(arms, rows["alloc"]):
        x = xs[a]
        arrow(x, b_alloc["y0"], x, y_fu + 0.72)
        rows["fu"].append(box(x - col_w / 2 + 1.2, y_fu, [
            (_line(STAGES["withdrew"], _n(counts, "withdrew", a)), f"consort:withdrew:{a}", {}),
            (_line(STAGES["lost_to_follow_up"], _n(counts, "lost_to_follow_up", a)),
             f"consort:lost_to_follow_up:{a}", {}),
        ], ec=ARM_COLORS.get(a, "#333333"), width=col_w, align="left"))
    y_ana = min(b["y0"] for b in rows["fu"]) - gap
    header((min(b["y0"] for b in rows["fu"]) + y_ana) / 2 + 0.3, "Analysis")
    for a, b_fu in zip(arms, rows["fu"]):
        x = xs[a]
        arrow(x, b_fu["y0"], x, y_ana + 0.72)
        rows["ana"].append(box(x - col_w / 2 + 1.2, y_ana, [
            (_line(STAGES["analyzed"], _n(counts, "analyzed", a)), f"consort:analyzed:{a}", bold),
            ("- " + _line(STAGES["excluded_from_analysis"], _n(counts, "excluded_from_analysis", a)),
             f"consort:excluded_from_analysis:{a}", {}),
            ("  (withdrew or lost to follow-up)", None, {"color": "#555555"}),
        ], ec=ARM_COLORS.get(a, "#333333"), width=col_w, align="left"))
    bottom = min(b["y0"] for b in rows["ana"])
    if note:
        ax.text(50, bottom - 1.6 * line_h, note, ha="center", va="center", fontsize=fontsize - 1, color="#555555",
                gid="consort:note:extra")
        bottom -= 2.4 * line_h
    # Crop to the content, keeping the data-to-inch scale the text was measured with.
    low = max(0.0, bottom - 1.5)
    fig.set_figheight(fig.get_figheight() * (top - low) / top)
    ax.set_ylim(low, top)
    return fig


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------
def plot_lab_means(
    described: pd.DataFrame,
    *,
    analytes: Sequence[str] = LAB_ANALYTES,
    geometric: Sequence[str] = (),
    conf_level: float = 0.95,
):
    """Mean and confidence interval per arm over the weeks, one panel per analyte.

    Parameters
    ----------
    described : pandas.DataFrame
        :func:`analysis.toolkit.longitudinal.describe_visits` output.
    analytes : sequence of str, default LAB_ANALYTES
        Analytes to draw (one to four, in a 2 x 2 grid).
    geometric : sequence of str, default ()
        Analytes drawn as geometric means (with their back-transformed
        interval) instead of arithmetic means.
    conf_level : float, default 0.95
        Used only in the legend title; intervals come from ``described``.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per analyte: mean (or geometric mean) and interval per arm against weeks.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns


    need = {"analyte", "arm", "week", "mean", "ci_low", "ci_high", "geo_mean", "n"}
    if not need <= set(described.columns):
        raise ValueError(f"described must be describe_visits() output; missing {sorted(need - set(described.columns))}")
    if not 1 <= len(analytes) <= 4:
        raise ValueError(f"analytes must name 1 to 4 analytes, got {len(analytes)}")
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), sharex=True)
    weeks = sorted(described["week"].unique())
    span = (max(weeks) - min(weeks)) or 1.0
    for ax, a in zip(axes.flat, analytes):
        d = described[described["analyte"] == a]
        geo = a in geometric
        m, lo, hi = ("geo_mean", "geo_ci_low", "geo_ci_high") if geo else ("mean", "ci_low", "ci_high")
        for j, arm in enumerate(ARMS):
            g = d[d["arm"] == arm].sort_values("week")
            x = g["week"].to_numpy(float) + (j - 0.5) * 0.012 * span
            sns.lineplot(x=x, y=g[m].to_numpy(float), ax=ax, color=ARM_COLORS[arm], marker="o",
                         label=ARM_LABELS[arm], errorbar=None)
            ax.errorbar(x, g[m], yerr=[g[m] - g[lo], g[hi] - g[m]], fmt="none", ecolor=ARM_COLORS[arm],
                        capsize=3, lw=1.2)
        stat = "geometric mean" if geo else "mean"
        ax.set_title(ANALYTE_LABELS[a])
        ax.set_ylabel(f"{a.upper()} ({ANALYTE_UNITS[a]}), {stat}")
        ax.set_xticks(weeks)
        ax.get_legend().remove()
    for ax in axes.flat[len(analytes):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Weeks since first infusion / randomization")
    h, lab = axes.flat[0].get_legend_handles_labels()
    fig.legend(h, lab, loc="upper center", ncol=2, frameon=False,
               title=f"Mean with {conf_level:.0%} CI (t interval)")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def plot_trajectories(
    trial: Trial,
    *,
    n_per_arm: int = 10,
    seed: int | np.random.Generator = 0,
    weeks: Sequence[float] | None = None,
    analytes: Sequence[str] = LAB_ANALYTES,
):
    """Individual trajectories of a random sample of patients (synthetic data only).

    Parameters
    ----------
    trial : Trial
        Must be synthetic (``trial.synthetic``): patient-level values of real
        data are never drawn (the book shows real data only in aggregate).
    n_per_arm : int, default 10
        Patients sampled per arm (``>= 1``).
    seed : int or numpy.random.Generator, default 0
        Seed or numpy Generator of the sample.
    weeks : sequence of float, optional
        Visit weeks, passed to :func:`analysis.toolkit.longitudinal.lab_frame` (default
        ``None``: its default).
    analytes : sequence of str, default LAB_ANALYTES
        Analytes, one panel each (up to four), passed to
        :func:`analysis.toolkit.longitudinal.lab_frame`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per analyte with the sampled patients' values against weeks (log scale for
        the log-transformed analytes).

    Raises
    ------
    PermissionError
        If ``trial.synthetic`` is False.
    """
    import matplotlib.pyplot as plt


    if not trial.synthetic:
        raise PermissionError("plot_trajectories draws patient-level data and is allowed only for synthetic "
                              "data (trial.synthetic is False); show aggregates instead")
    if n_per_arm < 1:
        raise ValueError(f"n_per_arm must be >= 1, got {n_per_arm}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    frame = lab_frame(trial, weeks=weeks, analytes=analytes)
    chosen = []
    for arm in ARMS:
        ids = np.sort(frame.loc[frame["arm"] == arm, "patient_id"].unique())
        chosen.extend(rng.choice(ids, size=min(n_per_arm, len(ids)), replace=False))
    f = frame[frame["patient_id"].isin(chosen) & frame["value"].notna()]
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), sharex=True)
    for ax, a in zip(axes.flat, analytes):
        for (pid, arm), g in f[f["analyte"] == a].groupby(["patient_id", "arm"], observed=True):
            g = g.sort_values("week")
            ax.plot(g["week"], g["value"], color=ARM_COLORS[str(arm)], alpha=0.6, lw=1, marker=".")
        ax.set_title(ANALYTE_LABELS[a])
        ax.set_ylabel(f"{a.upper()} ({ANALYTE_UNITS[a]})")
        ax.set_xticks(sorted(frame["week"].unique()))
        if a in LOG_ANALYTES:
            from matplotlib.ticker import NullFormatter, ScalarFormatter

            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ScalarFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
    for ax in axes.flat[len(analytes):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Weeks since first infusion / randomization")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=ARM_COLORS[a], label=ARM_LABELS[a]) for a in ARMS]
    fig.legend(handles=handles, loc="upper center", ncol=2, frameon=False,
               title=f"{n_per_arm} randomly sampled patients per arm (synthetic)")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def message_figure(text: str, *, figsize: tuple[float, float] = (7.0, 1.2)):
    """A small figure holding only ``text``: stands in for a figure a chapter cannot draw.

    Chapters glue figures by name; when the data needed are absent (or a figure is not allowed for real
    data) they glue this instead, so that the page builds and says why.

    Parameters
    ----------
    text : str
        The message (wrapped to the figure's width).
    figsize : tuple of float, default (7.0, 1.2)
        Figure size in inches (width, height).

    Returns
    -------
    matplotlib.figure.Figure
        A figure without axes, showing ``text`` centred.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True)
    return fig


def plot_risk_differences(table: pd.DataFrame, *, conf_level: float = 0.95):
    """Risk difference (UC-MSC minus control) with its interval, one line per row of an AE table.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per adverse-event term with ``term``, ``risk_diff``, ``ci_low`` and ``ci_high``
        (proportions, UC-MSC minus control), e.g. from :mod:`analysis.toolkit.safety`.
    conf_level : float, default 0.95
        Confidence level of the intervals, used only in the axis label.

    Returns
    -------
    matplotlib.figure.Figure
        The forest-style plot, in percentage points, with a dashed line at no difference and,
        above the rows, the arm each side favours (fewer complications: left favours UC-MSC).
    """
    import matplotlib.pyplot as plt

    need = {"term", "risk_diff", "ci_low", "ci_high"}
    if not need <= set(table.columns):
        raise ValueError(f"table must have columns {sorted(need)}")
    t = table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.0, 0.45 * (len(t) + 1) + 1.4))
    y = np.arange(len(t))[::-1]
    ax.errorbar(100 * t["risk_diff"], y, xerr=[100 * (t["risk_diff"] - t["ci_low"]),
                                               100 * (t["ci_high"] - t["risk_diff"])],
                fmt="o", color="0.2", capsize=3)
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    # symmetric about 0, so that both "favours" labels fit; a row above the estimates holds them
    half = float(np.nanmax(np.abs(np.r_[100 * t["ci_low"], 100 * t["ci_high"], 10.0]))) * 1.1
    ax.set_xlim(-half, half)
    ax.set_ylim(-0.6, len(t) + 0.2)
    kw = dict(va="center", fontsize=10, color="0.25")
    ax.text(0, len(t) - 0.2, f"\u2190 favours {ARM_LABELS['ucmsc']}  ", ha="right", gid="favours:left", **kw)
    ax.text(0, len(t) - 0.2, f"  favours {ARM_LABELS['control'].lower()} \u2192", ha="left", gid="favours:right", **kw)
    ax.set_yticks(y)
    ax.set_yticklabels([_label(s) for s in t["term"]])
    ax.set_xlabel(f"Risk difference, UC-MSC minus control (percentage points, {conf_level:.0%} CI)")
    fig.tight_layout()
    return fig


#: Colour and line style of each prior in the evidence chapter's figures (Okabe-Ito colours other
#: than the two arm colours, so a prior is never read as an arm).
PRIOR_STYLES = {
    "vague": ("#000000", "-"),
    "skeptical": ("#009E73", "--"),
    "enthusiastic": ("#CC79A7", "-."),
    "pessimistic": ("#56B4E9", ":"),
}


def _hr_panel_title(key: str) -> str:
    from .labels import id_label

    text = id_label(key) or key
    return text.replace(", ", "\n", 1)


def plot_posteriors(bayes: pd.DataFrame, *, keys: Sequence[str] | None = None, ncols: int = 2):
    """Posterior densities of each published hazard ratio under each prior, one panel per hazard ratio.

    Parameters
    ----------
    bayes : pandas.DataFrame
        One row per (hazard ratio, prior): ``key``, ``prior``, ``post_mean`` and ``post_sd`` (the
        normal posterior of the log hazard ratio, control relative to UC-MSC), e.g. the evidence
        chapter's ``bayes`` object.
    keys : sequence of str, optional
        The hazard ratios to draw, in panel order (default: as they appear in ``bayes``).
    ncols : int, default 2
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        Densities of log HR drawn against the hazard ratio on a log axis, a dotted line at 1 (right
        of it favours UC-MSC), one legend for the priors (:data:`PRIOR_STYLES`).
    """
    from scipy import stats

    need = {"key", "prior", "post_mean", "post_sd"}
    if not need <= set(bayes.columns):
        raise ValueError(f"bayes must have columns {sorted(need)}")
    keys = list(dict.fromkeys(bayes["key"])) if keys is None else list(keys)
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.0, 2.3 * nrows + 0.9), sharex=True, squeeze=False)
    x = np.linspace(np.log(0.1), np.log(20.0), 400)
    for ax, key in zip(axes.flat, keys):
        sub = bayes[bayes["key"] == key]
        for _, r in sub.iterrows():
            color, ls = PRIOR_STYLES.get(r["prior"], ("0.4", "-"))
            ax.plot(np.exp(x), stats.norm.pdf(x, r["post_mean"], r["post_sd"]), color=color, ls=ls, lw=1.6,
                    label=f"{str(r['prior']).capitalize()} prior")
        ax.axvline(1.0, color="0.5", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(_hr_panel_title(key), fontsize=10)
        ax.set_yticks([])
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xticks([0.2, 0.5, 1, 2, 5, 10])
        ax.set_xticklabels(["0.2", "0.5", "1", "2", "5", "10"])
        ax.set_xlabel("HR, control relative to UC-MSC")
    for ax in axes[:, 0]:
        ax.set_ylabel("Posterior density")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / (2.3 * nrows + 0.9)))
    return fig


def plot_prior_sensitivity(sensitivity: pd.DataFrame, *, skeptical_sd: float | None = None,
                           threshold: float | None = None, keys: Sequence[str] | None = None):
    """Posterior probability of a benefit against the prior's SD (prior mean 0), one panel per endpoint.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        ``key``, ``prior_sd`` and ``p_above`` (posterior P(HR > 1)), e.g. the evidence chapter's
        ``sensitivity`` object; keys are hazard-ratio ids (``os.cox``, ``hcc.landmark8.late``, ...).
    skeptical_sd : float, optional
        Marked with a vertical line: the skeptical prior's SD.
    threshold : float, optional
        Marked with a horizontal dashed line: the probability a benefit needs to be called supported.
    keys : sequence of str, optional
        The hazard ratios to draw (default: all, in order). One panel per endpoint (the id's first
        part); the whole follow-up solid, the window before a landmark dashed, after it dotted.

    Returns
    -------
    matplotlib.figure.Figure
        The curves on a log axis of prior SD (small SD: a strong belief in no effect; large: vague).
    """
    need = {"key", "prior_sd", "p_above"}
    if not need <= set(sensitivity.columns):
        raise ValueError(f"sensitivity must have columns {sorted(need)}")
    from .labels import VALUE_LABELS

    keys = list(dict.fromkeys(sensitivity["key"])) if keys is None else list(keys)
    endpoints = list(dict.fromkeys(k.split(".")[0] for k in keys))
    fig, axes = plt.subplots(1, len(endpoints), figsize=(7.0, 4.1), sharey=True, squeeze=False)
    for ax, ep in zip(axes[0], endpoints):
        for key in (k for k in keys if k.split(".")[0] == ep):
            sub = sensitivity[sensitivity["key"] == key].sort_values("prior_sd")
            part = key.rsplit(".", 1)[-1]
            ls, label = {"early": ("--", "before the landmark"), "late": (":", "after the landmark")}.get(
                part, ("-", "whole follow-up"))
            ax.plot(sub["prior_sd"], sub["p_above"], color="0.1", ls=ls, lw=1.8, label=label)
        if skeptical_sd is not None:
            ax.axvline(skeptical_sd, color="#009E73", lw=1.0)
            ax.text(skeptical_sd * 0.92, 0.03, "skeptical\nprior", color="#009E73", fontsize=9, va="bottom",
                    ha="right")
        if threshold is not None:
            ax.axhline(threshold, color="0.5", lw=0.8, ls="--")
        ax.set_xscale("log")
        ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5) if sensitivity["prior_sd"].min() <= t
                 <= sensitivity["prior_sd"].max()]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_ylim(0, 1.02)
        ax.set_title(VALUE_LABELS.get(ep, ep), fontsize=11)
        ax.set_xlabel("Prior SD of log HR")
    axes[0][0].set_ylabel("Posterior P(HR > 1)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def plot_landmark_selection(draws: Mapping[str, pd.DataFrame], observed: Mapping[str, float], *,
                            alpha: float | None = None):
    """How small the smallest late-window p over many landmarks gets without any effect, one panel per endpoint.

    Parameters
    ----------
    draws : mapping of str to pandas.DataFrame
        Endpoint (``os``, ``hcc``) -> per simulated trial ``min_p`` (the smallest late-window p over
        the landmarks searched) and ``fixed_p`` (the p at a landmark fixed in advance), e.g. the
        evidence chapter's ``landmark_selection_draws``.
    observed : mapping of str to float
        Endpoint -> the published late-window p, marked with a vertical line.
    alpha : float, optional
        Marked with a dotted vertical line: the significance level.

    Returns
    -------
    matplotlib.figure.Figure
        Cumulative distributions of ``min_p`` (solid) and ``fixed_p`` (dashed) on a log axis with the
        uniform distribution (thin grey line); where the solid curve crosses the published p is the p
        value adjusted for choosing the landmark.
    """
    from .labels import VALUE_LABELS

    eps = list(draws)
    fig, axes = plt.subplots(1, len(eps), figsize=(7.0, 4.2), sharey=True, squeeze=False)
    grid = np.geomspace(1e-3, 1.0, 400)
    for ax, ep in zip(axes[0], eps):
        d = draws[ep]
        for col, ls, label in (("min_p", "-", "smallest p over the landmarks"),
                               ("fixed_p", "--", "p at the paper's landmark, fixed in advance")):
            x = np.sort(d[col].to_numpy(float))
            ax.plot(grid, np.searchsorted(x, grid, side="right") / x.size, color="0.1", ls=ls, lw=1.6, label=label)
        ax.plot(grid, grid, color="0.6", lw=0.8, label="uniform")
        ax.axvline(observed[ep], color="#D55E00", lw=1.2)
        ax.text(observed[ep] * 0.85, 0.97, "published p", color="#D55E00", fontsize=9, va="top", ha="right")
        if alpha is not None:
            ax.axvline(alpha, color="0.5", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlim(1e-3, 1.0)
        ax.set_ylim(0, 1.02)
        ax.set_title(VALUE_LABELS.get(ep, ep), fontsize=11)
        ax.set_xlabel("p value (log scale)")
    axes[0][0].set_ylabel("Proportion of simulated trials\nwith a p at most this")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig
