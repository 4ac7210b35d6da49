"""Disposition runs under bad input and faults: refusals, crashes at every step (in process and a real
kill of a separate process), and holds placed while a run executes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.db import connection
from django.utils import timezone

from cityid.audit.models import AuditEntry
from cityid.retention import services as retention
from cityid.retention.certificate import record_ids_root
from cityid.retention.models import (
    Certificate,
    CohortState,
    DestroyedCohort,
    DispositionRun,
    HeldRecord,
    RunStatus,
)
from cityid.retention.services import RetentionError
from cityid.vault import services as vault
from cityid.vault.models import Blob, RecordKey
from tests.retention.dataset import import_people, people, second_officer

PROJECT = Path(__file__).resolve().parents[2]

#: Six applicants submitted 2015-01-05 ... 2015-12-01: under the rules file (documents two years after
#: submission) their documents fall in four cohorts, 2017-01 (2), 2017-06 (2), 2017-07 (1), 2017-12 (1).
RUN_AS_OF = date(2017, 12, 31)
COHORTS = ["documents/2017-01", "documents/2017-06", "documents/2017-07", "documents/2017-12"]


@pytest.fixture
def officers(staff):
    return [staff["records_officer"], second_officer()]


@pytest.fixture
def population(staff, tmp_path):
    persons = people(6)
    import_people(persons, tmp_path / "import", staff["supervisor"])
    return persons


def documents_uuids(**filters) -> list[str]:
    return sorted(str(u) for u in RecordKey.objects.filter(record_class="documents", **filters)
                  .values_list("uuid", flat=True))


def expected_certificate(as_of: date) -> dict:
    """The certificate content a run as of ``as_of`` must produce, from the preview and the records
    taken before it starts."""
    report = retention.preview(as_of)
    cohorts, all_ids = [], []
    for row in report["cohorts"]:
        ids = sorted(str(u) for u in RecordKey.objects.filter(key_id=row["key_id"]).values_list("uuid", flat=True))
        all_ids += ids
        cohorts.append({"cohort": row["cohort"], "class": row["class"], "key_id": row["key_id"],
                        "records": row["records"], "record_ids_root": record_ids_root(ids)})
    return {"classes": sorted({row["class"] for row in report["cohorts"]}), "cohorts": cohorts,
            "records": report["destroy_total"], "record_ids_root": record_ids_root(all_ids),
            "keys_destroyed": [row["key_id"] for row in report["cohorts"]]}


def content(body: dict) -> dict:
    return {name: body[name] for name in ("classes", "cohorts", "records", "record_ids_root", "keys_destroyed")}


def assert_documents_gone(person) -> None:
    application = person.application()
    assert application.documents_record is None
    assert not application.documents.exclude(sealed_details=None).exists()
    assert person.read().destroyed == ["documents"]


def assert_documents_readable(person) -> None:
    application = person.application()
    record = vault.open_record(application.documents_record)
    assert vault.read_blob(record=record, blob=application.documents.get(position=0).scan) == person.passport_scan


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_run_refused_without_two_distinct_records_officers(population, officers, staff):
    refused = [
        ([officers[0]], "needs two approvers"),
        ([], "needs two approvers"),
        ([officers[0], None], "needs two approvers"),
        ([officers[0], officers[1], staff["records_officer"]], "needs two approvers"),
        ([officers[0], officers[0]], "two approvers must be different people"),
        ([officers[0], staff["counsel"]], "counsel1 is not an active records officer"),
        ([staff["admin"], officers[1]], "admin1 is not an active records officer"),
        ([officers[0], staff["supervisor"]], "supervisor1 is not an active records officer"),
    ]
    before = documents_uuids()
    for approvers, reason in refused:
        with pytest.raises(RetentionError, match=reason):
            retention.run_disposition(as_of=RUN_AS_OF, approvers=approvers)
    assert not DispositionRun.objects.exists()
    assert documents_uuids() == before
    assert all(retention.get_provider().has_key(f"cohort:{name}") for name in COHORTS)
    for person in population:
        assert_documents_readable(person)


@pytest.mark.django_db
def test_run_refused_with_an_inactive_officer(population, officers):
    officers[1].is_active = False
    officers[1].save()
    with pytest.raises(RetentionError, match="records_officer2 is not an active records officer"):
        retention.run_disposition(as_of=RUN_AS_OF, approvers=officers)
    assert not DispositionRun.objects.exists()


@pytest.mark.django_db
def test_run_refused_as_of_a_future_date(population, officers):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(RetentionError, match="as-of date is in the future"):
        retention.run_disposition(as_of=tomorrow, approvers=officers)
    assert not DispositionRun.objects.exists()
    for person in population:
        assert_documents_readable(person)


@pytest.mark.django_db
def test_nothing_due_destroys_nothing(population, officers):
    assert retention.run_disposition(as_of=date(2016, 12, 31), approvers=officers) is None
    assert not DispositionRun.objects.exists()


# --- crashes and resumption ---------------------------------------------------------------------


class Crash(Exception):
    """Stands for the process dying after a step."""


def small_batches(monkeypatch, size: int) -> None:
    """Batches of ``size`` records, so that a cohort is deleted in several steps."""
    monkeypatch.setattr(retention, "BATCH", size)
    if hasattr(retention, "DELETE_BATCH"):  # deletions may be batched apart from re-wrapping
        monkeypatch.setattr(retention, "DELETE_BATCH", size)


def crash_at(step: int, seen: list[str]):
    def after_step(name: str) -> None:
        seen.append(name)
        if len(seen) == step:
            raise Crash(name)
    return after_step


def assert_run_complete(certificate: Certificate, expected: dict, persons) -> None:
    body = retention.verify_certificate(certificate.document)
    assert content(body) == expected
    assert DispositionRun.objects.count() == 1
    run = DispositionRun.objects.get()
    assert run.status == RunStatus.DONE and certificate.run == run
    destroyed = list(DestroyedCohort.objects.filter(run=run).order_by("cohort"))
    assert [(c.cohort, c.state) for c in destroyed] == [(name, CohortState.DELETED) for name in COHORTS]
    # Each key destroyed, and its destruction logged, exactly once; one certificate event.
    keys = [f"cohort:{name}" for name in COHORTS]
    logged = AuditEntry.objects.filter(action="disposition.destroy_key").order_by("index")
    assert [e.purpose for e in logged] == keys
    assert AuditEntry.objects.filter(action="disposition.certificate").count() == 1
    assert not RecordKey.objects.filter(key_id__in=keys).exists()
    assert not any(retention.get_provider().has_key(k) for k in keys)
    assert Blob.objects.count() == len(persons)  # the photos; every scan is gone
    for person in persons:
        assert_documents_gone(person)
    # Running again after completion answers with the same certificate and destroys nothing more.
    again = retention.run_disposition(as_of=RUN_AS_OF, approvers=list(reversed([run.first_approver,
                                                                              run.second_approver])))
    assert again == certificate and again.document == certificate.document
    assert Certificate.objects.count() == 1


#: The steps of a run over the four cohorts with batches of one record (one deletion step per record).
STEP_NAMES = ["run created"] + [
    step
    for cohort, records in zip(COHORTS, (2, 2, 1, 1), strict=True)
    for step in [f"key destroyed {cohort}", f"cohort recorded {cohort}"] + [f"deleted batch {cohort}"] * records
]
STEPS = len(STEP_NAMES)  # 15


@pytest.mark.django_db
@pytest.mark.parametrize("step", [1, 2, 3, 4, 10, 11, 15])
def test_crash_after_a_step_then_resume(population, officers, monkeypatch, step):
    small_batches(monkeypatch, 1)
    expected = expected_certificate(RUN_AS_OF)
    assert [c["cohort"] for c in expected["cohorts"]] == COHORTS and expected["records"] == 6

    seen: list[str] = []
    with pytest.raises(Crash):
        retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=crash_at(step, seen))
    assert seen == STEP_NAMES[:step]
    assert not Certificate.objects.exists()

    resumed: list[str] = []
    certificate = retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=resumed.append)
    # The resumption picks up where the crash left off; a crash inside the key's step (key destroyed,
    # its destruction not yet recorded) rolls that record back, so the step is done again.
    redone = 1 if seen[-1].startswith("key destroyed") else 0
    assert resumed == STEP_NAMES[step - redone:]
    assert_run_complete(certificate, expected, population)


@pytest.mark.django_db
def test_an_interrupted_run_must_be_finished_before_a_run_as_of_another_date(population, officers, monkeypatch):
    small_batches(monkeypatch, 1)
    expected = expected_certificate(RUN_AS_OF)
    with pytest.raises(Crash):
        retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=crash_at(4, []))
    interrupted = DispositionRun.objects.get()
    later = RUN_AS_OF + timedelta(days=1)

    with pytest.raises(RetentionError, match=rf"^disposition run #{interrupted.pk} as of 2017-12-31 was "
                                             r"interrupted and is unfinished: run again as of 2017-12-31"):
        retention.run_disposition(as_of=later, approvers=officers)
    assert DispositionRun.objects.get() == interrupted and not Certificate.objects.exists()

    certificate = retention.run_disposition(as_of=RUN_AS_OF, approvers=officers)
    assert_run_complete(certificate, expected, population)
    assert retention.run_disposition(as_of=later, approvers=officers) is None  # the first run left nothing due


@pytest.mark.django_db
def test_crash_at_every_step_in_turn(population, officers, monkeypatch):
    """Die after each new step in turn (as often as there are steps) and resume each time."""
    small_batches(monkeypatch, 1)
    expected = expected_certificate(RUN_AS_OF)
    crashed: set[str] = set()

    def after_step(name: str) -> None:
        if name not in crashed:
            crashed.add(name)
            raise Crash(name)

    for _attempt in range(STEPS + 5):
        try:
            certificate = retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=after_step)
            break
        except Crash:
            continue
    else:
        pytest.fail("the run never completed")
    assert len(crashed) == 1 + 3 * len(COHORTS)
    assert_run_complete(certificate, expected, population)


# --- a real kill of a separate process ----------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import io, json, os, sys
    sys.path.insert(0, {project!r})
    import django
    django.setup()
    from datetime import date
    from pathlib import Path
    from django.core.management import call_command, get_commands
    from cityid.accounts.models import User
    from cityid.retention import services
    from cityid.vault.models import RecordKey

    mode, kill_at = sys.argv[1], int(sys.argv[2])
    services.BATCH = services.DELETE_BATCH = 4
    AS_OF = date(2017, 1, 2)
    if mode == "seed":
        call_command("migrate", verbosity=0)
        call_command("seed", people=30, verbosity=0)
        from cityid.accounts.services import create_staff
        first = create_staff(username="officer-a", role="records_officer").user
        create_staff(username="officer-b", role="records_officer")
        services.set_schedule(record_class="documents", fixed_date=date(2016, 12, 31), approved_by=first)
        services.apply_schedule(record_class="documents")
        ids = RecordKey.objects.filter(record_class="documents").values_list("uuid", flat=True)
        print(json.dumps({{"preview": services.preview(AS_OF), "ids": sorted(str(u) for u in ids)}}))
        sys.exit(0)

    steps = []
    def after_step(name):
        steps.append(name)
        print("step", name, flush=True)
        if len(steps) == kill_at:
            os._exit(1)  # no rollback, no cleanup: like a power cut

    if "retention" in get_commands():
        real = services.run_disposition
        def with_kill(**kwargs):
            kwargs["after_step"] = after_step
            return real(**kwargs)
        services.run_disposition = with_kill
        import importlib
        command = importlib.import_module("cityid.retention.management.commands.retention")
        if getattr(command, "run_disposition", None) is real:
            command.run_disposition = with_kill
        out = io.StringIO()
        call_command("retention", "run", "--as-of", "2017-01-02", "--approved-by", "officer-a",
                     "--approved-by", "officer-b", stdout=out)
        text = Path(out.getvalue().strip().splitlines()[-1]).read_text()
        print("via command", flush=True)
    else:
        approvers = [User.objects.get(username=name) for name in ("officer-a", "officer-b")]
        text = services.run_disposition(as_of=AS_OF, approvers=approvers, after_step=after_step).document
    print("certificate " + json.dumps(services.verify_certificate(text)), flush=True)
    """
)


