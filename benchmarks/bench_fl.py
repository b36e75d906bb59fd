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
from scipy.stats import pearsonr, spearmanr
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from simfl.fl.contribution import ContributionScorer
from simfl.fl.engine import FederatedTraining, one_thread
from simfl.fl.game import UtilityEvaluator
from simfl.fl.kernelshap import kernel_from_game
from simfl.fl.settings import (
    BehaviourSettings,
    ContributionSettings,
    FLSettings,
    LocalSettings,
    PartitionSettings,
)
from simfl.fl.shapley import CachedGame, exact_from_game, gtg_from_game, tmc_from_game
from simfl.fl.training import local_train


def report(name: str, value: float, target: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "MISS")
    print(f"{name:<70} {value:>10.3f}   target {target:<12} {verdict}")


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
ESTIMATORS = (
    "gtg_shapley", "gtg@30perms", "tmc_shapley", "tmc@100perms",
    "kernelshap@gtg", "kernelshap@tmc", "kernelshap@tmc100",
)  # fmt: skip
# TMC's larger budget: `fl.contribution.permutations: 100`, chosen from evaluations alone
# (seed 0, 20 rounds: 46.2 % / 42.4 % of exact's on honest / adversarial; 110 took 49.1 %,
# within a point of the limit, 120 took 51.2 %), before any accuracy measure was looked at
TMC_PERMUTATIONS = 100
# each KernelSHAP twin and the setting it matches, round by round
TWINS = (
    ("kernelshap@gtg", "gtg_shapley"),
    ("kernelshap@tmc", "tmc_shapley"),
    ("kernelshap@tmc100", "tmc@100perms"),
)


class MatchedBudgets(ContributionScorer):
    """The configured methods, plus GTG capped at its floor of 30 permutations
    (`gtg@30perms`, the cheaper setting), TMC at `TMC_PERMUTATIONS` per round
    (`tmc@100perms`, a larger `permutations`), and KernelSHAP on each round's game with
    exactly the evaluations GTG (`kernelshap@gtg`), TMC (`kernelshap@tmc`) and TMC at 100
    permutations (`kernelshap@tmc100`) spent on that round. Each added setting draws from
    its own generator, so adding one changes no other row."""

    def __init__(self, settings: ContributionSettings, n_clients: int, seed: int) -> None:
        super().__init__(settings, n_clients)
        self.kernel_rng = np.random.default_rng(seed)
        self.cheap_rng = np.random.default_rng(seed + 10**6)
        self.tmc_rng = np.random.default_rng(seed + 2 * 10**6)
        self.kernel_tmc_rng = np.random.default_rng(seed + 3 * 10**6)

    def score(self, participants, sizes, updates, game, rng):
        scores, spent = super().score(participants, sizes, updates, game, rng)
        view = game.view()
        values = gtg_from_game(view, self.cheap_rng, max_permutations=30)
        scores["gtg@30perms"] = tuple(self._full(game, values))
        spent["gtg@30perms"] = view.evaluations
        view = game.view()
        values = tmc_from_game(
            view, TMC_PERMUTATIONS, self.tmc_rng, self.settings.truncation_tolerance
        )
        scores["tmc@100perms"] = tuple(self._full(game, values))
        spent["tmc@100perms"] = view.evaluations
        for name, source in TWINS:
            budget = spent[source]
            view = game.view()
            rng = self.kernel_tmc_rng if source == "tmc@100perms" else self.kernel_rng
            if budget >= len(game.players) + 2:
                values = kernel_from_game(view, budget, rng)
            else:  # GTG skipped the round (2 evaluations): so does its twin
                values = np.zeros(len(game.players))
            scores[name] = tuple(self._full(game, values))
            spent[name] = max(view.evaluations, budget)
        return scores, spent

    def _full(self, game, values: np.ndarray) -> np.ndarray:
        full = np.zeros(self.n_clients)
        full[list(game.players)] = values
        return full


def estimator_run(
    seed: int, rounds: int, behaviours: dict, partition: PartitionSettings
) -> tuple[dict, dict, float]:
    """Cumulative scores and evaluations per method, and the final accuracy: digits, 10
    clients, 2 local epochs at lr 0.2 (past 0.85 in about 8 rounds when honest)."""
    settings = FLSettings(
        partition=partition,
        local=LocalSettings(epochs=2, lr=0.2),
        behaviours=behaviours,
        contribution=ContributionSettings(
            methods=("exact_shapley", "gtg_shapley", "tmc_shapley"), pay_by="exact_shapley"
        ),
    )
    fl = FederatedTraining(settings, np.random.default_rng(seed))
    fl._scorer = MatchedBudgets(settings.contribution, fl.n_clients, seed)
    cum: dict[str, np.ndarray] = {}
    spent: dict[str, int] = {}
    for _ in range(rounds):
        r = fl.run_round()
        for m, values in r.scores.items():
            cum[m] = cum.get(m, np.zeros(fl.n_clients)) + np.asarray(values)
            spent[m] = spent.get(m, 0) + r.evaluations[m]
    return cum, spent, r.accuracy


