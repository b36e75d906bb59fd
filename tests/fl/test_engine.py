"""The entry point the market calls: rounds, refusal, determinism, who ranks where."""

import numpy as np
import pytest

from simfl.errors import TrainingDiverged, UserError
from simfl.fl.engine import FederatedTraining
from simfl.fl.rules import RULE_NAMES
from simfl.fl.settings import (
    BehaviourSettings,
    ContributionSettings,
    FLSettings,
    LocalSettings,
    PartitionSettings,
    SamplingSettings,
    StrategySettings,
)
from simfl.fl.training import evaluate

ALL = ("size", "loo", "exact_shapley", "mc_shapley", "tmc_shapley", "gtg_shapley", "cgsv")
FAST = LocalSettings(epochs=2, lr=0.3)


def _run(settings, rounds, seed=0, refused=()):
    fl = FederatedTraining(settings, np.random.default_rng(seed))
    return fl, [fl.run_round(refused) for _ in range(rounds)]


def test_same_seed_gives_identical_rounds_and_scores():
    s = FLSettings(
        clients=6,
        local=FAST,
        contribution=ContributionSettings(methods=ALL, permutations=10),
        behaviours={5: BehaviourSettings("free_rider_disguised")},
    )
    _, a = _run(s, 2, seed=11)
    _, b = _run(s, 2, seed=11)
    assert a == b
    _, c = _run(s, 2, seed=12)
    assert a[-1].scores != c[-1].scores


def test_round_result_has_one_score_per_client_and_counts_evaluations():
    s = FLSettings(clients=6, contribution=ContributionSettings(methods=ALL, permutations=10))
    fl, (r,) = _run(s, 1)
    assert r.round == 1 and r.participants == tuple(range(6)) and r.refused == ()
    assert set(r.scores) == set(ALL) and all(len(v) == 6 for v in r.scores.values())
    assert r.evaluations["exact_shapley"] == 64 and r.evaluations["loo"] == 7
    assert r.evaluations["size"] == 0 == r.evaluations["cgsv"]
    assert sum(fl.client_sizes) == 1797 - 360 - 360 and fl.n_clients == 6


def test_refused_clients_never_train_and_score_zero():
    s = FLSettings(clients=5, contribution=ContributionSettings(methods=ALL, permutations=5))
    fl = FederatedTraining(s, np.random.default_rng(0))
    r = fl.run_round(refused=[3, 1])
    assert r.refused == (1, 3) and r.participants == (0, 2, 4)
    assert all(v[1] == 0.0 and v[3] == 0.0 for v in r.scores.values())


def test_a_round_with_no_willing_client_leaves_the_model_unchanged():
    s = FLSettings(clients=3, contribution=ContributionSettings(methods=ALL, permutations=5))
    fl = FederatedTraining(s, np.random.default_rng(0))
    before = fl.global_params
    r = fl.run_round(refused=range(3))
    assert r.participants == () and (fl.global_params == before).all()
    assert all(v == (0.0, 0.0, 0.0) for v in r.scores.values())
    assert all(e == 0 for e in r.evaluations.values())


def test_sampling_draws_a_fraction_of_the_willing():
    s = FLSettings(
        clients=10,
        sampling=SamplingSettings(fraction=0.3),
        contribution=ContributionSettings(methods=()),
    )
    fl = FederatedTraining(s, np.random.default_rng(0))
    r = fl.run_round(refused=[0])
    assert len(r.participants) == 3 and 0 not in r.participants


def test_fedavg_on_iid_digits_reaches_ninety_percent():
    s = FLSettings(
        local=LocalSettings(epochs=3, lr=0.3), contribution=ContributionSettings(methods=())
    )
    _, rounds = _run(s, 10, seed=1)
    assert rounds[-1].accuracy >= 0.90


