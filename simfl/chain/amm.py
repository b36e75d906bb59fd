"""Uniswap v2's constant-product math on exact ints: ``UniswapV2Library`` and the pair's.

Library (swap prices): ``quote``, ``get_amount_out``, ``get_amount_in`` take the fee in
basis points, ``fee_bps=30`` giving Uniswap's ``997/1000`` results to the last base unit.
Pair (liquidity and the ``K`` check), in ``UniswapV2Pair``'s order: ``protocol_fee_liquidity``
(``_mintFee``), ``liquidity_minted`` (``mint``), ``amounts_burned`` (``burn``), ``k_holds``
(``swap``'s ``K``). Pure functions of ints; the pool that holds state and calls them is
:class:`simfl.chain.pool.ConstantProductPool`.
"""

from __future__ import annotations

from math import isqrt

from simfl.chain.errors import (
    InsufficientFirstDeposit,
    InsufficientLiquidity,
    InsufficientLiquidityBurned,
    InsufficientLiquidityMinted,
    ZeroAmount,
)

MINIMUM_LIQUIDITY = 10**3  # LP base units locked for ever at first mint
LOCKED_ACCOUNT = "0x0"  # holds MINIMUM_LIQUIDITY, like Uniswap's address(0)
BPS = 10_000  # basis points in 1: fee_bps / BPS is the fee rate


