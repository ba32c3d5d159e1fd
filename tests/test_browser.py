"""The built book as readers meet it: a real headless browser on the HTML served over HTTP.

Debian's chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) driven by Playwright for
Python, on the book built from the synthetic cohort in the background
(``tests/bookbuild.py``). Without chromium the tests skip and say why; when ``CI``
is set they fail instead.

Network: every request to a host other than the local server is aborted before
it leaves the browser (the tests use no network) and fails the test unless it is
listed in ``EXTERNAL_ALLOWED`` with its reason (the list is empty: MathJax is
served from the book by ``sphinx-mathjax-offline``, and the tests check that it
typesets every equation). The console errors of aborted allowed requests would
be the only ones ignored, and only for their own URLs; any other console error,
uncaught page error or failed local request fails the test.

Each chapter is read at 1280 px (a laptop) and 390 px (a phone) and checked as a reader meets it
(``tests/pagecheck.py``; its checks are shown to find planted defects in ``tests/test_pagecheck.py``
and, in a browser, in ``test_checks_find_planted_defects`` here): no clipped table (a table wider than
its container without a scrolling box of its own; at 1280 px no table scrolls sideways) and no page
wider than the window; no ``nan``, ``None``, Python repr, code name or result id in the text outside
code (the ledger's id column is code); ``True``/``False`` in no table cell; every image with an alt
text that describes it; every local link leading to a file and anchor of the site; no console error.
All findings of a page are reported together.

Screenshots of each chapter at both widths go to ``tests/artifacts/`` (git-ignored), taken before the
checks, so a failing page has its picture. ``SYNTHETIC_BOOK_BUILD=<folder>`` tests a finished build
(its ``--path-output`` folder) instead of building one (``tests/bookbuild.py``).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import threading
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from analysis.report.ledger import build_ledger
from analysis.trial.paths import default_data_dir

import bookbuild as bb
import pagecheck as pc

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = bb.toc_chapters()
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"
LOCAL_HOST = "127.0.0.1"
TIMEOUT_MS = 30_000
#: External resources the book may request (aborted here), with the reason.
EXTERNAL_ALLOWED: dict[str, str] = {}
GLUE_TEXT = re.compile(r"\{glue:text\}`([^`]+)`")


def _unavailable() -> str | None:
    """Why the browser cannot run here, or None."""
    if not Path(CHROMIUM).is_file():
        return f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - playwright is pinned in pyproject.toml
        return f"playwright for Python is not importable: {exc}"
    return None


# --- fixtures ----------------------------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _skip_without_browser() -> None:
    """Skip when chromium or Playwright is missing; fail instead when ``CI`` is set."""
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the browser test cannot run: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Headless chromium (one per module), with no book needed."""
    _skip_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(synthetic_book):
    """The synthetic build's HTML served on 127.0.0.1 (base URL, ending in /)."""
    _skip_without_browser()
    if synthetic_book.returncode != 0:
        pytest.fail(f"the book did not build:\n{synthetic_book.describe()}", pytrace=False)
    handler = functools.partial(_QuietHandler, directory=str(synthetic_book.html))
    server = ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class Tab:
    """A browser page that records console errors, page errors and requests."""

    def __init__(self, context, base: str):
        self.base = base
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.console: list[tuple[str, str]] = []  # (text, url of the resource or script)
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("requestfailed", lambda req: self.failed.append(req.url))

    def _on_console(self, msg):
        if msg.type == "error":
            self.console.append((msg.text, (msg.location or {}).get("url", "")))

    def problems(self, blocked: set[str]) -> list[str]:
        """Console errors, page errors and failed requests, except those of aborted external requests."""
        out = [f"page error: {e}" for e in self.errors]
        out += [f"console: {t} ({u})" for t, u in self.console if u not in blocked]
        out += [f"request failed: {u}" for u in self.failed if u not in blocked]
        return out


@pytest.fixture(scope="module")
def browser_context(browser, site):
    """A chromium context in which every non-local request is aborted (and recorded)."""
    blocked: set[str] = set()

    def route(r):
        if urlsplit(r.request.url).hostname == LOCAL_HOST:
            r.continue_()
        else:
            blocked.add(r.request.url)
            r.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", route)
    yield context, blocked
    context.close()


@pytest.fixture
def tab(browser_context, site):
    context, blocked = browser_context
    t = Tab(context, site)
    t.blocked = blocked
    yield t
    t.page.close()


# --- helpers -------------------------------------------------------------------------------------

_IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.complete ? null : img.decode().catch(() => null)));
  return imgs.map(img => ({src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth}));
}"""


def _glue_expected(build: bb.BuildResult, chapter: str) -> Counter:
    """The text each ``{glue:text}`` role of the chapter's source should show, from the build's glue store."""
    from myst_nb.core.variables import format_plain_text

    store_file = build.out / "_build" / "jupyter_execute" / f"{chapter}.glue.json"
    store = json.loads(store_file.read_text()) if store_file.exists() else {}
    expected = Counter()
    for ref in GLUE_TEXT.findall((ROOT / "book" / f"{chapter}.md").read_text()):
        key, fmt = ref.rsplit(":", 1) if ":" in ref else (ref, "")
        assert key in store, f"{chapter}: glue key {key!r} is not in the build's glue store"
        expected[format_plain_text(store[key]["data"]["text/plain"], fmt)] += 1
    return expected


def _parse_shown(text: str):
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text  # a text result (an identifier)


def _close(shown, value) -> bool:
    """A value shown to 4 significant digits (integers in full) equals the ledger's."""
    if shown is None or value is None:
        return shown is None and value is None
    if isinstance(value, str) or isinstance(shown, str):
        return shown == value
    return math.isclose(shown, float(value), rel_tol=5e-4, abs_tol=1e-12)


# --- tests ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def result_ids(synthetic_book) -> set[str]:
    """The ledger's result ids (from the built ledger table's rows), which no page may show as text."""
    ids: set[str] = set()
    for page in (synthetic_book.html / f"{chapter}.html" for chapter in CHAPTERS):
        if page.is_file():
            ids |= set(re.findall(r'<tr\b[^>]*\bdata-id="([^"]+)"', page.read_text()))
    return ids


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_loads_cleanly(tab, synthetic_book, result_ids, chapter):
    """Loaded once at 1280 px over HTTP: every image loaded, every glued number shown, equations
    typeset; then at 1280 and at 390 px (the same page resized, which reflows it as a phone would
    show it): a screenshot and the reader checks of ``pagecheck`` (clipped tables, text, alt texts,
    local links); no console error or failed request. Every finding at every width is listed."""
    first = pc.WIDTHS[0]
    tab.page.set_viewport_size({"width": first, "height": 900})
    resp = tab.page.goto(tab.base + f"{chapter}.html", wait_until="load")
    assert resp is not None and resp.status == 200
    assert tab.page.locator("main h1").count() >= 1, f"{chapter}: no title"
    images = tab.page.evaluate(_IMAGES_JS)
    tab.page.wait_for_load_state("networkidle")  # late requests
    # Equations are typeset by MathJax (served from the book), none left as TeX source.
    n_math = tab.page.locator("main .math").count()
    if n_math:
        tab.page.wait_for_function(
            "n => document.querySelectorAll('main .math mjx-container').length >= n", arg=n_math, timeout=TIMEOUT_MS)

    findings = [f"an image that did not load: {i['src']}" for i in images if not (i["complete"] and i["width"] > 0)]
    if tab.page.locator("main mjx-merror").count():
        findings.append("MathJax reported a TeX error")
    shown = Counter(t.strip() for t in tab.page.locator("span.pasted-text").all_inner_texts())
    expected = _glue_expected(synthetic_book, chapter)
    if shown != expected:
        findings.append(f"glued numbers shown differ from the glue store: missing {dict(expected - shown)}, "
                        f"unexpected {dict(shown - expected)}")
    if "{glue" in tab.page.locator("main").inner_text():
        findings.append("an unresolved glue role is shown")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in pc.WIDTHS:
        if width != first:
            tab.page.set_viewport_size({"width": width, "height": 900})
            tab.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        # JPEG: a page is up to 30,000 px tall, and PNG takes twice as long to write. The whole page at
        # the first width; at phone width (where a page is three times as tall) the first screen only.
        tab.page.screenshot(path=str(ARTIFACTS / f"{Path(chapter).name}-{width}.jpg"), full_page=width == first,
                            type="jpeg", quality=80)
        measured = tab.page.evaluate(pc.MEASURE_JS, pc.js_arg())
        findings += [f"at {width} px: {f}" for f in
                     pc.page_findings(measured, width, synthetic_book.html / f"{chapter}.html", synthetic_book.html,
                                      result_ids)]
    findings += tab.problems(tab.blocked)
    findings += [f"a request to an external resource: {u}" for u in sorted(tab.blocked)
                 if not any(u.startswith(a) for a in EXTERNAL_ALLOWED)]
    assert not findings, f"{chapter}, {len(findings)} finding(s):\n" + "\n".join(findings)


@pytest.fixture(scope="module")
def bare_page(browser):
    """One page for local files (no server, no routing) and the console errors and page errors it records."""
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    yield page, console
    page.close()


