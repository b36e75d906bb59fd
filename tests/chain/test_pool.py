"""The pool against Uniswap v2-core's vectors (swaps, mint, burn, feeTo on/off), the journal,
and refusals that change nothing.
"""

from __future__ import annotations

import re
from math import isqrt
from typing import Any

import pytest

from simfl.chain import (
    LOCKED_ACCOUNT,
    MINIMUM_LIQUIDITY,
    ConstantProductPool,
    InsufficientFirstDeposit,
    InsufficientLiquidity,
    InsufficientLiquidityBurned,
    InsufficientLiquidityMinted,
    InsufficientOutputAmount,
    InsufficientTraderBalance,
    KInvariantFailed,
    Ledger,
    SlippageExceeded,
    TokenNotInPool,
    ZeroAmount,
    get_amount_in,
)
from simfl.errors import AmmError, InsufficientBalance
from tests.chain.vectors import E18, SWAP_VECTORS


def make_pool(
    reserve0: int = 0, reserve1: int = 0, fee_bps: int = 30, fee_to: str | None = None
) -> tuple[Ledger, ConstantProductPool]:
    """A pool seeded by "lp" with the given reserves; "trader" holds 10**30 of each token."""
    ledger = Ledger()
    ledger.register_token("T0")
    ledger.register_token("T1")
    pool = ConstantProductPool(ledger, "T0", "T1", fee_bps=fee_bps, protocol_fee_to=fee_to)
    for token in ("T0", "T1"):
        ledger.mint(token, "trader", 10**30)
        ledger.mint(token, "lp", 10**30)
    if reserve0:
        pool.add_liquidity("lp", reserve0, reserve1)
    return ledger, pool


def state(ledger: Ledger, pool: ConstantProductPool) -> tuple[Any, ...]:
    return ledger.snapshot(), pool.k_last, pool.volume_in, pool.fees_in, pool.swap_count


# ----------------------------------------------------------------------- liquidity
def test_first_mint_locks_minimum_liquidity() -> None:
    ledger, pool = make_pool()
    minted = pool.add_liquidity("lp", 1 * E18, 4 * E18)
    assert minted == 2 * E18 - MINIMUM_LIQUIDITY
    assert pool.total_liquidity == 2 * E18
    assert ledger.balance(pool.lp_token, LOCKED_ACCOUNT) == MINIMUM_LIQUIDITY
    assert pool.reserves == (1 * E18, 4 * E18)
    assert pool.reserves == (
        ledger.balance("T0", pool.address),
        ledger.balance("T1", pool.address),
    )


def test_first_deposit_must_exceed_minimum_liquidity() -> None:
    ledger, pool = make_pool()
    before = state(ledger, pool)
    with pytest.raises(InsufficientFirstDeposit, match=r"isqrt\(1000 \* 1000\) = 1000"):
        pool.add_liquidity("lp", 1000, 1000)
    assert state(ledger, pool) == before
    assert pool.add_liquidity("lp", 1001, 1001) == 1


