"""A contribution method's parameters are declared once, in its registry entry
(simfl/fl/methods.py `Method.params`): the engine's `ContributionSettings` and the
scenario schema's `fl.contribution` section are built from them, and a method's `check`
hook refuses what it cannot run with, at validation and in the engine alike."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simfl.config import load_scenario
from simfl.config.fl import Contribution
from simfl.errors import ContributionError, ScenarioError
from simfl.fl import methods
from simfl.fl.contribution import ContributionScorer
from simfl.fl.methods import METHODS, Param, method_params
from simfl.fl.settings import ContributionSettings
from simfl.fl.shapley import game_from_value

SYNTHETIC = {"scores": {"source": "synthetic"}}
KERNEL_ONLY = {"methods": ["kernelshap"], "pay_by": "kernelshap"}


def problems(contribution: dict, clients: int = 8) -> list[str]:
    """The lines `load_scenario` refuses this `fl.contribution` with."""
    try:
        load_scenario({"fl": {"clients": clients, "contribution": contribution}, **SYNTHETIC})
    except ScenarioError as err:
        return str(err).splitlines()[1:]
    return []


def test_every_declared_parameter_is_a_schema_key_with_its_default_bounds_and_readers():
    declared = method_params()
    assert set(declared) >= {"permutations", "kernel_coalitions", "cgsv_alpha"}
    for name, (param, readers) in declared.items():
        field = Contribution.model_fields[name]
        assert field.default == param.default, name
        assert field.description == f"{', '.join(readers)}: {param.doc}", name
        shown = {k: getattr(m, k) for m in field.metadata for k in ("ge", "gt", "le", "lt")
                 if getattr(m, k, None) is not None}  # fmt: skip
        if param.nullable:  # the bounds sit inside `X | None`
            assert field.default is None and "None" in str(field.annotation), name
        else:
            assert shown == param.bounds(), name
        assert ContributionSettings.__dataclass_fields__[name].default == param.default, name


def test_kernel_coalitions_is_declared_by_kernelshap_with_its_bound():
    param, readers = method_params()["kernel_coalitions"]
    assert (param.default, param.bounds(), readers) == (256, {"ge": 4}, ("kernelshap",))
    assert problems({**KERNEL_ONLY, "kernel_coalitions": 3}) == [
        "fl.contribution.kernel_coalitions: got 3; input should be greater than or equal to 4"
    ]


def test_a_shared_parameter_names_every_method_that_reads_it():
    assert method_params()["permutations"][1] == ("mc_shapley", "tmc_shapley")
    assert method_params()["truncation_tolerance"][1] == ("tmc_shapley", "gtg_shapley")


def test_a_scenario_value_reaches_the_estimator(monkeypatch: pytest.MonkeyPatch):
    seen = []

    def spy(game, budget, rng):
        seen.append(budget)
        return np.zeros(game.n_players)

    monkeypatch.setattr(methods, "kernel_from_game", spy)
    contribution = {**KERNEL_ONLY, "kernel_coalitions": 37}
    scenario = load_scenario({"fl": {"clients": 5, "contribution": contribution}, **SYNTHETIC})
    settings = scenario.fl.to_settings().contribution
    assert settings.kernel_coalitions == 37
    score = METHODS["kernelshap"].make(settings, 5)
    game = game_from_value(5, lambda s: float(len(s)))
    inp = methods.RoundInput((0, 1, 2, 3, 4), np.ones(5), None, (0, 1, 2, 3, 4), game)
    score(inp, np.random.default_rng(0))
    assert seen == [37]


def test_an_unknown_contribution_key_is_still_refused():
    # the allowed list grows with the registry: pin its head and that it names the keys
    [line] = problems({"kernel_coalition": 64})
    assert line.startswith(
        "fl.contribution.kernel_coalition: unknown key — did you mean 'kernel_coalitions'? "
        "(allowed here: methods, pay_by, utility, mode, permutations, antithetic, "
    )
    assert all(name in line for name in method_params())
    with pytest.raises(TypeError, match="kernel_coalition"):
        ContributionSettings(kernel_coalition=64)


def test_kernelshap_budget_below_clients_plus_two_is_refused_at_validation():
    # the engine refused it at run time only; the entry's `check` now runs in validation
    assert problems({**KERNEL_ONLY, "kernel_coalitions": 9}, clients=8) == [
        "fl.contribution.kernel_coalitions: got 9, below clients + 2 = 10, the fewest "
        "coalitions that determine 8 kernelshap values; give at least 10"
    ]
    assert problems({**KERNEL_ONLY, "kernel_coalitions": 10}, clients=8) == []
    # not listed: the budget is not read, so not checked
    assert problems({"kernel_coalitions": 9}, clients=8) == []


def test_the_engine_runs_the_same_check():
    settings = ContributionSettings(methods=("kernelshap",), pay_by="kernelshap")
    with pytest.raises(ContributionError, match=r"^contribution.kernel_coalitions: got 9, below"):
        ContributionScorer(dataclasses.replace(settings, kernel_coalitions=9), 8)


def test_two_methods_declaring_one_name_differently_is_an_error(monkeypatch: pytest.MonkeyPatch):
    other = dataclasses.replace(METHODS["cgsv"], name="cgsv_fast",
                                params=(Param("cgsv_alpha", float, 0.5, "faster"),))  # fmt: skip
    monkeypatch.setitem(METHODS, "cgsv_fast", other)
    with pytest.raises(ValueError, match="'cgsv_alpha' is declared twice, differently"):
        method_params()


def test_cgsv_alpha_mismatch_under_the_cgsv_server_is_refused_at_validation_and_in_the_engine():
    """One paper parameter, two keys: under strategy cgsv with the cgsv score listed, the
    two α must agree; otherwise either is read alone and nothing is refused."""

    def refused(strategy: dict, contribution: dict) -> list[str]:
        fl = {"clients": 4, "strategy": strategy, "contribution": contribution}
        try:
            load_scenario({"fl": fl, **SYNTHETIC})
        except ScenarioError as err:
            return str(err).splitlines()[1:]
        return []

    cgsv = {"methods": ["cgsv"], "pay_by": "cgsv"}
    assert refused({"name": "cgsv", "cgsv_alpha": 0.8}, {**cgsv, "cgsv_alpha": 0.9}) == [
        "fl.contribution.cgsv_alpha: got 0.9 but strategy.cgsv_alpha=0.8; under strategy "
        "cgsv both are the reputation's EMA weight α (Xu et al. 2021): give both the same value"
    ]
    assert refused({"name": "cgsv", "cgsv_alpha": 0.8}, {**cgsv, "cgsv_alpha": 0.8}) == []
    assert refused({"name": "fedavg", "cgsv_alpha": 0.8}, {**cgsv, "cgsv_alpha": 0.9}) == []
    assert refused({"name": "cgsv", "cgsv_alpha": 0.8}, {"methods": ["size"], "pay_by": "size",
                                                        "cgsv_alpha": 0.9}) == []  # fmt: skip
    from simfl.fl.engine import FederatedTraining
    from simfl.fl.settings import FLSettings, StrategySettings

    settings = FLSettings(
        clients=4,
        strategy=StrategySettings(name="cgsv", cgsv_alpha=0.8),
        contribution=ContributionSettings(methods=("cgsv",), pay_by="cgsv", cgsv_alpha=0.9),
    )
    with pytest.raises(ContributionError, match=r"^contribution.cgsv_alpha: got 0.9 but"):
        FederatedTraining(settings, np.random.default_rng(0))
