"""Sample size and power of a two-arm survival trial compared by the log-rank test.

No Python library computes log-rank sample size or power with an accrual
period, a follow-up period and dropout (statsmodels, lifelines and scipy have
none of it), so this module implements it, following the formulas used by R's
``rpact`` (``getSampleSizeSurvival``, ``getPowerSurvival``,
``getEventProbabilities``) and ``gsDesign`` (``nSurv``), against which it is
tested (``tests/test_design.py``).

The model
---------
- Patients enter over ``[0, R]`` by piecewise-uniform accrual
  (``accrual_time = (0, a1, ..., R)`` with relative intensities per piece;
  uniform accrual is ``(0, R)``), and are allocated ``allocation`` : 1
  (treatment : control).
- The analysis is at calendar time ``T = R + follow_up``: ``follow_up`` is the
  *minimum* follow-up (of the last patient); ``T`` is the total study duration.
- Event times are piecewise exponential per arm (:class:`PiecewiseExponential`;
  one piece is the exponential model); dropout is exponential with an
  arm-specific hazard; administrative censoring at ``T``.

Conventions (explicit arguments with these defaults)
----------------------------------------------------
- ``hazard ratio = treatment / control`` (the design literature's convention;
  HR < 1 means the treatment is better). This is the *reverse* of the paper's
  reporting convention (control relative to UC-MSC); :func:`paper_design`
  translates.
- ``sides=2``: two-sided power counts both rejection tails (as rpact does);
  the far tail is negligible for any effect worth designing for.
- Sample sizes are returned unrounded (as rpact does); ``ceil`` per arm is a
  separate column.

References
----------
Schoenfeld D (1983). Sample-size formula for the proportional-hazards
regression model. Biometrics 39:499-503.

Freedman LS (1982). Tables of the number of patients required in clinical
trials using the logrank test. Statistics in Medicine 1:121-129.

Lachin JM, Foulkes MA (1986). Evaluation of sample size and power for analyses
of survival with allowance for nonuniform patient entry, losses to follow-up,
noncompliance, and stratification. Biometrics 42:507-519.

Schoenfeld D (1981). The asymptotic properties of nonparametric tests for
comparing survival distributions. Biometrika 68:316-319.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .conventions import validate_alpha

__all__ = [
    "METHODS",
    "PiecewiseExponential",
    "SurvivalDesign",
    "SampleSizeResult",
    "PowerResult",
    "hazard_from_survival",
    "dropout_hazard",
    "event_probability",
    "expected_events",
    "events_required",
    "power_from_events",
    "sample_size_survival",
    "power_survival",
    "asymptotic_logrank_moments",
    "Scenario",
    "power_table",
    "sample_size_table",
    "detectable_hazard_ratio",
    "events_with_fixed_follow_up",
]

#: Sample-size / power methods of :func:`sample_size_survival` and :func:`power_survival`.
METHODS = ("schoenfeld", "freedman", "lachin_foulkes", "asymptotic")

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)


# ----------------------------------------------------------------------------
# Hazard model
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PiecewiseExponential:
    """A piecewise-constant hazard: ``rates[j]`` on ``[breaks[j], breaks[j+1])``.

    Parameters
    ----------
    rates : tuple of float
        Hazard per month in each piece (``>= 0``); the last applies to infinity.
    breaks : tuple of float, default ``(0.0,)``
        Start of each piece in months; ``breaks[0]`` must be 0 and the values increasing.
        Defaults to ``(0,)`` (a single exponential piece).

    Notes
    -----
    Matches ``piecewiseSurvivalTime = breaks, lambda1 = rates`` in rpact.
    """

    rates: tuple[float, ...]
    breaks: tuple[float, ...] = (0.0,)

    def __post_init__(self) -> None:
        rates = tuple(float(r) for r in np.atleast_1d(self.rates))
        breaks = tuple(float(b) for b in np.atleast_1d(self.breaks))
        if len(rates) != len(breaks):
            raise ValueError(f"rates and breaks must have the same length, got {len(rates)} and {len(breaks)}")
        if breaks[0] != 0.0:
            raise ValueError(f"breaks[0] must be 0, got {breaks[0]}")
        if any(b1 <= b0 for b0, b1 in zip(breaks, breaks[1:])):
            raise ValueError(f"breaks must be strictly increasing, got {breaks}")
        if any(not math.isfinite(r) or r < 0 for r in rates):
            raise ValueError(f"rates must be finite and >= 0, got {rates}")
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "breaks", breaks)

    @classmethod
    def exponential(cls, rate: float) -> "PiecewiseExponential":
        """A constant hazard."""
        return cls((rate,), (0.0,))

    @property
    def is_exponential(self) -> bool:
        return len(set(self.rates)) == 1

    def scaled(self, factor: float | Sequence[float]) -> "PiecewiseExponential":
        """Hazard multiplied by ``factor`` (a scalar or one factor per piece)."""
        f = np.broadcast_to(np.asarray(factor, float), (len(self.rates),))
        return PiecewiseExponential(tuple(np.asarray(self.rates) * f), self.breaks)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.breaks), np.asarray(self.rates)

    def cumulative_hazard(self, t: float | np.ndarray) -> np.ndarray:
        """``H(t)``, vectorised over ``t`` (months, ``>= 0``)."""
        s, lam = self._arrays()
        t = np.asarray(t, float)
        widths = np.clip(t[..., None] - s, 0.0, np.diff(np.append(s, np.inf)))
        return (widths * lam).sum(axis=-1)

    def survival(self, t: float | np.ndarray) -> np.ndarray:
        """``S(t) = exp(-H(t))``."""
        return np.exp(-self.cumulative_hazard(t))

    def hazard(self, t: float | np.ndarray) -> np.ndarray:
        """``lambda(t)`` (right-continuous)."""
        s, lam = self._arrays()
        return lam[np.searchsorted(s, np.asarray(t, float), side="right") - 1]


def hazard_from_survival(survival: float, time: float) -> float:
    """Exponential hazard with survival probability ``survival`` at ``time``: ``-log(S)/t``.

    Parameters
    ----------
    survival : float
        Survival probability at ``time``, in ``(0, 1)``.
    time : float
        Time at which ``survival`` holds, in months (``> 0``).

    Returns
    -------
    float
        The constant hazard per month ``-log(survival) / time``.

    Notes
    -----
    Matches rpact's conversion of ``pi`` (event probability) at ``eventTime`` to ``lambda``
    (R: ``rpact::getLambdaByPi(1 - survival, eventTime = time)``).
    """
    if not 0 < survival < 1:
        raise ValueError(f"survival must be in (0, 1), got {survival}")
    if time <= 0:
        raise ValueError(f"time must be > 0, got {time}")
    return -math.log(survival) / time


def dropout_hazard(rate: float, time: float) -> float:
    """Exponential dropout hazard from a dropout probability ``rate`` by ``time``.

    Parameters
    ----------
    rate : float
        Probability of dropping out by ``time``, in ``[0, 1)``.
    time : float
        Time by which the proportion ``rate`` has dropped out, in months (``> 0``).

    Returns
    -------
    float
        The constant dropout hazard per month ``-log(1 - rate) / time``.

    Notes
    -----
    Matches rpact's ``dropoutRate``/``dropoutTime``: ``-log(1 - rate) / time``
    (R: ``rpact::getSampleSizeSurvival(dropoutRate1 = rate, dropoutTime = time, ...)``).
    """
    if not 0 <= rate < 1:
        raise ValueError(f"rate must be in [0, 1), got {rate}")
    if time <= 0:
        raise ValueError(f"time must be > 0, got {time}")
    return -math.log1p(-rate) / time


def _as_hazard(h: float | PiecewiseExponential, name: str) -> PiecewiseExponential:
    if isinstance(h, PiecewiseExponential):
        return h
    try:
        return PiecewiseExponential.exponential(float(h))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a hazard (float >= 0) or a PiecewiseExponential, got {h!r}") from exc


# ----------------------------------------------------------------------------
# Closed-form event probabilities with dropout and piecewise-uniform accrual
# ----------------------------------------------------------------------------
def _pieces(h: PiecewiseExponential, eta: float):
    """Per piece: start s_j, total hazard c_j, event share k_j = lam_j/c_j, mass A_j = S(s_j)G(s_j),
    F_j = P(observed event by s_j), I_j = int_0^{s_j} F(v) dv."""
    s, lam = h._arrays()
    c = lam + eta
    widths = np.diff(s)
    k = np.divide(lam, c, out=np.zeros_like(c), where=c > 0)
    a = np.ones_like(s)
    f = np.zeros_like(s)
    integ = np.zeros_like(s)
    for j in range(len(s) - 1):
        w = widths[j]
        one_minus = -math.expm1(-c[j] * w)  # 1 - exp(-c w)
        a[j + 1] = a[j] * (1.0 - one_minus)
        f[j + 1] = f[j] + k[j] * a[j] * one_minus
        # int over the piece of F(v) = f_j + k_j a_j (1 - e^{-c (v - s_j)})
        tail = (w - one_minus / c[j]) if c[j] > 0 else 0.0
        integ[j + 1] = integ[j] + f[j] * w + k[j] * a[j] * tail
    return s, c, k, a, f, integ


def _observed_event_cdf(h: PiecewiseExponential, eta: float, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``F(u) = P(event observed by follow-up u)`` under event hazard h and dropout eta,
    and its integral ``int_0^u F(v) dv``; both exact (closed form)."""
    s, c, k, a, f, integ = _pieces(h, eta)
    u = np.maximum(np.asarray(u, float), 0.0)
    j = np.searchsorted(s, u, side="right") - 1
    x = u - s[j]
    cj = c[j]
    one_minus = -np.expm1(-cj * x)
    F = f[j] + k[j] * a[j] * one_minus
    with np.errstate(invalid="ignore", divide="ignore"):
        tail = np.where(cj > 0, x - one_minus / np.where(cj > 0, cj, 1.0), 0.0)
    G = integ[j] + f[j] * x + k[j] * a[j] * tail
    return F, G


