"""Enrolment links: a staff member sets their own password and authenticator through a one-time
link that only they receive. Single use, short-lived, hashed at rest, useless without the token."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from cityid.accounts import services
from cityid.accounts.models import EnrolmentLink, TOTPDevice
from tests.audit.helpers import LOGIN_URL, sign_in
from tests.conftest import complete_enrolment

pytestmark = pytest.mark.django_db

ENROL = "/accounts/enrol/"
PASSWORD = "my own long passphrase 8"


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def _code(secret: str, *, drift: int = 0) -> str:
    import base64

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=drift):06d}"


def _open(client: Client, token: str):
    return client.get(f"{ENROL}{token}/")


def _page_secret(response) -> str:
    return re.search(r'id="enrol-secret">([A-Z2-7]+)<', response.content.decode()).group(1)


def test_the_staff_member_enrols_and_signs_in(db):
    new = services.create_staff(username="newclerk", role="clerk")
    client = Client()
    response = _open(client, _token(new.enrolment_url))
    assert response.status_code == 302 and response["Location"] == ENROL  # the token leaves the address bar
    page = client.get(ENROL)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    body = page.content.decode()
    assert "<svg" in body and "newclerk" in body
    secret = _page_secret(page)

    wrong = client.post(ENROL, {"new_password1": PASSWORD, "new_password2": PASSWORD,
                                "otp_token": "000000" if _code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "not correct" in wrong.content.decode()
    weak = client.post(ENROL, {"new_password1": "short", "new_password2": "short", "otp_token": _code(secret)})
    assert weak.status_code == 200 and "usa-error-message" in weak.content.decode()
    assert not new.user.__class__.objects.get(pk=new.user.pk).has_usable_password()

    TOTPDevice.objects.filter(user=new.user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    done = client.post(ENROL, {"new_password1": PASSWORD, "new_password2": PASSWORD,
                               "otp_token": _code(secret, drift=-1)})
    assert done.status_code == 302 and done["Location"] == LOGIN_URL
    signed_in = Client().post(LOGIN_URL, {"username": "newclerk", "password": PASSWORD, "otp_token": _code(secret)})
    assert signed_in.status_code == 302
    device = TOTPDevice.objects.get(user=new.user)
    assert device.confirmed and device.last_t >= 0

    # Single use: the same link (or the same session) finishes nothing again.
    assert _open(Client(), _token(new.enrolment_url)).status_code == 404
    assert client.get(ENROL).status_code == 404


def test_forged_expired_and_used_links_look_the_same(db):
    expired = services.create_staff(username="late", role="clerk")
    EnrolmentLink.objects.filter(user=expired.user).update(expires_at=timezone.now() - timedelta(seconds=1))
    used = services.create_staff(username="done", role="clerk")
    from tests.conftest import complete_enrolment

    complete_enrolment(used)
    pages = [_open(Client(), token) for token in
             (_token(expired.enrolment_url), _token(used.enrolment_url), "forged" * 7, "x" * 500)]
    assert {p.status_code for p in pages} == {404}
    mains = {re.search(r"<main.*</main>", p.content.decode(), re.S).group(0) for p in pages}
    assert len(mains) == 1  # nothing tells an expired or used link from a forged one
    body = mains.pop()
    assert "This link does not work" in body
    assert "late" not in body and "done" not in body and "Enrollment clerk" not in body


def test_the_link_is_short_lived_by_setting(db, settings):
    settings.CITYID_ENROLMENT_HOURS = 2
    new = services.create_staff(username="newclerk", role="clerk")
    link = EnrolmentLink.objects.get(user=new.user)
    assert timedelta(hours=1, minutes=59) < link.expires_at - link.created_at <= timedelta(hours=2)


def test_the_token_is_hashed_at_rest(db):
    new = services.create_staff(username="newclerk", role="clerk")
    token = _token(new.enrolment_url)
    link = EnrolmentLink.objects.get(user=new.user)
    assert bytes(link.token_hash) == hashlib.sha256(token.encode()).digest()
    row = repr(EnrolmentLink.objects.filter(pk=link.pk).values().get())
    assert token not in row and token.encode() not in bytes(link.token_hash)


def test_an_admin_session_cannot_finish_someone_elses_enrolment(staff):
    new = services.create_staff(username="newclerk", role="clerk")
    admin = sign_in(staff["admin"])
    assert admin.get(ENROL).status_code == 404
    response = admin.post(ENROL, {"new_password1": PASSWORD, "new_password2": PASSWORD, "otp_token": "123456"})
    assert response.status_code == 404 and "newclerk" not in response.content.decode()
    for guess in ("1", str(EnrolmentLink.objects.get(user=new.user).pk)):
        assert admin.get(f"{ENROL}{guess}/").status_code == 404
    new.user.refresh_from_db()
    assert not new.user.has_usable_password()
    # Opening the real link signs the administrator out first: the enrolment is never theirs.
    admin.get(f"{ENROL}{_token(new.enrolment_url)}/")
    assert admin.get("/accounts/staff/").status_code == 302


def test_a_new_link_or_a_deactivation_ends_the_old_link(staff):
    new = services.create_staff(username="newclerk", role="clerk")
    fresh = services.reissue_link(new.user)
    assert _open(Client(), _token(new.enrolment_url)).status_code == 404
    assert _open(Client(), _token(fresh)).status_code == 302
    services.deactivate_staff(new.user, by=staff["admin"], reason="left")
    assert _open(Client(), _token(fresh)).status_code == 404


def test_a_link_is_emailed_through_smtp(staff, settings, django_capture_on_commit_callbacks):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port (the controller checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = False
        second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
        with django_capture_on_commit_callbacks(execute=True):
            change = services.add_staff(username="printer2", role="foil_officer",
                                        email="printer2@staff.example.invalid", by=staff["admin"])
            services.approve_change(request_id=change.pk, by=second)  # every role needs a second administrator
    finally:
        controller.stop()
    [(recipients, message)] = received
    assert recipients == ["printer2@staff.example.invalid"]
    token = re.search(r"/accounts/enrol/([^/\s]+)/", message).group(1)
    assert services.usable_link(token).user.username == "printer2"


def test_a_failing_mail_server_is_no_crash(staff, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    client = sign_in(staff["admin"])
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    response = client.post("/accounts/staff/new/", {"username": "printer3", "role": "foil_officer",
                                                    "email": "printer3@staff.example.invalid"})
    assert response.status_code == 302
    from cityid.accounts.selectors import pending_changes

    change = pending_changes().get()
    with django_capture_on_commit_callbacks(execute=True):  # the approval makes the account and mails its link
        response = sign_in(second).post(f"/accounts/staff/changes/{change.pk}/approve/")
    assert response.status_code == 302
    assert services.get_user_model().objects.filter(username="printer3").exists()


def test_a_used_link_finishes_nothing_again(db):
    new = services.create_staff(username="newclerk", role="clerk")
    link = services.usable_link(_token(new.enrolment_url))
    device = services.enrolment_device(link)
    first = services.complete_enrolment(link_id=link.pk, password=PASSWORD, code=_code(device.secret, drift=-1))
    assert first.pk == new.user.pk
    with pytest.raises(services.EnrolmentFailed):
        services.complete_enrolment(link_id=link.pk, password="another passphrase 99", code=_code(device.secret))
    first.refresh_from_db()
    assert first.check_password(PASSWORD)


def test_one_admin_may_email_a_new_link_only_to_an_account_that_never_enrolled(
        staff, mailoutbox, django_capture_on_commit_callbacks):
    admin = sign_in(staff["admin"])
    new = services.create_staff(username="newclerk", role="clerk", email="newclerk@staff.example.invalid")
    with django_capture_on_commit_callbacks(execute=True):
        page = admin.post(f"/accounts/staff/{new.user.pk}/resend/", follow=True)
    assert "A new enrolment link has been sent" in page.content.decode()
    [mail] = mailoutbox
    assert mail.to == ["newclerk@staff.example.invalid"]
    assert "/accounts/enrol/" not in page.content.decode()
    assert _open(Client(), _token(new.enrolment_url)).status_code == 404  # the old link no longer works
    # An enrolled account's credentials are replaced only with a second administrator.
    clerk = staff["clerk"]
    refused = admin.post(f"/accounts/staff/{clerk.pk}/resend/", follow=True)
    assert "enrolled already" in refused.content.decode()
    assert len(mailoutbox) == 1


def test_a_second_opener_of_the_link_never_learns_the_seed_the_owner_enrols(db):
    """Whoever else opens the same link (a forwarded email, a link scanner, a shoulder-surfed URL) while
    the owner is enrolling gets an authenticator of their own, never the owner's: the owner's enrolment
    then fails loudly instead of leaving a silent copy of their second factor with someone else."""
    new = services.create_staff(username="newclerk", role="clerk")
    token = _token(new.enrolment_url)
    owner, other = Client(), Client()
    _open(owner, token)
    owner_secret = _page_secret(owner.get(ENROL))
    _open(other, token)
    other_page = other.get(ENROL)
    assert owner_secret not in other_page.content.decode()
    # The page the owner already had no longer enrols anything: they open the link again, which the other
    # session's page then no longer enrols either.
    stale = owner.post(ENROL, {"new_password1": PASSWORD, "new_password2": PASSWORD,
                               "otp_token": _code(owner_secret, drift=-1)})
    assert stale.status_code == 404
    assert not new.user.__class__.objects.get(pk=new.user.pk).has_usable_password()
    _open(owner, token)
    owner_secret = _page_secret(owner.get(ENROL))
    assert other.get(ENROL).status_code == 404
    done = owner.post(ENROL, {"new_password1": PASSWORD, "new_password2": PASSWORD,
                              "otp_token": _code(owner_secret, drift=-1)})
    assert done.status_code == 302
    assert TOTPDevice.objects.get(user=new.user).secret == owner_secret
