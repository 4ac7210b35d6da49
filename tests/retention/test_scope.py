"""Legal-hold scopes: what is accepted, what each term covers, and refusals that name the bad term."""

from __future__ import annotations

from datetime import date

import pytest

from cityid.retention import services as retention
from cityid.retention.models import LegalHold
from cityid.retention.scope import Scope, ScopeInvalid, parse_scope
from cityid.vault.models import RecordKey
from tests.retention.dataset import import_people, people

# --- parsing (no database) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", Scope(everything=True)),
        ("class:documents", Scope(classes=("documents",))),
        ("class:photo", Scope(classes=("photo",))),
        ("submitted:2016-01-01..2016-06-30", Scope(submitted=(date(2016, 1, 1), date(2016, 6, 30)))),
        ("submitted:2016-03-01..2016-03-01", Scope(submitted=(date(2016, 3, 1), date(2016, 3, 1)))),
        ("subject:FC-001", Scope(subjects=("FC-001",))),
        ("class:documents,submitted:2016-01-01..2016-06-30",
         Scope(classes=("documents",), submitted=(date(2016, 1, 1), date(2016, 6, 30)))),
        (" class:documents , subject:FC-001 ", Scope(classes=("documents",), subjects=("FC-001",))),
        ("all,class:documents", Scope(everything=True, classes=("documents",))),
        ("class:documents,class:documents", Scope(classes=("documents",))),
        ("subject:FC-001,class:application,submitted:2015-01-01..2016-12-31",
         Scope(classes=("application",), submitted=(date(2015, 1, 1), date(2016, 12, 31)), subjects=("FC-001",))),
    ],
)
def test_parse_accepts(text, expected):
    assert parse_scope(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("class:nope", "class:nope"),
        ("class:Documents", "class:Documents"),
        ("class:", "class:"),
        ("submitted:2016-13-01..2016-12-31", "submitted:2016-13-01..2016-12-31"),
        ("submitted:2016-06-30..2016-01-01", "submitted:2016-06-30..2016-01-01"),
        ("submitted:2016-01-01", "submitted:2016-01-01"),
        ("submitted:2016-01-01..", "submitted:2016-01-01.."),
        ("submitted:yesterday..today", "submitted:yesterday..today"),
        ("foo:bar", "foo:bar"),
        ("ALL", "ALL"),
        ("everything", "everything"),
        ("subject:", "subject:"),
        ("class:documents,foo:bar", "foo:bar"),
        ("submitted:2016-01-01..2016-06-30,submitted:2016-07-01..2016-12-31", "submitted:2016-07-01..2016-12-31"),
    ],
)
def test_parse_rejects_naming_the_bad_term(text, named):
    with pytest.raises(ScopeInvalid) as refused:
        parse_scope(text)
    assert named in str(refused.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (",", "empty"),
        ("all,,class:documents", "empty term"),
        ("class:documents,", "empty term"),
        ("class:documents,class:photo", "two different classes"),
    ],
)
def test_parse_rejects_empty_terms_and_impossible_conjunctions(text, says):
    with pytest.raises(ScopeInvalid, match=says):
        parse_scope(text)


def test_scope_invalid_is_a_value_error():
    assert issubclass(ScopeInvalid, ValueError)


# --- what a scope covers ------------------------------------------------------------------------


@pytest.fixture
def population(staff, tmp_path):
    persons = people(8)  # 2015-01-05 ... 2016-01-01
    import_people(persons, tmp_path / "import", staff["supervisor"])
    return persons


def records_of(person) -> dict[str, int]:
    applicant = person.applicant()
    return {"application": applicant.personal_record_id, "photo": applicant.photo_record_id,
            "documents": applicant.applications.get().documents_record_id}


def covered(scope: str) -> set[int]:
    return set(retention.scope_query(scope).values_list("pk", flat=True))


@pytest.mark.django_db
def test_each_term_covers_its_records(population):
    persons = population
    everything = set(RecordKey.objects.values_list("pk", flat=True))
    assert len(everything) == 3 * len(persons)
    assert covered("all") == everything
    assert covered("class:documents") == {records_of(p)["documents"] for p in persons}
    assert covered("class:photo") == {records_of(p)["photo"] for p in persons}

    # A date range covers every record of the applications submitted in it (bounds included) and of their applicants.
    in_range = [p for p in persons if date(2015, 6, 30) <= p.submitted <= date(2015, 12, 31)]
    assert [p.submitted for p in in_range] == [date(2015, 6, 30), date(2015, 7, 14), date(2015, 12, 1),
                                              date(2015, 12, 31)]
    assert covered("submitted:2015-06-30..2015-12-31") == {k for p in in_range for k in records_of(p).values()}
    assert covered("submitted:2030-01-01..2030-12-31") == set()

    # A subject by external id or by public id: the applicant's three records.
    person = persons[2]
    assert covered(f"subject:{person.external_id}") == set(records_of(person).values())
    assert covered(f"subject:{person.applicant().public_id}") == set(records_of(person).values())

    # Conjunctions narrow.
    assert covered("class:documents,submitted:2015-06-30..2015-12-31") == {records_of(p)["documents"] for p in in_range}
    assert covered(f"class:photo,subject:{person.external_id}") == {records_of(person)["photo"]}
    assert covered(f"all,class:application,subject:{person.external_id}") == {records_of(person)["application"]}
    assert covered(f"subject:{persons[0].external_id},submitted:2015-06-30..2015-12-31") == set()
    # The same subject named twice (by two ids) is still that subject.
    assert covered(f"subject:{person.external_id},subject:{person.applicant().public_id}") == set(
        records_of(person).values())


@pytest.mark.django_db
def test_unknown_subject_is_refused_naming_it(population):
    with pytest.raises(ScopeInvalid, match="subject:NOBODY-1"):
        retention.scope_query("class:documents,subject:NOBODY-1")


@pytest.mark.django_db
def test_two_different_subjects_are_refused_not_silently_empty(population):
    """A conjunction of two different people matches nobody: a hold with that scope would protect
    nothing, so it is refused (like two classes) rather than placed on zero records."""
    first, second = population[0], population[1]
    with pytest.raises(ScopeInvalid, match=f"subject:{second.external_id}"):
        retention.scope_query(f"subject:{first.external_id},subject:{second.external_id}")


@pytest.mark.django_db
def test_place_hold_refuses_a_bad_scope_before_writing_anything(staff):
    bad = [
        ("class:nope", "class:nope"),
        ("submitted:2016-13-01..2016-12-31", "submitted:2016-13-01..2016-12-31"),
        ("submitted:2016-06-30..2016-01-01", "submitted:2016-06-30..2016-01-01"),
        ("foo:bar", "foo:bar"),
        ("subject:NOBODY-2", "subject:NOBODY-2"),
        ("all,,class:documents", "empty term"),
        ("", "empty"),
    ]
    for scope, named in bad:
        with pytest.raises(ScopeInvalid) as refused:
            retention.place_hold(case_name="Case", court="Court", scope=scope, placed_by=staff["counsel"])
        assert named in str(refused.value), scope
    assert not LegalHold.objects.exists()
