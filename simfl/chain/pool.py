"""A Uniswap-v2 pair on the ledger: the state that ``simfl.chain.amm``'s math runs on.

``ConstantProductPool`` mirrors ``UniswapV2Pair``: its reserves are the ledger balances of
``pool.address``, a swap is accepted only if the fee-adjusted ``k`` did not fall
(Uniswap's ``K`` check), liquidity follows ``Pair.mint`` / ``Pair.burn`` with
``MINIMUM_LIQUIDITY`` locked, and the optional protocol fee is ``Pair._mintFee``. Every
refused operation raises before the first state change, so ledger and pool are unchanged.
The math is in :mod:`simfl.chain.amm`, the refusals in :mod:`simfl.chain.errors`.

Example (Uniswap's first swap vector; a swap journals its two legs):
    >>> ledger = Ledger()
    >>> for token in ("T0", "T1"):
    ...     _ = ledger.register_token(token)
    ...     ledger.mint(token, "lp", 20 * 10**18)
    >>> pool = ConstantProductPool(ledger, "T0", "T1")
    >>> pool.add_liquidity("lp", 5 * 10**18, 10 * 10**18)
    7071067811865474244
    >>> pool.swap_exact_in("lp", "T0", 10**18)
    1662497915624478906
    >>> for event in ledger.events[-2:]:
    ...     print(event)
    ('swap', 'T0', 'lp', 'pool:T0/T1', 1000000000000000000)
    ('swap', 'T1', 'pool:T0/T1', 'lp', 1662497915624478906)
"""

from __future__ import annotations

from simfl.chain.amm import (
    BPS,
    get_amount_in,
    get_amount_out,
    liquidity_minted,
    max_amount_in,
    protocol_fee_liquidity,
)
from simfl.chain.errors import InsufficientLiquidity, KInvariantFailed
from simfl.chain.ledger import SWAP, Ledger, check_amount
from simfl.chain.pair import Pair

Side = tuple[dict[str, int], dict[str, int], str, list[int]]  # book_in, book_out, other, stats


