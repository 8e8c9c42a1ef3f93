"""Deterministic seeds derived from (global seed, source, column, ...)."""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(seed: int, *parts: object) -> int:
    """A 64-bit seed from the global seed and a path such as ("bpm", "heartrate", 7)."""
    text = "\x1f".join([str(seed), *(str(p) for p in parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def rng(seed: int, *parts: object) -> np.random.Generator:
    """A numpy generator seeded from (seed, *parts); independent of call order."""
    return np.random.default_rng(derive_seed(seed, *parts))
