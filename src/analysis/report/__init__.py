"""The report: one module per chapter computing that chapter's named results, the results
ledger, and presentation (tables, figures, glue). Imports the trial and the toolkit.
"""
