"""The whole book: built as ``make book`` builds it, run on other datasets, and no stale outputs.

The build and the runs start in the background at the start of the session (see
``tests/bookbuild.py``); the tests here wait for them. The staleness test builds a
one-page book twice, executing it each time.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from analysis import load_trial
from analysis.trial.paths import TRIAL_DATA_ENV, default_data_dir

import bookbuild as bb

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = bb.toc_chapters()


# --- helpers -----------------------------------------------------------------------------

_anchors = bb.anchors
_text = bb.page_text


def _assert_built(build: bb.BuildResult) -> None:
    if build.returncode != 0 or build.warnings:
        pytest.fail(f"the book build failed or warned:\n{build.describe()}", pytrace=False)
    missing = [c for c in CHAPTERS if not (build.html / f"{c}.html").is_file()]
    if missing:
        pytest.fail(f"chapters in _toc.yml without a page: {missing}\n{build.describe()}", pytrace=False)


def _config() -> dict:
    return yaml.safe_load((ROOT / "book" / "_config.yml").read_text())


# --- helpers' own checks (fast) -------------------------------------------------------------

def test_private_copy_is_real_data_with_distinctive_ids(tmp_path):
    """The private copy loads, counts as real data, and keeps every link between tables."""
    src = default_data_dir()
    ids = bb.make_private_copy(src, tmp_path / "copy")
    orig, copy = load_trial(src), load_trial(tmp_path / "copy")
    assert orig.synthetic and not copy.synthetic
    assert not (tmp_path / "copy" / "dataset.yaml").exists()
    assert copy.patients["patient_id"].str.fullmatch(r"ZQX-\d{4}").all()
    assert copy.patients["patient_id"].tolist() == orig.patients["patient_id"].map(ids).tolist()
    for name in ("screening", "labs", "adverse_events"):
        a, b = getattr(orig, name), getattr(copy, name)
        assert len(a) == len(b) > 0, name
        linked = a["patient_id"].dropna()
        assert b.loc[linked.index, "patient_id"].tolist() == linked.map(ids).tolist(), name
    assert not bb.find_in_tree(tmp_path / "copy", re.compile(rb"\bP\d{3}\b|\bS\d{3}\b"))


def test_identifier_search_finds_a_planted_id(tmp_path):
    """The search used on the build output finds an id in text, JSON and binary files."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "page.html").write_text("<td>ZQX-0042</td>")
    (tmp_path / "searchindex.js").write_text('Search.setIndex({"terms": {"zqs-0007": 1, "ZQS-0007": 2}})')
    (tmp_path / "image.bin").write_bytes(b"\x00\x01ZQX-0100\xff")
    (tmp_path / "clean.html").write_text("<p>ZQX-12 ZQ-0001 zqx-0001</p>")
    hits = bb.find_in_tree(tmp_path, bb.ID_PATTERN)
    assert hits == {"a/b/page.html": ["ZQX-0042"], "image.bin": ["ZQX-0100"], "searchindex.js": ["ZQS-0007"]}


# --- full builds ---------------------------------------------------------------------------

def test_book_builds_on_synthetic_cohort_without_warnings(synthetic_book):
    _assert_built(synthetic_book)
    executed = re.findall(r"(\S+\.md): Executed notebook", _plain_log(synthetic_book))
    assert not executed, (f"chapters whose code differs from their stored notebook were executed again: {executed}; "
                          "run `make notebooks`")
    print(f"synthetic build: {synthetic_book.seconds:.0f} s")


