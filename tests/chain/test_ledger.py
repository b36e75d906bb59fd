"""Ledger rules: exact int amounts, one event per state change, refusals change nothing."""

from __future__ import annotations

import re

import pytest

from simfl.chain.ledger import DuplicateToken, Ledger, UnknownToken, check_amount, replay
from simfl.errors import InsufficientBalance, InvariantViolation, LedgerError


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.register_token("BASE")
    ledger.register_token("CST_3", decimals=6)
    ledger.mint("CST_3", "inv-7", 4000)
    return ledger


def test_register_token_returns_symbol_and_starts_empty() -> None:
    ledger = Ledger()
    assert ledger.register_token("BASE") == "BASE"
    assert ledger.total_supply("BASE") == 0
    assert ledger.holders("BASE") == {}
    assert ledger.decimals("BASE") == 18
    assert ledger.tokens() == ["BASE"]


def test_duplicate_symbol_is_refused(ledger: Ledger) -> None:
    with pytest.raises(DuplicateToken, match="'BASE' is already registered"):
        ledger.register_token("BASE")


def test_unknown_token_names_the_known_tokens(ledger: Ledger) -> None:
    with pytest.raises(UnknownToken, match=re.escape("known tokens: ['BASE', 'CST_3']")):
        ledger.balance("CST_9", "inv-7")
    assert issubclass(UnknownToken, LedgerError)


def test_mint_burn_transfer_move_balances_and_supply(ledger: Ledger) -> None:
    ledger.transfer("CST_3", "inv-7", "inv-8", 1500)
    ledger.burn("CST_3", "inv-8", 500)
    assert ledger.balance("CST_3", "inv-7") == 2500
    assert ledger.balance("CST_3", "inv-8") == 1000
    assert ledger.balance("CST_3", "nobody") == 0
    assert ledger.total_supply("CST_3") == 3500
    assert ledger.decimals("CST_3") == 6


def test_each_state_change_journals_exactly_one_event(ledger: Ledger) -> None:
    ledger.transfer("CST_3", "inv-7", "inv-8", 1500)
    ledger.burn("CST_3", "inv-8", 500)
    assert ledger.events == [
        ("mint", "CST_3", "", "inv-7", 4000),
        ("transfer", "CST_3", "inv-7", "inv-8", 1500),
        ("burn", "CST_3", "inv-8", "", 500),
    ]
    assert Ledger.EVENT_FIELDS == ("seq", "kind", "token", "sender", "recipient", "amount")


def test_note_appends_a_marker_without_changing_balances(ledger: Ledger) -> None:
    before = ledger.snapshot()[:2]
    ledger.note("add_liquidity", "LP:x", "inv-7", "pool:x", 10)
    assert ledger.events[-1] == ("add_liquidity", "LP:x", "inv-7", "pool:x", 10)
    assert ledger.snapshot()[:2] == before
    assert replay(ledger.events) == {("CST_3", "inv-7"): 4000}


@pytest.mark.parametrize("kind", ["mint", "burn", "transfer", "swap"])
def test_note_refuses_kinds_that_move_tokens(ledger: Ledger, kind: str) -> None:
    before = ledger.snapshot()
    with pytest.raises(LedgerError, match=f"note kind '{kind}' would move tokens on replay"):
        ledger.note(kind, "CST_3", "inv-7", "pool:x", 10)
    assert ledger.snapshot() == before


def test_holders_lists_only_non_zero_balances(ledger: Ledger) -> None:
    ledger.transfer("CST_3", "inv-7", "inv-8", 4000)
    assert ledger.holders("CST_3") == {"inv-8": 4000}


def test_overdraft_names_token_account_balance_and_amount(ledger: Ledger) -> None:
    message = "transfer of 5000 CST_3 from 'inv-7' exceeds its balance 4000"
    with pytest.raises(InsufficientBalance, match=re.escape(message)):
        ledger.transfer("CST_3", "inv-7", "inv-8", 5000)