def bench_estimators(seeds: list[int], rounds: int) -> None:
    """Item 6 of issue 10: per setting and method, the median and worst (over seeds)
    Pearson, Spearman and relative L2 error of cumulative scores against exact Shapley,
    and the share of exact's evaluations; targets: GTG and TMC worst Pearson >= 0.9 at
    <= 50 % of exact's evaluations; KernelSHAP's median relative L2 below GTG's (TMC's)
    at GTG's (TMC's) evaluations, round by round."""
    settings = (
        ("honest", {}, PartitionSettings(kind="dirichlet", alpha=0.5)),
        # iid: under dirichlet(0.5) a label flipper holding 170 of 1,077 samples keeps
        # FedAvg below 0.85 (0.77 at seed 2, measured); iid keeps every seed above 0.88
        ("adversarial", ADVERSARIAL, PartitionSettings(kind="iid")),
    )
    for label, behaviours, partition in settings:
        rows: dict[str, list[tuple[float, float, float, float]]] = {m: [] for m in ESTIMATORS}
        accuracies = []
        for seed in seeds:
            cum, spent, accuracy = estimator_run(seed, rounds, behaviours, partition)
            accuracies.append(accuracy)
            exact = cum["exact_shapley"]
            for m in ESTIMATORS:
                est = cum[m]
                rows[m].append((
                    float(pearsonr(est, exact)[0]),
                    float(spearmanr(est, exact)[0]),
                    float(np.linalg.norm(est - exact) / np.linalg.norm(exact)),
                    spent[m] / spent["exact_shapley"],
                ))  # fmt: skip
        print(f"  {label} ({partition.kind}): {len(seeds)} seeds x {rounds} rounds, final accuracy "
              f"{min(accuracies):.3f}..{max(accuracies):.3f}")  # fmt: skip
        report(f"{label}: worst-seed final accuracy", min(accuracies), ">= 0.85",
               min(accuracies) >= 0.85)  # fmt: skip
        print(f"  {'method':<17} {'Pearson med/worst':>18} {'Spearman med/worst':>19} "
              f"{'rel L2 med/worst':>17} {'evals/exact med/max':>20}")  # fmt: skip
        for m in ESTIMATORS:
            a = np.array(rows[m])
            print(f"  {m:<17} {np.median(a[:, 0]):>8.3f} / {a[:, 0].min():<7.3f} "
                  f"{np.median(a[:, 1]):>9.3f} / {a[:, 1].min():<7.3f} "
                  f"{np.median(a[:, 2]):>7.3f} / {a[:, 2].max():<7.3f} "
                  f"{np.median(a[:, 3]):>9.3f} / {a[:, 3].max():<7.3f}")  # fmt: skip
        for m in ("gtg_shapley", "gtg@30perms", "tmc_shapley", "tmc@100perms"):
            a = np.array(rows[m])
            report(
                f"{label}: {m} worst-seed Pearson", a[:, 0].min(), ">= 0.9", a[:, 0].min() >= 0.9
            )
            report(f"{label}: {m} worst-seed evaluations / exact's", a[:, 3].max(), "<= 0.50",
                   a[:, 3].max() <= 0.50)  # fmt: skip
        for twin, base in TWINS:
            ours, theirs = (
                np.median(np.array(rows[twin])[:, 2]),
                np.median(np.array(rows[base])[:, 2]),
            )
            report(f"{label}: {twin} median rel L2 (vs {base} {theirs:.3f})", ours,
                   f"< {theirs:.3f}", ours < theirs)  # fmt: skip


FREE_RIDER_SCENARIOS = ("quickstart", "free-riders", "wallstreetfeds")


def free_rider_table(seeds: list[int]) -> None:
    """The plain free rider's reward as % of an equal payout (liquidation mark,
    `comparison.parquet`'s `pct_equal_liquidation`) per scenario, utility and payout
    method: mean and range over `seeds`. Each run is the shipped scenario at that seed with
    `fl.contribution.utility` set; its `compare` list gives one market per method."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from simfl.runner import run_scenario

    root = Path(__file__).resolve().parent.parent / "scenarios"
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for name in FREE_RIDER_SCENARIOS:
            for utility in ("accuracy", "neg_loss"):
                for seed in seeds:
                    folder = run_scenario(
                        root / f"{name}.yaml", out, seed=seed,
                        overrides={"fl.contribution.utility": utility},
                        run_id=f"{name}-{utility}-{seed}",
                    )  # fmt: skip
                    frame = pd.read_parquet(folder / "comparison.parquet")
                    riders = frame[
                        (frame["behaviour"] == "free_rider") & (frame["varies"] != "mode")
                    ]
                    for method, pct in zip(riders["method"], riders["pct_equal_liquidation"]):
                        rows.append((name, utility, method, seed, float(pct)))
    table = pd.DataFrame(rows, columns=["scenario", "utility", "method", "seed", "pct"])
    print(f"  plain free rider, % of an equal payout (liquidation), seeds {seeds}")
    print(f"  {'scenario':<15} {'utility':<9} {'method':<14} {'mean':>7}   range")
    for (name, utility, method), part in table.groupby(
        ["scenario", "utility", "method"], sort=False
    ):
        pct = part["pct"]
        print(f"  {name:<15} {utility:<9} {method:<14} {pct.mean():>7.1f}   "
              f"{pct.min():.1f} .. {pct.max():.1f}")  # fmt: skip


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
    parser.add_argument("--estimators-only", action="store_true", help="only the estimator table")
    parser.add_argument("--seeds", type=int, default=5, help="estimator benchmark seeds")
    parser.add_argument("--rounds", type=int, default=20, help="estimator benchmark rounds")
    parser.add_argument(
        "--free-riders", action="store_true", help="only the free-rider table (README)"
    )
    args = parser.parse_args()
    repeats = 7 if args.quick else 21
    print("simfl FL benchmarks (medians of alternating repeats)")
    if args.free_riders:
        free_rider_table(list(range(1, args.seeds + 1)))
        return
    if args.estimators_only:
        bench_estimators(list(range(args.seeds)), args.rounds)
        return
    bench_overhead(repeats)
    bench_exact(repeats)
    bench_estimators(list(range(args.seeds)), args.rounds)
    if not args.skip_fashion:
        bench_fashion(3 if args.quick else 5)


if __name__ == "__main__":
    main()