def child_env(data_dir: Path, keys_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYID_") and k != "DATABASE_URL"}
    env.update(CITYID_DATA_DIR=str(data_dir), CITYID_KEYS_DIR=str(keys_dir), CITYID_TESTING="1",
               CITYID_DOCUMENT_COPIES="keep", CITYID_KEY_PROVIDER="local", DJANGO_SETTINGS_MODULE="cityid.settings")
    return env


def test_killed_run_completes_when_run_again(tmp_path):
    root = tmp_path / "kill"
    data_dir, keys_dir = root / "data", root / "keys"
    data_dir.mkdir(parents=True)
    env = child_env(data_dir, keys_dir)
    script = CHILD.format(project=str(PROJECT))

    def child(mode: str, kill_at: int = 0) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", script, mode, str(kill_at)], env=env, cwd=root,
                              capture_output=True, text=True, timeout=180)

    seeded = child("seed")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    ids = seed["ids"]
    assert len(ids) >= 30 and seed["preview"]["destroy_total"] == len(ids)
    assert seed["preview"]["cohorts"] == [{"cohort": "documents/2016-12", "class": "documents",
                                           "key_id": "cohort:documents/2016-12", "records": len(ids)}]

    # Killed after the run is created; then inside the key's step (key destroyed, not yet recorded);
    # then after the first deletion batch. Each kill is a real process death.
    for kill_at, last_step in ((1, "run created"), (1, "key destroyed documents/2016-12"),
                               (3, "deleted batch documents/2016-12")):
        killed = child("run", kill_at)
        assert killed.returncode == 1, killed.stdout + killed.stderr
        steps = [line[5:] for line in killed.stdout.splitlines() if line.startswith("step ")]
        assert len(steps) == kill_at and steps[-1] == last_step, killed.stdout + killed.stderr
        assert "certificate" not in killed.stdout

    database = data_dir / "cityid.sqlite3"

    def rows(sql: str) -> list[tuple]:
        conn = sqlite3.connect(database)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    left = rows("SELECT count(*) FROM vault_recordkey WHERE record_class = 'documents'")[0][0]
    assert 0 < left == len(ids) - 4  # one batch of four was deleted before the last kill
    assert "cohort:documents/2016-12" not in json.loads((keys_dir / "keyring.json").read_text())["keys"]

    done = child("run")
    assert done.returncode == 0, done.stdout + done.stderr
    body = json.loads(done.stdout.strip().splitlines()[-1].removeprefix("certificate "))
    if "retention" in get_commands():  # through `cityid retention run` once it exists, else the service
        assert "via command" in done.stdout
    assert body["records"] == len(ids)
    assert body["record_ids_root"] == record_ids_root(ids)
    assert body["keys_destroyed"] == ["cohort:documents/2016-12"]
    assert body["cohorts"] == [{"cohort": "documents/2016-12", "class": "documents", "records": len(ids),
                                "key_id": "cohort:documents/2016-12", "record_ids_root": record_ids_root(ids)}]
    assert body["approvers"] == ["officer-a", "officer-b"]
    assert rows("SELECT status FROM retention_dispositionrun") == [("done",)]
    assert rows("SELECT cohort, state, records FROM retention_destroyedcohort") == [
        ("documents/2016-12", "deleted", len(ids))]
    assert rows("SELECT count(*) FROM retention_certificate") == [(1,)]
    assert rows("SELECT count(*) FROM vault_recordkey WHERE record_class = 'documents'") == [(0,)]
    assert rows("SELECT count(*) FROM audit_auditentry WHERE action = 'disposition.destroy_key'") == [(1,)]
    blob_files = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]
    assert len(blob_files) == rows("SELECT count(*) FROM vault_blob")[0][0]  # the photos only
    assert rows("SELECT count(*) FROM vault_blob b JOIN vault_recordkey k ON b.record_key_id = k.id "
                "WHERE k.record_class <> 'photo'") == [(0,)]


