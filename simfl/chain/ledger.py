"""Exact token accounting: balances, mint / burn / transfer, an event journal, invariants.

Every amount is a Python ``int`` in a token's base units (``10**decimals`` base units make
one whole token). Each state change appends exactly one event to the journal,
``Ledger.events``, a list of ``(kind, token, sender, recipient, amount)`` tuples whose
list index is the event's ``seq``; :meth:`Ledger.event_rows` exports them with ``seq`` as
``EVENT_FIELDS`` rows, and :func:`replay` rebuilds every balance from them. A refused
operation raises before touching anything, so it changes nothing and journals nothing.

Example:
    >>> ledger = Ledger()
    >>> ledger.register_token("BASE")
    'BASE'
    >>> ledger.mint("BASE", "alice", 100)
    >>> ledger.transfer("BASE", "alice", "bob", 30)
    >>> ledger.holders("BASE")
    {'alice': 70, 'bob': 30}
    >>> ledger.events[-1]
    ('transfer', 'BASE', 'alice', 'bob', 30)
    >>> ledger.event_rows()[-1]
    (1, 'transfer', 'BASE', 'alice', 'bob', 30)
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import Any

from simfl.errors import InsufficientBalance, InvariantViolation, LedgerError

MINT = "mint"
BURN = "burn"
TRANSFER = "transfer"
SWAP = "swap"  # one leg of a pool swap: a transfer, tagged with the operation it belongs to
MOVES_FROM_SENDER = frozenset({BURN, TRANSFER, SWAP})  # kinds that debit ``sender``
MOVES_TO_RECIPIENT = frozenset({MINT, TRANSFER, SWAP})  # kinds that credit ``recipient``

Event = tuple[str, str, str, str, int]  # (kind, token, sender, recipient, amount)
EventRow = tuple[int, str, str, str, str, int]  # Event with its seq first: EVENT_FIELDS
Snapshot = tuple[dict[str, dict[str, int]], dict[str, int], int]


class UnknownToken(LedgerError):
    """An operation named a token the ledger has not registered."""


class DuplicateToken(LedgerError):
    """``register_token`` was given a symbol that is already registered."""


def check_amount(name: str, value: Any) -> int:
    """Return ``value`` as a non-negative ``int`` amount in base units, or raise.

    Exact ``int`` passes untouched (the fast path). Other integer types that implement
    ``__index__`` (e.g. ``numpy.int64``) are converted with ``operator.index``; ``bool``,
    ``float``, ``Decimal``, strings and everything else are refused, because a float amount
    has already lost base units and a bool is almost certainly a bug.

    Args:
        name: The argument's name, quoted in the error message.
        value: The candidate amount.

    Returns:
        The amount as a plain ``int`` (>= 0), in base units.

    Raises:
        TypeError: ``value`` is not an integer (bools and floats included).
        ValueError: ``value`` is negative.

    >>> check_amount("amount", 5)
    5
    >>> check_amount("amount", 1.5)
    Traceback (most recent call last):
    ...
    TypeError: amount must be an int in base units, got float 1.5; convert explicitly, \
