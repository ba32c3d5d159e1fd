"""Evidence chapter: what the published numbers themselves support.

Every result here is computed from the paper's published numbers alone (``data/published/``),
so it is real evidence about the trial, not an illustration on the synthetic cohort; its
provenance is ``published`` and its note says it is derived. Analyses that need patient data are
added by :mod:`analysis.report.chapters._evidence_cohort` (when that module exists) and carry
their own provenance (``assumed`` on the synthetic cohort).

Conventions (each an explicit argument of the toolkit functions called here, stated once here):

- Hazard ratios control relative to UC-MSC, as published (HR > 1: UC-MSC better).
- Likelihood: normal on the log scale, estimate ``log HR``, SE from the published 95% CI
  (:func:`analysis.toolkit.evidence.log_hr_from_ci`).
- Priors (:func:`analysis.toolkit.evidence.design_priors`): built from the hazard ratio the
  published sample-size plan implies (its survival probabilities of each arm at its survival time,
  exponential survival: :func:`analysis.toolkit.evidence.design_hazard_ratio`), with
  :data:`PRIOR_TAIL` prior probability of an effect at least that large under the skeptical
  prior; vague N(0, :data:`VAGUE_SD`\\ :sup:`2`).
- Credible intervals equal-tailed at :data:`CRI_LEVEL`; posterior probabilities of HR > 1 (any
  benefit of UC-MSC) and HR > :data:`BENEFIT_HR` (a hazard at least that much higher in control).
- Fragility: two-sided Fisher exact test at the paper's alpha, changes within one arm, both
  directions (:func:`analysis.toolkit.evidence.fragility_index`).
- Excluded patients: the event counts behind each hazard ratio derived from its CI
  (:func:`analysis.trial.synthetic.derive_event_counts`, the consistency checks' counts), the
  published SE scaled by the event-count approximation (:func:`~analysis.toolkit.evidence.shifted_hazard_ratio`).
- Verdicts on the paper's conclusions (:func:`analysis.toolkit.evidence.claim_verdict`) under the
  :data:`VERDICT_PRIOR` prior: a benefit is supported when ``P(HR > 1) >= 1 - alpha/2`` (the
  skeptical posterior's ``1 - alpha`` credible interval excludes 1, alpha the paper's two-sided
  level); "no harm" is supported when the probability of a hazard at least :data:`HARM_HR` times
  higher with UC-MSC is at most ``alpha/2``.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np
import pandas as pd

from ...toolkit import evidence as ev
from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...trial.published import Published
from ...trial.synthetic import derive_event_counts
from ..results import ChapterResults, computed_once
from ._printed import published_checks
from .survival import HR_DIRECTION

__all__ = ["PRIOR_TAIL", "VAGUE_SD", "CRI_LEVEL", "BENEFIT_HR", "HARM_HR", "VERDICT_PRIOR", "SENSITIVITY_SDS",
           "compute"]

#: Prior probability, under the skeptical prior, of an effect at least as large as the design effect.
PRIOR_TAIL = 0.05
#: SD of the vague prior on the log hazard ratio.
VAGUE_SD = 10.0
#: Level of the credible intervals.
CRI_LEVEL = 0.95
#: A clinically relevant benefit: the control arm's hazard at least this many times UC-MSC's.
BENEFIT_HR = 1.25
#: A clinically relevant harm: UC-MSC's hazard at least this many times the control arm's.
HARM_HR = 1.25
#: The prior under which the paper's conclusions are judged (does the evidence convince a sceptic?).
VERDICT_PRIOR = "skeptical"
#: Prior SDs (log scale) of the sensitivity curve, skeptical prior mean 0.
SENSITIVITY_SDS = tuple(np.round(np.geomspace(0.05, 5.0, 41), 6))

#: Hazard ratios whose CI is re-computed with excluded patients counted as events (whole follow-up:
#: an excluded patient's event would fall in it wherever it happened).
_TIPPING_HRS = ("os.cox", "hcc.cox")
_DERIVED = "derived from the published numbers alone (no patient data)"


def _arm_word(arm: str) -> str:
    """An arm's name inside a sentence: "control", "UC-MSC"."""
    return "control" if arm == "control" else ARM_LABELS[arm]


def _short(key: str) -> str:
    """``os.landmark13.early`` -> ``os_lm13_early`` (glue-key friendly)."""
    return key.replace(".landmark", "_lm").replace(".", "_")


