"""Shared figure conventions: arm colours, labels, style.

The same two colour-blind-safe colours (Okabe-Ito orange and blue) mark the
arms in every chapter.
"""

from __future__ import annotations

import sys

import matplotlib

if "ipykernel" not in sys.modules:  # scripts and tests: headless; notebooks keep their inline backend
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from .data import ARM_LABELS, ARMS  # noqa: E402

__all__ = ["ARM_COLORS", "arm_color", "arm_label", "set_style"]

#: Okabe-Ito palette: control orange, UC-MSC blue.
ARM_COLORS = {"control": "#E69F00", "ucmsc": "#0072B2"}


def arm_color(arm: str) -> str:
    """Colour of an arm (``control`` or ``ucmsc``)."""
    return ARM_COLORS[arm]


def arm_label(arm: str) -> str:
    """Display label of an arm."""
    return ARM_LABELS[arm]


def set_style() -> None:
    """Apply the book's matplotlib style (seaborn ticks, readable sizes, fixed DPI)."""
    import seaborn as sns

    sns.set_theme(style="ticks", context="notebook", palette=[ARM_COLORS[a] for a in ARMS])
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.figsize": (7.0, 4.2),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "analysis",
        }
    )
