"""Attacks through the address bar: hostile page numbers, dates at and past the calendar's ends, filters with
markup, on every paginated or filtered staff page, as each role that may see it. None may give a 500, show the
markup, or echo a hostile value unescaped."""

from __future__ import annotations

import pytest

from tests.audit.helpers import sign_in
from tests.ui.site import seed_site

pytestmark = pytest.mark.django_db

PAGES = ["9" * 5000, "-1", "0", "1e9", "\u0661\u0662", "1.5", "%00", "' OR 1=1 --", ""]
DATES = ["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "0000-00-00", "-2026-01-01",
         "2026-1-1", "\u0662\u0660\u0662\u0666-01-01", "1" * 400]
MARKUP = '"><script>alert(1)</script>'

PAGED = ["/enrollment/queue/", "/enrollment/cases/", "/enrollment/read-alerts/", "/cards/",
         "/retention/schedules/", "/retention/disposition/", "/retention/certificates/", "/retention/holds/",
         "/audit/events/", "/accounts/staff/"]


def _urls() -> list[str]:
    urls = [f"{path}?page={value}" for path in PAGED for value in PAGES]
    urls += [f"/retention/preview/?as_of={value}" for value in DATES]
    urls += [f"/retention/preview/?as_of=2017-01-02&page={value}" for value in PAGES[:3]]
    urls += [f"/audit/events/?since={value}" for value in DATES]
    urls += [f"/audit/events/?until={value}" for value in DATES]
    urls += ["/audit/events/?since=9999-12-31&until=0001-01-01", "/audit/events/?since=9999-12-31&until=9999-12-31"]
    urls += [f"/cards/?status={MARKUP}", f"/retention/holds/?status={MARKUP}", f"/accounts/staff/?role={MARKUP}",
             f"/audit/events/?action={MARKUP}", f"/audit/events/?actor={MARKUP}", f"/audit/events/?target={MARKUP}"]
    return urls


def test_attack_hostile_query_values_never_break_a_page(staff):
    site = seed_site(staff)
    users = {**staff, "second_officer": site.second_officer}
    clients = {role: sign_in(user) for role, user in users.items()}
    failures = []
    for url in _urls():
        for role, client in clients.items():
            response = client.get(url.replace("%00", "%2500"))
            if response.status_code >= 500:
                failures.append((url[:80], role, response.status_code))
            elif response.status_code == 200 and b"<script>alert(1)</script>" in response.content:
                failures.append((url[:80], role, "markup echoed"))
    assert failures == []


HUGE = "9" * 30


def test_attack_out_of_range_ids_in_paths_are_404s_not_500s(staff):
    site = seed_site(staff)
    users = {**staff, "second_officer": site.second_officer}
    waiting = next(p for p, _d, _w in site.confirms if p.startswith("/enrollment/")).split("/")[3]
    gets = {
        "supervisor": [f"/cards/{HUGE}/", f"/enrollment/applications/{waiting}/scans/{HUGE}/"],
        "admin": [f"/accounts/staff/{HUGE}/"],
        "records_officer": [f"/retention/certificates/{HUGE}/"],
        "counsel": [f"/retention/holds/{HUGE}/"],
        "auditor": [f"/audit/events/{HUGE}/"],
    }
    posts = {
        "supervisor": [(f"/cards/{HUGE}/status/", {"change": "revoke", "revoke-reason": "fraud", "confirmed": "yes"})],
        "admin": [(f"/accounts/staff/{HUGE}/{action}/", {"reason": "left", "confirmed": "yes"})
                  for action in ("deactivate", "reactivate", "reset-mfa", "unlock", "resend")]
                 + [(f"/accounts/staff/changes/{HUGE}/{action}/", {}) for action in ("approve", "withdraw")],
        "second_officer": [(f"/retention/disposition/{HUGE}/approve/", {"confirmed": "yes"})],
    }
    failures = []
    for role in set(gets) | set(posts):
        client = sign_in(users[role])
        for url in gets.get(role, []):
            if client.get(url).status_code >= 500:
                failures.append(("GET", url, role))
        for url, data in posts.get(role, []):
            if client.post(url, data).status_code >= 500:
                failures.append(("POST", url, role))
    assert failures == []
