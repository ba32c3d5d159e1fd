"""Design chapter: the paper's sample-size plan, its power, and power against the reported effect.

Almost everything here is computed from published numbers, not from patient data: the plan's
inputs (``published``), what the plan implies (hazards, required deaths and patients by each
method, power by each method: ``computed`` from the published numbers), whole trials simulated
under the plan and under the effect the paper reports (``computed``, Monte Carlo, from the fixed
seeds :data:`SEED`, :data:`SEED` + 1 and :data:`SEED` + 2, so the same numbers every run). The
trial data are used once: the deaths observed within the paper's horizon.

Conventions (explicit arguments of the toolkit functions called here): every hazard ratio shown is
in the paper's direction, control relative to UC-MSC (:data:`DESIGN_DIRECTION`, the inverse of the
design literature's treatment-relative-to-control ratio the toolkit's design functions use); log-rank tests two-sided at the plan's level; exponential survival
fitted to the plan's survival probabilities; uniform accrual.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...toolkit import design as ds
from ...toolkit import simulate as sm
from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...toolkit.survival import endpoint_frame
from ...trial import paper
from ...trial.published import Published
from ..results import ChapterResults, computed_once
from . import _endpoints
from ._conventions import add_conventions
from .survival import HR_DIRECTION

__all__ = ["SEED", "N_TRIALS", "CURVE_SIZES", "DESIGN_DIRECTION", "HR_DIRECTION", "SCENARIO_KEYS", "compute"]

#: Seed of the simulations (the plan: SEED; the power curve: SEED + 1; the Peto check: SEED + 2).
#: Fixed so that the chapter's numbers are the same on every run; any seed gives valid results.
SEED = 20210301
#: Simulated trials per scenario: the Monte Carlo SE of a power near 0.8 is about 0.009.
N_TRIALS = 2000
#: Patients per arm of the power curve besides the planned and inflated sizes.
CURVE_SIZES = (40, 60, 80, 150)
#: Direction of every hazard ratio the chapter shows (the paper's; the toolkit's design objects hold
#: the inverse, treatment relative to control).
DESIGN_DIRECTION = "control relative to UC-MSC"
#: Keys of :func:`analysis.trial.paper.paper_scenarios`, in its order (per reading: the plan, the
#: inflated sample with the observed dropout, the analysed patients).
SCENARIO_KEYS = tuple(f"{kind}.{reading}" for reading in paper.READINGS for kind in ("plan", "inflated", "analysed"))

_PLAN_NOTE = "computed from the paper's published plan (no patient data)"
_METHOD_NAMES = {"schoenfeld": "Schoenfeld", "freedman": "Freedman", "lachin_foulkes": "Lachin-Foulkes",
                 "asymptotic": "asymptotic log-rank"}
_TESTS = ("logrank", "landmark", "rmst")
_TEST_NAMES = {"logrank": "log-rank test", "landmark": "landmark log-rank test", "rmst": "RMST difference"}


def _reading_name(reading: str, pub: Published) -> str:
    fu = pub.sample_size["followup_months"]
    return {"total_duration": f"study of {fu:g} months in total",
            "minimum_follow_up": f"{fu:g} months minimum follow-up"}[reading]


def _published_plan(res: ChapterResults, pub: Published) -> None:
    plan = pub.sample_size
    src = plan["source"]
    rows = (
        ("survival_time_months", "Time point of the planned survival probabilities", "months", "ds_pub_time"),
        ("survival_control", "Planned survival at that time, control", "proportion", "ds_pub_sc"),
        ("survival_ucmsc", "Planned survival at that time, UC-MSC", "proportion", "ds_pub_st"),
        ("n_per_arm", "Planned patients per arm", "patients", "ds_pub_n"),
        ("n_per_arm_inflated", "Patients per arm after inflation for dropout", "patients", "ds_pub_n125"),
        ("accrual_months", "Planned accrual period", "months", "ds_pub_accrual"),
        ("followup_months", "Planned follow-up (\"over\" this many months)", "months", "ds_pub_fu"),
        ("power_at_least", "Planned power (\"more than\")", "proportion", "ds_pub_power"),
        ("alpha", "Two-sided significance level of the plan", "probability", "ds_pub_alpha"),
    )
    for key, label, unit, glue in rows:
        res.add(f"design.plan.{key}", label, plan[key], unit=unit, published=plan[key], provenance="published",
                source=src, glue={glue: "value"})
    res.add("design.plan.software", "Software of the sample-size calculation", str(plan["software"]),
            provenance="published", source=src, glue={"ds_pub_software": "value"})
    L = pub.landmarks["os"]
    res.add("design.published.landmark_os", "Landmark of the paper's overall-survival analysis", L, unit="months",
            published=L, provenance="published", source=pub.hazard_ratios[f"os.landmark{int(L)}.late"].source,
            glue={"ds_landmark": "value"})
    for rid, key, label, glue in (
            ("design.published.hr_early", f"os.landmark{int(L)}.early", "before the landmark", "ds_hr_early"),
            ("design.published.hr_late", f"os.landmark{int(L)}.late", "after the landmark", "ds_hr_late"),
            ("design.published.hr_overall", "os.cox", "over the whole follow-up", "ds_hr_overall")):
        h = pub.hazard_ratios[key]
        res.add(rid, f"Published overall-survival hazard ratio {label}", h.hr, unit="ratio",
                direction=HR_DIRECTION, published=h.hr, provenance="published", source=h.source,
                glue={glue: "value"})
    h = pub.hazard_ratios["os.cox"]
    res.add("design.published.p_overall", "Published p of the overall-survival hazard ratio", h.p, unit="p",
            published=h.p, provenance="published", source=h.source, glue={"ds_p_overall": "value"})


def _plan(res: ChapterResults, pub: Published, designs: dict) -> None:
    d_a, d_b = designs["total_duration"], designs["minimum_follow_up"]
    res.add("design.plan.hazard_control", "Planned control hazard (exponential)", d_a.hazard_control.rates[0],
            unit="per month", note=_PLAN_NOTE, glue={"ds_lc": "value"})
    res.add("design.plan.hazard_ucmsc", "Planned UC-MSC hazard (exponential)", d_a.hazard_treatment.rates[0],
            unit="per month", note=_PLAN_NOTE, glue={"ds_lt": "value"})
    res.add("design.plan.hazard_ratio", "Design hazard ratio of the plan (control relative to UC-MSC)",
            1 / d_a.hazard_ratio, unit="ratio", direction=DESIGN_DIRECTION, note=_PLAN_NOTE, glue={"ds_hr": "value"})
    res.add("design.total_duration.min_follow_up", "Follow-up of the last patient when the study lasts the planned "
            "follow-up in total", d_a.follow_up, unit="months", note=_PLAN_NOTE, glue={"ds_fu_a": "value"})
    res.add("design.minimum_follow_up.study_duration", "Study duration when every patient is followed for the planned "
            "follow-up", d_b.study_duration, unit="months", note=_PLAN_NOTE, glue={"ds_T_b": "value"})
    rec = pub.raw["recruitment"]
    res.add("design.accrual.observed", "Recruitment period, first to last screening date",
            paper.observed_accrual_months(pub), unit="months", source=rec["source"],
            note="computed from the published first and last screening dates (months of 365.25/12 days)",
            glue={"ds_accrual_obs": "value"})
    od = paper.observed_dropout(pub)
    for a, glue in (("control", "ds_drop_c"), ("ucmsc", "ds_drop_t")):
        res.add(f"design.dropout.{a}", f"Withdrew or lost to follow-up, fraction of those randomized, {ARM_LABELS[a]}",
                od[f"fraction_{a}"], unit="proportion", source=pub.consort["source"],
                note="computed from the published CONSORT flow; read as exponential dropout reaching this "
                     f"fraction at {od['time']:g} months", glue={glue: "value"})


def _sample_size(res: ChapterResults, pub: Published, designs: dict) -> pd.DataFrame:
    plan = pub.sample_size
    d_a, d_b = designs["total_duration"], designs["minimum_follow_up"]
    need = ds.sample_size_table(designs.values(), alpha=plan["alpha"], power=plan["power_at_least"],
                                sides=plan["sides"])
    by_label = {d.label: r for r, d in designs.items()}
    for row in need.itertuples():
        reading = by_label[row.label]
        first = reading == "total_duration" and row.method == "schoenfeld"
        where = f"{_METHOD_NAMES[row.method]}, {_reading_name(reading, pub)}"
        res.add(f"design.need.{reading}.{row.method}.events", f"Deaths needed for the planned power ({where})",
                row.events, unit="deaths", note=_PLAN_NOTE, glue={"ds_need_events": "value"} if first else {})
        glue = {}
        if first:
            glue = {"ds_need_n_a": "value"}
        elif reading == "minimum_follow_up" and row.method == "schoenfeld":
            glue = {"ds_need_n_b": "value"}
        res.add(f"design.need.{reading}.{row.method}.n_per_arm", f"Patients per arm needed for the planned power "
                f"({where})", row.n_control, unit="patients", note=_PLAN_NOTE, glue=glue)
    a = need[need["label"] == d_a.label].set_index("method")
    res.add("design.need.total_duration.max_n_per_arm", "Patients per arm needed for the planned power, largest over "
            f"the methods ({_reading_name('total_duration', pub)})", a["n_control"].max(), unit="patients",
            note=_PLAN_NOTE, glue={"ds_need_n_a_max": "value"})
    res.add("design.need.plan_ratio", "Planned patients per arm relative to Schoenfeld's requirement "
            f"({_reading_name('total_duration', pub)})", plan["n_per_arm"] / a.loc["schoenfeld", "n_control"],
            unit="ratio", note=_PLAN_NOTE, glue={"ds_plan_ratio": "value"})
    n_total = 2 * plan["n_per_arm"]
    for reading, d, key in (("total_duration", d_a, "a"), ("minimum_follow_up", d_b, "b")):
        hr = ds.detectable_hazard_ratio(d, n_total, power=plan["power_at_least"])
        res.add(f"design.detectable_hr.{reading}", f"Hazard ratio the planned patients detect with the planned power "
                f"(Schoenfeld, {_reading_name(reading, pub)})", 1 / hr, unit="ratio", direction=DESIGN_DIRECTION,
                note=_PLAN_NOTE, glue={f"ds_hr_detect_{key}": "value"})
        if reading == "total_duration":
            res.add("design.detectable_survival_ucmsc", "UC-MSC survival at the plan's time point implied by the "
                    f"detectable hazard ratio ({_reading_name(reading, pub)})", plan["survival_control"] ** hr,
                    unit="proportion", note=_PLAN_NOTE, glue={"ds_s_detect_a": "value"})
    return need


def _power(res: ChapterResults, pub: Published, scenarios: list) -> pd.DataFrame:
    plan = pub.sample_size
    power = ds.power_table(scenarios, alpha=plan["alpha"], sides=plan["sides"])
    keys = dict(zip((s.label for s in scenarios), SCENARIO_KEYS))
    ana = {"schoenfeld": "ds_ana_schoenfeld", "asymptotic": "ds_ana_asymptotic", "freedman": "ds_ana_freedman"}
    for label, g in power.groupby("scenario", sort=False):
        key = keys[label]
        for row in g.itertuples():
            glue = {ana[row.method]: "value"} if key == "plan.total_duration" and row.method in ana else {}
            res.add(f"design.power.{key}.{row.method}", f"Power under the planning assumptions, {label} "
                    f"({_METHOD_NAMES[row.method]})", row.power, unit="proportion", note=_PLAN_NOTE, glue=glue)
        lo_glue = {"plan.total_duration": "ds_pw_plan_min", "plan.minimum_follow_up": "ds_pw_plan_b_min",
                   "inflated.total_duration": "ds_pw_infl_min", "analysed.total_duration": "ds_pw_anal_min"}
        res.add(f"design.power.{key}.min", f"Power under the planning assumptions, {label}, lowest over the methods",
                g["power"].min(), unit="proportion", note=_PLAN_NOTE,
                glue={lo_glue[key]: "value"} if key in lo_glue else {})
        res.add(f"design.power.{key}.max", f"Power under the planning assumptions, {label}, highest over the methods",
                g["power"].max(), unit="proportion", note=_PLAN_NOTE,
                glue={"ds_pw_plan_max": "value"} if key == "plan.total_duration" else {})
        glue = {"plan.total_duration": {"ds_ev_plan_a": "value", "ds_ev_a_T": "value"},
                "plan.minimum_follow_up": {"ds_ev_b_T": "value"}}.get(key, {})
        res.add(f"design.power.{key}.events", f"Expected deaths at the analysis, {label}", g["events"].iloc[0],
                unit="deaths", note=_PLAN_NOTE, glue=glue)
    return power


def _deaths(res: ChapterResults, trial: Trial, pub: Published, d_a) -> None:
    H = pub.horizon
    note = ("the paper does not report deaths; the synthetic cohort derives them from the published confidence "
            "interval widths" if trial.synthetic else "")
    if "os" in _endpoints.present(trial):
        os_df = endpoint_frame(trial, "os", horizon=H)
        deaths = {a: int(os_df.loc[os_df["arm"] == a, "event"].sum()) for a in ARMS}
    else:  # a survival-only dataset with HCC only
        deaths, note = {a: None for a in ARMS}, _endpoints.absent_note("os")
    res.add("design.observed_deaths.total", f"Deaths within {H:g} months in the analysed data, both arms",
            None if None in deaths.values() else sum(deaths.values()), unit="deaths",
            provenance="by construction", note=note, glue={"ds_obs_deaths": "value"})
    keys = {"control": "ds_obs_deaths_c", "ucmsc": "ds_obs_deaths_t"}
    for a in ARMS:
        res.add(f"design.observed_deaths.{a}", f"Deaths within {H:g} months in the analysed data, {ARM_LABELS[a]}",
                deaths[a], unit="deaths", provenance="by construction", note=note, glue={keys[a]: "value"})
    n_an = pub.consort["analyzed"]
    fixed = ds.events_with_fixed_follow_up(d_a, n_an["control"], n_an["ucmsc"], H)
    fnote = (f"computed from the published plan's hazards and the published analysed patients, each followed "
             f"{H:g} months (no patient data)")
    for k, part, glue in (("events", "both arms", "ds_fixed_deaths"), ("events_control", ARM_LABELS["control"],
                          "ds_fixed_deaths_c"), ("events_treatment", ARM_LABELS["ucmsc"], "ds_fixed_deaths_t")):
        arm = {"events": "total", "events_control": "control", "events_treatment": "ucmsc"}[k]
        res.add(f"design.fixed_follow_up_deaths.{arm}", f"Deaths the plan predicts among the analysed patients "
                f"followed {H:g} months, {part}", fixed[k], unit="deaths", note=fnote, glue={glue: "value"})


def _simulate_plan(res: ChapterResults, pub: Published, d_a, power: pd.DataFrame) -> sm.SimulationResult:
    plan = pub.sample_size
    n = plan["n_per_arm"]
    res.add("design.simulation.n_trials", "Simulated trials per scenario", N_TRIALS, unit="trials",
            note="a setting of this chapter (N_TRIALS), not a statistic", glue={"ds_ntrials": "value"})
    sim = sm.simulate_power(d_a, n, n, n_trials=N_TRIALS, rng=np.random.default_rng(SEED), alpha=plan["alpha"],
                            sides=plan["sides"], progress=False)
    sp = sim.summary.set_index("test").loc["logrank"]
    res.add("design.simulation.plan.logrank.power", "Simulated power of the log-rank test under the plan "
            f"({_reading_name('total_duration', pub)}; 95% Wilson interval)", sp["power"], ci_low=sp["ci_low"],
            ci_high=sp["ci_high"], unit="proportion",
            note=f"Monte Carlo over {N_TRIALS} simulated trials of the published plan (seed {SEED}); no patient data",
            glue={"ds_sim_plan": "value", "ds_sim_plan_lo": "ci_low", "ds_sim_plan_hi": "ci_high"})
    ana = power[power["scenario"] == power["scenario"].iloc[0]].set_index("method")["power"]
    closest = (ana - sp["power"]).abs().idxmin()
    res.add("design.simulation.plan.closest_method", "Analytic method closest to the simulated power",
            closest.replace("_", "-").title(), glue={"ds_closest": "value"})
    return sim


def _reported_effect(res: ChapterResults, pub: Published) -> dict:
    plan = pub.sample_size
    n100, n125 = plan["n_per_arm"], plan["n_per_arm_inflated"]
    tau = float(plan["survival_time_months"])
    L = pub.landmarks["os"]
    d_nph = paper.reported_effect_design(pub, reading="total_duration")
    sizes = sorted({*CURVE_SIZES, n100, n125})
    curve = sm.power_curve(d_nph, sizes, rng=np.random.default_rng(SEED + 1), n_trials=N_TRIALS, tests=_TESTS,
                           landmark=L, tau=tau, alpha=plan["alpha"], sides=plan["sides"], analytic=("asymptotic",),
                           progress=False)
    res.add("design.reported_effect.tau", "Restriction time of the RMST difference (the plan's time point)", tau,
            unit="months", published=plan["survival_time_months"], provenance="published", source=plan["source"],
            glue={"ds_tau": "value"})
    assumptions = ("computed from published numbers under this chapter's assumptions (the planned constant control "
                   "hazard divided by the published landmark hazard ratios before and after the landmark)")
    note = f"{assumptions}; Monte Carlo over {N_TRIALS} simulated trials per size (seed {SEED + 1}); no patient data"
    short = {"logrank": "lr", "landmark": "lm", "rmst": "rmst"}
    sim_rows = curve[curve["source"] == "simulation"]
    for row in sim_rows.itertuples():
        glue = {}
        if row.n_per_arm in (n100, n125):
            glue = {f"ds_nph_{short[row.test]}_{row.n_per_arm}": "value"}
        res.add(f"design.reported_effect.power.{row.test}.n{row.n_per_arm}", f"Simulated power of the "
                f"{_TEST_NAMES[row.test]} under the reported effect, {row.n_per_arm} per arm (95% Wilson interval)",
                row.power, ci_low=row.ci_low, ci_high=row.ci_high, unit="proportion", note=note, glue=glue)
        if row.test == "logrank" and row.n_per_arm in (n100, n125):
            res.add(f"design.reported_effect.miss.logrank.n{row.n_per_arm}", "Simulated probability that the "
                    f"log-rank test misses significance under the reported effect, {row.n_per_arm} per arm",
                    1 - row.power, unit="proportion", note=note, glue={f"ds_nph_miss_{row.n_per_arm}": "value"})
    for row in curve[curve["source"] == "analytic"].itertuples():
        res.add(f"design.reported_effect.power.logrank_asymptotic.n{row.n_per_arm}", "Power of the log-rank test "
                f"under the reported effect, asymptotic formula, {row.n_per_arm} per arm", row.power,
                unit="proportion", note=f"{assumptions}; no patient data",
                glue={f"ds_nph_ana_{row.n_per_arm}": "value"} if row.n_per_arm == n100 else {})
    big = sm.simulate_power(d_nph, n125, n125, n_trials=N_TRIALS, rng=np.random.default_rng(SEED + 2),
                            progress=False)
    res.add("design.reported_effect.peto_hr_median", "Median one-step (Peto) hazard ratio over simulated trials "
            f"under the reported effect, {n125} per arm", float(np.median(big.trials["hr_peto"])), unit="ratio",
            direction=HR_DIRECTION,
            note=f"a check of the assumed hazards against the paper's overall hazard ratio (design.published."
                 f"hr_overall); {N_TRIALS} simulated trials (seed {SEED + 2}); no patient data",
            glue={"ds_peto_median": "value"})
    hc, ht = d_nph.hazard_control, d_nph.hazard_treatment
    hazards = pd.DataFrame({"from month": ht.breaks, "control hazard": hc.rates, "UC-MSC hazard": ht.rates,
                            "control / UC-MSC": np.array(hc.rates) / np.array(ht.rates)})
    table = curve.pivot_table(index="n_per_arm", columns=["source", "test"], values="power")
    return {"design_reported_effect": d_nph, "reported_effect_hazards": hazards, "power_curve": curve,
            "power_curve_table": table, "peto_simulation": big}


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The design chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data; only its deaths within the paper's horizon (analysed patients) are used.
    published : Published
        The paper's numbers: the sample-size plan, the CONSORT flow, the recruitment dates and
        the overall-survival hazard ratios.

    Returns
    -------
    ChapterResults
        Results with ids ``design.*``; objects ``designs`` (reading -> SurvivalDesign),
        ``plan_table``, ``sample_size``, ``sample_size_table``, ``scenarios``, ``power``,
        ``power_display``, ``plan_n_total``, ``simulation_plan``, ``simulation_plan_table``,
        ``design_reported_effect``, ``reported_effect_hazards``, ``power_curve``,
        ``power_curve_table``, ``peto_simulation``, ``power_target``, ``power_marks``.

    Notes
    -----
    The simulations draw from ``numpy.random.default_rng`` seeded with :data:`SEED` (the
    plan), ``SEED + 1`` (the power curve) and ``SEED + 2`` (the Peto check), so the results are
    identical on every run.
    """
    pub = published
    plan = pub.sample_size
    res = ChapterResults("design", trial.synthetic)
    add_conventions(res, "ds", alpha=False)
    _published_plan(res, pub)
    designs = {r: paper.paper_design(pub, reading=r) for r in paper.READINGS}
    _plan(res, pub, designs)
    need = _sample_size(res, pub, designs)
    scenarios = paper.paper_scenarios(pub)
    power = _power(res, pub, scenarios)
    d_a = designs["total_duration"]
    _deaths(res, trial, pub, d_a)
    sim = _simulate_plan(res, pub, d_a, power)
    res.objects.update(_reported_effect(res, pub))

    plan_table = pd.DataFrame(
        [{**d.as_dict(), "event probability, control": d.event_probabilities()[0],
          "event probability, UC-MSC": d.event_probabilities()[1]} for d in designs.values()]
    ).set_index("label").drop(columns=["dropout_control", "dropout_treatment", "proportional_hazards"])
    res.objects.update({
        "designs": designs,
        "plan_table": plan_table.T,
        "sample_size": need,
        "sample_size_table": need.pivot_table(index="method", columns="label", values=["events", "n_control"],
                                              sort=False),
        "scenarios": scenarios,
        "power": power,
        "power_display": power.pivot_table(index="scenario", columns="method", values="power", sort=False).join(
            power.groupby("scenario", sort=False)[["events"]].first()),
        "plan_n_total": 2 * plan["n_per_arm"],
        "simulation_plan": sim,
        "simulation_plan_table": sim.summary[["test", "n_trials", "power", "mc_se", "ci_low", "ci_high",
                                              "mean_events"]],
        "power_target": plan["power_at_least"],
        "power_marks": [plan["n_per_arm"], plan["n_per_arm_inflated"]],
    })
    return res
