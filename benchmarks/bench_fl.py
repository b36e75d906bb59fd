"""FL engine benchmarks: overhead, exact-Shapley cost, estimator quality, Fashion-MNIST.

Run as a script: `python benchmarks/bench_fl.py [--quick] [--skip-fashion]`. Every ratio is
measured in this one run as the median of alternating repeats, and printed with its target.
Targets are never relaxed here: a miss is printed as MISS with the measured number.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from simfl.fl.engine import FederatedTraining, one_thread
from simfl.fl.game import UtilityEvaluator
from simfl.fl.settings import (
    BehaviourSettings,
    ContributionSettings,
    FLSettings,
    PartitionSettings,
)
from simfl.fl.shapley import CachedGame, exact_from_game
from simfl.fl.training import local_train


def report(name: str, value: float, target: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "MISS")
    print(f"{name:<64} {value:>10.3f}   target {target:<12} {verdict}")


def alternate(fns: list[Callable[[], float]], repeats: int) -> list[float]:
    """Median of each timing function over `repeats` alternating calls."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            samples[i].append(fn())
    return [statistics.median(s) for s in samples]


def bare_round(fl: FederatedTraining, model: torch.nn.Module, params: torch.Tensor, gens):
    """The same local training as a FedAvg round, written as a plain torch loop."""
    local = fl.settings.local
    deltas, sizes = [], []
    for i in range(fl.n_clients):
        vector_to_parameters(params.clone(), model.parameters())
        opt = torch.optim.SGD(model.parameters(), lr=local.lr)
        x, y = fl._x[i], fl._y[i]
        for _ in range(local.epochs):
            order = torch.randperm(len(y), generator=gens[i])
            for s in range(0, len(y), local.batch_size):
                idx = order[s : s + local.batch_size]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
        deltas.append(parameters_to_vector(model.parameters()).detach() - params)
        sizes.append(len(y))
    w = torch.tensor(sizes, dtype=torch.float32)
    return params + (w / w.sum()) @ torch.stack(deltas)


def bench_overhead(repeats: int) -> None:
    settings = FLSettings(contribution=ContributionSettings(methods=()))
    fl = FederatedTraining(settings, np.random.default_rng(0))
    model = fl._model
    params = fl.global_params

    def engine() -> float:
        with one_thread():
            t = time.perf_counter()
            fl.run_round()
            return time.perf_counter() - t

    def bare() -> float:
        with one_thread():
            gens = [torch.Generator().manual_seed(i) for i in range(fl.n_clients)]
            t = time.perf_counter()
            bare_round(fl, model, params, gens)
            return time.perf_counter() - t

    for _ in range(3):
        engine(), bare()
    t_engine, t_bare = alternate([engine, bare], repeats)
    print(f"  FedAvg round {t_engine * 1e3:.1f} ms, bare torch loop {t_bare * 1e3:.1f} ms")
    ratio = t_engine / t_bare
    report(
        "FedAvg round / bare torch loop (digits mlp, 10 clients)", ratio, "<= 1.15", ratio <= 1.15
    )


