"""Shapley-value estimators for any cooperative game, model-free.

Internally a coalition is a bitmask (bit i set = player i in) and a game answers a batch of
masks at once (`BatchGame.values`), so an FL utility can evaluate many coalition models in
one pass; `CachedGame` memoises values and counts evaluations (distinct coalitions asked
for; cache hits are free). The public `exact_shapley` / `monte_carlo_shapley` /
`truncated_monte_carlo_shapley` / `gtg_shapley` take a plain `value(frozenset) -> float`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np

from simfl.errors import ContributionError

Value = Callable[[frozenset[int]], float]
BatchValue = Callable[[np.ndarray], np.ndarray]  # int64 masks -> float64 values


class BatchGame(Protocol):
    n_players: int
    evaluations: int

    def values(self, masks: np.ndarray) -> np.ndarray: ...


class CachedGame:
    """A game answering batches of bitmasks from a cache shared with other views.

    `store` maps mask -> value and may be shared by several CachedGame views of the same
    round, so the utility is computed once; each view counts in `evaluations` the distinct
    coalitions *it* asked for, i.e. what the method would have cost on its own.
    """

    def __init__(self, n_players: int, batch_value: BatchValue, store: dict | None = None):
        self.n_players = n_players
        self.batch_value = batch_value
        self.store: dict[int, float] = {} if store is None else store
        self.asked: set[int] = set()

    @property
    def evaluations(self) -> int:
        return len(self.asked)

    def values(self, masks: np.ndarray) -> np.ndarray:
        masks = np.asarray(masks, dtype=np.int64)
        keys = masks.tolist()
        self.asked.update(keys)
        missing = sorted({k for k in keys if k not in self.store})
        if missing:
            computed = self.batch_value(np.asarray(missing, dtype=np.int64))
            self.store.update(zip(missing, np.asarray(computed, dtype=np.float64).tolist()))
        return np.fromiter((self.store[k] for k in keys), dtype=np.float64, count=len(keys))


def game_from_value(n_players: int, value: Value) -> CachedGame:
    """Wrap a scalar frozenset value function as a cached batch game."""

    def batch(masks: np.ndarray) -> np.ndarray:
        return np.array(
            [value(frozenset(i for i in range(n_players) if (m >> i) & 1)) for m in masks.tolist()]
        )

    return CachedGame(n_players, batch)


def _popcount(masks: np.ndarray) -> np.ndarray:
    return np.array([int(m).bit_count() for m in masks.tolist()], dtype=np.int64)


# ---------------------------------------------------------------------------- estimators


def exact_from_game(game: BatchGame) -> np.ndarray:
    """Exact Shapley values (Shapley 1953) from all 2^n coalitions; raises nothing, the
    caller bounds n. Cost: 2^n evaluations."""
    n = game.n_players
    masks = np.arange(1 << n, dtype=np.int64)
    v = game.values(masks)
    sizes = _popcount(masks)
    weight = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = float(np.sum(weight[sizes[without]] * (v[without | (1 << i)] - v[without])))
    return phi


def loo_from_game(game: BatchGame) -> np.ndarray:
    """Leave-one-out: v(N) - v(N \\ {i}). Cost: n + 1 evaluations."""
    n = game.n_players
    full = (1 << n) - 1
    v = game.values(np.array([full] + [full ^ (1 << i) for i in range(n)]))
    return v[0] - v[1:]


def _permutation_walk(
    game: BatchGame,
    perms: np.ndarray,
    tolerance: float | None,
    ends: tuple[float, float] | None = None,
) -> np.ndarray:
    """Marginal contributions along each permutation (rows of `perms`): a (k x n) array
    whose row r holds every player's marginal contribution in permutation r.

    All permutations advance one position at a time, so each position is one batched
    request. With `tolerance`, once a permutation's non-empty prefix is within `tolerance`
    of v(N) (|v(N) - v(prefix)| < tolerance) its remaining players get 0 (Ghorbani & Zou
    2019's truncation). The empty prefix is never truncated: skipping a whole round whose
    gain is small is a between-round rule, which only GTG has, under its own key.
    `ends` = (v(∅), v(N)) when the caller already has them.
    """
    n = game.n_players
    k = perms.shape[0]
    marginals = np.zeros((k, n))
    prefix = np.zeros(k, dtype=np.int64)
    if ends is not None:
        v_empty, v_full = ends
    elif tolerance is not None:
        v_empty, v_full = game.values(np.array([0, (1 << n) - 1]))
    else:
        v_empty = game.values(np.array([0]))[0]
    prev = np.full(k, v_empty)
    active = np.ones(k, dtype=bool)
    rows_all = np.arange(k)
    for pos in range(n):
        if tolerance is not None and pos > 0:
            active &= np.abs(v_full - prev) >= tolerance
        if not active.any():
            break
        rows = rows_all[active]
        players = perms[rows, pos]
        prefix[rows] |= np.left_shift(1, players).astype(np.int64)
        now = game.values(prefix[rows])
        marginals[rows, players] = now - prev[rows]
        prev[rows] = now
    return marginals


def _uniform_permutations(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permuted(np.tile(np.arange(n), (k, 1)), axis=1)


def mc_from_game(
    game: BatchGame, permutations: int, rng: np.random.Generator, antithetic: bool = False
) -> np.ndarray:
    """Permutation-sampling Shapley (Castro, Gómez & Tejada 2009): the mean marginal
    contribution over `permutations` uniform permutations. With `antithetic`, every second
    permutation is the reverse of the one before (antithetic pairs, a variance
    reduction). Unbiased. Cost: at most
    permutations x n + 1 evaluations, fewer when prefixes repeat."""
    n = game.n_players
    if permutations < 1:
        raise ContributionError(f"mc_shapley: permutations={permutations} must be >= 1")
    if antithetic:
        half = _uniform_permutations(n, (permutations + 1) // 2, rng)
        perms = np.empty((2 * len(half), n), dtype=np.int64)
        perms[0::2], perms[1::2] = half, half[:, ::-1]
        perms = perms[:permutations]
    else:
        perms = _uniform_permutations(n, permutations, rng)
    return _permutation_walk(game, perms, None).sum(axis=0) / permutations


def tmc_from_game(
    game: BatchGame, permutations: int, rng: np.random.Generator, tolerance: float
) -> np.ndarray:
    """Truncated Monte-Carlo Shapley (Ghorbani & Zou, "Data Shapley", ICML 2019):
    permutation sampling that stops a permutation once its (non-empty) prefix is within
    `tolerance` (absolute, in utility units) of v(N); the rest of that permutation's players
    get 0. Biased by at most the truncated marginals; assumes marginals after the prefix
    reached v(N) are small. No between-round truncation: a round with a small gain is
    still sampled. Cost: at most permutations x n + 2 evaluations."""
    n = game.n_players
    if permutations < 1:
        raise ContributionError(f"tmc_shapley: permutations={permutations} must be >= 1")
    perms = _uniform_permutations(n, permutations, rng)
    return _permutation_walk(game, perms, tolerance).sum(axis=0) / permutations


GTG_LAST_K = 10  # GTG convergence: the last 10 running estimates (reference code's last_k)


def gtg_floor(n: int, min_permutations: int) -> int:
    """GTG's least number of permutations per round: max(`min_permutations`, n), the
    reference code's max(30, n), so every player leads at least one permutation."""
    return max(min_permutations, n)


def gtg_max_default(n: int, min_permutations: int) -> int:
    """The reference code's cap on GTG permutations: min(2^n, max(floor, 0.8 x 2^n))
    (without its random jitter of ±5), rounded down."""
    return min(2**n, max(min_permutations, int(0.8 * 2**n)))


def gtg_converged(records: np.ndarray, convergence: float, last_k: int = GTG_LAST_K) -> bool:
    """GTG's stopping rule: the running estimates (means of the first 1, 2, ... rows of
    `records`) after each of the last `last_k` permutations are all within `convergence` of
    the latest, measured as the mean over players of |est_k - est_last| / (|est_last| +
    1e-12). Fewer than `last_k` records never converge."""
    if len(records) < last_k:
        return False
    running = np.cumsum(records, axis=0) / np.arange(1, len(records) + 1)[:, None]
    last = running[-last_k:]
    errors = np.mean(np.abs(last - last[-1]) / (np.abs(last[-1]) + 1e-12), axis=1)
    return bool(np.max(errors) <= convergence)


def gtg_from_game(
    game: BatchGame,
    rng: np.random.Generator,
    within_tolerance: float = 0.001,
    between_tolerance: float = 0.001,
    min_permutations: int = 30,
    max_permutations: int | None = None,
    convergence: float = 0.05,
) -> np.ndarray:
    """GTG-Shapley (Liu, Chen, Yu, Lyu & Wang, "GTG-Shapley: Efficient and Accurate
    Participant Contribution Evaluation in Federated Learning", ACM TIST 2022), on one
    round's game. Defaults are the reference code's settings.

    Between-round truncation: if |v(N) - v(∅)| < `between_tolerance`, every value is 0
    (2 evaluations). Otherwise guided sampling, in groups of n permutations: the k-th
    permutation of a group puts player k first and the rest in random order; within-round
    truncation as in TMC with `within_tolerance`. After each group, once at least
    max(`min_permutations`, n) permutations are done (a floor, not a ceiling), stop when
    the last 10 running estimates are within `convergence` of the latest
    (`gtg_converged`), or at `max_permutations` (default: the reference's
    min(2^n, max(floor, 0.8 x 2^n))). The estimate is the mean marginal contribution.
    Cost: at most max_permutations x n + 2 evaluations, fewer with truncation and repeats.
    """
    n = game.n_players
    v_empty, v_full = ends = tuple(game.values(np.array([0, (1 << n) - 1])))
    if abs(v_full - v_empty) < between_tolerance:
        return np.zeros(n)
    floor = gtg_floor(n, min_permutations)
    cap = gtg_max_default(n, floor) if max_permutations is None else max_permutations
    if cap < 1:
        raise ContributionError(f"gtg_shapley: max_permutations={cap} must be >= 1")
    records = np.zeros((0, n))
    while len(records) < cap:
        size = min(n, cap - len(records))
        perms = np.empty((size, n), dtype=np.int64)
        for first in range(size):
            rest = np.delete(np.arange(n), first)
            perms[first, 0], perms[first, 1:] = first, rng.permutation(rest)
        records = np.vstack([records, _permutation_walk(game, perms, within_tolerance, ends)])
        if len(records) >= floor and gtg_converged(records, convergence):
            break
    return records.mean(axis=0)


# ---------------------------------------------------------------------------- public API


def exact_shapley(n_players: int, value: Value, max_players: int = 20) -> list[float]:
    """Exact Shapley values φ_i = Σ_{S ⊆ N\\{i}} |S|!(n-|S|-1)!/n! (v(S ∪ {i}) - v(S))
    (Shapley 1953). Cost: 2^n evaluations of `value` (each coalition once, v(∅) included).
    Assumes nothing of the game; refuses n > `max_players` with ContributionError.

    >>> exact_shapley(2, lambda s: float(len(s) == 2))
    [0.5, 0.5]
    """
    if n_players > max_players:
        raise ContributionError(
            f"exact_shapley with {n_players} players needs 2^{n_players} evaluations; "
            f"refused above max_players={max_players}: use monte_carlo_shapley"
        )
    return exact_from_game(game_from_value(n_players, value)).tolist()


def monte_carlo_shapley(
    n_players: int,
    value: Value,
    permutations: int,
    rng: np.random.Generator,
    antithetic: bool = False,
) -> list[float]:
    """Permutation-sampling estimate of the Shapley values (Castro, Gómez & Tejada 2009):
    the mean over `permutations` random orders of each player's marginal contribution to
    the players before it. Unbiased; error O(1/sqrt(permutations)). `antithetic` pairs each
    order with its reverse. Cost: at most permutations x n + 1 distinct evaluations.
    """
    return mc_from_game(game_from_value(n_players, value), permutations, rng, antithetic).tolist()


def truncated_monte_carlo_shapley(
    n_players: int, value: Value, permutations: int, rng: np.random.Generator, tolerance: float
) -> list[float]:
    """TMC-Shapley (Ghorbani & Zou 2019); see `tmc_from_game`. Cost ≤ permutations x n + 2."""
    return tmc_from_game(game_from_value(n_players, value), permutations, rng, tolerance).tolist()


def gtg_shapley(
    n_players: int,
    value: Value,
    rng: np.random.Generator,
    within_tolerance: float = 0.001,
    between_tolerance: float = 0.001,
    min_permutations: int = 30,
    max_permutations: int | None = None,
    convergence: float = 0.05,
) -> list[float]:
    """GTG-Shapley (Liu et al. 2022) with the reference settings as defaults; see
    `gtg_from_game`. Cost ≤ max_permutations x n + 2 evaluations."""
    game = game_from_value(n_players, value)
    return gtg_from_game(
        game, rng, within_tolerance, between_tolerance, min_permutations, max_permutations,
        convergence,
    ).tolist()  # fmt: skip
