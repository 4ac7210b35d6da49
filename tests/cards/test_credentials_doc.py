"""The worked example in docs/credentials.md verifies, as written, with the pure verifier: the document a
JavaScript implementer follows cannot drift from the code."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cityid.cards import credentials as cred
from cityid.cards import status_list as sl

DOC = (Path(__file__).resolve().parents[2] / "docs" / "credentials.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)\n```", DOC, flags=re.S)


def _block(kind: str, starts: str, contains: str = "") -> str:
    return next(text for language, text in BLOCKS
                if language == kind and text.startswith(starts) and contains in text)


def test_the_documented_example_verifies() -> None:
    keys = cred.key_set(json.loads(_block("json", '{"keys"', contains="ZgtqkVwmXpw")))
    full, minimal = [text for language, text in BLOCKS if language == "text" and text.startswith("CID1:")]
    now = datetime(2027, 1, 1, tzinfo=UTC)
    verified = cred.verify(full, keys, now=now)
    assert verified.key_id == "ZgtqkVwmXpw"
    assert verified.claims == cred.FullClaims(
        issuer="https://id.example.city", expires_on=date(2031, 12, 31), card_number="4000123456789017",
        name="Ana María Pérez", birth_date=date(1990, 2, 3),
        photo_hash=bytes.fromhex("51c5a8296a032ce7b3014e66000c20d0d759d2e910873f28fa6107ab012bf887"),
        status_index=12345)
    assert isinstance(cred.verify(minimal, keys, now=now).claims, cred.MinimalClaims)
    statuses = sl.parse(_block("text", "eyJ"), keys, now=now)
    for text, reason in ((full, cred.REVOKED), (minimal, cred.SUSPENDED)):
        with pytest.raises(cred.Refused) as caught:
            cred.verify(text, keys, status=statuses, now=now)
        assert caught.value.reason == reason
    signed = bytes.fromhex(_block("text", "846a"))
    raw = cred.b45decode(full[len(cred.PREFIX):]).hex()
    assert signed.hex()[-40:] in raw and _block("text", "d284") == raw
