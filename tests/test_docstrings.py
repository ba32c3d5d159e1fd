"""numpydoc is complete for every public function and class (numpydoc's own validation).

Checked for each public name of the package (``analysis.__all__``) and each chapter module's
``compute``: a docstring exists (GL08); every parameter is documented (PR01) and no documented
parameter is unknown (PR02); a function that returns a value has a Returns section (RT01). A class
may document its fields under Attributes instead of Parameters (result objects).
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from numpydoc.docscrape import NumpyDocString
from numpydoc.validate import validate

import analysis
from analysis.report.chapters import CHAPTERS

CHECKS = {"GL08", "PR01", "PR02", "RT01"}


def _targets() -> list[str]:
    names = []
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            names.append(f"{obj.__module__}.{obj.__qualname__}")
    for ch in CHAPTERS:
        names.append(f"analysis.report.chapters.{ch}.compute")
    return sorted(set(names))


def _problems(path: str) -> list[str]:
    module, _, qual = path.rpartition(".")
    obj = getattr(importlib.import_module(module), qual)
    errors = [(c, m) for c, m in validate(path)["errors"] if c in CHECKS]
    if inspect.isclass(obj):
        doc = NumpyDocString(inspect.getdoc(obj) or "")
        errors = [(c, m) for c, m in errors if c != "RT01" and not (c in ("PR01", "PR02") and doc["Attributes"])]
    else:
        ret = inspect.signature(obj).return_annotation
        if ret in (None, "None"):
            errors = [(c, m) for c, m in errors if c != "RT01"]
    return [f"{c}: {m}" for c, m in errors]


def test_every_public_function_has_complete_numpydoc():
    bad = {t: p for t in _targets() if (p := _problems(t))}
    assert not bad, f"{len(bad)} objects with incomplete numpydoc:\n" + "\n".join(
        f"{t}: {'; '.join(p)}" for t, p in sorted(bad.items()))


def test_the_check_catches_a_missing_parameter(tmp_path, monkeypatch):
    """The validation is not vacuous: an undocumented parameter and a missing Returns are reported."""
    mod = tmp_path / "npd_probe.py"
    mod.write_text('def f(a, b):\n    """Add.\n\n    Parameters\n    ----------\n    a : int\n        One.\n    """\n'
                   '    return a + b\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    problems = _problems("npd_probe.f")
    assert any(p.startswith("PR01") for p in problems) and any(p.startswith("RT01") for p in problems)


@pytest.mark.parametrize("name", ["cox_hr", "kaplan_meier", "sample_size_survival"])
def test_core_estimators_name_their_r_equivalent(name):
    """The estimators checked against R say which R function they match."""
    doc = inspect.getdoc(getattr(analysis, name)) or ""
    assert " R" in doc or "R's" in doc or "survival::" in doc or "rpact" in doc, name
