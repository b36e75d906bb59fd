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
    # budget 100, 60 BASE on hand, holds 40, 8, 30 tokens at prices 1, 1, 2
    holding = rules.Position(base=60.0, budget=100.0, tokens=(40.0, 8.0, 30.0))
    prices = view(prices=(1.0, 1.0, 2.0))
    rng = np.random.default_rng(1)
    orders = [o for _ in range(3000) for o in rules.noise_orders(prices, holding, rng, 0.1, 1.0)]
    buys = [o for o in orders if o.side == "buy"]
    sells = [o for o in orders if o.side == "sell"]
    assert abs(len(buys) - len(sells)) < 200  # a fair coin over 3,000 draws (sd 55)
    # value per trade, whichever side: min(10% of 100, half of 60 on hand, half the
    # value held, room): token 0: 10 (sell 10 of 40 = 0.25); token 1: 8 held → 4 (sell
    # half, never all); token 2: 60 held, room 100 − 60 = 40 → 10 (sell 10 of 60 = 1/6)
    value = {0: 10.0, 1: 4.0, 2: 10.0}
    held = {0: 40.0, 1: 8.0, 2: 60.0}
    for order in orders:
        if order.side == "buy":
            assert order.fraction * 100.0 == pytest.approx(value[order.token])
        else:
            assert order.fraction * held[order.token] == pytest.approx(value[order.token])


def test_noise_trader_that_cannot_do_both_sides_does_not_trade() -> None:
    rng = np.random.default_rng(2)
    cash_only = [rules.noise_orders(view(), CASH, rng, 0.1, 1.0) for _ in range(200)]
    assert cash_only == [[]] * 200  # no tokens: a buy would be a one-sided pump
    tokens_only = rules.Position(base=0.0, budget=100.0, tokens=(50.0, 50.0, 50.0))
    assert [rules.noise_orders(view(), tokens_only, rng, 0.1, 1.0) for _ in range(200)] == [
        []
    ] * 200  # no BASE: a sell would be a one-sided dump


def test_mean_reversion_buys_the_most_depressed_token_and_sells_a_rich_holding() -> None:
    # means of the last 2 closes: 1.0, 1.0, 1.0; spot 1.5 (+50 %), 0.7 (−30 %), 0.9 (−10 %)
    moved = view(
        prices=(1.5, 0.7, 0.9),
        price_history=((0.8, 1.2, 0.8), (1.0, 1.0, 1.0), (5.0, 1.0, 1.0)),
    )
    holding = rules.Position(base=100.0, budget=100.0, tokens=(5.0, 0.0, 0.0))
    orders = rules.mean_reversion_orders(moved, holding, 0.2, 0.5, lookback=2, threshold=0.2)
    # token 2's mean over all 3 closes would be 2.33 (spot 61 % below): the window matters
    assert orders == [rules.Order(0, "sell", 1.0), rules.Order(1, "buy", 0.2)]


def test_mean_reversion_stays_put_within_its_threshold() -> None:
    calm = view(prices=(1.1, 0.95, 1.0))
    holding = rules.Position(base=100.0, budget=100.0, tokens=(5.0, 5.0, 5.0))
    assert rules.mean_reversion_orders(calm, holding, 0.2, 0.5, lookback=2, threshold=0.2) == []


def test_every_registered_strategy_reads_only_investor_group_fields() -> None:
    from simfl.config.market import InvestorGroup

    fields = set(InvestorGroup.model_fields)
    for strategy in rules.INVESTOR_STRATEGIES.values():
        assert set(strategy.params) <= fields, strategy.name
        assert strategy.schedule in ("occasional", "before_payout")


def test_registered_strategies_decide_through_their_rules() -> None:
    from simfl.config.market import InvestorGroup

    group = InvestorGroup(strategy="mean_reversion", trade_fraction=0.2, lookback=2, threshold=0.2)
    moved = view(prices=(1.0, 0.7, 1.0))
    decide = rules.investor_strategy("mean_reversion").decide
    assert decide(moved, CASH, np.random.default_rng(0), group) == [rules.Order(1, "buy", 0.2)]
    assert rules.investor_strategy("buyback_frontrunner").schedule == "before_payout"


def test_the_schema_accepts_exactly_the_registered_names() -> None:
    from simfl.config import load_scenario
    from simfl.errors import ScenarioError

    for name in rules.INVESTOR_STRATEGIES:
        load_scenario({"market": {"investors": [{"strategy": name}]}})
    for name in rules.CLIENT_POLICIES:
        load_scenario({"market": {"clients": {"policy": name}}})
    with pytest.raises(ScenarioError, match="strategy: got 'mean_reverting'"):
        load_scenario({"market": {"investors": [{"strategy": "mean_reverting"}]}})


def test_an_unknown_name_is_an_error_not_a_fallback() -> None:
    with pytest.raises(ValueError, match="unknown investor strategy 'frontrunner'"):
        rules.investor_strategy("frontrunner")
    with pytest.raises(ValueError, match="unknown client policy 'sell_all'"):
        rules.client_sell_fraction("sell_all", 10.0, 1.0, 1.0, 0.5, 1.2)


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
