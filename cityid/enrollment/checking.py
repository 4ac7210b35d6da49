"""The enrollment form checked in one pass: the field checks, the address, document and eligibility rules
together, so that the clerk sees every problem after one submit."""

from __future__ import annotations

from datetime import date

from cityid.enrollment import services
from cityid.enrollment.inputs import EnrollmentInput, EnrollmentInvalid, validate
from cityid.enrollment.messages import problem_message


def all_problems(data: EnrollmentInput, *, today: date, date_of_birth_known: bool = True) -> dict[str, list[str]]:
    """Every problem of ``data`` by field (``inputs.validate``'s names), eligibility included; empty when it
    can be enrolled. Without a known date of birth (the form has its own error for it), nothing that depends
    on it is reported."""
    rules = services.current_rules()
    errors: dict[str, list[str]] = {}
    try:
        validate(data, rules, today=today)
    except EnrollmentInvalid as invalid:
        errors = {name: list(messages) for name, messages in invalid.errors.items()}
    if not date_of_birth_known:
        errors.pop("date_of_birth", None)
        return errors
    if data.documents and not any(name.endswith(".type") for name in errors):
        result = services.evaluate(data, rules)
        if not result.eligible:
            for problem in result.problems:
                shown = errors.setdefault(problem.field, [])
                message = str(problem_message(problem))
                if message not in shown:
                    shown.append(message)
    return errors
