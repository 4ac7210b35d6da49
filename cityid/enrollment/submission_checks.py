"""Warnings about a submission that do not stop it (a possible duplicate applicant, say): a hook.

The part that knows registers a check in its ``AppConfig.ready()``::

    register_submission_check(possible_duplicates)

A check takes the ``EnrollmentInput`` and the staff member, and returns the messages to show the clerk (in
their language; no more personal data than the clerk already typed). None registered: no warning.
"""

from __future__ import annotations

from collections.abc import Callable

from cityid.core.actors import Actor
from cityid.enrollment.inputs import EnrollmentInput

SubmissionCheck = Callable[[EnrollmentInput, Actor], list[str]]

_checks: list[SubmissionCheck] = []


def register_submission_check(check: SubmissionCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def unregister_submission_check(check: SubmissionCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def submission_warnings(data: EnrollmentInput, actor: Actor) -> list[str]:
    """Every registered check's warnings for this submission, in registration order."""
    return [str(message) for check in _checks for message in check(data, actor)]
