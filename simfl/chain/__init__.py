"""Exact token accounting for simfl: an integer ledger and Uniswap-v2 constant-product pools.

``ledger`` (balances, journal, :func:`replay`), ``amm`` (UniswapV2Library and Pair math),
``pool`` (the pair) and ``errors`` (its refusals). Import from here:
``from simfl.chain import ConstantProductPool``.

Pure Python ints only; imports nothing but the stdlib and ``simfl.errors``.
"""

from simfl.chain.amm import (
    BPS,
    LOCKED_ACCOUNT,
    MINIMUM_LIQUIDITY,
    amounts_burned,
    get_amount_in,
    get_amount_out,
    k_holds,
    liquidity_minted,
    protocol_fee_liquidity,
    quote,
)
from simfl.chain.errors import (
    InsufficientFirstDeposit,
    InsufficientLiquidity,
    InsufficientLiquidityBurned,
    InsufficientLiquidityMinted,
    InsufficientOutputAmount,
    InsufficientTraderBalance,
    KInvariantFailed,
    SlippageExceeded,
    TokenNotInPool,
    ZeroAmount,
)
from simfl.chain.ledger import DuplicateToken, Ledger, UnknownToken, replay
from simfl.chain.pool import ConstantProductPool

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
    "amounts_burned",
    "get_amount_in",
    "get_amount_out",
    "k_holds",
    "liquidity_minted",
    "protocol_fee_liquidity",
    "quote",
    "replay",
]
