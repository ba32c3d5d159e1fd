"""The MELD score in the variants in use, and which variant a published MELD summary allows.

MELD (model for end-stage liver disease) combines serum bilirubin, the INR and serum creatinine
on the log scale. Papers rarely say which of its variants they computed, and the variants differ
by several points on the same patients: whether values below 1 are set to 1 (UNOS), whether
creatinine is capped at 4 mg/dL, whether the etiology term (6.43 for etiologies other than
cholestatic or alcoholic liver disease) is added, whether the score is presented as the
original risk score (Malinchoc et al. 2000) or ten times it (Kamath et al. 2001), whether it is
rounded to an integer (UNOS), and whether sodium enters (MELD-Na).

:func:`meld` evaluates a variant (:data:`MELD_VARIANTS`). :func:`meld_mean_range` answers, from
published means and SDs of bilirubin, INR and creatinine alone, which mean MELD each variant
allows: a MELD variant is a constant plus a sum of one function per component, so its mean
depends on the components' marginal distributions only, whatever their correlation. The range
of each term's mean over every distribution with the published mean and SD (within their
printed rounding) on a plausible support is a linear programme (the classical moment problem,
solved over a fine grid of support points); their sum bounds the mean MELD. A variant whose
range misses the published mean MELD of an arm cannot have produced it. The SD of MELD and the
proportion above a threshold depend on the components' joint distribution and are answered
constructively (by building samples that meet them), not here.

No Python or R package provides these variants together; the formulas are those of the cited
papers and of the UNOS policy, and are checked against hand computations in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np

__all__ = [
    "BILIRUBIN_UMOL_PER_MG",
    "CREATININE_UMOL_PER_MG",
    "MELD_COMPONENTS",
    "MeldVariant",
    "MELD_VARIANTS",
    "meld",
    "meld_term_range",
    "meld_mean_range",
]

#: Unit conversions: umol/L per mg/dL of bilirubin and of creatinine.
BILIRUBIN_UMOL_PER_MG = 17.1
CREATININE_UMOL_PER_MG = 88.4

#: The components of MELD (mg/dL for bilirubin and creatinine) and their coefficients (Kamath 2001).
MELD_COMPONENTS: Mapping[str, float] = {"bilirubin": 3.78, "inr": 11.2, "creatinine": 9.57}

_ETIOLOGY = 6.43


@dataclass(frozen=True)
class MeldVariant:
    """One MELD formula.

    ``score = scale / 10 * (3.78 ln B + 11.2 ln INR + 9.57 ln C + 6.43 * etiology)`` with B and C
    in mg/dL (or in umol/L when ``si_units``), each component first raised to ``lower_bound`` and
    creatinine lowered to ``creatinine_cap`` when these are set, the score rounded to
    ``decimals`` when set.

    Attributes
    ----------
    name, label : str
        Code name and readable name.
    lower_bound : float or None
        Components below it are set to it (UNOS: 1); ``None``: no bound (a value below 1 gives a
        negative term).
    creatinine_cap : float or None
        Creatinine above it (mg/dL) is set to it (UNOS: 4).
    etiology : float
        Multiplier of the etiology constant 6.43: 1 for etiologies other than cholestatic or
        alcoholic liver disease (e.g. hepatitis B), 0 for those; UNOS always adds it.
    scale : float
        10 for the usual presentation (Kamath 2001), 1 for the original risk score (Malinchoc 2000).
    decimals : int or None
        Rounding of the score (UNOS: integer); ``None``: unrounded.
    si_units : bool
        Bilirubin and creatinine entered in umol/L instead of mg/dL (a unit error, not a variant
        anyone recommends; kept to rule it out).
    needs_sodium : bool
        The variant needs serum sodium (MELD-Na).
    reference : str
        Where the formula is defined.
    """

    name: str
    label: str
    lower_bound: float | None = None
    creatinine_cap: float | None = None
    etiology: float = 1.0
    scale: float = 10.0
    decimals: int | None = None
    si_units: bool = False
    needs_sodium: bool = False
    reference: str = ""

    def transform(self, component: str, x: np.ndarray) -> np.ndarray:
        """The term of one component (mg/dL, or umol/L with ``si_units``): coefficient times log, bounded."""
        if component not in MELD_COMPONENTS:
            raise ValueError(f"unknown MELD component {component!r}; components are {list(MELD_COMPONENTS)}")
        x = np.asarray(x, float)
        if self.si_units:
            x = x * {"bilirubin": BILIRUBIN_UMOL_PER_MG, "creatinine": CREATININE_UMOL_PER_MG, "inr": 1.0}[component]
        if self.lower_bound is not None:
            x = np.maximum(x, self.lower_bound)
        if component == "creatinine" and self.creatinine_cap is not None:
            x = np.minimum(x, self.creatinine_cap)
        with np.errstate(divide="ignore"):
            return self.scale / 10.0 * MELD_COMPONENTS[component] * np.log(x)

    @property
    def constant(self) -> float:
        """The score's constant (the etiology term on the variant's scale)."""
        return self.scale / 10.0 * _ETIOLOGY * self.etiology


#: The MELD variants in use (and two ruled-out presentations), by code name.
MELD_VARIANTS: Mapping[str, MeldVariant] = {v.name: v for v in (
    MeldVariant("unos", "UNOS (values below 1 set to 1, creatinine capped at 4 mg/dL, integer)",
                lower_bound=1.0, creatinine_cap=4.0, decimals=0,
                reference="UNOS/OPTN policy 9 (2002); Wiesner et al. 2003"),
    MeldVariant("unos_unrounded", "UNOS bounds and cap, not rounded", lower_bound=1.0, creatinine_cap=4.0,
                reference="Wiesner et al. 2003 (bounds); Kamath et al. 2001 (coefficients)"),
    MeldVariant("kamath", "Kamath/Malinchoc, times 10, with the etiology term, without bounds",
                reference="Kamath et al. 2001; Malinchoc et al. 2000"),
    MeldVariant("kamath_no_etiology", "Kamath/Malinchoc, times 10, without the etiology term, without bounds",
                etiology=0.0, reference="Kamath et al. 2001 (etiology 0: cholestatic or alcoholic)"),
    MeldVariant("unos_no_etiology", "UNOS bounds and cap, without the etiology term", lower_bound=1.0,
                creatinine_cap=4.0, etiology=0.0, reference="Kamath et al. 2001; Wiesner et al. 2003"),
    MeldVariant("malinchoc", "Original risk score (not times 10), with the etiology term", scale=1.0,
                reference="Malinchoc et al. 2000"),
    MeldVariant("kamath_si_units", "Kamath formula with bilirubin and creatinine in umol/L (a unit error)",
                si_units=True, reference="Kamath et al. 2001, misapplied"),
    MeldVariant("meld_na", "MELD-Na (needs serum sodium)", lower_bound=1.0, creatinine_cap=4.0, decimals=0,
                needs_sodium=True, reference="Kim et al. 2008; OPTN 2016"),
)}


def _variant(variant: str | MeldVariant) -> MeldVariant:
    if isinstance(variant, MeldVariant):
        return variant
    if variant not in MELD_VARIANTS:
        raise ValueError(f"unknown MELD variant {variant!r}; variants are {list(MELD_VARIANTS)}")
    return MELD_VARIANTS[variant]


def meld(bilirubin: np.ndarray, inr: np.ndarray, creatinine: np.ndarray, variant: str | MeldVariant = "unos",
         *, sodium: np.ndarray | None = None) -> np.ndarray:
    """MELD score of each patient in one variant.

    Parameters
    ----------
    bilirubin : array_like
        Total bilirubin, mg/dL (umol/L / 17.1).
    inr : array_like
        International normalized ratio.
    creatinine : array_like
        Serum creatinine, mg/dL (umol/L / 88.4).
    variant : str or MeldVariant
        A key of :data:`MELD_VARIANTS` (default ``"unos"``).
    sodium : array_like, optional
        Serum sodium, mmol/L; required by ``"meld_na"`` (bounded to 125-137).

    Returns
    -------
    numpy.ndarray
        The scores. UNOS rounds half away from zero to an integer; an unbounded variant gives a
        negative term for a component below 1 (and ``-inf`` for 0).

    References
    ----------
    Malinchoc M et al. A model to predict poor survival in patients undergoing transjugular
    intrahepatic portosystemic shunts. Hepatology 2000;31:864-871.
    Kamath PS et al. A model to predict survival in patients with end-stage liver disease.
    Hepatology 2001;33:464-470.
    Wiesner R et al. Model for end-stage liver disease (MELD) and allocation of donor livers.
    Gastroenterology 2003;124:91-96.
    Kim WR et al. Hyponatremia and mortality among patients on the liver-transplant waiting list.
    N Engl J Med 2008;359:1018-1026.
    """
    v = _variant(variant)
    b, i, c = (np.asarray(x, float) for x in (bilirubin, inr, creatinine))
    if not (b.shape == i.shape == c.shape):
        raise ValueError("bilirubin, INR and creatinine must have the same shape")
    if v.needs_sodium and sodium is None:
        raise ValueError(f"the {v.name} variant needs serum sodium")
    s = v.constant + v.transform("bilirubin", b) + v.transform("inr", i) + v.transform("creatinine", c)
    if v.needs_sodium:
        na = np.clip(np.asarray(sodium, float), 125.0, 137.0)
        s0 = np.round(s, 1)
        s = np.where(s0 > 11, s0 + 1.32 * (137 - na) - 0.033 * s0 * (137 - na), s0)
    if v.decimals is not None:
        s = np.sign(s) * np.floor(np.abs(s) * 10.0**v.decimals + 0.5) / 10.0**v.decimals
    return s


def meld_term_range(variant: str | MeldVariant, component: str, mean: tuple[float, float],
                    sd: tuple[float, float], support: tuple[float, float], *, n: int | None = None,
                    grid: int = 400) -> tuple[float, float]:
    """Smallest and largest mean of one MELD term over every distribution with the given moments.

    Parameters
    ----------
    variant : str or MeldVariant
        The MELD variant.
    component : {"bilirubin", "inr", "creatinine"}
        The component, in mg/dL (INR: ratio).
    mean, sd : tuple of float
        Intervals (low, high) of the component's mean and SD (e.g. the rounding intervals of
        printed values).
    support : tuple of float
        The range of values a patient can have (same units).
    n : int, optional
        Sample size when ``sd`` is a sample SD (divisor n - 1); the population variance is then
        at least ``(n - 1) / n`` times its square.
    grid : int
        Support points of the discretised linear programme (geometric grid, plus the variant's
        bound and cap).

    Returns
    -------
    tuple of float
        (low, high). Samples of any size are distributions, so the range holds for them too.

    Notes
    -----
    The linear programme has one weight per support point, equal to 1 in total, with the mean in
    ``mean`` and the second moment between ``(n-1)/n sd_low^2 + mean_low^2`` and ``sd_high^2 +
    mean_high^2`` (a relaxation of the exact constraint, so the range is, if anything, too wide:
    a variant outside it is ruled out). Solved with HiGHS (:func:`scipy.optimize.linprog`).

    References
    ----------
    Smith JE. Generalized Chebychev inequalities: theory and applications in decision analysis.
    Operations Research 1995;43:807-825 (moment bounds as linear programmes).
    """
    v = _variant(variant)
    (m_lo, m_hi), (s_lo, s_hi), (x_lo, x_hi) = mean, sd, support
    if not (0 < x_lo < x_hi) or m_lo > m_hi or s_lo > s_hi or s_lo < 0:
        raise ValueError("need 0 < support low < support high, mean low <= high, 0 <= sd low <= high")
    # The term is scale / 10 times the scale-10 term: solved once per bound, cap and unit (cached).
    lo, hi = _term_range(v.lower_bound, v.creatinine_cap if component == "creatinine" else None, v.si_units,
                         component, (float(m_lo), float(m_hi)), (float(s_lo), float(s_hi)),
                         (float(x_lo), float(x_hi)), n, grid)
    k = v.scale / 10.0
    return (k * lo, k * hi)


@lru_cache(maxsize=256)
def _term_range(lower_bound, cap, si_units, component, mean, sd, support, n, grid) -> tuple[float, float]:
    from scipy.optimize import linprog

    v = MeldVariant("_", "_", lower_bound=lower_bound, creatinine_cap=cap, si_units=si_units)
    (m_lo, m_hi), (s_lo, s_hi), (x_lo, x_hi) = mean, sd, support
    extra = [p for p in (lower_bound, cap) if p is not None and x_lo < p < x_hi]
    x = np.unique(np.concatenate([np.geomspace(x_lo, x_hi, grid), extra]))
    g = v.transform(component, x)
    shrink = (n - 1) / n if n else 1.0
    a_ub = np.vstack([x, -x, x**2, -(x**2)])
    b_ub = np.array([m_hi, -m_lo, s_hi**2 + m_hi**2, -(shrink * s_lo**2 + m_lo**2)])
    out = []
    for sign in (1.0, -1.0):
        r = linprog(sign * g, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, len(x))), b_eq=[1.0], bounds=(0, None),
                    method="highs")
        if not r.success:
            return (float("nan"), float("nan"))  # no distribution on the support has these moments
        out.append(sign * r.fun)
    return (float(out[0]), float(out[1]))


def meld_mean_range(variant: str | MeldVariant, moments: Mapping[str, Mapping[str, tuple[float, float]]],
                    support: Mapping[str, tuple[float, float]], *, n: int | None = None) -> tuple[float, float]:
    """Range of the mean MELD any patient sample with the given component moments can have.

    Parameters
    ----------
    variant : str or MeldVariant
        The MELD variant.
    moments : mapping
        Component (``bilirubin``, ``inr``, ``creatinine``; mg/dL) -> ``{"mean": (low, high),
        "sd": (low, high)}``.
    support : mapping
        Component -> (low, high) plausible values (mg/dL).
    n : int, optional
        Sample size (sample SDs).

    Returns
    -------
    tuple of float
        (low, high) of the mean score, widened by half a unit of the rounding for a rounded
        variant; ``(nan, nan)`` for a variant that needs sodium (not computable from these
        components) or moments no distribution on the support has.

    Notes
    -----
    The mean of the score is the constant plus the sum of the terms' means (each term depends on
    one component only), whatever the correlation of the components; each term's range is
    :func:`meld_term_range`. MELD-Na is not separable and needs sodium.
    """
    v = _variant(variant)
    if v.needs_sodium:
        return (float("nan"), float("nan"))
    lo = hi = v.constant
    for comp in MELD_COMPONENTS:
        if comp not in moments or comp not in support:
            raise ValueError(f"moments and support must give {comp}")
        a, b = meld_term_range(v, comp, tuple(moments[comp]["mean"]), tuple(moments[comp]["sd"]),
                               tuple(support[comp]), n=n)
        lo, hi = lo + a, hi + b
    if v.decimals is not None:
        lo, hi = lo - 0.5 * 10.0**-v.decimals, hi + 0.5 * 10.0**-v.decimals
    return (float(lo), float(hi))
