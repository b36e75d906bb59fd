"""`simfl`: the command line, a thin shell over importable functions.

Every command parses its arguments, loads and validates what it is given, and calls a
plain function (`run_command`, `validate_command`, `report_command`, `list_scenarios`,
`bench_command`; `simfl.sweep.run_sweep` for sweeps) that tests call directly.

Exit status: 0 success; 1 internal error (traceback printed); 2 user error — a missing,
unreadable or malformed file, an invalid scenario field or `--set`, an existing
`--run-id` — printed as `error: ...` lines on stderr without a traceback; 130 Ctrl-C
(the runner leaves no partial results folder).

Run ids: `simfl run` names its folder after the resolved scenario,
`<name>-s<seed>-<digest>`. Running the same scenario again does not fail and does not
overwrite: the new run gets the first free `<id>-2`, `<id>-3`, ... An explicit
`--run-id` is taken as given and is an error if that folder exists.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from simfl.errors import UserError

BENCHMARKS_DIR = Path(__file__).resolve().parent.parent / "benchmarks"  # checkout only
EXIT_OK, EXIT_INTERNAL, EXIT_USER, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program stands so it cleans up exactly as on Ctrl-C
    (no `.tmp-` folder left, a sweep's workers stopped); exit status 143 = 128 + 15."""


# ------------------------------------------------------------------- functions


def parse_sets(items: Sequence[str] | None) -> dict[str, Any]:
    """`["rounds=2", "fl.clients=4"]` → `{"rounds": 2, "fl.clients": 4}`; later keys win."""
    from simfl.config import parse_override

    return dict(parse_override(item) for item in items or ())


def load_checked(scenario: str | Path, sets: Sequence[str] | None = None, seed: int | None = None):
    """The validated `Scenario` for a YAML path with `--set` overrides and `--seed`."""
    from simfl.config import load_scenario

    overrides = parse_sets(sets)
    if seed is not None:
        overrides["seed"] = seed
    return load_scenario(Path(scenario), overrides)


def free_run_id(out_dir: Path, run_id: str) -> str:
    """`run_id` if `out_dir/run_id` is free, else the first free `run_id-2`, `-3`, ..."""
    candidate, n = run_id, 1
    while (out_dir / candidate).exists():
        n += 1
        candidate = f"{run_id}-{n}"
    return candidate


def validate_command(scenario: str | Path, sets: Sequence[str] | None = None) -> str:
    """The one-line summary of a valid scenario; raises `ScenarioError` otherwise."""
    from simfl.config import describe

    return describe(load_checked(scenario, sets))


def run_command(
    scenario: str | Path,
    *,
    seed: int | None = None,
    sets: Sequence[str] | None = None,
    out: str | Path = "results",
    run_id: str | None = None,
    quiet: bool = False,
    report: bool = True,
) -> Path:
    """Validate, run and (unless `report=False`) render one scenario; returns the run folder.

    The dashboard is rendered into the temporary folder before it is renamed, so a
    finished run folder always holds its `dashboard.png` and `report.html`.
    """
    from simfl.atomic import check_folder_name
    from simfl.progress import RunProgress

    if run_id is not None:
        check_folder_name(run_id)
    config = load_checked(scenario, sets, seed)
    progress = RunProgress(config.rounds, config.name, quiet=quiet)
    progress.phase("setup")  # importing the model's libraries takes seconds: say so first
    try:
        from simfl.runner import default_run_id, run_scenario

        out_dir = Path(out)
        run_id = run_id or free_run_id(out_dir, default_run_id(config))
        render: Callable[[Path], None] | None = None
        if report:
            from simfl.report import render_run

            render = render_run
        folder = run_scenario(
            config,
            out_dir,
            run_id=run_id,
            on_round=progress,
            on_phase=progress.phase,
            render=render,
        )
    except BaseException:
        progress.abort()
        raise
    progress.close()
    return folder


