"""Two requests with one form token at the same moment (a double click reaching two server workers) make one
application, on PostgreSQL where they really run side by side."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cityid.enrollment import staging
from cityid.enrollment.models import Application, FormSubmission
from tests.conftest import make_input


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_token_make_one_application(staff):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections to one database: PostgreSQL run only")
    token = "c" * 32
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            start.wait()
            staging.enroll_once(data=make_input(photo=None), enrolled_by=staff["clerk"], token=token, staged=[])
            outcomes.append("enrolled")
        except staging.TokenUsed:
            outcomes.append("token used")
        except BaseException as exc:  # reported by the test thread
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["enrolled", "token used"]
    assert Application.objects.count() == 1
    assert staging.submitted_with(owner=staff["clerk"], token=token) == Application.objects.get()
    assert FormSubmission.objects.count() == 1
