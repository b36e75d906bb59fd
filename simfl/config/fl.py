"""The scenario's `fl:` section: mirrors `simfl.fl.settings` field for field, validates
it, and converts it to the engine's frozen dataclasses (`FL.to_settings`)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, create_model, field_validator, model_validator

from simfl.config.base import NonNegInt, PositiveInt, Probability, Section
from simfl.fl import settings as fls
from simfl.fl.methods import Param, cgsv_alpha_problem, method_params, method_problems
from simfl.fl.rules import RULES, resolved

# Defaults live once, in the engine's dataclasses (`simfl.fl.settings`); the schema reads
# them from these instances and adds only constraints and descriptions.
_FL = fls.FLSettings()
_BEHAVIOUR = fls.BehaviourSettings()


class SyntheticData(Section):
    """FedProx's Synthetic(alpha, beta) data set."""

    alpha: Annotated[float, Field(ge=0.0)] = Field(
        _FL.synthetic.alpha, description="model heterogeneity across clients"
    )
    beta: Annotated[float, Field(ge=0.0)] = Field(
        _FL.synthetic.beta, description="input heterogeneity across clients"
    )
    samples: Annotated[int, Field(ge=20)] = Field(
        _FL.synthetic.samples, description="total samples over all clients"
    )
    features: PositiveInt = Field(_FL.synthetic.features, description="input dimension")
    classes: Annotated[int, Field(ge=2)] = Field(
        _FL.synthetic.classes, description="number of classes"
    )


class Partition(Section):
    """How the training pool is split among clients (Flower's partitioner names)."""

    kind: fls.PartitionKind = Field(
        _FL.partition.kind,
        description=(
            "Flower partitioner: iid, dirichlet, inner_dirichlet, shard, pathological, "
            "or quantity skew linear/exponential/lognormal"
        ),
    )
    alpha: Annotated[float, Field(gt=0.0)] = Field(
        _FL.partition.alpha,
        description="Dirichlet concentration (dirichlet, inner_dirichlet); smaller = more skew",
    )
    min_partition_size: NonNegInt = Field(
        _FL.partition.min_partition_size,
        description="dirichlet: resample until every client has this many",
    )
    self_balancing: bool = Field(
        _FL.partition.self_balancing,
        description="dirichlet: stop giving a class to clients above the average size",
    )
    num_shards_per_partition: PositiveInt = Field(
        _FL.partition.num_shards_per_partition, description="shard: shards per client"
    )
    num_classes_per_partition: PositiveInt = Field(
        _FL.partition.num_classes_per_partition, description="pathological: classes per client"
    )
    class_assignment_mode: fls.ClassAssignmentMode = Field(
        _FL.partition.class_assignment_mode,
        description="pathological: how classes are dealt (Flower's modes; random = default)",
    )
    partition_sizes: tuple[NonNegInt, ...] | None = Field(
        _FL.partition.partition_sizes,
        description="inner_dirichlet: samples per client; None = as equal as possible",
    )
    sigma: Annotated[float, Field(gt=0.0)] = Field(
        _FL.partition.sigma, description="lognormal quantity skew spread"
    )


class LocalTraining(Section):
    """Local training on each selected client."""

    epochs: PositiveInt = Field(_FL.local.epochs, description="local epochs per round")
    batch_size: PositiveInt = Field(_FL.local.batch_size, description="local mini-batch size")
    optimizer: Literal["sgd", "adam"] = Field(_FL.local.optimizer, description="local optimizer")
    lr: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = Field(
        _FL.local.lr, description="local learning rate (finite, > 0)"
    )
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        _FL.local.momentum, description="SGD momentum"
    )
    weight_decay: Annotated[float, Field(ge=0.0)] = Field(
        _FL.local.weight_decay, description="L2 penalty"
    )


class Strategy(Section):
    """Server aggregation rule and its parameters."""

    name: fls.StrategyName = Field(
        _FL.strategy.name, description="aggregation rule (`strategy: fedprox` shorthand)"
    )
    proximal_mu: Annotated[float, Field(ge=0.0)] = Field(
        _FL.strategy.proximal_mu, description="fedprox: proximal term μ"
    )
    server_lr: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = Field(
        _FL.strategy.server_lr,
        description="fedavgm, fedadam: server learning rate; null = the rule's own "
        "(fedavgm 1.0, fedadam 0.1)",
    )
    server_momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        _FL.strategy.server_momentum, description="fedavgm: server momentum"
    )
    beta1: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        _FL.strategy.beta1, description="fedadam: first-moment decay"
    )
    beta2: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        _FL.strategy.beta2, description="fedadam: second-moment decay"
    )
    tau: Annotated[float, Field(gt=0.0)] = Field(
        _FL.strategy.tau, description="fedadam: adaptivity"
    )
    trim_fraction: Annotated[float, Field(ge=0.0, lt=0.5)] = Field(
        _FL.strategy.trim_fraction, description="trimmed_mean: fraction cut at each end"
    )
    krum_byzantine: NonNegInt = Field(
        _FL.strategy.krum_byzantine, description="krum: assumed number of Byzantine clients f"
    )
    krum_keep: Annotated[int, Field(ge=1)] | None = Field(
        _FL.strategy.krum_keep,
        description="krum: average the m best-scored updates (Multi-Krum); null = m = "
        "clients - f, 1 = Krum",
    )
    cgsv_alpha: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        _FL.strategy.cgsv_alpha, description="cgsv: EMA weight on past reputation"
    )
    cgsv_beta: Annotated[float, Field(gt=0.0)] = Field(
        _FL.strategy.cgsv_beta, description="cgsv: altruism β; reward share tanh(β r_i)"
    )
    cgsv_gamma: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = Field(
        _FL.strategy.cgsv_gamma, description="cgsv: length Γ of each normalised update"
    )

    @model_validator(mode="before")
    @classmethod
    def _rule_defaults(cls, data: Any) -> Any:
        """A null `server_lr` becomes the rule's own (fedavgm 1.0, fedadam 0.1), so the
        resolved scenario and the manifest show what ran."""
        if isinstance(data, dict) and data.get("name") in RULES:
            return {**data, "server_lr": resolved(data["name"], "server_lr", data.get("server_lr"))}
        return data


