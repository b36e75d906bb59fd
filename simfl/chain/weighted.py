"""A Balancer-style two-token weighted pool on the ledger: the state ``weighted_math`` runs on.

``WeightedPool`` implements :class:`simfl.chain.interface.Pool` like
:class:`~simfl.chain.pool.ConstantProductPool` and journals the same events, so the
router and the market use either. Its reserves are the ledger balances of
``pool.address``; a swap prices with Balancer's weighted formulas
(:mod:`simfl.chain.weighted_math`) and is accepted only if the fee-adjusted invariant
``B0^w0 · B1^w1`` did not fall, checked on the new balances. Liquidity is proportional,
as in the constant-product pool: the first deposit mints its weighted geometric mean
``a0^w0 · a1^w1`` less ``MINIMUM_LIQUIDITY`` (locked), later ones the smaller pro-rata
share. There is no protocol fee. Every refused operation raises before the first state
change.

Example (an 80/20 pool at price 1; 10 BASE buy about 9.94 CST):
    >>> from simfl.chain import Ledger
    >>> ledger = Ledger()
    >>> for token in ("BASE", "CST"):
    ...     _ = ledger.register_token(token)
    ...     ledger.mint(token, "lp", 10**22)
    >>> pool = WeightedPool(ledger, "BASE", "CST", weights=(8 * 10**17, 2 * 10**17))
    >>> cst = genesis_token_amount(8000 * 10**18, 1, 1, 2 * 10**17)
    >>> cst
    2000000000000000000000
    >>> pool.add_liquidity("lp", 8000 * 10**18, cst)
    6062866266041592328389
    >>> pool.price("CST")
    1.0
    >>> pool.swap_exact_in("lp", "BASE", 10 * 10**18)
    9939014474211471593
"""

from __future__ import annotations

from fractions import Fraction

from simfl.chain.amm import MINIMUM_LIQUIDITY
from simfl.chain.errors import InsufficientFirstDeposit, InsufficientLiquidity, KInvariantFailed
from simfl.chain.ledger import SWAP, Ledger, check_amount
from simfl.chain.pair import Pair
from simfl.chain.weighted_math import (
    MAX_IN_RATIO,
    MIN_WEIGHT,
    ONE,
    calc_in_given_out,
    calc_out_given_in,
    genesis_token_amount,
    invariant,
    invariant_holds,
    max_amount_in,
    spot_price,
)

__all__ = ["WeightedPool", "genesis_token_amount"]

# book_in, book_out, other token, [volume_in], weight_in, weight_out
Side = tuple[dict[str, int], dict[str, int], str, list[int], int, int]


