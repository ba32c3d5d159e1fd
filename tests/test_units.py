"""Time-unit conversion, by hand: a month is 365.25 / 12 = 30.4375 days."""

import ast

import numpy as np
import pytest

from analysis.toolkit.units import DAYS_PER_MONTH, days_to_months, months_to_days, months_to_weeks, weeks_to_months


def test_hand_values():
    assert DAYS_PER_MONTH == 30.4375
    assert days_to_months(30.4375) == 1.0
    assert days_to_months(365.25) == pytest.approx(12.0, abs=1e-15)
    assert months_to_days(75) == 2282.8125
    assert weeks_to_months(48) == pytest.approx(48 * 7 / 30.4375, rel=1e-15)
    assert months_to_weeks(weeks_to_months(12)) == pytest.approx(12.0, rel=1e-15)


def test_arrays_and_scalars():
    out = days_to_months(np.array([0.0, 30.4375, 60.875]))
    np.testing.assert_array_equal(out, [0.0, 1.0, 2.0])
    assert isinstance(days_to_months(10), float)
    np.testing.assert_allclose(months_to_days(days_to_months([1.0, 2.5, 1000.0])), [1.0, 2.5, 1000.0], rtol=1e-15)


def test_no_other_conversion_factor():
    """No module converts days, weeks and months with its own factor: no number 365.25, 30.4375 or 30.44
    in the code outside units.py (trial/synthetic.py is migrated separately)."""
    import io
    import tokenize
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "analysis"
    hits = []
    for p in sorted(src.rglob("*.py")):
        if p.name in ("units.py", "synthetic.py"):
            continue
        for tok in tokenize.generate_tokens(io.StringIO(p.read_text()).readline):
            if tok.type == tokenize.NUMBER and float(ast.literal_eval(tok.string)) in (365.25, 30.4375, 30.44, 365.0):
                hits.append(f"{p.relative_to(src)}:{tok.start[0]}: {tok.line.strip()}")
    assert not hits, "use analysis.toolkit.units:\n" + "\n".join(hits)
