"""``POST /api/foil/requests`` and its OpenAPI document."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from cityid.disclosure.models import FoilRequest
from tests.disclosure.conftest import CANARY


def post(client: Client, body, content_type: str = "application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/foil/requests", data=data, content_type=content_type)


def test_a_request_returns_its_id_and_due_dates(db):
    response = post(Client(), CANARY)
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"FOIL-\d{4}-0069-\d{5}", body["id"])
    foil = FoilRequest.objects.get(public_id=body["id"])
    assert body["acknowledgment_due"] == foil.acknowledgment_due.isoformat()
    assert body["determination_due"] == foil.determination_due.isoformat()
    assert body["status"] == "received" and body["access_code"]
    assert foil.channel == "api"
    assert not any(value in response.content.decode() for value in CANARY.values())


def test_the_answer_matches_the_openapi_document(db):
    document = Client().get("/api/foil/openapi.json").json()
    assert document["openapi"].startswith("3.")
    operation = document["paths"]["/api/foil/requests"]["post"]
    schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
    body = post(Client(), CANARY).json()
    assert set(schema["required"]) <= set(body) <= set(schema["properties"])
    assert re.fullmatch(schema["properties"]["id"]["pattern"], body["id"])
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(request_schema["required"]) == {"name", "description"}


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    ({**CANARY, "email": "", "address": ""}, "application/json", 400, "contact_missing"),
    ({**CANARY, "description": "x" * 5001}, "application/json", 400, "too_long"),
    ({**CANARY, "name": ["a", "list"]}, "application/json", 400, "not_json"),
    ("{not json", "application/json", 400, "not_json"),
    ("[1, 2]", "application/json", 400, "not_json"),
    ("name=x", "application/x-www-form-urlencoded", 415, "not_json"),
    ({**CANARY, "description": "y" * 70_000}, "application/json", 413, "too_long"),
])
def test_bad_input_has_a_code_a_field_and_a_sentence(db, body, content_type, status, code):
    response = post(Client(), body, content_type)
    assert response.status_code == status
    answer = response.json()
    assert answer["error"] == code and answer["message"] and answer["message"] != code
    assert not FoilRequest.objects.exists()


def test_attack_the_api_as_a_spam_cannon(db, settings):
    settings.CITYID_FOIL_SUBMISSION_LIMIT = (2, 3600)
    client = Client(REMOTE_ADDR="203.0.113.77")
    statuses = [post(client, CANARY).status_code for _ in range(4)]
    assert statuses == [201, 201, 429, 429]
    assert post(client, CANARY).json()["error"] == "rate_limited"
    assert FoilRequest.objects.count() == 2


def test_only_post(db):
    assert Client().get("/api/foil/requests").status_code == 405


def test_errors_in_spanish(db):
    response = post(Client(HTTP_ACCEPT_LANGUAGE="es"), {**CANARY, "email": "", "address": "", "language": "es"})
    assert "correo electrónico" in response.json()["message"]
