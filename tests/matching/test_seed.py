"""`cityid seed` and `make demo` with matching's hooks active: the synthetic population holds labelled duplicates
(twins, name changes, typos), imported with their recorded decisions; none may stop the seeding."""

from __future__ import annotations

import io

from django.core.management import call_command

from cityid.enrollment.models import Applicant
from cityid.matching.models import Alert


def test_seeding_a_population_with_duplicates_completes_and_leaves_alerts_for_analysts(db):
    out = io.StringIO()
    call_command("seed", "--people", "150", stdout=out, stderr=io.StringIO())
    assert "seeded 150 synthetic applicants" in out.getvalue()
    assert Applicant.objects.count() == 150
    assert Alert.objects.filter(kind="duplicate").exists()
