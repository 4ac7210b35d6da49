"""Law-enforcement requests' rows (imported by ``cityid.disclosure.models``).

In the clear: the agency type, the legal process, dates, the status and who logged and decided (what the
transparency report counts). Sealed (AES-256-GCM under the request's own ``disclosure`` record in the vault): the
agency's name, the officer, the process's reference, the scope (which subjects, which records, the search asked
for), counsel's notes. A copy of the database does not tell which applicant an agency asked about.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityid.disclosure import law_enforcement as rules


class AgencyType(models.TextChoices):
    LOCAL_POLICE = "local_police", _("Local police")
    STATE_POLICE = "state_police", _("State police")
    FEDERAL_LAW_ENFORCEMENT = "federal_law_enforcement", _("Federal law enforcement")
    FEDERAL_IMMIGRATION = "federal_immigration", _("Federal immigration enforcement")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    COURT = "court", _("Court")
    OTHER_GOVERNMENT = "other_government", _("Other government agency")
    OTHER = "other", _("Other")


class LegalProcess(models.TextChoices):
    ADMINISTRATIVE_SUBPOENA = "administrative_subpoena", _("Administrative subpoena")
    JUDICIAL_SUBPOENA = "judicial_subpoena", _("Judicial subpoena")
    JUDICIAL_WARRANT = "judicial_warrant", _("Judicial warrant")
    COURT_ORDER = "court_order", _("Court order")


class RequestStatus(models.TextChoices):
    LOGGED = rules.LOGGED, _("Logged, awaiting counsel")
    UNDER_REVIEW = rules.UNDER_REVIEW, _("Under counsel's review")
    CHALLENGED = rules.CHALLENGED, _("Challenged in court")
    REFUSED = rules.REFUSED, _("Refused")
    PRODUCING = rules.PRODUCING, _("Producing as ordered")
    PRODUCED = rules.PRODUCED, _("Produced")
    WITHDRAWN = rules.WITHDRAWN, _("Withdrawn by the agency")
    CLOSED = rules.CLOSED, pgettext_lazy("law enforcement", "Closed")


class RequestChange(models.TextChoices):
    REVIEW = rules.REVIEW, _("Start review")
    REFUSE = rules.REFUSE, _("Refuse")
    CHALLENGE = rules.CHALLENGE, _("Challenge")
    PRODUCE = rules.PRODUCE, _("Produce as ordered")
    FINISH = rules.FINISH, _("Finish production")
    WITHDRAW = rules.WITHDRAW, _("Withdrawn by the agency")
    CLOSE = rules.CLOSE, _("Close")


class ItemKind(models.TextChoices):
    RECORD = "record", _("Application data and documents presented")
    PHOTO = "photo", _("Photo")


class LawEnforcementRequest(models.Model):
    """One request presented by a law-enforcement agency. ``details`` is the sealed part, once opened for counsel
    (agency, officer, reference, scope, notes); else ``None``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency_type = models.CharField(max_length=32, choices=AgencyType.choices)
    legal_process = models.CharField(max_length=32, choices=LegalProcess.choices)
    received_on = models.DateField(db_index=True)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.LOGGED)
    decision = models.CharField(max_length=16, blank=True, help_text="counsel's last decision: refuse, challenge, "
                                                                     "produce, or withdraw; empty while pending")
    record = models.ForeignKey("vault.RecordKey", on_delete=models.SET_NULL, null=True, related_name="+",
                               help_text="the 'disclosure' record the details and documents are sealed under")
    sealed_details = models.BinaryField(null=True)
    sealed_order = models.BinaryField(null=True, help_text="the ordered scope, fixed by counsel's decision")
    subjects_requested = models.PositiveSmallIntegerField(default=0)
    items_ordered = models.PositiveSmallIntegerField(default=0)
    gag_order = models.BooleanField(default=False, help_text="a court forbids notice to the applicant")
    gag_until = models.DateField(null=True, blank=True, help_text="empty with a gag order: until further order")
    notice_on = models.DateField(null=True, blank=True, help_text="when the applicant was given notice")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  related_name="+", help_text="empty for the host operator")
    logged_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    details: dict | None = None  # not a column: the opened sealed details
    ordered: dict | None = None  # not a column: the opened ordered scope

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["status", "-received_on"], name="le_request_status")]

    def __str__(self) -> str:
        return f"law-enforcement request {self.number}"

    @property
    def ref(self) -> str:
        """The pseudonymous id the audit log and the purpose of reads use."""
        return f"le_request:{self.public_id}"

    @property
    def number(self) -> str:
        return f"LE-{self.received_on:%Y}-{self.pk:05d}" if self.pk else "LE-new"


class LawEnforcementDocument(models.Model):
    """A document of the process (the subpoena, warrant or order; correspondence), cleaned and sealed as a blob
    of the request's record."""

    request = models.ForeignKey(LawEnforcementRequest, on_delete=models.CASCADE, related_name="documents")
    blob = models.ForeignKey("vault.Blob", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"document {self.pk} of {self.request_id}"


class ProducedItem(models.Model):
    """One item produced: which subject and kind are sealed; ``digest`` (HMAC under the request's data key of the
    subject and kind) makes each item producible once without naming the subject in the clear.

    Created, then read through the purpose-bound selector (purpose ``le_request:<uuid>``), then ``read_at`` set,
    all in one transaction: an item waiting with ``read_at`` empty is what lets that one read through."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(LawEnforcementRequest, on_delete=models.CASCADE, related_name="produced")
    digest = models.BinaryField(max_length=32)
    subject_digest = models.BinaryField(max_length=32, help_text="HMAC of the subject alone (the purpose check)")
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    sealed_item = models.BinaryField(help_text="the subject's pseudonymous id, sealed")
    produced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    produced_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0, help_text="bytes handed over")
    sha256 = models.CharField(max_length=64, blank=True, help_text="of the file handed over (chain of custody)")

    class Meta:
        ordering = ["produced_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "digest"], name="le_item_produced_once")]

    def __str__(self) -> str:
        return f"item {self.pk} of {self.request_id}"