def _bayes(res: ChapterResults, pub: Published) -> dict:
    ss = pub.sample_size
    hd = ev.design_hazard_ratio(ss["survival_control"], ss["survival_ucmsc"])
    priors = ev.design_priors(hd, tail=PRIOR_TAIL, vague_sd=VAGUE_SD)
    res.objects["priors"] = priors
    res.add("evidence.design.hr", "Hazard ratio the sample-size plan was designed to detect", hd, unit="ratio",
            direction=HR_DIRECTION, provenance="published", source=ss["source"], glue={"ev_hr_design": "value"},
            note=f"{_DERIVED}: log(planned control survival) / log(planned UC-MSC survival) at "
                 f"{ss['survival_time_months']:g} months, exponential survival")
    for a, col in (("control", "survival_control"), ("ucmsc", "survival_ucmsc")):
        res.add(f"evidence.design.survival.{a}", f"Planned survival at the planned time, {ARM_LABELS[a]}",
                float(ss[col]), unit="proportion", published=float(ss[col]), provenance="published",
                source=ss["source"], glue={f"ev_plan_surv_{a}": "value"})
    res.add("evidence.design.time", "Time of the planned survival probabilities", float(ss["survival_time_months"]),
            unit="months", published=float(ss["survival_time_months"]), provenance="published", source=ss["source"],
            glue={"ev_plan_time": "value"})
    sk = priors["skeptical"]
    res.add("evidence.prior.sd", "SD of the skeptical, enthusiastic and pessimistic priors (log hazard ratio)",
            sk.sd, provenance="published", glue={"ev_prior_sd": "value"},
            note=f"{_DERIVED}: |log design HR| / z, with prior probability {PRIOR_TAIL:g} of an effect at least "
                 "as large as the design effect under the skeptical prior")
    res.add("evidence.prior.tail", "Skeptical prior: probability of an effect at least the design effect",
            PRIOR_TAIL, provenance="published", glue={"ev_prior_tail": "value"},
            note="an analysis setting (Spiegelhalter, Freedman & Parmar 1994)")
    res.add("evidence.prior.vague_sd", "SD of the vague prior (log hazard ratio)", VAGUE_SD, provenance="published",
            glue={"ev_vague_sd": "value"}, note="an analysis setting")
    res.add("evidence.cri_level", "Level of the credible intervals", CRI_LEVEL, provenance="published",
            glue={"ev_cri_level": "value"}, note="an analysis setting")
    res.add("evidence.benefit_hr", "Hazard ratio above which a benefit counts as clinically relevant", BENEFIT_HR,
            unit="ratio", provenance="published", glue={"ev_benefit_hr": "value"}, note="an analysis setting")

    frames, posts, lik = [], {}, []
    for key, h in pub.hazard_ratios.items():
        y, se = ev.log_hr_from_ci(h.hr, h.ci_low, h.ci_high)
        lik.append({"key": key, "hr": h.hr, "ci_low": h.ci_low, "ci_high": h.ci_high, "p": h.p, "se": se})
        g = f"ev_{_short(key)}"
        res.add(f"evidence.published.{key}.hr", f"{h.label}: hazard ratio as published", h.hr, ci_low=h.ci_low,
                ci_high=h.ci_high, unit="ratio", direction=HR_DIRECTION, published=h.hr, published_ci_low=h.ci_low,
                published_ci_high=h.ci_high, provenance="published", source=h.source,
                glue={f"{g}_pub": "value", f"{g}_pub_lo": "ci_low", f"{g}_pub_hi": "ci_high"})
        res.add(f"evidence.published.{key}.p", f"{h.label}: p as published", h.p, unit="p", published=h.p,
                provenance="published", source=h.source, glue={f"{g}_pub_p": "value"})
        res.add(f"evidence.likelihood.{key}.se", f"{h.label}: SE of the log hazard ratio implied by the 95% CI", se,
                provenance="published", source=h.source, glue={f"{g}_se": "value"},
                note=f"{_DERIVED}: (log upper - log lower) / (2 x 1.959964)")
        tab = ev.posterior_summary(h.hr, h.ci_low, h.ci_high, priors, cri_level=CRI_LEVEL,
                                   thresholds=(1.0, BENEFIT_HR))
        tab = tab.rename(columns={tab.columns[-1]: "p_relevant"})  # P(HR > BENEFIT_HR), the last threshold
        frames.append(tab.assign(key=key).reset_index())
        for name, prior in priors.items():
            posts[(key, name)] = ev.normal_posterior(h.hr, h.ci_low, h.ci_high, prior)
            r = tab.loc[name]
            g = f"ev_{_short(key)}_{name}"
            what = f"{h.label}, {name} prior"
            note = f"{_DERIVED}: the published HR and 95% CI as a normal likelihood of log HR, conjugate normal prior"
            common = dict(provenance="published", source=h.source, note=note)
            res.add(f"evidence.bayes.{key}.{name}.p_benefit", f"{what}: posterior P(HR > 1), UC-MSC better",
                    r["p_benefit"], unit="probability", glue={f"{g}_pb": "value"}, **common)
            res.add(f"evidence.bayes.{key}.{name}.median", f"{what}: posterior median hazard ratio", r["median"],
                    unit="ratio", direction=HR_DIRECTION, glue={f"{g}_med": "value"}, **common)
            res.add(f"evidence.bayes.{key}.{name}.cri_low", f"{what}: lower limit of the credible interval",
                    r["cri_low"], unit="ratio", direction=HR_DIRECTION, glue={f"{g}_lo": "value"}, **common)
            res.add(f"evidence.bayes.{key}.{name}.cri_high", f"{what}: upper limit of the credible interval",
                    r["cri_high"], unit="ratio", direction=HR_DIRECTION, glue={f"{g}_hi": "value"}, **common)
            res.add(f"evidence.bayes.{key}.{name}.p_gt_1_25",
                    f"{what}: posterior P(HR > {BENEFIT_HR:g}), a clinically relevant benefit",
                    r["p_relevant"], unit="probability", glue={f"{g}_pr": "value"}, **common)
    res.objects["likelihood"] = pd.DataFrame(lik).set_index("key")
    bayes = pd.concat(frames, ignore_index=True)
    res.objects["bayes"] = bayes
    res.objects["bayes_labels"] = {"prob_relevant": f"P(HR > {BENEFIT_HR:g})", "median": "Posterior median HR",
                                   "ci": f"{CRI_LEVEL:.0%} credible interval"}
    res.objects["bayes_table"] = (
        bayes.set_index(["key", "prior"])[["median", "cri_low", "cri_high", "p_benefit", "p_relevant"]]
        .rename(columns={"cri_low": "ci_low", "cri_high": "ci_high", "p_benefit": "prob_benefit",
                         "p_relevant": "prob_relevant"}))  # ci_*: shown as one interval column (a credible one)
    curves = [ev.prior_sd_sensitivity(h.hr, h.ci_low, h.ci_high, SENSITIVITY_SDS).assign(key=key)
              for key, h in pub.hazard_ratios.items()]
    res.objects["sensitivity"] = pd.concat(curves, ignore_index=True)
    res.objects["skeptical_sd"] = sk.sd
    return {"priors": priors, "posteriors": posts}


