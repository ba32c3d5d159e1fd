"""Which of the paper's two endpoints the data hold.

A survival-only dataset may hold one endpoint only (``python -m analysis reconstruct`` writes the
patients reconstructed from one published figure): the other endpoint's columns are then empty.
The chapters compute what the present endpoint allows; every result of the absent endpoint keeps
its id and glue keys, with value ``None`` and :func:`absent_note` as its note, and the pages show
:func:`absent_message` where a table or figure of that endpoint would be.
"""

from __future__ import annotations

from ...toolkit.schema import Trial
from ...toolkit.survival import ENDPOINTS

__all__ = ["OUTCOMES", "absent", "absent_message", "absent_note", "notice", "present"]

#: Endpoint -> the outcome a note names ("this dataset has no HCC outcome").
OUTCOMES = {"os": "overall-survival (death)", "hcc": "HCC"}


def present(trial: Trial) -> tuple[str, ...]:
    """The endpoints (``"os"``, ``"hcc"``) whose time column holds any value, in :data:`ENDPOINTS` order.

    Parameters
    ----------
    trial : Trial
        The trial data.

    Returns
    -------
    tuple of str
    """
    return tuple(ep for ep, (tcol, _, _) in ENDPOINTS.items() if trial.has_outcome(tcol))


def absent_note(ep: str) -> str:
    """The note of a result that needs endpoint ``ep`` on data without it.

    Parameters
    ----------
    ep : {"os", "hcc"}
        The absent endpoint.

    Returns
    -------
    str
        E.g. ``"this dataset has no HCC outcome (hcc_months and hcc are empty): not computable"``.
    """
    tcol, ecol, _ = ENDPOINTS[ep]
    return f"this dataset has no {OUTCOMES[ep]} outcome ({tcol} and {ecol} are empty): not computable"


def absent_message(ep: str) -> str:
    """What a page shows instead of a table or figure of the absent endpoint ``ep``.

    Parameters
    ----------
    ep : {"os", "hcc"}
        The absent endpoint.

    Returns
    -------
    str
        E.g. ``"Not shown: this dataset has no HCC outcome."``.
    """
    return f"Not shown: this dataset has no {OUTCOMES[ep]} outcome."


def absent(trial: Trial) -> dict[str, str]:
    """Absent endpoint -> :func:`absent_message` (empty when the data hold both endpoints).

    Parameters
    ----------
    trial : Trial
        The trial data.

    Returns
    -------
    dict of str to str
    """
    have = present(trial)
    return {ep: absent_message(ep) for ep in ENDPOINTS if ep not in have}


def notice(trial: Trial) -> str:
    """The note a page shows once when the data lack an endpoint (``""`` when they hold both).

    Parameters
    ----------
    trial : Trial
        The trial data.

    Returns
    -------
    str
        A MyST note admonition saying which endpoint is absent, that its tables and figures are
        replaced by notes and that its numbers in the text show as *nan*.
    """
    gone = [ep for ep in ENDPOINTS if ep not in present(trial)]
    if not gone:
        return ""
    what = " and ".join(f"no {OUTCOMES[ep]} outcome" for ep in gone)
    names = " and ".join({"os": "overall survival", "hcc": "HCC-free survival"}[ep] for ep in gone)
    return (f":::{{note}}\nThis dataset has {what} (a survival-only dataset with one endpoint, e.g. "
            f"reconstructed from one published figure): the tables and figures of {names} are not shown, "
            "and its numbers in the text show as *nan*.\n:::")
