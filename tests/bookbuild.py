"""The book, built and run on three datasets, while the unit tests run.

Every chapter is executed once per ``make test`` on the synthetic cohort: by nbval, which
checks that a fresh execution gives the stored notebook (``book/notebooks``). The HTML
build of the synthetic cohort does not execute the chapters again: it is ``make book``'s
command with the stored, nbval-checked notebooks served from a Jupyter cache
(``execute_notebooks: cache``, a cache filled from ``book/notebooks``), so the pages are
those a forced execution gives, built in seconds. ``make book`` itself always executes.

The other datasets are run without an HTML build (``python -m analysis.build.notebooks --data``):

``private``
    A copy of the synthetic cohort whose patient and screening identifiers are
    replaced by distinctive ones (``ZQX-0001``, ``ZQS-0001``) and without
    ``dataset.yaml``, so the book treats it as real data. Every optional table is
    present, so every patient-level code path of the chapters runs; no identifier
    may appear in any output.
``leukemia``
    A public trial reshaped into the schema (``tests/datasets``, only ``patients.csv``):
    a tiny survival-only trial. (ACTG 175, unequal arms with a sparse second endpoint and no
    dates, serves the chapter-results unit tests, which run every chapter on it without
    notebooks; running its notebooks as well cost 15 s of the suite and covered no other page
    code.) The
    chapters must skip what needs the absent tables, with a visible note, and write nothing
    to stderr. (GBSG-2, also patients-only, serves the unit tests and the staleness probe;
    a chapter run on it added no shape these two lack.)
``reconstructed``
    A survival-only dataset with one endpoint, HCC-free survival, as ``python -m analysis
    reconstruct`` writes it (:func:`make_reconstructed`: the committed cohort's Kaplan-Meier
    curves clicked and reconstructed): every chapter must run, the overall-survival results not
    computable with a note, their tables and figures replaced by notes.

These start when the session has been collected (``pytest_collection_finish`` in
``conftest.py``), one dataset after another in one background process and one kernel on Unix
sockets, which cannot race another process for a TCP port. With nbval's kernel and the
staleness probe's (:func:`run_probe`, in a background thread), at most three kernels run at
once; the kernel-start retry of earlier versions is gone (its cause was three full builds and
nbval starting kernels together on a 2-core machine).
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

import yaml

from analysis.trial.data import load_trial
from analysis.trial.paths import TRIAL_DATA_ENV, default_data_dir

__all__ = [
    "BOOK_DIR",
    "BuildResult",
    "BookBuild",
    "ChapterRun",
    "cached_config",
    "FIXTURE_BUILDS",
    "build_command",
    "find_in_tree",
    "plant_markers",
    "MARKERS",
    "make_private_copy",
    "make_reconstructed",
    "private_id",
    "start_needed",
    "get_build",
    "stop_all",
    "toc_chapters",
]

ROOT = Path(__file__).resolve().parents[1]
BOOK_DIR = ROOT / "book"
SECOND_DATASET = ROOT / "tests" / "datasets" / "gbsg"
#: Public trials of other shapes (tests/datasets/README.md): a sparse second endpoint with no
#: event in the first 8 months and no dates; a tiny survival-only trial whose second endpoint has
#: no event at all.
OTHER_DATASETS = {"actg175": ROOT / "tests" / "datasets" / "actg175",
                  "leukemia": ROOT / "tests" / "datasets" / "leukemia"}
#: Distinctive identifiers for the "private" copy: letters that appear in no
#: word of the book, so a match can only be a leaked identifier.
PATIENT_PREFIX = "ZQX-"
SCREENING_PREFIX = "ZQS-"
ID_PATTERN = re.compile(rb"ZQ[XS]-\d{4}")
#: Longest a build may take before the waiting test fails (seconds).
BUILD_TIMEOUT = float(os.environ.get("BOOK_BUILD_TIMEOUT", "900"))
#: A finished build's output folder (its ``--path-output``, holding ``_build/html``) to test instead
#: of building the synthetic book in the session (e.g. ``SYNTHETIC_BOOK_BUILD=/tmp/b pytest tests/test_browser.py``).
PREBUILT_ENV = "SYNTHETIC_BOOK_BUILD"


def toc_chapters(book: Path = BOOK_DIR) -> list[str]:
    """Chapter paths (``chapters/intro``, ...) in reading order, from ``_toc.yml``."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", []) or []]


