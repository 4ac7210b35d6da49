"""The audit log's stored entries, Merkle tree tiles and signed checkpoints.

Entries carry pseudonymous identifiers only. Three kinds of row:

* :class:`AuditEntry` - one per event, appended in the caller's transaction with the next
  index (:class:`LogHead` is the counter every append locks);
* :class:`TreeTile` - the RFC 6962 node hashes, grouped as C2SP tlog-tiles of height 8 and
  written by the integrator (:class:`TreeHead` records how many entries are hashed in);
* :class:`Checkpoint` - each signed checkpoint the log has published.
"""

from django.db import models
from django.utils import timezone


class LogHead(models.Model):
    """A single row (pk 1) locked by every append, so that concurrent writers get consecutive indexes."""

    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log head: {self.size} entries"


class LogIndexField(models.PositiveBigIntegerField):
    """A 64-bit entry index that SQLite stores as the table's rowid (declared ``integer``).

    As the primary key it then costs no index of its own, which is most of what keeps a bulk
    append fast there; PostgreSQL gets the usual ``bigint``.
    """

    def db_type(self, connection):
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AuditEntry(models.Model):
    """One logged event: its canonical bytes (``entry``), its salt and, for searching, the same fields as columns.

    Entry, salt and columns are for auditors (and a subject, their own entries): the public
    gets only the tree of salted commitments (checkpoints, hash tiles, proofs).

    Exact searches by record id go through ``target_hash`` rather than an index on ``target``:
    record ids are random, so every append lands on a random page of that index, and an 8-byte
    key halves that cost against a ~46-character one on a bulk append.
    """

    index = LogIndexField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=64, db_index=True, help_text="staff:<id>, system:<name> or public")
    role = models.CharField(max_length=32)
    action = models.CharField(max_length=48, db_index=True)
    target = models.CharField(max_length=80, blank=True, help_text="pseudonymous record id")
    target_hash = models.BigIntegerField(
        db_index=True, default=0,
        help_text="64-bit hash of target: what an exact search by record id looks up (services.target_hash)",
    )
    purpose = models.CharField(max_length=80, blank=True)
    outcome = models.CharField(max_length=16, default="ok")
    entry = models.BinaryField(help_text="the canonical bytes hashed into the Merkle tree")
    salt = models.BinaryField(
        default=b"",
        help_text="32 random bytes; the tree's leaf is over SHA-256(salt || entry) (merkle.entry_leaf_hash). "
        "Never published. Empty for entries logged before salted commitments (their leaf is over the entry)",
    )

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.index} {self.action}"


class TreeHead(models.Model):
    """A single row (pk 1): how many entries the integrator has hashed into the tiles.

    Locked by the integrator and by checkpoint signing, never by appends, so that hashing a
    batch does not hold up the transactions that record events.
    """

    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"tree head: {self.size} entries"


class TreeTile(models.Model):
    """One C2SP tlog-tile: 256 node hashes of tree level ``8 * level``, and the 7 levels above them.

    ``nodes`` is the tile's ``width`` level-0 hashes (exactly what ``/audit/tile/...`` serves)
    followed by its complete inner nodes, level by level: ``width >> 1`` hashes of the level
    above, then ``width >> 2``, ... ``width >> 7``. Keeping the inner levels makes every proof a
    lookup with no rehashing. A tile is rewritten while it grows and never changes once full
    (``width == 256``).
    """

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    width = models.PositiveSmallIntegerField()
    nodes = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="audit_tile_unique")]
        ordering = ["level", "index"]

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index} ({self.width})"


class Checkpoint(models.Model):
    """A signed C2SP tlog-checkpoint the log produced. Each one is consistent with the one before."""

    size = models.PositiveBigIntegerField(db_index=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField(help_text="the signed note, exactly as served")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["size", "pk"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"
