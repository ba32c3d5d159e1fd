"""Keep the chapter notebooks paired and executed (``make notebooks``).

Each chapter is MyST Markdown in ``book/chapters/NAME.md`` (the reviewed
source) paired with ``book/notebooks/NAME.ipynb`` holding executed outputs,
which nbval re-executes and compares. This module regenerates the notebooks
from the Markdown and executes them in ``book/notebooks/`` (the folder nbval
runs them in), and checks that the two forms are in sync.

It also runs the chapters on another dataset without building the book
(``--data DIR --out DIR``): each chapter's executed notebook is written to the
output folder with a summary of errors and of anything written to stderr, which
a book build would turn into an error. The tests use this to run the book on
datasets marked real (privacy) and on public trials of other shapes.

Usage::

    python -m analysis.notebooks            # all chapters
    python -m analysis.notebooks data intro # some chapters
    python -m analysis.notebooks --check    # exit 1 if any pair is out of sync
    python -m analysis.notebooks --data DIR --out OUT   # run every chapter on DIR, write to OUT
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from ..trial.paths import project_dir

__all__ = ["chapter_pairs", "pair_differences", "build_notebook", "run_chapters", "run_datasets"]

FORMATS = "chapters///md:myst,notebooks///ipynb"


def chapter_pairs(book: Path | None = None) -> list[tuple[Path, Path]]:
    """(markdown, notebook) paths of every chapter."""
    book = book or project_dir() / "book"
    return [(md, book / "notebooks" / (md.stem + ".ipynb")) for md in sorted((book / "chapters").glob("*.md"))]


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def pair_differences(md: Path, ipynb: Path) -> list[str]:
    """Human-readable differences between a chapter's two forms (empty if in sync)."""
    if not ipynb.exists():
        return [f"{ipynb} is missing"]
    a = _cells(jupytext.read(md))
    b = _cells(jupytext.read(ipynb))
    out = []
    if len(a) != len(b):
        out.append(f"{md.name}: {len(a)} cells in .md vs {len(b)} in .ipynb")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            out.append(f"{md.name}: cell {i} differs ({x[0]}: {x[1][:60]!r} vs {y[0]}: {y[1][:60]!r})")
            break
    return out


def build_notebook(md: Path, ipynb: Path, timeout: int = 600) -> None:
    """Convert ``md`` to a notebook, execute it in the notebook folder, write ``ipynb``."""
    nb = jupytext.read(md)
    for i, cell in enumerate(nb.cells):  # stable ids: the same chapter gives the same notebook bytes
        cell["id"] = hashlib.sha1(f"{i}:{cell.source}".encode()).hexdigest()[:8]
    nb.metadata.setdefault("jupytext", {})["formats"] = FORMATS
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    ipynb.parent.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ipynb.parent)}})
    client.execute()
    for cell in nb.cells:  # execution timestamps are volatile and not content
        cell.get("metadata", {}).pop("execution", None)
    tmp = ipynb.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(ipynb)


def _kernel_manager(folder: Path):
    """A kernel on Unix sockets in ``folder``: no TCP ports, so kernels started at the same time by
    other processes (nbval, a book build) can never race for a port."""
    from jupyter_client.manager import KernelManager

    return KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))


