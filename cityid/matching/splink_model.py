"""The comparison model in Splink: training (u by random sampling, m by EM) and batch prediction.

Pure Python (no Django). The comparison levels of :mod:`cityid.matching.scorer` are written here once
more as SQL on the normalised columns of :func:`records_table`, in the same order and with the same
labels, so a pair scored by Splink (DuckDB, or Spark for a city that outgrows one machine) gets the
level, weight and probability :meth:`Model.score` gives it (``tests/matching/test_splink_model.py``
holds the two together).

* :func:`train` — Splink's estimators on a population: the prior from deterministic rules, ``u`` by
  random sampling, ``m`` by expectation maximisation blocked on the date of birth (names, address and
  documents) and on names (date of birth); exported as a versioned :class:`Model`, with the term
  frequencies of names shared by at least ``tf_min_count`` people.
* :func:`predict` — every pair sharing a blocking key (:mod:`cityid.matching.blocking`'s keys as
  columns) that may reach the threshold (:func:`may_reach`), found by :func:`blocking_sqls` and scored by
  Splink with a model's fixed ``m`` and ``u``; pairs at or above the threshold.

The backend: ``"duckdb"`` (embedded, the default) or ``"spark"`` (``pyspark`` and a Java runtime; a
SparkSession from the caller, or a local one).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from functools import lru_cache
from typing import Any

from cityid.core.errors import CityidError
from cityid.matching.normalise import ADDRESS_WORDS, canonical_given, fold, name_parts, phonetic
from cityid.matching.records import PersonRecord
from cityid.matching.scorer import (
    FIELDS,
    JW_ADDRESS,
    JW_HIGH,
    JW_LOW,
    LEVELS,
    TF_LEVELS,
    TOKEN_JACCARD,
    Level,
    Model,
    weight_of,
)

BACKENDS = ("duckdb", "spark")
#: The matcher's DuckDB connections (:func:`connect`). DuckDB writes what does not fit in memory to ``.tmp`` in the
#: working directory, in clear: names, dates of birth and addresses on disk; these connections never spill (a run too
#: big for memory stops with an error). And memory DuckDB frees goes back to the system at once (by default its
#: allocator keeps up to 128 MB a thread, and big frees, for reuse: 1,000,000 records peaked about 150 MB higher).
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "temp_directory": "", "allocator_background_threads": True, "allocator_flush_threshold": "32MB",
    "allocator_bulk_deallocation_flush_threshold": "32MB",
}


def connect(*, ordered: bool = True) -> Any:
    """A DuckDB connection of the matcher: :data:`DUCKDB_CONFIG`, and no progress bar of DuckDB's own (``cityid
    match pairs`` draws one; DuckDB's would garble it). ``ordered=False`` lets DuckDB return rows in any order."""
    import duckdb

    con = duckdb.connect(config={"preserve_insertion_order": ordered, **DUCKDB_CONFIG})
    con.execute("SET enable_progress_bar = false")  # a per-connection setting: not accepted in the config
    return con


#: The least m of a level: EM gives 0 to a level it saw no match at, which would make one field's
#: disagreement (a new document, a new address) outweigh all the others.
MIN_M = 0.001

#: The SQL twin of each level of :data:`cityid.matching.scorer.LEVELS` (DuckDB dialect; ``None``: else).
#: A list overlap is tried on the lists' 62-bit signatures first (``*_mask``: one bit per element; lists with no bit
#: in common share no element), and a record's only document by its ``doc_key``: list functions cost a pair far
#: more than a comparison of two integers.
#: Word Jaccard >= TOKEN_JACCARD (= n/d) in integers, the tokens being distinct: d * |A & B| >= n * |A | B| with
#: |A | B| = |A| + |B| - |A & B|, that is (d + n) * |A & B| >= n * (|A| + |B|): one list_intersect per pair (an
#: empty overlap never holds).
_JACCARD_N, _JACCARD_D = Fraction(str(TOKEN_JACCARD)).limit_denominator(100).as_integer_ratio()


def _overlap(column: str) -> str:
    return f"({column}_mask_l & {column}_mask_r) <> 0 AND list_has_any({column}_l, {column}_r)"


_JACCARD = (
    f"{_JACCARD_D + _JACCARD_N} * len(list_intersect(address_tokens_l, address_tokens_r)) >= "
    f"{_JACCARD_N} * (len(address_tokens_l) + len(address_tokens_r))"
)
#: A cheap necessary condition before the Damerau-Levenshtein distance of two dates (both YYYYMMDD): one edit
#: apart means at most two positions differ. DuckDB only (the Spark dialect drops it).
_DOB_PREFILTER = "(length(dob_l) <> length(dob_r) OR hamming(dob_l, dob_r) <= 2) AND "
_CROSSED = (f"least(jaro_winkler_similarity(given_l, family_r), jaro_winkler_similarity(family_l, given_r)) "
            f">= {JW_LOW} AND greatest(jaro_winkler_similarity(given_l, family_r), "
            f"jaro_winkler_similarity(family_l, given_r)) >= {JW_HIGH}")