def _accrual(accrual_time: float | Sequence[float], accrual_intensity: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Validated accrual breakpoints (starting at 0) and relative intensities (summing to 1 patient)."""
    at = np.atleast_1d(np.asarray(accrual_time, float))
    if at.size == 1:
        at = np.array([0.0, at[0]])
    if at[0] != 0:
        raise ValueError(f"accrual_time must start at 0 (or be the accrual duration), got {tuple(at)}")
    if np.any(np.diff(at) <= 0):
        raise ValueError(f"accrual_time must be strictly increasing, got {tuple(at)}")
    g = np.ones(at.size - 1) if accrual_intensity is None else np.atleast_1d(np.asarray(accrual_intensity, float))
    if g.size != at.size - 1:
        raise ValueError(
            f"accrual_intensity needs one value per accrual piece ({at.size - 1}), got {g.size}"
        )
    if np.any(g < 0) or not np.any(g > 0):
        raise ValueError(f"accrual_intensity must be >= 0 with at least one > 0, got {tuple(g)}")
    total = float((g * np.diff(at)).sum())
    return at, g / total


def _mean_event_probability(
    h: PiecewiseExponential, eta: float, at: np.ndarray, g: np.ndarray, time: np.ndarray
) -> np.ndarray:
    """Expected observed events by calendar ``time`` per planned patient (accrual density g)."""
    time = np.atleast_1d(np.asarray(time, float))
    out = np.zeros(time.shape)
    for lo, hi, gk in zip(at[:-1], at[1:], g):
        e_hi = np.minimum(hi, time)
        mask = e_hi > lo
        if not np.any(mask):
            continue
        # int_{lo}^{e_hi} F(t - e) de = int_{t - e_hi}^{t - lo} F(u) du
        _, g_hi = _observed_event_cdf(h, eta, time - lo)
        _, g_lo = _observed_event_cdf(h, eta, time - e_hi)
        out += np.where(mask, gk * (g_hi - g_lo), 0.0)
    return out


def _accrued_fraction(at: np.ndarray, g: np.ndarray, time: np.ndarray) -> np.ndarray:
    time = np.atleast_1d(np.asarray(time, float))
    widths = np.clip(time[..., None] - at[:-1], 0.0, np.diff(at))
    return (widths * g).sum(axis=-1)


def event_probability(
    hazard: float | PiecewiseExponential,
    *,
    accrual_time: float | Sequence[float],
    follow_up: float,
    dropout: float = 0.0,
    accrual_intensity: Sequence[float] | None = None,
) -> float:
    """Probability that a patient of the trial has an observed event by the analysis.

    The patient enters at a random time of the accrual distribution and is
    followed until the analysis at ``T = accrual end + follow_up``, an event,
    or dropout, whichever comes first:
    ``P = int a(e) int_0^{T-e} lambda(t) S(t) exp(-eta t) dt de``, in closed form.

    Parameters
    ----------
    hazard : float or PiecewiseExponential
        Event hazard per month (float) or :class:`PiecewiseExponential`.
    accrual_time : float or sequence of float
        Accrual duration ``R`` in months, or breakpoints ``(0, ..., R)`` of piecewise-uniform accrual.
    follow_up : float
        Minimum follow-up (months after the last patient enters, ``>= 0``).
    dropout : float, default 0.0
        Exponential dropout hazard per month (see :func:`dropout_hazard`).
    accrual_intensity : sequence of float, optional
        Relative accrual intensity per accrual piece (default ``None``: uniform).

    Returns
    -------
    float
        Probability, in ``[0, 1]``, that a randomly entering patient has an observed event
        by the analysis at ``R + follow_up``.

    Notes
    -----
    Matches ``getEventProbabilities(time = T, ...)$eventProbabilities1`` in rpact
    and the event probabilities of ``nSurv`` in gsDesign (Lachin & Foulkes 1986, eq. 2.4
    for uniform accrual and exponential hazards).
    """
    if follow_up < 0:
        raise ValueError(f"follow_up must be >= 0 months, got {follow_up}")
    if dropout < 0:
        raise ValueError(f"dropout must be a hazard >= 0, got {dropout}")
    h = _as_hazard(hazard, "hazard")
    at, g = _accrual(accrual_time, accrual_intensity)
    return float(_mean_event_probability(h, dropout, at, g, np.array([at[-1] + follow_up]))[0])


# ----------------------------------------------------------------------------
# The design object
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SurvivalDesign:
    """Assumptions of a two-arm survival trial (one row of a design table).

    Parameters
    ----------
    hazard_control, hazard_treatment : float or PiecewiseExponential
        Event hazards per month (float, or :class:`PiecewiseExponential` for
        non-proportional hazards); stored as :class:`PiecewiseExponential`.
    accrual_time : float or tuple of float
        Accrual duration ``R`` in months, or breakpoints ``(0, ..., R)``.
    follow_up : float
        Minimum follow-up in months (``>= 0``); the analysis is at ``R + follow_up``.
    accrual_intensity : tuple of float, optional
        Relative accrual intensity per accrual piece (default ``None``: uniform).
    dropout_control, dropout_treatment : float, default 0.0
        Exponential dropout hazards per month (see :func:`dropout_hazard`).
    allocation : float, default 1.0
        Allocation ratio treatment : control (``n_t / n_c``, ``> 0``).
    label : str, default ""
        Name of the design, shown in tables (``label`` column of :meth:`as_dict`).

    See Also
    --------
    sample_size_survival, power_survival, expected_events
    """

    hazard_control: float | PiecewiseExponential
    hazard_treatment: float | PiecewiseExponential
    accrual_time: float | tuple[float, ...]
    follow_up: float
    accrual_intensity: tuple[float, ...] | None = None
    dropout_control: float = 0.0
    dropout_treatment: float = 0.0
    allocation: float = 1.0
    label: str = ""
    _acc: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hazard_control", _as_hazard(self.hazard_control, "hazard_control"))
        object.__setattr__(self, "hazard_treatment", _as_hazard(self.hazard_treatment, "hazard_treatment"))
        if self.follow_up < 0:
            raise ValueError(f"follow_up must be >= 0 months, got {self.follow_up}")
        for name in ("dropout_control", "dropout_treatment"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a hazard >= 0 per month, got {v}")
        if not (math.isfinite(self.allocation) and self.allocation > 0):
            raise ValueError(f"allocation (treatment:control) must be > 0, got {self.allocation}")
        at, g = _accrual(self.accrual_time, self.accrual_intensity)
        object.__setattr__(self, "_acc", (at, g))

    # -- derived quantities ---------------------------------------------------
    @property
    def accrual_duration(self) -> float:
        return float(self._acc[0][-1])

    @property
    def study_duration(self) -> float:
        """Calendar time of the analysis, ``R + follow_up``."""
        return self.accrual_duration + float(self.follow_up)

    @property
    def fraction_treatment(self) -> float:
        return self.allocation / (1.0 + self.allocation)

    @property
    def proportional_hazards(self) -> bool:
        hr = self.hazard_ratio_by_piece()
        return bool(np.allclose(hr, hr[0], rtol=1e-12, atol=0))

    def hazard_ratio_by_piece(self) -> np.ndarray:
        """Treatment/control hazard ratio on the union of both arms' pieces."""
        hc, ht = self.hazard_control, self.hazard_treatment
        s = np.union1d(hc.breaks, ht.breaks)
        return ht.hazard(s) / hc.hazard(s)

    @property
    def hazard_ratio(self) -> float:
        """Treatment/control hazard ratio; raises under non-proportional hazards."""
        hr = self.hazard_ratio_by_piece()
        if not self.proportional_hazards:
            raise ValueError(
                "hazard_ratio is defined only under proportional hazards; this design has "
                f"piecewise ratios {np.round(hr, 4).tolist()} (use method='asymptotic')"
            )
        return float(hr[0])

    def event_probabilities(self, time: float | None = None) -> tuple[float, float]:
        """Per-patient probability of an observed event by ``time`` (default: the analysis), per arm."""
        at, g = self._acc
        t = np.array([self.study_duration if time is None else float(time)])
        pc = _mean_event_probability(self.hazard_control, self.dropout_control, at, g, t)[0]
        pt = _mean_event_probability(self.hazard_treatment, self.dropout_treatment, at, g, t)[0]
        return float(pc), float(pt)

    def event_probability(self, time: float | None = None) -> float:
        """Allocation-weighted probability of an observed event by ``time``."""
        pc, pt = self.event_probabilities(time)
        q = self.fraction_treatment
        return (1 - q) * pc + q * pt

    def with_(self, **changes) -> "SurvivalDesign":
        """A copy with some assumptions changed."""
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "accrual_months": self.accrual_duration,
            "follow_up_months": float(self.follow_up),
            "study_months": self.study_duration,
            "allocation": self.allocation,
            "dropout_control": self.dropout_control,
            "dropout_treatment": self.dropout_treatment,
            "proportional_hazards": self.proportional_hazards,
        }


