"""The weighted pool on the ledger: construction, genesis, swaps, liquidity, fees, journal,
refusals that change nothing, and the router working on it through the Pool interface.
Expected values come from the 80-digit decimal reference in test_weighted_math."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simfl.chain import (
    LOCKED_ACCOUNT,
    MINIMUM_LIQUIDITY,
    ConstantProductPool,
    InsufficientFirstDeposit,
    InsufficientLiquidity,
    InsufficientOutputAmount,
    InsufficientTraderBalance,
    KInvariantFailed,
    Ledger,
    MaxRatioExceeded,
    Pool,
    SlippageExceeded,
    TokenNotInPool,
    WeightedPool,
    ZeroAmount,
    genesis_token_amount,
    router,
)
from simfl.errors import AmmError
from tests.chain.test_weighted_math import ceil_dec, floor_dec, ref_in, ref_log_invariant, ref_out

E18 = 10**18
W80, W20 = 8 * 10**17, 2 * 10**17


def make_pool(
    reserve0: int = 0, reserve1: int = 0, weights: tuple[int, int] = (W80, W20), fee_bps: int = 30
) -> tuple[Ledger, WeightedPool]:
    """BASE/CST pool seeded by "lp"; "trader" and "lp" hold 10**30 of each token."""
    ledger = Ledger()
    for token in ("BASE", "CST"):
        ledger.register_token(token)
        ledger.mint(token, "trader", 10**30)
        ledger.mint(token, "lp", 10**30)
    pool = WeightedPool(ledger, "BASE", "CST", weights=weights, fee_bps=fee_bps)
    if reserve0:
        pool.add_liquidity("lp", reserve0, reserve1)
    return ledger, pool


def state(ledger: Ledger, pool: WeightedPool) -> tuple[Any, ...]:
    return ledger.snapshot(), pool.volume_in, pool.fees_total(), pool.fees_settled()


# ----------------------------------------------------------------------- construction
def test_the_pool_implements_the_pool_interface() -> None:
    _, pool = make_pool()
    assert isinstance(pool, Pool)
    assert pool.weights == (W80, W20)
    assert pool.weight_of("CST") == W20


@pytest.mark.parametrize(
    ("weights", "error", "text"),
    [
        ((W80, W80), ValueError, r"got \(8\d{17}, 8\d{17}\), summing to 16\d{17}$"),
        ((10**18, 0), ValueError, r"each >= 10000000000000000 .*got \(10+, 0\)"),
        ((0.8, 0.2), TypeError, "got float 0.8"),
        ((W80,), TypeError, "two 18-decimal ints"),
        ((True, W20), TypeError, "got bool"),
    ],
)
def test_bad_weights_are_refused_with_what_is_expected(
    weights: Any, error: type[Exception], text: str
) -> None:
    ledger = Ledger()
    ledger.register_token("A")
    ledger.register_token("B")
    with pytest.raises(error, match=text):
        WeightedPool(ledger, "A", "B", weights=weights)
    assert ledger.tokens() == ["A", "B"]  # no LP token registered


def test_bad_fee_and_same_token_are_refused() -> None:
    ledger = Ledger()
    ledger.register_token("A")
    ledger.register_token("B")
    with pytest.raises(ValueError, match="fee_bps"):
        WeightedPool(ledger, "A", "B", weights=(W80, W20), fee_bps=10_000)
    with pytest.raises(AmmError, match="two different tokens"):
        WeightedPool(ledger, "A", "A", weights=(W80, W20))


# ----------------------------------------------------------------------- liquidity
def test_first_mint_is_the_weighted_geometric_mean_and_locks_minimum_liquidity() -> None:
    ledger, pool = make_pool()
    b0, b1 = 8_000 * E18, 3_000 * E18
    minted = pool.add_liquidity("lp", b0, b1)
    expected = floor_dec(ref_log_invariant(b0, W80, b1, W20).exp())
    assert minted == expected - MINIMUM_LIQUIDITY
    assert pool.total_liquidity == expected
    assert ledger.balance(pool.lp_token, LOCKED_ACCOUNT) == MINIMUM_LIQUIDITY
    assert (
        pool.reserves
        == (b0, b1)
        == (
            ledger.balance("BASE", pool.address),
            ledger.balance("CST", pool.address),
        )
    )


def test_first_mint_at_fifty_fifty_is_uniswaps() -> None:
    _, weighted = make_pool(weights=(5 * 10**17, 5 * 10**17))
    ledger = Ledger()
    for token in ("BASE", "CST"):
        ledger.register_token(token)
        ledger.mint(token, "lp", 10**30)
    cp = ConstantProductPool(ledger, "BASE", "CST")
    assert weighted.add_liquidity("lp", 7 * E18, 3 * E18) == cp.add_liquidity(
        "lp", 7 * E18, 3 * E18
    )


def test_tiny_first_deposit_is_refused_and_changes_nothing() -> None:
    ledger, pool = make_pool()
    before = state(ledger, pool)
    with pytest.raises(InsufficientFirstDeposit, match="MINIMUM_LIQUIDITY=1000"):
        pool.add_liquidity("lp", 1000, 1000)
    assert state(ledger, pool) == before


def test_later_deposits_and_withdrawals_are_proportional() -> None:
    ledger, pool = make_pool(8_000 * E18, 3_000 * E18)
    supply = pool.total_liquidity
    minted = pool.add_liquidity("trader", 800 * E18, 600 * E18)  # the CST side is excess
    assert minted == 800 * E18 * supply // (8_000 * E18)
    assert pool.reserves == (8_800 * E18, 3_600 * E18)
    supply = pool.total_liquidity
    out0, out1 = pool.remove_liquidity("trader", minted)
    assert (out0, out1) == (minted * 8_800 * E18 // supply, minted * 3_600 * E18 // supply)
    ledger.check_invariants()


def test_liquidity_journal_matches_the_constant_product_pool() -> None:
    ledger, pool = make_pool()
    start = len(ledger.events)
    minted = pool.add_liquidity("lp", 8_000 * E18, 3_000 * E18)
    kinds = [event[0] for event in ledger.events[start:]]
    assert kinds == ["add_liquidity", "transfer", "transfer", "mint", "mint"]
    assert ledger.events[start] == ("add_liquidity", pool.lp_token, "lp", pool.address, minted)
    start = len(ledger.events)
    pool.remove_liquidity("lp", minted // 2)
    kinds = [event[0] for event in ledger.events[start:]]
    assert kinds == ["remove_liquidity", "burn", "transfer", "transfer"]


# ----------------------------------------------------------------------- genesis and price
@pytest.mark.parametrize("token_weight", [2 * 10**17, 5 * 10**17, 8 * 10**17])
def test_pool_opens_at_the_genesis_price_for_any_weight(token_weight: int) -> None:
    seed_base, seed_tokens = 10_000 * E18, 4_000 * E18  # genesis price 2.5 BASE per CST
    tokens = genesis_token_amount(seed_base, seed_base, seed_tokens, token_weight)
    _, pool = make_pool(seed_base, tokens, weights=(10**18 - token_weight, token_weight))
    assert pool.price("CST") == pytest.approx(2.5, rel=1e-15)
    assert pool.price("BASE") == pytest.approx(0.4, rel=1e-15)
    # an infinitesimal trade pays the spot price (minus the fee)
    out = pool.quote_exact_in("BASE", 10**6 * 10**3)
    assert out == pytest.approx(10**9 / 2.5 * 0.997, rel=1e-5)


def test_price_divides_each_reserve_by_its_weight() -> None:
    _, pool = make_pool(8_000 * E18, 500 * E18)  # BASE 80 %, CST 20 %
    assert pool.spot_price("CST") == 4  # (8000/0.8) / (500/0.2)
    assert pool.price("CST") == 4.0
    assert pool.price("BASE") == 0.25
    with pytest.raises(InsufficientLiquidity, match="empty"):
        make_pool()[1].price("CST")


# ----------------------------------------------------------------------- swaps
def test_swap_exact_in_pays_the_floor_of_the_real_formula_and_journals_two_legs() -> None:
    ledger, pool = make_pool(8_000 * E18, 3_000 * E18)
    amount = 37 * E18 + 123
    expected = floor_dec(ref_out(3_000 * E18, W20, 8_000 * E18, W80, amount, 30))
    assert pool.quote_exact_in("CST", amount) == expected
    start = len(ledger.events)
    out = pool.swap_exact_in("trader", "CST", amount, min_out=expected)
    assert out == expected
    assert ledger.events[start:] == [
        ("swap", "CST", "trader", pool.address, amount),
        ("swap", "BASE", pool.address, "trader", expected),
    ]
    assert pool.reserves == (8_000 * E18 - expected, 3_000 * E18 + amount)
    assert pool.volume_in == {"BASE": 0, "CST": amount}
    assert pool.swap_count == 1
    ledger.check_invariants()


def test_swap_exact_out_charges_the_ceiling_of_the_real_formula() -> None:
    ledger, pool = make_pool(8_000 * E18, 3_000 * E18, fee_bps=100)
    wanted = 250 * E18 + 7
    expected = ceil_dec(ref_in(8_000 * E18, W80, 3_000 * E18, W20, wanted, 100))
    assert pool.quote_exact_out("CST", wanted) == expected
    before = ledger.balance("BASE", "trader")
    before_state = state(ledger, pool)
    with pytest.raises(SlippageExceeded, match=f"costs {expected} BASE, above max_in"):
        pool.swap_exact_out("trader", "CST", wanted, expected - 1)
    assert state(ledger, pool) == before_state
    assert pool.swap_exact_out("trader", "CST", wanted, expected) == expected
    assert ledger.balance("BASE", "trader") == before - expected


def test_low_level_swap_accepts_the_invariant_and_refuses_one_unit_more() -> None:
    ledger, pool = make_pool(8_000 * E18, 3_000 * E18)
    amount = 50 * E18
    fair = floor_dec(ref_out(8_000 * E18, W80, 3_000 * E18, W20, amount, 30))
    before = state(ledger, pool)
    with pytest.raises(KInvariantFailed, match="would lower the invariant"):
        pool.swap("trader", "BASE", amount, fair + 1)
    assert state(ledger, pool) == before
    pool.swap("trader", "BASE", amount, fair)
    assert pool.reserves == (8_050 * E18, 3_000 * E18 - fair)


def test_refused_swaps_change_nothing() -> None:
    ledger, pool = make_pool(8_000 * E18, 3_000 * E18)
    ledger.mint("BASE", "poor", 5)
    before = state(ledger, pool)
    cases: list[tuple[type[Exception], Any]] = [
        (TokenNotInPool, lambda: pool.swap_exact_in("trader", "XYZ", E18)),
        (ZeroAmount, lambda: pool.swap_exact_in("trader", "BASE", 0)),
        (TypeError, lambda: pool.swap_exact_in("trader", "BASE", 1.5)),
        (ValueError, lambda: pool.swap_exact_in("trader", "BASE", -1)),
        (InsufficientOutputAmount, lambda: pool.swap_exact_in("trader", "CST", 1)),
        (SlippageExceeded, lambda: pool.swap_exact_in("trader", "BASE", E18, 10**30)),
        (InsufficientTraderBalance, lambda: pool.swap_exact_in("poor", "BASE", 6)),
        (MaxRatioExceeded, lambda: pool.swap_exact_in("trader", "BASE", 2_400 * E18 + 1)),
        (MaxRatioExceeded, lambda: pool.swap_exact_out("trader", "CST", 901 * E18, 10**30)),
        (AmmError, lambda: pool.swap_exact_in(pool.address, "BASE", E18)),
        (AmmError, lambda: pool.swap_exact_in(LOCKED_ACCOUNT, "BASE", E18)),
    ]
    for error, call in cases:
        with pytest.raises(error):
            call()
        assert state(ledger, pool) == before, error


def test_max_ratio_guard_can_be_turned_off() -> None:
    ledger = Ledger()
    for token in ("BASE", "CST"):
        ledger.register_token(token)
        ledger.mint(token, "lp", 10**30)
    pool = WeightedPool(ledger, "BASE", "CST", weights=(W80, W20), max_ratio=None)
    pool.add_liquidity("lp", 1_000 * E18, 1_000 * E18)
    amount = 5_000 * E18
    assert pool.swap_exact_in("lp", "BASE", amount) == floor_dec(
        ref_out(1_000 * E18, W80, 1_000 * E18, W20, amount, 30)
    )


def test_empty_pool_refuses_swaps() -> None:
    _ledger, pool = make_pool()
    with pytest.raises(InsufficientLiquidity, match="empty"):
        pool.swap_exact_in("trader", "BASE", E18)


# ----------------------------------------------------------------------- fees
def test_fees_are_settled_exactly_to_lp_holders_before_liquidity_changes() -> None:
    _ledger, pool = make_pool(8_000 * E18, 3_000 * E18)
    pool.swap_exact_in("trader", "BASE", 1_000 * E18 + 1)
    pool.swap_exact_in("trader", "CST", 7 * E18)
    assert pool.fees_total() == ((1_000 * E18 + 1) * 30 // 10_000, 7 * E18 * 30 // 10_000)
    pool.add_liquidity("trader", 80 * E18, 30 * E18)  # settles first: all to "lp" and locked
    fees_lp, fees_locked = pool.fees_of("lp"), pool.fees_of(LOCKED_ACCOUNT)
    assert pool.fees_of("trader") == (0, 0)
    assert tuple(a + b for a, b in zip(fees_lp, fees_locked)) == pool.fees_total()


# ----------------------------------------------------------------------- the router on it
def test_router_values_and_trades_through_the_interface() -> None:
    ledger, pool = make_pool(8_000 * E18, 2_000 * E18)
    held = 5_000 * E18  # more than the swap guard allows: valuation ignores the guard
    assert router.spot_value(pool, "CST", held) == held * 8_000 * W20 // (2_000 * W80)
    assert router.liquidation_value(pool, "CST", held) == floor_dec(
        ref_out(2_000 * E18, W20, 8_000 * E18, W80, held, 30)
    )
    result = router.swap_within(pool, "trader", "CST", 10**30, 300)
    assert result is not None
    assert result.amount_out >= result.spot_out * 9_700 // 10_000
    ledger.check_invariants()


def test_invariant_grows_on_swaps_with_a_fee() -> None:
    _, pool = make_pool(8_000 * E18, 3_000 * E18)
    r0, r1 = pool.reserves
    pool.swap_exact_in("trader", "BASE", 100 * E18)
    n0, n1 = pool.reserves
    assert ref_log_invariant(n0, W80, n1, W20) > ref_log_invariant(r0, W80, r1, W20)
    assert pool.invariant >= floor_dec(Decimal(ref_log_invariant(r0, W80, r1, W20)).exp())


@settings(max_examples=150, deadline=None)
@given(
    reserves=st.tuples(st.integers(10**6, 10**27), st.integers(10**6, 10**27)),
    token_weight=st.one_of(
        st.integers(1, 99).map(lambda k: k * 10**16), st.integers(10**16, 99 * 10**16)
    ),
    fee_bps=st.sampled_from([0, 5, 30, 100]),
    slippage_bps=st.integers(1, 5_000),
    sell_base=st.booleans(),
)
def test_router_orders_within_a_slippage_cap_always_meet_their_min_out(
    reserves: tuple[int, int], token_weight: int, fee_bps: int, slippage_bps: int, sell_base: bool
) -> None:
    weights = (10**18 - token_weight, token_weight)
    ledger, pool = make_pool(*reserves, weights=weights, fee_bps=fee_bps)
    before = state(ledger, pool)
    token = "BASE" if sell_base else "CST"
    reserve_in = pool.reserve_of(token)
    result = router.swap_within(pool, "trader", token, 10**30, slippage_bps)  # never refused
    if slippage_bps <= fee_bps:
        assert result is None and state(ledger, pool) == before
    elif result is not None:
        assert result.amount_out >= result.spot_out * (10_000 - slippage_bps) // 10_000
        assert result.amount_in * 10 <= reserve_in * 3  # within the 30% guard
