"""The credential codec and its verifier (pure Python): round trips, interoperability with python-cwt and
the Base45 reference, and every refusal reason of the issue on hostile input."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta

import base45
import cbor2
import cwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityid.cards import credentials as cred
from cityid.cards import status_list as sl

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SIGNER = cred.LocalSigner()
OTHER = cred.LocalSigner()
KEYS = cred.key_set_of([SIGNER.public_key()])


def full(**changes: object) -> cred.FullClaims:
    values: dict[str, object] = dict(
        issuer="https://id.example.city", expires_on=date(2030, 6, 30), card_number="1234567812345670",
        name="Ana María Pérez-O'Neil", birth_date=date(1990, 2, 3), photo_hash=bytes(range(32)), status_index=1234)
    values.update(changes)
    return cred.FullClaims(**values)  # type: ignore[arg-type]


def minimal(**changes: object) -> cred.MinimalClaims:
    values: dict[str, object] = dict(issuer="https://id.example.city", expires_on=date(2030, 6, 30), resident=True,
                                     over_18=True, over_21=False, status_index=99)
    values.update(changes)
    return cred.MinimalClaims(**values)  # type: ignore[arg-type]


def status_list_with(statuses: list[tuple[int, int]]) -> sl.StatusList:
    text = sl.build(statuses=statuses, entries=sl.MIN_ENTRIES, issuer="https://id.example.city",
                    url="https://id.example.city/.well-known/cityid/status", signer=SIGNER, valid_from=NOW)
    return sl.parse(text, KEYS, now=NOW)


def refusal(text: str, **kwargs: object) -> str:
    with pytest.raises(cred.Refused) as caught:
        cred.verify(text, kwargs.pop("keys", KEYS), now=NOW, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


def test_full_and_minimal_round_trip() -> None:
    for claims in (full(), minimal()):
        text = cred.encode(claims, SIGNER)
        assert text.startswith("CID1:")
        assert set(text) <= set(cred.B45)  # QR alphanumeric mode
        verified = cred.verify(text, KEYS, status=status_list_with([]), now=NOW)
        assert verified.claims == claims
        assert verified.key_id == SIGNER.key_id and verified.status == "active"


def test_codes_fit_a_qr_in_alphanumeric_mode_at_error_correction_q() -> None:
    import segno

    for claims in (full(), minimal()):
        code = segno.make(cred.encode(claims, SIGNER), error="q", micro=False)
        assert code.mode == "alphanumeric" and code.error == "Q" and code.version <= 15


def test_minimal_code_carries_no_name_number_or_birth_date() -> None:
    text = cred.encode(minimal(), SIGNER)
    token = cbor2.loads(cred.b45decode(text[5:])).value
    claims = cbor2.loads(token[2])
    assert set(claims) == {cred.CLAIM_ISS, cred.CLAIM_EXP, cred.CLAIM_CITYID}
    assert set(claims[cred.CLAIM_CITYID]) == {cred.VERSION, cred.KIND, cred.STATUS_INDEX, cred.RESIDENT,
                                              cred.OVER_18, cred.OVER_21}
    assert "1234567812345670" not in repr(claims)


def test_python_cwt_verifies_our_tokens_with_the_published_jwk() -> None:
    """Interoperability: an independent COSE implementation checks the signature with the JWK."""
    text = cred.encode(full(), SIGNER)
    jwk = cred.jwk(SIGNER.public_key())
    key = cwt.COSEKey.new({1: 2, -1: 1, -2: cred.b64url_decode(jwk["x"]), -3: cred.b64url_decode(jwk["y"]),
                           3: -7, 2: cred.b64url_decode(jwk["kid"])})  # EC2, P-256, ES256, the kid's 8 bytes
    claims = cwt.decode(cred.b45decode(text[5:]), key, no_verify=False)
    assert claims[cred.CLAIM_ISS] == "https://id.example.city"
    assert claims[cred.CLAIM_CITYID][cred.NUMBER] == "1234567812345670"


def test_base45_matches_the_reference_library() -> None:
    for data in (b"", b"A", b"AB", b"hello world", bytes(range(256))):
        assert cred.b45encode(data) == base45.b45encode(data).decode()
        assert cred.b45decode(cred.b45encode(data)) == data
    assert cred.b45decode("QED8WEX0") == b"ietf!"  # RFC 9285 example


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_base45_decoding_matches_the_reference_library_on_any_bytes(data: bytes) -> None:
    text = base45.b45encode(data).decode()
    assert cred.b45decode(text) == data == base45.b45decode(text)


def test_base45_refuses_a_group_above_its_range_wherever_it_is() -> None:
    assert cred.b45decode("FGW") == b"\xff\xff" and cred.b45decode("U5") == b"\xff"  # the largest groups
    good = cred.b45encode(bytes(range(200)))
    for bad in ("GGW", "ZZZ", "ZZ", "V5", good[:30] + "GGW" + good[33:], good + "GGW", "GGW" + good, good + "ZZ"):
        with pytest.raises(ValueError):
            cred.b45decode(bad)
    assert len(cred._B45_MASKS) <= 16  # the lengths seen, bounded


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=64, max_size=64), st.integers(min_value=0, max_value=40),
       st.integers(min_value=0, max_value=40))
def test_der_signature_is_what_cryptography_encodes(signature: bytes, zeros_r: int, zeros_s: int) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

    r, s = bytes(min(zeros_r, 32)) + signature[:32], bytes(min(zeros_s, 32)) + signature[32:]
    signature = r[:32] + s[:32]  # leading zero bytes (short integers), high bits (a 0 byte prepended)
    der = cred.der_signature(signature)
    assert der == encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    assert cred.raw_signature(der) == signature and decode_dss_signature(der)


def test_jwk_set_round_trips_and_names_keys_by_their_own_hash() -> None:
    jwks = cred.jwk_set([(SIGNER.public_key(), None), (OTHER.public_key(), "2026-01-01")])
    keys = cred.key_set(jwks)
    assert set(keys) == {SIGNER.key_id, OTHER.key_id}
    assert jwks["keys"][1]["cityid_retired"] == "2026-01-01"
    forged = dict(jwks["keys"][1], kid=SIGNER.key_id)  # another key under the first one's kid
    with pytest.raises(ValueError):
        cred.key_set({"keys": [forged]})


def test_a_retired_key_still_verifies_what_it_signed() -> None:
    old_text = cred.encode(minimal(), OTHER)
    keys = cred.key_set(cred.jwk_set([(SIGNER.public_key(), None), (OTHER.public_key(), "2026-01-01")]))
    assert cred.verify(old_text, keys, now=NOW).key_id == OTHER.key_id


# --- bad input: every reason of the issue --------------------------------------------------------------


def _resign_payload(text: str, change) -> str:  # type: ignore[no-untyped-def]
    token = cbor2.loads(cred.b45decode(text[5:])).value
    claims = cbor2.loads(token[2])
    change(claims)
    token[2] = cbor2.dumps(claims)  # the old signature stays
    return "CID1:" + cred.b45encode(cbor2.dumps(cbor2.CBORTag(18, token)))


def test_attack_one_claim_changed_is_a_bad_signature() -> None:
    text = cred.encode(full(), SIGNER)

    def change(claims: dict) -> None:  # type: ignore[type-arg]
        claims[cred.CLAIM_CITYID][cred.NAME] = "Someone Else"

    assert refusal(_resign_payload(text, change)) == cred.BAD_SIGNATURE

    def later(claims: dict) -> None:  # type: ignore[type-arg]
        claims[cred.CLAIM_EXP] += 365 * 86400

    assert refusal(_resign_payload(cred.encode(minimal(), SIGNER), later)) == cred.BAD_SIGNATURE


def test_attack_signature_from_another_key_under_our_key_id() -> None:
    class Impostor:
        def public_key(self) -> bytes:
            return SIGNER.public_key()  # claims our kid

        def sign(self, message: bytes) -> bytes:
            return OTHER.sign(message)

    assert refusal(cred.encode(full(), Impostor())) == cred.BAD_SIGNATURE


def test_attack_unknown_key_id() -> None:
    assert refusal(cred.encode(full(), OTHER)) == cred.UNKNOWN_KEY


def test_expired_card_is_refused_after_its_expiry_day() -> None:
    text = cred.encode(minimal(expires_on=date(2026, 11, 30)), SIGNER)
    assert cred.verify(text, KEYS, now=datetime(2026, 11, 30, 23, 59, tzinfo=UTC)).status == "unchecked"
    assert refusal(text) == cred.EXPIRED


def test_revoked_and_suspended_cards_by_the_status_list() -> None:
    statuses = status_list_with([(1234, sl.REVOKED), (99, sl.SUSPENDED)])
    assert refusal(cred.encode(full(), SIGNER), status=statuses) == cred.REVOKED
    assert refusal(cred.encode(minimal(), SIGNER), status=statuses) == cred.SUSPENDED
    assert cred.verify(cred.encode(full(status_index=1235), SIGNER), KEYS, status=statuses, now=NOW).status == "active"


def test_attack_truncated_non_base45_and_foreign_text_are_malformed() -> None:
    text = cred.encode(full(), SIGNER)
    for bad in (text[:-1], text[:-7], text[: len(text) // 2], "CID1:", "CID1:abc", "CID1:" + "%%%" * 3,
                text.replace("CID1:", "HC1:"), "", "CID1:" + "Z" * 5000, text[:40] + "é" + text[41:], "CID1:::"):
        assert refusal(bad) == cred.MALFORMED, bad


def test_attack_valid_cbor_that_is_not_a_card() -> None:
    assert refusal("CID1:" + cred.b45encode(cbor2.dumps([1, 2, 3]))) == cred.MALFORMED
    assert refusal("CID1:" + cred.b45encode(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])))) == cred.MALFORMED

    # Properly signed, but not our claims: still refused, not crashed.
    protected = cbor2.dumps({1: -7, 4: cred.kid_bytes(SIGNER.public_key())})
    payload = cbor2.dumps({1: "x", 4: "soon", -65537: {0: 1, 1: 1}})
    signature = cred.raw_signature(SIGNER.sign(cbor2.dumps(["Signature1", protected, b"", payload])))
    token = "CID1:" + cred.b45encode(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature])))
    assert refusal(token) == cred.MALFORMED

    payload = cbor2.dumps({1: "x", 4: 2_000_000_000, -65537: {0: 2, 1: 1}})  # a future claims version
    signature = cred.raw_signature(SIGNER.sign(cbor2.dumps(["Signature1", protected, b"", payload])))
    token = "CID1:" + cred.b45encode(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature])))
    with pytest.raises(cred.Refused) as caught:
        cred.verify(token, KEYS, now=NOW)
    assert caught.value.reason == cred.MALFORMED and "version" in caught.value.detail


def _token(raw: bytes) -> str:
    return "CID1:" + cred.b45encode(raw)


def test_attack_envelope_other_than_its_one_encoding_is_malformed() -> None:
    """docs/credentials.md §2: protected ``4d a2 01 26 04 48 kid``, ``a0``, the payload, ``58 40`` + 64 bytes."""
    raw = cred.b45decode(cred.encode(full(), SIGNER)[5:])
    assert raw[:3] == b"\xd2\x84\x4d" and raw[16] == 0xA0 and raw[-66:-64] == b"\x58\x40"
    assert cred.verify(_token(raw), KEYS, now=NOW).claims == full()
    assert cred.verify(_token(raw[1:]), KEYS, now=NOW).claims == full()  # untagged
    signature = raw[-64:]
    for bad in (
        raw + b"\x00",  # something after the array
        raw[:-66] + b"\x58\x3f" + signature[:63],  # a 63-byte signature
        raw[:-66] + b"\x59\x00\x40" + signature,  # its length not in the shortest form
        raw[:-66] + b"\x40",  # no signature
        raw[:2] + b"\x58\x0d" + raw[3:],  # the protected header's length not in the shortest form
        raw[:2] + b"\x4d\xa2\x04\x48" + raw[8:16] + b"\x01\x26" + raw[16:],  # kid before alg
        raw[:16] + b"\xa1\x01\x26" + raw[17:],  # an unprotected header
        raw[:1] + b"\x83" + raw[2:],  # an array of three
        raw[:17],
    ):
        assert refusal(_token(bad)) == cred.MALFORMED, bad.hex()


def test_unknown_key_ids_are_not_remembered() -> None:
    before = dict(cred._KID_TEXT)
    raw = bytearray(cred.b45decode(cred.encode(minimal(), SIGNER)[5:]))
    for n in range(100):
        raw[8:16] = n.to_bytes(8, "big")
        assert refusal(_token(bytes(raw))) == cred.UNKNOWN_KEY
    assert set(cred._KID_TEXT.values()) <= set(before.values()) | set(KEYS)  # no hostile kid kept


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_expiry_date_is_the_utc_date_of_exp_minus_a_day(exp: int) -> None:
    payload = cbor2.dumps({1: "https://id.example.city", 4: exp,
                           -65537: {0: 1, 1: 2, 2: 5, 7: True, 8: True, 9: False}})
    try:
        expected = datetime.fromtimestamp(exp - 86400, UTC).date()
    except (OverflowError, OSError, ValueError):
        with pytest.raises(cred.Refused):
            cred._claims(payload)
        return
    claims, got_exp = cred._claims(payload)
    assert claims.expires_on == expected and got_exp == exp


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_attack_any_text_is_refused_not_crashed(text: str) -> None:
    with pytest.raises(cred.Refused) as caught:
        cred.verify("CID1:" + text, KEYS, now=NOW)
    assert caught.value.reason in cred.REASONS


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=5, max_value=400), st.integers(min_value=0, max_value=44))
def test_attack_one_character_changed_is_refused(position: int, replacement: int) -> None:
    text = cred.encode(minimal(), SIGNER)
    position = min(position, len(text) - 1)
    changed = text[:position] + cred.B45[replacement] + text[position + 1:]
    if changed == text:
        return
    with pytest.raises(cred.Refused) as caught:
        cred.verify(changed, KEYS, now=NOW)
    assert caught.value.reason in (cred.MALFORMED, cred.BAD_SIGNATURE, cred.UNKNOWN_KEY)


# --- the status list ------------------------------------------------------------------------------------


def test_status_list_bit_order_is_the_w3c_one() -> None:
    bits = sl.build_bitstring([(0, sl.REVOKED), (5, sl.SUSPENDED)], sl.MIN_ENTRIES)
    assert bits[0] == 0b10_00_00_00  # index 0 is the left-most two bits
    assert bits[1] == 0b00_01_00_00  # index 5: second pair of byte 1
    assert len(bits) == sl.MIN_ENTRIES // 4
    assert [sl.status_at(bits, i) for i in range(6)] == [2, 0, 0, 0, 0, 1]


def test_status_list_document_is_a_signed_w3c_credential() -> None:
    text = sl.build(statuses=[(7, sl.REVOKED)], entries=sl.MIN_ENTRIES, issuer="https://id.example.city",
                    url="https://id.example.city/.well-known/cityid/status", signer=SIGNER, valid_from=NOW)
    payload, kid = sl.verify_jws(text, KEYS)
    assert kid == SIGNER.key_id
    subject = payload["credentialSubject"]
    assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert subject["statusSize"] == 2 and subject["encodedList"].startswith("u")
    raw = gzip.decompress(cred.b64url_decode(subject["encodedList"][1:]))
    assert sl.status_at(raw, 7) == sl.REVOKED and len(raw) * 4 >= 131_072
    # python-cwt's JOSE-independent check: the JWS signature is raw r||s over header.payload
    header, body, signature = text.split(".")
    assert len(cred.b64url_decode(signature)) == 64


def test_attack_status_list_tampered_or_signed_by_an_unknown_key() -> None:
    text = sl.build(statuses=[(7, sl.REVOKED)], entries=sl.MIN_ENTRIES, issuer="i", url="u", signer=SIGNER,
                    valid_from=NOW)
    header, body, signature = text.split(".")
    payload, _ = sl.verify_jws(text, KEYS)
    payload["credentialSubject"]["encodedList"] = sl.encode_list(sl.build_bitstring([], sl.MIN_ENTRIES))
    forged_body = cred.b64url(__import__("json").dumps(payload).encode())
    with pytest.raises(sl.StatusListRefused):
        sl.parse(f"{header}.{forged_body}.{signature}", KEYS)
    with pytest.raises(sl.StatusListRefused):
        sl.parse(text, cred.key_set_of([OTHER.public_key()]))
    for bad in ("", "a.b", "a.b.c", text[:-3], "x" * 100):
        with pytest.raises(sl.StatusListRefused):
            sl.parse(bad, KEYS)
    with pytest.raises(sl.StatusListRefused) as caught:
        sl.parse(text, KEYS, now=NOW + timedelta(days=2))
    assert caught.value.code == "stale"


def test_attack_status_list_decompression_bomb_is_bounded() -> None:
    bomb = "u" + cred.b64url(gzip.compress(bytes(64 * 1024 * 1024)))
    with pytest.raises(sl.StatusListRefused) as caught:
        sl.decode_list(bomb, max_entries=1 << 20)
    assert caught.value.code == "too_big"
    with pytest.raises(sl.StatusListRefused) as caught:
        sl.decode_list("u" + cred.b64url(gzip.compress(bytes(100))))  # too small for herd privacy
    assert caught.value.code == "too_small"
