"""Legal holds' case details sealed at rest: case name, index number, notes and scope.

A hold's case name and index number name a lawsuit, often a person in it; its notes are free text; and a
``subject:<id>`` scope names an applicant. They are sealed (AES-256-GCM, :mod:`cityid.vault.envelope`) under
a data key of the hold's own, wrapped by the key provider's ``legal-holds`` key (never in the database),
with associated data ``hold:<id>:details``: a copy of the database reads none of them. In the clear stay the
court, the dates, who placed and released it, and the scope's outline (``class:documents, subject:…``:
every term but a subject's id). Counsel reads the details (each read logged, :mod:`cityid.retention.selectors`);
the scope is evaluated once, when the hold is placed, by the system.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cityid.vault import envelope
from cityid.vault.providers import get_provider

#: The key provider's key that wraps each hold's data key. No disposition run destroys it.
HOLDS_KEY = "legal-holds"
DETAILS = ("case_name", "index_number", "notes", "scope")
SEALED_SUBJECT = "subject:…"


def scope_outline(scope: str) -> str:
    """The scope with every subject's id left out: what readers who may not see the details are shown."""
    terms = [term.strip() for term in scope.split(",") if term.strip()]
    return ", ".join(SEALED_SUBJECT if term.startswith("subject:") else term for term in terms)


def _associated_data(hold: Any) -> bytes:
    return f"hold:{hold.pk}:details".encode()


def seal_details(hold: Any, **details: str) -> None:
    """Seal the details into the saved ``hold`` (it needs its id) and keep them on it as attributes."""
    provider = get_provider()
    provider.ensure_key(HOLDS_KEY)
    data_key = envelope.new_data_key()
    hold.wrapped_key = provider.wrap(HOLDS_KEY, data_key)
    hold.sealed_details = envelope.seal_json(data_key, {name: details.get(name, "") for name in DETAILS},
                                             _associated_data(hold))
    hold.scope_outline = scope_outline(details.get("scope", ""))
    for name in DETAILS:
        setattr(hold, name, details.get(name, ""))


def open_details(holds: Iterable[Any]) -> None:
    """Set each hold's ``case_name``, ``index_number``, ``notes`` and ``scope`` from its sealed details.
    The caller authorises and logs the read."""
    provider = get_provider()
    for hold in holds:
        data_key = provider.unwrap(HOLDS_KEY, bytes(hold.wrapped_key))
        details = envelope.open_json(data_key, bytes(hold.sealed_details), _associated_data(hold))
        for name in DETAILS:
            setattr(hold, name, details.get(name, ""))
