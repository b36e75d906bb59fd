"""One scenario → one results folder, written atomically.

`run_scenario` validates first (a bad scenario creates nothing), runs the model, writes
`model / agents / scores / events .parquet` and `manifest.json` into a temporary folder
next to the target, optionally renders the dashboard, and renames the folder into place
only when everything is written: a run folder is either whole or absent, whatever
happens (crash, Ctrl-C). Same scenario and seed give byte-identical tables.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simfl.analysis.metrics import metric_tables
from simfl.analysis.run_folder import MANIFEST, TABLES, RunFolder, open_folder
from simfl.atomic import check_folder_name, write_json_atomic
from simfl.config import Scenario, load_scenario
from simfl.errors import RunFolderError, UserError
from simfl.model import FederationMarket, run_model
from simfl.recording import recorded_tables
from simfl.sources import ScoreSource
from simfl.tables import write_table

PACKAGES = ("simfl", "torch", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "scipy")


def scenario_digest(scenario: Scenario) -> str:
    """A short, stable hash of a resolved scenario (seed included)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def default_run_id(scenario: Scenario) -> str:
    """`<name>-s<seed>-<digest>`: the same resolved scenario always gets the same id."""
    return f"{scenario.name}-s{scenario.seed}-{scenario_digest(scenario)}"


def package_version(name: str) -> str:
    """An installed distribution's version, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def package_versions() -> dict[str, str]:
    """Python's and the main packages' versions, for the manifest."""
    return {"python": platform.python_version()} | {n: package_version(n) for n in PACKAGES}


def _git(*args: str) -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit() -> str | None:
    """The checkout's commit, when simfl runs from a git checkout."""
    return (_git("rev-parse", "HEAD") or "").strip() or None


def git_dirty() -> bool | None:
    """True when tracked files differ from that commit (the code that ran is not the
    commit alone); None outside a git checkout."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status.strip())


def ensure_folder(folder: Path, what: str = "--out") -> None:
    """Create `folder` (and its parents) unless it exists; `UserError` if it cannot be a
    folder: a file is in the way, or the file system refuses."""
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{what} {folder}: is a file, not a folder; give a folder for results")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"{what} {folder}: cannot create this folder ({err.strerror})") from None


def mode_overrides(
    config: Scenario, mode: str, model_table: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Dotted overrides that pay by `mode` at the run's own nominal budget.

    The run's budget in BASE is its revenue schedule (direct, buyback), its emission
    schedule at the genesis price (mint), or both (hybrid). `mode` pays `base_share` of
    it in BASE revenue and the rest as emission at the genesis price (`PAYOUT_MODES`:
    direct and buyback all BASE, mint all CST, hybrid half each) on the same schedule, so
    every mode's budget — and `equal_payout_base` — is the run's, round by round. A
    hybrid run whose revenue and emission follow different schedules has no one
    schedule: the compared modes then follow its revenue's schedule (its emission's if the
    revenue paid nothing), scaled so that the run's total budget matches, read from its
    `model_table` (`revenue`, `emission`).
    """
    from simfl.market.mechanism import payout_mode

    reward, pool = config.market.reward, config.market.pool
    genesis_price = pool.seed_base / pool.seed_tokens
    own = payout_mode(reward.mode)
    revenue, emission = reward.revenue, reward.emission
    schedule = revenue if own.earns_revenue else emission
    budget = (revenue.amount if own.earns_revenue else 0.0) + (
        emission.amount * genesis_price if own.mints else 0.0
    )
    one_schedule = (revenue.kind, revenue.decay) == (emission.kind, emission.decay)
    if own.earns_revenue and own.mints and not one_schedule:
        if model_table is None:
            raise ValueError("a hybrid run on two schedules needs its model table")
        paid = float(model_table["revenue"].sum())
        minted = float(model_table["emission"].sum()) * genesis_price
        if paid > 0:
            budget = revenue.amount * (paid + minted) / paid
        else:  # the revenue schedule paid nothing: follow the emission's
            schedule, budget = emission, emission.amount * genesis_price
    share = float(payout_mode(mode).base_share)

    def scheduled(amount: float) -> dict[str, Any]:
        return {"kind": schedule.kind, "amount": amount, "decay": schedule.decay}

    return {
        "market.reward.mode": mode,
        "market.reward.revenue": scheduled(budget * share),
        "market.reward.emission": scheduled(budget * (1.0 - share) / genesis_price),
    }


