"""What a reader of a built page must not meet, as checks on what a page shows.

A page is first reduced to what the reader meets (:data:`MEASURE_JS` in a browser, which adds the
layout at the window's width; :func:`parse_html` without a browser, the same minus layout):

``blocks``
    The visible text outside code (code cells' input, ``pre`` outside cell outputs, inline ``code``,
    mathematics, scripts), one string per block element (paragraph, list item, table cell, caption...).
``cells``
    The text of every table cell (outside code), for cell-value checks (``True``/``False``).
``images``
    Every ``<img>``: its ``src`` and ``alt`` (None when absent).
``links``
    Every ``<a href>`` as written, and ``ids``: the ids (and ``<a name>``) of the page.
``layout`` (browser only)
    The window width, the document's scroll width, every table of the article with its container,
    its scrolling wrapper (the nearest ancestor that scrolls sideways) or clipping ancestor, and the
    cells whose content overflows them.

The checks (:func:`text_findings`, :func:`image_findings`, :func:`link_findings`,
:func:`layout_findings`) return findings, one readable string each; an empty list is a clean page.
``tests/test_browser.py`` runs them on every chapter at 1280 and 390 px; ``tests/test_pagecheck.py``
plants each defect in a small page to show that the checks find it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

__all__ = ["MEASURE_JS", "WIDTHS", "parse_html", "page_findings", "text_findings", "image_findings",
           "link_findings", "layout_findings", "ids_of"]

#: The two window widths a page is read at: a laptop and a phone.
WIDTHS = (1280, 390)
#: Widths at and above which nothing may scroll sideways (no table needs a scrolling box).
NO_SCROLL_FROM = 1000
#: Fewest words a descriptive alt text has.
MIN_ALT_WORDS = 4
#: Slack for sub-pixel rounding (px).
SLACK = 1

#: Elements whose text is code (or not text), excluded from the text checks. ``pre`` counts as code
#: outside cell outputs only (a printed output is read); the ledger's id column is ``<code>``.
CODE_SELECTOR = ("script, style, noscript, template, svg, math, mjx-container, .math, code, kbd, samp, "
                 ".cell_input, .highlight:not(.cell_output .highlight), pre:not(.cell_output pre)")
#: Elements whose text is one block (one string of ``blocks``).
BLOCK_TAGS = ("p", "li", "td", "th", "caption", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd",
              "pre", "blockquote", "div", "section", "article", "main", "summary", "details", "table", "tr")

MEASURE_JS = r"""(arg) => {
  const CODE = arg.code, BLOCKS = new Set(arg.blocks.map(t => t.toUpperCase()));
  const root = document.querySelector('main') || document.body;
  const isCode = el => !!(el && el.closest(CODE));
  // Visible text outside code, grouped by the nearest block element.
  const blocks = new Map();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || isCode(el) || !n.nodeValue.trim()) continue;
    let b = el; while (b !== root && !BLOCKS.has(b.tagName)) b = b.parentElement;
    blocks.set(b, (blocks.get(b) || '') + n.nodeValue);  // no space: <wbr> splits names
  }
  const cells = Array.from(root.querySelectorAll('td, th')).filter(c => !isCode(c)).map(c => {
    const clone = c.cloneNode(true);
    clone.querySelectorAll(CODE).forEach(e => e.remove());
    return clone.textContent.trim();
  });
  const images = Array.from(document.images).map(i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt')}));
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
  const ids = Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name'));
  // Layout: each table against its container, its scrolling wrapper or what clips it.
  const vw = document.documentElement.clientWidth;
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                         (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const label = t => {
    const cap = t.querySelector('caption, .gt_title') || t.querySelector('th, td');
    return ((t.getAttribute('aria-label') || (cap ? cap.textContent : '') || t.id || '').trim().replace(/\s+/g, ' ')).slice(0, 70);
  };
  const tables = Array.from(root.querySelectorAll('table')).filter(t => !t.parentElement.closest('table')).map(t => {
    const r = t.getBoundingClientRect(), parent = t.parentElement, pr = parent.getBoundingClientRect();
    let scroller = null, clipper = null, clipRight = vw;
    for (let a = t; a && a !== document.documentElement; a = a.parentElement) {  // a table may be its own box
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') { scroller = a; break; }
      if (ox === 'hidden' || ox === 'clip') {
        const right = a.getBoundingClientRect().left + a.clientLeft + a.clientWidth;
        if (right < clipRight) { clipRight = right; clipper = a; }
      }
    }
    const ps = getComputedStyle(parent);
    const contentRight = pr.left + parent.clientLeft + parent.clientWidth - parseFloat(ps.paddingRight || 0);
    const overflowing = Array.from(t.querySelectorAll('td, th')).filter(c => c.scrollWidth > c.clientWidth + 1)
                             .map(c => c.textContent.trim().replace(/\s+/g, ' ').slice(0, 40));
    const out = {label: label(t), cls: describe(t), width: r.width, right: r.right, containerRight: contentRight,
                 clipRight: clipRight, clipper: clipper ? describe(clipper) : null, overflowingCells: overflowing,
                 hidden: r.width === 0 && r.height === 0, scroller: null};
    if (scroller) {
      const sr = scroller.getBoundingClientRect();
      out.scroller = {cls: describe(scroller), clientWidth: scroller.clientWidth, scrollWidth: scroller.scrollWidth,
                      right: sr.left + scroller.clientLeft + scroller.clientWidth,
                      own: scroller === t || (scroller.querySelectorAll('table').length === 1
                                               && !scroller.querySelector('p, h1, h2, h3, h4, section'))};
    }
    return out;
  });
  // What makes the page wider than the window: the outermost elements (or their overflowing content)
  // reaching past it outside any scrolling box.
  const reach = e => { const r = e.getBoundingClientRect();
    return r.width === 0 ? 0 : Math.max(r.right, getComputedStyle(e).overflowX === 'visible' ? r.left + e.scrollWidth : 0); };
  const wide = Array.from(root.querySelectorAll('*')).filter(e => {
    if (reach(e) <= vw + 1 || Array.from(e.children).some(c => reach(c) > vw + 1)) return false;
    for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') return false;
    }
    return true;
  }).slice(0, 5).map(e => describe(e) + ' ' + JSON.stringify(e.textContent.trim().replace(/\s+/g, ' ').slice(0, 40))
                           + ' reaching ' + Math.round(reach(e)) + ' px');
  // Other boxes that scroll sideways (equations, figures, outputs), not those of the tables above; code
  // boxes (code cells' input, literal blocks) scroll by nature and are left alone.
  const scrolling = Array.from(root.querySelectorAll('*')).filter(e => {
    const ox = getComputedStyle(e).overflowX;
    return (ox === 'auto' || ox === 'scroll') && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
      && !isCode(e) && e.tagName !== 'TABLE' && !e.querySelector('pre, table');
  }).slice(0, 10).map(e => describe(e) + ' ' + JSON.stringify(e.textContent.trim().replace(/\s+/g, ' ').slice(0, 40))
                           + ': ' + e.scrollWidth + ' px of content in ' + e.clientWidth + ' px');
  return {blocks: Array.from(blocks.values()).map(t => t.replace(/\s+/g, ' ').trim()).filter(Boolean), cells, images,
          links, ids, layout: {viewport: vw, scrollWidth: document.documentElement.scrollWidth, wide, tables, scrolling}};
}"""


# --- without a browser -----------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_CODE_TAGS = {"script", "style", "noscript", "template", "svg", "math", "mjx-container", "code", "kbd", "samp"}
_CODE_CLASSES = {"cell_input", "math"}


class _Reader(HTMLParser):
    """:data:`MEASURE_JS`'s text, cells, images, links and ids from HTML source (no layout)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, code, in a cell output)
        self.blocks: list[str] = []
        self.cells: list[str] = []
        self.images: list[dict] = []
        self.links: list[str] = []
        self.ids: list[str] = []
        self._block: list[str] = []
        self._cell: list[str] | None = None
        self._cell_depth = 0

    def _flush(self):
        text = " ".join("".join(self._block).split())
        if text:
            self.blocks.append(text)
        self._block = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        classes = set(a.get("class", "").split())
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.append(a["name"])
        if tag == "img":
            self.images.append({"src": a.get("src"), "alt": dict(attrs).get("alt")})
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in _VOID:
            return
        code_above = bool(self.stack and self.stack[-1][1])
        output = bool(self.stack and self.stack[-1][2]) or "cell_output" in classes
        code = code_above or tag in _CODE_TAGS or bool(classes & _CODE_CLASSES) \
            or (tag == "pre" and not output) or ("highlight" in classes and not output)
        if tag in BLOCK_TAGS:
            self._flush()
        if tag in ("td", "th") and not code:
            self._cell, self._cell_depth = [], len(self.stack)
        self.stack.append((tag, code, output))

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        while self.stack:
            open_tag, _, _ = self.stack.pop()
            if open_tag in ("td", "th") and self._cell is not None and len(self.stack) == self._cell_depth:
                self.cells.append(" ".join("".join(self._cell).split()))
                self._cell = None
            if open_tag == tag:
                break
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_data(self, data):
        if self.stack and self.stack[-1][1]:
            return
        self._block.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def close(self):
        super().close()
        self._flush()


