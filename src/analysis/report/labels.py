"""The one vocabulary of what a reader sees: column codes, arm codes and known ids as readable labels.

Statistical functions return tidy frames with stable code names (``hr``, ``ci_low``,
``median_reverse_km``, ``lachin_foulkes``); the report shows them under readable labels with their
units. Every table of the book goes through :func:`column_label` and :func:`value_label` (by way of
:func:`analysis.report.display.table`), so one code reads the same everywhere. A code without an
entry passes through unchanged; ``tests/test_display.py`` lists every header and row label the
chapters show on the synthetic cohort and fails on code-like ones (:func:`is_code_like`).
"""

from __future__ import annotations

import re
from typing import Any

from ..toolkit.schema import ARM_LABELS

from ..toolkit.conventions import DEFAULT_CONF_LEVEL

__all__ = ["COLUMN_HEADERS", "VALUE_LABELS", "COUNT_COLUMNS", "column_label", "value_label", "id_label",
           "is_code_like", "is_p_column"]

#: The confidence level the headers name (the toolkit's default, which every table here uses).
_CL = f"{DEFAULT_CONF_LEVEL:.0%}"

#: Column code -> "Label (unit)". Units only where the code fixes them; a caption states the rest.
COLUMN_HEADERS: dict[str, str] = {
    # generic
    "label": "Quantity", "text": "Statement", "statement": "Statement", "description": "Description",
    "arm": "Arm", "n": "n", "events": "Events", "patients": "Patients", "value": "Cohort",
    "published": "Published", "cohort": "Cohort", "data": "Data", "difference": "Difference",
    "status": "Status", "provenance": "Provenance", "note": "Note", "detail": "Detail", "tolerance": "Tolerance",
    "chapter": "Chapter", "category": "Kind of check", "results": "Results", "id": "Result",
    "estimate": "Estimate", "se": "SE", "ci_low": f"{_CL} CI, lower", "ci_high": f"{_CL} CI, upper", "ci": f"{_CL} CI",
    "p": "p", "p_logrank": "p (log-rank)", "p_mannwhitney": "p (Mann-Whitney)", "p_fisher": "p (Fisher)",
    "p_chisq": "p (chi-square)", "p_chisq_yates": "p (chi-square, Yates)", "p_min": "p, smallest",
    "p_max": "p, largest", "hr": "HR", "hr_min": "HR, smallest", "hr_max": "HR, largest", "coef": "log HR",
    "smd": "SMD", "skewed": "Skewed", "level": "Level", "statistic": "Statistic", "time": "Time (months)",
    "start": "From (months)", "end": "To (months)", "window": "Window", "endpoint": "Endpoint",
    "model": "Model", "term": "Term", "method": "Method", "test": "Test", "key": "Estimate",
    "scenario": "Scenario", "source": "Source", "stage": "Stage", "months": "Months",
    "events_arms": "Events, Control / UC-MSC", "n_arms": "Patients, Control / UC-MSC",
    "patients_arms": "Patients, Control / UC-MSC",
    # per arm
    "events_control": "Events, Control", "events_ucmsc": "Events, UC-MSC", "n_control": "Patients, Control",
    "n_ucmsc": "Patients, UC-MSC",
    # agreement statuses as column heads
    "agrees": "Agrees", "differs": "Differs", "not published": "Not published",
    "not computable": "Not computable", "within rounding": "Within rounding",
    # data chapter
    "file": "File", "column": "Column", "required": "Required", "empty_allowed": "Empty allowed",
    "type": "Type", "rule": "Rule", "table": "Table", "present": "Present", "rows": "Rows",
    "hr_published": "Published HR", "hr_implied": "HR from the counts", "se_published": "SE of log HR, published",
    "se_implied": "SE of log HR, from the counts", "events_low": "Events, lowest", "events_high": "Events, highest",
    # design chapter
    "accrual_months": "Accrual (months)", "follow_up_months": "Follow-up (months)",
    "study_months": "Study duration (months)", "allocation": "Allocation ratio (UC-MSC : control)",
    "n_trials": "Simulated trials", "power": "Power", "mc_se": "Monte Carlo SE", "mean_events": "Mean deaths",
    "n_per_arm": "Patients per arm", "schoenfeld": "Schoenfeld", "freedman": "Freedman",
    "lachin_foulkes": "Lachin-Foulkes", "asymptotic": "Asymptotic", "analytic": "Analytic",
    "simulation": "Simulation", "logrank": "Log-rank", "landmark": "Landmark", "rmst": "RMST (months)",
    # reconstruction chapter
    "trial": "Trial, endpoint", "variant": "Information used besides the curves", "clicks": "Clicks",
    "log_hr_diff": "Log HR difference", "rmst_rel_diff": "RMST, relative difference",
    "max_abs_ds": "Largest survival difference", "median_rel_diff": "Median, relative difference",
    # landmark chapter
    "n_significant": "Landmarks with p < 0.05", "first": "First landmark (months)",
    "last": "Last landmark (months)",
    # liver function
    "comparison": "Comparison", "direction": "Direction", "weeks": "Weeks", "n_checks": "Checks",
    "n_consistent": "Consistent checks", "min_n": "Smallest n", "status_adjusted": "Status, adjusted",
    "detail_adjusted": "Detail, adjusted",
    # randomization
    "sequence": "Sequence", "block": "Block", "block_size": "Block size", "envelope": "Envelope",
    "code": "Code", "check": "Check", "passed": "Passed",
    # survival
    "median_simple": "Median, observed times", "min": "Shortest", "max": "Longest",
    "median_reverse_km": "Median, reverse Kaplan-Meier", "published_median": "Published median",
    "published_min": "Published shortest", "published_max": "Published longest", "median": "Median",
    "tau": "Horizon (months)", "chisq": "Chi-square", "df": "df", "hcc": "HCC",
    "death_without_hcc": "Death without HCC", "censored": "Censored", "hcc_prop": "HCC, proportion",
    "death_without_hcc_prop": "Death without HCC, proportion", "cif": "Cumulative incidence",
    "var": "Variance", "one_minus_km": "1 − Kaplan-Meier",
    # evidence chapter
    "prob_benefit": "P(HR > 1)", "prob_relevant": "P(HR > relevant benefit)", "prior_sd": "Prior SD (log HR)",
    "p_above": "P(HR > 1)", "patients_changed": "Patients changed", "p_after": "p (Fisher) after the change",
    "added_control": "Excluded control patients counted as events",
    "added_ucmsc": "Excluded UC-MSC patients counted as events",
    "control_added": "Excluded control patients counted as deaths",
    "fewest_ucmsc": "Fewest excluded UC-MSC deaths for the CI to include 1",
    "risk_diff": "Risk difference (UC-MSC minus control)", "claim": "Conclusion", "verdict": "Verdict",
    "reason": "Why", "ci_p_consistent": "Printed CI and p agree", "case": "Case",
    # evidence chapter, analyses by simulation or on patient data
    "p_published": "Published p", "p_adjusted": "p, adjusted for choosing the landmark",
    "mc_ci": f"{_CL} Monte Carlo interval", "familywise_error": "Some landmark below alpha, no effect",
    "rejection_fixed": "Below alpha, landmark fixed in advance",
    "below_fixed": "At most the published p, landmark fixed in advance",
    "ks_statistic": "Largest gap to the uniform, landmark fixed in advance",
    # data chapter: printed digits of the hazard ratios, ensemble of synthetic cohorts
    "published_ci_low": f"Published {_CL} CI, lower", "published_ci_high": f"Published {_CL} CI, upper",
    "digits_met": "Printed values reproduced (of 3)", "unit": "Unit", "p2_5": "2.5th percentile",
    "p97_5": "97.5th percentile", "cohorts": "Cohorts",
}

