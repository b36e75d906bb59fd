"""The scenario schema: one YAML file → a validated, typed, frozen `Scenario`.

Every key a scenario may hold is declared here, with its default and its allowed
values; unknown keys are errors (a typo must not silently change an experiment).
`load_scenario` reports every problem at once, one line per dotted path, naming the
value received and what is allowed. Amounts of tokens are given in whole tokens (floats
allowed here, for people) and turned into exact integer base units by `to_base_units`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simfl.errors import ScenarioError
from simfl.fl import settings as fls

TOKEN_DECIMALS = 18  # every simfl token has 18 decimals, like most ERC-20 tokens
BASE_UNIT = 10**TOKEN_DECIMALS  # base units in one whole token

PositiveInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
TokenAmount = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class Section(BaseModel):
    """Base of every scenario section: frozen, unknown keys refused, defaults validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------- fl


class SyntheticData(Section):
    """FedProx's Synthetic(alpha, beta) data set."""

    alpha: Annotated[float, Field(ge=0.0)] = Field(
        0.5, description="model heterogeneity across clients"
    )
    beta: Annotated[float, Field(ge=0.0)] = Field(
        0.5, description="input heterogeneity across clients"
    )
    samples: Annotated[int, Field(ge=20)] = Field(
        3000, description="total samples over all clients"
    )
    features: PositiveInt = Field(60, description="input dimension")
    classes: Annotated[int, Field(ge=2)] = Field(10, description="number of classes")


class Partition(Section):
    """How the training pool is split among clients (Flower's partitioner names)."""

    kind: fls.PartitionKind = Field(
        "iid",
        description=(
            "Flower partitioner: iid, dirichlet, inner_dirichlet, shard, pathological, "
            "or quantity skew linear/exponential/lognormal"
        ),
    )
    alpha: Annotated[float, Field(gt=0.0)] = Field(
        0.5, description="Dirichlet concentration (dirichlet, inner_dirichlet); smaller = more skew"
    )
    min_partition_size: NonNegInt = Field(
        10, description="dirichlet: resample until every client has this many"
    )
    self_balancing: bool = Field(
        False, description="dirichlet: stop giving a class to clients above the average size"
    )
    num_shards_per_partition: PositiveInt = Field(2, description="shard: shards per client")
    num_classes_per_partition: PositiveInt = Field(
        2, description="pathological: classes per client"
    )
    partition_sizes: tuple[NonNegInt, ...] | None = Field(
        None, description="inner_dirichlet: samples per client; None = as equal as possible"
    )
    sigma: Annotated[float, Field(gt=0.0)] = Field(
        1.0, description="lognormal quantity skew spread"
    )


class LocalTraining(Section):
    """Local training on each selected client."""

    epochs: PositiveInt = Field(1, description="local epochs per round")
    batch_size: PositiveInt = Field(32, description="local mini-batch size")
    optimizer: Literal["sgd", "adam"] = Field("sgd", description="local optimizer")
    lr: Annotated[float, Field(gt=0.0)] = Field(0.05, description="local learning rate")
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(0.0, description="SGD momentum")
    weight_decay: Annotated[float, Field(ge=0.0)] = Field(0.0, description="L2 penalty")


class Strategy(Section):
    """Server aggregation rule and its parameters."""

    name: fls.StrategyName = Field(
        "fedavg", description="aggregation rule (`strategy: fedprox` shorthand)"
    )
    proximal_mu: Annotated[float, Field(ge=0.0)] = Field(
        0.01, description="fedprox: proximal term μ"
    )
    server_lr: Annotated[float, Field(gt=0.0)] = Field(
        1.0, description="fedavgm, fedadam: server learning rate"
    )
    server_momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.9, description="fedavgm: server momentum"
    )
    beta1: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.9, description="fedadam: first-moment decay"
    )
    beta2: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.99, description="fedadam: second-moment decay"
    )
    tau: Annotated[float, Field(gt=0.0)] = Field(1e-3, description="fedadam: adaptivity")
    trim_fraction: Annotated[float, Field(ge=0.0, lt=0.5)] = Field(
        0.1, description="trimmed_mean: fraction cut at each end"
    )
    krum_byzantine: NonNegInt = Field(1, description="krum: assumed number of Byzantine clients f")


class Sampling(Section):
    """Client selection per round."""

    fraction: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        1.0, description="share of willing clients selected per round"
    )
    min_clients: PositiveInt = Field(1, description="at least this many selected (if willing)")


