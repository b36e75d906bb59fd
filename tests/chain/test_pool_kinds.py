"""The pool-kind registry (simfl/chain/kinds.py) and the scenario keys that name it:
unknown kinds refused, each kind's genesis opens at the genesis price, first mints and
CST value shares computed by hand or with an 80-digit decimal reference, kind-specific
keys refused for the kinds that do not read them."""

from __future__ import annotations

from decimal import Decimal, getcontext
from fractions import Fraction
from math import isqrt
from typing import Any, get_args

import pytest

from simfl import cli
from simfl.chain import MINIMUM_LIQUIDITY, ConstantProductPool, Ledger, Pool, WeightedPool, router
from simfl.chain.kinds import POOL_KINDS, PoolParams, kind_problems, pool_kind, token_weight_units
from simfl.config import load_scenario
from simfl.config.market import Pool as PoolSection
from simfl.errors import ScenarioError

E18 = 10**18
SYNTHETIC = {"scores": {"source": "synthetic"}}


def problems(pool: dict[str, Any]) -> list[str]:
    """The lines `load_scenario` refuses a scenario with this `market.pool` for."""
    try:
        load_scenario({"market": {"pool": pool}, **SYNTHETIC})
    except ScenarioError as err:
        return str(err).splitlines()[1:]
    return []


def opened(kind: str, weight: float | None, seed_base: int, seed_tokens: int) -> Pool:
    """A CST/BASE pool of `kind` seeded as the market's genesis seeds it."""
    ledger = Ledger()
    for token in ("CST", "BASE"):
        ledger.register_token(token)
    params = PoolParams(30, None if weight is None else token_weight_units(weight))
    entry = pool_kind(kind)
    pool = entry.build(ledger, "CST", "BASE", params)
    tokens = entry.genesis_tokens(seed_base, seed_base, seed_tokens, params)
    ledger.mint("CST", "seed", tokens)
    ledger.mint("BASE", "seed", seed_base)
    pool.add_liquidity("seed", tokens, seed_base)
    return pool


# ------------------------------------------------------------------ the registry


def test_the_schema_accepts_exactly_the_registry_keys() -> None:
    allowed = get_args(PoolSection.model_fields["kind"].annotation)
    assert allowed == tuple(POOL_KINDS) == ("constant_product", "weighted")


def test_an_unknown_kind_is_refused_naming_the_allowed_ones() -> None:
    with pytest.raises(ValueError) as err:
        pool_kind("stable")
    assert str(err.value) == "unknown pool kind 'stable'; allowed: constant_product, weighted"


def test_an_unknown_kind_in_a_scenario_is_refused_at_validation() -> None:
    assert problems({"kind": "curve"}) == [
        "market.pool.kind: got 'curve'; must be one of 'constant_product' or 'weighted'"
    ]


def test_simfl_validate_exits_2_on_an_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["validate", "quickstart", "--set", "market.pool.kind=curve"]
    assert cli.main(args) == 2
    assert "market.pool.kind: got 'curve'" in capsys.readouterr().err


def test_every_kind_builds_a_pool_of_the_interface() -> None:
    built = {name: type(opened(name, 0.2 if name == "weighted" else None, E18, E18))
             for name in POOL_KINDS}  # fmt: skip
    assert built == {"constant_product": ConstantProductPool, "weighted": WeightedPool}
    for name in POOL_KINDS:
        assert isinstance(opened(name, 0.5 if name == "weighted" else None, E18, E18), Pool)


# ------------------------------------------------------------------ genesis


def test_constant_product_genesis_is_seed_tokens_exactly() -> None:
    entry = pool_kind("constant_product")
    for seed_base, seed_tokens in ((10_000 * E18, 10_000 * E18), (800 * E18, 2_000 * E18),
                                   (7, 3), (3, 7)):  # fmt: skip
        assert entry.genesis_tokens(seed_base, seed_base, seed_tokens, PoolParams()) == seed_tokens


@pytest.mark.parametrize(
    ("weight", "seed_base", "seed_tokens", "expected"),
    [
        # B_token = seed_base · w / (1 − w) / price, price = seed_base / seed_tokens
        (0.2, 10_000 * E18, 10_000 * E18, 2_500 * E18),  # a quarter: 0.2 / 0.8
        (0.5, 800 * E18, 2_000 * E18, 2_000 * E18),  # 50/50: seed_tokens
        (0.8, 800 * E18, 2_000 * E18, 8_000 * E18),  # 0.8 / 0.2 = 4 times
        (0.2, 800 * E18, 2_000 * E18, 500 * E18),
    ],
)
def test_weighted_genesis_tokens_by_hand(
    weight: float, seed_base: int, seed_tokens: int, expected: int
) -> None:
    params = PoolParams(30, token_weight_units(weight))
    assert pool_kind("weighted").genesis_tokens(seed_base, seed_base, seed_tokens, params) == (
        expected
    )