@pytest.mark.parametrize("method", ["exact_shapley", "cgsv"])
def test_label_flipper_and_free_rider_rank_at_the_bottom(method):
    s = FLSettings(
        local=FAST,
        behaviours={3: BehaviourSettings("free_rider"), 7: BehaviourSettings("label_flip")},
        contribution=ContributionSettings(methods=(method,), pay_by=method, utility="neg_loss"),
    )
    _, rounds = _run(s, 6, seed=2)
    total = np.sum([r.scores[method] for r in rounds], axis=0)
    assert set(np.argsort(total)[:2]) == {3, 7}


def test_one_round_reconstruction_scores_the_accumulated_model():
    s = FLSettings(
        clients=4,
        local=FAST,
        contribution=ContributionSettings(methods=("exact_shapley",), mode="OR"),
    )
    _, (r1, r2) = _run(s, 2)
    assert r2.evaluations["exact_shapley"] == 16
    # OR pays increments of the cumulative level, whose sum over the players is
    # v(w_0 + accumulated FedAvg) - v(w_0); with full participation the reconstruction is
    # the global model, so round 2's payments sum to acc2 - acc1
    gain = sum(r2.scores["exact_shapley"])
    assert gain == pytest.approx(r2.accuracy - r1.accuracy, abs=1e-6)


@pytest.mark.parametrize(
    "name", ["fedprox", "fedavgm", "fedadam", "median", "trimmed_mean", "krum"]
)
def test_every_strategy_runs_and_moves_the_model(name):
    s = FLSettings(
        clients=4,
        strategy=StrategySettings(name=name, server_lr=0.1),
        contribution=ContributionSettings(methods=("size",), pay_by="size"),
    )
    fl = FederatedTraining(s, np.random.default_rng(0))
    before = fl.global_params
    fl.run_round()
    assert not (fl.global_params == before).all()


def test_cnn_on_synthetic_is_refused_but_runs_on_digits_with_non_iid_split():
    s = FLSettings(
        model="cnn",
        hidden=4,
        clients=4,
        partition=PartitionSettings(kind="dirichlet"),
        contribution=ContributionSettings(methods=("exact_shapley",)),
    )
    _, (r,) = _run(s, 1)
    assert r.evaluations["exact_shapley"] == 16
    with pytest.raises(UserError, match="cnn needs image inputs"):
        FederatedTraining(FLSettings(dataset="synthetic", model="cnn"), np.random.default_rng(0))


def test_synthetic_dataset_uses_its_natural_clients():
    s = FLSettings(
        dataset="synthetic",
        model="logreg",
        clients=5,
        contribution=ContributionSettings(methods=("size", "exact_shapley")),
    )
    fl, (r,) = _run(s, 1)
    assert sum(fl.client_sizes) == 3000 and len(r.participants) == 5


def test_behaviour_for_unknown_client_is_a_user_error():
    with pytest.raises(UserError, match=r"behaviours name client\(s\) \[12\] but clients=10"):
        FederatedTraining(
            FLSettings(behaviours={12: BehaviourSettings("free_rider")}), np.random.default_rng(0)
        )


def test_results_do_not_depend_on_the_callers_torch_thread_count():
    import torch

    s = FLSettings(clients=4, contribution=ContributionSettings(methods=("exact_shapley", "cgsv")))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        _, a = _run(s, 2, seed=4)
        assert torch.get_num_threads() == 2  # the engine restores the caller's setting
        torch.set_num_threads(1)
        _, b = _run(s, 2, seed=4)
    finally:
        torch.set_num_threads(before)
    assert a == b


def test_cnn_on_a_cifar10_miniature_scores_coalitions(tmp_path):
    import pickle

    rng = np.random.default_rng(1)
    for i in range(1, 6):
        batch = {b"data": rng.integers(0, 256, size=(12, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, size=12)]}  # fmt: skip
        (tmp_path / f"data_batch_{i}").write_bytes(pickle.dumps(batch))
    s = FLSettings(
        dataset="cifar10",
        data_dir=str(tmp_path),
        validation_size=20,
        test_size=10,
        model="cnn",
        hidden=4,
        clients=3,
        contribution=ContributionSettings(methods=("exact_shapley",)),
    )
    _, (r,) = _run(s, 1)
    assert r.evaluations["exact_shapley"] == 8 and len(r.participants) == 3


