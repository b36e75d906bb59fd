"""Pool kinds: the registry the scenario's `market.pool.kind` names (``POOL_KINDS``).

Each entry says how to build one CST/BASE pool of its kind, how many tokens a genesis
deposit of ``seed_base`` BASE needs so the pool opens at the genesis price
``seed_base / seed_tokens``, how many LP units that first deposit mints (the schema's
"too shallow" check), what share of a deposit's value the token side carries, and
which scenario parameters it reads, declared as ``KindParam`` (name, bounds, default,
meaning, conversion to exact units): `simfl.config` makes each a `market.pool` key
from here, so a kind's parameter is written once. The market reaches pools only through
:mod:`simfl.chain.router` and :class:`~simfl.chain.interface.Pool`, and builds a kind's
``PoolParams`` with :func:`pool_params`, so a new curve is its pool class plus one
entry here (and, if it has a parameter, a ``PoolParams`` field for it).

All amounts are ``int`` base units; weights are 18-decimal ints (``ONE`` = 10**18).

Example (an 80/20 pool, the CST at weight 0.2, opening at 2 BASE per CST):
    >>> from simfl.chain import Ledger
    >>> ledger = Ledger()
    >>> for token in ("CST", "BASE"):
    ...     _ = ledger.register_token(token)
    >>> kind = pool_kind("weighted")
    >>> params = PoolParams(fee_bps=30, token_weight=2 * 10**17)
    >>> kind.genesis_tokens(8_000, 20_000, 10_000, params)  # 8,000 BASE at price 2
    1000
    >>> kind.token_share(params)
    Fraction(1, 5)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction
from math import isqrt

from simfl.chain.interface import Pool
from simfl.chain.ledger import Ledger
from simfl.chain.pool import ConstantProductPool
from simfl.chain.weighted import WeightedPool
from simfl.chain.weighted_math import MIN_WEIGHT, ONE, genesis_token_amount, invariant

__all__ = [
    "POOL_KINDS",
    "KindParam",
    "PoolKind",
    "PoolParams",
    "kind_params",
    "kind_problems",
    "pool_kind",
    "pool_params",
    "token_weight_units",
]


@dataclass(frozen=True, slots=True)
class PoolParams:
    """What a pool kind may read from `market.pool`, in exact units.

    Attributes:
        fee_bps: swap fee in basis points.
        token_weight: the CST's weight as an 18-decimal int (weighted kinds), else None.
        fee_to: the protocol fee's recipient (kinds that support one), else None.
    """

    fee_bps: int = 30
    token_weight: int | None = None
    fee_to: str | None = None


@dataclass(frozen=True, slots=True)
class KindParam:
    """A `market.pool` key a kind reads beyond the common ones (stdlib only: `simfl.config`
    turns it into a schema field).

    Attributes:
        name: the key, and the ``PoolParams`` field its exact value goes to.
        doc: its meaning, one line for the scenario reference.
        default: the scenario's value when the kind is chosen and the key unset.
        units: the scenario's value -> the exact value the pool is built with.
        type: ``float`` or ``int`` (the scenario's type).
        ge, gt, le, lt: bounds the schema enforces (None = unbounded).
    """

    name: str
    doc: str
    default: float | int
    units: Callable[[float | int], int]
    type: type = float
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def bounds(self) -> dict[str, float]:
        """The bounds that are set, by name (``{"ge": 0.01}``)."""
        named = {"ge": self.ge, "gt": self.gt, "le": self.le, "lt": self.lt}
        return {k: v for k, v in named.items() if v is not None}


# (ledger, token, base, params) -> an empty pool trading token against base
Build = Callable[[Ledger, str, str, PoolParams], Pool]
# (seed_base, price_num, price_den, params) -> tokens to deposit with seed_base
GenesisTokens = Callable[[int, int, int, PoolParams], int]
# (amount_base, amount_token, params) -> LP units the first deposit mints before the lock
FirstMint = Callable[[int, int, PoolParams], int]


@dataclass(frozen=True, slots=True)
class PoolKind:
    """One entry of ``POOL_KINDS``.

    Attributes:
        name: the scenario's `market.pool.kind`.
        description: one line for the schema reference.
        build: an empty pool of this kind for one CST against BASE.
        genesis_tokens: CST base units to pair with ``seed_base`` BASE so the pool opens at
            ``price_num / price_den`` BASE per CST (base units).
        first_mint: LP units a first deposit mints (``MINIMUM_LIQUIDITY`` of them locked).
        first_mint_text: ``first_mint`` as a formula of the scenario's keys, for messages.
        token_share: the share of a balanced deposit's value on the CST side, at any
            price (1/2 for constant product, the CST's weight for a weighted pool): what
            a liquidity provider buys before depositing.
        params: the `market.pool` keys this kind reads beyond the common ones; any other
            kind's key set in a scenario with this kind is an error.
        protocol_fee: whether `market.pool.protocol_fee: true` is supported.
    """

    name: str
    description: str
    build: Build
    genesis_tokens: GenesisTokens
    first_mint: FirstMint
    first_mint_text: str
    token_share: Callable[[PoolParams], Fraction]
    params: tuple[KindParam, ...] = ()
    protocol_fee: bool = False


def token_weight_units(token_weight: float | str) -> int:
    """The CST's weight as an 18-decimal int, from its decimal text (0.2 -> 2·10**17).

    Goes through the shortest decimal text of the float, so 0.2 is exactly 2·10**17, not
    the binary float's 200000000000000011; digits beyond the 18th are dropped (rounded
    down).

    >>> token_weight_units(0.2)
    200000000000000000
    """
    return int(Decimal(str(token_weight)) * ONE)


MIN_TOKEN_WEIGHT = MIN_WEIGHT / ONE  # 0.01: Balancer's smallest weight, for the CST
MAX_TOKEN_WEIGHT = 1 - MIN_TOKEN_WEIGHT  # 0.99: BASE keeps at least the smallest weight
TOKEN_WEIGHT = KindParam(
    name="token_weight",
    doc="the CST's weight (BASE gets the rest; 0.2 = an 80/20 pool holding 80% of its value "
    "in BASE)",
    default=0.5,
    units=token_weight_units,
    ge=MIN_TOKEN_WEIGHT,
    le=MAX_TOKEN_WEIGHT,
)


def _weight(params: PoolParams) -> int:
    if params.token_weight is None:
        raise ValueError("a weighted pool needs token_weight (an 18-decimal int)")
    return params.token_weight


def _build_constant_product(ledger: Ledger, token: str, base: str, params: PoolParams) -> Pool:
    return ConstantProductPool(ledger, token, base, params.fee_bps, params.fee_to)


def _genesis_constant_product(
    seed_base: int, price_num: int, price_den: int, params: PoolParams
) -> int:
    """``seed_base · price_den / price_num`` rounded to nearest; ``seed_tokens`` exactly when
    the price is ``seed_base / seed_tokens``, as every market genesis asks."""
    return (2 * seed_base * price_den + price_num) // (2 * price_num)


def _build_weighted(ledger: Ledger, token: str, base: str, params: PoolParams) -> Pool:
    weight = _weight(params)
    # no 30 % swap guard: the constant-product pool has none either, so the two kinds
    # are compared on the same orders (the router's slippage caps still apply)
    return WeightedPool(
        ledger, token, base, weights=(weight, ONE - weight), fee_bps=params.fee_bps,
        max_ratio=None,
    )  # fmt: skip


def _genesis_weighted(seed_base: int, price_num: int, price_den: int, params: PoolParams) -> int:
    return genesis_token_amount(seed_base, price_num, price_den, _weight(params))


def _first_mint_weighted(amount_base: int, amount_token: int, params: PoolParams) -> int:
    weight = _weight(params)
    return invariant(amount_token, weight, amount_base, ONE - weight)


POOL_KINDS: dict[str, PoolKind] = {
    kind.name: kind
    for kind in (
        PoolKind(
            name="constant_product",
            description="Uniswap v2's x·y = k pair (50/50 value), optional protocol fee",
            build=_build_constant_product,
            genesis_tokens=_genesis_constant_product,
            first_mint=lambda amount_base, amount_token, params: isqrt(amount_base * amount_token),
            first_mint_text="√(seed_base · seed_tokens)",
            token_share=lambda params: Fraction(1, 2),
            protocol_fee=True,
        ),
        PoolKind(
            name="weighted",
            description="Balancer's two-token weighted pool, the CST at `token_weight`, "
            "BASE at the rest (no protocol fee)",
            build=_build_weighted,
            genesis_tokens=_genesis_weighted,
            first_mint=_first_mint_weighted,
            first_mint_text="seed_base^(1−w) · tokens^w (w = token_weight, tokens = the CST "
            "that opens the pool at seed_base / seed_tokens)",
            token_share=lambda params: Fraction(_weight(params), ONE),
            params=(TOKEN_WEIGHT,),
        ),
    )
}


def pool_kind(name: str) -> PoolKind:
    """The registry entry for ``name``; ``ValueError`` naming the allowed kinds otherwise."""
    try:
        return POOL_KINDS[name]
    except (KeyError, TypeError):
        allowed = ", ".join(POOL_KINDS)
        raise ValueError(f"unknown pool kind {name!r}; allowed: {allowed}") from None


def kind_problems(name: str, params: dict[str, object], protocol_fee: bool) -> list[str]:
    """What is wrong with `market.pool` for kind ``name``: one line per problem.

    Args:
        name: a key of ``POOL_KINDS``.
        params: every kind-specific key of `market.pool` (any kind's ``params``) and its
            value, None when unset.
        protocol_fee: `market.pool.protocol_fee`.

    A kind-specific key set for a kind that does not read it is an error (it would
    silently change nothing), and so is a protocol fee on a kind without one.

    >>> kind_problems("constant_product", {"token_weight": 0.2}, False)[0][:52]
    "token_weight: got 0.2, but kind 'constant_product' h"
    """
    kind = pool_kind(name)
    reads = {param.name for param in kind.params}
    problems = []
    for key, value in params.items():
        if value is not None and key not in reads:
            readers = kind_params()[key][1]
            problems.append(
                f"{key}: got {value!r}, but kind {name!r} has no {key} (read only by "
                f"kind {' | '.join(readers)}); remove it or set market.pool.kind: {readers[0]}"
            )
    if protocol_fee and not kind.protocol_fee:
        with_fee = [k.name for k in POOL_KINDS.values() if k.protocol_fee]
        problems.append(
            f"protocol_fee: got true, but kind {name!r} has no protocol fee (only kind "
            f"{' | '.join(with_fee)} has one); set protocol_fee: false"
        )
    return problems


def kind_params() -> dict[str, tuple[KindParam, tuple[str, ...]]]:
    """Every kind-specific `market.pool` key once, in registry order, with the kinds that
    read it.

    Raises:
        ValueError: two kinds declare one key differently (a shared key must be one
            ``KindParam``, so it has one default and one set of bounds), or a key has no
            ``PoolParams`` field to carry it to the pool.
    """
    carried = {f.name for f in fields(PoolParams)}
    found: dict[str, tuple[KindParam, tuple[str, ...]]] = {}
    for kind in POOL_KINDS.values():
        for param in kind.params:
            if param.name not in carried:
                raise ValueError(f"pool kind {kind.name!r}: PoolParams has no {param.name!r}")
            if param.name in found and found[param.name][0] != param:
                raise ValueError(
                    f"market.pool.{param.name} is declared twice, differently (by kinds "
                    f"{found[param.name][1]} and {kind.name!r}); share one KindParam"
                )
            known, readers = found.get(param.name, (param, ()))
            found[param.name] = (known, (*readers, kind.name))
    return found


def pool_params(pool: Mapping[str, object], fee_to: str | None = None) -> PoolParams:
    """The exact ``PoolParams`` for a `market.pool` mapping (a validated section's
    ``model_dump()``, or a manifest's resolved scenario): ``fee_bps`` and every key the
    kind reads, converted with its ``units``; a key left unset takes its default.

    >>> pool_params({"kind": "weighted", "fee_bps": 30, "token_weight": 0.2})
    PoolParams(fee_bps=30, token_weight=200000000000000000, fee_to=None)
    """
    kind = pool_kind(pool.get("kind", "constant_product"))
    values = {}
    for param in kind.params:
        value = pool.get(param.name)
        values[param.name] = param.units(param.default if value is None else value)
    return PoolParams(fee_bps=int(pool.get("fee_bps", 30)), fee_to=fee_to, **values)
