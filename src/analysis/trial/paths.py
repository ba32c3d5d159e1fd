"""Where the project's data live: arguments first, then configuration, never the package's location.

The package does not assume it runs from a checkout. Every function that reads data takes its
folder as an argument; when none is given, these functions find it:

- ``$TRIAL_DATA``: the trial data folder the book runs on (default: the project's committed
  synthetic cohort, ``data/synthetic/``);
- ``$TRIAL_PUBLISHED``: the folder of the paper's published numbers (default:
  ``data/published/`` of the project);
- the project folder: ``$TRIAL_PROJECT`` if set, else the nearest folder at or above the
  current folder that holds ``data/published/`` (the way git finds its repository). Chapters
  run in ``book/chapters`` or ``book/notebooks``, tests in the project folder: both find it.

``python -m analysis validate DIR`` needs none of these: it reads only ``DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["TRIAL_DATA_ENV", "TRIAL_PUBLISHED_ENV", "TRIAL_PROJECT_ENV", "ProjectNotFoundError",
           "project_dir", "published_dir", "default_data_dir", "data_dir"]

#: Environment variable that points every chapter at another data folder.
TRIAL_DATA_ENV = "TRIAL_DATA"
#: Environment variable naming the folder of the published numbers.
TRIAL_PUBLISHED_ENV = "TRIAL_PUBLISHED"
#: Environment variable naming the project folder.
TRIAL_PROJECT_ENV = "TRIAL_PROJECT"


class ProjectNotFoundError(FileNotFoundError):
    """No project folder (one holding ``data/published/``) is configured or above the current folder."""


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


def project_dir(start: str | os.PathLike | None = None) -> Path:
    """The project folder: ``$TRIAL_PROJECT``, else the nearest folder at or above ``start``
    (default: the current folder) that holds ``data/published/``.

    Parameters
    ----------
    start : str or os.PathLike, optional
        Folder to search upwards from (default ``None``: the current folder). Ignored when
        ``$TRIAL_PROJECT`` is set.

    Returns
    -------
    Path
        The project folder, absolute.

    Raises
    ------
    ProjectNotFoundError
        If neither is found; the message says how to configure it.
    """
    env = _env_path(TRIAL_PROJECT_ENV)
    if env is not None:
        return env
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "published").is_dir():
            return folder
    raise ProjectNotFoundError(
        f"no project folder: none of {here} and the folders above it holds data/published/. "
        f"Run from inside the project, or set {TRIAL_PROJECT_ENV}=DIR (or {TRIAL_PUBLISHED_ENV}=DIR "
        "for the published numbers and pass the data folder explicitly)."
    )


def published_dir() -> Path:
    """The folder of the paper's reported numbers: ``$TRIAL_PUBLISHED`` or the project's ``data/published/``.

    Returns
    -------
    Path
        The folder (absolute; not checked to exist when it comes from ``$TRIAL_PUBLISHED``).

    Raises
    ------
    ProjectNotFoundError
        If ``$TRIAL_PUBLISHED`` is unset and no project folder is found (:func:`project_dir`).
    """
    return _env_path(TRIAL_PUBLISHED_ENV) or project_dir() / "data" / "published"


def default_data_dir() -> Path:
    """The project's committed calibrated synthetic cohort, ``data/synthetic/``.

    Returns
    -------
    Path
        ``project_dir() / "data" / "synthetic"``.

    Raises
    ------
    ProjectNotFoundError
        If no project folder is found (:func:`project_dir`).
    """
    return project_dir() / "data" / "synthetic"


def data_dir() -> Path:
    """The trial data folder the book runs on: ``$TRIAL_DATA`` if set, else :func:`default_data_dir`.

    A relative ``$TRIAL_DATA`` is taken from the current folder if it exists there, else from
    the project folder (notebooks run with a chapter folder as their current folder, while users
    give paths from where they typed the command).

    Returns
    -------
    Path
        The data folder, absolute (not checked to exist).

    Raises
    ------
    ProjectNotFoundError
        If the folder has to be found from the project folder and there is none.
    """
    env = os.environ.get(TRIAL_DATA_ENV, "").strip()
    if not env:
        return default_data_dir()
    p = Path(env).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve()
    return (project_dir() / p).resolve()
