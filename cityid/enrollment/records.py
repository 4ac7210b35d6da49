"""What enrollment keeps in each vault record: the blind indexes to recompute when a record is
re-wrapped, and the ciphertext columns to remove when a record is destroyed."""

from __future__ import annotations

from datetime import date

from cityid.enrollment.models import Applicant, Application, PresentedDocument
from cityid.vault.services import OpenRecord, normalize_for_index


def name_dob_index_value(given_name: str, family_name: str, date_of_birth: date) -> bytes:
    return normalize_for_index(given_name, family_name, date_of_birth.isoformat())


def document_number_index_value(doc_type: str, number: str) -> bytes:
    return normalize_for_index(doc_type, number.replace(" ", ""))


def application_indexes(record: OpenRecord) -> list[tuple[str, bytes]]:
    applicant = Applicant.objects.filter(personal_record=record.key).first()
    if applicant is None or applicant.sealed_profile is None:
        return []
    profile = record.open_json("profile", applicant.sealed_profile)
    born = date.fromisoformat(profile["date_of_birth"])
    return [("name_dob", name_dob_index_value(profile["given_name"], profile["family_name"], born))]


def document_indexes(record: OpenRecord) -> list[tuple[str, bytes]]:
    values = []
    for doc in PresentedDocument.objects.filter(application__documents_record=record.key).exclude(sealed_details=None):
        details = record.open_json(f"document:{doc.position}", doc.sealed_details)
        values.append(("docnum", document_number_index_value(doc.type, details["number"])))
    return values


def erase_application(record_key_ids: list[int]) -> None:
    Application.objects.filter(applicant__personal_record_id__in=record_key_ids).update(sealed_details=None)
    Applicant.objects.filter(personal_record_id__in=record_key_ids).update(sealed_profile=None)


def erase_documents(record_key_ids: list[int]) -> None:
    PresentedDocument.objects.filter(application__documents_record_id__in=record_key_ids).update(
        sealed_details=None, scan=None
    )


def erase_photo(record_key_ids: list[int]) -> None:
    Applicant.objects.filter(photo_record_id__in=record_key_ids).update(photo=None)
