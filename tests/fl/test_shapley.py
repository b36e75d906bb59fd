"""Shapley estimators on games with known values: axioms, and convergence with budget."""

import math
from itertools import combinations

import numpy as np
import pytest

from simfl.fl.shapley import (
    exact_shapley,
    game_from_value,
    gtg_shapley,
    loo_from_game,
    monte_carlo_shapley,
    truncated_monte_carlo_shapley,
)


def glove(s):  # players 0, 1 hold left gloves, player 2 a right glove
    return float(min(len(s & {0, 1}), len(s & {2})))


def voting(weights, quota):
    return lambda s: float(sum(weights[i] for i in s) >= quota)


def additive(w):
    return lambda s: float(sum(w[i] for i in s))


def test_glove_game_has_known_values():
    assert exact_shapley(3, glove) == pytest.approx([1 / 6, 1 / 6, 2 / 3])


def test_weighted_voting_game_has_known_values():
    # [quota 3; 2, 1, 1]: player 0 is pivotal in 4 of 6 orders
    assert exact_shapley(3, voting([2, 1, 1], 3)) == pytest.approx([2 / 3, 1 / 6, 1 / 6])


def test_efficiency_values_sum_to_grand_coalition_gain():
    rng = np.random.default_rng(0)
    table = {frozenset(c): rng.normal() for k in range(6) for c in combinations(range(5), k)}
    table[frozenset()] = 0.3
    phi = exact_shapley(5, table.__getitem__)
    assert sum(phi) == pytest.approx(table[frozenset(range(5))] - table[frozenset()])


def test_symmetric_players_get_equal_values():
    phi = exact_shapley(4, lambda s: float(len(s) ** 2))
    assert phi == pytest.approx([phi[0]] * 4)


def test_null_player_gets_zero():
    phi = exact_shapley(4, lambda s: float(len(s - {3}) ** 1.5))
    assert phi[3] == pytest.approx(0.0, abs=1e-12)


def test_additivity_of_two_games():
    v, w = voting([3, 2, 1, 1], 4), additive([0.1, 0.5, -0.2, 0.0])
    both = exact_shapley(4, lambda s: v(s) + w(s))
    assert both == pytest.approx(np.add(exact_shapley(4, v), exact_shapley(4, w)).tolist())


def test_additive_game_values_equal_weights():
    assert exact_shapley(4, additive([1, 2, 3, 4])) == pytest.approx([1, 2, 3, 4])


def test_exact_shapley_evaluates_each_coalition_once():
    game = game_from_value(6, lambda s: float(len(s)))
    from simfl.fl.shapley import exact_from_game

    exact_from_game(game)
    assert game.evaluations == 2**6


def test_leave_one_out_costs_n_plus_one():
    game = game_from_value(5, voting([3, 1, 1, 1, 1], 5))
    assert loo_from_game(game).tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert game.evaluations == 6


def _random_game(n, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    return lambda s: float(math.tanh(sum(w[i] for i in s)) + 0.1 * len(s) ** 0.5)


def _error(estimate, exact):
    return float(np.max(np.abs(np.subtract(estimate, exact))))


def test_monte_carlo_approaches_exact_as_permutations_grow():
    v = _random_game(6, 1)
    exact = exact_shapley(6, v)
    errs = [
        _error(monte_carlo_shapley(6, v, k, np.random.default_rng(3)), exact) for k in (5, 2000)
    ]
    assert errs[1] < errs[0] and errs[1] < 0.02


def test_antithetic_monte_carlo_is_efficient_per_pair_and_converges():
    v = _random_game(6, 2)
    exact = exact_shapley(6, v)
    est = monte_carlo_shapley(6, v, 4000, np.random.default_rng(4), antithetic=True)
    assert _error(est, exact) < 0.05
    pair = monte_carlo_shapley(6, v, 2, np.random.default_rng(5), antithetic=True)
    assert sum(pair) == pytest.approx(v(frozenset(range(6))) - v(frozenset()))


def test_truncated_monte_carlo_approaches_exact_as_budget_grows():
    v = _random_game(7, 3)
    exact = exact_shapley(7, v)
    small = truncated_monte_carlo_shapley(7, v, 3, np.random.default_rng(0), tolerance=0.0)
    big = truncated_monte_carlo_shapley(7, v, 3000, np.random.default_rng(0), tolerance=1e-9)
    assert _error(big, exact) < 0.02 < _error(small, exact) + 0.02


def test_tmc_truncation_saves_evaluations():
    v = lambda s: float(len(s) >= 1)  # noqa: E731 - saturates after one player
    game_calls = []

    def counted(s):
        game_calls.append(s)
        return v(s)

    truncated_monte_carlo_shapley(8, counted, 50, np.random.default_rng(0), tolerance=0.01)
    assert len(set(game_calls)) <= 2 + 8  # ∅, N and the singletons


def test_gtg_approaches_exact_as_permutations_grow():
    v = _random_game(7, 4)
    exact = exact_shapley(7, v)
    small = gtg_shapley(7, v, np.random.default_rng(0), max_permutations=7)
    big = gtg_shapley(7, v, np.random.default_rng(0), max_permutations=3500)
    assert _error(big, exact) < 0.02
    assert _error(big, exact) < _error(small, exact)


def test_gtg_between_round_truncation_returns_zeros_after_two_evaluations():
    calls = []

    def flat(s):
        calls.append(s)
        return 0.5

    assert gtg_shapley(5, flat, np.random.default_rng(0), between_tolerance=0.01) == [0.0] * 5
    assert len(calls) == 2


def test_exact_shapley_refuses_too_many_players():
    from simfl.errors import ContributionError

    with pytest.raises(ContributionError, match="refused above max_players=20"):
        exact_shapley(21, lambda s: 0.0)
