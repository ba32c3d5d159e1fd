"""Individual patient data reconstructed from published Kaplan-Meier curves (Guyot et al. 2012).

A meta-analyst who has a trial's paper but not its patient data digitises each arm's
Kaplan-Meier curve (clicks on the curve, e.g. with WebPlotDigitizer) and copies the numbers at
risk printed under the figure. This module turns the two into individual patient data, one
``(time, event)`` row per patient and arm, by the algorithm of Guyot, Ades, Ouwens and Welton
(2012), written from the paper's description:

1. **Cleaning** (:func:`clean_curve`): clicks are sorted by time, exact duplicates dropped,
   values a little outside the plot clipped into ``time >= 0`` and ``0 <= S <= 1``, the curve
   made non-increasing (isotonic regression by default), and the point ``(0, 1)`` put first.
2. **Per interval between two at-risk times** (:func:`reconstruct_arm`): a first guess of the
   number censored in the interval from the survival drop and the two published numbers at
   risk; the censorings spread evenly over the interval; at each click the number of events
   that turns the reconstructed Kaplan-Meier curve into the digitised one (rounded); the number
   censored adjusted, and the interval recomputed, until the reconstructed number at risk at
   the next at-risk time equals the published one.
3. **The last interval** (no number at risk at its end): censoring at the average rate of the
   earlier intervals, or, when the total number of events is reported, the censoring that makes
   the reconstructed events add up to it. Patients still at risk at the last click are censored
   there.

With the number of patients only (no at-risk table: one row at time 0) the whole follow-up is
one interval and is handled like the last (Guyot's "no numbers at risk" scenario); with the
total number of events as well, like the last interval with total events.

:func:`simulate_clicks` and :func:`at_risk_table` make digitiser-like input from patient data
(for round-trip tests); :func:`round_trip_accuracy` compares a reconstruction with the patient
data it came from.

Errors in the input raise :class:`ReconstructionError`, naming the file (or ``source``), the
line(s) and the rule broken.

References
----------
.. [1] Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival data:
   reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol
   2012;12:9. doi:10.1186/1471-2288-12-9
.. [2] Liu N, Zhou Y, Lee JJ. IPDfromKM: reconstruct individual patient data from published
   Kaplan-Meier survival curves. BMC Med Res Methodol 2021;21:111.
   doi:10.1186/s12874-021-01308-8
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .csvfile import CSVFormatError, csv_records

__all__ = [
    "ReconstructionError",
    "CURVE_COLUMNS",
    "AT_RISK_COLUMNS",
    "read_curve",
    "read_at_risk",
    "clean_curve",
    "check_at_risk",
    "ArmReconstruction",
    "Reconstruction",
    "reconstruct_arm",
    "reconstruct",
    "simulate_clicks",
    "at_risk_table",
    "km_step",
    "round_trip_accuracy",
    "VARIANTS",
    "round_trip",
]

#: Header of a digitised curve file: time (months) and survival (a proportion).
CURVE_COLUMNS = ("time", "survival")
#: Header of an at-risk file: time (months) and the number at risk printed under the figure.
AT_RISK_COLUMNS = ("time", "n_at_risk")

#: Clicks this far outside the plot (time below 0, survival above 1 or below 0) are clipped into
#: it; farther out they are errors (a mis-calibrated axis, survival in percent).
SURVIVAL_TOLERANCE = 0.02
#: Fraction of the last click's time by which a click may fall before time 0 and be clipped.
TIME_TOLERANCE = 0.01


class ReconstructionError(ValueError):
    """Invalid digitised input; the message names the file (or source), the line(s) and the rule.

    Attributes
    ----------
    source : str
        The file (or the name the caller gave the input).
    lines : str
        ``"line 7"``, ``"lines 3, 4"`` or ``""`` (the whole file).
    rule : str
        The rule broken.
    """

    def __init__(self, source: str, lines: str, rule: str, detail: str = "") -> None:
        where = f"{source}, {lines}" if lines else f"{source}"
        msg = f"{where}: violates rule: {rule}" + (f" ({detail})" if detail else "")
        super().__init__(msg)
        self.source, self.lines, self.rule = source, lines, rule


def _lines(index: Iterable, limit: int = 6) -> str:
    idx = sorted({int(i) for i in index})
    shown = ", ".join(map(str, idx[:limit])) + (f" and {len(idx) - limit} more" if len(idx) > limit else "")
    return f"line{'s' if len(idx) != 1 else ''} {shown}" if idx else ""


# ----------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------
def _read(path: str | Path, columns: Sequence[str]) -> pd.DataFrame:
    path = Path(path)
    src = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ReconstructionError(src, "", "file must be readable", exc.strerror or type(exc).__name__) from None
    except UnicodeDecodeError as exc:
        raise ReconstructionError(src, "", "file must be UTF-8 text", f"byte {exc.start}") from None
    header, rows, starts = None, [], []
    try:
        for start, row in csv_records(text):
            if not row or all(not c.strip() for c in row):
                continue
            if header is None:
                header = [c.strip().lower() for c in row]
                continue
            rows.append([c.strip() for c in row])
            starts.append(start)
    except CSVFormatError as exc:
        raise ReconstructionError(src, f"line {exc.line}", "file must be well-formed CSV", exc.detail) from None
    if header is None:
        raise ReconstructionError(src, "", "file must not be empty")
    if header[: len(columns)] != list(columns) or len(header) != len(columns):
        raise ReconstructionError(src, "line 1", f"header must be exactly {','.join(columns)}",
                                  f"found {','.join(header)}")
    if not rows:
        raise ReconstructionError(src, "", "file must have at least one data row")
    for row, start in zip(rows, starts):
        if len(row) != len(columns):
            raise ReconstructionError(src, f"line {start}", f"every row must have {len(columns)} fields",
                                      f"found {len(row)}")
    df = pd.DataFrame(rows, columns=list(columns), index=pd.Index(starts, name="line"))
    for c in columns:
        num = pd.to_numeric(df[c], errors="coerce")
        bad = num.isna() | ~np.isfinite(num.to_numpy(float))
        if bad.any():
            raise ReconstructionError(src, _lines(df.index[bad]), f"{c} must be a finite number",
                                      f"found {df.loc[bad, c].iloc[0]!r}")
        df[c] = num.astype(float)
    df.attrs["source"] = src
    return df


def read_curve(path: str | Path) -> pd.DataFrame:
    """Read a digitised curve: a CSV file with header ``time,survival``.

    Parameters
    ----------
    path : str or Path
        The file a digitiser exported: one click per row, time in months, survival as a
        proportion; in any order.

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``survival`` (float), indexed by the rows' line numbers in the file
        (header: line 1), with ``attrs["source"]`` the path, for error messages.

    Raises
    ------
    ReconstructionError
        Unreadable file, wrong header, a row with the wrong number of fields, a value that is
        not a finite number.
    """
    return _read(path, CURVE_COLUMNS)


def read_at_risk(path: str | Path) -> pd.DataFrame:
    """Read the numbers at risk: a CSV file with header ``time,n_at_risk``.

    Parameters
    ----------
    path : str or Path
        One row per time printed under the figure (months) and the number at risk then.

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``n_at_risk`` (float), indexed by line number, ``attrs["source"]``
        the path. Check it with :func:`check_at_risk`.

    Raises
    ------
    ReconstructionError
        As :func:`read_curve`.
    """
    return _read(path, AT_RISK_COLUMNS)


# ----------------------------------------------------------------------------
# Cleaning
# ----------------------------------------------------------------------------
def _source(df: pd.DataFrame, default: str) -> str:
    return str(df.attrs.get("source", default))


def _frame(data: pd.DataFrame | Sequence, columns: Sequence[str], source: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise ReconstructionError(source, "", f"columns must include {', '.join(columns)}",
                                      f"missing {', '.join(missing)}")
        df = data[list(columns)].copy()
        df.attrs.update(data.attrs)
        if not df.index.is_unique:
            df.index = pd.RangeIndex(2, len(df) + 2, name="line")
        return df
    arr = np.asarray(data, float)
    if arr.ndim != 2 or arr.shape[1] != len(columns):
        raise ReconstructionError(source, "", f"input must have {len(columns)} columns ({', '.join(columns)})")
    return pd.DataFrame(arr, columns=list(columns), index=pd.RangeIndex(2, len(arr) + 2, name="line"))


def _pava_decreasing(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-increasing fit (pool-adjacent-violators)."""
    vals: list[float] = []
    wts: list[float] = []
    cnt: list[int] = []
    for yi, wi in zip(y, w):
        vals.append(yi)
        wts.append(wi)
        cnt.append(1)
        while len(vals) > 1 and vals[-2] < vals[-1]:
            wsum = wts[-2] + wts[-1]
            v = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / wsum
            c = cnt[-2] + cnt[-1]
            del vals[-1], wts[-1], cnt[-1]
            vals[-1], wts[-1], cnt[-1] = v, wsum, c
    return np.repeat(vals, cnt)


