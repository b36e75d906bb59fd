"""Balancer-style weighted-pool math on exact ints: swaps, invariant, spot price, genesis.

Two tokens with normalised weights ``w_in + w_out = ONE`` (18-decimal fixed point, as in
Balancer v2's ``WeightedMath``) keep the invariant ``V = B_in^w_in · B_out^w_out``. The
formulas are Balancer's (facts, not code, from ``WeightedMath._calcOutGivenIn`` /
``_calcInGivenOut``), written on the fee-adjusted input so the fee stays an exact
fraction ``(BPS - fee_bps) / BPS`` (as in :mod:`simfl.chain.amm`):

- out given in: ``a_out = B_out · (1 - (B_in·BPS / (B_in·BPS + a_in·f))^(w_in/w_out))``
- in given out: ``a_in = B_in·BPS/f · ((B_out / (B_out - a_out))^(w_out/w_in) - 1)``
- spot price of ``token`` in ``base``: ``(B_base / w_base) / (B_token / w_token)``

with ``f = BPS - fee_bps``. Balancer's guards are kept: weights of at least 1 % and
trades of at most 30 % of a balance (``MAX_IN_RATIO``, ``MAX_OUT_RATIO``).

Powers. Balancer's ``LogExpMath`` works at 18 decimals with a relative error of 1e-14
on a power, which a small trade turns into a large one on the output (``1 - x^y`` is
tiny when ``x`` is close to 1). Here, when the weight ratio ``w_in / w_out`` reduces to
``p/q`` with ``p + q <= EXACT_MAX_TERMS`` (every weight in steps of 5 %: 50/50 is 1/1,
80/20 is 4/1 or 1/4, 95/5 is 19/1), a swap is computed exactly with an integer ``q``-th root and the
invariant check is the integer test ``N^p · b^q >= D^p · B^q``: the output is the exact
floor of the real formula, and at 50/50 it is Uniswap's ``get_amount_out`` to the last
unit. Other weights use :mod:`simfl.chain.log_exp`: ``exp(y·ln x)`` in binary fixed
point (``PRECISION_BITS`` = 192) with its error bound carried along, so the result is
still rounded the way that favours the pool.
"""

from __future__ import annotations

from fractions import Fraction
from math import expm1, gcd, isqrt, log1p

from simfl.chain.amm import BPS
from simfl.chain.amm import max_amount_in as amm_max_amount_in
from simfl.chain.errors import InsufficientLiquidity, ZeroAmount
from simfl.chain.log_exp import PRECISION_BITS, iroot_up, ln_fixed, pow_down, pow_up

ONE = 10**18  # weights and ratios: 18-decimal fixed point, Balancer's FixedPoint.ONE
MIN_WEIGHT = 10**16  # a weight below 1 % is refused (Balancer's _MIN_WEIGHT)
MAX_IN_RATIO = 3 * 10**17  # a swap may pay in at most 30 % of balance_in (Balancer)
MAX_OUT_RATIO = 3 * 10**17  # a swap may take out at most 30 % of balance_out (Balancer)
EXACT_MAX_TERMS = 20  # weight ratios p/q with p + q <= this are computed with exact integer
# roots (1/99 would take ~300 µs a swap in 10,000-bit integers; the exp/ln path takes ~4 µs)
_P = PRECISION_BITS
_FP_ONE = 1 << _P  # 1.0 in log_exp's fixed point


class MaxRatioExceeded(InsufficientLiquidity):
    """A swap would move more than 30 % of a balance (Balancer: MAX_IN_RATIO / MAX_OUT_RATIO)."""


def exact_exponent(weight_a: int, weight_b: int) -> tuple[int, int] | None:
    """Return ``(p, q)``, ``weight_a / weight_b`` in lowest terms, if ``p + q <= EXACT_MAX_TERMS``.

    >>> exact_exponent(8 * 10**17, 2 * 10**17)
    (4, 1)
    >>> exact_exponent(10**18 // 3, 10**18 - 10**18 // 3) is None
    True
    """
    g = gcd(weight_a, weight_b)
    p, q = weight_a // g, weight_b // g
    return (p, q) if p + q <= EXACT_MAX_TERMS else None


