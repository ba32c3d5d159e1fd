"""The reader checks of ``tests/pagecheck.py`` (run on every chapter by ``tests/test_browser.py``)
find each planted defect, without a browser: text, cells, images and links read from the HTML; the
layout checks on measurements as the browser reports them. (``test_browser.py`` plants the same
defects in a page opened in chromium, layout included.)"""

from __future__ import annotations

import pytest

import pagecheck as pc

WITHOUT_LAYOUT = [name for name, (_, _, _, layout) in pc.PLANTED.items() if not layout]


def _findings(page):
    m = pc.parse_html(page.read_text())
    return (pc.text_findings(m["blocks"], m["cells"]) + pc.image_findings(m["images"])
            + pc.link_findings(m["links"], page, page.parents[1]))


def test_the_clean_page_has_no_finding(tmp_path):
    """Code cells, inline code, the ledger's id column, an external link and an interval are not findings."""
    assert _findings(pc.write_site(tmp_path)) == []


@pytest.mark.parametrize("defect", WITHOUT_LAYOUT)
def test_a_planted_defect_is_found(tmp_path, defect):
    html, expected, _, _ = pc.PLANTED[defect]
    found = _findings(pc.write_site(tmp_path, defect))
    assert len(found) == 1 and expected in found[0], found


def test_result_ids_are_found_as_text():
    """A short result id (two parts) is a finding when named; the dotted-id pattern finds longer ones."""
    found = pc.text_findings(["compared under os.hr and in os.hr_plot"], ids={"os.hr"})
    assert [f.split(":")[0] for f in found] == ["a result id 'os.hr'", "a code name 'hr_plot'"], found


@pytest.mark.parametrize("text", ["Ruo-Nan Xu", "see https://example.org/a_b/c.d.e", "i.e. e.g. patients.csv",
                                  "95% CI [0.52, 1.07]", "Noneffective", "version 1.2.3"])
def test_ordinary_text_is_not_a_finding(text):
    assert pc.text_findings([text]) == []


def _table(**kw):
    t = {"label": "T", "cls": "table", "width": 300.0, "right": 316.0, "containerRight": 374.0, "clipRight": 390.0,
         "clipper": None, "overflowingCells": [], "hidden": False, "scroller": None}
    return t | kw


def _layout(*tables, viewport=390, scroll_width=390):
    return {"viewport": viewport, "scrollWidth": scroll_width, "wide": [], "tables": list(tables)}


@pytest.mark.parametrize("table,width,expected", [
    (_table(), 390, None),
    (_table(right=700.0, width=684.0, clipRight=374.0, clipper="div.x"), 390, "clipped table"),
    (_table(right=384.0, width=368.0), 390, "table 'T' (table) is wider than its container"),
    (_table(right=700.0, scroller={"cls": "div.wrap", "clientWidth": 358, "scrollWidth": 684, "right": 374.0, "own": True}),
     390, None),
    (_table(right=1400.0, scroller={"cls": "div.wrap", "clientWidth": 900, "scrollWidth": 1384, "right": 916.0,
                                    "own": True}), 1280, "table 'T' (table) scrolls sideways"),
    (_table(right=700.0, scroller={"cls": "article", "clientWidth": 358, "scrollWidth": 684, "right": 374.0, "own": False}),
     390, "table 'T' (table) reaches past its container"),
    (_table(overflowingCells=["Recomputed"]), 390, "table 'T' (table): content wider than its cell"),
    (_table(hidden=True, right=900.0), 390, None),
])
def test_layout_findings(table, width, expected):
    found = pc.layout_findings(_layout(table, viewport=width, scroll_width=width), width)
    assert (found == []) if expected is None else (len(found) == 1 and found[0].startswith(expected)), found


def test_a_page_wider_than_the_window_is_found():
    found = pc.layout_findings(_layout(scroll_width=640), 390)
    assert found == ["the page is 640 px wide in a 390 px window"]


def test_js_arguments_are_the_python_readers():
    """The browser's reader and :func:`parse_html` exclude the same code and group by the same blocks."""
    arg = pc.js_arg()
    assert arg["blocks"] == list(pc.BLOCK_TAGS) and "cell_input" in arg["code"] and "code" in arg["code"]
