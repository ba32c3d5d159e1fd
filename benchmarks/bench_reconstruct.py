"""Benchmark: time to reconstruct one arm from a digitised Kaplan-Meier curve (Guyot's algorithm).

Draws 400 patients (exponential event times, uniform censoring; seeded), makes a digitised
curve of about 200 clicks from their Kaplan-Meier curve (:func:`analysis.toolkit.reconstruct.simulate_clicks`,
fine step clicking so the count reaches 200), numbers at risk every 12 months, and times
:func:`analysis.toolkit.reconstruct.reconstruct_arm` (cleaning included), best of ``--repeat`` runs.

Target (issue 15): under 0.2 s per curve on a 2-core machine. The time is printed, not asserted.

Usage::

    python benchmarks/bench_reconstruct.py [--patients 400] [--clicks 200] [--repeat 20] [--seed 15]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.toolkit.reconstruct import at_risk_table, reconstruct_arm, simulate_clicks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=400)
    ap.add_argument("--clicks", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    t_event = rng.exponential(40.0, args.patients)
    t_cens = rng.uniform(20.0, 80.0, args.patients)
    time_ = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(int)
    # Finer clicking (smaller steps told apart) until the curve has about the requested clicks.
    min_drop = 0.01
    clicks = simulate_clicks(time_, event, rng=rng, min_drop=min_drop)
    while len(clicks) < args.clicks and min_drop > 1e-4:
        min_drop *= 0.8
        clicks = simulate_clicks(time_, event, rng=np.random.default_rng(args.seed), min_drop=min_drop)
    risk = at_risk_table(time_, np.arange(0.0, time_.max(), 12.0))
    best = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        rec = reconstruct_arm(clicks, risk)
        best = min(best, time.perf_counter() - t0)
    print(f"{len(clicks)} clicks, {args.patients} patients, {len(risk)} at-risk times: "
          f"{best * 1000:.1f} ms per curve (best of {args.repeat}; target < 200 ms); "
          f"{rec.events} events reconstructed ({int(event.sum())} drawn)")


if __name__ == "__main__":
    main()