def _plain_log(build) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", build.log)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_download_buttons_and_repository_links_only_when_configured(synthetic_book, chapter):
    """Download .ipynb (the executed notebook) and .md (the source) always; Binder and repository
    links exactly when ``repository.url`` is set in ``_config.yml`` (empty by default: no page
    links to a repository that does not exist)."""
    _assert_built(synthetic_book)
    page = synthetic_book.html / f"{chapter}.html"
    name = Path(chapter).name

    ipynb = _anchors(page, "btn-download-notebook-button")
    assert len(ipynb) == 1 and ipynb[0]["href"].endswith(f"{name}.ipynb"), ipynb
    nb = json.loads((page.parent / ipynb[0]["href"]).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{chapter}: the downloadable notebook has no code cell"
    # The test build serves outputs from the cache of stored notebooks, and its downloadable
    # notebook has the chapter's code without outputs; that make book's (executed) download holds
    # the outputs is checked on the probe build below, which executes as make book does.
    stored = json.loads((ROOT / "book" / "notebooks" / f"{name}.ipynb").read_text())
    source = lambda c: "".join(c["source"]).strip()  # noqa: E731
    assert [source(c) for c in code] == [source(c) for c in stored["cells"] if c["cell_type"] == "code"], chapter

    md = _anchors(page, "btn-download-source-button")
    assert len(md) == 1 and md[0]["href"].endswith(f"{name}.md"), md
    assert (page.parent / md[0]["href"]).read_bytes() == (ROOT / "book" / f"{chapter}.md").read_bytes()

    cfg = _config()
    repo, launch = cfg["repository"], cfg["launch_buttons"]
    binder = [a["href"] for a in _anchors(page, "dropdown-item") if a["href"].startswith(launch["binderhub_url"])]
    source = [a["href"] for a in _anchors(page, "btn-source-repository-button")]
    if not repo.get("url"):
        assert binder == [] and source == [], (binder, source)
        hrefs = [a.get("href", "") for a in _anchors(page, "")] + _local_refs(page, external=True)
        assert not [h for h in hrefs if "github.com" in h or "mybinder" in h], chapter
        return
    owner_repo = re.sub(r"^https://github\.com/", "", repo["url"]).rstrip("/")
    expected = (f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_repo}/{repo['branch']}"
                f"?urlpath=lab/tree/{repo['path_to_book']}/{chapter}.md")
    assert binder == [expected]
    assert source == [repo["url"]]


