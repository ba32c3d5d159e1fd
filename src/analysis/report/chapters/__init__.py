"""One module per chapter, each with ``compute(trial, published) -> ChapterResults``.

The chapter pages (``book/chapters/NAME.md``) call their module's ``compute``, glue its results
and show its objects; the ledger is the union of every module's results (:data:`CHAPTERS` order).
Chapter results are tested without building the book (``tests/test_results.py``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["CHAPTERS", "chapter_module"]

#: Chapter modules in book order (those that compute results; the Reproducibility page shows the ledger).
CHAPTERS = ("survival",)


def chapter_module(name: str) -> ModuleType:
    """The module of chapter ``name`` (one of :data:`CHAPTERS`)."""
    if name not in CHAPTERS:
        raise KeyError(f"no chapter module {name!r}; chapters are {CHAPTERS}")
    return importlib.import_module(f".{name}", __name__)
