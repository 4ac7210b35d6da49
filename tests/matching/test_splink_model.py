"""The model in Splink: the SQL levels score as the Python scorer does; training gives a usable model."""

import csv
import random
from datetime import date

import pytest

from cityid.matching import splink_model
from cityid.matching.batch import read_people
from cityid.matching.normalise import normalise
from cityid.matching.records import PersonRecord
from cityid.matching.scorer import LEVELS, Model
from cityid.synthetic.matching_cases import COLUMNS, match_records, true_pairs


def _records(rows):
    out = []
    for row in rows:
        out.append(PersonRecord(
            id=row["id"], given_name=row["given_name"], family_name=row["family_name"],
            date_of_birth=date.fromisoformat(row["date_of_birth"]) if row["date_of_birth"] else None,
            address_line1=row["address_line1"], city=row["city"], postcode=row["postcode"],
            document_hashes=(row["document_number"],) if row["document_number"] else (),
        ))
    return out


def test_sql_levels_are_the_python_levels_in_order():
    assert set(splink_model.SQL_LEVELS) == set(LEVELS)
    for name, labels in LEVELS.items():
        assert len(splink_model.SQL_LEVELS[name]) == len(labels)
        assert splink_model.SQL_LEVELS[name][-1] is None  # else


def test_splink_scores_every_pair_as_the_python_scorer_does():
    rows = list(match_records(400, seed=11))
    records = _records(rows)
    model = Model.default()
    assert model.term_frequencies["family_name"]
    scored = list(splink_model.predict(records, model, threshold=1e-12))
    assert len(scored) > 50
    by_id = {r.id: normalise(r) for r in records}
    for a, b, probability in scored:
        assert model.probability(by_id[a], by_id[b]) == pytest.approx(probability, rel=1e-6, abs=1e-9), (a, b)


def test_pairs_found_are_the_labelled_duplicates():
    rows = list(match_records(1500, seed=5))
    found = {(a, b) for a, b, _ in splink_model.predict(_records(rows), Model.default())}
    truth = true_pairs(rows)
    assert len(found & truth) / len(truth) > 0.9
    assert len(found & truth) / len(found) > 0.8


def test_training_gives_a_model_with_every_level_and_no_rare_names(tmp_path):
    rows = list(match_records(3000, seed=2))
    model = splink_model.train(_records(rows), max_pairs=2e5, tf_min_count=5)
    assert model.version and model.trained["splink"]
    for name, labels in LEVELS.items():
        assert tuple(level.label for level in model.levels[name]) == labels
    exact, other = model.levels["date_of_birth"][1], model.levels["date_of_birth"][-1]
    assert exact.weight > 5 > -5 > other.weight
    counts = {}
    for row in rows:
        counts[row["family_name"].lower()] = counts.get(row["family_name"].lower(), 0) + 1
    assert all(share * 3000 >= 5 - 1e-6 for share in model.term_frequencies["family_name"].values())
    path = tmp_path / "m.json"
    model.save(path)
    assert Model.load(path).to_dict() == model.to_dict()


def test_records_table_has_nulls_for_missing_fields():
    table = splink_model.records_table([PersonRecord(id="x"), PersonRecord(id="y", given_name="Ana")])
    assert table.column("given").to_pylist() == [None, "ana"]
    assert table.column("docs").to_pylist() == [None, None]


def test_read_people_hashes_document_numbers(tmp_path):
    path = tmp_path / "in.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerow(["1", "Ana", "Ruiz", "1990-01-02", "", "", "", "X 123-45"])
        writer.writerow(["2", "Ana", "Ruiz", "19900102", "", "", "", "x12345"])
    people = read_people(path, key=random.randbytes(32))
    first, second = people.records
    assert first.document_hashes == second.document_hashes
    assert "12345" not in first.document_hashes[0] and first.date_of_birth == second.date_of_birth


