"""Status-change notes are personal data: sealed under the applicant's application record, read only by
roles that may read personal data (a logged read), and destroyed with the applicant's application data."""

from __future__ import annotations

import sqlite3

import pytest
from django.core.management import call_command

from cityid.audit.models import AuditEntry
from cityid.cards import notes, selectors
from cityid.cards.models import CardStatusChange
from cityid.cards.selectors import NoteState, read_history
from cityid.cards.services import CardStatusError, change_status
from cityid.vault import envelope
from cityid.vault import services as vault
from cityid.vault.providers import get_provider
from tests.audit.helpers import sign_in
from tests.cards.test_views import post_change
from tests.vault.test_at_rest import all_stored_values, cli, cli_env, files_under, import_canaries

#: A note such as staff are told not to write, naming and locating a person.
CANARY_NOTE = "reported stolen by her brother Juanotelo Canarypérez at 12 Notestreet Ave"
CANARY_PARTS = ("Juanotelo", "Canarypérez", "Notestreet")


def history_cell(html: str) -> str:
    return html.split('id="card-history"')[1].split("</table>")[0]


def note_reads(card) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="personal.read", purpose=card.ref).order_by("index"))


def destroy_application_key(card) -> None:
    """Destroy the cohort key that wraps the card's applicant's application record (as disposition does)."""
    get_provider().destroy_key(card.applicant.personal_record.key_id)


# --- at rest --------------------------------------------------------------------------------------

def test_the_note_is_sealed_not_stored(staff, card):
    response = post_change(sign_in(staff["supervisor"]), card, "suspend", "stolen", CANARY_NOTE)
    assert "The card is suspended." in response.content.decode()
    change = CardStatusChange.objects.get()
    assert change.has_note and change.sealed_note is not None
    stored = all_stored_values()
    assert str(change.uuid).encode() in stored or change.uuid.hex.encode() in stored  # the scan reads the row
    for needle in (CANARY_NOTE, *CANARY_PARTS):
        assert needle.encode() not in stored, needle
        assert needle.encode() not in bytes(change.sealed_note)
    # Sealed under the applicant's application record, bound to this change.
    record = vault.open_record(card.applicant.personal_record)
    assert record.key.record_class == "application"
    assert record.open(f"card_note:{change.uuid}", change.sealed_note).decode() == CANARY_NOTE


def test_a_sealed_note_does_not_open_in_another_change(staff, card):
    change_status(card, "suspend", reason="stolen", changed_by=staff["supervisor"], note=CANARY_NOTE)
    change_status(card, "reinstate", reason="recovered", changed_by=staff["supervisor"], note="found")
    sealed, other = CardStatusChange.objects.order_by("id")
    CardStatusChange.objects.filter(pk=other.pk).update(sealed_note=sealed.sealed_note)
    with pytest.raises(envelope.SealError):
        read_history(card, actor=staff["supervisor"])


def test_sqlite_files_hold_no_note(tmp_path):
    """Through the real command line, then every file of the data directory (the database with its WAL)."""
    root = tmp_path / "cli"
    data_dir, keys_dir, work = root / "data", root / "keys", root / "work"
    for d in (data_dir, work):
        d.mkdir(parents=True)
    env = cli_env(data_dir, keys_dir)
    import_canaries(env, work)
    number = cli(env, "card", "list", cwd=work).splitlines()[1].split()[0]
    assert "revoked" in cli(env, "card", "revoke", number, "--reason", "stolen", "--note", CANARY_NOTE, cwd=work)
    listing = cli(env, "card", "list", cwd=work)
    assert number in listing and "revoked" in listing
    database = data_dir / "cityid.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM cards_cardstatuschange WHERE has_note").fetchone() == (1,)
    sqlite3.connect(database).close()
    for path in files_under(data_dir):
        data = path.read_bytes()
        for needle in (CANARY_NOTE, *CANARY_PARTS):
            assert needle.encode() not in data, f"{needle} found in {path}"
            assert needle not in listing


