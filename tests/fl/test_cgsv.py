"""CGSV (Xu et al. 2021): reputations by hand over two rounds, reward fractions, sparsity."""

import math

import numpy as np
import pytest

from simfl.fl.cgsv import CGSVReputation, reward_fractions, sparsify_by_layer


def test_two_rounds_of_reputations_match_the_hand_computation():
    alpha = 0.7  # asymmetric: swapping the EMA's weights changes every number below
    rep = CGSVReputation(3, alpha)
    sizes = np.array([1.0, 3.0, 1.0])
    # round 1: weights are the size shares (0.2, 0.6, 0.2); unit updates e1, e2, e1
    rep.step([0, 1, 2], np.array([[2.0, 0.0], [0.0, 5.0], [3.0, 0.0]]), sizes)
    agg = (0.4, 0.6)
    norm = math.hypot(*agg)
    psi1 = [0.4 / norm, 0.6 / norm, 0.4 / norm]
    r1 = [(1 - alpha) * p for p in psi1]  # from 0; none below the 1e-3 clamp
    r1 = [x / sum(r1) for x in r1]
    assert rep.reputation == pytest.approx(r1, rel=1e-6)
    # round 2: weights are the reputations; updates e1, (e1 + e2)/√2, -e1
    s = 1 / math.sqrt(2)
    rep.step([0, 1, 2], np.array([[1.0, 0.0], [4.0, 4.0], [-2.0, 0.0]]), sizes)
    agg = (r1[0] + r1[1] * s - r1[2], r1[1] * s)
    norm = math.hypot(*agg)
    psi2 = [agg[0] / norm, (agg[0] * s + agg[1] * s) / norm, -agg[0] / norm]
    r2 = [alpha * a + (1 - alpha) * p for a, p in zip(r1, psi2)]
    r2 = [max(x, 1e-3) for x in r2]  # client 2 went negative: clamped
    r2 = [x / sum(r2) for x in r2]
    assert r2[2] == pytest.approx(1e-3 / sum([0.412, 0.6, 1e-3]), rel=0.01)  # sanity
    assert rep.reputation == pytest.approx(r2, rel=1e-6)


def test_reputations_start_at_zero_and_first_round_weights_are_sizes():
    rep = CGSVReputation(4, 0.95)
    assert rep.reputation.tolist() == [0.0] * 4
    assert rep.aggregate_weights([1, 3], np.array([10.0, 30.0])).tolist() == [0.25, 0.75]


def test_non_participants_keep_their_reputation_before_normalisation():
    rep = CGSVReputation(3, 0.5)
    rep.step([0, 1], np.array([[1.0, 0.0], [1.0, 0.0]]), np.ones(2))
    assert rep.reputation.tolist() == pytest.approx([0.5, 0.5, 0.0])
    # client 2 arrives: weighted at the floor 1e-3 in the aggregate, then gets a reputation
    assert rep.aggregate_weights([1, 2], np.ones(2)).tolist() == pytest.approx([0.5, 1e-3])


def test_reward_fractions_are_tanh_of_beta_r_over_the_largest():
    q = reward_fractions(np.array([0.5, 0.3, 0.2]), beta=2.0)
    top = math.tanh(1.0)
    assert q.tolist() == pytest.approx([1.0, math.tanh(0.6) / top, math.tanh(0.4) / top])


def test_sparsify_keeps_each_layers_largest_magnitudes():
    v = np.array([3.0, -1.0, 2.0, 0.5, 4.0, -5.0])
    # layer 1 keeps ceil(0.5 x 4) = 2 entries (3, 2); layer 2 ceil(0.5 x 2) = 1 (-5)
    assert sparsify_by_layer(v, 0.5, [4, 2]).tolist() == [3.0, 0.0, 2.0, 0.0, 0.0, -5.0]
    assert sparsify_by_layer(v, 0.0, [4, 2]).tolist() == [0.0] * 6
    assert sparsify_by_layer(v, 1.0, [4, 2]).tolist() == v.tolist()
