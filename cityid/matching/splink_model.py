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
  columns), scored with a model's fixed ``m`` and ``u``; pairs at or above the threshold.

The backend: ``"duckdb"`` (embedded, the default) or ``"spark"`` (``pyspark`` and a Java runtime; a
SparkSession from the caller, or a local one).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
from collections.abc import Iterable, Iterator
from fractions import Fraction
from functools import lru_cache
from typing import Any

from cityid.matching.normalise import ADDRESS_WORDS, canonical_given, fold, name_parts, phonetic
from cityid.matching.records import PersonRecord
from cityid.matching.scorer import FIELDS, JW_ADDRESS, JW_HIGH, JW_LOW, LEVELS, TF_LEVELS, TOKEN_JACCARD, Level, Model

BACKENDS = ("duckdb", "spark")
#: The least m of a level: EM gives 0 to a level it saw no match at, which would make one field's
#: disagreement (a new document, a new address) outweigh all the others.
MIN_M = 0.001

#: The SQL twin of each level of :data:`cityid.matching.scorer.LEVELS` (DuckDB dialect; ``None``: else).
#: Word Jaccard >= TOKEN_JACCARD (= n/d) in integers, the tokens being distinct: d * |A & B| >= n * |A | B| with
#: |A | B| = |A| + |B| - |A & B| (no list_concat and list_distinct per pair; an empty overlap never holds).
_JACCARD_N, _JACCARD_D = Fraction(str(TOKEN_JACCARD)).limit_denominator(100).as_integer_ratio()
_JACCARD = (
    f"{_JACCARD_D} * len(list_intersect(address_tokens_l, address_tokens_r)) >= {_JACCARD_N} * "
    "(len(address_tokens_l) + len(address_tokens_r) - len(list_intersect(address_tokens_l, address_tokens_r)))"
)
#: A cheap necessary condition before the Damerau-Levenshtein distance of two dates (both YYYYMMDD): one edit
#: apart means at most two positions differ. DuckDB only (the Spark dialect drops it).
_DOB_PREFILTER = "(length(dob_l) <> length(dob_r) OR hamming(dob_l, dob_r) <= 2) AND "
_CROSSED = (f"jaro_winkler_similarity(given_l, family_r) >= {JW_HIGH} AND "
            f"jaro_winkler_similarity(family_l, given_r) >= {JW_HIGH}")
SQL_LEVELS: dict[str, tuple[str | None, ...]] = {
    "given_name": (
        "given_l IS NULL OR given_r IS NULL",
        "given_l = given_r OR (given_l = family_r AND family_l = given_r)",
        _CROSSED,
        "list_has_any(given_canon_l, given_canon_r)",
        f"jaro_winkler_similarity(given_l, given_r) >= {JW_HIGH}",
        f"jaro_winkler_similarity(given_l, given_r) >= {JW_LOW}",
        "given_phon_l = given_phon_r",
        None,
    ),
    "family_name": (
        "family_l IS NULL OR family_r IS NULL",
        "family_l = family_r OR (given_l = family_r AND family_l = given_r)",
        _CROSSED,
        "list_has_any(family_parts_l, family_parts_r)",
        f"jaro_winkler_similarity(family_l, family_r) >= {JW_HIGH}",
        f"jaro_winkler_similarity(family_l, family_r) >= {JW_LOW}",
        "list_has_any(family_phons_l, family_phons_r)",
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
        "docs_l IS NULL OR docs_r IS NULL",
        "list_has_any(docs_l, docs_r)",
        "list_has_any(doc_variants_l, doc_variants_r)",
        None,
    ),
}
#: The column each term-frequency level is adjusted by.
TF_COLUMNS = {"given_name": "given", "family_name": "family"}
#: Splink's blocking rules for prediction: blocking keys of :mod:`cityid.matching.blocking` as columns (and the
#: document variants, exploded). The real-time index also uses the family-name/year and postcode keys; in the batch
#: they found no labelled duplicate the date-of-birth, name and document keys miss (200,000 synthetic records) and
#: doubled the pairs scored, so the batch leaves them out.
BLOCKING_COLUMNS = ("dob_key", "name_key", "doc_key")
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
        condition = condition.replace(_DOB_PREFILTER, "")
        for duck, spark in _SPARK_FUNCTIONS:
            condition = condition.replace(duck, spark)
    return condition


