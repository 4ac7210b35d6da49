"""Vault rows: wrapped data keys, encrypted blobs and blind-index digests. No plaintext."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from cityid.vault import classes


class RecordClass(models.TextChoices):
    DOCUMENTS = classes.DOCUMENTS, _("Documents")
    APPLICATION = classes.APPLICATION, _("Application data")
    PHOTO = classes.PHOTO, _("Photo")
    CARD = classes.CARD, _("Card")
    DISCLOSURE = classes.DISCLOSURE, _("Disclosure")


class RecordKey(models.Model):
    """One record (one retention class of one subject) and its wrapped data key.

    ``key_id`` names the provider key that wraps the data key: the cohort key of the month
    the record is due for disposition, or a legal hold's key.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record_class = models.CharField(max_length=16, choices=RecordClass.choices)
    subject_ref = models.CharField(max_length=64, db_index=True, help_text="pseudonymous, e.g. applicant:<uuid>")
    cohort = models.CharField(max_length=32, db_index=True)
    key_id = models.CharField(max_length=64, db_index=True)
    wrapped_key = models.BinaryField()
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["record_class", "due_on"])]

    def __str__(self) -> str:
        return f"{self.record_class} record {self.uuid}"

    def associated_data(self, field: str) -> bytes:
        return f"{self.uuid}:{field}".encode()


class Blob(models.Model):
    """An encrypted file in the blob store. The file holds only ciphertext."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record_key = models.ForeignKey(RecordKey, on_delete=models.CASCADE, related_name="blobs")
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="plaintext size in bytes")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"blob {self.uuid}"


class BlindIndex(models.Model):
    """A keyed hash (HMAC under the record's cohort key) that lets staff search without plaintext."""

    record_key = models.ForeignKey(RecordKey, on_delete=models.CASCADE, related_name="blind_indexes")
    kind = models.CharField(max_length=16)
    digest = models.BinaryField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["kind", "digest"])]

    def __str__(self) -> str:
        return f"{self.kind} index of {self.record_key_id}"


class SigningKey(models.Model):
    """A key that signs (audit checkpoints, destruction certificates): its public half only.

    The private half lives in the signing-key store (a key file or the HSM). Retired keys stay
    listed so that what they signed still verifies; their private halves are destroyed.
    """

    purpose = models.CharField(max_length=32, db_index=True)
    key_id = models.CharField(max_length=64, unique=True, help_text="the private key's label in its store")
    algorithm = models.CharField(max_length=16)
    public_key = models.BinaryField()
    store = models.CharField(max_length=16, help_text="the store that holds (or held) the private key")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["purpose"], condition=models.Q(retired_at=None),
                                    name="one_current_signing_key_per_purpose"),
        ]

    def __str__(self) -> str:
        return f"signing key {self.key_id}"