SQL_LEVELS: dict[str, tuple[str | None, ...]] = {
    "given_name": (
        "given_l IS NULL OR given_r IS NULL",
        "given_l = given_r OR (given_l = family_r AND family_l = given_r)",
        _CROSSED,
        _overlap("given_canon"),
        f"jaro_winkler_similarity(given_l, given_r) >= {JW_HIGH}",
        f"jaro_winkler_similarity(given_l, given_r) >= {JW_LOW}",
        "given_phon_l = given_phon_r",
        None,
    ),
    "family_name": (
        "family_l IS NULL OR family_r IS NULL",
        "family_l = family_r OR (given_l = family_r AND family_l = given_r)",
        _CROSSED,
        _overlap("family_parts"),
        f"jaro_winkler_similarity(family_l, family_r) >= {JW_HIGH}",
        f"jaro_winkler_similarity(family_l, family_r) >= {JW_LOW}",
        _overlap("family_phons"),
        None,
    ),
    "date_of_birth": (
        "dob_l IS NULL OR dob_r IS NULL",
        "dob_l = dob_r",
        "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 5, 2) = substr(dob_r, 7, 2) "
        "AND substr(dob_l, 7, 2) = substr(dob_r, 5, 2)",
        f"{_DOB_PREFILTER}damerau_levenshtein(dob_l, dob_r) <= 1",
        "substr(dob_l, 1, 4) = substr(dob_r, 1, 4)",
        None,
    ),
    "address": (
        "(address_l IS NULL AND postcode_l IS NULL) OR (address_r IS NULL AND postcode_r IS NULL)",
        "address_l = address_r",
        f"jaro_winkler_similarity(address_l, address_r) >= {JW_ADDRESS}",
        _JACCARD,
        "postcode_l = postcode_r",
        None,
    ),
    "documents": (
        "doc_key_l IS NULL OR doc_key_r IS NULL",  # doc_key is a record's first number: null when it has none
        f"doc_key_l = doc_key_r OR ({_overlap('docs')})",
        _overlap("doc_variants"),
        None,
    ),
}


# -- the least a pair must have to be worth scoring ---------------------------------------------------------------


def _double(value: float) -> str:
    """A SQL DOUBLE literal (a plain ``9.61`` is a DECIMAL to DuckDB, and decimal arithmetic is slow)."""
    text = repr(float(value))
    return text if "e" in text else f"{text}e0"


def _jw_may_reach(left: str, right: str, threshold: float) -> str:
    """A necessary condition (SQL) for ``jaro_winkler_similarity(left_l, right_r) >= threshold``, in a few integer
    operations on each name's length (``*_len``) and 62-bit character signature (``*_chars``).

    Jaro is (m/|a| + m/|b| + (m - t)/m) / 3 with m matching characters; a character of ``a`` whose bit is not in
    ``b``'s signature matches nothing, so m <= M = min(|a| - bits(a & ~b), |b| - bits(b & ~a)), and Jaro <=
    J = (M/|a| + M/|b| + 1) / 3. Winkler adds at most 0.4 (1 - Jaro), and nothing when the first letters differ.
    So the similarity can reach ``threshold`` only if J >= threshold, or J >= (threshold - 0.4) / 0.6 with the
    same first letter: M (|a| + |b|) >= (3 J - 1) |a| |b|."""
    la, lb = f"{left}_len_l", f"{right}_len_r"
    ca, cb = f"{left}_chars_l", f"{right}_chars_r"
    most = f"least({la} - bit_count({ca} & ~{cb}), {lb} - bit_count({cb} & ~{ca}))"
    plain, boosted = 3 * threshold - 1, 3 * (threshold - 0.4) / 0.6 - 1
    return (f"{most} * ({la} + {lb}) >= CASE WHEN {left}_first_l = {right}_first_r "
            f"THEN {_double(boosted - 1e-9)} ELSE {_double(plain - 1e-9)} END * {la} * {lb}")


def _tokens_may_reach() -> str:
    """A necessary condition (SQL) for the address words' Jaccard level: at most
    min(|A| - bits(A & ~B), |B| - bits(B & ~A)) words are shared (the signatures' bits as for names)."""
    na, nb = "address_ntokens_l", "address_ntokens_r"
    ma, mb = "address_tokens_mask_l", "address_tokens_mask_r"
    most = f"least({na} - bit_count({ma} & ~{mb}), {nb} - bit_count({mb} & ~{ma}))"
    return f"{most} > 0 AND {_JACCARD_D + _JACCARD_N} * {most} >= {_JACCARD_N} * ({na} + {nb})"


#: Document numbers whose variants meet differ by at most two edits (a typo: one each side), and two edits change
#: at most four of a number's two-character pieces: each side has at most four signature bits the other lacks.
#: Only for records with one number (``doc_grams`` is null otherwise, and for records that come without it).
_GRAMS_MAY_MEET = ("(doc_grams_l IS NULL OR doc_grams_r IS NULL OR (bit_count(doc_grams_l & ~doc_grams_r) <= 4 "
                   "AND bit_count(doc_grams_r & ~doc_grams_l) <= 4))")