# --- holds placed while a run executes ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["during the run", "between a crash and the resumption"])
@pytest.mark.parametrize("scope", ["class:documents", "subject"])
def test_a_hold_placed_while_a_run_executes_is_honoured(population, officers, staff, when, scope):
    counsel = staff["counsel"]
    first_cohort = set(documents_uuids(cohort=COHORTS[0]))
    last_person = population[-1]  # documents in the last cohort, 2017-12
    scope = f"subject:{last_person.external_id}" if scope == "subject" else scope
    holds = []

    def hold_after_first_cohort(name: str) -> None:
        if name == f"cohort recorded {COHORTS[0]}":
            holds.append(retention.place_hold(case_name="Mid-run", court="Court", scope=scope, placed_by=counsel))
            if when != "during the run":
                raise Crash(name)

    if when == "during the run":
        certificate = retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=hold_after_first_cohort)
    else:
        with pytest.raises(Crash):
            retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=hold_after_first_cohort)
        certificate = retention.run_disposition(as_of=RUN_AS_OF, approvers=officers)
    (hold,) = holds

    survivors = set(documents_uuids())
    held = set(str(u) for u in HeldRecord.objects.filter(hold=hold, record_key__record_class="documents")
               .values_list("record_key__uuid", flat=True))
    body = retention.verify_certificate(certificate.document)
    destroyed = {rid for c in DestroyedCohort.objects.filter(run=certificate.run) for rid in c.record_ids}
    # The first cohort was destroyed before the hold came: the hold could not save it, and does not claim it.
    assert destroyed >= first_cohort and held.isdisjoint(first_cohort)
    # Everything else the hold covers survived; the certificate counts only what was destroyed.
    assert held == survivors and survivors.isdisjoint(destroyed)
    assert body["records"] == len(destroyed) == len(population) - len(survivors)
    assert body["record_ids_root"] == record_ids_root(sorted(destroyed))
    if scope == "class:documents":
        assert body["records"] == len(first_cohort) == 2
    else:
        assert held == {str(last_person.application().documents_record.uuid)}
        assert body["records"] == len(population) - 1
    assert_documents_readable(last_person)
    # Released, the survivors go back to their (destroyed, so new) cohort keys and stay readable.
    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    assert_documents_readable(last_person)


