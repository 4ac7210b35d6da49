"""Who acts: the type every service and selector takes for its actor (pure: no Django)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Actor"]


@runtime_checkable
class Actor(Protocol):
    """A staff member (``accounts.User``) or the host operator running a command.

    Services read only these: the id and username for the audit log, the role for the policy.
    """

    pk: object
    username: str
    role: str
