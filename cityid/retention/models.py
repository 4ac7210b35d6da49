"""Retention schedules, legal holds, disposition runs and destruction certificates."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityid.vault.models import RecordClass, RecordKey


class Trigger(models.TextChoices):
    SUBMITTED = "submitted", _("Application submitted")
    DECIDED = "decided", _("Application decided")
    CARD_EXPIRED = "card_expired", _("Card expired")


class Schedule(models.Model):
    """One version of a retention class's schedule: a period after a trigger event, or a fixed date."""

    record_class = models.CharField(max_length=16, choices=RecordClass.choices)
    version = models.PositiveIntegerField()
    trigger = models.CharField(max_length=16, choices=Trigger.choices, blank=True)
    years = models.PositiveSmallIntegerField(null=True, blank=True)
    fixed_date = models.DateField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record_class", "version"], name="schedule_version_unique")]
        ordering = ["record_class", "-version"]

    def __str__(self) -> str:
        return f"{self.record_class} v{self.version}: {self.describe()}"

    def describe(self) -> str:
        if self.fixed_date:
            return f"on {self.fixed_date.isoformat()}"
        return f"{self.years} years after {self.trigger}"


class LegalHold(models.Model):
    """A legal hold. Its case name, index number, notes and scope are sealed (:mod:`cityid.retention.sealing`);
    once opened for counsel they are the attributes ``case_name``, ``index_number``, ``notes`` and ``scope``."""

    court = models.CharField(max_length=200)
    order_date = models.DateField(null=True, blank=True)
    scope_outline = models.CharField(max_length=400, help_text="the scope without subjects' ids")
    wrapped_key = models.BinaryField(null=True, help_text="the hold's data key, wrapped by the 'legal-holds' key")
    sealed_details = models.BinaryField(null=True, help_text="case name, index number, notes, scope")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    placed_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    # Not columns: the sealed details, once opened for a reader allowed to see them.
    case_name: str | None = None
    index_number: str | None = None
    notes: str | None = None
    scope: str | None = None

    def __str__(self) -> str:
        return f"hold {self.pk}"

    @property
    def key_id(self) -> str:
        return f"hold:{self.pk}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class HeldRecord(models.Model):
    """A record covered by a hold. A record stays held while any of its holds is active."""

    hold = models.ForeignKey(LegalHold, on_delete=models.CASCADE, related_name="held")
    record_key = models.ForeignKey(RecordKey, on_delete=models.CASCADE, related_name="holds")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hold", "record_key"], name="held_once_per_hold")]

    def __str__(self) -> str:
        return f"{self.record_key_id} held by {self.hold_id}"


class RetentionLock(models.Model):
    """A single row that hold changes and disposition steps lock, so they never interleave."""

    def __str__(self) -> str:
        return "retention lock"


class RunStatus(models.TextChoices):
    EXECUTING = "executing", _("Executing")
    DONE = "done", _("Done")


class DispositionRun(models.Model):
    as_of = models.DateField()
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.EXECUTING)
    first_approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    second_approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    cohorts = models.JSONField(default=list, help_text="the cohorts this run destroys, fixed when it starts")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"disposition run {self.pk} as of {self.as_of}"


class CohortState(models.TextChoices):
    KEY_DESTROYED = "key_destroyed", _("Key destroyed")
    DELETED = "deleted", _("Rows and files deleted")


class DestroyedCohort(models.Model):
    """A cohort whose key a run destroyed, with what it held at that moment."""

    run = models.ForeignKey(DispositionRun, on_delete=models.PROTECT, related_name="destroyed")
    cohort = models.CharField(max_length=32)
    record_class = models.CharField(max_length=16)
    key_id = models.CharField(max_length=64)
    records = models.PositiveIntegerField()
    record_ids = models.JSONField(help_text="the destroyed records' pseudonymous uuids, sorted")
    subjects = models.JSONField(default=list, help_text="pseudonymous subject refs, for subject-access answers")
    state = models.CharField(max_length=16, choices=CohortState.choices)
    destroyed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "cohort"], name="cohort_once_per_run")]

    def __str__(self) -> str:
        return f"{self.cohort} destroyed by run {self.run_id}"


class Certificate(models.Model):
    run = models.OneToOneField(DispositionRun, on_delete=models.PROTECT, related_name="certificate")
    document = models.TextField(help_text="the signed certificate as published (JSON)")
    audit_index = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"certificate of run {self.run_id}"


class DispositionRequest(models.Model):
    """The first approval of a disposition run, waiting for a second, different records officer.

    Approving it executes the run (``run`` then names it, or stays empty when nothing was due)."""

    as_of = models.DateField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(DispositionRun, on_delete=models.PROTECT, null=True, blank=True, related_name="requests")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"disposition request {self.pk} as of {self.as_of}"

    @property
    def pending(self) -> bool:
        return self.approved_at is None and self.withdrawn_at is None
