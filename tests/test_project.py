"""Project invariants: pinned environments agree, chapter pairs are in sync, the toc is complete."""

from __future__ import annotations

from pathlib import Path

import re
import tomllib

import pytest
import yaml

from analysis.build.notebooks import chapter_pairs, pair_differences

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return dict(d.split("==") for d in deps)


def test_every_dependency_is_pinned_exactly():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", d) for d in deps), deps


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = dict(p.split("==") for p in pip if "==" in p)
    assert pins == _pyproject_pins()
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])


def test_constraints_pin_the_same_versions():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    cons = {l.split("==")[0].lower().replace("_", "-"): l.split("==")[1] for l in lines if "==" in l}
    for name, ver in _pyproject_pins().items():
        assert cons[name.lower().replace("_", "-")] == ver, name


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]


def test_every_chapter_is_in_the_toc_and_paired():
    listed = {f.split("/")[-1] for f in _toc_files()}
    mds = {md.stem for md, _ in chapter_pairs()}
    assert mds == listed, f"in chapters/ but not in _toc.yml: {mds - listed}; in _toc.yml without a file: {listed - mds}"


@pytest.mark.parametrize("md,nb", chapter_pairs(), ids=lambda p: p.stem)
def test_markdown_and_notebook_in_sync(md, nb):
    assert pair_differences(md, nb) == []


def test_sync_check_detects_drift(tmp_path):
    md, nb = chapter_pairs()[0]
    changed = tmp_path / md.name
    changed.write_text(md.read_text() + "\n```{code-cell} ipython3\n1 + 1\n```\n")
    assert pair_differences(changed, nb)


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", text, flags=re.S)
    assert blocks and blocks[0].split() == ["make", "book", "make", "test"]


def test_ci_calls_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_public_api_is_reexported():
    import analysis

    assert len(analysis.__all__) == len(set(analysis.__all__))
    for name in analysis.__all__:
        assert hasattr(analysis, name), name


def test_lazy_export_table_matches_every_module():
    """``analysis._EXPORTS`` (what ``import analysis`` re-exports lazily) is each module's ``__all__``."""
    import importlib

    import analysis

    modules = sorted(f"{p.parent.name}.{p.stem}" for layer in ("toolkit", "trial", "report")
                     for p in (ROOT / "src" / "analysis" / layer).glob("*.py") if not p.stem.startswith("_"))
    assert sorted(analysis._EXPORTS) == modules
    for name, names in analysis._EXPORTS.items():
        assert tuple(importlib.import_module(f"analysis.{name}").__all__) == names, name
    assert len(set(analysis.__all__)) == len(analysis.__all__), "a public name is defined in two modules"


#: The layers, lowest first: a module may import its own layer and the layers before it.
LAYERS = ("toolkit", "trial", "report", "build")


def _package_imports(path: Path) -> set[str]:
    """The ``analysis`` modules a source file imports, anywhere in it, as dotted names."""
    import ast

    rel = path.relative_to(ROOT / "src").with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("analysis"):
                names = [a.name for a in node.names]
                out.update(f"{mod}.{n}" if (ROOT / "src" / Path(*mod.split("."), n)).exists()
                           or (ROOT / "src" / Path(*mod.split("."), f"{n}.py")).exists() else mod for n in names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("analysis"))
    return out


