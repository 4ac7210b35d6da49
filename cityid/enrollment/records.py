"""What enrollment keeps in each vault record: the blind indexes to recompute when a record is
re-wrapped, and the ciphertext columns to remove when a record is destroyed."""

from __future__ import annotations

from datetime import date

from cityid.enrollment import name_index
from cityid.enrollment.models import Applicant, Application, PresentedDocument
from cityid.vault.services import OpenRecord, normalize_for_index


def name_dob_index_value(given_name: str, family_name: str, date_of_birth: date) -> bytes:
    return normalize_for_index(given_name, family_name, date_of_birth.isoformat())


def name_indexes(given_name: str, family_name: str, date_of_birth: date) -> list[tuple[str, bytes]]:
    """The (kind, value) name indexes of one applicant: the exact ``name_dob`` and the typo-tolerant
    ``name_fz`` keys (:mod:`cityid.enrollment.name_index`)."""
    return [("name_dob", name_dob_index_value(given_name, family_name, date_of_birth))] + [
        (name_index.KIND, value) for value in name_index.index_values(given_name, family_name, date_of_birth)
    ]


def document_number_index_value(doc_type: str, number: str) -> bytes:
    return normalize_for_index(doc_type, number.replace(" ", ""))


def application_indexes(records: list[OpenRecord]) -> list[list[tuple[str, bytes]]]:
    """The name and birth date index of each ``application`` record, from its applicant's profile."""
    profiles: dict[int, bytes | None] = {}
    for record_id, sealed in (
        Applicant.objects.filter(personal_record__in=[record.key.pk for record in records])
        .order_by("-pk")
        .values_list("personal_record_id", "sealed_profile")
    ):
        profiles[record_id] = sealed  # the lowest-numbered applicant comes last and wins
    out = []
    for record in records:
        sealed = profiles.get(record.key.pk)
        if sealed is None:
            out.append([])
            continue
        profile = record.open_json("profile", sealed)
        born = date.fromisoformat(profile["date_of_birth"])
        out.append(name_indexes(profile["given_name"], profile["family_name"], born))
    return out


def document_indexes(records: list[OpenRecord]) -> list[list[tuple[str, bytes]]]:
    """The document number index of each presented document of each ``documents`` record."""
    values: dict[int, list[tuple[str, bytes]]] = {record.key.pk: [] for record in records}
    by_pk = {record.key.pk: record for record in records}
    for record_id, position, doc_type, sealed in (
        PresentedDocument.objects.filter(application__documents_record__in=list(by_pk))
        .exclude(sealed_details=None)
        .values_list("application__documents_record_id", "position", "type", "sealed_details")
    ):
        details = by_pk[record_id].open_json(f"document:{position}", sealed)
        values[record_id].append(("docnum", document_number_index_value(doc_type, details["number"])))
    return [values[record.key.pk] for record in records]


def erase_application(record_key_ids: list[int]) -> None:
    Application.objects.filter(applicant__personal_record_id__in=record_key_ids).update(sealed_details=None)
    Applicant.objects.filter(personal_record_id__in=record_key_ids).update(sealed_profile=None)


def erase_documents(record_key_ids: list[int]) -> None:
    PresentedDocument.objects.filter(application__documents_record_id__in=record_key_ids).update(
        sealed_details=None, scan=None
    )


def erase_photo(record_key_ids: list[int]) -> None:
    Applicant.objects.filter(photo_record_id__in=record_key_ids).update(photo=None)