@pytest.mark.parametrize("weight", [0.01, 0.2, 0.35, 0.5, 0.8, 0.99])
@pytest.mark.parametrize(("seed_base", "seed_tokens"), [(10_000 * E18, 10_000 * E18),
                                                        (1_000 * E18, 3_000 * E18),
                                                        (12_345 * E18 + 7, 678 * E18)])  # fmt: skip
def test_every_weighted_pool_opens_at_the_genesis_price(
    weight: float, seed_base: int, seed_tokens: int
) -> None:
    pool = opened("weighted", weight, seed_base, seed_tokens)
    price = pool.spot_price("CST")  # exact Fraction, BASE base units per CST base unit
    genesis = Fraction(seed_base, seed_tokens)
    # genesis_token_amount rounds B_token to nearest: at most half a unit off
    assert abs(price - genesis) / genesis <= Fraction(1, 2 * pool.reserve_of("CST") - 1)
    assert pool.price("CST") == pytest.approx(seed_base / seed_tokens, rel=1e-15)


def test_weighted_first_mint_against_a_decimal_reference() -> None:
    getcontext().prec = 80
    entry = pool_kind("weighted")
    for weight, base, tokens in ((0.2, 8_000 * E18, 2_000 * E18), (0.35, 10**21, 7 * 10**20),
                                 (0.8, 123 * E18, 4_567 * E18)):  # fmt: skip
        got = entry.first_mint(base, tokens, PoolParams(30, token_weight_units(weight)))
        w = Decimal(str(weight))
        exact = Decimal(tokens) ** w * Decimal(base) ** (1 - w)  # B_t^w · B_b^(1−w)
        assert exact - 2 <= got <= exact, (weight, got, exact)  # rounded down, within a unit
    # the doctest of WeightedPool: 8,000 BASE and 2,000 CST at 80/20 mint 6062.87... LP
    assert entry.first_mint(8_000 * E18, 2_000 * E18, PoolParams(30, 2 * 10**17)) == (
        6062866266041592328389 + MINIMUM_LIQUIDITY
    )


def test_constant_product_first_mint_is_isqrt() -> None:
    entry = pool_kind("constant_product")
    assert entry.first_mint(900 * E18, 1_600 * E18, PoolParams()) == 1_200 * E18  # √(9·16)
    assert entry.first_mint(800 * E18, 2_000 * E18, PoolParams()) == isqrt(1_600_000 * E18**2)


@pytest.mark.parametrize(("kind", "weight"), [("constant_product", None), ("weighted", 0.2),
                                              ("weighted", 0.35), ("weighted", 0.5)])  # fmt: skip
def test_first_mint_is_what_the_pool_mints_and_locks(kind: str, weight: float | None) -> None:
    pool = opened(kind, weight, 1_000 * E18 + 3, 3_000 * E18)
    params = PoolParams(30, None if weight is None else token_weight_units(weight))
    expected = pool_kind(kind).first_mint(pool.reserve_of("BASE"), pool.reserve_of("CST"), params)
    assert pool.total_liquidity == expected
    assert pool.ledger.balance(pool.lp_token, "seed") == expected - MINIMUM_LIQUIDITY


def test_token_share_is_half_or_the_weight() -> None:
    assert pool_kind("constant_product").token_share(PoolParams()) == Fraction(1, 2)
    assert pool_kind("weighted").token_share(PoolParams(30, token_weight_units(0.2))) == (
        Fraction(1, 5)
    )


def test_token_weight_units_reads_the_decimal_text() -> None:
    assert token_weight_units(0.2) == 2 * 10**17  # not the binary float's 200000000000000011
    assert token_weight_units(0.35) == 35 * 10**16
    assert token_weight_units(0.01) == 10**16


# ------------------------------------------------------------------ scenario keys


def test_weighted_without_token_weight_is_fifty_fifty() -> None:
    pool = load_scenario({"market": {"pool": {"kind": "weighted"}}, **SYNTHETIC}).market.pool
    assert (pool.kind, pool.token_weight) == ("weighted", 0.5)


