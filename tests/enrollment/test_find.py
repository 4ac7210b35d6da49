"""Search by receipt reference, card number, or name and birth date (typos, accents, order) through blind
indexes; results read with names; nothing typed goes into a URL or the audit log."""

from __future__ import annotations

from datetime import date

import pytest

from cityid.audit.models import AuditEntry
from cityid.enrollment import name_index
from cityid.enrollment.references import (
    ReferenceInvalid,
    check_symbol,
    new_reference,
    normalize_reference,
)
from cityid.enrollment.selectors import SearchInvalid, SearchQuery, find_applicants, parse_search
from cityid.enrollment.services import decide, enroll
from cityid.vault.models import BlindIndex
from tests.audit.helpers import sign_in
from tests.conftest import make_input, with_number

TODAY = date(2026, 11, 20)
BORN = date(1988, 7, 3)


def _enroll(staff, given, family, n=0, born=BORN):
    return enroll(data=make_input(external_id=f"FIND-{n}", given_name=given, family_name=family,
                                  date_of_birth=born), enrolled_by=staff["clerk"], today=TODAY)


def _by_name(staff, text, born=BORN):
    return find_applicants(actor=staff["clerk"], query=parse_search(text, born))


# --- references ---------------------------------------------------------------------------------------

def test_a_reference_is_short_and_its_check_symbol_catches_one_mistyped_symbol_or_a_swap():
    reference = new_reference()
    assert len(reference) == 11 and reference[5] == "-"
    symbols = reference.replace("-", "")
    assert check_symbol(symbols[:9]) == symbols[9]
    for i in range(10):
        for other in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
            if other != symbols[i]:
                typo = symbols[:i] + other + symbols[i + 1:]
                with pytest.raises(ReferenceInvalid):
                    normalize_reference(typo)
    swapped = [symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2:] for i in range(9)
               if symbols[i] != symbols[i + 1]]
    for typo in swapped:
        with pytest.raises(ReferenceInvalid):
            normalize_reference(typo)


def test_a_reference_is_read_with_or_without_dash_in_any_case_and_with_o_i_l_for_digits():
    body = "K7Q4M0X21"
    reference = f"{body[:5]}-{body[5:]}{check_symbol(body)}"
    typed = reference.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalize_reference(typed) == reference


def test_receipt_search_finds_the_applicant_with_or_without_the_dash(staff):
    application = _enroll(staff, "Ana", "Ruiz")
    for typed in (application.receipt, application.receipt.replace("-", "").lower()):
        [result] = find_applicants(actor=staff["clerk"], query=parse_search(typed, None))
        assert result.applicant == application.applicant
        assert result.name == "Ana Ruiz"


def test_a_receipt_reference_with_a_wrong_check_symbol_is_refused_before_any_lookup(staff):
    application = _enroll(staff, "Ana", "Ruiz")
    symbols = application.receipt.replace("-", "")
    wrong = symbols[:9] + next(c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c != symbols[9])
    with pytest.raises(SearchInvalid) as refused:
        parse_search(wrong, None)
    assert refused.value.code == "reference_check"
    client = sign_in(staff["clerk"])
    response = client.post("/enrollment/search/", {"query": wrong})
    assert response.status_code == 200 and "symbol is mistyped" in response.content.decode()
    assert not AuditEntry.objects.filter(action="personal.search").exists()


def test_card_number_search_finds_the_holder_through_the_keyed_digest(staff):
    application = _enroll(staff, "Ana", "Ruiz")
    decide(application=application, approve=True, reasons=[], decided_by=staff["supervisor"])
    card = with_number(application.card)
    spaced = " ".join(card.number[i:i + 4] for i in range(0, 16, 4))
    [result] = find_applicants(actor=staff["clerk"], query=parse_search(spaced, None))
    assert result.applicant == application.applicant and result.name == "Ana Ruiz"
    wrong = card.number[:15] + str((int(card.number[15]) + 1) % 10)
    with pytest.raises(SearchInvalid) as refused:
        parse_search(wrong, None)
    assert refused.value.code == "card_check"


# --- names ----------------------------------------------------------------------------------------------

