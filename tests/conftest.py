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


# --- Book builds (tests/bookbuild.py) ---------------------------------------------------
# Full builds take 30-90 s each: the builds that the collected tests use are started
# in the background as soon as collection ends, and run while the unit tests run.
# KEEP_BOOK_BUILDS=1 keeps their temporary folder (its path is in each build's result).

import os as _os

import bookbuild as _bookbuild


def pytest_collection_finish(session):
    _bookbuild.start_needed(session.items)


def pytest_sessionfinish(session, exitstatus):
    _bookbuild.stop_all(keep=bool(_os.environ.get("KEEP_BOOK_BUILDS")))


@pytest.fixture(scope="session")
def synthetic_book():
    """The book built on the committed synthetic cohort (a finished BuildResult)."""
    return _bookbuild.get_build("synthetic").result()


@pytest.fixture(scope="session")
def private_book():
    """The book built on a copy of the cohort with distinctive ids, marked as real data."""
    return _bookbuild.get_build("private").result()


@pytest.fixture(scope="session")
def second_book():
    """The book built on a second, public dataset with only patients.csv (GBSG-2)."""
    return _bookbuild.get_build("second").result()
