"""analysis: the tested package behind the re-analysis book.

Public API re-exported here; see each module for details.
"""

from .data import (
    ARM_LABELS,
    ARMS,
    BASELINE_CATEGORICAL,
    BASELINE_CONTINUOUS,
    LAB_ANALYTES,
    Trial,
    TrialDataError,
    load_trial,
)
from .paths import data_dir, default_data_dir, repo_root
from .published import HR_CONVENTION, Published, PublishedHR, load_published
from .survival import ENDPOINTS, HRResult, cox_hr, endpoint_frame, logrank, window_frame

__version__ = "0.1.0"

__all__ = [
    "ARMS",
    "ARM_LABELS",
    "BASELINE_CATEGORICAL",
    "BASELINE_CONTINUOUS",
    "LAB_ANALYTES",
    "Trial",
    "TrialDataError",
    "load_trial",
    "data_dir",
    "default_data_dir",
    "repo_root",
    "HR_CONVENTION",
    "Published",
    "PublishedHR",
    "load_published",
    "ENDPOINTS",
    "HRResult",
    "cox_hr",
    "endpoint_frame",
    "logrank",
    "window_frame",
]
