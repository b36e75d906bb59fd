"""Coalition utilities (batched paths agree with one-by-one), the method registry, OR
increments and per-method streams."""

import dataclasses
from typing import get_args

import numpy as np
import pytest
import torch
from torch.nn.utils import parameters_to_vector

from simfl.config import load_scenario
from simfl.errors import ContributionError, ScenarioError
from simfl.fl.contribution import ContributionScorer
from simfl.fl.game import UtilityEvaluator
from simfl.fl.methods import METHODS, RoundInput
from simfl.fl.models import build_model
from simfl.fl.settings import ContributionMethod, ContributionSettings
from simfl.fl.shapley import game_from_value


def _evaluator(model_name, path, utility="accuracy", m=5):
    gen = torch.Generator().manual_seed(0)
    model = build_model(model_name, (64,), 10, 8, torch.Generator().manual_seed(1))
    base = parameters_to_vector(model.parameters()).detach().clone()
    updates = 0.3 * torch.randn(m, base.numel(), generator=gen)
    sizes = torch.arange(1, m + 1, dtype=torch.float32) * 10
    x = torch.rand(50, 64, generator=gen)
    y = torch.randint(0, 10, (50,), generator=gen)
    return UtilityEvaluator(model, base, updates, sizes, x, y, utility, path)


@pytest.mark.parametrize("model_name", ["mlp", "logreg", "cnn"])
@pytest.mark.parametrize("utility", ["accuracy", "neg_loss"])
def test_batched_coalition_utilities_equal_one_by_one(model_name, utility):
    masks = np.arange(32, dtype=np.int64)
    loop = _evaluator(model_name, "loop", utility)(masks)
    paths = ["vmap"] if model_name == "cnn" else ["fast", "vmap"]
    for path in paths:
        assert np.allclose(_evaluator(model_name, path, utility)(masks), loop, atol=1e-5), path


def test_empty_coalition_is_the_starting_model():
    ev = _evaluator("mlp", "fast")
    base_only = UtilityEvaluator(
        ev.model, ev.base, torch.zeros_like(ev.updates), ev.sizes, ev.x, ev.y, "accuracy", "loop"
    )
    assert ev(np.array([0]))[0] == base_only(np.array([31]))[0]


def test_exact_shapley_is_refused_above_fourteen_clients():
    with pytest.raises(
        ContributionError, match=r"^clients: exact_shapley needs clients <= 14 \(got 15\)"
    ):
        ContributionScorer(ContributionSettings(), 15)
    ContributionScorer(ContributionSettings(), 14)  # at the limit: accepted


def test_pay_by_must_be_a_computed_method():
    with pytest.raises(ContributionError, match="pay_by='cgsv' is not among methods"):
        ContributionScorer(ContributionSettings(methods=("size",), pay_by="cgsv"), 4)


def test_unknown_method_is_an_error_not_a_fallback():
    settings = ContributionSettings(methods=("size", "gtg_shaply"), pay_by="size")
    with pytest.raises(
        ContributionError, match=r"unknown contribution method\(s\) \['gtg_shaply'\]"
    ):
        ContributionScorer(settings, 4)


def test_every_registered_parameter_is_a_settings_field():
    fields = ContributionSettings.__dataclass_fields__
    for method in METHODS.values():
        for param in method.params:
            assert fields[param.name].default == param.default, (method.name, param.name)


def test_allowed_method_names_are_the_registry_keys():
    assert get_args(ContributionMethod) == tuple(METHODS)
    with pytest.raises(ScenarioError, match="fl.contribution.methods"):
        load_scenario({"fl": {"contribution": {"methods": ["size", "nope"], "pay_by": "size"}}})


def test_kernelshap_budget_below_clients_plus_two_is_refused():
    settings = ContributionSettings(
        methods=("kernelshap",), pay_by="kernelshap", kernel_coalitions=8
    )
    with pytest.raises(
        ContributionError,
        match=r"^contribution.kernel_coalitions: got 8, below clients \+ 2 = 9, the fewest",
    ):
        ContributionScorer(settings, 7)
    ContributionScorer(dataclasses.replace(settings, kernel_coalitions=9), 7)  # enough


class AdditiveRound:
    """A stand-in for RoundGame: an additive game (exact Shapley = the weights)."""

    def __init__(self, players, weights):
        self.players = players
        self.weights = weights

    def view(self):
        w = self.weights
        return game_from_value(len(w), lambda s: float(sum(w[i] for i in s)))


