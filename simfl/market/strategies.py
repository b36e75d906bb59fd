"""Decision rules of investors, clients and liquidity providers.

Each rule is a pure function of what the agent can observe (a `MarketView` shared by
everyone in a substep, plus its own holdings) and returns orders; agents execute them.
So a rule can be unit-tested with a hand-made view and no model. Amounts in a view are
floats in whole tokens (decisions); orders say *fractions* of a budget or a holding, and
the agent turns them into exact integer base units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from simfl.market.mechanism import lookup

Side = Literal["buy", "sell"]
Phase = Literal["pre_payout", "trading"]


@dataclass(frozen=True, slots=True)
class MarketView:
    """What every trader can see at one moment of a round."""

    round: int  # 1-based FL round under way
    phase: Phase  # before the federation pays out, or the trading substeps after
    prices: tuple[float, ...]  # spot BASE per whole CST_i
    genesis_price: float  # BASE per CST_i when the pools opened (the same for all)
    price_history: tuple[tuple[float, ...], ...]  # per token: closing prices, oldest first
    score_history: tuple[tuple[float, ...], ...]  # per round: payout weights, oldest first
    market_caps: tuple[float, ...]  # price · circulating supply, whole BASE
    announced_buyback: tuple[float, ...]  # whole BASE the federation will spend per token now


@dataclass(frozen=True, slots=True)
class Order:
    """Buy `fraction` of the budget's worth of BASE, or sell `fraction` of the holding."""

    token: int
    side: Side
    fraction: float


@dataclass(frozen=True, slots=True)
class Position:
    """An investor's own state: whole-token floats, for decisions only."""

    base: float  # BASE on hand
    budget: float  # BASE it started with
    tokens: Sequence[float]  # CST_i held, whole tokens (may be read lazily)


def trailing_return(history: Sequence[float], lookback: int) -> float:
    """Relative price change over the last `lookback` closes (0 without enough history)."""
    if len(history) < 2:
        return 0.0
    start = history[max(0, len(history) - 1 - lookback)]
    return history[-1] / start - 1.0 if start > 0 else 0.0


def recent_score_shares(view: MarketView, lookback: int) -> list[float]:
    """Each token's share of the payout weights over the last `lookback` rounds."""
    n = len(view.prices)
    window = view.score_history[-lookback:]
    totals = [sum(row[i] for row in window) for i in range(n)]
    grand = sum(totals)
    return [t / grand for t in totals] if grand > 0 else [1.0 / n] * n


def _buy_room(position: Position, token: int, price: float, max_position: float) -> float:
    """Fraction of the budget it may still put into `token` under its position limit."""
    held_value = position.tokens[token] * price
    room = max_position * position.budget - held_value
    return max(0.0, min(room, position.base)) / position.budget if position.budget > 0 else 0.0


def _buy(
    position: Position, view: MarketView, token: int, fraction: float, limit: float
) -> list[Order]:
    fraction = min(fraction, _buy_room(position, token, view.prices[token], limit))
    return [Order(token, "buy", fraction)] if fraction > 1e-9 else []


def noise_orders(
    view: MarketView,
    position: Position,
    rng: np.random.Generator,
    trade_fraction: float,
    max_position: float,
) -> list[Order]:
    """A noise trader: a random token and a fair coin for the side, and the same value
    either way — `trade_fraction` of its budget, cut to what it could do on *both* sides
    (half its BASE on hand, half the spot value it holds of that token, its room under
    `max_position`).

    So in any state a buy and a sell are equally likely and equally large (at spot,
    they move the log price by equal and opposite amounts): no information and no drift,
    and it pays the fee both ways. The halves keep it trading: a sell never empties a
    holding, nor a buy its BASE (capped at the whole holding, its first sell of a small
    genesis holding emptied it for good). A trader that holds none of the drawn token,
    or no BASE, does not trade this turn (it can do neither side).
    """
    n = len(view.prices)
    token = int(rng.integers(n))
    buying = rng.random() < 0.5
    held_value = position.tokens[token] * view.prices[token]
    room = max_position * position.budget - held_value
    value = min(trade_fraction * position.budget, position.base / 2, held_value / 2, room)
    if value <= 1e-9 * position.budget or held_value <= 0:
        return []
    if buying:
        return [Order(token, "buy", value / position.budget)]
    return [Order(token, "sell", min(1.0, value / held_value))]


def momentum_orders(
    view: MarketView, position: Position, trade_fraction: float, max_position: float, lookback: int
) -> list[Order]:
    """Trend follower: sells holdings whose price fell, buys the best riser."""
    returns = [trailing_return(h, lookback) for h in view.price_history]
    orders = [
        Order(i, "sell", 1.0) for i, r in enumerate(returns) if r < 0 and position.tokens[i] > 0
    ]
    best = max(range(len(returns)), key=returns.__getitem__)
    if returns[best] > 0:
        orders += _buy(position, view, best, trade_fraction, max_position)
    return orders