def _fragility(res: ChapterResults, pub: Published, excluded: dict[str, int], alpha: float) -> None:
    inc = pub.hcc_incidence
    e = {a: int(inc[a]["events"]) for a in ARMS}
    n = {a: int(inc[a]["n"]) for a in ARMS}
    f = ev.fragility_index(e["control"], n["control"], e["ucmsc"], n["ucmsc"], alpha=alpha)
    res.objects["fragility"] = f
    cand = f.candidates.copy()
    cand["arm"] = [ARMS[i] for i in cand["arm"]]
    cand["direction"] = ["hcc_added" if c == 1 else "hcc_removed" for c in cand["change"]]
    res.objects["fragility_table"] = cand[["arm", "direction", "index", "p_after"]].rename(
        columns={"index": "patients_changed"})
    src = inc["source"]
    for a in ARMS:
        res.add(f"evidence.hcc.events.{a}", f"Patients with HCC by the end of follow-up, {ARM_LABELS[a]}", e[a],
                unit="patients", published=e[a], provenance="published", source=src,
                glue={f"ev_hcc_events_{a}": "value"})
        res.add(f"evidence.hcc.n.{a}", f"Patients analysed for HCC, {ARM_LABELS[a]}", n[a], unit="patients",
                published=n[a], provenance="published", source=src, glue={f"ev_hcc_n_{a}": "value"})
    note = f"{_DERIVED}: two-sided Fisher exact test of the published HCC counts"
    kind = "reverse fragility index" if f.kind == "reverse" else "fragility index"
    res.add("evidence.fragility.hcc.p", "HCC by the end of follow-up: two-sided Fisher exact p of the published counts",
            f.p_before, unit="p", provenance="published", source=src, glue={"ev_frag_p": "value"}, note=note)
    res.add("evidence.fragility.hcc.index",
            f"HCC counts: {kind} (fewest patients of one arm whose HCC status must change to cross alpha)",
            f.index, unit="patients", provenance="published", source=src, glue={"ev_frag_index": "value"},
            note=note + (f"; Walsh et al. 2014, Khan et al. 2020; both arms and both directions searched"
                         if f.index is not None else "; no change within one arm crosses alpha"))
    res.add("evidence.fragility.hcc.quotient", f"HCC counts: {kind} divided by the patients analysed",
            f.quotient, unit="proportion", provenance="published", source=src, glue={"ev_frag_quotient": "value"},
            note=note)
    res.add("evidence.fragility.hcc.p_after", "HCC counts: Fisher p after the fewest changes", f.p_after, unit="p",
            provenance="published", source=src, glue={"ev_frag_p_after": "value"}, note=note)
    res.add("evidence.fragility.hcc.arm", "HCC counts: the arm whose patients change",
            _arm_word(ARMS[f.arm]) if f.arm is not None else None, provenance="published", source=src, note=note,
            glue={"ev_frag_arm": "value"})
    res.add("evidence.fragility.hcc.changes",
            "HCC counts: direction of the change (+1: patients without HCC counted with it; -1: the reverse)",
            f.change, provenance="published", source=src, note=note)
    res.add("evidence.fragility.hcc.excluded_ratio",
            "Randomized patients not analysed per patient of the (reverse) fragility index",
            (sum(excluded.values()) / f.index) if f.index else None, unit="ratio", provenance="published",
            source=pub.consort["source"], glue={"ev_frag_excluded_ratio": "value"}, note=_DERIVED)


