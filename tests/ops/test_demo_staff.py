"""`cityid demo` gives a human a way in as each demo role: one enrolment link per account, printed to
the host operator who runs it; never a password or an authenticator secret."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from cityid.accounts.policy import ROLES

pytestmark = pytest.mark.django_db


def _demo() -> str:
    out = io.StringIO()
    call_command("demo", "--people", "0", "--no-serve", stdout=out)
    return out.getvalue()


def test_demo_prints_one_enrolment_link_per_role_and_no_secret():
    printed = _demo()
    links = dict(re.findall(r"^\s+(demo_\w+)\s+(http\S+/accounts/enrol/\S+/)$", printed, re.M))
    assert set(links) == {f"demo_{role}" for role in ROLES}
    assert "one-time password" not in printed and not re.search(r"\b[A-Z2-7]{32}\b", printed)  # no TOTP secret
    path = links["demo_clerk"].split("127.0.0.1:8000", 1)[1]
    assert Client().get(path).status_code == 302  # the link opens the enrolment page

    # Started again before enrolling: fresh links, the old ones no longer work.
    again = dict(re.findall(r"^\s+(demo_\w+)\s+(http\S+)$", _demo(), re.M))
    assert set(again) == set(links) and again["demo_clerk"] != links["demo_clerk"]
    assert Client().get(path).status_code == 404
