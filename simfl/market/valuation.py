"""What accounts are worth, in exact BASE base units, from the ledger and the pools.

A position is marked two ways: at the pool's spot price, and at what selling it into
the pool would fetch (liquidation value); LP shares at their pro-rata reserves. The
pool math is the router's (`simfl.chain.router.position_value`); this module only
walks the books. Integers, rounded down throughout; floats appear only when agents
report.
"""

from __future__ import annotations

from collections.abc import Mapping

from simfl.chain import Ledger, Pool, router


class Valuation:
    """Reads balances and pool states to value one account or every account at once."""

    def __init__(self, ledger: Ledger, pools: list[Pool], tokens: list[str], base: str) -> None:
        self.ledger, self.pools, self.tokens, self.base = ledger, pools, tokens, base
        # live read-only balance maps (the ledger's own dicts)
        self.base_book: Mapping[str, int] = ledger.balances_of(base)
        self.books = [ledger.balances_of(token) for token in tokens]
        self.lp_books = [ledger.balances_of(pool.lp_token) for pool in pools]

    def account(self, account: str) -> tuple[int, int, int]:
        """BASE base units one account is worth: at spot, if it sold everything now, and
        the spot value of the CST it holds outright (`router.position_value` per pool)."""
        spot = liquidation = self.base_book.get(account, 0)
        tokens_spot = 0
        for index, book in enumerate(self.books):
            held = book.get(account, 0)
            shares = self.lp_books[index].get(account, 0)
            if held or shares:
                values = router.position_value(self.pools[index], self.tokens[index], held, shares)
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
            pool, token = self.pools[index], self.tokens[index]
            state = router.pool_state(pool, token)  # read once for all its holders
            for account, held in book.items():
                if held:
                    spot, liquidation, tokens_spot = router.position_value(
                        pool, token, held, lp_book.get(account, 0), state
                    )
                    row = values.setdefault(account, empty.copy())
                    row[0] += spot
                    row[1] += liquidation
                    row[2] += tokens_spot
                    row[3 + index] = held
            for account, shares in lp_book.items():
                if shares and not book.get(account):
                    spot, liquidation, _ = router.position_value(pool, token, 0, shares, state)
                    row = values.setdefault(account, empty.copy())
                    row[0] += spot
                    row[1] += liquidation
        return values