def clean_curve(curve: pd.DataFrame | Sequence, *, monotone: str = "isotonic",
                survival_tolerance: float = SURVIVAL_TOLERANCE, time_tolerance: float = TIME_TOLERANCE,
                source: str | None = None) -> pd.DataFrame:
    """Clean the clicks of one digitised Kaplan-Meier curve.

    Parameters
    ----------
    curve : pandas.DataFrame or array-like
        Columns ``time`` (months) and ``survival`` (proportion), one row per click, in any order
        (:func:`read_curve`; an ``(n, 2)`` array is taken as those two columns).
    monotone : {"isotonic", "cummin"}, default "isotonic"
        How a non-increasing curve is enforced: ``"isotonic"`` (default) fits the closest
        non-increasing curve in least squares (pool-adjacent-violators), which averages click
        noise out; ``"cummin"`` lowers each click to the lowest survival clicked before it
        (IPDfromKM's choice), which follows the noise downwards.
    survival_tolerance : float, default 0.02
        Survival up to this much above 1 or below 0 is clipped into [0, 1]; farther out is an
        error (an axis mis-calibrated, survival in percent).
    time_tolerance : float, default 0.01
        Clicks before time 0 by at most this fraction of the last click's time are moved to 0;
        earlier ones are an error.
    source : str, optional
        Name used in error messages (default ``curve.attrs["source"]`` or ``"curve"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``survival``: sorted by time, without duplicates, within [0, 1],
        non-increasing, starting with the row ``(0, 1)`` (clicks at time 0 are replaced by it).

    Raises
    ------
    ReconstructionError
        Fewer than two clicks; survival above 1 or below 0 beyond the tolerance; time before 0
        beyond the tolerance; an unknown ``monotone``.

    References
    ----------
    .. [1] Guyot P, et al. BMC Med Res Methodol 2012;12:9 (the data-preparation step).
    .. [2] Liu N, Zhou Y, Lee JJ. BMC Med Res Methodol 2021;21:111 (``preprocess`` in IPDfromKM).
    """
    src = source or (_source(curve, "curve") if isinstance(curve, pd.DataFrame) else "curve")
    if monotone not in ("isotonic", "cummin"):
        raise ValueError(f"monotone must be 'isotonic' or 'cummin', got {monotone!r}")
    df = _frame(curve, CURVE_COLUMNS, src)
    t = df["time"].to_numpy(float)
    s = df["survival"].to_numpy(float)
    bad = ~np.isfinite(t) | ~np.isfinite(s)
    if bad.any():
        raise ReconstructionError(src, _lines(df.index[bad]), "time and survival must be finite numbers")
    if len(df) < 2:
        raise ReconstructionError(src, "", "a curve needs at least 2 clicks", f"found {len(df)}")
    high = s > 1 + survival_tolerance
    if high.any():
        hint = "; survival must be a proportion, not a percentage" if s.max() > 2 else ""
        raise ReconstructionError(src, _lines(df.index[high]), "survival must not exceed 1",
                                  f"found {s[high][0]:g}{hint}")
    low = s < -survival_tolerance
    if low.any():
        raise ReconstructionError(src, _lines(df.index[low]), "survival must not be below 0",
                                  f"found {s[low][0]:g}")
    tmax = max(float(t.max()), 0.0)
    neg = t < -time_tolerance * tmax
    if neg.any() or tmax <= 0:
        rows = df.index[neg] if neg.any() else df.index
        raise ReconstructionError(src, _lines(rows), "time must not be before 0",
                                  f"found {t[neg][0]:g}" if neg.any() else "no click after time 0")
    t = np.clip(t, 0.0, None)
    s = np.clip(s, 0.0, 1.0)
    out = pd.DataFrame({"time": t, "survival": s}).drop_duplicates()
    out = out[out["time"] > 0].sort_values(["time", "survival"], ascending=[True, False], kind="mergesort")
    t = np.r_[0.0, out["time"].to_numpy()]
    s = np.r_[1.0, out["survival"].to_numpy()]
    if monotone == "cummin":
        s = np.minimum.accumulate(s)
    else:
        w = np.ones_like(s)
        w[0] = 1e6  # the curve starts at 1
        s = np.clip(_pava_decreasing(s, w), 0.0, 1.0)
        s[0] = 1.0
    res = pd.DataFrame({"time": t, "survival": s}).drop_duplicates().reset_index(drop=True)
    res.attrs["source"] = src
    return res


