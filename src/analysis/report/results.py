"""Named results: every number the book shows, with its provenance and its published counterpart.

Each chapter module of :mod:`analysis.report.chapters` computes a :class:`ChapterResults`: the
chapter's named :class:`Result` objects (what its prose quotes) and the objects its tables and
figures display. The chapter glues the results and shows the objects; it computes nothing itself.
The results ledger (:mod:`analysis.report.ledger`) is the union of all chapters' results, so every
number in the prose is in the ledger, and ``tests/test_results.py`` checks that every glued number
of the executed chapters equals the ledger entry that names its glue key.

Provenance (:data:`PROVENANCES`)
    ``computed``: computed from the data;
    ``by construction``: on the synthetic cohort the generator forces this value (e.g. the patient
    flow, the event counts); on real data the same result is ``computed``;
    ``assumed``: on the synthetic cohort the value follows from a generator parameter (e.g. the
    bilirubin fall with UC-MSC); on real data it is ``computed``;
    ``published``: the paper's number, not computed.

Status: one of :data:`~analysis.toolkit.agreement.STATUSES`, from
:func:`~analysis.toolkit.agreement.agreement`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..toolkit.agreement import STATUSES, Tolerance, agreement
from .provenance import MARK_SUFFIX, MARKERS, PROVENANCES, marker_html

__all__ = ["FIELDS", "Result", "ChapterResults", "provenance_of", "computed_once"]

#: The fields of a result a glue key can show.
FIELDS = ("value", "ci_low", "ci_high", "published", "published_ci_low", "published_ci_high")


def provenance_of(kind: str, synthetic: bool) -> str:
    """``kind`` (``"by construction"`` or ``"assumed"``) on the synthetic cohort, ``"computed"`` on real data.

    Parameters
    ----------
    kind : {"computed", "by construction", "assumed", "published"}
        What the result is on the synthetic cohort.
    synthetic : bool
        Whether the data are the synthetic cohort (:attr:`Trial.synthetic`).

    Returns
    -------
    str
        The provenance shown: ``kind``, except ``"computed"`` for ``"by construction"`` and
        ``"assumed"`` on real data.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`PROVENANCES`.
    """
    if kind not in PROVENANCES:
        raise ValueError(f"provenance must be one of {PROVENANCES}, got {kind!r}")
    if kind in ("by construction", "assumed") and not synthetic:
        return "computed"
    return kind


def _plain(x: Any) -> Any:
    """NumPy scalars as Python numbers; NaN and infinities as ``None``; strings unchanged."""
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    try:
        v = float(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"a result value must be a number, a string or None, got {type(x).__name__}") from exc
    return None if math.isnan(v) or math.isinf(v) else v


@dataclass(frozen=True)
class Result:
    """One named result.

    Parameters
    ----------
    id : str
        Unique, dotted, stable across versions (``os.cox.hr``).
    label : str
        What it is, in words, for a reader.
    value : float, int, str or None
        The value (``None``: not computable on these data).
    unit : str
        ``"months"``, ``"patients"``, ``"ratio"``, ``"p"``, ``"proportion"``, ... (``""`` if none).
    ci_low, ci_high : float, optional
        Its confidence interval, where there is one.
    direction : str
        For an effect, which arm is compared with which (``"control relative to UC-MSC"``,
        ``"UC-MSC minus control"``); empty otherwise.
    published, published_ci_low, published_ci_high : float, optional
        The paper's value (and interval) where it reports one.
    tolerance : Tolerance, optional
        How close ``value`` must be to ``published`` to agree (each limit to its published limit
        too, when both are given). Default: half a unit of the published value's last digit.
    provenance : str
        One of :data:`PROVENANCES`.
    source : str
        Where in the paper the published value is (``"Table 1"``), or ``""``.
    note : str
        Anything a reader needs to interpret the status.
    glue : mapping of str to str
        Glue key -> the field it shows (one of :data:`FIELDS`).

    Attributes
    ----------
    status : str
        One of :data:`~analysis.toolkit.agreement.STATUSES` (property): ``value`` (and its
        limits) against ``published`` under the effective tolerance.
    effective_tolerance : Tolerance or None
        ``tolerance``, else half a unit of the published value's last printed digit (property).
    """

    id: str
    label: str
    value: Any
    unit: str = ""
    ci_low: float | None = None
    ci_high: float | None = None
    direction: str = ""
    published: float | None = None
    published_ci_low: float | None = None
    published_ci_high: float | None = None
    tolerance: Tolerance | None = None
    provenance: str = "computed"
    source: str = ""
    note: str = ""
    glue: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in ("value", "ci_low", "ci_high", "published", "published_ci_low", "published_ci_high"):
            object.__setattr__(self, f, _plain(getattr(self, f)))
        if self.provenance not in PROVENANCES:
            raise ValueError(f"{self.id}: provenance must be one of {PROVENANCES}, got {self.provenance!r}")
        bad = {k: v for k, v in self.glue.items() if v not in FIELDS}
        if bad:
            raise ValueError(f"{self.id}: glue fields must be among {FIELDS}, got {bad}")
        object.__setattr__(self, "glue", dict(self.glue))

    @property
    def effective_tolerance(self) -> Tolerance | None:
        """The tolerance used: the given one, else half a unit of the published value's last digit."""
        if self.tolerance is not None or self.published is None or isinstance(self.published, str):
            return self.tolerance
        from ..toolkit.agreement import printed_tolerance

        return printed_tolerance(self.published)

    @property
    def status(self) -> str:
        """One of :data:`~analysis.toolkit.agreement.STATUSES`.

        A string value is never compared (``not published`` unless it is missing). With a
        published interval, the value and both limits must agree.
        """
        if isinstance(self.value, str):
            return "not published"
        tol = self.effective_tolerance
        s = agreement(self.value, self.published, tol)
        if s != "agrees":
            return s
        for mine, theirs in ((self.ci_low, self.published_ci_low), (self.ci_high, self.published_ci_high)):
            if theirs is not None and agreement(mine, theirs, tol) != "agrees":
                return "differs"
        return s

    def get(self, field_name: str) -> Any:
        """The value of one of :data:`FIELDS`."""
        if field_name not in FIELDS:
            raise KeyError(f"{field_name!r} is not one of {FIELDS}")
        return getattr(self, field_name)

    def as_json(self) -> dict:
        """A plain dict for the ledger file (``None`` for absent values, fixed key order)."""
        tol = self.effective_tolerance
        out = {
            "id": self.id, "label": self.label, "value": _ten(self.value), "ci_low": _ten(self.ci_low),
            "ci_high": _ten(self.ci_high), "unit": self.unit, "direction": self.direction,
            "published": self.published, "published_ci_low": self.published_ci_low,
            "published_ci_high": self.published_ci_high,
            "tolerance": tol.as_json() if tol is not None else None, "status": self.status,
            "provenance": self.provenance, "source": self.source, "note": self.note,
            "glue": sorted(self.glue),
        }
        return out