def _in_thread(target, errors: list) -> threading.Thread:
    def body():
        try:
            target()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_hold_placed_from_another_connection_during_a_run(staff, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections to one database: PostgreSQL run only")
    persons = people(6)
    import_people(persons, tmp_path / "import", staff["supervisor"])
    officers = [staff["records_officer"], second_officer()]
    everything = set(documents_uuids())
    early = set(documents_uuids(cohort__in=COHORTS[:2]))
    go, errors, holds = threading.Event(), [], []

    def counsel() -> None:
        go.wait(30)
        holds.append(retention.place_hold(case_name="Parallel", court="Court", scope="class:documents",
                                          placed_by=staff["counsel"]))

    def after_step(name: str) -> None:
        if name == f"key destroyed {COHORTS[1]}":  # the run holds the retention lock here
            go.set()
            time.sleep(0.5)  # the hold is now waiting for the lock

    thread = _in_thread(counsel, errors)
    try:
        certificate = retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=after_step)
    finally:
        go.set()
        thread.join(60)
    assert not errors, errors
    (hold,) = holds
    destroyed = {rid for c in DestroyedCohort.objects.filter(run=certificate.run) for rid in c.record_ids}
    survivors = set(documents_uuids())
    held = set(str(u) for u in HeldRecord.objects.filter(hold=hold).values_list("record_key__uuid", flat=True))
    assert destroyed >= early  # destroyed before the hold could take the lock
    assert destroyed | survivors == everything and destroyed.isdisjoint(survivors)
    assert held == survivors
    assert retention.verify_certificate(certificate.document)["records"] == len(destroyed)
    for person in persons:
        uuid = str(person.application().documents_record.uuid) if person.application().documents_record else None
        if uuid in survivors:
            assert_documents_readable(person)
        else:
            assert_documents_gone(person)


