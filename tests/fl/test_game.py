"""The server's real game: coalition models follow the server's rule and pre-round state,
and exact Shapley shares out exactly the gain the reported validation accuracy made."""

import copy
import itertools
from fractions import Fraction

import numpy as np
import pytest
import torch
from scipy import stats

from simfl.fl.aggregators import FedAdam, FedAvg, FedAvgM, Krum, Median, TrimmedMean
from simfl.fl.engine import FederatedTraining, one_thread
from simfl.fl.game import UtilityEvaluator
from simfl.fl.models import build_model
from simfl.fl.rules import RULE_NAMES
from simfl.fl.settings import (
    ContributionSettings,
    FLSettings,
    LocalSettings,
    PartitionSettings,
    StrategySettings,
)
from simfl.fl.shapley import CachedGame, exact_from_game
from simfl.fl.training import evaluate

M, P = 5, 7
SIZES = np.array([400.0, 50.0, 120.0, 10.0, 230.0])  # clearly unequal


def _updates(seed: int = 0) -> np.ndarray:
    """Asymmetric updates: distinct scales per client, one large outlier."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(M, P)) * np.array([1.0, 0.3, 2.0, 0.7, 1.4])[:, None]
    u[3] += 9.0  # an outlier client
    return u.astype(np.float32).astype(np.float64)


def _subsets():
    for r in range(1, M + 1):
        yield from itertools.combinations(range(M), r)


# ---- independent references, in float64 numpy loops ------------------------------------


def ref_fedavg(w, u, n, s):
    a = n[list(s)] / n[list(s)].sum()
    return w + a @ u[list(s)]


def ref_fedavgm(w, u, n, s, velocity, lr, beta):
    return w + lr * (beta * velocity + (ref_fedavg(0 * w, u, n, s)))


def ref_fedadam(w, u, n, s, m, v, lr, b1, b2, tau):
    d = ref_fedavg(0 * w, u, n, s)
    m2, v2 = b1 * m + (1 - b1) * d, b2 * v + (1 - b2) * d * d
    return w + lr * m2 / (np.sqrt(v2) + tau)


def ref_median(w, u, n, s):
    return w + np.median(u[list(s)], axis=0)


def ref_trimmed(w, u, n, s, fraction):
    return w + stats.trim_mean(u[list(s)], fraction, axis=0)


def ref_krum(w, u, n, s, f):
    s = list(s)
    if len(s) == 1:
        return w + u[s[0]]
    k = min(max(len(s) - f - 2, 1), len(s) - 1)
    best, best_score = None, np.inf
    for i in s:
        d = sorted(float(((u[i] - u[j]) ** 2).sum()) for j in s if j != i)
        score = sum(d[:k])
        if score < best_score:  # strict: ties keep the lowest index
            best, best_score = i, score
    return w + u[best]


def ref_multi_krum(w, u, n, s, f, keep):
    """Blanchard et al.'s Multi-Krum: the unweighted mean of the `keep` best Krum scores
    (None: c - f of them, at least 1); ties to the lowest index."""
    s = list(s)
    k = min(max(len(s) - f - 2, 1), len(s) - 1)
    scores = []
    for i in s:
        d = sorted(float(((u[i] - u[j]) ** 2).sum()) for j in s if j != i)
        scores.append((sum(d[:k]) if len(s) > 1 else 0.0, i))
    m = max(len(s) - f, 1) if keep is None else min(keep, len(s))
    best = [i for _, i in sorted(scores)[:m]]  # sorted by (score, index)
    return w + u[best].mean(axis=0)


def _check(agg, ref, w, u):
    members = torch.tensor([[i in s for i in range(M)] for s in _subsets()])
    state = copy.deepcopy(vars(agg))
    got = agg.coalition_models(
        torch.tensor(w, dtype=torch.float32),
        torch.tensor(u, dtype=torch.float32),
        torch.tensor(SIZES),
        members,
    ).double()
    for row, s in zip(got, _subsets()):
        np.testing.assert_allclose(row.numpy(), ref(s), rtol=2e-5, atol=2e-5, err_msg=str(s))
    after = vars(agg)
    assert all(
        (a is None and b is None) or torch.equal(a, b)
        if isinstance(a, torch.Tensor | None)
        else a == b
        for a, b in zip(state.values(), after.values())
    ), "evaluating coalitions must not touch the server's state"


W = np.linspace(-1.0, 1.0, P)


def test_fedavg_coalitions_weight_by_claimed_size():
    u = _updates()
    _check(FedAvg(), lambda s: ref_fedavg(W, u, SIZES, s), W, u)
    # hand check of one pair: sizes 400 and 50 weigh 8/9 and 1/9, not 1/2 each
    got = FedAvg().coalition_models(
        torch.zeros(1), torch.tensor([[9.0], [0.0]]), torch.tensor([400.0, 50.0]),
        torch.tensor([[True, True]]),
    )  # fmt: skip
    assert float(got[0, 0]) == pytest.approx(8.0)


def test_fedavgm_coalitions_carry_the_pre_round_velocity():
    u, first = _updates(1), _updates(2)
    agg = FedAvgM(server_lr=0.7, momentum=0.6)
    agg(torch.zeros(P), torch.tensor(first, dtype=torch.float32), torch.tensor(SIZES))
    velocity = ref_fedavg(0 * W, first, SIZES, range(M))
    _check(agg, lambda s: ref_fedavgm(W, u, SIZES, s, velocity, 0.7, 0.6), W, u)


def test_fedadam_coalitions_use_the_pre_round_moments():
    u, first = _updates(3), _updates(4)
    agg = FedAdam(server_lr=0.05, beta1=0.8, beta2=0.95, tau=0.01)
    agg(torch.zeros(P), torch.tensor(first, dtype=torch.float32), torch.tensor(SIZES))
    d0 = ref_fedavg(0 * W, first, SIZES, range(M))
    m, v = 0.2 * d0, 0.05 * d0 * d0
    _check(agg, lambda s: ref_fedadam(W, u, SIZES, s, m, v, 0.05, 0.8, 0.95, 0.01), W, u)


def test_median_coalitions_average_the_two_middle_values():
    u = _updates(5)
    _check(Median(), lambda s: ref_median(W, u, SIZES, s), W, u)
    # by hand: {1, 2, 10, 4} -> (2 + 4) / 2 = 3 (not the upper median 4 nor the lower 2)
    got = Median()(torch.zeros(1), torch.tensor([[1.0], [2.0], [10.0], [4.0]]), torch.ones(4))
    assert float(got[0]) == 3.0


def test_trimmed_mean_coalitions_cut_per_coalition_size():
    u = _updates(6)
    _check(TrimmedMean(0.25), lambda s: ref_trimmed(W, u, SIZES, s, 0.25), W, u)
    # by hand: 4 values, cut 1 at each end: {1, 2, 10, 4} -> (2 + 4) / 2 = 3
    got = TrimmedMean(0.25)(
        torch.zeros(1), torch.tensor([[1.0], [2.0], [10.0], [4.0]]), torch.ones(4)
    )
    assert float(got[0]) == 3.0


def test_krum_coalitions_pick_the_most_central_member():
    u = _updates(7)
    _check(Krum(1), lambda s: ref_krum(W, u, SIZES, s, 1), W, u)


@pytest.mark.parametrize("keep", [None, 2, 3])
def test_multi_krum_coalitions_average_the_best_scored_members(keep):
    """keep None: m = c - 1 (f = 1), e.g. 4 of the 5; 2 and 3: that many, all of a
    smaller coalition."""
    u = _updates(7)
    _check(Krum(1, keep), lambda s: ref_multi_krum(W, u, SIZES, s, 1, keep), W, u)


def test_the_game_weights_coalitions_by_claimed_size():
    """v({0, 1}) is the utility of w + (300 Δ0 + 100 Δ1) / 400, computed independently."""
    gen = torch.Generator().manual_seed(0)
    model = build_model("mlp", (64,), 10, 8, gen)
    base = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    updates = torch.randn(3, base.numel(), generator=gen) * torch.tensor([[0.5], [2.0], [1.0]])
    x, y = torch.rand(50, 64, generator=gen), torch.randint(0, 10, (50,), generator=gen)
    sizes = torch.tensor([300.0, 100.0, 20.0])
    want = -evaluate(model, base + 0.75 * updates[0] + 0.25 * updates[1], x, y)[1]
    equal = -evaluate(model, base + 0.5 * updates[0] + 0.5 * updates[1], x, y)[1]
    for path in ("fast", "vmap", "loop"):
        ev = UtilityEvaluator(model, base, updates, sizes, x, y, "neg_loss", path)
        got = ev(np.array([0b011]))[0]
        assert got == pytest.approx(want, abs=1e-5) and abs(got - equal) > 1e-3, path


@pytest.mark.parametrize(
    ("kind", "path", "rule"),
    [
        ("mlp", "fast", FedAvg()),
        ("logreg", "fast", FedAvg()),
        ("mlp", "vmap", FedAvg()),
        ("mlp", "vmap", FedAdam(0.1, 0.9, 0.99, 1e-3)),
        ("mlp", "vmap", Krum(1, None)),
        ("mlp", "vmap", Median()),
    ],
    ids=["fast-mlp", "fast-logreg", "vmap-fedavg", "vmap-fedadam", "vmap-multikrum", "vmap-median"],
)
def test_a_coalitions_value_does_not_depend_on_its_batch(kind, path, rule):
    """Bitwise: each of the 63 coalitions of 6 players has the same neg_loss alone, in one
    batch of 63, reversed, or in batches of 5; so a method's scores cannot depend on which
    other method filled the shared cache first. On one thread, as the engine scores
    (`one_thread`: with 2, baddbmm splits differently with the batch)."""
    gen = torch.Generator().manual_seed(2)
    model = build_model(kind, (64,), 10, 32, gen)
    base = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    updates = torch.randn(6, base.numel(), generator=gen) * 0.3
    x, y = torch.rand(200, 64, generator=gen), torch.randint(0, 10, (200,), generator=gen)
    sizes = torch.tensor([300.0, 17.0, 120.0, 45.0, 230.0, 9.0])
    ev = UtilityEvaluator(model, base, updates, sizes, x, y, "neg_loss", path, aggregator=rule)
    masks = np.arange(1, 64)
    with one_thread():
        together = ev(masks)
        alone = np.array([ev(masks[i : i + 1])[0] for i in range(63)])
        reversed_ = ev(masks[::-1])[::-1]
        fives = np.concatenate([ev(masks[i : i + 5]) for i in range(0, 63, 5)])
    assert together.tobytes() == alone.tobytes()
    assert together.tobytes() == reversed_.tobytes()
    assert together.tobytes() == fives.tobytes()


def _digits(strategy: StrategySettings, rounds: int):
    s = FLSettings(
        clients=5,
        partition=PartitionSettings(kind="linear"),  # clearly unequal sizes
        local=LocalSettings(epochs=1, lr=0.1),
        strategy=strategy,
        contribution=ContributionSettings(methods=("exact_shapley",), pay_by="exact_shapley"),
    )
    fl = FederatedTraining(s, np.random.default_rng(3))
    before = fl.validation[0]
    results = []
    for _ in range(rounds):
        r = fl.run_round()
        results.append((r, r.accuracy - before))
        before = r.accuracy
    return fl, results


@pytest.mark.parametrize(
    "strategy",
    [
        StrategySettings(name="fedavg"),
        StrategySettings(name="fedavgm", server_lr=1.0, server_momentum=0.9),
        StrategySettings(name="fedadam", server_lr=0.03),
        StrategySettings(name="median"),
        StrategySettings(name="trimmed_mean", trim_fraction=0.2),
        StrategySettings(name="krum"),
    ],
    ids=lambda s: s.name,
)
def test_exact_shapley_sums_to_the_reported_validation_gain(strategy):
    fl, results = _digits(strategy, 3)
    assert len(set(fl.client_sizes)) == 5
    for r, gain in results:
        assert sum(r.scores["exact_shapley"]) == pytest.approx(gain, abs=1e-9), r.round


@pytest.mark.parametrize("name", ["fedavgm", "fedadam", "median", "krum"])
def test_the_games_own_full_coalition_is_the_real_next_model(name):
    """Unseeded: the batched game's v(N) (any path) is the reported accuracy."""
    s = FLSettings(clients=4, strategy=StrategySettings(name=name, server_lr=0.5))
    fl = FederatedTraining(s, np.random.default_rng(5))
    fl.run_round()
    rule = copy.deepcopy(fl._aggregator)
    start = fl.global_params
    gen = torch.Generator().manual_seed(1)
    updates = torch.randn(4, start.numel(), generator=gen) * 0.05
    sizes = torch.tensor([float(n) for n in fl.client_sizes])
    ev = UtilityEvaluator(
        fl._model, start, updates, sizes, fl._x_val, fl._y_val, "neg_loss", aggregator=rule
    )
    values = exact_from_game(CachedGame(4, ev))
    real = rule(start, updates, sizes)
    want = (
        -evaluate(fl._model, real, fl._x_val, fl._y_val)[1]
        + evaluate(fl._model, start, fl._x_val, fl._y_val)[1]
    )
    assert values.sum() == pytest.approx(want, abs=1e-5)


