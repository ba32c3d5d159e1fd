"""Do a paper's published numbers agree with each other?

Everything here works from **published summary statistics alone** (no patient
data), so it can be run on any paper whose numbers are structured as in
``data/published/*.yaml`` (an :class:`analysis.trial.published.Published`) or as
plain dictionaries. Each check returns one row with the published value, the
value recomputed from the other published numbers (a point and, where the
printed rounding matters, the interval of every value the unrounded inputs
could give), a status, whether the agreement is exact, and the reason.

Status: the project's one vocabulary (:data:`~analysis.toolkit.agreement.STATUSES`)
------------------------------------------------------------------------------------
``agrees``
    Some unrounded inputs consistent with the printed digits reproduce the
    printed value (the recomputed interval meets the printed value's rounding
    interval). Column ``exact`` says whether the printed inputs themselves
    do (``True``), or the agreement holds only within rounding (``False``).
``differs``
    No unrounded inputs consistent with the printed digits reproduce it.
``not computable``
    The recomputation is not defined (an exact test too large to enumerate).
``not published``
    The printed value is missing.

Where a number is recomputed (p values, midpoints, percentages, event
bounds), the status is :func:`~analysis.toolkit.agreement.agreement` of the
recomputed value with the printed one under the tolerance
:func:`check_tolerance` builds from the rounding (the interval of values that
agree), so a published number gets the same status here as in a chapter's
results and the ledger. Sums and counts agree only when equal. A published number checked
in two ways (a hazard ratio's p against its CI, and the CI's significance
against the p) never gets ``agrees`` from one check and ``differs`` from the
other when both ask the same question (see :func:`check_hazard_ratios`).

Checks
------
- Table 1 p values: Student t (pooled variance) from means, SDs and n, over
  the box of unrounded means and SDs (exact extremes at the box corners);
  chi-square (with and without Yates' correction) and Fisher's exact test from
  the counts; for a median/range row, a t test on mean and SD estimated from
  the median and range (Wan et al. 2014), flagged as approximate.
- Hazard ratios (Altman & Bland 2011): the HR against the geometric midpoint
  of its CI; the two-sided Wald p implied by the CI against the printed p
  (and whether a log-rank p is a plausible source when they differ); whether
  "CI excludes 1" agrees with "p < alpha"; the events implied by the CI width
  (``4 / SE^2`` for 1:1 allocation, a lower bound on the total) against
  published event counts.
- Percentages against counts and denominators; counts against group sizes;
  the CONSORT flow arithmetic.
- Granularity (GRIM, Brown & Heathers 2017) of means, and of medians, of
  integer-valued variables.
- Qualitative claims about which arm did better against the direction of the
  HR (:func:`check_direction`).

Python has no packaged tool for these checks; they are written here from the
cited formulas and tested against hand computations, textbook cases and R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from .agreement import STATUSES, Tolerance, agreement
from .conventions import validate_conf_level

__all__ = [
    "CHECK_COLUMNS",
    "rounding_interval",
    "Judgement",
    "check_tolerance",
    "judge",
    "TTestSummary",
    "ttest_from_summary",
    "chisq_from_counts",
    "fisher_from_counts",
    "TableTooLargeError",
    "WaldFromCI",
    "wald_from_ci",
    "implied_events",
    "se_from_events",
    "grim",
    "median_granularity",
    "estimate_mean_sd",
    "skewness_from_summary",
    "skewness_flags",
    "check_table1",
    "compare_table1_tests",
    "check_hazard_ratios",
    "implied_events_frame",
    "check_event_counts",
    "check_percentages",
    "check_consort",
    "check_granularity",
    "check_direction",
    "check_claims",
    "check_published",
    "status_counts",
]

#: Columns of every check frame, in this order.
CHECK_COLUMNS = [
    "category",
    "item",
    "label",
    "quantity",
    "published",
    "operator",
    "recomputed",
    "low",
    "high",
    "status",
    "exact",
    "reason",
]

_ARMS = ("control", "ucmsc")
_EPS = 1e-9  # floating-point slack on rounding-interval bounds


# ----------------------------------------------------------------------------
# Rounding and statuses
# ----------------------------------------------------------------------------
def rounding_interval(value: float, decimals: int) -> tuple[float, float]:
    """Every unrounded value that prints as ``value`` with ``decimals`` decimals.

    Parameters
    ----------
    value : float
        The printed number.
    decimals : int
        Number of printed decimals (may be 0 or negative: ``-1`` for tens).

    Returns
    -------
    tuple of float
        ``(value - h, value + h)`` with ``h = 0.5 * 10**-decimals``; both ends
        are included (round-half-up and round-half-even both occur in print).
    """
    if not np.isfinite(value):
        raise ValueError(f"value must be finite, got {value!r}")
    h = 0.5 * 10.0 ** (-int(decimals))
    return value - h, value + h


class Judgement(NamedTuple):
    """The outcome of one check: a status and whether the agreement is exact.

    Returned by :func:`judge`; its two fields fill the ``status`` and ``exact`` columns of
    :data:`CHECK_COLUMNS`.

    Attributes
    ----------
    status : str
        One of :data:`~analysis.toolkit.agreement.STATUSES` (``"agrees"``, ``"differs"``,
        ``"not published"``, ``"not computable"``).
    exact : bool
        ``True`` when the printed inputs, as printed, reproduce the printed value; ``False``
        when it agrees only within rounding (some unrounded inputs reproduce it) or does not
        agree.
    """

    #: One of :data:`~analysis.toolkit.agreement.STATUSES`.
    status: str
    #: ``True`` when the printed inputs, as printed, reproduce the printed value; ``False`` when
    #: it agrees only within rounding (some unrounded inputs reproduce it) or does not agree.
    exact: bool


_OPERATORS = ("=", "<", ">")


def check_tolerance(
    published: float,
    point: float,
    low: float | None = None,
    high: float | None = None,
    *,
    decimals: int,
    operator: str = "=",
) -> Tolerance | None:
    """The tolerance under which a recomputed value agrees with a printed one.

    Every check of a recomputed number in this module (:func:`judge`) is
    :func:`~analysis.toolkit.agreement.agreement` of the recomputed point with the printed value
    under this tolerance, so a printed number has one rule wherever it is compared (here, in a
    chapter's results, in the ledger).

    Parameters
    ----------
    published : float
        The printed value (for ``operator='<'``, the bound: ``p < 0.001``).
    point : float
        The value recomputed from the printed inputs as printed.
    low, high : float, optional
        The range of values recomputed over all unrounded inputs consistent with the printed
        digits (default: the point).
    decimals : int
        Printed decimals of ``published`` (used with ``"="``).
    operator : {"=", "<", ">"}, default "="
        ``"="``, ``"<"`` or ``">"``, as printed.

    Returns
    -------
    Tolerance or None
        An ``interval`` tolerance on the point: for ``"="``, the point agrees when the range
        ``[low, high]`` meets the printed value's rounding interval ``[a, b]`` (the interval is
        ``[a - (high - point), b + (point - low)]``); for ``"<"``, when ``low`` is at or below
        the bound; for ``">"``, when ``high`` is at or above it. ``None`` when the point or the
        printed value is missing (the status is then ``not computable`` or ``not published``).
    """
    if operator not in _OPERATORS:
        raise ValueError(f"operator must be one of '=', '<', '>', got {operator!r}")
    if point is None or published is None or not (np.isfinite(point) and np.isfinite(published)):
        return None
    low = point if low is None or not np.isfinite(low) else min(low, point)
    high = point if high is None or not np.isfinite(high) else max(high, point)
    if operator == "=":
        a, b = rounding_interval(published, decimals)
        return Tolerance("interval", (a - _EPS - (high - point), b + _EPS + (point - low)))
    if operator == "<":
        upper = published + (point - low)
        return Tolerance("interval", (min(low, upper), upper))
    lower = published - (high - point)
    return Tolerance("interval", (lower, max(high, lower)))


def judge(
    published: float,
    point: float,
    low: float | None = None,
    high: float | None = None,
    *,
    decimals: int,
    operator: str = "=",
) -> Judgement:
    """Status of one printed number against a recomputation.

    Parameters
    ----------
    published : float
        The printed value (for ``operator='<'``, the bound: ``p < 0.001``).
    point : float
        The value recomputed from the printed inputs as printed.
    low, high : float, optional
        The range of values recomputed over all unrounded inputs consistent
        with the printed digits (default: the point).
    decimals : int
        Printed decimals of ``published``.
    operator : {"=", "<", ">"}, default "="
        ``"="``, ``"<"`` or ``">"``, as printed.

    Returns
    -------
    Judgement
        ``status``: :func:`~analysis.toolkit.agreement.agreement` of ``point`` with
        ``published`` under :func:`check_tolerance`; ``exact``: the point itself prints as
        the published value (is below or above the bound for ``"<"`` and ``">"``).
    """
    tol = check_tolerance(published, point, low, high, decimals=decimals, operator=operator)
    status = agreement(point, published, tol)
    if status != "agrees":
        return Judgement(status, False)
    if operator == "=":
        a, b = rounding_interval(published, decimals)
        exact = a - _EPS <= point <= b + _EPS
    else:
        exact = point < published if operator == "<" else point > published
    return Judgement(status, bool(exact))


_AGREES = Judgement("agrees", True)
_WITHIN_ROUNDING = Judgement("agrees", False)
_DIFFERS = Judgement("differs", False)


def _exactly(ok: bool) -> Judgement:
    """A check without rounding (counts, arithmetic): agrees or differs."""
    return _AGREES if ok else _DIFFERS


def _row(category: str, item: str, label: str, quantity: str, published: float, operator: str,
         recomputed: float, low: float, high: float, judgement: Judgement, reason: str) -> dict:
    return dict(category=category, item=item, label=label, quantity=quantity,
                published=float(published), operator=operator, recomputed=float(recomputed),
                low=float(low), high=float(high), status=judgement.status, exact=bool(judgement.exact),
                reason=reason)


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    for c in ("published", "recomputed", "low", "high"):
        df[c] = df[c].astype(float)
    df["exact"] = df["exact"].astype(bool)
    return df


def _fmt(x: float, digits: int = 3) -> str:
    """Numbers inside reason strings (the numeric columns carry full precision)."""
    if not np.isfinite(x):
        return str(x)
    if x != 0 and abs(x) < 10.0 ** (-digits):
        return f"{x:.2g}"
    return f"{x:.{digits}f}"


# ----------------------------------------------------------------------------
# t tests from summary statistics, with the printed rounding
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TTestSummary:
    """A two-sample t test recomputed from means, SDs and n.

    Returned by :func:`ttest_from_summary`. ``p`` uses the printed numbers as
    they are; ``p_low`` and ``p_high`` are the smallest and largest p over
    every unrounded mean and SD consistent with the printed digits.

    Attributes
    ----------
    t : float
        t statistic of the printed summaries, ``(mean1 - mean2) / SE``
        (group 1 minus group 2).
    df : float
        Degrees of freedom: ``n1 + n2 - 2`` for Student's t, the
        Welch-Satterthwaite value for Welch's.
    p : float
        Two-sided p value of the printed summaries.
    p_low, p_high : float
        Smallest and largest two-sided p over the rounding box of the means
        and SDs (both equal to ``p`` when the inputs are treated as exact);
        ``p`` always lies within them.
    equal_var : bool
        ``True`` for Student's pooled-variance t, ``False`` for Welch's.

    Notes
    -----
    R (``p``): ``stats::t.test(x, y, var.equal = equal_var)`` on data with
    these summaries.
    """

    t: float
    df: float
    p: float
    p_low: float
    p_high: float
    equal_var: bool


def _ttest_p(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int, equal_var: bool) -> tuple[float, float, float]:
    r = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=equal_var)
    if equal_var:
        df = n1 + n2 - 2.0
    else:
        a, b = s1**2 / n1, s2**2 / n2
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    return float(r.statistic), float(df), float(r.pvalue)


def ttest_from_summary(
    mean1: float,
    sd1: float,
    n1: int,
    mean2: float,
    sd2: float,
    n2: int,
    *,
    decimals: Mapping[str, int] | None = None,
    equal_var: bool = True,
    grid: int = 9,
) -> TTestSummary:
    """Two-sample t test from summary statistics, allowing for printed rounding.

    Parameters
    ----------
    mean1, mean2 : float
        Printed means of groups 1 and 2 (``t`` is for group 1 minus group 2).
    sd1, sd2 : float
        Printed standard deviations (> 0).
    n1, n2 : int
        Group sizes (integers >= 2).
    decimals : mapping of str to int, optional
        Printed decimals: ``{"mean1", "sd1", "mean2", "sd2"}``. ``None``
        treats the inputs as exact (``p_low == p_high == p``).
    equal_var : bool, default True
        ``True`` (default): Student's t with pooled variance, as most trial
        reports mean by "Student's t test". ``False``: Welch's t.
    grid : int, default 9
        Points per SD axis searched for Welch's test (see Notes).

    Returns
    -------
    TTestSummary

    Notes
    -----
    Student's ``|t|`` increases with ``|mean2 - mean1|`` and decreases with
    each SD, and p decreases with ``|t|`` at fixed df, so the extreme p over
    the rounding box are attained at its corners: largest ``|difference|``
    with smallest SDs gives ``p_low``; smallest ``|difference|`` (0 if the
    box allows equal means) with largest SDs gives ``p_high``. For Welch's
    test the df also move with the SDs, so the SD box is searched on a
    ``grid x grid`` lattice (the box is tiny relative to the SDs and p is
    smooth there). The point value matches R's
    ``t.test(..., var.equal = TRUE)`` on data with these summaries
    (``scipy.stats.ttest_ind_from_stats``).

    References
    ----------
    Student (1908); Welch BL (1947) Biometrika 34:28-35. Rounding-box
    recomputation in the spirit of Brown NJL, Heathers JAJ (2017) Soc Psychol
    Personal Sci 8:363-369 and Anaya J (2016) PeerJ Preprints 4:e2400v1.
    """
    for name, v in (("n1", n1), ("n2", n2)):
        if int(v) != v or v < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {v!r}")
    for name, v in (("sd1", sd1), ("sd2", sd2)):
        if not v > 0:
            raise ValueError(f"{name} must be > 0, got {v!r}")
    n1, n2 = int(n1), int(n2)
    t, df, p = _ttest_p(mean1, sd1, n1, mean2, sd2, n2, equal_var)
    if decimals is None:
        return TTestSummary(t, df, p, p, p, equal_var)
    missing = {"mean1", "sd1", "mean2", "sd2"} - set(decimals)
    if missing:
        raise ValueError(f"decimals must give mean1, sd1, mean2, sd2; missing {sorted(missing)}")
    m1 = rounding_interval(mean1, decimals["mean1"])
    m2 = rounding_interval(mean2, decimals["mean2"])
    s1 = rounding_interval(sd1, decimals["sd1"])
    s2 = rounding_interval(sd2, decimals["sd2"])
    s1 = (max(s1[0], 1e-12), s1[1])
    s2 = (max(s2[0], 1e-12), s2[1])
    d_lo, d_hi = m2[0] - m1[1], m2[1] - m1[0]
    d_max = max(abs(d_lo), abs(d_hi))
    d_min = 0.0 if d_lo <= 0 <= d_hi else min(abs(d_lo), abs(d_hi))
    if equal_var:
        p_low = _ttest_p(0.0, s1[0], n1, d_max, s2[0], n2, True)[2]
        p_high = _ttest_p(0.0, s1[1], n1, d_min, s2[1], n2, True)[2]
    else:
        g1 = np.linspace(*s1, grid)
        g2 = np.linspace(*s2, grid)
        p_low = min(_ttest_p(0.0, a, n1, d_max, b, n2, False)[2] for a, b in product(g1, g2))
        p_high = max(_ttest_p(0.0, a, n1, d_min, b, n2, False)[2] for a, b in product(g1, g2))
    return TTestSummary(t, df, p, min(p_low, p), max(p_high, p), equal_var)


# ----------------------------------------------------------------------------
# Tests from counts
# ----------------------------------------------------------------------------
def _table(counts: Any) -> np.ndarray:
    t = np.asarray(counts, dtype=float)
    if t.ndim != 2 or min(t.shape) < 2:
        raise ValueError(f"counts must be a 2-D table with at least 2 rows and 2 columns, got shape {t.shape}")
    if (t < 0).any() or not np.allclose(t, np.round(t)):
        raise ValueError("counts must be non-negative integers")
    t = np.round(t).astype(int)
    keep = t.sum(axis=0) > 0  # a level nobody has carries no information
    t = t[:, keep]
    if t.shape[1] < 2 or (t.sum(axis=1) == 0).any():
        raise ValueError("counts must have at least two non-empty columns and no empty row")
    return t


def chisq_from_counts(counts: Any, *, correction: bool = False) -> tuple[float, int, float]:
    """Pearson chi-square test of independence from a table of counts.

    Parameters
    ----------
    counts : array_like
        Groups in rows, levels in columns (a level that is empty in every
        group is dropped).
    correction : bool, default False
        Yates' continuity correction (applies to 2 x 2 tables only).
        Default ``False``, R's ``chisq.test(x, correct = FALSE)``.

    Returns
    -------
    tuple
        ``(statistic, df, p)``.

    References
    ----------
    Pearson K (1900); Yates F (1934) Suppl J R Stat Soc 1:217-235.
    Uses :func:`scipy.stats.chi2_contingency`.
    """
    t = _table(counts)
    r = stats.chi2_contingency(t, correction=correction)
    return float(r.statistic), int(r.dof), float(r.pvalue)


class TableTooLargeError(ValueError):
    """The exact test would enumerate too many tables; use the large-sample (chi-square) test."""


#: Most tables :func:`fisher_from_counts` enumerates for a 2 x k table.
MAX_EXACT_TABLES = 5_000_000


def _fisher_2xk(t: np.ndarray) -> float:
    """Freeman-Halton exact test for a 2 x k table by full enumeration."""
    col = t.sum(axis=0)
    r1 = int(t[0].sum())
    n = int(col.sum())
    k = len(col)
    logc = [gammaln(c + 1) - gammaln(np.arange(c + 1) + 1) - gammaln(c - np.arange(c + 1) + 1) for c in col]
    log_total = gammaln(n + 1) - gammaln(r1 + 1) - gammaln(n - r1 + 1)
    obs = sum(logc[j][t[0, j]] for j in range(k)) - log_total
    # suffix maxima of column totals bound the remaining row-1 count
    rest = np.concatenate([np.cumsum(col[::-1])[::-1][1:], [0]])
    probs: list[float] = []

    def rec(j: int, left: int, acc: float) -> None:
        if j == k - 1:
            if 0 <= left <= col[j]:
                probs.append(acc + logc[j][left])
            return
        lo = max(0, left - int(rest[j]))
        hi = min(int(col[j]), left)
        for x in range(lo, hi + 1):
            rec(j + 1, left - x, acc + logc[j][x])

    if math.prod(int(c) + 1 for c in col[:-1]) > MAX_EXACT_TABLES:
        raise TableTooLargeError(f"counts: more than {MAX_EXACT_TABLES:,} tables to enumerate for the exact test "
                                 "(use the chi-square test, which is accurate at this size)")
    rec(0, r1, 0.0)
    lp = np.array(probs) - log_total
    # R's fisher.test counts tables with probability <= observed * (1 + 1e-7)
    return float(min(1.0, np.exp(lp[lp <= obs + np.log1p(1e-7)]).sum()))


def fisher_from_counts(counts: Any) -> float:
    """Fisher's exact test (two-sided) from a table of counts.

    Parameters
    ----------
    counts : array_like
        A 2 x 2 table, or 2 x k (groups in rows). Empty levels are dropped.

    Returns
    -------
    float
        The two-sided p value. 2 x 2: :func:`scipy.stats.fisher_exact`.
        2 x k tables that would need more than :data:`MAX_EXACT_TABLES` tables raise
        :class:`TableTooLargeError` (the caller falls back to the chi-square test).
        2 x k: Freeman-Halton extension by full enumeration of the tables
        with the observed margins (written here because SciPy's r x c
        version is a Monte Carlo approximation by default), summing the
        probabilities of tables no more likely than the observed one.
        Matches R's ``fisher.test(x)``.

    References
    ----------
    Fisher RA (1935) J R Stat Soc 98:39-82; Freeman GH, Halton JH (1951)
    Biometrika 38:141-149.
    """
    t = _table(counts)
    if t.shape[0] != 2 and t.shape[1] == 2:
        t = t.T
    if t.shape[0] != 2:
        raise ValueError(f"counts must have 2 groups (rows), got shape {t.shape}")
    if t.shape == (2, 2):
        return float(stats.fisher_exact(t).pvalue)
    return _fisher_2xk(t)


# ----------------------------------------------------------------------------
# Ratio estimates and their confidence intervals
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WaldFromCI:
    """What a printed estimate and CI imply if the CI is a Wald interval.

    Returned by :func:`wald_from_ci`. On the log scale for ratios.
    ``*_low``/``*_high`` are ranges over the unrounded estimate and limits
    consistent with the printed digits: over the Wald triples ``(exp(b),
    exp(b -+ z SE))`` that print as the printed numbers when such triples
    exist (``wald_triple`` True). Otherwise the midpoint and SE ranges are
    over the limits' rounding, and the p range is that of the Wald p the CI
    implies on its own (its midpoint as the estimate) over the limits'
    rounding, joined with ``p``.

    Attributes
    ----------
    midpoint : float
        Midpoint of the printed limits (geometric for ratios, arithmetic
        otherwise): the estimate a Wald interval is centred on.
    midpoint_low, midpoint_high : float
        Range of the midpoint over the limits' rounding.
    se : float
        Standard error implied by the printed limits,
        ``(u - l) / (2 z_{1-a/2})`` (of the log estimate for ratios).
    se_low, se_high : float
        Range of the SE over the unrounded values (see above); ``se`` lies
        within it.
    z : float
        ``Est / SE`` of the printed estimate (log scale for ratios).
    p : float
        Two-sided Wald p of the printed estimate, ``2 (1 - Phi(|z|))``.
    p_low, p_high : float
        Range of the two-sided Wald p (see above); ``p`` lies within it.
    wald_triple : bool
        Whether some unrounded Wald triple (estimate at the midpoint of its
        limits) prints as the printed estimate and limits.

    References
    ----------
    Altman DG, Bland JM (2011) How to obtain the P value from a confidence
    interval. BMJ 343:d2304.
    """

    midpoint: float
    midpoint_low: float
    midpoint_high: float
    se: float
    se_low: float
    se_high: float
    z: float
    p: float
    p_low: float
    p_high: float
    wald_triple: bool


def _wald_vertices(b: tuple[float, float], x: tuple[float, float], y: tuple[float, float]) -> list[tuple[float, float]]:
    """Vertices of {x in X, y in Y, (x + y) / 2 in B} (log lower limit x, log upper limit y)."""
    cand = [(xi, yi) for xi in x for yi in y]
    for c in (2 * b[0], 2 * b[1]):  # the band's edges x + y = c cut the rectangle's edges
        cand += [(xi, c - xi) for xi in x] + [(c - yi, yi) for yi in y]
    tol = 1e-12
    return [(xi, yi) for xi, yi in cand
            if x[0] - tol <= xi <= x[1] + tol and y[0] - tol <= yi <= y[1] + tol
            and 2 * b[0] - tol <= xi + yi <= 2 * b[1] + tol and yi > xi]


def _interval_z_range(x: tuple[float, float], y: tuple[float, float], zc: float) -> tuple[float, float]:
    """Smallest and largest ``|z|`` of Wald intervals (midpoint as the estimate) whose log limits
    lie in the rectangle ``x`` by ``y``; extremes at its corners (``|z|`` is linear-fractional)."""
    rect = [(xi, yi) for xi in x for yi in y if yi > xi]
    sums = [xi + yi for xi, yi in rect]
    zs = [abs(sm) / (yi - xi) * zc for sm, (xi, yi) in zip(sums, rect)]
    return (0.0 if min(sums) <= 0 <= max(sums) else min(zs)), max(zs)


def _interval_p(ci_low: float, ci_high: float, *, level: float, decimals: int) -> tuple[float, float, float]:
    """The two-sided Wald p a ratio CI implies on its own (its geometric midpoint as the estimate),
    and its range over the limits' rounding: ``(p, p_low, p_high)``."""
    zc = stats.norm.ppf(0.5 + level / 2)
    lo, hi = math.log(ci_low), math.log(ci_high)
    p = 2 * stats.norm.sf(abs(lo + hi) / (hi - lo) * zc)
    bx = tuple(math.log(max(v, 1e-12)) for v in rounding_interval(ci_low, decimals))
    by = tuple(math.log(v) for v in rounding_interval(ci_high, decimals))
    z_min, z_max = _interval_z_range(bx, by, zc)
    return float(p), float(2 * stats.norm.sf(z_max)), float(2 * stats.norm.sf(z_min))


