"""FOIL requests (NY Public Officers Law art. 6): the request, its history, its outbox of notices.

What the requester typed (name, contact details, the description of the records sought) is personal data:
it is sealed under the request's own ``disclosure`` record in the vault (``sealed_request``) and read only
through :func:`cityid.disclosure.selectors.read_request` (authorised, purpose-bound, audited). Everything
else here (dates, statuses, exemption codes) is metadata that queues, flags and the transparency report use.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FoilStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    EXTENDED = "extended", _("Extended")
    FULFILLED = "fulfilled", _("Fulfilled")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially fulfilled")
    DENIED = "denied", _("Denied")
    CLOSED = "closed", _("Closed")
    APPEALED = "appealed", _("Appealed")


class FoilCounter(models.Model):
    """The last sequence number given for one agency in one year (locked while a number is drawn)."""

    year = models.PositiveIntegerField()
    agency = models.CharField(max_length=8)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "agency"], name="foil_counter_unique")]

    def __str__(self) -> str:
        return f"{self.agency}/{self.year}: {self.last}"


class FoilRequest(models.Model):
    """One FOIL request. ``public_id`` (``FOIL-<year>-<agency>-<number>``) is shown to the requester and staff;
    it says nothing about the requester."""

    public_id = models.CharField(max_length=32, unique=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    year = models.PositiveIntegerField()
    agency = models.CharField(max_length=8)
    number = models.PositiveIntegerField()
    channel = models.CharField(max_length=8, default="web", help_text="web or api")
    language = models.CharField(max_length=8, default="en", help_text="the language of the notices")
    record = models.ForeignKey(
        "vault.RecordKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="the request's own disclosure record: its key seals sealed_request",
    )
    sealed_request = models.BinaryField(
        null=True, blank=True, help_text="name, email, phone, postal address, description: sealed"
    )
    attachment = models.ForeignKey(
        "vault.Blob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="a file the requester attached (cleaned, sealed under the request's record)",
    )
    access_digest = models.BinaryField(
        max_length=32, help_text="keyed hash of the requester's access code (the code is shown once)"
    )
    received_at = models.DateTimeField(help_text="when the request arrived")
    received_on = models.DateField(help_text="the business day it counts as received")
    acknowledgment_due = models.DateField()
    acknowledged_on = models.DateField(null=True, blank=True)
    determination_due = models.DateField(db_index=True)
    extended_to = models.DateField(null=True, blank=True)
    extension_reason = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=24, choices=FoilStatus.choices, default=FoilStatus.RECEIVED, db_index=True)
    determined_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=24, blank=True, help_text="fulfilled, partially_fulfilled or denied")
    exemptions = models.CharField(max_length=64, blank=True, help_text="exemption codes cited, comma-separated")
    closing_reason = models.CharField(max_length=32, blank=True)
    appeal_filed_on = models.DateField(null=True, blank=True)
    appeal_due = models.DateField(null=True, blank=True)
    appeal_decided_on = models.DateField(null=True, blank=True)
    appeal_outcome = models.CharField(max_length=24, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "agency", "number"], name="foil_number_unique")]
        indexes = [models.Index(fields=["status", "determination_due"], name="foil_queue_order")]

    def __str__(self) -> str:
        return self.public_id

    @property
    def ref(self) -> str:
        """The pseudonymous id the audit log uses."""
        return f"foil:{self.public_id}"


class FoilEvent(models.Model):
    """One step of a request's history: a status change with its codes (no free text, no contact details)."""

    request = models.ForeignKey(FoilRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)
    from_status = models.CharField(max_length=24, choices=FoilStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=FoilStatus.choices)
    on = models.DateField(help_text="the business date of the step")
    date_certain = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    exemptions = models.CharField(max_length=64, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="foil_events",
        help_text="empty for the requester or the host operator",
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.kind}"


class FoilNotice(models.Model):
    """The outbox: a notice to the requester, written in the transaction of the step it tells of and sent
    after commit (``cityid foil send`` retries what is still unsent). The address is read from the sealed
    request when it is sent, never stored here."""

    request = models.ForeignKey(FoilRequest, on_delete=models.CASCADE, related_name="notices")
    event = models.ForeignKey(FoilEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=24)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.kind} notice"


class Exemption(models.TextChoices):
    """The reasons catalogue: the exemptions of Public Officers Law §87(2) a denial may cite."""

    STATUTE = "87_2_a", _("§87(2)(a): specifically exempted from disclosure by state or federal statute")
    PRIVACY = "87_2_b", _("§87(2)(b): would be an unwarranted invasion of personal privacy (§89(2))")
    CONTRACTS = "87_2_c", _("§87(2)(c): would impair present or imminent contract awards or collective bargaining")
    TRADE_SECRETS = "87_2_d", _("§87(2)(d): trade secrets, or would cause substantial injury to a competitive "
                                "position")
    LAW_ENFORCEMENT = "87_2_e", _("§87(2)(e): compiled for law enforcement purposes, and disclosure would interfere "
                                  "with an investigation or proceeding")
    SAFETY = "87_2_f", _("§87(2)(f): could endanger the life or safety of any person")
    INTER_AGENCY = "87_2_g", _("§87(2)(g): inter-agency or intra-agency materials that are not factual data, "
                               "instructions to staff, final determinations or external audits")
    EXAMINATIONS = "87_2_h", _("§87(2)(h): examination questions or answers not yet given")
    IT_SECURITY = "87_2_i", _("§87(2)(i): would jeopardize the security of the agency's information technology")
    TRAFFIC_CAMERAS = "87_2_j", _("§87(2)(j): photographs or images from a traffic-control signal camera")


class Outcome(models.TextChoices):
    """What a determination decides."""

    FULFILLED = "fulfilled", _("Fulfilled: the records are released")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially fulfilled: released in part, the rest withheld")
    DENIED = "denied", _("Denied")


class ClosingReason(models.TextChoices):
    RESOLVED = "resolved", _("Determination made: no further action")
    NO_RECORDS = "no_records", _("No responsive records found")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    REFERRED = "referred", _("Referred to another agency")
    DUPLICATE = "duplicate", _("Duplicate of another request")


class ExtensionReason(models.TextChoices):
    VOLUME = "volume", _("The volume of records requested")
    SEARCH = "search", _("Records must be searched for in several places")
    REVIEW = "review", _("Records must be reviewed for exempt material")
    THIRD_PARTY = "third_party", _("Another agency or a third party must be consulted")
    RETRIEVAL = "retrieval", _("Records must be retrieved from storage")


class AppealOutcome(models.TextChoices):
    GRANTED = "granted", _("Appeal granted: the records will be released")
    GRANTED_IN_PART = "granted_in_part", _("Appeal granted in part")
    DENIED = "denied", _("Appeal denied: the denial is upheld")


# Law-enforcement requests live beside FOIL requests, in their own module.
from cityid.disclosure.law_enforcement_models import (  # noqa: E402,F401
    AgencyType,
    ItemKind,
    LawEnforcementDocument,
    LawEnforcementRequest,
    LegalProcess,
    ProducedItem,
    RequestChange,
    RequestStatus,
)