#: Value code -> readable name (arms, methods, windows, terms, chapters, ...).
VALUE_LABELS: dict[str, str] = {
    **ARM_LABELS, "all": "Both arms",
    "os": "Overall survival", "hcc": "HCC-free survival", "early": "Early", "late": "Late", "overall": "Overall",
    "trt": "Treatment", "trt_x_logt": "Treatment × log(time)", "trt_early": "Treatment, early window",
    "trt_late": "Treatment, late window", "GLOBAL": "Global", "log": "Treatment × log(time)",
    "piecewise": "Piecewise (early and late window)", "os, log": "Overall survival, treatment × log(time)",
    "os, piecewise": "Overall survival, piecewise", "hcc, log": "HCC-free survival, treatment × log(time)",
    "hcc, piecewise": "HCC-free survival, piecewise",
    "schoenfeld": "Schoenfeld", "freedman": "Freedman", "lachin_foulkes": "Lachin-Foulkes",
    "asymptotic": "Asymptotic", "logrank": "Log-rank", "landmark": "Landmark", "rmst": "RMST",
    "vs_baseline": "vs baseline", "vs_control": "vs control", "up": "higher", "down": "lower", "none": "no difference",
    "mean": "Mean", "sd": "SD", "median": "Median", "count": "Patients",
    "liver_function": "Liver function", "randomization": "Randomization", "baseline": "Baseline",
    "survival": "Survival", "landmark_chapter": "Landmark", "safety": "Safety", "design": "Design",
    "data": "Data", "consort": "Patient flow", "counts": "Counts", "percentage": "Percentages",
    "mean_sd": "Means and SDs", "p_value": "p values", "median_range": "Medians and ranges",
    "lost_to_follow_up": "Lost to follow-up", "not_analyzed": "Not analysed", "analyzed": "Analysed",
    "withdrew": "Withdrew consent",
    # evidence chapter
    "vague": "Vague prior", "skeptical": "Skeptical prior", "enthusiastic": "Enthusiastic prior",
    "pessimistic": "Pessimistic prior", "hcc_added": "Counted with HCC (patients without it)",
    "hcc_removed": "Counted without HCC (patients with it)", "as_analysed": "Analysed patients only",
    "best_case": "Best case for UC-MSC", "worst_case": "Worst case for UC-MSC",
    "best_case_start": "Best case for UC-MSC, the other arm censored at exclusion",
    "worst_case_start": "Worst case for UC-MSC, the other arm censored at exclusion",
    "best_case_horizon": "Best case for UC-MSC, the other arm event-free to the horizon",
    "worst_case_horizon": "Worst case for UC-MSC, the other arm event-free to the horizon",
}

