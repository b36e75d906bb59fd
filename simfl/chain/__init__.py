"""Exact token accounting for simfl: an integer ledger and Uniswap-v2 constant-product pools.

``ledger`` (balances, journal, :func:`replay`), ``amm`` (UniswapV2Library math) and
``pool`` (the pair). Import from here: ``from simfl.chain import ConstantProductPool``.

Pure Python ints only; imports nothing but the stdlib and ``simfl.errors``.
"""

from simfl.chain.amm import (
    BPS,
    LOCKED_ACCOUNT,
    MINIMUM_LIQUIDITY,
    InsufficientLiquidity,
    ZeroAmount,
    get_amount_in,
    get_amount_out,
    k_holds,
    quote,
)
from simfl.chain.ledger import DuplicateToken, Ledger, UnknownToken, replay
from simfl.chain.pool import (
    ConstantProductPool,
    InsufficientFirstDeposit,
    InsufficientLiquidityBurned,
    InsufficientLiquidityMinted,
    InsufficientOutputAmount,
    InsufficientTraderBalance,
    KInvariantFailed,
    SlippageExceeded,
    TokenNotInPool,
)

__all__ = [
    "BPS",
    "LOCKED_ACCOUNT",
    "MINIMUM_LIQUIDITY",
    "ConstantProductPool",
    "DuplicateToken",
    "InsufficientFirstDeposit",
    "InsufficientLiquidity",
    "InsufficientLiquidityBurned",
    "InsufficientLiquidityMinted",
    "InsufficientOutputAmount",
    "InsufficientTraderBalance",
    "KInvariantFailed",
    "Ledger",
    "SlippageExceeded",
    "TokenNotInPool",
    "UnknownToken",
    "ZeroAmount",
    "get_amount_in",
    "get_amount_out",
    "k_holds",
    "quote",
    "replay",
]