def wald_from_ci(
    estimate: float,
    ci_low: float,
    ci_high: float,
    *,
    ratio: bool = True,
    level: float = 0.95,
    decimals: int | None = None,
) -> WaldFromCI:
    """SE, z and two-sided p implied by an estimate and its confidence interval.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Printed estimate and limits.
    ratio : bool, default True
        ``True`` for hazard, odds and risk ratios (worked on the log scale,
        the midpoint is geometric).
    level : float, default 0.95
        Confidence level of the interval.
    decimals : int, optional
        Printed decimals of estimate and limits; ``None`` treats them as exact.

    Returns
    -------
    WaldFromCI

    Notes
    -----
    ``SE = (u - l) / (2 z_{1-a/2})``, ``z = Est / SE``, ``p = 2 (1 - Phi(|z|))``
    with ``u``, ``l`` and ``Est`` on the log scale for ratios. Altman and
    Bland use the approximation ``p = exp(-0.717 z - 0.416 z^2)``; we use the
    normal distribution itself.

    Ranges: a Wald interval ties the three numbers (``Est`` is the midpoint
    of ``l`` and ``u``), so the unrounded triples consistent with the print
    form a polygon in ``(l, u)``: the rectangle of the limits' rounding cut
    by the band where the midpoint rounds to the printed estimate. ``|z|``
    is linear-fractional in ``(l, u)``, so its extremes (and those of SE and
    p) lie at the polygon's vertices, which are enumerated. When the polygon
    is empty (the printed estimate is not the midpoint of any unrounded
    limits) no Wald interval prints as the three numbers. The p range is then
    that of the interval alone, over the rectangle of its limits' rounding
    (the p of a Wald interval is fixed by its limits), joined with the
    point ``p`` of the printed estimate: varying the estimate independently
    of the limits would admit p values of no Wald interval that prints as
    the printed one, on the other side of alpha from what the printed
    interval says about significance.

    R: ``2 * pnorm(-abs(z))`` with ``z = log(est) / ((log(u) - log(l)) / (2 *
    qnorm(0.975)))`` (``tests/reference/consistency_reference.R``).

    References
    ----------
    Altman DG, Bland JM (2011) How to obtain the P value from a confidence
    interval. BMJ 343:d2304.
    """
    validate_conf_level(level, "level")
    if not ci_low < ci_high:
        raise ValueError(f"ci_low must be below ci_high, got {ci_low!r} and {ci_high!r}")
    if ratio and min(estimate, ci_low) <= 0:
        raise ValueError("estimate and ci_low must be > 0 for a ratio")
    if not ci_low <= estimate <= ci_high:
        raise ValueError(f"estimate {estimate!r} must lie within its CI [{ci_low!r}, {ci_high!r}]")

    def f(v: float) -> float:
        return math.log(v) if ratio else v

    def back(v: float) -> float:
        return math.exp(v) if ratio else v

    zc = stats.norm.ppf(0.5 + level / 2)

    def box(v: float) -> tuple[float, float]:
        if decimals is None:
            return f(v), f(v)
        a, b = rounding_interval(v, decimals)
        return f(max(a, 1e-12) if ratio else a), f(b)

    be, bx, by = box(estimate), box(ci_low), box(ci_high)
    se = (f(ci_high) - f(ci_low)) / (2 * zc)
    z = f(estimate) / se
    p = 2 * stats.norm.sf(abs(z))
    mid = back((f(ci_low) + f(ci_high)) / 2)
    mid_low, mid_high = back((bx[0] + by[0]) / 2), back((bx[1] + by[1]) / 2)
    verts = _wald_vertices(be, bx, by)
    if verts:
        ses = [(yi - xi) / (2 * zc) for xi, yi in verts]
        sums = [xi + yi for xi, yi in verts]
        zs = [abs(sm) / (yi - xi) * zc for sm, (xi, yi) in zip(sums, verts)]
        z_max = max(zs)
        z_min = 0.0 if min(sums) <= 0 <= max(sums) else min(zs)
    else:  # not a Wald triple: the p of the interval alone, over its limits' rounding (and the point p)
        ses = [max((by[0] - bx[1]) / (2 * zc), se * 1e-6), (by[1] - bx[0]) / (2 * zc)]
        if decimals is None:
            z_max = z_min = abs(z)
        else:
            z_min, z_max = _interval_z_range(bx, by, zc)
    p_low, p_high = 2 * stats.norm.sf(z_max), 2 * stats.norm.sf(z_min)
    return WaldFromCI(float(mid), float(mid_low), float(mid_high), float(se), float(min(ses + [se])),
                      float(max(ses + [se])), float(z), float(p), float(min(p_low, p)), float(max(p_high, p)),
                      bool(verts))


