"""The label catalogue: codes as words in the reader's language, moments in the city's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.template import Context, Template
from django.utils import translation

from cityid.ui import labels


def test_every_app_registers_its_codes():
    kinds = labels.kinds()
    for kind in ("role", "language", "denial_reason", "application_status", "card_status", "card_reason",
                 "record_class", "audit_action", "audit_outcome"):
        assert kinds.get(kind), kind
    assert {"staff.create", "card.revoke", "hold.place", "application.deny", "audit.verify"} <= set(
        kinds["audit_action"])


def test_a_code_is_shown_by_its_label_in_the_readers_language():
    with translation.override("es"):
        assert labels.label("role", "supervisor") == "Supervisor(a)"
        assert labels.label_list("denial_reason", ["insufficient_documents"]) == \
            "Los documentos no cumplen el requisito de puntos"
        assert labels.label_list("language", "en,ht") == "Inglés, Criollo haitiano"
    assert labels.label("role", "nobody") == "nobody"  # unknown: as stored, never dropped
    assert labels.label("role", None) == "" and labels.label_list("language", "") == ""


def test_the_filters_are_built_in():
    template = Template('{{ r|label:"role" }} / {{ c|labels:"record_class" }} / {{ t|short_id }}')
    with translation.override("es"):
        text = template.render(Context({"r": "admin", "c": ["documents", "photo"],
                                        "t": "applicant:0b5c41e2-1111-2222-3333-444455556666"}))
    assert text == "Administrador(a) / Documentos, Foto / applicant:0b5c41e2…"


def test_moments_are_in_the_city_time_zone_and_the_readers_format(settings):
    settings.TIME_ZONE = "America/New_York"
    moment = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # 22:30 the day before in New York
    with translation.override("en"):
        assert labels.when(moment) == "12/01/2026 10:30 p.m."
        assert labels.when("2026-12-02T03:30:00+00:00") == "12/01/2026 10:30 p.m."
        assert labels.when(date(2017, 1, 2)) == "01/02/2017"
        assert labels.when("2017-01-02") == "01/02/2017"  # a day stays that day, whatever the zone
    with translation.override("es"):
        assert labels.when(moment) == "01/12/2026 22:30"
        assert labels.when(moment, "DATETIME_FORMAT") == "1 de diciembre de 2026 a las 22:30"
    assert labels.when(None) == "" and labels.when("not a date") == "not a date"