def parse_html(source: str) -> dict:
    """What :data:`MEASURE_JS` returns, minus ``layout``, read from HTML source without a browser.

    The whole document is read (a browser reads ``<main>``); for small test pages and fragments.
    """
    reader = _Reader()
    reader.feed(source)
    reader.close()
    return {"blocks": reader.blocks, "cells": reader.cells, "images": reader.images, "links": reader.links,
            "ids": reader.ids}


# --- the checks ----------------------------------------------------------------------------------

#: Text a reader must not see: (what it is, pattern).
TEXT_PATTERNS = [
    ("nan", re.compile(r"\bnan\b|\bNaN\b")),
    ("None", re.compile(r"\bNone\b")),
    ("NaT / <NA>", re.compile(r"\bNaT\b|<NA>")),
    # Three numbers or more, or quoted items: a list, not an interval such as [0.38, 0.43].
    ("a Python list", re.compile(r"\[\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*,|\[\s*'")),
    ("a Python dict", re.compile(r"\{\s*['\"]\w")),
    ("a Python object repr", re.compile(r"<function\b|<bound method\b|<class '|\bobject at 0x[0-9a-f]+")),
    ("dtype", re.compile(r"\bdtype\b")),
    ("a numpy/pandas repr", re.compile(r"\b(?:array|np\.\w+|Timestamp|Timedelta|Series|DataFrame)\(")),
    ("a dotted id", re.compile(r"(?<![\w/.-])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){2,}(?![\w/-])")),
    ("a code name", re.compile(r"(?<![\w/-])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w/-])")),
    ("an arm code", re.compile(r"\bucmsc\b")),
]
_URL = re.compile(r"\b(?:https?://|www\.|doi:)\S+|\b[\w.-]+@[\w.-]+\.\w+|\b10\.\d{4,}/\S+")
_CELL_VALUES = {"True", "False"}


