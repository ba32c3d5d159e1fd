"""Shared fixtures: the committed synthetic cohort and the published numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import load_published, load_trial
from analysis.trial.paths import default_data_dir


@pytest.fixture(scope="session")
def published():
    return load_published()


@pytest.fixture(scope="session")
def trial():
    """The committed synthetic cohort (never modified by tests)."""
    return load_trial(default_data_dir())


@pytest.fixture(scope="session")
def _ledger_and_results(trial, published):
    from analysis.report.ledger import ledger_with_results

    return ledger_with_results(trial, published)


@pytest.fixture(scope="session")
def all_results(_ledger_and_results):
    """Every chapter's results on the committed cohort, computed once per test process (the ledger's
    source; tests must not modify them)."""
    return _ledger_and_results[1]


@pytest.fixture(scope="session")
def synthetic_ledger(_ledger_and_results):
    """The ledger of the committed cohort, built from the same results."""
    return _ledger_and_results[0]


@pytest.fixture
def trial_dir(tmp_path: Path) -> Path:
    """A writable copy of the synthetic cohort's folder."""
    dst = tmp_path / "trial"
    shutil.copytree(default_data_dir(), dst)
    return dst


# --- Book builds and chapter runs (tests/bookbuild.py) ----------------------------------------
# Started in the background as soon as collection ends, and run while the unit tests run.
# KEEP_BOOK_BUILDS=1 keeps their temporary folder.

import os as _os

import bookbuild as _bookbuild


def pytest_collection_modifyitems(items):
    """Unit tests first, then the browser, then the tests that wait for the background runs (marked
    ``slow``): the background work overlaps with the other tests instead of being waited for."""
    def order(item):
        if item.get_closest_marker("slow") is None:
            return 0  # unit tests (and "heavy" ones) first
        # the browser needs only the quick HTML build; the chapter runs finish meanwhile
        return 1 if item.get_closest_marker("browser") is not None else 2

    items.sort(key=order)


def pytest_collection_finish(session):
    _bookbuild.start_needed(session.items)


def pytest_sessionfinish(session, exitstatus):
    _bookbuild.stop_all(keep=bool(_os.environ.get("KEEP_BOOK_BUILDS")))


@pytest.fixture(scope="session")
def synthetic_book():
    """The HTML book of the committed synthetic cohort, from the stored notebooks (a BuildResult)."""
    return _bookbuild.get_build("synthetic").result()


def _chapter_run(name: str, doc: str):
    """A session fixture: every chapter run on the dataset ``name`` (a ``bookbuild.ChapterRun``)."""

    def run():
        return _bookbuild.get_build(name).result(name)

    run.__doc__ = doc
    return pytest.fixture(scope="session", name=f"{name}_book")(run)


private_book = _chapter_run("private", "A copy of the cohort with distinctive ids and planted values, marked as real data.")
leukemia_book = _chapter_run("leukemia", "Freireich's leukemia trial: survival columns only.")
reconstructed_book = _chapter_run("reconstructed", "HCC-free survival only, reconstructed from the cohort's curves.")
