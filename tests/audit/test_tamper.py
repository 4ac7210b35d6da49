"""Tampering with the stored log is caught by `cityid audit verify`, naming the first bad index.

Each test builds a log of 600 entries (two full level-0 tiles, a partial one, a level-1
tile) with a signed checkpoint, changes the database as an attacker with write access
would, and expects verification (and where it applies, the next checkpoint) to refuse.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cityid.audit import keys, merkle, note, services, tiles
from cityid.audit.models import AuditEntry, Checkpoint, LogHead, TreeHead, TreeTile
from tests.audit.helpers import fill

SIZE = 600


@pytest.fixture
def log(db):
    services.record_event(actor=None, action="log.start")
    fill(SIZE - 1)
    checkpoint = services.make_checkpoint()
    assert checkpoint.size == SIZE
    call_command("audit", "verify")
    return checkpoint


def _broken_at(index: int) -> None:
    with pytest.raises(CommandError, match=rf"^audit log broken at index {index}: "):
        call_command("audit", "verify")


def _entry(index: int) -> bytearray:
    return bytearray(AuditEntry.objects.values_list("entry", flat=True).get(index=index))


def _set_entry(index: int, data: bytes) -> None:
    AuditEntry.objects.filter(index=index).update(entry=bytes(data))


@pytest.mark.parametrize("position", [0, 5, 40, -20, -2, -1])
def test_one_changed_byte_of_an_entry(log, position):
    data = _entry(17)
    data[position] ^= 0x01
    _set_entry(17, data)
    _broken_at(17)


def test_changed_entry_with_matching_columns_is_caught_by_the_leaf_hash(log):
    data = _entry(300)
    data = data.replace(b'"outcome":"ok"', b'"outcome":"OK"')
    _set_entry(300, data)
    AuditEntry.objects.filter(index=300).update(outcome="OK")
    _broken_at(300)


def test_changed_column_is_caught(log):
    AuditEntry.objects.filter(index=42).update(actor="staff:999")
    _broken_at(42)


def test_changed_target_hash_is_caught(log):
    """An entry whose search key was changed would be hidden from an exact search by its record id."""
    AuditEntry.objects.filter(index=44).update(target_hash=services.target_hash("rec:other"))
    _broken_at(44)


def test_changed_time_column_is_caught(log):
    entry = AuditEntry.objects.get(index=43)
    AuditEntry.objects.filter(index=43).update(at=entry.at + dt.timedelta(microseconds=1))
    _broken_at(43)


def test_deleted_entry(log):
    AuditEntry.objects.filter(index=17).delete()
    _broken_at(17)


def test_swapped_entries(log):
    first, second = _entry(17), _entry(401)
    _set_entry(17, second)
    _set_entry(401, first)
    _broken_at(17)


def test_swapped_rows(log):
    """Swap two whole rows (index column included): the entries' own index fields betray it."""
    AuditEntry.objects.filter(index=20).update(index=10_000)
    AuditEntry.objects.filter(index=21).update(index=20)
    AuditEntry.objects.filter(index=10_000).update(index=21)
    _broken_at(20)


def test_truncated_log_with_the_head_adjusted(log):
    AuditEntry.objects.filter(index__gte=590).delete()
    LogHead.objects.filter(pk=1).update(size=590)
    _broken_at(590)


def test_truncated_log_with_the_tree_rebuilt_is_caught_by_the_checkpoint(log):
    """The attacker also rewinds the tree and rebuilds its tiles: the signed checkpoint still says 600."""
    AuditEntry.objects.filter(index__gte=590).delete()
    LogHead.objects.filter(pk=1).update(size=590)
    TreeTile.objects.all().delete()
    TreeHead.objects.filter(pk=1).update(size=0)
    assert services.integrate() == 590
    _broken_at(590)
    with pytest.raises(services.LogInconsistent, match="600 entries but the tree holds 590"):
        services.make_checkpoint()


def test_changed_leaf_hash_in_a_tile(log):
    tile = TreeTile.objects.get(level=0, index=1)
    data = bytearray(tile.nodes)
    data[5 * 32] ^= 0xFF  # leaf hash of entry 256 + 5
    TreeTile.objects.filter(pk=tile.pk).update(nodes=bytes(data))
    _broken_at(261)


def test_changed_inner_node_in_a_tile(log):
    tile = TreeTile.objects.get(level=0, index=2)  # partial: 88 hashes wide
    data = bytearray(tile.nodes)
    offset = tiles.sublevel_offset(88, 3) + 2 * 32  # node (3, 66): entries 528..535
    data[offset] ^= 0xFF
    TreeTile.objects.filter(pk=tile.pk).update(nodes=bytes(data))
    _broken_at(528)


def test_extra_tile_rows(log):
    TreeTile.objects.create(level=0, index=7, width=1, nodes=b"\x00" * 32)
    _broken_at(7 * 256)


def test_rewritten_history_is_refused_by_the_next_checkpoint(log):
    """Rewrite an early entry and rebuild the whole tree from it: the new tree is self-consistent,
    but not an extension of the signed checkpoint, so no new checkpoint is signed and verify fails."""
    data = _entry(5).replace(b'"action":"personal.read"', b'"action":"personal.rEad"')
    _set_entry(5, data)
    AuditEntry.objects.filter(index=5).update(action="personal.rEad")
    TreeTile.objects.all().delete()
    TreeHead.objects.filter(pk=1).update(size=0)
    fill(10, prefix="after")
    with pytest.raises(services.LogInconsistent, match="not consistent with checkpoint"):
        services.make_checkpoint()
    with pytest.raises(CommandError, match="audit log inconsistent: .*not consistent"):
        call_command("audit", "checkpoint")
    _broken_at(0)  # no checkpoint vouches for anything before the rewrite's checkpoint
    assert Checkpoint.objects.count() == 1


