"""The `simfl` command line: exit statuses, messages, results folders, Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simfl import cli
from simfl.errors import UserError
from simfl.runner import read_manifest
from simfl.sweep import run_sweep
from tests.helpers import tiny_fl_scenario

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
MALFORMED = Path(__file__).resolve().parent / "malformed"
SIMFL = Path(sys.executable).parent / "simfl"  # the console script of this environment
SMALL = [
    "--set",
    "rounds=2",
    "--set",
    "fl.contribution.methods=[size,loo,cgsv]",
    "--set",
    "fl.contribution.pay_by=loo",
    "--set",
    "compare=[size,cgsv]",
]
PARQUETS = ("model", "agents", "scores", "events", "comparison")


def _interruptible() -> None:
    """Child setup: Ctrl-C's default action, whatever the test runner inherited (a shell
    starts background jobs with SIGINT ignored, and Python then never raises
    KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, str]:
    """One in-process `simfl run` of quickstart with small overrides (shared by tests)."""
    out = tmp_path_factory.mktemp("results")
    status = cli.main(["run", str(QUICKSTART), *SMALL, "--out", str(out), "--quiet"])
    assert status == 0
    (folder,) = [p for p in out.iterdir()]
    return folder, folder.name


def test_run_writes_a_complete_results_folder(first_run):
    folder, run_id = first_run
    assert run_id.startswith("quickstart-s42-")
    names = {p.name for p in folder.iterdir()}
    assert {f"{t}.parquet" for t in PARQUETS} | {"manifest.json", "dashboard.png"} <= names
    assert "report.html" in names
    for table in PARQUETS:
        frame = pd.read_parquet(folder / f"{table}.parquet")
        assert len(frame) > 0, table
    model = pd.read_parquet(folder / "model.parquet")
    assert "accuracy" in model.columns and model["round"].max() == 2


def test_manifest_is_complete(first_run):
    folder, run_id = first_run
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["run_id"] == run_id
    assert manifest["seed"] == 42
    assert manifest["scenario"]["rounds"] == 2
    assert manifest["scenario"]["fl"]["contribution"]["pay_by"] == "loo"
    assert {"python", "simfl", "torch", "mesa", "pandas"} <= set(manifest["versions"])
    assert manifest["timings"]["run_seconds"] > 0
    assert "total_seconds" in manifest["timings"]
    assert all(round(v, 3) == v for v in manifest["timings"].values())
    assert "fl_seed" not in manifest  # only when the scenario sets one
    assert len(manifest["git_commit"]) == 40 and isinstance(manifest["git_dirty"], bool)


def test_manifest_records_fl_seed_when_the_scenario_sets_it(tmp_path):
    folder = cli.run_command(
        QUICKSTART, sets=["rounds=1", "scores.source=synthetic", "fl_seed=7"], out=tmp_path,
        quiet=True, report=False,
    )  # fmt: skip
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["seed"], manifest["fl_seed"]) == (42, 7)


def test_same_seed_rerun_gets_a_fresh_id_and_identical_tables(first_run, capsys):
    folder, run_id = first_run
    status = cli.main(
        ["run", str(QUICKSTART), *SMALL, "--out", str(folder.parent), "--quiet", "--no-report"]
    )
    assert status == 0
    again = folder.parent / f"{run_id}-2"
    assert f"results: {again}" in capsys.readouterr().out
    assert not (again / "dashboard.png").exists()
    for table in PARQUETS:
        first = (folder / f"{table}.parquet").read_bytes()
        second = (again / f"{table}.parquet").read_bytes()
        assert first == second, f"{table}.parquet differs between two runs with seed 42"


def test_explicit_run_id_that_exists_is_a_user_error(first_run, capsys):
    folder, run_id = first_run
    args = ["run", str(QUICKSTART), *SMALL, "--out", str(folder.parent), "--run-id", run_id]
    assert cli.main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {folder} exists already; remove it or pass another --out\n"


