"""The scenario's `scores:` and `market:` sections: where scores come from, pools,
payouts, treasury, clients' policies, investors and liquidity providers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, create_model, field_validator, model_validator

from simfl.chain.kinds import POOL_KINDS, KindParam, kind_params, kind_problems
from simfl.config.base import NonNegInt, PositiveInt, Probability, Section, TokenAmount
from simfl.market.mechanism import PAYOUT_MODES
from simfl.market.strategies import CLIENT_POLICIES, INVESTOR_STRATEGIES
from simfl.sources import SCORE_SOURCES

# allowed names are the registries' keys: a new entry is accepted here without an edit
PayoutModeName = Literal[tuple(PAYOUT_MODES)]  # type: ignore[valid-type]
ClientPolicyName = Literal[tuple(CLIENT_POLICIES)]  # type: ignore[valid-type]
InvestorStrategyName = Literal[tuple(INVESTOR_STRATEGIES)]  # type: ignore[valid-type]
PoolKindName = Literal[tuple(POOL_KINDS)]  # type: ignore[valid-type]
ScoreSourceName = Literal[tuple(SCORE_SOURCES)]  # type: ignore[valid-type]


class SyntheticScores(Section):
    """Parametrised score process for pure market studies (no training)."""

    quality: list[Annotated[float, Field(ge=0.0)]] | None = Field(
        None, description="per client; None: drawn"
    )
    noise: Annotated[float, Field(ge=0.0)] = Field(
        0.1, description="sd of per-round noise, relative"
    )
    start_accuracy: Probability = Field(0.3, description="reported accuracy in round 1")
    final_accuracy: Probability = Field(0.9, description="accuracy approached geometrically")


class Scores(Section):
    """Where the per-round contribution scores come from."""

    source: ScoreSourceName = Field(
        "fl",
        description=(
            "fl: real training; replay: an earlier run's trajectory; synthetic: a score process"
        ),
    )
    replay_dir: str | None = Field(
        None, description="a results/<run-id>/ folder, for source=replay"
    )
    synthetic: SyntheticScores = SyntheticScores()

    @model_validator(mode="after")
    def _replay_needs_dir(self) -> Scores:
        if self.source == "replay" and not self.replay_dir:
            raise ValueError("replay_dir: source='replay' needs an earlier run's results folder")
        return self


class _PoolKind(Section):
    """The pool's curve (its parameters follow)."""

    kind: PoolKindName = Field(
        "constant_product",
        description="; ".join(f"{k.name}: {k.description}" for k in POOL_KINDS.values()),
    )


def _kind_field(param: KindParam, readers: tuple[str, ...]) -> tuple[Any, Any]:
    """A kind's declared parameter as an optional pydantic field with its bounds; unset
    (None) until `Pool` resolves it to the chosen kind's default."""
    bounds = param.bounds()
    annotation: Any = Annotated[param.type, Field(**bounds)] if bounds else param.type
    return annotation | None, Field(
        None,
        description=f"{' | '.join(readers)}: {param.doc}; unset means {param.default}; "
        "an error with other kinds",
    )


# every key a kind declares in `simfl.chain.kinds` is a `market.pool` key, after `kind`:
# a kind's new parameter needs no edit in this file
_PoolKindParams = create_model(
    "_PoolKindParams",
    __base__=_PoolKind,
    **{name: _kind_field(p, readers) for name, (p, readers) in kind_params().items()},
)