def expected_events(design: SurvivalDesign, n_total: float, times: float | Iterable[float]) -> pd.DataFrame:
    """Expected number of patients accrued and events observed by calendar time.

    Parameters
    ----------
    design : SurvivalDesign
        The trial's assumptions.
    n_total : float
        Planned number of patients (both arms, ``> 0``).
    times : float or iterable of float
        Calendar times in months from the first patient's entry (``>= 0``).

    Returns
    -------
    pandas.DataFrame
        One row per time: ``time`` (months), ``subjects`` (patients accrued by then),
        ``events_control``, ``events_treatment`` and ``events`` (expected observed events,
        per arm and in total).

    Notes
    -----
    Matches ``getEventProbabilities(time, ..., maxNumberOfSubjects = n_total)`` in
    rpact (``overallEventProbabilities * maxNumberOfSubjects``).
    """
    if not n_total > 0:
        raise ValueError(f"n_total must be > 0, got {n_total}")
    t = np.atleast_1d(np.asarray(list(times) if not np.isscalar(times) else [times], float))
    if np.any(t < 0):
        raise ValueError("times must be >= 0 months")
    at, g = design._acc
    q = design.fraction_treatment
    ec = n_total * (1 - q) * _mean_event_probability(design.hazard_control, design.dropout_control, at, g, t)
    et = n_total * q * _mean_event_probability(design.hazard_treatment, design.dropout_treatment, at, g, t)
    return pd.DataFrame(
        {
            "time": t,
            "subjects": n_total * _accrued_fraction(at, g, t),
            "events_control": ec,
            "events_treatment": et,
            "events": ec + et,
        }
    )


