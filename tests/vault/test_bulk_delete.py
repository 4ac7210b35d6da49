"""``delete_records`` deletes set-based (no rows loaded) with the same effect as Django's collector."""

from __future__ import annotations

from cityid.enrollment.models import Applicant, Application, PresentedDocument
from cityid.retention.models import HeldRecord, LegalHold
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex, Blob, RecordKey


def _state(application: Application) -> dict:
    applicant = Applicant.objects.get(pk=application.applicant_id)
    application = Application.objects.get(pk=application.pk)
    return {
        "personal_record": applicant.personal_record_id, "photo_record": applicant.photo_record_id,
        "photo": applicant.photo_id, "documents_record": application.documents_record_id,
        "scans": sorted(str(d.scan_id) for d in PresentedDocument.objects.filter(application=application)),
        "keys": RecordKey.objects.count(), "blobs": Blob.objects.count(), "indexes": BlindIndex.objects.count(),
        "held": HeldRecord.objects.count(),
    }


def _hold_everything() -> None:
    hold = LegalHold.objects.create(court="Test", scope_outline="all")
    HeldRecord.objects.bulk_create([HeldRecord(hold=hold, record_key=key) for key in RecordKey.objects.all()])


def test_delete_records_matches_the_collector(enrolled):
    from django.db import transaction

    _hold_everything()
    ids = list(RecordKey.objects.values_list("id", flat=True))
    files = [vault.blob_path(u) for u in Blob.objects.values_list("uuid", flat=True)]
    assert files and all(path.exists() for path in files)

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            RecordKey.objects.filter(id__in=ids).delete()  # Django's collector, for comparison
            by_collector = _state(enrolled)
            raise Rollback
    except Rollback:
        pass
    assert _state(enrolled)["keys"] == len(ids)

    assert vault.delete_records(ids) == len(ids)
    assert _state(enrolled) == by_collector
    assert by_collector | {"personal_record": None, "photo_record": None, "photo": None, "documents_record": None,
                           "keys": 0, "blobs": 0, "indexes": 0, "held": 0} == by_collector
    assert set(by_collector["scans"]) == {"None"}
    assert not any(path.exists() for path in files)
    assert vault.delete_records(ids) == 0  # idempotent


def test_delete_records_falls_back_to_the_collector_when_someone_listens(enrolled):
    from django.db.models.signals import post_delete

    deleted: list[str] = []

    def listener(sender, instance, **kwargs):
        deleted.append(type(instance).__name__)

    post_delete.connect(listener, sender=BlindIndex)
    try:
        indexes = BlindIndex.objects.count()
        vault.delete_records(list(RecordKey.objects.values_list("id", flat=True)))
    finally:
        post_delete.disconnect(listener, sender=BlindIndex)
    assert indexes and deleted.count("BlindIndex") == indexes  # the collector sent the signals
    assert RecordKey.objects.count() == 0 and Applicant.objects.get().photo_id is None


def test_delete_records_of_key_goes_batch_by_batch(enrolled):
    key_id = RecordKey.objects.get(record_class="documents").key_id
    blobs = Blob.objects.values_list("uuid", flat=True)
    mine = [vault.blob_path(u) for u in blobs.filter(record_key__key_id=key_id)]
    theirs = [vault.blob_path(u) for u in blobs.exclude(record_key__key_id=key_id)]
    others = RecordKey.objects.exclude(key_id=key_id).count()
    assert mine and theirs
    assert vault.delete_records_of_key(key_id, limit=1) == 1
    assert vault.delete_records_of_key(key_id, limit=1) == 0
    assert RecordKey.objects.count() == others and Application.objects.get().documents_record_id is None
    assert not any(path.exists() for path in mine) and all(path.exists() for path in theirs)