# --- who reads ------------------------------------------------------------------------------------

def test_supervisor_reads_the_note_and_the_read_is_logged(staff, card):
    supervisor = staff["supervisor"]
    client = sign_in(supervisor)
    post_change(client, card, "suspend", "stolen", CANARY_NOTE)  # follows the redirect: one page view
    assert len(note_reads(card)) == 1
    html = client.get(f"/cards/{card.pk}/").content.decode()
    assert CANARY_NOTE in history_cell(html)
    assert "(note withheld)" not in html and "(destroyed)" not in html
    events = note_reads(card)
    assert len(events) == 2  # one per page view that decrypts notes
    event = events[-1]
    assert (event.actor, event.role, event.action, event.target, event.purpose, event.outcome) == (
        f"staff:{supervisor.pk}", "supervisor", "personal.read", card.applicant.ref, f"card:{card.pk}", "ok")
    entry = bytes(event.entry)
    for secret in (card.number, *CANARY_PARTS, "stolen by"):
        assert secret.encode() not in entry


def test_several_notes_are_one_read(staff, card):
    supervisor = staff["supervisor"]
    change_status(card, "suspend", reason="stolen", changed_by=supervisor, note=CANARY_NOTE)
    change_status(card, "reinstate", reason="recovered", changed_by=supervisor)
    change_status(card, "revoke", reason="fraud", changed_by=supervisor, note="second note")
    html = history_cell(sign_in(supervisor).get(f"/cards/{card.pk}/").content.decode())
    assert CANARY_NOTE in html and "second note" in html
    assert len(note_reads(card)) == 1
    assert [(e.note_state, e.note) for e in read_history(card, actor=supervisor)] == [
        (NoteState.SHOWN, "second note"), (NoteState.NONE, ""), (NoteState.SHOWN, CANARY_NOTE)]


def test_card_production_sees_only_that_a_note_exists(staff, card):
    change_status(card, "suspend", reason="stolen", changed_by=staff["supervisor"], note=CANARY_NOTE)
    change_status(card, "reinstate", reason="recovered", changed_by=staff["supervisor"])
    reads_before = AuditEntry.objects.filter(action__startswith="personal.").count()
    response = sign_in(staff["card_production"]).get(f"/cards/{card.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    cell = history_cell(html)
    assert cell.count("(note withheld)") == 1 and "—" in cell  # the change without a note
    for secret in (CANARY_NOTE, *CANARY_PARTS):
        assert secret not in html
    assert AuditEntry.objects.filter(action__startswith="personal.").count() == reads_before


@pytest.mark.parametrize("role", ["auditor", "admin", "fraud_analyst", "records_officer", "clerk"])
def test_other_roles_see_no_note(staff, card, role):
    change_status(card, "suspend", reason="stolen", changed_by=staff["supervisor"], note=CANARY_NOTE)
    response = sign_in(staff[role]).get(f"/cards/{card.pk}/")
    assert response.status_code == 403
    assert "Juanotelo" not in response.content.decode()
    # Whatever page a role may open, read_history gives it the note only with enrollment.read_personal.
    entry = read_history(card, actor=staff[role])[0]
    if role == "clerk":
        assert (entry.note_state, entry.note) == (NoteState.SHOWN, CANARY_NOTE)
    else:
        assert (entry.note_state, entry.note) == (NoteState.WITHHELD, "")
    assert len(note_reads(card)) == (1 if role == "clerk" else 0)


def test_the_host_operator_reads_notes_logged(staff, card):
    change_status(card, "suspend", reason="stolen", changed_by=None, note=CANARY_NOTE)
    assert read_history(card, actor=None)[0].note == CANARY_NOTE
    assert [(e.actor, e.target) for e in note_reads(card)] == [("system:operator", card.applicant.ref)]


def test_no_note_no_decryption(staff, card, monkeypatch):
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])

    def refuse(*args, **kwargs):
        raise AssertionError("nothing should be decrypted")

    html = sign_in(staff["supervisor"]).get(f"/cards/{card.pk}/").content.decode()
    assert "Lost" in history_cell(html)
    monkeypatch.setattr(notes.vault, "open_record", refuse)  # (the page opens the card's number, not a note)
    assert [entry.note_state for entry in read_history(card, actor=staff["supervisor"])] == [NoteState.NONE]
    assert note_reads(card) == []


