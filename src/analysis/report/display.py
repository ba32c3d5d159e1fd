"""One table style for the book: every plain result table a chapter shows goes through :func:`table`.

Headers and row labels are read through the vocabulary of :mod:`analysis.report.labels`; cells are
formatted by the kind of their column (counts as integers, p values with
:func:`~analysis.report.format.format_p`, yes/no, lists joined with commas, estimates at one
precision, missing as an en dash); numeric columns are right-aligned; the table sits in a box that
scrolls sideways when it is wider than the page (``book/_static/custom.css``, classes
``result-table`` and ``result-table-wrap``). The HTML has no random ids, so executed notebooks are
byte-for-byte reproducible.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .format import MISSING_P, format_p
from .labels import column_label, is_p_column, value_label

__all__ = ["MISSING", "Table", "table", "format_cell", "mark_code"]

#: How a missing number is shown (p values: :data:`~analysis.report.format.MISSING_P`).
MISSING = "\u2013"
#: The calibration tables' tolerance text of a published upper bound (``p < 0.001``): the published
#: cell of such a row is printed with ``<``.
UPPER_BOUND_TEXT = "below the published bound"

#: Columns whose values are codes (arms, windows, methods, ...): their cells go through the vocabulary.
_CODE_COLUMNS = frozenset({"arm", "window", "endpoint", "term", "model", "method", "test", "comparison",
                           "direction", "chapter", "category", "stage", "key", "statistic", "scenario"})
#: Columns of words, never right-aligned.
_TEXT_COLUMNS = _CODE_COLUMNS | {"label", "level", "text", "statement", "note", "detail", "description", "rule",
                                 "tolerance", "status", "provenance"}
#: Columns that only repeat another column as a code (a result id beside its label): not shown.
_REDUNDANT = {"id": ("label", "text", "statement")}
_NUMERIC_TEXT = re.compile(r"^\s*[<>=\u2264\u2265\u2248\u2212+\-]?\s*\d")
_BREAKS = re.compile(r"([_/](?=\w)|\w\.(?=[a-z]{2,}))")
_NON_NUMBER = frozenset({"", MISSING, MISSING_P, "not estimable", "NR"})


#: Identifiers in text a reader may need to type or look up (schema columns, file names, result ids,
#: module paths, settings): shown as code, never as prose. snake_case words, dotted ids and module
#: paths (segments of two or more characters), attributes of a CamelCase class, UPPER_CASE settings,
#: file names, and the arm code ``ucmsc``.
_CODE_TOKEN = re.compile(
    r"(?<![\w.&#;])("
    r"[A-Za-z][A-Za-z0-9]*\.[A-Za-z_][A-Za-z0-9_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(\))?"  # dotted
    r"|[a-z][a-z0-9]*(?:_[a-z0-9]+)+"  # snake_case
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"  # UPPER_CASE
    r"|ucmsc"
    r")(?![\w&#;])"
)
_NOT_CODE = frozenset({"e.g", "i.e", "et.al", "vs.", "Fig.", "No."})


def mark_code(text: str) -> str:
    """Wrap the identifiers in (already HTML-escaped) ``text`` in ``<code>``.

    Parameters
    ----------
    text : str
        HTML-escaped text.

    Returns
    -------
    str
        The text with each identifier (see the pattern above) as ``<code>``, with break
        opportunities (``<wbr>``) after its underscores, slashes and dots.
    """
    def wrap(m: re.Match) -> str:
        tok = m.group(1)
        segs = tok.rstrip("()").split(".")
        if tok in _NOT_CODE or (len(segs) == 2 and min(map(len, segs)) < 2):
            return tok
        return "<code>" + _BREAKS.sub(r"\1<wbr>", tok) + "</code>"  # break opportunities inside, not mid-word

    return _CODE_TOKEN.sub(wrap, text)


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return isinstance(v, (float, np.floating)) and math.isnan(v)
    except TypeError:  # pragma: no cover
        return False


def _integral(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) or (isinstance(v, (float, np.floating)) and math.isfinite(v)
                                                and float(v).is_integer())


def _printed(v: Any) -> bool:
    """Whether a published number is as printed (at most 3 decimals), not derived from printed ones."""
    return not _is_missing(v) and math.isfinite(v) and round(float(v), 3) == float(v)


def format_cell(v: Any, *, kind: str = "auto", precision: int = 3, p_digits: int = 3, operator: str = "=") -> str:
    """One cell as a reader sees it.

    Parameters
    ----------
    v : object
        The value.
    kind : {"auto", "count", "p", "number"}, default "auto"
        ``"count"``: an integer; ``"p"``: :func:`~analysis.report.format.format_p`; ``"number"``:
        ``precision`` decimals; ``"auto"``: by the value's type (integers as integers, floats at
        ``precision`` decimals, integral floats without decimals, booleans as yes/no, lists joined
        with commas, strings unchanged).
    precision : int, default 3
        Decimals of estimates.
    p_digits : int, default 3
        Decimals of p values (``<0.001`` below the last).
    operator : {"=", "<", ">"}, default "="
        The relation of a p value printed as a bound.

    Returns
    -------
    str
        The text; missing values are :data:`MISSING` (p values :data:`MISSING_P`).
    """
    if isinstance(v, (list, tuple, np.ndarray)):
        return ", ".join(format_cell(x, precision=precision) for x in v)
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if kind == "p":
        if isinstance(v, str):
            return v
        return format_p(v, p_digits, operator=operator)
    if _is_missing(v):
        return MISSING
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return MISSING
        if kind == "count" or (kind == "auto" and float(v).is_integer()):
            return f"{int(round(v))}" if kind == "count" or abs(v) < 1e15 else f"{v:g}"
        out = f"{v:.{precision}f}"
        return out[1:] if out.startswith("-") and float(out) == 0 else out  # no "-0.000"
    return str(v)


def _column_kind(code: Any, s: pd.Series) -> str:
    """The kind of a column: "bool", "p", "count", "number" or "auto" (mixed object cells)."""
    last = code[-1] if isinstance(code, tuple) else code
    first = code[0] if isinstance(code, tuple) else code
    values = [v for v in s if not _is_missing(v)]
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "bool"
    numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    if is_p_column(last) or is_p_column(first):
        return "p" if numeric else "auto"
    if not numeric:
        return "auto"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "count"
    if values and all(_integral(v) for v in values):
        return "count"  # whole numbers (counts, months of a grid) without decimals
    return "number"


def _header(code: Any) -> str:
    if isinstance(code, tuple):
        return " ".join(str(column_label(c)) for c in code)
    return str(column_label(code)) if code is not None else ""


def _humanize(v: Any) -> Any:
    """A code cell through the vocabulary; an unknown snake_case code as words."""
    if not isinstance(v, str):
        return v
    out = value_label(v)
    if out == v and re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", v):
        out = v.replace("_", " ")
        out = out[:1].upper() + out[1:]
    return out


class Table:
    """A formatted table: HTML for pages and notebooks, plain text otherwise.

    Attributes
    ----------
    frame : pandas.DataFrame
        The cells as text, headers as shown (a MultiIndex for grouped headers).
    numeric : list of bool
        Per column: right-aligned (numbers).
    caption : str or None
        The caption.
    row_header : bool
        Whether the first column labels the rows (shown as row headers).
    """

    def __init__(self, frame: pd.DataFrame, numeric: list[bool], caption: str | None, row_header: bool):
        self.frame = frame
        self.numeric = numeric
        self.caption = caption
        self.row_header = row_header

    def _repr_html_(self) -> str:
        e = html.escape
        cls = ["num" if n else "text" for n in self.numeric]
        # The caption sits above the scrolling box, so it wraps at the page's width; the table keeps it
        # as its <caption> for screen readers (visually hidden).
        out = ['<div class="result-table-block">']
        if self.caption:
            out.append(f'<div class="result-table-caption" aria-hidden="true">{e(self.caption)}</div>')
        out.append('<div class="result-table-wrap" tabindex="0"><table class="result-table">')
        if self.caption:
            out.append(f'<caption class="visually-hidden">{e(self.caption)}</caption>')
        out.append("<thead>")
        cols = self.frame.columns
        if isinstance(cols, pd.MultiIndex):
            for level in range(cols.nlevels):
                cells, j = [], 0
                names = [c[level] for c in cols]
                while j < len(names):
                    k = j
                    while k + 1 < len(names) and names[k + 1] == names[j] and level < cols.nlevels - 1 and \
                            all(cols[k + 1][m] == cols[j][m] for m in range(level)):
                        k += 1
                    span = f' colspan="{k - j + 1}"' if k > j else ""
                    c = cls[j] if k == j else "group"
                    cells.append(f'<th scope="col" class="{c}"{span}>{e(str(names[j]))}</th>')
                    j = k + 1
                out.append("<tr>" + "".join(cells) + "</tr>")
        else:
            out.append("<tr>" + "".join(f'<th scope="col" class="{c}">{e(str(h))}</th>'
                                        for h, c in zip(cols, cls)) + "</tr>")
        out.append("</thead><tbody>")
        for row in self.frame.itertuples(index=False):
            cells = []
            for j, (v, c) in enumerate(zip(row, cls)):
                tag = "th" if j == 0 and self.row_header else "td"
                scope = ' scope="row"' if tag == "th" else ""
                text = e(str(v))
                if c == "text":  # identifiers as code; break opportunities inside them, never mid-word
                    text = mark_code(text)
                else:  # a number with its interval breaks only before the interval
                    text = text.replace(" ", "\u00a0").replace("\u00a0(", " (")
                cells.append(f'<{tag}{scope} class="{c}">{text}</{tag}>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table></div></div>")
        return "".join(out)

    def __repr__(self) -> str:
        text = self.frame.to_string(index=False)
        return f"{self.caption}\n{text}" if self.caption else text


def table(df: pd.DataFrame, *, caption: str | None = None, precision: int = 3, index: bool = False,
          labels: Mapping[Any, str] | None = None, decimals: Mapping[Any, int] | None = None,
          p_digits: int = 3, transpose: bool = False) -> Table:
    """A result frame as the book shows it (the one table style).

    Parameters
    ----------
    df : pandas.DataFrame
        The table, with the statistical functions' column codes.
    caption : str, optional
        Caption above the table.
    precision : int, default 3
        Decimals of estimates (floats that are not counts or p values).
    index : bool, default False
        Show the frame's index as the first column (row labels, read through the vocabulary).
    labels : mapping, optional
        Column code -> header for this table, before the vocabulary (e.g. ``{"label": "Variable"}``).
    decimals : mapping, optional
        Column code -> decimals, overriding ``precision`` for that column.
    p_digits : int, default 3
        Decimals of p values; smaller values are shown as ``<0.001`` (for 3).
    transpose : bool, default False
        Show the formatted table turned: the first column's cells become the headers and the other
        headers the row labels (a few rows of many quantities, such as one row per arm, then fit
        the page).

    Returns
    -------
    Table
        Displayed as HTML in a notebook or page.

    Notes
    -----
    Column kinds: integer columns, and float columns of whole numbers whose code is a count
    (:data:`~analysis.report.labels.COUNT_COLUMNS`), are integers; ``p``, ``p_*`` and ``p (...)``
    columns are p values; booleans yes/no; other floats ``precision`` decimals. In a frame with an
    ``id`` column, rows whose id ends in ``.p`` show their numbers as p values (the published
    one with ``<`` where the row's tolerance is a published upper bound). Where ``index`` is shown and
    every column is a float, a row of whole numbers is shown without decimals (rows are then
    quantities: months beside probabilities). An ``id`` column beside a ``label`` column is not shown.
    Code columns (arm, window, method, ...) and row labels go through
    :func:`~analysis.report.labels.value_label`.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    labels = dict(labels or {})
    decimals = dict(decimals or {})
    d = df.copy()
    p_rows = pd.Series(False, index=range(len(d)))
    bound_rows = pd.Series(False, index=range(len(d)))
    if "id" in d.columns:
        ids = d["id"].astype(str).reset_index(drop=True)
        p_rows = ids.str.contains(r"\.p(?:_[a-z]+)?$", regex=True)
        if "tolerance" in d.columns:
            bound_rows = d["tolerance"].astype(str).reset_index(drop=True).eq(UPPER_BOUND_TEXT)
    for col, others in _REDUNDANT.items():
        if col in d.columns and any(o in d.columns for o in others):
            d = d.drop(columns=col)
    if {"ci_low", "ci_high"} <= set(d.columns) and pd.api.types.is_numeric_dtype(d["ci_low"]) \
            and pd.api.types.is_numeric_dtype(d["ci_high"]):
        # one interval column, as in "HR (95% CI)" tables: "1.04 to 3.61"
        lo, hi = d["ci_low"], d["ci_high"]
        finite = [abs(float(v)) for v in (*lo, *hi) if not _is_missing(v) and math.isfinite(v) and v != 0]
        prec = decimals.get("ci_low", precision)
        if finite and max(finite) < 1:
            prec = max(prec, 1 - int(math.floor(math.log10(max(finite)))))
        ci = [MISSING if _is_missing(a) and _is_missing(b) else
              f"{format_cell(a, kind='number', precision=prec)} to {format_cell(b, kind='number', precision=prec)}"
              for a, b in zip(lo, hi)]
        at = list(d.columns).index("ci_low")
        d = d.drop(columns=["ci_low", "ci_high"])
        d.insert(at, "ci", ci)
    if {"start", "end"} <= set(d.columns) and all(pd.api.types.is_numeric_dtype(d[c]) for c in ("start", "end")):
        at = list(d.columns).index("start")  # a window as one cell: "13 to 75"
        months = [f"{format_cell(a, precision=precision)} to {format_cell(b, precision=precision)}"
                  for a, b in zip(d["start"], d["end"])]
        d = d.drop(columns=["start", "end"])
        d.insert(at, "months", months)
    for base in ("events", "n", "patients"):  # per-arm counts side by side: "29 / 15"
        pair = [f"{base}_control", f"{base}_ucmsc"]
        if set(pair) <= set(d.columns) and all(pd.api.types.is_integer_dtype(d[c]) for c in pair):
            at = list(d.columns).index(pair[0])
            both = [f"{a} / {b}" for a, b in zip(d[pair[0]], d[pair[1]])]
            d = d.drop(columns=pair)
            d.insert(at, f"{base}_arms", both)
    row_header = False
    rows_as_quantities = index and all(pd.api.types.is_float_dtype(t) for t in d.dtypes)
    if index:
        name = d.index.name if d.index.name is not None else ""
        row_labels = [", ".join(str(_humanize(x)) for x in v) if isinstance(v, tuple) else str(_humanize(v))
                      for v in d.index]
        row_header = True
    d = d.reset_index(drop=True)
    cols_out: list[Any] = []
    cells: list[list[str]] = []
    numeric: list[bool] = []
    for code in d.columns:
        s = d[code]
        kind = _column_kind(code, s)
        last = code[-1] if isinstance(code, tuple) else code
        prec = decimals.get(code, decimals.get(last, precision))
        if kind == "number":  # small estimates keep two significant digits (a variance of 0.0013)
            finite = [abs(float(v)) for v in s if not _is_missing(v) and math.isfinite(v) and v != 0]
            if finite and max(finite) < 1:
                prec = max(prec, 1 - int(math.floor(math.log10(max(finite)))))
        published_col = isinstance(last, str) and (last == "published" or last.startswith("published_")
                                                   or last.endswith("_published"))
        if isinstance(code, str) and code in _CODE_COLUMNS:
            s = s.map(_humanize)
        texts = []
        for i, v in enumerate(s):
            if kind == "bool":
                texts.append(format_cell(v) if not _is_missing(v) else MISSING)
            elif kind == "p":
                texts.append(format_cell(v, kind="p", p_digits=p_digits))
            elif kind == "count":
                texts.append(format_cell(v, kind="count"))
            elif kind == "number" and published_col and _printed(v):
                texts.append(f"{v:g}")  # as the paper prints it
            elif kind == "number":
                k = "auto" if rows_as_quantities and all(_integral(x) for x in d.iloc[i]) else "number"
                texts.append(format_cell(v, kind=k, precision=prec))
            else:
                if p_rows.iloc[i] and not isinstance(v, str) and not isinstance(v, (bool, np.bool_)) and \
                        last in ("published", "value", "cohort"):
                    op = "<" if last == "published" and bound_rows.iloc[i] else "="
                    texts.append(format_cell(v, kind="p", p_digits=p_digits, operator=op))
                elif published_col and isinstance(v, (float, np.floating)) and _printed(v):
                    texts.append(f"{v:g}")  # as the paper prints it
                else:
                    texts.append(format_cell(v, precision=prec))
        if isinstance(code, tuple):
            cols_out.append(tuple(str(labels.get(c, column_label(c))) for c in code))
        else:
            cols_out.append(labels.get(code, _header(code)))
        cells.append(texts)
        numeric.append(last not in _TEXT_COLUMNS and kind != "bool" and (kind in ("p", "count", "number") or (
            any(_NUMERIC_TEXT.match(t) for t in texts) and all(t in _NON_NUMBER or _NUMERIC_TEXT.match(t)
                                                               for t in texts))))
    if index:
        cols_out.insert(0, tuple([labels.get(name, _header(name))] + [""] * (len(cols_out[0]) - 1))
                        if cols_out and isinstance(cols_out[0], tuple) else labels.get(name, _header(name)))
        cells.insert(0, row_labels)
        numeric.insert(0, False)
    if transpose:
        if not cols_out or isinstance(cols_out[0], tuple):
            raise ValueError("transpose needs a table with one header row")
        rows = [[str(h)] + [cells[j + 1][i] for i in range(len(cells[0]))] for j, h in enumerate(cols_out[1:])]
        cols_out = [""] + list(cells[0])
        cells = [list(col) for col in zip(*rows)] if rows else [[] for _ in cols_out]
        numeric = [False] + [all(t in _NON_NUMBER or _NUMERIC_TEXT.match(t) for t in col) for col in cells[1:]]
        row_header = True
    columns = pd.MultiIndex.from_tuples(cols_out) if cols_out and isinstance(cols_out[0], tuple) else cols_out
    frame = pd.DataFrame(dict(enumerate(cells)), columns=range(len(cells)))
    frame.columns = columns
    return Table(frame, numeric, caption, row_header)
