"""The pool interface every pool kind implements (Uniswap's Pair side of the Pair/Router split).

:mod:`simfl.chain.router` and the market talk to pools only through this protocol, so a
new kind (weighted, stable, ...) plugs in by implementing it. Two halves:

- **Curve math on given reserves** (``amount_out``, ``amount_in``, ``spot_out``,
  ``max_amount_in``): pure functions of the pool's parameters (fee, weights) and the
  reserves passed in, so the router can price hypothetical states (a holding sold after
  an LP position is burned) without touching the pool.
- **State and operations**: reserves, LP supply, swaps, liquidity, and exact fee
  accounting (``fees_total``, ``settle_fees``, ``fees_of``: integers per token whose
  per-holder shares add up to the pool's fees exactly).

All amounts are ``int`` base units; every rounding favours the pool.
:class:`~simfl.chain.pool.ConstantProductPool` is the reference implementation.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Pool(Protocol):
    """A two-token pool on the ledger with LP units ``lp_token``."""

    name: str
    address: str
    lp_token: str
    token0: str
    token1: str
    fee_bps: int

    # ------------------------------------------------------------ curve math
    def amount_out(self, token_in: str, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """Output for ``amount_in`` at these reserves; rounded down."""
        ...

    def amount_in(self, token_out: str, amount_out: int, reserve_in: int, reserve_out: int) -> int:
        """Input needed to receive ``amount_out`` at these reserves; rounded up."""
        ...

    def spot_out(self, token_in: str, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """``amount_in`` at the marginal (spot) price of these reserves, no fee; rounded down."""
        ...

    def max_amount_in(
        self, token_in: str, slippage_bps: int, reserve_in: int, reserve_out: int
    ) -> int:
        """Largest input losing at most ``slippage_bps`` against spot, fee included."""
        ...

    # ------------------------------------------------------------ state
    @property
    def reserves(self) -> tuple[int, int]: ...

    @property
    def total_liquidity(self) -> int: ...

    def reserve_of(self, token: str) -> int: ...

    def other(self, token: str) -> str: ...

    def price(self, token: str) -> float:
        """Spot price of one whole ``token`` in the other (a float, for reports)."""
        ...

    def quote_exact_in(self, token_in: str, amount_in: int) -> int: ...

    def quote_exact_out(self, token_out: str, amount_out: int) -> int: ...

    # ------------------------------------------------------------ operations
    def swap_exact_in(
        self, trader: str, token_in: str, amount_in: int, min_out: int = 0
    ) -> int: ...

    def swap_exact_out(self, trader: str, token_out: str, amount_out: int, max_in: int) -> int: ...

    def add_liquidity(self, provider: str, amount0: int, amount1: int) -> int: ...

    def remove_liquidity(self, provider: str, liquidity: int) -> tuple[int, int]: ...

    # ------------------------------------------------------------ exact fees
    def fees_total(self) -> tuple[int, int]:
        """``(fee0, fee1)`` base units of swap fees since the pool opened."""
        ...

    def settle_fees(self) -> None:
        """Allocate fees since the last settlement to the current LP holders, exactly."""
        ...

    def fees_of(self, account: str) -> tuple[int, int]:
        """``(fee0, fee1)`` allocated to ``account`` up to the last settlement."""
        ...