def test_the_list_command_prints_no_note(staff, card):
    import io

    change_status(card, "suspend", reason="stolen", changed_by=staff["supervisor"], note=CANARY_NOTE)
    out = io.StringIO()
    call_command("card", "list", stdout=out)
    assert card.number in out.getvalue() and "Juanotelo" not in out.getvalue()


# --- destroyed with the applicant's application data ----------------------------------------------

def test_after_the_cohort_key_is_destroyed_the_page_says_destroyed(staff, card):
    supervisor = staff["supervisor"]
    change_status(card, "suspend", reason="stolen", changed_by=supervisor, note=CANARY_NOTE)
    change_status(card, "reinstate", reason="recovered", changed_by=supervisor)
    destroy_application_key(card)

    client = sign_in(supervisor)
    response = client.get(f"/cards/{card.pk}/")
    assert response.status_code == 200
    cell = history_cell(response.content.decode())
    assert "(destroyed)" in cell and "Juanotelo" not in cell
    assert note_reads(card) == []  # nothing could be decrypted, so nothing was read
    # Card production still sees only that there was a note.
    assert "(note withheld)" in history_cell(sign_in(staff["card_production"]).get(f"/cards/{card.pk}/")
                                             .content.decode())

    # Disposition then deletes the record: the eraser removes the ciphertext, the marker stays.
    record_key = card.applicant.personal_record
    assert vault.delete_records([record_key.pk]) == 1
    change = CardStatusChange.objects.get(to_status="suspended")
    assert change.has_note and change.sealed_note is None
    response = client.get(f"/cards/{card.pk}/")
    assert response.status_code == 200 and "(destroyed)" in history_cell(response.content.decode())

    # In Spanish too.
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    html = client.get(f"/cards/{card.pk}/").content.decode()
    assert "(destruida)" in history_cell(html) and "(destroyed)" not in html

    # A new note cannot be sealed any more: the change is refused with a message; without a note it goes.
    with pytest.raises(CardStatusError) as refused:
        change_status(card, "revoke", reason="fraud", changed_by=supervisor, note="another note")
    assert refused.value.code == "note_destroyed"
    response = post_change(client, card, "revoke", "fraud", "another note")
    assert "se destruyeron" in response.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = post_change(client, card, "revoke", "fraud", "another note")
    assert "a note can no longer be kept" in response.content.decode()
    change_status(card, "revoke", reason="fraud", changed_by=supervisor)
    assert CardStatusChange.objects.count() == 3


def test_erasing_one_record_leaves_other_applicants_notes(staff, card):
    from cityid.enrollment.services import decide, enroll
    from tests.conftest import make_input

    other = enroll(data=make_input(given_name="Othername"), enrolled_by=staff["clerk"])
    decide(application=other, approve=True, decided_by=staff["supervisor"])
    other_card = other.card
    change_status(card, "revoke", reason="stolen", changed_by=staff["supervisor"], note=CANARY_NOTE)
    change_status(other_card, "revoke", reason="stolen", changed_by=staff["supervisor"], note="kept")
    notes.erase_notes([card.applicant.personal_record_id])
    assert read_history(other_card, actor=staff["supervisor"])[0].note == "kept"
    assert read_history(card, actor=staff["supervisor"])[0].note_state == NoteState.DESTROYED


def test_selectors_history_is_newest_first(staff, card):
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"], note="one")
    change_status(card, "reinstate", reason="recovered", changed_by=staff["supervisor"], note="two")
    assert [e.note for e in selectors.read_history(card, actor=staff["supervisor"])] == ["two", "one"]
