"""The paper's reported numbers, loaded from ``data/published/`` into typed objects.

Nothing else in the project types a published number: chapters, tests and the
synthetic-cohort generator all read them from here.

Hazard ratios follow the paper's convention, **control relative to UC-MSC**
(HR > 1: the control arm has the higher hazard, UC-MSC is better). The
constant :data:`HR_CONVENTION` names it so that code comparing estimates can
assert it uses the same direction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from .paths import published_dir

__all__ = [
    "HR_CONVENTION",
    "PublishedHR",
    "Table1Row",
    "Published",
    "load_published",
]

#: Direction of every hazard ratio in this project unless a function is told otherwise.
HR_CONVENTION = "control_vs_ucmsc"

ARMS = ("control", "ucmsc")

#: The two windows of a landmark analysis: (0, L] and (L, horizon].
_LANDMARK_PARTS = ("early", "late")
#: A hazard-ratio key that names its landmark time (``os.landmark13.early``).
_LANDMARK_ID = re.compile(r"[^.]+\.landmark([0-9.]+)\.(early|late)")


@dataclass(frozen=True)
class PublishedHR:
    """One hazard ratio as printed: control relative to UC-MSC.

    For a landmark hazard ratio, ``part`` is ``"early"`` or ``"late"`` and ``landmark`` the
    landmark time (months) of its endpoint; ``key``, ``window`` and ``label`` are then derived
    from ``landmarks:`` (:meth:`Published.landmark_hr` finds one). Otherwise both are ``None``.

    Attributes
    ----------
    key : str
        Stable id of the hazard ratio (``os.cox``, ``os.landmark13.early``, ...): the
        ``hazard_ratios:`` key, or for a landmark entry ``<endpoint>.landmark<L>.<part>``.
    endpoint : str
        ``"os"`` (overall survival) or ``"hcc"`` (HCC-free survival).
    label : str
        Readable name; for a landmark entry it names the window in months.
    window : tuple of float
        The time window ``(start, end]`` in months from randomization.
    hr : float
        The printed hazard ratio, in ``convention`` (control relative to UC-MSC: HR > 1
        means the control arm has the higher hazard).
    ci_low, ci_high : float
        The printed 95% confidence limits.
    p : float
        The printed p value (for ``p_operator`` ``"<"``, the bound).
    source : str
        Where the number stands in the paper (section, paragraph, figure).
    p_operator : {"=", "<", ">"}, default "="
        How the p value is printed (``"<"`` for ``p < 0.001``).
    convention : str, default HR_CONVENTION
        Direction of ``hr``: ``"control_vs_ucmsc"``.
    part : {"early", "late"} or None, default None
        For a landmark hazard ratio, the window: ``(0, L]`` or ``(L, horizon]``.
    landmark : float or None, default None
        For a landmark hazard ratio, the landmark time ``L`` in months.
    """

    key: str
    endpoint: str
    label: str
    window: tuple[float, float]
    hr: float
    ci_low: float
    ci_high: float
    p: float
    source: str
    p_operator: str = "="
    convention: str = HR_CONVENTION
    part: str | None = None
    landmark: float | None = None


@dataclass(frozen=True)
class Table1Row:
    """One row of the paper's Table 1.

    ``control`` and ``ucmsc`` are the printed statistics: ``{"mean", "sd"}``
    for ``kind == "mean_sd"``, level counts for ``kind == "counts"`` and
    ``{"median", "min", "max"}`` for ``kind == "median_range"``.

    Attributes
    ----------
    variable : str
        Variable name (as in the trial's baseline columns: ``age``, ``sex``, ``meld``, ...).
    label : str
        The row's label as printed, with its unit.
    kind : {"mean_sd", "counts", "median_range"}
        What the row prints.
    unit : str
        Unit of the variable (``"years"``, ``"patients"``, ``"g/L"``, ...); may be empty.
    control, ucmsc : Mapping[str, float]
        The printed statistics of each arm (see above).
    p : float
        The printed p value of the between-arm test (for ``p_operator`` ``"<"``, the bound).
    p_operator : {"=", "<", ">"}, default "="
        How the p value is printed.
    levels : tuple, default ()
        For ``kind == "counts"``, the levels in printed order (keys of ``control`` and
        ``ucmsc``).
    decimals : Mapping[str, Mapping[str, int]], default {}
        Printed decimals per arm: ``{arm: {"mean": int, "sd": int}}`` (a row-wide value,
        overridden per arm by ``decimals_by_arm`` in the YAML); empty when not given.
    percent : Mapping[str, Any], default {}
        Printed percentages per arm, for count rows that print them: one number (of the
        first level) or ``{level: percent}``.
    note : str, default ""
        Remarks on how the row was read from the paper.
    """

    variable: str
    label: str
    kind: str
    unit: str
    control: Mapping[str, float]
    ucmsc: Mapping[str, float]
    p: float
    p_operator: str = "="
    levels: tuple = ()
    decimals: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    percent: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    def arm(self, arm: str) -> Mapping[str, float]:
        """Printed statistics of one arm."""
        return {"control": self.control, "ucmsc": self.ucmsc}[arm]

    def decimals_for(self, arm: str) -> Mapping[str, int]:
        """Printed decimals of mean and SD for one arm (``kind == 'mean_sd'``)."""
        return self.decimals[arm]


@dataclass(frozen=True)
class Published:
    """All numbers the paper reports; see ``data/published/shi2021.yaml``.

    Built by :func:`load_published`; the properties give typed access to the
    YAML's blocks (``consort``, ``followup``, ``horizon``, ``landmarks``,
    ``hcc_incidence``, ``adverse_events``, ...).

    Attributes
    ----------
    raw : Mapping[str, Any]
        The parsed YAML, every block as written.
    hazard_ratios : Mapping[str, PublishedHR]
        The published hazard ratios by id (landmark ids name their landmark
        time), all control relative to UC-MSC.
    table1 : tuple of Table1Row
        Table 1, one entry per row in printed order.
    path : pathlib.Path
        The YAML file the numbers were read from.
    """

    raw: Mapping[str, Any]
    hazard_ratios: Mapping[str, PublishedHR]
    table1: tuple[Table1Row, ...]
    path: Path

    # -- convenience accessors -------------------------------------------------
    @property
    def citation(self) -> Mapping[str, Any]:
        return self.raw["citation"]

    @property
    def consort(self) -> Mapping[str, Any]:
        return self.raw["consort"]

    @property
    def followup(self) -> Mapping[str, Any]:
        return self.raw["followup"]

    @property
    def horizon(self) -> float:
        """Administrative censoring horizon of the survival analyses, months."""
        return float(self.raw["followup"]["horizon"])

    @property
    def landmarks(self) -> Mapping[str, float]:
        return {k: float(v) for k, v in self.raw["landmarks"].items() if k in ("os", "hcc")}

    @property
    def hcc_incidence(self) -> Mapping[str, Any]:
        return self.raw["hcc_incidence"]

    @property
    def adverse_events(self) -> Mapping[str, Any]:
        return self.raw["adverse_events"]

    @property
    def sample_size(self) -> Mapping[str, Any]:
        return self.raw["sample_size"]

    @property
    def dosing(self) -> Mapping[str, Any]:
        return self.raw["dosing"]

    @property
    def visits(self) -> Mapping[str, Any]:
        return self.raw["visits"]

    @property
    def liver_function_statements(self) -> list[Mapping[str, Any]]:
        return list(self.raw["liver_function_statements"]["statements"])

    @property
    def conclusions(self) -> list[Mapping[str, Any]]:
        """The paper's conclusions (``conclusions:``), each with its quoted source sentence.

        Each entry has ``id``, ``claim``, ``kind`` (``benefit``, ``no_harm`` or ``qualitative``),
        ``text`` (the sentence as printed), ``source`` and, for a claim about a hazard ratio,
        ``hr`` (its id) and ``also`` (further hazard-ratio ids, possibly empty), for a qualitative
        one ``evidence_note`` (what the paper does not report) where given; a landmark key
        written ``<endpoint>.landmark.<part>`` is resolved to its id (``os.landmark13.late``).
        Empty when the file has no ``conclusions:``.
        """
        out = []
        for c in self.raw.get("conclusions", []):
            d = dict(c)
            if "hr" in d:
                d["hr"] = _resolve_hr_key(d["hr"], self.hazard_ratios, self.raw)
            d["also"] = [_resolve_hr_key(k, self.hazard_ratios, self.raw) for k in d.get("also", [])]
            out.append(d)
        return out

    def landmark_hr(self, endpoint: str, part: str) -> PublishedHR:
        """The published landmark hazard ratio of ``endpoint`` in window ``part``.

        Parameters
        ----------
        endpoint : str
            A key of :attr:`landmarks` (``"os"``, ``"hcc"``).
        part : {"early", "late"}
            The window: (0, L] or (L, horizon].

        Returns
        -------
        PublishedHR
            The entry whose id is ``_landmark_key(endpoint, landmarks[endpoint], part)``.
        """
        if endpoint not in self.landmarks:
            raise KeyError(f"no landmark for endpoint {endpoint!r}; landmarks: {sorted(self.landmarks)}")
        key = _landmark_key(endpoint, self.landmarks[endpoint], part)
        if key not in self.hazard_ratios:
            raise KeyError(f"no published landmark hazard ratio {key!r}")
        return self.hazard_ratios[key]

    def table1_row(self, variable: str) -> Table1Row:
        for row in self.table1:
            if row.variable == variable:
                return row
        raise KeyError(f"Table 1 has no row {variable!r}")

    def hr_frame(self) -> pd.DataFrame:
        """The six published hazard ratios as a tidy frame (index: key)."""
        rows = [
            {
                "key": h.key,
                "endpoint": h.endpoint,
                "label": h.label,
                "start": h.window[0],
                "end": h.window[1],
                "hr": h.hr,
                "ci_low": h.ci_low,
                "ci_high": h.ci_high,
                "p": h.p,
                "source": h.source,
            }
            for h in self.hazard_ratios.values()
        ]
        return pd.DataFrame(rows).set_index("key")

    def table1_frame(self) -> pd.DataFrame:
        """Table 1 mean +- SD rows as a tidy frame (one row per variable)."""
        rows = []
        for r in self.table1:
            if r.kind != "mean_sd":
                continue
            rows.append(
                {
                    "variable": r.variable,
                    "label": r.label,
                    "unit": r.unit,
                    "mean_control": r.control["mean"],
                    "sd_control": r.control["sd"],
                    "mean_ucmsc": r.ucmsc["mean"],
                    "sd_ucmsc": r.ucmsc["sd"],
                    "p": r.p,
                    "p_operator": r.p_operator,
                }
            )
        return pd.DataFrame(rows).set_index("variable")


def _table1_row(d: Mapping[str, Any]) -> Table1Row:
    decimals: dict[str, Mapping[str, int]] = {}
    if "decimals" in d:
        for arm in ARMS:
            decimals[arm] = dict(d.get("decimals_by_arm", {}).get(arm, d["decimals"]))
    return Table1Row(
        variable=d["variable"],
        label=d["label"],
        kind=d["kind"],
        unit=str(d.get("unit", "")),
        control=dict(d["control"]),
        ucmsc=dict(d["ucmsc"]),
        p=float(d["p"]),
        p_operator=d.get("p_operator", "="),
        levels=tuple(d.get("levels", ())),
        decimals=decimals,
        percent=dict(d.get("percent", {})),
        note=d.get("note", ""),
    )


#: Kinds of a conclusion (``conclusions:``): what the claim says about its hazard ratio.
_CONCLUSION_KINDS = ("benefit", "no_harm", "qualitative")


def _resolve_hr_key(key: str, hrs: Mapping[str, PublishedHR], raw: Mapping[str, Any]) -> str:
    """A hazard-ratio id as written in the YAML (``os.cox``, ``os.landmark.late`` or
    ``os.landmark13.late``) -> its id in :attr:`Published.hazard_ratios`."""
    if key in hrs:
        return key
    m = re.fullmatch(r"([^.]+)\.landmark\.(early|late)", key)
    if m:
        marks = {k: x for k, x in raw.get("landmarks", {}).items() if k not in ("source", "unit")}
        if m.group(1) in marks:
            full = _landmark_key(m.group(1), float(marks[m.group(1)]), m.group(2))
            if full in hrs:
                return full
    raise ValueError(f"conclusions: no hazard ratio {key!r}; the ids are {sorted(hrs)}")


def _landmark_key(endpoint: str, landmark: float, part: str) -> str:
    """The id of a landmark hazard ratio: ``<endpoint>.landmark<L>.<part>`` (``os.landmark13.early``).

    Parameters
    ----------
    endpoint : str
        The endpoint (``"os"``, ``"hcc"``).
    landmark : float
        The landmark time in months; a whole number (it is written into a dotted id).
    part : {"early", "late"}
        The window.

    Returns
    -------
    str
        The id.
    """
    if part not in _LANDMARK_PARTS:
        raise ValueError(f"a landmark hazard ratio's part must be one of {_LANDMARK_PARTS}, got {part!r}")
    if float(landmark) != int(landmark):
        raise ValueError(f"landmark times must be whole months to name the hazard ratio ids, "
                         f"got {landmark!r} for {endpoint!r}")
    return f"{endpoint}.landmark{int(landmark)}.{part}"


def _hazard_ratio(key: str, v: Mapping[str, Any], raw: Mapping[str, Any]) -> PublishedHR:
    """One ``hazard_ratios`` entry; a landmark entry (``part``) gets its window, id and label from
    ``landmarks:``, and any window or key that names the time must agree with them."""
    where = f"hazard_ratios.{key}"
    window = (float(v["window"][0]), float(v["window"][1])) if "window" in v else None
    part = v.get("part")
    named = _LANDMARK_ID.fullmatch(key)
    if part is None and named:  # an entry in the older layout: its key names the landmark time
        part = named.group(2)
    label, landmark = v["label"], None
    if part is not None:
        ep = v["endpoint"]
        marks = {k: x for k, x in raw.get("landmarks", {}).items() if k not in ("source", "unit")}
        if ep not in marks:
            raise ValueError(f"{where}: a landmark hazard ratio of endpoint {ep!r} needs "
                             f"`landmarks: {ep}:` (the landmark time); landmarks has {sorted(marks)}")
        landmark = float(marks[ep])
        horizon = float(raw["followup"]["horizon"])
        if not 0 < landmark < horizon:
            raise ValueError(f"{where}: landmark {landmark:g} must lie in (0, horizon = {horizon:g})")
        derived = (0.0, landmark) if part == "early" else (landmark, horizon)
        new_key = _landmark_key(ep, landmark, part)
        if key not in (new_key, f"{ep}.landmark.{part}"):
            raise ValueError(f"{where}: the key disagrees with `landmarks: {ep}: {landmark:g}` and "
                             f"`part: {part}`; write {ep}.landmark.{part} (or {new_key})")
        if window is not None and window != derived:
            raise ValueError(f"{where}: window [{window[0]:g}, {window[1]:g}] disagrees with "
                             f"`landmarks: {ep}: {landmark:g}` (the {part} window is "
                             f"[{derived[0]:g}, {derived[1]:g}]); leave the window out")
        key, window = new_key, derived
        if "part" in v:  # the label names the endpoint; an entry in the older layout has its own
            label = f"{label}, {window[0]:g}-{window[1]:g} months (landmark)"
    elif window is None:
        raise ValueError(f"{where}: needs a `window` (or `part` for a landmark hazard ratio)")
    return PublishedHR(
        key=key,
        endpoint=v["endpoint"],
        label=label,
        window=window,
        hr=float(v["hr"]),
        ci_low=float(v["ci_low"]),
        ci_high=float(v["ci_high"]),
        p=float(v["p"]),
        source=v["source"],
        p_operator=v.get("p_operator", "="),
        part=part,
        landmark=landmark,
    )


def _parse(raw: Mapping[str, Any], path: Path) -> Published:
    hrs: dict[str, PublishedHR] = {}
    for key, v in raw["hazard_ratios"].items():
        h = _hazard_ratio(key, v, raw)
        if h.key in hrs:
            raise ValueError(f"hazard_ratios: two entries have the id {h.key!r}")
        hrs[h.key] = h
    for c in raw.get("claims", []):
        if c["hr"] not in hrs:
            raise ValueError(f"claims: no hazard ratio {c['hr']!r}; the ids are {sorted(hrs)}")
    for c in raw.get("conclusions", []):
        if c.get("kind") not in _CONCLUSION_KINDS:
            raise ValueError(f"conclusions: {c.get('id')!r} has kind {c.get('kind')!r}; kinds are {_CONCLUSION_KINDS}")
        if (c["kind"] == "qualitative") != ("hr" not in c):
            raise ValueError(f"conclusions: {c['id']!r}: a {c['kind']} conclusion "
                             + ("has no `hr`" if c["kind"] == "qualitative" else "needs an `hr`"))
        for k in ([c["hr"]] if "hr" in c else []) + list(c.get("also", [])):
            _resolve_hr_key(k, hrs, raw)  # raises for an unknown id
    table1 = tuple(_table1_row(r) for r in raw["table1"]["rows"])
    return Published(raw=raw, hazard_ratios=hrs, table1=table1, path=path)


@lru_cache(maxsize=4)
def _load(path: Path) -> Published:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return _parse(raw, path)


def load_published(path: str | Path | None = None) -> Published:
    """Load the paper's reported numbers.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A YAML file in the layout of ``data/published/shi2021.yaml``. Defaults
        to that file.

    Returns
    -------
    Published
        Typed access to the CONSORT flow, Table 1, follow-up, the six hazard
        ratios (control relative to UC-MSC), HCC incidence, adverse events,
        the sample-size plan, dosing and visit schedule.

    Raises
    ------
    ValueError
        If the file contradicts itself: a landmark hazard ratio whose window or key names a
        time other than its endpoint's ``landmarks:`` entry, two hazard ratios with one id, or a
        claim about a hazard ratio that does not exist.
    """
    p = Path(path) if path is not None else published_dir() / "shi2021.yaml"
    return _load(p.resolve())