@pytest.mark.django_db(transaction=True)
def test_two_processes_running_the_same_disposition_at_once_make_one_run_and_one_certificate(staff, tmp_path):
    """Both officers press "run" at once (or a rerun starts while the first is still going): one run, each
    cohort destroyed once, one certificate listing every record."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections to one database: PostgreSQL run only")
    persons = people(6)
    import_people(persons, tmp_path / "import", staff["supervisor"])
    officers = [staff["records_officer"], second_officer()]
    everything = set(documents_uuids())
    start, errors, certificates = threading.Barrier(2), [], []

    def run() -> None:
        start.wait(30)
        certificates.append(retention.run_disposition(as_of=RUN_AS_OF, approvers=officers))

    threads = [_in_thread(run, errors) for _ in range(2)]
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(certificates) == 2 and certificates[0] == certificates[1]
    assert DispositionRun.objects.count() == 1 and Certificate.objects.count() == 1
    assert sorted(DestroyedCohort.objects.values_list("cohort", flat=True)) == COHORTS
    assert retention.verify_certificate(certificates[0].document)["records"] == len(everything) == 6
    assert AuditEntry.objects.filter(action="disposition.destroy_key").count() == len(COHORTS)
    assert not documents_uuids()


@pytest.mark.django_db
def test_a_hold_cannot_return_records_to_a_cohort_an_unfinished_run_is_deleting(population, officers, staff,
                                                                                 monkeypatch):
    """The run deletes by key: records released back under the re-created key of a cohort it is still
    deleting would go with the rest, though its certificate does not list them."""
    small_batches(monkeypatch, 1)
    held = population[0]
    record = str(held.application().documents_record.uuid)
    assert record in documents_uuids(cohort=COHORTS[0])
    hold = retention.place_hold(case_name="Pending v. City", court="Court", scope=f"subject:{held.external_id}",
                                placed_by=staff["counsel"])
    with pytest.raises(Crash):  # the first cohort's key destroyed and recorded, its rows not deleted yet
        retention.run_disposition(as_of=RUN_AS_OF, approvers=officers, after_step=crash_at(3, []))

    with pytest.raises(RetentionError, match=rf"^disposition run #\d+ is deleting cohort {COHORTS[0]}, to which "
                                             rf"records of hold {hold.pk} would return"):
        retention.release_hold(hold_id=hold.pk, released_by=staff["counsel"])
    hold.refresh_from_db()
    assert hold.released_at is None and HeldRecord.objects.filter(hold=hold).exists()
    assert_documents_readable(held)

    certificate = retention.run_disposition(as_of=RUN_AS_OF, approvers=officers)
    assert record not in {rid for cohort in certificate.run.destroyed.all() for rid in cohort.record_ids}
    retention.release_hold(hold_id=hold.pk, released_by=staff["counsel"])
    assert_documents_readable(held)  # back under its cohort's key, created again: due at the next run
    assert RecordKey.objects.get(uuid=record).key_id == f"cohort:{COHORTS[0]}"
