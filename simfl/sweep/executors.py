"""Where sweep runs execute: a local process pool or a Dask cluster, behind one interface.

Both pools take a function and one task (`submit`), wait for the first of several
futures to finish (`wait`), cancel queued work (`cancel`), shut down cleanly when the
sweep is over (`close`), and stop at once when it is interrupted (`abort`).

Local workers come from a forkserver that has already imported `PRELOAD`, are pinned to
one torch thread (so `jobs` workers on `jobs` cores do not oversubscribe, and float
results do not depend on `jobs`), and ignore SIGINT: a Ctrl-C reaches the whole
foreground process group, and only the driver decides what happens then (it aborts the
pool: queued runs are cancelled and running ones killed, never finished first).
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as pool_wait
from typing import Any

# imported once in the forkserver, so workers fork with them loaded: without the lazy
# ones (sklearn for the digits data, torch._dynamo on the first optimizer) each fresh
# worker's first run pays ~2-3 s of imports
PRELOAD = ("simfl.model", "simfl.runner", "simfl.sweep.trajectory_cache", "simfl.analysis.metrics",
           "sklearn.datasets", "torch.optim", "torch._dynamo")  # fmt: skip
KILL_GRACE_SECONDS = 5.0  # how long a terminated worker may take to exit before SIGKILL


def init_worker() -> None:
    """Local worker start-up: one torch thread, and Ctrl-C left to the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(1)
    if torch.get_num_interop_threads() != 1:
        torch.set_num_interop_threads(1)


def single_thread() -> None:
    """Pin torch to one thread where `init_worker` did not run (Dask workers)."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


class LocalPool:
    """`jobs` local worker processes (forkserver, preloaded, one torch thread each)."""

    def __init__(self, jobs: int) -> None:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=init_worker)

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self.pool.submit(fn, task)

    @staticmethod
    def wait(pending: set[Any]) -> tuple[set[Any], set[Any]]:
        done, rest = pool_wait(pending, return_when=FIRST_COMPLETED)
        return set(done), set(rest)

    def cancel(self, futures: set[Any]) -> None:
        for future in futures:
            future.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def abort(self, futures: set[Any] = frozenset()) -> None:
        """Cancel queued work and kill the workers now; returns once they have exited.

        A killed worker's run leaves its `.tmp-*` folder behind (SIGTERM skips Python's
        clean-up); the caller removes those once this returns.
        """
        # ProcessPoolExecutor offers no public handle on its workers before Python 3.14
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(KILL_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


class DaskPool:
    """Runs on a Dask distributed cluster at `address`."""

    def __init__(self, address: str) -> None:
        from dask.distributed import Client

        self.client = Client(address)

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self.client.submit(fn, task, pure=False)

    @staticmethod
    def wait(pending: set[Any]) -> tuple[set[Any], set[Any]]:
        from dask.distributed import wait

        done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def cancel(self, futures: set[Any]) -> None:
        if futures:
            self.client.cancel(list(futures))

    def close(self) -> None:
        self.client.close()

    def abort(self, futures: set[Any] = frozenset()) -> None:
        """Cancel `futures` and disconnect. Tasks already running on the cluster may still
        finish and write their run folder (whole, by rename); `--resume` counts them."""
        try:
            self.cancel(set(futures))
        finally:
            self.close()


__all__ = ["PRELOAD", "DaskPool", "LocalPool", "init_worker", "single_thread"]
