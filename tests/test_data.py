"""load_trial: the schema is enforced with errors naming file, column, line and rule."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import TrialDataError, load_trial
from analysis.trial.data import data_dictionary

ROOT = Path(__file__).resolve().parents[1]


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
    ("NaN where required", "patients", _set("disposition", 4, ""), "patients.csv", "disposition", "line 6", "value required"),
    ("outcome missing for analysed", "patients", _set(["disposition", "os_months"], 0, ["analyzed", ""]), "patients.csv",
     "os_months", "line 2", "outcome required"),
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
    """Every column of the schema is on the page, with the same "required" and "empty allowed"."""
    readme = (ROOT / "data" / "README.md").read_text()
    yes = {True: "yes", False: "no"}
    for _, r in data_dictionary().iterrows():
        row = rf"\| `{re.escape(r.column)}` \| {yes[bool(r.required)]} \| {yes[bool(r.empty_allowed)]} \|"
        assert re.search(row, readme), f"{r.file} {r.column}: required={r.required}, empty={r.empty_allowed}"


# --- issue 11: edges that were accepted or crashed ------------------------------------------

def _raw(folder: Path, name: str, fn) -> None:
    """Edit a CSV file as text (what a spreadsheet or an editor might leave)."""
    f = folder / f"{name}.csv"
    f.write_text(fn(f.read_text()))


def _line(text: str, i: int, fn) -> str:
    lines = text.splitlines()
    lines[i] = fn(lines[i])
    return "\n".join(lines) + "\n"


def _field(col: str, value: str, line: int = 2):
    """Set one field of one CSV line (1-based; header = line 1) by text substitution."""
    def fn(text):
        header = text.splitlines()[0].split(",")
        k = header.index(col)
        def sub(l):
            f = l.split(",")
            f[k] = value
            return ",".join(f)
        return _line(text, line - 1, sub)
    return fn


# (case, table, text edit, column or None, line fragment or None, rule fragment)
EDGE_CASES = [
    ("duplicated column name", "patients", lambda t: _line(t, 0, lambda h: h.replace("age", "arm", 1)),
     "arm", "line 1", "column names must be unique"),
    ("inf time", "patients", _field("os_months", "inf"), "os_months", "line 2", "finite number"),
    ("Infinity lab", "labs", _field("value", "Infinity", 3), "value", "line 3", "finite number"),
    ("-inf age", "patients", _field("age", "-inf"), "age", "line 2", "finite number"),
    ("unpadded date", "patients", _field("randomized_on", "2010-1-5"), "randomized_on", "line 2", "ISO date"),
    ("future date", "patients", _field("randomized_on", "2099-01-01"), "randomized_on", "line 2", "not be in the future"),
    ("semicolons", "patients", lambda t: t.replace(",", ";"), None, "line 1", "separated by commas"),
    ("ragged row", "patients", lambda t: _line(t, 3, lambda l: l + ",extra"), None, "line 4", "as many fields"),
]


@pytest.mark.parametrize("case,table,edit,column,line,rule", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_input_is_named(trial_dir, case, table, edit, column, line, rule):
    _raw(trial_dir, table, edit)
    with pytest.raises(TrialDataError) as err:
        load_trial(trial_dir)
    msg = str(err.value)
    assert f"{table}.csv" in msg and rule in msg, msg
    if column:
        assert f"column '{column}'" in msg, msg
    if line:
        assert line in msg, msg


def test_duplicate_column_names_both_positions(trial_dir):
    _raw(trial_dir, "patients", lambda t: _line(t, 0, lambda h: h.replace("age", "arm", 1)))
    with pytest.raises(TrialDataError, match=r"'arm' is column 2 and column 5"):
        load_trial(trial_dir)


def test_ids_equal_after_unicode_normalisation_are_duplicates(trial_dir):
    """'é' as one code point (NFC) and as 'e' + combining accent (NFD) is the same visible id."""
    nfc, nfd = "P\u00e9-1", "Pe\u0301-1"
    def edit(text):
        lines = text.splitlines()
        for i, new in ((1, nfc), (2, nfd)):
            old = lines[i].split(",")[0]
            for name in ("labs", "adverse_events", "screening"):
                f = trial_dir / f"{name}.csv"
                f.write_text(re.sub(rf"\b{old}\b", new, f.read_text()))
            lines[i] = new + lines[i][len(old):]
        return "\n".join(lines) + "\n"
    _raw(trial_dir, "patients", edit)
    with pytest.raises(TrialDataError, match=r"patient_id.*lines 2, 3.*must be unique"):
        load_trial(trial_dir)


def test_outcome_of_patient_not_analysed_must_be_empty(trial_dir):
    df = pd.read_csv(trial_dir / "patients.csv", dtype=str, keep_default_na=False)
    i = int(df.index[df["disposition"] == "withdrew"][0])
    _raw(trial_dir, "patients", _field("death", "1", line=i + 2))
    with pytest.raises(TrialDataError, match=rf"column 'death', line {i + 2}: violates rule: outcome must be empty"):
        load_trial(trial_dir)


def test_line_numbers_count_blank_lines_and_quoted_newlines(trial_dir):
    """A blank line and a quoted field spanning two lines before the bad row: the true line is named."""
    def edit(text):
        lines = text.splitlines()
        header = lines[0].split(",")
        k = header.index("arm")
        f = lines[3].split(",")
        f[k] = "placebo"
        lines[3] = ",".join(f)
        lines.insert(2, "")  # a blank line after line 2
        return "\n".join(lines) + "\n"
    _raw(trial_dir, "patients", edit)
    _raw(trial_dir, "adverse_events", lambda t: _line(t, 1, lambda l: l))
    with pytest.raises(TrialDataError, match=r"column 'arm', line 5:"):
        load_trial(trial_dir)
    # a quoted multi-line term in adverse_events, then a bad severity two rows on
    def ae(text):
        lines = text.splitlines()
        header = lines[0].split(",")
        t, sv = header.index("term"), header.index("severity")
        f = lines[1].split(",")
        f[t] = '"fever\nand chills"'
        lines[1] = ",".join(f)
        g = lines[2].split(",")
        g[sv] = "deadly"
        lines[2] = ",".join(g)
        return "\n".join(lines) + "\n"
    folder = trial_dir.parent / "t2"
    import shutil
    shutil.copytree(ROOT / "data" / "synthetic", folder)
    _raw(folder, "adverse_events", ae)
    with pytest.raises(TrialDataError, match=r"adverse_events.csv, column 'severity', line 4:"):
        load_trial(folder)


@pytest.mark.parametrize("content,rule", [
    ('synthetic: "false"\n', "synthetic must be the YAML boolean true or false"),
    ("synthetic: 'yes'\n", "synthetic must be the YAML boolean true or false"),
    ("synthetic: 1\n", "synthetic must be the YAML boolean true or false"),
    ("- synthetic: true\n", "file must hold a mapping"),
    ("name: [unclosed\n", "file must be well-formed YAML"),
])
def test_dataset_yaml_rules(trial_dir, content, rule):
    (trial_dir / "dataset.yaml").write_text(content)
    with pytest.raises(TrialDataError) as err:
        load_trial(trial_dir)
    assert "dataset.yaml" in str(err.value) and rule in str(err.value)


def test_only_an_unquoted_true_marks_data_synthetic(trial_dir):
    (trial_dir / "dataset.yaml").write_text("synthetic: false\n")
    assert load_trial(trial_dir).synthetic is False
    (trial_dir / "dataset.yaml").write_text("synthetic: true\n")
    assert load_trial(trial_dir).synthetic is True


def test_missing_folder_says_not_found(tmp_path):
    with pytest.raises(TrialDataError, match="not found"):
        load_trial(tmp_path / "nowhere")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_a_rule_not_a_traceback(trial_dir):
    trial_dir.chmod(0)
    try:
        with pytest.raises(TrialDataError, match="must be readable"):
            load_trial(trial_dir)
    finally:
        trial_dir.chmod(0o755)


def test_messages_print_plain_values(trial_dir):
    _raw(trial_dir, "patients", _field("age", "250"))
    with pytest.raises(TrialDataError) as err:
        load_trial(trial_dir)
    assert "found 250" in str(err.value) and "np." not in str(err.value)


@pytest.mark.parametrize("content,code", [('synthetic: "false"\n', 1), ("[1, 2]\n", 1), ("a: [\n", 1)])
def test_validate_command_exits_1_with_a_rule(trial_dir, content, code, capsys):
    from analysis.__main__ import main

    (trial_dir / "dataset.yaml").write_text(content)
    assert main(["validate", str(trial_dir)]) == code
    err = capsys.readouterr().err
    assert "violates rule" in err and "Traceback" not in err


def test_public_message_has_no_path_and_no_value(trial_dir):
    _edit(trial_dir, "patients", _set("patient_id", 5, "P001"))
    with pytest.raises(TrialDataError) as err:
        load_trial(trial_dir)
    assert "P001" in str(err.value) and str(trial_dir) in str(err.value)
    public = err.value.public
    assert "P001" not in public and str(trial_dir) not in public
    assert public.startswith("patients.csv, column 'patient_id', lines 2, 7: violates rule: patient_id must be unique")


def test_survival_only_dataset_is_valid(tmp_path):
    """patients.csv with the identity, arm, disposition and outcome columns only (no dates, age or
    sex; what a reconstruction from published curves gives) is valid, and says what is absent."""
    import shutil

    shutil.copytree(ROOT / "tests" / "datasets" / "leukemia", tmp_path / "l")
    t = load_trial(tmp_path / "l")
    assert set(t.patients.columns) == {"patient_id", "arm", "disposition", "os_months", "death", "hcc_months", "hcc"}
    assert any(n.startswith("patients.csv has no age, sex, tp,") for n in t.notes)


def test_unreadable_folder_under_any_user(trial_dir, monkeypatch):
    """As above, for a user (root, in CI) that the file mode does not stop: the listing fails."""
    real = Path.iterdir

    def iterdir(self):
        if self == trial_dir:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(TrialDataError, match="the folder must be readable.*Permission denied"):
        load_trial(trial_dir)


def test_unreadable_file_is_a_rule(trial_dir, monkeypatch):
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "labs.csv":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(TrialDataError, match=r"labs.csv: violates rule: file must be readable \(Permission denied\)"):
        load_trial(trial_dir)