def settings_for(model: Model | None, *, dialect: str = "duckdb", tf: bool = True) -> dict[str, Any]:
    """A Splink settings dictionary for the model's levels, with its ``m`` and ``u`` (untrained if None)."""
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
        "unique_id_column_name": "id",
        "probability_two_random_records_match": model.prior if model else 1e-6,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            *({"blocking_rule": f"l.{column} = r.{column}"} for column in BLOCKING_COLUMNS),
            {"blocking_rule": "l.doc_variants = r.doc_variants", "arrays_to_explode": ["doc_variants"]},
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


# -- the input table ---------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _given(text: str) -> tuple[str | None, list[str] | None, str | None]:
    folded = fold(text)
    if not folded:
        return None, None, None
    first = folded.split()[0]
    return folded, sorted(canonical_given(first)), phonetic(first)


@lru_cache(maxsize=200_000)
def _family(text: str) -> tuple[str | None, list[str] | None, list[str] | None]:
    folded = fold(text)
    if not folded:
        return None, None, None
    parts = name_parts(folded)
    return folded, sorted(set(parts)), sorted({phonetic(p) for p in parts})


RAW_COLUMNS = ("id", "given_name", "family_name", "dob", "address_line1", "postcode", "docs", "doc_variants")
COLUMNS = ("id", "given", "given_canon", "given_phon", "family", "family_parts", "family_phons", "dob",
           "address", "address_tokens", "postcode", "docs", "doc_variants", *BLOCKING_COLUMNS)  # fmt: skip


def raw_table(records: Iterable[PersonRecord]) -> Any:
    """The fields of ``records`` as a ``pyarrow`` table of :data:`RAW_COLUMNS` (dates as ``YYYYMMDD``)."""
    import pyarrow as pa

    columns: list[list[Any]] = [[] for _ in RAW_COLUMNS]
    for r in records:
        for column, value in zip(columns, (
            r.id, r.given_name, r.family_name, r.date_of_birth.strftime("%Y%m%d") if r.date_of_birth else None,
            r.address_line1, r.postcode, list(r.document_hashes) or None, list(r.document_variants) or None,
        ), strict=True):
            column.append(value)
    types = [pa.string()] * 6 + [pa.list_(pa.string())] * 2
    return pa.table([pa.array(c, type=t) for c, t in zip(columns, types, strict=True)], names=list(RAW_COLUMNS))


_ADDRESS_MAP = "MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in ADDRESS_WORDS.items()) + "}"
_PRINTABLE_ASCII = "'[ -~]*'"


def _normalise_sql() -> str:
    """DuckDB SQL from ``raw`` (+ the Python-normalised ``given_map``, ``family_map`` and ``odd_map`` of text
    that is not printable ASCII) to :data:`COLUMNS`: what :func:`cityid.matching.normalise.normalise` does,
    a million rows at a time. The document variants (keyed hashes already) and the address words become 63-bit
    integers (their DuckDB hash): a record's lists are intersected for every pair, and integers compare and hold
    far cheaper than strings."""
    def folded(column: str, odd: str) -> str:
        return f"coalesce({odd}.folded, trim(regexp_replace(lower({column}), '[^a-z0-9]+', ' ', 'g')))"

    words = f"list_filter(string_split({folded('r.address_line1', 'oa')}, ' '), lambda w: w <> '')"
    tokens = (f"list_transform({words}, lambda w: regexp_replace(coalesce({_ADDRESS_MAP}[w], w), "
              r"'^([0-9]+)(st|nd|rd|th)$', '\1'))")  # fmt: skip
    return f"""
    WITH base AS (
        SELECT r.id, g.given, g.given_canon, g.given_phon, f.family, f.family_parts, f.family_phons,
               nullif(r.dob, '') AS dob, {tokens} AS tokens,
               nullif(upper(replace({folded('r.postcode', 'op')}, ' ', '')), '') AS postcode,
               CASE WHEN len(r.docs) > 0 THEN list_sort(list_distinct(r.docs)) END AS docs,
               CASE WHEN len(r.doc_variants) > 0 THEN list_distinct(list_transform(r.doc_variants,
                   lambda v: (hash(v) >> 1)::BIGINT)) END AS doc_variants
        FROM raw r
        LEFT JOIN given_map g ON g.raw = r.given_name
        LEFT JOIN family_map f ON f.raw = r.family_name
        LEFT JOIN odd_map oa ON oa.raw = r.address_line1
        LEFT JOIN odd_map op ON op.raw = r.postcode
    ), keyed AS (
        SELECT *, CASE WHEN len(family_phons) > 0 THEN list_filter(family_phons, lambda c: c <> '')[1] END AS code
        FROM base
    )
    SELECT id, given, given_canon, given_phon, family, family_parts, family_phons, dob,
           nullif(array_to_string(tokens, ' '), '') AS address,
           CASE WHEN len(tokens) > 0
                THEN list_sort(list_distinct(list_transform(tokens, lambda w: (hash(w) >> 1)::BIGINT)))
                END AS address_tokens,
           postcode, docs, doc_variants,
           CASE WHEN dob IS NOT NULL THEN substr(dob, 1, 4) || least(substr(dob, 5, 2), substr(dob, 7, 2))
                || greatest(substr(dob, 5, 2), substr(dob, 7, 2)) END AS dob_key,
           CASE WHEN given_phon <> '' AND code <> '' THEN least(given_phon, code) || '|' || greatest(given_phon, code)
                END AS name_key,
           docs[1] AS doc_key
    FROM keyed
    """


