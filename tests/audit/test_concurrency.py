"""Concurrent writers and integrators on PostgreSQL: indexes stay contiguous and the tree stays right."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from cityid.audit import merkle, services
from cityid.audit.models import AuditEntry, TreeTile
from cityid.audit.store import TileStore
from cityid.audit.verify import verify_log

WRITERS = 3
EVENTS = 40


def _run(target, errors: list) -> threading.Thread:
    def body():
        try:
            target()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_and_integration():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections to one database: PostgreSQL run only")
    errors: list = []
    start = threading.Barrier(WRITERS + 2)

    def writer(number: int):
        def run():
            start.wait()
            for i in range(EVENTS):
                if i % 10 == 9:
                    services.append_entries([{"actor": f"staff:{number}", "action": "bulk"}] * 5)
                elif i % 7 == 6:
                    try:
                        with transaction.atomic():
                            services.record_event(actor=None, action="rolled.back")
                            raise RuntimeError
                    except RuntimeError:
                        pass
                else:
                    with transaction.atomic():
                        services.record_event(actor=None, action="event", target=f"w{number}:{i}")
        return run

    def integrator():
        start.wait()
        for _ in range(30):
            services.integrate(batch=7)

    def verifier():
        start.wait()
        for _ in range(5):
            verify_log()  # a snapshot that holds while the log grows
            services.make_checkpoint()

    threads = [_run(writer(n), errors) for n in range(WRITERS)] + [_run(integrator, errors), _run(verifier, errors)]
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    indexes = list(AuditEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(len(indexes)))
    assert not AuditEntry.objects.filter(action="rolled.back").exists()
    checkpoint = services.make_checkpoint()
    assert checkpoint.size == len(indexes)
    leaves = [merkle.entry_leaf_hash(bytes(e), bytes(s))
              for e, s in AuditEntry.objects.order_by("index").values_list("entry", "salt")]
    assert merkle.root(TileStore(), checkpoint.size) == merkle.root_from_leaf_hashes(leaves)
    assert TreeTile.objects.exists()
    verify_log()
