"""The `cgsv` server strategy (Xu et al. 2021): reputation-weighted aggregate of normalised
updates, gradient rewards into each client's own model, and its coalition game."""

import math

import numpy as np
import pytest
import torch

from simfl.fl import engine
from simfl.fl.cgsv_server import CGSVServer
from simfl.fl.engine import FederatedTraining
from simfl.fl.settings import ContributionSettings, FLSettings, LocalSettings, StrategySettings


def _server(alpha=0.7, beta=2.0, gamma=0.5):
    server = CGSVServer(alpha, beta, gamma)
    server.begin_round((0, 1, 2), 3, torch.zeros(4), [2, 2])
    return server


UPDATES = torch.tensor([[3.0, 4.0, 0.0, 1.0], [0.0, 1.0, -2.0, 2.0], [-1.0, 0.0, 0.0, 0.0]])
SIZES = torch.tensor([1.0, 3.0, 4.0])


def _hand_round_one(gamma=0.5, alpha=0.7, beta=2.0):
    """Algorithm 1 by hand (floats, no numpy): u_i, size-share weights, u_N, ψ, r, q."""
    rows = UPDATES.tolist()
    unit = [[gamma * x / (math.sqrt(sum(y * y for y in r)) + 1e-7) for x in r] for r in rows]
    shares = [1 / 8, 3 / 8, 4 / 8]
    agg = [sum(shares[i] * unit[i][k] for i in range(3)) for k in range(4)]
    norm = math.sqrt(sum(a * a for a in agg))
    dots = [sum(u * a for u, a in zip(unit[i], agg)) for i in range(3)]
    psi = [dots[i] / (math.sqrt(sum(u * u for u in unit[i])) * norm) for i in range(3)]
    r = [max((1 - alpha) * p, 1e-3) for p in psi]
    r = [x / sum(r) for x in r]
    t = [math.tanh(beta * x) for x in r]
    q = [x / max(t) for x in t]
    return agg, r, q


def _mask(vector, fraction, layers):
    out, start = [], 0
    for size in layers:
        part = vector[start : start + size]
        keep = math.ceil(size * fraction)
        kept = sorted(range(size), key=lambda k: -abs(part[k]))[:keep]
        out += [part[k] if k in kept else 0.0 for k in range(size)]
        start += size
    return out


def test_first_round_moves_the_server_by_the_size_weighted_normalised_aggregate():
    server = _server()
    new = server(torch.zeros(4), UPDATES, SIZES)
    agg, r, q = _hand_round_one()
    assert new.tolist() == pytest.approx(agg, abs=1e-6)
    assert server.reputation.reputation.tolist() == pytest.approx(r, rel=1e-5)
    assert server.fractions.tolist() == pytest.approx(q, rel=1e-5)


def test_later_rounds_weigh_the_normalised_updates_by_reputation():
    server = _server()
    first = server(torch.zeros(4), UPDATES, SIZES)
    _, r, _ = _hand_round_one()
    second_updates = UPDATES.flip(0)  # client 0 now sends what client 2 sent, and so on
    second = server(first, second_updates, SIZES)
    rows = second_updates.tolist()
    unit = [[0.5 * x / (math.sqrt(sum(y * y for y in r)) + 1e-7) for x in r] for r in rows]
    step = [sum(r[i] * unit[i][k] for i in range(3)) for k in range(4)]  # Σ r = 1
    assert (second - first).tolist() == pytest.approx(step, abs=1e-6)


def test_each_client_is_rewarded_with_its_share_of_the_aggregate_into_its_own_model():
    server = _server()
    server(torch.zeros(4), UPDATES, SIZES)
    agg, _, q = _hand_round_one()
    assert min(q) < 0.5 < max(q)  # the shares differ, so the masks differ
    for client in range(3):
        want = _mask(agg, q[client], [2, 2])
        assert server.client_model(client).tolist() == pytest.approx(want, abs=1e-6)


def test_a_coalitions_model_renormalises_the_weights_over_its_members():
    server = _server()
    members = torch.tensor([[True, False, True], [True, True, True]])
    models = server.coalition_models(torch.zeros(4), UPDATES, SIZES, members)
    rows = UPDATES.tolist()
    unit = [[0.5 * x / (math.sqrt(sum(y * y for y in r)) + 1e-7) for x in r] for r in rows]
    want = [(1 / 5) * a + (4 / 5) * b for a, b in zip(unit[0], unit[2])]  # sizes 1, 4
    assert models[0].tolist() == pytest.approx(want, abs=1e-6)
    assert models[1].tolist() == pytest.approx(server(torch.zeros(4), UPDATES, SIZES).tolist())


def _run(methods, strategy="fedavg", rounds=3):
    s = FLSettings(
        clients=4,
        max_train_samples=400,
        local=LocalSettings(epochs=1, lr=0.1),
        strategy=StrategySettings(name=strategy),
        contribution=ContributionSettings(methods=methods, pay_by=methods[0]),
    )
    fl = FederatedTraining(s, np.random.default_rng(2))
    return fl, [fl.run_round() for _ in range(rounds)]


def test_listing_cgsv_among_the_methods_does_not_change_training():
    _, plain = _run(("size",))
    _, with_cgsv = _run(("size", "cgsv"))
    assert [r.accuracy for r in plain] == [r.accuracy for r in with_cgsv]


def test_cgsv_strategy_trains_clients_from_their_own_rewarded_models(monkeypatch):
    starts = []
    real = engine.local_train

    def spy(model, start, *args, **kwargs):
        starts.append(start.clone())
        return real(model, start, *args, **kwargs)

    monkeypatch.setattr(engine, "local_train", spy)
    fl, rounds = _run(("cgsv",), strategy="cgsv", rounds=1)
    server = fl._aggregator
    after_one, global_one, q_one = server.models.clone(), fl.global_params, server.fractions
    fl.run_round()
    # round 2: every client trains from its own model (initial + its masked reward) ...
    for client in range(4):
        assert torch.equal(starts[4 + client], after_one[client])
    # ... which is not the server's model for a client paid less than the full aggregate
    poorest = int(np.argmin(q_one))
    assert q_one[poorest] < 1.0
    assert not torch.allclose(after_one[poorest], global_one)
    monkeypatch.undo()
    _, fedavg = _run(("cgsv",), strategy="fedavg", rounds=1)
    assert rounds[0].accuracy != fedavg[0].accuracy
