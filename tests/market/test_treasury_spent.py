"""What the treasury spent is what it paid out, not what it planned to.

Quickstart (hybrid) on synthetic scores for 4 rounds, with 4,000 BASE of
`treasury.initial` released evenly (1,000 a round) and buy-backs in 4 slices capped at
100 bps of slippage: the cap holds part of the buy-backs back, and what is still
carried after the last round was never spent. Expectations come from the journal
(`events.parquet`): BASE the federation paid to clients and into pools.
"""

from __future__ import annotations

import pytest

from simfl.analysis.metrics import equal_payout_base
from simfl.config import load_scenario
from simfl.errors import ScenarioError
from simfl.model import QUICKSTART, run_model

UNIT = 10**18
CAPPED = {
    "scores.source": "synthetic",
    "rounds": 4,
    "market.treasury.initial": 4000,
    "market.reward.buyback_slices": 4,
    "market.reward.buyback_max_slippage_bps": 100,
}


def test_treasury_spent_counts_only_what_was_paid_out() -> None:
    model = run_model(QUICKSTART, overrides=CAPPED)
    tables = model.tables()
    events = tables["events"]
    base = events[(events["token"] == "BASE") & (events["step"] > 0)]
    from_federation = base[base["sender"] == "federation"]
    direct = from_federation[
        (from_federation["kind"] == "transfer")
        & from_federation["recipient"].str.startswith("client-")
    ]
    bought = from_federation[
        (from_federation["kind"] == "swap") & from_federation["recipient"].str.startswith("pool:")
    ]
    paid = sum(int(a) for a in direct["amount"]) + sum(int(a) for a in bought["amount"])
    revenue = sum(
        int(a)
        for a in base[(base["kind"] == "mint") & (base["recipient"] == "federation")]["amount"]
    )
    carried = sum(model.federation.carry)
    assert carried > 100 * UNIT  # the cap held back a good part of the last buy-backs
    last = tables["model"].iloc[-1]
    # revenue is spent first; what the treasury paid is the rest of what was paid
    assert last["treasury_spent"] == pytest.approx((paid - revenue) / UNIT, abs=1e-9)
    # 4,000 released, less what is still carried (plus a few base units of split dust)
    assert last["treasury_spent"] == pytest.approx(4000 - carried / UNIT, abs=1e-9)
    # the yardstick counts BASE paid, plus the emission at the genesis price (1 here)
    emission = float(tables["model"]["emission"].sum())
    manifest = {"scenario": model.scenario.model_dump(mode="json")}
    assert equal_payout_base(tables, manifest) == pytest.approx(
        (paid / UNIT + emission * 1.0) / model.n_clients, rel=1e-12
    )


def test_the_yardstick_counts_revenue_spent_not_revenue_held_back() -> None:
    # no treasury: the capped buy-backs still carried after the last round are revenue
    # that was never spent, and the equal payout must not count them
    no_treasury = {"market.treasury.initial": 0, "market.reward.revenue.amount": 4000}
    model = run_model(QUICKSTART, overrides={**CAPPED, **no_treasury})
    tables = model.tables()
    events = tables["events"]
    base = events[(events["token"] == "BASE") & (events["step"] > 0)]
    from_federation = base[base["sender"] == "federation"]
    paid = sum(
        int(a)
        for a in from_federation[
            from_federation["recipient"].str.startswith(("client-", "pool:"))
            & from_federation["kind"].isin(["transfer", "swap"])
        ]["amount"]
    )
    revenue = float(tables["model"]["revenue"].sum())
    assert revenue - paid / UNIT > 100  # held back, never paid
    assert tables["model"].iloc[-1]["treasury_spent"] == 0.0
    emission = float(tables["model"]["emission"].sum())
    manifest = {"scenario": model.scenario.model_dump(mode="json")}
    assert equal_payout_base(tables, manifest) == pytest.approx(
        (paid / UNIT + emission * 1.0) / model.n_clients, rel=1e-12
    )


def test_buyback_slices_without_a_substep_are_refused() -> None:
    with pytest.raises(ScenarioError) as refused:
        load_scenario(QUICKSTART, {"market.reward.buyback_slices": 11})
    assert (
        "market.reward.buyback_slices: got 11; at most 10 with market.substeps=10 (slice j "
        "buys at the start of substep j, slice 0 at the payout)" in str(refused.value)
    )
    # without substeps, the one slice that buys at the payout is all there is
    with pytest.raises(ScenarioError, match="at most 1 "):
        load_scenario(QUICKSTART, {"market.reward.buyback_slices": 2, "market.substeps": 0})
    assert load_scenario(QUICKSTART, {"market.reward.buyback_slices": 10}).market.reward
