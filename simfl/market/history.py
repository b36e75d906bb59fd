"""Histories the market shows its traders, read in place.

A `MarketView` used to copy every price and score history into tuples, several times a
round: O(rounds) work per view, so a run cost O(rounds²). The histories only ever grow
at their end, so the first `length` items of such a list never change: `Prefix` is an
immutable snapshot of them that copies nothing. Reading it costs what the reader reads
(`h[-1]`, `h[-5:]`), whatever the run's length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar, overload

T = TypeVar("T")


class Prefix(Sequence[T]):
    """The first `length` items of an append-only list, as an immutable sequence.

    Indexing, negative indices, slices (which return tuples), `len`, iteration and
    equality behave as on `tuple(items[:length])`; items appended to the list later are
    not seen. Valid only while the list is never changed except by appending.

    >>> prices = [1.0, 1.1]
    >>> seen = Prefix(prices)
    >>> prices.append(1.2)
    >>> len(seen), seen[-1], seen[-5:]
    (2, 1.1, (1.0, 1.1))
    """

    __slots__ = ("_items", "_length")

    def __init__(self, items: list[T], length: int | None = None) -> None:
        self._items = items
        self._length = len(items) if length is None else length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        length = self._length
        if isinstance(index, slice):
            start, stop, step = index.indices(length)
            if step == 1:
                return tuple(self._items[start:stop])
            return tuple(self._items[i] for i in range(start, stop, step))
        position = index + length if index < 0 else index
        if not 0 <= position < length:
            raise IndexError(f"index {index} out of range for a history of {length}")
        return self._items[position]

    def __iter__(self) -> Iterator[T]:
        return islice(self._items, self._length)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._length and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Prefix({list(self)!r})"


__all__ = ["Prefix"]