# ------------------------------------------------------------------ UniswapV2Library
def quote(amount_a: int, reserve_a: int, reserve_b: int) -> int:
    """Return the amount of B worth ``amount_a`` of A at the pool's ratio, no fee, no impact.

    Args:
        amount_a: Base units of token A (> 0).
        reserve_a: Pool reserve of A (> 0).
        reserve_b: Pool reserve of B (> 0).

    Returns:
        ``amount_a·R_b // R_a`` base units of B, rounded down — favours the pool.

    Raises:
        ZeroAmount: ``amount_a`` is 0.
        InsufficientLiquidity: a reserve is 0.

    >>> quote(10**18, 4 * 10**18, 10**18)
    250000000000000000
    """
    if amount_a <= 0:
        raise ZeroAmount(f"quote needs amount_a > 0, got {amount_a}")
    if reserve_a <= 0 or reserve_b <= 0:
        raise InsufficientLiquidity(
            f"quote needs both reserves > 0, got reserve_a={reserve_a}, reserve_b={reserve_b}"
        )
    return amount_a * reserve_b // reserve_a


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """Return what ``amount_in`` buys: ``a·f·R_out // (R_in·BPS + a·f)``, ``f = BPS - fee_bps``.

    Args:
        amount_in: Base units paid in (> 0).
        reserve_in: Pool reserve of the input token (> 0).
        reserve_out: Pool reserve of the output token (> 0).
        fee_bps: Swap fee in basis points; 30 reproduces Uniswap v2's ``997/1000``.

    Returns:
        Base units of the output token, rounded down — favours the pool.

    Raises:
        ZeroAmount: ``amount_in`` is 0.
        InsufficientLiquidity: a reserve is 0.

    >>> get_amount_out(10**18, 5 * 10**18, 10 * 10**18)
    1662497915624478906
    """
    if amount_in <= 0:
        raise ZeroAmount(f"get_amount_out needs amount_in > 0, got {amount_in}")
    if reserve_in <= 0 or reserve_out <= 0:
        raise InsufficientLiquidity(
            f"get_amount_out needs both reserves > 0, got reserve_in={reserve_in}, "
            f"reserve_out={reserve_out}; add liquidity first"
        )
    amount_in_with_fee = amount_in * (BPS - fee_bps)
    return amount_in_with_fee * reserve_out // (reserve_in * BPS + amount_in_with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """Return what must be paid to receive ``amount_out``.

    ``R_in·a_out·BPS // ((R_out - a_out)·f) + 1`` with ``f = BPS - fee_bps``.

    Args:
        amount_out: Base units wanted out (> 0, < ``reserve_out``).
        reserve_in: Pool reserve of the input token (> 0).
        reserve_out: Pool reserve of the output token (> 0).
        fee_bps: Swap fee in basis points; 30 reproduces Uniswap v2.

    Returns:
        Base units of the input token, rounded down then up by one — favours the pool
        (exactly Uniswap's ``getAmountIn``, which may overpay by one unit).

    Raises:
        ZeroAmount: ``amount_out`` is 0.
        InsufficientLiquidity: a reserve is 0 or ``amount_out >= reserve_out``.

    >>> get_amount_in(10**18, 5 * 10**18, 5 * 10**18)
    1253761283851554664
    """
    if amount_out <= 0:
        raise ZeroAmount(f"get_amount_in needs amount_out > 0, got {amount_out}")
    if reserve_in <= 0 or amount_out >= reserve_out:
        raise InsufficientLiquidity(
            f"swap asks amount_out={amount_out} but reserve_out={reserve_out} "
            f"(reserve_in={reserve_in}); ask for less than reserve_out"
        )
    return reserve_in * amount_out * BPS // ((reserve_out - amount_out) * (BPS - fee_bps)) + 1


def max_amount_in(reserve_in: int, fee_bps: int, slippage_bps: int) -> int:
    """Return the largest input whose output is worth at least ``(1 − s)`` of its spot value.

    Selling ``a`` pays ``a·(1−f)·R_out / (R_in + a·(1−f))`` against a spot value of
    ``a·R_out / R_in``; their ratio stays ``≥ 1 − s`` while
    ``a ≤ R_in·(s − f) / ((1 − f)·(1 − s))`` (fee ``f``, slippage ``s``). One part in a
    thousand is kept back for the floors of the integer math, so an order of this size
    always meets a ``min_out`` of ``(1 − s)`` times its spot value.

    Args:
        reserve_in: Pool reserve of the input token.
        fee_bps: Swap fee in basis points.
        slippage_bps: Largest loss against spot, fee included, in basis points (< BPS).

    Returns:
        Base units of the input token, 0 when ``slippage_bps <= fee_bps``; rounded down
        twice — favours the trader's limit.

    >>> max_amount_in(10**6, 30, 300)
    27890
    """
    s, f = slippage_bps, fee_bps
    if s <= f or s >= BPS:
        return 0
    cap = reserve_in * (s - f) * BPS // ((BPS - f) * (BPS - s))
    return cap * 999 // 1000


# ------------------------------------------------------------------ UniswapV2Pair
def protocol_fee_liquidity(reserve0: int, reserve1: int, k_last: int, total_supply: int) -> int:
    """Return the LP units ``Pair._mintFee`` mints to ``feeTo``: 1/6 of the growth of ``√k``.

    ``S·(√k - √kLast) // (5·√k + √kLast)`` with ``√ = isqrt``, ``k = reserve0·reserve1``;
    0 when ``k_last`` is 0 (fee off or no liquidity event yet) or ``√k`` did not grow.

    Args:
        reserve0: Pool reserve of token0 now.
        reserve1: Pool reserve of token1 now.
        k_last: ``reserve0·reserve1`` after the last liquidity event (Uniswap's ``kLast``).
        total_supply: LP units in existence before the fee is minted.

    Returns:
        LP base units, rounded down (both roots and the quotient) — favours the liquidity
        providers.

    >>> protocol_fee_liquidity(10**21 - 996006981039903216, 1001 * 10**18, 10**42, 10**21)
    249750499251388
    """
    if k_last == 0:
        return 0
    root_k = isqrt(reserve0 * reserve1)
    root_k_last = isqrt(k_last)
    if root_k <= root_k_last:
        return 0
    return total_supply * (root_k - root_k_last) // (5 * root_k + root_k_last)


def liquidity_minted(
    amount0: int, amount1: int, reserve0: int, reserve1: int, total_supply: int
) -> int:
    """Return the LP units ``Pair.mint`` gives for depositing ``amount0`` and ``amount1``.

    First deposit (``total_supply == 0``): ``isqrt(a0·a1) - MINIMUM_LIQUIDITY`` (the caller
    locks ``MINIMUM_LIQUIDITY`` more). Later: ``min(a0·S // r0, a1·S // r1)``, so an
    unbalanced deposit is paid for its smaller side.

    Args:
        amount0: Base units of token0 deposited.
        amount1: Base units of token1 deposited.
        reserve0: Pool reserve of token0 before the deposit.
        reserve1: Pool reserve of token1 before the deposit.
        total_supply: LP units in existence, the protocol fee already minted.

    Returns:
        LP base units (> 0), rounded down (the root and each share) — favours the pool.

    Raises:
        InsufficientFirstDeposit: a first deposit with ``isqrt(a0·a1) <= MINIMUM_LIQUIDITY``.
        InsufficientLiquidity: ``total_supply > 0`` but a reserve is 0.
        InsufficientLiquidityMinted: a later deposit that mints 0.

    >>> liquidity_minted(10**18, 4 * 10**18, 0, 0, 0)
    1999999999999999000
    >>> liquidity_minted(10**18, 2 * 10**18, 3 * 10**18, 3 * 10**18, 3 * 10**18)
    1000000000000000000
    """
    if total_supply == 0:
        root = isqrt(amount0 * amount1)
        if root <= MINIMUM_LIQUIDITY:
            raise InsufficientFirstDeposit(
                f"first deposit gives isqrt({amount0} * {amount1}) = {root} LP units, "
                f"which must exceed MINIMUM_LIQUIDITY={MINIMUM_LIQUIDITY}; deposit more"
            )
        return root - MINIMUM_LIQUIDITY
    if reserve0 <= 0 or reserve1 <= 0:
        raise InsufficientLiquidity(
            f"LP supply is {total_supply} but reserves are ({reserve0}, {reserve1}); "
            "the pool lost its reserves and cannot price a deposit"
        )
    liquidity = min(amount0 * total_supply // reserve0, amount1 * total_supply // reserve1)
    if liquidity == 0:
        raise InsufficientLiquidityMinted(
            f"depositing ({amount0}, {amount1}) at reserves ({reserve0}, {reserve1}) "
            f"and LP supply {total_supply} mints 0 LP units; deposit more"
        )
    return liquidity


def amounts_burned(
    liquidity: int, balance0: int, balance1: int, total_supply: int
) -> tuple[int, int]:
    """Return what ``Pair.burn`` pays for ``liquidity`` LP units: ``liquidity·balance_i // S``.

    Args:
        liquidity: LP base units burned (<= ``total_supply``).
        balance0: The pool's balance of token0 (its reserve; donations included).
        balance1: The pool's balance of token1.
        total_supply: LP units in existence, the protocol fee already minted (> 0).

    Returns:
        ``(amount0, amount1)`` in base units, each > 0 and rounded down — favours the pool.

    Raises:
        InsufficientLiquidityBurned: either amount would be 0.

    >>> amounts_burned(3 * 10**18 - 1000, 3 * 10**18, 3 * 10**18, 3 * 10**18)
    (2999999999999999000, 2999999999999999000)
    """
    amount0 = liquidity * balance0 // total_supply
    amount1 = liquidity * balance1 // total_supply
    if amount0 == 0 or amount1 == 0:
        raise InsufficientLiquidityBurned(
            f"burning {liquidity} of {total_supply} LP units at reserves ({balance0}, "
            f"{balance1}) returns ({amount0}, {amount1}); burn more"
        )
    return amount0, amount1


def k_holds(
    amount_in: int, amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30
) -> bool:
    """Return whether a swap keeps Uniswap's fee-adjusted ``k`` from falling.

    Checks ``(b_in·BPS - a_in·fee_bps) · (b_out·BPS) >= R_in·R_out·BPS²`` on the balances
    after the swap (``b_in = R_in + a_in``, ``b_out = R_out - a_out``): exact integers, no
    rounding. With ``fee_bps=30`` this is Uniswap's ``balanceAdjusted`` check times 100.

    >>> k_holds(10**18, 1662497915624478906, 5 * 10**18, 10 * 10**18)
    True
    >>> k_holds(10**18, 1662497915624478907, 5 * 10**18, 10 * 10**18)
    False
    """
    balance_in = reserve_in + amount_in
    balance_out = reserve_out - amount_out
    adjusted_in = balance_in * BPS - amount_in * fee_bps
    return adjusted_in * balance_out * BPS >= reserve_in * reserve_out * BPS * BPS