def test_name_search_ignores_accents_case_and_order(staff):
    application = _enroll(staff, "María José", "García López")
    for typed in ("maria jose garcia lopez", "GARCÍA LÓPEZ María José", "Lopez Garcia Jose Maria"):
        [result] = _by_name(staff, typed)
        assert result.applicant == application.applicant
        assert result.name == "María José García López" and result.exact


def test_name_search_forgives_one_typo_per_name(staff):
    application = _enroll(staff, "Jonathan", "Fitzgerald")
    for typed in ("Jonathon Fitzgerald", "Jonathan Fitzgerlad", "Jonatan Fitzgeral", "Fitzgerald Johnathan"):
        [result] = _by_name(staff, typed)
        assert result.applicant == application.applicant and not result.exact


def test_name_search_needs_the_birth_date_and_every_typed_name(staff):
    _enroll(staff, "Jonathan", "Fitzgerald")
    assert _by_name(staff, "Jonathan Fitzgerald", born=date(1988, 7, 4)) == []
    assert _by_name(staff, "Jonathan Smith") == []
    with pytest.raises(SearchInvalid) as refused:
        parse_search("Jonathan Fitzgerald", None)
    assert refused.value.code == "need_dob"


def test_exact_matches_come_first(staff):
    close = _enroll(staff, "Jonathon", "Fitzgerald", n=1)
    exact = _enroll(staff, "Jonathan", "Fitzgerald", n=2)
    results = _by_name(staff, "Jonathan Fitzgerald")
    assert [r.applicant for r in results] == [exact.applicant, close.applicant]


def test_the_name_index_holds_only_keyed_hashes(staff):
    application = _enroll(staff, "Zebulonia", "Quxtersmith")
    rows = BlindIndex.objects.filter(record_key=application.applicant.personal_record, kind=name_index.KIND)
    values = name_index.index_values("Zebulonia", "Quxtersmith", BORN)
    assert rows.count() == len(values) > 2
    stored = b"".join(bytes(row.digest) for row in rows)
    for plain in (b"zebulonia", b"quxtersmith", b"SBLN", BORN.isoformat().encode()):
        assert plain not in stored


def test_results_page_shows_names_and_puts_nothing_typed_in_a_url_or_the_log(staff):
    application = _enroll(staff, "Zebulonia", "Quxtersmith")
    client = sign_in(staff["clerk"])
    response = client.post("/enrollment/search/", {"query": "quxtersmith zebulonya", "date_of_birth": BORN.isoformat()})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Zebulonia Quxtersmith" in html and "Applicant " not in html
    assert f"/enrollment/applicants/{application.applicant.public_id}/" in html
    assert "zebulonya" not in response.request["PATH_INFO"] and not response.request.get("QUERY_STRING")
    entries = list(AuditEntry.objects.values_list("target", "purpose"))
    assert ("applicant:" + str(application.applicant.public_id), "search:name_dob") in entries
    flat = repr(list(AuditEntry.objects.values_list("actor", "action", "target", "purpose"))).lower()
    for typed in ("zebulon", "quxter", application.receipt.lower(), BORN.isoformat()):
        assert typed not in flat


def test_the_backfill_indexes_applicants_stored_before_the_name_index_and_can_run_again(staff):
    from cityid.enrollment.reindex import reindex_names_batch

    application = _enroll(staff, "Zebulonia", "Quxtersmith")
    BlindIndex.objects.filter(kind=name_index.KIND).delete()
    assert _by_name(staff, "Zebulonia Quxtersmith") == []
    first = reindex_names_batch(actor=None, size=10)
    assert first.indexed == 1 and not first.finished
    assert reindex_names_batch(actor=None, size=10).finished
    assert [r.applicant for r in _by_name(staff, "Zebulonia Quxtersmith")] == [application.applicant]
    assert AuditEntry.objects.filter(action="personal.decrypt", purpose="maintenance:reindex").count() == 1


def test_a_query_object_for_each_kind():
    assert parse_search("K7Q4M-9X2T" + check_symbol("K7Q4M9X2T"), None).by == "receipt"
    assert parse_search("Alexandria Smith", date(1990, 1, 1)) == SearchQuery("name_dob", "Alexandria Smith",
                                                                               date(1990, 1, 1))