# ----------------------------------------------------------------------------
# Events required and power for a number of events
# ----------------------------------------------------------------------------
def _check_common(alpha: float, sides: int, method: str | None = None) -> None:
    validate_alpha(alpha)
    if sides not in (1, 2):
        raise ValueError(f"sides must be 1 or 2, got {sides}")
    if method is not None and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _freedman_delta(hr: float, allocation: float) -> float:
    # Freedman (1982), allocation k = n_t/n_c: D = (za + zb)^2 (1 + k hr)^2 / (k (1 - hr)^2)
    return math.sqrt(allocation) * abs(1.0 - hr) / (1.0 + allocation * hr)


def _power_from_drift(drift: float, alpha: float, sides: int) -> float:
    z = stats.norm.isf(alpha / sides)
    p = stats.norm.cdf(drift - z)
    if sides == 2:
        p += stats.norm.cdf(-drift - z)
    return float(p)


def events_required(
    hazard_ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    sides: int = 2,
    allocation: float = 1.0,
    method: str = "schoenfeld",
) -> float:
    """Number of events a log-rank test needs (unrounded).

    Parameters
    ----------
    hazard_ratio : float
        Treatment/control hazard ratio under the alternative (``> 0`` and ``!= 1``).
    alpha : float, default 0.05
        Significance level (``alpha / sides`` per tail).
    sides : {2, 1}
        Sidedness of the test (default 2).
    power : float, default 0.8
        Target power (one-tail approximation, as in the references).
    allocation : float, default 1.0
        Treatment : control allocation ratio (``n_t / n_c``).
    method : {"schoenfeld", "freedman"}
        Formula (default ``"schoenfeld"``). ``"schoenfeld"``: ``D = (z_a + z_b)^2 / (q (1 - q) log(HR)^2)``, q the treatment fraction
        (Schoenfeld 1983). ``"freedman"``: ``D = (z_a + z_b)^2 (1 + k HR)^2 / (k (1 - HR)^2)``
        (Freedman 1982; Machin et al. 2009, eq. 8.6 for k = 1).

    Returns
    -------
    float
        Number of events (both arms, unrounded) for the target power.

    Notes
    -----
    Matches ``getSampleSizeSurvival(..., typeOfComputation = "Schoenfeld" | "Freedman")$eventsFixed``
    in rpact and ``nEvents(hr, ratio)`` in gsDesign (Schoenfeld).

    References
    ----------
    Schoenfeld D. The asymptotic properties of nonparametric tests for comparing survival
    distributions. Biometrika 1981;68:316-319. Schoenfeld DA. Sample-size formula for the
    proportional-hazards regression model. Biometrics 1983;39:499-503. Freedman LS. Tables of the
    number of patients required in clinical trials using the logrank test. Stat Med 1982;1:121-129.
    R: ``rpact::getSampleSizeSurvival(...)$maxNumberOfEvents``.
    """
    _check_common(alpha, sides)
    if method not in ("schoenfeld", "freedman"):
        raise ValueError(f"events_required: method must be 'schoenfeld' or 'freedman', got {method!r}")
    if not (hazard_ratio > 0 and hazard_ratio != 1):
        raise ValueError(f"hazard_ratio must be > 0 and != 1, got {hazard_ratio}")
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")
    if not allocation > 0:
        raise ValueError(f"allocation must be > 0, got {allocation}")
    zz = (stats.norm.isf(alpha / sides) + stats.norm.ppf(power)) ** 2
    if method == "schoenfeld":
        q = allocation / (1 + allocation)
        return float(zz / (q * (1 - q) * math.log(hazard_ratio) ** 2))
    return float(zz / _freedman_delta(hazard_ratio, allocation) ** 2)


