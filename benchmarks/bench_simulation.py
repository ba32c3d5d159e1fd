"""Benchmark: the vectorised trial engine against a loop over lifelines' log-rank test.

Simulates 10,000 trials of 250 patients (125 per arm; the paper's randomized sample
size) under the effect the paper reports (no difference before 13 months, control
hazard 3.68 times UC-MSC's after), analyses each by the log-rank test with
``analysis.toolkit.simulate`` (vectorised over trials), and the same trials with a Python
loop over ``lifelines.statistics.logrank_test``. The loop is timed on a subset and
scaled. The two must agree to 1e-8 on the chi-square statistic, for continuous
times and for times rounded up to whole days (ties).

Targets (issue 3): engine >= 150x faster than the lifelines loop; 10,000 trials
in <= 0.5 s on a 2-core machine (issue 10); peak memory < 1 GB. Timings are printed, not
asserted (machines differ); the agreement is asserted.

Usage::

    python benchmarks/bench_simulation.py [--trials 10000] [--subset 300] [--seed 2021]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np
from lifelines.statistics import logrank_test

from analysis.toolkit.design import SurvivalDesign
from analysis.trial.paper import reported_effect_hazards
from analysis.toolkit.simulate import DAY_IN_MONTHS, logrank_statistics, simulate_trials

TOL = 1e-8


def _design() -> SurvivalDesign:
    hc, ht = reported_effect_hazards()
    return SurvivalDesign(hc, ht, accrual_time=40.0, follow_up=35.0)


def _engine(design, n_trials, seed, time_unit=None, chunk=10_000):
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, n_trials, chunk):
        sim = simulate_trials(design, 125, 125, n_trials=min(chunk, n_trials - start), rng=rng, time_unit=time_unit)
        out.append(logrank_statistics(sim.time, sim.event, ~sim.treatment)["chisq"].to_numpy())
    return np.concatenate(out)


def _lifelines_loop(sim, rows):
    c = ~sim.treatment
    return np.array([
        logrank_test(sim.time[i, c], sim.time[i, ~c], sim.event[i, c], sim.event[i, ~c]).test_statistic
        for i in rows
    ])


def _best_of(f, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--subset", type=int, default=300, help="trials run through the lifelines loop")
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    design = _design()

    # -- agreement on the same trials (continuous times, then whole days) -----------
    worst = {}
    loop_seconds = None
    for label, unit in (("continuous", None), ("days (ties)", DAY_IN_MONTHS)):
        sim = simulate_trials(design, 125, 125, n_trials=args.subset, rng=np.random.default_rng(args.seed), time_unit=unit)
        t0 = time.perf_counter()
        ref = _lifelines_loop(sim, range(args.subset))
        elapsed = time.perf_counter() - t0
        if loop_seconds is None:
            loop_seconds = elapsed
        ours = logrank_statistics(sim.time, sim.event, ~sim.treatment)["chisq"].to_numpy()
        worst[label] = float(np.max(np.abs(ours - ref)))
        ties = int(np.mean([sim.time.shape[1] - np.unique(r).size for r in sim.time]))
        print(f"agreement, {label:12s}: max |chisq - lifelines| = {worst[label]:.2e} over {args.subset} trials "
              f"(mean tied times per trial: {ties})")
        assert worst[label] <= TOL, f"{label}: engine and lifelines disagree by {worst[label]:.3e} > {TOL}"

    # -- engine timing: simulate + analyse all trials -------------------------------
    _engine(design, min(args.trials, 1000), args.seed)  # warm-up
    best, median = _best_of(lambda: _engine(design, args.trials, args.seed), args.repeat)
    sim = simulate_trials(design, 125, 125, n_trials=args.trials, rng=np.random.default_rng(args.seed))
    a_best, a_median = _best_of(lambda: logrank_statistics(sim.time, sim.event, ~sim.treatment), args.repeat)
    del sim

    tracemalloc.start()
    _engine(design, args.trials, args.seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    loop_full = loop_seconds * args.trials / args.subset
    ratio_analysis = loop_full / a_best
    ratio_total = loop_full / best
    print()
    print(f"trials x patients               : {args.trials:,} x 250")
    print(f"lifelines loop ({args.subset} trials)      : {loop_seconds:8.3f} s  -> scaled to {args.trials:,}: {loop_full:8.1f} s")
    print(f"engine, analysis only           : {a_best:8.3f} s (best of {args.repeat}; median {a_median:.3f} s)")
    print(f"engine, simulate + analyse      : {best:8.3f} s (best of {args.repeat}; median {median:.3f} s)")
    print(f"speed-up vs lifelines (analysis): {ratio_analysis:8.0f} x")
    print(f"speed-up vs lifelines (sim+an.) : {ratio_total:8.0f} x")
    print(f"peak traced memory (engine)     : {peak / 2**20:8.1f} MiB; process max RSS {maxrss_mb:.0f} MiB")
    print()
    print("targets: ratio >= 150x:", "met" if ratio_total >= 150 else "MISSED",
          "| 10,000 trials <= 0.5 s:", "met" if best <= 0.5 else "MISSED",
          "| peak memory < 1 GB:", "met" if max(peak, maxrss_mb * 2**20) < 2**30 else "MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
