"""The Fellegi–Sunter comparison model: comparison levels per field, match weights, term frequencies.

Pure Python (no Django). Two records are compared field by field; each field falls into the first
comparison level whose condition holds (:data:`LEVELS`, in order). A level carries two probabilities
learned by training (:mod:`cityid.matching.training`): ``m``, that a pair of records of the *same*
person is at this level, and ``u``, that a pair of *different* people is. The match weight of a pair
is the prior log-odds plus, per field, ``log2(m / u)`` of its level; the probability is
``2**w / (1 + 2**w)``. A missing field (level ``null``) weighs nothing.

Term frequencies: an exact agreement on a common name (``maria``, ``garcia``) is weaker evidence than
on a rare one. The model file carries the share of the population holding each name shared by at
least ``min_count`` people (never a rarer, identifying one); an exact level on such a name weighs
``log2(m / share)`` instead of ``log2(m / u)`` — Splink's term-frequency adjustment.

The same levels exist as SQL for Splink (:mod:`cityid.matching.splink_model`), so batch runs on
DuckDB (or Spark) score exactly as :meth:`Model.score` does one pair; a test holds them together.

Scoring one candidate is a few C-level string comparisons (``rapidfuzz``) on precomputed fields:
microseconds. :meth:`Model.weight` is the fast path (no explanation); :meth:`Model.score` explains.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from cityid.matching.normalise import Normalised, normalise
from cityid.matching.records import PersonRecord

FORMAT = "cityid-match-model"
FORMAT_VERSION = 1
DEFAULT_PATH = Path(__file__).parent / "models" / "default.json"

#: The comparison levels of each field, in the order they are tried (the first that holds wins).
LEVELS: dict[str, tuple[str, ...]] = {
    "given_name": ("null", "exact", "transposed", "nickname", "jaro_winkler_0.92", "jaro_winkler_0.80", "phonetic",
                   "else"),
    "family_name": ("null", "exact", "transposed", "one_part", "jaro_winkler_0.92", "jaro_winkler_0.80", "phonetic",
                    "else"),
    "date_of_birth": ("null", "exact", "day_month_swapped", "one_digit", "same_year", "else"),
    "address": ("null", "exact", "jaro_winkler_0.90", "tokens_0.6", "postcode", "else"),
    "documents": ("null", "shared", "one_edit", "else"),
}
#: Levels whose weight is adjusted by the term frequency of the (shared) value.
TF_LEVELS = {"given_name": "exact", "family_name": "exact"}
FIELDS = tuple(LEVELS)

JW_HIGH = 0.92
JW_LOW = 0.80
JW_ADDRESS = 0.90
TOKEN_JACCARD = 0.6


def _transposed(a: Normalised, b: Normalised) -> bool:
    return bool(a.given) and a.given == b.family and a.family == b.given


def _crossed(a: Normalised, b: Normalised) -> bool:
    """Given and family names swapped, one as written or nearly (Jaro-Winkler >= JW_HIGH), the other perhaps
    mistyped worse (>= JW_LOW): a swap and a typo in one record are what FEBRL's duplicates and clerks make."""
    if not a.family or not b.family:
        return False
    one, other = JaroWinkler.similarity(a.given, b.family), JaroWinkler.similarity(a.family, b.given)
    return min(one, other) >= JW_LOW and max(one, other) >= JW_HIGH


def given_level(a: Normalised, b: Normalised) -> int:
    if not a.given or not b.given:
        return 0
    if a.given == b.given or _transposed(a, b):
        return 1
    if _crossed(a, b):
        return 2
    if a.given_canon & b.given_canon:
        return 3
    jw = JaroWinkler.similarity(a.given, b.given)
    if jw >= JW_HIGH:
        return 4
    if jw >= JW_LOW:
        return 5
    if a.given_phon == b.given_phon:
        return 6
    return 7