def test_token_weight_with_constant_product_is_refused() -> None:
    assert problems({"token_weight": 0.2}) == [
        "market.pool.token_weight: got 0.2, but kind 'constant_product' has no token_weight "
        "(read only by kind weighted); remove it or set market.pool.kind: weighted"
    ]
    # even 0.5, which would change nothing: a key that is not read is a typo
    assert len(problems({"token_weight": 0.5, "kind": "constant_product"})) == 1


def test_protocol_fee_with_weighted_is_refused() -> None:
    assert problems({"kind": "weighted", "token_weight": 0.2, "protocol_fee": True}) == [
        "market.pool.protocol_fee: got true, but kind 'weighted' has no protocol fee (only "
        "kind constant_product has one); set protocol_fee: false"
    ]
    assert problems({"kind": "constant_product", "protocol_fee": True}) == []


@pytest.mark.parametrize(
    ("weight", "bound"),
    [(0.0, "greater than or equal to 0.01"), (0.005, "greater than or equal to 0.01"),
     (0.995, "less than or equal to 0.99"), (1.0, "less than or equal to 0.99"),
     (1.5, "less than or equal to 0.99")],
)  # fmt: skip
def test_token_weight_out_of_range_is_refused(weight: float, bound: str) -> None:
    assert problems({"kind": "weighted", "token_weight": weight}) == [
        f"market.pool.token_weight: got {weight}; input should be {bound}"
    ]


@pytest.mark.parametrize("weight", [0.01, 0.2, 0.99])
def test_token_weight_at_its_bounds_is_accepted(weight: float) -> None:
    assert problems({"kind": "weighted", "token_weight": weight}) == []


def test_kind_problems_lists_every_problem() -> None:
    assert len(kind_problems("constant_product", {"token_weight": 0.3}, False)) == 1
    assert len(kind_problems("weighted", {"token_weight": 0.3}, True)) == 1
    assert kind_problems("weighted", {"token_weight": 0.3}, False) == []


def test_a_weighted_pool_too_shallow_for_the_locked_liquidity_is_refused() -> None:
    # 1,200 base units a side: constant product mints isqrt(1200 · 1200) = 1,200 > 1,000.
    # At CST weight 0.2 the pool holds 1,200 · 0.2/0.8 = 300 CST units and mints
    # 1200^0.8 · 300^0.2 = 1200 · 0.25^0.2 = 909.4 <= 1,000: refused
    pool: dict[str, Any] = {"seed_base": 1.2e-15, "seed_tokens": 1.2e-15}
    assert problems(pool) == []
    assert problems(pool | {"kind": "weighted", "token_weight": 0.2}) == [
        "market.pool: seed_base=1.2e-15 × seed_tokens=1.2e-15 is too shallow: a pool locks "
        "1000 LP base units at genesis and needs seed_base^(1−w) · tokens^w (w = "
        "token_weight, tokens = the CST that opens the pool at seed_base / seed_tokens) "
        "above that, in base units"
    ]
    # at 50/50 the weighted pool mints what the constant-product pool mints: accepted
    assert problems(pool | {"kind": "weighted", "token_weight": 0.5}) == []


@pytest.mark.parametrize(("kind", "weight"), [("constant_product", None), ("weighted", 0.2)])
def test_a_sole_liquidity_provider_is_marked_at_the_pools_spot_value(
    kind: str, weight: float | None
) -> None:
    # after a price move, the seed holds every LP unit but the 1,000 locked ones: its
    # position is its share of R_base + R_cst · spot, to the unit (not the spot of the
    # ~1,000-unit remainder the burn leaves, which was off by 1.5e-4)
    pool = opened(kind, weight, 1_000 * E18, 1_000 * E18)
    pool.ledger.mint("BASE", "trader", 300 * E18)
    pool.swap_exact_in("trader", "BASE", 300 * E18)
    shares = pool.ledger.balance(pool.lp_token, "seed")
    spot, liquidation, _ = router.position_value(pool, "CST", 0, shares)
    reserve_base, reserve_cst = pool.reserve_of("BASE"), pool.reserve_of("CST")
    w = Fraction(1, 2) if weight is None else Fraction(str(weight))
    price = Fraction(reserve_base, 1 - w) / Fraction(reserve_cst, w)  # (B_b/w_b) / (B_t/w_t)
    exact = Fraction(shares, pool.total_liquidity) * (reserve_base + reserve_cst * price)
    assert exact - 2 <= spot <= exact
    assert liquidation < spot  # selling into the 1,000-unit remainder fetches almost nothing