def _book_fixes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("book_fixes", ROOT / "book" / "_ext" / "book_fixes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("url", ["", "https://github.com/example/book"])
def test_repository_buttons_follow_the_one_url(url):
    """``repository.url`` alone turns the repository and launch buttons on (set) or off (empty)."""
    fixes = _book_fixes()
    launch = {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"}
    opts = fixes.repository_buttons({"repository_url": url, "launch_buttons": launch, "use_repository_button": True})
    assert opts["use_repository_button"] is bool(url)
    assert opts["launch_buttons"] == (launch if url else {})
    if not url:
        assert not any(opts[k] for k in fixes.REPOSITORY_BUTTONS)
    footer = fixes.footer_html("Title", {"authors": "Shi M, Li Y", "year": 2021, "title": "Paper",
                                         "venue": "Preprint", "doi": "10.1/x", "license": "CC BY 4.0"},
                               True, "cohort", "data.html", url)
    assert "Title" in footer and "synthetic cohort" in footer and "CC BY 4.0" in footer
    assert (url in footer) if url else "github" not in footer


def test_png_palette_only_where_invisible(tmp_path):
    """A line figure is stored with a palette (smaller, same pixels size and dpi); a picture of
    thousands of colours (a gradient with noise) is left alone."""
    import numpy as np
    from PIL import Image

    fixes = _book_fixes()
    rng = np.random.default_rng(13)
    lines = np.full((300, 400, 3), 255, dtype=np.uint8)
    for k, colour in enumerate([(0, 114, 178), (230, 159, 0)]):
        y = np.clip(150 + np.cumsum(rng.normal(0, 2, 400)).astype(int) + 40 * k, 2, 297)
        for dy, shade in ((-1, 0.5), (0, 1.0), (1, 0.5)):  # an antialiased line
            lines[y + dy, np.arange(400)] = (255 - shade * (255 - np.array(colour))).astype(np.uint8)
    gx, gy = np.meshgrid(np.arange(400) * 255 // 399, np.arange(300) * 255 // 299)
    gradient = np.dstack([gx, gy, rng.integers(0, 256, (300, 400))]).astype(np.uint8)
    for name, pixels, expected in (("lines", lines, True), ("gradient", gradient, False)):
        path = tmp_path / f"{name}.png"
        Image.fromarray(pixels).save(path, dpi=(200, 200))
        before = path.stat().st_size
        assert fixes.compress_png(path) is expected, name
        with Image.open(path) as im:
            assert im.size == (400, 300) and round(im.info["dpi"][0]) == 200
            assert (im.mode == "P") is expected and (path.stat().st_size < before) is expected
        assert fixes.compress_png(path) is False, "compressing twice"


def test_footer_names_title_data_and_licence(synthetic_book):
    """Every page's footer: the book's title, the synthetic-data note with a link to the Data
    chapter, the paper with its licence (from the published numbers), no repository when none is set."""
    _assert_built(synthetic_book)
    from analysis.trial.published import load_published

    citation = load_published().citation
    cfg = _config()
    for chapter in CHAPTERS:
        page = synthetic_book.html / f"{chapter}.html"
        footer = re.search(r'<div class="book-footer">(.*?)</div>', page.read_text(), flags=re.S)
        assert footer, f"{chapter}: no book footer"
        text = " ".join(re.sub(r"<[^>]+>", " ", footer.group(1)).split())
        assert cfg["title"] in text and "synthetic cohort" in text and citation["license"] in text, text
        assert ('href="data.html"' in footer.group(1)) is (chapter != "chapters/data"), chapter
        assert bool(cfg["repository"].get("url")) == ("github.com" in footer.group(1)), chapter


def test_one_search_box(synthetic_book):
    """One search field per page (the sidebar's), not also one in the page header."""
    _assert_built(synthetic_book)
    for chapter in CHAPTERS:
        fields = re.findall(r'class="btn search-button-field', (synthetic_book.html / f"{chapter}.html").read_text())
        assert len(fields) == 1, f"{chapter}: {len(fields)} search fields"


#: Largest the site may weigh, the notebook and source downloads (.ipynb, .md) excluded.
SITE_LIMIT = 5 * 1024 * 1024


def test_site_weighs_at_most_5_mb(synthetic_book):
    """The whole site, downloads excluded, under 5 MB (MathJax pruned to what pages load, no source maps)."""
    _assert_built(synthetic_book)
    files = [f for f in synthetic_book.html.rglob("*") if f.is_file() and f.suffix not in (".ipynb", ".md")]
    total = sum(f.stat().st_size for f in files)
    largest = sorted(files, key=lambda f: -f.stat().st_size)[:10]
    assert total <= SITE_LIMIT, (f"the site weighs {total / 2**20:.1f} MB; largest files: "
                                 + ", ".join(f"{f.relative_to(synthetic_book.html)} ({f.stat().st_size // 1024} kB)"
                                             for f in largest))
    assert not list(synthetic_book.html.rglob("*.map")), "source maps in the site"
    naming = [f.name for f in (synthetic_book.html / "_static").rglob("*") if f.suffix in (".js", ".css")
              and b"sourceMappingURL=" in f.read_bytes()[-300:]]
    assert not naming, f"scripts and stylesheets naming a removed source map: {naming}"


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "src") and value:
                self.refs.append(value)


def _local_refs(page: Path, external: bool = False) -> list[str]:
    """The page's ``href``/``src`` values: local ones (``external=False``) or those with a scheme."""
    parser = _Refs()
    parser.feed(page.read_text())
    scheme = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
    return [r for r in parser.refs if bool(scheme.match(r)) == external]


def test_every_local_link_resolves(synthetic_book):
    """Every local ``href``/``src`` of every page, and every ``url()`` of every stylesheet, names a file of the site."""
    _assert_built(synthetic_book)
    html_root = synthetic_book.html.resolve()
    dead = []
    for page in sorted(html_root.rglob("*.html")):
        for ref in _local_refs(page):
            path = unquote(ref.split("#", 1)[0].split("?", 1)[0])
            if not path:
                continue  # a link within the page
            target = (page.parent / path).resolve()
            if not target.is_file() or html_root not in target.parents:
                dead.append(f"{page.relative_to(html_root)} -> {ref}")
    for css in sorted(html_root.rglob("*.css")):
        for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css.read_text(errors="replace")):
            if ref.startswith(("data:", "#", "http:", "https:")):
                continue
            if not (css.parent / unquote(ref.split("#", 1)[0].split("?", 1)[0])).resolve().is_file():
                dead.append(f"{css.relative_to(html_root)} -> {ref}")
    assert not dead, f"{len(dead)} local links to missing files:\n" + "\n".join(sorted(set(dead))[:40])


def _assert_ran(run: bb.ChapterRun) -> None:
    if not run.valid:
        pytest.fail(f"{run.name}: the data did not validate: {run.summary.get('error')}", pytrace=False)
    missing = [c for c in CHAPTERS if Path(c).name not in run.summary["chapters"]]
    problems = run.problems()
    if missing or problems:
        pytest.fail(f"{run.name}: chapters not run {missing}; chapters that failed or wrote to stderr:\n"
                    + "\n".join(f"--- {n}\n{p['error'] or ''}\n{''.join(p['stderr'])[-2000:]}"
                                 for n, p in problems.items()), pytrace=False)


def _prose_keys(chapter: str) -> set[str]:
    from analysis.report.book import _GLUE_ROLE

    return {k for k, _ in _GLUE_ROLE.findall((ROOT / "book" / f"{chapter}.md").read_text())}


@pytest.mark.parametrize("name", ["private_book", "leukemia_book", "reconstructed_book"])
def test_every_chapter_runs_and_glues_every_key(name, request):
    """On data other than the cohort (four shapes: every table; no optional table, unequal arms and
    a sparse second endpoint without early events; survival only, no second-endpoint event; one
    endpoint only, reconstructed from its curves), each chapter runs without error or stderr output,
    and glues every key its prose uses (a missing key is a warning, so an error, in the book build)."""
    run = request.getfixturevalue(name)
    _assert_ran(run)
    for chapter in CHAPTERS:
        missing = _prose_keys(chapter) - run.glued(chapter)
        assert not missing, f"{run.name} / {chapter}: glue keys used in the prose but not glued: {sorted(missing)}"


def test_private_run_shows_no_identifier(private_book):
    """On data marked real, no output of any chapter (text, HTML, figures) shows a patient or screening id."""
    _assert_ran(private_book)
    not_on_copy = [c for c in CHAPTERS if private_book.data.name not in private_book.text(c)]
    assert not not_on_copy, f"chapters without the real-data notice for {private_book.data.name}: {not_on_copy}"
    hits = bb.find_in_tree(private_book.out, bb.ID_PATTERN)
    assert not hits, f"identifiers in the output run on real data: {hits}"
    markers = re.compile(b"|".join(re.escape(m.encode()) for m in bb.MARKERS.values()))
    leaked = bb.find_in_tree(private_book.out, markers)
    assert not leaked, f"single-patient values planted in the data appear in the output: {leaked}"
    paths = bb.find_in_tree(private_book.out, re.compile(re.escape(str(private_book.data)).encode()))
    assert not paths, f"the data folder's path in the output run on real data: {paths}"


@pytest.mark.parametrize("name", ["leukemia_book"])
def test_public_trials_skip_missing_tables_with_a_note(name, request):
    """ACTG 175 and leukemia (patients.csv only): each chapter says what it skipped; no ids shown."""
    run = request.getfixturevalue(name)
    _assert_ran(run)
    trial = load_trial(run.data)
    assert not trial.synthetic and trial.notes, "a public trial should be real and lack optional tables"
    name = trial.meta["name"]
    for chapter in CHAPTERS:
        text = " ".join(run.text(chapter).split())
        assert name in text, f"{chapter}: no data notice naming {name!r}"
        missing = [n for n in trial.notes if " ".join(n.split()) not in text]
        assert not missing, f"{chapter}: skipped parts not announced: {missing}"
    # Bounded by characters outside the base64 alphabet: a short id such as "L39" occurs by chance inside
    # an embedded PNG's base64 text, which shows no identifier.
    ids = re.compile(rb"(?<![A-Za-z0-9+/])(?:" + b"|".join(re.escape(i.encode()) for i in trial.patients["patient_id"])
                     + rb")(?![A-Za-z0-9+/=])")
    hits = bb.find_in_tree(run.out, ids)
    assert not hits, f"patient ids of {trial.meta['name']} in the output: {hits}"


def test_one_endpoint_dataset_says_what_it_lacks(reconstructed_book):
    """HCC-free survival only (``python -m analysis reconstruct``): every page announces the missing
    overall-survival columns; the pages with overall-survival tables and figures replace them by notes."""
    from analysis.report.chapters._endpoints import absent_message

    run = reconstructed_book
    _assert_ran(run)
    trial = load_trial(run.data)
    assert trial.meta["reconstructed"] and not trial.has_outcome("os_months") and trial.has_outcome("hcc_months")
    skipped = next(n for n in trial.notes if "os_months" in n)
    for chapter in CHAPTERS:
        assert " ".join(skipped.split()) in " ".join(run.text(chapter).split()), f"{chapter}: no note {skipped!r}"
    for chapter in ("chapters/survival", "chapters/landmark", "chapters/evidence"):
        assert "This dataset has no overall-survival" in run.text(chapter), chapter
    for chapter in ("chapters/survival", "chapters/landmark"):
        assert absent_message("os") in run.text(chapter), chapter


def test_analyses_not_defined_on_the_data_say_so(leukemia_book):
    """No second-endpoint event and follow-up shorter than the landmarks: notes, not errors."""
    _assert_ran(leukemia_book)
    for chapter in ("chapters/survival", "chapters/landmark"):
        assert "On these data: no hazard ratio" in leukemia_book.text(chapter), chapter


def test_build_on_invalid_real_data_stops_before_any_chapter(tmp_path):
    """A duplicate id in real data: the build fails at once; no output carries the id or the path."""
    data = tmp_path / "real-data"
    bb.make_private_copy(default_data_dir(), data)
    lines = (data / "patients.csv").read_text().splitlines()
    second = lines[2].split(",")
    second[0] = lines[1].split(",")[0]  # line 3 repeats line 2's id
    lines[2] = ",".join(second)
    (data / "patients.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    env = dict(__import__("os").environ, **{TRIAL_DATA_ENV: str(data)})
    proc = subprocess.run(bb.build_command(ROOT / "book", out, jobs=2), cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "patients.csv, column 'patient_id', lines 2, 3: violates rule: patient_id must be unique" in log
    assert bb.private_id(bb.PATIENT_PREFIX, 1) not in log and str(data) not in log
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert not written, f"files written by a build on invalid data: {written}"
    summary = __import__("analysis.build.notebooks", fromlist=["run_chapters"]).run_chapters(data, tmp_path / "runs")
    assert summary["valid"] is False and summary["chapters"] == {}
    assert not bb.find_in_tree(tmp_path / "runs", bb.ID_PATTERN)


# --- staleness --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def probe_builds():
    """A one-page book built, then code and data changed, then rebuilt (``bookbuild.run_probe``,
    started in the background when the session was collected)."""
    return bb.get_probe().result()


def test_probe_build_runs_on_the_copies(probe_builds):
    """The first build imported the temporary package and read the temporary data."""
    first, ages = probe_builds["first"], probe_builds["ages"]
    assert f"ANALYSIS-FROM {probe_builds['src'] / 'analysis' / '__init__.py'}" in first
    assert "STALENESS-PROBE-CODE-V2" not in first
    assert f"AGE-SUM {int(ages[0])}" in first
    assert ages[1] == ages[0] + probe_builds["n"]


@pytest.mark.parametrize("rebuild", ["incremental"])
def test_rebuild_never_shows_outputs_from_older_code_or_data(probe_builds, rebuild):
    """After a change to a function of ``analysis`` and to the data, the rebuilt page shows both."""
    after = probe_builds[rebuild]
    assert "STALENESS-PROBE-CODE-V2" in after, "the rebuilt page shows output of the old code"
    assert f"AGE-SUM {int(probe_builds['ages'][1])}" in after, "the rebuilt page shows output of the old data"