def test_later_deposit_mints_the_smaller_share_and_takes_both_amounts() -> None:
    _ledger, pool = make_pool(3 * E18, 3 * E18)
    minted = pool.add_liquidity("lp", 1 * E18, 2 * E18)  # unbalanced: the excess is donated
    assert minted == min(1 * E18 * 3 * E18 // (3 * E18), 2 * E18 * 3 * E18 // (3 * E18))
    assert pool.reserves == (4 * E18, 5 * E18)


def test_deposit_too_small_to_mint_is_refused() -> None:
    ledger, pool = make_pool(10**20, 10**20)
    pool.swap_exact_in("trader", "T0", 10**19)
    before = state(ledger, pool)
    with pytest.raises(InsufficientLiquidityMinted, match="mints 0 LP units"):
        pool.add_liquidity("lp", 1, 1)
    assert state(ledger, pool) == before


def test_burn_returns_pro_rata_rounded_down() -> None:
    ledger, pool = make_pool(3 * E18, 3 * E18)
    amounts = pool.remove_liquidity("lp", 3 * E18 - MINIMUM_LIQUIDITY)
    assert amounts == (3 * E18 - 1000, 3 * E18 - 1000)
    assert pool.total_liquidity == MINIMUM_LIQUIDITY
    assert pool.reserves == (1000, 1000)
    ledger.check_invariants()


def test_burning_too_little_to_return_both_tokens_is_refused() -> None:
    ledger, pool = make_pool(10**18, 10**6)
    before = state(ledger, pool)
    with pytest.raises(InsufficientLiquidityBurned, match=r"returns \(100000000000, 0\)"):
        pool.remove_liquidity("lp", 10**5)
    assert state(ledger, pool) == before


def test_burning_more_lp_than_held_is_refused() -> None:
    ledger, pool = make_pool(10**18, 10**18)
    before = state(ledger, pool)
    with pytest.raises(InsufficientTraderBalance, match="exceeds its balance"):
        pool.remove_liquidity("trader", 1)
    assert state(ledger, pool) == before


def test_liquidity_journal_lists_marker_then_state_changes() -> None:
    ledger, pool = make_pool()
    start = len(ledger.events)
    pool.add_liquidity("lp", 1 * E18, 4 * E18)
    lp, address = pool.lp_token, pool.address
    assert ledger.events[start:] == [
        ("add_liquidity", lp, "lp", address, 2 * E18 - 1000),
        ("transfer", "T0", "lp", address, 1 * E18),
        ("transfer", "T1", "lp", address, 4 * E18),
        ("mint", lp, "", LOCKED_ACCOUNT, 1000),
        ("mint", lp, "", "lp", 2 * E18 - 1000),
    ]
    start = len(ledger.events)
    pool.remove_liquidity("lp", 10**18)
    assert [e[0] for e in ledger.events[start:]] == [
        "remove_liquidity",
        "burn",
        "transfer",
        "transfer",
    ]


# ----------------------------------------------------------------------- swaps
@pytest.mark.parametrize(("amount_in", "reserve0", "reserve1", "expected"), SWAP_VECTORS)
def test_swap_vectors_pass_k_and_expected_plus_one_fails(
    amount_in: int, reserve0: int, reserve1: int, expected: int
) -> None:
    ledger, pool = make_pool(reserve0, reserve1)
    before = state(ledger, pool)
    with pytest.raises(KInvariantFailed, match=f"allows at most {expected}"):
        pool.swap("trader", "T0", amount_in, expected + 1)
    assert state(ledger, pool) == before
    pool.swap("trader", "T0", amount_in, expected)
    assert pool.reserves == (reserve0 + amount_in, reserve1 - expected)


@pytest.mark.parametrize(("amount_in", "reserve0", "reserve1", "expected"), SWAP_VECTORS)
def test_swap_exact_in_pays_uniswap_output(
    amount_in: int, reserve0: int, reserve1: int, expected: int
) -> None:
    ledger, pool = make_pool(reserve0, reserve1)
    assert pool.quote_exact_in("T0", amount_in) == expected
    assert pool.swap_exact_in("trader", "T0", amount_in) == expected
    assert pool.reserves == (reserve0 + amount_in, reserve1 - expected)
    assert ledger.balance("T1", "trader") == 10**30 + expected
    ledger.check_invariants()


def test_swap_token1_for_token0() -> None:
    _ledger, pool = make_pool(5 * E18, 10 * E18)
    assert pool.swap_exact_in("trader", "T1", E18) == 453305446940074565
    assert pool.reserves == (5 * E18 - 453305446940074565, 11 * E18)


def test_swap_journals_its_two_legs_only() -> None:
    ledger, pool = make_pool(5 * E18, 10 * E18)
    start = len(ledger.events)
    pool.swap_exact_in("trader", "T0", E18)
    out, address = 1662497915624478906, pool.address
    legs = [("swap", "T0", "trader", address, E18), ("swap", "T1", address, "trader", out)]
    assert ledger.events[start:] == legs
    assert ledger.event_rows()[start:] == [(start, *legs[0]), (start + 1, *legs[1])]
    paid = pool.swap_exact_out("trader", "T0", E18, max_in=10**30)
    assert ledger.events[start + 2 :] == [
        ("swap", "T1", "trader", address, paid),
        ("swap", "T0", address, "trader", E18),
    ]


def test_swap_counters_track_volume_fees_and_count() -> None:
    _, pool = make_pool(5 * E18, 10 * E18)
    pool.swap_exact_in("trader", "T0", 10**18 + 333)
    pool.swap_exact_out("trader", "T0", 10**17, max_in=10**19)
    assert pool.swap_count == 2
    assert pool.volume_in["T0"] == 10**18 + 333
    assert pool.fees_in == {
        "T0": (10**18 + 333) * 30 // 10_000,
        "T1": pool.volume_in["T1"] * 30 // 10_000,
    }


def test_swap_exact_out_pays_get_amount_in() -> None:
    ledger, pool = make_pool(5 * E18, 5 * E18)
    expected_in = get_amount_in(E18, 5 * E18, 5 * E18)
    assert pool.swap_exact_out("trader", "T1", E18, max_in=expected_in) == expected_in
    assert pool.reserves == (5 * E18 + expected_in, 4 * E18)
    ledger.check_invariants()


def test_swap_exact_out_above_max_in_is_refused() -> None:
    ledger, pool = make_pool(5 * E18, 5 * E18)
    before = state(ledger, pool)
    cost = get_amount_in(E18, 5 * E18, 5 * E18)
    with pytest.raises(SlippageExceeded, match=f"costs {cost} T0, above max_in={cost - 1}"):
        pool.swap_exact_out("trader", "T1", E18, max_in=cost - 1)
    assert state(ledger, pool) == before


def test_swap_asking_whole_reserve_is_refused() -> None:
    ledger, pool = make_pool(5000, 4000)
    before = state(ledger, pool)
    with pytest.raises(InsufficientLiquidity, match="amount_out=4000 but reserve_out=4000"):
        pool.swap_exact_out("trader", "T1", 4000, max_in=10**30)
    with pytest.raises(InsufficientLiquidity, match="amount_out=5000 but reserve_out=4000"):
        pool.swap("trader", "T0", 10**30, 5000)
    assert state(ledger, pool) == before


def test_swap_below_min_out_is_refused() -> None:
    ledger, pool = make_pool(5 * E18, 10 * E18)
    before = state(ledger, pool)
    message = "pays 1662497915624478906, below min_out=1662497915624478907"
    with pytest.raises(SlippageExceeded, match=message):
        pool.swap_exact_in("trader", "T0", E18, min_out=1662497915624478907)
    assert state(ledger, pool) == before


def test_swap_paying_out_nothing_is_refused() -> None:
    ledger, pool = make_pool(10**18, 10**6)
    before = state(ledger, pool)
    with pytest.raises(InsufficientOutputAmount, match="pays out 0"):
        pool.swap_exact_in("trader", "T0", 1000)
    assert state(ledger, pool) == before


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda p: p.swap_exact_in("trader", "T0", 0), ZeroAmount, "amount_in must be > 0"),
        (lambda p: p.swap_exact_in("trader", "T0", -1), ValueError, "got -1"),
        (lambda p: p.swap_exact_in("trader", "T0", 1.5), TypeError, "got float 1.5"),
        (lambda p: p.swap_exact_in("trader", "T0", True), TypeError, "got bool True"),
        (lambda p: p.swap_exact_in("trader", "T0", 10, 1.0), TypeError, "min_out"),
        (lambda p: p.swap_exact_in("trader", "XX", 10), TokenNotInPool, "use 'T0' or 'T1'"),
        (lambda p: p.swap_exact_in("", "T0", 10), TypeError, "trader must be"),
        (lambda p: p.swap_exact_in(p.address, "T0", 10), AmmError, "is reserved"),
        (lambda p: p.swap_exact_out("trader", "T1", 0, 10), ZeroAmount, "amount_out"),
        (lambda p: p.swap("trader", "T0", 0, 1), ZeroAmount, "amount_in must be > 0"),
        (lambda p: p.add_liquidity("lp", 0, 10), ZeroAmount, "both amounts > 0"),
        (lambda p: p.remove_liquidity("lp", 0), ZeroAmount, "liquidity > 0"),
        (lambda p: p.remove_liquidity(LOCKED_ACCOUNT, 1), AmmError, "is reserved"),
    ],
)
def test_bad_requests_raise_and_change_nothing(call: Any, error: type, text: str) -> None:
    ledger, pool = make_pool(10**18, 10**18)
    before = state(ledger, pool)
    with pytest.raises(error, match=re.escape(text)):
        call(pool)
    assert state(ledger, pool) == before


