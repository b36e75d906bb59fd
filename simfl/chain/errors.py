"""The pool's refusals, one class per Uniswap v2 revert reason, under ``AmmError``.

Each names the ``require`` it stands for, so a message can be read against
``UniswapV2Pair`` / ``UniswapV2Library``. Raised before the first state change: a refused
operation leaves ledger and pool unchanged. Import them from :mod:`simfl.chain`.
"""

from __future__ import annotations

from simfl.errors import AmmError, InsufficientBalance


class ZeroAmount(AmmError):
    """An amount that must be positive is zero (Uniswap: INSUFFICIENT_INPUT_AMOUNT)."""


class InsufficientLiquidity(AmmError):
    """The pool is empty or cannot pay the amount asked (Uniswap: INSUFFICIENT_LIQUIDITY)."""


class InsufficientOutputAmount(AmmError):
    """A swap would pay out nothing (Uniswap: INSUFFICIENT_OUTPUT_AMOUNT)."""


class SlippageExceeded(AmmError):
    """The swap's price is worse than the caller's ``min_out`` / ``max_in`` limit."""


class TokenNotInPool(AmmError):
    """The token named is neither of the pool's two tokens."""


class InsufficientLiquidityMinted(AmmError):
    """A deposit would mint no LP units (Uniswap: INSUFFICIENT_LIQUIDITY_MINTED)."""


class InsufficientFirstDeposit(InsufficientLiquidityMinted):
    """The first deposit has ``isqrt(amount0 * amount1) <= MINIMUM_LIQUIDITY``."""


class InsufficientLiquidityBurned(AmmError):
    """A withdrawal would return zero of a token (Uniswap: INSUFFICIENT_LIQUIDITY_BURNED)."""


class KInvariantFailed(AmmError):
    """A swap would lower the fee-adjusted ``k`` (Uniswap: K)."""


class InsufficientTraderBalance(InsufficientBalance, AmmError):
    """A trader or provider holds less than the pool operation takes from it."""