def implied_events(se: float, *, allocation: float = 0.5) -> float:
    """Total events implied by the SE of a log hazard ratio.

    Parameters
    ----------
    se : float
        Standard error of the log hazard ratio.
    allocation : float, default 0.5
        Proportion of patients (more exactly, of events at risk) in one arm;
        0.5 for 1:1.

    Returns
    -------
    float
        ``1 / (a (1 - a) SE^2)``: ``4 / SE^2`` for 1:1. Since
        ``Var(log HR) ~ 1/d1 + 1/d2`` is smallest when the events split
        evenly, this is a lower bound on the total events ``d1 + d2``.

    References
    ----------
    Schoenfeld D (1983) Biometrics 39:499-503; Parmar MKB, Torri V,
    Stewart L (1998) Stat Med 17:2815-2834; Tierney JF et al. (2007)
    Trials 8:16.
    """
    if not se > 0:
        raise ValueError(f"se must be > 0, got {se!r}")
    if not 0 < allocation < 1:
        raise ValueError(f"allocation must be in (0, 1), got {allocation!r}")
    return 1.0 / (allocation * (1 - allocation) * se**2)


def se_from_events(d1: float, d2: float) -> float:
    """Approximate SE of a log hazard ratio from the events in each arm.

    ``sqrt(1/d1 + 1/d2)`` (Parmar et al. 1998; Tierney et al. 2007).

    Parameters
    ----------
    d1, d2 : float
        Events in each of the two arms (both > 0; the formula is symmetric,
        so the order does not matter).

    Returns
    -------
    float
        Approximate standard error of the log hazard ratio.

    Raises
    ------
    ValueError
        If an event count is not positive.

    References
    ----------
    Parmar MKB, Torri V, Stewart L. Extracting summary statistics to perform
    meta-analyses of the published literature for survival endpoints. Stat Med 1998;17:2815-2834.
    Tierney JF et al. Practical methods for incorporating summary time-to-event data into
    meta-analysis. Trials 2007;8:16.
    """
    if not (d1 > 0 and d2 > 0):
        raise ValueError(f"d1 and d2 must be > 0, got {d1!r} and {d2!r}")
    return math.sqrt(1.0 / d1 + 1.0 / d2)