def test_trader_lacking_balance_is_refused_with_numbers() -> None:
    ledger, pool = make_pool(10**18, 10**18)
    ledger.mint("T0", "poor", 5)
    before = state(ledger, pool)
    message = "transfer of 6 T0 from 'poor' exceeds its balance 5"
    with pytest.raises(InsufficientTraderBalance, match=re.escape(message)) as caught:
        pool.swap_exact_in("poor", "T0", 6)
    assert isinstance(caught.value, InsufficientBalance) and isinstance(caught.value, AmmError)
    with pytest.raises(InsufficientTraderBalance):
        pool.add_liquidity("poor", 6, 6)
    assert state(ledger, pool) == before


def test_swap_on_empty_pool_is_refused() -> None:
    _ledger, pool = make_pool()
    with pytest.raises(InsufficientLiquidity, match="is empty"):
        pool.swap_exact_in("trader", "T0", 10)
    with pytest.raises(InsufficientLiquidity, match="is empty"):
        pool.price("T0")


def test_zero_fee_pool_keeps_k_and_pays_more() -> None:
    _, pool = make_pool(5 * E18, 10 * E18, fee_bps=0)
    out = pool.swap_exact_in("trader", "T0", E18)
    assert out == E18 * 10 * E18 // (6 * E18)
    assert pool.fees_in["T0"] == 0


