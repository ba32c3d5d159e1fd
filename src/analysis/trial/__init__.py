"""The trial: its data schema and loading, the paper's published numbers, the calibrated
synthetic cohort and its calibration, and the paper-specific uses of the toolkit.

Imports the toolkit only, never the report or the build tooling.
"""