def bench_exact(repeats: int) -> None:
    plain = FederatedTraining(
        FLSettings(contribution=ContributionSettings(methods=())), np.random.default_rng(0)
    )

    def timed(fl: FederatedTraining) -> Callable[[], float]:
        def run() -> float:
            t = time.perf_counter()
            fl.run_round()
            return time.perf_counter() - t

        return run

    exact_only = FederatedTraining(
        FLSettings(contribution=ContributionSettings(methods=("exact_shapley",))),
        np.random.default_rng(0),
    )
    for _ in range(3):
        timed(plain)(), timed(exact_only)()
    t_plain, t_exact = alternate([timed(plain), timed(exact_only)], repeats)
    cost = (t_exact - t_plain) / t_plain
    print(
        f"  round without scores {t_plain * 1e3:.1f} ms, with exact Shapley {t_exact * 1e3:.1f} ms"
    )
    report("exact Shapley time / local-training time (digits mlp, n=10)", cost, "<= 3", cost <= 3)

    # batched vs one-by-one coalition evaluation on a real round's updates
    fl = exact_only
    start = fl.global_params
    gen = torch.Generator().manual_seed(0)
    updates = torch.stack(
        [
            local_train(fl._model, start, fl._x[i], fl._y[i], fl.settings.local, gen)
            for i in range(fl.n_clients)
        ]
    )
    sizes = torch.tensor(fl.client_sizes, dtype=torch.float32)

    def path_timer(path: str) -> Callable[[], float]:
        def run() -> float:
            with one_thread():
                ev = UtilityEvaluator(fl._model, start, updates, sizes, fl._x_val, fl._y_val,
                                      "accuracy", path)  # fmt: skip
                t = time.perf_counter()
                exact_from_game(CachedGame(fl.n_clients, ev))
                return time.perf_counter() - t

        return run

    t_fast, t_vmap, t_loop = alternate([path_timer(p) for p in ("fast", "vmap", "loop")], 5)
    print(
        f"  1024 coalitions: batched fast {t_fast * 1e3:.1f} ms, vmap {t_vmap * 1e3:.1f} ms, "
        f"one-by-one {t_loop * 1e3:.1f} ms"
    )
    report("batched (first-layer GEMM) speed-up over one-by-one", t_loop / t_fast, "report", None)
    report("batched (vmap) speed-up over one-by-one", t_loop / t_vmap, "report", None)


ADVERSARIAL = {
    7: BehaviourSettings("noisy_labels", fraction=0.5),
    8: BehaviourSettings("free_rider"),
    9: BehaviourSettings("label_flip"),
}


def bench_estimators(rounds: int, behaviours: dict, label: str) -> None:
    """Dirichlet(0.5) digits, default budgets (tmc: 50 permutations, gtg: <= 30)."""
    settings = FLSettings(
        partition=PartitionSettings(kind="dirichlet", alpha=0.5),
        behaviours=behaviours,
        contribution=ContributionSettings(
            methods=("exact_shapley", "tmc_shapley", "gtg_shapley"),
        ),
    )
    fl = FederatedTraining(settings, np.random.default_rng(1))
    cum = {m: np.zeros(10) for m in settings.contribution.methods}
    spent = {m: 0 for m in settings.contribution.methods}
    for _ in range(rounds):
        r = fl.run_round()
        for m in cum:
            cum[m] += r.scores[m]
            spent[m] += r.evaluations[m]
    for m in ("gtg_shapley", "tmc_shapley"):
        corr = float(np.corrcoef(cum[m], cum["exact_shapley"])[0, 1])
        share = spent[m] / spent["exact_shapley"]
        report(f"{m}, {label}: Pearson with exact ({rounds} rounds)", corr, ">= 0.9",
               corr >= 0.9)  # fmt: skip
        report(f"{m}, {label}: evaluations / exact's ({spent[m] / rounds:.0f}/round)", share,
               "<= 0.40", share <= 0.40)  # fmt: skip


def bench_fashion(rounds: int) -> None:
    settings = FLSettings(
        dataset="fashion-mnist",
        contribution=ContributionSettings(methods=("exact_shapley",)),
    )
    t = time.perf_counter()
    fl = FederatedTraining(settings, np.random.default_rng(0))
    print(f"  Fashion-MNIST setup (load + partition) {time.perf_counter() - t:.2f} s")
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = fl.run_round()
        times.append(time.perf_counter() - t)
    print(f"  accuracy after {rounds} rounds: {r.accuracy:.3f}")
    report("Fashion-MNIST mlp, 10 clients, exact Shapley: s / round", statistics.median(times),
           "report", None)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--skip-fashion", action="store_true")
    args = parser.parse_args()
    repeats = 7 if args.quick else 21
    print("simfl FL benchmarks (medians of alternating repeats)")
    bench_overhead(repeats)
    bench_exact(repeats)
    bench_estimators(10, ADVERSARIAL, "3 bad clients")
    bench_estimators(10, {}, "all honest")
    if not args.skip_fashion:
        bench_fashion(3 if args.quick else 5)


if __name__ == "__main__":
    main()