def _signed_with_the_log_key(body: str) -> str:
    signer = keys.signer()
    return note.sign_note_with(body, keys.origin(), signer.public_key(), signer.sign)


def test_forged_checkpoint_with_the_log_key_is_caught(log, settings):
    """A validly signed checkpoint whose root is not the log's at its size (a key thief's fork)."""
    fake_root = merkle.leaf_hash(b"fork")
    body = note.checkpoint_body(settings.CITYID_LOG_ORIGIN, 300, fake_root)
    Checkpoint.objects.create(size=300, root=fake_root, note=_signed_with_the_log_key(body))
    with pytest.raises(CommandError, match=r"^audit log broken at index 0: checkpoint #\d+ \(size 300\)"):
        call_command("audit", "verify")


def test_forged_checkpoint_beyond_the_log_blocks_signing(log, settings):
    body = note.checkpoint_body(settings.CITYID_LOG_ORIGIN, 700, merkle.leaf_hash(b"future"))
    Checkpoint.objects.create(size=700, root=merkle.leaf_hash(b"future"), note=_signed_with_the_log_key(body))
    with pytest.raises(services.LogInconsistent, match="700 entries but the tree holds 600"):
        services.make_checkpoint()
    _broken_at(600)  # covers entries the log does not hold
    fill(200)
    with pytest.raises(services.LogInconsistent, match="not consistent with checkpoint"):
        services.make_checkpoint()
    _broken_at(600)  # the checkpoint at 600 matches; the one at 700 does not


def test_checkpoint_signed_by_another_key(log, settings):
    other_key, _ = note.generate_signer_key(settings.CITYID_LOG_ORIGIN)
    name, private_key = note.parse_signer_key(other_key)
    body = note.checkpoint_body(settings.CITYID_LOG_ORIGIN, SIZE, bytes(log.root))
    Checkpoint.objects.create(size=SIZE, root=bytes(log.root), note=note.sign_note(body, name, private_key))
    with pytest.raises(CommandError, match="does not verify with the log's key"):
        call_command("audit", "verify")
    with pytest.raises(services.LogInconsistent, match="does not verify"):
        services.make_checkpoint()


def test_checkpoint_row_differing_from_its_note(log):
    Checkpoint.objects.filter(pk=log.pk).update(size=599)
    with pytest.raises(CommandError, match="differs from its signed note"):
        call_command("audit", "verify")


def test_external_checkpoint_of_a_forked_log(log, settings, tmp_path):
    """A checkpoint a witness kept, checked with `verify --checkpoint FILE`."""
    kept = tmp_path / "kept-checkpoint"
    kept.write_text(log.note)
    call_command("audit", "verify", "--checkpoint", str(kept))
    body = note.checkpoint_body(settings.CITYID_LOG_ORIGIN, SIZE, merkle.leaf_hash(b"fork"))
    kept.write_text(_signed_with_the_log_key(body))
    with pytest.raises(CommandError, match=rf"^audit log broken at index 0: {kept} \(size {SIZE}\)"):
        call_command("audit", "verify", "--checkpoint", str(kept))


# --------------------------------------------------------------------------- salts and commitments


def _salt(index: int) -> bytes:
    return bytes(AuditEntry.objects.values_list("salt", flat=True).get(index=index))


def test_changed_salt_is_caught(log):
    salt = bytearray(_salt(250))
    salt[3] ^= 0x80
    AuditEntry.objects.filter(index=250).update(salt=bytes(salt))
    _broken_at(250)


def test_swapped_salts_are_caught(log):
    first, second = _salt(10), _salt(11)
    AuditEntry.objects.filter(index=10).update(salt=second)
    AuditEntry.objects.filter(index=11).update(salt=first)
    _broken_at(10)


def test_salt_of_the_wrong_length_is_caught(log):
    AuditEntry.objects.filter(index=77).update(salt=_salt(77)[:16])
    with pytest.raises(CommandError, match=r"^audit log broken at index 77: the entry's salt is 16 bytes"):
        call_command("audit", "verify")


def test_removed_salt_is_caught(log):
    """Turning a salted entry back into the unsalted (pre-commitment) form is refused outright."""
    entry = AuditEntry.objects.get(index=90)
    AuditEntry.objects.filter(index=90).update(salt=b"")
    with pytest.raises(CommandError, match=r"^audit log broken at index 90: the entry has no salt, but entries "
                                           r"from 0 on are salted"):
        call_command("audit", "verify")
    # Even with the tree rebuilt over the unsalted leaf, the old checkpoint does not match.
    assert merkle.entry_leaf_hash(bytes(entry.entry), b"") != merkle.entry_leaf_hash(bytes(entry.entry),
                                                                                     bytes(entry.salt))


def test_changed_commitment_in_a_tile_is_caught(log):
    """A published leaf (the commitment's leaf hash) that the entry and its salt do not give."""
    tile = TreeTile.objects.get(level=0, index=1)
    nodes = bytearray(tile.nodes)
    position = 300 - 256
    nodes[position * 32 : (position + 1) * 32] = merkle.leaf_hash(b"\x00" * 32)
    TreeTile.objects.filter(pk=tile.pk).update(nodes=bytes(nodes))
    _broken_at(300)


def test_changed_entry_and_salt_together_are_caught(log):
    """Rewriting an entry with a new salt of the right length still leaves another leaf."""
    data = _entry(400).replace(b'"outcome":"ok"', b'"outcome":"no"')
    _set_entry(400, data)
    AuditEntry.objects.filter(index=400).update(outcome="no", salt=b"\x01" * merkle.SALT_SIZE)
    _broken_at(400)