def power_from_events(
    events: float,
    hazard_ratio: float,
    *,
    alpha: float = 0.05,
    sides: int = 2,
    allocation: float = 1.0,
    method: str = "schoenfeld",
) -> float:
    """Power of the log-rank test with ``events`` events (inverse of :func:`events_required`).

    ``sides=2`` adds the far rejection tail (as rpact's ``getPowerSurvival`` does).

    Parameters
    ----------
    events : float
        Number of events, both arms (``> 0``).
    hazard_ratio : float
        Treatment/control hazard ratio under the alternative (``> 0``).
    alpha : float, default 0.05
        Significance level (``alpha / sides`` per tail).
    sides : {2, 1}
        Sidedness of the test (default 2).
    allocation : float, default 1.0
        Treatment : control allocation ratio (``n_t / n_c``).
    method : {"schoenfeld", "freedman"}
        Formula of the drift (default ``"schoenfeld"``), as in :func:`events_required`.

    Returns
    -------
    float
        Power, in ``(0, 1)``.

    Notes
    -----
    Matches ``getPowerSurvival(..., maxNumberOfEvents = events)$overallReject`` in rpact
    (Schoenfeld; rpact's power needs only the events).

    References
    ----------
    Schoenfeld DA. Biometrics 1983;39:499-503. Freedman LS. Stat Med 1982;1:121-129.
    R: ``rpact::getPowerSurvival(..., maxNumberOfEvents = d)``.
    """
    _check_common(alpha, sides)
    if method not in ("schoenfeld", "freedman"):
        raise ValueError(f"power_from_events: method must be 'schoenfeld' or 'freedman', got {method!r}")
    if not events > 0:
        raise ValueError(f"events must be > 0, got {events}")
    if not hazard_ratio > 0:
        raise ValueError(f"hazard_ratio must be > 0, got {hazard_ratio}")
    if method == "schoenfeld":
        q = allocation / (1 + allocation)
        drift = math.sqrt(events * q * (1 - q)) * abs(math.log(hazard_ratio))
    else:
        drift = math.sqrt(events) * _freedman_delta(hazard_ratio, allocation)
    return _power_from_drift(drift, alpha, sides)


# ----------------------------------------------------------------------------
# Lachin-Foulkes and the asymptotic (non-proportional hazards) drift
# ----------------------------------------------------------------------------
def _lachin_foulkes_terms(design: SurvivalDesign) -> tuple[float, float, float]:
    """(|lambda_c - lambda_t|, sigma0, sigma1) per sqrt(patient), exponential hazards only."""
    hc, ht = design.hazard_control, design.hazard_treatment
    if not (hc.is_exponential and ht.is_exponential):
        raise ValueError("method='lachin_foulkes' needs exponential (constant) hazards in both arms")
    lc, lt = hc.rates[0], ht.rates[0]
    qt = design.fraction_treatment
    qc = 1 - qt
    at, g = design._acc
    T = np.array([design.study_duration])

    def phi(lam: float, eta: float) -> float:
        p = _mean_event_probability(PiecewiseExponential.exponential(lam), eta, at, g, T)[0]
        return lam**2 / p

    lbar = qc * lc + qt * lt
    s0 = math.sqrt(phi(lbar, design.dropout_control) / qc + phi(lbar, design.dropout_treatment) / qt)
    s1 = math.sqrt(phi(lc, design.dropout_control) / qc + phi(lt, design.dropout_treatment) / qt)
    return abs(lc - lt), s0, s1


def _at_risk_grid(design: SurvivalDesign):
    """Gauss-Legendre nodes/weights on [0, T] split at every kink, with per-arm at-risk
    densities pi_k(t) (per planned patient) and hazards."""
    at, g = design._acc
    T = design.study_duration
    knots = {0.0, T}
    knots.update(b for b in design.hazard_control.breaks if 0 < b < T)
    knots.update(b for b in design.hazard_treatment.breaks if 0 < b < T)
    knots.update(T - a for a in at if 0 < T - a < T)
    knots = np.array(sorted(knots))
    lo, hi = knots[:-1], knots[1:]
    t = ((hi - lo)[:, None] * (_GL_NODES + 1) / 2 + lo[:, None]).ravel()
    w = ((hi - lo)[:, None] * _GL_WEIGHTS / 2).ravel()
    # fraction of patients with potential follow-up >= t: entered by T - t
    avail = _accrued_fraction(at, g, T - t)
    qt = design.fraction_treatment
    pc = (1 - qt) * avail * design.hazard_control.survival(t) * np.exp(-design.dropout_control * t)
    pt = qt * avail * design.hazard_treatment.survival(t) * np.exp(-design.dropout_treatment * t)
    return t, w, pc, pt, design.hazard_control.hazard(t), design.hazard_treatment.hazard(t)


def _asymptotic_terms(design: SurvivalDesign) -> tuple[float, float, float]:
    """Per-patient drift numerator |mu|, null SD and alternative SD of the log-rank score."""
    t, w, pc, pt, lc, lt = _at_risk_grid(design)
    tot = pc + pt
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = tot > 0
        mu = np.where(ok, pc * pt / tot * (lc - lt), 0.0)
        v0 = np.where(ok, pc * pt / tot**2 * (pc * lc + pt * lt), 0.0)
        v1 = np.where(ok, (pt**2 * pc * lc + pc**2 * pt * lt) / tot**2, 0.0)
    return abs(float(w @ mu)), math.sqrt(float(w @ v0)), math.sqrt(float(w @ v1))