_CROSSED_MAY = (f"(({_jw_may_reach('given', 'family', JW_HIGH)}) AND ({_jw_may_reach('family', 'given', JW_LOW)}) OR "
                f"({_jw_may_reach('given', 'family', JW_LOW)}) AND ({_jw_may_reach('family', 'given', JW_HIGH)}))")
#: For each level of :data:`SQL_LEVELS`: ``None`` when its own condition is cheap (the bound uses it as it is), or a
#: cheap condition that holds whenever the level's does (the level may hold).
NECESSARY: dict[str, tuple[str | None, ...]] = {
    "given_name": (None, None, _CROSSED_MAY, "(given_canon_mask_l & given_canon_mask_r) <> 0",
                   _jw_may_reach("given", "given", JW_HIGH), _jw_may_reach("given", "given", JW_LOW), None, None),
    "family_name": (None, None, _CROSSED_MAY, "(family_parts_mask_l & family_parts_mask_r) <> 0",
                    _jw_may_reach("family", "family", JW_HIGH), _jw_may_reach("family", "family", JW_LOW),
                    "(family_phons_mask_l & family_phons_mask_r) <> 0", None),
    "date_of_birth": (None,) * 6,
    "address": (None, None, _jw_may_reach("address", "address", JW_ADDRESS), _tokens_may_reach(), None, None),
    "documents": (None, "doc_key_l = doc_key_r OR (docs_mask_l & docs_mask_r) <> 0",
                  f"{_GRAMS_MAY_MEET} AND (doc_variants_mask_l & doc_variants_mask_r) <> 0", None),
}
def _field_bound(name: str, weights: list[float]) -> str:
    """SQL: the most a field can weigh for a pair. Levels are tried in order as in Splink while their conditions
    are exact; from the first that is only possibly true, the bound is the greatest weight among the levels still
    possible (tried from the heaviest down: the first possible one is the bound)."""
    levels = list(zip(SQL_LEVELS[name], NECESSARY[name], weights, strict=True))
    sure: list[str] = []
    for condition, necessary, weight in levels:
        if condition is None:
            return f"CASE {' '.join(sure)} ELSE {_double(weight)} END" if sure else _double(weight)
        if necessary is not None:
            break
        sure.append(f"WHEN {condition} THEN {_double(weight)}")
    index = len(sure)
    floor = levels[-1][2]
    # the greatest weight still possible, in arithmetic: a CASE branch per level costs DuckDB far more
    lifts = ", ".join(f"{_double(weight - floor)} * ({necessary or condition})::INTEGER"
                      for condition, necessary, weight in levels[index:-1] if weight > floor)
    return f"CASE {' '.join(sure)} ELSE {_double(floor)} + greatest(0.0e0, {lifts}) END"


def _sided(condition: str) -> str:
    """``given_l`` -> ``l.given`` (a level's columns as a blocking rule names them)."""
    return re.sub(r"\b([a-z][a-z0-9_]*?)_(l|r)\b", r"\2.\1", condition)


def may_reach(model: Model, threshold: float) -> str:
    """A blocking condition (SQL on ``l.`` and ``r.``) that holds for every pair whose match probability can reach
    ``threshold``: the prior plus each field's most (:func:`_field_bound`; an exact agreement on a name with its
    greatest term-frequency adjustment) at least the threshold's match weight. A pair it drops scores below the
    threshold for certain, so :func:`predict` finds the same pairs; it spares scoring (and holding) the tens of
    millions of pairs that merely share a birthday or the sound of a name."""
    terms = []
    for name in FIELDS:
        weights = [level.weight for level in model.levels[name]]
        label = TF_LEVELS.get(name)
        shares = model.term_frequencies.get(name) or {}
        if label and shares:
            index = LEVELS[name].index(label)
            u = model.levels[name][index].u or 1.0
            weights[index] += max(0.0, math.log2(u) - math.log2(min(shares.values())))
        terms.append(_field_bound(name, weights))
    need = weight_of(threshold) - math.log2(model.prior / (1 - model.prior)) - 1e-6
    return _sided(f"({' + '.join(terms)}) >= {_double(need)}")


#: The column each term-frequency level is adjusted by.
TF_COLUMNS = {"given_name": "given", "family_name": "family"}
#: The blocking rules for prediction: blocking keys of :mod:`cityid.matching.blocking` as columns (and the
#: document variants, exploded). The real-time index also uses the family-name/year and postcode keys; in the batch
#: they found no labelled duplicate the date-of-birth, name and document keys miss (200,000 synthetic records) and
#: doubled the pairs scored, so the batch leaves them out.
BLOCKING_COLUMNS = ("dob_key", "name_key", "doc_key")
#: The steps :func:`predict` reports: normalising, the document variants and each key, scoring.
PREDICT_STEPS = 3 + len(BLOCKING_COLUMNS)
#: Deterministic rules for the prior: near-certain matches.
_DETERMINISTIC = (
    "l.given = r.given AND l.family = r.family AND l.dob = r.dob",
    "l.doc_key = r.doc_key AND l.dob = r.dob",
)

_SPARK_FUNCTIONS = (
    ("list_has_any(", "arrays_overlap("),
    ("list_intersect(", "array_intersect("),
    ("list_distinct(", "array_distinct("),
    ("list_concat(", "concat("),
    ("len(", "size("),
    ("jaro_winkler_similarity(", "jaro_winkler("),
)


