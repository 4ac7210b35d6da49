"""A lockout lasts until it cools off or an administrator lifts it: a colleague signing in from the same
address (an enrollment center's clerks share one) neither lifts it nor hides it from the staff pages."""

from __future__ import annotations

from django.test import Client

from cityid.accounts.selectors import locked_out
from tests.accounts.test_policy import _post_login, _with_password
from tests.audit.helpers import sign_in


def test_a_colleagues_sign_in_from_the_same_address_leaves_the_lockout(staff, settings):
    clerk = _with_password(staff["clerk"])
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, clerk, password="wrong horse battery 9")
    assert locked_out([clerk.username]) == {clerk.username}

    admin = sign_in(staff["admin"])  # the same address (the test client's 127.0.0.1)
    assert locked_out([clerk.username]) == {clerk.username}
    html = admin.get(f"/accounts/staff/{clerk.pk}/").content.decode()
    assert 'id="locked-out"' in html

    admin.post(f"/accounts/staff/{clerk.pk}/unlock/")
    assert locked_out([clerk.username]) == set()


def test_signing_in_forgets_ones_own_failures(staff, settings):
    clerk = _with_password(staff["clerk"])
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, clerk, password="wrong horse battery 9")
    sign_in(clerk)
    _post_login(client, clerk, password="wrong horse battery 9")
    assert locked_out([clerk.username]) == set()
