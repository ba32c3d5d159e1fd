"""Reconstruction of patient data from digitised Kaplan-Meier curves (``analysis.toolkit.reconstruct``).

Round trips on public trials whose patient data ship with the repository or with lifelines
0.30.3 (pinned): each arm's Kaplan-Meier curve is clicked as a person would (the corners of the
visible steps, a point on long flat stretches, the end; noise of 0.15 months and 0.004 in
survival; shuffled; seeded), numbers at risk are counted at 12-month intervals (3 months for
Rossi's one-year follow-up), the data are reconstructed and compared with the originals.

Bounds with the numbers at risk (the issue's acceptance rule): log hazard ratio within 0.10,
RMST per arm within 3%, largest |difference in S(t)| at the at-risk times within 0.03 (where at
least 20 patients are at risk), medians within 5% where defined. Guyot et al. (2012) found the
hazard ratio much less accurate without the numbers at risk; the bounds there are looser
(log HR within 0.15 with the total events, 0.35 with neither), the curve's bounds the same.
There is no independent reference implementation to compare with (IPDfromKM is GPL and in R);
the reference is the original data.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.__main__ import main
from analysis.toolkit.reconstruct import (VARIANTS, ReconstructionError, at_risk_table, check_at_risk, clean_curve,
                                          km_step, read_at_risk, read_curve, reconstruct, reconstruct_arm,
                                          round_trip, simulate_clicks)
from analysis.trial.data import load_trial

pytestmark = pytest.mark.heavy

DATASETS = Path(__file__).parent / "datasets"
MONTH_DAYS = 365.25 / 12


def _gbsg_os() -> pd.DataFrame:
    p = pd.read_csv(DATASETS / "gbsg" / "patients.csv")
    return pd.DataFrame({"arm": p["arm"], "time": p["os_months"], "event": p["death"]})


def _gbsg_rfs() -> pd.DataFrame:
    from lifelines.datasets import load_gbsg2

    g = load_gbsg2()  # recurrence-free survival of the same trial; its medians are reached
    return pd.DataFrame({"arm": np.where(g["horTh"] == "yes", "ucmsc", "control"),
                         "time": g["time"] / MONTH_DAYS, "event": g["cens"]})


def _rossi() -> pd.DataFrame:
    from lifelines.datasets import load_rossi

    r = load_rossi()  # randomized experiment of financial aid (fin) on re-arrest, 52 weeks
    return pd.DataFrame({"arm": np.where(r["fin"] == 1, "ucmsc", "control"),
                         "time": r["week"] * 7 / MONTH_DAYS, "event": r["arrest"]})


def _actg() -> pd.DataFrame:
    p = pd.read_csv(DATASETS / "actg175" / "patients.csv")
    return pd.DataFrame({"arm": p["arm"], "time": p["os_months"], "event": p["death"]})


#: name -> (loader, months between at-risk times)
TRIALS = {"gbsg2-os": (_gbsg_os, 12.0), "gbsg2-rfs": (_gbsg_rfs, 12.0), "rossi": (_rossi, 3.0),
          "actg175": (_actg, 12.0)}
#: variant -> bound on |log HR difference| (the curve's bounds are the same in every variant)
LOG_HR_BOUND = {"at risk": 0.10, "total events only": 0.15, "neither": 0.35}


def _assert_survival_curve(t: np.ndarray, s: np.ndarray) -> None:
    """Invariants of a cleaned curve: starts at (0, 1), sorted, non-increasing, within [0, 1]."""
    assert t[0] == 0 and s[0] == 1
    assert np.all(np.diff(t) >= 0)
    assert np.all(np.diff(s) <= 0)
    assert np.all((s >= 0) & (s <= 1))


# ----------------------------------------------------------------------------
# Round trips on public trials
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def accuracy():
    rows = []
    for name, (load, step) in TRIALS.items():
        df = load()
        times = np.arange(0.0, df["time"].max(), step)
        for variant in VARIANTS:
            acc, rec = round_trip(df, times=times, tau=float(times[-1]), rng=np.random.default_rng(2012),
                                  variant=variant)
            assert rec.patients.groupby("arm").size().to_dict() == df.groupby("arm").size().to_dict()
            rows.append({"trial": name, "variant": variant, **acc})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("trial", list(TRIALS))
@pytest.mark.parametrize("variant", VARIANTS)
def test_round_trip_accuracy(accuracy, trial, variant):
    row = accuracy[(accuracy["trial"] == trial) & (accuracy["variant"] == variant)].iloc[0]
    assert abs(row["log_hr_diff"]) <= LOG_HR_BOUND[variant]
    for arm in ("control", "ucmsc"):
        assert abs(row[f"rmst_rel_diff.{arm}"]) <= 0.03
        assert row[f"max_abs_ds.{arm}"] <= 0.03
        med = row[f"median_rel_diff.{arm}"]
        assert math.isnan(med) or abs(med) <= 0.05
        if variant != "neither":  # the total events are given: the reconstruction has them
            assert abs(row[f"events.{arm}"] - row[f"events_original.{arm}"]) <= 0.1 * row[f"events_original.{arm}"]


def test_medians_are_tested_somewhere(accuracy):
    assert accuracy["median_rel_diff.control"].notna().any()


def test_with_at_risk_table_beats_neither_on_the_hazard_ratio(accuracy):
    """Guyot et al. (2012): the numbers at risk matter most for the hazard ratio."""
    a = accuracy.groupby("variant")["log_hr_diff"].apply(lambda s: s.abs().mean())
    assert a["at risk"] < a["neither"]


# ----------------------------------------------------------------------------
# The algorithm on exact input
# ----------------------------------------------------------------------------
def _exact_clicks(time, event):
    t, s, _ = km_step(time, event)
    prev = np.r_[1.0, s[:-1]]
    return pd.DataFrame({"time": np.r_[np.repeat(t, 2), np.max(time)],
                         "survival": np.r_[np.column_stack([prev, s]).ravel(), s[-1]]})


def test_exact_curve_without_censoring_is_recovered_exactly():
    time = np.array([1.0, 2.0, 2.0, 3.5, 5.0, 6.0, 8.0, 9.0, 9.0, 10.0])
    event = np.ones(10, int)
    rec = reconstruct_arm(_exact_clicks(time, event), n=10)
    assert rec.n == 10 and rec.events == 10
    np.testing.assert_allclose(np.sort(rec.ipd["time"]), time)


def test_exact_curve_with_censoring_and_at_risk_table():
    rng = np.random.default_rng(1)
    te, tc = rng.exponential(20, 200), rng.uniform(5, 40, 200)
    time, event = np.round(np.minimum(te, tc), 2), (te <= tc).astype(int)
    times = np.arange(0.0, time.max(), 6.0)
    rec = reconstruct_arm(_exact_clicks(time, event), at_risk_table(time, times), total_events=int(event.sum()))
    assert rec.n == 200
    assert bool(rec.intervals["converged"].iloc[:-1].all())
    np.testing.assert_array_equal(rec.intervals["n_end"].iloc[:-1], at_risk_table(time, times)["n_at_risk"].iloc[1:])
    tr, sr, _ = km_step(rec.ipd["time"], rec.ipd["event"])
    to, so, _ = km_step(time, event)
    grid = np.linspace(0, time.max() * 0.9, 50)
    from analysis.toolkit.reconstruct import _surv_at
    assert np.max(np.abs(_surv_at(tr, sr, grid) - _surv_at(to, so, grid))) < 0.02


def _censored_sample(low: float, seed: int = 2):
    rng = np.random.default_rng(seed)
    te, tc = rng.exponential(15, 150), rng.uniform(low, 40, 150)
    time, event = np.minimum(te, tc), (te <= tc).astype(int)
    return time, event, simulate_clicks(time, event, rng=rng)


def test_total_events_are_met_without_at_risk_table():
    time, event, clicks = _censored_sample(20.0)
    with_events = reconstruct_arm(clicks, n=150, total_events=int(event.sum()))
    assert with_events.events == event.sum()
    assert bool(with_events.intervals["converged"].all())
    neither = reconstruct_arm(clicks, n=150)
    assert neither.events >= with_events.events  # no censoring before the end: more events


def test_unreachable_total_events_are_flagged():
    """Censoring from time 0 on, spread evenly over one interval, leaves too few patients late:
    the reported total cannot be met, and the interval says so (Guyot's even-spread assumption)."""
    time, event, clicks = _censored_sample(0.0)
    rec = reconstruct_arm(clicks, n=150, total_events=int(event.sum()))
    assert rec.events > event.sum() and not bool(rec.intervals["converged"].all())
    assert rec.n == 150 and (rec.intervals["n_end"] >= 0).all()


def test_reconstruction_is_deterministic_and_adds_up():
    df = _gbsg_os()
    times = np.arange(0.0, 84.0, 12.0)
    a = round_trip(df, times=times, tau=72.0, rng=np.random.default_rng(5))[1].patients
    b = round_trip(df, times=times, tau=72.0, rng=np.random.default_rng(5))[1].patients
    pd.testing.assert_frame_equal(a, b)
    assert (a["time"] > 0).all() and set(a["event"]) <= {0, 1}


# ----------------------------------------------------------------------------
# Cleaning
# ----------------------------------------------------------------------------
def test_cleaning_sorts_drops_duplicates_clips_and_starts_at_one():
    raw = pd.DataFrame({"time": [5.0, 1.0, 1.0, -0.02, 3.0, 3.0, 8.0],
                        "survival": [0.7, 0.95, 0.95, 1.01, 0.8, 0.82, -0.01]})
    out = clean_curve(raw)
    _assert_survival_curve(out["time"].to_numpy(), out["survival"].to_numpy())
    assert len(out) == len(out.drop_duplicates())
    assert out["time"].iloc[-1] == 8.0 and out["survival"].iloc[-1] == 0.0


@pytest.mark.parametrize("monotone", ["isotonic", "cummin"])
def test_cleaning_enforces_non_increasing(monotone):
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0.1, 30, 80))
    s = np.clip(np.exp(-t / 20) + rng.normal(0, 0.01, 80), 0, 1)
    out = clean_curve(pd.DataFrame({"time": t, "survival": s}), monotone=monotone)
    _assert_survival_curve(out["time"].to_numpy(), out["survival"].to_numpy())