def _sql(condition: str, dialect: str) -> str:
    if dialect == "spark":
        condition = condition.replace(_DOB_PREFILTER, "").replace(_sided(_DOB_PREFILTER), "")
        for duck, spark in _SPARK_FUNCTIONS:
            condition = condition.replace(duck, spark)
    return condition


def settings_for(model: Model | None, *, dialect: str = "duckdb", tf: bool = True,
                 unique_id: str = "id") -> dict[str, Any]:
    """A Splink settings dictionary for the model's levels, with its ``m`` and ``u`` (untrained if None). Its
    blocking rules are the keys alone: :func:`predict` blocks by itself (:func:`blocking_sqls`)."""
    comparisons = []
    for name in FIELDS:
        levels = []
        for index, (label, condition) in enumerate(zip(LEVELS[name], SQL_LEVELS[name], strict=True)):
            level: dict[str, Any] = {"sql_condition": _sql(condition or "ELSE", dialect), "label_for_charts": label}
            if index == 0:
                level["is_null_level"] = True
            elif model is not None:
                trained = model.levels[name][index]
                level["m_probability"], level["u_probability"] = trained.m, trained.u
            if tf and TF_LEVELS.get(name) == label:
                level["tf_adjustment_column"] = TF_COLUMNS[name]
                level["tf_adjustment_weight"] = 1.0
                level["disable_tf_exact_match_detection"] = True  # this level's own u (it also admits transposition)
            levels.append(level)
        comparisons.append({"output_column_name": name, "comparison_levels": levels})
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": unique_id,
        "probability_two_random_records_match": model.prior if model else 1e-6,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": "l.doc_variants = r.doc_variants", "arrays_to_explode": ["doc_variants"]},
            *({"blocking_rule": f"l.{column} = r.{column}"} for column in BLOCKING_COLUMNS),
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


def blocking_sqls(table: str, bound: str, dialect: str = "duckdb") -> list[str]:
    """The candidate pairs of ``table`` (a registered :func:`records_table` with an integer ``row``), one SELECT of
    ``match_key, join_key_l, join_key_r`` (``join_key_l < join_key_r``) per blocking rule, as Splink's blocked
    pairs: records sharing a document variant (few: without the bound), then records sharing each key of
    :data:`BLOCKING_COLUMNS` for which ``bound`` (:func:`may_reach`, or ``"true"``) holds and no earlier key is
    shared (that pair met the same bound under the earlier key). A pair may come from the variants and a key;
    the caller keeps one of each.

    Each SELECT is a join on one key with no more columns than the bound reads; run one after another (DuckDB),
    only one join's hash table is held at a time, where Splink's own blocking (one UNION ALL, the bound repeated
    in every later rule's exclusion) holds them all at once."""
    explode = "explode" if dialect == "spark" else "unnest"
    variants = f"SELECT row, {explode}(doc_variants) AS v FROM {table} WHERE doc_variants IS NOT NULL"
    sqls = [f"SELECT '0' AS match_key, l.row AS join_key_l, r.row AS join_key_r FROM ({variants}) l "
            f"JOIN ({variants}) r ON l.v = r.v AND l.row < r.row"]
    for index, column in enumerate(BLOCKING_COLUMNS, start=1):
        earlier = "".join(f" AND NOT coalesce(l.{key} = r.{key}, false)" for key in BLOCKING_COLUMNS[:index - 1])
        sqls.append(f"SELECT '{index}' AS match_key, l.row AS join_key_l, r.row AS join_key_r FROM {table} l "
                    f"JOIN {table} r ON l.{column} = r.{column} AND l.row < r.row "
                    f"WHERE true{earlier} AND ({_sql(bound, dialect)})")
    return sqls


#: The most candidate pairs :func:`predict` takes on by default: about ten minutes of blocking on two cores (a
#: million records make about 38 million). A placeholder date of birth or document number shared by many records
#: makes billions; the run stops at once and says which key, instead of running for hours.
MAX_CANDIDATES = 2_000_000_000


class TooManyCandidates(CityidError):
    """A blocking key shared by so many records that the run would compare billions of pairs."""


def _candidates(db_api: Any, table: str, backend: str) -> list[tuple[str, int, int]]:
    """``(key, candidate pairs, the most records sharing one value)`` for each blocking key; the document
    variants are counted by the whole number (``doc_key``), which they all hold."""
    counts = " UNION ALL ".join(
        f"SELECT '{column}' AS k, coalesce(sum(n * (n - 1) / 2), 0) AS pairs, coalesce(max(n), 0) AS most "
        f"FROM (SELECT count(*) AS n FROM {table} WHERE {column} IS NOT NULL GROUP BY {column})"
        for column in BLOCKING_COLUMNS)
    if backend == "spark":
        rows = [tuple(row) for row in db_api.spark.sql(counts).collect()]
    else:
        rows = db_api.duckdb_con.execute(counts).fetchall()
    return [(str(key), int(pairs), int(most)) for key, pairs, most in rows]


