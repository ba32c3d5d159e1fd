"""Command line: ``python -m analysis {simulate,validate,ledger,reconstruct} ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _simulate(args: argparse.Namespace) -> int:
    from .trial.synthetic import SyntheticParameters, write_cohort

    out = write_cohort(args.out, SyntheticParameters(seed=args.seed))
    print(f"wrote synthetic cohort (seed {args.seed}) to {out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .trial.data import TrialDataError, load_trial

    try:
        trial = load_trial(args.dir)
    except TrialDataError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    n = trial.patients["arm"].value_counts().to_dict()
    print(f"valid: {trial.path} ({len(trial.patients)} patients: {n}; synthetic={trial.synthetic})")
    for note in trial.notes:
        print(f"note: {note}")
    return 0


def _ledger(args: argparse.Namespace) -> int:
    from .report.ledger import write_ledger
    from .trial.data import TrialDataError
    from .trial.paths import ProjectNotFoundError
    from .trial.published import load_published

    try:
        published = load_published(args.published) if args.published else None
        out = write_ledger(args.data, args.out, published)
    except TrialDataError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    except ProjectNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote results ledger to {out}")
    return 0


def _pairs(values: list[str] | None, option: str, kind: type = str) -> dict:
    """``["control=a.csv", ...]`` -> ``{"control": "a.csv"}``; arms of the schema, each once."""
    from .toolkit.schema import ARMS

    out: dict = {}
    for v in values or []:
        arm, sep, val = v.partition("=")
        arm = arm.strip()
        if not sep or not val.strip():
            raise ValueError(f"{option} {v!r}: expected ARM=VALUE, e.g. {option} control=...")
        if arm not in ARMS:
            raise ValueError(f"{option} {v!r}: the arm must be one of {', '.join(ARMS)}")
        if arm in out:
            raise ValueError(f"{option}: arm {arm} given twice")
        try:
            out[arm] = kind(val.strip())
        except ValueError:
            raise ValueError(f"{option} {v!r}: {val.strip()!r} is not a whole number") from None
    return out


def _reconstruct(args: argparse.Namespace) -> int:
    from .toolkit.reconstruct import ReconstructionError
    from .trial.data import TrialDataError
    from .trial.reconstructed import write_reconstruction

    try:
        curves = _pairs(args.curve, "--curve", Path)
        at_risk = _pairs(args.at_risk, "--at-risk", Path)
        events = _pairs(args.events, "--events", int)
        out = write_reconstruction(args.out, curves=curves, at_risk=at_risk, events=events,
                                   endpoint=args.endpoint, monotone=args.monotone)
    except (ReconstructionError, TrialDataError, ValueError, FileExistsError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    import yaml

    print(f"wrote reconstructed patient data ({args.endpoint}) to {out}")
    meta = yaml.safe_load((out / "dataset.yaml").read_text(encoding="utf-8"))
    for arm, a in meta["arms"].items():
        print(f"{arm}: {a['n']} patients, {a['events']} events")
        if not a["converged"]:
            print(f"note: {arm}: the published numbers (at risk, or total events) could not all be met "
                  "exactly; the closest reconstruction is kept (check the clicks near the at-risk times)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis", description="Trial re-analysis toolkit")
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("simulate", help="generate the calibrated synthetic cohort")
    s.add_argument("--seed", type=int, default=20210301)
    s.add_argument("--out", type=Path, required=True)
    s.set_defaults(func=_simulate)
    v = sub.add_parser("validate", help="validate a trial data folder")
    v.add_argument("dir", type=Path)
    v.set_defaults(func=_validate)
    g = sub.add_parser("ledger", help="write the results ledger (JSON) for a data folder")
    g.add_argument("--data", type=Path, default=None, help="data folder (default: $TRIAL_DATA or the synthetic cohort)")
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--published", type=Path, default=None,
                   help="YAML file of the published numbers (default: $TRIAL_PUBLISHED or the project's "
                        "data/published/shi2021.yaml)")
    g.set_defaults(func=_ledger)
    r = sub.add_parser("reconstruct", help="reconstruct patient data from digitised Kaplan-Meier curves "
                                           "(Guyot et al. 2012)")
    r.add_argument("--curve", action="append", required=True, metavar="ARM=FILE",
                   help="CSV with header time,survival: the clicks on one arm's curve (months; proportion)")
    r.add_argument("--at-risk", action="append", required=True, metavar="ARM=FILE",
                   help="CSV with header time,n_at_risk: the numbers at risk under the figure, from time 0")
    r.add_argument("--events", action="append", metavar="ARM=N", help="reported total number of events of an arm")
    r.add_argument("--endpoint", choices=("os", "hcc"), required=True)
    r.add_argument("--monotone", choices=("isotonic", "cummin"), default="isotonic",
                   help="how a non-increasing curve is enforced (default: isotonic)")
    r.add_argument("--out", type=Path, required=True, help="new data folder to write")
    r.set_defaults(func=_reconstruct)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