class WeightedPool(Pair):
    """A two-token weighted pool whose reserves are the ledger balances of ``address``.

    Journal per operation as documented in :mod:`simfl.chain.pair` (no protocol fee), the
    same as :class:`~simfl.chain.pool.ConstantProductPool`'s.

    Attributes:
        weights: ``(w0, w1)``, 18-decimal ints summing to ``ONE`` (token0's weight first).
        max_ratio: Balancer's guard on a swap's size, the share of a balance a swap may
            pay in or take out (18 decimals, 30 %), or ``None`` for no guard.
    """

    __slots__ = ("max_ratio", "weights")

    def __init__(
        self,
        ledger: Ledger,
        token0: str,
        token1: str,
        weights: tuple[int, int],
        fee_bps: int = 30,
        name: str | None = None,
        max_ratio: int | None = MAX_IN_RATIO,
    ) -> None:
        """Create an empty pool and register its LP token ``"LP:<name>"`` in ``ledger``.

        Args:
            ledger: The ledger holding both tokens.
            token0: First token id (already registered).
            token1: Second token id, different from ``token0``.
            weights: ``(w0, w1)`` normalised weights as 18-decimal ints, each at least
                ``MIN_WEIGHT`` (1 %), summing to ``ONE`` = 10**18 (Balancer's convention):
                ``(8 * 10**17, 2 * 10**17)`` is an 80/20 pool.
            fee_bps: Swap fee in basis points, 0 <= fee_bps < 10000.
            name: Pool name; defaults to ``"<token0>/<token1>"`` like the constant-product
                pool's (pass another to hold both kinds on one pair in one ledger).
            max_ratio: Largest share of a balance one swap may pay in or take out
                (18 decimals; Balancer's 30 %), or ``None`` for no guard.

        Raises:
            TypeError / ValueError: weights, fee or ratio out of range, with the numbers.
            AmmError: ``token0 == token1``.
        """
        # Checked before the pair registers its LP token, so a refusal changes nothing.
        weights = _check_weights(weights)
        if max_ratio is not None and (type(max_ratio) is not int or not 0 < max_ratio < ONE):
            raise ValueError(f"max_ratio must be None or an int in (0, {ONE}), got {max_ratio!r}")
        super().__init__(ledger, token0, token1, fee_bps, name)
        self.weights = weights
        self.max_ratio = max_ratio
        w0, w1 = self.weights
        self._sides: dict[str, Side] = {
            token0: (self._book0, self._book1, token1, self._stats0, w0, w1),
            token1: (self._book1, self._book0, token0, self._stats1, w1, w0),
        }

    def __repr__(self) -> str:
        r0, r1 = self.reserves
        return (
            f"WeightedPool({self.name!r}, reserves=({r0}, {r1}), weights={self.weights}, "
            f"fee_bps={self.fee_bps})"
        )

    # ---------------------------------------------------------------- views
    @property
    def invariant(self) -> int:
        """``reserve0^w0 · reserve1^w1`` in base units, rounded down (0 when empty)."""
        r0, r1 = self.reserves
        return invariant(r0, self.weights[0], r1, self.weights[1])

    def weight_of(self, token: str) -> int:
        """Return ``token``'s normalised weight (18 decimals)."""
        return self._side(token)[4]

    def spot_price(self, token: str) -> Fraction:
        """Return the exact spot price of one base unit of ``token`` in the other's base units.

        ``(B_other / w_other) / (B_token / w_token)`` (:func:`~simfl.chain.weighted_math.
        spot_price`): no fee, no impact; ``B_other / B_token`` at 50/50.

        Raises:
            InsufficientLiquidity: the pool is empty.
        """
        book, book_other, _, _, weight, weight_other = self._side(token)
        reserve, reserve_other = book.get(self.address, 0), book_other.get(self.address, 0)
        if reserve == 0 or reserve_other == 0:
            raise InsufficientLiquidity(f"pool {self.name} is empty; add liquidity first")
        return spot_price(reserve, weight, reserve_other, weight_other)

    def price(self, token: str) -> float:
        """Return the spot price of one whole ``token`` in whole units of the other token.

        For reports only (a float): :meth:`spot_price` scaled by decimals.
        """
        shift = self.ledger.decimals(token) - self.ledger.decimals(self.other(token))
        return float(self.spot_price(token)) * 10.0**shift

    # ---------------------------------------------------------------- curve (interface)
    def amount_out(self, token_in: str, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """What ``amount_in`` of ``token_in`` would buy at the given reserves, in one swap
        and without the ratio guard (for valuation); rounded down — favours the pool."""
        _, _, _, _, weight_in, weight_out = self._side(token_in)
        return calc_out_given_in(reserve_in, weight_in, reserve_out, weight_out, amount_in,
                                 self.fee_bps, None)  # fmt: skip

    def amount_in(self, token_out: str, amount_out: int, reserve_in: int, reserve_out: int) -> int:
        """What must be paid to receive ``amount_out`` of ``token_out`` at the given reserves,
        without the ratio guard; rounded up — favours the pool."""
        _, _, _, _, weight_out, weight_in = self._side(token_out)
        return calc_in_given_out(reserve_in, weight_in, reserve_out, weight_out, amount_out,
                                 self.fee_bps, None)  # fmt: skip

    def spot_out(self, token_in: str, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """``amount_in`` of ``token_in`` at the spot price of the given reserves, no fee and
        no impact: ``a·R_out·w_in // (R_in·w_out)``; rounded down (0 for an empty pool)."""
        _, _, _, _, weight_in, weight_out = self._side(token_in)
        if reserve_in <= 0:
            return 0
        return amount_in * reserve_out * weight_in // (reserve_in * weight_out)

    def max_amount_in(
        self, token_in: str, slippage_bps: int, reserve_in: int, reserve_out: int
    ) -> int:
        """Largest input of ``token_in`` that loses at most ``slippage_bps`` against spot, fee
        included (:func:`~simfl.chain.weighted_math.max_amount_in`), capped by the ratio
        guard; rounded down."""
        _, _, _, _, weight_in, weight_out = self._side(token_in)
        amount = max_amount_in(reserve_in, weight_in, reserve_out, weight_out, self.fee_bps,
                               slippage_bps)  # fmt: skip
        if self.max_ratio is not None:
            amount = min(amount, reserve_in * self.max_ratio // ONE)
        return amount

    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """Return what ``swap_exact_in`` would pay now for ``amount_in``; changes nothing.

        Returns:
            Base units of the other token, rounded down — favours the pool.
        """
        book_in, book_out, _, _, weight_in, weight_out = self._side(token_in)
        amount_in = self._positive("amount_in", amount_in)
        reserve_in, reserve_out = book_in.get(self.address, 0), book_out.get(self.address, 0)
        return calc_out_given_in(reserve_in, weight_in, reserve_out, weight_out, amount_in,
                                 self.fee_bps, self.max_ratio)  # fmt: skip

    def quote_exact_out(self, token_out: str, amount_out: int) -> int:
        """Return what ``swap_exact_out`` would charge now for ``amount_out``; changes nothing.

        Returns:
            Base units of the other token, rounded up — favours the pool.
        """
        book_out, book_in, _, _, weight_out, weight_in = self._side(token_out)
        amount_out = self._positive("amount_out", amount_out)
        reserve_in, reserve_out = book_in.get(self.address, 0), book_out.get(self.address, 0)
        return calc_in_given_out(reserve_in, weight_in, reserve_out, weight_out, amount_out,
                                 self.fee_bps, self.max_ratio)  # fmt: skip

    # ---------------------------------------------------------------- swaps
    def swap_exact_in(self, trader: str, token_in: str, amount_in: int, min_out: int = 0) -> int:
        """Sell exactly ``amount_in`` of ``token_in`` for the other token.

        Args:
            trader: The account paying ``amount_in`` and receiving the output.
            token_in: The token sold.
            amount_in: Base units sold (> 0, within the ratio guard).
            min_out: Refuse the swap if it would pay less than this (slippage limit).

        Returns:
            Base units of the other token received: ``calc_out_given_in``, rounded down —
            favours the pool.

        Raises:
            TokenNotInPool, ZeroAmount, InsufficientLiquidity (MaxRatioExceeded among them),
            InsufficientOutputAmount, SlippageExceeded, InsufficientTraderBalance,
            KInvariantFailed; TypeError/ValueError for bad types.
        """
        side = self._side(token_in)
        self._check_actor("trader", trader)
        amount_in = self._positive("amount_in", amount_in)
        min_out = check_amount("min_out", min_out)
        book_in, book_out, _, _, weight_in, weight_out = side
        reserve_in, reserve_out = self._reserves_of(book_in, book_out)
        amount_out = calc_out_given_in(reserve_in, weight_in, reserve_out, weight_out, amount_in,
                                       self.fee_bps, self.max_ratio)  # fmt: skip
        if amount_out < min_out or amount_out == 0:
            raise self._too_little_out(token_in, amount_in, amount_out, min_out, reserve_in,
                                       reserve_out)  # fmt: skip
        self._swap(side, token_in, trader, amount_in, amount_out, reserve_in, reserve_out)
        return amount_out

    def swap_exact_out(self, trader: str, token_out: str, amount_out: int, max_in: int) -> int:
        """Buy exactly ``amount_out`` of ``token_out``, paying at most ``max_in`` of the other.

        Returns:
            Base units of the other token paid: ``calc_in_given_out``, rounded up —
            favours the pool.

        Raises:
            TokenNotInPool, ZeroAmount, InsufficientLiquidity (MaxRatioExceeded among them),
            SlippageExceeded, InsufficientTraderBalance, KInvariantFailed;
            TypeError/ValueError for bad types.
        """
        _, _, token_in, _, weight_out, weight_in = self._side(token_out)
        side = self._sides[token_in]
        self._check_actor("trader", trader)
        amount_out = self._positive("amount_out", amount_out)
        max_in = check_amount("max_in", max_in)
        reserve_in, reserve_out = self._reserves_of(side[0], side[1])
        amount_in = calc_in_given_out(reserve_in, weight_in, reserve_out, weight_out, amount_out,
                                      self.fee_bps, self.max_ratio)  # fmt: skip
        if amount_in > max_in:
            raise self._too_much_in(token_out, amount_out, token_in, amount_in, max_in)
        self._swap(side, token_in, trader, amount_in, amount_out, reserve_in, reserve_out)
        return amount_in

    def swap(self, trader: str, token_in: str, amount_in: int, amount_out: int) -> None:
        """Take ``amount_in`` of ``token_in`` from ``trader`` and pay ``amount_out`` back.

        The low-level swap: it computes no price and accepts any amounts that keep the
        fee-adjusted invariant from falling (:func:`~simfl.chain.weighted_math.
        invariant_holds`); no ratio guard.

        Raises:
            TokenNotInPool, ZeroAmount, InsufficientLiquidity, InsufficientTraderBalance,
            KInvariantFailed; TypeError/ValueError for bad types.
        """
        side = self._side(token_in)
        self._check_actor("trader", trader)
        amount_in = self._positive("amount_in", amount_in)
        amount_out = self._positive("amount_out", amount_out)
        reserve_in, reserve_out = self._reserves_of(side[0], side[1])
        if amount_out >= reserve_out:
            raise InsufficientLiquidity(
                f"swap asks amount_out={amount_out} but reserve_out={reserve_out}; "
                "ask for less than reserve_out"
            )
        self._swap(side, token_in, trader, amount_in, amount_out, reserve_in, reserve_out)

    def _swap(
        self, side: Side, token_in: str, trader: str, amount_in: int, amount_out: int,
        reserve_in: int, reserve_out: int,
    ) -> None:  # fmt: skip
        """Check the trader's balance and the invariant, then move the tokens (2 legs).

        The one copy of a swap's state change. The swap is accepted because the
        fee-adjusted invariant did not fall on the new balances, not because the amounts
        came from the formula.
        """
        book_in, book_out, token_out, stats, weight_in, weight_out = side
        self._require(book_in, token_in, trader, amount_in)
        if not invariant_holds(reserve_in, weight_in, reserve_out, weight_out, amount_in,
                               amount_out, self.fee_bps):  # fmt: skip
            raise KInvariantFailed(
                f"swap of {amount_in} {token_in} for {amount_out} {token_out} would lower the "
                f"invariant at reserves ({reserve_in}, {reserve_out}) and weights "
                f"({weight_in}, {weight_out})"
            )
        address = self.address
        book_in[trader] -= amount_in
        book_in[address] = reserve_in + amount_in
        book_out[address] = reserve_out - amount_out
        book_out[trader] = book_out.get(trader, 0) + amount_out
        append = self._append
        append((SWAP, token_in, trader, address, amount_in))
        append((SWAP, token_out, address, trader, amount_out))
        stats[0] += amount_in

    # ---------------------------------------------------------------- liquidity
    def _first_mint(self, amount0: int, amount1: int) -> int:
        """``amount0^w0 · amount1^w1 - MINIMUM_LIQUIDITY``: the first deposit's weighted
        geometric mean (at 50/50 Uniswap's ``isqrt(a0·a1)``); rounded down — favours the
        pool. Use :func:`~simfl.chain.weighted_math.genesis_token_amount` to open at a
        given price.

        Raises:
            InsufficientFirstDeposit: the mean does not exceed ``MINIMUM_LIQUIDITY``.
        """
        mean = invariant(amount0, self.weights[0], amount1, self.weights[1])
        if mean <= MINIMUM_LIQUIDITY:
            raise InsufficientFirstDeposit(
                f"first deposit gives {amount0}^w0 * {amount1}^w1 = {mean} LP units "
                f"(weights {self.weights}), which must exceed MINIMUM_LIQUIDITY="
                f"{MINIMUM_LIQUIDITY}; deposit more"
            )
        return mean - MINIMUM_LIQUIDITY

    # ---------------------------------------------------------------- helpers
    def _reserves_of(self, book_in: dict[str, int], book_out: dict[str, int]) -> tuple[int, int]:
        """``(reserve_in, reserve_out)``; raises ``InsufficientLiquidity`` if either is 0."""
        reserve_in, reserve_out = book_in.get(self.address, 0), book_out.get(self.address, 0)
        if reserve_in == 0 or reserve_out == 0:
            raise InsufficientLiquidity(f"pool {self.name} is empty; add liquidity first")
        return reserve_in, reserve_out


def _check_weights(weights: object) -> tuple[int, int]:
    """Return ``weights`` as ``(w0, w1)`` or raise TypeError / ValueError saying what is wanted."""
    wanted = (
        f"weights must be two 18-decimal ints, each >= {MIN_WEIGHT} (1%), summing to {ONE} "
        "(e.g. (8 * 10**17, 2 * 10**17) for 80/20)"
    )
    if not isinstance(weights, tuple | list) or len(weights) != 2:
        raise TypeError(f"{wanted}; got {weights!r}")
    w0, w1 = weights
    if type(w0) is not int or type(w1) is not int:
        raise TypeError(f"{wanted}; got {type(w0).__name__} {w0!r}, {type(w1).__name__} {w1!r}")
    if w0 < MIN_WEIGHT or w1 < MIN_WEIGHT or w0 + w1 != ONE:
        raise ValueError(f"{wanted}; got ({w0}, {w1}), summing to {w0 + w1}")
    return w0, w1