def check_at_risk(at_risk: pd.DataFrame | Sequence, *, source: str | None = None) -> pd.DataFrame:
    """Check a table of numbers at risk.

    Parameters
    ----------
    at_risk : pandas.DataFrame or array-like
        Columns ``time`` (months) and ``n_at_risk`` (:func:`read_at_risk`).
    source : str, optional
        Name used in error messages (default ``at_risk.attrs["source"]`` or ``"at-risk table"``).

    Returns
    -------
    pandas.DataFrame
        The table sorted as given, ``n_at_risk`` as int, index the input's line numbers.

    Raises
    ------
    ReconstructionError
        The table does not start at time 0; a time is negative or repeated or out of order; a
        number at risk is negative, not a whole number, or larger than the one before it; the
        number at time 0 is 0.
    """
    src = source or (_source(at_risk, "at-risk table") if isinstance(at_risk, pd.DataFrame) else "at-risk table")
    df = _frame(at_risk, AT_RISK_COLUMNS, src)
    t = df["time"].to_numpy(float)
    n = df["n_at_risk"].to_numpy(float)
    if len(df) == 0:
        raise ReconstructionError(src, "", "the at-risk table must have a row at time 0")
    neg = t < 0
    if neg.any():
        raise ReconstructionError(src, _lines(df.index[neg]), "time must not be before 0", f"found {t[neg][0]:g}")
    if t[0] != 0:
        raise ReconstructionError(src, _lines(df.index[:1]), "the at-risk table must start at time 0",
                                  f"first time {t[0]:g}")
    order = np.diff(t) <= 0
    if order.any():
        raise ReconstructionError(src, _lines(df.index[1:][order]),
                                  "at-risk times must be strictly increasing (sorted, no repeats)")
    frac = (n != np.round(n)) | (n < 0)
    if frac.any():
        raise ReconstructionError(src, _lines(df.index[frac]), "numbers at risk must be whole numbers >= 0",
                                  f"found {n[frac][0]:g}")
    up = np.diff(n) > 0
    if up.any():
        i = int(np.flatnonzero(up)[0])
        raise ReconstructionError(src, _lines(df.index[i:i + 2]), "numbers at risk must not increase",
                                  f"{n[i]:g} then {n[i + 1]:g}")
    if n[0] <= 0:
        raise ReconstructionError(src, _lines(df.index[:1]), "the number at risk at time 0 must be positive")
    out = df.copy()
    out["n_at_risk"] = n.astype(int)
    out.attrs["source"] = src
    return out


