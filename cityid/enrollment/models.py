"""Applicants and applications. Personal values live only in the sealed columns.

In the clear: ids, workflow state, document types and points, and coarse attributes for
statistics (borough, birth year, gender, languages, address kind). Everything that names
or locates a person is sealed under a vault record's data key.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityid.enrollment.references import new_reference
from cityid.vault.models import Blob, RecordKey


class AddressKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential address")
    CARE_OF = "care_of", _("Care-of address (organisation)")
    NONE = "none", _("No address (card picked up at the enrollment center)")


class Gender(models.TextChoices):
    NONE = "", _("Not shown")
    F = "F", _("F")
    M = "M", _("M")
    X = "X", _("X")


class Borough(models.TextChoices):
    MANHATTAN = "manhattan", _("Manhattan")
    BRONX = "bronx", _("Bronx")
    BROOKLYN = "brooklyn", _("Brooklyn")
    QUEENS = "queens", _("Queens")
    STATEN_ISLAND = "staten_island", _("Staten Island")
    UNKNOWN = "", _("Not recorded")


class Applicant(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    personal_record = models.ForeignKey(
        RecordKey, on_delete=models.SET_NULL, null=True, related_name="+", help_text="class 'application'"
    )
    photo_record = models.ForeignKey(RecordKey, on_delete=models.SET_NULL, null=True, related_name="+")
    photo = models.ForeignKey(Blob, on_delete=models.SET_NULL, null=True, related_name="+")
    sealed_profile = models.BinaryField(null=True)
    # Coarse, non-identifying attributes kept for statistics.
    borough = models.CharField(max_length=16, choices=Borough.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField()
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    languages = models.CharField(max_length=64, blank=True)
    address_kind = models.CharField(max_length=16, choices=AddressKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"applicant {self.public_id}"

    @property
    def ref(self) -> str:
        return f"applicant:{self.public_id}"


class ApplicationType(models.TextChoices):
    NEW = "new", _("New")
    RENEWAL = "renewal", _("Renewal")
    REPLACEMENT = "replacement", _("Replacement")
    UPDATE = "update", _("Update")
    REAPPLICATION = "reapplication", _("Reapplication")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, awaiting decision")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class DenialReason(models.TextChoices):
    INSUFFICIENT_DOCUMENTS = "insufficient_documents", _("Documents do not meet the points requirement")
    DOCUMENT_NOT_VERIFIED = "document_not_verified", _("A document could not be verified")
    NOT_RESIDENT = "not_resident", _("Residency in the city was not shown")
    AGE = "age", _("Applicant does not meet the age requirement")
    CARETAKER = "caretaker", _("Caretaker requirement not met")
    DUPLICATE = "duplicate", _("Applicant already holds a valid card")
    OTHER = "other", _("Other (see appeal notice)")


def new_receipt() -> str:
    """A receipt reference for the applicant, e.g. ``K7Q4M-9X2TB``: 45 random bits and a check symbol
    (:mod:`cityid.enrollment.references`), easy to read out and to type back.

    Never an id the audit log uses, so holding someone's receipt finds nothing in the log.
    """
    return new_reference()


class Application(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receipt = models.CharField(
        max_length=11, unique=True, default=new_receipt, editable=False,
        help_text="the reference on the applicant's receipt; not an id in the audit log",
    )
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="applications")
    type = models.CharField(max_length=16, choices=ApplicationType.choices, default=ApplicationType.NEW)
    status = models.CharField(
        max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED, db_index=True
    )
    submitted_on = models.DateField(db_index=True)
    with_caretaker = models.BooleanField(default=False)
    documents_record = models.ForeignKey(RecordKey, on_delete=models.SET_NULL, null=True, related_name="+")
    sealed_details = models.BinaryField(null=True, help_text="caretaker, emergency contact, card options")
    identity_points = models.PositiveSmallIntegerField(default=0)
    residency_points = models.PositiveSmallIntegerField(default=0)
    eligible = models.BooleanField(default=False)
    rules_version = models.CharField(max_length=32)
    document_copies = models.CharField(max_length=8, help_text="the copy policy in force at enrollment")
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="enrolled_applications"
    )
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="decided_applications"
    )
    denial_reasons = models.JSONField(default=list, blank=True)
    appeal_deadline = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The case's assignment: who may read the applicant through it while it is open (submitted). A new case
    # is held by the clerk who enrolled it and waits in the supervisors' decision queue; a supervisor may
    # move it to one clerk, to a site's queue or back to the decision queue (enrollment.services.assign_case).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_cases"
    )
    assigned_site = models.CharField(max_length=32, blank=True, default="", db_index=True)
    in_decision_queue = models.BooleanField(default=False)

    class Meta:
        ordering = ["submitted_on", "id"]

    def __str__(self) -> str:
        return f"application {self.public_id}"

    @property
    def ref(self) -> str:
        return f"application:{self.public_id}"


class PresentedDocument(models.Model):
    """A document the applicant presented. Under the ``none`` copy policy, ``scan`` is empty."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=32)
    identity_points = models.PositiveSmallIntegerField(default=0)
    residency_points = models.PositiveSmallIntegerField(default=0)
    accepted = models.BooleanField(default=True)
    sealed_details = models.BinaryField(null=True, help_text="number, issuer, expiry")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    scan = models.ForeignKey(Blob, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["application", "position"]

    def __str__(self) -> str:
        return f"{self.type} #{self.position}"


class CleanupProgress(models.Model):
    """How far ``cityid enrollment clean`` has gone through one kind of stored value, so that a run
    stopped anywhere goes on where it stopped and a finished task is not done twice.

    ``until_id``: the highest row id when the task first started; rows above it were stored by code
    that already cleans its input."""

    task = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
    until_id = models.BigIntegerField()
    checked = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"cleanup {self.task}"
class ClosedCaseReason(models.TextChoices):
    """Why a closed (decided) case is opened again: a fixed list, never free text."""

    APPEAL = "appeal", _("Appeal of the decision")
    REPLACEMENT_CARD = "replacement_card", _("Replacement card (lost, stolen or damaged)")
    CORRECTION = "correction", _("Correction of the record")
    SUBJECT_ACCESS = "subject_access", _("Subject-access request by the applicant")
    CARD_STATUS = "card_status", _("Card status change (suspension, reinstatement)")


class ClosedCaseAccess(models.Model):
    """A recorded reason to read the applicant of a closed case: one staff member, one case, a short time.

    Named as the purpose ``closed_case:<public_id>``; the reason code is in the audit log beside it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="closed_case_reasons")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=ClosedCaseReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"closed_case:{self.public_id}"


class ReadWindow(models.TextChoices):
    HOUR = "hour", _("hour")
    DAY = "day", _("day")


class ReadCounter(models.Model):
    """How many personal reads one staff member made in one window (an hour, a day): one row per window,
    incremented in place, so counting costs no scan of the audit log."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    window = models.CharField(max_length=8, choices=ReadWindow.choices)
    starts_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "window", "starts_at"], name="read_counter_once_per_window")
        ]

    def __str__(self) -> str:
        return f"staff:{self.staff_id} {self.window} {self.starts_at:%Y-%m-%dT%H:%M}: {self.count}"