class Pool(_PoolKindParams):  # type: ignore[misc, valid-type]
    """Genesis seeding and fees of every CST_i/BASE pool (same for all clients)."""

    fee_bps: Annotated[int, Field(ge=0, le=1000)] = Field(
        30, description="swap fee in basis points (30 = Uniswap v2's 0.3%)"
    )
    seed_base: Annotated[float, Field(gt=0.0)] = Field(10_000.0, description="whole BASE per pool")
    seed_tokens: Annotated[float, Field(gt=0.0)] = Field(
        10_000.0,
        description="whole CST_i per pool: the genesis price is seed_base / seed_tokens "
        "(a weighted pool holds the CST that opens it at that price)",
    )
    protocol_fee: bool = Field(False, description="Uniswap's feeTo: 1/6 of fees to the treasury")
    source: Literal["treasury", "liquidity_providers"] = Field(
        "treasury",
        description=(
            "who brings the seed and owns the pools' first LP units: treasury (the "
            "federation's capital, the default) | liquidity_providers (the LPs, in equal "
            "parts, the CST side bought from the federation at the genesis price)"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _kind_defaults(cls, data: Any) -> Any:
        """The chosen kind's unset keys take their declared defaults (a weighted pool
        without `token_weight` is 50/50), resolved so manifests say what ran."""
        if not isinstance(data, dict):
            return data
        name = data.get("kind", cls.model_fields["kind"].default)
        kind = POOL_KINDS.get(name) if isinstance(name, str) else None  # else: refused later
        unset = [p for p in (kind.params if kind else ()) if data.get(p.name) is None]
        return {**data, **{p.name: p.default for p in unset}} if unset else data

    @model_validator(mode="after")
    def _kind_reads_its_keys(self) -> Pool:
        """Kind-specific keys only for the kinds that read them (`chain.kinds`)."""
        params = {key: getattr(self, key) for key in kind_params()}
        problems = kind_problems(self.kind, params, self.protocol_fee)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Schedule(Section):
    """An amount per round: constant, decaying, or tied to the model's accuracy."""

    kind: Literal["constant", "decaying", "accuracy", "accuracy_gain"] = Field(
        "constant",
        description=(
            "constant, decaying, accuracy (× model accuracy), accuracy_gain (× accuracy gain)"
        ),
    )
    amount: TokenAmount = Field(
        1000.0, description="whole tokens per round (at accuracy 1 for accuracy kinds)"
    )
    decay: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.9, description="decaying: amount·decay^(t-1)"
    )


class Reward(Section):
    """How contribution weights become payouts (DESIGN.md, 'The mechanism')."""

    mode: PayoutModeName = Field(
        "hybrid",
        description=(
            "direct (BASE to clients, the baseline) | mint (CST_i to clients) | "
            "buyback (BASE buys CST_i) | hybrid (mint + buyback)"
        ),
    )
    emission: Schedule = Field(
        Schedule(), description="CST minted per round (mint, hybrid); a number means constant"
    )
    revenue: Schedule = Field(
        Schedule(),
        description=(
            "BASE earned and paid per round (direct, buyback, hybrid); a number means constant"
        ),
    )
    bought_back: Literal["burn", "forward"] = Field(
        "forward",
        description=(
            "bought-back CST_i: forward to the client (pays it), or burn (rewards only "
            "holders: give clients a token_endowment)"
        ),
    )
    buyback_slices: PositiveInt = Field(
        1,
        description="buy-backs split into this many equal slices, one at the start of each "
        "of the first trading substeps (1 = all at once, before trading); at most "
        "max(market.substeps, 1)",
    )
    buyback_max_slippage_bps: Annotated[int, Field(ge=1, le=9999)] | None = Field(
        None,
        description="a buy-back slice buys only as much as stays within this loss against "
        "spot (fee included); the rest is carried to the next round. None: no cap",
    )
    reputation: Probability = Field(
        0.0, description="EMA weight on past weights; 0 = this round only"
    )

    @field_validator("emission", "revenue", mode="before")
    @classmethod
    def _number_is_constant(cls, value: Any) -> Any:
        """Accept `emission: 1000` as shorthand for a constant schedule."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"kind": "constant", "amount": value}
        return value


class Treasury(Section):
    """The federation's BASE treasury."""

    initial: TokenAmount = Field(
        0.0, description="whole BASE held before round 1 (the federation's capital)"
    )
    spend: Literal["even", "hold"] = Field(
        "even",
        description=(
            "even: `initial` is paid out in equal parts over the rounds, on top of revenue, "
            "through the mode's BASE channel (direct payments; buy-backs in buyback, "
            "hybrid and mint) | hold: kept as a reserve, never spent"
        ),
    )


class Clients(Section):
    """What FL clients do with their tokens, and what taking part costs them."""

    policy: ClientPolicyName = Field(
        "hold",
        description=(
            "what a client does with its tokens: hold, sell_fraction, "
            "sell_above_price, sell_to_fund (sells to pay its training cost)"
        ),
    )
    fraction: Probability = Field(
        0.5, description="sell_fraction: share of holdings sold each round"
    )
    price_threshold: Annotated[float, Field(gt=0.0)] = Field(
        1.2, description="sell_above_price: × genesis price"
    )
    endowment: TokenAmount = Field(0.0, description="whole BASE each client starts with")
    token_endowment: TokenAmount = Field(
        0.0, description="whole CST_i each client holds of its own at genesis"
    )
    cost_per_round: TokenAmount = Field(0.0, description="whole BASE a round of training costs")
    opt_out: bool = Field(False, description="skip rounds whose expected reward is below the cost")
    memory: PositiveInt = Field(3, description="rounds of payouts that form the expected reward")
    rejoin_after: PositiveInt = Field(
        3, description="an opted-out client retries after this many rounds"
    )


class InvestorGroup(Section):
    """A group of third-party investors sharing one strategy."""

    strategy: InvestorStrategyName = Field(
        description="; ".join(f"{s.name}: {s.description}" for s in INVESTOR_STRATEGIES.values())
    )
    count: NonNegInt = Field(10, description="investors in the group")
    budget: TokenAmount = Field(1000.0, description="whole BASE each")
    activity: Probability = Field(
        0.3,
        description="chance to act in a substep (front-runners: to front-run a round's "
        "buy-backs; they always sell out after)",
    )
    trade_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.1, description="of budget per trade"
    )
    max_position: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5, description="of budget in one token"
    )
    genesis_tokens: Probability | None = Field(
        None,
        description="share of budget spent at genesis on CST (evenly over every token) "
        "bought from the federation at the genesis price, so it can sell from round 1; "
        "default: the strategy's ("
        + ", ".join(
            f"{name} {rule.genesis_tokens}"
            for name, rule in INVESTOR_STRATEGIES.items()
            if rule.genesis_tokens
        )
        + ": they need tokens to sell from round 1; 0 for the others)",
    )

    @property
    def genesis_share(self) -> float:
        """`genesis_tokens`, or its strategy's default when unset."""
        if self.genesis_tokens is not None:
            return self.genesis_tokens
        return INVESTOR_STRATEGIES[self.strategy].genesis_tokens

    max_slippage_bps: Annotated[int, Field(ge=1, le=10_000)] = Field(
        300, description="orders are capped so fee + price impact stay within this"
    )
    lookback: PositiveInt = Field(3, description="momentum / value: rounds looked back")
    threshold: Annotated[float, Field(ge=0.0)] = Field(
        0.1, description="value: relative mispricing to act on"
    )


