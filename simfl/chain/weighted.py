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

from simfl.chain.amm import BPS, LOCKED_ACCOUNT, MINIMUM_LIQUIDITY, amounts_burned, liquidity_minted
from simfl.chain.errors import (
    InsufficientFirstDeposit,
    InsufficientLiquidity,
    InsufficientOutputAmount,
    InsufficientTraderBalance,
    KInvariantFailed,
    SlippageExceeded,
    TokenNotInPool,
    ZeroAmount,
)
from simfl.chain.fees import FeeAccounts
from simfl.chain.ledger import SWAP, Ledger, check_account, check_amount
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
from simfl.errors import AmmError

__all__ = ["WeightedPool", "genesis_token_amount"]

ADD_LIQUIDITY = "add_liquidity"
REMOVE_LIQUIDITY = "remove_liquidity"
# book_in, book_out, other token, [volume_in], weight_in, weight_out
Side = tuple[dict[str, int], dict[str, int], str, list[int], int, int]


class WeightedPool:
    """A two-token weighted pool whose reserves are the ledger balances of ``address``.

    Journal per operation, as :class:`~simfl.chain.pool.ConstantProductPool`'s: a swap's
    two ``"swap"`` legs; add_liquidity's marker ``("add_liquidity", lp_token, provider,
    address, liquidity)``, the two transfers in, on the first deposit the mint of
    ``MINIMUM_LIQUIDITY`` to ``LOCKED_ACCOUNT``, the mint to the provider;
    remove_liquidity's marker, the burn, the two transfers out.

    Attributes:
        weights: ``(w0, w1)``, 18-decimal ints summing to ``ONE`` (token0's weight first).
        max_ratio: Balancer's guard on a swap's size, the share of a balance a swap may
            pay in or take out (18 decimals, 30 %), or ``None`` for no guard.
    """

    __slots__ = (
        "_append", "_book0", "_book1", "_fees", "_lp_book", "_sides", "_stats0", "_stats1",
        "address", "fee_bps", "ledger", "lp_token", "max_ratio", "name", "token0", "token1",
        "weights",
    )  # fmt: skip

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
        # The live books: a swap's two "swap" legs have no public Ledger method, so the
        # swap writes them as ConstantProductPool does; liquidity uses the public methods.
        self._book0 = ledger._book(token0)
        self._book1 = ledger._book(token1)
        if token0 == token1:
            raise AmmError(f"a pool needs two different tokens, got {token0!r} twice")
        self.weights = _check_weights(weights)
        if type(fee_bps) is not int or not 0 <= fee_bps < BPS:
            raise ValueError(f"fee_bps must be an int in [0, {BPS}), got {fee_bps!r}")
        if max_ratio is not None and (type(max_ratio) is not int or not 0 < max_ratio < ONE):
            raise ValueError(f"max_ratio must be None or an int in (0, {ONE}), got {max_ratio!r}")
        self.ledger = ledger
        self.token0, self.token1 = token0, token1
        self.fee_bps = fee_bps
        self.max_ratio = max_ratio
        self.name = name if name is not None else f"{token0}/{token1}"
        self.address = f"pool:{self.name}"
        self.lp_token = ledger.register_token(f"LP:{self.name}")
        self._lp_book = ledger._book(self.lp_token)
        self._append = ledger.events.append
        self._fees = FeeAccounts(2)
        self._stats0, self._stats1 = [0], [0]
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
    def reserves(self) -> tuple[int, int]:
        """``(reserve0, reserve1)`` in base units: the ledger balances of ``address``."""
        address = self.address
        return self._book0.get(address, 0), self._book1.get(address, 0)

    @property
    def total_liquidity(self) -> int:
        """Total supply of the LP token in base units, ``MINIMUM_LIQUIDITY`` included."""
        return self.ledger.total_supply(self.lp_token)

    @property
    def invariant(self) -> int:
        """``reserve0^w0 · reserve1^w1`` in base units, rounded down (0 when empty)."""
        r0, r1 = self.reserves
        return invariant(r0, self.weights[0], r1, self.weights[1])

    def weight_of(self, token: str) -> int:
        """Return ``token``'s normalised weight (18 decimals)."""
        return self._side(token)[4]

    @property
    def volume_in(self) -> dict[str, int]:
        """``{token: base units paid into the pool by swaps}``, a new dict."""
        return {self.token0: self._stats0[0], self.token1: self._stats1[0]}

    @property
    def fees_in(self) -> dict[str, int]:
        """``{token: volume_in[token]·fee_bps // BPS}``, a new dict (see :meth:`fees_total`)."""
        fee0, fee1 = self.fees_total()
        return {self.token0: fee0, self.token1: fee1}

    def fees_total(self) -> tuple[int, int]:
        """``(fee0, fee1)``: ``floor(volume_in·fee_bps / BPS)`` per token, on the running total.

        The fee stays in the reserves; LP units earn it (as in the constant-product pool).
        """
        fee_bps = self.fee_bps
        return self._stats0[0] * fee_bps // BPS, self._stats1[0] * fee_bps // BPS

    def settle_fees(self) -> None:
        """Allocate the fees since the last settlement to the current LP holders, exactly
        (:class:`~simfl.chain.fees.FeeAccounts`); done before every change of LP supply."""
        self._fees.settle(self.fees_total(), self._lp_book)

    def fees_of(self, account: str) -> tuple[int, int]:
        """``(fee0, fee1)`` allocated to ``account``'s LP units up to the last settlement."""
        fee0, fee1 = self._fees.of(account)
        return fee0, fee1

    def fees_settled(self) -> tuple[int, int]:
        """``(fee0, fee1)`` already allocated to LP holders."""
        fee0, fee1 = self._fees.settled
        return fee0, fee1

    @property
    def swap_count(self) -> int:
        """Number of accepted swaps (this pool's input legs in the journal); O(journal)."""
        address = self.address
        return sum(1 for kind, _, _, to, _ in self.ledger.events if kind == SWAP and to == address)

    def reserve_of(self, token: str) -> int:
        """Return the pool's reserve of ``token`` in base units."""
        return self._side(token)[0].get(self.address, 0)

    def other(self, token: str) -> str:
        """Return the pool's other token."""
        return self._side(token)[2]

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
        if amount_out == 0:
            raise InsufficientOutputAmount(
                f"selling {amount_in} {token_in} pays out 0 at reserves ({reserve_in}, "
                f"{reserve_out}); sell more"
            )
        if amount_out < min_out:
            raise SlippageExceeded(
                f"selling {amount_in} {token_in} pays {amount_out}, below min_out={min_out}; "
                "lower min_out or sell less"
            )
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
            raise SlippageExceeded(
                f"buying {amount_out} {token_out} costs {amount_in} {token_in}, above "
                f"max_in={max_in}; raise max_in or buy less"
            )
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
    def add_liquidity(self, provider: str, amount0: int, amount1: int) -> int:
        """Deposit exactly ``amount0`` of token0 and ``amount1`` of token1; mint LP units.

        Both amounts are taken in full; an unbalanced deposit is paid for its smaller
        pro-rata side and donates the excess. The first deposit mints
        ``a0^w0 · a1^w1 - MINIMUM_LIQUIDITY`` and locks ``MINIMUM_LIQUIDITY`` in
        ``LOCKED_ACCOUNT`` (at 50/50: Uniswap's ``isqrt(a0·a1)``). Use
        :func:`~simfl.chain.weighted_math.genesis_token_amount` to open at a given price.

        Returns:
            LP base units minted to ``provider``, rounded down — favours the pool.

        Raises:
            ZeroAmount, InsufficientFirstDeposit, InsufficientLiquidityMinted,
            InsufficientLiquidity, InsufficientTraderBalance; TypeError/ValueError.
        """
        self._check_actor("provider", provider)
        amount0 = check_amount("amount0", amount0)
        amount1 = check_amount("amount1", amount1)
        if amount0 == 0 or amount1 == 0:
            raise ZeroAmount(f"add_liquidity needs both amounts > 0, got {amount0} and {amount1}")
        self._require(self._book0, self.token0, provider, amount0)
        self._require(self._book1, self.token1, provider, amount1)
        reserve0, reserve1 = self.reserves
        supply = self.total_liquidity
        if supply == 0:
            mean = invariant(amount0, self.weights[0], amount1, self.weights[1])
            if mean <= MINIMUM_LIQUIDITY:
                raise InsufficientFirstDeposit(
                    f"first deposit gives {amount0}^w0 * {amount1}^w1 = {mean} LP units "
                    f"(weights {self.weights}), which must exceed MINIMUM_LIQUIDITY="
                    f"{MINIMUM_LIQUIDITY}; deposit more"
                )
            liquidity = mean - MINIMUM_LIQUIDITY
        else:
            liquidity = liquidity_minted(amount0, amount1, reserve0, reserve1, supply)
        ledger, address = self.ledger, self.address
        self.settle_fees()  # fees so far belong to the holders before the change
        ledger.note(ADD_LIQUIDITY, self.lp_token, provider, address, liquidity)
        ledger.transfer(self.token0, provider, address, amount0)
        ledger.transfer(self.token1, provider, address, amount1)
        if supply == 0:
            ledger.mint(self.lp_token, LOCKED_ACCOUNT, MINIMUM_LIQUIDITY)
        ledger.mint(self.lp_token, provider, liquidity)
        return liquidity

    def remove_liquidity(self, provider: str, liquidity: int) -> tuple[int, int]:
        """Burn ``liquidity`` LP units of ``provider`` and pay out its share of both reserves.

        Returns:
            ``(amount0, amount1)`` in base units, ``liquidity·reserve // supply`` each,
            rounded down — favours the pool.

        Raises:
            ZeroAmount, InsufficientLiquidityBurned, InsufficientTraderBalance;
            TypeError/ValueError.
        """
        self._check_actor("provider", provider)
        liquidity = check_amount("liquidity", liquidity)
        if liquidity == 0:
            raise ZeroAmount("remove_liquidity needs liquidity > 0, got 0")
        self._require(self._lp_book, self.lp_token, provider, liquidity)
        reserve0, reserve1 = self.reserves
        amount0, amount1 = amounts_burned(liquidity, reserve0, reserve1, self.total_liquidity)
        ledger, address = self.ledger, self.address
        self.settle_fees()
        ledger.note(REMOVE_LIQUIDITY, self.lp_token, provider, address, liquidity)
        ledger.burn(self.lp_token, provider, liquidity)
        ledger.transfer(self.token0, address, provider, amount0)
        ledger.transfer(self.token1, address, provider, amount1)
        return amount0, amount1

    # ---------------------------------------------------------------- helpers
    def _side(self, token: str) -> Side:
        """Return ``(book_in, book_out, other, stats, weight_in, weight_out)`` for ``token``."""
        try:
            return self._sides[token]
        except (KeyError, TypeError):
            raise TokenNotInPool(
                f"token {token!r} is not in pool {self.name}; use {self.token0!r} or "
                f"{self.token1!r}"
            ) from None

    def _reserves_of(self, book_in: dict[str, int], book_out: dict[str, int]) -> tuple[int, int]:
        """``(reserve_in, reserve_out)``; raises ``InsufficientLiquidity`` if either is 0."""
        reserve_in, reserve_out = book_in.get(self.address, 0), book_out.get(self.address, 0)
        if reserve_in == 0 or reserve_out == 0:
            raise InsufficientLiquidity(f"pool {self.name} is empty; add liquidity first")
        return reserve_in, reserve_out

    @staticmethod
    def _positive(name: str, value: object) -> int:
        """Return ``value`` as an int > 0 or raise TypeError / ValueError / ZeroAmount."""
        value = check_amount(name, value)
        if value == 0:
            raise ZeroAmount(f"{name} must be > 0 base units, got 0")
        return value

    def _check_actor(self, name: str, account: object) -> None:
        """Refuse a non-str account, the pool itself and the locked account as actors."""
        check_account(name, account)
        if account in (self.address, LOCKED_ACCOUNT):
            raise AmmError(f"{name} {account!r} is reserved and cannot trade or provide")

    @staticmethod
    def _require(book: dict[str, int], token: str, account: str, amount: int) -> None:
        """Raise ``InsufficientTraderBalance`` if ``account`` holds less than ``amount``."""
        Ledger._require(book, "transfer", token, account, amount, InsufficientTraderBalance)


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
