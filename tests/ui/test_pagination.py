"""One paging helper: whatever arrives as ``?page=``, every paginated page answers with a valid page."""

from __future__ import annotations

import pytest

from cityid.ui.pagination import page_number, paginate
from tests.audit.helpers import sign_in

BAD_PAGES = ["abc", "-1", "0", "1.5", "", "٣", "99999999999999999999999999", "9" * 5000, "1e309", "\x00"]


@pytest.mark.parametrize(
    ("value", "number"),
    [(None, 1), ("", 1), ("2", 2), (" 3 ", 3), (7, 7), (-4, 1), (0, 1), (True, 1), ("x", 1), ("-2", 1),
     ("٣", 1), ("1.0", 1), ("9" * 5000, 10**18)],
)
def test_page_number(value: object, number: int) -> None:
    assert page_number(value) == number


def test_paginate_clamps_to_a_valid_page() -> None:
    items = list(range(60))
    assert paginate(items, "2").object_list == list(range(25, 50))
    assert paginate(items, "-5").number == 1
    assert paginate(items, "bogus").number == 1
    assert paginate(items, "9" * 400).number == 3
    assert paginate(items, 40, per_page=10).number == 6
    assert paginate([], "4").number == 1


# Every paginated page, with a role that may see it.
PAGES = [
    ("/enrollment/queue/", "supervisor"),
    ("/enrollment/cases/", "clerk"),
    ("/enrollment/read-alerts/", "supervisor"),
    ("/audit/events/", "auditor"),
    ("/audit/events/?actor=clerk1", "auditor"),
    ("/cards/", "supervisor"),
    ("/retention/schedules/", "records_officer"),
    ("/retention/disposition/", "records_officer"),
    ("/retention/certificates/", "records_officer"),
    ("/retention/holds/?status=all", "counsel"),
    ("/accounts/staff/", "admin"),
]


def test_no_page_value_breaks_a_paginated_page(staff) -> None:
    clients = {role: sign_in(staff[role]) for role in {role for _url, role in PAGES}}
    for url, role in PAGES:
        client = clients[role]
        assert client.get(url).status_code == 200, url
        for bad in BAD_PAGES:
            response = client.get(url.split("?")[0], {**_query(url), "page": bad})
            assert response.status_code == 200, (url, bad[:20], response.status_code)


def _query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))
