"""load_trial: the schema is enforced with errors naming file, column, line and rule."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import TrialDataError, load_trial
from analysis.data import data_dictionary
from analysis.paths import repo_root


def _edit(folder: Path, name: str, fn) -> None:
    f = folder / f"{name}.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(f, index=False)


def _set(col, row, value):
    def fn(df):
        df.loc[row, col] = value
    return fn


def _rename(old, new):
    def fn(df):
        df.rename(columns={old: new}, inplace=True)
    return fn


def _drop(col):
    def fn(df):
        df.drop(columns=[col], inplace=True)
    return fn


# (case, table, mutation, expected file, column, line, rule fragment)
CASES = [
    ("missing column", "patients", _drop("arm"), "patients.csv", "arm", None, "required column is missing"),
    ("misspelled column", "patients", _rename("os_months", "os_month"), "patients.csv", "os_months", None, "required column is missing"),
    ("duplicate id", "patients", _set("patient_id", 5, "P001"), "patients.csv", "patient_id", "line", "unique"),
    ("unknown arm", "patients", _set("arm", 3, "placebo"), "patients.csv", "arm", "line 5", "one of control, ucmsc"),
    ("unknown category", "patients", _set("child_pugh", 7, "D"), "patients.csv", "child_pugh", "line 9", "one of A, B, C"),
    ("negative time", "patients", _set("os_months", 0, "-3"), "patients.csv", "os_months", "line 2", "> 0"),
    ("zero time", "patients", _set("hcc_months", 0, "0"), "patients.csv", "hcc_months", "line 2", "> 0"),
    ("event not 0/1", "patients", _set("death", 0, "2"), "patients.csv", "death", "line 2", "one of 0, 1"),
    ("non-numeric", "patients", _set("alb", 10, "high"), "patients.csv", "alb", "line 12", "numeric"),
    ("bad date", "patients", _set("randomized_on", 2, "15/10/2010"), "patients.csv", "randomized_on", "line 4", "ISO date"),
    ("NaN where required", "patients", _set("sex", 4, ""), "patients.csv", "sex", "line 6", "value required"),
    ("outcome missing for analysed", "patients", _set("os_months", 0, ""), "patients.csv", "os_months", "line 2", "outcome required"),
    ("single arm", "patients", _set("arm", slice(None), "control"), "patients.csv", "arm", None, "both arms"),
    ("lab for unknown patient", "labs", _set("patient_id", 0, "X999"), "labs.csv", "patient_id", "line 2", "must exist in patients.csv"),
    ("unknown analyte", "labs", _set("analyte", 1, "ggt"), "labs.csv", "analyte", "line 3", "one of alb, pta, che, tbil"),
    ("AE for unknown patient", "adverse_events", _set("patient_id", 0, "X1"), "adverse_events.csv", "patient_id", "line 2", "must exist"),
    ("AE resolves before onset", "adverse_events", _set("resolution_day", 0, "-1"), "adverse_events.csv", "resolution_day", "line 2", ">= 0"),
    ("screening unknown outcome", "screening", _set("outcome", 0, "maybe"), "screening.csv", "outcome", "line 2", "one of randomized"),
]


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.mark.parametrize("case,table,mutate,file,column,line,rule", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named(trial_dir, case, table, mutate, file, column, line, rule):
    _edit(trial_dir, table, mutate)
    before = _snapshot(trial_dir)
    with pytest.raises(TrialDataError) as err:
        load_trial(trial_dir)
    msg = str(err.value)
    assert file in msg
    assert f"column '{column}'" in msg
    if line:
        assert line in msg
    assert rule in msg
    assert _snapshot(trial_dir) == before  # nothing written, nothing modified


def test_empty_file(trial_dir):
    (trial_dir / "labs.csv").write_text("")
    with pytest.raises(TrialDataError, match=r"labs\.csv.*must not be empty"):
        load_trial(trial_dir)


def test_header_only_file(trial_dir):
    (trial_dir / "adverse_events.csv").write_text("patient_id,term,onset_day,resolution_day,serious,severity\n")
    with pytest.raises(TrialDataError, match=r"adverse_events\.csv.*at least one data row"):
        load_trial(trial_dir)


def test_non_csv_file(trial_dir):
    os.rename(trial_dir / "labs.csv", trial_dir / "labs.xlsx")
    with pytest.raises(TrialDataError, match=r"labs\.xlsx.*CSV"):
        load_trial(trial_dir)


def test_binary_file(trial_dir):
    (trial_dir / "patients.csv").write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(TrialDataError, match=r"patients\.csv.*text CSV"):
        load_trial(trial_dir)


def test_missing_patients_file(trial_dir):
    (trial_dir / "patients.csv").unlink()
    with pytest.raises(TrialDataError, match=r"patients\.csv.*required file is missing"):
        load_trial(trial_dir)


def test_not_a_folder(tmp_path):
    with pytest.raises(TrialDataError, match="folder"):
        load_trial(tmp_path / "nope")


def test_optional_tables_and_columns_may_be_absent(trial_dir):
    for name in ("labs", "adverse_events", "screening"):
        (trial_dir / f"{name}.csv").unlink()
    _edit(trial_dir, "patients", _drop("che"))
    t = load_trial(trial_dir)
    assert t.labs is None and t.adverse_events is None and t.screening is None
    assert "che" not in t.baseline_continuous
    assert any("labs.csv is absent" in n for n in t.notes)
    assert any("no che column" in n for n in t.notes)


def test_synthetic_flag(trial, trial_dir):
    assert trial.synthetic
    (trial_dir / "dataset.yaml").unlink()
    assert not load_trial(trial_dir).synthetic


def test_extra_columns_allowed(trial_dir):
    _edit(trial_dir, "patients", lambda df: df.insert(3, "site", "Beijing"))
    assert "site" in load_trial(trial_dir).patients.columns


def test_analyzed_population(trial, published):
    an = trial.analyzed
    assert (an["disposition"] == "analyzed").all()
    assert an["arm"].value_counts().to_dict() == dict(published.consort["analyzed"])


def test_data_readme_documents_every_column():
    readme = (repo_root() / "data" / "README.md").read_text()
    for _, r in data_dictionary().iterrows():
        assert re.search(rf"\| `{re.escape(r.column)}` \|", readme), r.column
