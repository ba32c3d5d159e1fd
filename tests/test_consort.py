"""Tests of analysis.toolkit.consort: the flow is counted from the data and the figure shows exactly those counts.

The reference for every count is the construction of the small trials below:
each case states how many patients of each arm have each disposition and how
many screenings ended in each outcome, writes the CSV files, loads them with
``load_trial`` and checks the counted flow and the drawn figure against the
case's own numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import pytest

from analysis.toolkit.consort import STAGES, analysis_population, consort_comparison, consort_counts, published_consort_counts
from analysis.report.figures import plot_consort
from analysis.toolkit.schema import ARMS
from analysis.trial.data import load_trial
from analysis.trial.published import load_published


# ----------------------------------------------------------------------------
# Building small trials
# ----------------------------------------------------------------------------
def write_trial(folder: Path, dispositions: dict[str, dict[str, int]], screening: dict[str, int] | None) -> Path:
    """patients.csv with the given disposition counts per arm; screening.csv with the given outcome counts."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    i = 0
    for arm, counts in dispositions.items():
        for disp, k in counts.items():
            for _ in range(k):
                i += 1
                analyzed = disp == "analyzed"
                rows.append({
                    "patient_id": f"P{i:04d}", "arm": arm, "disposition": disp, "randomized_on": "2012-01-01",
                    "age": 50, "sex": "M",
                    "os_months": 12.0 if analyzed else None, "death": 0 if analyzed else None,
                    "hcc_months": 12.0 if analyzed else None, "hcc": 0 if analyzed else None,
                })
    patients = pd.DataFrame(rows)
    patients.to_csv(folder / "patients.csv", index=False)
    if screening is not None:
        ids = list(patients["patient_id"])
        scr = [{"screening_id": f"S{j:04d}", "outcome": "randomized", "patient_id": pid} for j, pid in enumerate(ids)]
        for outcome in ("refused", "ineligible"):
            for _ in range(screening.get(outcome, 0)):
                scr.append({"screening_id": f"S{len(scr):04d}", "outcome": outcome, "patient_id": ""})
        pd.DataFrame(scr).to_csv(folder / "screening.csv", index=False)
    return folder


def expected_counts(dispositions: dict[str, dict[str, int]], screening: dict[str, int] | None) -> dict[tuple[str, str], int]:
    exp: dict[tuple[str, str], int] = {}
    n_rand = sum(sum(c.values()) for c in dispositions.values())
    if screening is not None:
        ref, inel = screening.get("refused", 0), screening.get("ineligible", 0)
        exp.update({("assessed", "all"): n_rand + ref + inel, ("excluded", "all"): ref + inel,
                    ("refused", "all"): ref, ("ineligible", "all"): inel})
    exp[("randomized", "all")] = n_rand
    for arm, c in dispositions.items():
        w, lost, ana = c.get("withdrew", 0), c.get("lost_to_follow_up", 0), c.get("analyzed", 0)
        exp.update({("allocated", arm): w + lost + ana, ("withdrew", arm): w, ("lost_to_follow_up", arm): lost,
                    ("excluded_from_analysis", arm): w + lost, ("analyzed", arm): ana})
    return exp


CASES = {
    "small": ({"control": {"analyzed": 5, "withdrew": 2, "lost_to_follow_up": 1},
               "ucmsc": {"analyzed": 6, "withdrew": 1, "lost_to_follow_up": 0}},
              {"refused": 3, "ineligible": 2}),
    "other": ({"control": {"analyzed": 9, "withdrew": 0, "lost_to_follow_up": 3},
               "ucmsc": {"analyzed": 4, "withdrew": 4, "lost_to_follow_up": 2}},
              {"refused": 0, "ineligible": 7}),
    "no_losses": ({"control": {"analyzed": 3}, "ucmsc": {"analyzed": 3}}, {"refused": 1}),
    "no_screening": ({"control": {"analyzed": 4, "withdrew": 1}, "ucmsc": {"analyzed": 2, "lost_to_follow_up": 2}},
                     None),
}


@pytest.fixture(scope="module")
def trials(tmp_path_factory):
    root = tmp_path_factory.mktemp("consort")
    return {name: load_trial(write_trial(root / name, *spec)) for name, spec in CASES.items()}


def count_texts(fig) -> dict[str, str]:
    """Text artists that carry a count, by gid."""
    out = {}
    for t in fig.findobj(matplotlib.text.Text):
        gid = t.get_gid()
        if gid and gid.startswith("consort:") and not gid.startswith("consort:note"):
            assert gid not in out, f"two artists with gid {gid}"
            out[gid] = t.get_text()
    return out


N_PATTERN = re.compile(r"\(n = (\d+)\)$")


# ----------------------------------------------------------------------------
# Counting
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(CASES))
def test_counts_equal_the_data(trials, case):
    counts = consort_counts(trials[case])
    assert list(counts.columns) == ["stage", "arm", "label", "n"]
    got = {(s, a): n for s, a, n in counts[["stage", "arm", "n"]].itertuples(index=False)}
    assert got == expected_counts(*CASES[case])
    assert list(dict.fromkeys(counts["stage"])) == [s for s in STAGES if s in set(counts["stage"])]


