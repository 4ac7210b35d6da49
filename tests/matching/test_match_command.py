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
