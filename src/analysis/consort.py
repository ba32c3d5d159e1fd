"""The CONSORT 2010 flow of participants, counted from the data and drawn with matplotlib.

Counting and drawing are separate: :func:`consort_counts` turns a
:class:`~analysis.data.Trial` (``screening.csv`` and the ``disposition`` of
``patients.csv``) into a tidy table; :func:`plot_consort` draws any such
table as the CONSORT 2010 flow diagram. No number in the diagram is typed:
it shows the table it is given. :func:`published_consort_counts` builds the
same table from the paper's reported flow, so that data and paper can be
compared (:func:`consort_comparison`) or drawn side by side.

The diagram is drawn with matplotlib boxes and arrows (no Graphviz binary, no
web service), so the book renders it offline as a PNG.

References
----------
Schulz KF, Altman DG, Moher D, for the CONSORT Group. CONSORT 2010
Statement: updated guidelines for reporting parallel group randomised
trials. *BMJ* 2010;340:c332 (item 13 and the flow diagram template).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from .data import ARM_LABELS, ARMS, Trial

__all__ = [
    "STAGES",
    "consort_counts",
    "published_consort_counts",
    "consort_comparison",
    "analysis_population",
    "plot_consort",
]

#: Stages of the flow in CONSORT order: name -> label (``{arm}`` is the arm's display name).
STAGES: dict[str, str] = {
    "assessed": "Assessed for eligibility",
    "excluded": "Excluded",
    "refused": "Declined to participate",
    "ineligible": "Not meeting inclusion criteria",
    "randomized": "Randomized",
    "allocated": "Allocated to {arm}",
    "withdrew": "Withdrew consent",
    "lost_to_follow_up": "Lost to follow-up",
    "excluded_from_analysis": "Excluded from analysis",
    "analyzed": "Analysed",
}
_POOLED = ("assessed", "excluded", "refused", "ineligible", "randomized")
_PER_ARM = ("allocated", "withdrew", "lost_to_follow_up", "excluded_from_analysis", "analyzed")
_COLUMNS = ["stage", "arm", "label", "n"]


def _frame(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    out = pd.DataFrame(
        [(s, a, STAGES[s].format(arm=ARM_LABELS.get(a, a)), int(n)) for s, a, n in rows], columns=_COLUMNS
    )
    order = {s: i for i, s in enumerate(STAGES)}
    out["_o"] = out["stage"].map(order)
    return out.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def consort_counts(trial: Trial, *, arms: Sequence[str] = ARMS) -> pd.DataFrame:
    """Count the CONSORT flow from the trial's screening log and patient dispositions.

    Parameters
    ----------
    trial
        A loaded :class:`~analysis.data.Trial`. ``trial.screening`` gives the
        enrolment stages (assessed, excluded with reasons); when it is None
        those rows are absent and the flow starts at randomization.
        ``trial.patients`` gives one row per randomized patient with ``arm``
        and ``disposition`` (``analyzed``, ``withdrew``,
        ``lost_to_follow_up``).
    arms
        Arms in display order.

    Returns
    -------
    pandas.DataFrame
        Columns ``stage`` (see :data:`STAGES`), ``arm`` (``"all"`` for the
        stages before allocation, else the arm), ``label`` (the diagram's
        wording) and ``n`` (patients), in CONSORT order.
        ``excluded_from_analysis`` is withdrew + lost to follow-up: the
        randomized patients missing from the paper's analysis set.
    """
    if not isinstance(trial, Trial):
        raise TypeError(f"trial must be an analysis.Trial (from load_trial), got {type(trial).__name__}")
    p = trial.patients
    unknown = sorted(set(p["arm"]) - set(arms))
    if unknown:
        raise ValueError(f"arms: patients.csv column 'arm' has {unknown}, not in arms {tuple(arms)}")
    rows: list[tuple[str, str, int]] = []
    if trial.screening is not None:
        out = trial.screening["outcome"]
        refused, ineligible = int((out == "refused").sum()), int((out == "ineligible").sum())
        rows += [
            ("assessed", "all", len(out)),
            ("excluded", "all", refused + ineligible),
            ("refused", "all", refused),
            ("ineligible", "all", ineligible),
        ]
    rows.append(("randomized", "all", len(p)))
    for a in arms:
        d = p.loc[p["arm"] == a, "disposition"]
        w, lost = int((d == "withdrew").sum()), int((d == "lost_to_follow_up").sum())
        rows += [
            ("allocated", a, len(d)),
            ("withdrew", a, w),
            ("lost_to_follow_up", a, lost),
            ("excluded_from_analysis", a, w + lost),
            ("analyzed", a, int((d == "analyzed").sum())),
        ]
    return _frame(rows)


def published_consort_counts(consort: Mapping[str, Any], *, arms: Sequence[str] = ARMS) -> pd.DataFrame:
    """The same table as :func:`consort_counts`, from a reported flow.

    Parameters
    ----------
    consort
        The paper's flow as stored in ``data/published/`` (e.g.
        ``load_published().consort``): ``screened``, ``excluded`` (by
        reason ``refused``/``ineligible``), and per-arm ``randomized``,
        ``withdrew``, ``lost_to_follow_up``, ``analyzed``.
    arms
        Arms in display order.

    Returns
    -------
    pandas.DataFrame
        Columns ``stage``, ``arm``, ``label``, ``n``.
    """
    try:
        rows: list[tuple[str, str, int]] = []
        if consort.get("screened") is not None:
            ex = consort.get("excluded", {}) or {}
            rows += [
                ("assessed", "all", consort["screened"]),
                ("excluded", "all", sum(ex.values())),
                ("refused", "all", ex.get("refused", 0)),
                ("ineligible", "all", ex.get("ineligible", 0)),
            ]
        rows.append(("randomized", "all", sum(consort["randomized"][a] for a in arms)))
        for a in arms:
            w, lost = consort["withdrew"][a], consort["lost_to_follow_up"][a]
            rows += [
                ("allocated", a, consort["randomized"][a]),
                ("withdrew", a, w),
                ("lost_to_follow_up", a, lost),
                ("excluded_from_analysis", a, w + lost),
                ("analyzed", a, consort["analyzed"][a]),
            ]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"consort: the reported flow lacks {exc} (needs screened, excluded, randomized, "
                         "withdrew, lost_to_follow_up and analyzed per arm)") from None
    return _frame(rows)


def consort_comparison(counts: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Stage-by-stage comparison of two flows (e.g. the data against the paper).

    Parameters
    ----------
    counts, reference
        Tables from :func:`consort_counts` / :func:`published_consort_counts`.

    Returns
    -------
    pandas.DataFrame
        Columns ``stage``, ``arm``, ``label``, ``data``, ``published`` and
        ``difference`` (data minus published; missing where a stage is in
        only one table), in CONSORT order.
    """
    for name, df in (("counts", counts), ("reference", reference)):
        _check_counts(df, name)
    m = counts.merge(reference, on=["stage", "arm"], how="outer", suffixes=("", "_ref"))
    m["label"] = m["label"].combine_first(m["label_ref"])
    out = pd.DataFrame({
        "stage": m["stage"],
        "arm": m["arm"],
        "label": m["label"],
        "data": m["n"].astype("Int64"),
        "published": m["n_ref"].astype("Int64"),
    })
    out["difference"] = out["data"] - out["published"]
    order = {s: i for i, s in enumerate(STAGES)}
    arm_order = {"all": -1, **{a: i for i, a in enumerate(ARMS)}}
    out = out.assign(_s=out["stage"].map(order), _a=out["arm"].map(arm_order).fillna(99))
    return out.sort_values(["_s", "_a"]).drop(columns=["_s", "_a"]).reset_index(drop=True)


