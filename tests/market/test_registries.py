"""Every name the schema accepts reaches its implementation; an unknown one is refused."""

import pytest

from simfl.config import load_scenario
from simfl.errors import ScenarioError
from simfl.market.mechanism import PAYOUT_MODES
from simfl.market.strategies import CLIENT_POLICIES, INVESTOR_STRATEGIES
from simfl.model import run_model
from tests.market.scenarios import synthetic


def test_every_registered_investor_strategy_trades_in_a_market() -> None:
    groups = [
        {"strategy": name, "count": 3, "budget": 500, "activity": 1.0}
        for name in INVESTOR_STRATEGIES
    ]
    model = run_model(
        synthetic(
            **{
                "market.reward": {"mode": "hybrid", "revenue": 2000, "emission": 1000},
                "market.clients.policy": "sell_fraction",
                "market.investors": groups,
                "rounds": 5,
            }
        )
    )
    trades = {name: 0 for name in INVESTOR_STRATEGIES}
    for investor in model.investors:
        trades[investor.strategy] += investor.trades
    assert all(count > 0 for count in trades.values()), trades
    model.check_invariants()


@pytest.mark.parametrize("policy", sorted(CLIENT_POLICIES))
def test_every_registered_client_policy_runs(policy: str) -> None:
    scenario = synthetic(
        **{
            "market.reward.mode": "mint",
            "market.clients": {"policy": policy, "cost_per_round": 1, "price_threshold": 0.5},
            "rounds": 2,
        }
    )
    model = run_model(scenario)
    sold = sum(c.trades for c in model.clients)
    # hold never sells; the others sell some of what they were minted
    assert (sold == 0) == (policy == "hold")


@pytest.mark.parametrize("mode", sorted(PAYOUT_MODES))
def test_every_registered_payout_mode_runs(mode: str) -> None:
    model = run_model(synthetic(**{"market.reward.mode": mode, "rounds": 2}))
    model.check_invariants()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("market.investors", [{"strategy": "contrarian"}]),
        ("market.clients.policy", "dump"),
        ("market.reward.mode", "airdrop"),
        ("compare_modes", ["burn"]),
    ],
)
def test_an_unknown_name_is_refused_by_the_schema(key: str, value: object) -> None:
    with pytest.raises(ScenarioError, match="must be one of"):
        load_scenario(synthetic(**{key: value}))