def build_command(source: Path, out: Path, jobs: int = 1, config: Path | None = None) -> list[str]:
    """The book build command (warnings are errors, nitpicky), to ``out``.

    ``jobs == 1``: ``jupyter-book build``, as a reader types it. ``jobs > 1``:
    ``python -m analysis.build.buildbook -j N``, what ``make book`` runs (the same
    build with parallel Sphinx workers). ``config``: another ``_config.yml``.
    """
    args = [str(source), "-W", "-n", "--keep-going", "--path-output", str(out)]
    if config is not None:
        args += ["--config", str(config)]
    if jobs > 1:
        return [sys.executable, "-m", "analysis.build.buildbook", "-j", str(jobs), "--", *args]
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


#: Values planted in the private copy: each is one patient's exact value, which the small-cell rule
#: of ``analysis.toolkit.disclosure`` must keep out of every output (see :func:`plant_markers`).
MARKERS = {"duration_hours": "11.37", "temperature_c": "38.93", "onset_hours_after_infusion": "5.71",
           "os_max": "86.917", "os_min": "0.317"}


def plant_markers(folder: Path) -> list[str]:
    """Plant distinctive single-patient values in a trial folder; the marker strings.

    The first UC-MSC fever gets a duration, temperature and onset that no other patient has;
    the first analysed patient who is alive gets the longest follow-up and the first who died
    the shortest. Each value is written with digits that a rounded or suppressed statistic
    cannot show.
    """
    import pandas as pd

    p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    ana = p["disposition"] == "analyzed"
    alive = p.index[ana & (p["death"] == "0")][0]
    dead = p.index[ana & (p["death"] == "1")][0]
    p.loc[alive, ["os_months", "hcc_months"]] = MARKERS["os_max"]
    p.loc[alive, "hcc"] = "0"
    p.loc[dead, ["os_months", "hcc_months"]] = MARKERS["os_min"]
    p.loc[dead, "hcc"] = "0"
    p.to_csv(folder / "patients.csv", index=False)
    ae = pd.read_csv(folder / "adverse_events.csv", dtype=str, keep_default_na=False)
    arm = dict(zip(p["patient_id"], p["arm"]))
    fever = ae.index[(ae["term"] == "fever") & (ae["patient_id"].map(arm) == "ucmsc")
                     & (ae["infusion_number"] != "")][0]
    for col in ("duration_hours", "temperature_c", "onset_hours_after_infusion"):
        ae.loc[fever, col] = MARKERS[col]
    ae.to_csv(folder / "adverse_events.csv", index=False)
    return list(MARKERS.values())


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
    jobs: int = 2
    config: Path | None = None
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
            self._proc = subprocess.Popen(build_command(self.source, self.out, self.jobs, self.config), cwd=ROOT, env=env,
                                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        return self

    def result(self, timeout: float = BUILD_TIMEOUT) -> BuildResult:
        """Wait for the build (starting it if needed) and return its result."""
        if self._result is not None:
            return self._result
        self.start()
        assert self._proc is not None and self._log is not None
        rc, log = self._wait(timeout)
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


# --- page helpers ------------------------------------------------------------------------------

class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append({k: v or "" for k, v in attrs})


def anchors(page: Path, css_class: str) -> list[dict[str, str]]:
    """The ``<a>`` elements of a page with the given class."""
    p = _Anchors()
    p.feed(page.read_text())
    return [a for a in p.anchors if css_class in a.get("class", "").split()]


def page_text(page: Path) -> str:
    """The page's text: tags removed, entities decoded, whitespace collapsed."""
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


# --- the staleness probe: a one-page book built, changed, rebuilt ---------------------------------

PROBE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(probe)=
# Probe

```{code-cell} ipython3
import analysis
from analysis.report.book import chapter

ch = chapter()
print("ANALYSIS-FROM", analysis.__file__)
print("AGE-SUM", int(ch.trial.patients["age"].sum()))
```
"""

#: Appended to the temporary copy of ``analysis/book.py``: a real change to the
#: function every chapter calls for its data notice.
CODE_CHANGE = '''

_data_notice_before_change = data_notice


def data_notice(trial, **kwargs):
    return _data_notice_before_change(trial, **kwargs) + "\\n\\nSTALENESS-PROBE-CODE-V2"
'''


def _probe_book(tmp: Path) -> Path:
    """The project's book folder (its _config.yml, extensions, bibliography) with one page in the toc."""
    book = tmp / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "notebooks", "chapters"))
    (book / "chapters").mkdir()
    (book / "chapters" / "probe.md").write_text(PROBE)
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapters/probe\n")
    return book


