"""Status-change notes in the vault: sealed under the applicant's ``application`` record, destroyed with it.

A note is free text that may name or locate a person, so it is personal data (DESIGN.md §5). It is
sealed under the data key of the card's applicant's ``personal_record`` (record class
``application``) with the associated data ``<record uuid>:card_note:<change uuid>``: a note copied into
another change, or another applicant's history, does not open. Nothing here authorises or logs a read:
:func:`cityid.cards.selectors.read_history` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from cityid.cards.models import CardStatusChange
from cityid.core.errors import CityidError
from cityid.vault import services as vault
from cityid.vault.models import RecordKey


class NoteNotKept(CityidError):
    """The applicant's application record is destroyed: a new note could not be sealed under it."""


def note_field(change: CardStatusChange) -> str:
    """The sealed field's name within the record (the associated data adds the record's uuid)."""
    return f"card_note:{change.uuid}"


def seal_note(change: CardStatusChange, note: str, *, record_key: RecordKey | None) -> None:
    """Seal ``note`` into the (unsaved) change under ``record_key``, the applicant's ``personal_record``.

    An empty note seals nothing. Raises :class:`NoteNotKept` if the record is gone or its key destroyed.
    """
    if not note:
        change.has_note, change.sealed_note = False, None
        return
    if record_key is None:
        raise NoteNotKept("destroyed")
    try:
        record = vault.open_record(record_key)
    except vault.RecordDestroyed as exc:
        raise NoteNotKept("destroyed") from exc
    change.has_note, change.sealed_note = True, record.seal(note_field(change), note.encode())


def open_notes(changes: Iterable[CardStatusChange], *, record_key: RecordKey | None) -> dict[int, str | None]:
    """The plaintext of each change's note by change id, ``None`` for a note destroyed with the record.

    One unwrap of the record's data key for all of them; nothing at all when none of them has a note.
    The caller authorises and logs the read.
    """
    noted = [change for change in changes if change.has_note]
    out: dict[int, str | None] = {change.pk: None for change in noted}
    sealed = [change for change in noted if change.sealed_note is not None]
    if not sealed or record_key is None:
        return out
    try:
        record = vault.open_record(record_key)
    except vault.RecordDestroyed:
        return out
    for change in sealed:
        out[change.pk] = record.open(note_field(change), change.sealed_note).decode()
    return out


def erase_notes(record_key_ids: list[int]) -> None:
    """Disposition's eraser for ``application`` records: remove the notes' ciphertexts (``has_note`` stays,
    so the history still says a note was written and is destroyed)."""
    CardStatusChange.objects.filter(
        card__applicant__personal_record_id__in=record_key_ids, sealed_note__isnull=False
    ).update(sealed_note=None)
