"""The batch run on Splink's Spark backend (local Spark): the same pairs and probabilities as on DuckDB.

Needs pyspark (``pip install pyspark==4.3.0``) and a Java 17+ runtime (``apt-get install
openjdk-17-jre-headless``); skipped without them.
"""

import shutil

import pytest

from cityid.matching import splink_model
from cityid.matching.scorer import Model
from cityid.synthetic.matching_cases import match_records

from .test_splink_model import _records

pytest.importorskip("pyspark")
pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime")


def test_spark_finds_the_pairs_duckdb_finds():
    records = _records(list(match_records(300, seed=4)))
    model = Model.default()
    spark = splink_model.spark_session("local[1]")
    try:
        on_spark = {(a, b): p for a, b, p in splink_model.predict(records, model, threshold=0.5, backend="spark",
                                                                  spark=spark)}  # fmt: skip
    finally:
        spark.stop()
    on_duckdb = {(a, b): p for a, b, p in splink_model.predict(records, model, threshold=0.5)}
    assert on_duckdb and set(on_spark) == set(on_duckdb)
    for pair, probability in on_duckdb.items():
        assert on_spark[pair] == pytest.approx(probability, abs=1e-3)