def normalised_table(raw: Any) -> Any:
    """:data:`COLUMNS` (a ``pyarrow`` table, empty fields null) of a :func:`raw_table`."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.register("raw", raw)
    strings = pa.string()
    lists = pa.list_(pa.string())

    def distinct(sql: str) -> list[str]:
        return [row[0] for row in con.execute(sql).fetchall()]

    givens = distinct("SELECT DISTINCT given_name FROM raw WHERE given_name IS NOT NULL")
    given_rows = [_given(text) for text in givens]
    con.register("given_map", pa.table({
        "raw": pa.array(givens, strings), "given": pa.array([g[0] for g in given_rows], strings),
        "given_canon": pa.array([g[1] for g in given_rows], lists),
        "given_phon": pa.array([g[2] for g in given_rows], strings),
    }))
    families = distinct("SELECT DISTINCT family_name FROM raw WHERE family_name IS NOT NULL")
    family_rows = [_family(text) for text in families]
    con.register("family_map", pa.table({
        "raw": pa.array(families, strings), "family": pa.array([f[0] for f in family_rows], strings),
        "family_parts": pa.array([f[1] for f in family_rows], lists),
        "family_phons": pa.array([f[2] for f in family_rows], lists),
    }))
    odd = distinct(
        "SELECT DISTINCT s FROM (SELECT address_line1 AS s FROM raw UNION ALL SELECT postcode FROM raw) "
        f"WHERE s IS NOT NULL AND NOT regexp_full_match(s, {_PRINTABLE_ASCII})"
    )
    con.register("odd_map", pa.table({"raw": pa.array(odd, strings),
                                      "folded": pa.array([fold(text) for text in odd], strings)}))  # fmt: skip
    table = con.sql(_normalise_sql()).to_arrow_table()
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
        import duckdb
        from splink import DuckDBAPI

        return DuckDBAPI(duckdb.connect(config={"preserve_insertion_order": ordered}))
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
    spark: Any = None,
) -> Iterator[tuple[str, str, float]]:
    """``(id_l, id_r, probability)`` for every pair sharing a blocking key and scoring at least ``threshold``
    (the model's match threshold by default), ``id_l < id_r``. Term-frequency adjustments use the model's
    term frequencies (the population it was trained on, not the records scored), as :meth:`Model.score` does."""
    from splink import Linker

    _quiet()
    threshold = model.thresholds["match"] if threshold is None else threshold
    db_api = _db_api(backend, spark, ordered=False)
    settings = settings_for(model, dialect=backend, tf=bool(model.term_frequencies))
    table = records_table(records)
    del records  # a million raw rows need not outlive their normal form
    linker = Linker(_register(db_api, table, backend), settings, log_level=logging.ERROR)
    del table
    _register_term_frequencies(linker, db_api, model, backend)
    result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    if backend == "duckdb":
        relation = result.as_duckdbpyrelation()
        reader = relation.select("id_l, id_r, match_probability").to_arrow_reader(100_000)
        for batch in reader:
            ids_l, ids_r, probs = (batch.column(i).to_pylist() for i in range(3))
            for a, b, p in zip(ids_l, ids_r, probs, strict=True):
                yield (a, b, p) if a < b else (b, a, p)
    else:
        for row in result.as_spark_dataframe().select("id_l", "id_r", "match_probability").toLocalIterator():
            a, b, p = row[0], row[1], row[2]
            yield (a, b, p) if a < b else (b, a, p)
    result.drop_table_from_database_and_remove_from_cache()


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
