"""Deterministic randomness for the synthetic population: stable hashes, weighted choices, dates."""

from __future__ import annotations

import hashlib
import random
from bisect import bisect
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any


def mix(*parts: object) -> int:
    """A stable 64-bit integer from ``parts`` (never Python's salted ``hash``)."""
    text = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def unit(*parts: object) -> float:
    """A stable float in ``[0, 1)`` from ``parts``."""
    return mix(*parts) / 2.0**64


class Weighted:
    """Weighted choice with precomputed cumulative weights."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float] | None = None) -> None:
        if not items:
            raise ValueError("empty choice")
        self.items = tuple(items)
        weights = weights if weights is not None else [1.0] * len(self.items)
        cum, total = [], 0.0
        for w in weights:
            total += float(w)
            cum.append(total)
        self.cum = cum
        self.total = total

    @classmethod
    def of(cls, pairs: Sequence[tuple[Any, float]]) -> Weighted:
        return cls([p[0] for p in pairs], [p[1] for p in pairs])

    def pick(self, rng: random.Random) -> Any:
        return self.items[min(bisect(self.cum, rng.random() * self.total), len(self.items) - 1)]


def between(rng: random.Random, lo: date, hi: date) -> date:
    """A uniform date in ``[lo, hi]``."""
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))
