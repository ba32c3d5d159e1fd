"""The survival chapter's results that the prose words depend on."""

from __future__ import annotations

import pytest

from analysis.toolkit.conventions import DEFAULT_ALPHA

pytestmark = pytest.mark.heavy


def test_the_verb_for_the_p_values_follows_the_p_values(all_results):
    """The prose says whether both p values are below the level: the text result follows the numbers."""
    res = all_results["survival"]
    ps = [res["os.cox.p"].value, res["os.logrank.p"].value]
    verb = res["os.p_vs_alpha"].value
    below = [p < DEFAULT_ALPHA for p in ps]
    assert verb == ("are both below" if all(below) else "are both at or above" if not any(below)
                    else "fall on either side of")
    assert res["os.p_vs_alpha"].glue == {"sv_os_p_side": "value"}


def test_rmst_difference_is_ucmsc_minus_control(all_results):
    """Every difference in the book is UC-MSC minus control (hazard ratios keep the paper's direction)."""
    res = all_results["survival"]
    r = res["os.rmst.difference"]
    assert r.direction == "UC-MSC minus control"
    rmst = res.objects["rmst_os"].arms.set_index("arm")["rmst"]
    assert r.value == pytest.approx(rmst["ucmsc"] - rmst["control"], abs=1e-9)
