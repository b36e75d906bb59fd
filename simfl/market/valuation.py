"""What accounts are worth, in exact BASE base units, from the ledger and the pools.

A position is marked two ways: at the pool's spot price, and at what selling it into
the pool would fetch (liquidation value); LP shares at their pro-rata reserves. Pure
integer math, rounded down throughout; floats appear only when agents report.
"""

from __future__ import annotations

from collections.abc import Mapping

from simfl.chain import ConstantProductPool, Ledger, get_amount_out


def position_value(
    held: int, shares: int, reserve_base: int, reserve_token: int, lp_supply: int, fee_bps: int
) -> tuple[int, int, int]:
    """BASE base units of `held` CST plus `shares` LP units of a CST/BASE pool.

    Returns (spot, liquidation, spot value of `held` alone): the LP share's reserves are
    taken out first, then all the CST is marked at spot or sold into what remains.
    Rounds down throughout.
    """
    tokens_spot = held * reserve_base // reserve_token if held else 0
    spot = liquidation = 0
    if shares:
        base_part = reserve_base * shares // lp_supply
        token_part = reserve_token * shares // lp_supply
        spot = liquidation = base_part
        reserve_base -= base_part
        reserve_token -= token_part
        held += token_part
    if held and reserve_token:
        spot += held * reserve_base // reserve_token
        liquidation += get_amount_out(held, reserve_token, reserve_base, fee_bps)
    return spot, liquidation, tokens_spot


class Valuation:
    """Reads balances and pool states to value one account or every account at once."""

    def __init__(
        self, ledger: Ledger, pools: list[ConstantProductPool], tokens: list[str], base: str
    ) -> None:
        self.ledger, self.pools, self.tokens, self.base = ledger, pools, tokens, base
        # live read-only balance maps (the ledger's own dicts)
        self.base_book: Mapping[str, int] = ledger.balances_of(base)
        self.books = [ledger.balances_of(token) for token in tokens]
        self.lp_books = [ledger.balances_of(pool.lp_token) for pool in pools]

    def pool_state(self, index: int) -> tuple[int, int, int, int]:
        """Pool `index` as `position_value` reads it: reserves, LP supply, fee."""
        pool = self.pools[index]
        return (
            pool.reserve_of(self.base),
            pool.reserve_of(self.tokens[index]),
            pool.total_liquidity,
            pool.fee_bps,
        )

    def account(self, account: str) -> tuple[int, int, int]:
        """BASE base units one account is worth: at spot, if it sold everything now, and
        the spot value of the CST it holds outright (see `position_value`)."""
        spot = liquidation = self.base_book.get(account, 0)
        tokens_spot = 0
        for index, book in enumerate(self.books):
            held = book.get(account, 0)
            shares = self.lp_books[index].get(account, 0)
            if held or shares:
                values = position_value(held, shares, *self.pool_state(index))
                spot += values[0]
                liquidation += values[1]
                tokens_spot += values[2]
        return spot, liquidation, tokens_spot

    def all(self) -> dict[str, list[int]]:
        """Every account at once: `[spot, liquidation, tokens, held_0, ..., held_n-1]`.

        The first three are `account`'s values; then the CST_i it holds outright. Walks
        each token's holders in the ledger's own order instead of looking every agent up
        in every book: the same integers, far fewer cache misses.
        """
        n = len(self.books)
        empty = [0] * (3 + n)
        values = {
            account: [balance, balance, *empty[2:]] for account, balance in self.base_book.items()
        }
        for index, book in enumerate(self.books):
            lp_book = self.lp_books[index]
            state = self.pool_state(index)
            for account, held in book.items():
                if held:
                    spot, liquidation, tokens_spot = position_value(
                        held, lp_book.get(account, 0), *state
                    )
                    row = values.setdefault(account, empty.copy())
                    row[0] += spot
                    row[1] += liquidation
                    row[2] += tokens_spot
                    row[3 + index] = held
            for account, shares in lp_book.items():
                if shares and not book.get(account):
                    spot, liquidation, _ = position_value(0, shares, *state)
                    row = values.setdefault(account, empty.copy())
                    row[0] += spot
                    row[1] += liquidation
        return values

    def lp_position(self, index: int, account: str) -> int:
        """Spot value, in BASE base units, of an account's LP shares in pool `index`
        (`position_value` of the shares alone; rounds down)."""
        shares = self.lp_books[index].get(account, 0)
        return position_value(0, shares, *self.pool_state(index))[0] if shares else 0
