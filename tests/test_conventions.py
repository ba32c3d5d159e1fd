"""Argument conventions (:mod:`analysis.toolkit.conventions`): one vocabulary, one default and one
error message per convention, used by every toolkit module."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import analysis.toolkit
from analysis.toolkit import conventions as C

# ----------------------------------------------------------------------------
# The checker
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("check,value", [
    (C.validate_population, "analyzed"), (C.validate_population, "randomized"),
    (C.validate_direction, "control_vs_ucmsc"), (C.validate_direction, "ucmsc_vs_control"),
])
def test_valid_choices_pass_unchanged(check, value):
    assert check(value) == value


@pytest.mark.parametrize("check,value,expected", [
    (C.validate_conf_level, 0.95, 0.95), (C.validate_conf_level, np.float64(0.9), 0.9),
    (C.validate_alpha, 0.05, 0.05), (C.validate_alpha, 0.5, 0.5),
])
def test_valid_levels_pass_as_float(check, value, expected):
    out = check(value)
    assert out == expected and type(out) is float


@pytest.mark.parametrize("check,value,message", [
    (C.validate_population, "itt", "population must be one of ('analyzed', 'randomized'), got 'itt'"),
    (C.validate_population, None, "population must be one of ('analyzed', 'randomized'), got None"),
    (C.validate_direction, "treated", "direction must be one of ('control_vs_ucmsc', 'ucmsc_vs_control'), "
                                      "got 'treated'"),
    (C.validate_direction, ["control_vs_ucmsc"], "direction must be one of ('control_vs_ucmsc', "
                                                 "'ucmsc_vs_control'), got ['control_vs_ucmsc']"),
    (C.validate_conf_level, 1.5, "conf_level must be in (0, 1), got 1.5"),
    (C.validate_conf_level, 95, "conf_level must be in (0, 1), got 95.0"),
    (C.validate_conf_level, 1.0, "conf_level must be in (0, 1), got 1.0"),
    (C.validate_conf_level, float("nan"), "conf_level must be in (0, 1), got nan"),
    (C.validate_conf_level, "0.95", "conf_level must be in (0, 1), got '0.95'"),
    (C.validate_alpha, 0.0, "alpha must be in (0, 1), got 0.0"),
    (C.validate_alpha, -0.05, "alpha must be in (0, 1), got -0.05"),
    (C.validate_alpha, True, "alpha must be in (0, 1), got 1.0"),
    (C.validate_alpha, None, "alpha must be in (0, 1), got None"),
])
def test_bad_values_name_argument_allowed_and_given(check, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check(value)


def test_the_name_in_the_message_is_the_callers():
    with pytest.raises(ValueError, match=re.escape("level must be in (0, 1), got 2.0")):
        C.validate_conf_level(2.0, "level")
    with pytest.raises(ValueError, match=re.escape("method must be one of ('a', 'b'), got 'c'")):
        C.validate_choice("c", ("a", "b"), "method")


def test_documented_defaults():
    assert C.DEFAULT_POPULATION == "analyzed" and C.DEFAULT_POPULATION in C.POPULATIONS
    assert C.DEFAULT_CONF_LEVEL == 0.95 and C.DEFAULT_ALPHA == 0.05
    assert C.DEFAULT_CONF_LEVEL + C.DEFAULT_ALPHA == pytest.approx(1.0, abs=1e-15)
    assert C.DEFAULT_HR_DIRECTION == "control_vs_ucmsc"  # the paper's: control relative to UC-MSC
    assert C.DEFAULT_DIFFERENCE_DIRECTION == "ucmsc_vs_control"  # UC-MSC minus control
    assert set(C.DIRECTIONS) == {C.DEFAULT_HR_DIRECTION, C.DEFAULT_DIFFERENCE_DIRECTION}


def test_hr_default_is_the_published_convention():
    from analysis.trial.published import HR_CONVENTION

    assert C.DEFAULT_HR_DIRECTION == HR_CONVENTION


# ----------------------------------------------------------------------------
# Every module uses the same defaults and the same check
# ----------------------------------------------------------------------------
#: Modules whose ``direction`` default is the hazard-ratio one; the others use the difference one.
HR_MODULES = {"survival", "landmark", "competing", "paper", "sensitivity", "evidence"}


def _signatures():
    for pkg in (analysis.toolkit, importlib.import_module("analysis.trial")):
        for info in pkgutil.iter_modules(pkg.__path__):
            if info.name == "synthetic":
                continue
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            for name in getattr(mod, "__all__", ()):
                obj = getattr(mod, name, None)
                if inspect.isfunction(obj):
                    yield info.name, name, inspect.signature(obj)


def test_public_defaults_follow_the_conventions():
    """Every public toolkit/trial function with one of these arguments defaults to the documented value."""
    want = {"population": C.DEFAULT_POPULATION, "conf_level": C.DEFAULT_CONF_LEVEL, "level": C.DEFAULT_CONF_LEVEL,
            "alpha": C.DEFAULT_ALPHA}
    seen, bad = 0, []
    for module, name, sig in _signatures():
        for arg, par in sig.parameters.items():
            if par.default is inspect.Parameter.empty:
                continue
            if arg == "direction":
                expected = C.DEFAULT_HR_DIRECTION if module in HR_MODULES else C.DEFAULT_DIFFERENCE_DIRECTION
            elif arg in want:
                expected = want[arg]
            else:
                continue
            seen += 1
            if par.default != expected:
                bad.append(f"{module}.{name}({arg}={par.default!r}), expected {expected!r}")
    assert seen > 30
    assert not bad, "defaults differ from analysis.toolkit.conventions:\n" + "\n".join(bad)


def _cases():
    from analysis.toolkit import baseline, consistency, design, longitudinal, randomization, safety, simulate, survival

    stub = SimpleNamespace(labs=pd.DataFrame(), analyzed=None, patients=None)
    frame = pd.DataFrame({"time": [1.0], "event": [1], "arm": ["control"]})
    labs = pd.DataFrame(columns=["patient_id", "arm", "analyte", "week", "value", "baseline", "status"])
    return [
        ("population", lambda: safety.exposed(stub, population="itt")),
        ("population", lambda: longitudinal.lab_frame(stub, population="itt")),
        ("direction", lambda: safety.compare_proportions(1, 10, 2, 10, direction="treated")),
        ("conf_level", lambda: safety.compare_proportions(1, 10, 2, 10, conf_level=95)),
        ("conf_level", lambda: longitudinal.describe_visits(labs, conf_level=1.5)),
        ("alpha", lambda: survival.kaplan_meier(frame, alpha=1.5)),
        ("alpha", lambda: survival.cox_hr(frame, alpha=0)),
        ("direction", lambda: survival.cox_hr(frame, direction="treated")),
        ("direction", lambda: survival.logrank(frame, direction="treated")),
        ("alpha", lambda: design.events_required(0.7, alpha=1.5)),
        ("alpha", lambda: randomization.chance_significance([0.5], alpha=1.5)),
        ("alpha", lambda: baseline.baseline_imbalances(None, alpha=1.5)),
        ("level", lambda: consistency.wald_from_ci(0.7, 0.5, 0.9, level=95)),
        ("alpha", lambda: simulate.simulate_power(None, 10, n_trials=1, rng=np.random.default_rng(1), alpha=1.5)),
    ]


@pytest.mark.parametrize("i", range(14))
def test_modules_raise_the_one_message(i):
    arg, call = _cases()[i]
    allowed = r"must be one of \(" if arg in ("population", "direction") else re.escape("must be in (0, 1), got")
    with pytest.raises(ValueError, match=rf"^{arg} {allowed}"):
        call()