def test_accuracy_breaks_ties_like_argmax_first_class_wins():
    """By hand: argmax picks the first of tied classes, so samples 1 and 2 are wrong
    although their label reaches the top logit; samples 3 and 4 are right: 2 / 4."""
    from simfl.fl.training import utilities

    logits = torch.tensor([[1.0, 1, 0], [2, 1, 2], [0, 3, 1], [1, 1, 1]])  # (V x C)
    y = torch.tensor([1, 2, 1, 0])
    assert float(utilities(logits.T[None], y, "accuracy")[0]) == 0.5
    untied = logits + torch.tensor([0.0, 0.0, 0.5])  # class 2 now wins sample 1 and 2 alone
    assert float(utilities(untied.T[None], y, "accuracy")[0]) == 0.5  # samples 2, 3 right


def _recorded(strategy: str, utility: str, reward: dict | None = None):
    from simfl.model import run_model

    scenario = {
        "name": "gain",
        "seed": 4,
        "rounds": 3,
        "fl": {
            "dataset": "digits",
            "clients": 5,
            "max_train_samples": 500,
            "partition": {"kind": "linear"},  # clearly unequal sizes
            "local": {"epochs": 1, "lr": 0.1},
            "strategy": {"name": strategy},
            "contribution": {
                "methods": ["exact_shapley"], "pay_by": "exact_shapley", "utility": utility},
        },
        "market": {"investors": [], "liquidity_providers": [], "substeps": 1},
    }  # fmt: skip
    if reward is not None:
        scenario["market"]["reward"] = reward
    return run_model(scenario).tables()


