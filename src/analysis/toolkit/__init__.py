"""The toolkit: statistics for any two-arm randomized trial, computation only.

Survival (Kaplan-Meier, log-rank, Cox, proportional-hazards tests, RMST), landmark analysis,
competing risks, survival sample size and simulation, randomization, CONSORT counts, baseline
tests, checks of published statistics, longitudinal models and adverse-event tables. Functions
take data frames or a :class:`~analysis.toolkit.schema.Trial` and return result objects or
frames; none formats, plots, or knows the paper this project re-analyses. Modules here import
only each other (``tests/test_project.py`` checks the layers).
"""
