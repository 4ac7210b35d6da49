"""Normalisation: one comparable spelling per name, date and address."""

from datetime import date

from cityid.matching.normalise import canonical_given, fold, name_parts, normalise, phonetic, postcode_key
from cityid.matching.records import PersonRecord


def test_fold_removes_case_accents_punctuation_and_invisible_characters():
    assert fold("  José-María  O'Brien ") == "jose maria o brien"
    assert fold("A\u200bna") == fold("ana") == "ana"
    assert fold("Ａｎａ") == "ana"  # fullwidth
    assert fold("Müller") == "muller"
    assert fold("") == ""


def test_fold_transliterates_non_latin_scripts():
    assert fold("王") == "wang"
    assert fold("Мария") == "mariya"
    assert fold("Κώστας").isascii() and fold("Κώστας")
    assert fold("محمد").isascii() and fold("محمد")


def test_nicknames_reach_their_formal_names():
    assert "william" in canonical_given("bill")
    assert {"albert", "alexander"} <= canonical_given("al")
    assert canonical_given("zzyzx") == frozenset({"zzyzx"})
    assert canonical_given("") == frozenset()


def test_multi_part_family_names_without_particles():
    assert name_parts(fold("García-López")) == ("garcia", "lopez")
    assert name_parts(fold("de la Cruz")) == ("cruz",)
    assert name_parts(fold("van der Berg")) == ("berg",)
    assert name_parts("de") == ("de",)  # nothing but a particle: kept


def test_phonetic_codes_agree_on_sound_alike_spellings():
    assert phonetic("smith") == phonetic("smyth")
    assert phonetic("") == ""


def test_normalise_precomputes_every_compared_field():
    record = PersonRecord(
        id="1", given_name="Bill", family_name="García-López", date_of_birth=date(1980, 3, 7),
        address_line1="12 West 3rd Street", city="New York", postcode="100 01", document_hashes=("h1",),
    )
    n = normalise(record)
    assert n.given == "bill" and "william" in n.given_canon
    assert n.family == "garcia lopez" and n.family_parts == {"garcia", "lopez"}
    assert n.dob == "19800307" and n.year == "1980"
    assert n.address == "12 w 3 st" and n.address_tokens == {"12", "w", "3", "st"}
    assert n.postcode == "10001" and n.city == "new york" and n.docs == {"h1"}


def test_missing_fields_stay_empty():
    n = normalise(PersonRecord(id="x"))
    assert (n.given, n.family, n.dob, n.address, n.postcode) == ("", "", "", "", "")
    assert not n.given_canon and not n.family_parts and not n.docs
    assert postcode_key(" sw1a 1aa ") == "SW1A1AA"