def family_level(a: Normalised, b: Normalised) -> int:
    if not a.family or not b.family:
        return 0
    if a.family == b.family or _transposed(a, b):
        return 1
    if a.given and b.given and _crossed(a, b):
        return 2
    if a.family_parts & b.family_parts:
        return 3
    jw = JaroWinkler.similarity(a.family, b.family)
    if jw >= JW_HIGH:
        return 4
    if jw >= JW_LOW:
        return 5
    if a.family_phons & b.family_phons:
        return 6
    return 7


def dob_level(a: Normalised, b: Normalised) -> int:
    x, y = a.dob, b.dob
    if not x or not y:
        return 0
    if x == y:
        return 1
    if x[:4] == y[:4] and x[4:6] == y[6:8] and x[6:8] == y[4:6]:
        return 2
    if DamerauLevenshtein.distance(x, y, score_cutoff=1) <= 1:
        return 3
    if x[:4] == y[:4]:
        return 4
    return 5


def address_level(a: Normalised, b: Normalised) -> int:
    if (not a.address and not a.postcode) or (not b.address and not b.postcode):
        return 0
    if a.address and b.address:
        if a.address == b.address:
            return 1
        if JaroWinkler.similarity(a.address, b.address) >= JW_ADDRESS:
            return 2
        shared = len(a.address_tokens & b.address_tokens)
        if shared and shared / len(a.address_tokens | b.address_tokens) >= TOKEN_JACCARD:
            return 3
    if a.postcode and a.postcode == b.postcode:
        return 4
    return 5


def documents_level(a: Normalised, b: Normalised) -> int:
    if not a.docs or not b.docs:
        return 0
    if a.docs & b.docs:
        return 1
    return 2 if a.doc_variants & b.doc_variants else 3


LEVEL_FUNCTIONS: dict[str, Callable[[Normalised, Normalised], int]] = {
    "given_name": given_level,
    "family_name": family_level,
    "date_of_birth": dob_level,
    "address": address_level,
    "documents": documents_level,
}