def test_isotonic_does_not_drift_down_with_noise_on_a_flat_curve():
    rng = np.random.default_rng(4)
    flat = pd.DataFrame({"time": np.linspace(0.5, 20, 60), "survival": 0.8 + rng.normal(0, 0.004, 60)})
    iso = clean_curve(flat)["survival"].iloc[-1]
    cm = clean_curve(flat, monotone="cummin")["survival"].iloc[-1]
    assert abs(iso - 0.8) < abs(cm - 0.8)


# ----------------------------------------------------------------------------
# Bad input: one test per rule (file, line, rule in the message)
# ----------------------------------------------------------------------------
def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD_CURVE = "time,survival\n0,1\n2,0.9\n5,0.8\n9,0.7\n13,0.6\n18,0.55\n25,0.5\n"
GOOD_RISK = "time,n_at_risk\n0,50\n12,30\n24,10\n"

CURVE_CASES = [
    ("header", "t,s\n0,1\n1,0.9\n", "line 1", "header must be exactly time,survival"),
    ("not a number", "time,survival\n0,1\n1,abc\n", "line 3", "survival must be a finite number"),
    ("fields", "time,survival\n0,1\n1,0.9,3\n", "line 3", "every row must have 2 fields"),
    ("above 1", "time,survival\n0,1\n1,1.2\n2,0.9\n", "line 3", "survival must not exceed 1"),
    ("percent", "time,survival\n0,100\n1,90\n", "lines 2, 3", "survival must not exceed 1"),
    ("below 0", "time,survival\n0,1\n1,0.5\n2,-0.2\n", "line 4", "survival must not be below 0"),
    ("time before 0", "time,survival\n-3,1\n1,0.9\n5,0.8\n", "line 2", "time must not be before 0"),
    ("one click", "time,survival\n1,0.9\n", "", "a curve needs at least 2 clicks"),
    ("empty", "", "", "file must not be empty"),
    ("no rows", "time,survival\n", "", "file must have at least one data row"),
]