def _snippet(text: str, start: int, end: int, around: int = 30) -> str:
    return ("..." if start > around else "") + text[max(0, start - around):end + around].strip() + \
        ("..." if end + around < len(text) else "")


def text_findings(blocks: list[str], cells: list[str] = (), ids: set[str] = frozenset()) -> list[str]:
    """``nan``, ``None``, Python reprs and code names in the text, ``True``/``False`` as cell values.

    Parameters
    ----------
    blocks
        The text outside code, one string per block.
    cells
        The text of each table cell.
    ids
        Result ids (the ledger's) that must not appear as text outside code (the dotted-id pattern
        finds those of three parts or more; these catch the shorter ones).

    Returns
    -------
    list of str
        ``"<what>: <text around it>"`` for each hit (distinct).
    """
    found: list[str] = []
    extra = [("a result id", re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
                                        + r")(?![\w])"))] if ids else []
    for block in blocks:
        text = _URL.sub(" ", block.replace("\u200b", ""))  # zero-width spaces (line-break hints) joined
        taken: list[tuple[int, int]] = []  # a hit inside an earlier one (a code name in an id) is not repeated
        for what, pattern in extra + TEXT_PATTERNS:
            for m in pattern.finditer(text):
                if any(a <= m.start() and m.end() <= b for a, b in taken):
                    continue
                taken.append(m.span())
                found.append(f"{what} {m.group(0)!r}: {_snippet(text, m.start(), m.end())!r}")
    found += [f"a cell showing {c!r}" for c in cells if c.strip() in _CELL_VALUES]
    return list(dict.fromkeys(found))


_PATH_LIKE = re.compile(r"[/\\]|\.(?:png|jpe?g|svg|gif|webp|pdf)\b|^[\w.-]+$", re.I)


def image_findings(images: list[dict], min_words: int = MIN_ALT_WORDS) -> list[str]:
    """Images without a descriptive alt text: none, empty, a file path or name, fewer than ``min_words`` words."""
    found = []
    for img in images:
        alt, src = img.get("alt"), img.get("src") or "?"
        if alt is None or not alt.strip():
            found.append(f"an image without alt text: {src}")
        elif _PATH_LIKE.search(alt.strip()):
            found.append(f"an image whose alt text is a file path or name: {alt!r} ({src})")
        elif len(re.findall(r"[A-Za-z]{2,}", alt)) < min_words:
            found.append(f"an image whose alt text is not descriptive (< {min_words} words): {alt!r} ({src})")
    return found


