"""The OpenAPI 3.1 document of the partner API (``cityid.cards.partner_api``), served at a stable URL."""

from __future__ import annotations

from typing import Any

from cityid.cards.selectors import PARTNER_STATUS, PARTNER_UNKNOWN

VERSION = "1.0.0"
BASE_PATH = "/api/partner/v1"


def _error(description: str, code: str) -> dict[str, Any]:
    body = {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"error": code}}
    return {"description": description, "content": {"application/json": body}}


def openapi_document() -> dict[str, Any]:
    statuses = [*PARTNER_STATUS.values(), PARTNER_UNKNOWN]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cityid partner API",
            "version": VERSION,
            "summary": "Whether a city ID card is active, suspended or revoked.",
            "description": (
                "For partners (banks, libraries, hospitals) that accept the city's ID card. The API says only "
                "whether a card number belongs to an active, suspended or revoked card, or is unknown; it never "
                "says who holds it. A malformed number and a number no card has get the same answer, `unknown`. "
                "Each partner has its own API key, made by two of the program's administrators and shown once; "
                "send it in the `Authorization` header, never in a URL. The card number travels in the body so "
                "that it stays out of access logs. Each call is recorded in the program's audit log with the "
                "key and the answer, without the number. Calls are limited per key, per minute and per day; "
                "past a limit the answer is 429 with `Retry-After`. `active` means issued and neither "
                "suspended nor revoked: the expiry date is printed on the card and signed in its QR code, "
                "which the partner page verifies offline."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": BASE_PATH}],
        "security": [{"partnerKey": []}],
        "paths": {
            "/card-status": {
                "post": {
                    "operationId": "cardStatus",
                    "summary": "The status of one card number",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/CardStatusRequest"},
                            "example": {"number": "4000 1234 5678 9010"},
                        }},
                    },
                    "responses": {
                        "200": {"description": "The card's status.", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/CardStatus"},
                            "example": {"status": "active"},
                        }}},
                        "400": _error("The body is not a JSON object with a `number` string (at most 64 "
                                      "characters).", "bad_request"),
                        "401": _error("No key, or a key that is not (or no longer) valid.", "unauthorized"),
                        "429": {**_error("Too many calls with this key; try again after `Retry-After` seconds.",
                                         "rate_limited"),
                                "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                            "description": "seconds until the window ends"}}},
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "partnerKey": {"type": "http", "scheme": "bearer", "bearerFormat": "cityid_<prefix>_<secret>",
                               "description": "The partner's API key."},
            },
            "schemas": {
                "CardStatusRequest": {
                    "type": "object", "required": ["number"], "additionalProperties": True,
                    "properties": {"number": {"type": "string", "maxLength": 64,
                                              "description": "The 16-digit card number; spaces and hyphens are "
                                                             "ignored."}},
                },
                "CardStatus": {
                    "type": "object", "required": ["status"], "additionalProperties": False,
                    "properties": {"status": {"type": "string", "enum": statuses}},
                },
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {"type": "string",
                                             "enum": ["bad_request", "unauthorized", "rate_limited"]}},
                },
            },
        },
    }
