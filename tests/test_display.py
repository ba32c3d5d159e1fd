"""The one table style (analysis.report.display) and its label vocabulary (analysis.report.labels)."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.report.book import show
from analysis.report.display import MISSING, Table, format_cell, table
from analysis.report.format import MISSING_P
from analysis.report.labels import column_label, id_label, is_code_like, value_label

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book" / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("value, kwargs, expected", [
    (15.0, {"kind": "count"}, "15"),
    (252, {}, "252"),
    (0.1234, {"precision": 2}, "0.12"),
    (-0.0001, {"precision": 3}, "0.000"),
    (True, {}, "yes"),
    (False, {}, "no"),
    ([12, 24, 48], {}, "12, 24, 48"),
    (float("nan"), {}, MISSING),
    (None, {"kind": "p"}, MISSING_P),
    (0.0004, {"kind": "p"}, "<0.001"),
    (0.11, {"kind": "p"}, "0.110"),
    (0.001, {"kind": "p", "operator": "<"}, "<0.001"),
    ("text", {}, "text"),
])
def test_format_cell(value, kwargs, expected):
    assert format_cell(value, **kwargs) == expected


@pytest.mark.parametrize("code, expected", [
    ("median_reverse_km", True), ("os.landmark13.early", True), ("trt_x_logt", True), ("ci_low", True),
    ("HR (95% CI)", False), ("Control", False), ("0.5", False), ("patients.csv", False), ("n", False),
])
def test_is_code_like(code, expected):
    assert is_code_like(code) is expected


def test_vocabulary():
    assert column_label("median_reverse_km") == "Median, reverse Kaplan-Meier"
    assert column_label("unknown_code") == "unknown_code"  # unknown codes pass through
    assert value_label("ucmsc") == "UC-MSC" and value_label("control") == "Control"
    assert value_label("lachin_foulkes") == "Lachin-Foulkes"
    assert id_label("os.landmark13.early").startswith("Overall survival, landmark 13 months")
    assert id_label("hcc.cox") == "HCC-free survival, whole follow-up"
    assert id_label("something.else") is None


def test_table_formats_by_column_kind():
    df = pd.DataFrame({"arm": ["control", "ucmsc"], "n": [111, 108], "events": [15.0, 252.0],
                       "hr": [1.23456, np.nan], "p": [0.0004, 0.11], "skewed": [True, False],
                       "weeks": [[12, 24, 48], [24]]})
    t = table(df, precision=2)
    assert isinstance(t, Table)
    assert list(t.frame.columns) == ["Arm", "n", "Events", "HR", "p", "Skewed", "Weeks"]
    assert t.frame.iloc[0].tolist() == ["Control", "111", "15", "1.23", "<0.001", "yes", "12, 24, 48"]
    assert t.frame.iloc[1].tolist() == ["UC-MSC", "108", "252", MISSING, "0.110", "no", "24"]
    assert t.numeric == [False, True, True, True, True, False, True]
    html = t._repr_html_()
    assert html.startswith('<div class="result-table-block"><div class="result-table-wrap" tabindex="0">'
                           '<table class="result-table">')
    assert '<td class="num">1.23</td>' in html and '<td class="text">Control</td>' in html
    assert html == table(df, precision=2)._repr_html_()  # deterministic: no random ids


def test_table_index_multiindex_and_caption():
    cols = pd.MultiIndex.from_tuples([("analytic", "logrank"), ("simulation", "rmst")])
    df = pd.DataFrame([[0.4, 0.25], [0.55, 0.33]], columns=cols, index=pd.Index([40, 60], name="n_per_arm"))
    t = show(df, index=True, caption="Power <by> n")
    html = t._repr_html_()
    assert '<div class="result-table-caption" aria-hidden="true">Power &lt;by&gt; n</div>' in html
    assert '<caption class="visually-hidden">Power &lt;by&gt; n</caption>' in html
    assert "Patients per arm" in html and "Log-rank" in html and "Analytic" in html
    assert '<th scope="row" class="text">40</th>' in html


def test_calibration_rows_p_and_bound():
    df = pd.DataFrame({"id": ["baseline.tbil.p", "consort.screened"], "label": ["TBil: p", "Screened"],
                       "published": pd.Series([0.001, 252], dtype=object),
                       "value": pd.Series([0.000719, 252], dtype=object),
                       "tolerance": ["below the published bound", "within 0.5"]})
    t = table(df)
    assert "Result" not in t.frame.columns  # the id beside its label is not shown
    assert t.frame["Published"].tolist() == ["<0.001", "252"]
    assert t.frame["Cohort"].tolist() == ["<0.001", "252"]


def test_table_rejects_non_frames():
    with pytest.raises(TypeError):
        table([1, 2, 3])


class _Heads(HTMLParser):
    """Headers and row labels of the result tables in an HTML output."""

    def __init__(self):
        super().__init__()
        self.depth, self.in_th, self.labels, self.tables, self.first = 0, False, [], 0, False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "result-table" in (dict(attrs).get("class") or ""):
            self.depth += 1
            self.tables += 1
        if tag == "tr":
            self.first = True
        if tag in ("th", "td") and self.depth:
            # headers, and the first cell of each row (the row's label)
            self.in_th, self.text = tag == "th" or self.first, ""
            self.first = False

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.in_th:
            self.in_th = False
            self.labels.append(self.text.strip())
        if tag == "table" and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.in_th:
            self.text += data


def _shown_labels(nb: Path) -> list[str]:
    out, tables = [], 0
    for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        for o in cell.get("outputs", []):
            h = o.get("data", {}).get("text/html")
            if h:
                p = _Heads()
                p.feed("".join(h) if isinstance(h, list) else h)
                out += p.labels
                tables += p.tables
    source = (ROOT / "book" / "chapters" / f"{nb.stem}.md").read_text(encoding="utf-8")
    if "show(" in source:
        assert tables, f"{nb.stem} calls show() but its notebook holds no result table: re-execute it"
    return out


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_chapters_show_no_code_names(nb):
    """Every header and row label of the result tables a chapter shows (its executed notebook, on the
    synthetic cohort) reads as words: no snake_case, no dotted ids."""
    bad = sorted({x for x in _shown_labels(nb) if is_code_like(x)})
    assert not bad, f"{nb.stem}: code-like labels {bad}; add them to analysis.report.labels"


def test_interval_columns_become_one():
    df = pd.DataFrame({"hr": [1.9364], "ci_low": [1.0381], "ci_high": [3.6119], "p": [0.0377]})
    t = table(df, precision=2)
    assert list(t.frame.columns) == ["HR", "95% CI", "p"]
    assert t.frame.iloc[0].tolist() == ["1.94", "1.04 to 3.61", "0.038"]


def test_compact_columns_and_transpose():
    df = pd.DataFrame({"window": ["late"], "start": [13.0], "end": [75.0], "events_control": [19],
                       "events_ucmsc": [5]})
    t = table(df)
    assert list(t.frame.columns) == ["Window", "Months", "Events, Control / UC-MSC"]
    assert t.frame.iloc[0].tolist() == ["Late", "13 to 75", "19 / 5"]
    f = pd.DataFrame({"arm": ["control", "ucmsc"], "n": [111, 108], "median_simple": [57.002, 61.01]})
    t = table(f, precision=1, transpose=True)
    assert list(t.frame.columns) == ["", "Control", "UC-MSC"]
    assert t.frame.iloc[1].tolist() == ["Median, observed times", "57.0", "61.0"]
    assert t.numeric == [False, True, True] and t.row_header
