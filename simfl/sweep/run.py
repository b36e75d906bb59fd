"""`run_sweep`: a sweep file → many runs under `OUT/<sweep-id>/`, in parallel, resumable.

The folder's layout, the resume checks and `summary.parquet` live in
`simfl.sweep.folder`; where runs execute (local pool or Dask) in `simfl.sweep.executors`.

Execution: one local process pool for the whole sweep (forkserver context, each worker
pinned to one torch thread), or a Dask cluster when `scheduler` is an address.
Every run — including `jobs=1` — executes in a worker, so thread settings, and hence
float results, do not depend on `jobs`. Runs sharing an uncached FL trajectory wait for
the first of them (the leader) to finish and store it, then replay it.

Failures: a run that raises writes a run folder whose manifest has status "failed" and
the traceback (atomically; `read_manifest` does not count it as complete); the sweep goes
on unless `fail_fast`. `resume=True` skips runs whose manifest is complete, removes
stale `.tmp-*` folders and redoes the rest; the sweep file must resolve to the same
design (checked by digest).

Ctrl-C (or any exception in the driver): queued runs are cancelled and running local
workers killed at once (a run takes minutes; nobody waits for it), their temporary
folders removed, `summary.parquet` written and `sweep.json` marked "interrupted"; then
the exception propagates (the CLI exits 130). Finished runs stay; `--resume` does the rest.

Scripts that call `run_sweep` need an `if __name__ == "__main__":` guard: forkserver
workers import the main module, as with multiprocessing's spawn.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from simfl.analysis.run_folder import MANIFEST, RunFolder
from simfl.atomic import write_json_atomic
from simfl.config import load_scenario
from simfl.errors import UserError
from simfl.runner import read_manifest
from simfl.sweep.designs import RunSpec, Sweep, load_sweep
from simfl.sweep.executors import DaskPool, LocalPool, single_thread
from simfl.sweep.folder import (
    HEADLINE,
    RUNS,
    SWEEP_JSON,
    TRAJECTORIES,
    prepare,
    remove_stale,
    summarise,
)

# -------------------------------------------------------------------- workers


def _write_headline(run_dir: Path) -> None:
    """`render` hook of `run_scenario`: headline metrics into the run's temp folder."""
    run = RunFolder.open(run_dir)
    try:
        from simfl.analysis.metrics import headline_metrics, metric_tables

        tables = metric_tables(run)
        metrics: dict[str, Any] = headline_metrics(tables, run.manifest.data)
    except Exception as err:  # metrics must never lose a run
        metrics = {"metrics_error": f"{type(err).__name__}: {err}"}
    write_json_atomic({"metrics": metrics}, run_dir / HEADLINE)