def comparison_vector(a: Normalised, b: Normalised) -> tuple[int, ...]:
    """The level index of each field (in :data:`FIELDS` order) for the pair ``a``, ``b``."""
    return (given_level(a, b), family_level(a, b), dob_level(a, b), address_level(a, b), documents_level(a, b))


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One field's part in a comparison: its level and the weight (log2 Bayes factor) it adds."""

    field: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of comparing two records: probability, total match weight and per-field evidence."""

    probability: float
    match_weight: float
    fields: tuple[FieldEvidence, ...]
    prior_weight: float = 0.0


def probability_of(weight: float) -> float:
    """The match probability of a match weight (log2 odds)."""
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds = 2.0**weight
    return odds / (1.0 + odds)


def weight_of(probability: float) -> float:
    """The match weight (log2 odds) of a probability in (0, 1)."""
    return math.log2(probability / (1.0 - probability))


@dataclass(frozen=True)
class Level:
    label: str
    m: float | None  # None for the null level
    u: float | None

    @property
    def weight(self) -> float:
        if self.m is None or self.u is None:
            return 0.0
        return math.log2(self.m / self.u)


@dataclass
class Model:
    """A trained comparison model: prior, m and u per level, term frequencies, thresholds, version."""

    version: str
    prior: float  # the probability that two records drawn at random are of one person
    levels: dict[str, tuple[Level, ...]]
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=lambda: {"match": 0.9, "review": 0.5, "hold": 0.95})
    trained: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, labels in LEVELS.items():
            got = tuple(level.label for level in self.levels.get(name, ()))
            if got != labels:
                raise ValueError(f"model field {name}: levels {got} are not {labels}")
        self.prior_weight = weight_of(self.prior)
        self._weights = tuple(tuple(level.weight for level in self.levels[name]) for name in FIELDS)
        self._tf_m = {name: self.levels[name][LEVELS[name].index(level)].m for name, level in TF_LEVELS.items()}

    # -- loading and saving ------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"not a {FORMAT} file of version {FORMAT_VERSION}")
        levels = {
            name: tuple(Level(item["label"], item.get("m"), item.get("u")) for item in data["comparisons"][name])
            for name in LEVELS
        }
        for name, field_levels in levels.items():
            for level in field_levels:
                if level.label != "null" and not (0 < (level.m or 0) <= 1 and 0 < (level.u or 0) <= 1):
                    raise ValueError(f"model field {name} level {level.label}: m and u must be in (0, 1]")
        prior = float(data["prior"])
        if not 0 < prior < 1:
            raise ValueError("model prior must be in (0, 1)")
        return cls(
            version=str(data["version"]),
            prior=prior,
            levels=levels,
            term_frequencies={k: dict(v) for k, v in data.get("term_frequencies", {}).items()},
            thresholds=dict(data.get("thresholds") or {"match": 0.9, "review": 0.5, "hold": 0.95}),
            trained=dict(data.get("trained") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "prior": self.prior,
            "thresholds": self.thresholds,
            "comparisons": {
                name: [
                    {"label": level.label, **({"m": level.m, "u": level.u} if level.label != "null" else {})}
                    for level in field_levels
                ]
                for name, field_levels in self.levels.items()
            },
            "term_frequencies": self.term_frequencies,
            "trained": self.trained,
        }

    @classmethod
    def load(cls, path: str | Path) -> Model:
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=False) + "\n", encoding="utf-8")

    @classmethod
    def default(cls) -> Model:
        """The model shipped with cityid (``cityid/matching/models/default.json``)."""
        return cls.load(DEFAULT_PATH)

    # -- scoring -----------------------------------------------------------------------------------

    def _tf_weight(self, name: str, a: Normalised, b: Normalised) -> float | None:
        table = self.term_frequencies.get(name)
        if not table:
            return None
        if name == "given_name":
            share = max(table.get(a.given, 0.0), table.get(b.given, 0.0))
        else:
            share = max(table.get(a.family, 0.0), table.get(b.family, 0.0))
        if share <= 0:
            return None
        m = self._tf_m[name]
        return math.log2(m / share) if m else None

    def weight(self, a: Normalised, b: Normalised) -> float:
        """The match weight of two normalised records (the fast path: no explanation)."""
        w = self._weights
        g, f = given_level(a, b), family_level(a, b)
        total = self.prior_weight + w[0][g] + w[1][f] + w[2][dob_level(a, b)] + w[3][address_level(a, b)]
        total += w[4][documents_level(a, b)]
        if g == 1 and self.term_frequencies:
            tf = self._tf_weight("given_name", a, b)
            if tf is not None:
                total += tf - w[0][1]
        if f == 1 and self.term_frequencies:
            tf = self._tf_weight("family_name", a, b)
            if tf is not None:
                total += tf - w[1][1]
        return total

    def probability(self, a: Normalised, b: Normalised) -> float:
        return probability_of(self.weight(a, b))

    def score(self, a: PersonRecord | Normalised, b: PersonRecord | Normalised) -> Comparison:
        """Compare two records (raw or normalised): the probability and each field's evidence."""
        x = a if isinstance(a, Normalised) else normalise(a)
        y = b if isinstance(b, Normalised) else normalise(b)
        evidence = []
        total = self.prior_weight
        for index, (name, level) in enumerate(zip(FIELDS, comparison_vector(x, y), strict=True)):
            weight = self._weights[index][level]
            label = LEVELS[name][level]
            if name in TF_LEVELS and label == TF_LEVELS[name]:
                tf = self._tf_weight(name, x, y)
                if tf is not None:
                    weight = tf
            evidence.append(FieldEvidence(name, label, round(weight, 4)))
            total += weight
        return Comparison(
            probability=probability_of(total),
            match_weight=total,
            fields=tuple(evidence),
            prior_weight=self.prior_weight,
        )

    def is_match(self, comparison: Comparison) -> bool:
        return comparison.probability >= self.thresholds["match"]
