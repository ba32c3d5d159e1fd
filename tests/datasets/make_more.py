"""Reshape two more public randomized trials (shipped with lifelines) into the trial schema.

Run from the repository root: ``python tests/datasets/make_more.py``. Writes
``tests/datasets/actg175/patients.csv`` and ``tests/datasets/leukemia/patients.csv`` and a
``dataset.yaml`` beside each; see ``tests/datasets/README.md`` for the provenance and for every
choice made here. They give the book data of other shapes than the cohort and GBSG-2: a sparse
second endpoint with no event in the first 8 months and no dates (ACTG 175), and a tiny
survival-only trial whose second endpoint has no event at all (Freireich's leukemia trial).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import datasets

DAYS_PER_MONTH = 365.25 / 12
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7
HERE = Path(__file__).parent


def actg175() -> pd.DataFrame:
    d = pd.read_csv(Path(datasets.__file__).parent / "ACTG175.csv", index_col=0).sort_values("pidnum")
    # zidovudine alone (arms == 0, "control") against didanosine alone (arms == 3, "ucmsc"); the first
    # 200 and 130 patients by identifier, so that the arms are unequal and the runs stay quick
    d = pd.concat([d[d["arms"] == 0].head(200), d[d["arms"] == 3].head(130)])
    months = (d["days"] / DAYS_PER_MONTH).round(4)
    event = d["cens"].astype(int)
    # The second endpoint is a sparse subset of the first: events of symptomatic patients after
    # 8 months (a shape to test, not a clinical endpoint).
    second = ((event == 1) & (d["symptom"] == 1) & (months > 8)).astype(int)
    return pd.DataFrame({
        "patient_id": "ACTG" + d["pidnum"].astype(str),
        "arm": np.where(d["arms"] == 3, "ucmsc", "control"),
        "disposition": "analyzed",
        "age": d["age"].astype(float),
        "sex": np.where(d["gender"] == 1, "M", "F"),
        "os_months": months,
        "death": event,
        "hcc_months": months,
        "hcc": second,
    })


def leukemia() -> pd.DataFrame:
    d = datasets.load_leukemia().reset_index(drop=True)
    months = (d["t"] / WEEKS_PER_MONTH).round(4)
    return pd.DataFrame({
        "patient_id": [f"L{i + 1:02d}" for i in range(len(d))],
        # 6-mercaptopurine (Rx == 0 in lifelines' coding, the arm with longer remissions) as "ucmsc"
        "arm": np.where(d["Rx"] == 0, "ucmsc", "control"),
        "disposition": "analyzed",
        "os_months": months,
        "death": d["status"].astype(int),
        "hcc_months": months,
        "hcc": 0,
    })


if __name__ == "__main__":
    for name, build, title in (("actg175", actg175, "ACTG 175 (two arms, sparse second endpoint)"),
                               ("leukemia", leukemia, "Freireich leukemia trial (survival only)")):
        out = HERE / name
        out.mkdir(parents=True, exist_ok=True)
        build().to_csv(out / "patients.csv", index=False)
        (out / "dataset.yaml").write_text(f"name: {title}\nsynthetic: false\nsource: tests/datasets/make_more.py\n")
        print(f"wrote {out}")
