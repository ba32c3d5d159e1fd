"""Build the book in temporary folders, in the background, while the unit tests run.

A full build re-executes every chapter (``execute_notebooks: force``) and takes
30-90 s, so the build tests start their builds when the test session has been
collected (``pytest_collection_finish`` in ``conftest.py``), each as its own
``jupyter-book build`` process, and only the tests that need a build wait for it.
Only the builds that the collected tests use are started.

The builds (at most three in a session):

``synthetic``
    The committed synthetic cohort: the book as published (browser test, buttons).
``private``
    A copy of the synthetic cohort whose patient and screening identifiers are
    replaced by distinctive ones (``ZQX-0001``, ``ZQS-0001``) and without
    ``dataset.yaml``, so the book treats it as real data. Every optional table is
    present, so every patient-level code path of the chapters runs; no identifier
    may appear anywhere in the output.
``second``
    A public two-arm trial reshaped into the schema (``tests/datasets/gbsg``,
    only ``patients.csv``): a different dataset whose optional tables are
    missing, so the chapters must skip those parts with a visible note.

The private and second builds are not combined: the second dataset has no
screening, labs or adverse-event tables, so the chapter code that lists or
plots patients from those tables never runs on it, and a privacy check on it
alone would miss leaks there.

Each build reads the project's own ``book/`` (sources, ``_config.yml``,
``_toc.yml``) and writes to ``--path-output`` in a temporary folder, with the
command line of ``make book``; ``book/_build`` is never touched.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from analysis.paths import TRIAL_DATA_ENV, default_data_dir, repo_root

__all__ = [
    "BOOK_DIR",
    "BuildResult",
    "BookBuild",
    "FIXTURE_BUILDS",
    "build_command",
    "find_in_tree",
    "make_private_copy",
    "private_id",
    "start_needed",
    "get_build",
    "stop_all",
    "toc_chapters",
]

ROOT = repo_root()
BOOK_DIR = ROOT / "book"
SECOND_DATASET = ROOT / "tests" / "datasets" / "gbsg"
#: Distinctive identifiers for the "private" copy: letters that appear in no
#: word of the book, so a match can only be a leaked identifier.
PATIENT_PREFIX = "ZQX-"
SCREENING_PREFIX = "ZQS-"
ID_PATTERN = re.compile(rb"ZQ[XS]-\d{4}")
#: Longest a build may take before the waiting test fails (seconds).
BUILD_TIMEOUT = float(os.environ.get("BOOK_BUILD_TIMEOUT", "900"))


def toc_chapters(book: Path = BOOK_DIR) -> list[str]:
    """Chapter paths (``chapters/intro``, ...) in reading order, from ``_toc.yml``."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", []) or []]


def build_command(source: Path, out: Path, jobs: int = 1) -> list[str]:
    """The book build command (warnings are errors, nitpicky), to ``out``.

    ``jobs == 1``: ``jupyter-book build``, as a reader types it. ``jobs > 1``:
    ``python -m analysis.buildbook -j N``, what ``make book`` runs (the same
    build with parallel Sphinx workers).
    """
    args = [str(source), "-W", "-n", "--keep-going", "--path-output", str(out)]
    if jobs > 1:
        return [sys.executable, "-m", "analysis.buildbook", "-j", str(jobs), "--", *args]
    exe = Path(sys.executable).with_name("jupyter-book")
    jb = str(exe) if exe.exists() else (shutil.which("jupyter-book") or "jupyter-book")
    return [jb, "build", *args]


def private_id(prefix: str, i: int) -> str:
    return f"{prefix}{i:04d}"


