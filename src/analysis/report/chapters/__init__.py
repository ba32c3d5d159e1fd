"""One module per chapter, each with ``compute(trial, published) -> ChapterResults``.

The chapter pages (``book/chapters/NAME.md``) call their module's ``compute``, glue its results
and show its objects; the ledger is the union of every module's results (:data:`CHAPTERS` order).
Chapter results are tested without building the book (``tests/test_results.py``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["CHAPTERS", "chapter_module"]

#: The chapters in book order.
CHAPTERS = ("intro", "data", "design", "randomization", "baseline", "survival", "landmark", "evidence", "reconstruction",
            "liver_function", "safety", "reproducibility")


def chapter_module(name: str) -> ModuleType:
    """The module of chapter ``name`` (one of :data:`CHAPTERS`)."""
    if name not in CHAPTERS:
        raise KeyError(f"no chapter module {name!r}; chapters are {CHAPTERS}")
    return importlib.import_module(f".{name}", __name__)
