"""How a client turns the global model into the update it submits.

Each behaviour is two small functions behind one protocol: `labels` edits the client's
labels once at setup (label flippers, noisy clients), `submit` maps the honestly trained
update (or None when the behaviour skips training this round) to the update sent. A
client sees only what a client can see: the global models it received (hence the last
global change), never the other clients' updates.

Every behaviour also claims a sample size, `claim_factor` x its real partition size
(rounded half to even); the server weighs updates by what is claimed (FedAvg, FedAvgM,
FedAdam, the coalition game, the `size` method), since it cannot count a client's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from simfl.errors import UserError

if TYPE_CHECKING:  # torch-free at run time: settings takes the allowed kinds from BEHAVIOURS
    import torch

    from simfl.fl.settings import BehaviourSettings


@dataclass(frozen=True, slots=True)
class SubmitContext:
    """What a client may see when it forms its update."""

    round: int  # 1-based
    zero: torch.Tensor  # a zero update (Δ = 0), shaped like the model; never modified
    last_global_change: torch.Tensor | None  # w_t - w_{t-1}; None before any round changed it
    generator: torch.Generator


class Behaviour(Protocol):
    settings: BehaviourSettings

    def trains(self, round: int) -> bool:
        """Whether the client runs local training this round."""
        ...

    def labels(self, y: np.ndarray, num_classes: int, rng: np.random.Generator) -> np.ndarray:
        """The client's training labels (called once, at setup)."""
        ...

    def submit(self, trained: torch.Tensor | None, ctx: SubmitContext) -> torch.Tensor:
        """The update the client sends to the server."""
        ...


@dataclass(frozen=True)
class Honest:
    """Trains on its own data and sends the result."""

    settings: BehaviourSettings

    def trains(self, round: int) -> bool:
        return True

    def labels(self, y, num_classes, rng):
        return y

    def submit(self, trained, ctx):
        return trained


class FreeRider(Honest):
    """Plain free rider (Fraboni et al., AISTATS 2021): sends the global model back
    unchanged (Δ = 0), never trains.

    In the server's game it is a null player only if it claims no data
    (`claim_factor: 0`): with a claimed size n_f > 0, FedAvg mixes its zero update in and
    scales the others' step by Σn_S / (Σn_S + n_f), which the server really does, so its
    Shapley value is the worth of that shrinkage (usually negative early in training,
    where a full step helps). Under robust rules its zero update also moves the median
    or the Krum choice, and under server momentum any non-empty coalition carries the
    momentum, so it is not null there either."""

    def trains(self, round: int) -> bool:
        return False

    def submit(self, trained, ctx):
        return ctx.zero.clone()


class DisguisedFreeRider(FreeRider):
    """Disguised free rider (Fraboni et al., AISTATS 2021): the global model plus Gaussian
    noise, never training. Fraboni et al. let the noise decay as σ t^-γ; here its L2 norm
    is `noise_multiplier` x the norm of the last global change w_t - w_{t-1}, which any
    client can compute from the models it received and which shrinks as training
    converges. Before any global change (round 1) it has nothing to imitate and sends
    Δ = 0, like a plain free rider."""

    def submit(self, trained, ctx):
        if ctx.last_global_change is None:
            return ctx.zero.clone()
        noise = ctx.zero.new_empty(ctx.zero.shape).normal_(generator=ctx.generator)
        norm = float(noise.norm())
        target = self.settings.noise_multiplier * float(ctx.last_global_change.norm())
        return noise * (target / norm) if norm else noise


class DeltaFreeRider(FreeRider):
    """Delta-weights free rider (Lin, Du & Liu 2019, "Free-riders in federated learning:
    attacks and defenses"): replays the last global change w_t - w_{t-1} as its own
    update; Δ = 0 before any change."""

    def submit(self, trained, ctx):
        if ctx.last_global_change is None:
            return ctx.zero.clone()
        return ctx.last_global_change.clone()


class DynamicFreeRider(Honest):
    """Honest before round `start_round`, a plain free rider from then on."""

    def trains(self, round: int) -> bool:
        return round < self.settings.start_round

    def submit(self, trained, ctx):
        return trained if trained is not None else ctx.zero.clone()


class LabelFlipper(Honest):
    """Trains honestly on labels mapped y -> C - 1 - y."""

    def labels(self, y, num_classes, rng):
        return (num_classes - 1 - y).astype(y.dtype)


class NoisyLabels(Honest):
    """Trains honestly after a `fraction` of its labels were redrawn uniformly at setup."""

    def labels(self, y, num_classes, rng):
        fraction = self.settings.fraction
        if not 0.0 <= fraction <= 1.0:
            raise UserError(f"noisy_labels fraction={fraction} must be in [0, 1]")
        noisy = y.copy()
        hit = rng.random(len(y)) < fraction
        noisy[hit] = rng.integers(num_classes, size=int(hit.sum()))
        return noisy


class SignFlipper(Honest):
    """Sends -scale x its honest update."""

    def submit(self, trained, ctx):
        return -self.settings.scale * trained


class Scaled(Honest):
    """Sends +scale x its honest update (boosting)."""

    def submit(self, trained, ctx):
        return self.settings.scale * trained


BEHAVIOURS: dict[str, type[Honest]] = {
    "honest": Honest,
    "free_rider": FreeRider,
    "free_rider_disguised": DisguisedFreeRider,
    "free_rider_delta": DeltaFreeRider,
    "free_rider_dynamic": DynamicFreeRider,
    "label_flip": LabelFlipper,
    "sign_flip": SignFlipper,
    "scaled": Scaled,
    "noisy_labels": NoisyLabels,
}


def make_behaviour(settings: BehaviourSettings) -> Behaviour:
    """The behaviour object for `settings.kind`."""
    try:
        return BEHAVIOURS[settings.kind](settings)
    except KeyError:
        raise UserError(
            f"unknown behaviour {settings.kind!r}; expected one of {', '.join(BEHAVIOURS)}"
        ) from None