# ----------------------------------------------------------------------------
# The algorithm
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ArmReconstruction:
    """The reconstruction of one arm.

    Attributes
    ----------
    ipd : pandas.DataFrame
        One row per patient: ``time`` (months), ``event`` (1 event, 0 censored), sorted by time.
    intervals : pandas.DataFrame
        One row per interval between at-risk times: ``start``, ``end`` (months), ``n_start``,
        ``events``, ``censored``, ``n_end`` (reconstructed at risk at ``end``),
        ``n_end_published`` (``NaN`` for the last interval), ``iterations``, ``converged``.
    curve : pandas.DataFrame
        The cleaned clicks the reconstruction used (:func:`clean_curve`).
    total_events : int or None
        The reported total number of events used, if any.
    """

    ipd: pd.DataFrame
    intervals: pd.DataFrame
    curve: pd.DataFrame
    total_events: int | None = None

    @property
    def n(self) -> int:
        """Number of reconstructed patients."""
        return len(self.ipd)

    @property
    def events(self) -> int:
        """Number of reconstructed events."""
        return int(self.ipd["event"].sum())


def _interval_pass(T: np.ndarray, S: np.ndarray, drop: np.ndarray, start: float, end: float, n0: int,
                   km0: float, nc: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Events at the clicks ``T`` of one interval given ``nc`` censorings spread evenly on (start, end).

    Returns the events per click, the censoring times and the reconstructed KM at the end.
    """
    ct = start + np.arange(1, nc + 1) * (end - start) / (nc + 1)
    censored_before = np.searchsorted(ct, T, side="left")  # censored strictly before each click
    d = np.zeros(len(T), dtype=np.int64)
    km, dead = km0, 0
    for k in np.flatnonzero(drop):  # only clicks where the digitised curve steps down
        at_risk = n0 - dead - censored_before[k]
        if at_risk <= 0 or km <= 0:
            break
        dk = int(np.floor(at_risk * (1.0 - S[k] / km) + 0.5))
        if dk <= 0:
            continue
        dk = min(dk, at_risk)
        d[k] = dk
        dead += dk
        km *= 1.0 - dk / at_risk
    return d, ct, km


def _solve_interval(T, S, drop, start, end, n0, km0, nc0, target, kind, max_iter):
    """Adjust the number censored until ``target`` is met; returns (nc, d, ct, km, iterations, converged).

    The number censored never exceeds the patients left after the events (nobody is censored twice).
    """
    nc, d, ct, km, it, ok = _solve_target(T, S, drop, start, end, n0, km0, nc0, target, kind, max_iter)
    while nc > n0 - int(d.sum()):
        nc = max(n0 - int(d.sum()), 0)
        d, ct, km = _interval_pass(T, S, drop, start, end, n0, km0, nc)
        it += 1
    return nc, d, ct, km, it, ok


def _solve_target(T, S, drop, start, end, n0, km0, nc0, target, kind, max_iter):
    seen: dict[int, tuple[int, tuple]] = {}
    nc = int(min(max(nc0, 0), n0))
    it = 0
    while it < max_iter:
        it += 1
        d, ct, km = _interval_pass(T, S, drop, start, end, n0, km0, nc)
        if kind == "n_end":
            gap = (n0 - int(d.sum()) - nc) - target  # reconstructed minus published at risk
        elif kind == "events":
            gap = int(d.sum()) - target  # too many events -> more censoring
        else:
            return nc, d, ct, km, it, True
        seen[nc] = (abs(gap), (d, ct, km))
        if gap == 0:
            return nc, d, ct, km, it, True
        new = int(min(max(nc + gap, 0), max(n0 - int(d.sum()), 0)))
        if new == nc or new in seen:
            break
        nc = new
    best = min(seen, key=lambda c: (seen[c][0], c))
    d, ct, km = seen[best][1]
    return best, d, ct, km, it, False


def reconstruct_arm(curve: pd.DataFrame | Sequence, at_risk: pd.DataFrame | Sequence | None = None, *,
                    n: int | None = None, total_events: int | None = None, monotone: str = "isotonic",
                    max_iter: int = 100, source: str | None = None) -> ArmReconstruction:
    """Reconstruct one arm's individual patient data from its digitised curve (Guyot's algorithm).

    Parameters
    ----------
    curve : pandas.DataFrame or array-like
        The clicks on the arm's Kaplan-Meier curve, columns ``time`` (months) and ``survival``
        (proportion) (:func:`read_curve`); cleaned with :func:`clean_curve`.
    at_risk : pandas.DataFrame or array-like, optional
        The numbers at risk, columns ``time`` and ``n_at_risk``, first row at time 0
        (:func:`read_at_risk`). ``None``: only the number of patients ``n`` is known (Guyot's
        "no numbers at risk" scenario).
    n : int, optional
        Number of patients at time 0; required when ``at_risk`` is ``None``, otherwise it must
        equal the first number at risk if given.
    total_events : int, optional
        The reported total number of events. It fixes the censoring of the last interval (with
        no at-risk table, of the whole follow-up); without it the last interval is censored at
        the average rate of the earlier ones (none when there is only one interval).
    monotone : {"isotonic", "cummin"}, default "isotonic"
        Passed to :func:`clean_curve`.
    max_iter : int, default 100
        Maximum adjustments of an interval's censoring. When the published number at risk
        cannot be met exactly (rounding can make the target oscillate), the closest is kept and
        the interval is marked ``converged = False``.
    source : str, optional
        Name of the curve in error messages (default: its file).

    Returns
    -------
    ArmReconstruction
        The patients (``ipd``), the per-interval bookkeeping and the cleaned curve.

    Raises
    ------
    ReconstructionError
        Bad clicks (:func:`clean_curve`), a bad at-risk table (:func:`check_at_risk`), fewer
        than 2 clicks between two at-risk times (or after the last one), an at-risk table whose
        first number disagrees with ``n``, a total number of events outside [0, n].

    Notes
    -----
    The number at risk carried from one interval to the next is the reconstructed one (Guyot's
    published code restarts each interval at the published number): the patients then add up
    to ``n`` even when an interval did not converge exactly. Censorings are placed on the open
    interval between two at-risk times; a patient censored at the same time as an event is at
    risk for it (the Kaplan-Meier convention). Events fall at the times of the clicks where the
    cleaned curve steps down. The number censored in an interval never exceeds the patients left
    after its events; when the target (the next number at risk, or the total events) cannot be
    met under that bound, as when heavy early censoring is spread evenly over one long
    interval, the interval is marked ``converged = False``.

    There is no R equivalent in the survival package; the R packages are ``IPDfromKM::getIPD``
    (Liu et al. 2021) and the code published with Guyot et al. 2012, neither ported here.

    References
    ----------
    .. [1] Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival
       data: reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res
       Methodol 2012;12:9.
    .. [2] Liu N, Zhou Y, Lee JJ. IPDfromKM: reconstruct individual patient data from published
       Kaplan-Meier survival curves. BMC Med Res Methodol 2021;21:111.
    """
    cv = clean_curve(curve, monotone=monotone, source=source)
    csrc = cv.attrs.get("source", "curve")
    if at_risk is None:
        if n is None:
            raise ValueError("give the number at risk at time 0 (n) when there is no at-risk table")
        if int(n) != n or n <= 0:
            raise ReconstructionError(csrc, "", "the number of patients must be a positive whole number", f"found {n}")
        ar = pd.DataFrame({"time": [0.0], "n_at_risk": [int(n)]}, index=pd.Index([2], name="line"))
        ar.attrs["source"] = "n"
    else:
        ar = check_at_risk(at_risk)
        if n is not None and int(n) != int(ar["n_at_risk"].iloc[0]):
            raise ReconstructionError(_source(ar, "at-risk table"), _lines(ar.index[:1]),
                                      "the number at risk at time 0 must equal n",
                                      f"{int(ar['n_at_risk'].iloc[0])} vs {n}")
    asrc = _source(ar, "at-risk table")
    T = cv["time"].to_numpy(float)
    S = cv["survival"].to_numpy(float)
    tr = ar["time"].to_numpy(float)
    nr = ar["n_at_risk"].to_numpy(int)
    lines = list(ar.index)
    # Trailing rows with nobody at risk may lie beyond the curve's end: they only say the arm is empty.
    keep = len(tr)
    while keep > 1 and nr[keep - 1] == 0 and tr[keep - 1] >= T[-1]:
        keep -= 1
    ends_empty = keep < len(tr)
    tr, nr, lines = tr[:keep], nr[:keep], lines[:keep]
    N = int(nr[0])
    if total_events is not None and not (0 <= total_events <= N and int(total_events) == total_events):
        raise ReconstructionError(asrc, "", "the total number of events must be a whole number between 0 and "
                                  "the number at risk at time 0", f"found {total_events} for {N} patients")
    lower = np.searchsorted(T, tr, side="left")
    upper = np.r_[lower[1:], len(T)]
    for i in range(len(tr)):
        count = int(upper[i] - lower[i])
        if nr[i] == 0:
            continue
        if i + 1 < len(tr) and count < 2:
            raise ReconstructionError(
                asrc, _lines(lines[i:i + 2]), "at least 2 clicks are needed between two at-risk times",
                f"{count} click(s) of {csrc} from {tr[i]:g} to {tr[i + 1]:g}")
        if i + 1 == len(tr) and count < 1:
            raise ReconstructionError(
                asrc, _lines(lines[i:]), "the curve must extend beyond the last at-risk time with patients at risk",
                f"{csrc} ends at {T[-1]:g}, {nr[i]} at risk at {tr[i]:g}")
    drop = np.r_[False, np.diff(S) < 0]
    nint = len(tr)
    d_all = np.zeros(len(T), dtype=np.int64)
    censor_times: list[np.ndarray] = []
    rows = []
    n0, km = N, 1.0
    for i in range(nint):
        lo, up = lower[i], upper[i]
        Ti, Si, dropi = T[lo:up], S[lo:up], drop[lo:up].copy()
        last = i == nint - 1
        start = tr[i]
        end = tr[i + 1] if not last else float(T[-1])
        if n0 <= 0:
            rows.append(dict(start=start, end=end, n_start=0, events=0, censored=0, n_end=0,
                             n_end_published=np.nan if last else nr[i + 1], iterations=0, converged=True))
            continue
        if not last:
            s_lo = S[lo] if S[lo] > 0 else np.nan
            guess = n0 * S[upper[i]] / s_lo - nr[i + 1] if np.isfinite(s_lo) else 0.0
            nc, d, ct, km_end, it, ok = _solve_interval(Ti, Si, dropi, start, end, n0, km,
                                                         int(np.round(np.nan_to_num(guess))), int(nr[i + 1]),
                                                         "n_end", max_iter)
        elif ends_empty:  # published: nobody left after the curve's end; the rest are censored before it
            nc, d, ct, km_end, it, ok = _solve_interval(Ti, Si, dropi, start, end, n0, km, 0, None, "fixed", 1)
        elif total_events is not None:
            before = int(d_all.sum())
            nc, d, ct, km_end, it, ok = _solve_interval(Ti, Si, dropi, start, end, n0, km, 0,
                                                         int(total_events) - before, "events", max_iter)
        else:
            if nint > 1 and tr[-1] > tr[0]:
                rate = sum(r["censored"] for r in rows) / (tr[-1] - tr[0])
                nc0 = int(min(np.round(rate * (end - start)), n0))
            else:
                nc0 = 0
            nc, d, ct, km_end, it, ok = _solve_interval(Ti, Si, dropi, start, end, n0, km, nc0, None, "fixed", 1)
        d_all[lo:up] = d
        censor_times.append(ct)
        n_end = n0 - int(d.sum()) - nc
        rows.append(dict(start=start, end=end, n_start=n0, events=int(d.sum()), censored=nc, n_end=n_end,
                         n_end_published=np.nan if last else float(nr[i + 1]), iterations=it, converged=ok))
        n0, km = n_end, km_end
    # Patients still at risk at the curve's end are censored there.
    ev_t = np.repeat(T, d_all)
    ce_t = np.r_[np.concatenate(censor_times) if censor_times else np.empty(0), np.full(max(n0, 0), T[-1])]
    ipd = pd.DataFrame({"time": np.r_[ev_t, ce_t], "event": np.r_[np.ones(len(ev_t), int), np.zeros(len(ce_t), int)]})
    ipd = ipd.sort_values(["time", "event"], ascending=[True, False], kind="mergesort").reset_index(drop=True)
    return ArmReconstruction(ipd=ipd, intervals=pd.DataFrame(rows), curve=cv,
                             total_events=None if total_events is None else int(total_events))


@dataclass(frozen=True)
class Reconstruction:
    """Reconstructed patients of several arms.

    Attributes
    ----------
    arms : dict of str to ArmReconstruction
        Per arm, in the order given.
    """

    arms: dict[str, ArmReconstruction] = field(default_factory=dict)

    @property
    def patients(self) -> pd.DataFrame:
        """All patients: ``arm``, ``time``, ``event``."""
        frames = [a.ipd.assign(arm=name)[["arm", "time", "event"]] for name, a in self.arms.items()]
        return pd.concat(frames, ignore_index=True)

    @property
    def summary(self) -> pd.DataFrame:
        """Per arm: ``arm``, ``n``, ``events``, ``intervals``, ``converged`` (all intervals met the target)."""
        return pd.DataFrame([{"arm": k, "n": a.n, "events": a.events, "intervals": len(a.intervals),
                              "converged": bool(a.intervals["converged"].all())} for k, a in self.arms.items()])


def reconstruct(curves: Mapping[str, pd.DataFrame], at_risk: Mapping[str, pd.DataFrame | None] | None = None, *,
                n: Mapping[str, int] | None = None, events: Mapping[str, int] | None = None,
                monotone: str = "isotonic", max_iter: int = 100) -> Reconstruction:
    """Reconstruct every arm of a figure (:func:`reconstruct_arm` per arm).

    Parameters
    ----------
    curves : mapping of str to DataFrame
        Arm name -> digitised clicks (``time``, ``survival``).
    at_risk : mapping of str to DataFrame, optional
        Arm name -> numbers at risk (``time``, ``n_at_risk``); an arm missing (or ``None``)
        needs its ``n``.
    n : mapping of str to int, optional
        Arm name -> number of patients (when an arm has no at-risk table).
    events : mapping of str to int, optional
        Arm name -> reported total number of events.
    monotone, max_iter
        Passed to :func:`reconstruct_arm`.

    Returns
    -------
    Reconstruction

    Raises
    ------
    ReconstructionError
        As :func:`reconstruct_arm`; also an at-risk table, ``n`` or ``events`` for an arm
        without a curve.

    References
    ----------
    .. [1] Guyot P, et al. BMC Med Res Methodol 2012;12:9.
    """
    at_risk = dict(at_risk or {})
    n = dict(n or {})
    events = dict(events or {})
    for what, m in (("at-risk table", at_risk), ("n", n), ("events", events)):
        extra = sorted(set(m) - set(curves))
        if extra:
            raise ReconstructionError(what, "", "every arm must have a curve", f"no curve for {', '.join(extra)}")
    out = {}
    for arm, cv in curves.items():
        out[arm] = reconstruct_arm(cv, at_risk.get(arm), n=n.get(arm), total_events=events.get(arm),
                                   monotone=monotone, max_iter=max_iter,
                                   source=_source(cv, f"curve of {arm}") if isinstance(cv, pd.DataFrame) else f"curve of {arm}")
    return Reconstruction(arms=out)


# ----------------------------------------------------------------------------
# Digitiser-like input from patient data, and accuracy
# ----------------------------------------------------------------------------
def km_step(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier curve at the distinct event times (vectorised).

    Parameters
    ----------
    time, event : array-like
        Follow-up times and 0/1 events.

    Returns
    -------
    tuple of ndarray
        ``(t, s, n_risk)``: the distinct event times, survival just after each, the number at
        risk just before each. Matches ``survival::survfit`` (no ties correction needed).
    """
    time = np.asarray(time, float)
    event = np.asarray(event, int)
    order = np.argsort(time, kind="mergesort")
    time, event = time[order], event[order]
    ut, first = np.unique(time, return_index=True)
    deaths = np.add.reduceat(event, first) if len(time) else np.empty(0)
    at_risk = len(time) - first
    keep = deaths > 0
    s = np.cumprod(1.0 - deaths[keep] / at_risk[keep])
    return ut[keep], s, at_risk[keep]