@lru_cache(maxsize=256)
def _file_ids(path: Path, mtime: float) -> frozenset[str]:
    return frozenset(parse_html(path.read_text(errors="replace"))["ids"])


def ids_of(path: Path) -> frozenset[str]:
    """The ids (and ``<a name>``) of an HTML file."""
    return _file_ids(path, path.stat().st_mtime)


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


def link_findings(links: list[str], page: Path, html_root: Path, page_ids: set[str] | None = None) -> list[str]:
    """Local links that do not resolve: to no file of the site, or to an anchor the target lacks.

    Parameters
    ----------
    links
        The ``href`` values as written in the page.
    page
        The page's file (relative links resolve from its folder).
    html_root
        The site's folder; a link leaving it is dead.
    page_ids
        The page's own ids as the browser sees them (ids set by scripts count); default: read from ``page``.
    """
    root = html_root.resolve()
    found = []
    for href in links:
        if _SCHEME.match(href):
            continue
        path, _, fragment = href.partition("#")
        path = unquote(path.split("?", 1)[0])
        target = (page.parent / path).resolve() if path else page.resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or (target != root and root not in target.parents):
            found.append(f"a link to a missing file: {href}")
            continue
        fragment = unquote(fragment)
        if fragment and target.suffix == ".html":
            ids = page_ids if (page_ids is not None and target == page.resolve()) else ids_of(target)
            if fragment not in ids:
                found.append(f"a link to a missing anchor: {href}")
    return list(dict.fromkeys(found))


def layout_findings(layout: dict, width: int) -> list[str]:
    """Clipped tables, tables that scroll at a laptop's width, content overflowing cells, a page wider than the window.

    A table is clipped when it is wider than its container, or reaches past what clips it (an
    ancestor hiding overflow, or the window), without a scrolling wrapper of its own. At ``width
    >= NO_SCROLL_FROM`` a table's wrapper may not scroll either. At any width the page itself may
    not be wider than the window.
    """
    found = []
    for t in layout["tables"]:
        if t.get("hidden"):
            continue
        name = f"table {t['label']!r} ({t['cls']})"
        s = t.get("scroller")
        if s is not None and s.get("own"):
            if width >= NO_SCROLL_FROM and s["scrollWidth"] > s["clientWidth"] + SLACK:
                found.append(f"{name} scrolls sideways: {s['scrollWidth']} px of content in {s['clientWidth']} px")
        elif s is not None:
            if s["scrollWidth"] > s["clientWidth"] + SLACK and t["right"] > s["right"] + SLACK:
                found.append(f"{name} reaches past its container and scrolls with the text around it ({s['cls']}), "
                             "not in a box of its own")
        elif t["right"] > t["clipRight"] + SLACK:
            by = t["clipper"] or "the window"
            found.append(f"clipped {name}: its right edge at {t['right']:.0f} px, cut by {by} at {t['clipRight']:.0f} px")
        elif t["right"] > t["containerRight"] + SLACK:
            found.append(f"{name} is wider than its container ({t['right']:.0f} > {t['containerRight']:.0f} px) "
                         "and has no scrolling wrapper")
        if t.get("overflowingCells"):
            cells = ", ".join(repr(c) for c in t["overflowingCells"][:4])
            found.append(f"{name}: content wider than its cell in {len(t['overflowingCells'])} cell(s): {cells}")
    if width >= NO_SCROLL_FROM:
        found += [f"a box scrolls sideways: {box}" for box in layout.get("scrolling", [])]
    if layout["scrollWidth"] > layout["viewport"] + SLACK:
        found.append(f"the page is {layout['scrollWidth']} px wide in a {layout['viewport']} px window"
                     + (f": {'; '.join(layout.get('wide') or [])}" if layout.get("wide") else ""))
    return found


def page_findings(measured: dict, width: int, page: Path, html_root: Path, ids: set[str] = frozenset()) -> list[str]:
    """Every finding of the checks on one page measured by :data:`MEASURE_JS` at ``width``."""
    return (layout_findings(measured["layout"], width) + text_findings(measured["blocks"], measured["cells"], ids)
            + image_findings(measured["images"]) + link_findings(measured["links"], page, html_root, set(measured["ids"])))


def js_arg() -> dict:
    """The argument :data:`MEASURE_JS` takes."""
    return {"code": CODE_SELECTOR, "blocks": list(BLOCK_TAGS)}


# --- planted defects (tests/test_pagecheck.py, tests/test_browser.py) ---------------------------------

