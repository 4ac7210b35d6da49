from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityid.accounts.policy import ROLES


class User(AbstractUser):
    """A staff account. Each account has exactly one role (DESIGN.md §2)."""

    role = models.CharField(_("role"), max_length=32, choices=list(ROLES.items()))
    must_change_password = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.username


class UnknownSignInFailures(models.Model):
    """Failed sign-ins naming no staff account (or none), counted per day instead of logged one audit
    entry each: anyone can send them, and they carry nothing an auditor could follow up. Failures
    against a real account are audit-log entries (``login.failure``)."""

    day = models.DateField(unique=True)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.count}"
