"""Tests of analysis.toolkit.randomization: balance properties, reproducibility, concealment.

References used: the permuted-block design's defining properties (Rosenberger
and Lachin 2016, section 3.5), Blackwell and Hodges's closed form for the
expected correct guesses in a permuted block (Rosenberger and Lachin 2016,
section 5.2; checked below also by enumeration), and the binomial tail by
hand (math.comb).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.toolkit.randomization import CODE_ALPHABET, AllocationList, ConcealmentRecord, allocation_balance, allocation_list, assign_arms, chance_significance, expected_predictability, generate_allocation, guessing_predictability, reproduce_allocation, simple_allocation_list, verify_allocation
from analysis.report.figures import plot_imbalance

ARMS2 = ("control", "ucmsc")


# ----------------------------------------------------------------------------
# Shared invariants
# ----------------------------------------------------------------------------
def assert_blocks_balanced(lst: pd.DataFrame, arms, ratio) -> int:
    """Every complete block holds the arms exactly in the ratio; returns the number of complete blocks."""
    keys = ["stratum", "block"] if "stratum" in lst.columns else ["block"]
    n_complete = 0
    for _, blk in lst.groupby(keys):
        size = blk["block_size"].iloc[0]
        assert (blk["block_size"] == size).all()
        if len(blk) < size:  # the list was cut inside its last block
            continue
        assert len(blk) == size
        counts = blk["arm"].value_counts()
        for a, r in zip(arms, ratio):
            assert counts.get(a, 0) == size // sum(ratio) * r
        n_complete += 1
    return n_complete


def assert_within_half_block(lst: pd.DataFrame, block_sizes) -> None:
    """1:1 lists: the arm sizes differ by at most half the largest block, at every position."""
    bal = allocation_balance(lst, arms=ARMS2)
    assert bal["difference"].abs().max() <= max(block_sizes) / 2


def assert_only_last_block_incomplete(lst: pd.DataFrame) -> None:
    keys = ["stratum"] if "stratum" in lst.columns else []
    groups = lst.groupby(keys) if keys else [(None, lst)]
    for _, g in groups:
        size_of = g.groupby("block")["block_size"].first()
        n_in = g.groupby("block").size()
        incomplete = n_in[n_in < size_of]
        assert set(incomplete.index) <= {g["block"].max()}
        assert (g["sequence"].to_numpy() == np.arange(1, len(g) + 1)).all()


DESIGNS = [
    # n, block_sizes, block_probs, ratio, arms
    (250, (4,), None, (1, 1), ARMS2),
    (250, (2, 4, 6), None, (1, 1), ARMS2),
    (250, (4, 6, 8), (0.2, 0.5, 0.3), (1, 1), ARMS2),
    (101, (4, 6), None, (1, 1), ARMS2),  # n not a multiple of any block
    (90, (3, 6), None, (2, 1), ARMS2),
    (60, (3,), None, (1, 1, 1), ("a", "b", "c")),
]


@pytest.mark.parametrize("n,block_sizes,block_probs,ratio,arms", DESIGNS)
@pytest.mark.parametrize("seed", [1, 20101015, 987654321])
def test_permuted_block_properties(n, block_sizes, block_probs, ratio, arms, seed):
    lst = allocation_list(n, block_sizes=block_sizes, block_probs=block_probs, rng=np.random.default_rng(seed),
                          arms=arms, ratio=ratio)
    assert list(lst.columns) == ["sequence", "block", "block_size", "arm"]
    assert len(lst) == n
    assert set(lst["block_size"]) <= set(block_sizes)
    assert set(lst["arm"]) <= set(arms)
    assert_only_last_block_incomplete(lst)
    assert assert_blocks_balanced(lst, arms, ratio) >= n // max(block_sizes) - 1
    if ratio == (1, 1):
        assert_within_half_block(lst, block_sizes)


@pytest.mark.parametrize("seed", range(5))
def test_stratified_lists_balanced_within_each_stratum(seed):
    strata = ("MELD<=15", "MELD>15", "HBeAg+")
    lst = allocation_list(40, block_sizes=(2, 4), rng=np.random.default_rng(seed), strata=strata)
    assert list(lst.columns) == ["stratum", "sequence", "block", "block_size", "arm"]
    assert lst.groupby("stratum").size().to_dict() == {s: 40 for s in strata}
    assert list(dict.fromkeys(lst["stratum"])) == list(strata)  # drawn in the order given
    assert_only_last_block_incomplete(lst)
    assert_blocks_balanced(lst, ARMS2, (1, 1))
    for _, g in lst.groupby("stratum"):
        assert_within_half_block(g.drop(columns="stratum"), (2, 4))
    # cumulative counts restart in each stratum
    bal = allocation_balance(lst)
    first = bal.groupby("stratum").head(1)
    assert ((first["n_control"] + first["n_ucmsc"]) == 1).all()
    # the strata's lists are not copies of each other
    arms_by = lst.pivot(index="sequence", columns="stratum", values="arm")
    assert arms_by.nunique(axis=1).gt(1).any()


def test_same_seed_same_list_different_seed_different_list():
    kw = dict(block_sizes=(4, 6), strata=("a", "b"))
    a = allocation_list(250, rng=np.random.default_rng(42), **kw)
    b = allocation_list(250, rng=np.random.default_rng(42), **kw)
    c = allocation_list(250, rng=np.random.default_rng(43), **kw)
    pd.testing.assert_frame_equal(a, b)
    assert not a["arm"].equals(c["arm"])


def test_draw_order_is_the_documented_one():
    """Per block: one rng.choice for the size, then one rng.permutation of the block's labels.

    The synthetic-cohort generator relies on this order: changing it would
    silently change the cohort.
    """
    rng = np.random.default_rng(7)
    arms, sizes = [], []
    while len(arms) < 30:
        size = int(rng.choice((4, 6)))
        arms.extend(rng.permutation(np.repeat(np.array(ARMS2), size // 2)).tolist())
        sizes.extend([size] * size)
    lst = allocation_list(30, block_sizes=(4, 6), rng=np.random.default_rng(7))
    assert lst["arm"].tolist() == arms[:30]
    assert lst["block_size"].tolist() == sizes[:30]


def test_block_probs_pick_the_block_sizes():
    lst = allocation_list(200, block_sizes=(4, 8), block_probs=(0.0, 1.0), rng=np.random.default_rng(3))
    assert set(lst["block_size"]) == {8}
    mixed = allocation_list(400, block_sizes=(4, 8), rng=np.random.default_rng(3))
    assert set(mixed["block_size"]) == {4, 8}


BAD = [
    (dict(n=0), "n must be an integer >= 1"),
    (dict(n=2.5), "n must be an integer"),
    (dict(block_sizes=(3,)), "multiples of the ratio total 2"),
    (dict(block_sizes=(4, 4)), "must not repeat"),
    (dict(block_sizes=()), "at least one block size"),
    (dict(block_sizes=(4, 6), block_probs=(0.5,)), "one probability per block size"),
    (dict(block_sizes=(4, 6), block_probs=(0.7, 0.7)), "sum to 1"),
    (dict(arms=("a", "a")), "distinct"),
    (dict(ratio=(1, 1, 1)), "one entry per arm"),
    (dict(ratio=(1, 0)), "ratio must be an integer >= 1"),
    (dict(strata="MELD"), "not the single string"),
    (dict(strata=("x", "x")), "distinct non-empty labels"),
]


@pytest.mark.parametrize("kwargs,message", BAD)
def test_bad_arguments_are_named(kwargs, message):
    kw = dict(n=20, rng=np.random.default_rng(0))
    kw.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        allocation_list(kw.pop("n"), **kw)


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        allocation_list(10, rng=42)


# ----------------------------------------------------------------------------
# Balance and simple randomization
# ----------------------------------------------------------------------------
def test_allocation_balance_by_hand():
    lst = pd.DataFrame({"sequence": [1, 2, 3, 4, 5], "arm": ["control", "ucmsc", "ucmsc", "ucmsc", "control"]})
    bal = allocation_balance(lst)
    assert bal["n_control"].tolist() == [1, 1, 1, 1, 2]
    assert bal["n_ucmsc"].tolist() == [0, 1, 2, 3, 3]
    assert bal["difference"].tolist() == [-1, 0, 1, 2, 1]


def test_allocation_balance_rejects_unknown_arms():
    lst = pd.DataFrame({"sequence": [1, 2], "arm": ["control", "placebo"]})
    with pytest.raises(ValueError, match="'arm' has values \\['placebo'\\]"):
        allocation_balance(lst)


def test_simple_randomization_is_not_restricted():
    lst = simple_allocation_list(2000, rng=np.random.default_rng(11))
    assert list(lst.columns) == ["sequence", "arm"]
    assert set(lst["arm"]) == set(ARMS2)
    # a random walk of 2000 steps wanders far beyond a block's +-2
    assert allocation_balance(lst)["difference"].abs().max() > 10
    p_ucmsc = (lst["arm"] == "ucmsc").mean()
    assert abs(p_ucmsc - 0.5) < 4 * math.sqrt(0.25 / 2000)


# ----------------------------------------------------------------------------
# Predictability (Blackwell-Hodges)
# ----------------------------------------------------------------------------
def _blocks_of(m: int) -> list[tuple[str, ...]]:
    return sorted(set(itertools.permutations(["control"] * m + ["ucmsc"] * m)))


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_predictability_matches_blackwell_hodges_closed_form(m):
    """Averaged over all equally likely blocks of size 2m, correct guesses per block = m + 2^(2m-1)/C(2m,m) - 1/2."""
    blocks = _blocks_of(m)
    assert len(blocks) == math.comb(2 * m, m)
    mean = np.mean([
        guessing_predictability(pd.DataFrame({"sequence": range(1, 2 * m + 1), "arm": b})) for b in blocks
    ])
    expected_per_block = m + 2 ** (2 * m - 1) / math.comb(2 * m, m) - 0.5
    np.testing.assert_allclose(mean * 2 * m, expected_per_block, rtol=1e-12)


def test_predictability_of_simple_randomization_is_one_half():
    """Over all 2^6 equally likely sequences, the convergence strategy scores exactly 1/2."""
    seqs = list(itertools.product(ARMS2, repeat=6))
    mean = np.mean([guessing_predictability(pd.DataFrame({"sequence": range(1, 7), "arm": s})) for s in seqs])
    assert mean == pytest.approx(0.5, abs=1e-12)


def test_predictability_by_hand():
    # c u u u: guesses tie(0.5), u right(1), tie(0.5), c wrong(0) -> 2/4
    lst = pd.DataFrame({"sequence": [1, 2, 3, 4], "arm": ["control", "ucmsc", "ucmsc", "ucmsc"]})
    assert guessing_predictability(lst) == pytest.approx(0.5)
    # stratified: two strata of c u -> (0.5 + 1) per stratum
    st = pd.DataFrame({"stratum": ["a", "a", "b", "b"], "sequence": [1, 2, 1, 2],
                       "arm": ["control", "ucmsc", "ucmsc", "control"]})
    assert guessing_predictability(st) == pytest.approx(0.75)


# ----------------------------------------------------------------------------
# Concealment
# ----------------------------------------------------------------------------
@pytest.fixture
def concealed() -> AllocationList:
    return generate_allocation(
        60, seed=2010, block_sizes=(4, 6), strata=("A", "B"), title="test list",
        generated_by="trial statistician", generated_on="2010-10-01T09:00:00+00:00", held_by="pharmacy",
    )


def test_concealed_list_has_unique_codes_and_envelopes(concealed):
    t = concealed.table
    assert list(t.columns) == ["stratum", "sequence", "block", "block_size", "arm", "envelope", "code"]
    assert t["code"].is_unique and t["envelope"].is_unique
    assert t["code"].str.len().eq(6).all()
    assert t["code"].map(lambda c: set(c) <= set(CODE_ALPHABET)).all()
    assert t.loc[t["stratum"] == "B", "envelope"].iloc[0] == "S2-01"
    assert "arm" not in concealed.envelope_labels().columns
    assert_blocks_balanced(t, ARMS2, (1, 1))


def test_codes_do_not_change_the_list(concealed):
    plain = allocation_list(60, block_sizes=(4, 6), strata=("A", "B"), rng=np.random.default_rng(2010))
    pd.testing.assert_frame_equal(concealed.table[plain.columns], plain)


def test_record_holds_design_seed_state_and_metadata(concealed):
    r = concealed.record
    assert (r.seed, r.block_sizes, r.strata, r.n_per_stratum, r.n_positions) == (2010, (4, 6), ("A", "B"), 60, 120)
    assert r.bit_generator == "PCG64"
    assert r.generator_state == np.random.default_rng(2010).bit_generator.state
    assert (r.generated_by, r.generated_on, r.held_by) == (
        "trial statistician", "2010-10-01T09:00:00+00:00", "pharmacy")
    assert "random size 4, 6" in r.method and "2 strata" in r.method
    assert r.sha256 == hashlib.sha256(concealed.table.to_csv(index=False, lineterminator="\n").encode()).hexdigest()
    assert set(r.summary["field"]) >= {"seed", "sha256", "generated_by", "generated_on", "held_by"}


def test_metadata_does_not_enter_the_fingerprint(concealed):
    other = generate_allocation(60, seed=2010, block_sizes=(4, 6), strata=("A", "B"), generated_by="someone else")
    assert other.record.sha256 == concealed.record.sha256
    assert other.record.generated_on  # defaults to a timestamp
    different = generate_allocation(60, seed=2011, block_sizes=(4, 6), strata=("A", "B"))
    assert different.record.sha256 != concealed.record.sha256


def test_write_verify_and_detect_tampering(concealed, tmp_path):
    csv, rec = concealed.to_csv(tmp_path / "list.csv")
    assert rec.name == "list.json"
    assert hashlib.sha256(csv.read_bytes()).hexdigest() == concealed.record.sha256
    ok = verify_allocation(csv)
    assert ok["passed"].all() and len(ok) == 2
    # swap the arms of two positions in different arms
    t = pd.read_csv(csv, dtype=str, keep_default_na=False)
    i = t.index[t["arm"] == "control"][0]
    j = t.index[t["arm"] == "ucmsc"][0]
    t.loc[[i, j], "arm"] = t.loc[[j, i], "arm"].to_numpy()
    csv.write_bytes(t.to_csv(index=False, lineterminator="\n").encode())
    bad = verify_allocation(csv)
    assert not bad["passed"].any()


def test_reproduce_from_json_record(concealed):
    record = json.loads(concealed.record.to_json())
    again = reproduce_allocation(record)
    pd.testing.assert_frame_equal(again.table, concealed.table)
    assert again.record == concealed.record


def test_generator_instead_of_seed_is_still_reproducible():
    rng = np.random.default_rng(99)
    rng.random(5)  # a generator that has already been used
    al = generate_allocation(30, seed=rng, generated_on="x")
    assert al.record.seed is None
    again = reproduce_allocation(al.record)
    pd.testing.assert_frame_equal(again.table, al.table)


def test_to_csv_wants_a_csv_name(concealed, tmp_path):
    with pytest.raises(ValueError, match="path must end in .csv"):
        concealed.to_csv(tmp_path / "list.txt")


def test_record_round_trips_through_dict(concealed):
    assert ConcealmentRecord.from_dict(concealed.record.to_dict()) == concealed.record


# ----------------------------------------------------------------------------
# Assigning patients
# ----------------------------------------------------------------------------
def test_assign_arms_takes_next_position_of_each_stratum():
    lst = allocation_list(10, block_sizes=(2,), rng=np.random.default_rng(5), strata=("lo", "hi"))
    strata = ["lo", "hi", "hi", "lo", "hi", "lo", "lo"]
    out = assign_arms(lst, strata)
    assert out["sequence"].tolist() == [1, 1, 2, 2, 3, 3, 4]
    arm_of = lst.set_index(["stratum", "sequence"])["arm"]
    assert out["arm"].tolist() == [arm_of[(s, q)] for s, q in zip(out["stratum"], out["sequence"])]


def test_assign_arms_unstratified_and_errors():
    lst = allocation_list(8, rng=np.random.default_rng(1))
    out = assign_arms(lst, n=5)
    assert out["arm"].tolist() == lst["arm"].iloc[:5].tolist()
    with pytest.raises(ValueError, match="exceeds the 8 positions"):
        assign_arms(lst, n=9)
    st = allocation_list(2, block_sizes=(2,), rng=np.random.default_rng(1), strata=("a",))
    with pytest.raises(ValueError, match="strata is required"):
        assign_arms(st)
    with pytest.raises(ValueError, match="stratum 'a' is exhausted"):
        assign_arms(st, ["a", "a", "a"])
    with pytest.raises(ValueError, match=r"\['z'\] not in"):
        assign_arms(st, ["z"])


# ----------------------------------------------------------------------------
# Chance significance of baseline tests
# ----------------------------------------------------------------------------
def _binom_tail_by_hand(n: int, k: int, a: float) -> float:
    return sum(math.comb(n, j) * a**j * (1 - a) ** (n - j) for j in range(k, n + 1))


@pytest.mark.parametrize(
    "p_values,alpha,k",
    [
        ([0.5], 0.05, 0),
        ([0.01], 0.05, 1),
        ([0.2, 0.01, 0.03, 0.5], 0.05, 2),
        ([0.9] * 14 + [0.001, 0.008, 0.04], 0.05, 3),
        ([0.9] * 14 + [0.001, 0.008, 0.04], 0.01, 2),
    ],
)
def test_chance_significance_against_hand_binomial(p_values, alpha, k):
    r = chance_significance(p_values, alpha=alpha)
    assert (r.n_tests, r.n_significant) == (len(p_values), k)
    assert r.expected == pytest.approx(alpha * len(p_values), rel=1e-12)
    np.testing.assert_allclose(r.p_at_least, _binom_tail_by_hand(len(p_values), k, alpha), rtol=1e-10)
    assert list(r.summary.columns) == ["n_tests", "n_significant", "alpha", "expected", "p_at_least"]


@pytest.mark.parametrize("p_values,alpha,message", [([], 0.05, "p_values"), ([1.2], 0.05, "p_values"),
                                                    ([0.1], 1.0, "alpha must be in")])
def test_chance_significance_bad_input(p_values, alpha, message):
    with pytest.raises(ValueError, match=message):
        chance_significance(p_values, alpha=alpha)


# ----------------------------------------------------------------------------
# Figure
# ----------------------------------------------------------------------------
def test_plot_imbalance_draws_the_differences():
    lst = allocation_list(50, block_sizes=(4, 6), rng=np.random.default_rng(2))
    bal = allocation_balance(lst)
    fig = plot_imbalance({"blocks": bal}, bound=3)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    assert line.get_ydata()[1:].tolist() == bal["difference"].tolist()
    assert "patients" in ax.get_ylabel()
    plt.close(fig)


@pytest.mark.parametrize(
    "block_sizes,block_probs,hand",
    [
        ((2,), None, 1.5 / 2),  # 0.5 + 1 per block of 2
        ((4,), None, 17 / 24),  # (0.5 + 2/3 + 2/3 + 1) / 4, enumerated by hand
        ((2, 4), None, (1.5 + 17 / 6) / 6),  # renewal-reward: E(correct per block) / E(block size)
        ((2, 4), (0.25, 0.75), (0.25 * 1.5 + 0.75 * 17 / 6) / (0.25 * 2 + 0.75 * 4)),
    ],
)
def test_expected_predictability_by_hand(block_sizes, block_probs, hand):
    assert expected_predictability(block_sizes, block_probs=block_probs) == pytest.approx(hand, rel=1e-12)


def test_expected_predictability_agrees_with_simulated_lists():
    """Average realized predictability of 100 seeded lists of 500 positions (blocks 4 or 6) vs the closed form."""
    rng = np.random.default_rng(8)
    sims = [guessing_predictability(allocation_list(500, block_sizes=(4, 6), rng=rng)) for _ in range(100)]
    se = np.std(sims, ddof=1) / np.sqrt(len(sims))
    assert abs(np.mean(sims) - expected_predictability((4, 6))) < 4 * se + 2e-3  # + end-of-list truncation


def test_expected_predictability_rejects_odd_blocks():
    with pytest.raises(ValueError, match="multiples of the ratio total 2"):
        expected_predictability((3,))


def test_record_html_shows_full_fingerprint_and_state(concealed):
    html = concealed.record._repr_html_()
    assert concealed.record.sha256 in html
    assert str(concealed.record.generator_state["state"]["state"]) in html


def test_chance_significance_displays_its_numbers():
    r = chance_significance([0.01, 0.5], alpha=0.05)
    html = r._repr_html_()
    assert "n_significant" in html and "<td>1</td>" in html


def test_to_csv_refuses_to_overwrite_and_writes_whole_files(tmp_path):
    from analysis.toolkit.randomization import generate_allocation, verify_allocation

    a = generate_allocation(20, block_sizes=(4,), seed=7)
    b = generate_allocation(20, block_sizes=(4,), seed=8)
    csv, rec = a.to_csv(tmp_path / "list.csv")
    before = csv.read_bytes(), rec.read_bytes()
    with pytest.raises(FileExistsError, match="not overwritten"):
        b.to_csv(tmp_path / "list.csv")
    assert (csv.read_bytes(), rec.read_bytes()) == before
    b.to_csv(tmp_path / "list.csv", overwrite=True)
    assert csv.read_bytes() != before[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.csv", "list.json"]
    assert verify_allocation(csv) is not None