def value_orders(
    view: MarketView,
    position: Position,
    trade_fraction: float,
    max_position: float,
    lookback: int,
    threshold: float,
) -> list[Order]:
    """Contribution-informed investor: a token whose share of recent scores exceeds its
    share of market value is cheap, and vice versa (WallStreetFeds' 'informed' investor)."""
    shares = recent_score_shares(view, lookback)
    cap_total = sum(view.market_caps)
    if cap_total <= 0:
        return []
    mispricing = [
        (s / (c / cap_total) - 1.0) if c > 0 else 0.0 for s, c in zip(shares, view.market_caps)
    ]
    orders = [
        Order(i, "sell", 1.0)
        for i, m in enumerate(mispricing)
        if m < -threshold and position.tokens[i] > 0
    ]
    best = max(range(len(mispricing)), key=mispricing.__getitem__)
    if mispricing[best] > threshold:
        orders += _buy(position, view, best, trade_fraction, max_position)
    return orders


def index_orders(view: MarketView, position: Position, max_position: float) -> list[Order]:
    """Equal-weight buy and hold: spends the budget evenly once, then holds."""
    if any(t > 0 for t in position.tokens):
        return []
    n = len(view.prices)
    share = min(1.0 / n, max_position)
    return [Order(i, "buy", share) for i in range(n)]


def frontrunner_orders(
    view: MarketView, position: Position, trade_fraction: float, max_position: float
) -> list[Order]:
    """Buys what the federation has announced it will buy back, sells right after."""
    if view.phase == "trading":
        return [Order(i, "sell", 1.0) for i, t in enumerate(position.tokens) if t > 0]
    total = sum(view.announced_buyback)
    if total <= 0:
        return []
    orders: list[Order] = []
    for i, amount in enumerate(view.announced_buyback):
        if amount > 0:
            orders += _buy(position, view, i, trade_fraction * amount / total, max_position)
    return orders


def mean_reversion_orders(
    view: MarketView,
    position: Position,
    trade_fraction: float,
    max_position: float,
    lookback: int,
    threshold: float,
) -> list[Order]:
    """Contrarian: expects a price to return to its recent mean. Sells a holding whose
    spot price is more than `threshold` above the mean of its last `lookback` closes, and
    buys the token furthest below its mean, if more than `threshold` below.

    The counterpart of `momentum_orders` (same inputs, opposite bet): it buys what client
    sales and momentum dumps push down and sells into buy-back pumps, so a scenario can
    ask whether such liquidity damps a mechanism's price swings and who pays for it.
    Uses only prices (no scores, no announcements).
    """
    deviations = []
    for price, history in zip(view.prices, view.price_history):
        window = history[-lookback:]
        mean = sum(window) / len(window) if window else 0.0
        deviations.append(price / mean - 1.0 if mean > 0 else 0.0)
    orders = [
        Order(i, "sell", 1.0)
        for i, d in enumerate(deviations)
        if d > threshold and position.tokens[i] > 0
    ]
    cheapest = min(range(len(deviations)), key=deviations.__getitem__)
    if deviations[cheapest] < -threshold:
        orders += _buy(position, view, cheapest, trade_fraction, max_position)
    return orders


InvestorSchedule = Literal["occasional", "before_payout"]
Decide = Callable[[MarketView, Position, np.random.Generator, Any], list[Order]]


@dataclass(frozen=True, slots=True)
class InvestorStrategy:
    """A registered investor strategy: its decision rule, the `InvestorGroup` fields it
    reads, when it acts, and the share of its budget it holds in tokens from genesis
    unless its group says otherwise.

    `decide(view, position, rng, group)` returns orders. `schedule` is `occasional`
    (acts in any trading substep with its group's `activity` chance) or `before_payout`
    (with that chance, acts once between the announcement and the payout, then once in
    the first trading substep).
    """

    name: str
    decide: Decide
    params: tuple[str, ...]
    schedule: InvestorSchedule
    description: str
    genesis_tokens: float = 0.0  # default share of budget bought in tokens at genesis


INVESTOR_STRATEGIES: dict[str, InvestorStrategy] = {
    s.name: s
    for s in (
        InvestorStrategy(
            "noise",
            lambda v, p, rng, g: noise_orders(v, p, rng, g.trade_fraction, g.max_position),
            ("trade_fraction", "max_position"),
            "occasional",
            "random token and side, the same value either way",
            genesis_tokens=0.5,  # it trades only what it could trade both ways
        ),
        InvestorStrategy(
            "momentum",
            lambda v, p, rng, g: momentum_orders(
                v, p, g.trade_fraction, g.max_position, g.lookback
            ),
            ("trade_fraction", "max_position", "lookback"),
            "occasional",
            "buys the best riser, sells fallers",
        ),
        InvestorStrategy(
            "value",
            lambda v, p, rng, g: value_orders(
                v, p, g.trade_fraction, g.max_position, g.lookback, g.threshold
            ),
            ("trade_fraction", "max_position", "lookback", "threshold"),
            "occasional",
            "contribution-informed: score share vs market share",
        ),
        InvestorStrategy(
            "index",
            lambda v, p, rng, g: index_orders(v, p, g.max_position),
            ("max_position",),
            "occasional",
            "equal-weight buy and hold",
        ),
        InvestorStrategy(
            "buyback_frontrunner",
            lambda v, p, rng, g: frontrunner_orders(v, p, g.trade_fraction, g.max_position),
            ("trade_fraction", "max_position"),
            "before_payout",
            "buys announced buy-backs, sells after",
        ),
        InvestorStrategy(
            "mean_reversion",
            lambda v, p, rng, g: mean_reversion_orders(
                v, p, g.trade_fraction, g.max_position, g.lookback, g.threshold
            ),
            ("trade_fraction", "max_position", "lookback", "threshold"),
            "occasional",
            "contrarian: buys below the recent mean price, sells above",
            genesis_tokens=0.5,  # inventory to sell into a pump from round 1
        ),
    )
}


