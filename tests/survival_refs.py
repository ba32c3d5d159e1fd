"""Shared loaders for the R reference values of the survival tests.

The datasets, their R output and how to regenerate it:

- ``gbsg``: GBSG-2 trial from lifelines, reshaped into the trial schema in
  ``tests/datasets/gbsg`` (see ``tests/datasets/README.md``);
- ``synthetic``: a frozen copy of the synthetic cohort's analysis frame.

``tests/data/survival_<name>_input.csv`` is the frame both sides read;
``tests/data/survival_<name>_reference.json`` is R's output, made by::

    python tests/reference/survival_inputs.py <name> <folder>
    Rscript tests/reference/survival_reference.R <name>
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "data"
DATASETS = tuple(
    name for name in ("gbsg", "synthetic") if (DATA / f"survival_{name}_reference.json").exists()
)
ENDPOINTS = ("os", "hcc")
#: rtol for estimators that are the same on both sides (R output printed with 15+ digits).
RTOL = 1e-6


@lru_cache(maxsize=None)
def reference(name: str) -> dict:
    return json.loads((DATA / f"survival_{name}_reference.json").read_text())


@lru_cache(maxsize=None)
def _input(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"survival_{name}_input.csv")


def input_frame(name: str) -> pd.DataFrame:
    return _input(name).copy()


def endpoint(name: str, ep: str) -> pd.DataFrame:
    """The input as an endpoint frame (``time``, ``event``, ``arm``, covariates)."""
    d = input_frame(name)
    return d.assign(time=d[f"{ep}_time"], event=d[f"{ep}_event"])


def competing(name: str) -> pd.DataFrame:
    d = input_frame(name)
    return d.assign(time=d["cr_time"], status=d["cr_status"])


def arr(x) -> np.ndarray:
    """JSON list (with nulls) -> float array."""
    return np.array([np.nan if v is None else v for v in np.atleast_1d(x)], dtype=float)


def assert_curve(values, lo=0.0, hi=1.0, increasing=False) -> None:
    """Shared invariant: a survival (or incidence) curve stays in [lo, hi] and is monotone."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    assert np.all(v >= lo - 1e-12) and np.all(v <= hi + 1e-12)
    step = np.diff(v)
    assert np.all(step >= -1e-12) if increasing else np.all(step <= 1e-12)