def test_views_report_reserves_price_and_other_token() -> None:
    _, pool = make_pool(2 * E18, 8 * E18)
    assert pool.reserve_of("T1") == 8 * E18
    assert pool.other("T0") == "T1"
    assert pool.price("T0") == 4.0
    assert pool.price("T1") == 0.25
    assert pool.lp_token == "LP:T0/T1"
    assert "reserves=(2000000000000000000, 8000000000000000000)" in repr(pool)


def test_pool_refuses_bad_construction() -> None:
    ledger = Ledger()
    ledger.register_token("A")
    with pytest.raises(AmmError, match="two different tokens"):
        ConstantProductPool(ledger, "A", "A")
    ledger.register_token("B")
    with pytest.raises(ValueError, match=r"fee_bps must be an int in \[0, 10000\)"):
        ConstantProductPool(ledger, "A", "B", fee_bps=10_000)


def test_tokens_sent_to_the_pool_count_as_a_donation() -> None:
    ledger, pool = make_pool(10**18, 10**18)
    ledger.transfer("T0", "trader", pool.address, 10**18)
    assert pool.reserves == (2 * 10**18, 10**18)


# ----------------------------------------------------------------------- protocol fee
def test_protocol_fee_on_matches_uniswap_vector() -> None:
    ledger, pool = make_pool(1000 * E18, 1000 * E18, fee_to="fee-to")
    assert pool.k_last == 1000 * E18 * 1000 * E18
    assert pool.swap_exact_in("trader", "T1", E18) == 996006981039903216
    pool.remove_liquidity("lp", 1000 * E18 - MINIMUM_LIQUIDITY)
    assert pool.total_liquidity == MINIMUM_LIQUIDITY + 249750499251388
    assert ledger.balance(pool.lp_token, "fee-to") == 249750499251388
    assert pool.reserves == (1000 + 249501683697445, 1000 + 250000187312969)
    assert pool.k_last == pool.reserves[0] * pool.reserves[1]
    ledger.check_invariants()


def test_protocol_fee_off_mints_nothing_to_anyone() -> None:
    _ledger, pool = make_pool(1000 * E18, 1000 * E18)
    assert pool.swap_exact_in("trader", "T1", E18) == 996006981039903216
    pool.remove_liquidity("lp", 1000 * E18 - MINIMUM_LIQUIDITY)
    assert pool.total_liquidity == MINIMUM_LIQUIDITY
    assert pool.k_last == 0


def test_protocol_fee_is_one_sixth_of_root_k_growth_with_isqrt() -> None:
    ledger, pool = make_pool(10**21, 3 * 10**21, fee_to="fee-to")
    for _ in range(5):
        pool.swap_exact_in("trader", "T0", 7 * 10**19)
        pool.swap_exact_in("trader", "T1", 2 * 10**20)
    r0, r1 = pool.reserves
    supply, root_k, root_k_last = pool.total_liquidity, isqrt(r0 * r1), isqrt(pool.k_last)
    expected = supply * (root_k - root_k_last) // (5 * root_k + root_k_last)
    start = len(ledger.events)
    pool.add_liquidity("lp", 10**18, 10**18)
    assert ledger.balance(pool.lp_token, "fee-to") == expected > 0
    assert [e[0] for e in ledger.events[start : start + 2]] == ["protocol_fee", "mint"]
