from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from cityid.core.actors import Actor


class AccountsConfig(AppConfig):
    name = "cityid.accounts"
    label = "accounts"

    def ready(self) -> None:
        from cityid.accounts.labels import register_labels

        register_labels()

        from cityid.accounts import lockout, messages
        from cityid.accounts.policy import PermissionDenied, allowed
        from cityid.accounts.selectors import unknown_sign_in_failures
        from cityid.accounts.services import authorize, resolve_command_actor
        from cityid.audit.selectors import register_unknown_sign_ins
        from cityid.audit.services import record_event
        from cityid.cli.base import register_actor_policy
        from cityid.ui.decorators import register_policy

        messages.register()
        lockout.connect()  # django-axes keeps no form or query data of a failed sign-in

        def record_refusal(user: Actor | None, action: str) -> None:
            record_event(actor=user, action="access.denied", purpose=action, outcome="denied")

        register_policy(allows=lambda user, action: allowed(user.role, action), on_refused=record_refusal,
                        refusal=PermissionDenied)
        register_actor_policy(resolve=resolve_command_actor, authorize=authorize, refusal=PermissionDenied)
        register_unknown_sign_ins(unknown_sign_in_failures)