# ------------------------------------------------------------------ the invariant check
def invariant_holds(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int,
    amount_in: int, amount_out: int, fee_bps: int = 30,
) -> bool:  # fmt: skip
    """Return whether a swap keeps the fee-adjusted invariant from falling.

    ``(B_in + a_in·f/BPS)^w_in · (B_out - a_out)^w_out >= B_in^w_in · B_out^w_out``,
    i.e. ``w_in·ln(N/D) >= w_out·ln(B_out/(B_out - a_out))`` with ``N = B_in·BPS +
    a_in·f``, ``D = B_in·BPS``. With an exact exponent ``p/q`` it is the integer test
    ``N^p·(B_out - a_out)^q >= D^p·B_out^q`` (at 50/50, Uniswap's ``K``); otherwise the
    logarithms' error bounds must prove it.

    Returns:
        True when the invariant provably did not fall — exact, or else refused when the
        bounds (about 1e-52 relative) cannot tell — favours the pool.
    """
    if amount_out >= balance_out or amount_in < 0 or amount_out < 0:
        return False
    scaled_in = balance_in * BPS
    adjusted_in = scaled_in + amount_in * (BPS - fee_bps)
    balance_after = balance_out - amount_out
    if weight_in == weight_out:
        return adjusted_in * balance_after >= scaled_in * balance_out
    exponent = exact_exponent(weight_in, weight_out)
    if exponent is not None:
        p, q = exponent
        return adjusted_in**p * balance_after**q >= scaled_in**p * balance_out**q
    if amount_out == 0:
        return True
    gain, gain_error = ln_fixed(adjusted_in, scaled_in)
    loss, loss_error = ln_fixed(balance_out, balance_after)
    return weight_in * (gain - gain_error) >= weight_out * (loss + loss_error)


