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

The public names of every module are re-exported here.
"""

from . import (
    baseline,
    book,
    calibration,
    competing,
    consistency,
    consort,
    data,
    design,
    landmark,
    ledger,
    longitudinal,
    paths,
    plotting,
    published,
    randomization,
    safety,
    simulate,
    survival,
    survival_plots,
    synthetic,
    tables,
    warnings,
)
from .baseline import *  # noqa: F401,F403
from .calibration import *  # noqa: F401,F403
from .competing import *  # noqa: F401,F403
from .consistency import *  # noqa: F401,F403
from .consort import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .design import *  # noqa: F401,F403
from .landmark import *  # noqa: F401,F403
from .ledger import *  # noqa: F401,F403
from .longitudinal import *  # noqa: F401,F403
from .paths import *  # noqa: F401,F403
from .plotting import *  # noqa: F401,F403
from .published import *  # noqa: F401,F403
from .randomization import *  # noqa: F401,F403
from .safety import *  # noqa: F401,F403
from .simulate import *  # noqa: F401,F403
from .survival import *  # noqa: F401,F403
from .survival_plots import *  # noqa: F401,F403
from .synthetic import *  # noqa: F401,F403
from .tables import *  # noqa: F401,F403
from .warnings import *  # noqa: F401,F403

__version__ = "0.1.0"

_MODULES = (baseline, calibration, competing, consistency, consort, data, design, landmark, ledger, longitudinal,
            paths, plotting, published, randomization, safety, simulate, survival, survival_plots, synthetic,
            tables, warnings)
__all__ = [name for m in _MODULES for name in m.__all__]
