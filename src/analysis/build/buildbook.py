"""``jupyter-book build`` with parallel Sphinx workers (``make book``).

Jupyter Book 1.x builds with one Sphinx process, so chapters execute one after
another; its command line has no jobs option, although its build function
takes one. This runs the same ``jupyter-book build`` command (same arguments,
same configuration) with ``jobs`` set, so chapters execute on every core.
The output is the same book: ``book/_ext/book_fixes.py`` declares the stack's
extensions parallel-safe, and the build and browser tests run on it.

Usage::

    python -m analysis.buildbook [-j N] -- <jupyter-book build arguments>
"""

from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    jobs = os.cpu_count() or 1
    if args[:1] == ["-j"]:
        jobs, args = int(args[1]), args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    import jupyter_book.sphinx as jbs
    from jupyter_book.cli.main import main as jb_main

    original = jbs.build_sphinx

    def build_sphinx(*a, **k):
        k["jobs"] = jobs
        return original(*a, **k)

    jbs.build_sphinx = build_sphinx  # the CLI imports it from this module at call time
    try:
        jb_main(["build", *args], standalone_mode=False)
    except SystemExit as exc:  # click exits with the build status
        return int(exc.code or 0)
    finally:
        jbs.build_sphinx = original
    return 0


if __name__ == "__main__":
    sys.exit(main())
