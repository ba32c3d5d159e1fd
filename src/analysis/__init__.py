"""analysis: the tested package behind the re-analysis book, and a toolkit for trial re-analyses.

Modules, one concept each:

- data, paths, published: the trial data model, where data live, the paper's numbers;
- synthetic, calibration: the calibrated synthetic cohort and its calibration report;
- design, simulate: survival sample size and power; vectorised trial simulation;
- randomization, consort: allocation lists and concealment records; CONSORT flow from data;
- baseline, consistency, tables: Table 1, checks of published statistics, publication tables;
- survival, landmark, competing, survival_plots: Kaplan-Meier, log-rank, Cox, PH tests, RMST,
  landmark analysis, competing risks, and their figures;
- longitudinal, safety: liver-function models; adverse-event tables;
- ledger: the results ledger; book, plotting: helpers for the chapters.

The public names of every module are re-exported here, and imported lazily: ``import analysis``
loads no scientific library; ``analysis.cox_hr`` (or ``from analysis import cox_hr``) imports the
module that defines it on first use (PEP 562). ``tests/test_project.py`` checks that the table
below equals each module's ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Module -> the public names it defines (its ``__all__``), re-exported here.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "baseline": ('TABLE1_ORDER', 'TABLE1_LABELS', 'BaselineTable', 'baseline_table', 'smd_continuous', 'smd_categorical', 'baseline_imbalances', 'compare_with_published'),
    "calibration": ('calibration_report', 'printed'),
    "competing": ('CAUSES', 'competing_frame', 'CIFResult', 'cumulative_incidence', 'GrayResult', 'gray_test', 'cause_specific_hr', 'crude_incidence'),
    "consistency": ('VERDICTS', 'CHECK_COLUMNS', 'rounding_interval', 'judge', 'TTestSummary', 'ttest_from_summary', 'chisq_from_counts', 'fisher_from_counts', 'TableTooLargeError', 'WaldFromCI', 'wald_from_ci', 'implied_events', 'se_from_events', 'grim', 'median_granularity', 'estimate_mean_sd', 'skewness_from_summary', 'skewness_flags', 'check_table1', 'compare_table1_tests', 'check_hazard_ratios', 'implied_events_frame', 'check_event_counts', 'check_percentages', 'check_consort', 'check_granularity', 'check_direction', 'check_claims', 'check_published', 'verdict_counts'),
    "consort": ('STAGES', 'consort_counts', 'published_consort_counts', 'consort_comparison', 'analysis_population', 'plot_consort'),
    "data": ('ARMS', 'ARM_LABELS', 'BASELINE_CONTINUOUS', 'BASELINE_CATEGORICAL', 'LAB_ANALYTES', 'TrialDataError', 'Trial', 'load_trial', 'validate_folder', 'content_digest', 'data_dictionary'),
    "design": ('METHODS', 'PiecewiseExponential', 'SurvivalDesign', 'SampleSizeResult', 'PowerResult', 'hazard_from_survival', 'dropout_hazard', 'event_probability', 'expected_events', 'events_required', 'power_from_events', 'sample_size_survival', 'power_survival', 'paper_design', 'reported_effect_hazards', 'observed_dropout', 'asymptotic_logrank_moments', 'READINGS', 'reported_effect_design', 'Scenario', 'paper_scenarios', 'power_table', 'sample_size_table', 'plot_expected_events', 'detectable_hazard_ratio', 'observed_accrual_months', 'events_with_fixed_follow_up'),
    "landmark": ('LANDMARK_GRID', 'landmark_km', 'landmark_windows', 'landmark_comparison', 'landmark_grid', 'grid_summary', 'TimeVaryingResult', 'time_varying_test'),
    "ledger": ('HR_LOG_TOLERANCE', 'LEDGER_VERSION', 'STATUSES', 'build_ledger', 'format_ledger_html', 'ledger_frame', 'write_ledger'),
    "longitudinal": ('LOG_ANALYTES', 'ANALYTE_LABELS', 'ANALYTE_UNITS', 'lab_frame', 'visit_status', 'describe_visits', 'change_from_baseline', 'between_arm_t', 'MMRMResult', 'mmrm', 'ancova_by_week', 'adjusted_effects', 'evaluate_statements', 'format_estimates', 'format_visits', 'plot_lab_means', 'plot_trajectories', 'message_figure'),
    "paths": ('repo_root', 'published_dir', 'default_data_dir', 'data_dir', 'TRIAL_DATA_ENV'),
    "plotting": ('ARM_COLORS', 'arm_color', 'arm_label', 'set_style'),
    "published": ('HR_CONVENTION', 'PublishedHR', 'Table1Row', 'Published', 'load_published'),
    "randomization": ('CODE_ALPHABET', 'allocation_list', 'simple_allocation_list', 'assign_arms', 'allocation_balance', 'guessing_predictability', 'expected_predictability', 'ConcealmentRecord', 'AllocationList', 'generate_allocation', 'reproduce_allocation', 'verify_allocation', 'ChanceSignificance', 'chance_significance', 'plot_imbalance'),
    "safety": ('ANY_EVENT', 'exposed', 'ae_frame', 'compare_proportions', 'ae_by_term', 'ae_by_seriousness', 'infusion_reactions', 'hcc_incidence', 'incidence_test', 'safety_statements', 'format_ae_table', 'format_incidence', 'format_infusion_reactions', 'plot_risk_differences'),
    "simulate": ('TESTS', 'DAY_IN_MONTHS', 'SimulatedTrials', 'SimulationResult', 'simulate_trials', 'logrank_statistics', 'landmark_logrank_statistics', 'rmst_statistics', 'simulate_power', 'power_curve', 'plot_power_curves'),
    "survival": ('ENDPOINTS', 'DIRECTIONS', 'REPORT_TIMES', 'COX_FIT_OPTIONS', 'COLUMN_LABELS', 'HorizonError', 'endpoint_frame', 'window_frame', 'add_covariates', 'KMResult', 'kaplan_meier', 'LogRankResult', 'logrank', 'HRResult', 'cox_hr', 'hr_models', 'followup', 'ZPHResult', 'ph_test', 'RMSTResult', 'rmst'),
    "survival_plots": ('AT_RISK_TIMES', 'plot_km', 'plot_landmark_km', 'plot_forest', 'plot_zph', 'plot_cif', 'plot_landmark_grid', 'format_hr_table', 'format_km_times'),
    "synthetic": ('DAYS_PER_MONTH', 'LabEffects', 'SyntheticParameters', 'derive_event_counts', 'BILIRUBIN_UMOL_PER_MG', 'CREATININE_UMOL_PER_MG', 'MELD_COEFFICIENTS', 'meld_score', 'generate', 'write_cohort', 'cohort_digest'),
    "tables": ('DEFAULT_DECIMALS', 'published_decimals', 'format_p', 'baseline_display', 'format_baseline', 'side_by_side_display', 'format_side_by_side', 'consistency_display', 'format_consistency', 'format_test_comparison'),
    "disclosure": ("MIN_CELL", "applies", "protected_summary", "SMALL_CELL_NOTE"),
    "warnings": ('StatisticalWarning',),
}
_SUBMODULES = (*_EXPORTS, "book")
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [name for names in _EXPORTS.values() for name in names]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