class ConstantProductPool(Pair):
    """A Uniswap-v2 pair whose reserves are the ledger balances of ``address``.

    Tokens sent straight to ``address`` with ``Ledger.transfer`` count at once as a
    donation to liquidity providers (Uniswap's transfer followed by ``sync``).

    Journal per operation as documented in :mod:`simfl.chain.pair`, the protocol fee
    (``Pair._mintFee``) only when ``protocol_fee_to`` is set and ``√k`` grew.

    Attributes:
        address: The pool's ledger account, ``"pool:<name>"``.
        lp_token: The LP token id registered in the ledger, ``"LP:<name>"``.
        k_last: ``reserve0·reserve1`` after the last liquidity event while the protocol
            fee is on, else 0 (Uniswap's ``kLast``).
    """

    __slots__ = ("_fee_factor", "k_last")

    def __init__(
        self,
        ledger: Ledger,
        token0: str,
        token1: str,
        fee_bps: int = 30,
        protocol_fee_to: str | None = None,
        name: str | None = None,
    ) -> None:
        """Create an empty pool and register its LP token ``"LP:<name>"`` in ``ledger``.

        Args:
            ledger: The ledger holding both tokens.
            token0: First token id (already registered).
            token1: Second token id, different from ``token0``.
            fee_bps: Swap fee in basis points, 0 <= fee_bps < 10000 (30 = Uniswap's 0.3%).
            protocol_fee_to: Account that receives Uniswap's protocol fee (1/6 of the fee
                growth, as LP units), or ``None`` for no protocol fee.
            name: Pool name; defaults to ``"<token0>/<token1>"``.
        """
        super().__init__(ledger, token0, token1, fee_bps, name, protocol_fee_to)
        self._fee_factor = BPS - fee_bps
        self.k_last = 0
        self._sides: dict[str, Side] = {
            token0: (self._book0, self._book1, token1, self._stats0),
            token1: (self._book1, self._book0, token0, self._stats1),
        }

    def __repr__(self) -> str:
        r0, r1 = self.reserves
        return f"ConstantProductPool({self.name!r}, reserves=({r0}, {r1}), fee_bps={self.fee_bps})"

    # ---------------------------------------------------------------- curve (interface)
    def amount_out(self, token_in: str, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """What ``amount_in`` of ``token_in`` would buy at the given reserves (``get_amount_out``
        with this pool's fee); rounded down — favours the pool."""
        self._side(token_in)
        return get_amount_out(amount_in, reserve_in, reserve_out, self.fee_bps)

    def amount_in(self, token_out: str, amount_out: int, reserve_in: int, reserve_out: int) -> int:
        """What must be paid to receive ``amount_out`` of ``token_out`` at the given reserves
        (``get_amount_in``); rounded up by one — favours the pool."""
        self._side(token_out)
        return get_amount_in(amount_out, reserve_in, reserve_out, self.fee_bps)

    def spot_out(self, token_in: str, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """``amount_in`` of ``token_in`` at the spot price of the given reserves, no fee and
        no impact: ``amount_in·R_out // R_in``; rounded down (0 for an empty pool)."""
        self._side(token_in)
        return amount_in * reserve_out // reserve_in if reserve_in else 0

    def max_amount_in(
        self, token_in: str, slippage_bps: int, reserve_in: int, reserve_out: int
    ) -> int:
        """Largest input of ``token_in`` that loses at most ``slippage_bps`` against spot, fee
        included (:func:`~simfl.chain.amm.max_amount_in`); rounded down."""
        self._side(token_in)
        return max_amount_in(reserve_in, self.fee_bps, slippage_bps)

    def price(self, token: str) -> float:
        """Return the spot price of one whole ``token`` in whole units of the other token.

        For reports only (a float): ``reserve_other / reserve_token`` scaled by decimals,
        no fee and no price impact.
        """
        book, book_other, other, _ = self._side(token)
        reserve, reserve_other = book.get(self.address, 0), book_other.get(self.address, 0)
        if reserve == 0 or reserve_other == 0:
            raise InsufficientLiquidity(f"pool {self.name} is empty; add liquidity first")
        shift = self.ledger.decimals(token) - self.ledger.decimals(other)
        return reserve_other / reserve * 10.0**shift

    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """Return what ``swap_exact_in`` would pay now for ``amount_in``; changes nothing.

        Returns:
            Base units of the other token, rounded down — favours the pool.
        """
        book_in, book_out, _, _ = self._side(token_in)
        amount_in = check_amount("amount_in", amount_in)
        reserve_in, reserve_out = book_in.get(self.address, 0), book_out.get(self.address, 0)
        return get_amount_out(amount_in, reserve_in, reserve_out, self.fee_bps)

    def quote_exact_out(self, token_out: str, amount_out: int) -> int:
        """Return what ``swap_exact_out`` would charge now for ``amount_out``; changes nothing.

        Returns:
            Base units of the other token, rounded up by one — favours the pool.
        """
        book_out, book_in, _, _ = self._side(token_out)
        amount_out = self._positive("amount_out", amount_out)
        reserve_in, reserve_out = book_in.get(self.address, 0), book_out.get(self.address, 0)
        return get_amount_in(amount_out, reserve_in, reserve_out, self.fee_bps)

    # ---------------------------------------------------------------- swaps
    def swap_exact_in(
        self, trader: str, token_in: str, amount_in: int, min_out: int = 0, _fixed_out: int = 0
    ) -> int:
        """Sell exactly ``amount_in`` of ``token_in`` for the other token (the hot path).

        The one copy of a swap's state change: ``swap`` and ``swap_exact_out`` call it with
        ``_fixed_out``, the amount they pay out, instead of ``get_amount_out``'s.

        Args:
            trader: The account paying ``amount_in`` and receiving the output.
            token_in: The token sold.
            amount_in: Base units sold (> 0).
            min_out: Refuse the swap if it would pay less than this (slippage limit).
            _fixed_out: Internal (``swap``, ``swap_exact_out``): pay exactly this (> 0) and
                let the K check decide; 0 computes ``get_amount_out``.

        Returns:
            Base units of the other token received: ``get_amount_out``, rounded down —
            favours the pool.

        Raises:
            TokenNotInPool, ZeroAmount, InsufficientLiquidity, InsufficientOutputAmount,
            SlippageExceeded, InsufficientTraderBalance, KInvariantFailed (only with
            ``_fixed_out``); TypeError/ValueError for bad types.
        """
        try:
            side = self._sides[token_in]
        except (KeyError, TypeError):
            raise self._not_in_pool(token_in) from None
        if type(amount_in) is not int or amount_in <= 0:
            amount_in = self._positive("amount_in", amount_in)
        if type(min_out) is not int or min_out < 0:
            min_out = check_amount("min_out", min_out)
        address = self.address
        if trader == address:  # other bad traders hold nothing: caught by the balance check
            self._check_actor("trader", trader)
        book_in, book_out, token_out, stats = side
        try:
            reserve_in = book_in[address]
            reserve_out = book_out[address]
        except KeyError:
            reserve_in = reserve_out = 0
        if reserve_in == 0 or reserve_out == 0:
            raise InsufficientLiquidity(f"pool {self.name} is empty; add liquidity first")
        # adjusted_in = (reserve_in + amount_in)·BPS - amount_in·fee_bps is both
        # get_amount_out's denominator and K's fee-adjusted input balance; scaled_in =
        # reserve_in·BPS is K's right side (get_amount_out inlined: a call costs ~10%)
        in_with_fee = amount_in * self._fee_factor
        scaled_in = reserve_in * BPS
        adjusted_in = scaled_in + in_with_fee
        amount_out = _fixed_out or in_with_fee * reserve_out // adjusted_in
        if amount_out < min_out or amount_out == 0:
            raise self._too_little_out(token_in, amount_in, amount_out, min_out, reserve_in,
                                       reserve_out)  # fmt: skip
        held = book_in.get(trader, 0)
        if held < amount_in:
            self._check_actor("trader", trader)
            self._require(book_in, token_in, trader, amount_in)
        balance_out = reserve_out - amount_out
        # K: the swap is accepted because the fee-adjusted k did not fall
        if adjusted_in * balance_out < scaled_in * reserve_out:
            raise KInvariantFailed(
                f"swap of {amount_in} {token_in} for {amount_out} would lower k at reserves "
                f"({reserve_in}, {reserve_out}); get_amount_out allows at most "
                f"{get_amount_out(amount_in, reserve_in, reserve_out, self.fee_bps)}"
            )
        book_in[trader] = held - amount_in
        book_in[address] = reserve_in + amount_in
        book_out[address] = balance_out
        book_out[trader] = book_out.get(trader, 0) + amount_out
        append = self._append
        append((SWAP, token_in, trader, address, amount_in))
        append((SWAP, token_out, address, trader, amount_out))
        stats[0] += amount_in
        return amount_out

    def swap_exact_out(self, trader: str, token_out: str, amount_out: int, max_in: int) -> int:
        """Buy exactly ``amount_out`` of ``token_out``, paying at most ``max_in`` of the other.

        Returns:
            Base units of the other token paid: ``get_amount_in``, rounded up by one —
            favours the pool.

        Raises:
            TokenNotInPool, ZeroAmount, InsufficientLiquidity, SlippageExceeded,
            InsufficientTraderBalance; TypeError/ValueError for bad types.
        """
        book_out, book_in, token_in, _ = self._side(token_out)
        self._check_actor("trader", trader)
        amount_out = self._positive("amount_out", amount_out)
        max_in = check_amount("max_in", max_in)
        reserve_in, reserve_out = book_in.get(self.address, 0), book_out.get(self.address, 0)
        amount_in = get_amount_in(amount_out, reserve_in, reserve_out, self.fee_bps)
        if amount_in > max_in:
            raise self._too_much_in(token_out, amount_out, token_in, amount_in, max_in)
        self.swap_exact_in(trader, token_in, amount_in, 0, amount_out)
        return amount_in

    def swap(self, trader: str, token_in: str, amount_in: int, amount_out: int) -> None:
        """Take ``amount_in`` of ``token_in`` from ``trader`` and pay ``amount_out`` back.

        The low-level swap, like ``UniswapV2Pair.swap``: it computes no price and accepts
        any amounts that keep the fee-adjusted ``k`` from falling (:func:`k_holds`).

        Raises:
            TokenNotInPool, ZeroAmount, InsufficientLiquidity, InsufficientTraderBalance,
            KInvariantFailed; TypeError/ValueError for bad types.
        """
        side = self._side(token_in)
        self._check_actor("trader", trader)
        amount_in = self._positive("amount_in", amount_in)
        amount_out = self._positive("amount_out", amount_out)
        reserve_out = side[1].get(self.address, 0)
        if amount_out >= reserve_out:
            raise InsufficientLiquidity(
                f"swap asks amount_out={amount_out} but reserve_out={reserve_out}; "
                "ask for less than reserve_out"
            )
        self.swap_exact_in(trader, token_in, amount_in, 0, amount_out)

    # ---------------------------------------------------------------- liquidity
    def _first_mint(self, amount0: int, amount1: int) -> int:
        """``isqrt(amount0·amount1) - MINIMUM_LIQUIDITY`` (``Pair.mint``'s first deposit,
        :func:`~simfl.chain.amm.liquidity_minted`); rounded down — favours the pool.

        Raises:
            InsufficientFirstDeposit: the root does not exceed ``MINIMUM_LIQUIDITY``.
        """
        return liquidity_minted(amount0, amount1, 0, 0, 0)

    def _protocol_fee_liquidity(self, reserve0: int, reserve1: int, supply: int) -> int:
        """What ``Pair._mintFee`` would mint now: 1/6 of the ``√k`` growth since ``k_last``
        (:func:`~simfl.chain.amm.protocol_fee_liquidity`), 0 when the fee is off; rounded
        down — favours the LPs."""
        if self.protocol_fee_to is None:
            return 0
        return protocol_fee_liquidity(reserve0, reserve1, self.k_last, supply)

    def _after_liquidity_event(self) -> None:
        """Set ``k_last`` to ``reserve0·reserve1`` if the protocol fee is on, else to 0."""
        if self.protocol_fee_to is None:
            self.k_last = 0
        else:
            reserve0, reserve1 = self.reserves
            self.k_last = reserve0 * reserve1
