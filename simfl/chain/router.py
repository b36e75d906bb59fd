"""The router: what market code asks of a pool, in one place (Uniswap's Router side).

Quotes (out for an input, in for an output), swaps with limits, the largest order within
a slippage cap, spot values, the value of an LP position and the liquidation value of a
holding. Works on any :class:`~simfl.chain.interface.Pool`; market code calls these and
re-derives no pool formula. Exact ints; every rounding favours the pool (and therefore
never overstates what a holder has).

Example (a 4:1 pool, 0.3% fee):
    >>> from simfl.chain import ConstantProductPool, Ledger
    >>> ledger = Ledger()
    >>> for token in ("CST", "BASE"):
    ...     _ = ledger.register_token(token)
    >>> ledger.mint("CST", "lp", 1000 * 10**18); ledger.mint("BASE", "lp", 4000 * 10**18)
    >>> pool = ConstantProductPool(ledger, "CST", "BASE")
    >>> _ = pool.add_liquidity("lp", 1000 * 10**18, 4000 * 10**18)
    >>> spot_value(pool, "CST", 10**18)
    4000000000000000000
    >>> liquidation_value(pool, "CST", 10**18) < spot_value(pool, "CST", 10**18)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from simfl.chain.amm import BPS
from simfl.chain.interface import Pool


@dataclass(frozen=True, slots=True)
class SwapResult:
    """One executed swap: base units paid in, received, and what spot said it was worth."""

    amount_in: int
    amount_out: int
    spot_out: int  # amount_in at the pre-trade spot price (no fee, no impact)


def reserves_for(pool: Pool, token_in: str) -> tuple[int, int]:
    """``(reserve_in, reserve_out)`` with ``token_in`` as the input side."""
    return pool.reserve_of(token_in), pool.reserve_of(pool.other(token_in))


def quote_out(pool: Pool, token_in: str, amount_in: int) -> int:
    """What selling ``amount_in`` of ``token_in`` would fetch now; rounded down."""
    return pool.quote_exact_in(token_in, amount_in)


def quote_in(pool: Pool, token_out: str, amount_out: int) -> int:
    """What buying ``amount_out`` of ``token_out`` would cost now; rounded up."""
    return pool.quote_exact_out(token_out, amount_out)


def spot_value(pool: Pool, token_in: str, amount_in: int) -> int:
    """``amount_in`` of ``token_in`` in the other token at spot (no fee, no impact); floor."""
    if amount_in <= 0:
        return 0
    return pool.spot_out(token_in, amount_in, *reserves_for(pool, token_in))


def liquidation_value(pool: Pool, token_in: str, amount_in: int) -> int:
    """What selling all of ``amount_in`` into the pool now would fetch; rounded down.

    0 for nothing held; the whole other reserve is never reachable, so this is finite.
    """
    if amount_in <= 0:
        return 0
    return pool.amount_out(token_in, amount_in, *reserves_for(pool, token_in))


def max_input(pool: Pool, token_in: str, slippage_bps: int) -> int:
    """The largest order of ``token_in`` whose fee plus price impact stays within
    ``slippage_bps`` of its spot value, now; rounded down (0 if the fee alone is more)."""
    return pool.max_amount_in(token_in, slippage_bps, *reserves_for(pool, token_in))


def min_out_for(spot_out: int, slippage_bps: int) -> int:
    """The least output a trader with a ``slippage_bps`` limit accepts; rounded down."""
    return spot_out * (BPS - slippage_bps) // BPS


def swap_within(
    pool: Pool, trader: str, token_in: str, amount_in: int, slippage_bps: int
) -> SwapResult | None:
    """Sell up to ``amount_in`` of ``token_in``, capped so the loss against spot (fee and
    impact) stays within ``slippage_bps``; the pool refuses anything worse (``min_out``).

    Returns:
        The executed swap, or ``None`` when the capped order is 0 (nothing happens).

    Raises:
        AmmError / LedgerError: the pool refused; nothing changed.
    """
    reserve_in, reserve_out = reserves_for(pool, token_in)
    amount_in = min(amount_in, pool.max_amount_in(token_in, slippage_bps, reserve_in, reserve_out))
    if amount_in <= 0:
        return None
    spot_out = pool.spot_out(token_in, amount_in, reserve_in, reserve_out)
    out = pool.swap_exact_in(trader, token_in, amount_in, min_out_for(spot_out, slippage_bps))
    return SwapResult(amount_in, out, spot_out)


def lp_amounts(pool: Pool, shares: int) -> tuple[int, int]:
    """``(amount0, amount1)`` that burning ``shares`` LP units would pay (pro rata, floor),
    before any protocol fee mint; ``(0, 0)`` for no shares or an empty pool."""
    supply = pool.total_liquidity
    if shares <= 0 or supply <= 0:
        return 0, 0
    reserve0, reserve1 = pool.reserves
    return reserve0 * shares // supply, reserve1 * shares // supply


def deposit_amounts(pool: Pool, token: str, max_token: int, max_other: int) -> tuple[int, int]:
    """The largest deposit ``(amount of token, amount of the other)`` within both limits at
    *exactly* the pool's current ratio, so adding it leaves the price unchanged.

    Multiples of the reserves' ratio in lowest terms (``R_token/g``, ``R_other/g`` with
    ``g = gcd``); ``(0, 0)`` if even one step does not fit or the pool is empty. Rounds
    down — the depositor keeps the remainder.
    """
    reserve_token, reserve_other = pool.reserve_of(token), pool.reserve_of(pool.other(token))
    if reserve_token <= 0 or reserve_other <= 0 or max_token <= 0 or max_other <= 0:
        return 0, 0
    g = gcd(reserve_token, reserve_other)
    step_token, step_other = reserve_token // g, reserve_other // g
    steps = min(max_token // step_token, max_other // step_other)
    return steps * step_token, steps * step_other


def pool_state(pool: Pool, token: str) -> tuple[int, int, int]:
    """``(reserve of token, reserve of the other, LP supply)``: what `position_value` reads,
    to read once when valuing many holders of one pool."""
    return pool.reserve_of(token), pool.reserve_of(pool.other(token)), pool.total_liquidity


def position_value(
    pool: Pool,
    token: str,
    held: int,
    shares: int,
    state: tuple[int, int, int] | None = None,
) -> tuple[int, int, int]:
    """Value of ``held`` ``token`` plus ``shares`` LP units, in the pool's other token.

    Args:
        state: the pool's ``pool_state(pool, token)`` if already read (many holders).

    Returns:
        ``(spot, liquidation, tokens_spot)``: the LP units are burned first (their pro-rata
        reserves, floor); then all the ``token`` (held plus the LP part) is marked at the
        current spot (a pro-rata burn leaves it unchanged; the floored remainder's ratio
        would be off by up to 1/remainder, 1.5e-4 for a holder of all but the locked
        units), or sold into what remains (liquidation); ``tokens_spot`` is ``held``
        alone at the current spot. Rounds down throughout.
    """
    reserve_token, reserve_other, supply = state if state is not None else pool_state(pool, token)
    tokens_spot = pool.spot_out(token, held, reserve_token, reserve_other) if held else 0
    price_token, price_other = reserve_token, reserve_other  # the spot, before the burn
    spot = liquidation = 0
    if shares:
        other_part = reserve_other * shares // supply
        token_part = reserve_token * shares // supply
        spot = liquidation = other_part
        reserve_other -= other_part
        reserve_token -= token_part
        held += token_part
    if held and reserve_token and reserve_other:
        spot += pool.spot_out(token, held, price_token, price_other)
        liquidation += pool.amount_out(token, held, reserve_token, reserve_other)
    return spot, liquidation, tokens_spot


def fees_value(pool: Pool, token: str, account: str) -> tuple[int, int, int]:
    """``(fees in the other token, fees in token, both at spot in the other token)`` that
    ``account``'s LP units earned up to the pool's last settlement; token-side fees are
    valued at the current spot price (rounded down)."""
    fee0, fee1 = pool.fees_of(account)
    fee_token, fee_other = (fee0, fee1) if pool.token0 == token else (fee1, fee0)
    return fee_other, fee_token, fee_other + spot_value(pool, token, fee_token)
