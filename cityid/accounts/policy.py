"""The single role × action policy table. Every view and command asks ``allowed()``.

Roles follow DESIGN.md §2. Separation of duties is written here, once: the administrator
manages accounts but reads no personal data; the auditor reads the log but no personal
data; card production never reads documents. Card production sees card records (number,
status, dates: no name, no document) but does not change a card's status: revoking,
suspending and reinstating are supervisors' decisions.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.core.errors import CityidError

ROLES: dict[str, str] = {
    "clerk": _("Enrollment clerk"),
    "supervisor": _("Supervisor"),
    "fraud_analyst": _("Fraud analyst"),
    "card_production": _("Card production"),
    "records_officer": _("Records officer"),
    "counsel": _("Counsel"),
    "foil_officer": _("FOIL officer"),
    "auditor": _("Auditor"),
    "admin": _("Administrator"),
}

#: Roles that a single administrator may not grant: a second, different administrator approves
#: (``accounts.services.request_change``). The issue's four (records officer, counsel, auditor,
#: administrator) plus every role that reads applicants' personal data or card numbers: otherwise one
#: administrator could create a supervisor (or card production, who lists card numbers) with their own
#: email address, enrol it and read them. The FOIL officer too: they open FOIL requesters' sealed names, contact
#: details and descriptions (``foil.read``) and publish the statistics; one administrator making a FOIL officer
#: with their own email address would read requesters' personal data alone. So every role is privileged.
PRIVILEGED_ROLES: frozenset[str] = frozenset(
    {"records_officer", "counsel", "auditor", "admin", "clerk", "supervisor", "fraud_analyst", "card_production",
     "foil_officer"}
)

#: The host operator running a command without ``--actor``: whoever holds the host already
#: holds the keyring, so the policy cannot stop them; their actions are still audited.
OPERATOR = "operator"

POLICY: dict[str, frozenset[str]] = {
    "enrollment.create": frozenset({"clerk", "supervisor"}),
    "enrollment.search": frozenset({"clerk", "supervisor"}),
    "enrollment.read_personal": frozenset({"clerk", "supervisor"}),
    # Reading a closed (decided) case: only with a recorded reason (enrollment.services.open_closed_case).
    "enrollment.read_closed": frozenset({"supervisor"}),
    # Moving a case to a clerk, a site's queue or the supervisors' decision queue.
    "enrollment.assign": frozenset({"supervisor"}),
    # Read-rate alerts (who read far more than usual; staff ids and counts, no personal data).
    "enrollment.read_alerts": frozenset({"supervisor", "auditor"}),
    "enrollment.queue": frozenset({"supervisor"}),
    "enrollment.decide": frozenset({"supervisor"}),
    "enrollment.import": frozenset({"supervisor"}),
    "enrollment.seed": frozenset(),
    "keys.rotate": frozenset(),  # the host operator only: whoever holds the key store
    "enrollment.clean": frozenset(),  # re-seals and re-encodes everything stored: the host operator only
    "subject.export": frozenset({"records_officer"}),
    "staff.manage": frozenset({"admin"}),
    # Approving another administrator's staff change; the last active holder of this role is never removed.
    "staff.approve_change": frozenset({"admin"}),
    # Partner API keys (a card's status for a bank, a library): an administrator's request, a second approves.
    "partners.manage": frozenset({"admin"}),
    "audit.read": frozenset({"auditor"}),
    "cards.produce": frozenset({"card_production"}),
    "cards.read": frozenset({"supervisor", "card_production"}),
    "cards.status": frozenset({"supervisor"}),
    # Replacing a card (a new number; the old one revoked) and renewing one: a supervisor's decision.
    "cards.replace": frozenset({"supervisor"}),
    "cards.renew": frozenset({"supervisor"}),
    "cards.rotate_keys": frozenset(),  # the credential signing key: the host operator only, like keys.rotate
    "retention.read": frozenset({"records_officer", "counsel", "auditor"}),
    "retention.schedule": frozenset({"records_officer"}),
    "retention.dispose": frozenset({"records_officer"}),
    "retention.hold": frozenset({"counsel"}),
    "stats.read": frozenset(ROLES),
    # Duplicate and fraud review (matching): alerts, side-by-side records, decisions. An analyst reads applicants
    # only through an open alert that names them (enrollment.read_by_reason with a ``match_alert:<uuid>``
    # purpose), never through a case or a search.
    "matching.review": frozenset({"fraud_analyst"}),
    "enrollment.read_by_reason": frozenset({"fraud_analyst"}),
    # The matcher's own reads (its candidate index, queued checks) and their commands: the system and the host
    # operator only.
    "enrollment.match_read": frozenset(),
    "matching.index": frozenset(),
    # Law-enforcement requests (disclosure.law_enforcement_services): whoever is served logs the request and
    # attaches the process; only counsel reads its sealed details, decides and produces, and never on a request
    # they logged themselves (checked in the service).
    "law_enforcement.log": frozenset({"clerk", "supervisor", "counsel"}),
    "law_enforcement.read": frozenset({"clerk", "supervisor", "counsel"}),
    "law_enforcement.decide": frozenset({"counsel"}),
    "law_enforcement.produce": frozenset({"counsel"}),
    # FOIL requests (disclosure): the queue and each request's metadata; reading what the requester wrote
    # (name, contact details, description: sealed) with a purpose; acknowledging, extending, determining,
    # closing; determining an appeal. Nobody else reads a requester's details.
    "foil.queue": frozenset({"foil_officer"}),
    "foil.read": frozenset({"foil_officer"}),
    "foil.manage": frozenset({"foil_officer"}),
    "foil.appeal": frozenset({"foil_officer"}),
    # Publishing the public statistics (a new release) and setting the differential-privacy budget.
    "reports.publish": frozenset({"foil_officer"}),
    "reports.budget": frozenset(),  # the host operator only: the budget is the city's policy, set once
}


class PermissionDenied(CityidError):
    """The actor's role may not perform the action (codes and words: ``accounts.messages``)."""


def allowed(role: str | None, action: str) -> bool:
    if action not in POLICY:
        raise KeyError(f"unknown action {action!r}: add it to POLICY")
    return role == OPERATOR or role in POLICY[action]


def roles_for(action: str) -> list[str]:
    return sorted(POLICY[action])
