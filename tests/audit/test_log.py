"""The stored audit log: appends in the caller's transaction, integration, checkpoints, the signing key."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction

from cityid.audit import keys, merkle, note, selectors, services
from cityid.audit.models import AuditEntry, Checkpoint, LogHead, TreeHead, TreeTile
from cityid.audit.store import TileStore
from cityid.audit.verify import verify_log
from tests.audit.helpers import fill


def _entries() -> list[bytes]:
    return [bytes(e) for e in AuditEntry.objects.order_by("index").values_list("entry", flat=True)]


def _leaves() -> list[bytes]:
    """Each entry's leaf hash, from its bytes and salt: SHA-256(0x00 || SHA-256(salt || entry))."""
    return [merkle.leaf_hash(hashlib.sha256(bytes(salt) + bytes(entry)).digest())
            for entry, salt in AuditEntry.objects.order_by("index").values_list("entry", "salt")]


def test_rolled_back_event_is_not_logged_and_its_index_is_reused(db):
    services.record_event(actor=None, action="first")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_event(actor=None, action="rolled.back")
        raise RuntimeError("the change fails")
    services.record_event(actor=None, action="second")
    rows = list(AuditEntry.objects.values_list("index", "action"))
    assert rows == [(0, "first"), (1, "second")]
    assert LogHead.objects.get(pk=1).size == 2
    verify_log()


