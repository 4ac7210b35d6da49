"""Card credentials on the server: signed payloads verified against the published JWK Set and status
list (over HTTP, as a partner fetches them), status-list indexes, rebuilds on status change, key
rotation, caching headers and the ``card keys | verify | status-list`` commands."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta

import pytest
import segno
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from cityid.accounts.policy import PermissionDenied
from cityid.audit.models import AuditEntry
from cityid.cards import credentials, issuing, status_list
from cityid.cards.models import Card, CredentialKey
from cityid.cards.services import change_status

PHOTO = hashlib.sha256(b"the portrait").digest()
BIRTH = date(1990, 2, 3)


def payloads(card: Card, **kwargs: object) -> tuple[str, str]:
    return issuing.credential_payloads(card, name="Ana Pérez", birth_date=BIRTH, photo_hash=PHOTO,
                                       **kwargs)  # type: ignore[arg-type]


def published(client) -> tuple[dict, status_list.StatusList]:  # type: ignore[no-untyped-def]
    keys = credentials.key_set(json.loads(client.get("/.well-known/cityid/keys").content))
    response = client.get("/.well-known/cityid/status")
    return keys, status_list.parse(response.content.decode(), keys, now=timezone.now())


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("card", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    assert "\n" not in str(error.value)
    return str(error.value)


def test_a_card_has_a_random_status_index_and_both_codes_verify_against_the_published_set(card, client):
    assert card.status_index is not None and 0 <= card.status_index < status_list.MIN_ENTRIES
    full, minimal = payloads(card, today=date(2026, 12, 1))
    keys, statuses = published(client)
    verified = credentials.verify(full, keys, status=statuses)
    assert verified.status == "active"
    assert verified.claims == credentials.FullClaims(
        issuer="http://127.0.0.1:8000", expires_on=card.expires_on, card_number=card.number, name="Ana Pérez",
        birth_date=BIRTH, photo_hash=PHOTO, status_index=card.status_index)
    small = credentials.verify(minimal, keys, status=statuses).claims
    assert isinstance(small, credentials.MinimalClaims)
    assert (small.resident, small.over_18, small.over_21) == (True, True, True)
    assert card.number not in minimal and "Ana" not in str(small)


def test_over_18_and_21_hold_on_the_day_the_code_is_signed(card, client):
    _full, minimal = issuing.credential_payloads(card, name="Young", birth_date=date(2006, 6, 1),
                                                 photo_hash=PHOTO, today=date(2026, 12, 1))
    keys, _ = published(client)
    claims = credentials.verify(minimal, keys).claims
    assert isinstance(claims, credentials.MinimalClaims) and (claims.over_18, claims.over_21) == (True, False)


def test_indexes_are_drawn_at_random_not_in_issue_order(db):
    drawn = issuing.draw_status_indexes(2000)
    assert len(set(drawn)) == 2000
    assert drawn != sorted(drawn)
    assert max(drawn) - min(drawn) > status_list.MIN_ENTRIES // 2  # spread over the whole list


def test_attack_public_reader_learns_only_counts_from_the_status_list(
        staff, card, client, django_capture_on_commit_callbacks):
    """The list shows a revoked entry at a random index: nothing in it points at the card or its issue order."""
    full, _ = payloads(card)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(card, "revoke", reason="stolen", changed_by=staff["supervisor"])
    keys, statuses = published(client)
    revoked = [i for i in range(statuses.entries) if statuses.status_at(i)]
    assert revoked == [card.status_index]
    body = client.get("/.well-known/cityid/status").content.decode()
    document = credentials.b64url_decode(body.split(".")[1]).decode()
    assert card.number not in document and card.ref not in document
    with pytest.raises(credentials.Refused) as caught:
        credentials.verify(full, keys, status=statuses)
    assert caught.value.reason == credentials.REVOKED


def test_suspend_and_reinstate_rebuild_the_list(staff, card, client, django_capture_on_commit_callbacks):
    full, minimal = payloads(card)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    keys, statuses = published(client)
    with pytest.raises(credentials.Refused) as caught:
        credentials.verify(minimal, keys, status=statuses)
    assert caught.value.reason == credentials.SUSPENDED
    with django_capture_on_commit_callbacks(execute=True):
        change_status(card, "reinstate", reason="recovered", changed_by=staff["supervisor"])
    keys, statuses = published(client)
    assert credentials.verify(full, keys, status=statuses).status == "active"


def test_published_endpoints_cache_and_answer_not_modified(card, client):
    assert client.get("/.well-known/cityid/keys").status_code == 404  # nothing signed yet
    assert client.get("/.well-known/cityid/status").status_code == 404
    payloads(card)
    for url, kind in (("/.well-known/cityid/keys", "application/jwk-set+json"),
                      ("/.well-known/cityid/status", "application/vc+jwt")):
        first = client.get(url)
        assert first.status_code == 200 and first["Content-Type"] == kind
        assert first["Cache-Control"].startswith("public, max-age=") and first["ETag"].startswith('"')
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again["ETag"] == first["ETag"]
        assert client.post(url).status_code == 405


def test_rotation_keeps_old_cards_verifying(staff, card, client, django_capture_on_commit_callbacks):
    old_full, _ = payloads(card)
    old_kid = CredentialKey.objects.get().kid
    with django_capture_on_commit_callbacks(execute=True):
        new = issuing.rotate_keys(actor=None)
    new_full, _ = payloads(card)
    keys, statuses = published(client)
    assert statuses.key_id == new.kid != old_kid  # the list is re-signed by the new key
    assert credentials.verify(old_full, keys, status=statuses).key_id == old_kid
    assert credentials.verify(new_full, keys, status=statuses).key_id == new.kid
    jwks = json.loads(client.get("/.well-known/cityid/keys").content)
    retired = {key["kid"]: key.get("cityid_retired") for key in jwks["keys"]}
    assert retired[old_kid] == timezone.now().date().isoformat() and retired[new.kid] is None
    assert AuditEntry.objects.filter(action="card.keys_rotate", target=f"card_key:{new.kid}").exists()


def test_attack_a_supervisor_cannot_rotate_the_card_keys(staff, card):
    with pytest.raises(PermissionDenied):
        issuing.rotate_keys(actor=staff["supervisor"])
    assert "permission denied" in refused("keys", "rotate", "--actor", "supervisor1")
    assert not CredentialKey.objects.exists()


def test_card_keys_prints_the_jwk_set_and_rotate_as_operator(db):
    first = json.loads(run("keys"))
    assert [key["kty"] for key in first["keys"]] == ["EC"]
    assert run("keys", "rotate").startswith("new card signing key ")
    assert len(json.loads(run("keys"))["keys"]) == 2


def test_card_status_list_command_re_signs(card):
    assert "status list signed at" in run("status-list")


# --- card verify ---------------------------------------------------------------------------------------


def _png(tmp_path, *texts: str):  # type: ignore[no-untyped-def]
    images = []
    for text in texts:
        buffer = io.BytesIO()
        segno.make(text, error="q", micro=False).save(buffer, kind="png", scale=4, border=4)
        images.append(Image.open(io.BytesIO(buffer.getvalue())))
    sheet = Image.new("L", (sum(i.width for i in images) + 40, max(i.height for i in images)), 255)
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width + 40
    path = tmp_path / "codes.png"
    sheet.save(path)
    return str(path)


def test_verify_a_payload_and_a_picture_of_both_codes(card, tmp_path):
    full, minimal = payloads(card)
    printed = run("verify", "--payload", full)
    assert "kind: full" in printed and f"card_number: {card.number}" in printed and "status: active" in printed
    printed = run("verify", "--image", _png(tmp_path, full, minimal))
    assert "code 1 of 2" in printed and "code 2 of 2" in printed and "kind: minimal" in printed


def test_verify_refuses_each_reason_by_name(staff, card, tmp_path, django_capture_on_commit_callbacks):
    full, minimal = payloads(card)
    assert refused("verify", "--payload", full[:-3]).startswith("refused: malformed")
    assert refused("verify", "--payload", "CID1:~~~").startswith("refused: malformed")
    other = credentials.encode(credentials.MinimalClaims(
        issuer="x", expires_on=date(2030, 1, 1), resident=True, over_18=True, over_21=True, status_index=1),
        credentials.LocalSigner())
    assert refused("verify", "--payload", other).startswith("refused: unknown_key")
    token = credentials.b45decode(minimal[5:])
    tampered = token[:-1] + bytes([token[-1] ^ 1])
    assert refused("verify", "--payload", "CID1:" + credentials.b45encode(tampered)).startswith(
        "refused: bad_signature")
    expired_card = Card.objects.get(pk=card.pk)
    expired_card.expires_on = timezone.localdate() - timedelta(days=2)
    expired_card.number = card.number
    old, _ = payloads(expired_card)
    assert refused("verify", "--payload", old).startswith("refused: expired")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    assert refused("verify", "--payload", full).startswith("refused: suspended")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(card, "revoke", reason="stolen", changed_by=staff["supervisor"])
    assert refused("verify", "--payload", full).startswith("refused: revoked")


def test_verify_with_given_keys_and_status_files(card, tmp_path):
    full, _ = payloads(card)
    keys_file, status_file = tmp_path / "keys.json", tmp_path / "status.jws"
    keys_file.write_text(json.dumps(issuing.jwk_set()))
    status_file.write_text(issuing.published_status_list().jws)  # type: ignore[union-attr]
    assert "status: active" in run("verify", "--payload", full, "--keys", str(keys_file), "--status",
                                   str(status_file))
    status_file.write_text(status_file.read_text()[:-4] + "AAAA")
    assert "status list is refused" in refused("verify", "--payload", full, "--status", str(status_file))
    keys_file.write_text("not json")
    assert "JWK Set" in refused("verify", "--payload", full, "--keys", str(keys_file))


def test_attack_pictures_without_a_code_huge_or_not_images_are_refused(card, tmp_path):
    payloads(card)
    blank = tmp_path / "blank.png"
    Image.new("L", (400, 300), 255).save(blank)
    assert refused("verify", "--image", str(blank)) == "refused: no_code: No QR code was found in the picture."
    huge = tmp_path / "huge.png"
    Image.new("1", (9000, 9000), 1).save(huge)  # 81 megapixels, a few kilobytes on disk
    assert refused("verify", "--image", str(huge)).startswith("refused: too_large")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert refused("verify", "--image", str(junk)).startswith("refused: not_an_image")
    qr_text = tmp_path / "other.png"
    segno.make("https://example.org/not-a-card").save(str(qr_text), scale=4)
    assert refused("verify", "--image", str(qr_text)).startswith("refused: malformed")
    assert "cannot read" in refused("verify", "--image", str(tmp_path / "missing.png"))


@pytest.mark.hsm
def test_with_the_hsm_the_card_key_is_an_ecdsa_key_inside_the_token(db, settings, softhsm_token, client):
    import pkcs11

    from cityid.vault.signers import get_store

    library, label, pin = softhsm_token
    settings.CITYID_PKCS11_LIBRARY, settings.CITYID_PKCS11_TOKEN, settings.CITYID_PKCS11_PIN = library, label, pin
    settings.CITYID_KEY_PROVIDER = settings.CITYID_SIGNER = "pkcs11"
    store = get_store()
    with store._lock:  # the token outlives each test's database: no card key left from another test
        for found in list(store._session.get_objects({pkcs11.Attribute.TOKEN: True})):
            if str(found[pkcs11.Attribute.LABEL]).startswith(store.PREFIX + "cards-"):
                found.destroy()
    signer = issuing.card_signer()
    private = store._key(signer.key_id, pkcs11.ObjectClass.PRIVATE_KEY)
    assert private.key_type == pkcs11.KeyType.EC and not private[pkcs11.Attribute.EXTRACTABLE]
    text = credentials.encode(credentials.MinimalClaims(
        issuer="i", expires_on=date(2031, 1, 1), resident=True, over_18=True, over_21=False, status_index=3), signer)
    issuing.rebuild_status_list()
    keys, statuses = published(client)
    assert credentials.verify(text, keys, status=statuses).status == "active"
    signing = settings.KEYS_DIR / "signing"
    assert not signing.exists() or not list(signing.glob("*.pem"))  # no card key sits in a file
