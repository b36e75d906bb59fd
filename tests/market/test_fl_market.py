"""The market on a real FL trajectory: who gets paid depends on the contribution method."""

from typing import Any

from simfl.model import run_model


def fl_scenario(partition: str, pay_by: str) -> dict[str, Any]:
    return {
        "name": "fl-market",
        "seed": 3,
        "rounds": 3,
        "fl": {
            "clients": 5,
            "partition": {"kind": partition},
            "behaviours": {4: "free_rider"},
            "local": {"epochs": 1, "lr": 0.1},
            "contribution": {"methods": ["size", "exact_shapley"], "pay_by": pay_by},
        },
        "market": {"reward": {"mode": "direct", "revenue": 1000}, "substeps": 0},
    }


def test_under_shapley_scores_a_free_rider_earns_less_than_every_honest_client() -> None:
    model = run_model(fl_scenario("iid", "exact_shapley"))
    paid = [client.received_base_units for client in model.clients]
    assert all(paid[4] < honest for honest in paid[:4]), paid


def test_under_data_size_scores_the_free_rider_with_the_most_data_earns_the_most() -> None:
    model = run_model(fl_scenario("linear", "size"))
    sizes = model.source.client_sizes
    assert max(range(5), key=sizes.__getitem__) == 4  # linear skew: the last holds the most
    paid = [client.received_base_units for client in model.clients]
    assert max(range(5), key=paid.__getitem__) == 4, paid


def test_on_a_real_fl_trajectory_the_rows_own_everything() -> None:
    from tests.market.test_balance_sheet import balance_sheet_gaps

    scenario = fl_scenario("iid", "exact_shapley")
    scenario["market"] = {
        "reward": {"mode": "hybrid", "revenue": 800, "emission": 500},
        "clients": {"policy": "sell_to_fund", "cost_per_round": 30, "endowment": 40},
        "investors": [{"strategy": "noise", "count": 6, "activity": 1.0}],
        "liquidity_providers": [{"count": 1, "budget": 2000}],
        "substeps": 2,
    }
    assert max(balance_sheet_gaps(run_model(scenario).tables())) <= 1e-9
