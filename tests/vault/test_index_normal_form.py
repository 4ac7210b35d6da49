"""Blind indexes hash one normal form: what cannot be seen cannot make a second spelling of a value, and a
record whose value was re-sealed in the normal form is re-indexed in place (``vault.reindex``)."""

from __future__ import annotations

from datetime import date

from cityid.enrollment.records import name_dob_index_value
from cityid.enrollment.services import enroll
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex
from cityid.vault.selectors import record_keys_matching
from tests.conftest import make_input


def test_invisible_bidi_and_fullwidth_forms_hash_alike():
    plain = vault.normalize_for_index("Maria", "Garcia", "1990-04-12")
    for given, family in [("Ma\u200bria", "Garcia"), ("\u202eMaria\u202c", "Gar\u2066cia\u2069"),
                          ("Ｍａｒｉａ", "ＧＡＲＣＩＡ"), ("Mar\u200cia\ufeff", "Gar\u00adcia"), (" maria ", "garcía")]:
        assert vault.normalize_for_index(given, family, "1990-04-12") == plain, (given, family)
    assert vault.normalize_for_index("Maria", "Garcias", "1990-04-12") != plain
    # Document numbers too: a zero-width space inside one does not hide a reused document.
    assert vault.normalize_for_index("foreign_passport", "X1\u200b23") == vault.normalize_for_index(
        "foreign_passport", "X123")


def test_reindex_recomputes_a_record_from_its_current_values(staff):
    applicant = enroll(data=make_input(), enrolled_by=staff["clerk"], today=date(2026, 11, 20)).applicant
    record = vault.open_record(applicant.personal_record)
    profile = record.open_json("profile", applicant.sealed_profile)
    profile["given_name"] = "Renamed"
    applicant.sealed_profile = record.seal_json("profile", profile)
    applicant.save(update_fields=["sealed_profile"])

    def found(given: str) -> bool:
        value = name_dob_index_value(given, "Testperson", date(1990, 4, 12))
        return applicant.personal_record_id in set(
            record_keys_matching(record_class="application", kind="name_dob", value=value).values_list("pk", flat=True))

    assert found("Canaryname") and not found("Renamed")
    vault.reindex([record])
    assert found("Renamed") and not found("Canaryname")
    assert BlindIndex.objects.filter(record_key=applicant.personal_record, kind="name_dob").count() == 1
