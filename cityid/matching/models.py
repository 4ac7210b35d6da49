"""Matching's rows: which applications are checked, the alerts a fraud analyst reviews, their decisions.

No personal value is stored here: alerts name applicants and applications by foreign key, and their evidence
is field names, comparison levels, weights and counts (``"given_name: exact, +4.1"``), never what was typed.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckStatus(models.TextChoices):
    QUEUED = "queued", _("Queued for checking")
    CHECKED = "checked", _("Checked")


class MatchCheck(models.Model):
    """The duplicate check of one application. Created queued in the transaction that stores the application;
    checked once the matcher has answered. A queued application cannot be approved."""

    application = models.OneToOneField("enrollment.Application", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=CheckStatus.choices, default=CheckStatus.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"match check {self.pk}"


class AlertKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Possible duplicate applicant")
    DOCUMENT = "document_reuse", _("One document number, different people")
    ADDRESS = "address_velocity", _("Many applicants at one address")
    APPROVALS = "approval_outlier", _("Approvals that stand out")


class AlertLevel(models.TextChoices):
    REVIEW = "review", _("Review")
    HOLD = "hold", _("Hold: approval refused until decided")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Decided")


class Decision(models.TextChoices):
    SAME = "same_person", _("Same person")
    DIFFERENT = "different_people", _("Different people")
    FRAUD = "fraud", _("Fraud")
    NO_CONCERN = "no_concern", _("No concern")


class Alert(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    level = models.CharField(max_length=8, choices=AlertLevel.choices, default=AlertLevel.REVIEW)
    status = models.CharField(max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    # The application the alert is about (its approval waits for the decision when held) and its applicant.
    application = models.ForeignKey("enrollment.Application", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+")
    applicant = models.ForeignKey("enrollment.Applicant", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+")
    # A staff member whose approvals stand out (no applicant).
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    score = models.FloatField(null=True, blank=True, help_text="the highest match probability, or a ratio")
    evidence = models.JSONField(default=dict, blank=True, help_text="codes, levels, weights and counts only")
    model_version = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["status", "-created_at"], name="match_alert_queue"),
            models.Index(fields=["status", "-score"], name="match_alert_score"),
        ]

    def __str__(self) -> str:
        return f"alert {self.public_id}"

    @property
    def ref(self) -> str:
        return f"match_alert:{self.public_id}"


class AlertPair(models.Model):
    """One other applicant an alert compares its applicant with, and the analyst's decision on the pair: the
    labels ``cityid match evaluate`` can read."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="pairs")
    other = models.ForeignKey("enrollment.Applicant", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    score = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text="per field: field, level, weight")
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["alert", "position"]
        constraints = [models.UniqueConstraint(fields=["alert", "position"], name="match_pair_position")]

    def __str__(self) -> str:
        return f"pair {self.pk} of {self.alert_id}"