PAGES = Path(__file__).resolve().parent / "data" / "pages"
_LONG = "a long cell text that does not wrap"
#: name -> (HTML added to tests/data/pages/page.html, text of the finding, widths it shows at, needs layout).
PLANTED: dict[str, tuple[str, str, tuple[int, ...], bool]] = {
    "clipped table": (f'<div style="width:150px;overflow:hidden"><table><tr><td style="white-space:nowrap">{_LONG}'
                      "</td></tr></table></div>", "clipped table", WIDTHS, True),
    "table wider than its container": (f'<div style="width:150px"><table><tr><td style="white-space:nowrap">{_LONG}'
                                       "</td></tr></table></div>", "is wider than its container", WIDTHS, True),
    "table scrolling at 1280 px": (f'<div style="width:150px;overflow-x:auto"><table><tr><td style="white-space:nowrap">'
                                   f"{_LONG}</td></tr></table></div>", "scrolls sideways", (1280,), True),
    "table scrolling in itself at 1280 px": ('<table style="display:block;overflow-x:auto;width:150px"><tr>'
                                             f'<td style="white-space:nowrap">{_LONG}</td></tr></table>',
                                             "scrolls sideways", (1280,), True),
    "text cut in a cell": ('<table style="table-layout:fixed;width:200px"><tr><td style="overflow:hidden">'
                           "Recomputedvalueinaverylongword</td><td>x</td></tr></table>", "content wider than its cell", WIDTHS, True),
    "page wider than the window": ('<div style="width:2000px">wide</div>', "the page is", WIDTHS, True),
    "nan cell": ("<table><tr><td>Median</td><td>nan</td></tr></table>", "nan", (), False),
    "NaN in prose": ("<p>The ratio is NaN here.</p>", "nan", (), False),
    "None cell": ("<table><tr><td>Direction</td><td>None</td></tr></table>", "None", (), False),
    "a list": ("<table><tr><td>Weeks</td><td>[12, 24, 48]</td></tr></table>", "a Python list", (), False),
    "a dict": ("<p>Settings {'seed': 7}</p>", "a Python dict", (), False),
    "a function repr": ("<p>&lt;function summary at 0x7f3a&gt;</p>", "a Python object repr", (), False),
    "dtype": ('<div class="cell_output"><pre>x    7\nName: n, dtype: int64</pre></div>', "dtype", (), False),
    "True cell": ("<table><tr><td>Adjusted</td><td>True</td></tr></table>", "a cell showing 'True'", (), False),
    "snake_case header": ("<table><tr><th>ci_low</th></tr></table>", "a code name", (), False),
    "code name in prose": ("<p>the median_reverse_km of the arm</p>", "a code name", (), False),
    "code name split by <wbr>": ("<table><tr><td>patient_<wbr>id</td></tr></table>", "a code name 'patient_id'", (), False),
    "dotted id": ("<table><tr><td>os.landmark13.early</td></tr></table>", "a dotted id", (), False),
    "arm code": ("<table><tr><td>ucmsc</td></tr></table>", "an arm code", (), False),
    "alt text a path": ('<img src="data:," alt="../_images/90240cb219be.png">', "an image whose alt text is a file", (), False),
    "alt text a file name": ('<img src="data:," alt="km_overall">', "an image whose alt text is a file", (), False),
    "empty alt text": ('<img src="data:," alt="">', "an image without alt text", (), False),
    "no alt text": ('<img src="data:,">', "an image without alt text", (), False),
    "short alt text": ('<img src="data:," alt="Figure 1">', "an image whose alt text is not descriptive", (), False),
    "dead link": ('<p><a href="missing.html">a page</a></p>', "a link to a missing file", (), False),
    "dead anchor": ('<p><a href="other.html#nowhere">a section</a></p>', "a link to a missing anchor", (), False),
    "dead anchor in the page": ('<p><a href="#nowhere">a section</a></p>', "a link to a missing anchor", (), False),
    "link out of the site": ('<p><a href="../../etc/passwd">a file</a></p>', "a link to a missing file", (), False),
}


def planted_page(defect: str | None = None) -> str:
    """tests/data/pages/page.html (a clean page) with one planted defect (``None``: clean)."""
    page = (PAGES / "page.html").read_text()
    return page if defect is None else page.replace("<!--PLANTED-->", PLANTED[defect][0])


def write_site(folder: Path, defect: str | None = None) -> Path:
    """A two-page site in ``folder``: the planted page (returned) and the page it links to."""
    (folder / "chapters").mkdir(parents=True, exist_ok=True)
    page = folder / "chapters" / "page.html"
    page.write_text(planted_page(defect))
    (folder / "chapters" / "other.html").write_text((PAGES / "other.html").read_text())
    return page
