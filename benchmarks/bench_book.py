"""Benchmark: ``import analysis``, ``python -m analysis validate``, ``make check``, a clean
``make book`` and the whole test suite (``make test``).

Targets (issue 10), on a 2-core machine with the environment installed (``make`` finds
``.venv`` up to date and installs nothing): ``import analysis`` <= 0.5 s, validating the
committed cohort <= 1.5 s, ``make check`` <= 30 s, a clean ``make book`` <= 35 s, ``make test``
<= 120 s. Every figure is the best of ``--repeat`` runs for the two quick commands and one run
for the make targets.

For each command it prints the wall time, the CPU time of the command and all
its children (user + system), and the load average before it started, so a
figure taken on a busy machine can be told apart from a slow build. For the
book it also lists the execution time of each chapter (from the build log);
for the suite, pytest's closing line. Timings are printed, not asserted
(machines differ); the script fails only if a command fails.

``make book`` removes ``book/_build`` first, so the build is clean and
re-executes every chapter. The suite is run with ``make test`` exactly as CI
runs it; it is never run from inside pytest.

Usage::

    python benchmarks/bench_book.py [--only import|validate|check|book|test] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"import": 0.5, "validate": 1.5, "check": 30.0, "book": 35.0, "test": 120.0}  # seconds, 2 cores
PYTHON = ROOT / ".venv" / "bin" / "python"
QUICK = {"import": [str(PYTHON), "-c", "import analysis"],
         "validate": [str(PYTHON), "-m", "analysis", "validate", str(ROOT / "data" / "synthetic")]}


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(target: str) -> dict:
    """Run ``make <target>`` (or a quick command) in the project folder; wall and CPU seconds,
    exit code, output."""
    load = os.getloadavg()
    cpu0, t0 = _cpu_children(), time.perf_counter()
    cmd = QUICK.get(target, ["make", target])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu_children() - cpu0
    return {"target": target, "returncode": proc.returncode, "wall_s": round(wall, 3), "cpu_s": round(cpu, 2),
            "load_before": [round(x, 2) for x in load], "output": proc.stdout + proc.stderr}


def _chapter_times(log: str) -> dict[str, float]:
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    return {Path(m.group(1)).stem: float(m.group(2))
            for m in re.finditer(r"(\S+\.md): Executed notebook in ([0-9.]+) seconds", plain)}


def _pytest_summary(log: str) -> str:
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log).strip().splitlines()
    lines = [l for l in plain if re.search(r"\b\d+ (passed|failed|error)", l)]
    return lines[-1].strip("= ") if lines else "(no pytest summary line)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=list(TARGETS), help="time only one of the commands")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each quick command (best is reported)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    results, ok = [], True
    for target in [args.only] if args.only else list(TARGETS):
        print(f"\n{' '.join(QUICK[target][1:]) if target in QUICK else 'make ' + target} ...", flush=True)
        runs = [run(target) for _ in range(args.repeat if target in QUICK else 1)]
        r = min(runs, key=lambda x: x["wall_s"] if x["returncode"] == 0 else float("inf"))
        if target in QUICK:
            r["wall_all_s"] = [x["wall_s"] for x in runs]
        results.append(r)
        status = "ok" if r["returncode"] == 0 else f"FAILED (exit {r['returncode']})"
        verdict = "within" if r["wall_s"] < TARGETS[target] else "OVER"
        print(f"  {status}: wall {r['wall_s']:.2f} s ({verdict} the {TARGETS[target]:g} s target), "
              f"CPU {r['cpu_s']:.1f} s, load average before {r['load_before'][0]:.2f}")
        if target in QUICK:
            print(f"    all runs: {', '.join(f'{x:.2f}' for x in r['wall_all_s'])} s")
            if r["returncode"] != 0:
                ok = False
                print(r["output"][-2000:], file=sys.stderr)
            continue
        if target == "book":
            r["chapters_s"] = _chapter_times(r["output"])
            for name, sec in sorted(r["chapters_s"].items(), key=lambda kv: -kv[1]):
                print(f"    {name:<20} {sec:6.1f} s")
        else:
            r["summary"] = _pytest_summary(r["output"])
            print(f"  pytest: {r['summary']}")
        log = ROOT / "benchmarks" / "results" / f"make_{target}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(r["output"])
        print(f"  full output: {log.relative_to(ROOT)}")
        if r["returncode"] != 0:
            ok = False
            print("\n".join(r["output"].splitlines()[-30:]), file=sys.stderr)

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        slim = [{k: v for k, v in r.items() if k != "output"} for r in results]
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "targets_s": TARGETS, "runs": slim}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