def asymptotic_logrank_moments(design: SurvivalDesign) -> dict:
    """Per-patient asymptotic moments of the log-rank score (Schoenfeld 1981).

    With ``pi_k(t)`` the probability that a randomized patient is in arm k and
    at risk at t, ``pi = pi_c + pi_t``:

    - drift ``mu = int pi_c pi_t / pi (lambda_c - lambda_t) dt`` (E[O_c - E_c] / n),
    - null variance ``v0 = int pi_c pi_t / pi^2 (pi_c lambda_c + pi_t lambda_t) dt`` (E[V] / n),
    - alternative variance ``v1 = int (pi_t^2 pi_c lambda_c + pi_c^2 pi_t lambda_t) / pi^2 dt``.

    Integrals by Gauss-Legendre quadrature split at every kink (exact to ~1e-12).

    Parameters
    ----------
    design : SurvivalDesign
        Hazards (any piecewise exponential), accrual, follow-up, dropout and allocation;
        the integrals run over ``[0, R + follow_up]``.

    Returns
    -------
    dict
        ``mu`` (absolute drift per patient), ``v0`` (null variance per patient) and ``v1``
        (alternative variance per patient); the sample size of the ``"asymptotic"`` method is
        ``[z_a sqrt(v0) + z_b sqrt(v1)]^2 / mu^2``.

    References
    ----------
    Schoenfeld D. The asymptotic properties of nonparametric tests for comparing survival
    distributions. Biometrika 1981;68:316-319.
    """
    mu, s0, s1 = _asymptotic_terms(design)
    return {"mu": mu, "v0": s0**2, "v1": s1**2}


# ----------------------------------------------------------------------------
# Sample size and power with accrual and follow-up
# ----------------------------------------------------------------------------
class _ArmSizes:
    """Patients per arm from ``n_total`` and ``design``'s allocation (mixed into the result classes)."""

    @property
    def n_control(self) -> float:
        return self.n_total * (1 - self.design.fraction_treatment)

    @property
    def n_treatment(self) -> float:
        return self.n_total * self.design.fraction_treatment


@dataclass(frozen=True)
class SampleSizeResult(_ArmSizes):
    """Sample size of a design (unrounded, as rpact reports it).

    Attributes
    ----------
    design : SurvivalDesign
        The design the sample size is for.
    method : str
        One of :data:`METHODS`.
    alpha : float
        Significance level.
    power : float
        Target power.
    sides : int
        1 or 2.
    n_total : float
        Number of patients, both arms (unrounded).
    events : float
        Expected number of events at the analysis (both arms).
    prob_event_control, prob_event_treatment : float
        Per-patient probability of an observed event by the analysis, per arm.
    n_control, n_treatment : float
        Patients per arm (``n_total`` split by the design's allocation; properties).
    summary : pandas.DataFrame
        One row: :meth:`as_dict` (the design's columns, then ``method``, ``alpha``, ``sides``,
        ``power``, ``events``, ``n_total``, ``n_control``, ``n_treatment``, ``n_control_ceil``,
        ``n_treatment_ceil``, ``prob_event_control``, ``prob_event_treatment``).

    See Also
    --------
    sample_size_survival
    """

    design: SurvivalDesign
    method: str
    alpha: float
    power: float
    sides: int
    n_total: float
    events: float
    prob_event_control: float
    prob_event_treatment: float

    def as_dict(self) -> dict:
        return {
            **self.design.as_dict(),
            "method": self.method,
            "alpha": self.alpha,
            "sides": self.sides,
            "power": self.power,
            "events": self.events,
            "n_total": self.n_total,
            "n_control": self.n_control,
            "n_treatment": self.n_treatment,
            "n_control_ceil": math.ceil(self.n_control - 1e-9),
            "n_treatment_ceil": math.ceil(self.n_treatment - 1e-9),
            "prob_event_control": self.prob_event_control,
            "prob_event_treatment": self.prob_event_treatment,
        }

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([self.as_dict()])

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False)


@dataclass(frozen=True)
class PowerResult:
    """Power of a design with a given number of patients.

    Attributes
    ----------
    design : SurvivalDesign
        The design the power is for.
    method : str
        One of :data:`METHODS`.
    alpha : float
        Significance level.
    sides : int
        1 or 2.
    n_total : float
        Number of patients, both arms.
    power : float
        Power of the log-rank test.
    events : float
        Expected number of events at the analysis (both arms).
    prob_event_control, prob_event_treatment : float
        Per-patient probability of an observed event by the analysis, per arm.
    summary : pandas.DataFrame
        One row: :meth:`as_dict` (the design's columns, then ``method``, ``alpha``, ``sides``,
        ``n_total``, ``n_control``, ``n_treatment``, ``events``, ``events_control``,
        ``events_treatment``, ``power``).

    See Also
    --------
    power_survival
    """

    design: SurvivalDesign
    method: str
    alpha: float
    sides: int
    n_total: float
    power: float
    events: float
    prob_event_control: float
    prob_event_treatment: float

    def as_dict(self) -> dict:
        q = self.design.fraction_treatment
        return {
            **self.design.as_dict(),
            "method": self.method,
            "alpha": self.alpha,
            "sides": self.sides,
            "n_total": self.n_total,
            "n_control": self.n_total * (1 - q),
            "n_treatment": self.n_total * q,
            "events": self.events,
            "events_control": self.n_total * (1 - q) * self.prob_event_control,
            "events_treatment": self.n_total * q * self.prob_event_treatment,
            "power": self.power,
        }

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([self.as_dict()])

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False)


