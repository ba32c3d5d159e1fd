"""Randomization chapter: an illustrative allocation list, the CONSORT flow, and what randomization implies.

- The trial's allocation list is not public: the chapter draws an **illustrative** 1:1 list of as
  many positions as the paper randomized, in permuted blocks of random size :data:`BLOCK_SIZES`,
  from the fixed seed :data:`SEED` (the same list on every run), and compares it with simple
  randomization from the same seed (balance over time, predictability under the convergence
  guessing strategy). These results are ``computed`` from the list, not from patient data.
- The CONSORT flow is counted from the data (``screening.csv`` and each randomized patient's
  disposition): the ledger ids ``consort.*`` (on the synthetic cohort the flow is forced by the
  generator: ``by construction``) and the analysis population, beside the paper's flow.
- What randomization implies for the significance tests of the paper's Table 1 is computed from
  its published p values (binomial count at level :data:`ALPHA`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ...toolkit import consort
from ...toolkit import randomization as rz
from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...trial.published import Published
from ..results import ChapterResults, computed_once

__all__ = ["SEED", "BLOCK_SIZES", "FIXED_BLOCK", "ALPHA", "compute"]

#: Seed of the illustrative allocation list (and of the simple-randomization comparison); fixed so
#: that the chapter is reproducible; any seed gives a valid list.
SEED = 314159
#: Random block sizes of the illustrative list, equally likely.
BLOCK_SIZES = (4, 6)
#: Fixed block size of the predictability comparison.
FIXED_BLOCK = 4
#: Level at which baseline p values are counted as "significant".
ALPHA = 0.05

_LIST_NOTE = "computed from the illustrative allocation list (seed {seed}), not from patient data"
_SETTING_NOTE = "a setting of this chapter's illustration, not a statistic"


def _consort(res: ChapterResults, trial: Trial, pub: Published) -> None:
    """The ``consort.*`` ledger ids (the patient flow, beside the paper's)."""
    c = pub.consort
    src = c["source"]
    scr = trial.screening
    res.add("consort.screened", "Patients screened", len(scr) if scr is not None else None, unit="patients",
            published=c["screened"], provenance="by construction", source=src,
            note="" if scr is not None else "screening.csv is absent")
    for reason, k in c["excluded"].items():
        v = int((scr["outcome"] == reason).sum()) if scr is not None else None
        res.add(f"consort.excluded.{reason}", f"Excluded before randomization: {reason}", v, unit="patients",
                published=k, provenance="by construction", source=src,
                note="" if scr is not None else "screening.csv is absent")
    pts = trial.patients
    for stage, disp, label in (("randomized", None, "Randomized"), ("withdrew", "withdrew", "Withdrew consent"),
                               ("lost_to_follow_up", "lost_to_follow_up", "Lost to follow-up"),
                               ("analyzed", "analyzed", "Analysed")):
        for a in ARMS:
            sel = pts["arm"] == a
            if disp:
                sel &= pts["disposition"] == disp
            key = "lost" if stage == "lost_to_follow_up" else stage
            glue = {f"rz_pub_lost_{a}": "published"} if key == "lost" else {}
            res.add(f"consort.{key}.{a}", f"{label}, {ARM_LABELS[a]}", int(sel.sum()), unit="patients",
                    published=c[stage][a], provenance="by construction", source=src, glue=glue)


def _population(res: ChapterResults, trial: Trial, pub: Published) -> dict:
    """Randomized versus analysed, data beside the paper (both arms, and not analysed per arm)."""
    flow = consort.consort_counts(trial)
    flow_pub = consort.published_consort_counts(pub.consort)
    pop = consort.analysis_population(flow).set_index("arm")
    pop_pub = consort.analysis_population(flow_pub).set_index("arm")
    src = pub.consort["source"]
    derived = "the paper's value is derived from its CONSORT counts"
    rows = (
        ("randomized", "Randomized, both arms", "patients", {"rz_data_randomized": "value",
                                                              "rz_pub_randomized": "published"}, ""),
        ("analyzed", "Analysed, both arms", "patients", {"rz_data_analyzed": "value",
                                                          "rz_pub_analyzed": "published"}, ""),
        ("withdrew", "Withdrew consent, both arms", "patients", {"rz_pub_withdrew": "published"}, ""),
        ("lost_to_follow_up", "Lost to follow-up, both arms", "patients", {"rz_pub_lost": "published"}, ""),
        ("not_analyzed", "Randomized but not analysed, both arms", "patients",
         {"rz_pub_not_analyzed": "published"}, derived),
        ("fraction_analyzed", "Fraction of the randomized patients analysed", "proportion",
         {"rz_data_fraction": "value", "rz_pub_fraction": "published"}, derived),
    )
    for col, label, unit, glue, note in rows:
        key = "lost" if col == "lost_to_follow_up" else col
        res.add(f"randomization.population.{key}.all", label, pop.loc["all", col], unit=unit,
                published=pop_pub.loc["all", col], provenance="by construction", source=src, note=note, glue=glue)
    for a in ARMS:
        res.add(f"randomization.population.not_analyzed.{a}", f"Randomized but not analysed, {ARM_LABELS[a]}",
                pop.loc[a, "not_analyzed"], unit="patients", published=pop_pub.loc[a, "not_analyzed"],
                provenance="by construction", source=src, note=derived,
                glue={f"rz_pub_not_analyzed_{a}": "published"})
    return {"flow": flow, "flow_published": flow_pub, "consort_comparison": consort.consort_comparison(flow, flow_pub),
            "population": pop.reset_index(), "population_published": pop_pub.reset_index()}


def _allocation(res: ChapterResults, pub: Published) -> dict:
    """The illustrative list, its record and verification, its balance and predictability."""
    n_list = sum(pub.consort["randomized"][a] for a in ARMS)
    allocation = rz.generate_allocation(
        n_list,
        seed=SEED,
        block_sizes=BLOCK_SIZES,
        title="Illustrative 1:1 allocation list (not the trial's list)",
        generated_by="analysis.toolkit.randomization, for this book",
        generated_on="fixed for this page (illustration)",
        held_by="an independent statistician, not the recruiting clinicians",
        notes="Illustration: the trial's own list is not public.",
    )
    with tempfile.TemporaryDirectory() as folder:
        list_csv, _ = allocation.to_csv(Path(folder) / "allocation_list.csv")
        checks = rz.verify_allocation(list_csv)
    balance = rz.allocation_balance(allocation.table)
    simple = rz.simple_allocation_list(n_list, rng=np.random.default_rng(SEED))
    simple_balance = rz.allocation_balance(simple)
    last, last_simple = balance.iloc[-1], simple_balance.iloc[-1]
    note = _LIST_NOTE.format(seed=SEED)
    add = res.add
    add("randomization.list.n_positions", "Positions of the illustrative allocation list", len(allocation.table),
        unit="positions", note="as many positions as the paper randomized; " + note, glue={"rz_n_list": "value"})
    add("randomization.list.block_min", "Smallest block size of the illustrative list", min(BLOCK_SIZES),
        unit="patients", note=_SETTING_NOTE, glue={"rz_block_min": "value"})
    add("randomization.list.block_max", "Largest block size of the illustrative list", max(BLOCK_SIZES),
        unit="patients", note=_SETTING_NOTE, glue={"rz_block_max": "value"})
    add("randomization.list.fixed_block", "Fixed block size of the predictability comparison", FIXED_BLOCK,
        unit="patients", note=_SETTING_NOTE, glue={"rz_fixed_block": "value"})
    add("randomization.list.bound", "Largest possible difference in arm sizes with these blocks (half the largest "
        "block)", max(BLOCK_SIZES) / 2, unit="patients", note=_SETTING_NOTE, glue={"rz_bound": "value"})
    add("randomization.list.n_blocks", "Blocks in the illustrative list", int(allocation.table["block"].max()),
        unit="blocks", note=note, glue={"rz_n_blocks": "value"})
    add("randomization.list.max_difference", "Largest difference in arm sizes along the illustrative list",
        int(balance["difference"].abs().max()), unit="patients", note=note, glue={"rz_max_diff_blocks": "value"})
    add("randomization.simple.max_difference", "Largest difference in arm sizes along a simple-randomization "
        "list (same seed)", int(simple_balance["difference"].abs().max()), unit="patients", note=note,
        glue={"rz_max_diff_simple": "value"})
    for a in ARMS:
        add(f"randomization.list.final.{a}", f"Positions allocated to {ARM_LABELS[a]} in the illustrative list",
            int(last[f"n_{a}"]), unit="positions", note=note, glue={f"rz_final_{a}": "value"})
        add(f"randomization.simple.final.{a}", f"Positions allocated to {ARM_LABELS[a]} by simple randomization "
            "(same seed)", int(last_simple[f"n_{a}"]), unit="positions", note=note,
            glue={f"rz_final_simple_{a}": "value"})
    add("randomization.list.predictability", "Allocations guessed right by the convergence strategy, illustrative "
        "list", rz.guessing_predictability(allocation.table), unit="proportion", note=note,
        glue={"rz_pred_blocks": "value"})
    add("randomization.simple.predictability", "Allocations guessed right by the convergence strategy, simple "
        "randomization (same seed)", rz.guessing_predictability(simple), unit="proportion", note=note,
        glue={"rz_pred_simple": "value"})
    add("randomization.expected_predictability.random_blocks", "Long-run fraction of allocations guessed right "
        "by the convergence strategy, random blocks of the illustrative sizes", rz.expected_predictability(BLOCK_SIZES),
        unit="proportion", note="exact, from the block design", glue={"rz_exp_pred_blocks": "value"})
    add("randomization.expected_predictability.fixed_block", "Long-run fraction of allocations guessed right by "
        "the convergence strategy, fixed blocks", rz.expected_predictability((FIXED_BLOCK,)), unit="proportion",
        note="exact, from the block design", glue={"rz_exp_pred_fixed4": "value"})
    labels = {f"Permuted blocks of {' or '.join(map(str, BLOCK_SIZES))}": balance,
              "Simple randomization (coin toss)": simple_balance}
    record = allocation.record.summary
    arms = record["field"] == "arms"
    record.loc[arms, "value"] = ", ".join(ARM_LABELS[a] for a in allocation.record.arms)
    state = record["field"] == "generator_state"  # the full state is in the record file, not for reading
    record.loc[state, "value"] = (f"{allocation.record.bit_generator} state before the first draw, kept in the "
                                  "record file (JSON), from which the list is re-derived")
    record["field"] = record["field"].map(lambda f: _RECORD_FIELDS.get(f, f.replace("_", " ")))
    return {"allocation": allocation, "allocation_head": allocation.table.head(10), "record": allocation.record,
            "record_table": record,
            "verification": checks, "balance": balance, "simple": simple, "simple_balance": simple_balance,
            "imbalance": labels, "imbalance_bound": max(BLOCK_SIZES) / 2}


#: Readable names of the concealment record's fields (the record's own keys are code names).
_RECORD_FIELDS = {
    "title": "Title", "method": "Method", "arms": "Arms", "ratio": "Allocation ratio", "block_sizes": "Block sizes",
    "block_probs": "Block-size probabilities", "strata": "Strata", "n_per_stratum": "Positions per stratum",
    "n_positions": "Positions", "code_length": "Length of the randomization code", "seed": "Seed",
    "bit_generator": "Random-number generator", "generator_state": "Generator state at the start",
    "numpy_version": "NumPy version", "sha256": "SHA-256 of the list file", "generated_by": "Generated by",
    "generated_on": "Generated on", "held_by": "Held by", "notes": "Notes",
}


def _table1(res: ChapterResults, pub: Published) -> dict:
    """What randomization implies for the paper's baseline significance tests."""
    rows = pub.table1
    chance = rz.chance_significance([row.p for row in rows], alpha=ALPHA)
    src = pub.raw["table1"]["source"]
    note = "computed from the p values the paper prints in Table 1 (a p printed as '<' its bound counts as the bound)"
    res.add("randomization.table1.alpha", "Level at which a baseline p value counts as significant", chance.alpha,
            unit="probability", note="a convention of this chapter (ALPHA)", glue={"rz_t1_alpha": "value"})
    res.add("randomization.table1.n_tests", "Rows of the paper's Table 1 with a p value", chance.n_tests,
            unit="tests", source=src, note=note, glue={"rz_t1_tests": "value"})
    res.add("randomization.table1.n_significant", "Rows of the paper's Table 1 with p below the level",
            chance.n_significant, unit="tests", source=src, note=note, glue={"rz_t1_significant": "value"})
    res.add("randomization.table1.expected", "Rows expected below the level by chance alone", chance.expected,
            unit="tests", source=src, note=note, glue={"rz_t1_expected": "value"})
    res.add("randomization.table1.p_at_least", "Probability of at least that many significant rows among "
            "independent tests (binomial)", chance.p_at_least, unit="probability", source=src, note=note,
            glue={"rz_t1_p_at_least": "value"})
    for var in ("tbil", "che", "meld"):
        row = pub.table1_row(var)
        for a in ARMS:
            m = row.arm(a)["mean"]
            res.add(f"randomization.table1.{var}.mean.{a}", f"Table 1 {row.label}: mean, {ARM_LABELS[a]}", m,
                    unit=row.unit, published=m, provenance="published", source=src,
                    glue={f"rz_{var}_{a}": "value"})
    return {"chance": chance}


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The randomization chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data: ``patients`` (arm and disposition of every randomized patient) and, if
        present, ``screening``.
    published : Published
        The paper's numbers (CONSORT flow, Table 1).

    Returns
    -------
    ChapterResults
        Results with ids ``consort.screened``, ``consort.excluded.<reason>``,
        ``consort.{randomized,withdrew,lost,analyzed}.{control,ucmsc}`` and ``randomization.*``;
        objects ``allocation``, ``allocation_head``, ``record``, ``verification``, ``balance``,
        ``simple``, ``simple_balance``, ``imbalance``, ``imbalance_bound``, ``flow``,
        ``flow_published``, ``consort_comparison``, ``population``, ``population_published``,
        ``chance``.

    Notes
    -----
    The illustrative list and the simple-randomization list are drawn from ``SEED``
    (:data:`SEED`), so they are the same on every run.
    """
    res = ChapterResults("randomization", trial.synthetic)
    _consort(res, trial, published)
    res.objects.update(_population(res, trial, published))
    res.objects.update(_allocation(res, published))
    res.objects.update(_table1(res, published))
    return res