class LiquidityProviderGroup(Section):
    """A group of liquidity providers."""

    count: NonNegInt = Field(2, description="liquidity providers in the group")
    budget: TokenAmount = Field(5000.0, description="whole BASE each, spread over all pools")
    deploy: Probability = Field(0.5, description="share of budget added at genesis; the rest waits")
    add_yield: Annotated[float, Field(ge=0.0)] = Field(
        0.002, description="add when last round's fee yield ≥"
    )
    withdraw_loss: Annotated[float, Field(ge=0.0)] = Field(
        0.2, description="leave a pool when IL beyond"
    )


class Market(Section):
    """The token economy around the federation."""

    pool: Pool = Pool()
    reward: Reward = Reward()
    treasury: Treasury = Treasury()
    clients: Clients = Clients()
    investors: list[InvestorGroup] = Field(
        default_factory=list, description="groups of third-party investors"
    )
    liquidity_providers: list[LiquidityProviderGroup] = Field(
        default_factory=list, description="groups of liquidity providers"
    )
    substeps: NonNegInt = Field(10, description="trading substeps after each payout")
    transaction_cost: TokenAmount = Field(
        0.0,
        description="whole BASE every trader pays per executed trade, to the "
        "transaction-cost sink (gas, venue fees); 0 = none",
    )