class Behaviour(Section):
    """How one client behaves."""

    kind: fls.BehaviourKind = Field(
        "honest",
        description=(
            "honest, free riders (plain, disguised, delta, dynamic), label_flip, "
            "sign_flip, scaled, noisy_labels"
        ),
    )
    scale: Annotated[float, Field(gt=0.0)] = Field(
        1.0, description="sign_flip, scaled: update multiplier"
    )
    fraction: Probability = Field(0.5, description="noisy_labels: share of labels replaced")
    start_round: PositiveInt = Field(3, description="free_rider_dynamic: first round it free-rides")
    noise_multiplier: Annotated[float, Field(ge=0.0)] = Field(
        1.0, description="free_rider_disguised: noise norm / honest update norm"
    )


class Contribution(Section):
    """Contribution scores computed each round; `pay_by` drives the payouts."""

    methods: tuple[fls.ContributionMethod, ...] = Field(
        ("size", "loo", "exact_shapley", "cgsv"),
        description="scores computed every round (all land in scores.parquet)",
    )
    pay_by: fls.ContributionMethod = Field(
        "exact_shapley", description="the method whose scores drive payouts; must be in methods"
    )
    utility: Literal["accuracy", "neg_loss"] = Field(
        "accuracy", description="v(S): validation accuracy or −loss of coalition S's aggregate"
    )
    mode: Literal["MR", "OR"] = Field(
        "MR",
        description="MR: per-round scores; OR: one-round reconstruction from accumulated updates",
    )
    permutations: PositiveInt = Field(
        50, description="mc_shapley, tmc_shapley: permutations per round"
    )
    antithetic: bool = Field(False, description="mc_shapley: antithetic permutation pairs")
    truncation_tolerance: Annotated[float, Field(ge=0.0)] = Field(
        0.01, description="tmc, gtg: within-round truncation (utility units)"
    )
    between_round_tolerance: Annotated[float, Field(ge=0.0)] = Field(
        0.005, description="gtg: skip a round whose total gain is below"
    )
    gtg_max_permutations: PositiveInt = Field(30, description="gtg: permutation cap per round")
    gtg_convergence: Annotated[float, Field(gt=0.0)] = Field(
        0.05, description="gtg: stop when the mean relative change is below"
    )
    cgsv_alpha: Probability = Field(0.8, description="cgsv: EMA weight on past reputation")

    @field_validator("methods")
    @classmethod
    def _methods_unique_and_nonempty(cls, methods: tuple[str, ...]) -> tuple[str, ...]:
        if not methods:
            raise ValueError("list at least one contribution method")
        if len(set(methods)) != len(methods):
            raise ValueError(f"methods are listed twice: {list(methods)}")
        return methods

    @model_validator(mode="after")
    def _pay_by_is_computed(self) -> Contribution:
        if self.pay_by not in self.methods:
            raise ValueError(
                f"pay_by: {self.pay_by!r} is not among methods {list(self.methods)}; add it there"
            )
        return self


