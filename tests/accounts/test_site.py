"""A staff member's site (enrollment center): set by administrators only, a short code, audited."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cityid.accounts.policy import PermissionDenied
from cityid.accounts.services import StaffRefused, set_site
from cityid.audit.models import AuditEntry


def test_an_administrator_sets_a_site_and_it_is_audited(staff):
    clerk = staff["clerk"]
    out = io.StringIO()
    call_command("staff", "site", clerk.username, "--site", "bronx-1", "--actor", staff["admin"].username, stdout=out)
    clerk.refresh_from_db()
    assert clerk.site == "bronx-1" and "bronx-1" in out.getvalue()
    event = AuditEntry.objects.get(action="staff.site")
    assert (event.actor, event.target, event.purpose) == (f"staff:{staff['admin'].pk}", f"staff:{clerk.pk}",
                                                          "site:bronx-1")
    set_site(clerk, site="", by=staff["admin"])
    clerk.refresh_from_db()
    assert clerk.site == ""


@pytest.mark.parametrize("role", ["clerk", "supervisor", "auditor", "records_officer"])
def test_only_administrators_set_sites(staff, role):
    with pytest.raises(PermissionDenied):
        set_site(staff[role], site="bronx-1", by=staff[role])  # not even one's own
    with pytest.raises(CommandError):
        call_command("staff", "site", "clerk1", "--site", "x", "--actor", staff[role].username,
                     stdout=io.StringIO(), stderr=io.StringIO())
    staff["clerk"].refresh_from_db()
    assert staff["clerk"].site == ""


@pytest.mark.parametrize("site", ["../etc", "a b", "x" * 33, "site;drop", "<b>", "-lead", "\u200bbronx"])
def test_a_site_is_a_short_code(staff, site):
    with pytest.raises(StaffRefused):
        set_site(staff["clerk"], site=site, by=staff["admin"])
    staff["clerk"].refresh_from_db()
    assert staff["clerk"].site == "" and not AuditEntry.objects.filter(action="staff.site").exists()