def _surv_at(t: np.ndarray, s: np.ndarray, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, float)
    if len(s) == 0:  # no event: the curve stays at 1
        return np.ones_like(x)
    i = np.searchsorted(t, x, side="right") - 1
    return np.where(i >= 0, s[np.clip(i, 0, None)], 1.0)


def simulate_clicks(time: np.ndarray, event: np.ndarray, *, rng: np.random.Generator,
                    time_noise: float = 0.15, survival_noise: float = 0.004, min_drop: float = 0.01,
                    max_gap: float = 3.0, shuffle: bool = True) -> pd.DataFrame:
    """Digitiser-like clicks on the Kaplan-Meier curve of some patient data.

    A person digitising a curve clicks the two corners of each visible step (the top, at the
    survival before the step, and the bottom, after it), a point on long flat stretches, and
    the curve's end; small steps that cannot be told apart are taken together. Noise is added
    to every click and the clicks are shuffled (a digitiser exports them in clicking order).

    Parameters
    ----------
    time, event : array-like
        Follow-up times (months) and 0/1 events of one arm.
    rng : numpy.random.Generator
        Source of the noise and shuffling.
    time_noise : float, default 0.15
        Standard deviation of the noise added to times (months).
    survival_noise : float, default 0.004
        Standard deviation of the noise added to survival.
    min_drop : float, default 0.01
        Steps are clicked when the curve has fallen at least this much since the last clicked
        step (smaller steps are merged into the next clicked one).
    max_gap : float, default 3.0
        A step is also clicked when this many months have passed since the last clicked one, and
        a flat stretch gets a point every ``max_gap`` months.
    shuffle : bool, default True
        Return the clicks in random order.

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``survival``; times below 0 are set to 0 and survival clipped to [0, 1]
        (a digitiser clicks inside the plot).
    """
    t, s, _ = km_step(time, event)
    tmax = float(np.max(time))
    pts_t, pts_s = [0.0], [1.0]
    last_s, last_t = 1.0, 0.0
    prev = 1.0  # survival just before the current step
    for tj, sj in zip(t, s):
        if last_s - sj >= min_drop or tj - last_t >= max_gap:
            pts_t += [tj, tj]
            pts_s += [prev, sj]
            last_s, last_t = sj, tj
        prev = sj
    if prev < last_s:  # merged small steps at the end
        pts_t += [t[-1], t[-1]]
        pts_s += [last_s, prev]
    pts_t.append(tmax)
    pts_s.append(prev)
    # A point on every flat stretch longer than max_gap (a person traces the line between steps).
    flat = np.arange(max_gap / 2, tmax, max_gap)
    corners = np.asarray(pts_t)
    near = np.abs(flat[:, None] - corners[None, :]).min(axis=1) < max_gap / 4 if len(flat) else np.empty(0, bool)
    flat = flat[~near]
    pts_t += list(flat)
    pts_s += list(_surv_at(t, s, flat))
    pt = np.asarray(pts_t) + rng.normal(0.0, time_noise, len(pts_t))
    ps = np.asarray(pts_s) + rng.normal(0.0, survival_noise, len(pts_s))
    out = pd.DataFrame({"time": np.clip(pt, 0.0, None), "survival": np.clip(ps, 0.0, 1.0)})
    if shuffle:
        out = out.iloc[rng.permutation(len(out))].reset_index(drop=True)
    return out