def write_failed(final: Path, manifest: dict[str, Any]) -> None:
    """A run folder holding only a manifest with status "failed", renamed into place."""
    tmp = final.with_name(f".tmp-{final.name}-failed-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_json_atomic(manifest, tmp / MANIFEST)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def execute_run(task: dict[str, Any]) -> dict[str, Any]:
    """Run one sweep point in a worker; never raises for a failing run (records it)."""
    from simfl.runner import run_scenario
    from simfl.sweep import trajectory_cache

    single_thread()
    runs_dir, run_id = Path(task["runs_dir"]), task["run_id"]
    clock = time.perf_counter()
    info = {k: task[k] for k in ("sweep", "point", "replication", "seed", "fl_seed", "overrides")}
    trajectory = None
    try:
        config = load_scenario(task["base"], task["overrides"])
        config = config.model_copy(update={"seed": task["seed"], "fl_seed": task["fl_seed"]})
        source = recorder = None
        if task["cache_dir"]:
            cache_dir = Path(task["cache_dir"])
            source, recorder, trajectory = trajectory_cache.prepare(config, cache_dir)
        extra = {"sweep": info} | ({"trajectory": trajectory} if trajectory else {})
        run_scenario(config, runs_dir, run_id=run_id, source=source, extra_manifest=extra,
                     render=_write_headline, replace=True)  # fmt: skip
        if recorder is not None and trajectory is not None:
            trajectory_cache.store(cache_dir / f"{trajectory['key']}.json", recorder,
                                   trajectory["key"])  # fmt: skip
        status, error = "complete", None
    except Exception as err:
        status, error = "failed", f"{type(err).__name__}: {err}"
        write_failed(runs_dir / run_id, {
            "status": "failed", "run_id": run_id, "seed": task["seed"], "error": error,
            "traceback": traceback.format_exc(), "sweep": info,
        })  # fmt: skip
    seconds = time.perf_counter() - clock
    return {"run_id": run_id, "status": status, "error": error, "seconds": seconds}


# --------------------------------------------------------------------- driver


def _cache_keys(sweep: Sweep, todo: list[RunSpec], traj_dir: Path) -> dict[str, str | None]:
    """run_id → trajectory key still to be trained (None: cached already or not cacheable)."""
    from simfl.sweep import trajectory_cache

    keys: dict[str, str | None] = {}
    for spec in todo:
        config = load_scenario(sweep.base, spec.overrides).model_copy(
            update={"seed": spec.seed, "fl_seed": spec.fl_seed}
        )
        key = trajectory_cache.trajectory_key(config)
        missing = not (traj_dir / f"{key}.json").is_file()
        keys[spec.run_id] = key if trajectory_cache.cacheable(config) and missing else None
    return keys


def run_sweep(
    path: str | Path,
    jobs: int = 1,
    scheduler: str | None = None,
    out: str | Path = "results",
    resume: bool = False,
    fail_fast: bool = False,
    quiet: bool = False,
    cache: bool = True,
) -> int:
    """Run every point × replication of a sweep file; 0 if all runs completed, else 1.

    Raises `ScenarioError` (before anything is written) if the sweep file or any of its
    points is malformed, and `UserError` if the output folder holds another sweep.
    `cache=False` turns the FL-trajectory cache off (benchmarks).
    """
    from tqdm import tqdm

    if jobs < 1:
        raise UserError(f"jobs={jobs}: give at least 1")
    started, clock = time.time(), time.perf_counter()
    sweep = load_sweep(path)
    root = Path(out).resolve() / sweep.name
    resolved = prepare(sweep, root, resume)
    runs_dir, traj_dir = root / RUNS, root / TRAJECTORIES
    done_before = {s.run_id for s in sweep.runs if read_manifest(runs_dir / s.run_id)}
    todo = [s for s in sweep.runs if s.run_id not in done_before]
    keys = _cache_keys(sweep, todo, traj_dir) if cache else {s.run_id: None for s in todo}

    def task(spec: RunSpec) -> dict[str, Any]:
        return {
            "sweep": sweep.name, "run_id": spec.run_id, "point": spec.point,
            "replication": spec.replication, "seed": spec.seed, "fl_seed": spec.fl_seed,
            "overrides": spec.overrides,
            "base": sweep.base, "runs_dir": str(runs_dir),
            "cache_dir": str(traj_dir) if cache else None,
        }  # fmt: skip

    waiting: dict[str, list[RunSpec]] = {}  # key → runs waiting for its leader
    ready: list[RunSpec] = []
    for spec in todo:
        key = keys[spec.run_id]
        if key is not None and key in waiting:
            waiting[key].append(spec)
        else:
            waiting.setdefault(key, []) if key is not None else None
            ready.append(spec)

    results: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(sweep.runs), initial=len(done_before), desc=sweep.name,
               disable=quiet, file=sys.stderr, unit="run")  # fmt: skip
    pool = DaskPool(scheduler) if scheduler else LocalPool(jobs) if todo else None
    stopped = False
    futures: dict[Any, RunSpec] = {}
    pending: set[Any] = set()

    def submit(spec: RunSpec) -> None:
        try:
            future = pool.submit(execute_run, task(spec))
        except Exception as err:  # a broken pool: record the run as failed, go on
            results[spec.run_id] = _failed(spec, runs_dir, err)
            bar.update(1)
            return
        futures[future] = spec
        pending.add(future)

    def finish(status: str | None = None) -> int:
        summary = summarise(sweep, root)
        counts = summary["status"].value_counts().to_dict()
        complete = int(counts.get("complete", 0))
        status = status or ("complete" if complete == len(sweep.runs) else "incomplete")
        write_json_atomic({
            **resolved,
            "status": status,
            "counts": {"runs": len(sweep.runs), "points": len(sweep.points),
                       **{str(k): int(v) for k, v in counts.items()},
                       "skipped_complete": len(done_before), "executed": len(results),
                       "trajectories_reused": int(summary["trajectory_reused"].sum())},
            "execution": {"jobs": jobs, "scheduler": scheduler, "cache": cache,
                          "resume": resume, "fail_fast": fail_fast},
            "timings": {"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                        "wall_seconds": round(time.perf_counter() - clock, 3),
                        "run_seconds": round(sum(r["seconds"] for r in results.values()), 3)},
        }, root / SWEEP_JSON)  # fmt: skip
        return 0 if complete == len(sweep.runs) else 1

    try:
        for spec in ready:
            submit(spec)
        while pending:
            finished, rest = pool.wait(pending)
            pending.clear()
            pending.update(rest)
            for future in finished:
                spec = futures.pop(future)
                results[spec.run_id] = _outcome(future, spec, runs_dir)
                bar.update(1)
                for follower in waiting.pop(keys.get(spec.run_id) or "", []):
                    if not stopped:
                        submit(follower)
                if results[spec.run_id]["status"] != "complete" and fail_fast and not stopped:
                    stopped = True
                    pool.cancel(pending)
                    kept = {f for f in pending if not f.cancelled()}
                    pending.clear()
                    pending.update(kept)
    except BaseException:  # Ctrl-C, or a bug in the driver: stop now, keep what finished
        bar.close()
        if pool is not None:
            pool.abort(pending)
            pool = None
            if not scheduler:  # local workers are dead: nobody writes their temp folders
                remove_stale(root)
        with contextlib.suppress(Exception):  # the interrupt matters more than the summary
            finish("interrupted")
        raise
    finally:
        bar.close()
        if pool is not None:
            pool.close()
    return finish()


def _outcome(future: Any, spec: RunSpec, runs_dir: Path) -> dict[str, Any]:
    """A worker's result; if the worker itself died, record the failure here."""
    try:
        return future.result()
    except Exception as err:  # BrokenProcessPool, a killed Dask worker
        return _failed(spec, runs_dir, err)


def _failed(spec: RunSpec, runs_dir: Path, err: BaseException) -> dict[str, Any]:
    """Record a run the driver could not get a result for (its worker died)."""
    error = f"{type(err).__name__}: {err}"
    write_failed(runs_dir / spec.run_id, {
        "status": "failed", "run_id": spec.run_id, "seed": spec.seed, "error": error,
        "traceback": "".join(traceback.format_exception(err)),
    })  # fmt: skip
    return {"run_id": spec.run_id, "status": "failed", "error": error, "seconds": 0.0}


__all__ = ["execute_run", "run_sweep"]