def _excluded(res: ChapterResults, pub: Published) -> dict[str, int]:
    c = pub.consort
    excluded = {a: int(c["randomized"][a]) - int(c["analyzed"][a]) for a in ARMS}
    src = c["source"]
    for a in ARMS:
        res.add(f"evidence.excluded.{a}", f"Randomized but not analysed, {ARM_LABELS[a]}", excluded[a],
                unit="patients", provenance="published", source=src, glue={f"ev_excl_{a}": "value"},
                note=f"{_DERIVED}: randomized minus analysed (withdrew or lost to follow-up)")
    res.add("evidence.excluded.total", "Randomized but not analysed, both arms", sum(excluded.values()),
            unit="patients", provenance="published", source=src, glue={"ev_excl_total": "value"}, note=_DERIVED)
    res.add("evidence.randomized.total", "Randomized, both arms", sum(int(c["randomized"][a]) for a in ARMS),
            unit="patients", provenance="published", source=src, glue={"ev_randomized": "value"}, note=_DERIVED)
    return excluded


def _tipping(res: ChapterResults, pub: Published, excluded: dict[str, int]) -> None:
    events = derive_event_counts(pub)
    res.objects["event_counts"] = events
    bw_rows, fronts = [], []
    names = {"os": "deaths", "hcc": "HCC events"}
    for key in _TIPPING_HRS:
        h = pub.hazard_ratios[key]
        dc, du = int(events.loc[key, "events_control"]), int(events.loc[key, "events_ucmsc"])
        _, se = ev.log_hr_from_ci(h.hr, h.ci_low, h.ci_high)
        g = _short(key)
        what = names[h.endpoint]
        for a, d in (("control", dc), ("ucmsc", du)):
            res.add(f"evidence.excluded.{key}.events.{a}", f"{h.label}: {what} behind the published HR, {ARM_LABELS[a]}",
                    d, unit="events", provenance="published", source=h.source, glue={f"ev_{g}_d_{a}": "value"},
                    note=f"{_DERIVED}: the integer counts whose 1/d1 + 1/d2 and event-rate ratio best reproduce "
                         "the published CIs (the consistency checks' derivation)")
        t = ev.exclusion_tipping(h.hr, dc, du, excluded["control"], excluded["ucmsc"], se=se)
        common = dict(unit="patients", provenance="published", source=h.source)
        side = "include 1" if t.published_excludes_null else "exclude 1"
        res.add(f"evidence.excluded.{key}.tipping.ucmsc",
                f"{h.label}: fewest excluded UC-MSC patients counted as early {what} (none in control) for the "
                f"95% CI to {side}", t.fewest_treatment, glue={f"ev_{g}_tip_ucmsc": "value"},
                note=f"{_DERIVED}: event-count approximation; not computable when no number up to the "
                     f"{excluded['ucmsc']} excluded UC-MSC patients does it", **common)
        res.add(f"evidence.excluded.{key}.tipping.control",
                f"{h.label}: fewest excluded control patients counted as early {what} (none in UC-MSC) for the "
                f"95% CI to {side}", t.fewest_control, glue={f"ev_{g}_tip_control": "value"},
                note=f"{_DERIVED}: event-count approximation; not computable when no number up to the "
                     f"{excluded['control']} excluded control patients does it (they move the estimate away from 1)", **common)
        if t.published_excludes_null and not fronts:  # the frontier of a significant result: UC-MSC events that undo it
            fr = t.frontier[t.frontier["arm_varied"] == "treatment"]
            fronts.append(pd.DataFrame({"control_added": fr["fixed"].astype(int),
                                        "fewest_ucmsc": fr["fewest"]}).reset_index(drop=True))
            res.objects["tipping_key"] = key
        bw = ev.best_worst_hazard_ratio(h.hr, dc, du, excluded["control"], excluded["ucmsc"], se=se)
        for case in ("best", "worst"):
            r = bw.loc[case]
            res.add(f"evidence.excluded.{key}.{case}.hr",
                    f"{h.label}: {case} case for UC-MSC (every excluded patient of "
                    f"{'control' if case == 'best' else 'UC-MSC'} an early event, the other arm's censored)",
                    r["hr"], ci_low=r["ci_low"], ci_high=r["ci_high"], unit="ratio", direction=HR_DIRECTION,
                    provenance="published", source=h.source, glue={f"ev_{g}_{case}": "value",
                                                                     f"ev_{g}_{case}_lo": "ci_low",
                                                                     f"ev_{g}_{case}_hi": "ci_high"},
                    note=f"{_DERIVED}: event-count approximation, the published SE scaled by it")
        bw = bw.reset_index().assign(key=key)
        bw_rows.append(bw)
    hr_cases = pd.concat(bw_rows, ignore_index=True)
    hr_cases["case"] = hr_cases["case"].map({"published": "as_analysed", "best": "best_case", "worst": "worst_case"})
    hr_cases = hr_cases.rename(columns={"added_treatment": "added_ucmsc"})
    res.objects["hr_cases"] = hr_cases.set_index(["key", "case"])[["added_control", "added_ucmsc", "hr", "ci_low",
                                                                   "ci_high"]]
    res.objects["tipping"] = fronts[0] if fronts else pd.DataFrame(columns=["control_added", "fewest_ucmsc"])
    res.objects.setdefault("tipping_key", None)

    inc = pub.hcc_incidence
    cnt = ev.best_worst_counts(int(inc["control"]["events"]), int(inc["control"]["n"]), int(inc["ucmsc"]["events"]),
                               int(inc["ucmsc"]["n"]), excluded["control"], excluded["ucmsc"])
    for case in ("best", "worst"):
        res.add(f"evidence.excluded.hcc.counts.{case}.p",
                f"HCC counts with every randomized patient: {case} case for UC-MSC, two-sided Fisher p",
                cnt.loc[case, "p"], unit="p", provenance="published", source=inc["source"],
                glue={f"ev_hcc_counts_{case}_p": "value"}, note=_DERIVED)
    cnt = cnt.rename(index={"published": "as_analysed", "best": "best_case", "worst": "worst_case"},
                     columns={"events_treatment": "events_ucmsc", "n_treatment": "n_ucmsc"})
    res.objects["hcc_cases"] = cnt