def at_risk_table(time: np.ndarray, times: Sequence[float]) -> pd.DataFrame:
    """Numbers at risk at given times, as printed under a Kaplan-Meier figure.

    Parameters
    ----------
    time : array-like
        Follow-up times (months) of one arm.
    times : sequence of float
        The times (months) to count at, starting at 0.

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``n_at_risk``: patients with follow-up of at least each time.
    """
    time = np.asarray(time, float)
    times = np.asarray(times, float)
    return pd.DataFrame({"time": times, "n_at_risk": (time[None, :] >= times[:, None]).sum(axis=1)})


def _rmst(t: np.ndarray, s: np.ndarray, tau: float) -> float:
    keep = t <= tau
    grid = np.r_[0.0, t[keep], tau]
    vals = np.r_[1.0, s[keep]]
    return float(np.sum(np.diff(grid) * vals))


def _median(t: np.ndarray, s: np.ndarray) -> float:
    below = np.flatnonzero(s <= 0.5)
    return float(t[below[0]]) if len(below) else np.nan


def round_trip_accuracy(original: pd.DataFrame, reconstructed: pd.DataFrame, *, times: Sequence[float],
                        tau: float, arms: Sequence[str] = ("control", "ucmsc"), min_at_risk: int = 20) -> dict:
    """Compare reconstructed patient data with the data the curves were drawn from.

    Parameters
    ----------
    original, reconstructed : pandas.DataFrame
        Columns ``arm``, ``time``, ``event``.
    times : sequence of float
        Times (months) at which survival is compared (the at-risk times).
    tau : float
        RMST truncation time (months).
    arms : sequence of str, default ("control", "ucmsc")
        The two arms; the hazard ratio is ``arms[0]`` relative to ``arms[1]``.
    min_at_risk : int, default 20
        Survival is compared at the ``times`` where at least this many patients of the arm are
        still at risk in ``original``. Later, one patient's step is larger than the accuracy
        sought, and a click's time noise moves it across the time compared.

    Returns
    -------
    dict
        ``log_hr_diff`` (reconstructed minus original log Cox HR, Efron ties),
        ``hr_original``, ``hr_reconstructed``, and per arm ``rmst_rel_diff.<arm>`` (relative
        difference), ``max_abs_ds.<arm>`` (largest |S_rec - S_orig| at ``times``),
        ``median_rel_diff.<arm>`` (``nan`` when either median is undefined), ``events.<arm>``
        and ``events_original.<arm>``.

    Notes
    -----
    The median is the first time the curve is at or below 0.5; where a curve runs flat close
    to 0.5, click noise of a few thousandths decides where it crosses, and the median moves by
    the length of that flat stretch even though the curves agree.
    """
    from .survival import cox_hr

    out: dict = {}
    hrs = []
    for df in (original, reconstructed):
        f = df[["arm", "time", "event"]].copy()
        f["event"] = f["event"].astype(int)
        direction = "control_vs_ucmsc" if tuple(arms) == ("control", "ucmsc") else "ucmsc_vs_control"
        hrs.append(cox_hr(f, direction=direction).hr)
    out["hr_original"], out["hr_reconstructed"] = hrs
    out["log_hr_diff"] = float(np.log(hrs[1]) - np.log(hrs[0]))
    x = np.asarray(times, float)
    for arm in arms:
        o = original[original["arm"] == arm]
        r = reconstructed[reconstructed["arm"] == arm]
        to, so, _ = km_step(o["time"], o["event"])
        tr_, sr, _ = km_step(r["time"], r["event"])
        ro, rr = _rmst(to, so, tau), _rmst(tr_, sr, tau)
        out[f"rmst_rel_diff.{arm}"] = (rr - ro) / ro
        xa = x[(o["time"].to_numpy(float)[None, :] >= x[:, None]).sum(axis=1) >= min_at_risk]
        out[f"max_abs_ds.{arm}"] = float(np.max(np.abs(_surv_at(tr_, sr, xa) - _surv_at(to, so, xa)), initial=0.0))
        mo, mr = _median(to, so), _median(tr_, sr)
        out[f"median_rel_diff.{arm}"] = (mr - mo) / mo if np.isfinite(mo) and np.isfinite(mr) else np.nan
        out[f"events.{arm}"] = int(r["event"].sum())
        out[f"events_original.{arm}"] = int(o["event"].sum())
    return out


