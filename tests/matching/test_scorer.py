"""The Fellegi–Sunter model: levels per field, weights, term frequencies, the model file."""

import json
from dataclasses import replace
from datetime import date

import pytest

from cityid.matching.normalise import normalise
from cityid.matching.records import PersonRecord
from cityid.matching.scorer import FIELDS, LEVELS, Model, comparison_vector, probability_of, weight_of

BASE = PersonRecord(
    id="a", given_name="Maria", family_name="Garcia Lopez", date_of_birth=date(1985, 4, 11),
    address_line1="350 East 149th Street", city="Bronx", postcode="10451", document_hashes=("d1",),
)


def levels(a: PersonRecord, b: PersonRecord) -> dict[str, str]:
    vector = comparison_vector(normalise(a), normalise(b))
    return {name: LEVELS[name][i] for name, i in zip(FIELDS, vector, strict=True)}


def test_address_levels():
    assert levels(BASE, replace(BASE, address_line1="350 East 149th Streets"))["address"] == "jaro_winkler_0.90"
    assert levels(BASE, replace(BASE, address_line1="Apt 4 350 East 149 St"))["address"] == "tokens_0.6"
    assert levels(BASE, replace(BASE, address_line1="1 Main Street"))["address"] == "postcode"
    assert levels(BASE, replace(BASE, address_line1="1 Main Street", postcode="11111"))["address"] == "else"


def test_levels_of_each_field():
    assert levels(BASE, replace(BASE, id="b")) == {
        "given_name": "exact", "family_name": "exact", "date_of_birth": "exact", "address": "exact",
        "documents": "shared",
    }
    other = replace(BASE, id="b", given_name="Marai", family_name="Garcia", date_of_birth=date(1985, 11, 4),
                    address_line1="350 E 149 St", document_hashes=("d2",))
    assert levels(BASE, other) == {
        "given_name": "jaro_winkler_0.92", "family_name": "one_part", "date_of_birth": "day_month_swapped",
        "address": "exact", "documents": "else",
    }
    third = replace(BASE, id="c", given_name="", date_of_birth=date(1985, 4, 17), address_line1="1 Main St",
                    document_hashes=())
    got = levels(BASE, third)
    assert got["given_name"] == "null" and got["date_of_birth"] == "one_digit"
    assert got["address"] == "postcode" and got["documents"] == "null"
    assert levels(BASE, replace(BASE, date_of_birth=date(1985, 9, 30)))["date_of_birth"] == "same_year"


def test_transposed_names_agree_exactly():
    swapped = replace(BASE, id="b", given_name=BASE.family_name, family_name=BASE.given_name)
    got = levels(BASE, swapped)
    assert got["given_name"] == got["family_name"] == "exact"


def test_swapped_names_with_a_typo_in_one_are_transposed_and_two_typos_are_not():
    a = replace(BASE, given_name="Sophie", family_name="Snell")
    one_typo = replace(BASE, id="b", given_name="Snekl", family_name="Sophie")  # FEBRL2 rec-2633
    got = levels(a, one_typo)
    assert got["given_name"] == got["family_name"] == "transposed"
    two_typos = replace(BASE, id="b", given_name="Snekl", family_name="Sophy")
    assert levels(a, two_typos)["given_name"] != "transposed"
    unrelated = replace(BASE, id="b", given_name="Riding", family_name="Sophie")  # one name moved, one new
    assert levels(a, unrelated)["given_name"] != "transposed"


def test_nickname_and_phonetic_levels():
    a = replace(BASE, given_name="William")
    assert levels(a, replace(BASE, given_name="Bill"))["given_name"] == "nickname"
    assert levels(replace(BASE, family_name="Smith"), replace(BASE, family_name="Smyth"))["family_name"] == (
        "jaro_winkler_0.80")
    assert levels(replace(BASE, given_name="Catherine"), replace(BASE, given_name="Kathryn"))["given_name"] == (
        "phonetic")


def test_score_explains_each_field_and_sums_to_the_weight():
    model = Model.default()
    result = model.score(BASE, replace(BASE, id="b"))
    assert [e.field for e in result.fields] == list(FIELDS)
    assert result.match_weight == pytest.approx(result.prior_weight + sum(e.weight for e in result.fields), abs=1e-3)
    assert result.probability == pytest.approx(probability_of(result.match_weight))
    assert result.probability > 0.99
    stranger = PersonRecord(id="z", given_name="Wei", family_name="Chen", date_of_birth=date(1950, 1, 2),
                            address_line1="1 Main Street", postcode="11354", document_hashes=("d9",))
    assert model.score(BASE, stranger).probability < 0.01


def test_fast_weight_equals_the_explained_score():
    model = Model.default()
    for other in (replace(BASE, id="b"), replace(BASE, given_name="Mario", postcode="11111"), PersonRecord(id="z")):
        assert model.weight(normalise(BASE), normalise(other)) == pytest.approx(model.score(BASE, other).match_weight)


def test_missing_fields_weigh_nothing():
    model = Model.default()
    result = model.score(PersonRecord(id="x"), BASE)
    assert all(e.level == "null" and e.weight == 0 for e in result.fields)
    assert result.probability == pytest.approx(model.prior)


def test_term_frequency_makes_a_common_name_weaker_evidence():
    data = Model.default().to_dict()
    data["term_frequencies"] = {"family_name": {"garcia lopez": 0.05}}
    model = Model.from_dict(data)
    plain = Model.default()
    common = model.score(BASE, replace(BASE, id="b", given_name="Ana"))
    assert common.fields[1].weight < plain.score(BASE, replace(BASE, id="b", given_name="Ana")).fields[1].weight
    assert model.weight(normalise(BASE), normalise(replace(BASE, given_name="Ana"))) == pytest.approx(
        common.match_weight)


def test_model_file_round_trip_and_refusals(tmp_path):
    model = Model.default()
    path = tmp_path / "m.json"
    model.save(path)
    again = Model.load(path)
    assert again.version == model.version and again.to_dict() == model.to_dict()
    bad = model.to_dict()
    bad["comparisons"]["documents"] = bad["comparisons"]["documents"][:2]
    with pytest.raises(ValueError, match="documents"):
        Model.from_dict(bad)
    bad = model.to_dict()
    bad["format_version"] = 99
    with pytest.raises(ValueError, match="version"):
        Model.from_dict(bad)
    bad = model.to_dict()
    bad["comparisons"]["address"][1]["u"] = 0
    with pytest.raises(ValueError, match="address"):
        Model.from_dict(bad)
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError):
        Model.load(path)


def test_weight_and_probability_are_inverse():
    for p in (0.001, 0.5, 0.9, 0.999):
        assert probability_of(weight_of(p)) == pytest.approx(p)
    assert probability_of(1000) == 1.0 and probability_of(-1000) == 0.0


def test_document_numbers_one_typo_apart_agree_through_their_variants_only():
    from cityid.matching.records import document_variants

    def docs(number: str) -> dict:
        return {"document_hashes": (f"h({number})",), "document_variants": tuple(f"h({v})" for v in
                                                                               document_variants(number))}

    a = replace(BASE, **docs("X1234567"))
    assert levels(a, replace(BASE, **docs("X1234587")))["documents"] == "one_edit"  # one digit changed
    assert levels(a, replace(BASE, **docs("X1243567")))["documents"] == "one_edit"  # two digits swapped
    assert levels(a, replace(BASE, **docs("X123456")))["documents"] == "one_edit"  # one dropped
    assert levels(a, replace(BASE, **docs("X7654321")))["documents"] == "else"
