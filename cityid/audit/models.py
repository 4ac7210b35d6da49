"""The audit log's stored entries. Entries carry pseudonymous identifiers only."""

from django.db import models


class LogHead(models.Model):
    """A single row locked by every append, so that concurrent writers get consecutive indexes."""

    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log head at {self.size}"


class AuditEntry(models.Model):
    index = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=64, db_index=True, help_text="staff:<id>, system:<name> or public")
    role = models.CharField(max_length=32)
    action = models.CharField(max_length=48, db_index=True)
    target = models.CharField(max_length=80, db_index=True, blank=True, help_text="pseudonymous record id")
    purpose = models.CharField(max_length=80, blank=True)
    outcome = models.CharField(max_length=16, default="ok")
    entry = models.BinaryField(help_text="the canonical bytes hashed into the Merkle tree")

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.index} {self.action}"
