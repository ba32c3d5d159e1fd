"""MELD variants (analysis.toolkit.meld): the formulas by hand, and the range of the mean MELD a set of
component moments allows."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.toolkit.meld import MELD_VARIANTS, MeldVariant, meld, meld_mean_range, meld_term_range

LN = np.log


@pytest.mark.parametrize(
    "variant,b,i,c,expected",
    [
        # bilirubin 1 mg/dL, INR 1, creatinine 1 mg/dL: the constant only (etiology term, Kamath 2001).
        ("kamath", 1.0, 1.0, 1.0, 6.43),
        ("unos_unrounded", 1.0, 1.0, 1.0, 6.43),
        ("kamath_no_etiology", 1.0, 1.0, 1.0, 0.0),
        # by hand: 3.78 ln 2 + 11.2 ln 1.5 + 9.57 ln 2 + 6.43 = 20.2070...
        ("kamath", 2.0, 1.5, 2.0, 3.78 * LN(2) + 11.2 * LN(1.5) + 9.57 * LN(2) + 6.43),
        ("unos_unrounded", 2.0, 1.5, 2.0, 3.78 * LN(2) + 11.2 * LN(1.5) + 9.57 * LN(2) + 6.43),
        ("unos", 2.0, 1.5, 2.0, 20.0),  # 20.207 rounded to an integer (UNOS)
        # without bounds a value below 1 gives a negative term
        ("kamath", 0.5, 0.9, 0.7, 3.78 * LN(0.5) + 11.2 * LN(0.9) + 9.57 * LN(0.7) + 6.43),
        # UNOS: below 1 set to 1, creatinine capped at 4 mg/dL
        ("unos_unrounded", 0.5, 0.9, 10.0, 9.57 * LN(4) + 6.43),
        ("unos", 0.5, 0.9, 10.0, 20.0),  # 19.697 -> 20
        # the original risk score is a tenth of Kamath's
        ("malinchoc", 2.0, 1.5, 2.0, (3.78 * LN(2) + 11.2 * LN(1.5) + 9.57 * LN(2) + 6.43) / 10),
        # umol/L entered as if mg/dL (a unit error): 17.1 umol/L bilirubin and 88.4 umol/L creatinine are 1 mg/dL
        ("kamath_si_units", 1.0, 1.0, 1.0, 3.78 * LN(17.1) + 9.57 * LN(88.4) + 6.43),
    ],
)
def test_formulas_by_hand(variant, b, i, c, expected):
    got = meld(np.array([b]), np.array([i]), np.array([c]), variant)[0]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_meld_na_by_hand():
    """MELD-Na (OPTN 2016): MELD + 1.32 (137 - Na) - 0.033 MELD (137 - Na) above 11, sodium bounded to 125-137."""
    m = round(3.78 * LN(2) + 11.2 * LN(1.5) + 9.57 * LN(2) + 6.43, 1)  # 20.2
    expected = round(m + 1.32 * 7 - 0.033 * m * 7)
    assert meld([2.0], [1.5], [2.0], "meld_na", sodium=[130.0])[0] == expected
    assert meld([2.0], [1.5], [2.0], "meld_na", sodium=[120.0])[0] == meld([2.0], [1.5], [2.0], "meld_na", sodium=[125.0])[0]
    with pytest.raises(ValueError, match="sodium"):
        meld([2.0], [1.5], [2.0], "meld_na")


def test_bad_input():
    with pytest.raises(ValueError, match="variant"):
        meld([1.0], [1.0], [1.0], "nope")
    with pytest.raises(ValueError, match="shape"):
        meld([1.0, 2.0], [1.0], [1.0])
    with pytest.raises(ValueError):
        meld_term_range("kamath", "bilirubin", (1.0, 1.1), (0.5, 0.6), (0.0, 10.0))
    with pytest.raises(ValueError, match="component"):
        MELD_VARIANTS["kamath"].transform("sodium", np.array([1.0]))


def test_variants_are_documented():
    for name, v in MELD_VARIANTS.items():
        assert isinstance(v, MeldVariant) and v.name == name and v.label and v.reference


SUPPORT = {"bilirubin": (0.1, 90.0), "inr": (0.8, 10.0), "creatinine": (0.2, 17.0)}


def _moments(x: dict[str, np.ndarray]) -> dict:
    return {k: {"mean": (v.mean(),) * 2, "sd": (v.std(ddof=1),) * 2} for k, v in x.items()}


@pytest.mark.parametrize("variant", ["kamath", "unos_unrounded", "unos"])
def test_a_sample_lies_within_the_range_of_its_own_moments(variant):
    """Any sample is a distribution with its own moments: its mean MELD lies in the range they allow."""
    rng = np.random.default_rng(5)
    for _ in range(3):
        n = 60
        x = {"bilirubin": np.exp(rng.normal(0.5, 0.8, n)), "inr": np.exp(rng.normal(0.25, 0.15, n)),
             "creatinine": np.exp(rng.normal(-0.1, 0.4, n))}
        lo, hi = meld_mean_range(variant, _moments(x), SUPPORT, n=n)
        m = meld(x["bilirubin"], x["inr"], x["creatinine"], variant).mean()
        assert lo - 1e-6 <= m <= hi + 1e-6


def test_range_of_one_term_by_hand():
    """ln is concave: its mean is at most ln(mean) (Jensen), reached as the SD tends to 0; with the UNOS bound at 1,
    a bilirubin of mean 1 mg/dL and a large enough SD can have every value at or below 1 but a small mass far above."""
    lo, hi = meld_term_range("kamath", "inr", (1.3, 1.3), (0.0, 0.01), (0.8, 10.0), grid=2000)
    assert hi == pytest.approx(11.2 * np.log(1.3), abs=2e-3)
    assert lo <= hi <= 11.2 * np.log(1.3) + 1e-9
    lo, hi = meld_term_range("unos_unrounded", "bilirubin", (0.9, 1.0), (0.5, 0.6), (0.1, 90.0))
    assert lo == pytest.approx(0.0, abs=0.2) and hi > lo
    # no distribution on the support has a mean outside it
    assert np.isnan(meld_term_range("kamath", "inr", (20.0, 21.0), (0.1, 0.2), (0.8, 10.0))[0])


def test_grid_is_fine_enough():
    """400 support points give the range within 0.005 of 4000 (the data chapter uses the default)."""
    args = ("unos_unrounded", "bilirubin", (1.94, 1.95), (1.74, 1.75), (0.1, 90.0))
    coarse, fine = meld_term_range(*args), meld_term_range(*args, grid=4000)
    assert np.allclose(coarse, fine, atol=5e-3)


def test_scale_and_rounding_of_the_mean_range():
    m = {"bilirubin": {"mean": (1.9, 2.0), "sd": (1.7, 1.8)}, "inr": {"mean": (1.3, 1.33), "sd": (0.2, 0.22)},
         "creatinine": {"mean": (0.9, 1.0), "sd": (0.6, 0.7)}}
    k = meld_mean_range("kamath", m, SUPPORT, n=100)
    r = meld_mean_range("malinchoc", m, SUPPORT, n=100)
    assert r == pytest.approx((k[0] / 10, k[1] / 10))
    u, ur = meld_mean_range("unos", m, SUPPORT, n=100), meld_mean_range("unos_unrounded", m, SUPPORT, n=100)
    assert u == pytest.approx((ur[0] - 0.5, ur[1] + 0.5))
    assert all(np.isnan(meld_mean_range("meld_na", m, SUPPORT)))
    with pytest.raises(ValueError, match="creatinine"):
        meld_mean_range("kamath", {k_: v for k_, v in m.items() if k_ != "creatinine"}, SUPPORT)