def compare_payouts(
    model: FederationMarket, tables: dict[str, pd.DataFrame], clients: list[dict[str, Any]]
) -> pd.DataFrame:
    """Per-client rewards under each payout method of `compare` and each payout mode of
    `compare_modes`, all on one yardstick.

    The run's own method and mode come from its tables; every other method (with the
    run's mode) and every other mode (with the run's method, at the run's nominal budget:
    `mode_overrides`) gets its own market on the run's FL trajectory (replayed, so
    training happens once). One row per compared market and client: `method`, `mode`,
    `varies` (own | method | mode), the columns of `metrics.client_rewards` with
    `pct_equal_*` against the run's own `equal_payout_base`, and
    `market_equal_payout_base` (that market's own, equal to the run's by construction).
    """
    from simfl.analysis.metrics import client_rewards, equal_payout_base
    from simfl.sources import TrajectoryReplay

    config = model.scenario
    own_method, own_mode = config.fl.contribution.pay_by, config.market.reward.mode
    own_manifest = {"clients": clients, "scenario": config.model_dump(mode="json")}
    yardstick = equal_payout_base(tables, own_manifest)
    markets: list[tuple[str, str, str, dict[str, Any]]] = [(own_method, own_mode, "own", {})]
    markets += [
        (m, own_mode, "method", {"fl.contribution.pay_by": m})
        for m in dict.fromkeys(config.compare)
        if m != own_method
    ]
    markets += [
        (own_method, mode, "mode", mode_overrides(config, mode, tables["model"]))
        for mode in dict.fromkeys(config.compare_modes)
        if mode != own_mode
    ]
    frames = []
    for method, mode, varies, overrides in markets:
        if not overrides:
            market_tables, scenario = tables, config
        else:
            scenario = load_scenario(config, overrides)
            replay = TrajectoryReplay(
                model.trajectory,
                model.source.client_sizes,
                model.source.behaviours,
                initial=model.source.initial,
            )
            market_tables = recorded_tables(scenario, source=replay)
        manifest = {"clients": clients, "scenario": scenario.model_dump(mode="json")}
        frame = client_rewards(market_tables, manifest, yardstick)
        frame.insert(0, "varies", varies)
        frame.insert(0, "mode", mode)
        frame.insert(0, "method", method)
        frame["market_equal_payout_base"] = equal_payout_base(market_tables, manifest)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def run_scenario(
    scenario: str | Path | dict[str, Any] | Scenario,
    out_dir: str | Path = "results",
    *,
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    run_id: str | None = None,
    source: ScoreSource | None = None,
    on_round: Callable[[FederationMarket], None] | None = None,
    render: Callable[[Path], None] | None = None,
    extra_manifest: dict[str, Any] | None = None,
    replace: bool = False,
    on_phase: Callable[[str], None] | None = None,
) -> Path:
    """Run one scenario and write `out_dir/<run_id>/`; returns that folder.

    Raises `ScenarioError` before anything is written if the scenario is invalid, and
    `UserError` if the target folder exists (unless `replace`) or `run_id` is not one
    plain folder name. `on_phase(name)` is told when each phase starts: "setup",
    "rounds", then "comparison" and "dashboard" when they run (progress display).
    """
    config = load_scenario(scenario, overrides)
    if seed is not None:
        config = config.model_copy(update={"seed": int(seed)})
    run_id = check_folder_name(run_id) if run_id else default_run_id(config)
    phase = on_phase or (lambda name: None)
    out_dir = Path(out_dir)
    final = out_dir / run_id
    ensure_folder(out_dir)
    if final.exists() and not replace:
        raise UserError(f"{final} exists already; remove it or pass another --out")
    tmp = out_dir / f".tmp-{run_id}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    started = time.time()
    try:
        clock = time.perf_counter()
        # the tables stream into tmp in chunks as the run goes (bounded memory)
        phase("setup")
        model = run_model(
            config,
            source=source,
            on_round=on_round,
            record_to=tmp,
            on_start=lambda _: phase("rounds"),
        )
        run_seconds = time.perf_counter() - clock
        rows = dict(model.datacollector.rows)
        tables = metric_tables(open_folder(tmp))  # what the comparison reads
        clients = [
            {"index": i, "behaviour": b, "size": int(s)}
            for i, (b, s) in enumerate(zip(model.source.behaviours, model.source.client_sizes))
        ]
        if config.compare or config.compare_modes:
            phase("comparison")
        tables["comparison"] = compare_payouts(model, tables, clients)
        write_table(tables["comparison"], tmp / "comparison.parquet")
        rows["comparison"] = len(tables["comparison"])
        timings = {"run_seconds": run_seconds, **model.timings}
        manifest = {
            "status": "complete",
            "run_id": run_id,
            "name": config.name,
            "seed": config.seed,
            **({"fl_seed": config.fl_seed} if config.fl_seed is not None else {}),
            "scenario": config.model_dump(mode="json"),
            "scenario_digest": scenario_digest(config),
            "clients": clients,
            "rows": {name: rows[name] for name in TABLES},
            "versions": package_versions(),
            "git_commit": git_commit(),
            "git_dirty": git_dirty(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "timings": {k: round(float(v), 3) for k, v in timings.items()},
            **(extra_manifest or {}),
        }
        if render is not None:
            del model, tables  # the renderer reads results on disk: free the run first
            gc.collect()  # mesa agents refer back to the model (reference cycles)
            phase("dashboard")
            write_json_atomic(manifest, tmp / MANIFEST)  # the renderer reads results on disk
            render(tmp)
        manifest["timings"]["total_seconds"] = round(time.time() - started, 3)
        write_json_atomic(manifest, tmp / MANIFEST)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_manifest(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's manifest, or None if the folder holds no complete run (a thin wrapper of
    `simfl.analysis.run_folder.RunFolder`, which says why instead)."""
    try:
        return RunFolder.open(run_dir).manifest.data
    except RunFolderError:
        return None


def read_tables(run_dir: str | Path, names: tuple[str, ...] = TABLES) -> dict[str, pd.DataFrame]:
    """Result tables of a run folder (default: all of them), as pandas frames; a thin
    wrapper of `RunFolder.tables` (no manifest needed: a folder being written has none
    yet). `RunFolderError` names every missing table, or a damaged file."""
    return open_folder(run_dir).tables(names)