def _ten(x: Any) -> Any:
    """Floats rounded to 10 significant digits for the ledger file: the same data give the same
    bytes although the last bits of an iterative fit may differ between machines."""
    return float(f"{x:.10g}") if isinstance(x, float) else x


class ChapterResults(Mapping[str, Result]):
    """A chapter's named results (an ordered mapping id -> :class:`Result`) and display objects.

    Parameters
    ----------
    chapter : str
        The chapter's name (``"survival"``).
    synthetic : bool
        Whether the results were computed on the synthetic cohort; sets the provenance of
        results added as ``by construction`` or ``assumed`` (see :func:`provenance_of`).

    Attributes
    ----------
    chapter : str
        The chapter's name.
    synthetic : bool
        Whether the results were computed on the synthetic cohort.
    objects : dict of str to object
        What the chapter's tables and figures display (frames, fitted objects), by name.
    """

    def __init__(self, chapter: str, synthetic: bool) -> None:
        self.chapter = chapter
        self.synthetic = bool(synthetic)
        self._results: dict[str, Result] = {}
        self._glue: dict[str, str] = {}
        #: What the chapter's tables and figures display (frames, fitted objects), by name.
        self.objects: dict[str, Any] = {}

    def add(self, id: str, label: str, value: Any, *, provenance: str = "computed", **kwargs: Any) -> Result:
        """Add a result (see :class:`Result` for the arguments) and return it.

        ``provenance`` is what the result is on the synthetic cohort; on real data
        ``by construction`` and ``assumed`` become ``computed``.

        Parameters
        ----------
        id : str
            Unique, dotted, stable id (unique across the whole ledger).
        label : str
            What it is, in words.
        value : float, int, str or None
            The value (``None``: not computable on these data).
        provenance : {"computed", "by construction", "assumed", "published"}
            What the result is on the synthetic cohort (default ``"computed"``).
        **kwargs
            The other fields of :class:`Result` (``unit``, ``ci_low``, ``ci_high``,
            ``direction``, ``published``, ``published_ci_low``, ``published_ci_high``,
            ``tolerance``, ``source``, ``note``, ``glue``).

        Returns
        -------
        Result
            The result added.

        Raises
        ------
        ValueError
            If the id, or one of its glue keys, is already used in this chapter.
        """
        if id in self._results:
            raise ValueError(f"{self.chapter}: result id {id!r} is used twice")
        r = Result(id, label, value, provenance=provenance_of(provenance, self.synthetic), **kwargs)
        for key in r.glue:
            if key in self._glue:
                raise ValueError(f"{self.chapter}: glue key {key!r} is fed by {self._glue[key]!r} and {id!r}")
            self._glue[key] = id
        self._results[id] = r
        return r

    def __getitem__(self, id: str) -> Result:
        try:
            return self._results[id]
        except KeyError:
            raise KeyError(f"{self.chapter} has no result {id!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def glue_values(self) -> dict[str, Any]:
        """Glue key -> the value it shows, over all results."""
        return {key: self._results[rid].get(self._results[rid].glue[key]) for key, rid in self._glue.items()}

    def glue(self) -> None:
        """Glue every result's keys into the chapter (myst-nb ``glue``), at their displayed precision.

        A value that is not computable on these data is glued as NaN, which the prose shows as
        ``nan``; the chapter's notes say why.
        """
        from .book import glue_markers, glue_numbers, marked_keys

        glue_numbers({k: (float("nan") if v is None else v) for k, v in self.glue_values().items()})
        glue_markers(self.markers(marked_keys()))

    def markers(self, keys: set[str] | None = None) -> dict[str, str]:
        """Glue key -> provenance marker (:func:`marker_html`) of the result the key shows.

        Parameters
        ----------
        keys : set of str, optional
            Only these keys (those the prose marks); default: every key of this chapter.

        Returns
        -------
        dict of str to str
        """
        return {k: marker_html(self._results[rid].provenance) for k, rid in self._glue.items()
                if keys is None or k in keys}

    def frame(self):
        """The results as a DataFrame, one row per result (the ledger's columns)."""
        import pandas as pd

        return pd.DataFrame([r.as_json() for r in self._results.values()])

    def status_counts(self) -> dict[str, int]:
        """How many results have each status (every status of the vocabulary, zeros included)."""
        counts = {s: 0 for s in STATUSES}
        for r in self._results.values():
            counts[r.status] += 1
        return counts


#: The results of the data last computed on (one entry: a kernel running several chapters, or a test
#: process, keeps the results of one dataset, never a growing history).
_COMPUTED: dict[tuple[str, str], dict[tuple, tuple[ChapterResults, list]]] = {}


def _published_key(published: Any) -> str:
    raw = getattr(published, "raw", None)
    text = json.dumps(raw, sort_keys=True, default=str) if raw is not None else repr(id(published))
    return hashlib.sha256(text.encode()).hexdigest()


#: The last trial object digested and its digest: the chapters of one run share one ``Trial``, so its
#: content is hashed once, not once per chapter (3.6 s each on 200,000 patients).
_LAST_DIGEST: list = [None, ""]


def _digest_of(trial: Any, content_digest: Callable[[Any], str]) -> str:
    if _LAST_DIGEST[0] is not trial:
        _LAST_DIGEST[:] = [trial, content_digest(trial)]
    return _LAST_DIGEST[1]


def computed_once(compute: Callable[..., ChapterResults]) -> Callable[..., ChapterResults]:
    """Compute a chapter's results once per dataset and process (a decorator of ``compute``).

    A chapter page, the Data and Reproducibility pages (which summarise every chapter) and the
    ledger all ask for the same results; when they run in one process (the chapter runs of
    :mod:`analysis.build.notebooks`, a test session) the results of a chapter are computed once.
    The key is the data's content (:func:`~analysis.trial.data.content_digest`), whether they are
    synthetic, the published numbers' content and the keyword arguments, so other data or other
    published numbers are computed afresh; only the last dataset's results are kept. The content of
    one ``Trial`` object is hashed once (the package never changes a trial's frames in place; a
    changed dataset is a new ``Trial``, e.g. from ``dataclasses.replace`` or ``load_trial``). The results
    returned are shared: treat them as read-only. Warnings raised while computing (statistics not
    defined on the data) are recorded and raised again at every call, so each page still shows
    them as notes.

    Parameters
    ----------
    compute : callable
        A chapter module's ``compute(trial, published, **kwargs)``.

    Returns
    -------
    callable
        The same function, computing once per key.
    """
    from ..trial.data import content_digest

    @functools.wraps(compute)
    def once(trial, published, **kwargs):
        if any(isinstance(v, Mapping) for v in kwargs.values()):  # results of other chapters: not hashable
            return compute(trial, published, **kwargs)
        data_key = (_digest_of(trial, content_digest) + str(bool(trial.synthetic)), _published_key(published))
        store = _COMPUTED.get(data_key)
        if store is None:
            _COMPUTED.clear()
            store = _COMPUTED[data_key] = {}
        key = (compute.__module__, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        if key not in store:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = compute(trial, published, **kwargs)
            store[key] = (out, [w.message for w in caught])
        out, caught = store[key]
        for message in caught:  # each caller sees the warnings (a page shows them as notes)
            warnings.warn(message, stacklevel=2)
        return out

    return once
