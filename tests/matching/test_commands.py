"""``cityid matching``: queued checks, the index rebuilt, the analysts' labels; and the roles it refuses."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cityid.accounts.policy import POLICY
from cityid.matching import services
from cityid.matching.models import Alert, MatchCheck
from tests.matching.helpers import enroll, person
from tests.matching.test_realtime import BrokenIndex  # noqa: F401  (named by the setting below)


def _run(*argv):
    out = io.StringIO()
    call_command(*argv, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_recheck_index_and_labels(staff, settings, tmp_path):
    first = enroll(staff, person(0))
    settings.CITYID_MATCHER_BACKEND = "tests.matching.test_realtime.BrokenIndex"
    services.reset_index()
    second = enroll(staff, person(0, given_name="Oluwasegun"))
    assert MatchCheck.objects.get(application=second).status == "queued"
    settings.CITYID_MATCHER_BACKEND = "memory"
    assert "1 queued application(s) checked" in _run("matching", "recheck")
    assert "2 people under 1 key(s)" in _run("matching", "index")

    alert = Alert.objects.get()
    services.decide(alert=alert, actor=staff["fraud_analyst"], decision="same_person", position=1)
    out, truth = tmp_path / "labels.csv", tmp_path / "truth.csv"
    assert "1 labelled pair(s)" in _run("matching", "labels", "--out", str(out), "--truth", str(truth),
                                        "--actor", staff["fraud_analyst"].username)
    (row,) = list(csv.DictReader(out.open()))
    assert (row["id_l"], row["id_r"], row["same"], row["decision"]) == (
        str(second.applicant.public_id), str(first.applicant.public_id), "1", "same_person")
    assert truth.read_text().splitlines() == ["id_l,id_r", f"{second.applicant.public_id},{first.applicant.public_id}"]
    assert "Oluwase" not in out.read_text()


def test_a_file_that_cannot_be_written_is_one_line(staff, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        _run("matching", "labels", "--out", str(tmp_path / "missing" / "labels.csv"))


@pytest.mark.parametrize("argv, action", [
    (["matching", "recheck"], "matching.index"),
    (["matching", "index"], "matching.index"),
    (["matching", "labels", "--out", "/dev/null"], "matching.review"),
])
def test_attack_a_subcommand_run_without_the_right_role_is_refused(staff, argv, action):
    for role in [role for role in staff if role not in POLICY[action]]:
        out = io.StringIO()
        with pytest.raises(CommandError, match="permission denied"):
            call_command(*argv, "--actor", staff[role].username, stdout=out, stderr=io.StringIO())
        assert out.getvalue() == ""
