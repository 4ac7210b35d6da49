"""The words for law-enforcement requests' error codes and the labels of their codes (registered in the disclosure
app's ``ready()``: ``register()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityid.core.errors import register_messages
from cityid.disclosure.law_enforcement import LawEnforcementError
from cityid.ui.labels import label
from cityid.ui.labels import register as register_label


def register() -> None:
    register_messages(LawEnforcementError, {
        "already_produced": _("this item has already been produced: each item is read and handed over once"),
        "bad_subject": _("a subject is named by its pseudonymous id (applicant:<uuid>); one entry of %(length)s "
                         "characters is not one"),
        "beyond_order": _("this item is not in the ordered scope: only what the process orders is produced"),
        "beyond_scope_kind": _("the order names records (%(kind)s) the process did not ask for"),
        "beyond_scope_subject": _("the order names %(count)s subject(s) the process did not name"),
        "closed": _("this request is closed"),
        "counsel_widens": _("counsel decides on the scope and does not add to it: the staff who logged requests "
                            "name the subjects a search found"),
        "scope_fixed": _("the scope is fixed once counsel has decided"),
        "no_search": _("this request names its subjects and describes no search: its scope stays as presented"),
        "counsel_only": _("only counsel, signed in by name, decides and produces"),
        "document_too_big": _("the document is larger than %(most_mb)s MB"),
        "empty_scope": _("name at least one subject or describe the search the process asks for"),
        "gag_order": _("a court order forbids notice to the applicant now"),
        "gag_until_without_order": _("an end date for a gag order needs a gag order"),
        "no_kinds": _("choose the records asked for: %(kinds)s"),
        "not_producing": _("nothing can be produced: the request is not being produced as ordered"),
        "nothing_kept": _("there is nothing of this kind to produce: it was never kept or was destroyed"),
        "record_destroyed": _("this request's sealed details and documents were destroyed under its retention "
                              "schedule: nothing more can be added, ordered or produced"),
        "notice_before_receipt": _("the notice date is before the request was received"),
        "notice_in_future": _("the notice date is in the future"),
        "order_names_no_subject": _("the order names no subject: production needs named subjects"),
        "own_request": _("you logged this request: a different person, counsel, must decide and produce it"),
        "process_does_not_compel": lambda process, **_params: _(
            "a %(process)s does not compel production: refuse or challenge it, or log the court order or warrant "
            "that does") % {"process": label("le_process", process).lower()},
        "received_in_future": _("the date received is in the future"),
        "agency_required": _("name the agency that presented the request"),
        "officer_required": _("name the officer who presented the request"),
        "subject_gone": _("no applicant has this pseudonymous id any more"),
        "too_long": _("the text is longer than %(most)s characters"),
        "too_many_subjects": _("a request names at most %(most)s subjects"),
        "unknown_agency_type": _("unknown agency type '%(value)s'; one of %(values)s"),
        "unknown_change": _("unknown change '%(change)s'; one of %(changes)s"),
        "unknown_kind": _("unknown kind of record '%(kind)s'; one of %(kinds)s"),
        "unknown_process": _("unknown legal process '%(value)s'; one of %(values)s"),
        "wrong_status": lambda change, status, **_params: _(
            "'%(change)s' is not possible while the request is %(status)s") % {
            "change": label("le_change", change), "status": label("le_status", status).lower()},
    })


def register_labels() -> None:
    from cityid.disclosure.law_enforcement_models import (
        AgencyType,
        ItemKind,
        LegalProcess,
        RequestChange,
        RequestStatus,
    )

    register_label("le_agency_type", AgencyType.choices)
    register_label("le_process", LegalProcess.choices)
    register_label("le_status", RequestStatus.choices)
    register_label("le_change", RequestChange.choices)
    register_label("le_item", ItemKind.choices)
    register_label("le_outcome", {
        "pending": pgettext_lazy("law enforcement", "Pending"),
        "refused": _("Refused"),
        "challenged": _("Challenged"),
        "produced": _("Produced as ordered"),
        "withdrawn": _("Withdrawn"),
    })
    register_label("audit_action", {
        "law_enforcement.log": _("Law-enforcement request logged"),
        "law_enforcement.document": _("Law-enforcement process document added"),
        "law_enforcement.scope": _("Subjects found by a law-enforcement search named"),
        "law_enforcement.read": _("Law-enforcement request viewed by counsel"),
        "law_enforcement.read_document": _("Law-enforcement process document viewed"),
        "law_enforcement.review": _("Law-enforcement request under review"),
        "law_enforcement.refuse": _("Law-enforcement request refused"),
        "law_enforcement.challenge": _("Law-enforcement request challenged"),
        "law_enforcement.produce": _("Law-enforcement production ordered"),
        "law_enforcement.produce_item": _("Law-enforcement item produced"),
        "law_enforcement.finish": _("Law-enforcement production finished"),
        "law_enforcement.withdraw": _("Law-enforcement request withdrawn"),
        "law_enforcement.close": _("Law-enforcement request closed"),
        "law_enforcement.gag": _("Gag order recorded"),
        "law_enforcement.notice": _("Notice to the applicant recorded"),
    })
