"""View decorators of the staff pages.

The role policy belongs to ``accounts``, above this layer: it registers itself with
:func:`register_policy` in its ``ready()``. Until a policy is registered, every protected view refuses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url


@dataclass(frozen=True)
class Policy:
    """What ``requires`` asks of the role policy."""

    #: Whether this signed-in user may perform the action.
    allows: Callable[[Any, str], bool]
    #: Called once for each refusal (to write it to the audit log).
    on_refused: Callable[[Any, str], None]
    #: Raised by the services when the policy refuses deeper down; the view answers 403.
    refusal: type[Exception]


class _NoPolicy(Exception):
    """Never raised: the refusal type while no policy is registered."""


_REFUSE_ALL = Policy(allows=lambda user, action: False, on_refused=lambda user, action: None, refusal=_NoPolicy)
_policy: Policy = _REFUSE_ALL


def register_policy(*, allows: Callable[[Any, str], bool], on_refused: Callable[[Any, str], None],
                    refusal: type[Exception]) -> None:
    """Install the role policy that ``requires`` checks (called by the app that owns the policy)."""
    global _policy
    _policy = Policy(allows=allows, on_refused=on_refused, refusal=refusal)


def requires(action: str) -> Callable:
    """View decorator: a signed-in, MFA-verified staff member whose role allows ``action``."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.is_verified():
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={request.path}")
            policy = _policy
            if not policy.allows(user, action):
                policy.on_refused(user, action)
                return render(request, "403.html", {"action": action}, status=403)
            try:
                return view(request, *args, **kwargs)
            except policy.refusal:
                return render(request, "403.html", {"action": action}, status=403)

        return wrapper

    return decorator