# ----------------------------------------------------------------------------
# Granularity and distribution shape
# ----------------------------------------------------------------------------
def grim(mean: float, n: int, decimals: int, *, items: int = 1) -> bool:
    """GRIM test: can ``n`` integer values have this printed mean?

    Parameters
    ----------
    mean : float
        The printed mean.
    n : int
        Number of values averaged.
    decimals : int
        Printed decimals of the mean.
    items : int, default 1
        Items per respondent for a mean of a multi-item integer scale.

    Returns
    -------
    bool
        Whether some integer total ``k`` gives ``k / (n items)`` inside the
        printed mean's rounding interval (either rounding convention). When
        ``n items >= 10**decimals`` every printed mean is possible: the test
        cannot detect anything.

    References
    ----------
    Brown NJL, Heathers JAJ (2017) The GRIM test: a simple technique detects
    numerous anomalies in the reporting of results in psychology. Soc Psychol
    Personal Sci 8:363-369.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    N = int(n) * int(items)
    a, b = rounding_interval(mean, decimals)
    k = math.ceil(a * N - _EPS)
    return k / N <= b + _EPS


def median_granularity(median: float, n: int, decimals: int) -> bool:
    """Can the median of ``n`` integer values print as ``median``?

    The median of integers is an integer when ``n`` is odd and an integer or
    a half-integer when ``n`` is even.

    Parameters
    ----------
    median : float
        The printed median.
    n : int
        Number of values (a positive integer).
    decimals : int
        Printed decimals of the median.

    Returns
    -------
    bool
        Whether some integer (``n`` odd) or multiple of 0.5 (``n`` even) lies
        in the printed median's rounding interval.

    See Also
    --------
    grim : the same question for a mean.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    step = 1.0 if int(n) % 2 else 0.5
    a, b = rounding_interval(median, decimals)
    k = math.ceil(a / step - _EPS)
    return k * step <= b + _EPS


def estimate_mean_sd(median: float, minimum: float, maximum: float, n: int) -> tuple[float, float]:
    """Mean and SD estimated from median, minimum, maximum and n.

    Parameters
    ----------
    median : float
        The sample median ``m``.
    minimum, maximum : float
        The sample minimum ``a`` and maximum ``b`` (``a <= m <= b``).
    n : int
        Sample size (at least 2).

    Returns
    -------
    tuple
        ``((a + 2m + b) / 4, (b - a) / xi(n))`` with
        ``xi(n) = 2 Phi^{-1}((n - 0.375) / (n + 0.25))``.

    References
    ----------
    Hozo SP, Djulbegovic B, Hozo I (2005) BMC Med Res Methodol 5:13 (mean);
    Wan X, Wang W, Liu J, Tong T (2014) BMC Med Res Methodol 14:135 (SD,
    their scenario C1). R: ``estmeansd::bc.mean.sd`` implements newer methods.
    """
    if not minimum <= median <= maximum:
        raise ValueError("median must lie between minimum and maximum")
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n!r}")
    xi = 2 * stats.norm.ppf((n - 0.375) / (n + 0.25))
    return (minimum + 2 * median + maximum) / 4, (maximum - minimum) / xi


def skewness_from_summary(mean: float, sd: float, *, lower_bound: float = 0.0) -> bool:
    """Is a variable that cannot go below ``lower_bound`` likely skewed?

    True when ``mean - lower_bound < 2 SD``: a symmetric distribution would
    then put appreciable mass below the bound (Altman & Bland 1996).

    Parameters
    ----------
    mean : float
        The printed mean.
    sd : float
        The printed standard deviation (> 0).
    lower_bound : float, default 0.0
        The smallest value the variable can take (0 for laboratory values).

    Returns
    -------
    bool
        ``True`` when ``mean - lower_bound < 2 * sd`` (likely right-skewed).

    References
    ----------
    Altman DG, Bland JM (1996) Detecting skewness from summary information.
    BMJ 313:1200.
    """
    if not sd > 0:
        raise ValueError(f"sd must be > 0, got {sd!r}")
    return bool(mean - lower_bound < 2 * sd)


def skewness_flags(table1: Any, *, arms: Sequence[str] = _ARMS, lower_bound: float = 0.0) -> pd.DataFrame:
    """Apply :func:`skewness_from_summary` to every mean +- SD row of a published Table 1.

    Parameters
    ----------
    table1 : Published or list of dict
        Table 1 as for :func:`check_table1`: a
        :class:`~analysis.trial.published.Published`, its ``table1`` rows, or
        a list of dicts in the YAML layout. Rows of other kinds are skipped.
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys, in the order of the table.
    lower_bound : float, default 0.0
        The smallest value the variables can take.

    Returns
    -------
    pandas.DataFrame
        One row per variable: ``variable``, ``label``, per arm ``mean_{arm}``,
        ``sd_{arm}`` and ``mean_over_sd_{arm}``, and ``skewed`` (either arm has
        ``mean - lower_bound < 2 SD``).

    References
    ----------
    Altman DG, Bland JM (1996) BMJ 313:1200.
    """
    arms = tuple(arms)
    out = []
    for r in _rows(table1, arms):
        if r["kind"] != "mean_sd":
            continue
        d: dict[str, Any] = {"variable": r["variable"], "label": r["label"]}
        flags = []
        for a in arms:
            m, sd = float(r[a]["mean"]), float(r[a]["sd"])
            d[f"mean_{a}"], d[f"sd_{a}"], d[f"mean_over_sd_{a}"] = m, sd, (m - lower_bound) / sd
            flags.append(skewness_from_summary(m, sd, lower_bound=lower_bound))
        d["skewed"] = any(flags)
        out.append(d)
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------
# Normalising published input (Published object or plain dicts)
# ----------------------------------------------------------------------------
def _decimals_of(x: float) -> int:
    """Decimals of a number as stored (trailing zeros are lost: a lower bound)."""
    s = repr(float(x))
    if "e" in s:
        return 6
    frac = s.split(".")[1] if "." in s else ""
    return 0 if frac == "0" else len(frac)


def _rows(table1: Any, arms: Sequence[str]) -> list[dict]:
    rows = getattr(table1, "table1", table1)
    if isinstance(rows, Mapping) and "rows" in rows:
        rows = rows["rows"]
    out = []
    for r in rows:
        if isinstance(r, Mapping):
            d = dict(r)
            dec: dict = {}
            if "decimals" in d:
                for arm in arms:
                    dec[arm] = dict(d.get("decimals_by_arm", {}).get(arm, d["decimals"]))
            d["decimals"] = dec
        else:
            d = {
                "variable": r.variable, "label": r.label, "kind": r.kind, "p": r.p,
                "p_operator": r.p_operator, "levels": list(r.levels), "decimals": dict(r.decimals),
                "percent": dict(r.percent), "note": r.note,
            }
            for arm in arms:
                d[arm] = dict(r.arm(arm))
        for key in ("variable", "kind", "p", *arms):
            if key not in d:
                raise ValueError(f"table1 row {d.get('variable', '?')!r}: missing key {key!r}")
        d.setdefault("label", d["variable"])
        d.setdefault("p_operator", "=")
        d.setdefault("levels", list(d[arms[0]]) if d["kind"] == "counts" else [])
        d.setdefault("percent", {})
        out.append(d)
    return out


def _group_sizes(source: Any, arms: Sequence[str], n: Mapping[str, int] | None) -> dict[str, int]:
    if n is not None:
        return {a: int(n[a]) for a in arms}
    raw = getattr(source, "raw", None)
    if raw is not None and "n" in raw.get("table1", {}):
        return {a: int(raw["table1"]["n"][a]) for a in arms}
    if isinstance(source, Mapping) and "n" in source:
        return {a: int(source["n"][a]) for a in arms}
    raise ValueError("n: group sizes are required (pass n={'arm': size, ...})")