def investor_strategy(name: str) -> InvestorStrategy:
    """The registered strategy `name` (`ValueError` naming the allowed ones if none)."""
    return lookup(INVESTOR_STRATEGIES, name, "investor strategy")


@dataclass(frozen=True, slots=True)
class ClientPolicy:
    """A registered payout policy: what a client does with its own token each round.

    `sell_fraction(held, price, genesis_price, settings)` is the share of its holding it
    sells (whole-token floats; `settings` is the `market.clients` section); a policy with
    `sells_to_fund` instead sells what its training cost needs (the agent computes that).
    `params` are the `market.clients` fields it reads.
    """

    name: str
    sell_fraction: Callable[[float, float, float, Any], float]
    params: tuple[str, ...]
    sells_to_fund: bool
    description: str


CLIENT_POLICIES: dict[str, ClientPolicy] = {
    p.name: p
    for p in (
        ClientPolicy("hold", lambda held, price, genesis, s: 0.0, (), False, "never sells"),
        ClientPolicy(
            "sell_fraction",
            lambda held, price, genesis, s: s.fraction,
            ("fraction",),
            False,
            "sells `fraction` of its holding each round",
        ),
        ClientPolicy(
            "sell_above_price",
            lambda held, price, genesis, s: 1.0 if price >= s.price_threshold * genesis else 0.0,
            ("price_threshold",),
            False,
            "sells everything once the price reaches `price_threshold` × genesis",
        ),
        ClientPolicy(
            "sell_to_fund",
            lambda held, price, genesis, s: 0.0,
            (),
            True,
            "sells only what its training cost needs",
        ),
    )
}


def client_policy(name: str) -> ClientPolicy:
    """The registered client policy `name` (`ValueError` naming the allowed ones if none)."""
    return lookup(CLIENT_POLICIES, name, "client policy")


@dataclass(frozen=True, slots=True)
class _PolicySettings:
    fraction: float
    price_threshold: float


def client_sell_fraction(
    policy: str, held: float, price: float, genesis_price: float, fraction: float, threshold: float
) -> float:
    """Share of its own token a client sells this round under its payout policy
    (`CLIENT_POLICIES`; 0 when it holds nothing; an unknown policy is a `ValueError`).

    `hold` never sells; `sell_fraction` sells `fraction` of its holding each round;
    `sell_above_price` sells everything once the price reaches `threshold ×` genesis.
    (`sell_to_fund` sells only what its training cost needs; the agent computes that.)
    """
    rule = client_policy(policy)
    if held <= 0:
        return 0.0
    return rule.sell_fraction(held, price, genesis_price, _PolicySettings(fraction, threshold))


def expected_reward(recent_payouts: Sequence[tuple[int, float]], price: float) -> float:
    """Whole BASE a client expects from taking part: mean recent payout, tokens at `price`.

    `recent_payouts` holds (BASE received, tokens received) per round it took part.
    """
    if not recent_payouts:
        return math.inf
    values = [base + tokens * price for base, tokens in recent_payouts]
    return sum(values) / len(values)


def impermanent_loss(price_ratio: float, token_weight: float = 0.5) -> float:
    """Textbook loss of an LP against holding when the token's price moves by `r`, in a
    pool whose token side carries `token_weight` of the value: `r^w / (w·r + 1 − w) − 1`
    (≤ 0); at w = 1/2 the constant-product `2√r/(1+r) − 1`.

    >>> impermanent_loss(1.0)
    0.0
    >>> round(impermanent_loss(4.0), 4), round(impermanent_loss(4.0, 0.2), 4)
    (-0.2, -0.1753)
    """
    if price_ratio <= 0:
        return -1.0
    if token_weight == 0.5:
        return 2.0 * math.sqrt(price_ratio) / (1.0 + price_ratio) - 1.0
    w = token_weight
    return price_ratio**w / (w * price_ratio + 1.0 - w) - 1.0


def lp_should_add(fee_yield: float, add_yield: float, idle_base: float) -> bool:
    """Add liquidity when last round's fee yield on the pool is attractive and BASE is idle."""
    return idle_base > 0 and fee_yield >= add_yield


def lp_should_withdraw(price_ratio: float, withdraw_loss: float, token_weight: float = 0.5) -> bool:
    """Leave a pool whose impermanent loss since entry is beyond the tolerance (the token
    side carrying `token_weight` of the pool's value)."""
    return -impermanent_loss(price_ratio, token_weight) > withdraw_loss