def sample_size_survival(
    design: SurvivalDesign,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    sides: int = 2,
    method: str = "schoenfeld",
) -> SampleSizeResult:
    """Number of patients for a log-rank comparison with accrual, follow-up and dropout.

    Parameters
    ----------
    design : SurvivalDesign
        Hazards, accrual, minimum follow-up, dropout and allocation.
    alpha : float, default 0.05
        Significance level, ``alpha / sides`` per tail.
    power : float, default 0.8
        Target power, in ``(0, 1)``.
    sides : {2, 1}
        Sidedness of the test (default 2).
    method : {"schoenfeld", "freedman", "lachin_foulkes", "asymptotic"}
        Formula (default ``"schoenfeld"``; see :data:`METHODS`).
        ``"schoenfeld"`` / ``"freedman"``: events from :func:`events_required`, divided by
        the allocation-weighted probability of an event (:meth:`SurvivalDesign.event_probability`).
        ``"lachin_foulkes"``: Lachin & Foulkes (1986, eq. 3.2) for the difference of
        exponential hazards, ``N = [z_a s0 + z_b s1]^2 / (lambda_c - lambda_t)^2`` with
        ``s^2 = sum_k phi(lambda_k) / Q_k`` and ``phi(lambda) = lambda^2 / P(event | lambda)``;
        under H0 the pooled hazard ``Q_c lambda_c + Q_t lambda_t`` is used with each arm's
        dropout (their formula when dropout is equal). ``"asymptotic"``: the
        log-rank score's asymptotic drift and variances under any piecewise hazards
        (:func:`asymptotic_logrank_moments`), ``N = [z_a sqrt(v0) + z_b sqrt(v1)]^2 / mu^2``.

    Returns
    -------
    SampleSizeResult
        Patients (total and per arm, unrounded), expected events and per-arm event probabilities.

    Notes
    -----
    Schoenfeld and Freedman match ``getSampleSizeSurvival(alpha, sided, beta, lambda1, lambda2,
    accrualTime, followUpTime, dropoutRate1, dropoutRate2, dropoutTime, allocationRatioPlanned,
    typeOfComputation)`` in rpact (``maxNumberOfSubjects``, ``maxNumberOfEvents``).
    The sample size uses the one-tail approximation (as rpact does).

    References
    ----------
    Schoenfeld DA. Biometrics 1983;39:499-503. Freedman LS. Stat Med 1982;1:121-129.
    Lachin JM, Foulkes MA. Evaluation of sample size and power for analyses of survival with allowance
    for nonuniform patient entry, losses to follow-up, noncompliance, and stratification. Biometrics
    1986;42:507-519. R: ``rpact::getSampleSizeSurvival(accrualTime, followUpTime, dropoutRate1, ...)``.
    """
    _check_common(alpha, sides, method)
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")
    za, zb = stats.norm.isf(alpha / sides), stats.norm.ppf(power)
    pc, pt = design.event_probabilities()
    q = design.fraction_treatment
    pbar = (1 - q) * pc + q * pt
    if method in ("schoenfeld", "freedman"):
        d = events_required(
            design.hazard_ratio, alpha=alpha, power=power, sides=sides, allocation=design.allocation, method=method
        )
        n = d / pbar
    else:
        delta, s0, s1 = _lachin_foulkes_terms(design) if method == "lachin_foulkes" else _asymptotic_terms(design)
        if delta == 0:
            raise ValueError("the design has no treatment effect; sample size is infinite")
        n = ((za * s0 + zb * s1) / delta) ** 2
        d = n * pbar
    return SampleSizeResult(design, method, alpha, power, sides, float(n), float(d), pc, pt)


def power_survival(
    design: SurvivalDesign,
    n_total: float,
    *,
    alpha: float = 0.05,
    sides: int = 2,
    method: str = "schoenfeld",
) -> PowerResult:
    """Power of the log-rank test for ``n_total`` patients under a design.

    The expected number of events at the analysis (``R + follow_up``) is computed
    from the design, then the power of that many events (:func:`power_from_events`)
    for Schoenfeld and Freedman; Lachin-Foulkes and the asymptotic method use
    ``Phi((sqrt(N) delta - z_a s0) / s1)`` (plus the far tail when two-sided).

    Parameters
    ----------
    design : SurvivalDesign
        Hazards, accrual, minimum follow-up, dropout and allocation.
    n_total : float
        Number of patients, both arms (``> 0``); split by the design's allocation.
    alpha : float, default 0.05
        Significance level, ``alpha / sides`` per tail.
    sides : {2, 1}
        Sidedness of the test (default 2).
    method : {"schoenfeld", "freedman", "lachin_foulkes", "asymptotic"}
        Formula (default ``"schoenfeld"``), as in :func:`sample_size_survival`.

    Returns
    -------
    PowerResult
        Power, expected events at the analysis and per-arm event probabilities.

    Notes
    -----
    For Schoenfeld, matches rpact's ``getPowerSurvival(..., maxNumberOfSubjects = n_total,
    maxNumberOfEvents = E)$overallReject`` with ``E`` the expected events at the analysis
    (rpact's power is event-driven; our ``events`` column is that ``E``).

    References
    ----------
    Schoenfeld DA. Biometrics 1983;39:499-503. Freedman LS. Stat Med 1982;1:121-129.
    Lachin JM, Foulkes MA. Biometrics 1986;42:507-519.
    R: ``rpact::getPowerSurvival(..., maxNumberOfSubjects = n_total, maxNumberOfEvents = E)``.
    """
    _check_common(alpha, sides, method)
    if not n_total > 0:
        raise ValueError(f"n_total must be > 0, got {n_total}")
    pc, pt = design.event_probabilities()
    q = design.fraction_treatment
    events = n_total * ((1 - q) * pc + q * pt)
    if method in ("schoenfeld", "freedman"):
        pw = power_from_events(
            events, design.hazard_ratio, alpha=alpha, sides=sides, allocation=design.allocation, method=method
        )
    else:
        delta, s0, s1 = _lachin_foulkes_terms(design) if method == "lachin_foulkes" else _asymptotic_terms(design)
        z = stats.norm.isf(alpha / sides)
        pw = stats.norm.cdf((math.sqrt(n_total) * delta - z * s0) / s1)
        if sides == 2:
            pw += stats.norm.cdf((-math.sqrt(n_total) * delta - z * s0) / s1)
        pw = float(pw)
    return PowerResult(design, method, alpha, sides, float(n_total), pw, float(events), pc, pt)


@dataclass(frozen=True)
class Scenario(_ArmSizes):
    """A design with a number of patients: one row of a power table.

    Attributes
    ----------
    label : str
        Name of the scenario (``scenario`` column of :func:`power_table`).
    design : SurvivalDesign
        Hazards, accrual, follow-up, dropout and allocation.
    n_total : float
        Number of patients, both arms.
    n_control, n_treatment : float
        Patients per arm (``n_total`` split by the design's allocation; properties).
    """

    label: str
    design: SurvivalDesign
    n_total: float