def test_or_mode_pays_increments_of_the_cumulative_level():
    settings = ContributionSettings(methods=("exact_shapley",), mode="OR")
    scorer = ContributionScorer(settings, 3)
    rng = np.random.default_rng(0)
    upd = torch.zeros(3, 2)

    def pay(participants, players, levels):
        sizes = np.ones(len(participants))
        game = AdditiveRound(players, levels)
        return scorer.score(participants, sizes, upd[: len(participants)], game, rng)[0]

    # levels by round (clients 0, 1, 2): r1 (0.2, 0.1, -), r2 (0.5, 0.3, 0.05),
    # r3 client 1 sits out: (0.6, 0.35, 0.2), r4 everyone: (0.7, 0.45, 0.1)
    assert pay((0, 1), (0, 1), [0.2, 0.1])["exact_shapley"] == pytest.approx((0.2, 0.1, 0.0))
    assert pay((0, 1, 2), (0, 1, 2), [0.5, 0.3, 0.05])["exact_shapley"] == pytest.approx(
        (0.3, 0.2, 0.05)
    )
    assert pay((0, 2), (0, 1, 2), [0.6, 0.35, 0.2])["exact_shapley"] == pytest.approx(
        (0.1, 0.0, 0.15)
    )
    # client 1 is paid its level's change since round 2, when it was last paid
    assert pay((0, 1, 2), (0, 1, 2), [0.7, 0.45, 0.1])["exact_shapley"] == pytest.approx(
        (0.1, 0.15, -0.1)
    )


def test_mr_mode_pays_each_rounds_values():
    scorer = ContributionScorer(ContributionSettings(methods=("exact_shapley",)), 2)
    rng = np.random.default_rng(0)
    for levels in ([0.2, 0.1], [0.5, 0.3]):
        got = scorer.score(
            (0, 1), np.ones(2), torch.zeros(2, 1), AdditiveRound((0, 1), levels), rng
        )
        assert got[0]["exact_shapley"] == pytest.approx(tuple(levels))


def test_a_methods_scores_do_not_depend_on_the_other_methods_listed():
    rng = np.random.default_rng(3)
    w = [0.3, -0.1, 0.2, 0.05, 0.15]

    class Round(AdditiveRound):
        def view(self):  # not additive: sampling estimators then differ by stream
            return game_from_value(
                5, lambda s: float(np.tanh(sum(w[i] for i in s)) + len(s) ** 0.5)
            )

    def scores(methods):
        settings = ContributionSettings(methods=methods, pay_by=methods[0], permutations=3)
        scorer = ContributionScorer(settings, 5)
        out = []
        for _ in range(2):
            out.append(scorer.score(tuple(range(5)), np.ones(5), torch.zeros(5, 1),
                                    Round(tuple(range(5)), w), rng)[0])  # fmt: skip
        return out

    alone = scores(("tmc_shapley",))
    crowded = scores(("mc_shapley", "kernelshap", "tmc_shapley", "gtg_shapley"))
    assert [r["tmc_shapley"] for r in alone] == [r["tmc_shapley"] for r in crowded]
    assert alone[0]["tmc_shapley"] != alone[1]["tmc_shapley"]  # the stream moves on


def test_no_two_methods_draw_the_same_permutations():
    """mc and tmc (tolerance 0: never truncates) with the same permutation count walk the
    same permutations only if they share a stream; each has its own, so they differ."""
    w = [0.3, -0.1, 0.2, 0.05, 0.15]

    class Round(AdditiveRound):
        def view(self):  # not additive: different permutations give different estimates
            return game_from_value(
                5, lambda s: float(np.tanh(sum(w[i] for i in s)) + len(s) ** 0.5)
            )

    methods = ("mc_shapley", "tmc_shapley")
    settings = ContributionSettings(
        methods=methods, pay_by="mc_shapley", permutations=3, truncation_tolerance=0.0
    )
    got = ContributionScorer(settings, 5).score(
        tuple(range(5)), np.ones(5), torch.zeros(5, 1), Round(tuple(range(5)), w),
        np.random.default_rng(3),
    )[0]  # fmt: skip
    assert got["mc_shapley"] != got["tmc_shapley"]
    assert sum(got["mc_shapley"]) == pytest.approx(sum(got["tmc_shapley"]))  # both efficient


def test_gtg_reads_each_tolerance_under_its_own_key():
    """A round gaining 0.05 (v(S) = 0.01 |S|, 5 players): between_round_tolerance 0.1
    skips it (zeros, 2 evaluations) whatever truncation_tolerance says; truncation 0.1
    with between 0 keeps it and cuts each permutation after its first player (0.05 - 0.01
    < 0.1), so the first player of each permutation gets 0.01."""

    def gtg(between: float, within: float) -> tuple[np.ndarray, int]:
        settings = ContributionSettings(
            methods=("gtg_shapley",), pay_by="gtg_shapley",
            between_round_tolerance=between, truncation_tolerance=within,
        )  # fmt: skip
        score = METHODS["gtg_shapley"].make(settings, 5)
        game = game_from_value(5, lambda s: 0.01 * len(s))
        inp = RoundInput(tuple(range(5)), np.ones(5), None, tuple(range(5)), game)
        return score(inp, np.random.default_rng(0))

    skipped, spent = gtg(between=0.1, within=0.0)
    assert skipped.tolist() == [0.0] * 5 and spent == 2
    kept, spent = gtg(between=0.0, within=0.1)
    assert all(v > 0 for v in kept) and spent == 2 + 5
