"""Shared fixtures: the committed synthetic cohort and the published numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import load_published, load_trial
from analysis.paths import default_data_dir


@pytest.fixture(scope="session")
def published():
    return load_published()


@pytest.fixture(scope="session")
def trial():
    """The committed synthetic cohort (never modified by tests)."""
    return load_trial(default_data_dir())


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


@pytest.fixture(scope="session")
def private_book():
    """Every chapter run on a copy of the cohort with distinctive ids, marked as real data (a ChapterRun)."""
    return _bookbuild.get_build("private").result("private")


@pytest.fixture(scope="session")
def second_book():
    """Every chapter run on a second, public dataset with only patients.csv (GBSG-2; a ChapterRun)."""
    return _bookbuild.get_build("second").result("second")


@pytest.fixture(scope="session")
def actg175_book():
    """Every chapter run on ACTG 175 (two arms; a sparse second endpoint; no dates; a ChapterRun)."""
    return _bookbuild.get_build("actg175").result("actg175")


@pytest.fixture(scope="session")
def leukemia_book():
    """Every chapter run on Freireich's leukemia trial (survival only; a ChapterRun)."""
    return _bookbuild.get_build("leukemia").result("leukemia")
