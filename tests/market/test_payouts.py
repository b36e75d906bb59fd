"""Every payout mode over several rounds with a non-empty treasury, against payouts
computed here from the recorded scores: `floor(budget · w_i)` per round, the budget being
the round's revenue plus its share of `treasury.initial` (`spend: even`), and the
emission `floor(M · w_i)` minted.

Setting: 4 clients, 3 rounds, revenue 1000 BASE a round, emission 500 CST a round,
treasury.initial 600 BASE (200 a round), no traders (nothing else moves a pool).
"""

from fractions import Fraction

import pytest

from simfl.model import run_model
from tests.market.scenarios import synthetic

UNIT = 10**18
ROUNDS, REVENUE, EMISSION, INITIAL = 3, 1000 * UNIT, 500 * UNIT, 600 * UNIT
SEED_TOKENS = 10_000 * UNIT


def run(mode: str):
    scenario = synthetic(
        **{
            "rounds": ROUNDS,
            "market.reward": {"mode": mode, "revenue": 1000, "emission": 500},
            "market.treasury": {"initial": 600},
        }
    )
    return run_model(scenario).tables()


def weights_by_round(scores) -> list[list[Fraction]]:
    """w_i = max(s_i, 0) / Σ_j max(s_j, 0) from the recorded loo scores, exactly."""
    out = []
    for _, part in scores[scores["method"] == "loo"].groupby("round"):
        positive = [max(Fraction(s), Fraction(0)) for s in part.sort_values("client")["score"]]
        out.append([p / sum(positive) for p in positive])
    return out


def expected(tables, per_round: int) -> list[int]:
    """Σ over rounds of floor(per_round · w_i), base units per client."""
    totals = [0, 0, 0, 0]
    for w in weights_by_round(tables["scores"]):
        totals = [t + int(per_round * wi) for t, wi in zip(totals, w)]
    return totals


def per_round(tables, per_round_total: int) -> list[list[int]]:
    """floor(per_round_total · w_i) for every round and client, base units."""
    return [[int(per_round_total * wi) for wi in w] for w in weights_by_round(tables["scores"])]


def events(tables, kind: str, token: str, sender: str, recipient: str) -> list[list[int]]:
    """Exact amounts of one kind of event per round (steps 1..ROUNDS) and client, in
    client order; `{i}` in a name stands for the client's index."""
    frame = tables["events"]
    rows = []
    for step in range(1, ROUNDS + 1):
        part = frame[(frame["step"] == step) & (frame["kind"] == kind)]
        row = []
        for i in range(4):
            match = part[
                (part["token"] == token.format(i=i))
                & (part["sender"] == sender.format(i=i))
                & (part["recipient"] == recipient.format(i=i))
            ]
            row.append(sum(int(a) for a in match["amount"]))
        rows.append(row)
    return rows


def fee_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """Uniswap v2's getAmountOut at 30 bps, written out here as the reference."""
    return amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)


def column(tables, name: str) -> list[float]:
    last = tables["model"].iloc[-1]
    return [float(last[f"{name}_{i}"]) for i in range(4)]


def units(values: list[int]) -> list[float]:
    return [v / UNIT for v in values]


def test_direct_pays_each_rounds_budget_not_the_whole_treasury() -> None:
    tables = run("direct")
    # 1000 revenue + 200 of the initial 600 a round; paying the whole treasury balance
    # would hand out 1600 in round 1
    assert column(tables, "paid_base") == pytest.approx(
        units(expected(tables, REVENUE + INITIAL // 3)), rel=1e-12
    )
    first = tables["model"].iloc[1]
    assert sum(first[f"paid_base_{i}"] for i in range(4)) == pytest.approx(1200.0, abs=1e-12)
    # to the base unit, round by round
    paid = events(tables, "transfer", "BASE", "federation", "client-{i}")
    assert paid == per_round(tables, REVENUE + INITIAL // 3)
    last = tables["model"].iloc[-1]
    assert last["revenue_total"] == pytest.approx(3000.0)
    assert last["treasury_spent"] == pytest.approx(600.0)
    assert column(tables, "bought_back") == [0.0] * 4


def test_mint_mints_the_emission_and_spends_the_treasury_on_buy_backs() -> None:
    tables = run("mint")
    minted = expected(tables, EMISSION)
    assert column(tables, "supply") == pytest.approx(
        units([SEED_TOKENS + m for m in minted]), rel=1e-12
    )
    # mint earns no revenue: its only BASE is the treasury's 200 a round, as buy-backs
    assert column(tables, "bought_back") == pytest.approx(
        units(expected(tables, INITIAL // 3)), rel=1e-12
    )
    assert column(tables, "paid_base") == [0.0] * 4
    assert tables["model"].iloc[-1]["revenue_total"] == 0.0
    assert events(tables, "mint", "CST_{i}", "", "client-{i}") == per_round(tables, EMISSION)


def test_buyback_spends_revenue_and_treasury_share_on_each_token() -> None:
    tables = run("buyback")
    assert column(tables, "bought_back") == pytest.approx(
        units(expected(tables, REVENUE + INITIAL // 3)), rel=1e-12
    )
    # forwarded, not minted: supplies are unchanged
    assert column(tables, "supply") == pytest.approx([10_000.0] * 4)
    assert column(tables, "paid_base") == [0.0] * 4
    # to the base unit: BASE into pool i, and the CST it buys (getAmountOut on the pool's
    # reserves, which only the buy-backs move here) forwarded to client i
    spent = per_round(tables, REVENUE + INITIAL // 3)
    assert events(tables, "swap", "BASE", "federation", "pool:CST_{i}/BASE") == spent
    reserves = [(10_000 * UNIT, SEED_TOKENS)] * 4
    forwarded = []
    for row in spent:
        out = [fee_out(a, rb, rt) for a, (rb, rt) in zip(row, reserves)]
        reserves = [(rb + a, rt - o) for a, o, (rb, rt) in zip(row, out, reserves)]
        forwarded.append(out)
    assert events(tables, "transfer", "CST_{i}", "federation", "client-{i}") == forwarded


def test_hybrid_mints_and_buys_back() -> None:
    tables = run("hybrid")
    minted = expected(tables, EMISSION)
    assert column(tables, "supply") == pytest.approx(
        units([SEED_TOKENS + m for m in minted]), rel=1e-12
    )
    assert column(tables, "bought_back") == pytest.approx(
        units(expected(tables, REVENUE + INITIAL // 3)), rel=1e-12
    )
    assert events(tables, "mint", "CST_{i}", "", "client-{i}") == per_round(tables, EMISSION)
    spent = per_round(tables, REVENUE + INITIAL // 3)
    assert events(tables, "swap", "BASE", "federation", "pool:CST_{i}/BASE") == spent
