"""Details of the staff pages a busy person trips over: dates, codes shown as words, nothing preselected."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from cityid.enrollment.forms import ClosedCaseReasonForm
from cityid.ui.forms import DateInput
from cityid.ui.labels import label_list


def test_a_date_picker_keeps_its_value_in_spanish():
    # A localized "02/12/2026" is not a value <input type=date> accepts: the field would show up empty.
    with translation.override("es"):
        html = DateInput().render("as_of", date(2026, 12, 2))
    assert 'value="2026-12-02"' in html


def test_languages_are_shown_by_name_in_the_readers_language():
    with translation.override("es"):
        assert label_list("language", "en,ht") == "Inglés, Criollo haitiano"
    assert label_list("language", "") == ""
    assert label_list("language", "xx") == "xx"  # an unknown stored code is shown as stored, never dropped


def test_a_closed_case_reason_is_chosen_not_preselected():
    form = ClosedCaseReasonForm(cases=[])
    assert '<option value="" selected>' in str(form["reason"])
    assert not ClosedCaseReasonForm({"application": "", "reason": ""}, cases=[]).is_valid()