class Sampling(Section):
    """Client selection per round."""

    fraction: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        _FL.sampling.fraction, description="share of willing clients selected per round"
    )
    min_clients: PositiveInt = Field(
        _FL.sampling.min_clients, description="at least this many selected (if willing)"
    )


class Behaviour(Section):
    """How one client behaves."""

    kind: fls.BehaviourKind = Field(
        _BEHAVIOUR.kind,
        description=(
            "honest, free riders (plain, disguised, delta, dynamic), label_flip, "
            "sign_flip, scaled, noisy_labels"
        ),
    )
    scale: Annotated[float, Field(gt=0.0)] = Field(
        _BEHAVIOUR.scale, description="sign_flip, scaled: update multiplier"
    )
    fraction: Probability = Field(
        _BEHAVIOUR.fraction, description="noisy_labels: share of labels replaced"
    )
    start_round: PositiveInt = Field(
        _BEHAVIOUR.start_round, description="free_rider_dynamic: first round it free-rides"
    )
    noise_multiplier: Annotated[float, Field(ge=0.0)] = Field(
        _BEHAVIOUR.noise_multiplier,
        description="free_rider_disguised: noise norm / norm of the last global change",
    )
    claim_factor: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = Field(
        _BEHAVIOUR.claim_factor,
        description="claimed sample size / real partition size (2 = claims double, 0 = nothing); "
        "aggregation, the game and `size` use the claim",
    )


class _ContributionCore(Section):
    """Which scores are computed and how (the methods' own parameters follow)."""

    methods: tuple[fls.ContributionMethod, ...] = Field(
        _FL.contribution.methods,
        description="scores computed every round (all land in scores.parquet)",
    )
    pay_by: fls.ContributionMethod = Field(
        _FL.contribution.pay_by,
        description="the method whose scores drive payouts; must be in methods",
    )
    utility: Literal["accuracy", "neg_loss"] = Field(
        _FL.contribution.utility,
        description="v(S): validation accuracy or −loss of coalition S's aggregate",
    )
    mode: Literal["MR", "OR"] = Field(
        _FL.contribution.mode,
        description="MR: per-round scores; OR: one-round reconstruction from accumulated updates",
    )


def _method_field(param: Param, readers: tuple[str, ...]) -> tuple[Any, Any]:
    """A registry-declared parameter as a pydantic field: its type with its bounds (and
    `| None` if nullable), its default, and `readers: doc` as the description."""
    bounds = param.bounds()
    annotation: Any = Annotated[param.type, Field(**bounds)] if bounds else param.type
    if param.nullable:
        annotation = annotation | None
    return annotation, Field(param.default, description=f"{', '.join(readers)}: {param.doc}")


# every parameter a method declares in `simfl.fl.methods` is a key here, after the core
# ones: a method's new parameter needs no edit in this file
_ContributionParams = create_model(
    "_ContributionParams",
    __base__=_ContributionCore,
    **{name: _method_field(p, readers) for name, (p, readers) in method_params().items()},
)


class Contribution(_ContributionParams):  # type: ignore[misc, valid-type]
    """Contribution scores computed each round; `pay_by` drives the payouts."""

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
        _FL.dataset,
        description=(
            "digits (bundled, fast) | fashion-mnist (Debian package) | mnist, cifar10 "
            "(your local files) | synthetic"
        ),
    )
    data_dir: str | None = Field(
        _FL.data_dir, description="mnist, cifar10: folder holding your local files"
    )
    validation_size: Annotated[int, Field(ge=10)] = Field(
        _FL.validation_size, description="server validation samples split off with the seed"
    )
    test_size: Annotated[int, Field(ge=10)] = Field(
        _FL.test_size, description="held-out test samples split off with the seed (reported only)"
    )
    max_train_samples: Annotated[int, Field(ge=10)] | None = Field(
        _FL.max_train_samples, description="subsample the training pool (speed)"
    )
    synthetic: SyntheticData = SyntheticData()
    model: fls.ModelName = Field(
        _FL.model, description="logistic regression, one-hidden-layer MLP, or small CNN"
    )
    hidden: PositiveInt = Field(
        _FL.hidden, description="MLP hidden width; CNN channels of the first conv layer"
    )
    clients: Annotated[int, Field(ge=2, le=1000)] = Field(
        _FL.clients, description="number of FL clients (= client tokens)"
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
        # each method's own `check` (simfl.fl.methods): what the engine would refuse
        problems = method_problems(self.contribution, self.contribution.methods, self.clients)
        if problems:
            raise ValueError(problems[0])
        alpha_problem = cgsv_alpha_problem(self.strategy, self.contribution)
        if alpha_problem:
            raise ValueError(alpha_problem)
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
