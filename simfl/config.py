"""The scenario schema: one YAML file → a validated, typed, frozen `Scenario`.

Every key a scenario may hold is declared here, with its default and its allowed
values; unknown keys are errors (a typo must not silently change an experiment).
`load_scenario` reports every problem at once, one line per dotted path, naming the
value received and what is allowed. Amounts of tokens are given in whole tokens (floats
allowed here, for people) and turned into exact integer base units by `to_base_units`.
"""

from __future__ import annotations

import difflib
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

    alpha: Annotated[float, Field(ge=0.0)] = 0.5
    beta: Annotated[float, Field(ge=0.0)] = 0.5
    samples: Annotated[int, Field(ge=20)] = 3000
    features: PositiveInt = 60
    classes: Annotated[int, Field(ge=2)] = 10


class Partition(Section):
    """How the training pool is split among clients (Flower's partitioner names)."""

    kind: fls.PartitionKind = "iid"
    alpha: Annotated[float, Field(gt=0.0)] = 0.5
    min_partition_size: NonNegInt = 10
    self_balancing: bool = False
    num_shards_per_partition: PositiveInt = 2
    num_classes_per_partition: PositiveInt = 2
    sigma: Annotated[float, Field(gt=0.0)] = 1.0


class LocalTraining(Section):
    """Local training on each selected client."""

    epochs: PositiveInt = 1
    batch_size: PositiveInt = 32
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: Annotated[float, Field(gt=0.0)] = 0.05
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    weight_decay: Annotated[float, Field(ge=0.0)] = 0.0


class Strategy(Section):
    """Server aggregation rule and its parameters."""

    name: fls.StrategyName = "fedavg"
    proximal_mu: Annotated[float, Field(ge=0.0)] = 0.01
    server_lr: Annotated[float, Field(gt=0.0)] = 1.0
    server_momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    beta1: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    beta2: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.99
    tau: Annotated[float, Field(gt=0.0)] = 1e-3
    trim_fraction: Annotated[float, Field(ge=0.0, lt=0.5)] = 0.1
    krum_byzantine: NonNegInt = 1


class Sampling(Section):
    """Client selection per round."""

    fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    min_clients: PositiveInt = 1


class Behaviour(Section):
    """How one client behaves."""

    kind: fls.BehaviourKind = "honest"
    scale: Annotated[float, Field(gt=0.0)] = 1.0
    fraction: Probability = 0.5
    start_round: PositiveInt = 3
    noise_multiplier: Annotated[float, Field(ge=0.0)] = 1.0


class Contribution(Section):
    """Contribution scores computed each round; `pay_by` drives the payouts."""

    methods: tuple[fls.ContributionMethod, ...] = ("size", "loo", "exact_shapley", "cgsv")
    pay_by: fls.ContributionMethod = "exact_shapley"
    utility: Literal["accuracy", "neg_loss"] = "accuracy"
    mode: Literal["MR", "OR"] = "MR"
    permutations: PositiveInt = 50
    antithetic: bool = False
    truncation_tolerance: Annotated[float, Field(ge=0.0)] = 0.01
    between_round_tolerance: Annotated[float, Field(ge=0.0)] = 0.005
    gtg_max_permutations: PositiveInt = 30
    gtg_convergence: Annotated[float, Field(gt=0.0)] = 0.05
    cgsv_alpha: Probability = 0.8

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
                f"pay_by={self.pay_by!r} is not among methods {list(self.methods)}; add it there"
            )
        return self


