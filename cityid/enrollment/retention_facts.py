"""What enrollment tells retention about its records (registered in ``EnrollmentConfig.ready()``): when
each was submitted and decided, which a submission range or a subject covers, and the rules file's
retention periods as the version-0 schedule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Q

from cityid.enrollment import selectors
from cityid.enrollment.exports import SubjectNotFound, find_subject
from cityid.enrollment.models import Applicant, Application
from cityid.enrollment.services import current_rules
from cityid.retention.facts import FoundSubject, SubjectFacts, TriggerDates
from cityid.vault.models import RecordKey


class EnrollmentFacts(SubjectFacts):
    def trigger_dates(self, keys: Sequence[RecordKey]) -> Mapping[int, TriggerDates]:
        owners = selectors.record_owners([key.pk for key in keys])
        return {pk: TriggerDates(submitted=owner.submitted, decided=owner.decided) for pk, owner in owners.items()}

    def submitted_between(self, first: date, last: date) -> Q | None:
        applications = Application.objects.filter(submitted_on__range=(first, last))
        applicants = Applicant.objects.filter(applications__in=applications)
        return (
            Q(id__in=applications.values("documents_record_id"))
            | Q(id__in=applicants.values("personal_record_id"))
            | Q(id__in=applicants.values("photo_record_id"))
        )

    def find_subject(self, reference: str) -> FoundSubject | None:
        try:
            applicant = find_subject(reference)
        except SubjectNotFound:
            return None
        return FoundSubject(
            key=applicant.ref,
            records=(
                Q(id__in=[k for k in (applicant.personal_record_id, applicant.photo_record_id) if k])
                | Q(id__in=applicant.applications.values("documents_record_id"))
            ),
        )

    def default_years(self, record_class: str) -> int | None:
        return current_rules().retention.get(record_class)


facts = EnrollmentFacts()
