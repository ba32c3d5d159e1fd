"""Benchmark: an ensemble of independent calibrated synthetic cohorts (issue 16).

Generates ``--cohorts`` cohorts (default 200) with ``analysis.trial.ensemble.ensemble`` on
``--workers`` processes (default 2) and prints the wall time, the time per cohort and per
cohort per process, and one cohort's generation time alone. Target: 200 cohorts in under
2 minutes on 2 cores. Timings are printed, not asserted (machines differ; other processes
share the cores).

Usage::

    python benchmarks/bench_ensemble.py [--cohorts 200] [--workers 2] [--seed 20210302]
"""

from __future__ import annotations

import argparse
import time

from analysis.trial.ensemble import DEFAULT_ENSEMBLE_SEED, ensemble
from analysis.trial.synthetic import generate


def _deaths(tables):
    """What crosses the process boundary: deaths per arm (top-level, so it pickles)."""
    p = tables["patients"]
    return p[p["disposition"] == "analyzed"].groupby("arm")["death"].sum().to_dict()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohorts", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=DEFAULT_ENSEMBLE_SEED)
    a = ap.parse_args()
    t0 = time.perf_counter()
    generate()
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = list(ensemble(a.cohorts, a.seed, workers=a.workers, analyse=_deaths))
    wall = time.perf_counter() - t0
    assert len(out) == a.cohorts and all(isinstance(r[2], dict) for r in out)
    print(f"one cohort (generate(), this process): {one:.2f} s")
    print(f"{a.cohorts} cohorts on {a.workers} processes: {wall:.1f} s "
          f"({wall / a.cohorts:.3f} s per cohort; {wall * a.workers / a.cohorts:.2f} s per cohort per process); "
          f"target < 120 s for 200 on 2: {'met' if wall * 200 / a.cohorts < 120 else 'NOT met'}")


if __name__ == "__main__":
    main()
