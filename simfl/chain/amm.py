"""Uniswap v2's constant-product math on exact ints, like ``UniswapV2Library``.

``get_amount_out``, ``get_amount_in`` and ``quote`` take the fee in basis points:
``fee_bps=30`` gives Uniswap's ``997/1000`` results to the last base unit. ``k_holds`` is
the pair's ``K`` check. Pure functions of ints; the pool that holds state and calls them
is :class:`simfl.chain.pool.ConstantProductPool`.
"""

from __future__ import annotations

from simfl.errors import AmmError

MINIMUM_LIQUIDITY = 10**3  # LP base units locked for ever at first mint
LOCKED_ACCOUNT = "0x0"  # holds MINIMUM_LIQUIDITY, like Uniswap's address(0)
BPS = 10_000  # basis points in 1: fee_bps / BPS is the fee rate


class ZeroAmount(AmmError):
    """An amount that must be positive is zero (Uniswap: INSUFFICIENT_INPUT_AMOUNT)."""


class InsufficientLiquidity(AmmError):
    """The pool is empty or cannot pay the amount asked (Uniswap: INSUFFICIENT_LIQUIDITY)."""


# ------------------------------------------------------------------------- pure math
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