def test_overdraft_changes_nothing(ledger: Ledger) -> None:
    before = ledger.snapshot()
    with pytest.raises(InsufficientBalance):
        ledger.transfer("CST_3", "inv-7", "inv-8", 5000)
    with pytest.raises(InsufficientBalance, match="burn of 4001 CST_3"):
        ledger.burn("CST_3", "inv-7", 4001)
    assert ledger.snapshot() == before


@pytest.mark.parametrize(
    ("amount", "error", "text"),
    [
        (1.0, TypeError, "amount must be an int in base units, got float 1.0"),
        (True, TypeError, "got bool True"),
        ("5", TypeError, "got str '5'"),
        (None, TypeError, "got NoneType None"),
        (-1, ValueError, "amount must be >= 0 base units, got -1"),
    ],
)
def test_non_int_or_negative_amounts_are_refused(
    ledger: Ledger, amount: object, error: type[Exception], text: str
) -> None:
    before = ledger.snapshot()
    with pytest.raises(error, match=re.escape(text)):
        ledger.mint("CST_3", "inv-7", amount)  # type: ignore[arg-type]
    assert ledger.snapshot() == before


def test_index_types_are_converted_to_int() -> None:
    class FakeNumpyInt:  # behaves like numpy.int64: has __index__, is not an int
        def __index__(self) -> int:
            return 7

    value = check_amount("amount", FakeNumpyInt())
    assert value == 7 and type(value) is int


def test_accounts_must_be_non_empty_strings(ledger: Ledger) -> None:
    with pytest.raises(TypeError, match="recipient must be a non-empty str"):
        ledger.transfer("CST_3", "inv-7", "", 1)
    with pytest.raises(TypeError, match="account must be a non-empty str"):
        ledger.mint("CST_3", 7, 1)  # type: ignore[arg-type]


def test_transfer_to_self_keeps_balance(ledger: Ledger) -> None:
    ledger.transfer("CST_3", "inv-7", "inv-7", 4000)
    assert ledger.balance("CST_3", "inv-7") == 4000
    ledger.check_invariants()


def test_check_invariants_passes_on_a_consistent_ledger(ledger: Ledger) -> None:
    ledger.transfer("CST_3", "inv-7", "inv-8", 1)
    ledger.check_invariants()


def test_check_invariants_names_token_and_numbers_on_supply_mismatch(ledger: Ledger) -> None:
    ledger._balances["CST_3"]["inv-7"] += 1  # corrupt on purpose
    with pytest.raises(InvariantViolation, match="CST_3: balances sum to 4001 but total supply"):
        ledger.check_invariants()


def test_check_invariants_reports_negative_balances(ledger: Ledger) -> None:
    ledger._balances["CST_3"]["inv-7"] = 4001
    ledger._balances["CST_3"]["inv-8"] = -1
    with pytest.raises(InvariantViolation, match="'inv-8' has negative balance -1"):
        ledger.check_invariants()


def test_snapshot_is_a_deep_copy(ledger: Ledger) -> None:
    snap = ledger.snapshot()
    ledger.mint("CST_3", "inv-7", 1)
    assert snap[0]["CST_3"]["inv-7"] == 4000
    assert snap != ledger.snapshot()


def test_event_rows_are_full_rows_in_export_order(ledger: Ledger) -> None:
    ledger.transfer("CST_3", "inv-7", "inv-8", 1500)
    rows = ledger.event_rows()
    assert rows == [
        (0, "mint", "CST_3", "", "inv-7", 4000),
        (1, "transfer", "CST_3", "inv-7", "inv-8", 1500),
    ]
    assert all(len(row) == len(Ledger.EVENT_FIELDS) for row in rows)
    ledger.burn("CST_3", "inv-8", 500)
    assert len(rows) == 2  # a new list, not a view of the journal


def test_balances_of_is_the_live_mapping(ledger: Ledger) -> None:
    book = ledger.balances_of("CST_3")
    assert book == {"inv-7": 4000}
    ledger.transfer("CST_3", "inv-7", "inv-8", 1500)
    assert book == {"inv-7": 2500, "inv-8": 1500}
    with pytest.raises(UnknownToken):
        ledger.balances_of("CST_9")