def _blocked_pairs(db_api: Any, table: str, bound: str, backend: str, step: Callable[[int], None]) -> Any:
    """:func:`blocking_sqls` run on the backend, each pair once: a Splink data frame of blocked pairs (``step(1)``
    after each rule)."""
    sqls = blocking_sqls(table, bound, backend)
    if backend == "spark":
        from functools import reduce

        frames = [db_api.spark.sql(sql) for sql in sqls]
        union = reduce(lambda a, b: a.unionByName(b), frames)
        step(len(sqls))  # Spark runs them later, as one job
        return db_api.register(union.groupBy("join_key_l", "join_key_r").agg({"match_key": "min"})
                               .withColumnRenamed("min(match_key)", "match_key"))  # fmt: skip
    con = db_api.duckdb_con
    con.execute(f"CREATE TEMP TABLE __cityid_candidates AS {sqls[0]}")
    step(1)
    for sql in sqls[1:]:  # one after another: one join's hash table at a time
        con.execute(f"INSERT INTO __cityid_candidates {sql}")
        step(1)
    con.execute("CREATE TEMP TABLE __cityid_blocked AS SELECT min(match_key) AS match_key, join_key_l, join_key_r "
                "FROM __cityid_candidates GROUP BY join_key_l, join_key_r")
    con.execute("DROP TABLE __cityid_candidates")
    return db_api.register("__cityid_blocked")


# -- the input table ---------------------------------------------------------------------------------


def _chars(text: str) -> int:
    """A string's 62-bit character signature (for :func:`_jw_may_reach`)."""
    mask = 0
    for character in set(text):
        mask |= 1 << (ord(character) % 62)
    return mask


def _signature(items: Iterable[str]) -> int:
    """A list's 62-bit signature: one bit per element (for a cheap test that two lists share none)."""
    mask = 0
    for item in items:
        mask |= 1 << (zlib.crc32(item.encode()) % 62)
    return mask


@lru_cache(maxsize=200_000)
def _given(text: str) -> tuple[Any, ...]:
    folded = fold(text)
    if not folded:
        return (None,) * 7
    first = folded.split()[0]
    canon = sorted(canonical_given(first))
    return folded, canon, phonetic(first), len(folded), ord(folded[0]), _chars(folded), _signature(canon)


@lru_cache(maxsize=200_000)
def _family(text: str) -> tuple[Any, ...]:
    folded = fold(text)
    if not folded:
        return (None,) * 8
    parts = sorted(set(name_parts(folded)))
    phons = sorted({phonetic(p) for p in parts})
    return folded, parts, phons, len(folded), ord(folded[0]), _chars(folded), _signature(parts), _signature(phons)


RAW_COLUMNS = ("id", "given_name", "family_name", "dob", "address_line1", "postcode", "docs", "doc_variants",
               "doc_grams")  # fmt: skip
COLUMNS = ("id", "given", "given_canon", "given_phon", "family", "family_parts", "family_phons", "dob",
           "address", "address_tokens", "postcode", "docs", "doc_variants", *BLOCKING_COLUMNS,
           "given_len", "given_first", "given_chars", "given_canon_mask", "family_len", "family_first",
           "family_chars", "family_parts_mask", "family_phons_mask", "address_len", "address_first", "address_chars",
           "address_ntokens", "address_tokens_mask", "docs_mask", "doc_variants_mask", "doc_grams")  # fmt: skip


def raw_table(records: Iterable[PersonRecord]) -> Any:
    """The fields of ``records`` as a ``pyarrow`` table of :data:`RAW_COLUMNS` (dates as ``YYYYMMDD``)."""
    import pyarrow as pa

    columns: list[list[Any]] = [[] for _ in RAW_COLUMNS]
    for r in records:
        for column, value in zip(columns, (
            r.id, r.given_name, r.family_name, r.date_of_birth.strftime("%Y%m%d") if r.date_of_birth else None,
            r.address_line1, r.postcode, list(r.document_hashes) or None, list(r.document_variants) or None, None,
        ), strict=True):
            column.append(value)
    types = [pa.string()] * 6 + [pa.list_(pa.string())] * 2 + [pa.int64()]
    return pa.table([pa.array(c, type=t) for c, t in zip(columns, types, strict=True)], names=list(RAW_COLUMNS))


_ADDRESS_MAP = "MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in ADDRESS_WORDS.items()) + "}"
_PRINTABLE_ASCII = "'[ -~]*'"


def _mask(items: str, bit: str) -> str:
    """SQL: the 62-bit signature of a list (null for null): one bit per element, ``bit`` of ``x`` choosing it."""
    return (f"list_reduce(list_transform({items}, lambda x: 1::BIGINT << (({bit})::INTEGER)), lambda a, b: a | b, "
            "0::BIGINT)")