# ------------------------------------------------------------------ swaps
def calc_out_given_in(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int,
    amount_in: int, fee_bps: int = 30, max_in_ratio: int | None = MAX_IN_RATIO,
) -> int:  # fmt: skip
    """Return what selling ``amount_in`` pays: ``B_out·(1 - (D/N)^(w_in/w_out))``.

    ``N = B_in·BPS + a_in·(BPS - fee_bps)``, ``D = B_in·BPS``. Balancer's order of
    arguments; the fee is inside, an exact fraction (``a_in`` is not rounded first).
    With an exact exponent ``p/q`` it is ``B_out - ceil((B_out^q·D^p / N^p)^(1/q))`` in
    integers; otherwise ``exp``/``ln`` bounds.

    Args:
        balance_in: Pool balance of the input token (> 0).
        weight_in: Its normalised weight (18 decimals).
        balance_out: Pool balance of the output token (> 0).
        weight_out: Its weight; ``weight_in + weight_out == ONE``.
        amount_in: Base units sold (> 0, <= ``max_in_ratio`` of ``balance_in``).
        fee_bps: Swap fee in basis points.
        max_in_ratio: Balancer's guard, 18 decimals (30 %); ``None`` for none (valuation).

    Returns:
        Base units of the output token, rounded down — favours the pool: the exact floor
        of the real formula for an exact exponent (at 50/50 equal to ``get_amount_out``),
        else the floor of a lower bound (one unit less than the exact floor only when the
        exact value lies within about 1e-52 relative above an integer).

    Raises:
        ZeroAmount, InsufficientLiquidity (a balance is 0), MaxRatioExceeded.

    >>> calc_out_given_in(10**21, 8 * 10**17, 10**21, 2 * 10**17, 10**18, fee_bps=0)
    3990019965055916119
    """
    if amount_in <= 0:
        raise ZeroAmount(f"calc_out_given_in needs amount_in > 0, got {amount_in}")
    _check_balances(balance_in, balance_out)
    if max_in_ratio is not None and amount_in * ONE > balance_in * max_in_ratio:
        raise MaxRatioExceeded(
            f"swap pays in amount_in={amount_in} but at most {max_in_ratio / ONE:.0%} of "
            f"balance_in={balance_in} ({balance_in * max_in_ratio // ONE}) is allowed; sell "
            "less or split the trade"
        )
    scaled_in = balance_in * BPS
    adjusted_in = scaled_in + amount_in * (BPS - fee_bps)
    if weight_in == weight_out:  # x·y = k: Uniswap's get_amount_out
        return (adjusted_in - scaled_in) * balance_out // adjusted_in
    exponent = exact_exponent(weight_in, weight_out)
    if exponent is not None:
        p, q = exponent
        kept = -((-(balance_out**q) * scaled_in**p) // adjusted_in**p)  # ceil
        return balance_out - iroot_up(kept, q)
    high = pow_up(scaled_in, adjusted_in, weight_in, weight_out)
    return max(0, (balance_out * (_FP_ONE - high)) >> _P)


def calc_in_given_out(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int,
    amount_out: int, fee_bps: int = 30, max_out_ratio: int | None = MAX_OUT_RATIO,
) -> int:  # fmt: skip
    """Return what buying ``amount_out`` costs: ``D/f·((B_out/b)^(w_out/w_in) - 1)``.

    ``D = B_in·BPS``, ``f = BPS - fee_bps``, ``b = B_out - a_out``. With an exact
    exponent ``p/q`` it is ``ceil((ceil((D^q·B_out^p / b^p)^(1/q)) - D) / f)`` in integers;
    otherwise ``exp``/``ln`` bounds.

    Args:
        balance_in: Pool balance of the input token (> 0).
        weight_in: Its normalised weight (18 decimals).
        balance_out: Pool balance of the output token (> 0).
        weight_out: Its weight; ``weight_in + weight_out == ONE``.
        amount_out: Base units wanted (> 0, <= ``max_out_ratio`` of ``balance_out``).
        fee_bps: Swap fee in basis points.
        max_out_ratio: Balancer's guard, 18 decimals (30 %); ``None`` for none (valuation).

    Returns:
        Base units of the input token (>= 1), rounded up — favours the pool: the exact
        ceiling of the real formula for an exact exponent (at 50/50 Uniswap's
        ``get_amount_in`` or one less: Uniswap adds one even to an exact quotient), else
        the ceiling of an upper bound.

    Raises:
        ZeroAmount, InsufficientLiquidity (a balance is 0 or ``amount_out >= balance_out``),
        MaxRatioExceeded.

    >>> calc_in_given_out(10**21, 8 * 10**17, 10**21, 2 * 10**17, 10**18, fee_bps=0)
    250156367282795848
    """
    if amount_out <= 0:
        raise ZeroAmount(f"calc_in_given_out needs amount_out > 0, got {amount_out}")
    _check_balances(balance_in, balance_out)
    if amount_out >= balance_out:
        raise InsufficientLiquidity(
            f"swap asks amount_out={amount_out} but reserve_out={balance_out}; ask for less "
            "than reserve_out"
        )
    if max_out_ratio is not None and amount_out * ONE > balance_out * max_out_ratio:
        raise MaxRatioExceeded(
            f"swap asks amount_out={amount_out} but at most {max_out_ratio / ONE:.0%} of "
            f"balance_out={balance_out} ({balance_out * max_out_ratio // ONE}) may leave; buy "
            "less or split the trade"
        )
    balance_after = balance_out - amount_out
    fee_factor = BPS - fee_bps
    scaled_in = balance_in * BPS
    if weight_in == weight_out:
        return -((-scaled_in * amount_out) // (balance_after * fee_factor))
    exponent = exact_exponent(weight_out, weight_in)
    if exponent is not None:
        p, q = exponent
        grown = iroot_up(-((-(scaled_in**q) * balance_out**p) // balance_after**p), q)
        return max(1, -((scaled_in - grown) // fee_factor))
    high = pow_up(balance_out, balance_after, weight_out, weight_in)
    return max(1, -((-scaled_in * (high - _FP_ONE)) // (fee_factor << _P)))


def max_amount_in(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int,
    fee_bps: int, slippage_bps: int,
) -> int:  # fmt: skip
    """Return the largest input whose output is worth at least ``(1 - s)`` of its spot value.

    Selling ``a`` pays ``out(a)`` against a spot value of ``a·B_out·w_in / (B_in·w_out)``;
    with ``u = a·f / (B_in·BPS)`` and ``y = w_in/w_out`` their ratio is
    ``(f/BPS)·(1 - (1 + u)^-y) / (y·u)``, falling in ``u``. At 50/50 this is
    :func:`simfl.chain.amm.max_amount_in`. Otherwise the root is bracketed in floats
    (a search, not accounting), one part in a thousand is kept back as the constant-product
    version does, and the candidate is then checked with the exact integer
    :func:`calc_out_given_in` against ``spot·(BPS - s) // BPS``, shrinking by 0.1 % until
    it passes. No ratio guard here: the caller caps at 30 % if its swaps do.

    Returns:
        Base units of the input token, 0 when ``slippage_bps <= fee_bps``; rounded down —
        an order of this size always meets that ``min_out``.
    """
    s, f = slippage_bps, fee_bps
    if s <= f or s >= BPS or balance_in <= 0 or balance_out <= 0:
        return 0
    if weight_in == weight_out:
        return amm_max_amount_in(balance_in, fee_bps, slippage_bps)
    y = weight_in / weight_out
    target = (BPS - s) / (BPS - f)

    def keeps(u: float) -> bool:  # (1 - (1+u)^-y) / (y·u) >= target
        return -expm1(-y * log1p(u)) >= target * y * u

    low, high = 0.0, 1e-6
    while keeps(high) and high < 1e12:
        low, high = high, high * 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if keeps(mid) else (low, mid)
    amount = int(low * balance_in * BPS / (BPS - f)) * 999 // 1000
    spot_num, spot_den = balance_out * weight_in, balance_in * weight_out
    while amount > 0:
        out = calc_out_given_in(balance_in, weight_in, balance_out, weight_out, amount, f, None)
        if out >= amount * spot_num // spot_den * (BPS - s) // BPS:
            return amount
        amount = amount * 999 // 1000
    return 0


def _check_balances(balance_in: int, balance_out: int) -> None:
    if balance_in <= 0 or balance_out <= 0:
        raise InsufficientLiquidity(
            f"weighted swap needs both balances > 0, got balance_in={balance_in}, "
            f"balance_out={balance_out}; add liquidity first"
        )


# ------------------------------------------------------------------ invariant, price, genesis
def invariant(balance0: int, weight0: int, balance1: int, weight1: int) -> int:
    """Return ``B0^w0 · B1^w1`` (a weighted geometric mean, in base units).

    Returns:
        Rounded down — favours the pool; ``isqrt(B0·B1)`` exactly at 50/50, else the floor
        of a lower bound (at most one below the floor).

    >>> invariant(4 * 10**18, 5 * 10**17, 9 * 10**18, 5 * 10**17)
    6000000000000000000
    """
    if balance0 <= 0 or balance1 <= 0:
        return 0
    if weight0 == weight1:
        return isqrt(balance0 * balance1)
    return (balance1 * pow_down(balance0, balance1, weight0, weight0 + weight1)) >> _P


def spot_price(
    balance_token: int, weight_token: int, balance_base: int, weight_base: int
) -> Fraction:
    """Return the spot price of one base unit of ``token`` in base units of ``base``.

    ``(B_base / w_base) / (B_token / w_token)``: the marginal rate of an infinitesimal
    swap, no fee. At 50/50 it is ``B_base / B_token``, Uniswap's; in an 80/20 pool whose
    token has weight 0.2 it is ``B_base / (4·B_token)``: the base side holds 80 % of the
    value.

    Returns:
        An exact ``Fraction`` — no rounding.

    >>> spot_price(10**18, 2 * 10**17, 4 * 10**18, 8 * 10**17)
    Fraction(1, 1)
    """
    return Fraction(balance_base * weight_token, balance_token * weight_base)


def genesis_token_amount(
    base_amount: int, price_num: int, price_den: int, token_weight: int
) -> int:
    """Return the token amount to deposit with ``base_amount`` so the pool opens at a price.

    Solves ``spot_price = price_num / price_den`` (base units of BASE per base unit of the
    token) for ``B_token = B_base·w_token·price_den / (w_base·price_num)``, BASE's weight
    being ``ONE - token_weight``. At 50/50 with ``price_num/price_den = seed_base/seed_tokens``
    and ``base_amount = seed_base`` it returns ``seed_tokens``.

    Returns:
        Base units of the token, rounded to nearest (halves up): the opening price is off
        the genesis price by at most half a token unit in ``B_token``, i.e. a relative
        ``0.5 / B_token``.

    >>> genesis_token_amount(10_000 * 10**18, 1, 1, 2 * 10**17)  # 80/20 at price 1
    2500000000000000000000
    """
    base_weight = ONE - token_weight
    if base_amount <= 0 or price_num <= 0 or price_den <= 0 or not 0 < token_weight < ONE:
        raise ValueError(
            f"genesis_token_amount needs base_amount, price_num, price_den > 0 and "
            f"0 < token_weight < {ONE}; got {base_amount}, {price_num}, {price_den}, "
            f"{token_weight}"
        )
    numerator = base_amount * token_weight * price_den
    denominator = base_weight * price_num
    return (2 * numerator + denominator) // (2 * denominator)
