"""Typed, frozen settings of the federated-learning engine.

`simfl.fl` knows nothing of YAML or pydantic: `simfl.config` validates a scenario's `fl:`
section and turns it into these dataclasses (same field names, same defaults), so the
engine can also be driven from plain Python. Every field here is a scenario key under
`fl.`; a field added here must be added to `simfl.config` too, except a contribution
method's parameters: those are declared once, in the method's registry entry
(`simfl.fl.methods`), and become fields of `ContributionSettings` and schema keys from
there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import Literal, Optional

from simfl.fl.behaviours import BEHAVIOURS
from simfl.fl.methods import EXACT_MAX_PLAYERS as EXACT_MAX_PLAYERS  # exact Shapley's limit
from simfl.fl.methods import METHOD_NAMES, method_params
from simfl.fl.partition import CLASS_ASSIGNMENT_MODES, PARTITIONERS
from simfl.fl.rules import RULE_NAMES

DatasetName = Literal["digits", "fashion-mnist", "mnist", "cifar10", "synthetic"]
ModelName = Literal["logreg", "mlp", "cnn"]
# the partitioner registry's names (simfl/fl/partition.py): a new kind needs no edit here
PartitionKind = Literal[tuple(PARTITIONERS)]  # type: ignore[valid-type]
ClassAssignmentMode = Literal[CLASS_ASSIGNMENT_MODES]  # type: ignore[valid-type]
# the server-rule registry's names (simfl/fl/rules.py): a new rule needs no edit here
StrategyName = Literal[RULE_NAMES]  # type: ignore[valid-type]
# the behaviour registry's names (simfl/fl/behaviours.py): a new kind needs no edit here
BehaviourKind = Literal[tuple(BEHAVIOURS)]  # type: ignore[valid-type]
# the contribution-method registry's names (simfl/fl/methods.py): a new method needs no edit here
ContributionMethod = Literal[METHOD_NAMES]  # type: ignore[valid-type]


@dataclass(frozen=True)
class SyntheticSettings:
    """FedProx's Synthetic(alpha, beta): alpha skews models, beta skews inputs."""

    alpha: float = 0.5
    beta: float = 0.5
    samples: int = 3000  # total samples over all clients
    features: int = 60
    classes: int = 10


@dataclass(frozen=True)
class PartitionSettings:
    """Flower-style partitioner; only the fields of the chosen `kind` are used."""

    kind: PartitionKind = "iid"
    alpha: float = 0.5  # dirichlet, inner_dirichlet
    min_partition_size: int = 10  # dirichlet: resample until every client has this many
    self_balancing: bool = False  # dirichlet
    num_shards_per_partition: int = 2  # shard
    num_classes_per_partition: int = 2  # pathological
    # pathological: Flower's class_assignment_mode (random | first-deterministic | deterministic)
    class_assignment_mode: ClassAssignmentMode = "random"
    sigma: float = 1.0  # lognormal quantity skew
    # inner_dirichlet: samples per client (Flower's partition_sizes); None = as equal as possible
    partition_sizes: tuple[int, ...] | None = None


@dataclass(frozen=True)
class LocalSettings:
    """Local training on each selected client."""

    # 2 epochs at lr 0.1 (McMahan et al.'s E > 1 regime): every aggregator at its defaults
    # reaches >= 0.85 on IID digits, 10 clients, 20 rounds (1 epoch at 0.05 ends near 0.5)
    epochs: int = 2
    batch_size: int = 32
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    weight_decay: float = 0.0


@dataclass(frozen=True)
class StrategySettings:
    """Server aggregation; only the parameters of the chosen `name` are used."""

    name: StrategyName = "fedavg"
    proximal_mu: float = 0.01  # fedprox
    server_lr: float | None = None  # fedavgm (1.0), fedadam (0.1); None = the rule's own
    server_momentum: float = 0.9  # fedavgm
    beta1: float = 0.9  # fedadam
    beta2: float = 0.99  # fedadam
    tau: float = 1e-3  # fedadam
    trim_fraction: float = 0.1  # trimmed_mean: fraction cut at each end
    krum_byzantine: int = 1  # krum: assumed number of Byzantine clients f
    # krum: average the m best-scored updates, unweighted (Multi-Krum, Blanchard et al.
    # 2017); None = m = c - f, 1 = Krum. Multi-Krum by default: Krum alone keeps one
    # update, ends below 0.85 on IID digits (0.844 at seed 2 of 0-9) and freezes at a
    # free rider's zero update on Dirichlet(0.5) splits
    krum_keep: int | None = None
    cgsv_alpha: float = 0.95  # cgsv: EMA weight on past reputation (Xu et al. 2021)
    cgsv_beta: float = 1.0  # cgsv: altruism β of the reward share tanh(β r_i)
    cgsv_gamma: float = 0.5  # cgsv: length Γ of each normalised update


@dataclass(frozen=True)
class SamplingSettings:
    """Client selection per round, drawn from the clients willing to take part."""

    fraction: float = 1.0
    min_clients: int = 1


@dataclass(frozen=True)
class BehaviourSettings:
    """How one client behaves; parameters unused by its `kind` are ignored."""

    kind: BehaviourKind = "honest"
    scale: float = 1.0  # sign_flip, scaled
    fraction: float = 0.5  # noisy_labels
    start_round: int = 3  # free_rider_dynamic: first round it free-rides (1-based)
    noise_multiplier: float = 1.0  # free_rider_disguised: noise norm / last global change norm
    claim_factor: float = 1.0  # claimed sample size / real partition size (any kind)


@dataclass(frozen=True)
class _ContributionCore:
    """Which contribution scores to compute each round, and how."""

    methods: tuple[ContributionMethod, ...] = ("size", "loo", "exact_shapley", "cgsv")
    pay_by: ContributionMethod = "exact_shapley"  # must be one of `methods`
    utility: Literal["accuracy", "neg_loss"] = "accuracy"
    mode: Literal["MR", "OR"] = "MR"  # multi-round or one-round reconstruction


# the core fields, then every parameter the method registry declares (name, type,
# default), in registry order: a method's new parameter needs no edit here
ContributionSettings = make_dataclass(
    "ContributionSettings",
    [
        (p.name, Optional[p.type] if p.nullable else p.type, field(default=p.default))  # noqa: UP045
        for p, _ in method_params().values()
    ],
    bases=(_ContributionCore,),
    frozen=True,
    namespace={
        "__module__": __name__,
        "__doc__": "Which contribution scores to compute each round, and every method's "
        "parameters (`simfl.fl.methods`: `Method.params`).",
    },
)


@dataclass(frozen=True)
class FLSettings:
    """Everything the FL engine needs to run, round by round."""

    dataset: DatasetName = "digits"
    data_dir: str | None = None  # mnist, cifar10: folder holding the user's local files
    validation_size: int = 360  # server validation samples split off with the seed
    test_size: int = 360  # held-out test samples (reported only; never seen by the game)
    max_train_samples: int | None = None  # subsample the training pool (speed)
    synthetic: SyntheticSettings = field(default_factory=SyntheticSettings)
    model: ModelName = "mlp"
    hidden: int = 32  # mlp hidden width; cnn channels of the first conv layer
    clients: int = 10
    partition: PartitionSettings = field(default_factory=PartitionSettings)
    local: LocalSettings = field(default_factory=LocalSettings)
    strategy: StrategySettings = field(default_factory=StrategySettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    # client index -> behaviour; clients not listed are honest
    behaviours: dict[int, BehaviourSettings] = field(default_factory=dict)
    contribution: ContributionSettings = field(default_factory=ContributionSettings)
