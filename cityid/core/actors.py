"""Who acts: the type every service and selector takes for its actor (pure: no Django)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Actor"]


@runtime_checkable
class Actor(Protocol):
    """A staff member (``accounts.User``) or the host operator running a command.

    Services read only these: the id and username for the audit log, the role for the policy.
    Read-only members, so that the user model's fields (typed by their model field) still fit.
    """

    @property
    def pk(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...
