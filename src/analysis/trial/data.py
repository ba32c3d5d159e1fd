"""The trial data model: schemas, validation and :func:`load_trial`.

A trial is a folder of CSV files, one per table (see ``data/README.md`` for the
data dictionary):

``patients.csv`` (required)
    One row per randomized patient: identity, arm, disposition, baseline and
    outcomes.
``screening.csv``, ``labs.csv``, ``adverse_events.csv`` (optional)
    Screening log, long-format liver-function labs, adverse events.
``dataset.yaml`` (optional)
    Metadata. ``synthetic: true`` marks the calibrated synthetic cohort; any
    other folder is treated as real data and the book shows only aggregates.

Validation happens once, here, at the package boundary; analysis functions
trust the :class:`Trial` they are given. Each rule is a pandera check, and a
failure raises :class:`TrialDataError` naming the file, column, CSV line(s)
and rule. Loading never writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import unicodedata

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml

from ..toolkit.csvfile import CSVFormatError, csv_records
from ..toolkit.schema import (ARMS, BASELINE_CATEGORICAL, BASELINE_CONTINUOUS, DISPOSITIONS,
                              LAB_ANALYTES, SCREENING_OUTCOMES, SEVERITIES, Trial)
from .paths import data_dir

__all__ = [
    "TrialDataError",
    "load_trial",
    "validate_folder",
    "content_digest",
    "data_dictionary",
]



class TrialDataError(ValueError):
    """Invalid trial data; the message names file, column, row(s) and rule.

    Attributes
    ----------
    file, column, lines, rule
        The parts of the message, for callers that need them separately.
    public
        The message without the folder's path and without any value from the data (a
        patient identifier, say): safe to show in the output of a book built on real data.
    """

    def __init__(self, message: str, *, file: Path | str | None = None, column: str | None = None,
                 lines: str = "", rule: str = "") -> None:
        super().__init__(message)
        self.file, self.column, self.lines, self.rule = file, column, lines, rule

    @property
    def public(self) -> str:
        parts = [Path(self.file).name if self.file else "the trial data folder"]
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.lines:
            parts.append(self.lines)
        return (", ".join(parts) + f": violates rule: {self.rule or 'see the validator'}"
                + " (run `python -m analysis validate DIR` for the details)")


# ----------------------------------------------------------------------------
# Table specifications
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Col:
    name: str
    kind: str  # "str", "float", "int01", "date", "cat"
    required: bool = True  # column must be present
    nullable: bool = False
    checks: tuple = ()
    values: tuple = ()
    rule: str = ""


def _ge0(name: str, **kw: Any) -> _Col:
    return _Col(name, "float", checks=(pa.Check.ge(0),), rule=">= 0", **kw)


def _gt0(name: str, **kw: Any) -> _Col:
    return _Col(name, "float", checks=(pa.Check.gt(0),), rule="> 0", **kw)


_PATIENTS: tuple[_Col, ...] = (
    _Col("patient_id", "str", rule="unique, non-empty"),
    _Col("arm", "cat", values=ARMS),
    _Col("disposition", "cat", values=DISPOSITIONS),
    _Col("randomized_on", "date", required=False, nullable=True, rule="ISO date YYYY-MM-DD"),
    _Col("age", "float", required=False, nullable=True, checks=(pa.Check.in_range(0, 120),),
         rule="between 0 and 120"),
    _Col("sex", "cat", required=False, nullable=True, values=("M", "F")),
    *(_ge0(c, required=False, nullable=True) for c in BASELINE_CONTINUOUS),
    _Col("hbeag", "int01", required=False, nullable=True, values=(0, 1)),
    _Col("child_pugh", "cat", required=False, nullable=True, values=("A", "B", "C")),
    _Col("ascites", "int01", required=False, nullable=True, values=(0, 1)),
    _gt0("os_months", nullable=True),
    _Col("death", "int01", nullable=True, values=(0, 1)),
    _gt0("hcc_months", nullable=True),
    _Col("hcc", "int01", nullable=True, values=(0, 1)),
)
_OUTCOMES = ("os_months", "death", "hcc_months", "hcc")

_SCREENING: tuple[_Col, ...] = (
    _Col("screening_id", "str", rule="unique, non-empty"),
    _Col("outcome", "cat", values=SCREENING_OUTCOMES),
    _Col("patient_id", "str", nullable=True, rule="patient of patients.csv when randomized"),
    _Col("screened_on", "date", required=False, nullable=True, rule="ISO date YYYY-MM-DD"),
)

_LABS: tuple[_Col, ...] = (
    _Col("patient_id", "str", rule="patient of patients.csv"),
    _Col("week", "float", checks=(pa.Check.ge(0),), rule=">= 0"),
    _Col("analyte", "cat", values=LAB_ANALYTES),
    _ge0("value"),
)

_AES: tuple[_Col, ...] = (
    _Col("patient_id", "str", rule="patient of patients.csv"),
    _Col("term", "str", rule="non-empty"),
    _ge0("onset_day"),
    _ge0("resolution_day", nullable=True),
    _Col("serious", "int01", values=(0, 1)),
    _Col("severity", "cat", values=SEVERITIES),
    _Col("infusion_number", "float", required=False, nullable=True, checks=(pa.Check.isin([1, 2, 3]),), rule="1, 2 or 3"),
    _ge0("onset_hours_after_infusion", required=False, nullable=True),
    _gt0("duration_hours", required=False, nullable=True),
    _Col("temperature_c", "float", required=False, nullable=True, checks=(pa.Check.in_range(34, 43),), rule="between 34 and 43"),
)

_TABLES: dict[str, tuple[tuple[_Col, ...], bool]] = {
    "patients": (_PATIENTS, True),
    "screening": (_SCREENING, False),
    "labs": (_LABS, False),
    "adverse_events": (_AES, False),
}


# ----------------------------------------------------------------------------
# Error formatting
# ----------------------------------------------------------------------------
def _lines(index: Iterable[Any], limit: int = 8) -> str:
    """``line 3`` / ``lines 3, 7``: frame index labels are the rows' CSV line numbers (header: line 1)."""
    idx = sorted({int(i) for i in index if i is not None and not pd.isna(i)})
    shown = ", ".join(str(i) for i in idx[:limit])
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return f"line{'s' if len(idx) != 1 else ''} {shown}{more}"


