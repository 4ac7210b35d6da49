from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityid.accounts.policy import ROLES


class User(AbstractUser):
    """A staff account. Each account has exactly one role (DESIGN.md §2)."""

    role = models.CharField(_("role"), max_length=32, choices=list(ROLES.items()))
    must_change_password = models.BooleanField(default=True)
    deactivation_reason = models.CharField(
        max_length=16, blank=True,
        help_text="why the account was last deactivated (a DEACTIVATION_REASONS code); not in the audit log",
    )

    def __str__(self) -> str:
        return self.username
