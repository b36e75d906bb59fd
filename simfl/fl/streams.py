"""Independent random streams, derived from the run's generator by name.

`substream(rng, name)` is a generator spawned from `rng`'s seed sequence with a key that
is a stable hash of `name` (CRC-32 of its UTF-8 bytes), so it depends on the seed and the
name only: not on how much `rng` has been drawn from, nor on which other streams exist
or in which order they were made. Training, client sampling and every contribution
method each draw from their own, so adding, removing or reordering one changes nothing
in the others.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAM_TAG = 0x5354524D  # "STRM": keeps these children apart from SeedSequence.spawn's


def fl_stream(seed: int) -> np.random.Generator:
    """The FL engine's generator: a child of `seed`, independent of the market's stream."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def engine_streams(
    rng: np.random.Generator,
) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator, np.random.Generator]:
    """The engine's four streams under `rng`: setup (data split, partition), client
    sampling, local training, scoring — one recipe for the engine and for `validate`,
    which redraws the setup stream's split."""
    setup, sampling, training, scoring = rng.spawn(4)
    return setup, sampling, training, scoring


def substream(rng: np.random.Generator, name: str) -> np.random.Generator:
    """The generator named `name` under `rng`'s seed sequence (never draws from `rng`)."""
    seed_seq = rng.bit_generator.seed_seq
    if not isinstance(seed_seq, np.random.SeedSequence):
        raise TypeError("substream needs a generator built from a SeedSequence (default_rng)")
    key = zlib.crc32(name.encode("utf-8"))
    child = np.random.SeedSequence(
        entropy=seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, STREAM_TAG, key)
    )
    return np.random.default_rng(child)