#: Planted defects tested one page each in the browser (the layout ones); the others are planted all
#: in one page (``"every other defect"``), each to be found once.
LAYOUT_DEFECTS = [name for name, (_, _, _, layout) in pc.PLANTED.items() if layout]
OTHER_DEFECTS = [name for name in pc.PLANTED if name not in LAYOUT_DEFECTS]


@pytest.mark.parametrize("defect", [None, *LAYOUT_DEFECTS, "every other defect", "console error"])
def test_checks_find_planted_defects(bare_page, tmp_path, defect):
    """The chapter checks, run in chromium on a clean page (no finding) and on the page with defects
    planted (``pagecheck.PLANTED``; and an error written to the console): each defect is found at the
    widths it shows at, and nothing else is."""
    page_file = pc.write_site(tmp_path)
    if defect in LAYOUT_DEFECTS:
        planted = {defect: pc.PLANTED[defect]}
    elif defect == "every other defect":
        planted = {name: pc.PLANTED[name] for name in OTHER_DEFECTS}
    elif defect == "console error":
        planted = {defect: ("<script>console.error('planted')</script>", "console: planted", pc.WIDTHS, False)}
    else:
        planted = {}
    page_file.write_text(page_file.read_text().replace(
        "<!--PLANTED-->", "\n".join(html for html, _, _, _ in planted.values())))
    page, console = bare_page
    console.clear()
    page.goto(page_file.as_uri(), wait_until="load")
    for width in pc.WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        measured = page.evaluate(pc.MEASURE_JS, pc.js_arg())
        found = pc.page_findings(measured, width, page_file, tmp_path) + console
        if defect in LAYOUT_DEFECTS:
            shows = width in planted[defect][2]
            assert any(planted[defect][1] in f for f in found) if shows else found == [], \
                f"{defect} at {width} px: {found}"
            continue
        unmatched = list(found)
        for name, (_, expected, _, _) in planted.items():
            hit = next((f for f in unmatched if expected in f), None)
            assert hit is not None, f"{name} at {width} px not found in {found}"
            unmatched.remove(hit)
        assert unmatched == [], f"findings at {width} px that no planted defect explains: {unmatched}"


def test_next_links_walk_the_toc_in_order(tab):
    """From the home page, the 'next' link leads through every chapter in _toc.yml order, and back."""
    tab.page.goto(tab.base + "index.html", wait_until="load")
    tab.page.wait_for_url(re.compile(re.escape(f"{CHAPTERS[0]}.html")))
    visited = [CHAPTERS[0]]
    while tab.page.locator("a.right-next").count():
        with tab.page.expect_navigation(wait_until="load"):
            tab.page.locator("a.right-next").first.click()
        visited.append(urlsplit(tab.page.url).path.lstrip("/").removesuffix(".html"))
        assert len(visited) <= len(CHAPTERS) + 1, visited
    assert visited == CHAPTERS
    with tab.page.expect_navigation(wait_until="load"):
        tab.page.locator("a.left-prev").first.click()
    assert urlsplit(tab.page.url).path == f"/{CHAPTERS[-2]}.html"
    assert not tab.problems(tab.blocked), tab.problems(tab.blocked)


@pytest.mark.parametrize("chapter", [CHAPTERS[1], CHAPTERS[-1]])
def test_search_page_finds_a_chapter(tab, chapter):
    """The search page, queried with a word of a chapter's title, lists that chapter."""
    tab.page.goto(tab.base + f"{chapter}.html", wait_until="load")
    title = tab.page.locator("main h1").first.inner_text()
    word = max(re.findall(r"[A-Za-z]{4,}", title), key=len)
    tab.page.goto(tab.base + f"search.html?q={word}", wait_until="load")
    tab.page.wait_for_function(
        "() => document.querySelectorAll('#search-results ul.search li a').length > 0", timeout=TIMEOUT_MS)
    links = tab.page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    paths = {urlsplit(h).path for h in links}
    assert f"/{chapter}.html" in paths, f"searching {word!r} did not list {chapter}: {sorted(paths)}"
    assert not tab.problems(tab.blocked), tab.problems(tab.blocked)


