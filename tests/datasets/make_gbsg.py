"""Reshape the GBSG-2 breast-cancer trial (shipped with lifelines) into the trial schema.

Run from the repository root: ``python tests/datasets/make_gbsg.py``. Writes
``tests/datasets/gbsg/patients.csv``; see ``tests/datasets/README.md`` for the
provenance and for every choice made here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from lifelines.datasets import load_lymph_node

DAYS_PER_MONTH = 365.25 / 12
OUT = Path(__file__).parent / "gbsg" / "patients.csv"


def build() -> pd.DataFrame:
    d = load_lymph_node().reset_index()
    # A recurrence recorded on the day of death is read as death without recurrence
    # (the file codes the recurrence-free-survival event, which counts deaths).
    death_first = (d["censrec"] == 1) & (d["censdead"] == 1) & (d["rectime"] == d["survtime"])
    out = pd.DataFrame({
        "patient_id": "GBSG" + d["id"].astype(int).map("{:03d}".format),
        "arm": np.where(d["hormone"] == 2, "ucmsc", "control"),
        "disposition": "analyzed",
        "randomized_on": pd.to_datetime(d["diagdateb"], format="%d-%m-%Y").dt.strftime("%Y-%m-%d"),
        "age": d["age"].astype(float),
        "sex": "F",
        "os_months": (d["survtime"] / DAYS_PER_MONTH).round(10),
        "death": d["censdead"].astype(int),
        "hcc_months": (d["rectime"] / DAYS_PER_MONTH).round(10),
        "hcc": ((d["censrec"] == 1) & ~death_first).astype(int),
        "menopause_post": (d["menopause"] == 2).astype(int),
        "tsize": d["size"].astype(float),
        "tgrade": d["grade"].astype(int),
        "pnodes": d["nodes"].astype(int),
        "progrec": d["prog_recp"].astype(float),
        "estrec": d["estrg_recp"].astype(float),
    })
    return out


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    build().to_csv(OUT, index=False)
    print(f"wrote {OUT}")
