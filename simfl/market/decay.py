"""`⌊amount · ratio^k⌋` exactly, at a cost that does not grow with `k`.

A decaying schedule pays `amount · decay^(t−1)` in round `t`. With the decay read as an
exact rational `p/q` (a float's exact value: `q` is a power of two), `p^k` and `q^k` have
`k·53` bits, so the exact product costs more every round — a long run became quadratic.
The floor of the product is nearly always decided by a few more bits than `amount`
has: `floor_power` brackets `ratio^k` between two fixed-point bounds (powers by
squaring, rounding one down and one up at every operation) and returns the floor when
both bounds give the same one; only a value within ~2^-50 of an integer falls back to
the exact product.
"""

from __future__ import annotations

from fractions import Fraction

EXACT_BITS = 4096  # below this size of p^k, the exact product is as cheap as the bounds
GUARD_BITS = 64  # fixed-point bits beyond `amount`'s: bounds ~2^-50 apart after squaring


def floor_power(amount: int, ratio: Fraction, exponent: int) -> int:
    """`⌊amount · ratio^exponent⌋` for `amount ≥ 0`, `ratio ≥ 0`, `exponent ≥ 0`; exact.

    Cost: O(log exponent) products of numbers of `amount.bit_length() + 64` bits when
    `ratio < 1` (the exact product otherwise, or when it is small). Rounds down — the
    payer keeps the dust.

    >>> floor_power(1000, Fraction(1, 2), 3)
    125
    >>> floor_power(10**21, Fraction(0.95), 2900) == 10**21 * Fraction(0.95) ** 2900 // 1
    True
    """
    p, q = ratio.numerator, ratio.denominator
    if exponent == 0:
        return amount
    if p == 0 or amount == 0:
        return 0
    if p >= q or exponent * q.bit_length() <= EXACT_BITS:
        return amount * p**exponent // q**exponent
    precision = amount.bit_length() + GUARD_BITS
    base_low, base_high = (p << precision) // q, -((-p << precision) // q)
    low = high = 1 << precision  # bounds of ratio^exponent · 2^precision
    k = exponent
    while True:
        if k & 1:
            low = (low * base_low) >> precision  # rounds down: stays a lower bound
            high = -(-(high * base_high) >> precision)  # rounds up: stays an upper bound
        k >>= 1
        if not k:
            break
        base_low = (base_low * base_low) >> precision
        base_high = -(-(base_high * base_high) >> precision)
    floor_low, floor_high = (amount * low) >> precision, (amount * high) >> precision
    if floor_low == floor_high:
        return floor_low
    return amount * p**exponent // q**exponent  # too close to an integer to tell: exact


__all__ = ["floor_power"]