class FL(Section):
    """The federated-learning engine: data, model, clients, training, contribution."""

    dataset: fls.DatasetName = "digits"
    data_dir: str | None = None
    validation_size: Annotated[int, Field(ge=10)] = 360
    max_train_samples: Annotated[int, Field(ge=10)] | None = None
    synthetic: SyntheticData = SyntheticData()
    model: fls.ModelName = "mlp"
    hidden: PositiveInt = 32
    clients: Annotated[int, Field(ge=2, le=1000)] = 10
    partition: Partition = Partition()
    local: LocalTraining = LocalTraining()
    strategy: Strategy = Strategy()
    sampling: Sampling = Sampling()
    behaviours: dict[NonNegInt, Behaviour] = Field(default_factory=dict)
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
                f"behaviours name clients {bad} but clients={self.clients} "
                f"(indices run 0..{self.clients - 1})"
            )
        if self.dataset in ("mnist", "cifar10") and not self.data_dir:
            raise ValueError(
                f"dataset={self.dataset!r} needs data_dir: the folder holding your local "
                "files (they cannot be downloaded here)"
            )
        if self.model == "cnn" and self.dataset == "synthetic":
            raise ValueError("model='cnn' needs an image dataset; use mlp or logreg for synthetic")
        if "exact_shapley" in self.contribution.methods and self.clients > 14:
            raise ValueError(
                f"exact_shapley needs clients <= 14 (got {self.clients}); "
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

    quality: list[Annotated[float, Field(ge=0.0)]] | None = None  # per client; None: drawn
    noise: Annotated[float, Field(ge=0.0)] = 0.1  # sd of per-round noise, relative
    start_accuracy: Probability = 0.3
    final_accuracy: Probability = 0.9


class Scores(Section):
    """Where the per-round contribution scores come from."""

    source: Literal["fl", "replay", "synthetic"] = "fl"
    replay_dir: str | None = None  # a results/<run-id>/ folder, for source=replay
    synthetic: SyntheticScores = SyntheticScores()

    @model_validator(mode="after")
    def _replay_needs_dir(self) -> Scores:
        if self.source == "replay" and not self.replay_dir:
            raise ValueError("source='replay' needs replay_dir: an earlier run's results folder")
        return self


# ----------------------------------------------------------------------- market


class Pool(Section):
    """Genesis seeding and fees of every CST_i/BASE pool (same for all clients)."""

    fee_bps: Annotated[int, Field(ge=0, le=1000)] = 30
    seed_base: Annotated[float, Field(gt=0.0)] = 10_000.0  # whole BASE per pool
    seed_tokens: Annotated[float, Field(gt=0.0)] = 10_000.0  # whole CST_i per pool
    protocol_fee: bool = False  # Uniswap's feeTo: 1/6 of fees to the treasury


class Schedule(Section):
    """An amount per round: constant, decaying, or tied to the model's accuracy."""

    kind: Literal["constant", "decaying", "accuracy", "accuracy_gain"] = "constant"
    amount: TokenAmount = 1000.0  # whole tokens per round (at accuracy 1 for accuracy kinds)
    decay: Annotated[float, Field(gt=0.0, le=1.0)] = 0.9  # decaying: amount·decay^(t-1)


class Reward(Section):
    """How contribution weights become payouts (DESIGN.md, 'The mechanism')."""

    mode: Literal["direct", "mint", "buyback", "hybrid"] = "hybrid"
    emission: Schedule = Schedule()  # CST minted per round (mint, hybrid)
    revenue: Schedule = Schedule()  # BASE earned and paid per round (direct, buyback, hybrid)
    bought_back: Literal["burn", "forward"] = "burn"
    reputation: Probability = 0.0  # EMA weight on past weights; 0 = this round only

    @field_validator("emission", "revenue", mode="before")
    @classmethod
    def _number_is_constant(cls, value: Any) -> Any:
        """Accept `emission: 1000` as shorthand for a constant schedule."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"kind": "constant", "amount": value}
        return value


class Treasury(Section):
    """The federation's BASE treasury."""

    initial: TokenAmount = 0.0  # whole BASE held before round 1 (revenue adds to it)


class Clients(Section):
    """What FL clients do with their tokens, and what taking part costs them."""

    policy: Literal["hold", "sell_fraction", "sell_above_price", "sell_to_fund"] = "hold"
    fraction: Probability = 0.5  # sell_fraction: share of holdings sold each round
    price_threshold: Annotated[float, Field(gt=0.0)] = 1.2  # sell_above_price: × genesis price
    endowment: TokenAmount = 0.0  # whole BASE each client starts with
    token_endowment: TokenAmount = 0.0  # whole CST_i each client holds of its own at genesis
    cost_per_round: TokenAmount = 0.0  # whole BASE a round of training costs
    opt_out: bool = False  # skip rounds whose expected reward is below the cost
    memory: PositiveInt = 3  # rounds of payouts that form the expected reward
    rejoin_after: PositiveInt = 3  # an opted-out client retries after this many rounds


class InvestorGroup(Section):
    """A group of third-party investors sharing one strategy."""

    strategy: Literal["noise", "momentum", "value", "index", "buyback_frontrunner"]
    count: NonNegInt = 10
    budget: TokenAmount = 1000.0  # whole BASE each
    activity: Probability = 0.3  # chance to act in a substep
    trade_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1  # of budget per trade
    max_position: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5  # of budget in one token
    max_slippage_bps: Annotated[int, Field(ge=1, le=10_000)] = 300
    lookback: PositiveInt = 3  # momentum / value: rounds looked back
    threshold: Annotated[float, Field(ge=0.0)] = 0.1  # value: relative mispricing to act on


class LiquidityProviderGroup(Section):
    """A group of liquidity providers."""

    count: NonNegInt = 2
    budget: TokenAmount = 5000.0  # whole BASE each, spread over all pools
    deploy: Probability = 0.5  # share of budget added at genesis; the rest waits
    add_yield: Annotated[float, Field(ge=0.0)] = 0.002  # add when last round's fee yield ≥
    withdraw_loss: Annotated[float, Field(ge=0.0)] = 0.2  # leave a pool when IL beyond


class Market(Section):
    """The token economy around the federation."""

    pool: Pool = Pool()
    reward: Reward = Reward()
    treasury: Treasury = Treasury()
    clients: Clients = Clients()
    investors: list[InvestorGroup] = Field(default_factory=list)
    liquidity_providers: list[LiquidityProviderGroup] = Field(default_factory=list)
    substeps: NonNegInt = 10


class Scenario(Section):
    """One simfl experiment: FL engine, score source and market, run for `rounds` steps."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")] = "scenario"
    description: str = ""
    seed: NonNegInt = 42
    rounds: Annotated[int, Field(ge=1, le=10_000)] = 10
    # payout methods to compare: one market per method on the run's one FL trajectory
    compare: tuple[fls.ContributionMethod, ...] = ()
    fl: FL = FL()
    scores: Scores = Scores()
    market: Market = Market()

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        synthetic = self.scores.synthetic
        if synthetic.quality is not None and len(synthetic.quality) != self.fl.clients:
            raise ValueError(
                f"scores.synthetic.quality lists {len(synthetic.quality)} values "
                f"but fl.clients={self.fl.clients}"
            )
        missing = [m for m in self.compare if m not in self.fl.contribution.methods]
        if missing:
            raise ValueError(
                f"compare lists {missing}, which fl.contribution.methods does not compute; "
                "add them there"
            )
        if self.compare and self.market.clients.opt_out:
            raise ValueError(
                "compare replays one FL trajectory per payout method, which participation "
                "feedback would change: set market.clients.opt_out=false or drop compare"
            )
        if self.scores.source == "replay" and self.market.clients.opt_out:
            raise ValueError(
                "scores.source='replay' cannot be combined with market.clients.opt_out=true: "
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