def _hrs(hrs: Any, required: tuple[str, ...] = ("hr", "ci_low", "ci_high", "p")) -> dict[str, dict]:
    src = getattr(hrs, "hazard_ratios", hrs)
    out = {}
    for key, h in src.items():
        if isinstance(h, Mapping):
            d = dict(h)
        else:
            d = {k: getattr(h, k) for k in ("hr", "ci_low", "ci_high", "p", "p_operator", "label", "endpoint", "window")}
        for k in required:
            if k not in d:
                raise ValueError(f"hazard ratio {key!r}: missing key {k!r}")
        d.setdefault("p_operator", "=")
        d.setdefault("label", key)
        out[key] = d
    return out


# ----------------------------------------------------------------------------
# Table 1
# ----------------------------------------------------------------------------
def _counts_table(row: dict, arms: Sequence[str]) -> np.ndarray:
    return np.array([[row[a][lv] for lv in row["levels"]] for a in arms], dtype=float)


def _mean_sd_decimals(row: dict, arms: Sequence[str]) -> dict[str, int]:
    dec = row.get("decimals") or {}
    out = {}
    for i, arm in enumerate(arms, start=1):
        d = dec.get(arm, {})
        out[f"mean{i}"] = int(d.get("mean", _decimals_of(row[arm]["mean"])))
        out[f"sd{i}"] = int(d.get("sd", _decimals_of(row[arm]["sd"])))
    return out


def _median_range_p(row: dict, arms: Sequence[str], n: Mapping[str, int]) -> tuple[float, float, float, dict]:
    """t test p on Wan et al. estimates, over the median's rounding interval."""
    a, b = arms
    dec = int((row.get("decimals") or {}).get(a, {}).get("median", _decimals_of(row[a]["median"])))
    dec = max(dec, 1) if float(row[a]["median"]).is_integer() else dec
    est = {arm: estimate_mean_sd(row[arm]["median"], row[arm]["min"], row[arm]["max"], n[arm]) for arm in arms}
    p = stats.ttest_ind_from_stats(est[a][0], est[a][1], n[a], est[b][0], est[b][1], n[b]).pvalue
    ps = []
    for ma, mb in product(rounding_interval(row[a]["median"], dec), rounding_interval(row[b]["median"], dec)):
        ea = estimate_mean_sd(ma, row[a]["min"], row[a]["max"], n[a])
        eb = estimate_mean_sd(mb, row[b]["min"], row[b]["max"], n[b])
        ps.append(stats.ttest_ind_from_stats(ea[0], ea[1], n[a], eb[0], eb[1], n[b]).pvalue)
    return float(p), float(min(ps + [p])), float(max(ps + [p])), est


def check_table1(
    table1: Any,
    *,
    n: Mapping[str, int] | None = None,
    arms: Sequence[str] = _ARMS,
    p_decimals: int = 3,
    equal_var: bool = True,
    correction: bool = False,
) -> pd.DataFrame:
    """Recompute every Table 1 p value from the printed summaries.

    Parameters
    ----------
    table1 : Published or list of dict
        A :class:`~analysis.trial.published.Published`, its ``table1`` rows, or a
        list of dicts in the YAML layout (``variable``, ``kind`` in
        ``mean_sd``/``counts``/``median_range``, one mapping per arm, ``p``,
        optional ``p_operator``, ``levels``, ``decimals``).
    n : mapping of str to int, optional
        Group sizes ``{arm: n}``; read from ``Published`` when omitted.
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys, in the order of the table.
    p_decimals : int, default 3
        Printed decimals of the p values (3 in most journals).
    equal_var : bool, default True
        Continuous rows: Student's pooled-variance t (default, what "Student's
        t test" means) or Welch's.
    correction : bool, default False
        Categorical rows: Yates' continuity correction for 2 x 2 tables
        (default ``False``: see :func:`compare_table1_tests` for why).

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, one row per Table 1 row, ``category='table1 p'``.

    Notes
    -----
    R: ``stats::t.test(x, y, var.equal = equal_var)`` on data with the printed
    summaries; ``stats::chisq.test(tab, correct = correction)`` on the printed
    counts (``tests/reference/consistency_reference.R``).

    References
    ----------
    Hozo SP, Djulbegovic B, Hozo I (2005) BMC Med Res Methodol 5:13; Wan X,
    Wang W, Liu J, Tong T (2014) BMC Med Res Methodol 14:135 (median/range
    rows).
    """
    arms = tuple(arms)
    n = _group_sizes(table1, arms, n)
    rows = []
    for r in _rows(table1, arms):
        a, b = arms
        if r["kind"] == "mean_sd":
            res = ttest_from_summary(r[a]["mean"], r[a]["sd"], n[a], r[b]["mean"], r[b]["sd"], n[b],
                                     decimals=_mean_sd_decimals(r, arms), equal_var=equal_var)
            point, low, high = res.p, res.p_low, res.p_high
            test = "Student t (pooled variance)" if equal_var else "Welch t"
            extra = f"{test} from printed means, SDs and n; range over the rounding box of means and SDs"
        elif r["kind"] == "counts":
            tab = _counts_table(r, arms)
            point = low = high = chisq_from_counts(tab, correction=correction)[2]
            test = "chi-square" + (" with Yates' correction" if correction and tab.shape[1] == 2 else " without continuity correction")
            extra = f"{test} from the printed counts"
        elif r["kind"] == "median_range":
            point, low, high, est = _median_range_p(r, arms, n)
            extra = ("approximate: Student t on mean and SD estimated from median and range (Hozo 2005; Wan 2014): "
                     + ", ".join(f"{arm} {_fmt(m, 1)} +- {_fmt(s, 1)}" for arm, (m, s) in est.items())
                     + "; range over the medians' rounding. A Mann-Whitney test would give a similar p on such data, "
                     "so the printed p cannot tell the two apart")
        else:
            raise ValueError(f"table1 row {r['variable']!r}: kind must be mean_sd, counts or median_range, got {r['kind']!r}")
        v = judge(r["p"], point, low, high, decimals=p_decimals, operator=r["p_operator"])
        rng = "" if low == high else f" (range {_fmt(low, 4)} to {_fmt(high, 4)})"
        reason = f"{extra}: p = {_fmt(point, 4)}{rng}"
        rows.append(_row("table1 p", r["variable"], r["label"], "p", r["p"], r["p_operator"], point, low, high, v, reason))
    return _frame(rows)


