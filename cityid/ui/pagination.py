"""One way to page a list: every paginated view and selector asks :func:`paginate` for its page.

The page number comes from the address bar, so anything may arrive: text, a negative number, a number
past the end, thousands of digits. Each gives a valid page (the first, or the last), never an error.
The markup is ``templates/includes/pagination.html`` (``{% include "includes/pagination.html" %}``).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

PAGE_SIZE = 25
_MAX_DIGITS = 18  # more digits than any page count: past the end, so the last page


def page_number(value: Any) -> int:
    """``value`` (a query-string value, an int, None) as a page number of at least 1; past the end is
    left to :func:`paginate`, which gives the last page."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return max(value, 1)
    text = str(value or "").strip()
    if not text.isdecimal() or not text.isascii():
        return 1
    if len(text) > _MAX_DIGITS:
        return 10**_MAX_DIGITS
    return max(int(text), 1)


def paginate(items: Any, page: Any, per_page: int = PAGE_SIZE) -> Page:
    """The page ``page`` of ``items`` (a queryset or a list), ``per_page`` to a page; a malformed or
    negative number gives the first page, a number past the end the last one."""
    return Paginator(items, per_page).get_page(page_number(page))