def analysis_population(counts: pd.DataFrame, *, arms: Sequence[str] = ARMS) -> pd.DataFrame:
    """Randomized versus analysed, per arm and overall: how far the analysis set is from intention-to-treat.

    Parameters
    ----------
    counts
        A table from :func:`consort_counts` or :func:`published_consort_counts`.
    arms
        Arms in display order.

    Returns
    -------
    pandas.DataFrame
        One row per arm and ``"all"``: ``randomized``, ``analyzed``,
        ``withdrew``, ``lost_to_follow_up``, ``not_analyzed`` (randomized
        minus analysed) and ``fraction_analyzed``.
    """
    _check_counts(counts, "counts")
    per = counts[counts["arm"].isin(arms)].pivot(index="arm", columns="stage", values="n").reindex(list(arms))
    out = pd.DataFrame({
        "randomized": per["allocated"],
        "analyzed": per["analyzed"],
        "withdrew": per["withdrew"],
        "lost_to_follow_up": per["lost_to_follow_up"],
    }).astype(int)
    out.loc["all"] = out.sum()
    out["not_analyzed"] = out["randomized"] - out["analyzed"]
    out["fraction_analyzed"] = out["analyzed"] / out["randomized"]
    out.index.name = "arm"
    return out.reset_index()


def _check_counts(counts: Any, name: str) -> None:
    if not isinstance(counts, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame from consort_counts, got {type(counts).__name__}")
    missing = [c for c in _COLUMNS if c not in counts.columns]
    if missing:
        raise ValueError(f"{name} must have columns {_COLUMNS}; missing {missing}")
    unknown = sorted(set(counts["stage"]) - set(STAGES))
    if unknown:
        raise ValueError(f"{name}: column 'stage' has unknown stages {unknown}")


def _n(counts: pd.DataFrame, stage: str, arm: str = "all") -> int | None:
    hit = counts.loc[(counts["stage"] == stage) & (counts["arm"] == arm), "n"]
    return None if hit.empty else int(hit.iloc[0])


def _check_flow(counts: pd.DataFrame, arms: Sequence[str]) -> None:
    """A flow must add up before it is drawn; the message names the stage."""
    rnd = _n(counts, "randomized")
    if rnd is None:
        raise ValueError("counts: stage 'randomized' is missing")
    alloc = [_n(counts, "allocated", a) for a in arms]
    if any(x is None for x in alloc):
        raise ValueError(f"counts: stage 'allocated' needs a row for each arm {tuple(arms)}")
    if sum(alloc) != rnd:  # type: ignore[arg-type]
        raise ValueError(f"counts: allocated ({sum(alloc)}) must add up to randomized ({rnd})")  # type: ignore[arg-type]
    if _n(counts, "assessed") is not None:
        ex, ref, inel = _n(counts, "excluded"), _n(counts, "refused"), _n(counts, "ineligible")
        if ex != (ref or 0) + (inel or 0) or _n(counts, "assessed") != ex + rnd:  # type: ignore[operator]
            raise ValueError("counts: assessed must equal excluded + randomized, and excluded the sum of its reasons")
    for a in arms:
        w, lost, ana = (_n(counts, s, a) for s in ("withdrew", "lost_to_follow_up", "analyzed"))
        if None in (w, lost, ana) or w + lost + ana != _n(counts, "allocated", a):  # type: ignore[operator]
            raise ValueError(f"counts: for arm {a!r}, withdrew + lost_to_follow_up + analyzed must equal allocated")


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
    counts
        A table from :func:`consort_counts` or
        :func:`published_consort_counts`. Without the enrolment stages
        (no screening log) the diagram starts at randomization and shows a
        note saying so.
    arms
        The two arms, left and right.
    note
        Optional extra line under the diagram (e.g. the data source).
    fontsize
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

    from .plotting import ARM_COLORS

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
