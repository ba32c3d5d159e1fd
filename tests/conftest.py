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