#: The three scenarios of Guyot et al. (2012): numbers at risk (and the total events where the
#: last interval needs them), total events only, neither (the number of patients only).
VARIANTS = ("at risk", "total events only", "neither")


def round_trip(original: pd.DataFrame, *, times: Sequence[float], tau: float, rng: np.random.Generator,
               variant: str = "at risk", arms: Sequence[str] = ("control", "ucmsc"),
               time_noise: float = 0.15, survival_noise: float = 0.004,
               min_at_risk: int = 20) -> tuple[dict, Reconstruction]:
    """Digitise patient data's Kaplan-Meier curves, reconstruct them, and measure the accuracy.

    Parameters
    ----------
    original : pandas.DataFrame
        Columns ``arm``, ``time`` (months), ``event`` (0/1).
    times : sequence of float
        At-risk times (months), from 0; survival is also compared there.
    tau : float
        RMST truncation time (months).
    rng : numpy.random.Generator
        For the clicks (:func:`simulate_clicks`).
    variant : {"at risk", "total events only", "neither"}, default "at risk"
        The information used besides the curves: the numbers at risk at ``times`` and the total
        events; the number of patients and the total events; the number of patients only.
    arms : sequence of str, default ("control", "ucmsc")
        The two arms (hazard ratio ``arms[0]`` relative to ``arms[1]``).
    time_noise, survival_noise : float
        Click noise (:func:`simulate_clicks`).
    min_at_risk : int, default 20
        Passed to :func:`round_trip_accuracy`.

    Returns
    -------
    tuple
        The accuracy (:func:`round_trip_accuracy`, plus ``clicks.<arm>``) and the reconstruction.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    curves, risk, n, ev = {}, {}, {}, {}
    for arm in arms:
        d = original[original["arm"] == arm]
        curves[arm] = simulate_clicks(d["time"], d["event"], rng=rng, time_noise=time_noise,
                                      survival_noise=survival_noise)
        risk[arm] = at_risk_table(d["time"], [t for t in times if t < d["time"].max()])
        n[arm] = len(d)
        ev[arm] = int(d["event"].sum())
    if variant == "at risk":
        rec = reconstruct(curves, risk, events=ev)
    elif variant == "total events only":
        rec = reconstruct(curves, n=n, events=ev)
    else:
        rec = reconstruct(curves, n=n)
    acc = round_trip_accuracy(original, rec.patients, times=times, tau=tau, arms=arms, min_at_risk=min_at_risk)
    acc.update({f"clicks.{a}": len(curves[a]) for a in arms})
    return acc, rec
