from datetime import date

from tests.conftest import make_input


def test_enroll_twice_opens_a_held_duplicate_alert(staff):
    from cityid.enrollment.services import enroll
    from cityid.matching.models import Alert, MatchCheck

    first = enroll(data=make_input(), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
    second = enroll(data=make_input(given_name="Canarynam"), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
    assert MatchCheck.objects.filter(status="checked").count() == 2
    alert = Alert.objects.get(kind="duplicate")
    print(alert.level, alert.score, alert.evidence, list(alert.pairs.values()))
    assert alert.application == second