@pytest.mark.parametrize("name,text,lines,rule", CURVE_CASES, ids=[c[0] for c in CURVE_CASES])
def test_bad_curve(tmp_path, name, text, lines, rule):
    f = _write(tmp_path / "curve.csv", text)
    with pytest.raises(ReconstructionError) as exc:
        reconstruct_arm(read_curve(f), read_at_risk(_write(tmp_path / "risk.csv", GOOD_RISK)))
    msg = str(exc.value)
    assert str(f) in msg and f"violates rule: {rule}" in msg
    if lines:
        assert f"{f}, {lines}:" in msg


RISK_CASES = [
    ("not at 0", "time,n_at_risk\n1,50\n12,30\n", "line 2", "the at-risk table must start at time 0"),
    ("increasing", "time,n_at_risk\n0,50\n12,30\n24,31\n", "lines 3, 4", "numbers at risk must not increase"),
    ("repeated time", "time,n_at_risk\n0,50\n12,30\n12,20\n", "line 4", "at-risk times must be strictly increasing"),
    ("negative time", "time,n_at_risk\n0,50\n-12,30\n", "line 3", "time must not be before 0"),
    ("fraction", "time,n_at_risk\n0,50\n12,30.5\n", "line 3", "numbers at risk must be whole numbers"),
    ("nobody", "time,n_at_risk\n0,0\n", "line 2", "the number at risk at time 0 must be positive"),
    ("header", "time,n\n0,50\n", "line 1", "header must be exactly time,n_at_risk"),
]