def _normalise_sql() -> str:
    """DuckDB SQL from ``raw`` (+ the Python-normalised ``given_map``, ``family_map`` and ``odd_map`` of text
    that is not printable ASCII) to :data:`COLUMNS`: what :func:`cityid.matching.normalise.normalise` does,
    a million rows at a time, and the signatures :func:`may_reach` and the list levels test first. The document
    numbers and their variants (keyed hashes already), the address words and the blocking keys become 63-bit
    integers (their DuckDB hash): lists are intersected and keys joined for every pair, and integers compare and
    hold far cheaper than strings."""
    def folded(column: str, odd: str) -> str:
        return f"coalesce({odd}.folded, trim(regexp_replace(lower({column}), '[^a-z0-9]+', ' ', 'g')))"

    words = f"list_filter(string_split({folded('r.address_line1', 'oa')}, ' '), lambda w: w <> '')"
    tokens = (f"list_transform({words}, lambda w: regexp_replace(coalesce({_ADDRESS_MAP}[w], w), "
              r"'^([0-9]+)(st|nd|rd|th)$', '\1'))")  # fmt: skip
    return f"""
    WITH base AS (
        SELECT r.id, g.given, g.given_canon, g.given_phon, f.family, f.family_parts, f.family_phons,
               g.given_len, g.given_first, g.given_chars, g.given_canon_mask, f.family_len, f.family_first,
               f.family_chars, f.family_parts_mask, f.family_phons_mask,
               nullif(r.dob, '') AS dob, {tokens} AS tokens,
               nullif(upper(replace({folded('r.postcode', 'op')}, ' ', '')), '') AS postcode,
               CASE WHEN len(r.docs) > 0 THEN list_sort(list_distinct(list_transform(r.docs,
                   lambda d: (hash(d) >> 1)::BIGINT))) END AS docs,
               CASE WHEN len(r.doc_variants) > 0 THEN list_distinct(list_transform(r.doc_variants,
                   lambda v: (hash(v) >> 1)::BIGINT)) END AS doc_variants,
               CASE WHEN len(r.docs) = 1 THEN r.doc_grams END AS doc_grams
        FROM raw r
        LEFT JOIN given_map g ON g.raw = r.given_name
        LEFT JOIN family_map f ON f.raw = r.family_name
        LEFT JOIN odd_map oa ON oa.raw = r.address_line1
        LEFT JOIN odd_map op ON op.raw = r.postcode
    ), keyed AS (
        SELECT *, CASE WHEN len(family_phons) > 0 THEN list_filter(family_phons, lambda c: c <> '')[1] END AS code,
               nullif(array_to_string(tokens, ' '), '') AS address,
               CASE WHEN len(tokens) > 0
                    THEN list_sort(list_distinct(list_transform(tokens, lambda w: (hash(w) >> 1)::BIGINT)))
                    END AS address_tokens
        FROM base
    )
    SELECT id, given, given_canon, given_phon, family, family_parts, family_phons, dob, address, address_tokens,
           postcode, docs, doc_variants,
           CASE WHEN dob IS NOT NULL THEN (hash(substr(dob, 1, 4) || least(substr(dob, 5, 2), substr(dob, 7, 2))
                || greatest(substr(dob, 5, 2), substr(dob, 7, 2))) >> 1)::BIGINT END AS dob_key,
           CASE WHEN given_phon <> '' AND code <> ''
                THEN (hash(least(given_phon, code) || '|' || greatest(given_phon, code)) >> 1)::BIGINT END AS name_key,
           docs[1] AS doc_key,
           given_len, given_first, given_chars, given_canon_mask, family_len, family_first, family_chars,
           family_parts_mask, family_phons_mask, length(address) AS address_len, ascii(address) AS address_first,
           {_mask("string_split(address, '')", "ord(x) % 62")} AS address_chars, len(address_tokens) AS address_ntokens,
           {_mask("address_tokens", "x % 62")} AS address_tokens_mask,
           {_mask("docs", "x % 62")} AS docs_mask,
           {_mask("doc_variants", "x % 62")} AS doc_variants_mask,
           doc_grams
    FROM keyed
    """


def normalised_table(raw: Any) -> Any:
    """:data:`COLUMNS` (a ``pyarrow`` table, empty fields null) of a :func:`raw_table`."""
    import pyarrow as pa

    con = connect()
    con.register("raw", raw)
    strings, lists, integers = pa.string(), pa.list_(pa.string()), pa.int64()

    def distinct(sql: str) -> list[str]:
        return [row[0] for row in con.execute(sql).fetchall()]

    def mapping(values: list[str], rows: list[tuple[Any, ...]], columns: dict[str, Any]) -> Any:
        arrays = {"raw": pa.array(values, strings)}
        for index, (name, kind) in enumerate(columns.items()):
            arrays[name] = pa.array([row[index] for row in rows], kind)
        return pa.table(arrays)

    givens = distinct("SELECT DISTINCT given_name FROM raw WHERE given_name IS NOT NULL")
    con.register("given_map", mapping(givens, [_given(text) for text in givens], {
        "given": strings, "given_canon": lists, "given_phon": strings, "given_len": integers,
        "given_first": integers, "given_chars": integers, "given_canon_mask": integers}))
    families = distinct("SELECT DISTINCT family_name FROM raw WHERE family_name IS NOT NULL")
    con.register("family_map", mapping(families, [_family(text) for text in families], {
        "family": strings, "family_parts": lists, "family_phons": lists, "family_len": integers,
        "family_first": integers, "family_chars": integers, "family_parts_mask": integers,
        "family_phons_mask": integers}))
    odd = distinct(
        "SELECT DISTINCT s FROM (SELECT address_line1 AS s FROM raw UNION ALL SELECT postcode FROM raw) "
        f"WHERE s IS NOT NULL AND NOT regexp_full_match(s, {_PRINTABLE_ASCII})"
    )
    con.register("odd_map", pa.table({"raw": pa.array(odd, strings),
                                      "folded": pa.array([fold(text) for text in odd], strings)}))  # fmt: skip
    table = pa.Table.from_batches(con.sql(_normalise_sql()).to_arrow_reader(100_000))  # streamed: never held twice
    con.close()
    return table


