"""Shared helpers for the database-backed audit log tests."""

from __future__ import annotations

from cityid.audit import services


def fill(count: int, *, prefix: str = "rec", batch: int = 5000) -> None:
    """Append ``count`` synthetic pseudonymous entries (in batches)."""
    done = 0
    while done < count:
        n = min(batch, count - done)
        services.append_entries(
            {"actor": f"staff:{(done + i) % 7}", "role": "clerk", "action": "personal.read",
             "target": f"{prefix}:{done + i}", "purpose": "review"}
            for i in range(n)
        )
        done += n


PASSWORD = "correct horse battery 9"
LOGIN_URL = "/accounts/login/"


def sign_in(user):
    """A test client signed in through the real login view: password and a current TOTP code."""
    from django.test import Client
    from django_otp.oath import totp

    user.set_password(PASSWORD)
    user.must_change_password = False
    user.save()
    device = user.totpdevice_set.first()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    client = Client()
    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD,
                                       "otp_token": f"{code:0{device.digits}d}"})
    assert response.status_code == 302, response.content[:500]
    assert client.session.get("otp_device_id")
    return client
