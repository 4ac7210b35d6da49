"""Eligibility calculator (cityid.enrollment.eligibility): pure Python, no Django settings, no DB."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from cityid.core.dates import add_years, age_on
from cityid.enrollment.eligibility import (
    DEFAULT_RULES_PATH,
    PROBLEM_CODES,
    DocumentType,
    Evaluation,
    PresentedDocument,
    Rules,
    RulesError,
    card_expiry,
    evaluate,
    load_rules,
    rules_from_dict,
)

AS_OF = date(2025, 6, 15)
FUTURE = date(2030, 1, 1)

REQUIRED_CODES = (
    "us_passport foreign_passport nys_driver_license nys_id consular_id birth_certificate "
    "permanent_resident_card foreign_national_id foreign_driver_license military_id visa itin_letter "
    "ebt_card utility_bill lease bank_statement pay_stub school_record shelter_letter"
).split()


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(DEFAULT_RULES_PATH)


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def born(age: int, *, on: date = AS_OF) -> date:
    """A date of birth giving exactly ``age`` on ``on`` (birthday a month earlier)."""
    return date(on.year - age, on.month - 1, on.day)


def doc(code: str, expires: date | None = FUTURE, *, city: bool = False) -> PresentedDocument:
    return PresentedDocument(type=code, expires=expires, shows_city_address=city)


PASSPORT_AND_BILL = (doc("foreign_passport"), doc("utility_bill", None))


def run(rules: Rules, *documents: PresentedDocument, age: int = 30, **kwargs) -> Evaluation:
    kwargs.setdefault("date_of_birth", born(age))
    kwargs.setdefault("as_of", AS_OF)
    return evaluate(rules, documents=documents, **kwargs)


def codes(ev: Evaluation) -> list[str]:
    return [p.code for p in ev.problems]


# --------------------------------------------------------------------------- shipped rules file


def test_shipped_rules_load(rules: Rules) -> None:
    assert rules.program == "IDNYC"
    assert rules.version == "idnyc-2024.1"
    assert rules.document_copies == "none"
    assert rules.min_age == 10
    assert rules.caretaker_required_below == 14
    assert rules.emergency_contact_required_below == 14
    assert rules.photo_waiver_max_age_with_caretaker == 21
    assert (rules.required_total_points, rules.required_identity_points, rules.required_residency_points) == (
        4,
        3,
        1,
    )
    assert rules.card_validity == ((14, 5), (10, 2))
    assert rules.passport_expired_grace_years == 3
    assert rules.raw["program"] == "IDNYC"
    assert "_note" in rules.raw


@pytest.mark.parametrize("code", REQUIRED_CODES)
def test_shipped_catalogue_has_required_code(rules: Rules, code: str) -> None:
    entry = rules.catalogue[code]
    assert isinstance(entry, DocumentType)
    assert entry.code == code
    assert entry.label.strip()
    assert entry.identity_points + entry.residency_points > 0 or entry.all_points_with_city_address


@pytest.mark.parametrize(
    ("code", "identity", "residency"),
    [
        ("foreign_passport", 3, 0),
        ("us_passport", 3, 0),
        ("foreign_passport_non_machine_readable", 2, 0),
        ("utility_bill", 0, 1),
    ],
)
def test_confirmed_point_values(rules: Rules, code: str, identity: int, residency: int) -> None:
    entry = rules.catalogue[code]
    assert (entry.identity_points, entry.residency_points) == (identity, residency)


@pytest.mark.parametrize("code", ["us_passport", "foreign_passport"])
def test_machine_readable_passports_expired_points(rules: Rules, code: str) -> None:
    entry = rules.catalogue[code]
    assert entry.machine_readable_passport is True
    assert entry.expired_points == 2
    assert entry.requires_expiry is True


@pytest.mark.parametrize("code", ["nys_driver_license", "nys_id", "nys_learner_permit"])
def test_nys_documents_all_points_flag(rules: Rules, code: str) -> None:
    assert rules.catalogue[code].all_points_with_city_address is True


def test_only_nys_documents_have_all_points_flag(rules: Rules) -> None:
    flagged = {c for c, d in rules.catalogue.items() if d.all_points_with_city_address}
    assert flagged == {"nys_driver_license", "nys_id", "nys_learner_permit"}


def test_only_passports_have_expired_points(rules: Rules) -> None:
    for entry in rules.catalogue.values():
        if entry.expired_points is not None:
            assert entry.machine_readable_passport


@pytest.mark.parametrize(("record_class", "years"), [("documents", 2), ("application", 8), ("photo", 8)])
def test_retention_years(rules: Rules, record_class: str, years: int) -> None:
    assert rules.retention_years(record_class) == years


def test_retention_years_unknown_class(rules: Rules) -> None:
    with pytest.raises(KeyError, match="no retention period"):
        rules.retention_years("fingerprints")


def test_choices_in_catalogue_order(rules: Rules, raw: dict) -> None:
    choices = rules.choices()
    assert [c for c, _ in choices] == [c for c in raw["documents"] if not c.startswith("_")]
    assert dict(choices)["utility_bill"] == rules.catalogue["utility_bill"].label


def test_every_shipped_document_has_a_spanish_label(rules: Rules) -> None:
    for code, entry in rules.catalogue.items():
        assert entry.label_es and entry.label_es.strip(), code
        assert entry.label_es != entry.label, code
    assert rules.catalogue["foreign_passport"].label_es == "Pasaporte extranjero (lectura mecánica)"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "label_es"), ("es-us", "label_es"), ("es_MX", "label_es"), ("ES", "label_es"), ("en", "label"),
     ("en-us", "label"), ("fr", "label"), ("", "label")],
)
def test_label_for(rules: Rules, language: str, expected: str) -> None:
    entry = rules.catalogue["utility_bill"]
    assert entry.label_for(language) == getattr(entry, expected)


def test_label_for_falls_back_to_english_without_label_es(rules: Rules) -> None:
    entry = DocumentType("lease", "Residential lease", 0, 1, False, False, False, None, False)
    assert entry.label_es is None
    assert entry.label_for("es") == "Residential lease"


def test_choices_in_a_language(rules: Rules) -> None:
    assert dict(rules.choices("es"))["utility_bill"] == rules.catalogue["utility_bill"].label_es
    assert dict(rules.choices("en"))["utility_bill"] == rules.catalogue["utility_bill"].label


@pytest.mark.parametrize("absent", [True, False], ids=["absent", "null"])
def test_label_es_is_optional(tmp_path: Path, raw: dict, absent: bool) -> None:
    """Rules files written before label_es existed still load; the Spanish UI then shows the English label."""
    value = _DELETE if absent else None
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(_mutate(raw, "documents.utility_bill.label_es", value)), encoding="utf-8")
    entry = load_rules(path).catalogue["utility_bill"]
    assert entry.label_es is None
    assert entry.label_for("es") == entry.label


def test_load_rules_accepts_str_path(rules: Rules) -> None:
    assert load_rules(str(DEFAULT_RULES_PATH)).catalogue == rules.catalogue


# --------------------------------------------------------------------------- malformed rules


def _mutate(raw: dict, path: str, value: object) -> dict:
    data = copy.deepcopy(raw)
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("program", _DELETE, "missing required key 'program'"),
        ("version", "", "version must be a non-empty string"),
        ("document_copies", "shred", "document_copies must be one of"),
        ("min_age", "ten", "min_age must be an integer"),
        ("min_age", True, "min_age must be an integer"),
        ("min_age", -1, "min_age must be at least 0"),
        ("caretaker_required_below", _DELETE, "caretaker_required_below"),
        ("emergency_contact_required_below", 1.5, "must be an integer"),
        ("photo_waiver_max_age_with_caretaker", None, "must be an integer"),
        ("passport_expired_grace_years", _DELETE, "passport_expired_grace_years"),
        ("required_points", [4, 3, 1], "required_points must be an object"),
        ("required_points.total", 0, "total must be at least 1"),
        ("required_points.identity", 4, "exceeds total"),
        ("required_points.residency", _DELETE, "missing required key 'residency'"),
        ("card_validity_years", [], "non-empty list"),
        ("card_validity_years", [{"min_age": 14, "years": 5}], "no band covers the minimum age 10"),
        (
            "card_validity_years",
            [{"min_age": 10, "years": 5}, {"min_age": 10, "years": 2}],
            "same min_age",
        ),
        ("card_validity_years", [{"min_age": 10, "years": 0}], "years must be at least 1"),
        ("retention", [], "retention must be an object"),
        ("retention.documents", {"years": 2}, "years_after_submitted"),
        ("documents", {}, "non-empty object"),
        ("documents", [], "non-empty object"),
        ("documents.Bad-Code", {}, "lower_snake_case"),
        ("documents.utility_bill", "1 point", "must be an object"),
        ("documents.utility_bill.label", _DELETE, "missing required key 'label'"),
        ("documents.utility_bill.label_es", "", "label_es must be a non-empty string"),
        ("documents.utility_bill.label_es", 3, "label_es must be a non-empty string"),
        ("documents.utility_bill.identity_points", "1", "identity_points must be an integer"),
        ("documents.utility_bill.residency_points", -1, "residency_points must be at least 0"),
        ("documents.utility_bill.shows_photo", "no", "shows_photo must be true or false"),
        ("documents.utility_bill.requires_expiry", _DELETE, "requires_expiry"),
        ("documents.utility_bill.residency_poins", 1, "unknown key"),
        ("documents.utility_bill.residency_points", 0, "at least one identity or residency point"),
        ("documents.utility_bill.expired_points", 1, "only allowed on machine-readable passports"),
        ("documents.foreign_passport.expired_points", 4, "exceeds identity_points"),
        ("documents.foreign_passport.expired_points", "2", "expired_points must be null"),
    ],
)
def test_malformed_rules_raise(tmp_path: Path, raw: dict, path: str, value: object, match: str) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps(_mutate(raw, path, value)), encoding="utf-8")
    with pytest.raises(RulesError, match=match) as excinfo:
        load_rules(bad)
    assert str(bad) in str(excinfo.value)


def test_rules_without_residency_documents_rejected(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["documents"] = {"foreign_passport": raw["documents"]["foreign_passport"]}
    with pytest.raises(RulesError, match="no document type is worth residency points"):
        rules_from_dict(data)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "top level must be a JSON object"),
        ("null", "top level must be a JSON object"),
    ],
)
def test_unparseable_rules_raise(tmp_path: Path, content: str, match: str) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(RulesError, match=match):
        load_rules(bad)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not found"):
        load_rules(tmp_path / "nope.json")


def test_rules_error_is_value_error() -> None:
    assert issubclass(RulesError, ValueError)


def test_underscore_keys_are_ignored(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["documents"]["_comment"] = "ignored"
    data["documents"]["lease"]["_source"] = "somewhere"
    data["retention"]["_note"] = "ignored"
    rules = rules_from_dict(data)
    assert "_comment" not in rules.catalogue
    assert "_note" not in rules.retention


# --------------------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("dob", "on", "age"),
    [
        (date(2000, 6, 15), date(2025, 6, 15), 25),
        (date(2000, 6, 16), date(2025, 6, 15), 24),
        (date(2000, 6, 14), date(2025, 6, 15), 25),
        (date(2000, 12, 31), date(2001, 1, 1), 0),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
        # 29 February birthdays: reached on 1 March in common years, on 29 February in leap years.
        (date(2008, 2, 29), date(2018, 2, 28), 9),
        (date(2008, 2, 29), date(2018, 3, 1), 10),
        (date(2008, 2, 29), date(2020, 2, 28), 11),
        (date(2008, 2, 29), date(2020, 2, 29), 12),
        (date(2000, 1, 2), date(2000, 1, 1), -1),
    ],
)
def test_age_on(dob: date, on: date, age: int) -> None:
    assert age_on(dob, on) == age


@pytest.mark.parametrize(
    ("d", "years", "expected"),
    [
        (date(2025, 6, 15), 5, date(2030, 6, 15)),
        (date(2024, 2, 29), 5, date(2029, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 29), -3, date(2021, 2, 28)),
    ],
)
def test_add_years(d: date, years: int, expected: date) -> None:
    assert add_years(d, years) == expected


# --------------------------------------------------------------------------- age rules


@pytest.mark.parametrize(
    ("age", "with_caretaker", "has_emergency_contact", "expected"),
    [
        (9, True, True, ["too_young"]),
        (9, False, False, ["too_young"]),
        (10, True, True, []),
        (10, False, True, ["caretaker_required"]),
        (10, True, False, ["emergency_contact_required"]),
        (10, False, False, ["caretaker_required", "emergency_contact_required"]),
        (13, True, True, []),
        (13, False, True, ["caretaker_required"]),
        (13, True, False, ["emergency_contact_required"]),
        (14, False, False, []),
        (14, True, True, []),
        (30, False, False, []),
        (100, False, False, []),
    ],
)
def test_age_caretaker_emergency_contact(
    rules: Rules, age: int, with_caretaker: bool, has_emergency_contact: bool, expected: list[str]
) -> None:
    ev = run(
        rules,
        *PASSPORT_AND_BILL,
        age=age,
        with_caretaker=with_caretaker,
        has_emergency_contact=has_emergency_contact,
    )
    assert codes(ev) == expected
    assert ev.eligible is (expected == [])
    assert ev.age == age


def test_problem_fields_for_age_rules(rules: Rules) -> None:
    ev = run(rules, *PASSPORT_AND_BILL, age=12)
    fields = {p.code: p.field for p in ev.problems}
    assert fields == {"caretaker_required": "caretaker", "emergency_contact_required": "emergency_contact"}
    too_young = run(rules, *PASSPORT_AND_BILL, age=9).problems[0]
    assert too_young.field == "date_of_birth"
    assert too_young.params == {"age": 9, "min_age": 10}
    assert "10" in too_young.message


@pytest.mark.parametrize(
    ("dob", "as_of", "eligible_age"),
    [
        (date(2014, 2, 28), date(2024, 2, 28), True),  # 10th birthday today
        (date(2014, 3, 1), date(2024, 2, 29), False),  # one day short
        (date(2012, 2, 29), date(2022, 2, 28), False),  # leap-day baby: not yet 10 on 28 Feb
        (date(2012, 2, 29), date(2022, 3, 1), True),  # 10 on 1 March
    ],
)
def test_min_age_boundary_by_day(rules: Rules, dob: date, as_of: date, eligible_age: bool) -> None:
    ev = run(
        rules,
        *PASSPORT_AND_BILL,
        date_of_birth=dob,
        as_of=as_of,
        with_caretaker=True,
        has_emergency_contact=True,
    )
    assert ev.eligible is eligible_age
    assert ("too_young" in codes(ev)) is (not eligible_age)


@pytest.mark.parametrize("dob", [date(2025, 6, 16), date(2040, 1, 1)])
def test_birth_date_in_future(rules: Rules, dob: date) -> None:
    ev = run(rules, *PASSPORT_AND_BILL, date_of_birth=dob)
    assert codes(ev) == ["birth_date_in_future"]
    problem = ev.problems[0]
    assert problem.field == "date_of_birth"
    assert problem.params["date_of_birth"] == dob.isoformat()
    assert not ev.eligible
    assert ev.age == 0
    assert ev.card_validity_years is None


def test_born_today_is_too_young_not_future(rules: Rules) -> None:
    ev = run(rules, *PASSPORT_AND_BILL, date_of_birth=AS_OF)
    assert codes(ev) == ["too_young"]


# --------------------------------------------------------------------------- points


@pytest.mark.parametrize(
    ("documents", "identity", "residency", "expected"),
    [
        # exactly 3 identity + 1 residency
        ((doc("foreign_passport"), doc("utility_bill", None)), 3, 1, []),
        ((doc("consular_id"), doc("lease", None)), 3, 1, []),
        ((doc("birth_certificate", None), doc("foreign_driver_license"), doc("pay_stub", None)), 3, 1, []),
        # more than enough
        ((doc("us_passport"), doc("birth_certificate", None), doc("bank_statement", None)), 5, 1, []),
        ((doc("foreign_passport"), doc("lease", None), doc("utility_bill", None)), 3, 2, []),
        # 4 identity, 0 residency: total 4 but no residency
        ((doc("foreign_passport"), doc("itin_letter", None)), 4, 0, ["not_enough_residency_points"]),
        ((doc("birth_certificate", None), doc("military_id")), 4, 0, ["not_enough_residency_points"]),
        # 2 identity + 2 residency: total 4 but identity short
        (
            (doc("birth_certificate", None), doc("utility_bill", None), doc("lease", None)),
            2,
            2,
            ["not_enough_identity_points", "no_photo_document"],
        ),
        # 2 + 1: short on identity and total
        (
            (doc("foreign_passport_non_machine_readable"), doc("utility_bill", None)),
            2,
            1,
            ["not_enough_identity_points", "not_enough_points"],
        ),
        # school record: 1 identity + 1 residency
        (
            (doc("foreign_passport_non_machine_readable"), doc("school_record", None)),
            3,
            1,
            [],
        ),
        # residency only: no photo, no date of birth
        (
            (doc("utility_bill", None),),
            0,
            1,
            [
                "not_enough_identity_points",
                "not_enough_points",
                "no_photo_document",
                "no_date_of_birth_document",
            ],
        ),
        # nothing
        (
            (),
            0,
            0,
            [
                "not_enough_identity_points",
                "not_enough_residency_points",
                "not_enough_points",
                "no_photo_document",
                "no_date_of_birth_document",
            ],
        ),
    ],
)
def test_points(rules: Rules, documents: tuple, identity: int, residency: int, expected: list[str]) -> None:
    ev = run(rules, *documents)
    assert (ev.identity_points, ev.residency_points, ev.total_points) == (
        identity,
        residency,
        identity + residency,
    )
    assert codes(ev) == expected
    assert ev.eligible is (expected == [])


def test_points_problem_params(rules: Rules) -> None:
    ev = run(rules, doc("foreign_passport_non_machine_readable"))
    by_code = {p.code: p for p in ev.problems}
    assert by_code["not_enough_identity_points"].params == {"required": 3, "have": 2, "missing": 1}
    assert by_code["not_enough_residency_points"].params == {"required": 1, "have": 0, "missing": 1}
    assert by_code["not_enough_points"].params == {"required": 4, "have": 2, "missing": 2}
    assert all(p.field == "documents" for p in ev.problems)


@pytest.mark.parametrize("code", ["nys_driver_license", "nys_id", "nys_learner_permit"])
def test_nys_document_with_city_address_alone_is_eligible(rules: Rules, code: str) -> None:
    ev = run(rules, doc(code, city=True))
    assert ev.eligible, codes(ev)
    assert (ev.identity_points, ev.residency_points, ev.total_points) == (3, 1, 4)
    score = ev.documents[0]
    assert (score.identity_points, score.residency_points, score.accepted) == (3, 1, True)


@pytest.mark.parametrize("code", ["nys_driver_license", "nys_id", "nys_learner_permit"])
def test_nys_document_without_city_address_is_not_all_points(rules: Rules, code: str) -> None:
    ev = run(rules, doc(code, city=False))
    assert not ev.eligible
    assert (ev.identity_points, ev.residency_points) == (3, 0)
    assert codes(ev) == ["not_enough_residency_points", "not_enough_points"]
    # ... and a residency document completes it
    assert run(rules, doc(code), doc("utility_bill", None)).eligible


def test_nys_document_with_city_address_is_capped(rules: Rules) -> None:
    """The licence counts 3 identity + 1 residency, not its 3 identity points plus all 4."""
    ev = run(rules, doc("nys_driver_license", city=True), doc("utility_bill", None))
    assert (ev.identity_points, ev.residency_points, ev.total_points) == (3, 2, 5)


@pytest.mark.parametrize("code", ["foreign_passport", "utility_bill", "us_state_driver_license"])
def test_city_address_ignored_for_other_documents(rules: Rules, code: str) -> None:
    entry = rules.catalogue[code]
    expires = FUTURE if entry.requires_expiry else None
    ev = run(rules, doc(code, expires, city=True))
    assert (ev.identity_points, ev.residency_points) == (entry.identity_points, entry.residency_points)


def test_expired_nys_document_with_city_address_rejected(rules: Rules) -> None:
    ev = run(rules, doc("nys_driver_license", date(2025, 6, 14), city=True))
    assert ev.documents[0].accepted is False
    assert ev.total_points == 0
    assert codes(ev)[0] == "document_expired"


# --------------------------------------------------------------------------- expiry


def _years_before(years: int, days: int = 0) -> date:
    return date.fromordinal(add_years(AS_OF, -years).toordinal() + days)


@pytest.mark.parametrize(
    ("code", "expires", "accepted", "identity"),
    [
        ("foreign_passport", AS_OF, True, 3),  # expires today: still valid
        ("foreign_passport", date(2025, 6, 16), True, 3),
        ("foreign_passport", date(2025, 6, 14), True, 2),  # expired yesterday: grace
        ("foreign_passport", _years_before(2), True, 2),  # expired 2 years ago
        ("us_passport", _years_before(2), True, 2),
        ("foreign_passport", _years_before(3, 1), True, 2),  # one day short of 3 years
        ("foreign_passport", _years_before(3), False, 0),  # exactly 3 years
        ("foreign_passport", _years_before(4), False, 0),  # 4 years
        ("us_passport", _years_before(4), False, 0),
        ("foreign_passport_non_machine_readable", date(2025, 6, 14), False, 0),  # no grace
        ("consular_id", date(2025, 6, 14), False, 0),
        ("permanent_resident_card", _years_before(1), False, 0),
        ("nys_driver_license", date(2025, 6, 14), False, 0),
    ],
)
def test_expiry(rules: Rules, code: str, expires: date, accepted: bool, identity: int) -> None:
    ev = run(rules, doc(code, expires), doc("utility_bill", None), doc("birth_certificate", None))
    score = ev.documents[0]
    assert score.accepted is accepted
    assert score.identity_points == identity
    assert score.residency_points == 0
    if accepted:
        assert score.problem is None
        assert "document_expired" not in codes(ev)
    else:
        assert score.problem is not None
        assert score.problem.code == "document_expired"
        assert score.problem.field == "documents[0].expires"
        assert score.problem.params["expires"] == expires.isoformat()
        assert score.problem.params["grace_years"] == 3
        assert score.problem in ev.problems
        assert not ev.eligible


def test_passport_expired_two_years_counts_two_points(rules: Rules) -> None:
    ev = run(rules, doc("foreign_passport", _years_before(2)), doc("utility_bill", None))
    assert (ev.identity_points, ev.residency_points) == (2, 1)
    assert codes(ev) == ["not_enough_identity_points", "not_enough_points"]
    ev = run(
        rules,
        doc("foreign_passport", _years_before(2)),
        doc("foreign_driver_license"),
        doc("utility_bill", None),
    )
    assert ev.eligible
    assert ev.identity_points == 3


def test_passport_expired_four_years_rejected(rules: Rules) -> None:
    ev = run(
        rules,
        doc("foreign_passport", _years_before(4)),
        doc("consular_id"),
        doc("utility_bill", None),
    )
    assert codes(ev) == ["document_expired"]
    assert ev.identity_points == 3  # the consular ID alone
    assert not ev.eligible
    assert "3 years" in ev.problems[0].message


def test_passport_grace_from_leap_day_expiry(rules: Rules) -> None:
    expires = date(2024, 2, 29)
    inside = run(rules, doc("foreign_passport", expires), as_of=date(2027, 2, 27))
    at_limit = run(rules, doc("foreign_passport", expires), as_of=date(2027, 2, 28))
    assert inside.documents[0].accepted and inside.documents[0].identity_points == 2
    assert not at_limit.documents[0].accepted


@pytest.mark.parametrize(
    "code", ["foreign_passport", "us_passport", "consular_id", "nys_driver_license", "visa", "military_id"]
)
def test_missing_required_expiry_rejected(rules: Rules, code: str) -> None:
    assert rules.catalogue[code].requires_expiry
    ev = run(rules, doc(code, None), doc("utility_bill", None))
    score = ev.documents[0]
    assert (score.accepted, score.identity_points, score.residency_points) == (False, 0, 0)
    assert score.problem is not None and score.problem.code == "expiry_date_required"
    assert score.problem.field == "documents[0].expires"
    assert not ev.eligible


@pytest.mark.parametrize("code", ["birth_certificate", "utility_bill", "itin_letter", "lease"])
def test_expiry_not_required(rules: Rules, code: str) -> None:
    assert not rules.catalogue[code].requires_expiry
    ev = run(rules, doc(code, None))
    assert ev.documents[0].accepted


def test_optional_expiry_in_past_is_still_checked(rules: Rules) -> None:
    ev = run(rules, doc("birth_certificate", date(2020, 1, 1)))
    assert ev.documents[0].problem is not None
    assert ev.documents[0].problem.code == "document_expired"


# --------------------------------------------------------------------------- photo and date of birth

NO_PHOTO_DOCS = (doc("birth_certificate", None), doc("itin_letter", None), doc("utility_bill", None))


@pytest.mark.parametrize(
    ("age", "with_caretaker", "eligible"),
    [
        (21, True, True),
        (22, True, False),
        (21, False, False),
        (15, True, True),
        (14, False, False),
        (10, True, True),
        (40, True, False),
    ],
)
def test_photo_waiver(rules: Rules, age: int, with_caretaker: bool, eligible: bool) -> None:
    ev = run(rules, *NO_PHOTO_DOCS, age=age, with_caretaker=with_caretaker, has_emergency_contact=True)
    assert (ev.identity_points, ev.residency_points) == (3, 1)
    assert ev.eligible is eligible
    assert ("no_photo_document" in codes(ev)) is (not eligible)
    if not eligible:
        assert codes(ev) == ["no_photo_document"]


def test_photo_waiver_on_twenty_second_birthday(rules: Rules) -> None:
    dob = date(2003, 6, 15)
    eve = run(rules, *NO_PHOTO_DOCS, date_of_birth=dob, as_of=date(2025, 6, 14), with_caretaker=True)
    day = run(rules, *NO_PHOTO_DOCS, date_of_birth=dob, as_of=date(2025, 6, 15), with_caretaker=True)
    assert (eve.age, eve.eligible) == (21, True)
    assert (day.age, codes(day)) == (22, ["no_photo_document"])


def test_photo_must_come_from_an_accepted_document(rules: Rules) -> None:
    ev = run(rules, doc("consular_id", date(2020, 1, 1)), *NO_PHOTO_DOCS)
    assert codes(ev) == ["document_expired", "no_photo_document"]


def test_date_of_birth_document_required(rules: Rules) -> None:
    # 3 identity + 1 residency, but nothing shows the date of birth (nor a photo)
    ev = run(
        rules,
        doc("itin_letter", None),
        doc("social_security_card", None),
        doc("ebt_card", None),
        doc("utility_bill", None),
    )
    assert (ev.identity_points, ev.residency_points) == (3, 1)
    assert "no_date_of_birth_document" in codes(ev)
    problem = next(p for p in ev.problems if p.code == "no_date_of_birth_document")
    assert problem.field == "documents"


def test_date_of_birth_from_residency_document(rules: Rules) -> None:
    ev = run(
        rules,
        doc("itin_letter", None),
        doc("social_security_card", None),
        doc("ebt_card", None),
        doc("hospital_record", None),
        age=18,
        with_caretaker=True,
    )
    assert ev.eligible, codes(ev)


# --------------------------------------------------------------------------- bad documents


@pytest.mark.parametrize("code", ["drivers_licence", "", "UTILITY_BILL", "library_card"])
def test_unknown_document_type(rules: Rules, code: str) -> None:
    ev = run(rules, *PASSPORT_AND_BILL, doc(code))
    score = ev.documents[2]
    assert (score.index, score.type, score.accepted, score.identity_points) == (2, code, False, 0)
    assert score.problem is not None
    assert score.problem.code == "unknown_document_type"
    assert score.problem.field == "documents[2].type"
    assert score.problem.params["type"] == code
    assert score.problem.params["number"] == 3
    assert codes(ev) == ["unknown_document_type"]
    assert not ev.eligible
    assert (ev.identity_points, ev.residency_points) == (3, 1)


def test_duplicate_document(rules: Rules) -> None:
    ev = run(rules, doc("utility_bill", None), doc("foreign_passport"), doc("utility_bill", None))
    assert codes(ev) == ["duplicate_document"]
    problem = ev.problems[0]
    assert problem.field == "documents[2].type"
    assert problem.params["first_index"] == 0
    assert ev.residency_points == 1
    assert [s.accepted for s in ev.documents] == [True, True, False]
    assert not ev.eligible


def test_document_scores_are_in_input_order(rules: Rules) -> None:
    ev = run(rules, doc("utility_bill", None), doc("foreign_passport"), doc("birth_certificate", None))
    assert [(s.index, s.type) for s in ev.documents] == [
        (0, "utility_bill"),
        (1, "foreign_passport"),
        (2, "birth_certificate"),
    ]
    assert [(s.identity_points, s.residency_points) for s in ev.documents] == [(0, 1), (3, 0), (2, 0)]


def test_documents_may_be_any_sequence(rules: Rules) -> None:
    ev = evaluate(rules, date_of_birth=born(30), as_of=AS_OF, documents=list(PASSPORT_AND_BILL))
    assert ev.eligible
    assert isinstance(ev.documents, tuple) and isinstance(ev.problems, tuple)


# --------------------------------------------------------------------------- card validity


@pytest.mark.parametrize(
    ("age", "years"),
    [(9, None), (10, 2), (13, 2), (14, 5), (21, 5), (65, 5), (100, 5)],
)
def test_card_validity_years_in_evaluation(rules: Rules, age: int, years: int | None) -> None:
    ev = run(rules, *PASSPORT_AND_BILL, age=age, with_caretaker=True, has_emergency_contact=True)
    assert ev.card_validity_years == years
    assert ev.rules_version == "idnyc-2024.1"


@pytest.mark.parametrize(
    ("dob", "issued_on", "expiry"),
    [
        # 13 on the issue date (14th birthday tomorrow): 2 years
        (date(2011, 6, 16), date(2025, 6, 15), date(2027, 6, 15)),
        # 14th birthday on the issue date: 5 years
        (date(2011, 6, 15), date(2025, 6, 15), date(2030, 6, 15)),
        (date(2015, 6, 15), date(2025, 6, 15), date(2027, 6, 15)),  # 10
        (date(1980, 1, 1), date(2025, 6, 15), date(2030, 6, 15)),
        # issued on 29 February
        (date(1990, 5, 5), date(2024, 2, 29), date(2029, 2, 28)),
        (date(2012, 5, 5), date(2024, 2, 29), date(2026, 2, 28)),
        # 29 February birthday: 13 on 28 Feb 2026, 14 on 1 Mar 2026
        (date(2012, 2, 29), date(2026, 2, 28), date(2028, 2, 28)),
        (date(2012, 2, 29), date(2026, 3, 1), date(2031, 3, 1)),
        # 29 February birthday and issue date in a leap year: 14th birthday is that day
        (date(2008, 2, 29), date(2022, 3, 1), date(2027, 3, 1)),
        (date(2010, 2, 28), date(2024, 2, 29), date(2029, 2, 28)),
    ],
)
def test_card_expiry(rules: Rules, dob: date, issued_on: date, expiry: date) -> None:
    assert card_expiry(rules, date_of_birth=dob, issued_on=issued_on) == expiry


def test_card_expiry_leap_day_birthday_on_leap_day(rules: Rules) -> None:
    dob = date(2012, 2, 29)
    assert age_on(dob, date(2024, 2, 29)) == 12
    assert card_expiry(rules, date_of_birth=dob, issued_on=date(2024, 2, 29)) == date(2026, 2, 28)
    dob14 = date(2008, 2, 29)
    assert age_on(dob14, date(2022, 2, 28)) == 13
    assert card_expiry(rules, date_of_birth=dob14, issued_on=date(2022, 2, 28)) == date(2024, 2, 28)


@pytest.mark.parametrize("dob", [date(2016, 6, 16), date(2030, 1, 1)])
def test_card_expiry_too_young_raises(rules: Rules, dob: date) -> None:
    with pytest.raises(ValueError, match="no card validity"):
        card_expiry(rules, date_of_birth=dob, issued_on=AS_OF)


# --------------------------------------------------------------------------- custom rules


def test_rules_are_data(raw: dict) -> None:
    """A different program's rules change the outcome without code changes."""
    data = copy.deepcopy(raw)
    data["version"] = "test-1"
    data["min_age"] = 14
    data["required_points"] = {"total": 5, "identity": 3, "residency": 1}
    data["card_validity_years"] = [{"min_age": 14, "years": 2}]
    rules = rules_from_dict(data)
    ev = evaluate(rules, date_of_birth=born(13), as_of=AS_OF, documents=PASSPORT_AND_BILL)
    assert codes(ev) == ["too_young", "not_enough_points"]
    ev = evaluate(
        rules,
        date_of_birth=born(30),
        as_of=AS_OF,
        documents=(*PASSPORT_AND_BILL, doc("lease", None)),
    )
    assert ev.eligible and ev.total_points == 5
    assert ev.card_validity_years == 2
    assert ev.rules_version == "test-1"