def compare_table1_tests(
    table1: Any,
    *,
    n: Mapping[str, int] | None = None,
    arms: Sequence[str] = _ARMS,
    p_decimals: int = 3,
) -> pd.DataFrame:
    """Which test reproduces each printed Table 1 p value?

    For continuous rows: Student's t (pooled variance) and Welch's t, each
    with its rounding-box range. For count rows: chi-square without and with
    Yates' correction, and Fisher's exact test. For median/range rows: a t
    test on estimated means and SDs and the normal-theory approximation of the
    Mann-Whitney test (``z_MW = z_t sqrt(3 / pi)``, the square root of its
    asymptotic relative efficiency under normality).

    Parameters
    ----------
    table1 : Published or list of dict
        As in :func:`check_table1`.
    n : mapping of str to int, optional
        Group sizes ``{arm: n}``; read from ``Published`` when omitted.
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys, in the order of the table.
    p_decimals : int, default 3
        Printed decimals of the p values.

    Returns
    -------
    pandas.DataFrame
        One row per (variable, test): ``variable``, ``label``, ``test``, ``published``,
        ``operator``, ``p``, ``p_low``, ``p_high``, ``status`` (one of
        :data:`~analysis.toolkit.agreement.STATUSES`, as in :func:`check_table1`: the same
        printed p recomputed by the same test gets the same status), ``exact`` (the printed
        summaries reproduce it as printed, not only within rounding) and ``reproduces``
        (the status is ``agrees``). An exact test too large to enumerate is ``not computable``.

    Notes
    -----
    R: ``stats::t.test(..., var.equal = TRUE)`` and ``var.equal = FALSE`` on
    data with the printed summaries, ``stats::chisq.test(tab, correct =
    FALSE)`` and ``correct = TRUE``, ``stats::fisher.test(tab)``.

    References
    ----------
    Yates F (1934); Fisher RA (1935); Hodges JL, Lehmann EL (1956) Ann Math
    Stat 27:324-335 (efficiency of the Wilcoxon test).
    """
    arms = tuple(arms)
    n = _group_sizes(table1, arms, n)
    a, b = arms
    out = []

    def add(r: dict, test: str, p: float, lo: float, hi: float) -> None:
        j = judge(r["p"], p, lo, hi, decimals=p_decimals, operator=r["p_operator"])
        out.append(dict(variable=r["variable"], label=r["label"], test=test, published=float(r["p"]),
                        operator=r["p_operator"], p=float(p), p_low=float(lo), p_high=float(hi),
                        status=j.status, exact=j.exact, reproduces=j.status == "agrees"))

    for r in _rows(table1, arms):
        if r["kind"] == "mean_sd":
            dec = _mean_sd_decimals(r, arms)
            for ev, name in ((True, "Student t"), (False, "Welch t")):
                res = ttest_from_summary(r[a]["mean"], r[a]["sd"], n[a], r[b]["mean"], r[b]["sd"], n[b],
                                         decimals=dec, equal_var=ev)
                add(r, name, res.p, res.p_low, res.p_high)
        elif r["kind"] == "counts":
            tab = _counts_table(r, arms)
            p = chisq_from_counts(tab)[2]
            add(r, "chi-square", p, p, p)
            if _table(tab).shape == (2, 2):
                p = chisq_from_counts(tab, correction=True)[2]
                add(r, "chi-square, Yates", p, p, p)
            try:
                p = fisher_from_counts(tab)
            except TableTooLargeError:
                p = float("nan")
            add(r, "Fisher exact", p, p, p)
        elif r["kind"] == "median_range":
            p, lo, hi, _ = _median_range_p(r, arms, n)
            add(r, "Student t (estimated mean, SD)", p, lo, hi)
            k = math.sqrt(3 / math.pi)
            conv = [2 * stats.norm.sf(stats.norm.isf(q / 2) * k) for q in (p, lo, hi)]
            add(r, "Mann-Whitney (normal-theory approximation)", conv[0], min(conv), max(conv))
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------
# Hazard ratios
# ----------------------------------------------------------------------------
def check_hazard_ratios(
    hazard_ratios: Any,
    *,
    hr_decimals: int = 2,
    p_decimals: int = 3,
    level: float = 0.95,
    alpha: float = 0.05,
    logrank_ztol: float = 0.25,
) -> pd.DataFrame:
    """HR, CI and p: do they agree?

    Parameters
    ----------
    hazard_ratios : Published or mapping
        A :class:`~analysis.trial.published.Published` or a mapping
        ``key -> {hr, ci_low, ci_high, p, [p_operator, label]}``.
    hr_decimals : int, default 2
        Printed decimals of the HR and its limits.
    p_decimals : int, default 3
        Printed decimals of the p values.
    level : float, default 0.95
        Confidence level of the printed intervals.
    alpha : float, default 0.05
        Significance level the paper uses (for the CI-vs-p agreement).
    logrank_ztol : float, default 0.25
        When the printed p is not the Wald p of the CI, a log-rank (score)
        test is called a plausible source if the printed p's ``|z|`` is
        within this distance of the Wald ``|z|`` range and larger than it.
        Wald and score (log-rank) statistics agree to first order near
        HR = 1 and drift apart by some tenths of a z unit at the effect sizes
        and event counts of small trials, the Wald z being the smaller one
        for large effects (Hauck and Donner 1977), so a printed p *less*
        significant than the Wald p is not explained by a log-rank test.
        0.25 is a heuristic, not a derived bound.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`; three rows per HR: ``hr midpoint`` (HR vs the
        CI's geometric midpoint), ``hr p`` (printed p vs the Wald p implied by
        the CI) and ``hr significance`` (CI excludes 1 vs p < alpha; within
        rounding when a limit or the p could round from the other side). The
        two p rows judge the same printed p against the same CI and never
        contradict each other: when the CI lies on one side of 1 under every
        rounding of its limits and the printed p on the other side of alpha
        (significance ``differs``), the p cannot be the CI's Wald p either.
        The ``hr p`` row then judges the p the CI implies on its own (not
        that of a printed HR off the CI's midpoint), which ``differs``.

    References
    ----------
    Altman DG, Bland JM (2011) BMJ 343:d2304. Tierney JF et al. (2007)
    Trials 8:16.
    """
    rows = []
    for key, h in _hrs(hazard_ratios).items():
        w = wald_from_ci(h["hr"], h["ci_low"], h["ci_high"], level=level, decimals=hr_decimals)
        label = h["label"]
        v = judge(h["hr"], w.midpoint, w.midpoint_low, w.midpoint_high, decimals=hr_decimals)
        reason = (f"geometric midpoint sqrt({h['ci_low']} x {h['ci_high']}) = {_fmt(w.midpoint)} "
                  f"(range {_fmt(w.midpoint_low)} to {_fmt(w.midpoint_high)} over the limits' rounding)")
        if v.status == "differs":
            gap = min(abs(w.midpoint_low - h["hr"]), abs(w.midpoint_high - h["hr"])) - 0.5 * 10.0**-hr_decimals
            reason += (f"; the nearest midpoint misses the HR's rounding interval by {_fmt(gap, 4)}: the CI is not "
                       "symmetric about the HR on the log scale (not a Wald CI, truncated rather than rounded "
                       "digits, or a typo)")
        rows.append(_row("hr midpoint", key, label, "hr", h["hr"], "=", w.midpoint, w.midpoint_low,
                         w.midpoint_high, v, reason))

        # significance first: the p check must not contradict it (both judge the printed p against the CI)
        excludes = h["ci_low"] > 1 or h["ci_high"] < 1
        signif = h["p"] < alpha if h["p_operator"] != ">" else False
        agree = excludes == signif
        sig_reason = (f"{level:.0%} CI {'excludes' if excludes else 'includes'} 1 while p "
                      f"{'<' if signif else '>='} {alpha}")
        if not agree:
            sig_reason += ("; a Wald CI and its Wald p cannot disagree, so the CI and the p come from different "
                           "tests (e.g. Cox Wald CI and log-rank p)")
        # printed numbers are fixed by rounding too: a limit printed as 1.00, or a p printed as 0.050,
        # could be either side
        lims = [rounding_interval(h["ci_low"], hr_decimals), rounding_interval(h["ci_high"], hr_decimals)]
        ci_either = any(lo_ <= 1 <= hi_ for lo_, hi_ in lims)
        p_lo, p_hi = rounding_interval(h["p"], p_decimals) if h["p_operator"] == "=" else (h["p"], h["p"])
        p_either = p_lo <= alpha <= p_hi
        vs = _AGREES if agree else (_WITHIN_ROUNDING if ci_either or p_either else _DIFFERS)
        if vs is _WITHIN_ROUNDING:
            sig_reason += ("; but " + " and ".join(w_ for w_, on in (("a limit printed as 1 may round from either "
                                                                       "side of 1", ci_either),
                                                                      (f"the printed p may round from either side "
                                                                       f"of {alpha}", p_either)) if on))

        p_pt, p_low, p_high = w.p, w.p_low, w.p_high
        v = judge(h["p"], p_pt, p_low, p_high, decimals=p_decimals, operator=h["p_operator"])
        reason = (f"two-sided Wald p from the CI: SE(log HR) = {_fmt(w.se)}, z = {_fmt(w.z, 2)}, "
                  f"p = {_fmt(w.p, 4)} (range {_fmt(w.p_low, 4)} to {_fmt(w.p_high, 4)})")
        if not w.wald_triple:
            reason += ("; HR and CI are not a Wald triple, so the range is that of the p the CI implies on its own "
                       "(its geometric midpoint as the estimate) over the limits' rounding, and the printed HR's p")
        if v.status == "agrees" and vs.status == "differs" and math.isclose(level, 1 - alpha):
            # Only when the printed HR is not the CI's midpoint: its own p agrees with the printed p, but
            # every unrounded CI lies on one side of 1, so the CI's Wald p is on one side of alpha and the
            # printed p on the other. The p of a Wald CI is the CI's own: judge that one (issue 12).
            p_pt, p_low, p_high = _interval_p(h["ci_low"], h["ci_high"], level=level, decimals=hr_decimals)
            v = judge(h["p"], p_pt, p_low, p_high, decimals=p_decimals, operator=h["p_operator"])
            reason = (f"two-sided Wald p the CI implies on its own (its geometric midpoint as the estimate): "
                      f"p = {_fmt(p_pt, 4)} (range {_fmt(p_low, 4)} to {_fmt(p_high, 4)} over the limits' "
                      f"rounding); the printed HR with the CI's SE would give p = {_fmt(w.p, 4)}, but the CI "
                      f"{'excludes' if excludes else 'includes'} 1 for every rounding of its limits, so its Wald p "
                      f"is {'below' if excludes else 'at or above'} {alpha} and the printed p is not")
        if v.status == "differs" and h["p_operator"] == "=" and 0 < h["p"] < 1:
            z_pub = stats.norm.isf(h["p"] / 2)
            z_lo, z_hi = stats.norm.isf(p_high / 2), stats.norm.isf(p_low / 2)
            gap = max(z_lo - z_pub, z_pub - z_hi, 0.0)
            side = "larger" if z_pub > z_hi else "smaller"
            reason += (f"; the printed p corresponds to |z| = {_fmt(z_pub, 2)}, {_fmt(gap, 2)} {side} than the "
                       f"Wald |z| ({_fmt(z_lo, 2)} to {_fmt(z_hi, 2)})")
            if gap <= logrank_ztol and side == "larger":
                reason += ": plausibly a log-rank (score) p reported beside a Cox Wald CI"
            elif gap <= logrank_ztol:
                reason += (": the printed p is less significant than the Wald p, the opposite of the usual "
                           "log-rank-vs-Wald ordering at this effect size; another model (stratified or "
                           "adjusted), truncated digits or a typo is more likely than a log-rank p")
            else:
                reason += ": too far apart for a log-rank-vs-Wald difference; a different model or a typo"
        rows.append(_row("hr p", key, label, "p", h["p"], h["p_operator"], p_pt, p_low, p_high, v, reason))
        rows.append(_row("hr significance", key, label, "p < alpha", h["p"], h["p_operator"], w.p,
                         w.p_low, w.p_high, vs, sig_reason))
    return _frame(rows)


def implied_events_frame(hazard_ratios: Any, *, hr_decimals: int = 2, level: float = 0.95,
                         allocation: float = 0.5) -> pd.DataFrame:
    """Events implied by each CI's width (lower bounds on the total events).

    Parameters
    ----------
    hazard_ratios : Published or mapping
        A :class:`~analysis.trial.published.Published` or a mapping
        ``key -> {hr, ci_low, ci_high, p, [p_operator, label]}``.
    hr_decimals : int, default 2
        Printed decimals of the HRs and their limits.
    level : float, default 0.95
        Confidence level of the printed intervals.
    allocation : float, default 0.5
        Proportion of patients (of events at risk) in one arm; 0.5 for 1:1.

    Returns
    -------
    pandas.DataFrame
        Index ``key``; columns ``label``, ``se``, ``se_low``, ``se_high``
        (SE of the log HR implied by the CI, and its range over the limits'
        rounding), ``events`` (``1 / (a (1 - a) SE^2)``) and ``events_low``,
        ``events_high`` over the limits' rounding.

    See Also
    --------
    implied_events, wald_from_ci

    References
    ----------
    Parmar MKB, Torri V, Stewart L. Stat Med 1998;17:2815-2834. Tierney JF et al.
    Trials 2007;8:16.
    """
    rows = []
    for key, h in _hrs(hazard_ratios).items():
        w = wald_from_ci(h["hr"], h["ci_low"], h["ci_high"], level=level, decimals=hr_decimals)
        rows.append(dict(key=key, label=h["label"], se=w.se, se_low=w.se_low, se_high=w.se_high,
                         events=implied_events(w.se, allocation=allocation),
                         events_low=implied_events(w.se_high, allocation=allocation),
                         events_high=implied_events(w.se_low, allocation=allocation)))
    return pd.DataFrame(rows).set_index("key")