def _start(book: Path, out: Path, env: dict, jobs: int = 1) -> subprocess.Popen:
    return subprocess.Popen(build_command(book, out, jobs), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)


def _page(proc: subprocess.Popen, out: Path) -> str:
    """Wait for a probe build; the text of its page (checked to offer its executed notebook)."""
    log, _ = proc.communicate(timeout=300)
    if proc.returncode != 0:
        reports = "".join(f.read_text(errors="replace")[-3000:] for f in out.rglob("reports/**/*.err.log"))
        raise RuntimeError(f"probe build failed:\n{log[-3000:]}\n{reports}")
    page = out / "_build" / "html" / "chapters" / "probe.html"
    ipynb = anchors(page, "btn-download-notebook-button")
    assert len(ipynb) == 1, ipynb
    code = [c for c in json.loads((page.parent / ipynb[0]["href"]).read_text())["cells"] if c["cell_type"] == "code"]
    assert code and all(isinstance(c.get("execution_count"), int) and c["outputs"] for c in code), \
        "the downloadable notebook of an executed build has unexecuted cells"
    return page_text(page)


def run_probe(tmp: Path) -> dict:
    """A one-page book built, then code and data changed, then rebuilt two ways at once.

    The page is built with the project's ``_config.yml`` and the kernel imports a
    temporary copy of ``src/analysis`` (first on ``PYTHONPATH``), which is then
    edited: ``data_notice``, called by every chapter, gains a line. The data
    folder's ages change at the same time (each + 1). Then the book is rebuilt into the first build's folder (``incremental``: what ``jupyter-book build book/`` does when ``book/_build`` exists).
    """
    # A copy of the project's layout (the kernel finds data/published/ above its folder).
    repo = tmp / "repo"
    src = repo / "src"
    shutil.copytree(ROOT / "src" / "analysis", src / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "data").mkdir()
    for sub in ("published", "synthetic"):
        (repo / "data" / sub).symlink_to(ROOT / "data" / sub, target_is_directory=True)
    book = _probe_book(repo)
    data = tmp / "data"
    data.mkdir()
    shutil.copy(SECOND_DATASET / "patients.csv", data / "patients.csv")
    env = dict(os.environ, PYTHONPATH=str(src), PYTHONDONTWRITEBYTECODE="1", **{TRIAL_DATA_ENV: str(data)})

    # make book's command (parallel Sphinx workers) for the first build
    first = _page(_start(book, tmp / "out1", env, jobs=2), tmp / "out1")
    ages = [load_trial(data).patients["age"].sum()]

    with open(src / "analysis" / "report" / "book.py", "a") as fh:
        fh.write(CODE_CHANGE)
    lines = (data / "patients.csv").read_text().splitlines()
    k = lines[0].split(",").index("age")
    rows = [r.split(",") for r in lines[1:]]
    for r in rows:
        r[k] = str(float(r[k]) + 1)
    (data / "patients.csv").write_text("\n".join([lines[0]] + [",".join(r) for r in rows]) + "\n")
    ages.append(load_trial(data).patients["age"].sum())

    # jupyter-book build into the existing folder: the case where stale outputs could survive
    pages = {"incremental": _page(_start(book, tmp / "out1", env), tmp / "out1")}
    return {"src": src, "ages": ages, "n": len(rows), "first": first, **pages}




class _Probe:
    """:func:`run_probe` in a background thread."""

    def __init__(self, root: Path):
        import threading

        self._result: dict | None = None
        self._error: BaseException | None = None
        (root / "probe").mkdir(parents=True, exist_ok=True)

        def work():
            try:
                self._result = run_probe(root / "probe")
            except BaseException as exc:  # reported to the waiting test
                self._error = exc

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def result(self, timeout: float = BUILD_TIMEOUT) -> dict:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the probe builds took more than {timeout:.0f} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def get_probe() -> _Probe:
    if _state.get("probe") is None:
        _state["probe"] = _Probe(_root())
    return _state["probe"]


# --- chapter runs on other datasets (no HTML) --------------------------------------------