def test_report_redraws_dashboard_and_html(first_run, capsys):
    folder, _ = first_run
    (folder / "dashboard.png").unlink()
    (folder / "report.html").unlink()
    assert cli.main(["report", str(folder)]) == 0
    assert (folder / "dashboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "report.html" in capsys.readouterr().out


def test_report_of_a_missing_folder_is_a_user_error(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope'}: no such folder\n"


def test_report_of_a_folder_without_a_run_is_a_user_error(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "no complete run here" in capsys.readouterr().err


def test_report_of_a_damaged_table_is_a_user_error_naming_the_file(first_run, tmp_path, capsys):
    folder, _ = first_run
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    (damaged / "model.parquet").write_text("garbage")
    assert cli.main(["report", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {damaged / 'model.parquet'}: not a readable parquet table")
    assert "Traceback" not in err


def test_report_of_a_results_folder_points_at_the_runs_inside(first_run, capsys):
    folder, _ = first_run
    assert cli.main(["report", str(folder.parent)]) == 2
    err = capsys.readouterr().err
    assert f"{folder.parent}: holds " in err and f"simfl report {folder}" in err


def test_report_of_an_unfinished_sweep_says_how_to_resume(tmp_path, capsys):
    info = {"status": "interrupted", "sweep_file": "/s/study.yaml"}
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "sweep.json").write_text(json.dumps(info))
    assert cli.main(["report", str(tmp_path / "study")]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'study'}: the sweep has no summary.parquet yet (status "
        f"'interrupted'); finish it with: simfl sweep /s/study.yaml --out {tmp_path} --resume\n"
    )


def test_report_of_a_sweep_folder_calls_the_sweep_report(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("simfl.sweep_report")
    fake.render_sweep_report = lambda path, formats=("png",): calls.append(path) or [path]
    monkeypatch.setitem(sys.modules, "simfl.sweep_report", fake)
    (tmp_path / "sweep.json").write_text("{}")
    assert cli.main(["report", str(tmp_path)]) == 0
    assert calls == [tmp_path]


def test_sweep_passes_every_flag_and_returns_its_status(tmp_path, monkeypatch):
    seen = {}

    def run_sweep(path, **kwargs):
        seen.update(path=path, **kwargs)
        return 3

    fake = types.ModuleType("simfl.sweep.run")
    fake.run_sweep = run_sweep
    monkeypatch.setitem(sys.modules, "simfl.sweep.run", fake)
    args = ["sweep", "s.yaml", "--jobs", "2", "--scheduler", "tcp://h:8786", "--out", "o"]
    assert cli.main([*args, "--resume", "--fail-fast", "--quiet"]) == 3
    assert seen == {
        "path": Path("s.yaml"),
        "jobs": 2,
        "scheduler": "tcp://h:8786",
        "out": Path("o"),
        "resume": True,
        "fail_fast": True,
        "quiet": True,
    }


def test_sweep_with_zero_jobs_is_a_user_error(capsys):
    assert cli.main(["sweep", "s.yaml", "--jobs", "0"]) == 2
    assert capsys.readouterr().err == "error: --jobs 0: give at least 1 worker\n"


def test_validate_prints_the_summary(capsys):
    assert cli.main(["validate", str(QUICKSTART), "--set", "rounds=3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("quickstart: 3 rounds, 5 clients on digits (dirichlet)")


def test_list_names_every_shipped_scenario_and_sweep(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    sweeps_at = out.index("sweeps (simfl sweep NAME):")
    assert out[0] == "scenarios (simfl run NAME):"
    scenarios = {line.split()[0] for line in out[1:sweeps_at]}
    sweeps = {line.split()[0] for line in out[sweeps_at + 1 :]}
    assert scenarios == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    assert sweeps == {p.stem for p in (ROOT / "scenarios" / "sweeps").glob("*.yaml")}
    assert "  quickstart " in "\n".join(out)


def test_a_shipped_scenario_runs_by_name_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate", "quickstart"]) == 0
    assert capsys.readouterr().out.startswith("quickstart: 5 rounds, 5 clients on digits")
    assert cli.main(["validate", "quickstart.yaml", "--set", "rounds=3"]) == 0
    assert capsys.readouterr().out.startswith("quickstart: 3 rounds")


def test_an_unknown_name_lists_the_shipped_scenarios(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate", "quikstart"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: quikstart: no such file, nor a shipped scenario of that name "
                          "(shipped: buyback-vs-mint, free-riders, ")  # fmt: skip
    assert "quickstart" in err


def test_a_local_file_wins_over_a_shipped_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "quickstart.yaml").write_text("name: mine\nrounds: 2\n")
    assert cli.main(["validate", "quickstart.yaml"]) == 0
    assert capsys.readouterr().out.startswith("mine: 2 rounds")


@pytest.mark.parametrize("run_id", ["../escape", "a/b", "..", ".tmp-x", "-flag", ""])
def test_a_run_id_cannot_leave_out(run_id, tmp_path, capsys):
    out = tmp_path / "out"
    expected = (
        f"error: --run-id {run_id!r}: give one folder name inside --out: letters, digits, "
        "_ . - (not starting with . or -, no /, at most 200 characters)\n"
    )
    args = ["run", str(QUICKSTART), *SMALL, f"--run-id={run_id}"]
    _assert_user_error(args, expected, out, capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_run_whose_training_diverges_exits_2_and_writes_nothing(tmp_path, capsys):
    # a client scaling its update by 1e30 makes the aggregate non-finite in round 1
    scaled = "fl.behaviours={0: {kind: scaled, scale: 1e30}}"
    expected = "error: training diverged in round 1: the validation loss is nan"
    err = _assert_user_error(["run", "quickstart", *SMALL, "--set", scaled], expected,
                             tmp_path / "out", capsys)  # fmt: skip
    # the scaling behaviour is named first: the learning rate is not to blame
    assert "; lower fl.behaviours.0.scale (now 1e+30), fl.local.lr (now " in err


def test_bench_runs_the_named_script(tmp_path):
    (tmp_path / "bench_ok.py").write_text("print('fast')\n")
    (tmp_path / "bench_bad.py").write_text("raise SystemExit(4)\n")
    assert cli.bench_command("ok", folder=tmp_path) == 0
    assert cli.bench_command(None, folder=tmp_path) == 4  # bench_bad runs first, fails
    with pytest.raises(UserError, match="no benchmark 'nope'.*known: bad, ok"):
        cli.bench_command("nope", folder=tmp_path)


def test_bad_usage_exits_2(capsys):
    assert cli.main(["run"]) == 2
    assert cli.main(["frobnicate"]) == 2
    assert "usage: simfl" in capsys.readouterr().err


def test_internal_error_exits_1_with_a_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "validate_command", broken)
    assert cli.main(["validate", str(QUICKSTART)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug" in err


def test_keyboard_interrupt_exits_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "validate_command", interrupted)
    assert cli.main(["validate", str(QUICKSTART)]) == 130
    assert "Traceback" not in capsys.readouterr().err


# ---------------------------------------------------------------- user errors
# (the malformed-input corpus itself is tests/test_malformed.py)


def _assert_user_error(args: list[str], expected: str, out: Path, capsys) -> str:
    status = cli.main([*args, "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert expected in captured.err
    assert "Traceback" not in captured.err
    assert all(line.startswith("error: ") for line in captured.err.splitlines())
    assert captured.out == ""
    assert not out.exists() or not any(out.iterdir()), "a failed run left results behind"
    return captured.err


def test_all_problems_are_reported_at_once(tmp_path, capsys):
    err = _assert_user_error(
        ["run", str(MALFORMED / "three_problems.yaml")], "3 problem(s)", tmp_path / "o", capsys
    )
    assert err.splitlines()[1:] == [
        "error: seed: got 'lots'; input should be a valid integer, unable to parse string as "
        "an integer",
        "error: rounds: got -3; input should be greater than or equal to 1",
        "error: fl.clients: got 1; input should be greater than or equal to 2",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "rounds"], "error: --set 'rounds': write it as key.path=value\n"),
        (["--set", "fl.clinets=3"], "fl.clinets: unknown key — did you mean 'clients'?"),
        (["--set", "rounds=zero"], "rounds: got 'zero'"),
        (["--set", "market.investors.9.count=1"], "--set market.investors.9: '9' is not an index"),
        (["--seed", "-1"], "error: seed: got -1; input should be greater than or equal to 0\n"),
    ],
    ids=["no-equals", "typo", "wrong-type", "bad-index", "negative-seed"],
)
def test_bad_command_line_values_exit_2(args, expected, tmp_path, capsys):
    _assert_user_error(["run", str(QUICKSTART), *args], expected, tmp_path / "out", capsys)


def test_missing_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    _assert_user_error(["run", str(missing)], f"{missing}: no such file", tmp_path / "o", capsys)


def test_directory_instead_of_a_file_exits_2(tmp_path, capsys):
    expected = f"{MALFORMED}: is a directory; give the path of a .yaml file"
    _assert_user_error(["run", str(MALFORMED)], expected, tmp_path / "out", capsys)


# ------------------------------------------------------------- real subprocesses


def test_console_script_runs_quickstart(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run(
        [str(SIMFL), "run", str(QUICKSTART), *SMALL, "--out", str(out), "--no-report"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "2/2" in done.stderr  # the progress bar went to stderr
    (folder,) = list(out.iterdir())
    assert done.stdout == f"results: {folder}\n"


def test_console_script_user_error_has_no_traceback(tmp_path):
    done = subprocess.run(
        [str(SIMFL), "validate", str(MALFORMED / "typo_key.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "did you mean 'clients'?" in done.stderr and "Traceback" not in done.stderr


def _signal_after_round_one(out: Path, signum: int) -> tuple[subprocess.Popen, str]:
    """Start a 2,000-round run, send `signum` once its bar shows round 1 done (the
    temporary run folder exists then, and is checked), and return the process and its
    whole stderr."""
    process = subprocess.Popen(
        [str(SIMFL), "run", str(QUICKSTART), *SMALL, "--set", "rounds=2000", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_interruptible,
    )
    try:
        seen = b""
        deadline = time.monotonic() + 90
        while b"1/2000" not in seen:  # the progress bar shows round 1 done
            chunk = os.read(process.stderr.fileno(), 4096)
            assert chunk and time.monotonic() < deadline, seen.decode(errors="replace")
            seen += chunk
        assert [p.name[:5] for p in out.iterdir()] == [".tmp-"]
        process.send_signal(signum)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return process, (seen + rest).decode(errors="replace")


def test_sigint_mid_run_leaves_no_partial_folder_and_exits_130(tmp_path):
    out = tmp_path / "results"
    process, stderr = _signal_after_round_one(out, signal.SIGINT)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert list(out.iterdir()) == []


def test_sigterm_mid_run_cleans_up_like_sigint_and_exits_143(tmp_path):
    out = tmp_path / "results"
    process, stderr = _signal_after_round_one(out, signal.SIGTERM)
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert stderr.rstrip().endswith("terminated")
    assert list(out.iterdir()) == []


def test_sigterm_during_a_sweep_is_handled_like_ctrl_c(monkeypatch, capsys):
    def terminated(path, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises at the next bytecode
        time.sleep(5)
        raise AssertionError("SIGTERM did not interrupt the sweep")

    fake = types.ModuleType("simfl.sweep.run")
    fake.run_sweep = terminated
    monkeypatch.setitem(sys.modules, "simfl.sweep.run", fake)
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["sweep", "s.yaml", "--out", "o"]) == 143
    err = capsys.readouterr().err
    assert "simfl sweep s.yaml --out o --resume" in err and err.rstrip().endswith("terminated")
    assert signal.getsignal(signal.SIGTERM) is before  # main puts the old handler back


def test_progress_reports_setup_apart_from_rounds_and_each_later_phase(tmp_path):
    done = subprocess.run(
        [str(SIMFL), "run", str(QUICKSTART), *SMALL, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [part for line in done.stderr.split("\n") for part in line.split("\r") if part]
    bars = [i for i, line in enumerate(lines) if "%|" in line]  # the bar's updates
    said = [line for line in lines if "%|" not in line]
    assert said[:4] == [
        "quickstart: setup (libraries, data, clients, pools) …",
        "quickstart: finishing tables …",
        "quickstart: comparison markets (one per compared payout method / mode) …",
        "quickstart: dashboard and report …",
    ]
    assert said[4].startswith("quickstart: done in ") and len(said) == 5
    assert ": setup " in said[4] and ", 2 rounds (" in said[4] and ", dashboard " in said[4]
    assert bars and bars[0] > 0 and "2/2" in lines[bars[-1]]  # between setup and tables
    assert lines[bars[-1] + 1] == "quickstart: finishing tables …"


def test_sweep_without_jobs_leaves_the_default_to_run_sweep(monkeypatch):
    seen = {}
    fake = types.ModuleType("simfl.sweep.run")
    fake.run_sweep = lambda path, **kwargs: seen.update(kwargs) or 0
    monkeypatch.setitem(sys.modules, "simfl.sweep.run", fake)
    assert cli.main(["sweep", "s.yaml"]) == 0
    assert "jobs" not in seen and seen["out"] == Path("results") and seen["resume"] is False


def test_sigint_mid_sweep_kills_the_runs_in_flight_exits_130_and_resumes(tmp_path):
    base = {**tiny_fl_scenario("tiny", seed=3), "rounds": 4}
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    sweep = {"scenario": "base.yaml", "parameters": {"fl.local.lr": [0.01, 0.02, 0.03, 0.04]},
             "replications": 2, "seeding": "independent"}  # fmt: skip
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(sweep))
    out, runs = tmp_path / "out", tmp_path / "out" / "study" / "runs"
    process = subprocess.Popen(
        [str(SIMFL), "sweep", str(tmp_path / "study.yaml"), "--jobs", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=_interruptible,
    )
    try:
        deadline = time.monotonic() + 90
        while not (runs.is_dir() and any(not p.name.startswith(".") for p in runs.iterdir())):
            assert process.poll() is None and time.monotonic() < deadline, "no run finished"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stderr_text = stderr.decode(errors="replace")
    assert process.returncode == 130, stderr_text
    assert "Traceback" not in stderr_text and "interrupted" in stderr_text
    assert "--resume" in stderr_text
    names = [p.name for p in runs.iterdir()]
    assert not [n for n in names if n.startswith(".")], "a killed run left its temp folder"
    assert all(read_manifest(runs / n) for n in names), "a run folder is not whole"
    assert len(names) < 8, "queued runs were started after Ctrl-C"
    info = json.loads((out / "study" / "sweep.json").read_text())
    assert info["status"] == "interrupted" and info["counts"]["complete"] == len(names)

    assert run_sweep(tmp_path / "study.yaml", jobs=2, out=out, resume=True, quiet=True) == 0
    assert sorted(p.name for p in runs.iterdir()) == [
        f"p00{p}-r0{r}" for p in range(4) for r in (0, 1)
    ]


@pytest.mark.parametrize("target", ["afile", "afile/sub"])
def test_out_that_is_a_file_exits_2_and_runs_nothing(target, tmp_path, capsys):
    (tmp_path / "afile").write_text("keep me")
    out = tmp_path / target
    assert cli.main(["run", str(QUICKSTART), *SMALL, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {tmp_path / 'afile'}") or err.startswith(
        f"error: --out {out}"
    ), err
    assert "Traceback" not in err
    assert (tmp_path / "afile").read_text() == "keep me"
