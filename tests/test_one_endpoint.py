"""Every chapter computes on a survival-only dataset with one endpoint (issue 15).

``python -m analysis reconstruct`` writes patients reconstructed from one published figure: one
endpoint's time and event columns, nothing else. Each chapter's results are computed on such a
folder (the committed cohort's curves clicked and reconstructed, :func:`bookbuild.make_reconstructed`),
once with overall survival only and once with HCC-free survival only, without building the book:
every chapter runs, every result id and glue key of the committed cohort is there, the absent
endpoint's results are not computable with a note naming what is missing, and the present
endpoint's are computed. (The chapter notebooks run on the HCC-only folder in
``tests/test_book_build.py``.)
"""

from __future__ import annotations

import pytest

from analysis import load_trial
from analysis.report.chapters import CHAPTERS
from analysis.report.chapters._endpoints import OUTCOMES, present
from analysis.report.ledger import chapter_results
from analysis.toolkit.survival import ENDPOINTS

import bookbuild as bb

pytestmark = pytest.mark.heavy

OTHER = {"os": "hcc", "hcc": "os"}


def _about(rid: str, ep: str) -> bool:
    """Whether result ``rid`` is an analysis of endpoint ``ep`` on the data (not a published number)."""
    return (rid.startswith(f"{ep}.") or f".{ep}." in rid) and not rid.startswith(("evidence.landmark_selection.",
                                                                                   "consistency.", "design."))


@pytest.fixture(scope="module", params=["os", "hcc"])
def one_endpoint(request, tmp_path_factory, published):
    """(endpoint the data hold, the trial, every chapter's results on it)."""
    data = bb.make_reconstructed(tmp_path_factory.mktemp("rec") / f"reconstructed-{request.param}", request.param)
    trial = load_trial(data)
    return request.param, trial, chapter_results(trial, published)


def test_the_folder_holds_one_endpoint(one_endpoint):
    ep, trial, _ = one_endpoint
    assert present(trial) == (ep,) and trial.meta["reconstructed"] and not trial.synthetic
    assert any(ENDPOINTS[OTHER[ep]][0] in n for n in trial.notes)  # the data notice names what is missing


#: Chapters with results that exist on the synthetic cohort only (the Data chapter's ensemble and
#: calibration diagnostics); on real data they hold a subset of the cohort's ids.
SYNTHETIC_ONLY = ("data", "reproducibility")


def test_every_chapter_computes_every_id_and_glue_key(one_endpoint, all_results):
    _, _, results = one_endpoint
    assert list(results) == list(CHAPTERS)
    for name in CHAPTERS:
        ids, keys = set(results[name]), {k for r in results[name].values() for k in r.glue}
        want, want_keys = set(all_results[name]), {k for r in all_results[name].values() for k in r.glue}
        if name in SYNTHETIC_ONLY:
            assert ids <= want and keys <= want_keys, name
        else:
            assert ids == want and keys == want_keys, name


def test_absent_endpoint_is_not_computable_with_a_note(one_endpoint):
    ep, _, results = one_endpoint
    gone = OTHER[ep]
    about = {rid: r for res in results.values() for rid, r in res.items() if _about(rid, gone)  # on the data:
             and r.provenance != "published" and "setting" not in r.note and "published" not in r.note}
    assert len(about) > 20  # survival, landmark, evidence
    computed = {rid: r.value for rid, r in about.items() if r.value is not None}
    assert not computed, f"computed on data without {gone}: {computed}"
    unnamed = [rid for rid, r in about.items() if f"no {OUTCOMES[gone]} outcome" not in r.note
               and "not computable" not in r.note]
    assert not unnamed, f"no note naming the missing outcome: {unnamed}"
    for key, h in results["landmark"].items():
        if key.startswith(f"{gone}.") and key.endswith(".hr"):
            assert h.status == "not computable" and h.published is not None  # the paper's number stays


def test_present_endpoint_is_computed(one_endpoint):
    ep, _, results = one_endpoint
    sv, lm = results["survival"], results["landmark"]
    assert sv[f"{ep}.cox.hr"].value > 0 and sv[f"{ep}.logrank.p"].value is not None
    assert sv[f"{ep}.rmst.difference"].value is not None
    assert lm[f"landmark.grid.{ep}.n"].value > 0
    assert results["reconstruction"][f"reconstruction.demo.{ep}.cox.reconstructed"].value > 0
    if ep == "os":
        assert results["evidence"]["evidence.sifi.os.p_initial"].value is not None
        assert results["design"]["design.observed_deaths.total"].value > 0
    else:
        assert results["safety"]["safety.hcc.events.control"].value is not None


def test_pages_get_notes_instead_of_the_absent_endpoint(one_endpoint):
    ep, _, results = one_endpoint
    gone = OTHER[ep]
    for name in ("survival", "landmark"):
        obj = results[name].objects
        assert set(obj["absent"]) == {gone} and f"no {OUTCOMES[gone]} outcome" in obj["absent_notice"]
    sv = results["survival"].objects
    assert sv[f"km_{gone}"] is None and sv[f"km_{ep}"] is not None and sv["cif_table"] is None
    assert results["landmark"].objects["km_split_message"][gone].startswith("Not shown")
