from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cityid.accounts.policy import POLICY, allowed
from cityid.ui import labels

NAV = [
    ("enrollment.create", "enrollment:new", _("Enroll")),
    ("enrollment.search", "enrollment:search", _("Search")),
    ("enrollment.read_personal", "enrollment:my_cases", _("My cases")),
    ("enrollment.queue", "enrollment:queue", _("Decision queue")),
    ("enrollment.read_alerts", "enrollment:read_alerts", _("Read alerts")),
    ("cards.read", "cards:list", _("Cards")),
    ("retention.read", "retention:schedules", _("Retention schedules")),
    ("retention.read", "retention:preview", _("Disposition preview")),
    ("retention.dispose", "retention:requests", _("Disposition approvals")),
    ("retention.read", "retention:certificates", _("Destruction certificates")),
    ("retention.read", "retention:holds", _("Legal holds")),
    ("law_enforcement.read", "law_enforcement:list", _("Law-enforcement requests")),
    ("foil.queue", "disclosure:foil_queue", _("FOIL requests")),
    ("audit.read", "audit:events", _("Audit log")),
    ("staff.manage", "accounts:staff_list", _("Staff")),
]


def staff_role(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for action, name, label in NAV:
        if allowed(user.role, action):
            url = reverse(name)
            items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {
        "staff_role": labels.label("role", user.role),
        "nav_items": items,
        "allowed_actions": frozenset(action for action in POLICY if allowed(user.role, action)),
        "program_name": _("the city"),
    }
