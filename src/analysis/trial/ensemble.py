"""An ensemble of independent calibrated synthetic cohorts.

One synthetic cohort is one draw among the many cohorts that reproduce the paper's published
aggregates. What the book says about an analysis the paper did not report (an RMST difference,
a MELD-adjusted hazard ratio, Gray's test, the liver-function effects, the landmark grid) is
only as firm as its range across such draws. :func:`ensemble` generates ``n`` cohorts with the
same calibration targets and independent seeds, in parallel processes.

Seeds
    ``numpy.random.SeedSequence(seed).spawn(n)``: the children's entropy pools are independent
    by construction, and cohort ``i`` has the integer seed drawn from child ``i``
    (:func:`cohort_seeds`), which :func:`~analysis.trial.synthetic.generate` then splits into
    its per-step streams. The same ``(n, seed)`` gives the same cohorts whatever the number of
    processes; the first ``k`` cohorts of a larger ensemble are those of the smaller one.

Processes
    ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method (safe on every
    platform and with threads in the parent); the worker is a top-level function, so it can be
    pickled. With ``workers=1`` everything runs in this process.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from .synthetic import SyntheticParameters, generate

__all__ = ["cohort_seeds", "ensemble", "DEFAULT_ENSEMBLE_SEED"]

#: Seed of the ensemble the book summarises.
DEFAULT_ENSEMBLE_SEED = 20210302


def cohort_seeds(n: int, seed: int = DEFAULT_ENSEMBLE_SEED) -> list[int]:
    """The seeds of the ``n`` cohorts of an ensemble.

    Parameters
    ----------
    n : int
        Number of cohorts (>= 1).
    seed : int
        The ensemble's seed (non-negative).

    Returns
    -------
    list of int
        One 63-bit seed per cohort, from ``SeedSequence(seed).spawn(n)`` (child ``i`` gives
        cohort ``i``'s seed: ``generate_state(2, numpy.uint32)`` read as one integer).

    References
    ----------
    NumPy, "Parallel random number generation" (``SeedSequence.spawn``). R:
    ``parallel::nextRNGStream`` gives independent L'Ecuyer streams.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    out = []
    for child in np.random.SeedSequence(int(seed)).spawn(int(n)):
        lo, hi = (int(v) for v in child.generate_state(2, np.uint32))
        out.append(((hi & 0x7FFFFFFF) << 32) | lo)
    return out


def _one(task: tuple[int, int, SyntheticParameters, Callable | None]):
    """Generate one cohort (and apply ``analyse`` to it): the worker, top-level so it pickles."""
    i, s, params, analyse = task
    tables = generate(replace(params, seed=s))
    return i, s, (tables if analyse is None else analyse(tables))


def ensemble(n: int, seed: int = DEFAULT_ENSEMBLE_SEED, *, workers: int = 2,
             params: SyntheticParameters | None = None,
             analyse: Callable[[dict[str, pd.DataFrame]], object] | None = None) -> Iterator[tuple[int, int, object]]:
    """Generate ``n`` independent calibrated cohorts.

    Parameters
    ----------
    n : int
        Number of cohorts.
    seed : int, default :data:`DEFAULT_ENSEMBLE_SEED`
        The ensemble's seed (:func:`cohort_seeds`).
    workers : int, default 2
        Processes (``1``: in this process).
    params : SyntheticParameters, optional
        Generator settings other than the seed (default ``SyntheticParameters()``): every cohort
        has the same calibration targets and assumptions.
    analyse : callable, optional
        Applied to each cohort's tables in the worker (a top-level, picklable function); its
        return value is yielded instead of the tables, so only summaries cross processes.

    Yields
    ------
    tuple
        ``(index, seed, tables or analyse(tables))``, in index order.
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    prm = params or SyntheticParameters()
    tasks = [(i, s, prm, analyse) for i, s in enumerate(cohort_seeds(n, seed))]
    if workers == 1:
        for t in tasks:
            yield _one(t)
        return
    with ProcessPoolExecutor(max_workers=int(workers), mp_context=get_context("spawn")) as pool:
        yield from pool.map(_one, tasks, chunksize=max(1, len(tasks) // (4 * int(workers))))