def power_table(
    scenarios: Iterable[Scenario],
    *,
    methods: Sequence[str] = METHODS,
    alpha: float = 0.05,
    sides: int = 2,
) -> pd.DataFrame:
    """Power of each scenario by each method, as a tidy frame.

    Parameters
    ----------
    scenarios : iterable of Scenario
        Designs with their numbers of patients.
    methods : sequence of str, default METHODS
        Methods of :func:`power_survival` (all four by default).
    alpha : float, default 0.05
        Significance level, ``alpha / sides`` per tail.
    sides : {2, 1}
        Sidedness of the test (default 2).

    Returns
    -------
    pandas.DataFrame
        One row per scenario and method: ``scenario``, ``method``, ``n_control``,
        ``n_treatment``, ``study_months``, ``events`` (expected at the analysis), ``power``.

    See Also
    --------
    power_survival
    """
    rows = []
    for sc in scenarios:
        for m in methods:
            r = power_survival(sc.design, sc.n_total, alpha=alpha, sides=sides, method=m)
            rows.append(
                {
                    "scenario": sc.label,
                    "method": m,
                    "n_control": sc.n_control,
                    "n_treatment": sc.n_treatment,
                    "study_months": sc.design.study_duration,
                    "events": r.events,
                    "power": r.power,
                }
            )
    return pd.DataFrame(rows)


def sample_size_table(
    designs: Iterable[SurvivalDesign],
    *,
    methods: Sequence[str] = METHODS,
    alpha: float = 0.05,
    power: float = 0.8,
    sides: int = 2,
) -> pd.DataFrame:
    """Sample size of each design by each method (tidy; one row per design and method).

    Parameters
    ----------
    designs : iterable of SurvivalDesign
        The designs.
    methods : sequence of str, default METHODS
        Methods of :func:`sample_size_survival` (all four by default).
    alpha : float, default 0.05
        Significance level, ``alpha / sides`` per tail.
    power : float, default 0.8
        Target power.
    sides : {2, 1}
        Sidedness of the test (default 2).

    Returns
    -------
    pandas.DataFrame
        One row per design and method, the columns of :meth:`SampleSizeResult.as_dict`:
        the design's ``label``, ``accrual_months``, ``follow_up_months``, ``study_months``,
        ``allocation``, ``dropout_control``, ``dropout_treatment``, ``proportional_hazards``;
        then ``method``, ``alpha``, ``sides``, ``power``, ``events``, ``n_total``, ``n_control``,
        ``n_treatment``, ``n_control_ceil``, ``n_treatment_ceil``, ``prob_event_control``,
        ``prob_event_treatment``.

    See Also
    --------
    sample_size_survival

    Notes
    -----
    R: ``rpact::getSampleSizeSurvival`` (one call per design and method).
    """
    rows = []
    for d in designs:
        for m in methods:
            rows.append(sample_size_survival(d, alpha=alpha, power=power, sides=sides, method=m).as_dict())
    return pd.DataFrame(rows)


def detectable_hazard_ratio(
    design: SurvivalDesign,
    n_total: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    sides: int = 2,
    method: str = "schoenfeld",
) -> float:
    """Treatment/control hazard ratio (< 1) detected with ``power`` by ``n_total`` patients.

    The control hazard, accrual, follow-up, dropout and allocation are those of
    ``design`` (exponential control hazard required); the treatment hazard is
    ``HR * control`` and solved for by root finding on :func:`power_survival`.

    Parameters
    ----------
    design : SurvivalDesign
        Control hazard (exponential), accrual, follow-up, dropout and allocation; its
        treatment hazard is ignored.
    n_total : float
        Number of patients, both arms.
    power : float, default 0.8
        Target power.
    alpha : float, default 0.05
        Significance level, ``alpha / sides`` per tail.
    sides : {2, 1}
        Sidedness of the test (default 2).
    method : {"schoenfeld", "freedman", "lachin_foulkes", "asymptotic"}
        Formula of :func:`power_survival` (default ``"schoenfeld"``).

    Returns
    -------
    float
        The treatment/control hazard ratio (``< 1``) detected with ``power``.

    References
    ----------
    Schoenfeld DA. Sample-size formula for the proportional-hazards regression model.
    Biometrics 1983;39:499-503.
    """
    _check_common(alpha, sides, method)
    if not design.hazard_control.is_exponential:
        raise ValueError("detectable_hazard_ratio needs an exponential control hazard")
    lc = design.hazard_control.rates[0]

    def gap(hr: float) -> float:
        d = design.with_(hazard_treatment=lc * hr)
        return power_survival(d, n_total, alpha=alpha, sides=sides, method=method).power - power

    lo, hi = 1e-4, 1 - 1e-9
    if gap(lo) < 0:
        raise ValueError(f"{n_total} patients cannot reach power {power} for any hazard ratio")
    return float(optimize.brentq(gap, lo, hi, xtol=1e-12))


def events_with_fixed_follow_up(
    design: SurvivalDesign, n_control: float, n_treatment: float, follow_up: float
) -> dict:
    """Expected events when every patient is followed for exactly ``follow_up`` months.

    ``n_k * int_0^f lambda_k(t) S_k(t) exp(-eta_k t) dt`` per arm (closed form), with the
    design's hazards and dropout; accrual does not matter. This is the expectation for an
    analysis that censors each patient at a fixed time from randomization (as the paper's
    75-month horizon does), given complete follow-up to that time.

    Parameters
    ----------
    design : SurvivalDesign
        Hazards and dropout per arm (accrual and allocation are not used).
    n_control, n_treatment : float
        Patients per arm (``>= 0``).
    follow_up : float
        Follow-up of every patient, in months from randomization (``> 0``).

    Returns
    -------
    dict
        ``events_control``, ``events_treatment``, ``events`` (expected events per arm and in total).
    """
    if not follow_up > 0:
        raise ValueError(f"follow_up must be > 0 months, got {follow_up}")
    if n_control < 0 or n_treatment < 0:
        raise ValueError("n_control and n_treatment must be >= 0")
    fc, _ = _observed_event_cdf(design.hazard_control, design.dropout_control, np.array([follow_up]))
    ft, _ = _observed_event_cdf(design.hazard_treatment, design.dropout_treatment, np.array([follow_up]))
    ec, et = n_control * float(fc[0]), n_treatment * float(ft[0])
    return {"events_control": ec, "events_treatment": et, "events": ec + et}
