"""Card records and their status history. Printing and signed credentials come with the cards issue."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CardStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class Card(models.Model):
    """A card. Its number is sealed under the applicant's ``application`` record and found by a keyed hash
    (:mod:`cityid.cards.sealing`); ``number`` is the plaintext once a selector has opened it for a reader
    allowed to see it, else ``None``."""

    sealed_number = models.BinaryField(
        null=True, help_text="the number, sealed under the applicant's 'application' record"
    )
    number_digest = models.BinaryField(
        max_length=32, null=True, unique=True, help_text="HMAC of the number under the provider's 'cards' key"
    )
    applicant = models.ForeignKey("enrollment.Applicant", on_delete=models.CASCADE, related_name="cards")
    application = models.OneToOneField("enrollment.Application", on_delete=models.CASCADE, related_name="card")
    issued_on = models.DateField()
    expires_on = models.DateField(db_index=True)
    status = models.CharField(max_length=16, choices=CardStatus.choices, default=CardStatus.ISSUED)
    status_index = models.PositiveIntegerField(
        null=True, unique=True,
        help_text="the card's entry in the published status list: drawn at random among the unused ones",
    )

    number: str | None = None  # not a column: the plaintext, set when a selector opens it

    class Meta:
        # The card list's order (newest first), with and without a status filter: a page is an index walk.
        indexes = [
            models.Index(fields=["-issued_on", "-id"], name="card_list_order"),
            models.Index(fields=["status", "-issued_on", "-id"], name="card_list_status_order"),
        ]

    def __str__(self) -> str:
        return f"card {self.pk}"

    @property
    def ref(self) -> str:
        """The pseudonymous id the audit log uses (never the number)."""
        return f"card:{self.pk}"


class StatusChangeKind(models.TextChoices):
    REVOKE = "revoke", _("Revoke")
    SUSPEND = "suspend", _("Suspend")
    REINSTATE = "reinstate", _("Reinstate")


class StatusReason(models.TextChoices):
    LOST = "lost", _("Lost")
    STOLEN = "stolen", _("Stolen")
    DAMAGED = "damaged", _("Damaged")
    FRAUD = "fraud", _("Suspected or confirmed fraud")
    DECEASED = "deceased", _("Cardholder deceased")
    CARDHOLDER_REQUEST = "cardholder_request", _("At the cardholder's request")
    ERROR = "error", _("Made in error")
    RECOVERED = "recovered", _("Card recovered")
    CLEARED = "cleared", _("Investigation closed, no fraud found")
    OTHER = "other", _("Other (explain in the note)")


#: The reasons that fit each kind of change: a card is not reinstated because it was stolen.
REASONS_FOR: dict[str, tuple[str, ...]] = {
    StatusChangeKind.REVOKE: (
        StatusReason.LOST, StatusReason.STOLEN, StatusReason.DAMAGED, StatusReason.FRAUD, StatusReason.DECEASED,
        StatusReason.CARDHOLDER_REQUEST, StatusReason.ERROR, StatusReason.OTHER,
    ),
    StatusChangeKind.SUSPEND: (
        StatusReason.LOST, StatusReason.STOLEN, StatusReason.FRAUD, StatusReason.CARDHOLDER_REQUEST,
        StatusReason.OTHER,
    ),
    StatusChangeKind.REINSTATE: (
        StatusReason.RECOVERED, StatusReason.CLEARED, StatusReason.ERROR, StatusReason.CARDHOLDER_REQUEST,
        StatusReason.OTHER,
    ),
}

NOTE_MAX_LENGTH = 200


class CardStatusChange(models.Model):
    """One change of a card's status. The audit log carries only the reason code.

    The optional note is free text that may name or locate a person ("reported stolen by her brother
    at ..."), so it is personal data: it is sealed under the data key of the applicant's ``application``
    record (``Applicant.personal_record``), with associated data naming this change
    (``card_note:<uuid>``). It is read only by roles allowed ``enrollment.read_personal`` (a logged read),
    and it is destroyed with the applicant's application data: the cohort key's destruction makes it
    unreadable, and disposition then erases the ciphertext (``cityid.cards.notes.erase_notes``).
    ``has_note`` stays, so a page can say that a note existed.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=CardStatus.choices)
    to_status = models.CharField(max_length=16, choices=CardStatus.choices)
    reason = models.CharField(max_length=32, choices=StatusReason.choices)
    has_note = models.BooleanField(default=False)
    sealed_note = models.BinaryField(
        null=True, blank=True, help_text="the note, sealed under the applicant's 'application' record"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="card_status_changes",
        help_text="empty for the host operator",
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"card {self.card_id}: {self.from_status} -> {self.to_status}"


class CredentialKey(models.Model):
    """A key that signs card credentials and the status list (ES256), as published in the JWK Set.

    The private half is in the signing-key store (``vault.SigningKey`` with purpose ``cards``: a key file
    or the HSM); this row is the public half under its credential key id (``kid``: the first 8 bytes of
    SHA-256 over the DER public key, base64url). A retired key signs nothing new and stays published,
    so cards it signed still verify."""

    kid = models.CharField(max_length=16, unique=True)
    signing_key = models.CharField(max_length=64, unique=True, help_text="the vault signing key's label")
    public_key = models.BinaryField(help_text="DER SubjectPublicKeyInfo (P-256)")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"credential key {self.kid}"


class StatusListDocument(models.Model):
    """The signed status list as published (one row, ``pk=1``): rebuilt whenever a card's status changes."""

    jws = models.TextField()
    etag = models.CharField(max_length=64)
    built_at = models.DateTimeField()
    entries = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"status list of {self.built_at:%Y-%m-%d %H:%M}"
