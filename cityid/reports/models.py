"""Published statistics: each release's tables as published (never the true counts behind a suppressed
cell), kept so that later releases can be checked against them, and the differential-privacy budget."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseMode(models.TextChoices):
    SUPPRESSED = "suppressed", _("Exact counts, small cells suppressed")
    PRIVATE = "private", _("Differentially private counts")


class PrivacyBudget(models.Model):
    """The privacy-loss budget (ε) the differentially private releases of the statistics draw on: once
    spent, no further private release is made."""

    name = models.CharField(max_length=32, unique=True)
    epsilon = models.FloatField(help_text="the total privacy loss allowed")
    spent = models.FloatField(default=0.0, help_text="the sum of the ε of the releases made")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"budget {self.name}: {self.spent}/{self.epsilon}"

    @property
    def remaining(self) -> float:
        return max(0.0, self.epsilon - self.spent)


class Release(models.Model):
    """One publication of the statistics for a period: all its tables together."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mode = models.CharField(max_length=16, choices=ReleaseMode.choices)
    start = models.DateField()
    end = models.DateField()
    threshold = models.PositiveSmallIntegerField(help_text="suppression threshold (mode suppressed)")
    epsilon = models.FloatField(null=True, blank=True, help_text="ε spent (mode private)")
    budget = models.ForeignKey(PrivacyBudget, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="releases")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"release {self.public_id} ({self.mode}, {self.start}..{self.end})"


class ReleasedTable(models.Model):
    """One table of a release as published: ``cells`` maps each cell to its count or null (suppressed)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="tables")
    dimension = models.CharField(max_length=32)
    cells = models.JSONField()
    total = models.IntegerField(null=True, blank=True, help_text="null: withheld")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "dimension"], name="one_table_per_dimension")]

    def __str__(self) -> str:
        return f"{self.dimension} of {self.release_id}"
