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

    ``$TRIAL_DATA`` if set, else the committed synthetic cohort. A relative
    ``$TRIAL_DATA`` is taken from the current folder if it exists there, else
    from the project folder (notebooks run with the chapter folder as their
    current folder, while users give paths from where they typed the command).
    """
    env = os.environ.get(TRIAL_DATA_ENV, "").strip()
    if not env:
        return default_data_dir()
    p = Path(env).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve()
    return (repo_root() / p).resolve()