def test_ledger_table_and_summary_equal_the_ledger(tab, synthetic_book):
    """The Reproducibility page's table equals ``build_ledger`` on the same data, and its filters,
    search and sorting work.

    Each row shows the entry's label with its id (small) and note under it, the published value and
    the value with their intervals, the status and the provenance (a badge, explained in the legend
    above the table). (That every glued number of every page equals its ledger entry is tests/test_results.py's job.)
    """
    pages = [c for c in CHAPTERS if "ledger-table" in (synthetic_book.html / f"{c}.html").read_text()]
    assert len(pages) == 1, f"pages with the ledger table: {pages}"
    tab.page.goto(tab.base + f"{pages[0]}.html", wait_until="load")
    rows = tab.page.eval_on_selector_all("table.ledger-table tbody tr", """trs => trs.map(tr => {
        const c = Array.from(tr.cells), t = (td, s) => { const e = td.querySelector(s); return e ? e.innerText : ""; };
        return {id: t(c[0], ".meta code"), label: t(c[0], ".lab"), published: t(c[1], ".v"), published_ci: t(c[1], ".ci"),
                value: t(c[2], ".v"), ci: t(c[2], ".ci"), status: c[3].innerText, provenance: c[4].innerText,
                note: t(c[0], ".note")};
    })""")
    head = tab.page.eval_on_selector_all("table.ledger-table thead th", "ths => ths.map(th => th.innerText.trim())")
    assert head == ["Result", "Published", "Value", "Status", "Provenance"], head

    ledger = build_ledger(default_data_dir())
    entries = {e["id"]: e for e in ledger["entries"]}
    shown = {r["id"].strip(): r for r in rows}
    assert list(shown) == list(entries), "the table's ids differ from the ledger's"
    wrong = []
    for eid, r in shown.items():
        e = entries[eid]
        pairs = [("published", r["published"]), ("value", r["value"])]
        for key, ci in (("published", r["published_ci"]), ("value", r["ci"])):
            lo, hi = ("ci_low", "ci_high") if key == "value" else ("published_ci_low", "published_ci_high")
            parts = ci.split("\u2013") if ci.strip() else ["", ""]
            pairs += [(lo, parts[0]), (hi, parts[-1])]
        for key, text in pairs:
            if not _close(_parse_shown(text), e[key]):
                wrong.append(f"{eid}.{key}: shown {text!r}, ledger {e[key]!r}")
        for key in ("label", "status", "provenance", "note"):
            if r[key].split() != (e[key] or "").split():
                wrong.append(f"{eid}.{key}: shown {r[key]!r}, ledger {e[key]!r}")
    assert not wrong, "\n".join(wrong)

    # The legend explains every provenance marker the table shows.
    legend = tab.page.locator(".results-box .results-legend").first.inner_text()
    assert all(p in legend for p in {e["provenance"] for e in ledger["entries"]}), legend

    def visible(attr: str) -> list[str]:
        return tab.page.eval_on_selector_all(
            "table.ledger-table tbody tr", f"trs => trs.filter(tr => tr.offsetParent !== null).map(tr => tr.dataset.{attr})")

    # The status, provenance and chapter filters show only the chosen rows, and combine.
    counts = Counter(e["status"] for e in ledger["entries"])
    for status in ("agrees", "differs"):
        tab.page.select_option("select[id$='-filter']", status)
        assert visible("status") == [status] * counts[status], status
    tab.page.select_option("select[id$='-provenance']", "by construction")
    both = [e["id"] for e in ledger["entries"] if e["status"] == "differs" and e["provenance"] == "by construction"]
    assert visible("id") == both
    tab.page.select_option("select[id$='-filter']", "all")
    tab.page.select_option("select[id$='-provenance']", "all")
    tab.page.select_option("select[id$='-chapter']", "survival")
    assert visible("id") == [e["id"] for e in ledger["entries"] if e["chapter"] == "survival"]
    tab.page.select_option("select[id$='-chapter']", "all")
    # The search box keeps the rows whose text contains the query.
    tab.page.fill("input[id$='-search']", "os.landmark")
    assert visible("id") and all("os.landmark" in i for i in visible("id")), visible("id")
    tab.page.fill("input[id$='-search']", "")
    assert len(visible("id")) == len(entries)
    # Clicking the value header sorts by value (empty values last), clicking again reverses.
    tab.page.locator("table.ledger-table thead th", has_text="Value").locator("button").click()
    ids = tab.page.eval_on_selector_all("table.ledger-table tbody tr", "trs => trs.map(tr => tr.dataset.id)")
    numbers = [float(entries[i]["value"]) for i in ids if isinstance(entries[i]["value"], (int, float))]
    assert numbers == sorted(numbers), "the table is not sorted by value"
    tab.page.locator("table.ledger-table thead th", has_text="Value").locator("button").click()
    ids = tab.page.eval_on_selector_all("table.ledger-table tbody tr", "trs => trs.map(tr => tr.dataset.id)")
    numbers = [float(entries[i]["value"]) for i in ids if isinstance(entries[i]["value"], (int, float))]
    assert numbers == sorted(numbers, reverse=True), "the second click does not reverse the order"
    assert not tab.problems(tab.blocked), tab.problems(tab.blocked)