def run_chapters(data: Path, out: Path, chapters: list[str] | None = None, timeout: int = 600,
                 km=None) -> dict:
    """Execute chapters on the dataset ``data`` (as ``TRIAL_DATA``), without building the book.

    The data are validated first, as the book build does (``book/_ext/book_fixes.py``): on
    invalid data no chapter runs. The chapters run one after another in one kernel (started in
    ``book/chapters``, where Jupyter Book runs them), each from an empty namespace; a failing
    chapter does not stop the others.

    Parameters
    ----------
    data
        The trial data folder.
    out
        Folder for ``NAME.ipynb`` (each executed chapter) and ``summary.json``.
    chapters
        Chapter names (default: every chapter).
    timeout
        Seconds a cell may run.
    km
        A started kernel manager to use (see :func:`run_datasets`); default: a new kernel.

    Returns
    -------
    dict
        ``{"valid": bool, "chapters": {name: {"error": str | None, "stderr": [str], "seconds": float}}}``,
        also written to ``out/summary.json``.
    """
    from nbclient.exceptions import CellExecutionError

    from ..trial.data import TrialDataError, load_trial

    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"valid": True, "chapters": {}}
    try:
        load_trial(data)
    except TrialDataError as exc:
        summary = {"valid": False, "error": exc.public, "chapters": {}}
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        return summary
    if km is None:
        with tempfile.TemporaryDirectory(prefix="kernel-") as tmp:
            km = _start_kernel(Path(tmp))
            try:
                return run_chapters(data, out, chapters, timeout, km)
            finally:
                km.shutdown_kernel(now=True)
    book = project_dir() / "book"
    # Each chapter starts from an empty namespace, no open figure, and this dataset.
    reset = (f"%reset -f\nimport os\nos.environ['TRIAL_DATA'] = {str(Path(data).resolve())!r}\n"
             "import matplotlib.pyplot\nmatplotlib.pyplot.close('all')")
    for md, _ in chapter_pairs(book):
        if chapters and md.stem not in chapters:
            continue
        nb = jupytext.read(md)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells.insert(0, nbformat.v4.new_code_cell(reset))
        start, error = time.perf_counter(), None
        # no execution timestamps in the outputs: they are not content, and their digits would
        # be searched along with the chapter's by the privacy tests
        client = NotebookClient(nb, km=km, timeout=timeout, record_timing=False,
                                resources={"metadata": {"path": str(md.parent)}})
        try:
            client.execute()
        except CellExecutionError as exc:
            error = str(exc)[-3000:]
        del nb.cells[0]
        stderr = [o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        summary["chapters"][md.stem] = {"error": error, "stderr": stderr,
                                        "seconds": round(time.perf_counter() - start, 2)}
        nbformat.write(nb, out / f"{md.stem}.ipynb")
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _start_kernel(folder: Path):
    km = _kernel_manager(folder)
    km.start_kernel(cwd=str(project_dir() / "book" / "chapters"))
    return km


def run_datasets(pairs: list[tuple[Path, Path]], timeout: int = 600) -> list[dict]:
    """:func:`run_chapters` on several datasets, one after another, in one kernel (the libraries
    are imported once).

    Parameters
    ----------
    pairs
        ``(data folder, output folder)`` for each dataset.
    timeout
        Seconds a cell may run.

    Returns
    -------
    list of dict
        Each dataset's summary.
    """
    with tempfile.TemporaryDirectory(prefix="kernel-") as tmp:
        km = _start_kernel(Path(tmp))
        try:
            return [run_chapters(Path(d), Path(o), timeout=timeout, km=km) for d, o in pairs]
        finally:
            km.shutdown_kernel(now=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    ap.add_argument("--check", action="store_true", help="only check that pairs are in sync")
    ap.add_argument("--data", type=Path, help="run the chapters on this data folder instead (needs --out)")
    ap.add_argument("--out", type=Path, help="where --data writes the executed chapters and summary.json")
    args = ap.parse_args(argv)
    if args.data is not None:
        if args.out is None:
            ap.error("--data needs --out")
        summary = run_chapters(args.data, args.out, args.chapters or None)
        bad = [n for n, c in summary["chapters"].items() if c["error"] or c["stderr"]]
        print(f"ran {len(summary['chapters'])} chapters on the data: "
              + ("all clean" if summary["valid"] and not bad else f"problems in {bad or 'validation'}"))
        return 0 if summary["valid"] and not bad else 1
    pairs = [p for p in chapter_pairs() if not args.chapters or p[0].stem in args.chapters]
    if args.check:
        diffs = [d for md, nb in pairs for d in pair_differences(md, nb)]
        print("\n".join(diffs) or "all chapter pairs in sync")
        return 1 if diffs else 0
    for md, nb in pairs:
        print(f"executing {md.relative_to(project_dir())} -> {nb.relative_to(project_dir())}", flush=True)
        build_notebook(md, nb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
