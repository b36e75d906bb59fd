"""Binary fixed-point ``ln``, ``exp`` and powers with carried error bounds; exact integer roots.

The numerics under :mod:`simfl.chain.weighted_math` (Balancer keeps them apart too, as
``LogExpMath`` under ``WeightedMath``). Values are ints in units of ``2**-PRECISION_BITS``;
``ln_fixed`` returns an approximation and its error bound, ``exp_fixed`` has a stated
relative error, and ``pow_up`` / ``pow_down`` widen both so a caller can round a power
the way that favours the pool. ``iroot`` / ``iroot_up`` are exact. Stdlib ints only;
floats appear only as a first guess that ``iroot``'s Newton steps then make exact.
"""

from __future__ import annotations

from math import exp, isqrt, log

PRECISION_BITS = 192  # fractional bits of the internal binary fixed point (~58 digits)

_P = PRECISION_BITS
_FP_ONE = 1 << _P  # 1.0 in the internal fixed point
_STEPS = 8  # exp: the reduced argument is divided by 2**_STEPS, the result squared back
_TABLE_BITS = 6  # ln: two table steps of 6 bits each leave |z| < 2**-13 for the series
_LN_ERROR = 1 << 8  # |ln_fixed error| <= _LN_ERROR + |k| ulps (about 50 by op count)
_EXP_ERROR_SHIFT = _P - 16  # exp_fixed's relative error is below 2**-(_P - 16)


def _ln_ratio_fixed(a: int, b: int) -> int:
    """ln(b/a) for ints ``b > a > 0`` at ``_P`` bits: ``2·atanh((b - a)/(b + a))``, summed
    term by term at 64 extra bits (its floors cost far less than one ulp at ``_P`` bits)."""
    one = 1 << (_P + 64)
    z_num, z_den = b - a, b + a
    total, i = 0, 1
    term = one * z_num // z_den
    while term:
        total += term // i
        term = term * z_num * z_num // (z_den * z_den)
        i += 2
    return (2 * total) >> 64


_LN2 = _ln_ratio_fixed(1, 2)
_STEP1 = 1 << _TABLE_BITS  # m in [1, 2) is divided by c = 1 + j/64 ...
_STEP2 = 1 << (2 * _TABLE_BITS)  # ... then by 1 + j/4096
_LN_TABLE1 = [_ln_ratio_fixed(_STEP1, _STEP1 + j) if j else 0 for j in range(_STEP1)]
_LN_TABLE2 = [_ln_ratio_fixed(_STEP2, _STEP2 + j) if j else 0 for j in range(_STEP1)]