#: Columns holding counts: shown as integers.
COUNT_COLUMNS = frozenset({
    "n", "events", "patients", "events_control", "events_ucmsc", "n_control", "n_ucmsc", "rows", "results",
    "agrees", "differs", "not published", "not computable", "within rounding", "n_trials", "n_per_arm",
    "n_significant", "n_checks", "n_consistent", "min_n", "sequence", "block", "block_size", "df", "hcc",
    "death_without_hcc", "censored", "published_median", "published_min", "published_max",
})

_ENDPOINTS = {"os": "Overall survival", "hcc": "HCC-free survival"}
_RESULT_ID = re.compile(r"^(os|hcc)\.(?:(cox)|landmark(\d+(?:\.\d+)?)\.(early|late))$")
_SNAKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+$")
_DOTTED = re.compile(r"^[a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+$")


def id_label(code: str) -> str | None:
    """Readable name of a known hazard-ratio id (``os.cox``, ``hcc.landmark8.late``), else ``None``.

    Parameters
    ----------
    code : str
        A result key such as ``"os.landmark13.early"``.

    Returns
    -------
    str or None
        E.g. ``"Overall survival, landmark 13 months: before it"``; ``None`` for other codes.
    """
    m = _RESULT_ID.match(code)
    if not m:
        return None
    ep, cox, lm, window = m.groups()
    if cox:
        return f"{_ENDPOINTS[ep]}, whole follow-up"
    return f"{_ENDPOINTS[ep]}, landmark {lm} months: " + ("before it" if window == "early" else "after it")


def column_label(code: Any) -> Any:
    """The header a reader sees for a column code (unknown codes pass through unchanged).

    Parameters
    ----------
    code : object
        A column name; non-strings (numbers) pass through.

    Returns
    -------
    object
        ``COLUMN_HEADERS[code]``, else the code itself.
    """
    if not isinstance(code, str):
        return code
    return COLUMN_HEADERS.get(code, VALUE_LABELS.get(code, code))


def value_label(code: Any) -> Any:
    """The name a reader sees for a value or row code (arm, method, window, known id, ...).

    Parameters
    ----------
    code : object
        A cell or index value; non-strings pass through.

    Returns
    -------
    object
        ``VALUE_LABELS[code]``, the name of a known result id (:func:`id_label`), the column label
        of a column code used as a row label (``accrual_months``), else the code itself.
    """
    if not isinstance(code, str):
        return code
    if code in VALUE_LABELS:
        return VALUE_LABELS[code]
    return id_label(code) or COLUMN_HEADERS.get(code, code)


def is_p_column(code: Any) -> bool:
    """Whether a column holds p values (``p``, ``p_*``, ``p (...)``, ``Published p``).

    Parameters
    ----------
    code : object
        The column's code or label.

    Returns
    -------
    bool
    """
    if isinstance(code, tuple):
        code = code[-1]
    if not isinstance(code, str):
        return False
    return code == "p" or code.startswith(("p_", "p (", "p, ")) or code.endswith(" p")


def is_code_like(text: Any) -> bool:
    """Whether a header or row label looks like a code name: snake_case or a dotted id.

    Parameters
    ----------
    text : object
        The label as shown.

    Returns
    -------
    bool
        ``True`` for ``"median_reverse_km"``, ``"os.landmark13.early"``; ``False`` for
        ``"HR (95% CI)"``, ``"0.5"``, ``"patients.csv"`` (a file name is what a reader must type).
    """
    if not isinstance(text, str):
        return False
    if re.fullmatch(r"[\w-]+\.(csv|ya?ml|json|md|ipynb)", text):
        return False
    return bool(_SNAKE.match(text) or _DOTTED.match(text))