def test_all_points_flag_uses_configured_requirements(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["required_points"] = {"total": 6, "identity": 4, "residency": 2}
    rules = rules_from_dict(data)
    ev = evaluate(rules, date_of_birth=born(30), as_of=AS_OF, documents=[doc("nys_id", city=True)])
    assert (ev.identity_points, ev.residency_points) == (4, 2)
    assert ev.eligible


# --------------------------------------------------------------------------- problem codes and messages


def test_every_problem_has_english_message_and_known_code(rules: Rules) -> None:
    evaluations = [
        run(rules, age=9),
        run(rules, age=11),
        run(
            rules,
            doc("nope"),
            doc("utility_bill", None),
            doc("utility_bill", None),
            doc("visa", None),
            doc("consular_id", date(2000, 1, 1)),
        ),
        run(rules, date_of_birth=FUTURE),
    ]
    seen = set()
    for ev in evaluations:
        for problem in ev.problems:
            assert problem.code in PROBLEM_CODES
            assert problem.message and problem.message[0].isupper() and problem.message.endswith(".")
            assert isinstance(problem.params, dict)
            seen.add(problem.code)
    assert seen == PROBLEM_CODES


def test_messages_cover_every_problem_code() -> None:
    from cityid.enrollment.messages import MESSAGES

    assert set(MESSAGES) == PROBLEM_CODES


def test_problem_message_formats_every_code_with_django() -> None:
    """Format every translated message in a subprocess (so this process stays Django-free)."""
    script = r"""
import django
from django.conf import settings
settings.configure(USE_I18N=True, LANGUAGE_CODE="en")
django.setup()
from datetime import date
from cityid.enrollment.eligibility import load_rules, DEFAULT_RULES_PATH, evaluate, PresentedDocument as D
from cityid.enrollment.messages import problem_message
from cityid.enrollment.eligibility import Problem
rules = load_rules(DEFAULT_RULES_PATH)
evs = [
    evaluate(rules, date_of_birth=date(2020, 1, 1), as_of=date(2025, 1, 1), documents=[]),
    evaluate(rules, date_of_birth=date(2013, 1, 1), as_of=date(2025, 1, 1), documents=[D("nope"),
             D("lease"), D("lease"), D("visa"), D("consular_id", date(2000, 1, 1))]),
    evaluate(rules, date_of_birth=date(2030, 1, 1), as_of=date(2025, 1, 1), documents=[]),
]
codes = set()
for ev in evs:
    for p in ev.problems:
        text = problem_message(p)
        assert "%(" not in text and text, (p.code, text)
        codes.add(p.code)
assert problem_message(Problem("made_up", "x", "Fallback.", {})) == "Fallback."
assert problem_message(Problem("too_young", "x", "Fallback.", {})) == "Fallback."
print(len(codes))
"""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == len(PROBLEM_CODES)
