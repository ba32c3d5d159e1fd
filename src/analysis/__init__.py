"""analysis: the tested package behind the re-analysis book, and a toolkit for trial re-analyses.

Four layers, each importing only the ones above it in this list (``tests/test_project.py``
checks it):

- ``analysis.toolkit``: statistics for any two-arm randomized trial, computation only (survival,
  landmark, competing risks, design and simulation, randomization, CONSORT counts, baseline
  tests, checks of published statistics, longitudinal models, adverse events);
- ``analysis.trial``: this trial: data loading and validation, the paper's published numbers,
  the calibrated synthetic cohort, the paper's design scenarios;
- ``analysis.report``: each chapter's named results, the results ledger, tables, figures, glue;
- ``analysis.build``: the book build and the chapter notebooks.

The public names of the toolkit, trial and report modules are re-exported here, and imported
lazily: ``import analysis`` loads no scientific library; ``analysis.cox_hr`` (or
``from analysis import cox_hr``) imports the module that defines it on first use (PEP 562).
``tests/test_project.py`` checks that the table below equals each module's ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Module -> the public names it defines (its ``__all__``), re-exported here.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "report.book": ('Chapter', 'chapter', 'data_notice', 'displayed', 'glue_formats', 'glue_markers', 'glue_numbers', 'marked_keys', 'not_shown', 'p_text', 'show'),
    "report.display": ('MISSING', 'Table', 'table', 'format_cell', 'mark_code'),
    "report.ensemble": ('STATISTICS', 'SUMMARY_FILE', 'summary_path', 'cohort_statistics', 'summarise', 'write_summary'),
    "report.figures": ('ARM_COLORS', 'arm_color', 'set_style', 'plot_expected_events', 'plot_power_curves', 'plot_imbalance', 'plot_consort', 'plot_lab_means', 'plot_trajectories', 'message_figure', 'plot_risk_differences', 'PRIOR_STYLES', 'plot_posteriors', 'plot_prior_sensitivity', 'plot_landmark_selection'),
    "report.format": ('MISSING_P', 'arm_label', 'format_p'),
    "report.labels": ('COLUMN_HEADERS', 'VALUE_LABELS', 'COUNT_COLUMNS', 'column_label', 'value_label', 'id_label', 'is_code_like', 'is_p_column'),
    "report.ledger": ('HR_LOG_TOLERANCE', 'LEDGER_VERSION', 'data_identity', 'chapter_results', 'build_ledger', 'ledger_with_results', 'format_results_html', 'format_ledger_html', 'ledger_frame', 'write_ledger'),
    "report.provenance": ('MARKERS', 'MARK_SUFFIX', 'PROVENANCES', 'marker_html'),
    "report.results": ('FIELDS', 'Result', 'ChapterResults', 'provenance_of', 'computed_once'),
    "report.survival_plots": ('AT_RISK_TIMES', 'plot_km', 'plot_landmark_km', 'plot_forest', 'plot_zph', 'plot_cif', 'plot_landmark_grid', 'plot_reconstruction'),
    "report.tables": ('DEFAULT_DECIMALS', 'published_decimals', 'baseline_display', 'format_baseline', 'side_by_side_display', 'format_side_by_side', 'consistency_display', 'format_consistency', 'format_test_comparison', 'format_hr_table', 'format_km_times', 'format_estimates', 'format_visits', 'format_ae_table', 'format_incidence', 'format_infusion_reactions'),
    "toolkit.agreement": ('STATUSES', 'TOLERANCE_KINDS', 'Tolerance', 'printed_tolerance', 'decimals_of', 'printed', 'agreement'),
    "toolkit.baseline": ('level_label', 'TABLE1_ORDER', 'TABLE1_LABELS', 'BaselineTable', 'baseline_table', 'smd_continuous', 'smd_categorical', 'baseline_imbalances', 'compare_with_published'),
    "toolkit.competing": ('CAUSES', 'competing_frame', 'CIFResult', 'cumulative_incidence', 'GrayResult', 'gray_test', 'cause_specific_hr', 'crude_incidence'),
    "toolkit.consistency": ('CHECK_COLUMNS', 'rounding_interval', 'Judgement', 'check_tolerance', 'judge', 'TTestSummary', 'ttest_from_summary', 'chisq_from_counts', 'fisher_from_counts', 'TableTooLargeError', 'WaldFromCI', 'wald_from_ci', 'implied_events', 'se_from_events', 'grim', 'median_granularity', 'estimate_mean_sd', 'skewness_from_summary', 'skewness_flags', 'check_table1', 'compare_table1_tests', 'check_hazard_ratios', 'implied_events_frame', 'check_event_counts', 'check_percentages', 'check_consort', 'check_granularity', 'check_direction', 'check_claims', 'check_published', 'status_counts'),
    "toolkit.consort": ('STAGES', 'consort_counts', 'published_consort_counts', 'consort_comparison', 'analysis_population'),
    "toolkit.conventions": ('POPULATIONS', 'DEFAULT_POPULATION', 'DIRECTIONS', 'DEFAULT_HR_DIRECTION', 'DEFAULT_DIFFERENCE_DIRECTION', 'DEFAULT_CONF_LEVEL', 'DEFAULT_ALPHA', 'validate_choice', 'validate_population', 'validate_direction', 'validate_conf_level', 'validate_alpha'),
    "toolkit.csvfile": ('CSVFormatError', 'csv_records'),
    "toolkit.design": ('METHODS', 'PiecewiseExponential', 'SurvivalDesign', 'SampleSizeResult', 'PowerResult', 'hazard_from_survival', 'dropout_hazard', 'event_probability', 'expected_events', 'events_required', 'power_from_events', 'sample_size_survival', 'power_survival', 'asymptotic_logrank_moments', 'Scenario', 'power_table', 'sample_size_table', 'detectable_hazard_ratio', 'events_with_fixed_follow_up'),
    "toolkit.disclosure": ('MIN_CELL', 'applies', 'protected_summary', 'SMALL_CELL_NOTE'),
    "toolkit.evidence": ('PRIOR_NAMES', 'VERDICTS', 'NormalPrior', 'log_hr_from_ci', 'design_hazard_ratio', 'design_priors', 'PosteriorLogHR', 'normal_posterior', 'posterior_summary', 'prior_sd_sensitivity', 'fisher_two_sided', 'FragilityResult', 'fragility_index', 'fragility_quotient', 'shifted_hazard_ratio', 'TippingResult', 'exclusion_tipping', 'best_worst_hazard_ratio', 'best_worst_counts', 'claim_verdict'),
    "toolkit.landmark": ('LANDMARK_GRID', 'landmark_km', 'landmark_windows', 'landmark_grid', 'grid_summary', 'TimeVaryingResult', 'time_varying_test'),
    "toolkit.longitudinal": ('LOG_ANALYTES', 'ANALYTE_LABELS', 'ANALYTE_UNITS', 'lab_frame', 'visit_status', 'describe_visits', 'change_from_baseline', 'between_arm_t', 'MMRMResult', 'mmrm', 'ancova_by_week', 'adjusted_effects', 'evaluate_statements'),
    "toolkit.meld": ('BILIRUBIN_UMOL_PER_MG', 'CREATININE_UMOL_PER_MG', 'MELD_COMPONENTS', 'MeldVariant', 'MELD_VARIANTS', 'meld', 'meld_term_range', 'meld_mean_range'),
    "toolkit.randomization": ('CODE_ALPHABET', 'allocation_list', 'simple_allocation_list', 'assign_arms', 'allocation_balance', 'guessing_predictability', 'expected_predictability', 'ConcealmentRecord', 'AllocationList', 'generate_allocation', 'reproduce_allocation', 'verify_allocation', 'ChanceSignificance', 'chance_significance'),
    "toolkit.reconstruct": ('ReconstructionError', 'CURVE_COLUMNS', 'AT_RISK_COLUMNS', 'read_curve', 'read_at_risk', 'clean_curve', 'check_at_risk', 'ArmReconstruction', 'Reconstruction', 'reconstruct_arm', 'reconstruct', 'simulate_clicks', 'at_risk_table', 'km_step', 'round_trip_accuracy', 'VARIANTS', 'round_trip'),
    "toolkit.safety": ('ANY_EVENT', 'exposed', 'ae_frame', 'compare_proportions', 'ae_by_term', 'ae_by_seriousness', 'infusion_reactions', 'hcc_incidence', 'incidence_test', 'safety_statements'),
    "toolkit.schema": ('ARMS', 'ARM_LABELS', 'BASELINE_CONTINUOUS', 'BASELINE_CATEGORICAL', 'LAB_ANALYTES', 'DISPOSITIONS', 'SCREENING_OUTCOMES', 'SEVERITIES', 'Trial'),
    "toolkit.sensitivity": ('LandmarkSelectionResult', 'null_design', 'landmark_selection', 'SIFIResult', 'survival_inferred_fragility', 'CENSOR_AT', 'excluded_bounds', 'piecewise_exponential_fit', 'RubinResult', 'rubin_pool', 'delta_adjusted_mi', 'tipping_point'),
    "toolkit.simulate": ('TESTS', 'DAY_IN_MONTHS', 'SimulatedTrials', 'SimulationResult', 'simulate_trials', 'logrank_statistics', 'landmark_logrank_statistics', 'rmst_statistics', 'simulate_power', 'power_curve'),
    "toolkit.survival": ('ENDPOINTS', 'REPORT_TIMES', 'COX_FIT_OPTIONS', 'COLUMN_LABELS', 'HorizonError', 'endpoint_frame', 'window_frame', 'add_covariates', 'KMResult', 'kaplan_meier', 'LogRankResult', 'logrank', 'HRResult', 'cox_hr', 'hr_models', 'followup', 'ZPHResult', 'ph_test', 'RMSTResult', 'rmst'),
    "toolkit.units": ('DAYS_PER_YEAR', 'DAYS_PER_MONTH', 'DAYS_PER_WEEK', 'days_to_months', 'months_to_days', 'weeks_to_months', 'months_to_weeks'),
    "toolkit.warnings": ('StatisticalWarning',),
    "trial.data": ('TrialDataError', 'load_trial', 'validate_folder', 'content_digest', 'data_dictionary'),
    "trial.ensemble": ('cohort_seeds', 'ensemble', 'DEFAULT_ENSEMBLE_SEED'),
    "trial.paper": ('READINGS', 'observed_dropout', 'paper_design', 'reported_effect_hazards', 'reported_effect_design', 'paper_scenarios', 'observed_accrual_months', 'landmark_comparison'),
    "trial.paths": ('TRIAL_DATA_ENV', 'TRIAL_PUBLISHED_ENV', 'TRIAL_PROJECT_ENV', 'ProjectNotFoundError', 'project_dir', 'published_dir', 'default_data_dir', 'data_dir'),
    "trial.published": ('HR_CONVENTION', 'PublishedHR', 'Table1Row', 'Published', 'load_published'),
    "trial.reconstructed": ('reconstructed_patients', 'write_reconstruction'),
    "trial.synthetic": ('LabEffects', 'SyntheticParameters', 'STREAMS', 'step_rng', 'derive_event_counts', 'printed_targets', 'MELD_VARIANT', 'MELD_COEFFICIENTS', 'meld_score', 'generate', 'write_cohort', 'cohort_digest'),
}
_SUBMODULES = ("toolkit", "trial", "report", "build")
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