@pytest.mark.parametrize(
    ("name", "seed"),
    [(name, 0) for name in RULE_NAMES] + [("krum", 2), ("median", 5)],
)
def test_every_aggregator_trains_iid_digits_with_its_defaults(name, seed):
    """10 clients, 20 rounds, every setting at its default but the rule. Measured over
    seeds 0-9, lowest (seed): fedavg, fedprox, trimmed_mean 0.861 (5), median 0.864 (5),
    cgsv 0.886 (5), fedadam 0.919 (6), fedavgm 0.928 (5), krum (Multi-Krum, m = c - f)
    0.861 (5); plain Krum (krum_keep 1) 0.844 (2), a miss. Seed 2 pins krum's default,
    seed 5 median's lowest. FedAdam at server_lr 1.0 ends at 0.11."""
    s = FLSettings(
        clients=10,
        strategy=StrategySettings(name=name),
        contribution=ContributionSettings(methods=("size",), pay_by="size"),
    )
    _, rounds = _run(s, 20, seed=seed)
    assert rounds[-1].accuracy >= 0.85


def test_rounds_report_test_accuracy_on_the_held_out_split_not_the_validation_set():
    s = FLSettings(clients=4, contribution=ContributionSettings(methods=("size",), pay_by="size"))
    fl, (r,) = _run(s, 1)
    model, params = fl._model, fl.global_params
    val = evaluate(model, params, fl._x_val, fl._y_val)
    test = evaluate(model, params, fl._x_test, fl._y_test)
    assert (r.accuracy, r.loss) == val and (r.test_accuracy, r.test_loss) == test
    assert r.accuracy != r.test_accuracy  # two different sets of 360 samples


def test_claimed_sizes_drive_aggregation_and_the_size_score():
    """Client 1 claims twice its data, client 2 nothing: the `size` score is claimed /
    Σ claimed, computed here from the real partition sizes."""
    s = FLSettings(
        clients=4,
        behaviours={
            1: BehaviourSettings("honest", claim_factor=2.0),
            2: BehaviourSettings("free_rider", claim_factor=0.0),
        },
        contribution=ContributionSettings(methods=("size",), pay_by="size"),
    )
    fl, (r,) = _run(s, 1)
    real = fl.client_sizes
    claimed = (real[0], 2 * real[1], 0, real[3])
    assert fl.claimed_sizes == claimed
    total = sum(claimed)
    assert r.scores["size"] == pytest.approx([c / total for c in claimed], abs=1e-12)


@pytest.mark.parametrize("claim, null", [(0.0, True), (1.0, False)])
def test_a_plain_free_rider_is_a_null_player_exactly_when_it_claims_no_data(claim, null):
    """Under FedAvg a zero update with claimed size n_f still dilutes the others' step."""
    s = FLSettings(
        clients=4,
        behaviours={2: BehaviourSettings("free_rider", claim_factor=claim)},
        contribution=ContributionSettings(
            methods=("exact_shapley",), pay_by="exact_shapley", utility="neg_loss"
        ),
    )
    _, rounds = _run(s, 3)
    free = [r.scores["exact_shapley"][2] for r in rounds]
    if null:
        assert free == pytest.approx([0.0] * 3, abs=1e-6)
    else:
        assert all(abs(v) > 1e-4 for v in free)


def test_a_diverging_run_stops_with_the_round_the_loss_and_the_learning_rate():
    s = FLSettings(
        clients=3,
        local=LocalSettings(epochs=3, lr=1e10),
        contribution=ContributionSettings(methods=("size",), pay_by="size"),
    )
    fl = FederatedTraining(s, np.random.default_rng(0))
    with pytest.raises(TrainingDiverged, match=r"training diverged in round 1: the validation "
                       r"loss is (nan|inf).*lower fl.local.lr \(now 10000000000.0\)"):  # fmt: skip
        fl.run_round()
