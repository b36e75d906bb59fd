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


def deposit_for(
    reserve_token: int, reserve_other: int, supply: int, max_token: int, max_other: int
) -> tuple[int, int, int]:
    """The largest deposit within both limits that keeps the pool's ratio, sized in LP units.

    ``L = min(max_token·S // R_token, max_other·S // R_other)`` LP units, paid with
    ``ceil(L·R/S)`` of each side: at most its limit, and at least what ``Pair.mint``'s
    ``min(amount·S // R)`` needs to mint ``L``. It mints exactly ``L`` when ``S`` is at
    most one reserve (always for constant product: ``S <= √(R_token·R_other)``), more
    only if a protocol-fee mint raises ``S`` first. Each side exceeds the exact ratio by
    less than one base unit, so the price moves by at most that.

    Returns:
        ``(liquidity, amount of token, amount of the other)``; ``(0, 0, 0)`` for an empty
        pool or limits too small for one LP unit. Rounds up — favours the pool.

    >>> deposit_for(1000, 4000, 2000, 10, 100)  # the CST side binds: 10 CST, 40 BASE
    (20, 10, 40)
    >>> deposit_for(1003, 3989, 2000, 10**6, 100)  # 50 LP units; 25.07 CST → 26
    (50, 26, 100)
    """
    if min(reserve_token, reserve_other, supply, max_token, max_other) <= 0:
        return 0, 0, 0
    liquidity = min(max_token * supply // reserve_token, max_other * supply // reserve_other)
    if liquidity <= 0:
        return 0, 0, 0
    return (
        liquidity,
        -(-liquidity * reserve_token // supply),
        -(-liquidity * reserve_other // supply),
    )


def deposit_amounts(pool: Pool, token: str, max_token: int, max_other: int) -> tuple[int, int]:
    """``(amount of token, amount of the other)``: the largest deposit within both limits
    at the pool's current ratio (:func:`deposit_for`, sized in LP units); rounds up —
    favours the pool; ``(0, 0)`` if not even one LP unit fits."""
    state = pool_state(pool, token)
    _, amount_token, amount_other = deposit_for(*state, max_token, max_other)
    return amount_token, amount_other


def buy_for_deposit(pool: Pool, token: str, budget: int, held: int) -> int:
    """BASE-side input to swap for ``token`` so that the swap's output plus ``held`` and
    the rest of ``budget`` make the largest deposit (most LP units, :func:`deposit_for`)
    at the pool's ratio after the swap; the other token is the input.

    The deposit's token side grows and its other side shrinks with the input, so the
    best input is where the two limits cross (bisection on exact quotes; ties go to the
    smaller input). 0 when ``held`` alone already binds, or when no deposit can follow
    (then nothing should be bought).
    """
    other = pool.other(token)
    reserve_token, reserve_other, supply = pool_state(pool, token)
    if min(reserve_token, reserve_other, supply, budget) <= 0:
        return 0

    def limits(amount_in: int) -> tuple[int, int]:
        """LP units the token side and the other side allow after swapping ``amount_in``."""
        out = pool.amount_out(other, amount_in, reserve_other, reserve_token) if amount_in else 0
        tokens_after, other_after = reserve_token - out, reserve_other + amount_in
        return (held + out) * supply // tokens_after, (budget - amount_in) * supply // other_after

    by_token, by_other = limits(0)
    if by_token >= by_other:
        return 0
    low, high = 0, budget  # by_token < by_other at low; at high the other side allows 0
    while high - low > 1:
        middle = (low + high) // 2
        by_token, by_other = limits(middle)
        if by_token >= by_other:
            high = middle
        else:
            low = middle
    best = max((min(limits(x)), -x) for x in (low, high))
    return -best[1] if best[0] > 0 else 0


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