e.g. int(x * 10**18) with the rounding you intend
    """
    if type(value) is not int:
        if isinstance(value, bool) or not hasattr(type(value), "__index__"):
            raise TypeError(
                f"{name} must be an int in base units, got {type(value).__name__} {value!r}; "
                "convert explicitly, e.g. int(x * 10**18) with the rounding you intend"
            )
        value = operator.index(value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0 base units, got {value}")
    return value


def check_account(name: str, value: Any) -> str:
    """Return ``value`` if it is a non-empty ``str`` account name, else raise ``TypeError``.

    The empty string is reserved: it stands for "nobody" in mint (sender) and burn
    (recipient) events.
    """
    if type(value) is not str or not value:
        raise TypeError(f"{name} must be a non-empty str account name, got {value!r}")
    return value


def replay(events: Iterable[Event]) -> dict[tuple[str, str], int]:
    """Return every non-zero balance, ``{(token, account): base units}``, rebuilt from events.

    The journal's meaning in one loop: kinds in ``MOVES_FROM_SENDER`` debit the sender,
    kinds in ``MOVES_TO_RECIPIENT`` credit the recipient, markers move nothing. Exact ints,
    no rounding. Takes ``Ledger.events`` (for ``event_rows()``, drop each row's ``seq``).

    >>> replay([("mint", "BASE", "", "alice", 100), ("swap", "BASE", "alice", "pool:x", 30)])
    {('BASE', 'alice'): 70, ('BASE', 'pool:x'): 30}
    """
    balances: dict[tuple[str, str], int] = {}
    for kind, token, sender, recipient, amount in events:
        if kind in MOVES_FROM_SENDER:
            balances[token, sender] = balances.get((token, sender), 0) - amount
        if kind in MOVES_TO_RECIPIENT:
            balances[token, recipient] = balances.get((token, recipient), 0) + amount
    return {key: value for key, value in balances.items() if value}


class Ledger:
    """Balances and total supplies of every token, with an append-only event journal.

    Attributes:
        events: The journal, a list of ``(kind, token, sender, recipient, amount)`` tuples;
            an event's ``seq`` is its list index (:meth:`event_rows` adds it). Kinds that
            move tokens: ``"mint"`` (sender ``""``), ``"burn"`` (recipient ``""``),
            ``"transfer"`` and ``"swap"`` (a pool swap's two legs, each a transfer: first
            trader → pool of the input, then pool → trader of the output). Marker kinds
            written with :meth:`note` move nothing (pools add ``"add_liquidity"``,
            ``"remove_liquidity"``, ``"protocol_fee"``). Read it, never edit it. A run
            that streams its tables (``simfl.recording``) writes events to disk in chunks
            and drains them from the front of this list (the same list object); it then
            counts their ``seq`` itself, so here the list index is not the ``seq``.
    """

    EVENT_FIELDS = ("seq", "kind", "token", "sender", "recipient", "amount")
    __slots__ = ("_balances", "_decimals", "_supply", "events")

    def __init__(self) -> None:
        self._balances: dict[str, dict[str, int]] = {}
        self._supply: dict[str, int] = {}
        self._decimals: dict[str, int] = {}
        self.events: list[Event] = []

    # ---------------------------------------------------------------- tokens
    def register_token(self, symbol: str, decimals: int = 18) -> str:
        """Register a new token with zero supply.

        Args:
            symbol: The token's symbol, also its id (e.g. ``"CST_3"``).
            decimals: How many base units make one token, as a power of ten (reports only).

        Returns:
            The token id to pass to every other method (the symbol itself).

        Raises:
            DuplicateToken: ``symbol`` is already registered.
            TypeError / ValueError: ``symbol`` is not a non-empty str or ``decimals`` is
                not an int >= 0.
        """
        check_account("symbol", symbol)
        decimals = check_amount("decimals", decimals)
        if symbol in self._balances:
            raise DuplicateToken(
                f"token {symbol!r} is already registered; pick another symbol "
                f"(registered: {sorted(self._balances)})"
            )
        self._balances[symbol] = {}
        self._supply[symbol] = 0
        self._decimals[symbol] = decimals
        return symbol

    def tokens(self) -> list[str]:
        """Return the registered token ids in registration order."""
        return list(self._balances)

    def _book(self, token: str) -> dict[str, int]:
        """Return the ``{account: balance}`` dict of ``token`` (the live one, not a copy)."""
        book = self._balances.get(token)
        if book is None:
            raise UnknownToken(
                f"unknown token {token!r}; register it first (known tokens: "
                f"{sorted(self._balances)})"
            )
        return book

    # ---------------------------------------------------------------- reads
    def balance(self, token: str, account: str) -> int:
        """Return ``account``'s balance of ``token`` in base units (0 if it never held any)."""
        return self._book(token).get(account, 0)

    def total_supply(self, token: str) -> int:
        """Return the total supply of ``token`` in base units (minted minus burned)."""
        self._book(token)
        return self._supply[token]

    def holders(self, token: str) -> dict[str, int]:
        """Return a new ``{account: balance}`` dict of every non-zero balance of ``token``."""
        return {a: b for a, b in self._book(token).items() if b}

    def balances_of(self, token: str) -> Mapping[str, int]:
        """Return the live ``{account: balance}`` mapping of ``token``, for fast reads.

        Not a copy: it follows every later change and may hold zero balances. Read it,
        never mutate it (that would bypass the journal and the supply); use
        :meth:`holders` for a copy of the non-zero balances.
        """
        return self._book(token)

    def decimals(self, token: str) -> int:
        """Return the number of decimals of ``token`` (``10**decimals`` base units = 1)."""
        self._book(token)
        return self._decimals[token]

    def event_rows(self) -> list[EventRow]:
        """Return the journal as new ``(seq, kind, token, sender, recipient, amount)`` rows.

        The export form, one tuple per event in journal order with the columns of
        ``EVENT_FIELDS``; ``seq`` counts from 0. A new list: later events do not appear in it.
        """
        return [(seq, *event) for seq, event in enumerate(self.events)]

    # ---------------------------------------------------------------- writes
    def mint(self, token: str, account: str, amount: int) -> None:
        """Create ``amount`` base units of ``token`` in ``account``; journals one "mint"."""
        book = self._book(token)
        check_account("account", account)
        amount = check_amount("amount", amount)
        self._mint_unchecked(book, token, account, amount)

    def burn(self, token: str, account: str, amount: int) -> None:
        """Destroy ``amount`` base units of ``token`` held by ``account``; journals one "burn".

        Raises:
            InsufficientBalance: ``account`` holds less than ``amount``; nothing changes.
        """
        book = self._book(token)
        check_account("account", account)
        amount = check_amount("amount", amount)
        self._require(book, "burn", token, account, amount)
        self._burn_unchecked(book, token, account, amount)

    def transfer(self, token: str, sender: str, recipient: str, amount: int) -> None:
        """Move ``amount`` base units of ``token``; journals one "transfer".

        Raises:
            InsufficientBalance: ``sender`` holds less than ``amount``; nothing changes.
        """
        book = self._book(token)
        check_account("sender", sender)
        check_account("recipient", recipient)
        amount = check_amount("amount", amount)
        self._require(book, "transfer", token, sender, amount)
        self._transfer_unchecked(book, token, sender, recipient, amount)

    def note(self, kind: str, token: str, sender: str, recipient: str, amount: int) -> None:
        """Append a marker event that changes no balance (e.g. a pool's "add_liquidity").

        Markers group the mint / burn / transfer events of one higher-level operation
        for later analysis; they are journal entries only.

        Raises:
            LedgerError: ``kind`` is one that moves tokens in :func:`replay` ("mint",
                "burn", "transfer", "swap"); a marker must not change replayed balances.
        """
        if kind in MOVES_FROM_SENDER or kind in MOVES_TO_RECIPIENT:
            raise LedgerError(
                f"note kind {kind!r} would move tokens on replay; pick a marker kind, not one "
                f"of {sorted(MOVES_FROM_SENDER | MOVES_TO_RECIPIENT)}"
            )
        self.events.append((kind, token, sender, recipient, amount))

    @staticmethod
    def _require(
        book: dict[str, int],
        verb: str,
        token: str,
        account: str,
        amount: int,
        error: type[InsufficientBalance] = InsufficientBalance,
    ) -> None:
        """Raise ``error`` if ``account`` holds less than ``amount`` (pools pass their own)."""
        held = book.get(account, 0)
        if held < amount:
            raise error(f"{verb} of {amount} {token} from {account!r} exceeds its balance {held}")

    # The unchecked paths are for callers in simfl.chain that have validated token, accounts,
    # amounts and balances already. Each changes state and appends exactly one event.
    def _mint_unchecked(self, book: dict[str, int], token: str, account: str, amount: int) -> None:
        book[account] = book.get(account, 0) + amount
        self._supply[token] += amount
        self.events.append((MINT, token, "", account, amount))

    def _burn_unchecked(self, book: dict[str, int], token: str, account: str, amount: int) -> None:
        book[account] -= amount
        self._supply[token] -= amount
        self.events.append((BURN, token, account, "", amount))

    def _transfer_unchecked(
        self, book: dict[str, int], token: str, sender: str, recipient: str, amount: int
    ) -> None:
        book[sender] -= amount
        book[recipient] = book.get(recipient, 0) + amount
        self.events.append((TRANSFER, token, sender, recipient, amount))

    # ---------------------------------------------------------------- checks
    def check_invariants(self) -> None:
        """Check that every token's balances sum to its supply and none is negative.

        Raises:
            InvariantViolation: naming the token and the numbers; the run should stop.
        """
        for token, book in self._balances.items():
            total = sum(book.values())
            if total != self._supply[token]:
                raise InvariantViolation(
                    f"{token}: balances sum to {total} but total supply is "
                    f"{self._supply[token]} (difference {total - self._supply[token]})"
                )
            for account, held in book.items():
                if held < 0:
                    raise InvariantViolation(f"{token}: {account!r} has negative balance {held}")

    def snapshot(self) -> Snapshot:
        """Return a deep copy of (non-zero balances, supplies, journal length).

        Two equal snapshots mean the ledger is in the same state; tests use this to pin
        "a refused operation changes nothing".
        """
        balances = {t: {a: b for a, b in book.items() if b} for t, book in self._balances.items()}
        return balances, dict(self._supply), len(self.events)