def check_event_counts(
    hazard_ratios: Any,
    events: Mapping[str, Mapping[str, int]],
    *,
    hr_decimals: int = 2,
    level: float = 0.95,
    allocation: float = 0.5,
) -> pd.DataFrame:
    """Published event counts against the events implied by the HR's CI.

    Parameters
    ----------
    hazard_ratios : Published or mapping
        As in :func:`check_hazard_ratios`.
    events : mapping of str to mapping of str to int
        ``key -> {arm: events}`` for the HRs whose event counts are printed.
    hr_decimals : int, default 2
        Printed decimals of the HRs and their limits.
    level : float, default 0.95
        Confidence level of the printed intervals.
    allocation : float, default 0.5
        Randomisation proportion (0.5 for 1:1).

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, ``category='hr events'``: published total
        events against the implied lower bound ``4 / SE^2`` (``agrees`` when
        the total is at least the bound somewhere over the rounding box,
        ``exact`` when it is above the bound of the printed CI); the reason
        also gives the CI that ``SE = sqrt(1/d1 + 1/d2)`` would produce.

    References
    ----------
    Parmar MKB, Torri V, Stewart L. Stat Med 1998;17:2815-2834. Tierney JF et al.
    Trials 2007;8:16.
    """
    hrs = _hrs(hazard_ratios)
    rows = []
    for key, ev in events.items():
        if key not in hrs:
            raise ValueError(f"events: no hazard ratio {key!r}; known: {sorted(hrs)}")
        h = hrs[key]
        d = [float(v) for v in ev.values()]
        total = sum(d)
        w = wald_from_ci(h["hr"], h["ci_low"], h["ci_high"], level=level, decimals=hr_decimals)
        lb, lb_low, lb_high = (implied_events(s, allocation=allocation) for s in (w.se, w.se_high, w.se_low))
        # the bound must not exceed the total: judged as "bound < total" over the bound's range
        v = judge(total, lb, lb_low, lb_high, decimals=0, operator="<")
        se_ev = se_from_events(*d) if len(d) == 2 else float("nan")
        zc = stats.norm.ppf(0.5 + level / 2)
        ci = (h["hr"] * math.exp(-zc * se_ev), h["hr"] * math.exp(zc * se_ev))
        reason = (f"{int(total)} published events ({' + '.join(str(int(x)) for x in d)}) vs at least "
                  f"{_fmt(lb, 1)} implied by the CI width (4 / SE^2, range {_fmt(lb_low, 1)} to {_fmt(lb_high, 1)}); "
                  f"SE = sqrt(1/d1 + 1/d2) = {_fmt(se_ev)} vs {_fmt(w.se)} from the CI, which would give "
                  f"95% CI {_fmt(ci[0], 2)} to {_fmt(ci[1], 2)}")
        rows.append(_row("hr events", key, h["label"], "events", total, ">=", lb, lb_low, lb_high, v, reason))
    return _frame(rows)


# ----------------------------------------------------------------------------
# Percentages, counts, CONSORT
# ----------------------------------------------------------------------------
def _pct_row(item: str, label: str, count: float, n: float, pct: float, decimals: int) -> dict:
    rec = 100.0 * count / n
    v = judge(pct, rec, decimals=decimals)
    reason = f"{int(count)}/{int(n)} = {_fmt(rec, 3)}%"
    if v.status == "differs":
        ks = [k for k in range(int(n) + 1) if judge(pct, 100.0 * k / n, decimals=decimals).exact]
        reason += (f"; counts giving {pct}% of {int(n)}: {', '.join(map(str, ks))}" if ks
                   else f"; no count out of {int(n)} gives {pct}% (GRIM-inconsistent percentage)")
    return _row("percentage", item, label, "percent", pct, "=", rec, rec, rec, v, reason)


def _count_sum_row(item: str, label: str, counts: Mapping[Any, float], n: float) -> dict:
    total = float(sum(counts.values()))
    v = _exactly(total == n)
    reason = f"{' + '.join(str(int(c)) for c in counts.values())} = {int(total)} vs n = {int(n)}"
    return _row("counts", item, label, "n", n, "=", total, total, total, v, reason)


