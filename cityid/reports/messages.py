"""The words for the reports app's error codes (registered in ``ReportsConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.core.errors import register_messages
from cityid.reports.periods import PeriodInvalid
from cityid.reports.services import ReleaseRefused


def register() -> None:
    register_messages(PeriodInvalid, {
        "bad_quarter": _("“%(value)s” is not a quarter: write the year and the quarter, e.g. 2026Q4."),
        "bad_dimension": _("“%(value)s” is not a table of the statistics; one of: %(dimensions)s."),
        "bad_date": _("“%(value)s” is not a date: write it as YYYY-MM-DD."),
    })
    register_messages(ReleaseRefused, {
        "period_reversed": _("The period ends before it starts."),
        "unknown_mode": _("“%(mode)s” is not a release mode; one of: %(modes)s."),
        "epsilon_required": _("A differentially private release needs a privacy loss (epsilon) above zero."),
        "budget_spent": _("The privacy-loss budget is spent: this release asks for epsilon %(asked)s, and "
                          "%(remaining)s of %(total)s is left. No release was made."),
        "budget_below_spent": _("The budget cannot be set below the privacy loss already spent (%(spent)s)."),
        "nothing_published": _("No statistics have been published yet: run `cityid report publish` first."),
    })