@pytest.mark.django_db(transaction=True)
def test_commit_and_rollback_with_real_transactions():
    with transaction.atomic():
        services.record_event(actor=None, action="kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.append_entries([{"actor": "system:x", "action": "lost"}] * 3)
        raise RuntimeError
    services.record_event(actor=None, action="kept.too")  # autocommit: its own transaction
    assert list(AuditEntry.objects.values_list("index", "action")) == [(0, "kept"), (1, "kept.too")]
    assert services.make_checkpoint().size == 2
    verify_log()


def test_record_event_is_two_queries(db, django_assert_num_queries):
    services.record_event(actor=None, action="warm")  # creates the head row after a flush
    with django_assert_num_queries(2):
        services.record_event(actor=None, action="login.success", target="staff:4")


def test_entry_bytes_are_the_canonical_json(db):
    odd = 'quote " backslash \\ tab \t é \u2028 \U0001f600'[:60]
    services.record_event(actor=None, action="x.y", target=odd, purpose="p\n", outcome="denied",
                          actor_id="staff:9")
    row = AuditEntry.objects.get()
    assert row.at.microsecond == 0  # logged to the second
    fields = {"index": 0, "at": row.at.astimezone(dt.UTC).isoformat(timespec="seconds"),
              "actor": "staff:9", "role": "operator", "action": "x.y", "target": odd, "purpose": "p\n",
              "outcome": "denied"}
    assert bytes(row.entry) == services.canonical_entry(fields)


def test_append_entries_validates_and_numbers(db):
    services.record_event(actor=None, action="before")
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    result = services.append_entries([
        {"actor": "staff:1", "action": "a", "at": at},
        {"actor": "staff:2", "action": "b", "role": "clerk", "target": "app:1", "purpose": "review"},
    ])
    assert (result.start, result.stop) == (1, 3)
    assert _entries()[1:] == result.entries
    first = AuditEntry.objects.get(index=1)
    assert first.at == at.replace(microsecond=0) and b'"at":"2026-01-02T08:04:05+00:00"' in bytes(first.entry)
    assert result.salts == [bytes(s) for s in AuditEntry.objects.filter(index__gte=1).values_list("salt", flat=True)]
    assert len(set(result.salts)) == 2 and all(len(s) == merkle.SALT_SIZE for s in result.salts)
    assert services.append_entries([]) == services.Appended(0, [], [])
    for bad, message in (
        ({"actor": "a"}, "an audit entry needs an actor and an action"),
        ({"action": "b"}, "an audit entry needs an actor and an action"),
        ({"actor": "a", "action": "b", "name": "x", "zone": "y"}, "unknown audit entry field(s): name, zone"),
        ({"actor": "a", "action": "b" * 49}, "audit entry field 'action' must be a string of at most 48 characters"),
        ({"actor": "a", "action": "b", "purpose": "p" * 81},
         "audit entry field 'purpose' must be a string of at most 80 characters"),
        ({"actor": "a", "action": "b", "at": dt.datetime(2026, 1, 1)}, "audit entry times must be timezone-aware"),
        ({"actor": 5, "action": "b"}, "audit entry field 'actor' must be a string"),
        ({"actor": "a", "action": "b", "target": b"app:1"}, "audit entry field 'target' must be a string"),
    ):
        with pytest.raises(ValueError, match=re.escape(message)):
            services.append_entries([{"actor": "ok", "action": "fine"}, bad])
    assert LogHead.objects.get(pk=1).size == 3
    verify_log()


def test_exact_target_search_goes_through_the_target_hash(db):
    services.record_event(actor=None, action="personal.read", target="applicant:aaa")
    services.append_entries([{"actor": "staff:1", "action": "personal.read", "target": t}
                             for t in ("applicant:bbb", "applicant:aaa", "")])
    stored = dict(AuditEntry.objects.values_list("index", "target_hash"))
    assert stored == {0: services.target_hash("applicant:aaa"), 1: services.target_hash("applicant:bbb"),
                      2: services.target_hash("applicant:aaa"), 3: services.target_hash("")}
    assert len(set(stored.values())) == 3
    assert services.target_hash("applicant:aaa") == services.target_hash("applicant:aaa")
    assert -(2**63) <= services.target_hash("applicant:aaa") < 2**63
    assert [e.index for e in selectors.search_events(target="applicant:aaa")] == [2, 0]
    # A colliding hash alone does not match: the target itself is compared too.
    AuditEntry.objects.filter(index=1).update(target_hash=services.target_hash("applicant:aaa"))
    assert [e.index for e in selectors.search_events(target="applicant:aaa")] == [2, 0]


def test_integrate_in_batches_matches_the_reference_tree(db):
    fill(700)
    assert services.tree_size() == 0
    assert services.integrate(batch=300) == 700
    assert TreeHead.objects.get(pk=1).size == 700
    assert set(TreeTile.objects.values_list("level", "index", "width")) == {(0, 0, 256), (0, 1, 256),
                                                                           (0, 2, 188), (1, 0, 2)}
    leaves = _leaves()
    store = TileStore()
    for size in (1, 255, 256, 257, 512, 699, 700):
        assert merkle.root(store, size) == merkle.root_from_leaf_hashes(leaves[:size])
    proof = merkle.inclusion_proof(store, 300, 700)
    assert merkle.verify_inclusion(leaves[300], 300, 700, proof, merkle.root_from_leaf_hashes(leaves))
    fill(100, prefix="more")
    assert services.integrate() == 800
    assert services.integrate() == 800  # nothing pending
    assert merkle.root(TileStore(), 800) == merkle.root_from_leaf_hashes(_leaves())
    report = verify_log()
    assert (report.entries, report.tree_size) == (800, 800)


def test_checkpoints_are_signed_consistent_and_not_repeated(db, settings):
    fill(10)
    first = services.make_checkpoint()
    assert services.make_checkpoint().pk == first.pk  # no growth: the same checkpoint
    fill(5)
    second = services.make_checkpoint()
    assert (first.size, second.size) == (10, 15)
    vkey = keys.verifier_key()
    opened = note.open_checkpoint(second.note, vkey, origin=settings.CITYID_LOG_ORIGIN)
    assert opened.root == bytes(second.root) == merkle.root(TileStore(), 15)
    assert second.note.startswith(f"{settings.CITYID_LOG_ORIGIN}\n15\n")
    proof = selectors.consistency_proof(10, 15)
    assert merkle.verify_consistency(10, 15, bytes(first.root), bytes(second.root),
                                     selectors.decode_hashes(proof["hashes"]))
    assert Checkpoint.objects.count() == 2


def test_empty_log_checkpoint(db, settings):
    checkpoint = services.make_checkpoint()
    assert checkpoint.size == 0 and bytes(checkpoint.root) == merkle.EMPTY_ROOT
    verify_log()


def test_signing_key_file(db, settings):
    path = settings.KEYS_DIR / "signing" / "audit-log-1.pem"
    assert not path.exists()
    vkey = keys.verifier_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.verifier_key() == vkey  # reused, not regenerated
    assert keys.verifier_keys() == [vkey]


def test_an_older_installations_key_file_is_adopted(db, settings, django_capture_on_commit_callbacks):
    """A key file from before rotation keeps signing: checkpoints it signed still verify."""
    old_key, old_vkey = note.generate_signer_key(settings.CITYID_LOG_ORIGIN)
    settings.KEYS_DIR.mkdir(parents=True, exist_ok=True)
    (settings.KEYS_DIR / "audit-log.key").write_text(old_key + "\n")
    with django_capture_on_commit_callbacks(execute=True):
        assert keys.verifier_key() == old_vkey
    assert not (settings.KEYS_DIR / "audit-log.key").exists()  # moved into the key store, not copied


def test_an_older_key_file_of_another_origin_is_refused(db, settings):
    other_key, _ = note.generate_signer_key("other.example")
    settings.KEYS_DIR.mkdir(parents=True, exist_ok=True)
    (settings.KEYS_DIR / "audit-log.key").write_text(other_key + "\n")
    with pytest.raises(ImproperlyConfigured, match="keeps its origin"):
        keys.signer()


def test_commands_checkpoint_prove_integrate_verify(db, capsys):
    services.record_event(actor=None, action="login.failure", actor_id="public", outcome="failed")
    fill(40)
    call_command("audit", "integrate")
    assert "integrated 41 entries; the tree holds 41" in capsys.readouterr().out
    call_command("audit", "checkpoint")
    out = capsys.readouterr().out
    assert out.split("\n")[1] == "41" and "\n\n\u2014 " in out
    call_command("audit", "prove", "--index", "7")
    captured = capsys.readouterr()
    assert '"index": 7' in captured.out and '"size": 41' in captured.out
    assert "verifies against the signed checkpoint" in captured.err
    call_command("audit", "prove", "--index", "3", "--size", "20")
    assert "verifies against the tree root" in capsys.readouterr().err
    with pytest.raises(Exception, match="index=30 must be less than size=20"):
        call_command("audit", "prove", "--index", "30", "--size", "20")
    services.record_event(actor=None, action="after.the.checkpoint")
    with pytest.raises(Exception, match=r"entry 41 is not in the latest signed checkpoint .*`cityid audit checkpoint`"):
        call_command("audit", "prove", "--index", "41")
    call_command("audit", "verify")
    assert "audit log OK: 42 entries" in capsys.readouterr().out


def test_distinct_actions_lists_each_action_once_sorted(db):
    assert selectors.distinct_actions() == []
    services.append_entries([{"actor": "staff:1", "action": action} for action in
                             ("personal.read", "card.issue", "personal.read", "login.success", "card.issue")])
    assert selectors.distinct_actions() == ["card.issue", "login.success", "personal.read"]
