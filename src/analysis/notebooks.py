"""Keep the chapter notebooks paired and executed (``make notebooks``).

Each chapter is MyST Markdown in ``book/chapters/NAME.md`` (the reviewed
source) paired with ``book/notebooks/NAME.ipynb`` holding executed outputs,
which nbval re-executes and compares. This module regenerates the notebooks
from the Markdown and executes them in ``book/notebooks/`` (the folder nbval
runs them in), and checks that the two forms are in sync.

Usage::

    python -m analysis.notebooks            # all chapters
    python -m analysis.notebooks data intro # some chapters
    python -m analysis.notebooks --check    # exit 1 if any pair is out of sync
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from .paths import repo_root

__all__ = ["chapter_pairs", "pair_differences", "build_notebook"]

FORMATS = "chapters///md:myst,notebooks///ipynb"


def chapter_pairs(book: Path | None = None) -> list[tuple[Path, Path]]:
    """(markdown, notebook) paths of every chapter."""
    book = book or repo_root() / "book"
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    ap.add_argument("--check", action="store_true", help="only check that pairs are in sync")
    args = ap.parse_args(argv)
    pairs = [p for p in chapter_pairs() if not args.chapters or p[0].stem in args.chapters]
    if args.check:
        diffs = [d for md, nb in pairs for d in pair_differences(md, nb)]
        print("\n".join(diffs) or "all chapter pairs in sync")
        return 1 if diffs else 0
    for md, nb in pairs:
        print(f"executing {md.relative_to(repo_root())} -> {nb.relative_to(repo_root())}", flush=True)
        build_notebook(md, nb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