def report_command(run_dir: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Redraw a run's dashboard and report, or a sweep's report; returns the files written.

    `formats` adds vector copies of the dashboard (`svg`, `pdf`) beside the png."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise UserError(f"{run_dir}: no such folder")
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: not a folder; give a results/<run-id>/ folder")
    if (run_dir / "sweep.json").is_file():
        from simfl.sweep_report import render_sweep_report

        return render_sweep_report(run_dir, formats)
    if not (run_dir / "manifest.json").exists():
        inside = sorted(p.name for p in run_dir.iterdir() if _is_results_folder(p))
        if inside:
            shown = ", ".join(inside[:3]) + (", ..." if len(inside) > 3 else "")
            raise UserError(
                f"{run_dir}: holds {len(inside)} run or sweep folder(s) ({shown}), not a run; "
                f"give one of them, e.g. simfl report {run_dir / inside[0]}"
            )
    from simfl.report import render_run

    return render_run(run_dir, formats)


def _is_results_folder(path: Path) -> bool:
    return path.is_dir() and any((path / n).is_file() for n in ("manifest.json", "sweep.json"))


def list_scenarios(folder: Path | None = None) -> list[tuple[str, str]]:
    """`(name, description)` for every shipped scenario (`*.yaml` in `folder`, default
    the shipped scenarios); `simfl run NAME` runs one from any folder."""
    from simfl.config import load_yaml
    from simfl.config.shipped import scenarios_dir

    folder = scenarios_dir() if folder is None else folder
    rows = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            description = str(load_yaml(path).get("description", "") or "(no description)")
        except UserError as err:
            description = f"(unreadable: {str(err).splitlines()[0]})"
        rows.append((path.stem, description))
    return rows


def list_sweeps() -> list[tuple[str, str]]:
    """`(name, first comment line)` for every shipped sweep; `simfl sweep NAME` runs one."""
    from simfl.config.shipped import sweeps_dir

    rows = []
    for path in sorted(sweeps_dir().glob("*.yaml")):
        words = []  # the opening comment, up to its "Design:" paragraph
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.lstrip("# ").strip()
            if not line.startswith("#") or not text or text.startswith("Design:"):
                break
            words.append(text)
        question = " ".join(words).split(" — ", 1)[-1]
        rows.append((path.stem, question or "(no description)"))
    return rows


def bench_command(name: str | None = None, folder: Path = BENCHMARKS_DIR) -> int:
    """Run `benchmarks/bench_<name>.py` (every benchmark without a name); first failure wins."""
    if not folder.is_dir():
        raise UserError(
            f"no benchmarks folder {folder}: the benchmarks ship with the source checkout, "
            "not the wheel; run simfl bench from a clone"
        )
    if name:
        scripts = [folder / f"bench_{name.removeprefix('bench_').removesuffix('.py')}.py"]
        if not scripts[0].is_file():
            known = sorted(p.stem.removeprefix("bench_") for p in folder.glob("bench_*.py"))
            raise UserError(
                f"no benchmark {name!r} in {folder}; known: {', '.join(known) or 'none'}"
            )
    else:
        scripts = sorted(folder.glob("bench_*.py"))
        if not scripts:
            raise UserError(f"no benchmarks (bench_*.py) in {folder}")
    for script in scripts:
        print(f"== {script.name}", flush=True)
        status = subprocess.run([sys.executable, str(script)], check=False).returncode
        if status:
            return status
    return EXIT_OK


# ----------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simfl",
        description="Client-specific tokens as investment vehicles in federated learning.",
        epilog="exit status: 0 ok, 1 internal error, 2 user error, 130 interrupted",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    set_help = "override a scenario key, e.g. --set rounds=3 --set market.pool.fee_bps=5"

    run = commands.add_parser("run", help="run one scenario into OUT/<run-id>/")
    run.add_argument("scenario", help="scenario YAML file, or a shipped scenario's name")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=set_help)
    run.add_argument("--out", default="results", help="results folder (default: results/)")
    run.add_argument(
        "--run-id", help="folder name inside OUT (default: <name>-s<seed>-<digest>[-N])"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--no-report", action="store_true", help="skip dashboard.png/report.html")

    validate = commands.add_parser("validate", help="check a scenario; print its summary")
    validate.add_argument("scenario", help="scenario YAML file, or a shipped scenario's name")
    validate.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=set_help)

    report = commands.add_parser("report", help="redraw the dashboard of a run or sweep folder")
    report.add_argument("dir", help="a results/<run-id>/ folder (or a sweep folder)")
    report.add_argument(
        "--format",
        action="append",
        choices=("png", "svg", "pdf"),
        default=[],
        help="also write the dashboard as svg or pdf (repeatable; png is always written)",
    )

    commands.add_parser("list", help="the shipped scenarios and sweeps, runnable by name")

    sweep = commands.add_parser("sweep", help="run a sweep file (many scenarios)")
    sweep.add_argument("sweep", help="sweep YAML file, or a shipped sweep's name")
    sweep.add_argument("--jobs", type=int, help="local worker processes (default: 1)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler to run on")
    sweep.add_argument("--out", default="results", help="results folder (default: results/)")
    sweep.add_argument("--resume", action="store_true", help="skip runs already complete")
    sweep.add_argument("--fail-fast", action="store_true", help="stop at the first failed run")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")

    bench = commands.add_parser("bench", help="run benchmarks/bench_NAME.py (all by default)")
    bench.add_argument("name", nargs="?", help="benchmark name, e.g. amm for bench_amm.py")
    return parser


def dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command; returns its exit status."""
    if args.command == "run":
        folder = run_command(
            args.scenario,
            seed=args.seed,
            sets=args.set,
            out=args.out,
            run_id=args.run_id,
            quiet=args.quiet,
            report=not args.no_report,
        )
        print(f"results: {folder}")
        if not args.no_report:
            print(f"dashboard: {folder / 'dashboard.png'}")
            print(f"report: {folder / 'report.html'}")
    elif args.command == "validate":
        print(validate_command(args.scenario, args.set))
    elif args.command == "report":
        for path in report_command(args.dir, args.format):
            print(f"wrote {path}")
    elif args.command == "list":
        scenarios, sweeps = list_scenarios(), list_sweeps()
        width = max((len(name) for name, _ in scenarios + sweeps), default=0)
        print("scenarios (simfl run NAME):")
        for name, description in scenarios:
            print(f"  {name:<{width}}  {description}")
        if sweeps:
            print("sweeps (simfl sweep NAME):")
            for name, description in sweeps:
                print(f"  {name:<{width}}  {description}")
    elif args.command == "sweep":
        if args.jobs is not None and args.jobs < 1:
            raise UserError(f"--jobs {args.jobs}: give at least 1 worker")
        from simfl.sweep.run import run_sweep

        options = {"jobs": args.jobs} if args.jobs is not None else {}  # else run_sweep's
        try:
            status = int(
                run_sweep(
                    Path(args.sweep),
                    **options,
                    scheduler=args.scheduler,
                    out=Path(args.out),
                    resume=args.resume,
                    fail_fast=args.fail_fast,
                    quiet=args.quiet,
                )
            )
        except KeyboardInterrupt:
            print(
                f"\nfinished runs are kept; to do the rest: simfl sweep {args.sweep} "
                f"--out {args.out} --resume",
                file=sys.stderr,
            )
            raise
        sweep_report_command(Path(args.sweep), Path(args.out), quiet=args.quiet)
        return status
    elif args.command == "bench":
        return bench_command(args.name)
    return EXIT_OK


def sweep_report_command(sweep_file: Path, out: Path, quiet: bool = False) -> None:
    """After a sweep: draw its dashboard (announced on stderr, it takes seconds) and say
    where everything is."""
    from simfl.sweep.designs import load_sweep
    from simfl.sweep_report import render_sweep_report

    try:
        folder = out / load_sweep(sweep_file).name
    except UserError:
        return  # nothing ran; the sweep already said why
    if not (folder / "summary.parquet").is_file():
        return
    if not quiet:
        print(f"{folder.name}: sweep dashboard and report …", file=sys.stderr, flush=True)
    render_sweep_report(folder)
    print(f"results: {folder}")
    print(f"summary: {folder / 'summary.parquet'}")
    print(f"dashboard: {folder / 'sweep_dashboard.png'}")
    print(f"report: {folder / 'sweep_report.html'}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `simfl` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # bad usage (status 2, usage printed) or --help (0)
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else EXIT_USER
    previous = _raise_on_sigterm()
    try:
        return dispatch(args)
    except Terminated:
        print("\nterminated", file=sys.stderr)
        return EXIT_TERMINATED
    except UserError as err:
        for line in str(err).splitlines() or ["(no message)"]:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        traceback.print_exc()
        print("error: internal error (the traceback above); please report it", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_on_sigterm() -> Any:
    """Make SIGTERM raise `Terminated` in the main thread; returns the handler it replaced
    (None when not in the main thread, where handlers cannot be set)."""

    def terminate(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM cannot cut clean-up
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, terminate)
    except ValueError:
        return None


def console() -> None:
    """The `simfl` console script: `main`, then exit with its status.

    Once the work is done, a late Ctrl-C (say, while the interpreter waits for a sweep's
    pool threads to finish) is ignored, so the user never sees a traceback from Python's
    own shutdown.

    A prompt exit: every file is written (atomically) and closed by then, so commands
    that start no processes run the exit handlers, flush stdout and stderr and leave
    with `os._exit`, skipping the interpreter's teardown —
    tearing down torch, matplotlib, pandas and Mesa module by module took 3-8 s on 2
    busy cores. A sweep exits the normal way (its worker pool and Dask client shut down
    through Python's exit handlers).
    """
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command != "sweep":
        atexit._run_exitfuncs()  # multiprocessing's clean-up (tqdm's lock), then no teardown
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
