"""The two-arm trial data model the toolkit works on: arm codes, column vocabularies, and
:class:`Trial`, the validated tables of one data folder.

The schema's arm codes are ``control`` and ``ucmsc`` (the experimental arm); its columns are
documented in ``data/README.md``. Loading and validating a folder is the trial layer's job
(:func:`analysis.trial.data.load_trial`); here is only the container.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["ARMS", "ARM_LABELS", "BASELINE_CONTINUOUS", "BASELINE_CATEGORICAL", "LAB_ANALYTES",
           "DISPOSITIONS", "SCREENING_OUTCOMES", "SEVERITIES", "Trial"]

#: Arm codes, control first (the paper's column order).
ARMS = ("control", "ucmsc")
#: Display names of the arms.
ARM_LABELS = {"control": "Control", "ucmsc": "UC-MSC"}
#: Optional continuous baseline columns (Table 1 order).
BASELINE_CONTINUOUS = ("tp", "alb", "plt", "cr", "alt", "ast", "tbil", "pta", "che", "inr", "meld")
#: Optional categorical baseline columns and their allowed values.
BASELINE_CATEGORICAL = {"hbeag": (0, 1), "child_pugh": ("A", "B", "C"), "ascites": (0, 1)}
#: Liver-function analytes of ``labs.csv``.
LAB_ANALYTES = ("alb", "pta", "che", "tbil")

DISPOSITIONS = ("analyzed", "withdrew", "lost_to_follow_up")
SCREENING_OUTCOMES = ("randomized", "refused", "ineligible")
SEVERITIES = ("mild", "moderate", "severe", "life_threatening", "fatal")


# ----------------------------------------------------------------------------
# The trial object
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Trial:
    """A validated trial: the tables of one data folder.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per randomized patient (``patients.csv``), indexed 0..n-1.
    screening, labs, adverse_events : pandas.DataFrame or None
        The optional tables (``screening.csv``, ``labs.csv``, ``adverse_events.csv``), or
        ``None`` when the folder does not have them.
    path : Path
        The folder the trial was loaded from.
    synthetic : bool
        True for the calibrated synthetic cohort (``dataset.yaml``). When
        False, chapters show aggregates only, never patient-level rows.
    meta : dict
        The contents of ``dataset.yaml`` (empty if absent).
    notes : tuple of str
        What is absent and therefore skipped (optional tables, baseline
        columns), for chapters to show.
    """

    patients: pd.DataFrame
    screening: pd.DataFrame | None
    labs: pd.DataFrame | None
    adverse_events: pd.DataFrame | None
    path: Path
    synthetic: bool
    meta: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def analyzed(self) -> pd.DataFrame:
        """Patients with ``disposition == 'analyzed'`` (the paper's analysis set)."""
        return self.patients[self.patients["disposition"] == "analyzed"].reset_index(drop=True)

    @property
    def baseline_continuous(self) -> tuple[str, ...]:
        """Continuous baseline columns present in ``patients.csv``."""
        return tuple(c for c in BASELINE_CONTINUOUS if c in self.patients.columns)

    @property
    def baseline_categorical(self) -> tuple[str, ...]:
        """Categorical baseline columns present in ``patients.csv``."""
        return tuple(c for c in BASELINE_CATEGORICAL if c in self.patients.columns)

    def has(self, table: str) -> bool:
        """Whether the optional table ``table`` is present."""
        return getattr(self, table) is not None

    def has_outcome(self, column: str) -> bool:
        """Whether the outcome column ``column`` (e.g. ``"hcc_months"``) holds any value.

        A survival-only dataset may hold one endpoint only (reconstructed from one published
        figure, say); the other endpoint's columns are then empty.
        """
        return column in self.patients.columns and bool(self.patients[column].notna().any())
