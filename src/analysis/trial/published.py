"""The paper's reported numbers, loaded from ``data/published/`` into typed objects.

Nothing else in the project types a published number: chapters, tests and the
synthetic-cohort generator all read them from here.

Hazard ratios follow the paper's convention, **control relative to UC-MSC**
(HR > 1: the control arm has the higher hazard, UC-MSC is better). The
constant :data:`HR_CONVENTION` names it so that code comparing estimates can
assert it uses the same direction.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class PublishedHR:
    """One hazard ratio as printed: control relative to UC-MSC."""

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


@dataclass(frozen=True)
class Table1Row:
    """One row of the paper's Table 1.

    ``control`` and ``ucmsc`` are the printed statistics: ``{"mean", "sd"}``
    for ``kind == "mean_sd"``, level counts for ``kind == "counts"`` and
    ``{"median", "min", "max"}`` for ``kind == "median_range"``.
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
    """All numbers the paper reports; see ``data/published/shi2021.yaml``."""

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


def _parse(raw: Mapping[str, Any], path: Path) -> Published:
    hrs = {
        key: PublishedHR(
            key=key,
            endpoint=v["endpoint"],
            label=v["label"],
            window=(float(v["window"][0]), float(v["window"][1])),
            hr=float(v["hr"]),
            ci_low=float(v["ci_low"]),
            ci_high=float(v["ci_high"]),
            p=float(v["p"]),
            source=v["source"],
            p_operator=v.get("p_operator", "="),
        )
        for key, v in raw["hazard_ratios"].items()
    }
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
    path
        A YAML file in the layout of ``data/published/shi2021.yaml``. Defaults
        to that file.

    Returns
    -------
    Published
        Typed access to the CONSORT flow, Table 1, follow-up, the six hazard
        ratios (control relative to UC-MSC), HCC incidence, adverse events,
        the sample-size plan, dosing and visit schedule.
    """
    p = Path(path) if path is not None else published_dir() / "shi2021.yaml"
    return _load(p.resolve())