def records_table(records: Iterable[PersonRecord] | Any) -> Any:
    """The normalised columns Splink compares (a ``pyarrow`` table; empty fields are nulls) of records, or
    of a :func:`raw_table` (or :func:`cityid.matching.batch.read_people`'s table); a table of :data:`COLUMNS`
    (normalised already) is returned as it is."""
    if hasattr(records, "num_rows"):
        table: Any = records
        return table if tuple(table.column_names) == COLUMNS else normalised_table(table)
    return normalised_table(raw_table(records))


# -- backends ----------------------------------------------------------------------------------------


def spark_session(master: str = "local[*]", checkpoint_dir: str | None = None) -> Any:
    """A SparkSession on ``master`` with Splink's similarity functions (jaro_winkler, damerau_levenshtein)."""
    import tempfile

    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (SparkSession.builder.master(master).appName("cityid-match")
             .config("spark.jars", similarity_jar_location())
             .config("spark.sql.shuffle.partitions", "8")
             .getOrCreate())  # fmt: skip
    spark.sparkContext.setCheckpointDir(checkpoint_dir or tempfile.mkdtemp(prefix="cityid-spark-"))
    return spark


def _db_api(backend: str, spark: Any = None, *, ordered: bool = True) -> Any:
    """Splink's database API; ``ordered=False`` lets DuckDB return rows in any order (prediction: the pairs are a
    set), which spares it buffering whole intermediate results to keep their order."""
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI(connect(ordered=ordered))
    if backend == "spark":
        from splink import SparkAPI

        return SparkAPI(spark_session=spark or spark_session())
    raise ValueError(f"unknown batch backend {backend!r}; one of {', '.join(BACKENDS)}")


def _register(db_api: Any, table: Any, backend: str) -> Any:
    if backend == "spark":
        return db_api.register(db_api.spark.createDataFrame(table))  # arrow keeps the types of all-null columns
    return db_api.register(table)


def _quiet() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)


def _register_term_frequencies(linker: Any, db_api: Any, model: Model, backend: str) -> None:
    import pyarrow as pa

    for name, column in TF_COLUMNS.items():
        table = model.term_frequencies.get(name, {})
        lookup = pa.table({column: pa.array(list(table), type=pa.string()),
                           f"tf_{column}": pa.array(list(table.values()), type=pa.float64())})  # fmt: skip
        linker.table_management.register_term_frequency_lookup(_register(db_api, lookup, backend), column)


# -- prediction --------------------------------------------------------------------------------------


def predict(
    records: Iterable[PersonRecord] | Any, model: Model, *, threshold: float | None = None, backend: str = "duckdb",
    spark: Any = None, progress: Callable[[int], None] | None = None, max_candidates: int = MAX_CANDIDATES,
) -> Iterator[tuple[str, str, float]]:
    """``(id_l, id_r, probability)`` for every pair sharing a blocking key and scoring at least ``threshold``
    (the model's match threshold by default), ``id_l < id_r``. Term-frequency adjustments use the model's
    term frequencies (the population it was trained on, not the records scored), as :meth:`Model.score` does.
    ``progress(n)`` is called as the :data:`PREDICT_STEPS` steps end (normalising, each blocking rule, scoring).
    More than ``max_candidates`` pairs sharing a key raise :class:`TooManyCandidates` before any is compared."""
    import pyarrow as pa
    from splink import Linker

    _quiet()
    threshold = model.thresholds["match"] if threshold is None else threshold
    db_api = _db_api(backend, spark, ordered=False)
    settings = settings_for(model, dialect=backend, tf=bool(model.term_frequencies), unique_id="row")
    step = progress or (lambda n: None)
    table = records_table(records)
    del records  # a million raw rows need not outlive their normal form
    step(1)
    # in the name-sound key's order: its blocks are large, and a block's rows probed one after another find the
    # block's rows still in the CPU's cache (1,000,000 records: that key's join 11-12 s -> 5.5 s;
    # the date-of-birth key's, 9-10 s either way)
    table = table.sort_by("name_key")
    ids = table.column("id")
    # Splink joins and orders pairs by their ids: row numbers do that far cheaper than the file's strings
    table = table.drop_columns(["id"]).append_column("row", pa.array(range(table.num_rows), pa.int64()))
    people = _register(db_api, table, backend)
    del table
    linker = Linker(people, settings, log_level=logging.ERROR)
    _register_term_frequencies(linker, db_api, model, backend)
    counts = _candidates(db_api, people.physical_name, backend)
    total = sum(pairs for _, pairs, _ in counts)
    if total > max_candidates:
        key, pairs, most = max(counts, key=lambda count: count[1])
        raise TooManyCandidates(f"too_many_{key}", total=f"{total:,}", pairs=f"{pairs:,}", most=f"{most:,}",
                                limit=f"{max_candidates:,}")
    blocked = _blocked_pairs(db_api, people.physical_name, may_reach(model, threshold), backend, step)
    linker.table_management.register_blocked_pairs_for_predict(blocked)
    result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    step(1)
    if backend == "duckdb":
        batches: Iterable[Any] = result.as_duckdbpyrelation().select("row_l, row_r, match_probability").to_arrow_reader(
            100_000)
    else:
        batches = _spark_batches(result.as_spark_dataframe().select("row_l", "row_r", "match_probability"))
    for batch in batches:
        ids_l, ids_r = (ids.take(batch.column(i)).to_pylist() for i in range(2))
        for a, b, p in zip(ids_l, ids_r, batch.column(2).to_pylist(), strict=True):
            yield (a, b, p) if a < b else (b, a, p)
    result.drop_table_from_database_and_remove_from_cache()
    blocked.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)