class FL(Section):
    """The federated-learning engine: data, model, clients, training, contribution."""

    dataset: fls.DatasetName = Field(
        "digits",
        description=(
            "digits (bundled, fast) | fashion-mnist (Debian package) | mnist, cifar10 "
            "(your local files) | synthetic"
        ),
    )
    data_dir: str | None = Field(
        None, description="mnist, cifar10: folder holding your local files"
    )
    validation_size: Annotated[int, Field(ge=10)] = Field(
        360, description="server validation samples split off with the seed"
    )
    max_train_samples: Annotated[int, Field(ge=10)] | None = Field(
        None, description="subsample the training pool (speed)"
    )
    synthetic: SyntheticData = SyntheticData()
    model: fls.ModelName = Field(
        "mlp", description="logistic regression, one-hidden-layer MLP, or small CNN"
    )
    hidden: PositiveInt = Field(
        32, description="MLP hidden width; CNN channels of the first conv layer"
    )
    clients: Annotated[int, Field(ge=2, le=1000)] = Field(
        10, description="number of FL clients (= client tokens)"
    )
    partition: Partition = Partition()
    local: LocalTraining = LocalTraining()
    strategy: Strategy = Strategy()
    sampling: Sampling = Sampling()
    behaviours: dict[NonNegInt, Behaviour] = Field(
        default_factory=dict,
        description=(
            "client index → behaviour (`{8: free_rider}` shorthand); unlisted clients are honest"
        ),
    )
    contribution: Contribution = Contribution()

    @field_validator("behaviours", mode="before")
    @classmethod
    def _behaviour_shorthand(cls, value: Any) -> Any:
        """Accept `{8: free_rider}` as shorthand for `{8: {kind: free_rider}}`."""
        if isinstance(value, dict):
            return {k: ({"kind": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy_shorthand(cls, value: Any) -> Any:
        """Accept `strategy: fedprox` as shorthand for `strategy: {name: fedprox}`."""
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _cross_checks(self) -> FL:
        bad = sorted(i for i in self.behaviours if i >= self.clients)
        if bad:
            raise ValueError(
                f"behaviours: names clients {bad} but clients={self.clients} "
                f"(indices run 0..{self.clients - 1})"
            )
        if self.dataset in ("mnist", "cifar10") and not self.data_dir:
            raise ValueError(
                f"data_dir: dataset={self.dataset!r} needs the folder holding your local "
                "files (they cannot be downloaded here)"
            )
        if self.model == "cnn" and self.dataset == "synthetic":
            raise ValueError("model: 'cnn' needs an image dataset; use mlp or logreg for synthetic")
        if "exact_shapley" in self.contribution.methods and self.clients > 14:
            raise ValueError(
                f"clients: exact_shapley needs clients <= 14 (got {self.clients}); "
                "use gtg_shapley or tmc_shapley"
            )
        return self

    def to_settings(self) -> fls.FLSettings:
        """The engine's frozen dataclass view of this section."""
        return _to_dataclass(fls.FLSettings, self.model_dump())


def _to_dataclass(cls: type, data: dict[str, Any]) -> Any:
    """Build the dataclass `cls` from a dumped section, recursing into nested dataclasses."""
    hints = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    nested = {
        "synthetic": fls.SyntheticSettings,
        "partition": fls.PartitionSettings,
        "local": fls.LocalSettings,
        "strategy": fls.StrategySettings,
        "sampling": fls.SamplingSettings,
        "contribution": fls.ContributionSettings,
    }
    for name, value in data.items():
        if name not in hints:
            continue
        if name in nested and is_dataclass(nested[name]) and isinstance(value, dict):
            kwargs[name] = _to_dataclass(nested[name], value)
        elif name == "behaviours":
            kwargs[name] = {int(k): fls.BehaviourSettings(**v) for k, v in value.items()}
        elif isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


# ----------------------------------------------------------------------- scores


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

    source: Literal["fl", "replay", "synthetic"] = Field(
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


# ----------------------------------------------------------------------- market


class Pool(Section):
    """Genesis seeding and fees of every CST_i/BASE pool (same for all clients)."""

    fee_bps: Annotated[int, Field(ge=0, le=1000)] = Field(
        30, description="swap fee in basis points (30 = Uniswap v2's 0.3%)"
    )
    seed_base: Annotated[float, Field(gt=0.0)] = Field(10_000.0, description="whole BASE per pool")
    seed_tokens: Annotated[float, Field(gt=0.0)] = Field(
        10_000.0, description="whole CST_i per pool"
    )
    protocol_fee: bool = Field(False, description="Uniswap's feeTo: 1/6 of fees to the treasury")


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

    mode: Literal["direct", "mint", "buyback", "hybrid"] = Field(
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
        "burn",
        description=(
            "what the federation does with bought-back CST_i: burn, or forward to the client"
        ),
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
        0.0, description="whole BASE held before round 1 (revenue adds to it)"
    )


class Clients(Section):
    """What FL clients do with their tokens, and what taking part costs them."""

    policy: Literal["hold", "sell_fraction", "sell_above_price", "sell_to_fund"] = Field(
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

    strategy: Literal["noise", "momentum", "value", "index", "buyback_frontrunner"] = Field(
        description="noise, momentum, value (contribution-informed), index (equal-weight buy "
        "and hold), buyback_frontrunner (buys announced buy-backs, sells after)"
    )
    count: NonNegInt = Field(10, description="investors in the group")
    budget: TokenAmount = Field(1000.0, description="whole BASE each")
    activity: Probability = Field(0.3, description="chance to act in a substep")
    trade_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.1, description="of budget per trade"
    )
    max_position: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5, description="of budget in one token"
    )
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


class Scenario(Section):
    """One simfl experiment: FL engine, score source and market, run for `rounds` steps."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")] = Field(
        "scenario", description="run-id prefix: letters, digits, _ . -"
    )
    description: str = Field("", description="one line shown by `simfl list`")
    seed: NonNegInt = Field(
        42, description="seeds everything: FL stream and market (Mesa's model.rng)"
    )
    rounds: Annotated[int, Field(ge=1, le=10_000)] = Field(
        10, description="FL rounds = model steps"
    )
    # payout methods to compare: one market per method on the run's one FL trajectory
    compare: tuple[fls.ContributionMethod, ...] = Field(
        (),
        description=(
            "payout methods to compare: one market per method on the run's one FL "
            "trajectory (comparison.parquet)"
        ),
    )
    fl: FL = FL()
    scores: Scores = Scores()
    market: Market = Market()

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        synthetic = self.scores.synthetic
        if synthetic.quality is not None and len(synthetic.quality) != self.fl.clients:
            raise ValueError(
                f"scores.synthetic.quality: lists {len(synthetic.quality)} values "
                f"but fl.clients={self.fl.clients}"
            )
        missing = [m for m in self.compare if m not in self.fl.contribution.methods]
        if missing:
            raise ValueError(
                f"compare: lists {missing}, which fl.contribution.methods does not compute; "
                "add them there"
            )
        if self.compare and self.market.clients.opt_out:
            raise ValueError(
                "compare: replays one FL trajectory per payout method, which participation "
                "feedback would change: set market.clients.opt_out=false or drop compare"
            )
        if self.scores.source == "replay" and self.market.clients.opt_out:
            raise ValueError(
                "scores.source: 'replay' cannot be combined with market.clients.opt_out=true: "
                "participation feedback would change the replayed trajectory"
            )
        return self


# ------------------------------------------------------------------ conversions


def to_base_units(whole_tokens: float | int) -> int:
    """Exact integer base units for an amount in whole tokens.

    Goes through the decimal text of the number, so `0.1` becomes exactly
    10**17 rather than the binary float's neighbour. Rounds half-even at the 18th decimal.

    >>> to_base_units(0.1)
    100000000000000000
    """
    return int((Decimal(str(whole_tokens)) * BASE_UNIT).to_integral_value())


# ---------------------------------------------------------------------- loading


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario-like YAML mapping, with user errors for every way a file can be bad."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such file")
    if path.is_dir():
        raise ScenarioError(f"{path}: is a directory; give the path of a .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot be read ({err})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(f"{path}: not valid YAML{line}: {problem}") from None
    if data is None:
        raise ScenarioError(
            f"{path}: the file is empty; a scenario is a mapping of keys (name, seed, rounds, "
            "fl, market, ...)"
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: the top level must be a mapping of keys (name, seed, rounds, fl, market, "
            f"...), got {type(data).__name__}"
        )
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """`"market.pool.fee_bps=5"` → `("market.pool.fee_bps", 5)`; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(f"--set {text!r}: write it as key.path=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `data` with each dotted key set; list items by index (`a.0.b`)."""
    import copy

    result = copy.deepcopy(data)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = result
        for depth, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                index = _list_index(node, part, parts[: depth + 1])
                node = node[index]
                continue
            key = _int_key(node, part)
            if not isinstance(node.get(key), dict | list):
                node[key] = {}
            node = node[key]
        last = parts[-1]
        if isinstance(node, list):
            node[_list_index(node, last, parts)] = value
        else:
            node[_int_key(node, last)] = value
    return result


def _list_index(node: list[Any], part: str, path: list[str]) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(
            f"--set {'.'.join(path)}: {part!r} is not an index of a list of {len(node)} items"
        )
    return int(part)


def _int_key(node: dict[Any, Any], part: str) -> Any:
    """Mapping keys may be ints in YAML (behaviours); match an existing int key."""
    if part.isdigit() and int(part) in node:
        return int(part)
    return int(part) if part.isdigit() and any(isinstance(k, int) for k in node) else part


def build_scenario(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate a mapping into a `Scenario`, or raise `ScenarioError` listing every problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        lines = [format_error(e, data) for e in err.errors()]
        raise ScenarioError(f"{source}: {len(lines)} problem(s)\n" + "\n".join(lines)) from None


def load_scenario(
    scenario: str | Path | dict[str, Any] | Scenario,
    overrides: dict[str, Any] | None = None,
) -> Scenario:
    """A validated `Scenario` from a YAML path, a mapping or a `Scenario`, with overrides."""
    if isinstance(scenario, Scenario):
        if not overrides:
            return scenario
        data, source = scenario.model_dump(mode="json"), scenario.name
    elif isinstance(scenario, dict):
        data, source = scenario, "scenario"
    else:
        data, source = load_yaml(scenario), str(scenario)
    if overrides:
        data = apply_overrides(data, overrides)
    return build_scenario(data, source)


# ----------------------------------------------------------------------- errors


def format_error(error: Any, data: dict[str, Any]) -> str:
    """One line for one pydantic error: dotted path, value received, what is allowed."""
    loc = [str(p) for p in error["loc"] if not str(p).startswith("function-")]
    loc = [p for p in loc if p not in ("str", "int", "float", "dict[int,Behaviour]")]
    path = ".".join(loc) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _section_at(loc[:-1])
        hint = ""
        if parent is not None:
            close = difflib.get_close_matches(loc[-1], list(parent.model_fields), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            allowed = ", ".join(parent.model_fields)
            return f"{path}: unknown key{hint} (allowed here: {allowed})"
        return f"{path}: unknown key"
    received = error.get("input")
    shown = "nothing" if kind == "missing" else repr(received)
    message = error["msg"]
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"must be one of {expected}"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        key, sep, rest = message.partition(": ")
        if sep and re.fullmatch(r"[a-z_][\w.]*", key):  # a cross-check names its own key
            return f"{'.'.join([*loc, key])}: {rest}"
        return f"{path}: {message}"
    return f"{path}: got {shown}; {message[0].lower()}{message[1:]}"


def _section_at(loc: list[str]) -> type[BaseModel] | None:
    """The schema class found by walking `loc` from `Scenario`, or None."""
    model: Any = Scenario
    for part in loc:
        if part.isdigit():
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        model = _first_model(annotation)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _first_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def describe(scenario: Scenario) -> str:
    """A one-line summary for `simfl validate`."""
    fl = scenario.fl
    market = scenario.market
    investors = sum(g.count for g in market.investors)
    lps = sum(g.count for g in market.liquidity_providers)
    return (
        f"{scenario.name}: {scenario.rounds} rounds, {fl.clients} clients on {fl.dataset} "
        f"({fl.partition.kind}), scores from {scenario.scores.source} paying by "
        f"{fl.contribution.pay_by}, reward {market.reward.mode}, {investors} investors, "
        f"{lps} liquidity providers"
    )


# -------------------------------------------------------------------- reference


def reference_rows(
    model: type[BaseModel] | None = None, prefix: str = ""
) -> list[tuple[str, str, str, str]]:
    """(dotted key, allowed values, default, meaning) for every scenario key, in order."""
    model = model or Scenario
    rows: list[tuple[str, str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        nested = _first_model(field.annotation)
        is_list = "list[" in str(field.annotation) or "dict[" in str(field.annotation)
        if nested is not None and not is_list:
            rows.append((key, "section", "", (nested.__doc__ or "").strip().splitlines()[0]))
            rows += reference_rows(nested, f"{key}.")
            continue
        allowed = _allowed(field)
        default = "" if field.is_required() else _shown_default(field)
        rows.append((key, allowed, default, field.description or ""))
        if nested is not None:
            item = f"{key}[]" if "list[" in str(field.annotation) else f"{key}.<client>"
            rows += reference_rows(nested, f"{item}.")
    return rows


def _allowed(field: Any) -> str:
    """The field's type as a reader wants it: `int (>= 1)`, `one of [...]`, `str | None`."""
    import re

    signs = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}

    def bounds(metadata: str) -> str:
        found = re.findall(r"(ge|gt|le|lt)=([-\d.e]+)", metadata)
        return ", ".join(f"{signs[k]} {v}" for k, v in found)

    text = str(field.annotation).replace("typing.", "")
    text = re.sub(r"simfl\.[\w.]+\.|<class '(\w+)'>", r"\1", text)
    text = re.sub(
        r"Annotated\[(\w+), FieldInfo\(.*?metadata=\[(.*?)\]\)\]",
        lambda m: f"{m.group(1)} ({bounds(m.group(2))})",
        text,
    )
    text = re.sub(r"Optional\[(.*)\]", r"\1 | None", text)
    text = text.replace("Literal[", "one of [")
    own = ", ".join(
        f"{signs[attr]} {getattr(meta, attr)}"
        for meta in field.metadata
        for attr in signs
        if getattr(meta, attr, None) is not None
    )
    patterns = [f"matches {m.pattern}" for m in field.metadata if getattr(m, "pattern", None)]
    extra = ", ".join(filter(None, [own, *patterns]))
    return text + (f" ({extra})" if extra else "")


def _shown_default(field: Any) -> str:
    default = field.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return ""
    return json_dumps(default)


def json_dumps(value: Any) -> str:
    import json

    return json.dumps(value) if not isinstance(value, tuple) else json.dumps(list(value))


def reference_markdown() -> str:
    """The scenario reference as a Markdown table (README's 'Scenario reference')."""
    lines = ["| key | allowed | default | meaning |", "| --- | --- | --- | --- |"]
    for key, allowed, default, meaning in reference_rows():
        cell = allowed.replace("|", "\\|")
        lines.append(f"| `{key}` | {cell} | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


def update_readme(path: str | Path = "README.md") -> bool:
    """Rewrite the README's scenario reference between its markers; True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- reference:start -->\n", "<!-- reference:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    updated = head + start + reference_markdown() + end + tail
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text
