"""KernelSHAP with paired sampling: exact at full budget, budget kept, efficiency."""

import itertools
import math

import numpy as np
import pytest

from simfl.errors import ContributionError
from simfl.fl.kernelshap import kernel_from_game, kernel_shapley, shapley_kernel
from simfl.fl.shapley import game_from_value


def brute_force(n, v):
    """Shapley values from all n! orders (independent of the estimators)."""
    phi = [0.0] * n
    for order in itertools.permutations(range(n)):
        prefix = frozenset()
        for p in order:
            phi[p] += v(prefix | {p}) - v(prefix)
            prefix = prefix | {p}
    return [x / math.factorial(n) for x in phi]


def random_game(n, seed):
    w = np.random.default_rng(seed).normal(size=n)
    return lambda s: float(math.tanh(sum(w[i] for i in s)) + 0.1 * len(s) ** 0.5)


def test_kernel_weight_is_the_shapley_kernel():
    # n = 4, |S| = 1: (4 - 1) / (C(4, 1) x 1 x 3) = 1 / 4
    assert shapley_kernel(4, 1) == pytest.approx(0.25)
    assert shapley_kernel(4, 2) == pytest.approx(3 / (6 * 2 * 2))


def test_full_budget_is_exact_shapley():
    glove = lambda s: float(min(len(s & {0, 1}), len(s & {2})))  # noqa: E731
    got = kernel_from_game(game_from_value(3, glove), 8, np.random.default_rng(0))
    assert got.tolist() == pytest.approx([1 / 6, 1 / 6, 2 / 3])
    v = random_game(6, 1)
    got = kernel_from_game(game_from_value(6, v), 64, np.random.default_rng(0))
    assert got.tolist() == pytest.approx(brute_force(6, v), abs=1e-12)


def test_additive_game_is_exact_on_a_small_budget():
    w = [0.5, -0.2, 0.1, 0.9, 0.0, 0.3, -0.4, 0.25]
    game = game_from_value(8, lambda s: float(sum(w[i] for i in s)))
    assert kernel_from_game(game, 20, np.random.default_rng(0)).tolist() == pytest.approx(w)
    assert game.evaluations == 20


def test_budget_is_kept_and_values_are_efficient():
    v = random_game(9, 2)
    game = game_from_value(9, v)
    phi = kernel_from_game(game, 100, np.random.default_rng(4))
    assert game.evaluations == 100
    assert phi.sum() == pytest.approx(v(frozenset(range(9))) - v(frozenset()))


def test_sampled_coalitions_come_with_their_complements():
    game = game_from_value(10, random_game(10, 3))
    kernel_from_game(game, 120, np.random.default_rng(5))
    full = (1 << 10) - 1
    asked = game.asked - {0, full}
    assert asked == {full ^ m for m in asked}


def test_error_shrinks_with_budget_on_average():
    v = random_game(7, 6)
    exact = np.array(brute_force(7, v))
    errs = {}
    for budget in (30, 120):
        errs[budget] = np.mean([
            np.linalg.norm(kernel_from_game(game_from_value(7, v), budget,
                                            np.random.default_rng(s)) - exact)
            for s in range(8)
        ])  # fmt: skip
    assert errs[120] < errs[30]


def test_budget_below_n_plus_two_is_refused():
    with pytest.raises(ContributionError, match="budget=5 coalitions is below n \\+ 2 = 6"):
        kernel_from_game(game_from_value(4, lambda s: 0.0), 5, np.random.default_rng(0))


def test_many_players_on_a_budget_do_not_enumerate_every_coalition():
    # 40 players: 2^40 coalitions could never be listed; an additive game is fitted
    # exactly from the 300 evaluated ones
    w = np.linspace(-1.0, 2.0, 40)
    phi = kernel_shapley(40, lambda s: float(sum(w[i] for i in s)), 300, np.random.default_rng(1))
    assert phi == pytest.approx(w.tolist(), abs=1e-9)


def test_enumerated_coalitions_weigh_the_kernel_sampled_ones_share_the_rest(monkeypatch):
    """n = 6, budget 30: ∅, N and sizes 1 and 5 (12 coalitions) enumerated, each weighing
    k(6, 1) = 5 / (6·1·5) = 1/6; the draws of sizes 2..4 (16 distinct coalitions) share the
    kernel mass of those sizes, C(6,s)·k(6,s) = 5 / (s(6 - s)): 5/8 + 5/9 + 5/8 = 65/36,
    equally."""
    from simfl.fl import kernelshap

    seen = {}
    real = kernelshap._solve

    def spy(n, masks, weights, gains, total):
        seen["masks"], seen["weights"] = masks, weights
        return real(n, masks, weights, gains, total)

    monkeypatch.setattr(kernelshap, "_solve", spy)
    kernel_from_game(game_from_value(6, random_game(6, 1)), 30, np.random.default_rng(2))
    sizes = np.array([int(m).bit_count() for m in seen["masks"]])
    weights = seen["weights"]
    outer = (sizes == 1) | (sizes == 5)
    assert outer.sum() == 12 and np.allclose(weights[outer], 1 / 6, rtol=1e-12)
    inner = ~outer  # draws, repeats kept: each draw an equal share of 65/36
    assert len(set(seen["masks"][inner].tolist())) == 16
    assert np.allclose(weights[inner], 65 / 36 / inner.sum(), rtol=1e-12)