@pytest.mark.parametrize("case", list(CASES))
def test_figure_shows_exactly_the_counts(trials, case):
    counts = consort_counts(trials[case])
    fig = plot_consort(counts)
    texts = count_texts(fig)
    assert set(texts) == {f"consort:{s}:{a}" for s, a in zip(counts["stage"], counts["arm"])}
    for s, a, label, n in counts.itertuples(index=False):
        text = texts[f"consort:{s}:{a}"]
        assert int(N_PATTERN.search(text).group(1)) == n
        assert label in text
    # no other text in the figure carries a count
    all_counts = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if "(n = " in t.get_text()]
    assert len(all_counts) == len(counts)
    plt.close(fig)


def test_different_data_give_a_different_diagram(trials):
    figs = {c: plot_consort(consort_counts(trials[c])) for c in ("small", "other")}
    a, b = (count_texts(figs[c]) for c in ("small", "other"))
    assert a.keys() == b.keys() and a != b
    images = []
    for fig in figs.values():
        fig.canvas.draw()
        images.append(np.asarray(fig.canvas.buffer_rgba()))
        plt.close(fig)
    assert images[0].shape != images[1].shape or not np.array_equal(images[0], images[1])


def test_missing_screening_starts_at_randomization_with_a_note(trials):
    trial = trials["no_screening"]
    assert trial.screening is None
    counts = consort_counts(trial)
    assert not set(counts["stage"]) & {"assessed", "excluded", "refused", "ineligible"}
    fig = plot_consort(counts)
    notes = [t for t in fig.findobj(matplotlib.text.Text) if t.get_gid() == "consort:note:screening"]
    assert len(notes) == 1 and notes[0].get_visible()
    assert "Screening log not available" in notes[0].get_text()
    assert not any(g.startswith("consort:assessed") for g in count_texts(fig))
    plt.close(fig)
    with_screening = plot_consort(consort_counts(trials["small"]))
    assert not [t for t in with_screening.findobj(matplotlib.text.Text) if t.get_gid() == "consort:note:screening"]
    plt.close(with_screening)


# ----------------------------------------------------------------------------
# The paper's flow, comparison, analysis population
# ----------------------------------------------------------------------------
def test_published_flow_is_read_not_typed():
    raw = load_published().consort
    pub = published_consort_counts(raw)
    n = {(s, a): v for s, a, v in pub[["stage", "arm", "n"]].itertuples(index=False)}
    assert n[("assessed", "all")] == raw["screened"]
    assert n[("refused", "all")] == raw["excluded"]["refused"]
    for a in ARMS:
        assert n[("allocated", a)] == raw["randomized"][a]
        assert n[("analyzed", a)] == raw["analyzed"][a]
    # the paper's flow adds up, so it can be drawn
    fig = plot_consort(pub)
    texts = count_texts(fig)
    assert int(N_PATTERN.search(texts["consort:randomized:all"]).group(1)) == sum(raw["randomized"].values())
    plt.close(fig)


def test_comparison_is_data_minus_published(trials):
    data = consort_counts(trials["small"])
    pub = published_consort_counts(load_published().consort)
    cmp = consort_comparison(data, pub)
    assert list(cmp.columns) == ["stage", "arm", "label", "data", "published", "difference"]
    row = cmp[(cmp["stage"] == "analyzed") & (cmp["arm"] == "ucmsc")].iloc[0]
    assert row["difference"] == row["data"] - row["published"] == 6 - load_published().consort["analyzed"]["ucmsc"]
    assert (consort_comparison(pub, pub)["difference"] == 0).all()
    # a stage present in one flow only has no difference
    nos = consort_comparison(consort_counts(trials["no_screening"]), pub)
    assert nos.loc[nos["stage"] == "assessed", "data"].isna().all()
    assert nos.loc[nos["stage"] == "assessed", "difference"].isna().all()


def test_analysis_population_by_hand(trials):
    pop = analysis_population(consort_counts(trials["small"])).set_index("arm")
    # control 5 + 2 + 1 = 8 randomized, 5 analysed; ucmsc 6 + 1 = 7, 6 analysed
    assert pop.loc["control", ["randomized", "analyzed", "not_analyzed"]].tolist() == [8, 5, 3]
    assert pop.loc["all", ["randomized", "analyzed", "withdrew", "lost_to_follow_up"]].tolist() == [15, 11, 3, 1]
    assert pop.loc["all", "fraction_analyzed"] == pytest.approx(11 / 15, rel=1e-12)


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------
def test_bad_input_is_named(trials):
    with pytest.raises(TypeError, match="trial must be an analysis.Trial"):
        consort_counts(trials["small"].patients)
    counts = consort_counts(trials["small"])
    broken = counts.copy()
    broken.loc[(broken["stage"] == "analyzed") & (broken["arm"] == "control"), "n"] += 1
    with pytest.raises(ValueError, match="arm 'control'.*must equal allocated"):
        plot_consort(broken)
    with pytest.raises(ValueError, match="missing \\['n'\\]"):
        plot_consort(counts.drop(columns="n"))
    with pytest.raises(ValueError, match="reported flow lacks"):
        published_consort_counts({"randomized": {"control": 1}})
    with pytest.raises(ValueError, match="two columns"):
        plot_consort(counts, arms=("control",))