@pytest.mark.parametrize("name,text,lines,rule", RISK_CASES, ids=[c[0] for c in RISK_CASES])
def test_bad_at_risk(tmp_path, name, text, lines, rule):
    f = _write(tmp_path / "risk.csv", text)
    with pytest.raises(ReconstructionError) as exc:
        reconstruct_arm(read_curve(_write(tmp_path / "curve.csv", GOOD_CURVE)), read_at_risk(f))
    msg = str(exc.value)
    assert f"{f}, {lines}: violates rule: {rule}" in msg


def test_fewer_than_two_clicks_between_at_risk_times(tmp_path):
    f = _write(tmp_path / "risk.csv", "time,n_at_risk\n0,50\n12,30\n14,28\n24,10\n")
    with pytest.raises(ReconstructionError, match=r"risk.csv, lines 3, 4: violates rule: at least 2 clicks are "
                                                  r"needed between two at-risk times \(1 click"):
        reconstruct_arm(read_curve(_write(tmp_path / "curve.csv", GOOD_CURVE)), read_at_risk(f))


def test_curve_must_reach_past_the_last_at_risk_time(tmp_path):
    f = _write(tmp_path / "risk.csv", "time,n_at_risk\n0,50\n12,30\n26,5\n")
    with pytest.raises(ReconstructionError, match=r"line 4: violates rule: the curve must extend beyond the last"):
        reconstruct_arm(read_curve(_write(tmp_path / "curve.csv", GOOD_CURVE)), read_at_risk(f))


def test_trailing_zero_at_risk_beyond_the_curve_is_accepted(tmp_path):
    f = _write(tmp_path / "risk.csv", "time,n_at_risk\n0,50\n12,30\n24,0\n36,0\n")
    rec = reconstruct_arm(read_curve(_write(tmp_path / "curve.csv", GOOD_CURVE)), read_at_risk(f))
    assert rec.n == 50


def test_n_and_events_must_fit(tmp_path):
    curve = read_curve(_write(tmp_path / "curve.csv", GOOD_CURVE))
    risk = read_at_risk(_write(tmp_path / "risk.csv", GOOD_RISK))
    with pytest.raises(ReconstructionError, match="the number at risk at time 0 must equal n"):
        reconstruct_arm(curve, risk, n=40)
    with pytest.raises(ReconstructionError, match="the total number of events must be a whole number between 0"):
        reconstruct_arm(curve, risk, total_events=51)
    with pytest.raises(ValueError, match="give the number at risk at time 0"):
        reconstruct_arm(curve)
    with pytest.raises(ReconstructionError, match="every arm must have a curve"):
        reconstruct({"control": curve}, {"ucmsc": risk})
    with pytest.raises(ValueError, match="monotone must be"):
        clean_curve(curve, monotone="spline")


def test_check_at_risk_accepts_arrays():
    out = check_at_risk(np.array([[0, 10], [5, 8]]))
    assert out["n_at_risk"].tolist() == [10, 8]


# ----------------------------------------------------------------------------
# The command line, end to end
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def figure_files(tmp_path_factory):
    """A digitised figure of GBSG-2's overall survival, written as a person would export it."""
    d = tmp_path_factory.mktemp("figure")
    df = _gbsg_os()
    rng = np.random.default_rng(7)
    files = {}
    for arm in ("control", "ucmsc"):
        a = df[df["arm"] == arm]
        simulate_clicks(a["time"], a["event"], rng=rng).to_csv(d / f"{arm}_curve.csv", index=False)
        at_risk_table(a["time"], np.arange(0.0, 84.0, 12.0)).to_csv(d / f"{arm}_risk.csv", index=False)
        files[arm] = (d / f"{arm}_curve.csv", d / f"{arm}_risk.csv", int(a["event"].sum()))
    return files


