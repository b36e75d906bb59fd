"""Exact swap-fee accounting: each LP's share of a pool's fees, as integers that add up.

A pool's fee in a token is the fee part of every swap input paid in that token,
``floor(volume_in · fee_bps / BPS)`` over its whole history (rounded down once, on the
running total, so a pool's per-swap fees telescope to it). LP holders' shares only
change at liquidity events, so the fees earned between two *settlements* belong to the
holders at the later one, pro rata to their LP units. :class:`FeeAccounts` allocates
each settlement's new fees exactly: everyone gets the floor of their share, and the few
leftover units go one each to the largest remainders (ties: account name), so the
holders' fees sum to the pool's fees to the last unit. Pools settle before every change
of LP supply; a plain ledger transfer of LP units between settlements is attributed,
at the next settlement, to whoever holds them then.

With Uniswap's protocol fee on, ``PROTOCOL_SHARE`` (1/6) of the fees is the fee
recipient's, not the LP units': ``floor(fees_total / 6)`` on the running total goes to
that account first, the rest to the holders (``_mintFee`` pays it later as LP units
minted at the next liquidity event, worth 1/6 of √k's growth: a little less).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

PROTOCOL_SHARE = Fraction(1, 6)  # of swap fees, Uniswap v2's fee switch (5 of 30 bps)


def allocate(amount: int, shares: Mapping[str, int]) -> dict[str, int]:
    """Split ``amount`` base units over ``shares`` exactly (largest remainder).

    Each holder gets ``amount·s // S``; the ``amount − Σ floors`` leftover units (fewer
    than the number of holders) go one each to the largest remainders ``amount·s % S``,
    ties broken by account name. Holders with 0 units get nothing.

    Returns:
        ``{account: units}``, summing to ``amount`` exactly when ``Σ shares > 0``.

    >>> allocate(10, {"a": 1, "b": 1, "c": 1})
    {'a': 4, 'b': 3, 'c': 3}
    >>> allocate(7, {"x": 3, "y": 1})
    {'x': 5, 'y': 2}
    """
    held = {account: units for account, units in shares.items() if units > 0}
    total = sum(held.values())
    if amount <= 0 or total <= 0:
        return {}
    out: dict[str, int] = {}
    remainders = []
    for account, units in held.items():
        quotient, remainder = divmod(amount * units, total)
        out[account] = quotient
        remainders.append((-remainder, account))
    leftover = amount - sum(out.values())
    for _, account in sorted(remainders)[:leftover]:
        out[account] += 1
    return out


class FeeAccounts:
    """Per-account swap fees of one pool, one integer per pool token, exact.

    Attributes:
        settled: the pool's fees per token already allocated (``fees_total`` at the last
            settlement).
        owed: ``{account: [fee per token]}``, cumulative, base units of each token.
    """

    __slots__ = ("owed", "settled")

    def __init__(self, n_tokens: int = 2) -> None:
        self.settled = [0] * n_tokens
        self.owed: dict[str, list[int]] = {}

    def settle(
        self,
        fees_total: Sequence[int],
        lp_book: Mapping[str, int],
        protocol_to: str | None = None,
    ) -> None:
        """Allocate the fees earned since the last settlement to ``lp_book``'s holders.

        Args:
            fees_total: the pool's fees per token since it opened (non-decreasing).
            lp_book: LP units per account now (the holders during the period).
            protocol_to: the protocol fee's recipient, or ``None`` (no protocol fee): it
                gets ``PROTOCOL_SHARE`` of the new fees, rounded down on the running
                total (``⌊T·1/6⌋ − ⌊T₀·1/6⌋``), and the holders split the rest.
        """
        if not any(units > 0 for units in lp_book.values()):
            return  # nobody holds LP units: nothing to allocate yet
        share = PROTOCOL_SHARE
        for index, total in enumerate(fees_total):
            settled = self.settled[index]
            new = total - settled
            if new <= 0:
                continue
            cut = 0
            if protocol_to is not None:
                cut = (total * share.numerator // share.denominator) - (
                    settled * share.numerator // share.denominator
                )
            shares = allocate(new - cut, lp_book)
            if cut:
                shares[protocol_to] = shares.get(protocol_to, 0) + cut
            for account, units in shares.items():
                row = self.owed.setdefault(account, [0] * len(self.settled))
                row[index] += units
            self.settled[index] = total

    def of(self, account: str) -> tuple[int, ...]:
        """Fees allocated to ``account`` so far, per token (base units)."""
        return tuple(self.owed.get(account, (0,) * len(self.settled)))