def test_the_blocking_bound_drops_no_pair_that_reaches_the_threshold(monkeypatch):
    rows = list(match_records(1500, seed=8))
    records = _records(rows)
    model = Model.default()
    bounded = sorted(splink_model.predict(records, model, threshold=0.5))
    monkeypatch.setattr(splink_model, "may_reach", lambda model, threshold: "true")
    unbounded = sorted(splink_model.predict(records, model, threshold=0.5))
    assert len(unbounded) > 50
    assert [(a, b) for a, b, _ in bounded] == [(a, b) for a, b, _ in unbounded]


def test_the_batch_finds_the_pairs_splinks_own_blocking_finds():
    """cityid blocks by itself (one key at a time, with the bound) and hands Splink the pairs to score: the pairs
    and probabilities are those of Splink blocking on the same keys by itself, with no bound."""
    import logging

    from splink import Linker

    records = _records(list(match_records(1500, seed=9)))
    model = Model.default()
    ours = sorted(splink_model.predict(records, model, threshold=0.5))
    db_api = splink_model._db_api("duckdb")
    linker = Linker(db_api.register(splink_model.records_table(records)), splink_model.settings_for(model),
                    log_level=logging.ERROR)
    splink_model._register_term_frequencies(linker, db_api, model, "duckdb")
    rows = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never").as_record_list()
    splinks = sorted((min(r["id_l"], r["id_r"]), max(r["id_l"], r["id_r"]), r["match_probability"]) for r in rows)
    assert len(ours) > 50
    assert [(a, b) for a, b, _ in ours] == [(a, b) for a, b, _ in splinks]
    assert [p for _, _, p in ours] == pytest.approx([p for _, _, p in splinks])


def test_the_bound_drops_pairs_that_share_only_a_birthday():
    import duckdb

    model = Model.default()
    table = splink_model.records_table([
        PersonRecord(id="a", given_name="Maria", family_name="Lopez", date_of_birth=date(1990, 1, 2),
                     address_line1="1 Main St", postcode="10001", document_hashes=("h1",)),
        PersonRecord(id="b", given_name="Wei", family_name="Chen", date_of_birth=date(1990, 1, 2),
                     address_line1="77 Canal Street", postcode="10013", document_hashes=("h2",)),
        PersonRecord(id="c", given_name="Mariah", family_name="Lopes", date_of_birth=date(1990, 1, 2),
                     address_line1="1 Main Street", postcode="10001", document_hashes=("h3",)),
    ])
    con = duckdb.connect()
    con.register("t", table)
    bound = splink_model.may_reach(model, 0.9)
    kept = con.execute(f"SELECT l.id, r.id FROM t l JOIN t r ON l.id < r.id WHERE {bound}").fetchall()
    assert kept == [("a", "c")]


def test_the_jaro_winkler_bound_is_never_below_the_similarity():
    import duckdb

    rng = random.Random(3)
    names = [row["given_name"] for row in match_records(400, seed=4)] + [row["family_name"] for row in
                                                                       match_records(400, seed=6)]
    records = [PersonRecord(id=str(i), given_name=rng.choice(names), family_name=rng.choice(names))
               for i in range(300)]
    con = duckdb.connect()
    con.register("t", splink_model.records_table(records))
    for threshold in (0.8, 0.92):
        condition = splink_model._sided(splink_model._jw_may_reach("given", "family", threshold))
        missed = con.execute(f"""SELECT count(*) FROM t l JOIN t r ON l.id < r.id
            WHERE jaro_winkler_similarity(l.given, r.family) >= {threshold} AND NOT ({condition})""").fetchall()[0][0]
        reached = con.execute(f"""SELECT count(*) FROM t l JOIN t r ON l.id < r.id
            WHERE jaro_winkler_similarity(l.given, r.family) >= {threshold}""").fetchall()[0][0]
        assert reached > 0 and missed == 0


def test_attack_the_batch_never_spills_people_to_disk_in_clear():
    api = splink_model._db_api("duckdb")
    assert api._con.execute("SELECT current_setting('temp_directory')").fetchall() == [("",)]
