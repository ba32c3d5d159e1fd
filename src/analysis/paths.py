"""Where the project's data live, and the ``TRIAL_DATA`` switch to real data."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repo_root", "published_dir", "default_data_dir", "data_dir", "TRIAL_DATA_ENV"]

#: Environment variable that points every chapter at another data folder.
TRIAL_DATA_ENV = "TRIAL_DATA"


def repo_root() -> Path:
    """The project folder (two levels above this package in ``src/``)."""
    return Path(__file__).resolve().parents[2]


def published_dir() -> Path:
    """``data/published/``: the paper's reported numbers."""
    return repo_root() / "data" / "published"


def default_data_dir() -> Path:
    """``data/synthetic/``: the committed calibrated synthetic cohort."""
    return repo_root() / "data" / "synthetic"


def data_dir() -> Path:
    """The trial data folder the book runs on.

    ``$TRIAL_DATA`` if set (relative paths are taken from the current folder),
    else the committed synthetic cohort.
    """
    env = os.environ.get(TRIAL_DATA_ENV, "").strip()
    return Path(env).resolve() if env else default_data_dir()
