from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityid.accounts.policy import ROLES


class User(AbstractUser):
    """A staff account. Each account has exactly one role (DESIGN.md §2)."""

    role = models.CharField(_("role"), max_length=32, choices=list(ROLES.items()))
    must_change_password = models.BooleanField(default=True)
    #: The enrollment center the person works at (a short code such as ``bronx-1``); cases assigned to a
    #: site's queue are open to its staff. Empty: no site.
    site = models.CharField(_("site"), max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return self.username
