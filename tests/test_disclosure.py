"""The small-cell rule on real data (issue 11): hand-computed cases and planted marker values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import load_trial
from analysis.toolkit.disclosure import MIN_CELL, applies, protected_summary
from analysis.toolkit.safety import infusion_reactions, safety_statements
from analysis.toolkit.survival import followup

import bookbuild as bb


@pytest.mark.parametrize("values,patients,step,protect,expected", [
    ([1.2, 3.7, 2.5, 9.1, 4.4], 5, 1.0, False, (1.2, 3.7, 9.1)),
    ([1.2, 3.7, 2.5, 9.1, 4.4], 5, 1.0, True, (1.0, 3.7, 10.0)),     # extremes floored / ceiled
    ([37.3, 38.2, 37.9, 37.6, 38.0], 5, 0.5, True, (37.0, 37.9, 38.5)),
    ([2.0, 4.0, 6.0, 8.0], 4, 1.0, True, (math.nan,) * 3),          # fewer than 5 patients
    ([2.0, 4.0, 6.0, 8.0], 4, 1.0, False, (2.0, 5.0, 8.0)),
    ([5.0, 5.0, 5.0, 5.0, 5.0, 5.0], 3, 1.0, True, (math.nan,) * 3),  # six events of three patients
    ([np.nan, np.nan], 5, 1.0, True, (math.nan,) * 3),
])
def test_protected_summary_by_hand(values, patients, step, protect, expected):
    got = protected_summary(values, patients=patients, step=step, protect=protect)
    np.testing.assert_array_equal([got["min"], got["median"], got["max"]], expected)


def test_rule_applies_to_real_data_only(trial, tmp_path):
    assert not applies(trial) and MIN_CELL == 5
    bb.make_private_copy(trial.path, tmp_path / "real")
    assert applies(load_trial(tmp_path / "real")) and applies(pd.DataFrame())


def test_real_data_tables_show_no_single_patient_value(tmp_path):
    """Planted marker values (one patient's fever duration, temperature, onset; the longest and
    shortest follow-up) never reach a table computed on real data; on the synthetic cohort they do."""
    data = tmp_path / "real"
    bb.make_private_copy(load_trial().path, data)
    markers = bb.plant_markers(data)
    real = load_trial(data)
    texts = [infusion_reactions(real).to_csv(), infusion_reactions(real, by_infusion=True).to_csv(),
             safety_statements(real, __import__("analysis").load_published()).to_csv(), followup(real).to_csv()]
    found = {m for m in markers for t in texts if m in t}
    assert not found, f"single-patient values shown on real data: {found}"
    exact = [infusion_reactions(real, protect=False).to_csv(), followup(real, protect=False).to_csv()]
    assert {m for m in markers for t in exact if m in t}, "the markers were not planted where the tables read"
