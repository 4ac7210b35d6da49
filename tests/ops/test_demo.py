"""``cityid demo`` leaves a usable demo under purpose binding: the demo clerk holds open cases they can open,
the demo supervisor the decision queue; everyone else's reads are still refused."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from cityid.accounts.models import User
from cityid.enrollment.models import Application
from cityid.enrollment.selectors import PurposeInvalid, open_cases_for, read_applicant
from cityid.enrollment.services import enroll
from tests.conftest import make_input


def test_demo_assigns_seeded_open_cases_to_the_demo_clerk_their_site_and_the_decision_queue(db):
    seeded = [enroll(data=make_input(external_id=f"SYN-0-{i:07d}"), enrolled_by=None, imported=True,
                     today=date(2026, 11, 20)) for i in range(9)]
    assert all(a.in_decision_queue and a.assigned_to_id is None for a in Application.objects.all())

    out = io.StringIO()
    call_command("demo", people=0, no_serve=True, stdout=out)
    assert "3 assigned to demo_clerk, 3 to the site 'demo-center' (My cases); 3 in the decision queue" in (
        out.getvalue())
    clerk, supervisor = User.objects.get(username="demo_clerk"), User.objects.get(username="demo_supervisor")
    assert clerk.site == supervisor.site == "demo-center"
    mine = list(open_cases_for(clerk))
    assert len(mine) == 6
    for application in mine:
        assert read_applicant(applicant=application.applicant, actor=clerk, purpose=application.ref).profile
    queue = [a for a in seeded if a.pk not in {m.pk for m in mine}]
    for application in queue:
        assert read_applicant(applicant=application.applicant, actor=supervisor, purpose=application.ref).profile
        with pytest.raises(PurposeInvalid):
            read_applicant(applicant=application.applicant, actor=clerk, purpose=application.ref)

    call_command("demo", people=0, no_serve=True, stdout=io.StringIO())  # a second run changes nothing
    assert len(list(open_cases_for(clerk))) == 6


def test_the_printed_enrolment_links_open_where_the_demo_serves(db, monkeypatch, settings):
    monkeypatch.delenv("CITYID_BASE_URL", raising=False)
    settings.CITYID_BASE_URL = "http://127.0.0.1:8000"  # the command's change stays inside this override
    out = io.StringIO()
    call_command("demo", people=0, no_serve=True, addrport="127.0.0.1:8123", stdout=out)
    links = [line for line in out.getvalue().splitlines() if "/accounts/enrol/" in line]
    assert links and all("http://127.0.0.1:8123/accounts/enrol/" in line for line in links)


def test_the_demo_publishes_the_card_keys_status_list_and_a_first_statistics_release(db, client):
    """A partner opening /verify/ in the demo has keys and a status list to check against; /stats/ has numbers.
    A second start publishes no second release."""
    from cityid.reports.selectors import releases

    call_command("demo", people=0, no_serve=True, stdout=io.StringIO())
    assert client.get("/.well-known/cityid/keys").json()["keys"]
    assert client.get("/.well-known/cityid/status").status_code == 200
    assert len(releases()) == 1
    assert "No statistics have been published yet" not in client.get("/stats/").content.decode()
    call_command("demo", people=0, no_serve=True, stdout=io.StringIO())
    assert len(releases()) == 1


def test_public_pages_do_not_carry_the_staff_warning(db, client):
    for path in ("/stats/", "/verify/", "/foil/", "/accounts/login/"):
        page = client.get(path).content.decode()
        assert "Authorized staff only" not in page and "Official city website" in page, path
