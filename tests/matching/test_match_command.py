"""`cityid match`: pairs, train, evaluate and model on CSV files; bad input gives one clear sentence."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from cityid.synthetic.matching_cases import COLUMNS, match_records


def _write(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def population(tmp_path):
    rows = list(match_records(1200, seed=9))
    people = _write(tmp_path / "people.csv", COLUMNS, [[r[c] for c in COLUMNS] for r in rows])
    truth = _write(tmp_path / "truth.csv", ("id", "person"), [(r["id"], r["person"]) for r in rows])
    return people, truth


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("match", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_pairs_then_evaluate(population, tmp_path):
    people, truth = population
    out, _ = run("pairs", people, "--out", tmp_path / "pairs.csv")
    assert "pairs at probability >= 0.9" in out
    with open(tmp_path / "pairs.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["id_l", "id_r", "probability"] and len(rows) > 20
    assert all(a < b and 0.9 <= float(p) <= 1 for a, b, p in rows[1:])
    out, _ = run("evaluate", tmp_path / "pairs.csv", "--truth", truth)
    f1 = float(out.split("F1 ")[1].split()[0])
    assert f1 > 0.85
    out, _ = run("evaluate", tmp_path / "pairs.csv", "--truth", truth, "--threshold", "0.99")
    assert "precision" in out


def test_pairs_with_mapped_and_missing_columns(tmp_path):
    path = _write(tmp_path / "febrl.csv", ("rec_id", "surname", "given_name", "date_of_birth"), [
        ("a", "Smith", "John", "19800101"), ("b", "Smith", "Jon", "19800101"), ("c", "Wong", "Mei", ""),
    ])
    out, _ = run("pairs", path, "--out", tmp_path / "p.csv", "--map", "rec_id=id", "--map", "surname=family_name",
                 "--threshold", "0.5")
    assert "among 3 records" in out
    assert (tmp_path / "p.csv").read_text().splitlines()[1].startswith("a,b,")


def test_non_latin_names_are_matched_and_said(tmp_path):
    path = _write(tmp_path / "zh.csv", ("id", "given_name", "family_name", "date_of_birth"), [
        ("1", "伟", "王", "1970-05-06"), ("2", "Wei", "Wang", "1970-05-06"), ("3", "Мария", "Иванова", ""),
    ])
    out, err = run("pairs", path, "--out", tmp_path / "p.csv", "--threshold", "0.5")
    assert "2 records have names in a non-Latin script" in err
    assert "1,2," in (tmp_path / "p.csv").read_text()


def test_train_and_show_model(population, tmp_path):
    people, _ = population
    out, _ = run("train", people, "--out", tmp_path / "m.json", "--max-pairs", "100000", "--tf-min-count", "5")
    assert "date_of_birth" in out and "weight" in out and "trained on 1200 records" in out
    model = json.loads((tmp_path / "m.json").read_text())
    assert model["format"] == "cityid-match-model" and model["version"]
    out, _ = run("model", tmp_path / "m.json")
    assert model["version"] in out
    out, _ = run("pairs", people, "--out", tmp_path / "p.csv", "--model", tmp_path / "m.json")
    assert model["version"] in out


@pytest.mark.parametrize(("content", "words"), [
    ("", "is empty"),
    ("id;given_name;family_name\n1;Ana;Ruiz\n", "separate its columns with ';'"),
    ("id,first,last\n1,Ana,Ruiz\n", "unknown columns: first, last"),
    ("given_name,family_name\nAna,Ruiz\n", "no id column"),
    ("id,date_of_birth\n1,1990-02-30\n", "line 2: date_of_birth is not a date that exists"),
    ("id,date_of_birth\n1,31/12/1990\n", "line 2: date_of_birth is not a date"),
    ("id,given_name\n1,Ana\n1,Eva\n", "line 3 repeats the id"),
    ("id,given_name\n1,Ana,Ruiz\n", "line 2 has 3 fields where the header has 2"),
    ("id,given_name,given_name\n1,Ana,Eva\n", "appears more than once"),
    ("id,given_name\n", "no records"),
])
def test_attack_hostile_csv_gives_one_clear_sentence(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run("pairs", path, "--out", tmp_path / "p.csv")
    assert words in str(caught.value)
    assert "Ruiz" not in str(caught.value) and "1990" not in str(caught.value)  # no value from the file
    assert not (tmp_path / "p.csv").exists()


def test_attack_bad_options_and_files(tmp_path):
    good = _write(tmp_path / "ok.csv", ("id", "given_name"), [("1", "Ana")])
    (tmp_path / "latin1.csv").write_bytes("id,given_name\n1,Jos\xe9\n".encode("latin-1"))
    cases = [
        (("pairs", tmp_path / "latin1.csv", "--out", tmp_path / "p.csv"), "not UTF-8"),
        (("pairs", good, "--out", tmp_path / "p.csv", "--map", "given_name"), "SOURCE=DESTINATION"),
        (("pairs", good, "--out", tmp_path / "p.csv", "--map", "given_name=nick"), "destination must be one of"),
        (("pairs", good, "--out", tmp_path / "p.csv", "--map", "x=family_name"), "does not have: x"),
        (("pairs", good, "--out", tmp_path / "p.csv", "--threshold", "2"), "not a probability"),
        (("pairs", tmp_path / "missing.csv", "--out", tmp_path / "p.csv"), "cannot read"),
        (("pairs", good, "--out", tmp_path / "p.csv", "--model", good), "cannot use the model file"),
        (("train", good, "--out", tmp_path / "m.json"), "at least 10 records"),
        (("evaluate", good, "--truth", good), "no id_l and id_r columns"),
    ]
    for args, words in cases:
        with pytest.raises(CommandError) as caught:
            run(*args)
        assert words in str(caught.value), (args, str(caught.value))


@pytest.mark.parametrize("column, placeholder, words", [
    ("date_of_birth", "1900-01-01", "share one date of birth"),
    ("document_number", "000000000", "share one document number"),
])
def test_attack_a_placeholder_shared_by_many_stops_the_run_and_keeps_the_earlier_pairs(tmp_path, column, placeholder,
                                                                                        words):
    """A placeholder shared by many records (a date of birth for unknown ones, a dummy document number) would make
    billions of pairs at a city's scale: the run stops before comparing any, says which key and how many records
    share a value, and the earlier pairs file stays as it was."""
    rows = [r for r in match_records(300, seed=5)]
    for row in rows[:80]:
        row[column] = placeholder
    people = _write(tmp_path / "people.csv", COLUMNS, [[r[c] for c in COLUMNS] for r in rows])
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("id_l,id_r,probability\na,b,0.99\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run("pairs", people, "--out", pairs, "--max-candidates", "2000")
    said = str(caught.value)
    assert words in said and "up to 80 records" in said and "limit of 2,000" in said and "--max-candidates" in said
    assert placeholder not in said and rows[0]["family_name"] not in said  # no value from the file
    assert pairs.read_text(encoding="utf-8") == "id_l,id_r,probability\na,b,0.99\n"
    assert not (tmp_path / "pairs.csv.partial").exists()
    out, _ = run("pairs", people, "--out", pairs)  # under the default limit the same file runs
    assert "pairs at probability" in out and pairs.read_text(encoding="utf-8").startswith("id_l,id_r,probability")


def test_the_pairs_file_appears_whole_or_not_at_all(tmp_path):
    from cityid.matching.batch import write_pairs

    out = tmp_path / "pairs.csv"
    out.write_text("earlier\n", encoding="utf-8")

    def failing():
        yield ("a", "b", 0.95)
        raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError):
        write_pairs(out, failing())
    assert out.read_text(encoding="utf-8") == "earlier\n" and not (tmp_path / "pairs.csv.partial").exists()
    assert write_pairs(out, iter([("a", "b", 0.95)])) == 1
    assert out.read_text(encoding="utf-8").splitlines() == ["id_l,id_r,probability", "a,b,0.950000"]


def test_max_candidates_must_be_a_whole_number_above_zero(tmp_path):
    good = _write(tmp_path / "ok.csv", ("id", "given_name"), [("1", "Ana")])
    for value in ("0", "-5", "many", "1.5"):
        with pytest.raises(CommandError) as caught:
            run("pairs", good, "--out", tmp_path / "p.csv", "--max-candidates", value)
        assert "whole number above zero" in str(caught.value)
