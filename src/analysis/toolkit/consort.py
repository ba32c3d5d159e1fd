"""The CONSORT 2010 flow of participants, counted from the data.

:func:`consort_counts` turns a :class:`~analysis.toolkit.schema.Trial` (``screening.csv`` and the
``disposition`` of ``patients.csv``) into a tidy table; the report layer draws any such table as
the CONSORT 2010 flow diagram (:func:`analysis.report.figures.plot_consort`), so no number in the
diagram is typed. :func:`published_consort_counts` builds the
same table from the paper's reported flow, so that data and paper can be
compared (:func:`consort_comparison`) or drawn side by side.

References
----------
Schulz KF, Altman DG, Moher D, for the CONSORT Group. CONSORT 2010
Statement: updated guidelines for reporting parallel group randomised
trials. *BMJ* 2010;340:c332 (item 13 and the flow diagram template).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from .schema import ARM_LABELS, ARMS, Trial

__all__ = [
    "STAGES",
    "consort_counts",
    "published_consort_counts",
    "consort_comparison",
    "analysis_population",
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
    trial : Trial
        A loaded :class:`~analysis.toolkit.schema.Trial`. ``trial.screening`` gives the
        enrolment stages (assessed, excluded with reasons); when it is None
        those rows are absent and the flow starts at randomization.
        ``trial.patients`` gives one row per randomized patient with ``arm``
        and ``disposition`` (``analyzed``, ``withdrew``,
        ``lost_to_follow_up``).
    arms : sequence of str, default ARMS
        Arms in display order (default ``("control", "ucmsc")``); every ``arm`` of
        ``trial.patients`` must be one of them.

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
    consort : Mapping
        The paper's flow as stored in ``data/published/`` (e.g.
        ``load_published().consort``): ``screened``, ``excluded`` (by
        reason ``refused``/``ineligible``), and per-arm ``randomized``,
        ``withdrew``, ``lost_to_follow_up``, ``analyzed``. Without ``screened``
        the flow starts at randomization.
    arms : sequence of str, default ARMS
        Arms in display order (default ``("control", "ucmsc")``).

    Returns
    -------
    pandas.DataFrame
        Columns ``stage``, ``arm``, ``label``, ``n``, as in :func:`consort_counts`.
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
    counts : pandas.DataFrame
        The flow of the data, from :func:`consort_counts`.
    reference : pandas.DataFrame
        The flow to compare with, e.g. from :func:`published_consort_counts`.

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
    counts : pandas.DataFrame
        A table from :func:`consort_counts` or :func:`published_consort_counts`.
    arms : sequence of str, default ARMS
        Arms in display order (default ``("control", "ucmsc")``).

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