# ------------------------------------------------------------------ fixed-point ln / exp
def ln_fixed(numerator: int, denominator: int) -> tuple[int, int]:
    """Return ``(approx, error)``: ``ln(numerator / denominator)`` at ``PRECISION_BITS`` bits.

    ``x = m·2^k`` with ``m`` in [1, 2); ``m`` is divided by ``1 + j/64`` and then by
    ``1 + j'/4096`` (exact fractions whose logarithms are tabulated), leaving ``m''`` in
    [1, 1 + 1/4096) for ``ln m'' = 2·atanh((m'' - 1)/(m'' + 1))``, a series in ``z²``
    with ``z < 2**-13`` (about 8 terms).

    Args:
        numerator: > 0.
        denominator: > 0.

    Returns:
        ``approx`` and ``error`` in units of ``2**-PRECISION_BITS``, with
        ``|approx - ln(x)·2**PRECISION_BITS| <= error`` — a bound, no rounding direction;
        callers widen by ``error`` in the direction that favours the pool.
    """
    k = numerator.bit_length() - denominator.bit_length()
    shift = _P - k
    m = (numerator << shift) // denominator if shift >= 0 else numerator // (denominator << -shift)
    if m < _FP_ONE:
        k -= 1
        m = (
            (numerator << (shift + 1)) // denominator
            if shift >= -1
            else (numerator // (denominator << (-shift - 1)))
        )
    j1 = (m >> (_P - _TABLE_BITS)) - _STEP1
    m = (m << _TABLE_BITS) // (_STEP1 + j1)
    j2 = (m - _FP_ONE) >> (_P - 2 * _TABLE_BITS)
    m = (m << (2 * _TABLE_BITS)) // (_STEP2 + j2)
    z = ((m - _FP_ONE) << _P) // (m + _FP_ONE)
    z2 = (z * z) >> _P
    total, term, i = z, z, 1
    while term:
        term = (term * z2) >> _P
        i += 2
        total += term // i
    return 2 * total + _LN_TABLE1[j1] + _LN_TABLE2[j2] + k * _LN2, _LN_ERROR + abs(k)


def exp_fixed(x: int) -> int:
    """Return ``exp(x / 2**PRECISION_BITS)`` at ``PRECISION_BITS`` bits.

    ``x = k·ln2 + r``; ``e^r = (e^(r/2^steps))^(2^steps)`` with a Taylor series.

    Returns:
        An approximation whose relative error is below ``2**-(PRECISION_BITS - 16)`` (plus
        one unit) — a bound, no rounding direction; :func:`pow_up` / :func:`pow_down` widen it.
    """
    k = (x + (_LN2 >> 1)) // _LN2
    t = (x - k * _LN2) >> _STEPS
    sign, t = (-1, -t) if t < 0 else (1, t)
    total, term, i = _FP_ONE, _FP_ONE, 0
    while term:
        i += 1
        term = ((term * t) >> _P) // i
        total += term if sign > 0 or i % 2 == 0 else -term
    for _ in range(_STEPS):
        total = (total * total) >> _P
    return total << k if k >= 0 else total >> -k


def pow_up(numerator: int, denominator: int, exp_numerator: int, exp_denominator: int) -> int:
    """Return ``(numerator/denominator)^(exp_numerator/exp_denominator)`` at ``PRECISION_BITS``.

    All four arguments > 0. Computed as ``exp(y·ln x)`` with both error bounds added.

    Returns:
        An upper bound of ``x^y · 2**PRECISION_BITS``, rounded up (about 1e-52 relative
        above the exact value) — the caller uses it where a larger power favours the pool.
    """
    ln_x, error = ln_fixed(numerator, denominator)
    high = exp_fixed(-((-(ln_x + error) * exp_numerator) // exp_denominator))  # ceil of y·ln
    return high + (high >> _EXP_ERROR_SHIFT) + 1


def pow_down(numerator: int, denominator: int, exp_numerator: int, exp_denominator: int) -> int:
    """Return ``(numerator/denominator)^(exp_numerator/exp_denominator)`` at ``PRECISION_BITS``.

    Returns:
        A lower bound of ``x^y · 2**PRECISION_BITS`` (>= 0), rounded down — for callers
        where a smaller power favours the pool.
    """
    ln_x, error = ln_fixed(numerator, denominator)
    low = exp_fixed(((ln_x - error) * exp_numerator) // exp_denominator)  # floor of y·ln
    return max(0, low - (low >> _EXP_ERROR_SHIFT) - 1)


def iroot(x: int, k: int) -> int:
    """Return ``floor(x ** (1/k))`` for ints ``x >= 0``, ``k >= 1`` — exact (Newton from above).

    >>> iroot(10**40, 4), iroot(10**40 - 1, 4)
    (10000000000, 9999999999)
    """
    if x < 2 or k == 1:
        return x
    if k == 2:
        return isqrt(x)
    bits = x.bit_length()
    if bits // k < 900:  # a float guess a hair above the root, then at most a few steps
        root = int(exp(log(x) / k + 1e-9)) + 2
        if root**k <= x:
            root = 1 << (bits // k + 1)
    else:
        root = 1 << (bits // k + 1)
    while True:
        step = ((k - 1) * root + x // root ** (k - 1)) // k
        if step >= root:
            return root
        root = step


def iroot_up(x: int, k: int) -> int:
    """Return ``ceil(x ** (1/k))`` — exact."""
    root = iroot(x, k)
    return root if root**k == x else root + 1
