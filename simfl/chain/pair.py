"""What every two-token pool on the ledger shares, whatever its curve.

:class:`Pair` holds the curve-independent half of :class:`~simfl.chain.pool.
ConstantProductPool` and :class:`~simfl.chain.weighted.WeightedPool`: the reserves as
ledger balances of ``address``, the LP token, proportional add / remove liquidity and
their journal, the exact fee accounts (:class:`~simfl.chain.fees.FeeAccounts`), the
argument checks and the refusals. A subclass adds its curve: the first mint's rule
(:meth:`Pair._first_mint`), its quotes and prices, and its swap path, which stays one
inlined copy per pool (the hot path calls nothing here but the error builders).

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
- protocol fee (a pool that has one, and only when it is due):
  ``("protocol_fee", lp_token, address, protocol_fee_to, liquidity)`` and that mint.
"""

from __future__ import annotations

from simfl.chain.amm import BPS, LOCKED_ACCOUNT, MINIMUM_LIQUIDITY, amounts_burned, liquidity_minted
from simfl.chain.errors import (
    InsufficientOutputAmount,
    InsufficientTraderBalance,
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


class Pair:
    """Reserves, LP token, liquidity and fee accounts of a two-token pool on a ledger.

    Not a pool by itself: a subclass sets ``_sides`` (``{token_in: (book_in, book_out,
    other_token, stats, ...)}``, its curve's extras last) and implements the curve.

    Attributes:
        address: The pool's ledger account, ``"pool:<name>"``.
        lp_token: The LP token id registered in the ledger, ``"LP:<name>"``.
        protocol_fee_to: Account that receives the protocol fee, or ``None`` (no fee).
    """

    __slots__ = (
        "_append", "_book0", "_book1", "_fees", "_lp_book", "_sides", "_stats0", "_stats1",
        "address", "fee_bps", "ledger", "lp_token", "name", "protocol_fee_to", "token0",
        "token1",
    )  # fmt: skip

    def __init__(
        self,
        ledger: Ledger,
        token0: str,
        token1: str,
        fee_bps: int,
        name: str | None,
        protocol_fee_to: str | None = None,
    ) -> None:
        """Check the pair's arguments, then register its LP token ``"LP:<name>"``.

        Raises:
            UnknownToken: a token is not registered.
            AmmError: ``token0 == token1``.
            TypeError / ValueError: ``fee_bps`` or ``protocol_fee_to`` out of range.
        """
        # The live books: a swap's two "swap" legs have no public Ledger method, so the
        # swap writes them itself, like the unchecked ledger paths liquidity uses.
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
        self.protocol_fee_to = protocol_fee_to
        self.name = name if name is not None else f"{token0}/{token1}"
        self.address = f"pool:{self.name}"
        self.lp_token = ledger.register_token(f"LP:{self.name}")
        self._lp_book = ledger._book(self.lp_token)
        self._append = ledger.events.append  # bound once: the swap path's journal write
        self._fees = FeeAccounts(2)  # each LP's exact share of the swap fees
        # Per input token: [volume_in] (a list: cheap to bump). swap_count is read from the
        # journal instead, which saves a counter bump per swap (~5%).
        self._stats0, self._stats1 = [0], [0]

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
        fee0, fee1 = self.fees_total()
        return {self.token0: fee0, self.token1: fee1}

    def fees_total(self) -> tuple[int, int]:
        """``(fee0, fee1)``: the fee part of every swap input so far, per token.

        ``floor(volume_in·fee_bps / BPS)`` on the running total (the same as ``fees_in``),
        rounded down, so fees are exact integers that the LP holders' shares (``fees_of``)
        add up to. The fee stays in the reserves; LP units earn it.
        """
        fee_bps = self.fee_bps
        return self._stats0[0] * fee_bps // BPS, self._stats1[0] * fee_bps // BPS

    def settle_fees(self) -> None:
        """Allocate the fees earned since the last settlement to the current LP holders,
        pro rata, exactly (:class:`~simfl.chain.fees.FeeAccounts`); with a protocol fee
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

    # ---------------------------------------------------------------- liquidity
    def add_liquidity(self, provider: str, amount0: int, amount1: int) -> int:
        """Deposit exactly ``amount0`` of token0 and ``amount1`` of token1; mint LP units.

        Like ``UniswapV2Pair.mint`` (not the router): both amounts are taken in full, so an
        unbalanced deposit is paid for its smaller pro-rata side and donates the excess.
        The first deposit mints the curve's :meth:`_first_mint` and locks
        ``MINIMUM_LIQUIDITY`` in ``LOCKED_ACCOUNT``.

        Returns:
            LP base units minted to ``provider``: the first mint, later
            :func:`~simfl.chain.amm.liquidity_minted`; rounded down — favours the pool.

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
        if supply == 0:
            liquidity = self._first_mint(amount0, amount1)
        else:
            liquidity = liquidity_minted(amount0, amount1, reserve0, reserve1, supply)
        ledger, address = self.ledger, self.address
        self._open_liquidity_event(ADD_LIQUIDITY, provider, liquidity, fee_liquidity)
        ledger._transfer_unchecked(self._book0, self.token0, provider, address, amount0)
        ledger._transfer_unchecked(self._book1, self.token1, provider, address, amount1)
        if supply == 0:
            ledger._mint_unchecked(self._lp_book, self.lp_token, LOCKED_ACCOUNT, MINIMUM_LIQUIDITY)
        ledger._mint_unchecked(self._lp_book, self.lp_token, provider, liquidity)
        self._after_liquidity_event()
        return liquidity

    def remove_liquidity(self, provider: str, liquidity: int) -> tuple[int, int]:
        """Burn ``liquidity`` LP units of ``provider`` and pay out its share of both reserves.

        Returns:
            ``(amount0, amount1)`` in base units: :func:`~simfl.chain.amm.amounts_burned`
            (``Pair.burn``, ``liquidity·reserve // supply``), each rounded down — favours
            the pool.

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
        self._after_liquidity_event()
        return amount0, amount1

    def _first_mint(self, amount0: int, amount1: int) -> int:
        """LP units the first deposit mints to its provider (the curve's rule)."""
        raise NotImplementedError

    def _protocol_fee_liquidity(self, reserve0: int, reserve1: int, supply: int) -> int:
        """LP units the protocol fee mints before a liquidity event: none by default."""
        return 0

    def _after_liquidity_event(self) -> None:
        """Called after every mint or burn (the protocol fee's ``k_last``); nothing here."""

    def _before_liquidity_event(self) -> tuple[int, int, int, int]:
        """Return ``(reserve0, reserve1, fee_liquidity, supply)`` for a mint or burn.

        ``fee_liquidity`` is what the protocol fee would mint now (0 without one);
        ``supply`` the LP supply once it is minted, which the event's shares divide by.
        Changes nothing.
        """
        reserve0, reserve1 = self.reserves
        supply = self.ledger._supply[self.lp_token]
        fee_liquidity = self._protocol_fee_liquidity(reserve0, reserve1, supply)
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

    # ---------------------------------------------------------------- helpers
    def _side(self, token: str) -> tuple:
        """Return ``_sides[token]``: ``(book_in, book_out, other_token, stats, ...)``."""
        try:
            return self._sides[token]
        except (KeyError, TypeError):
            raise self._not_in_pool(token) from None

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

    @staticmethod
    def _too_little_out(
        token_in: str, amount_in: int, amount_out: int, min_out: int, r_in: int, r_out: int
    ) -> AmmError:
        """The refusal of a swap that pays 0 or less than ``min_out``."""
        if amount_out == 0:
            return InsufficientOutputAmount(
                f"selling {amount_in} {token_in} pays out 0 at reserves ({r_in}, {r_out}); "
                "sell more"
            )
        return SlippageExceeded(
            f"selling {amount_in} {token_in} pays {amount_out}, below min_out={min_out}; "
            "lower min_out or sell less"
        )

    @staticmethod
    def _too_much_in(token_out: str, amount_out: int, token_in: str, amount_in: int,
                     max_in: int) -> SlippageExceeded:  # fmt: skip
        """The refusal of an exact-out swap that costs more than ``max_in``."""
        return SlippageExceeded(
            f"buying {amount_out} {token_out} costs {amount_in} {token_in}, above "
            f"max_in={max_in}; raise max_in or buy less"
        )