@pytest.mark.parametrize("utility", ["accuracy", "neg_loss"])
@pytest.mark.parametrize("strategy", RULE_NAMES)
def test_exact_shapley_sums_to_model_parquets_gain_from_round_one(strategy, utility):
    """Round 1 included: step 0 of model.parquet is the initial model (v(∅) of round 1),
    so every round's Σφ is the table's gain, under every rule."""
    tables = _recorded(strategy, utility)
    model, scores = tables["model"].set_index("step"), tables["scores"]
    column, sign = ("accuracy", 1.0) if utility == "accuracy" else ("loss", -1.0)
    level = sign * model[column]
    assert model.loc[0, "validation_accuracy"] == model.loc[0, "accuracy"] > 0.0
    assert np.isfinite(model.loc[0, ["loss", "test_accuracy", "test_loss"]].astype(float)).all()
    exact = scores[scores["method"] == "exact_shapley"].groupby("round")["score"].sum()
    for rnd in (1, 2, 3):
        assert exact[rnd] == pytest.approx(level[rnd] - level[rnd - 1], abs=1e-9), rnd


def test_accuracy_gain_revenue_pays_round_ones_real_gain():
    """Round 1 pays 1000 · (accuracy_1 - accuracy_0), floored to base units, with
    accuracy_0 the initial model's, not 0."""
    from simfl.config import BASE_UNIT

    reward = {"mode": "direct", "revenue": {"kind": "accuracy_gain", "amount": 1000.0}}
    model = _recorded("fedavg", "accuracy", reward)["model"].set_index("step")
    gain = model.loc[1, "accuracy"] - model.loc[0, "accuracy"]
    assert model.loc[0, "accuracy"] > 0.0 and 0.0 < gain < model.loc[1, "accuracy"]
    want = int(1000 * BASE_UNIT * Fraction(gain)) / BASE_UNIT  # the schedule's exact floor
    assert model.loc[1, "revenue"] == pytest.approx(want, abs=2.0 / BASE_UNIT)