def _plain(value: Any) -> str:
    """A value as a reader writes it (``250``, ``'P001'``), never a NumPy repr."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _fail(file: Path, column: str | None, rows: Iterable[Any] | None, rule: str, detail: str = "",
          *, lines: str | None = None) -> TrialDataError:
    parts = [f"{file}"]
    if column:
        parts.append(f"column '{column}'")
    if lines is None and rows is not None:
        lines = _lines(rows)
    if lines:
        parts.append(lines)
    msg = ": ".join([", ".join(parts), f"violates rule: {rule}"])
    if detail:
        msg += f" ({detail})"
    return TrialDataError(msg, file=file, column=column, lines=lines or "", rule=rule)


# ----------------------------------------------------------------------------
# Reading and validating one table
# ----------------------------------------------------------------------------
def _read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV file as text; the frame's index holds each row's line number in the file.

    Python's ``csv`` module rather than ``pandas.read_csv``: a quoted field may span lines and
    blank lines are skipped, so row number + 2 is not the line a reader looks for; and pandas
    silently renames a repeated column (``arm``, ``arm.1``).
    """
    if path.suffix.lower() != ".csv":
        raise _fail(path, None, None, "file must be a CSV file (.csv)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, None, None, "file must be readable", exc.strerror or type(exc).__name__) from None
    if b"\x00" in raw[:4096]:
        raise _fail(path, None, None, "file must be a text CSV file", "binary content found")
    if not raw.strip():
        raise _fail(path, None, None, "file must not be empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, None, None, "file must be UTF-8 text", f"byte {exc.start}") from None
    header: list[str] | None = None
    rows: list[list[str]] = []
    starts: list[int] = []
    try:
        for start, row in csv_records(text):
            if not row or all(not c.strip() for c in row) and len(row) <= 1:
                continue  # a blank line
            if header is None:
                header = [c.strip() for c in row]
                continue
            rows.append(row)
            starts.append(start)
    except CSVFormatError as exc:
        raise _fail(path, None, None, "file must be a well-formed CSV file", lines=f"line {exc.line}",
                    detail=exc.detail) from None
    assert header is not None
    if len(header) == 1:
        for sep in (";", "\t", "|"):
            if sep in header[0]:
                raise _fail(path, None, None, "fields must be separated by commas",
                            f"the header is separated by {sep!r}", lines="line 1")
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name in seen:
            raise _fail(path, name, None, "column names must be unique",
                        f"{name!r} is column {seen[name]} and column {i}", lines="line 1")
        seen[name] = i
    if not rows:
        raise _fail(path, None, None, "file must have at least one data row")
    for row, start in zip(rows, starts):
        if len(row) != len(header):
            raise _fail(path, None, None, "every row must have as many fields as the header",
                        f"{len(row)} fields, header has {len(header)}", lines=f"line {start}")
    df = pd.DataFrame(rows, columns=header, index=pd.Index(starts, name="line"), dtype=object)
    df = df.apply(lambda c: c.str.strip()).replace("", np.nan)
    return df


_ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def _coerce(df: pd.DataFrame, cols: tuple[_Col, ...], path: Path) -> pd.DataFrame:
    out = df.copy()
    for col in cols:
        if col.name not in out.columns:
            continue
        # Text is compared in Unicode normal form C: "é" typed as one character or as "e" plus an
        # accent is the same identifier.
        s = out[col.name].map(lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v)
        if col.kind in ("float", "int01"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            if bad.any():
                raise _fail(path, col.name, out.index[bad], "value must be numeric",
                            f"found {s[bad].iloc[0]!r}")
            inf = ~np.isfinite(num) & num.notna()
            if inf.any():
                raise _fail(path, col.name, out.index[inf], "value must be a finite number",
                            f"found {s[inf].iloc[0]!r}")
            out[col.name] = num.astype(float)
        elif col.kind == "date":
            bad = s.notna() & ~s.astype(str).str.fullmatch(_ISO_DATE)
            d = pd.to_datetime(s.where(~bad), format="%Y-%m-%d", errors="coerce")
            bad |= d.isna() & s.notna()
            if bad.any():
                raise _fail(path, col.name, out.index[bad], col.rule, f"found {s[bad].iloc[0]!r}")
            future = d > pd.Timestamp.now().normalize()
            if future.any():
                raise _fail(path, col.name, out.index[future], "date must not be in the future",
                            f"found {s[future].iloc[0]!r}")
            out[col.name] = d
        else:
            out[col.name] = s
    return out


def _schema(cols: tuple[_Col, ...], present: set[str]) -> pa.DataFrameSchema:
    columns = {}
    for col in cols:
        if col.name not in present:
            continue
        checks = list(col.checks)
        if col.values and col.kind != "float":
            checks.append(pa.Check.isin(list(col.values)))
        if col.kind == "str" and not col.nullable:
            checks.append(pa.Check.str_length(min_value=1))
        columns[col.name] = pa.Column(
            nullable=col.nullable, checks=checks, required=col.required, name=col.name
        )
    return pa.DataFrameSchema(columns, strict=False)


def _rule_text(col: _Col, check: str) -> str:
    if check == "not_nullable":
        return "value required (empty cell not allowed)"
    if check.startswith("isin"):
        return f"value must be one of {', '.join(map(str, col.values))}"
    return col.rule or check


def _validate_table(name: str, path: Path) -> pd.DataFrame:
    cols, _ = _TABLES[name]
    df = _read_csv(path)
    if name == "patients":
        # A survival-only dataset may hold one endpoint (e.g. reconstructed from one published
        # figure): the other endpoint's pair of columns may then be absent; it is read as empty.
        pairs = [_OUTCOMES[:2], _OUTCOMES[2:]]
        absent = [pr for pr in pairs if not any(c in df.columns for c in pr)]
        if len(absent) == 1:
            for c in absent[0]:
                df[c] = np.nan
    required = [c.name for c in cols if c.required]
    missing = [c for c in required if c not in df.columns]
    if missing:
        known = ", ".join(c.name for c in cols)
        raise _fail(path, missing[0], None, "required column is missing",
                    f"missing {', '.join(missing)}; expected columns include {known}")
    df = _coerce(df, cols, path)
    schema = _schema(cols, set(df.columns))
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        first = fc.iloc[0]
        colname = str(first["column"])
        spec = next(c for c in cols if c.name == colname)
        rows = fc.loc[(fc["column"] == first["column"]) & (fc["check"] == first["check"]), "index"]
        raise _fail(path, colname, rows, _rule_text(spec, str(first["check"])),
                    f"found {_plain(first['failure_case'])}") from None
    return df


def _cross_checks(p: pd.DataFrame, tables: dict[str, pd.DataFrame | None], folder: Path) -> None:
    fp = folder / "patients.csv"
    dup = p["patient_id"].duplicated(keep=False)
    if dup.any():
        raise _fail(fp, "patient_id", p.index[dup], "patient_id must be unique",
                    f"{p.loc[dup, 'patient_id'].iloc[0]!r} repeats")
    arms = set(p["arm"])
    if len(arms) < 2:
        raise _fail(fp, "arm", None, "both arms (control and ucmsc) must be present",
                    f"only {', '.join(sorted(arms))} found")
    analyzed = p["disposition"] == "analyzed"
    # An endpoint with no value at all (both columns empty or absent) is absent, not missing;
    # at least one endpoint must be present.
    empty = [pr for pr in (_OUTCOMES[:2], _OUTCOMES[2:]) if p[list(pr)].isna().all().all()]
    if len(empty) == 2:
        raise _fail(fp, _OUTCOMES[0], None, "outcome required for analyzed patients",
                    "no endpoint has any value: give os_months and death, or hcc_months and hcc")
    skip = {c for pr in empty for c in pr}
    for c in _OUTCOMES:
        if c in skip:
            continue
        miss = analyzed & p[c].isna()
        if miss.any():
            raise _fail(fp, c, p.index[miss], "outcome required for analyzed patients")
        extra = ~analyzed & p[c].notna()
        if extra.any():
            raise _fail(fp, c, p.index[extra], "outcome must be empty for patients not analysed "
                        "(withdrew, lost_to_follow_up): their outcome is unknown")
    bad = p["hcc_months"] > p["os_months"] + 1e-9
    if bad.any():
        raise _fail(fp, "hcc_months", p.index[bad], "hcc_months must not exceed os_months")
    ids = set(p["patient_id"])
    for name in ("labs", "adverse_events"):
        t = tables.get(name)
        if t is None:
            continue
        unknown = ~t["patient_id"].isin(ids)
        if unknown.any():
            raise _fail(folder / f"{name}.csv", "patient_id", t.index[unknown],
                        "patient must exist in patients.csv",
                        f"unknown {t.loc[unknown, 'patient_id'].iloc[0]!r}")
    labs = tables.get("labs")
    if labs is not None:
        d = labs.duplicated(["patient_id", "week", "analyte"], keep=False)
        if d.any():
            raise _fail(folder / "labs.csv", "patient_id", labs.index[d],
                        "one value per patient, week and analyte")
    ae = tables.get("adverse_events")
    if ae is not None and "resolution_day" in ae.columns:
        bad = ae["resolution_day"] < ae["onset_day"]
        if bad.any():
            raise _fail(folder / "adverse_events.csv", "resolution_day", ae.index[bad],
                        "resolution_day must not precede onset_day")
    scr = tables.get("screening")
    if scr is not None:
        fs = folder / "screening.csv"
        dup = scr["screening_id"].duplicated(keep=False)
        if dup.any():
            raise _fail(fs, "screening_id", scr.index[dup], "screening_id must be unique")
        rnd = scr["outcome"] == "randomized"
        no_id = rnd & scr["patient_id"].isna()
        if no_id.any():
            raise _fail(fs, "patient_id", scr.index[no_id], "randomized screenings must name their patient")
        unknown = rnd & ~scr["patient_id"].isin(ids)
        if unknown.any():
            raise _fail(fs, "patient_id", scr.index[unknown], "patient must exist in patients.csv")
        if rnd.sum() != len(p):
            raise _fail(fs, "outcome", None, "randomized screenings must equal the rows of patients.csv",
                        f"{int(rnd.sum())} randomized vs {len(p)} patients")


def load_trial(path: str | Path | None = None) -> Trial:
    """Load and validate a trial data folder.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding ``patients.csv`` and optionally ``screening.csv``,
        ``labs.csv``, ``adverse_events.csv`` and ``dataset.yaml``. Default ``None``:
        :func:`analysis.trial.paths.data_dir` (``$TRIAL_DATA`` or the synthetic
        cohort).

    Returns
    -------
    Trial
        The validated tables (absent optional tables as ``None``), the folder, whether the
        data are synthetic, the contents of ``dataset.yaml`` and notes on what is absent.

    Raises
    ------
    TrialDataError
        With the file, column, CSV line(s) and the rule broken.
    """
    folder = Path(path) if path is not None else data_dir()
    if not folder.exists():
        raise _fail(folder, None, None, "trial data must be a folder of CSV files", "not found")
    if not folder.is_dir():
        raise _fail(folder, None, None, "trial data must be a folder of CSV files", "not a folder")
    try:
        listing = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        raise _fail(folder, None, None, "the folder must be readable", exc.strerror or type(exc).__name__) from None
    meta, synthetic = _read_meta(folder / "dataset.yaml") if "dataset.yaml" in listing else ({}, False)
    tables: dict[str, pd.DataFrame | None] = {}
    notes: list[str] = []
    for name, (_, required) in _TABLES.items():
        f = folder / f"{name}.csv"
        if f.name not in listing:
            others = [folder / n for n in listing if n.startswith(f"{name}.")]
            if others:
                raise _fail(others[0], None, None, "file must be a CSV file named " + f.name)
            if required:
                raise _fail(f, None, None, "required file is missing")
            tables[name] = None
            notes.append(f"{name}.csv is absent: the parts of the book that need it are skipped.")
            continue
        tables[name] = _validate_table(name, f)
    patients = tables["patients"]
    assert patients is not None
    _cross_checks(patients, tables, folder)
    for tcol, ecol, what in (("os_months", "death", "overall-survival"), ("hcc_months", "hcc", "HCC")):
        if patients[[tcol, ecol]].isna().all().all():
            notes.append(f"patients.csv has no {tcol} and {ecol} values: the {what} analyses are skipped.")
    absent = [c for c in ("age", "sex", *BASELINE_CONTINUOUS, *BASELINE_CATEGORICAL) if c not in patients.columns]
    if absent:
        notes.append(f"patients.csv has no {', '.join(absent)} column{'s' if len(absent) > 1 else ''}: "
                     f"{'their' if len(absent) > 1 else 'its'} baseline rows and adjustments are skipped.")
    for c in ("hbeag", "ascites"):
        if c in patients.columns:
            patients[c] = patients[c].astype("Int64")
    for c in ("death", "hcc"):
        patients[c] = patients[c].astype("Int64")
    for name, t in tables.items():  # line numbers were for messages; tables are indexed 0..n-1
        if t is not None:
            tables[name] = t.reset_index(drop=True)
    patients = tables["patients"]
    ae = tables["adverse_events"]
    if ae is not None:
        ae["serious"] = ae["serious"].astype(int)
    return Trial(
        patients=patients,
        screening=tables["screening"],
        labs=tables["labs"],
        adverse_events=ae,
        path=folder.resolve(),
        synthetic=synthetic,
        meta=meta,
        notes=tuple(notes),
    )


def _read_meta(path: Path) -> tuple[dict, bool]:
    """``dataset.yaml``: a mapping; ``synthetic`` is the YAML boolean ``true`` or ``false`` if present.

    Only ``true`` (unquoted) marks data synthetic, and so allows patient-level figures: a quoted
    ``"false"`` or ``"no"`` is a string, which Python would take as true, so anything other than
    a boolean is an error rather than a guess.
    """
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(path, None, None, "file must be readable", exc.strerror or type(exc).__name__) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _fail(path, None, None, "file must be well-formed YAML",
                    lines=f"line {mark.line + 1}" if mark is not None else "",
                    detail=getattr(exc, "problem", None) or type(exc).__name__) from None
    if meta is None:
        return {}, False
    if not isinstance(meta, dict):
        raise _fail(path, None, None, "file must hold a mapping of keys to values",
                    f"found a {type(meta).__name__}")
    flag = meta.get("synthetic", False)
    if not isinstance(flag, bool):
        raise _fail(path, "synthetic", None, "synthetic must be the YAML boolean true or false (unquoted)",
                    f"found {flag!r}")
    return meta, flag


def content_digest(trial: Trial) -> str:
    """SHA-256 of a trial's content: the schema's tables, independent of row and column order.

    The identity of a dataset is what it holds, not where it lies or how its files are laid out:
    each table (``patients``, ``screening``, ``labs``, ``adverse_events``, those present) is hashed
    with its columns sorted by name and its rows sorted, every value normalised (numbers as
    ``repr(float)``, dates as ``YYYY-MM-DD``, text in Unicode NFC, missing as empty). The folder's
    name, other files (an output written into the folder) and ``dataset.yaml`` do not count.

    Parameters
    ----------
    trial : Trial
        A validated trial (:func:`load_trial`).

    Returns
    -------
    str
        Hexadecimal digest.
    """
    import hashlib

    def norm(col: pd.Series) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(col):
            out = col.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out = col.astype("float64").map(repr)
        else:
            out = col.map(lambda v: unicodedata.normalize("NFC", str(v)) if isinstance(v, str) else v)
        return out.where(col.notna(), "").astype(str)

    h = hashlib.sha256()
    for name in _TABLES:
        t = getattr(trial, name)
        if t is None:
            continue
        cols = sorted(t.columns)
        text = [norm(t[c]).to_numpy(dtype=object) for c in cols]
        rows = np.sort(np.array(["\x1f".join(r) for r in zip(*text)], dtype=object)) if len(t) else []
        h.update(f"\x1e{name}\x1d{chr(0x1f).join(cols)}\x1d".encode())
        h.update("\x1e".join(rows).encode())
    return h.hexdigest()


def validate_folder(path: str | Path) -> Trial:
    """Validate a folder (alias of :func:`load_trial` for the command line).

    Parameters
    ----------
    path : str or Path
        The data folder (``patients.csv`` and the optional tables).

    Returns
    -------
    Trial
        The validated trial, as :func:`load_trial` returns it.

    Raises
    ------
    TrialDataError
        With the file, column, CSV line(s) and the rule broken.
    """
    return load_trial(path)




_DESCRIPTIONS = {
    "patient_id": "Unique patient identifier",
    "arm": "Randomized arm: control (conventional treatment) or ucmsc (UC-MSC plus conventional treatment)",
    "disposition": "analyzed, withdrew (consent withdrawn) or lost_to_follow_up",
    "randomized_on": "Date of randomization (time zero)",
    "age": "Age at randomization, years",
    "sex": "M or F",
    "tp": "Total protein, g/L",
    "alb": "Albumin, g/L",
    "plt": "Platelets, 10^9/L",
    "cr": "Creatinine, umol/L",
    "alt": "Alanine aminotransferase, U/L",
    "ast": "Aspartate aminotransferase, U/L",
    "tbil": "Total bilirubin, umol/L",
    "pta": "Prothrombin activity, %",
    "che": "Cholinesterase, U/L",
    "inr": "International normalized ratio",
    "meld": "MELD score",
    "hbeag": "HBeAg positive (1) or negative (0)",
    "child_pugh": "Child-Pugh class A, B or C",
    "ascites": "Ascites present (1) or absent (0)",
    "os_months": "Months from randomization to death or last follow-up (empty if not analysed)",
    "death": "1 if died at os_months, 0 if censored",
    "hcc_months": "Months from randomization to HCC diagnosis or censoring (death, last follow-up)",
    "hcc": "1 if HCC diagnosed at hcc_months, 0 if censored",
    "screening_id": "Unique screening identifier",
    "outcome": "randomized, refused or ineligible",
    "week": "Weeks from first infusion / randomization (0 = baseline)",
    "analyte": "alb, pta, che or tbil",
    "value": "Lab value in the unit of patients.csv",
    "term": "Adverse event term (lower case), e.g. fever, infection",
    "onset_day": "Days from randomization to onset",
    "resolution_day": "Days from randomization to resolution (empty if unresolved)",
    "serious": "1 if serious adverse event",
    "severity": "mild, moderate, severe, life_threatening or fatal",
    "infusion_number": "Infusion (1-3) preceding an infusion reaction",
    "onset_hours_after_infusion": "Hours from the infusion to onset",
    "duration_hours": "Duration of the event in hours",
    "screened_on": "Date of screening",
    "temperature_c": "Highest body temperature during a fever, degrees C",
}


def data_dictionary() -> pd.DataFrame:
    """The schema as a table: one row per column of each file.

    Columns ``file``, ``column``, ``required`` (file and column must be
    present), ``empty_allowed``, ``type``, ``rule``, ``description``. Built
    from the same specification :func:`load_trial` enforces.

    Returns
    -------
    pandas.DataFrame
        One row per column of each file: ``file`` (e.g. ``"labs.csv (optional)"``),
        ``column``, ``required`` (bool), ``empty_allowed`` (bool), ``type`` (``text``,
        ``number``, ``0/1``, ``date`` or ``category``), ``rule`` (the values or range
        allowed) and ``description`` (meaning and unit).
    """
    rows = []
    for name, (cols, file_required) in _TABLES.items():
        for c in cols:
            rule = c.rule or (f"one of {', '.join(map(str, c.values))}" if c.values else "")
            if c.kind == "cat" or (c.kind == "int01" and c.values):
                rule = f"one of {', '.join(map(str, c.values))}"
            rows.append(
                {
                    "file": f"{name}.csv" + ("" if file_required else " (optional)"),
                    "column": c.name,
                    "required": c.required,
                    "empty_allowed": c.nullable,
                    "type": {"str": "text", "float": "number", "int01": "0/1", "date": "date", "cat": "category"}[c.kind],
                    "rule": rule,
                    "description": _DESCRIPTIONS.get(c.name, ""),
                }
            )
    return pd.DataFrame(rows)
