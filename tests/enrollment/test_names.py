"""Names and addresses in one normal form: zero-width and bidi characters and fullwidth letters do not make
three spellings of one person (before, the same person entered three ways was three people, one found)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cityid.core.text import clean_text
from cityid.enrollment.imports import import_lines
from cityid.enrollment.selectors import search_applicants
from cityid.enrollment.services import enroll
from cityid.vault import services as vault
from tests.audit.helpers import sign_in
from tests.conftest import make_input

TODAY = date(2026, 11, 20)
BORN = date(1990, 4, 12)

ZWSP, ZWNJ, ZWJ, RLO, LRI, PDI, PDF_ = "\u200b", "\u200c", "\u200d", "\u202e", "\u2066", "\u2069", "\u202c"
SPELLINGS = {
    "zero-width space": ("Ma" + ZWSP + "ria", "Gar" + ZWSP + "cia"),
    "zero-width non-joiner": ("Mar" + ZWNJ + "ia", ZWNJ + "Garcia"),
    "right-to-left override": (RLO + "Maria" + PDF_, "Garcia"),
    "isolate": (LRI + "Maria" + PDI, "Gar" + ZWJ + "cia"),
    "fullwidth letters": ("Ｍａｒｉａ", "Ｇａｒｃｉａ"),
    "soft hyphen, no-break spaces": ("Ma\u00adria\u00a0", "\u3000Garcia\u2060"),
}


@pytest.mark.parametrize("case", sorted(SPELLINGS))
def test_each_spelling_is_the_plain_name(case):
    given, family = SPELLINGS[case]
    assert (clean_text(given), clean_text(family)) == ("Maria", "Garcia")


def test_clean_text_collapses_spaces_and_keeps_accents_and_scripts():
    assert clean_text("  Ana \t María\n de  la\u2003Cruz ") == "Ana María de la Cruz"
    assert clean_text("Zoë") == "Zoë" and clean_text("Zoe\u0308") == "Zoë"  # composed (NFC within NFKC)
    assert clean_text("ﬁona") == "fiona"  # a ligature is its letters
    assert clean_text("王 小明") == "王 小明"
    assert clean_text("Ana\x00\x1b[31m") == "Ana[31m"  # control characters go; what is visible stays
    assert clean_text("\ufeff\u200e\u200f\u061cAna\U000e0041") == "Ana"  # BOM, LRM, RLM, ALM, a tag character
    assert clean_text("A\u3164na\u115f") == "Ana"  # Hangul fillers render as nothing


def test_joiners_stay_where_a_script_spells_with_them():
    persian = "نیک" + ZWNJ + "نام"  # Niknam: the non-joiner changes how it is written
    devanagari = "क्" + ZWJ + "ष"
    assert clean_text(persian) == persian and clean_text(devanagari) == devanagari
    assert clean_text(ZWNJ + persian + ZWNJ + ZWNJ) == persian  # not at the ends, never doubled
    assert clean_text("نیک" + ZWNJ + ZWNJ + "نام") == persian
    assert clean_text("Ana" + ZWNJ + "نام") == "Anaنام"  # between two scripts it joins nothing
    # The search form ignores them everywhere, so the name is found typed either way.
    assert clean_text(persian, keep_joiners=False) == "نیکنام"
    assert vault.normalize_for_index(persian) == vault.normalize_for_index("نیکنام")


def test_clean_text_is_idempotent():
    for given, family in SPELLINGS.values():
        for value in (given, family, "نیک" + ZWNJ + ZWNJ + "نام", "e" + ZWSP + "\u0301"):
            assert clean_text(clean_text(value)) == clean_text(value)


def test_three_spellings_of_one_person_are_sealed_alike_and_found_by_one_search(staff):
    """The attack: enter one person as ``Maria``, ``Ma<ZWSP>ria`` and ``<RLO>Maria``/fullwidth; before, a
    search for Maria Garcia found one of the three."""
    clerk = staff["clerk"]
    entered = []
    for number, (given, family) in enumerate([("Maria", "Garcia"), *SPELLINGS.values()]):
        data = make_input(external_id=f"SPELL-{number}", given_name=given, family_name=family, date_of_birth=BORN,
                          address={"kind": "residential", "line1": f"{RLO}1{ZWSP} Main\u00a0St", "line2": "",
                                   "city": "Ｑｕｅｅｎｓ", "postcode": "11373", "borough": "queens", "care_of": ""},
                          emergency_contact={"name": "Ana" + ZWSP + " Contact", "phone": "718-555-0101"})
        entered.append(enroll(data=data, enrolled_by=clerk, today=TODAY).applicant)

    found = search_applicants(actor=clerk, given_name="maria", family_name="GARCIA", date_of_birth=BORN)
    assert found == entered
    # Searching with a hidden character in the query finds them too.
    assert search_applicants(actor=clerk, given_name=RLO + "Ma" + ZWSP + "ria", family_name="Ｇａｒｃｉａ",
                             date_of_birth=BORN) == entered

    # Sealed in the normal form: what is decrypted is the plain name and address.
    for applicant in entered:
        record = vault.open_record(applicant.personal_record)
        profile = record.open_json("profile", applicant.sealed_profile)
        assert (profile["given_name"], profile["family_name"]) == ("Maria", "Garcia")
        assert (profile["address"]["line1"], profile["address"]["city"]) == ("1 Main St", "Queens")
        application = applicant.applications.get()
        details = record.open_json(f"application:{application.public_id}", application.sealed_details)
        assert details["emergency_contact"]["name"] == "Ana Contact"


def test_search_page_finds_every_spelling(staff):
    clerk = staff["clerk"]
    ids = [enroll(data=make_input(external_id=f"PAGE-{n}", given_name=g, family_name=f, date_of_birth=BORN),
                  enrolled_by=clerk, today=TODAY).applicant.public_id
           for n, (g, f) in enumerate([("Maria", "Garcia"), SPELLINGS["zero-width space"],
                                       SPELLINGS["right-to-left override"]])]
    client = sign_in(clerk)
    response = client.post("/enrollment/search/", {"query": "Ma" + ZWNJ + "ria Garcia",
                                                   "date_of_birth": BORN.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert all(str(public_id) in html for public_id in ids)


def test_a_name_of_invisible_characters_only_is_refused(staff):
    from cityid.enrollment.inputs import EnrollmentInvalid

    with pytest.raises(EnrollmentInvalid) as caught:
        enroll(data=make_input(given_name=ZWSP + RLO + "\u2060"), enrolled_by=staff["clerk"], today=TODAY)
    assert "given_name" in caught.value.errors


def test_imported_spelling_is_normalised_and_found(staff, tmp_path):
    line = {
        "external_id": "IMP-SPELL", "given_name": "Ｍａ" + ZWSP + "ria", "family_name": RLO + "Garcia",
        "date_of_birth": BORN.isoformat(),
        "address": {"kind": "care_of", "care_of": "Shelter" + ZWJ + " House", "line1": "2 Oak St",
                    "city": "Bronx", "postcode": "10451", "borough": "bronx"},
        "documents": [{"type": "foreign_passport", "number": "IMP1", "expires": "2031-01-01"},
                      {"type": "utility_bill", "number": "IMP2"}],
        "application": {"submitted": "2026-10-01", "decision": "pending"},
    }
    summary = import_lines([json.dumps(line)], actor=None, base_dir=tmp_path)
    assert (summary.imported, summary.rejected) == (1, [])
    (applicant,) = search_applicants(actor=staff["clerk"], given_name="Maria", family_name="Garcia",
                                     date_of_birth=BORN)
    profile = vault.open_record(applicant.personal_record).open_json("profile", applicant.sealed_profile)
    assert (profile["given_name"], profile["family_name"], profile["address"]["care_of"]) == (
        "Maria", "Garcia", "Shelter House")
