"""Benchmark: the pipeline on a 200,000-patient trial (issue 11).

Builds a valid folder of ``--n`` patients in a temporary directory by resampling the committed
cohort's patients (seeded), with new identifiers and each time moved by up to 0.05 months so
that the copies are not all tied, then times ``python -m analysis validate`` and
``python -m analysis ledger`` on it as a user runs them, and prints the wall time and the peak
memory (maximum resident set size) of each. Target: within 4 GB. Timings are printed, not
asserted.

Usage::

    python benchmarks/bench_large.py [--n 200000] [--seed 11]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def make_folder(folder: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = pd.read_csv(ROOT / "data" / "synthetic" / "patients.csv", dtype=str, keep_default_na=False)
    big = p.iloc[rng.integers(0, len(p), n)].reset_index(drop=True)
    big["patient_id"] = [f"B{i:07d}" for i in range(n)]
    ana = big["disposition"] == "analyzed"
    os_ = pd.to_numeric(big["os_months"], errors="coerce")
    hcc = pd.to_numeric(big["hcc_months"], errors="coerce")
    shift = rng.uniform(0, 0.05, n)
    big.loc[ana, "os_months"] = (os_ + shift)[ana].round(3).astype(str)
    big.loc[ana, "hcc_months"] = np.minimum(hcc + shift, os_ + shift)[ana].round(3).astype(str)
    folder.mkdir(parents=True)
    big.to_csv(folder / "patients.csv", index=False)


def timed(cmd: list[str]) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-3000:], file=sys.stderr)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, rss_mb, proc.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "large"
        make_folder(folder, args.n, args.seed)
        print(f"{args.n:,} patients ({(folder / 'patients.csv').stat().st_size / 2**20:.1f} MiB patients.csv)")
        ok = True
        for name, cmd in (("validate", [sys.executable, "-m", "analysis", "validate", str(folder)]),
                          ("ledger", [sys.executable, "-m", "analysis", "ledger", "--data", str(folder),
                                      "--out", str(Path(tmp) / "ledger.json")])):
            wall, rss, rc = timed(cmd)
            ok &= rc == 0
            print(f"{name:<9}: {'ok' if rc == 0 else f'FAILED (exit {rc})'}, wall {wall:6.1f} s, "
                  f"peak memory so far {rss:,.0f} MiB ({'within' if rss < 4096 else 'OVER'} 4 GB)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