def make_private_copy(src: Path, dst: Path) -> dict[str, str]:
    """Copy a trial folder, replace every identifier by a distinctive one, drop ``dataset.yaml``.

    Without ``dataset.yaml`` (``synthetic: true``) the folder counts as real data.
    ``patient_id`` (in every table) and ``screening_id`` are rewritten
    consistently, so the copy loads and links like the original.

    Returns
    -------
    dict
        Old identifier -> new identifier.
    """
    dst.mkdir(parents=True)
    ids: dict[str, str] = {}
    with open(src / "patients.csv", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=1):
            ids[row["patient_id"]] = private_id(PATIENT_PREFIX, i)
    screening: dict[str, str] = {}
    for f in sorted(src.glob("*.csv")):
        with open(f, newline="") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
        for row in rows:
            if row.get("patient_id"):
                row["patient_id"] = ids[row["patient_id"]]
            if "screening_id" in row:
                new = private_id(SCREENING_PREFIX, len(screening) + 1)
                row["screening_id"] = screening.setdefault(row["screening_id"], new)
        with open(dst / f.name, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return ids | screening


def find_in_tree(root: Path, pattern: re.Pattern[bytes], skip_suffixes: Iterable[str] = ()) -> dict[str, list[str]]:
    """Every match of ``pattern`` in every file under ``root`` (bytes, so any file type).

    Returns ``{relative path: sorted distinct matches}`` for the files that match.
    """
    skip = {s.lower() for s in skip_suffixes}
    hits: dict[str, list[str]] = {}
    for f in sorted(root.rglob("*")):
        if not f.is_file() or f.suffix.lower() in skip:
            continue
        found = set(pattern.findall(f.read_bytes()))
        if found:
            hits[str(f.relative_to(root))] = sorted(m.decode(errors="replace") for m in found)
    return hits


@dataclass(frozen=True)
class BuildResult:
    """A finished build: exit code, log, where the HTML is, how long it took."""

    name: str
    data: Path
    out: Path
    returncode: int
    log: str
    seconds: float

    @property
    def html(self) -> Path:
        return self.out / "_build" / "html"

    @property
    def warnings(self) -> list[str]:
        """Lines of the log that Sphinx or myst-nb reported as warnings or errors."""
        return [l for l in _plain(self.log).splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b:?", l)
                and "[IPKernelApp] WARNING" not in l]

    def describe(self, tail: int = 15) -> str:
        """Exit code, warnings, the end of the log and of each notebook's error report."""
        plain = _plain(self.log).splitlines()
        reports = []
        for f in sorted((self.html / "reports").rglob("*.err.log")) if self.html.exists() else []:
            lines = _plain(f.read_text(errors="replace")).strip().splitlines()
            start = next((i for i, l in enumerate(lines) if "error occurred while executing" in l), 0)
            cell = lines[start:start + 2 * tail]  # the failing cell's source and the top of its traceback
            reports.append(f"--- {f.relative_to(self.html)} ---\n" + "\n".join(cell + ["..."] + lines[-3:]))
        errors = [l for l in plain if re.search(r"(Error|Exception|Traceback|Kernel died|kernel)", l)][:tail]
        return (f"build {self.name!r} on {self.data} in {self.out}: exit {self.returncode} after {self.seconds:.0f} s\n"
                + "--- warnings ---\n" + "\n".join(self.warnings) + "\n"
                + "--- error lines ---\n" + "\n".join(errors) + "\n"
                + "\n".join(reports) + "\n--- log (end) ---\n" + "\n".join(plain[-tail:]))


#: Signs in a build log that a Jupyter kernel failed to start or died while starting.
_KERNEL_START_FAILURE = re.compile(r"Kernel died before replying|Kernel didn't respond|assert self\.km is not None"
                                   r"|Address already in use|DeadKernelError|kernel_info")


def _plain(text: str) -> str:
    """Text without ANSI colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@dataclass
class BookBuild:
    """One ``jupyter-book build`` of the project's book on one data folder, run in the background."""

    name: str
    data: Path | None  # None: the synthetic cohort (TRIAL_DATA unset)
    out: Path
    source: Path = BOOK_DIR
    jobs: int = 1
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _start: float = 0.0
    _log: Path | None = None
    _result: BuildResult | None = None

    def start(self) -> "BookBuild":
        if self._proc is not None:
            return self
        self.out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.pop(TRIAL_DATA_ENV, None)
        if self.data is not None:
            env[TRIAL_DATA_ENV] = str(self.data)
        env["PYTHONUNBUFFERED"] = "1"
        self._log = self.out / "build.log"
        with open(self._log, "wb") as log:
            self._start = time.perf_counter()
            # Own process group, so that stop() ends the build and its kernels only.
            self._proc = subprocess.Popen(build_command(self.source, self.out, self.jobs), cwd=ROOT, env=env,
                                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        return self

    def result(self, timeout: float = BUILD_TIMEOUT) -> BuildResult:
        """Wait for the build (starting it if needed) and return its result."""
        if self._result is not None:
            return self._result
        if self._proc is None and _reused() is not None:
            log = (self.out / "build.log").read_text(errors="replace")
            rc = 0 if "build succeeded" in _plain(log) else 1
            self._result = BuildResult(self.name, self.data or default_data_dir(), self.out, rc, log, 0.0)
            return self._result
        self.start()
        assert self._proc is not None and self._log is not None
        rc, log = self._wait(timeout)
        if rc != 0 and rc != -1 and _KERNEL_START_FAILURE.search(_plain(log)):
            # A Jupyter kernel that fails to start (ports raced by the several builds and nbval
            # kernels starting at once on a loaded machine) is infrastructure, not the book: one
            # retry, recorded in the log. Any other failure fails at once.
            first = log
            shutil.rmtree(self.out / "_build", ignore_errors=True)
            self._proc = None
            self.start()
            rc, log = self._wait(timeout)
            log = ("[bookbuild] first attempt failed to start a kernel and was retried; its log:\n"
                   + first + "\n[bookbuild] second attempt:\n" + log)
        seconds = time.perf_counter() - self._start
        self._result = BuildResult(self.name, self.data or default_data_dir(), self.out, rc, log, seconds)
        return self._result

    def _wait(self, timeout: float) -> tuple[int, str]:
        assert self._proc is not None and self._log is not None
        try:
            rc = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            rc = -1
        log = self._log.read_text(errors="replace")
        if rc == -1:
            log += f"\n[bookbuild] timed out after {timeout:.0f} s and was stopped"
        return rc, log

    def stop(self) -> None:
        """End this build's process group if it is still running."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
                self._proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


# --- the session's builds -------------------------------------------------------------

#: Fixture name (in conftest.py) -> build name.
FIXTURE_BUILDS = {"synthetic_book": "synthetic", "private_book": "private", "second_book": "second"}

_state: dict = {"root": None, "builds": {}}


def _reused() -> Path | None:
    """For developing these tests only: ``REUSE_BOOK_BUILDS=DIR`` (a folder kept with
    ``KEEP_BOOK_BUILDS=1``) reads the builds found there instead of building again."""
    env = os.environ.get("REUSE_BOOK_BUILDS", "").strip()
    return Path(env) if env else None


def _root() -> Path:
    if _state["root"] is None:
        _state["root"] = _reused() or Path(tempfile.mkdtemp(prefix="book-builds-"))
    return _state["root"]


def _make(name: str) -> BookBuild:
    root = _root()
    if name == "synthetic":
        return BookBuild(name, None, root / name)
    if name == "private":
        # The folder name is what the real-data notice shows as the dataset's name.
        data = root / "data" / "private-cohort-copy"
        make_private_copy(default_data_dir(), data)
        return BookBuild(name, data, root / name)
    if name == "second":
        return BookBuild(name, SECOND_DATASET, root / name)
    raise KeyError(name)


def get_build(name: str) -> BookBuild:
    """The session's build ``name``, started now if it was not started at collection."""
    builds = _state["builds"]
    if name not in builds:
        reused = _reused()
        if reused is not None:
            data = {"synthetic": None, "private": reused / "data" / "private-cohort-copy",
                    "second": SECOND_DATASET}[name]
            builds[name] = BookBuild(name, data, reused / name)
        else:
            builds[name] = _make(name).start()
    return builds[name]


def start_needed(items) -> list[str]:
    """Start (in the background) the builds that the collected test items use."""
    needed = []
    for item in items:
        for fx in getattr(item, "fixturenames", ()):
            name = FIXTURE_BUILDS.get(fx)
            if name and name not in needed:
                needed.append(name)
    for name in sorted(needed, key=list(FIXTURE_BUILDS.values()).index):
        get_build(name)
    return needed


def stop_all(keep: bool = False) -> None:
    """End running builds and remove their folder (unless ``keep``)."""
    for build in _state["builds"].values():
        build.stop()
    root = _state["root"]
    if root is not None and not keep and _reused() is None:
        shutil.rmtree(root, ignore_errors=True)
    _state["builds"] = {}
    _state["root"] = None
