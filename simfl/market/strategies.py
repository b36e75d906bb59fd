"""Decision rules of investors, clients and liquidity providers.

Each rule is a pure function of what the agent can observe (a `MarketView` shared by
everyone in a substep, plus its own holdings) and returns orders; agents execute them.
So a rule can be unit-tested with a hand-made view and no model. Amounts in a view are
floats in whole tokens (decisions); orders say *fractions* of a budget or a holding, and
the agent turns them into exact integer base units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

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
    """A noise trader: a random token and a fair coin for the side, the same value
    (`trade_fraction` of its budget) either way; a sell of a token it lacks is skipped.
    No information used, and no drift: it neither pumps nor dumps on average."""
    n = len(view.prices)
    token = int(rng.integers(n))
    if rng.random() < 0.5:
        return _buy(position, view, token, trade_fraction, max_position)
    held_value = position.tokens[token] * view.prices[token]
    if held_value <= 0:
        return []
    return [Order(token, "sell", min(1.0, trade_fraction * position.budget / held_value))]


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


def client_sell_fraction(
    policy: str, held: float, price: float, genesis_price: float, fraction: float, threshold: float
) -> float:
    """Share of its own token a client sells this round under its payout policy.

    `hold` never sells; `sell_fraction` sells `fraction` of its holding each round;
    `sell_above_price` sells everything once the price reaches `threshold ×` genesis.
    (`sell_to_fund` sells only what its training cost needs; the agent computes that.)
    """
    if held <= 0:
        return 0.0
    if policy == "sell_fraction":
        return fraction
    if policy == "sell_above_price":
        return 1.0 if price >= threshold * genesis_price else 0.0
    return 0.0


def expected_reward(recent_payouts: Sequence[tuple[int, float]], price: float) -> float:
    """Whole BASE a client expects from taking part: mean recent payout, tokens at `price`.

    `recent_payouts` holds (BASE received, tokens received) per round it took part.
    """
    if not recent_payouts:
        return math.inf
    values = [base + tokens * price for base, tokens in recent_payouts]
    return sum(values) / len(values)


def impermanent_loss(price_ratio: float) -> float:
    """Textbook loss of a constant-product LP against holding, `2√r/(1+r) − 1` (≤ 0).

    >>> impermanent_loss(1.0)
    0.0
    """
    if price_ratio <= 0:
        return -1.0
    return 2.0 * math.sqrt(price_ratio) / (1.0 + price_ratio) - 1.0


def lp_should_add(fee_yield: float, add_yield: float, idle_base: float) -> bool:
    """Add liquidity when last round's fee yield on the pool is attractive and BASE is idle."""
    return idle_base > 0 and fee_yield >= add_yield


def lp_should_withdraw(price_ratio: float, withdraw_loss: float) -> bool:
    """Leave a pool whose impermanent loss since entry is beyond the tolerance."""
    return -impermanent_loss(price_ratio) > withdraw_loss
