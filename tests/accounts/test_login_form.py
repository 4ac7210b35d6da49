"""A refused sign-in shows the code field empty: a code works once, and the stale one would fail again."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_refused_code_is_not_shown_again(client):
    response = client.post("/accounts/login/", {"username": "clerk_synthetic", "password": "not the password",
                                                "otp_token": "123456"})
    page = response.content.decode()
    assert "not correct" in page
    assert "123456" not in page
    assert 'value="clerk_synthetic"' in page  # the username is kept
