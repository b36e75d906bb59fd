"""Exact token accounting for simfl: an integer ledger and Uniswap-v2 constant-product pools.

``ledger`` (balances, journal, :func:`replay`), ``amm`` (UniswapV2Library and Pair math),
``pool`` (the pair), ``weighted`` and ``weighted_math`` (a Balancer-style weighted pool),
``interface`` (the ``Pool`` protocol every pool kind implements),
``router`` (quotes, limits, position and liquidation values: what market code calls),
``fees`` (exact per-LP fee accounting) and ``errors`` (the refusals). Import from here:
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
    max_amount_in,
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
from simfl.chain.fees import FeeAccounts, allocate
from simfl.chain.interface import Pool
from simfl.chain.ledger import DuplicateToken, Ledger, UnknownToken, replay
from simfl.chain.pool import ConstantProductPool
from simfl.chain.weighted import WeightedPool
from simfl.chain.weighted_math import MaxRatioExceeded, genesis_token_amount

__all__ = [
    "BPS",
    "LOCKED_ACCOUNT",
    "MINIMUM_LIQUIDITY",
    "ConstantProductPool",
    "DuplicateToken",
    "FeeAccounts",
    "InsufficientFirstDeposit",
    "InsufficientLiquidity",
    "InsufficientLiquidityBurned",
    "InsufficientLiquidityMinted",
    "InsufficientOutputAmount",
    "InsufficientTraderBalance",
    "KInvariantFailed",
    "Ledger",
    "MaxRatioExceeded",
    "Pool",
    "SlippageExceeded",
    "TokenNotInPool",
    "UnknownToken",
    "WeightedPool",
    "ZeroAmount",
    "allocate",
    "amounts_burned",
    "genesis_token_amount",
    "get_amount_in",
    "get_amount_out",
    "k_holds",
    "liquidity_minted",
    "max_amount_in",
    "protocol_fee_liquidity",
    "quote",
    "replay",
]