def _argv(files, out, endpoint="os", events=True):
    argv = ["reconstruct"]
    for arm, (c, r, e) in files.items():
        argv += ["--curve", f"{arm}={c}", "--at-risk", f"{arm}={r}"] + (["--events", f"{arm}={e}"] if events else [])
    return argv + ["--endpoint", endpoint, "--out", str(out)]


@pytest.mark.parametrize("endpoint", ["os", "hcc"])
def test_cli_writes_a_valid_survival_only_folder(tmp_path, figure_files, capsys, endpoint):
    out = tmp_path / "rec"
    assert main(_argv(figure_files, out, endpoint)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["dataset.yaml", "patients.csv"]
    p = pd.read_csv(out / "patients.csv")
    tcol, ecol = {"os": ("os_months", "death"), "hcc": ("hcc_months", "hcc")}[endpoint]
    assert list(p.columns) == ["patient_id", "arm", "disposition", tcol, ecol]
    assert p.groupby("arm").size().to_dict() == {"control": 440, "ucmsc": 246}
    assert (p["disposition"] == "analyzed").all() and p["patient_id"].is_unique
    meta = yaml.safe_load((out / "dataset.yaml").read_text())
    assert meta["reconstructed"] is True and meta["synthetic"] is False and meta["endpoint"] == endpoint
    c, r, e = figure_files["control"]
    assert meta["sources"]["control"]["curve"]["sha256"] == hashlib.sha256(c.read_bytes()).hexdigest()
    assert meta["sources"]["control"]["at_risk"]["sha256"] == hashlib.sha256(r.read_bytes()).hexdigest()
    assert meta["sources"]["control"]["events"] == e
    assert meta["options"]["monotone"] == "isotonic"
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    assert "valid:" in capsys.readouterr().out
    trial = load_trial(out)
    other = "hcc_months" if endpoint == "os" else "os_months"
    assert trial.has_outcome(tcol) and not trial.has_outcome(other)
    assert any(other in n and "skipped" in n for n in trial.notes)


def test_cli_bad_input_names_file_line_rule_and_writes_nothing(tmp_path, figure_files, capsys):
    bad = _write(tmp_path / "bad_risk.csv", "time,n_at_risk\n0,440\n12,416\n24,420\n")
    files = dict(figure_files)
    c, _, e = files["control"]
    files["control"] = (c, bad, e)
    out = tmp_path / "rec"
    assert main(_argv(files, out)) == 1
    err = capsys.readouterr().err
    assert f"{bad}, lines 3, 4: violates rule: numbers at risk must not increase" in err
    assert list(tmp_path.iterdir()) == [bad]  # no output folder, no temporary folder left


@pytest.mark.parametrize("argv_edit,message", [
    (lambda a: [x.replace("ucmsc=", "placebo=") for x in a], "the arm must be one of control, ucmsc"),
    (lambda a: a[:3] + a[7:], "one per arm is needed"),
    (lambda a: [x.replace("control=115", "control=many") for x in a], "is not a whole number"),
])
def test_cli_bad_arguments(tmp_path, figure_files, capsys, argv_edit, message):
    out = tmp_path / "rec"
    assert main(argv_edit(_argv(figure_files, out))) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_a_non_empty_output_folder(tmp_path, figure_files, capsys):
    out = tmp_path / "rec"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(_argv(figure_files, out)) == 1
    assert "the output folder must not exist or be empty" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_an_absent_endpoint_is_named_when_analysed(tmp_path, figure_files):
    """A survival-only folder with one endpoint: the other endpoint's analyses stop with a clear message."""
    from analysis.toolkit.survival import endpoint_frame

    out = tmp_path / "rec"
    assert main(_argv(figure_files, out, "os")) == 0
    trial = load_trial(out)
    assert len(endpoint_frame(trial, "os")) == 686
    with pytest.raises(ValueError, match=r"no HCC-free survival values \(hcc_months, hcc empty\)"):
        endpoint_frame(trial, "hcc")