def check_percentages(published: Any, *, arms: Sequence[str] = _ARMS, percent_decimals: int = 1,
                      n: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Printed percentages against their counts and denominators, and count totals against n.

    Covers Table 1 rows with ``percent`` and the counts of every Table 1
    count row (levels must add up to the group size), plus every
    ``hcc_incidence``-style top-level block ``{arm: {events, n, percent}}``
    of ``published.raw``.

    Parameters
    ----------
    published : Published or mapping
        A :class:`~analysis.trial.published.Published` or a mapping in the
        layout of ``data/published/*.yaml`` (``table1`` rows and optional
        incidence blocks).
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys, in the order of the table.
    percent_decimals : int, default 1
        Printed decimals of the percentages.
    n : mapping of str to int, optional
        Group sizes ``{arm: n}`` (the Table 1 denominators); read from
        ``published`` when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, categories ``percentage`` (printed percent
        against ``100 * count / n``) and ``counts`` (levels' sum against n).
    """
    arms = tuple(arms)
    n = _group_sizes(published, arms, n)
    rows = []
    for r in _rows(published, arms):
        if r["kind"] != "counts":
            continue
        for arm in arms:
            rows.append(_count_sum_row(f"{r['variable']}.{arm}", f"{r['label']}, {arm}", r[arm], n[arm]))
        pct = r.get("percent") or {}
        for arm in arms:
            if arm not in pct:
                continue
            p = pct[arm]
            if isinstance(p, Mapping):
                for lv, val in p.items():
                    rows.append(_pct_row(f"{r['variable']}.{arm}.{lv}", f"{r['label']}, {arm}, {lv}",
                                         r[arm][lv], n[arm], val, percent_decimals))
            else:  # a single percent refers to the first level
                lv = r["levels"][0]
                rows.append(_pct_row(f"{r['variable']}.{arm}.{lv}", f"{r['label']}, {arm}, {lv}",
                                     r[arm][lv], n[arm], p, percent_decimals))
    raw = getattr(published, "raw", published if isinstance(published, Mapping) else {})
    for key, block in raw.items():
        if not isinstance(block, Mapping) or not all(isinstance(block.get(a), Mapping) for a in arms):
            continue
        for arm in arms:
            b = block[arm]
            if {"events", "n", "percent"} <= set(b):
                rows.append(_pct_row(f"{key}.{arm}", f"{key}, {arm}", b["events"], b["n"], b["percent"],
                                     percent_decimals))
    return _frame(rows)


def check_consort(published: Any, *, arms: Sequence[str] = _ARMS) -> pd.DataFrame:
    """CONSORT flow arithmetic.

    Checks screened - excluded = randomized; per arm randomized - withdrew -
    lost to follow-up = analysed; analysed = the Table 1 group sizes and the
    denominators of incidence blocks.

    Parameters
    ----------
    published : Published or mapping
        A :class:`~analysis.trial.published.Published` or a mapping with a
        ``consort`` block in the layout of ``data/published/shi2021.yaml``.
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys of the per-arm CONSORT counts.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, ``category='consort'``; every row agrees or
        differs exactly (counts have no rounding).
    """
    raw = getattr(published, "raw", published)
    c = raw["consort"]
    rows = []

    def add(item: str, label: str, pub: float, rec: float, how: str) -> None:
        v = _exactly(pub == rec)
        rows.append(_row("consort", item, label, "patients", pub, "=", rec, rec, rec, v, how))

    excluded = c.get("excluded", {})
    excl = sum(excluded.values()) if isinstance(excluded, Mapping) else float(excluded)
    rand = sum(c["randomized"][a] for a in arms)
    add("randomized", "Randomized (both arms)", rand, c["screened"] - excl,
        f"screened {c['screened']} - excluded {int(excl)}")
    for a in arms:
        removed = {k: c[k][a] for k in ("withdrew", "lost_to_follow_up", "excluded_after_randomization")
                   if k in c and isinstance(c[k], Mapping) and a in c[k]}
        rec = c["randomized"][a] - sum(removed.values())
        add(f"analyzed.{a}", f"Analysed, {a}", c["analyzed"][a], rec,
            f"randomized {c['randomized'][a]} - " + " - ".join(f"{k.replace('_', ' ')} {v}" for k, v in removed.items()))
    t1 = raw.get("table1", {}).get("n")
    if t1:
        for a in arms:
            add(f"table1_n.{a}", f"Table 1 n, {a}", t1[a], c["analyzed"][a], f"analysed {c['analyzed'][a]} (CONSORT)")
    for key, block in raw.items():
        if isinstance(block, Mapping) and all(isinstance(block.get(a), Mapping) and "n" in block[a] for a in arms):
            for a in arms:
                add(f"{key}_n.{a}", f"{key} denominator, {a}", block[a]["n"], c["analyzed"][a],
                    f"analysed {c['analyzed'][a]} (CONSORT)")
    return _frame(rows)


def check_granularity(
    published: Any,
    *,
    integer_valued: Iterable[str] = ("age",),
    arms: Sequence[str] = _ARMS,
    n: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """GRIM checks of means, and granularity checks of medians, of integer-valued variables.

    Parameters
    ----------
    published : Published or mapping
        Table 1 as for :func:`check_table1`.
    integer_valued : iterable of str, default ("age",)
        Variables recorded as integers (age in whole years by default; scores
        such as MELD are integers only if the paper rounded them, which is a
        reading, not a fact).
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys, in the order of the table.
    n : mapping of str to int, optional
        Group sizes ``{arm: n}``; read from ``published`` when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, ``category='granularity'``; the reason says
        when the test is uninformative (``n >= 10**decimals``).
    """
    arms = tuple(arms)
    n = _group_sizes(published, arms, n)
    wanted = set(integer_valued)
    rows = []
    for r in _rows(published, arms):
        if r["variable"] not in wanted:
            continue
        for arm in arms:
            s = r[arm]
            nn = n[arm]
            if r["kind"] == "mean_sd":
                d = _mean_sd_decimals(r, arms)["mean1" if arm == arms[0] else "mean2"]
                ok = grim(s["mean"], nn, d)
                informative = nn < 10**d
                reason = (f"GRIM: mean of {nn} integers printed with {d} decimal(s); "
                          + ("some integer total gives it" if ok else "no integer total gives it"))
                if not informative:
                    reason += f" (uninformative: n = {nn} >= 10^{d}, every mean is possible)"
                stat, val = "mean", s["mean"]
            elif r["kind"] == "median_range":
                d = max(_decimals_of(s["median"]), 1)
                ok = median_granularity(s["median"], nn, d) and float(s["min"]).is_integer() and float(s["max"]).is_integer()
                reason = (f"median of {nn} integers must be {'an integer' if nn % 2 else 'a whole or half number'}"
                          f"; minimum and maximum must be integers")
                stat, val = "median", s["median"]
            else:
                continue
            v = _exactly(ok)
            rows.append(_row("granularity", f"{r['variable']}.{arm}", f"{r['label']}, {arm}", stat, val, "=",
                             val, val, val, v, reason))
    return _frame(rows)


# ----------------------------------------------------------------------------
# Qualitative claims
# ----------------------------------------------------------------------------
def check_direction(
    hr: Any,
    better_arm: str,
    *,
    key: str = "",
    claim: str = "",
    convention: str = "control_vs_ucmsc",
    arms: Sequence[str] = _ARMS,
    hr_decimals: int = 2,
) -> pd.DataFrame:
    """Does a sentence saying which arm did better agree with the HR's direction?

    Parameters
    ----------
    hr : PublishedHR or mapping
        A :class:`~analysis.trial.published.PublishedHR` or a mapping with ``hr``,
        ``ci_low``, ``ci_high`` (and optionally ``label``).
    better_arm : str
        The arm the text says had the better (event-free) survival.
    key, claim : str, default ""
        Identifier and wording of the claim, for the table.
    convention : str, default "control_vs_ucmsc"
        ``"A_vs_B"``: the HR is the hazard of arm A relative to arm B
        (default ``"control_vs_ucmsc"``: control relative to UC-MSC).
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys.
    hr_decimals : int, default 2
        Printed decimals of the HR (an HR that could round from 1 agrees
        only within rounding).

    Returns
    -------
    pandas.DataFrame
        One row, ``category='claim'``: ``published`` is the HR,
        ``low``/``high`` its CI; status ``differs`` when the HR points
        the other way (``agrees`` with ``exact`` False when the printed HR
        could round from 1); the reason says whether the CI spans both
        directions.
    """
    h = _hrs({key or "hr": hr}, required=("hr", "ci_low", "ci_high"))[key or "hr"]
    try:
        num, den = convention.split("_vs_")
    except ValueError:
        raise ValueError(f"convention must be 'ARM_vs_ARM', got {convention!r}") from None
    if {num, den} != set(arms) or better_arm not in arms:
        raise ValueError(f"better_arm and convention must use the arms {tuple(arms)}, got {better_arm!r}, {convention!r}")
    # better survival in `better_arm` means a lower hazard there
    implied = "< 1" if better_arm == num else "> 1"
    lo, hi = rounding_interval(h["hr"], hr_decimals)
    agrees = h["hr"] < 1 if better_arm == num else h["hr"] > 1
    ambiguous = lo <= 1 <= hi
    v = _AGREES if agrees else (_WITHIN_ROUNDING if ambiguous else _DIFFERS)
    reason = (f"the text says {better_arm} did better, which needs HR ({convention.replace('_vs_', ' vs ')}) {implied}; "
              f"printed HR {h['hr']} (95% CI {h['ci_low']} to {h['ci_high']})")
    if not agrees:
        reason += ("; the CI is wide on both sides of 1, so the data hardly support either direction"
                   if h["ci_low"] < 1 < h["ci_high"] else "")
    return _frame([_row("claim", key, claim or h["label"], "hr", h["hr"], "=", h["hr"], h["ci_low"],
                        h["ci_high"], v, reason)])


def check_claims(published: Any, claims: Iterable[Mapping[str, Any]] | None = None, *,
                 convention: str = "control_vs_ucmsc", arms: Sequence[str] = _ARMS) -> pd.DataFrame:
    """Run :func:`check_direction` for each claim.

    Parameters
    ----------
    published : Published or mapping
        Supplies the hazard ratios.
    claims : iterable of mapping, optional
        ``[{"hr": key, "better_arm": arm, "text": wording}, ...]``. Defaults
        to ``published.raw["claims"]`` when the YAML has such a block;
        otherwise no claims are checked.
    convention : str, default "control_vs_ucmsc"
        Direction of the published HRs, ``"A_vs_B"`` (hazard of arm A
        relative to arm B); the default is control relative to UC-MSC.
    arms : sequence of str, default ("control", "ucmsc")
        The two arm keys.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, one row per claim (the rows of
        :func:`check_direction`); empty (with the columns) when there is no
        claim.

    Raises
    ------
    ValueError
        If a claim names a hazard ratio ``published`` does not have.
    """
    hrs = _hrs(published)
    if claims is None:
        raw = getattr(published, "raw", {})
        claims = raw.get("claims", []) if isinstance(raw, Mapping) else []
    frames = []
    for c in claims:
        if c["hr"] not in hrs:
            raise ValueError(f"claims: no hazard ratio {c['hr']!r}; known: {sorted(hrs)}")
        frames.append(check_direction(hrs[c["hr"]], c["better_arm"], key=c["hr"], claim=c.get("text", ""),
                                      convention=convention, arms=arms))
    return pd.concat(frames, ignore_index=True) if frames else _frame([])


# ----------------------------------------------------------------------------
# Everything at once
# ----------------------------------------------------------------------------
def check_published(
    published: Any,
    *,
    events: Mapping[str, Mapping[str, int]] | None = None,
    claims: Iterable[Mapping[str, Any]] | None = None,
    integer_valued: Iterable[str] = ("age",),
    p_decimals: int = 3,
    hr_decimals: int = 2,
) -> pd.DataFrame:
    """Every check on a paper's published numbers, as one tidy frame.

    Parameters
    ----------
    published : Published
        A :class:`~analysis.trial.published.Published`.
    events : mapping of str to mapping of str to int, optional
        Printed event counts per HR (``key -> {arm: events}``). Default: the
        ``hcc_incidence`` block, if present, for the full-window HR of the
        ``hcc`` endpoint.
    claims : iterable of mapping, optional
        Direction claims for :func:`check_claims`.
    integer_valued : iterable of str, default ("age",)
        Variables for :func:`check_granularity`.
    p_decimals : int, default 3
        Printed decimals of the p values.
    hr_decimals : int, default 2
        Printed decimals of the hazard ratios and their limits.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, the frames of :func:`check_consort`,
        :func:`check_percentages`, :func:`check_granularity`,
        :func:`check_table1`, :func:`check_hazard_ratios`,
        :func:`check_event_counts` and :func:`check_claims` stacked.
    """
    hrs = _hrs(published)
    if events is None:
        events = {}
        raw = getattr(published, "raw", {})
        inc = raw.get("hcc_incidence") if isinstance(raw, Mapping) else None
        if inc:
            horizon = inc.get("horizon_months")
            for key, h in hrs.items():
                w = h.get("window")
                if h.get("endpoint") == "hcc" and w is not None and w[0] == 0 and (horizon is None or w[1] == horizon):
                    events[key] = {a: inc[a]["events"] for a in _ARMS}
    frames = [
        check_consort(published),
        check_percentages(published),
        check_granularity(published, integer_valued=integer_valued),
        check_table1(published, p_decimals=p_decimals),
        check_hazard_ratios(published, hr_decimals=hr_decimals, p_decimals=p_decimals),
        check_event_counts(published, events, hr_decimals=hr_decimals) if events else _frame([]),
        check_claims(published, claims),
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)


def status_counts(checks: pd.DataFrame) -> pd.DataFrame:
    """Number of checks per category and status (categories in order of appearance).

    Parameters
    ----------
    checks : pandas.DataFrame
        A check frame (:data:`CHECK_COLUMNS`), e.g. from :func:`check_published`.

    Returns
    -------
    pandas.DataFrame
        Index ``category``; one column per status of
        :data:`~analysis.toolkit.agreement.STATUSES` (zeros included), then
        ``within rounding``: how many of the ``agrees`` hold only within rounding.
    """
    missing = {"category", "status", "exact"} - set(checks.columns)
    if missing:
        raise ValueError(f"checks must have 'category', 'status' and 'exact' columns (a check frame); "
                         f"missing {sorted(missing)}")
    bad = set(checks["status"]) - set(STATUSES)
    if bad:
        raise ValueError(f"checks: statuses must be among {STATUSES}, got {sorted(bad)}")
    cats = list(dict.fromkeys(checks["category"]))
    tab = pd.crosstab(pd.Categorical(checks["category"], categories=cats),
                      pd.Categorical(checks["status"], categories=list(STATUSES)), dropna=False)
    tab.index.name, tab.columns.name = "category", "status"
    tab.columns = list(tab.columns)
    inexact = (checks["status"] == "agrees") & ~checks["exact"].astype(bool)
    tab["within rounding"] = inexact.groupby(checks["category"]).sum().reindex(cats).fillna(0).astype(int).to_numpy()
    tab.columns.name = "status"
    return tab
