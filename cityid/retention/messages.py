"""The words for the retention app's error codes (registered in ``RetentionConfig.ready()``).

The scope parser and the certificate reader are pure cores: they raise codes, and their words live here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.core.errors import register_messages
from cityid.retention.certificate import CertificateInvalid
from cityid.retention.scope import ScopeInvalid
from cityid.retention.services import RetentionError


def register() -> None:
    register_messages(ScopeInvalid, {
        "empty": _("the scope is empty: use all, class:NAME, submitted:FROM..TO or subject:ID"),
        "empty_term": _("empty term in the scope (two commas in a row?)"),
        "unknown_term": _("unknown scope term '%(term)s'"),
        "unknown_class": _("unknown class '%(value)s' in '%(term)s'; one of %(classes)s"),
        "bad_dates": _("bad date range in '%(term)s': use submitted:YYYY-MM-DD..YYYY-MM-DD"),
        "dates_reversed": _("bad date range in '%(term)s': FROM must not be after TO"),
        "two_ranges": _("more than one submitted range ('%(term)s')"),
        "two_classes": _("a conjunction of two different classes matches nothing; place two holds instead"),
        "submitted_unknown": _("no installed app knows when records were submitted: '%(term)s' cannot be used"),
        "unknown_subject": _("unknown subject '%(subject)s' in 'subject:%(subject)s'"),
        "two_subjects": _("'subject:%(subject)s' and 'subject:%(other)s' are different subjects: a conjunction of "
                          "them matches nothing; place one hold per subject"),
    })
    register_messages(RetentionError, {
        "unknown_class": _("unknown class '%(value)s'; one of %(classes)s"),
        "date_or_trigger": _("give either a fixed date or a trigger with a number of years"),
        "bad_trigger": _("a trigger is one of %(triggers)s with 0 to 100 years"),
        "case_and_court": _("a hold needs a case name and a court"),
        "order_in_future": _("the order date is in the future"),
        "no_hold": _("no hold %(hold)s"),
        "cohort_busy": _("disposition run #%(run)s is deleting cohort %(cohort)s, to which records of hold %(hold)s "
                         "would return: release the hold again once that run has finished"),
        "two_approvers": _("a disposition run needs two approvers"),
        "same_approver": _("the two approvers must be different people"),
        "not_officer": _("%(username)s is not an active records officer"),
        "officer_too_recent": _("%(username)s became a records officer after this run was requested: only officers "
                                "who held the role before the request can approve it"),
        "issued_by_other": _("%(username)s's account was created, reactivated or reset by %(other)s in the last "
                             "%(days)s days: a different records officer must approve"),
        "as_of_in_future": _("the as-of date is in the future"),
        "unfinished_run": _("disposition run #%(run)s as of %(day)s was interrupted and is unfinished: run again as "
                            "of %(day)s to finish and certify it first"),
        "not_requesting_officer": _("only a records officer can request a disposition run"),
        "request_waiting": _("a request for a run as of %(day)s is already waiting for approval"),
        "no_request": _("no disposition request %(request)s"),
        "already_approved": _("this request has already been approved"),
        "withdrawn": _("this request has been withdrawn"),
        "own_request": _("you requested this run: a different records officer must approve it"),
    })
    register_messages(CertificateInvalid, {
        "malformed": _("not a destruction certificate: %(reason)s"),
        "bad_key_type": _("a certificate key is Ed25519 or ECDSA P-256"),
        "bad_signature": _("the signature does not match the certificate"),
        "no_key": _("this installation has no certificate key"),
        "foreign_key": _("the certificate names a public key that is not this installation's"),
        "digest_differs": _("the certificate's signed_sha256 does not match its content"),
        "not_in_log": _("audit log index %(index)s does not record this certificate"),
    })