def _spark_batches(frame: Any, size: int = 100_000) -> Iterator[Any]:
    """The rows of a Spark DataFrame of (row_l, row_r, probability) as Arrow batches, streamed from the
    driver (never all pairs at once)."""
    import pyarrow as pa

    rows: list[Any] = []
    for row in frame.toLocalIterator():
        rows.append(row)
        if len(rows) == size:
            yield pa.RecordBatch.from_arrays([pa.array([r[i] for r in rows]) for i in range(3)], ["l", "r", "p"])
            rows = []
    if rows:
        yield pa.RecordBatch.from_arrays([pa.array([r[i] for r in rows]) for i in range(3)], ["l", "r", "p"])


# -- training ----------------------------------------------------------------------------------------


def _term_frequencies(table: Any, min_count: int) -> dict[str, dict[str, float]]:
    """Shares of the population of each given and family name held by at least ``min_count`` people."""
    from collections import Counter

    out: dict[str, dict[str, float]] = {}
    total = table.num_rows
    for name, column in TF_COLUMNS.items():
        counts = Counter(v for v in table.column(column).to_pylist() if v)
        out[name] = {value: round(count / total, 8) for value, count in sorted(counts.items())
                     if count >= min_count}  # fmt: skip
    return out


def train(
    records: Iterable[PersonRecord] | Any, *, seed: int = 1, max_pairs: float = 1e7, tf_min_count: int = 10,
    recall: float = 0.7, backend: str = "duckdb", spark: Any = None, em_max_pairs: float | None = 5e6,
) -> Model:
    """A model trained on ``records`` with Splink's estimators; ``tf_min_count``: the fewest people a name
    must be shared by to appear in the model file's term frequencies."""
    from splink import Linker

    _quiet()
    table = records_table(records)
    if table.num_rows < 10:
        raise ValueError("training needs at least 10 records")
    db_api = _db_api(backend, spark)
    settings = settings_for(None, dialect=backend)
    settings["em_convergence"] = 0.0001
    settings["max_iterations"] = 25
    linker = Linker(_register(db_api, table, backend), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(list(_DETERMINISTIC), recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in ("l.doc_key = r.doc_key", "l.dob = r.dob AND l.given = r.given"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=em_max_pairs,
        )
    trained = linker.misc.save_model_to_json()
    return _model_from_splink(trained, _term_frequencies(table, tf_min_count), rows=table.num_rows,
                              seed=seed, max_pairs=max_pairs)  # fmt: skip


def _model_from_splink(settings: dict[str, Any], tf: dict[str, dict[str, float]], **facts: Any) -> Model:
    import splink

    levels: dict[str, tuple[Level, ...]] = {}
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        field_levels = []
        for level in comparison["comparison_levels"]:
            label = level["label_for_charts"]
            if level.get("is_null_level"):
                field_levels.append(Level(label, None, None))
                continue
            m = max(MIN_M, _probability(level.get("m_probability")))
            u = _probability(level.get("u_probability"))
            field_levels.append(Level(label, m, u))
        levels[name] = tuple(field_levels)
    body = {"prior": settings["probability_two_random_records_match"], "levels": {
        k: [(lv.label, lv.m, lv.u) for lv in v] for k, v in levels.items()}, "tf": tf}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    today = datetime.date.today().isoformat()
    return Model(
        version=f"{today}-{digest}",
        prior=float(settings["probability_two_random_records_match"]),
        levels=levels,
        term_frequencies=tf,
        trained={"on": today, "splink": splink.__version__, **facts,
                 "estimators": "prior: deterministic rules; u: random sampling; m: expectation maximisation "
                               "blocked on date of birth, then on names"},
    )


def _probability(value: Any) -> float:
    """A trained m or u, or a tiny floor where training saw no pair at that level (Splink leaves it unset)."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or value <= 0)):
        return 1e-6
    return min(1.0, max(float(value), 1e-9))
