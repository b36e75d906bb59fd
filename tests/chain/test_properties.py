"""Properties over random operation sequences, checked after every operation.

Random mints, transfers, donations, swaps both ways, round trips, deposits and
withdrawals, many of them deliberately invalid (overdrafts, zero amounts, slippage
limits, bad types). After each operation: supplies are conserved, no balance is
negative, the journal replays to the ledger's balances, reserves are the pool's ledger
balances, a refused operation changed nothing, k grew on every swap with a fee, and
k/S² never fell without a protocol fee.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from simfl.chain import ConstantProductPool, Ledger, get_amount_in, get_amount_out, k_holds, replay
from simfl.chain.ledger import BURN, MINT, SWAP, TRANSFER
from simfl.errors import SimflError

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
    st.tuples(st.just("round_trip"), accounts, tokens, amounts),
    st.tuples(st.just("add"), accounts, amounts, amounts),
    st.tuples(st.just("remove"), accounts, st.integers(0, 10**24)),
)


def replay_rows(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], int]:
    """Rebuild non-zero balances from exported rows: swap legs are transfers, markers move
    nothing, and ``seq`` counts 0, 1, 2, ... (written independently of ``chain.replay``)."""
    balances: dict[tuple[str, str], int] = defaultdict(int)
    for expected_seq, (seq, kind, token, sender, recipient, amount) in enumerate(rows):
        assert seq == expected_seq
        if kind in (MINT, TRANSFER, SWAP):
            balances[token, recipient] += amount
        if kind in (BURN, TRANSFER, SWAP):
            balances[token, sender] -= amount
    return {key: value for key, value in balances.items() if value}


def ledger_balances(ledger: Ledger) -> dict[tuple[str, str], int]:
    balances = ledger.snapshot()[0]
    return {(t, a): b for t, book in balances.items() for a, b in book.items()}


def pool_state(ledger: Ledger, pool: ConstantProductPool) -> tuple[Any, ...]:
    return ledger.snapshot(), pool.k_last, pool.volume_in, pool.fees_in, pool.swap_count


def apply(pool: ConstantProductPool, op: tuple[Any, ...]) -> None:
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


@settings(max_examples=200, deadline=None)
@given(
    fee_bps=st.sampled_from([0, 5, 30, 100]),
    fee_on=st.booleans(),
    seed=st.sampled_from([None, (10**21, 10**21), (10**18, 3 * 10**24), (10**4, 10**4)]),
    ops=st.lists(operations, max_size=25),
)
def test_random_operations_keep_every_invariant(
    fee_bps: int, fee_on: bool, seed: tuple[int, int] | None, ops: list[tuple[Any, ...]]
) -> None:
    ledger = Ledger()
    for token in TOKENS:
        ledger.register_token(token)
        for account in ACCOUNTS:
            ledger.mint(token, account, 10**25)
    fee_to = "fee-to" if fee_on else None
    pool = ConstantProductPool(ledger, "T0", "T1", fee_bps=fee_bps, protocol_fee_to=fee_to)
    if seed:
        pool.add_liquidity("lp", *seed)

    for op in ops:
        before = pool_state(ledger, pool)
        r0, r1 = pool.reserves
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
        n0, n1 = pool.reserves
        new_supply = pool.total_liquidity
        if op[0] in ("swap_in", "swap_out") and fee_bps > 0:
            assert n0 * n1 > r0 * r1, f"k did not grow on {op}"
        if not fee_on and supply > 0:
            # k/S² never falls: n0·n1 / S'² >= r0·r1 / S²
            assert n0 * n1 * supply * supply >= r0 * r1 * new_supply * new_supply, op


reserves = st.integers(1, 10**30)


@settings(max_examples=300, deadline=None)
@given(amount_in=st.integers(1, 10**30), reserve_in=reserves, reserve_out=reserves)
def test_fee_30_equals_uniswap_and_one_more_unit_fails_k(
    amount_in: int, reserve_in: int, reserve_out: int
) -> None:
    out = get_amount_out(amount_in, reserve_in, reserve_out)
    assert out == amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)
    assert k_holds(amount_in, out, reserve_in, reserve_out)
    if out + 1 < reserve_out:
        assert not k_holds(amount_in, out + 1, reserve_in, reserve_out)


@settings(max_examples=300, deadline=None)
@given(
    reserve_in=reserves,
    reserve_out=st.integers(2, 10**30),
    fraction=st.floats(0.0, 1.0),
    fee_bps=st.integers(0, 9999),
)
def test_get_amount_in_is_at_most_one_above_the_smallest_input_passing_k(
    reserve_in: int, reserve_out: int, fraction: float, fee_bps: int
) -> None:
    amount_out = max(1, min(reserve_out - 1, int(reserve_out * fraction)))
    amount_in = get_amount_in(amount_out, reserve_in, reserve_out, fee_bps)
    assert k_holds(amount_in, amount_out, reserve_in, reserve_out, fee_bps)
    if amount_in >= 3:
        assert not k_holds(amount_in - 2, amount_out, reserve_in, reserve_out, fee_bps)
    assert get_amount_out(amount_in, reserve_in, reserve_out, fee_bps) >= amount_out
