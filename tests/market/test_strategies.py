"""Decision rules are pure functions of a hand-made view: no model needed."""

import math

import numpy as np
import pytest

from simfl.market import strategies as rules


def view(**changes: object) -> rules.MarketView:
    base = {
        "round": 3,
        "phase": "trading",
        "prices": (1.0, 1.0, 1.0),
        "genesis_price": 1.0,
        "price_history": ((1.0, 1.0), (1.0, 1.0), (1.0, 1.0)),
        "score_history": ((1 / 3, 1 / 3, 1 / 3),),
        "market_caps": (100.0, 100.0, 100.0),
        "announced_buyback": (0.0, 0.0, 0.0),
    }
    base.update(changes)
    return rules.MarketView(**base)  # type: ignore[arg-type]


CASH = rules.Position(base=100.0, budget=100.0, tokens=(0.0, 0.0, 0.0))


def test_value_investor_buys_the_token_whose_score_share_beats_its_market_share() -> None:
    cheap = view(score_history=((0.6, 0.2, 0.2),))
    orders = rules.value_orders(cheap, CASH, 0.1, 0.5, lookback=3, threshold=0.1)
    assert orders == [rules.Order(0, "buy", 0.1)]


def test_value_investor_sells_an_overpriced_holding() -> None:
    rich = view(score_history=((0.1, 0.45, 0.45),))
    holding = rules.Position(base=50.0, budget=100.0, tokens=(10.0, 0.0, 0.0))
    orders = rules.value_orders(rich, holding, 0.1, 0.5, lookback=3, threshold=0.1)
    assert rules.Order(0, "sell", 1.0) in orders


def test_momentum_buys_the_best_riser_and_dumps_fallers() -> None:
    trend = view(price_history=((1.0, 1.5), (1.0, 0.8), (1.0, 1.1)))
    holding = rules.Position(base=100.0, budget=100.0, tokens=(0.0, 5.0, 0.0))
    orders = rules.momentum_orders(trend, holding, 0.2, 0.5, lookback=2)
    assert orders == [rules.Order(1, "sell", 1.0), rules.Order(0, "buy", 0.2)]


def test_position_limit_caps_a_buy() -> None:
    holding = rules.Position(base=100.0, budget=100.0, tokens=(45.0, 0.0, 0.0))
    cheap = view(score_history=((0.6, 0.2, 0.2),))
    orders = rules.value_orders(cheap, holding, 0.2, 0.5, lookback=3, threshold=0.1)
    assert orders == [rules.Order(0, "buy", pytest.approx(0.05))]


def test_index_investor_buys_everything_once_then_holds() -> None:
    assert [o.token for o in rules.index_orders(view(), CASH, 0.5)] == [0, 1, 2]
    invested = rules.Position(base=0.0, budget=100.0, tokens=(1.0, 1.0, 1.0))
    assert rules.index_orders(view(), invested, 0.5) == []


def test_frontrunner_buys_announced_buybacks_then_sells_after() -> None:
    before = view(phase="pre_payout", announced_buyback=(30.0, 0.0, 10.0))
    orders = rules.frontrunner_orders(before, CASH, 0.4, 1.0)
    assert orders == [
        rules.Order(0, "buy", pytest.approx(0.3)),
        rules.Order(2, "buy", pytest.approx(0.1)),
    ]
    holding = rules.Position(base=60.0, budget=100.0, tokens=(3.0, 0.0, 1.0))
    assert rules.frontrunner_orders(view(), holding, 0.4, 1.0) == [
        rules.Order(0, "sell", 1.0),
        rules.Order(2, "sell", 1.0),
    ]


def test_noise_trader_is_reproducible_for_a_seed() -> None:
    holding = rules.Position(base=100.0, budget=100.0, tokens=(50.0, 50.0, 50.0))
    a = [rules.noise_orders(view(), holding, np.random.default_rng(5), 0.1, 1.0) for _ in "xy"]
    assert a[0] == a[1] and len(a[0]) == 1


def test_noise_trader_buys_and_sells_the_same_value_half_the_time_each() -> None:
    holding = rules.Position(base=100.0, budget=100.0, tokens=(50.0, 50.0, 50.0))
    rng = np.random.default_rng(1)
    orders = [o for _ in range(2000) for o in rules.noise_orders(view(), holding, rng, 0.1, 1.0)]
    buys = [o for o in orders if o.side == "buy"]
    sells = [o for o in orders if o.side == "sell"]
    assert abs(len(buys) - len(sells)) < 150  # a fair coin over 2,000 draws
    assert {o.fraction for o in buys} == {0.1}  # 10 BASE of budget
    assert all(o.fraction == pytest.approx(0.2) for o in sells)  # 10 BASE of 50 BASE held
    empty_handed = [rules.noise_orders(view(), CASH, rng, 0.1, 1.0) for _ in range(200)]
    assert [] in empty_handed  # a sell of nothing is skipped, not turned into a buy
    assert all(o.side == "buy" for orders in empty_handed for o in orders)


@pytest.mark.parametrize(
    ("policy", "price", "expected"),
    [
        ("hold", 9.0, 0.0),
        ("sell_fraction", 1.0, 0.25),
        ("sell_above_price", 1.1, 0.0),
        ("sell_above_price", 1.3, 1.0),
    ],
)
def test_client_payout_policies(policy: str, price: float, expected: float) -> None:
    assert rules.client_sell_fraction(policy, 10.0, price, 1.0, 0.25, 1.2) == expected


def test_expected_reward_marks_tokens_at_the_current_price() -> None:
    assert rules.expected_reward([(1.0, 2.0), (3.0, 0.0)], price=0.5) == 2.5
    assert rules.expected_reward([], price=1.0) == math.inf


@pytest.mark.parametrize("ratio", [0.25, 0.5, 2.0, 4.0])
def test_impermanent_loss_is_the_textbook_formula(ratio: float) -> None:
    assert rules.impermanent_loss(ratio) == pytest.approx(2 * math.sqrt(ratio) / (1 + ratio) - 1)
    assert rules.impermanent_loss(ratio) < 0
