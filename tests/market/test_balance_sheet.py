"""A closed balance sheet: every unit has an owner that is a row of `agents.parquet`.

Every shipped scenario (synthetic scores, 3 rounds: the market side is the scenario's)
and quickstart with training costs and opt-out: at every step, Σ `value_spot` over the
rows equals BASE supply plus each token's supply at its price; pools open at
`seed_base / seed_tokens`; `flows.parquet` nets to each token's supply change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from simfl.model import FederationMarket, run_model
from tests.market.scenarios import market, synthetic

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
FAST = {"scores.source": "synthetic", "rounds": 3, "market.substeps": 3}
CASES: list[tuple[str, str | dict[str, Any], dict[str, Any]]] = [
    *((path.stem, str(path), FAST) for path in SCENARIOS),
    (
        "quickstart-costs-opt-out",
        str(SCENARIOS[0].parent / "quickstart.yaml"),
        FAST
        | {
            "rounds": 5,
            "compare": [],  # a comparison replays one trajectory: no opt-out with it
            "compare_modes": [],
            "market.clients.cost_per_round": 40,
            "market.clients.endowment": 60,
            "market.clients.opt_out": True,
            "market.clients.policy": "sell_to_fund",
        },
    ),
    (
        "lp-seeded-treasury-tx-costs",
        synthetic(
            **{
                "market.reward.mode": "hybrid",
                "market.pool.source": "liquidity_providers",
                "market.pool.seed_base": 800,
                "market.pool.seed_tokens": 2000,
                "market.treasury.initial": 900,
                "market.transaction_cost": 0.5,
                "market.investors": [{"strategy": "noise", "count": 8, "activity": 1.0}],
                "market.liquidity_providers": [{"count": 3, "budget": 3000}],
            }
        ),
        {},
    ),
]
IDS = [case[0] for case in CASES]


def balance_sheet_gaps(tables: dict[str, pd.DataFrame]) -> list[float]:
    """Per step: relative gap between Σ value_spot and BASE + Σ CST supply · price."""
    model, agents = tables["model"], tables["agents"]
    n = sum(1 for column in model.columns if column.startswith("price_"))
    owned = agents.groupby("step")["value_spot"].sum()
    gaps = []
    for _, row in model.iterrows():
        supply = row["supply_base"] + sum(row[f"supply_{i}"] * row[f"price_{i}"] for i in range(n))
        gaps.append(abs(owned[int(row["step"])] - supply) / supply)
    return gaps


@pytest.mark.parametrize(("name", "scenario", "overrides"), CASES, ids=IDS)
def test_agents_rows_own_everything_at_every_step(
    name: str, scenario: str | dict[str, Any], overrides: dict[str, Any]
) -> None:
    supplies: list[dict[str, int]] = []

    def record(model: FederationMarket) -> None:
        supplies.append({t: model.ledger.total_supply(t) for t in model.ledger.tokens()})

    model = market(scenario, overrides=overrides)
    record(model)
    while model.running:
        model.step()
        record(model)
    tables = model.tables()
    gaps = balance_sheet_gaps(tables)
    assert len(gaps) == model.rounds + 1
    assert max(gaps) <= 1e-9, (name, gaps)
    # flows: issuance less burns is each token's supply change, step by step
    flows = tables["flows"]
    for step in range(1, len(supplies)):
        for token, supply in supplies[step].items():
            part = flows[(flows["step"] == step) & (flows["token"] == token)]
            minted = sum(part.loc[part["source"] == "issuance", "amount"])
            burned = sum(part.loc[part["destination"] == "burned", "amount"])
            assert minted - burned == supply - supplies[step - 1][token], (step, token)
    assert supplies[0] == {
        token: sum(flows.loc[(flows["step"] == 0) & (flows["token"] == token), "amount"].where(
            flows["source"] == "issuance", 0))
        for token in supplies[0]
    }  # fmt: skip


def test_dropping_a_sink_row_breaks_the_balance_sheet() -> None:
    model = run_model(
        synthetic(**{"market.clients.cost_per_round": 3, "market.clients.endowment": 10})
    )
    tables = model.tables()
    assert max(balance_sheet_gaps(tables)) <= 1e-9
    agents = tables["agents"]
    tables["agents"] = agents[agents["strategy"] != "training_costs"]
    assert max(balance_sheet_gaps(tables)) > 1e-6


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_opens_at_seed_base_over_seed_tokens(path: Path) -> None:
    model = market(str(path), overrides={"scores.source": "synthetic"})
    pool = model.scenario.market.pool
    step0 = model.tables()["model"].iloc[0]
    for i in range(model.n_clients):
        assert step0[f"price_{i}"] == pool.seed_base / pool.seed_tokens


def test_every_owner_kind_has_a_row_and_the_sinks_are_there() -> None:
    model = market(synthetic(**{"market.liquidity_providers": [{"count": 1}]}))
    rows = model.tables()["agents"]
    assert set(rows["kind"]) == {"federation", "client", "liquidity_provider", "sink"}
    assert sorted(rows.loc[rows["kind"] == "sink", "strategy"]) == [
        "locked_liquidity",
        "training_costs",
        "transaction_costs",
    ]


def test_a_federation_that_pays_out_shows_the_payout_as_a_loss() -> None:
    model = run_model(
        synthetic(**{"market.reward.revenue": 500, "market.treasury.initial": 400, "rounds": 2})
    )
    agents = model.tables()["agents"]
    federation = agents[agents["kind"] == "federation"].set_index("step")
    # direct mode: the 2 · 500 of revenue (capital from outside, like a budget) and the
    # 400 of treasury all go to clients, down to the rounding dust; no trader moves the
    # price of the federation's LP position. Its PnL: −(1,000 + 400).
    assert federation.loc[0, "pnl"] == 0.0
    assert federation.loc[2, "pnl"] == pytest.approx(-1400.0, abs=1e-12)
    assert federation.loc[2, "base"] == pytest.approx(0.0, abs=1e-15)
    assert federation.loc[2, "received_base"] == 1000.0


def test_a_holder_that_is_no_row_stops_the_run() -> None:
    from simfl.errors import InvariantViolation

    model = market(synthetic())
    model.ledger.mint(model.tokens[0], "nobody", 1)  # minted to an owner that is no row
    with pytest.raises(InvariantViolation, match="'nobody' holds 1 CST_0"):
        model.step()
