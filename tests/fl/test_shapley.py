"""Shapley estimators on games with known values: axioms, and convergence with budget."""

import math
from itertools import combinations

import numpy as np
import pytest

from simfl.fl.shapley import (
    exact_shapley,
    game_from_value,
    gtg_converged,
    gtg_floor,
    gtg_from_game,
    gtg_shapley,
    loo_from_game,
    mc_from_game,
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
    kw = {"within_tolerance": 0.0, "convergence": 1e-9}  # only the cap stops it
    small = gtg_shapley(
        7, v, np.random.default_rng(0), min_permutations=7, max_permutations=7, **kw
    )
    big = gtg_shapley(7, v, np.random.default_rng(0), max_permutations=3500, **kw)
    assert _error(big, exact) < 0.02
    assert _error(big, exact) < _error(small, exact)


def test_gtg_between_round_truncation_returns_zeros_after_two_evaluations():
    calls = []

    def flat(s):
        calls.append(s)
        return 0.5

    assert gtg_shapley(5, flat, np.random.default_rng(0), between_tolerance=0.01) == [0.0] * 5
    assert len(calls) == 2


class CountingGame:
    """A batch game that counts every coalition asked for (no cache)."""

    def __init__(self, n, value):
        self.n_players, self.value, self.asked = n, value, 0
        self.evaluations = 0

    def values(self, masks):
        self.asked += len(masks)
        return np.array([self.value(m) for m in np.asarray(masks).tolist()], dtype=float)


def test_gtg_runs_at_least_max_30_n_permutations_even_when_converged_at_once():
    # additive game: every permutation gives the same marginals, so the running estimate
    # never moves; the floor still asks for max(30, 4) = 30 permutations, i.e. 8 groups
    # of 4 = 32 (each 4 coalitions, no truncation at tolerance 0), plus ∅ and N. (The
    # default cap, the reference's min(2^n, ...), would stop n = 4 at 16: raised here.)
    w = [0.1, 0.2, 0.3, 0.4]
    game = CountingGame(4, lambda m: sum(w[i] for i in range(4) if m >> i & 1))
    phi = gtg_from_game(game, np.random.default_rng(0), within_tolerance=0.0, max_permutations=99)
    assert game.asked == 2 + 32 * 4
    assert phi.tolist() == pytest.approx(w)


def test_gtg_stops_at_max_permutations():
    w = [0.1, 0.2, 0.3, 0.4]
    game = CountingGame(4, lambda m: sum(w[i] for i in range(4) if m >> i & 1))
    gtg_from_game(game, np.random.default_rng(0), within_tolerance=0.0, max_permutations=6)
    assert game.asked == 2 + 6 * 4


def test_gtg_convergence_reads_the_last_ten_running_estimates():
    # running means of [1]*30 + [x]: the last is (30 + x) / 31, the 9 before it are 1.0
    # x = 1.6: (31.6/31 - 1) / (31.6/31) = 0.6/31.6 = 0.0190 <= 0.05 -> converged
    # x = 3.0: 2/33 = 0.0606 > 0.05 -> not converged
    assert gtg_converged(np.array([[1.0]] * 30 + [[1.6]]), 0.05)
    assert not gtg_converged(np.array([[1.0]] * 30 + [[3.0]]), 0.05)
    # an old spike outside the last 10 running estimates: [5] + [1]*k, k large, still moves
    # the running mean: after 31 records it is 35/31, after 22 it was 26/22 -> error
    # (26/22 - 35/31)/(35/31) = 0.0467 <= 0.05 (converged); 21 records: 25/21 vs 35/31
    # -> 0.0544 (the 11th-from-last estimate is not compared)
    assert gtg_converged(np.array([[5.0]] + [[1.0]] * 30), 0.05)
    assert not gtg_converged(np.array([[5.0]] + [[1.0]] * 9), 0.05)  # (4 + k) / k still moving
    assert not gtg_converged(np.array([[1.0]] * 9), 0.05)  # fewer than 10 estimates


def test_within_round_tolerance_never_truncates_the_empty_prefix():
    # v(∅) = 0, v({0}) = 0.4, v({1}) = -0.4, v(N) = 0.004: the round gains less than the
    # tolerance 0.01, but no non-empty prefix is within 0.01 of v(N), so nothing is
    # truncated and every permutation's marginals sum to the gain 0.004.
    table = {0: 0.0, 1: 0.4, 2: -0.4, 3: 0.004}
    v = lambda s: table[sum(1 << i for i in s)]  # noqa: E731
    tmc = truncated_monte_carlo_shapley(2, v, 40, np.random.default_rng(0), tolerance=0.01)
    # orders (0,1): 0.4, -0.396; (1,0): 0.404, -0.4
    assert 0.4 <= tmc[0] <= 0.404 and -0.4 <= tmc[1] <= -0.396
    assert sum(tmc) == pytest.approx(0.004)
    # gtg: its between-round key decides whether the round is skipped, not the other one
    kept = gtg_shapley(2, v, np.random.default_rng(0), within_tolerance=0.01,
                       between_tolerance=0.001)  # fmt: skip
    assert kept[0] == pytest.approx(0.402, abs=1e-9) and kept[1] == pytest.approx(-0.398)
    skipped = gtg_shapley(2, v, np.random.default_rng(0), within_tolerance=0.0,
                          between_tolerance=0.005)  # fmt: skip
    assert skipped == [0.0, 0.0]


def test_antithetic_pairs_are_reversed_permutations():
    # two players: a permutation and its reverse are the two orders, so one antithetic
    # pair is exact Shapley: φ0 = (1 + (3 - 0)) / 2 = 2, φ1 = ((3 - 1) + 0) / 2 = 1
    table = {0: 0.0, 1: 1.0, 2: 0.0, 3: 3.0}
    v = lambda s: table[sum(1 << i for i in s)]  # noqa: E731
    for seed in range(5):
        assert monte_carlo_shapley(2, v, 2, np.random.default_rng(seed), antithetic=True) == [
            2.0,
            1.0,
        ]
    # n = 5: the prefixes of reverse(π) are the complements of π's prefixes
    game = game_from_value(5, lambda s: float(len(s) ** 2))
    mc_from_game(game, 2, np.random.default_rng(7), antithetic=True)
    asked = game.asked - {0, 31}
    assert asked == {31 ^ m for m in asked}


def test_exact_shapley_refuses_too_many_players():
    from simfl.errors import ContributionError

    with pytest.raises(ContributionError, match="refused above max_players=20"):
        exact_shapley(21, lambda s: 0.0)


def test_gtg_floor_is_max_of_min_permutations_and_n():
    """The reference's max(30, n): above 30 players the floor is n. (Inside gtg_from_game
    the n-term is not observable on its own: permutations come in groups of n.)"""
    assert gtg_floor(35, 30) == 35
    assert gtg_floor(5, 30) == 30
    assert gtg_floor(8, 5) == 8


def test_gtg_with_more_than_30_players_runs_one_whole_group_at_least():
    """35 players on an additive game (converged at once, no truncation at tolerance 0):
    one group of 35 permutations, each of 35 coalitions, plus ∅ and N."""
    w = np.linspace(0.01, 0.35, 35)
    game = CountingGame(35, lambda m: sum(w[i] for i in range(35) if m >> i & 1))
    phi = gtg_from_game(game, np.random.default_rng(0), within_tolerance=0.0)
    assert game.asked == 2 + 35 * 35
    assert phi.tolist() == pytest.approx(w.tolist())
