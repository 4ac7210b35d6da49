"""Notices to the requester through Django's email backend (a local SMTP server here), and the outbox: a request
is never lost once its id was shown, whatever happens to the email."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from cityid.disclosure import services
from cityid.disclosure.models import FoilNotice, FoilRequest
from cityid.disclosure.services import FoilInput, submit_request
from tests.disclosure.conftest import CANARY

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(settings, port: int | None = None):
    received: list[tuple[list[str], str]] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    port = port or free_port()
    controller = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = (
        "127.0.0.1", port, False, 5)
    try:
        yield received
    finally:
        controller.stop()


def smtp_down(settings) -> int:
    port = free_port()  # nothing listens there
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = (
        "127.0.0.1", port, False, 2)
    return port


def test_the_receipt_goes_through_smtp(db, settings, django_capture_on_commit_callbacks):
    with smtp_server(settings) as received, django_capture_on_commit_callbacks(execute=True):
        foil = submit_request(data=FoilInput(**CANARY)).request
    [(recipients, message)] = received
    assert recipients == [CANARY["email"]]
    assert foil.public_id in message
    assert CANARY["name"] not in message and CANARY["description"] not in message
    assert FoilNotice.objects.get(request=foil).sent_at is not None


def test_a_crash_after_the_commit_loses_no_request(db, settings, django_capture_on_commit_callbacks):
    # The process dies between the commit and the email: the after-commit callback never runs.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        foil = submit_request(data=FoilInput(**CANARY)).request
    assert len(callbacks) == 1
    assert FoilRequest.objects.filter(public_id=foil.public_id).exists()
    notice = FoilNotice.objects.get(request=foil)
    assert notice.sent_at is None and not mail.outbox
    call_command("foil", "send")  # the retry (run by a schedule)
    notice.refresh_from_db()
    assert notice.sent_at is not None
    [message] = mail.outbox
    assert message.to == [CANARY["email"]] and foil.public_id in message.subject
    call_command("foil", "send")
    assert len(mail.outbox) == 1  # sent once


def test_a_mail_server_down_keeps_the_request_and_the_notice_for_later(db, settings,
                                                                        django_capture_on_commit_callbacks):
    port = smtp_down(settings)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/foil/", {k: v for k, v in CANARY.items()})
    assert response.status_code == 201  # the id is shown: the request is stored
    foil = FoilRequest.objects.get()
    assert foil.public_id in response.content.decode()
    notice = FoilNotice.objects.get(request=foil)
    assert notice.sent_at is None and notice.attempts == 1 and notice.last_error
    with smtp_server(settings, port=port) as received:
        result = services.send_notices()
    assert result.sent == 1 and len(received) == 1
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.attempts == 2


def test_a_failure_before_the_commit_stores_nothing_and_shows_no_id(db, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    from cityid.disclosure import services as foil_services

    def crash(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(foil_services, "record_event", crash)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        submit_request(data=FoilInput(**CANARY))
    assert not FoilRequest.objects.exists() and not FoilNotice.objects.exists() and not mail.outbox


def test_notices_follow_the_requesters_language(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit_request(data=FoilInput(**CANARY, language="es"))
    [message] = mail.outbox
    assert "Estimado" in message.body or "solicitud" in message.body.lower()
