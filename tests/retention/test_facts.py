"""Retention learns trigger dates, hold scopes, subjects and the version-0 schedule from registered
subject-fact providers, and imports nothing from the apps that register them."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pytest
from django.db.models import Q

import cityid.retention
from cityid.retention import facts
from cityid.retention import services as retention
from cityid.retention.models import HeldRecord
from cityid.retention.scope import ScopeInvalid
from cityid.vault import services as vault
from cityid.vault.models import RecordKey
from cityid.vault.providers import get_provider
from tests.retention.dataset import import_people, people

# --- no retention module imports the apps above it -----------------------------------------------


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in {
            "import_module", "import_string", "__import__",
        }:
            found.update(arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return found


def test_no_retention_module_imports_enrollment_or_cards():
    package = Path(cityid.retention.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert package / "services.py" in modules and package / "management" / "commands" / "hold.py" in modules
    upward = {
        str(path.relative_to(package)): sorted(
            name for name in imported_modules(path)
            if name.split(".")[:2] in (["cityid", "enrollment"], ["cityid", "cards"])
        )
        for path in modules
    }
    assert {path: names for path, names in upward.items() if names} == {}


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from cityid.cards.models import Card\n    import cityid.enrollment.services\n")
    assert {"cityid.cards.models", "cityid.enrollment.services"} <= imported_modules(source)


def test_enrollment_and_cards_register_their_providers():
    from cityid.cards.retention_facts import facts as card_facts
    from cityid.enrollment.retention_facts import facts as enrollment_facts

    assert enrollment_facts in facts.providers() and card_facts in facts.providers()


# --- a provider registered here -------------------------------------------------------------------


class Ledger(facts.SubjectFacts):
    """A provider that knows a few records by pk, as an app owning other records would."""

    def __init__(self) -> None:
        self.dates: dict[int, facts.TriggerDates] = {}
        self.submitted: dict[int, date] = {}
        self.subjects: dict[str, list[int]] = {}
        self.asked: list[list[int]] = []

    def trigger_dates(self, keys: Sequence[RecordKey]) -> Mapping[int, facts.TriggerDates]:
        self.asked.append([key.pk for key in keys])
        return {key.pk: self.dates[key.pk] for key in keys if key.pk in self.dates}

    def submitted_between(self, first: date, last: date) -> Q | None:
        return Q(id__in=[pk for pk, day in self.submitted.items() if first <= day <= last])

    def find_subject(self, reference: str) -> facts.FoundSubject | None:
        if reference not in self.subjects:
            return None
        return facts.FoundSubject(key=f"ledger:{reference}", records=Q(id__in=self.subjects[reference]))

    def default_years(self, record_class: str) -> int | None:
        return 3 if record_class == "disclosure" else None


@pytest.fixture
def only(monkeypatch):
    """Replace the registered providers by the ones given (none: no app registered any)."""

    def use(*providers: facts.SubjectFacts) -> None:
        monkeypatch.setattr(facts, "_providers", list(providers))

    return use


def make_records(count: int, due: date = date(2030, 1, 15)) -> list[RecordKey]:
    opened = vault.create_records([("disclosure", f"ledger:{i}", due) for i in range(count)])
    return [record.key for record in opened]


@pytest.mark.django_db
def test_a_registered_providers_dates_move_records(only, staff):
    ledger = Ledger()
    only(ledger)
    first, second, unknown = make_records(3)
    ledger.dates[first.pk] = facts.TriggerDates(submitted=date(2020, 3, 4), decided=date(2021, 5, 6))
    ledger.dates[second.pk] = facts.TriggerDates(submitted=date(2020, 3, 4))  # not decided yet
    retention.set_schedule(record_class="disclosure", trigger="decided", years=2,
                           approved_by=staff["records_officer"])

    assert retention.apply_schedule(record_class="disclosure") == 2

    keys = RecordKey.objects.in_bulk([first.pk, second.pk, unknown.pk])
    assert (keys[first.pk].due_on, keys[first.pk].key_id) == (date(2023, 5, 31), "cohort:disclosure/2023-05")
    assert (keys[second.pk].due_on, keys[second.pk].key_id) == (date(2022, 3, 31), "cohort:disclosure/2022-03")
    assert (keys[unknown.pk].due_on, keys[unknown.pk].key_id) == (date(2030, 1, 15), "cohort:disclosure/2030-01")
    assert ledger.asked == [[first.pk, second.pk, unknown.pk]]  # once for the batch, not once per record


@pytest.mark.django_db
def test_answers_of_several_providers_are_merged(only, staff):
    dates, expiries, later = Ledger(), Ledger(), Ledger()
    only(dates, expiries, later)
    (record,) = make_records(1)
    dates.dates[record.pk] = facts.TriggerDates(submitted=date(2020, 3, 4), decided=date(2020, 4, 1))
    expiries.dates[record.pk] = facts.TriggerDates(card_expires=date(2025, 8, 9))
    later.dates[record.pk] = facts.TriggerDates(card_expires=date(2026, 2, 3))
    assert facts.trigger_dates([record]) == {
        record.pk: facts.TriggerDates(date(2020, 3, 4), date(2020, 4, 1), date(2026, 2, 3))}

    retention.set_schedule(record_class="disclosure", trigger="card_expired", years=1,
                           approved_by=staff["records_officer"])
    retention.apply_schedule(record_class="disclosure")
    assert RecordKey.objects.get(pk=record.pk).due_on == date(2027, 2, 28)


@pytest.mark.django_db
def test_a_registered_providers_scope_and_subjects_are_held(only, staff):
    ledger = Ledger()
    only(ledger)
    records = make_records(4)
    ledger.submitted = {records[0].pk: date(2020, 1, 1), records[1].pk: date(2020, 6, 30),
                        records[2].pk: date(2020, 7, 1)}
    ledger.subjects = {"CASE-1": [records[1].pk, records[3].pk], "CASE-1-AGAIN": [records[1].pk, records[3].pk]}

    def scope(text: str) -> set[int]:
        return set(retention.scope_query(text).values_list("pk", flat=True))

    assert scope("submitted:2020-01-01..2020-06-30") == {records[0].pk, records[1].pk}
    assert scope("subject:CASE-1") == {records[1].pk, records[3].pk}
    assert scope("subject:CASE-1,submitted:2020-01-01..2020-06-30") == {records[1].pk}
    with pytest.raises(ScopeInvalid, match="unknown subject 'NOBODY'"):
        scope("subject:NOBODY")

    hold = retention.place_hold(case_name="Ledger case", court="Court", scope="subject:CASE-1",
                                placed_by=staff["counsel"])
    held = RecordKey.objects.filter(holds__hold=hold)
    assert set(held.values_list("pk", flat=True)) == {records[1].pk, records[3].pk}
    assert set(held.values_list("key_id", flat=True)) == {hold.key_id}


@pytest.mark.django_db
def test_two_references_to_one_subject_are_one_subject(only):
    ledger = Ledger()
    only(ledger)
    records = make_records(2)
    ledger.subjects = {"A": [records[0].pk], "B": [records[1].pk]}
    with pytest.raises(ScopeInvalid, match="different subjects"):
        retention.scope_query("subject:A,subject:B")
    ledger.find_subject = lambda reference: facts.FoundSubject("same", Q(id__in=[records[0].pk]))  # type: ignore[method-assign]
    assert list(retention.scope_query("subject:A,subject:B").values_list("pk", flat=True)) == [records[0].pk]


@pytest.mark.django_db
def test_the_version_0_schedule_comes_from_a_provider(only):
    only(Ledger())
    assert retention.current_rule("disclosure") == retention.Rule("submitted", 3, None)
    with pytest.raises(KeyError, match="no schedule for 'photo'"):
        retention.current_rule("photo")


# --- no provider ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_no_provider_records_keep_their_dates_and_scopes_say_why(only, staff):
    only()
    records = make_records(2)
    assert facts.trigger_dates(records) == {}
    with pytest.raises(KeyError, match="no registered app gives a default"):
        retention.current_rule("documents")
    assert retention.refresh_due_dates(records) == 0  # nothing known: nothing moves, no schedule needed

    retention.set_schedule(record_class="disclosure", trigger="decided", years=1,
                           approved_by=staff["records_officer"])
    assert retention.apply_schedule(record_class="disclosure") == 0
    assert set(RecordKey.objects.values_list("due_on", flat=True)) == {date(2030, 1, 15)}

    with pytest.raises(ScopeInvalid, match="no installed app knows when records were submitted: "
                                           "'submitted:2020-01-01..2020-12-31'"):
        retention.scope_query("submitted:2020-01-01..2020-12-31")
    with pytest.raises(ScopeInvalid, match="unknown subject 'FC-000'"):
        retention.scope_query("subject:FC-000")
    assert retention.scope_query("class:disclosure").count() == 2  # scopes of retention's own terms still work

    from cityid.retention.selectors import current_schedules

    assert {row.record_class: row.version for row in current_schedules()}["documents"] is None


@pytest.mark.django_db
def test_without_the_cards_provider_a_card_trigger_counts_from_submission(only, staff, tmp_path):
    from cityid.cards.models import Card
    from cityid.cards.retention_facts import facts as card_facts
    from cityid.enrollment.retention_facts import facts as enrollment_facts

    persons = people(2, prefix="NC")
    import_people(persons, tmp_path / "import", staff["supervisor"])
    only(enrollment_facts)
    retention.set_schedule(record_class="documents", trigger="card_expired", years=1,
                           approved_by=staff["records_officer"])
    retention.apply_schedule(record_class="documents")
    for person in persons:
        record = RecordKey.objects.get(pk=person.application().documents_record_id)
        assert record.due_on == retention.due_on(retention.Rule("submitted", 1), submitted=person.submitted)

    only(enrollment_facts, card_facts)  # with it, the card's expiry counts
    retention.apply_schedule(record_class="documents")
    for person in persons:
        record = RecordKey.objects.get(pk=person.application().documents_record_id)
        expires = Card.objects.get(application=person.application()).expires_on
        assert expires > person.submitted
        assert record.due_on == retention.due_on(retention.Rule("submitted", 1), submitted=expires)


# --- held and destroyed records, as before ----------------------------------------------------------


@pytest.mark.django_db
def test_a_held_record_gets_its_new_date_but_keeps_its_hold_and_a_destroyed_one_stays(only, staff):
    ledger = Ledger()
    only(ledger)
    held, destroyed, free = make_records(3)
    destroyed.cohort = "disclosure/2030-02"
    vault.rewrap(destroyed, key_id="cohort:disclosure/2030-02", cohort="disclosure/2030-02",
                 due_on=date(2030, 2, 28))
    for record in (held, destroyed, free):
        ledger.dates[record.pk] = facts.TriggerDates(submitted=date(2020, 3, 4), decided=date(2020, 9, 9))
    ledger.subjects = {"HELD": [held.pk]}
    hold = retention.place_hold(case_name="Case", court="Court", scope="subject:HELD", placed_by=staff["counsel"])
    get_provider().destroy_key("cohort:disclosure/2030-02")
    retention.set_schedule(record_class="disclosure", trigger="decided", years=0,
                           approved_by=staff["records_officer"])

    assert retention.apply_schedule(record_class="disclosure") == 1  # the free one only

    keys = RecordKey.objects.in_bulk([held.pk, destroyed.pk, free.pk])
    assert (keys[held.pk].key_id, keys[held.pk].due_on) == (hold.key_id, date(2020, 9, 30))
    assert HeldRecord.objects.filter(hold=hold, record_key=keys[held.pk]).exists()
    assert (keys[destroyed.pk].key_id, keys[destroyed.pk].due_on) == ("cohort:disclosure/2030-02", date(2030, 2, 28))
    assert (keys[free.pk].key_id, keys[free.pk].due_on) == ("cohort:disclosure/2020-09", date(2020, 9, 30))
