"""Tests of analysis.toolkit.longitudinal against R (stored output) and exact invariants.

Reference values: ``tests/data/longitudinal_reference.json``, written by
``Rscript tests/reference/longitudinal_reference.R`` (R 4.2.2, nlme 3.1.162),
which also generated the small trial in ``tests/data/longitudinal_trial/``
(2 x 40 analysed patients with deaths, dropouts, a patient with no
post-baseline value and one without a baseline ALB, plus 3 withdrawn patients
whose labs must be ignored).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.toolkit import longitudinal as L
from analysis.toolkit.schema import LAB_ANALYTES
from analysis.trial.data import load_trial
from analysis.toolkit.warnings import StatisticalWarning
from analysis.report import figures
from analysis.report import tables

# Runs in make test's second process, to balance the two (still part of make check).
pytestmark = pytest.mark.heavy

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "longitudinal_reference.json").read_text())
KEYS = {"describe": ["analyte", "arm", "week"], "paired": ["analyte", "arm", "week"],
        "between": ["analyte", "week"]}


@pytest.fixture(scope="module")
def trial():
    return load_trial(DATA / "longitudinal_trial")


@pytest.fixture(scope="module")
def frame(trial):
    return L.lab_frame(trial)


def _ref(name: str, **where) -> pd.DataFrame:
    r = pd.DataFrame(REF[name])
    for k, v in where.items():
        r = r[r[k] == v]
    return r.reset_index(drop=True)


def _align(ours: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    o = ours.copy()
    for k in keys:
        o[k] = o[k].astype(str) if k != "week" else o[k].astype(float)
    r = ref.copy()
    r["week"] = r["week"].astype(float)
    m = r.merge(o, on=keys, suffixes=("_r", ""), how="left", validate="one_to_one")
    assert len(m) == len(ref)
    return m


# ---------------------------------------------------------------------------
# The frame and missing data
# ---------------------------------------------------------------------------
def test_frame_grid_and_population(trial, frame):
    """One row per analysed patient x analyte x week; withdrawn patients excluded."""
    n_an = len(trial.analyzed)
    assert len(frame) == n_an * 4 * 4
    assert not frame["patient_id"].str.startswith("W").any()
    assert set(frame["status"]) <= {"observed", "died", "missing"}
    # values present exactly where observed
    assert (frame["value"].notna() == (frame["status"] == "observed")).all()


@pytest.mark.parametrize(
    "patient, analyte, week, status",
    [
        ("L003", "alb", 24.0, "died"),      # died at 4.0 months (week ~17.4)
        ("L003", "alb", 12.0, "observed"),
        ("L015", "tbil", 48.0, "died"),     # died at 8.0 months (week ~34.8)
        ("L015", "tbil", 24.0, "observed"),
        ("L005", "pta", 12.0, "missing"),   # dropped visit
        ("L020", "che", 48.0, "missing"),   # no post-baseline value at all
        ("L035", "pta", 24.0, "missing"),   # single missing analyte
        ("L035", "alb", 24.0, "observed"),
        ("L060", "alb", 0.0, "missing"),    # no baseline ALB
    ],
)
def test_visit_status_cases(frame, patient, analyte, week, status):
    row = frame[(frame["patient_id"] == patient) & (frame["analyte"] == analyte) & (frame["week"] == week)]
    assert row["status"].tolist() == [status]


def test_visit_status_counts_add_up(frame):
    vs = L.visit_status(frame)
    assert (vs["observed"] + vs["died"] + vs["missing"] == vs["n_scheduled"]).all()
    alb0 = vs[(vs["analyte"] == "alb") & (vs["arm"] == "ucmsc") & (vs["week"] == 0)].iloc[0]
    assert (alb0["observed"], alb0["missing"]) == (39, 1)
    d48 = vs[(vs["analyte"] == "tbil") & (vs["week"] == 48)].set_index("arm")["died"]
    assert d48.to_dict() == {"control": 4, "ucmsc": 4}


def test_baseline_missing_excludes_change(frame):
    """A patient without baseline ALB has no ALB change but keeps PTA changes."""
    f = frame[frame["patient_id"] == "L060"]
    assert f.loc[f["analyte"] == "alb", "change"].isna().all()
    assert f.loc[(f["analyte"] == "pta") & (f["week"] > 0), "change"].notna().all()


def test_lab_frame_rejects_absent_labs(trial):
    from dataclasses import replace

    with pytest.raises(ValueError, match="labs.csv"):
        L.lab_frame(replace(trial, labs=None))


@pytest.mark.parametrize("kw, match", [({"population": "itt"}, "population"),
                                       ({"analytes": ["ast"]}, "analytes"),
                                       ({"weeks": [12, 24]}, "week 0")])
def test_lab_frame_argument_errors(trial, kw, match):
    with pytest.raises(ValueError, match=match):
        L.lab_frame(trial, **kw)


# ---------------------------------------------------------------------------
# Descriptive statistics and t tests vs R t.test
# ---------------------------------------------------------------------------
def test_describe_vs_r(frame):
    """R: t.test(x); exp(t.test(log(x))$conf.int) per analyte, arm, week."""
    m = _align(L.describe_visits(frame), _ref("describe"), KEYS["describe"])
    assert (m["n"] == m["n_r"]).all()
    for c in ["mean", "sd", "se", "ci_low", "ci_high", "geo_mean", "geo_ci_low", "geo_ci_high"]:
        np.testing.assert_allclose(m[c], m[f"{c}_r"], rtol=1e-9, err_msg=c)


@pytest.mark.parametrize("scale", ["raw", "log"])
def test_paired_t_vs_r(frame, scale):
    """R: t.test(value, baseline, paired = TRUE) on complete pairs (log() of both for scale='log')."""
    ours = L.change_from_baseline(frame, log_analytes=() if scale == "raw" else LAB_ANALYTES)
    m = _align(ours, _ref("paired", scale=scale), KEYS["paired"])
    assert (m["n"] == m["n_r"]).all()
    for c in ["estimate", "ci_low", "ci_high", "statistic", "df", "p"]:
        np.testing.assert_allclose(m[c], m[f"{c}_r"], rtol=1e-9, err_msg=c)
    if scale == "log":
        np.testing.assert_allclose(m["effect"], np.exp(m["estimate_r"]), rtol=1e-9)
        assert (m["effect_type"] == "ratio").all()


@pytest.mark.parametrize(
    "ref_name, equal_var, scale, on",
    [(n, ev, s, o) for n, ev in [("student", True), ("welch", False)]
     for s in ["raw", "log"] for o in ["value", "change"]],
)
def test_between_arm_t_vs_r(frame, ref_name, equal_var, scale, on):
    """R: t.test(y[ucmsc], y[control], var.equal = TRUE / FALSE) per analyte and week."""
    logs = () if scale == "raw" else LAB_ANALYTES
    ours = L.between_arm_t(frame, on=on, equal_var=equal_var, log_analytes=logs)
    m = _align(ours, _ref(ref_name, scale=scale, on=on), KEYS["between"])
    assert (m["n_control"] == m["n_control_r"]).all() and (m["n_ucmsc"] == m["n_ucmsc_r"]).all()
    for c in ["estimate", "ci_low", "ci_high", "statistic", "df", "p"]:
        np.testing.assert_allclose(m[c], m[f"{c}_r"], rtol=1e-9, err_msg=c)


def test_between_arm_direction_flips_sign(frame):
    a = L.between_arm_t(frame)
    b = L.between_arm_t(frame, direction="control_vs_ucmsc")
    np.testing.assert_allclose(a["estimate"], -b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["ci_low"], -b["ci_high"], rtol=1e-12)
    np.testing.assert_allclose(a["p"], b["p"], rtol=1e-12)


def test_paired_t_hand_computation():
    """Hand computation: differences 1, 2, 3 -> mean 2, SD 1, t = 2 / (1 / sqrt 3), df 2."""
    f = pd.DataFrame({
        "patient_id": ["a", "b", "c"] * 2, "arm": "control", "analyte": "alb",
        "week": [0.0] * 3 + [12.0] * 3, "value": [10, 20, 30, 11, 22, 33.0],
        "baseline": [10, 20, 30] * 2, "status": "observed", "has_baseline": True,
    })
    r = L.change_from_baseline(f).iloc[0]
    t = 2 / (1 / np.sqrt(3))
    from math import sqrt
    assert r["n"] == 3 and r["df"] == 2
    np.testing.assert_allclose([r["estimate"], r["se"], r["statistic"]], [2.0, 1 / sqrt(3), t], rtol=1e-12)
    # two-sided p of t(2): 1 - t / sqrt(t^2 + 2)  (closed form for 2 df)
    np.testing.assert_allclose(r["p"], 1 - t / np.sqrt(t * t + 2), rtol=1e-12)


def test_too_few_pairs_warns():
    f = pd.DataFrame({"patient_id": ["a", "a"], "arm": "ucmsc", "analyte": "pta", "week": [0.0, 12.0],
                      "value": [50.0, 55.0], "baseline": 50.0, "status": "observed", "has_baseline": True})
    with pytest.warns(StatisticalWarning, match="fewer than two"):
        r = L.change_from_baseline(f)
    assert np.isnan(r["p"].iloc[0]) and r["estimate"].iloc[0] == 5.0


def test_log_scale_rejects_non_positive(frame):
    f = frame.copy()
    f.loc[(f["analyte"] == "tbil") & (f["status"] == "observed"), "value"] = 0.0
    with pytest.raises(ValueError, match="> 0 for the log scale"):
        L.change_from_baseline(f, log_analytes=("tbil",))


@pytest.mark.parametrize("fn, kw, match", [
    (L.between_arm_t, {"on": "level"}, "on must be"),
    (L.between_arm_t, {"direction": "up"}, "direction"),
    (L.change_from_baseline, {"log_analytes": ("ast",)}, "log_analytes"),
    (L.describe_visits, {"conf_level": 95}, "conf_level"),
])
def test_argument_errors(frame, fn, kw, match):
    with pytest.raises(ValueError, match=match):
        fn(frame, **kw)


def test_frame_must_come_from_lab_frame():
    with pytest.raises(ValueError, match="lab_frame"):
        L.describe_visits(pd.DataFrame({"analyte": ["alb"]}))


# ---------------------------------------------------------------------------
# MMRM vs nlme::gls, ANCOVA vs lm
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fits(frame):
    return {a: L.mmrm(frame, a) for a in ("alb", "pta", "che", "tbil")}


@pytest.mark.parametrize("analyte", ["alb", "pta", "che", "tbil"])
def test_mmrm_vs_nlme_gls(fits, analyte):
    """R: gls(y ~ 0 + visit + visit:ucmsc + visit:yb, correlation = corSymm(form = ~ vi | patient_id),
    weights = varIdent(form = ~ 1 | visit), method = "REML") (better of nlminb and BFGS fits).

    The REML surface is flat near its optimum, so optimisers agree on the
    covariance to about 1e-5 and on the fixed effects to about 1e-7.
    """
    r = fits[analyte]
    ref = _ref("mmrm", analyte=analyte)
    s = r.summary
    assert r.scale == ref["scale"].iloc[0] == ("log" if analyte in L.LOG_ANALYTES else "raw")
    assert s["n_control"].tolist() == ref["n_control"].tolist()
    assert s["n_ucmsc"].tolist() == ref["n_ucmsc"].tolist()
    np.testing.assert_allclose(s["df"], ref["df"])
    for c in ["estimate", "se", "ci_low", "ci_high", "statistic"]:
        np.testing.assert_allclose(s[c], ref[c], rtol=1e-5, err_msg=c)
    np.testing.assert_allclose(s["p"], ref["p"], rtol=1e-4)
    cov = REF["mmrm_covariance"][analyte]
    np.testing.assert_allclose(r.sigma.to_numpy(), np.array(cov["matrix"]), rtol=1e-4)
    np.testing.assert_allclose(r.loglik, cov["logLik"], atol=1e-6)
    assert (r.n_patients, r.n_obs) == (cov["n_patients"], cov["n_obs"])
    assert r.converged


def test_mmrm_excluded_counts(fits):
    assert dict(fits["alb"].excluded) == {"no baseline value": 1, "no post-baseline value": 1}
    assert dict(fits["pta"].excluded) == {"no baseline value": 0, "no post-baseline value": 1}


def test_ancova_vs_r_lm(frame):
    """R: lm(y ~ ucmsc + yb) per analyte and week (log scale for CHE and TBIL)."""
    m = _align(L.ancova_by_week(frame), _ref("ancova"), KEYS["between"])
    assert (m["n_control"] == m["n_control_r"]).all()
    assert (m["scale"] == m["scale_r"]).all()
    for c in ["estimate", "se", "ci_low", "ci_high", "statistic", "df", "p"]:
        np.testing.assert_allclose(m[c], m[f"{c}_r"], rtol=1e-9, err_msg=c)


def test_mmrm_equals_ancova_with_complete_data(frame):
    """With no missing values, GLS with an unstructured covariance and visit-specific regressors is
    OLS visit by visit (Zellner 1962), so MMRM and per-week ANCOVA estimates coincide."""
    complete = frame.groupby("patient_id")["status"].transform(lambda s: (s == "observed").all())
    f = frame[complete & frame["has_baseline"]]
    assert f["patient_id"].nunique() < frame["patient_id"].nunique()  # some patients were dropped
    mm = L.mmrm(f, "pta").summary
    an = L.ancova_by_week(f, log_analytes=())
    an = an[an["analyte"] == "pta"]
    np.testing.assert_allclose(mm["estimate"], an["estimate"], rtol=1e-6)


def test_mmrm_direction_and_log_switch(frame, fits):
    rev = L.mmrm(frame, "tbil", direction="control_vs_ucmsc").summary
    np.testing.assert_allclose(rev["estimate"], -fits["tbil"].summary["estimate"], rtol=1e-6)
    np.testing.assert_allclose(fits["tbil"].summary["effect"], np.exp(fits["tbil"].summary["estimate"]), rtol=1e-12)
    raw = L.mmrm(frame, "tbil", log=False)
    assert raw.scale == "raw" and (raw.summary["effect_type"] == "difference").all()


def test_mmrm_normal_df(frame, fits):
    z = L.mmrm(frame, "alb", df_method="normal").summary
    np.testing.assert_allclose(z["estimate"], fits["alb"].summary["estimate"], rtol=1e-6)
    assert np.isinf(z["df"]).all()
    assert (z["ci_high"] - z["ci_low"] < fits["alb"].summary["ci_high"] - fits["alb"].summary["ci_low"]).all()


def test_mmrm_arm_without_values(frame):
    f = frame[~((frame["analyte"] == "alb") & (frame["week"] == 48) & (frame["arm"] == "ucmsc"))]
    with pytest.raises(ValueError, match="week 48"):
        L.mmrm(f, "alb")


@pytest.fixture(scope="module")
def adjusted(frame):
    return L.adjusted_effects(frame)


def test_adjusted_effects_stacks(adjusted, fits):
    adj = adjusted
    assert list(adj["analyte"].unique()) == ["alb", "pta", "che", "tbil"]
    np.testing.assert_allclose(adj.loc[adj["analyte"] == "che", "estimate"], fits["che"].summary["estimate"],
                               rtol=1e-8)
    assert (adj.loc[adj["analyte"] == "alb", "n_excluded"] == 2).all()


# ---------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------
def _tests(est, p, n=30):
    """A minimal paired/between table with given estimate and p at weeks 12, 24, 48."""
    paired = pd.DataFrame({"analyte": "alb", "arm": ["ucmsc"] * 3 + ["control"] * 3,
                           "week": [12.0, 24.0, 48.0] * 2, "n": n, "estimate": est * 2, "p": p * 2})
    between = pd.DataFrame({"analyte": "alb", "week": [12.0, 24.0, 48.0], "n_control": n, "n_ucmsc": n,
                            "estimate": est, "p": p, "on": "value"})
    return paired, between


@pytest.mark.parametrize(
    "direction, comparison, est, p, n_ok, status, detail",
    [
        ("up", "vs_baseline", [1, 2, 3], [0.01, 0.01, 0.01], 6, "agrees", "every check"),
        ("up", "vs_baseline", [1, -2, 3], [0.01, 0.01, 0.01], 4, "differs", "some checks"),
        ("down", "vs_baseline", [1, 2, 3], [0.01, 0.01, 0.01], 0, "differs", "no check"),
        ("up", "vs_control", [1, 2, 3], [0.01, 0.2, 0.04], 2, "differs", "some checks"),
        ("none", "vs_control", [1, 2, 3], [0.5, 0.2, 0.06], 3, "agrees", "every check"),
        ("none", "vs_control", [1, 2, 3], [0.5, 0.2, 0.049], 2, "differs", "some checks"),
        ("none", "vs_control", [1, 2, 3], [0.5, 0.2, 0.05], 3, "agrees", "every check"),  # p = alpha is not significant
        ("up", "vs_control", [1, 2, 3], [0.01, np.nan, 0.01], 2, "differs", "some checks"),  # an undefined test fails
        ("up", "vs_control", [1, 2, 3], [np.nan] * 3, 0, "not computable", "no check computable"),
    ],
)
def test_evaluate_statements_rule(direction, comparison, est, p, n_ok, status, detail):
    from analysis.toolkit.agreement import STATUSES

    paired, between = _tests(est, p)
    st = [{"id": "s", "text": "t", "analyte": "alb", "arm": "both", "comparison": comparison,
           "direction": direction, "weeks": [12, 24, 48]}]
    r = L.evaluate_statements(st, paired, between).iloc[0]
    assert (r["n_consistent"], r["status"], r["detail"]) == (n_ok, status, detail)
    assert r["n_checks"] == (6 if comparison == "vs_baseline" else 3)
    assert r["status"] in STATUSES


def test_evaluate_statements_missing_week_differs():
    """A week without a test counts against the statement: it cannot agree at every week."""
    paired, between = _tests([1, 2, 3], [0.01, 0.01, 0.01])
    st = [{"id": "s", "text": "t", "analyte": "alb", "arm": "ucmsc", "comparison": "vs_control",
           "direction": "up", "weeks": [12, 24, 48]}]
    r = L.evaluate_statements(st, paired, between[between["week"] != 48]).iloc[0]
    assert (r["n_checks"], r["n_consistent"], r["status"], r["detail"]) == (3, 2, "differs", "some checks")


def test_evaluate_statements_on_cohort(frame, adjusted):
    from analysis import load_published

    st = load_published().liver_function_statements
    r = L.evaluate_statements(st, L.change_from_baseline(frame), L.between_arm_t(frame), adjusted)
    assert r["id"].tolist() == [s["id"] for s in st]
    assert (r["n_consistent"] <= r["n_checks"]).all()
    vb = r["comparison"] == "vs_baseline"
    assert (r.loc[vb, "detail_adjusted"] == "not applicable").all() and r.loc[vb, "status_adjusted"].isna().all()
    assert r.loc[~vb, "n_consistent_adjusted"].notna().all()
    assert set(r["status"]) | set(r.loc[~vb, "status_adjusted"]) <= {"agrees", "differs"}
    assert ((r["status"] == "agrees") == (r["n_consistent"] == r["n_checks"])).all()


def test_evaluate_statements_rejects_change_table(frame):
    with pytest.raises(ValueError, match="on='value'"):
        L.evaluate_statements([], L.change_from_baseline(frame), L.between_arm_t(frame, on="change"))


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------
def test_plot_lab_means(frame):
    import matplotlib.pyplot as plt

    fig = figures.plot_lab_means(L.describe_visits(frame), geometric=L.LOG_ANALYTES)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4
    assert "geometric" in axes[3].get_ylabel() and "µmol/L" in axes[3].get_ylabel()
    plt.close(fig)


def test_trajectories_only_for_synthetic(trial):
    import matplotlib.pyplot as plt
    from dataclasses import replace

    with pytest.raises(PermissionError, match="synthetic"):
        figures.plot_trajectories(trial)
    fig = figures.plot_trajectories(replace(trial, synthetic=True), n_per_arm=3, seed=1)
    lines = sum(len(ax.get_lines()) for ax in fig.axes)
    assert lines == 4 * 6
    plt.close(fig)


# ---------------------------------------------------------------------------
# Display
# ---------------------------------------------------------------------------
def test_format_estimates_snapshot(frame):
    """Snapshot of the rendered rows (numbers are tested against R above)."""
    adj = tables.format_estimates(L.adjusted_effects(frame, analytes=["alb", "tbil"]))
    assert adj.columns.tolist() == ["Analyte", "Week", "n", "Effect", "Estimate (95% CI)", "p"]
    assert adj.iloc[0].tolist() == ["ALB (g/L)", "12", "38/38", "difference", "-0.1 (-1.9 to 1.6)", "0.895"]
    assert adj.iloc[3]["Effect"] == "ratio" and adj.iloc[3]["Analyte"] == "TBIL (µmol/L)"
    paired = tables.format_estimates(L.change_from_baseline(frame))
    assert paired.columns.tolist() == ["Analyte", "Week", "Arm", "n", "Effect", "Estimate (95% CI)", "p"]


def test_format_visits(frame):
    out = tables.format_visits(L.describe_visits(frame), L.visit_status(frame))
    assert out["Analyte"].str.split(" ").str[0].unique().tolist() == ["ALB", "PTA", "CHE", "TBIL"]
    row = out[(out["Analyte"] == "ALB (g/L)") & (out["Week"] == "48")].iloc[0]
    desc = L.describe_visits(frame)
    d = desc[(desc["analyte"] == "alb") & (desc["arm"] == "control") & (desc["week"] == 48)].iloc[0]
    assert row["Control, mean ± SD (n)"] == f"{d['mean']:.1f} ± {d['sd']:.1f} ({d['n']})"
    assert row["Control missing (died/other)"] == "4/2"


def test_format_rejects_other_tables(frame):
    with pytest.raises(ValueError, match="estimate table"):
        tables.format_estimates(L.visit_status(frame))
    with pytest.raises(ValueError, match="describe_visits"):
        tables.format_visits(L.visit_status(frame))


def test_message_figure():
    import matplotlib.pyplot as plt

    fig = figures.message_figure("absent")
    assert [t.get_text() for t in fig.axes[0].texts] == ["absent"]
    plt.close(fig)


def test_mmrm_warns_when_not_converged(frame, monkeypatch):
    from scipy import optimize

    real = optimize.minimize

    def one_step(*args, **kw):
        kw["options"] = {**kw.get("options", {}), "maxiter": 1}
        return real(*args, **kw)

    monkeypatch.setattr(L.optimize, "minimize", one_step)
    with pytest.warns(StatisticalWarning, match="did not converge"):
        r = L.mmrm(frame, "pta")
    assert not r.converged


def test_reml_gradient_equals_finite_differences(trial):
    """The exact gradient of -2 REML (used by BFGS) against central differences, at a point away
    from the optimum, for every analyte's visit patterns."""
    from scipy import optimize

    import analysis.toolkit.longitudinal as lf

    frame = lf.lab_frame(trial, weeks=(0, 12, 24, 48))
    captured = []
    real = optimize.minimize

    def spy(fun, x0, args=(), **kw):
        captured.append((x0, args))
        return real(fun, x0, args=args, **kw)

    lf.optimize.minimize = spy
    try:
        lf.adjusted_effects(frame)
    finally:
        lf.optimize.minimize = real
    assert len(captured) == 4
    for x0, args in captured:
        x = x0 + 0.1
        _, grad = lf._neg2reml_and_grad(x, *args)
        h = 1e-5
        num = np.array([(lf._neg2reml(x + h * e, *args) - lf._neg2reml(x - h * e, *args)) / (2 * h)
                        for e in np.eye(len(x))])
        np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-5 * np.abs(num).max())