@dataclass(frozen=True)
class ChapterRun:
    """Every chapter executed on one dataset (``python -m analysis.build.notebooks --data``)."""

    name: str
    data: Path
    out: Path
    summary: dict

    @property
    def valid(self) -> bool:
        return bool(self.summary.get("valid"))

    def notebook(self, chapter: str) -> dict:
        return json.loads((self.out / f"{Path(chapter).name}.ipynb").read_text())

    def problems(self) -> dict[str, dict]:
        """Chapters that raised or wrote to stderr (a book build would fail on either)."""
        return {n: c for n, c in self.summary.get("chapters", {}).items() if c["error"] or c["stderr"]}

    def glued(self, chapter: str) -> set[str]:
        """Names glued by the executed chapter."""
        return {o["metadata"]["scrapbook"]["name"] for c in self.notebook(chapter)["cells"]
                for o in c.get("outputs", []) if "scrapbook" in o.get("metadata", {})}

    def text(self, chapter: str) -> str:
        """Every text output of the chapter (markdown, HTML, plain text, streams), joined."""
        parts = []
        for c in self.notebook(chapter)["cells"]:
            for o in c.get("outputs", []):
                parts.append(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"]))
                for k, v in o.get("data", {}).items():
                    if "image" not in k:
                        parts.append(v if isinstance(v, str) else "".join(v))
        return "\n".join(parts)


class _Runs:
    """One background process running the chapters on each dataset in turn."""

    def __init__(self, root: Path, names: list[str]):
        self.root, self.names, self._results = root, names, {}
        self._datasets = {name: _dataset(root, name) for name in names}
        script = ("import sys; from analysis.build.notebooks import run_datasets\n"
                  "run_datasets(list(zip(sys.argv[1::2], sys.argv[2::2])))\n")
        args = [a for n in names for a in (str(self._datasets[n]), str(root / n))]
        self._log = open(root / "runs.log", "wb")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop(TRIAL_DATA_ENV, None)
        self._proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=env, stdout=self._log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def result(self, name: str, timeout: float = BUILD_TIMEOUT) -> ChapterRun:
        summary = self.root / name / "summary.json"
        deadline = time.monotonic() + timeout
        while not summary.exists():
            if self._proc.poll() is not None and not summary.exists():
                log = (self.root / "runs.log").read_text(errors="replace")
                raise RuntimeError(f"the chapter runs stopped before {name!r}:\n{log[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"chapter runs on {name!r} took more than {timeout:.0f} s")
            time.sleep(0.2)
        time.sleep(0.05)  # summary.json is written last, in one call
        return ChapterRun(name, self._datasets[name], self.root / name, json.loads(summary.read_text()))

    def stop(self) -> None:
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
                self._proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self._log.close()


def make_reconstructed(dst: Path, endpoint: str, src: Path | None = None, seed: int = 5) -> Path:
    """A survival-only folder with one endpoint, written by ``python -m analysis reconstruct``.

    The Kaplan-Meier curves of ``src`` (default: the committed cohort) for ``endpoint`` are clicked as a
    person would (:func:`analysis.toolkit.reconstruct.simulate_clicks`, seeded), the numbers at risk
    counted every 12 months, and the command reconstructs patients from them into ``dst``.

    Parameters
    ----------
    dst : Path
        The folder to write (must not exist or be empty).
    endpoint : {"os", "hcc"}
        The one endpoint the folder holds.
    src : Path, optional
        The data folder whose curves are digitised (default :func:`default_data_dir`).
    seed : int, default 5
        Seed of the simulated clicks.

    Returns
    -------
    Path
        ``dst``.
    """
    import numpy as np

    from analysis.__main__ import main
    from analysis.toolkit.reconstruct import at_risk_table, simulate_clicks
    from analysis.toolkit.survival import endpoint_frame

    f = endpoint_frame(load_trial(src or default_data_dir()), endpoint)
    rng = np.random.default_rng(seed)
    files = dst.parent / f"{dst.name}-figure"
    files.mkdir(parents=True, exist_ok=True)
    argv = ["reconstruct"]
    for arm in ("control", "ucmsc"):
        a = f[f["arm"] == arm]
        curve, risk = files / f"{arm}_curve.csv", files / f"{arm}_at_risk.csv"
        simulate_clicks(a["time"], a["event"], rng=rng).to_csv(curve, index=False)
        at_risk_table(a["time"], np.arange(0.0, float(a["time"].max()), 12.0)).to_csv(risk, index=False)
        argv += ["--curve", f"{arm}={curve}", "--at-risk", f"{arm}={risk}"]
    if main([*argv, "--endpoint", endpoint, "--out", str(dst)]) != 0:
        raise RuntimeError(f"python -m analysis reconstruct failed for {endpoint}")
    return dst


def _dataset(root: Path, name: str) -> Path:
    if name == "reconstructed":  # HCC-free survival only: the overall-survival guards run
        data = root / "data" / "reconstructed-hcc"
        if not data.exists():
            make_reconstructed(data, "hcc")
        return data
    if name == "private":
        # The folder name is what the real-data notice shows as the dataset's name.
        data = root / "data" / "private-cohort-copy"
        if not data.exists():
            make_private_copy(default_data_dir(), data)
            plant_markers(data)
        return data
    if name in OTHER_DATASETS:
        return OTHER_DATASETS[name]
    raise KeyError(name)


# --- the session's builds -------------------------------------------------------------------

#: Fixture name (in conftest.py) -> build or run name.
FIXTURE_BUILDS = {"synthetic_book": "synthetic", "private_book": "private",
                  "leukemia_book": "leukemia", "reconstructed_book": "reconstructed"}
#: The datasets the chapters are run on (one background process, in this order).
RUN_NAMES = ["private", "leukemia", "reconstructed"]

_state: dict = {"root": None, "builds": {}, "runs": None}


def _root() -> Path:
    if _state["root"] is None:
        _state["root"] = Path(tempfile.mkdtemp(prefix="book-builds-"))
    return _state["root"]


def cached_config(root: Path) -> Path:
    """``book/_config.yml`` with execution served from a cache of the stored notebooks.

    The cache is filled from ``book/notebooks/*.ipynb`` (which nbval checks against a fresh
    execution); a chapter whose code differs from its stored notebook misses the cache and is
    executed, which the build test reports. Paths in the configuration are made absolute.
    """
    from jupyter_cache import get_cache

    cache = get_cache(str(root / "jupyter_cache"))
    for nb in sorted((BOOK_DIR / "notebooks").glob("*.ipynb")):
        cache.cache_notebook_file(str(nb), check_validity=False, overwrite=True)
    cfg = yaml.safe_load((BOOK_DIR / "_config.yml").read_text())
    cfg["execute"] = dict(cfg["execute"], execute_notebooks="cache", cache=str(root / "jupyter_cache"))
    cfg["bibtex_bibfiles"] = [str(BOOK_DIR / f) for f in cfg.get("bibtex_bibfiles", [])]
    ext = cfg["sphinx"]["local_extensions"]
    cfg["sphinx"]["local_extensions"] = {k: str(BOOK_DIR / v) for k, v in ext.items()}
    out = root / "_config.yml"
    out.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return out


class _Prebuilt:
    """A build made before the session (``$SYNTHETIC_BOOK_BUILD``), taken as it is."""

    def __init__(self, out: Path):
        if not (out / "_build" / "html").is_dir():
            raise FileNotFoundError(f"${PREBUILT_ENV}={out} holds no _build/html")
        self._result = BuildResult("synthetic (prebuilt)", default_data_dir(), out, 0, "", 0.0)

    def result(self, timeout: float = BUILD_TIMEOUT) -> BuildResult:
        return self._result

    def stop(self) -> None:
        pass


def get_build(name: str):
    """The session's build (``synthetic``) or chapter runs (:data:`RUN_NAMES`)."""
    if name == "synthetic":
        builds = _state["builds"]
        if name not in builds and os.environ.get(PREBUILT_ENV):
            builds[name] = _Prebuilt(Path(os.environ[PREBUILT_ENV]).resolve())
        if name not in builds:
            root = _root()
            builds[name] = BookBuild(name, None, root / name, config=cached_config(root)).start()
        return builds[name]
    if _state["runs"] is None:
        _state["runs"] = _Runs(_root(), RUN_NAMES)
    return _state["runs"]


def start_needed(items) -> list[str]:
    """Start (in the background) the builds and runs that the collected test items use."""
    needed = []
    for item in items:
        for fx in getattr(item, "fixturenames", ()):
            name = FIXTURE_BUILDS.get(fx)
            if name and name not in needed:
                needed.append(name)
    for name in sorted(needed, key=list(FIXTURE_BUILDS.values()).index):
        get_build(name)
    if any("probe_builds" in getattr(item, "fixturenames", ()) for item in items):
        get_probe()
        needed.append("probe")
    return needed


def stop_all(keep: bool = False) -> None:
    """End running builds and runs and remove their folder (unless ``keep``)."""
    for build in _state["builds"].values():
        build.stop()
    if _state["runs"] is not None:
        _state["runs"].stop()
    root = _state["root"]
    probe = _state.get("probe")
    if probe is not None:
        probe._thread.join(timeout=60)
    if root is not None and not keep:
        shutil.rmtree(root, ignore_errors=True)
    _state.update(root=None, builds={}, runs=None, probe=None)