class ReadRateAlert(models.Model):
    """A staff member read more personal records in a window than the alert threshold: no personal data,
    only who, which window and how many. At most one per staff member and window."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    window = models.CharField(max_length=8, choices=ReadWindow.choices)
    starts_at = models.DateTimeField()
    count = models.PositiveIntegerField(help_text="the reads counted when the alert was raised")
    threshold = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "window", "starts_at"], name="read_alert_once_per_window")
        ]

    def __str__(self) -> str:
        return f"read alert staff:{self.staff_id} {self.window} {self.starts_at:%Y-%m-%dT%H:%M}: {self.count}"


class StagedUpload(models.Model):
    """A photo or scan chosen on the enrollment form, kept until the form is submitted or ``expires_at``.

    Cleaned (re-encoded without metadata) when chosen and sealed at once, as the stored files are: the
    file and its name under a fresh data key wrapped by a provider key, bound to this row and its owner.
    Only the clerk who chose it can use it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, help_text="photo or scan")
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="cleaned size in bytes")
    sealed_data = models.BinaryField()
    sealed_name = models.BinaryField(help_text="the file's name as chosen, shown back to its owner")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"staged {self.kind} {self.public_id}"


class FormSubmission(models.Model):
    """The one-time token of one enrollment form and the application its submission made: a second
    request with the same token (a double click, a retry) lands on that application's receipt."""

    token = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, null=True, related_name="form_submission"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"form submission {self.pk}"
