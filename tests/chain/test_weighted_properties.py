"""Weighted-pool properties over random operation sequences, checked after every operation.

As for the constant-product pool (test_properties.py): random mints, transfers,
donations, swaps both ways (exact in, exact out, low level), round trips, deposits and
withdrawals, many deliberately invalid. After each: supplies are conserved, no balance is
negative, the journal replays to the ledger, reserves are the pool's ledger balances, a
refused operation changed nothing, the invariant ``Π B^w`` never fell on a swap (and grew
with a fee), and the invariant per LP unit never fell. Invariants are measured with the
80-digit decimal reference, not with the code under test.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from simfl.chain import ConstantProductPool, Ledger, WeightedPool, replay
from simfl.chain.weighted_math import ONE
from simfl.errors import SimflError
from tests.chain.test_properties import ledger_balances, replay_rows
from tests.chain.test_weighted_math import PREC, ref_log_invariant

ACCOUNTS = ("alice", "bob", "lp")
TOKENS = ("T0", "T1")

amounts = st.one_of(
    st.integers(0, 10),
    st.integers(0, 10**6),
    st.integers(0, 10**21),
    st.integers(10**21, 10**25),
    st.sampled_from([-1, 1.5, True]),  # refused by type / sign checks
)
accounts = st.sampled_from(ACCOUNTS)
tokens = st.sampled_from(TOKENS)
operations = st.one_of(
    st.tuples(st.just("mint"), tokens, accounts, amounts),
    st.tuples(st.just("transfer"), tokens, accounts, accounts, amounts),
    st.tuples(st.just("donate"), tokens, accounts, st.integers(0, 10**18)),
    st.tuples(st.just("swap_in"), accounts, tokens, amounts, st.integers(0, 10**20)),
    st.tuples(st.just("swap_out"), accounts, tokens, amounts, amounts),
    st.tuples(st.just("swap_raw"), accounts, tokens, amounts, amounts),
    st.tuples(st.just("round_trip"), accounts, tokens, amounts),
    st.tuples(st.just("add"), accounts, amounts, amounts),
    st.tuples(st.just("remove"), accounts, st.integers(0, 10**24)),
)
SWAPS = ("swap_in", "swap_out", "swap_raw")
weights = st.one_of(
    st.integers(1, 99).map(lambda k: k * 10**16),  # whole percent: mostly exact roots
    st.integers(10**16, 99 * 10**16),  # any 18-decimal weight: exp/ln path
)


def pool_state(ledger: Ledger, pool: WeightedPool) -> tuple[Any, ...]:
    return ledger.snapshot(), pool.volume_in, pool.fees_settled()


def apply(pool: WeightedPool, op: tuple[Any, ...]) -> None:
    ledger = pool.ledger
    kind, *args = op
    if kind == "mint":
        ledger.mint(*args)
    elif kind == "transfer":
        ledger.transfer(*args)
    elif kind == "donate":
        token, sender, amount = args
        ledger.transfer(token, sender, pool.address, amount)
    elif kind == "swap_in":
        trader, token, amount, min_out = args
        pool.swap_exact_in(trader, token, amount, min_out)
    elif kind == "swap_out":
        trader, token, amount, max_in = args
        pool.swap_exact_out(trader, token, amount, max_in)
    elif kind == "swap_raw":
        trader, token, amount_in, amount_out = args
        pool.swap(trader, token, amount_in, amount_out)
    elif kind == "round_trip":
        trader, token, amount = args
        held_before = ledger.balance(token, trader)
        out = pool.swap_exact_in(trader, token, amount)
        try:
            back = pool.swap_exact_in(trader, pool.other(token), out)
        except SimflError:
            back = 0
        assert back <= amount, f"round trip of {amount} {token} returned {back}"
        assert ledger.balance(token, trader) <= held_before
    elif kind == "add":
        pool.add_liquidity(*args)
    elif kind == "remove":
        provider, liquidity = args
        held = ledger.balance(pool.lp_token, provider)
        pool.remove_liquidity(provider, min(liquidity, held) if held else liquidity)


def log_invariant(pool: WeightedPool) -> Decimal | None:
    r0, r1 = pool.reserves
    if r0 == 0 or r1 == 0:
        return None
    return ref_log_invariant(r0, pool.weights[0], r1, pool.weights[1])


@settings(max_examples=200, deadline=None)
@given(
    weight0=weights,
    fee_bps=st.sampled_from([0, 5, 30, 100]),
    seed=st.sampled_from([None, (10**21, 10**21), (10**18, 3 * 10**24), (10**4, 10**4)]),
    ops=st.lists(operations, max_size=25),
)
def test_random_operations_keep_every_invariant(
    weight0: int, fee_bps: int, seed: tuple[int, int] | None, ops: list[tuple[Any, ...]]
) -> None:
    ledger = Ledger()
    for token in TOKENS:
        ledger.register_token(token)
        for account in ACCOUNTS:
            ledger.mint(token, account, 10**25)
    pool = WeightedPool(ledger, "T0", "T1", weights=(weight0, ONE - weight0), fee_bps=fee_bps)
    if seed:
        pool.add_liquidity("lp", *seed)

    for op in ops:
        before = pool_state(ledger, pool)
        log_v = log_invariant(pool)
        supply = pool.total_liquidity
        try:
            apply(pool, op)
        except (SimflError, TypeError, ValueError):
            assert pool_state(ledger, pool) == before, f"refused {op} changed state"
            event(f"{op[0]} refused")
            continue
        event(f"{op[0]} accepted")

        ledger.check_invariants()
        assert replay_rows(ledger.event_rows()) == ledger_balances(ledger)
        assert replay(ledger.events) == ledger_balances(ledger)
        assert pool.reserves == (
            ledger.balance("T0", pool.address),
            ledger.balance("T1", pool.address),
        )
        new_log_v = log_invariant(pool)
        new_supply = pool.total_liquidity
        if op[0] in SWAPS and log_v is not None:
            assert new_log_v is not None
            if fee_bps > 0:
                assert new_log_v > log_v, f"invariant did not grow on {op}"
            else:
                assert new_log_v >= log_v, f"invariant fell on {op}"
        if log_v is not None and new_log_v is not None and supply > 0:
            # invariant per LP unit never falls: ln V' - ln S' >= ln V - ln S
            with localcontext() as ctx:
                ctx.prec = PREC
                per_unit_before = log_v - Decimal(supply).ln()
                per_unit_after = new_log_v - Decimal(new_supply).ln()
                assert per_unit_after >= per_unit_before - Decimal("1e-60"), op


swap_steps = st.lists(
    st.tuples(tokens, st.integers(1, 10**24), st.booleans()), min_size=1, max_size=20
)


@settings(max_examples=100, deadline=None)
@given(
    reserves=st.tuples(st.integers(10**4, 10**27), st.integers(10**4, 10**27)),
    fee_bps=st.sampled_from([0, 5, 30, 100]),
    steps=swap_steps,
)
def test_fifty_fifty_pool_trades_like_the_constant_product_pool(
    reserves: tuple[int, int], fee_bps: int, steps: list[tuple[str, int, bool]]
) -> None:
    pools = []
    for kind in ("cp", "weighted"):
        ledger = Ledger()
        for token in TOKENS:
            ledger.register_token(token)
            ledger.mint(token, "lp", 10**28)
            ledger.mint(token, "alice", 10**28)
        if kind == "cp":
            pools.append(ConstantProductPool(ledger, "T0", "T1", fee_bps=fee_bps))
        else:
            half = ONE // 2
            pools.append(WeightedPool(ledger, "T0", "T1", weights=(half, half), fee_bps=fee_bps))
        pools[-1].add_liquidity("lp", *reserves)
    cp, weighted = pools
    for token, amount, exact_in in steps:
        reserve_in = weighted.reserve_of(token)
        if exact_in:
            amount = min(amount, reserve_in * 3 // 10)  # the weighted pool's ratio guard
            outcome = []
            for pool in pools:
                try:
                    outcome.append(pool.swap_exact_in("alice", token, amount))
                except SimflError as error:
                    outcome.append(type(error).__name__)
            assert outcome[1] == outcome[0] or outcome[1] == outcome[0] - 1, outcome
            assert outcome[1] == outcome[0]  # in fact equal
        else:
            wanted = min(amount, weighted.reserve_of(weighted.other(token)) * 3 // 10)
            if wanted == 0:
                continue
            other = weighted.other(token)
            paid_cp = cp.swap_exact_out("alice", other, wanted, 10**30)
            paid_w = weighted.swap_exact_out("alice", other, wanted, 10**30)
            assert paid_cp - 1 <= paid_w <= paid_cp  # Uniswap adds 1 to an exact quotient
        if cp.reserves != weighted.reserves:  # only after an exact-out paid one unit less
            assert not exact_in
            cp_in = cp.reserve_of(token) - weighted.reserve_of(token)
            assert cp_in == 1
            return
