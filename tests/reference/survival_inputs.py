"""Export the analysis frames that R reads to make the survival reference values.

Both sides use identical input: this script derives, with the package's own
functions, the endpoint frames (75-month horizon), the untruncated follow-up
and the competing-risk frame of a trial-schema dataset, and writes them to
``tests/data/survival_<name>_input.csv``. ``survival_reference.R`` reads that
file; ``tests/test_survival.py`` checks that the package still derives the
same frame from the dataset (for the public dataset) and compares every
estimator with R's output.

Usage (repository root)::

    python tests/reference/survival_inputs.py gbsg tests/datasets/gbsg
    python tests/reference/survival_inputs.py synthetic data/synthetic
    Rscript tests/reference/survival_reference.R gbsg
    Rscript tests/reference/survival_reference.R synthetic

Adjustment covariates and the stratum are dataset-specific and named ``x1``,
``x2``, ``x3`` and ``stratum`` so that one R script serves every dataset
(see ``COVARIATES`` below).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import load_trial
from analysis.toolkit.competing import competing_frame
from analysis.toolkit.survival import add_covariates, endpoint_frame

ROOT = Path(__file__).resolve().parents[2]

#: dataset -> (stratum column, [x1, x2, x3]) after add_covariates / the extra log columns below.
COVARIATES = {
    "gbsg": ("menopause_post", ["log_pnodes", "log_tsize", "age"]),
    "synthetic": ("meld_gt15", ["log_tbil", "log_che", "meld"]),
}


def input_frame(trial, name: str) -> pd.DataFrame:
    """The frame R reads: one row per analysed patient."""
    p = add_covariates(trial.analyzed, log=("tbil", "che", "pnodes", "tsize"))
    os_ = endpoint_frame(p, "os", 75.0)
    os_full = endpoint_frame(p, "os", None)
    hcc = endpoint_frame(p, "hcc", 75.0)
    cr = competing_frame(p, 75.0)
    stratum, xs = COVARIATES[name]
    out = pd.DataFrame({
        "id": np.arange(1, len(p) + 1),
        "arm": p["arm"],
        "control": os_["control"],
        "os_time": os_["time"], "os_event": os_["event"],
        "os_time_full": os_full["time"], "os_event_full": os_full["event"],
        "hcc_time": hcc["time"], "hcc_event": hcc["event"],
        "cr_time": cr["time"], "cr_status": cr["status"],
        "stratum": p[stratum].astype(float),
    })
    for i, c in enumerate(xs, 1):
        out[f"x{i}"] = p[c].astype(float)
    return out


def main(argv: list[str]) -> int:
    name, folder = argv[1], argv[2]
    df = input_frame(load_trial(ROOT / folder), name)
    path = ROOT / "tests" / "data" / f"survival_{name}_input.csv"
    df.to_csv(path, index=False, float_format="%.17g")
    print(f"wrote {path} ({len(df)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
