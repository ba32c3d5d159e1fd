"""A trial data folder reconstructed from the paper's digitised Kaplan-Meier figures.

:func:`write_reconstruction` (``python -m analysis reconstruct``) runs Guyot's algorithm
(:mod:`analysis.toolkit.reconstruct`) on one digitised curve and one at-risk table per arm and
writes a survival-only folder in the project's schema (``data/README.md``): ``patients.csv``
with ``patient_id``, ``arm``, ``disposition`` (``analyzed``) and the endpoint's time and event
columns, and ``dataset.yaml`` recording that the data are reconstructed, from which files
(with their SHA-256) and with which options. The folder is written under a temporary name and
renamed when complete and valid, so an error leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import yaml

from ..toolkit.reconstruct import ReconstructionError, read_at_risk, read_curve, reconstruct
from ..toolkit.schema import ARMS
from ..toolkit.survival import ENDPOINTS

__all__ = ["reconstructed_patients", "write_reconstruction"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def reconstructed_patients(curves: Mapping[str, pd.DataFrame], at_risk: Mapping[str, pd.DataFrame], *,
                           endpoint: str, events: Mapping[str, int] | None = None,
                           monotone: str = "isotonic") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reconstruct both arms and shape them as ``patients.csv`` rows.

    Parameters
    ----------
    curves, at_risk : mapping of arm to DataFrame
        Per arm of :data:`~analysis.toolkit.schema.ARMS`: the digitised clicks (``time``,
        ``survival``) and the numbers at risk (``time``, ``n_at_risk``).
    endpoint : {"os", "hcc"}
        Which endpoint the curves show: the time and event columns written.
    events : mapping of arm to int, optional
        Reported total number of events per arm.
    monotone : {"isotonic", "cummin"}, default "isotonic"
        See :func:`analysis.toolkit.reconstruct.clean_curve`.

    Returns
    -------
    tuple of DataFrame
        The patients (``patient_id``, ``arm``, ``disposition``, time and event columns) and the
        per-arm summary (``arm``, ``n``, ``events``, ``intervals``, ``converged``).

    Raises
    ------
    ValueError
        An arm is missing or unknown, or the endpoint is unknown.
    ReconstructionError
        Invalid clicks or at-risk table (file, line, rule).
    """
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)}, got {endpoint!r}")
    for what, m in (("--curve", curves), ("--at-risk", at_risk)):
        missing = [a for a in ARMS if a not in m]
        unknown = [a for a in m if a not in ARMS]
        if missing or unknown:
            raise ValueError(f"{what}: one per arm is needed ({', '.join(ARMS)})"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unknown {', '.join(unknown)}" if unknown else ""))
    rec = reconstruct({a: curves[a] for a in ARMS}, {a: at_risk[a] for a in ARMS}, events=events, monotone=monotone)
    tcol, ecol, _ = ENDPOINTS[endpoint]
    rows = []
    for arm in ARMS:
        ipd = rec.arms[arm].ipd
        width = len(str(len(ipd)))
        rows.append(pd.DataFrame({
            "patient_id": [f"R{arm[0].upper()}{i + 1:0{width}d}" for i in range(len(ipd))],
            "arm": arm,
            "disposition": "analyzed",
            tcol: np.round(ipd["time"].to_numpy(float), 6),
            ecol: ipd["event"].to_numpy(int),
        }))
    patients = pd.concat(rows, ignore_index=True)
    patients[tcol] = patients[tcol].clip(lower=1e-6)  # the schema's times are > 0
    return patients, rec.summary


def write_reconstruction(out: str | Path, *, curves: Mapping[str, str | Path], at_risk: Mapping[str, str | Path],
                         endpoint: str, events: Mapping[str, int] | None = None,
                         monotone: str = "isotonic") -> Path:
    """Reconstruct patient data from digitised curve files and write a trial data folder.

    Parameters
    ----------
    out : str or Path
        The folder to create (it must not exist, or be empty).
    curves, at_risk : mapping of arm to path
        Per arm: the digitised curve (CSV ``time,survival``) and the numbers at risk (CSV
        ``time,n_at_risk``, from time 0).
    endpoint : {"os", "hcc"}
        The endpoint the curves show (Figure 3A of the paper: overall survival; Figure 5A:
        HCC-free survival).
    events : mapping of arm to int, optional
        Reported total number of events per arm (fixes the censoring after the last at-risk
        time; Guyot et al. 2012).
    monotone : {"isotonic", "cummin"}, default "isotonic"
        How a non-increasing curve is enforced.

    Returns
    -------
    Path
        The folder written; ``python -m analysis validate`` accepts it.

    Raises
    ------
    ReconstructionError
        Invalid input (file, line, rule); nothing is written.
    FileExistsError
        ``out`` exists and is not an empty folder.

    References
    ----------
    .. [1] Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival
       data: reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res
       Methodol 2012;12:9.
    """
    from .. import __version__
    from .data import load_trial

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: violates rule: the output folder must not exist or be empty")
    curve_frames = {a: read_curve(p) for a, p in curves.items()}
    risk_frames = {a: read_at_risk(p) for a, p in at_risk.items()}
    patients, summary = reconstructed_patients(curve_frames, risk_frames, endpoint=endpoint, events=events,
                                               monotone=monotone)
    meta = {
        "synthetic": False,
        "reconstructed": True,
        "description": ("Individual patient data reconstructed from digitised Kaplan-Meier curves and the "
                        "numbers at risk (Guyot et al., BMC Med Res Methodol 2012;12:9); "
                        "not the trial's patient data."),
        "endpoint": endpoint,
        "method": "Guyot et al. 2012 (analysis.toolkit.reconstruct)",
        "created_by": f"python -m analysis reconstruct (analysis {__version__})",
        "sources": {
            a: {
                "curve": {"file": str(Path(curves[a]).resolve()), "sha256": _sha256(curves[a])},
                "at_risk": {"file": str(Path(at_risk[a]).resolve()), "sha256": _sha256(at_risk[a])},
                "events": None if not events or a not in events else int(events[a]),
            }
            for a in ARMS
        },
        "options": {"monotone": monotone, "max_iter": 100},
        "arms": {r["arm"]: {"n": int(r["n"]), "events": int(r["events"]), "converged": bool(r["converged"])}
                 for r in summary.to_dict("records")},
    }
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        patients.to_csv(tmp / "patients.csv", index=False)
        (tmp / "dataset.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
        load_trial(tmp)  # never leave an invalid folder behind
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
