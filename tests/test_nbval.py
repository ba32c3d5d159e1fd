"""nbval compares what a reader sees, and still catches a real change (issue 10).

A copy of a stored chapter notebook is edited in three places and checked with nbval as
``make test`` checks it: a glued number changed at its displayed precision and a table cell
changed must fail; a glued figure whose PNG bytes differ (as they do between machines) must pass.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.report.book import displayed, glue_formats

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "survival"


def _cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_stored_glued_numbers_are_at_their_displayed_precision():
    """Every glued float in every stored notebook equals itself rounded to its prose format."""
    formats = glue_formats(ROOT / "book" / "chapters")
    for nb_path in sorted((ROOT / "book" / "notebooks").glob("*.ipynb")):
        for cell in _cells(json.loads(nb_path.read_text())):
            for out in cell["outputs"]:
                name = out.get("metadata", {}).get("scrapbook", {}).get("name")
                text = out.get("data", {}).get("application/papermill.record/text/plain")
                if name is None or text is None:
                    continue
                try:
                    value = float(text)
                except ValueError:
                    continue
                if "." in text or "e" in text:
                    assert value == displayed(value, formats.get(name)), (nb_path.name, name, text)


def test_nbval_fails_on_a_changed_number_or_table_and_ignores_figure_bytes(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "*.ipynb"))
    src = ROOT / "book" / "notebooks" / f"{CHAPTER}.ipynb"
    nb = json.loads(src.read_text())
    code = _cells(nb)
    formats = glue_formats(ROOT / "book" / "chapters")

    # (a) a glued number moved by one unit of its displayed precision
    num_cell = num_name = None
    for i, cell in enumerate(code):
        for out in cell["outputs"]:
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            text = out.get("data", {}).get("application/papermill.record/text/plain", "")
            m = re.fullmatch(r"\.(\d)f", formats.get(name) or "")
            if name and m and re.fullmatch(r"-?\d+\.\d+", text) and num_cell is None:
                step = 10 ** -int(m.group(1))
                out["data"]["application/papermill.record/text/plain"] = repr(round(float(text) + step, 6))
                num_cell, num_name = i, name
    # (b) one table cell changed
    table_cell = next(i for i, c in enumerate(code) if any("text/html" in o.get("data", {}) for o in c["outputs"])
                      and i != num_cell)
    out = next(o for o in code[table_cell]["outputs"] if "text/html" in o.get("data", {}))
    html = "".join(out["data"]["text/html"])
    cell_text = re.search(r"<td[^>]*>([^<]*\d[^<]*)</td>", html)
    out["data"]["text/html"] = html.replace(cell_text.group(0), cell_text.group(0).replace(
        cell_text.group(1), cell_text.group(1) + "9"), 1)
    # (c) a glued figure with other PNG bytes
    fig_cell = next(i for i, c in enumerate(code) if i not in (num_cell, table_cell) and any(
        "application/papermill.record/image/png" in o.get("data", {}) for o in c["outputs"]))
    for o in code[fig_cell]["outputs"]:
        if "application/papermill.record/image/png" in o.get("data", {}):
            png = base64.b64decode(o["data"]["application/papermill.record/image/png"])
            o["data"]["application/papermill.record/image/png"] = base64.b64encode(png[:-12] + b"\x00" * 12).decode()
    assert num_cell is not None, "no glued number with an .Nf format found"
    (book / "notebooks" / src.name).write_text(json.dumps(nb))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's options: only nbval

    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "-rf", "-c", str(tmp_path / "pytest.ini"), "--nbval",
                           "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "book" / "sanitize.cfg"),
                           str(book / "notebooks" / src.name)], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "TRIAL_PROJECT": str(ROOT)},
                          timeout=300)
    failed = sorted(int(m) for m in re.findall(rf"FAILED \S*{CHAPTER}\.ipynb::Cell (\d+)", proc.stdout))
    # nbval numbers code cells from 0, as ``code`` does
    assert failed == sorted([num_cell, table_cell]), (num_name, proc.stdout[-3000:] + proc.stderr[-2000:])
