"""Differentially private counts through OpenDP (the second release mode). No Django.

Each table is a histogram over a fixed, public set of cells (never drawn from the data): a person
added to or removed from the population changes one cell of a table by one, so the L1 sensitivity
of a table is 1 and the discrete Laplace (geometric) mechanism with scale ``1/ε`` makes it ε-DP. A
release of several tables over the same people spends the sum of their ε (sequential composition).
Rounding negative noisy counts up to zero, and totals and rates computed from the noisy cells, are
post-processing and cost nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The neighbouring relation: one person more or fewer changes one cell of a table by one.
SENSITIVITY = 1


def _opendp() -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def laplace_measurement(epsilon: float, *, contributions: int = SENSITIVITY) -> Any:
    """The OpenDP measurement adding discrete Laplace noise to a vector of counts, ε-DP for one person who
    contributes at most ``contributions`` to the table (L1 distance)."""
    if not epsilon > 0:
        raise ValueError("epsilon must be positive")
    dp = _opendp()
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    scale = dp.binary_search_param(lambda s: dp.m.make_laplace(*space, scale=s), d_in=contributions,
                                   d_out=epsilon)
    return dp.m.make_laplace(*space, scale=scale)


def privacy_loss(measurement: Any, *, contributions: int = SENSITIVITY) -> float:
    """The ε the measurement spends for one person (OpenDP's privacy map)."""
    return float(measurement.map(contributions))


def noisy_counts(counts: Mapping[str, int], *, epsilon: float,
                 contributions: int = SENSITIVITY) -> tuple[dict[str, int], float]:
    """``counts`` (every cell, zeros included) with noise, each rounded up to zero if negative, and the ε
    spent (at most ``epsilon``)."""
    measurement = laplace_measurement(epsilon, contributions=contributions)
    names = list(counts)
    noisy = measurement([int(counts[name]) for name in names])
    spent = privacy_loss(measurement, contributions=contributions)
    return {name: max(0, int(value)) for name, value in zip(names, noisy, strict=True)}, spent


def margin_of_error(epsilon: float, *, confidence: float = 0.95) -> float:
    """How far a noisy cell strays from the true count at most, with ``confidence`` (discrete Laplace of scale
    ``1/ε``: P(|noise| > t) is about exp(-t·ε))."""
    import math

    return math.log(1 / (1 - confidence)) / epsilon
