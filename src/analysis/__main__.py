"""Command line: ``python -m analysis {simulate,validate,ledger} ...``."""

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
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
