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
    LOCKED_ACCOUNT,
    MINIMUM_LIQUIDITY,
    amounts_burned,
    get_amount_in,
    get_amount_out,
    liquidity_minted,
    max_amount_in,
    protocol_fee_liquidity,
)
from simfl.chain.errors import (
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
from simfl.errors import AmmError

ADD_LIQUIDITY = "add_liquidity"
REMOVE_LIQUIDITY = "remove_liquidity"
PROTOCOL_FEE = "protocol_fee"
Side = tuple[dict[str, int], dict[str, int], str, list[int]]  # book_in, book_out, other, stats


class ConstantProductPool:
    """A Uniswap-v2 pair whose reserves are the ledger balances of ``address``.

    Tokens sent straight to ``address`` with ``Ledger.transfer`` count at once as a
    donation to liquidity providers (Uniswap's transfer followed by ``sync``).

    Journal per operation (``Ledger.events`` tuples ``(kind, token, sender, recipient,
    amount)``):

    - swap: its two legs, both of kind ``"swap"`` and nothing else:
      ``("swap", token_in, trader, address, amount_in)`` then
      ``("swap", token_out, address, trader, amount_out)``.
    - add_liquidity: [protocol fee], ``("add_liquidity", lp_token, provider, address,
      liquidity)``, transfers of token0 and token1 provider → pool, on the first deposit
      the mint of ``MINIMUM_LIQUIDITY`` to ``LOCKED_ACCOUNT``, the mint to the provider.
    - remove_liquidity: [protocol fee], ``("remove_liquidity", lp_token, provider, address,
      liquidity)``, the burn of the provider's LP units, transfers of token0 and token1.
    - protocol fee, only when ``protocol_fee_to`` is set and ``√k`` grew:
      ``("protocol_fee", lp_token, address, protocol_fee_to, liquidity)`` and that mint.

    Attributes:
        address: The pool's ledger account, ``"pool:<name>"``.
        lp_token: The LP token id registered in the ledger, ``"LP:<name>"``.
        k_last: ``reserve0·reserve1`` after the last liquidity event while the protocol
            fee is on, else 0 (Uniswap's ``kLast``).
    """

    __slots__ = (
        "_append", "_book0", "_book1", "_fee_factor", "_fees", "_lp_book", "_sides", "_stats0",
        "_stats1", "address", "fee_bps", "k_last", "ledger", "lp_token", "name",
        "protocol_fee_to", "token0", "token1",
    )  # fmt: skip

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
        self._book0 = ledger._book(token0)
        self._book1 = ledger._book(token1)
        if token0 == token1:
            raise AmmError(f"a pool needs two different tokens, got {token0!r} twice")
        if type(fee_bps) is not int or not 0 <= fee_bps < BPS:
            raise ValueError(f"fee_bps must be an int in [0, {BPS}), got {fee_bps!r}")
        if protocol_fee_to is not None:
            check_account("protocol_fee_to", protocol_fee_to)
        self.ledger = ledger
        self.token0, self.token1 = token0, token1
        self.fee_bps = fee_bps
        self._fee_factor = BPS - fee_bps
        self.protocol_fee_to = protocol_fee_to
        self.name = name if name is not None else f"{token0}/{token1}"
        self.address = f"pool:{self.name}"
        self.lp_token = ledger.register_token(f"LP:{self.name}")
        self._lp_book = ledger._book(self.lp_token)
        self._append = ledger.events.append  # bound once: the swap path's journal write
        self.k_last = 0
        self._fees = FeeAccounts(2)  # each LP's exact share of the swap fees
        # Per input token: [volume_in] (a list: cheap to bump). swap_count is read from the
        # journal instead, which saves a counter bump per swap (~5%).
        self._stats0, self._stats1 = [0], [0]
        self._sides = {
            token0: (self._book0, self._book1, token1, self._stats0),
            token1: (self._book1, self._book0, token0, self._stats1),
        }

    def __repr__(self) -> str:
        r0, r1 = self.reserves
        return f"ConstantProductPool({self.name!r}, reserves=({r0}, {r1}), fee_bps={self.fee_bps})"

    # ---------------------------------------------------------------- views
    @property
    def reserves(self) -> tuple[int, int]:
        """``(reserve0, reserve1)`` in base units: the ledger balances of ``address``."""
        address = self.address
        return self._book0.get(address, 0), self._book1.get(address, 0)

    @property
    def total_liquidity(self) -> int:
        """Total supply of the LP token in base units, ``MINIMUM_LIQUIDITY`` included."""
        return self.ledger._supply[self.lp_token]

    @property
    def volume_in(self) -> dict[str, int]:
        """``{token: base units paid into the pool by swaps}``, a new dict."""
        return {self.token0: self._stats0[0], self.token1: self._stats1[0]}

    @property
    def fees_in(self) -> dict[str, int]:
        """``{token: volume_in[token]·fee_bps // BPS}``: the fee part of swap inputs, a new dict.

        A reporting approximation, rounded down once on the total (not per swap): the
        exact fee stays in the reserves and is earned by LP units.
        """
        fee_bps = self.fee_bps
        return {token: volume * fee_bps // BPS for token, volume in self.volume_in.items()}

    def fees_total(self) -> tuple[int, int]:
        """``(fee0, fee1)``: the fee part of every swap input so far, per token.

        ``floor(volume_in·fee_bps / BPS)`` on the running total (the same as ``fees_in``),
        so fees are exact integers that the LP holders' shares (``fees_of``) add up to.
        The fee stays in the reserves; LP units earn it.
        """
        fee_bps = self.fee_bps
        return self._stats0[0] * fee_bps // BPS, self._stats1[0] * fee_bps // BPS

    def settle_fees(self) -> None:
        """Allocate the fees earned since the last settlement to the current LP holders,
        pro rata, exactly (:class:`~simfl.chain.fees.FeeAccounts`); with the protocol fee
        on, its 1/6 goes to ``protocol_fee_to`` first (``PROTOCOL_SHARE``). The pool
        settles before every change of LP supply; call it before reading ``fees_of``."""
        self._fees.settle(self.fees_total(), self._lp_book, self.protocol_fee_to)

    def fees_of(self, account: str) -> tuple[int, int]:
        """``(fee0, fee1)`` base units of swap fees earned by ``account``'s LP units (and, for
        the protocol fee's recipient, its 1/6 cut) up to the last settlement; over every
        account they sum to the settled ``fees_total``."""
        fee0, fee1 = self._fees.of(account)
        return fee0, fee1

    def fees_settled(self) -> tuple[int, int]:
        """``(fee0, fee1)`` already allocated to LP holders (``fees_total`` at the last
        settlement that found holders)."""
        fee0, fee1 = self._fees.settled
        return fee0, fee1

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

    @property
    def swap_count(self) -> int:
        """Number of accepted swaps: this pool's input legs in the journal.

        Counted on read, O(journal length) — for reports and tests, not for a hot loop.
        Counts only the events still in memory: a run that streams its tables drains the
        journal (``simfl.recording``); count swaps in its ``events.parquet`` instead.
        """
        address = self.address
        return sum(1 for kind, _, _, to, _ in self.ledger.events if kind == SWAP and to == address)

    def reserve_of(self, token: str) -> int:
        """Return the pool's reserve of ``token`` in base units."""
        return self._side(token)[0].get(self.address, 0)

    def other(self, token: str) -> str:
        """Return the pool's other token."""
        return self._side(token)[2]

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
            raise SlippageExceeded(
                f"buying {amount_out} {token_out} costs {amount_in} {token_in}, above "
                f"max_in={max_in}; raise max_in or buy less"
            )
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

    def _too_little_out(
        self, token_in: str, amount_in: int, amount_out: int, min_out: int, r_in: int, r_out: int
    ) -> AmmError:
        if amount_out == 0:
            return InsufficientOutputAmount(
                f"selling {amount_in} {token_in} pays out 0 at reserves ({r_in}, {r_out}); "
                "sell more"
            )
        return SlippageExceeded(
            f"selling {amount_in} {token_in} pays {amount_out}, below min_out={min_out}; "
            "lower min_out or sell less"
        )

    # ---------------------------------------------------------------- liquidity
    def add_liquidity(self, provider: str, amount0: int, amount1: int) -> int:
        """Deposit exactly ``amount0`` of token0 and ``amount1`` of token1; mint LP units.

        Like ``UniswapV2Pair.mint`` (not the router): both amounts are taken in full, so an
        unbalanced deposit donates its excess to the pool. The first deposit also locks
        ``MINIMUM_LIQUIDITY`` in ``LOCKED_ACCOUNT``.

        Returns:
            LP base units minted to ``provider``: :func:`~simfl.chain.amm.liquidity_minted`,
            rounded down — favours the pool.

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
        reserve0, reserve1, fee_liquidity, supply = self._before_liquidity_event()
        liquidity = liquidity_minted(amount0, amount1, reserve0, reserve1, supply)
        ledger, address = self.ledger, self.address
        self._open_liquidity_event(ADD_LIQUIDITY, provider, liquidity, fee_liquidity)
        ledger._transfer_unchecked(self._book0, self.token0, provider, address, amount0)
        ledger._transfer_unchecked(self._book1, self.token1, provider, address, amount1)
        if supply == 0:
            ledger._mint_unchecked(self._lp_book, self.lp_token, LOCKED_ACCOUNT, MINIMUM_LIQUIDITY)
        ledger._mint_unchecked(self._lp_book, self.lp_token, provider, liquidity)
        self._update_k_last()
        return liquidity

    def remove_liquidity(self, provider: str, liquidity: int) -> tuple[int, int]:
        """Burn ``liquidity`` LP units of ``provider`` and pay out its share of both reserves.

        Returns:
            ``(amount0, amount1)`` in base units: :func:`~simfl.chain.amm.amounts_burned`
            (``Pair.burn``), each rounded down — favours the pool.

        Raises:
            ZeroAmount, InsufficientLiquidityBurned, InsufficientTraderBalance;
            TypeError/ValueError.
        """
        self._check_actor("provider", provider)
        liquidity = check_amount("liquidity", liquidity)
        if liquidity == 0:
            raise ZeroAmount("remove_liquidity needs liquidity > 0, got 0")
        self._require(self._lp_book, self.lp_token, provider, liquidity)
        reserve0, reserve1, fee_liquidity, supply = self._before_liquidity_event()
        amount0, amount1 = amounts_burned(liquidity, reserve0, reserve1, supply)
        ledger, address = self.ledger, self.address
        self._open_liquidity_event(REMOVE_LIQUIDITY, provider, liquidity, fee_liquidity)
        ledger._burn_unchecked(self._lp_book, self.lp_token, provider, liquidity)
        ledger._transfer_unchecked(self._book0, self.token0, address, provider, amount0)
        ledger._transfer_unchecked(self._book1, self.token1, address, provider, amount1)
        self._update_k_last()
        return amount0, amount1

    def _before_liquidity_event(self) -> tuple[int, int, int, int]:
        """Return ``(reserve0, reserve1, fee_liquidity, supply)`` for a mint or burn.

        ``fee_liquidity`` is what ``Pair._mintFee`` would mint now (0 when the fee is off);
        ``supply`` the LP supply once it is minted, which the event's shares divide by.
        Changes nothing.
        """
        reserve0, reserve1 = self.reserves
        supply = self.ledger._supply[self.lp_token]
        if self.protocol_fee_to is None:
            return reserve0, reserve1, 0, supply
        fee_liquidity = protocol_fee_liquidity(reserve0, reserve1, self.k_last, supply)
        return reserve0, reserve1, fee_liquidity, supply + fee_liquidity

    def _open_liquidity_event(
        self, kind: str, provider: str, liquidity: int, fee_liquidity: int
    ) -> None:
        """Journal the head of a mint or burn: the protocol fee (marker + mint) if any, then
        the event's own marker ``(kind, lp_token, provider, address, liquidity)``."""
        self.settle_fees()  # fees so far belong to the holders before the change
        ledger, lp_token, address = self.ledger, self.lp_token, self.address
        fee_to = self.protocol_fee_to
        if fee_liquidity > 0 and fee_to is not None:
            ledger.note(PROTOCOL_FEE, lp_token, address, fee_to, fee_liquidity)
            ledger._mint_unchecked(self._lp_book, lp_token, fee_to, fee_liquidity)
        ledger.note(kind, lp_token, provider, address, liquidity)

    def _update_k_last(self) -> None:
        """Set ``k_last`` to ``reserve0·reserve1`` if the protocol fee is on, else to 0."""
        if self.protocol_fee_to is None:
            self.k_last = 0
        else:
            reserve0, reserve1 = self.reserves
            self.k_last = reserve0 * reserve1

    # ---------------------------------------------------------------- helpers
    def _side(self, token: str) -> Side:
        """Return ``(book_in, book_out, other_token, stats)`` for ``token`` as the input."""
        side = self._sides.get(token)
        if side is None:
            raise self._not_in_pool(token)
        return side

    @staticmethod
    def _positive(name: str, value: object) -> int:
        """Return ``value`` as an int > 0 or raise TypeError / ValueError / ZeroAmount."""
        value = check_amount(name, value)
        if value == 0:
            raise ZeroAmount(f"{name} must be > 0 base units, got 0")
        return value

    def _not_in_pool(self, token: object) -> TokenNotInPool:
        return TokenNotInPool(
            f"token {token!r} is not in pool {self.name}; use {self.token0!r} or {self.token1!r}"
        )

    def _check_actor(self, name: str, account: object) -> None:
        """Refuse a non-str account, the pool itself and the locked account as actors."""
        check_account(name, account)
        if account in (self.address, LOCKED_ACCOUNT):
            raise AmmError(f"{name} {account!r} is reserved and cannot trade or provide")

    @staticmethod
    def _require(book: dict[str, int], token: str, account: str, amount: int) -> None:
        """Raise ``InsufficientTraderBalance`` if ``account`` holds less than ``amount``."""
        Ledger._require(book, "transfer", token, account, amount, InsufficientTraderBalance)