def test_layers_import_only_downward_and_have_no_cycles():
    """toolkit < trial < report < build: no module imports a later layer, and modules form no cycle."""
    graph = {}
    for path in (ROOT / "src" / "analysis").rglob("*.py"):
        rel = path.relative_to(ROOT / "src").with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        graph[name] = {m for m in _package_imports(path) if m != name}
    bad = []
    for mod, deps in graph.items():
        parts = mod.split(".")
        if len(parts) < 2 or parts[1] not in LAYERS:
            continue
        mine = LAYERS.index(parts[1])
        for d in deps:
            dp = d.split(".")
            if len(dp) > 1 and dp[1] in LAYERS and LAYERS.index(dp[1]) > mine:
                bad.append(f"{mod} imports {d}")
    assert not bad, "upward imports: " + "; ".join(sorted(bad))
    toolkit_sources = (ROOT / "src" / "analysis" / "toolkit").glob("*.py")
    for path in toolkit_sources:  # the toolkit neither draws nor formats for display
        text = path.read_text()
        assert "matplotlib" not in text and "great_tables" not in text, path.name
    # cycles, by depth-first search over modules of the package
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if d not in graph or d in ("analysis",) or d.count(".") < 1 and d == "analysis":
                continue
            if d.endswith("__init__") or d in {"analysis", "analysis.toolkit", "analysis.trial", "analysis.report", "analysis.build"}:
                continue
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack + [m, d]))
            if d not in state:
                visit(d, stack + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_import_analysis_loads_no_scientific_library():
    """``import analysis`` is cheap: numpy, pandas, scipy, matplotlib, lifelines, pandera load on first use."""
    import subprocess
    import sys

    code = ("import sys, analysis; heavy = ('numpy', 'pandas', 'scipy', 'matplotlib', 'lifelines', 'pandera',"
            " 'great_tables', 'statsmodels', 'yaml'); print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import analysis; f = analysis.cox_hr; import sys; print('scipy.stats' in sys.modules, f.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "analysis.toolkit.survival"]


def _distinctive_published_values() -> set[str]:
    """Printed values of the paper that are unlikely to occur by chance (HRs, CI limits, p values, odd means)."""
    from analysis import load_published

    pub = load_published()
    out = set()
    for h in pub.hazard_ratios.values():
        out |= {f"{h.hr:.2f}", f"{h.ci_low:.2f}", f"{h.ci_high:.2f}", f"{h.p:.3f}"}
    for r in pub.table1:
        if r.kind == "mean_sd":
            for arm in ("control", "ucmsc"):
                sd = r.arm(arm)["sd"]
                if sd >= 20 and sd != int(sd):
                    out.add(f"{sd:g}")
    inc = pub.hcc_incidence
    out |= {f"{inc[a]['events']}/{inc[a]['n']}" for a in ("control", "ucmsc")}
    # too common to be evidence of retyping
    return {v for v in out if v not in {"1.00", "0.005", "0.97", "1.01", "0.91", "0.40"}}


def _prose(md: str) -> str:
    """Chapter text outside code cells and front matter."""
    out, fence = [], False
    for line in md.split("\n"):
        s = line.strip()
        if s.startswith("```{code-cell"):
            fence = True
        elif fence and s == "```":
            fence = False
        elif not fence:
            out.append(re.sub(r"\{glue:[a-z]+\}`[^`]*`", "", line))
    return "\n".join(out)


def test_published_numbers_are_not_retyped():
    """Standard: no published number is typed anywhere except data/published/ (read via load_published)."""
    values = _distinctive_published_values()
    assert len(values) > 20
    pattern = re.compile(r"(?<![\d.])(" + "|".join(re.escape(v) for v in sorted(values)) + r")(?![\d])")
    hits = []
    files = sorted((ROOT / "src" / "analysis").glob("*.py")) + sorted((ROOT / "tests").glob("*.py"))
    for f in files:
        if f.name == "test_project.py":
            continue
        for i, line in enumerate(f.read_text().splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    for md in sorted((ROOT / "book" / "chapters").glob("*.md")):
        for i, line in enumerate(_prose(md.read_text()).splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{md.relative_to(ROOT)} (prose): {line.strip()[:100]}")
    assert not hits, "published numbers retyped:\n" + "\n".join(hits)


@pytest.mark.parametrize("p,text", [(0.0123, "= 0.012"), (0.0004, "< 0.001"), (0.001, "= 0.001"), (float("nan"), "= n/a")])
def test_p_text(p, text):
    from analysis.report.book import p_text

    assert p_text(p) == text


@pytest.mark.slow
def test_package_runs_outside_a_checkout(tmp_path):
    """Installed without the project (only the package's files, as a wheel holds them) and run from an
    unrelated folder: ``validate DIR`` works; ``ledger`` without published numbers says how to give
    them; with ``--published`` it works. Data paths are arguments or configuration, never found from
    the package's location."""
    import os
    import shutil
    import subprocess
    import sys

    from setuptools import find_packages

    packages = set(find_packages(str(ROOT / "src")))
    assert {"analysis", "analysis.toolkit", "analysis.trial", "analysis.report", "analysis.report.chapters",
            "analysis.build"} <= packages
    site = tmp_path / "site"
    shutil.copytree(ROOT / "src" / "analysis", site / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAL_")}
    env["PYTHONPATH"] = str(site)

    def run(*args):
        return subprocess.run([sys.executable, *args], cwd=elsewhere, env=env, capture_output=True, text=True,
                              timeout=120)

    where = run("-c", "import analysis; print(analysis.__file__)")
    assert where.stdout.strip() == str(site / "analysis" / "__init__.py"), where.stderr
    ok = run("-m", "analysis", "validate", str(ROOT / "tests" / "datasets" / "leukemia"))
    assert ok.returncode == 0, ok.stderr
    small = str(ROOT / "tests" / "datasets" / "leukemia")
    no_pub = run("-m", "analysis", "ledger", "--data", small, "--out", "l.json")
    assert no_pub.returncode == 1 and "TRIAL_PROJECT" in no_pub.stderr and "Traceback" not in no_pub.stderr
    assert not (elsewhere / "l.json").exists()
    led = run("-m", "analysis", "ledger", "--data", small, "--out", "l.json",
              "--published", str(ROOT / "data" / "published" / "shi2021.yaml"))
    assert led.returncode == 0, led.stderr
    assert (elsewhere / "l.json").exists()
    source = "".join(p.read_text() for p in (site / "analysis").rglob("*.py"))
    assert "__file__" not in source.replace("analysis.__file__", ""), "a module locates data from its own file"


def test_every_code_cell_follows_the_visibility_rule():
    """One rule for code on the pages: a cell whose only output is the data notice or glued values
    hides its code entirely (``remove-input``); a cell that shows a table or figure keeps its code
    one click away (``hide-input``); ``remove-cell`` only for cells with no output at all."""
    import re

    allowed = {"remove-input", "hide-input", "remove-cell"}
    bad = []
    for md in sorted((ROOT / "book" / "chapters").glob("*.md")):
        text = md.read_text(encoding="utf-8")
        for m in re.finditer(r"^```\{code-cell\}[^\n]*\n(:tags: \[([^\]]*)\]\n)?(.*?)^```", text, re.S | re.M):
            tags = {t.strip() for t in (m.group(2) or "").split(",") if t.strip()}
            code = m.group(3)
            if not tags & allowed:
                bad.append(f"{md.name}: a code cell without a visibility tag")
            elif "remove-input" in tags and "hide-output" not in tags and re.search(r"^(show|display|HTML)\(", code, re.M):
                bad.append(f"{md.name}: a cell that shows a table hides its code entirely")
    assert not bad, bad