def _conclusions(res: ChapterResults, pub: Published, posts: dict, alpha: float) -> None:
    checks = published_checks(pub)
    sig = checks[checks["category"] == "hr significance"].set_index("item")["status"]
    rows = []
    for c in pub.conclusions:
        post = posts[(c["hr"], VERDICT_PRIOR)] if "hr" in c else None
        verdict, reason = ev.claim_verdict(c["kind"], post, benefit_prob=1 - alpha / 2, harm_hr=HARM_HR,
                                           harm_prob=alpha / 2)
        if c["kind"] == "qualitative" and c.get("evidence_note"):
            reason = c["evidence_note"]
        rows.append({"claim": c["claim"], "key": c.get("hr"),
                     "prob_benefit": post.prob_above(1.0) if post is not None else None,
                     "ci_p_consistent": sig.get(c["hr"]) if "hr" in c else None,
                     "verdict": verdict, "reason": reason})
        res.add(f"evidence.conclusion.{c['id']}.verdict", f"The paper's conclusion '{c['claim']}': verdict", verdict,
                provenance="published", source=c["source"], glue={f"ev_verdict_{c['id']}": "value"},
                note=f"{_DERIVED}: {reason} (thresholds in analysis.report.chapters.evidence)")
    res.objects["conclusions"] = pd.DataFrame(rows)
    res.objects["conclusion_sources"] = pd.DataFrame([{"claim": c["claim"], "source": c["source"], "text": c["text"]}
                                                      for c in pub.conclusions])
    res.add("evidence.verdict.benefit_prob", "Posterior P(HR > 1) a benefit needs under the skeptical prior",
            1 - alpha / 2, unit="probability", provenance="published", glue={"ev_verdict_benefit_prob": "value"},
            note="one minus half the paper's two-sided alpha: the skeptical posterior's credible interval at "
                 "one minus alpha excludes 1")
    res.add("evidence.verdict.harm_hr", "Hazard ratio (UC-MSC relative to control) that counts as a relevant harm",
            HARM_HR, unit="ratio", provenance="published", glue={"ev_harm_hr": "value"}, note="an analysis setting")
    res.add("evidence.verdict.harm_prob", "Largest posterior probability of a relevant harm for 'no harm'",
            alpha / 2, unit="probability", provenance="published", glue={"ev_verdict_harm_prob": "value"},
            note="half the paper's two-sided alpha")


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The evidence chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data; used only by the analyses that need patient data
        (:mod:`analysis.report.chapters._evidence_cohort`, when it exists).
    published : Published
        The paper's numbers: hazard ratios and CIs, HCC counts, patient flow, sample-size plan,
        significance level and conclusions.

    Returns
    -------
    ChapterResults
        Results ``evidence.design.hr``, ``evidence.prior.*``, for every published hazard ratio id
        ``<hr_id>`` and prior in :data:`~analysis.toolkit.evidence.PRIOR_NAMES`
        ``evidence.bayes.<hr_id>.<prior>.{p_benefit, median, cri_low, cri_high, p_gt_1_25}``,
        ``evidence.fragility.hcc.*``, ``evidence.excluded.*`` and ``evidence.conclusion.<id>.verdict``
        (all provenance ``published``), plus those of the cohort module. Objects ``priors``,
        ``bayes`` (long frame), ``bayes_table``, ``sensitivity``, ``skeptical_sd``, ``fragility``,
        ``fragility_table``, ``event_counts``, ``hr_cases``, ``hcc_cases``, ``tipping`` (the tipping
        frontier of the first whole-follow-up hazard ratio whose CI excludes 1, ``tipping_key``; empty,
        with ``tipping_key`` ``None``, if there is none), ``conclusions`` and ``conclusion_sources`` (the sentences as printed).
    """
    pub = published
    alpha = float(pub.sample_size["alpha"])
    res = ChapterResults("evidence", trial.synthetic)
    res.add("evidence.alpha", "The paper's two-sided significance level", alpha, provenance="published",
            published=alpha, source=pub.sample_size["source"], glue={"ev_alpha": "value"})
    b = _bayes(res, pub)
    excluded = _excluded(res, pub)
    _fragility(res, pub, excluded, alpha)
    _tipping(res, pub, excluded)
    _conclusions(res, pub, b["posteriors"], alpha)
    # Analyses that need patient data (run on the cohort; provenance "assumed" there), in their own module.
    if importlib.util.find_spec(f"{__package__}._evidence_cohort") is not None:
        importlib.import_module(f"{__package__}._evidence_cohort").add_cohort_results(res, trial, published)
    return res
