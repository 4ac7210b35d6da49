"""Card credentials on the server: the signing keys, status-list indexes, the signed status list, and
the two QR payloads of a card. The codec is the pure :mod:`cityid.cards.credentials`; the wire format is
``docs/credentials.md``.

Keys: the vault's signing-key store holds the private halves (a key file or the HSM, purpose
``cards``, always ECDSA P-256 for ES256); :class:`CredentialKey` publishes the public halves under their
``kid``. Rotation (the host operator only) retires the current key, which stays published.

Status list: every card has a random index in a list of ``CITYID_CARD_STATUS_ENTRIES`` entries; the
signed list (a compact JWS) is rebuilt after every status change and key rotation, and by
``cityid card status-list`` (run it daily: the list is valid for ``CITYID_CARD_STATUS_HOURS``). Public
requests only read what was signed: they never sign or write.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cityid.accounts.services import authorize
from cityid.audit.services import record_event
from cityid.cards import credentials, status_list
from cityid.cards.models import Card, CardStatus, CredentialKey, StatusListDocument
from cityid.cards.sealing import open_numbers
from cityid.core.actors import Actor
from cityid.core.dates import age_on
from cityid.core.errors import CityidError
from cityid.vault import services as vault
from cityid.vault.signers import ECDSA_P256, Signer

PURPOSE = "cards"
KEYS_PATH = "/.well-known/cityid/keys"
STATUS_PATH = "/.well-known/cityid/status"
STATUS_VALUES: dict[str, int] = {CardStatus.SUSPENDED: status_list.SUSPENDED, CardStatus.REVOKED: status_list.REVOKED}


class CredentialError(CityidError):
    """Card credentials cannot be made or checked (codes and words: ``cards.messages``)."""


# --- keys ------------------------------------------------------------------------------------------


def _record(signer: Signer) -> CredentialKey:
    public = signer.public_key()
    try:
        with transaction.atomic():
            key, _ = CredentialKey.objects.get_or_create(
                signing_key=signer.key_id, defaults=dict(kid=credentials.key_id(public), public_key=public))
    except IntegrityError:  # a concurrent first use recorded it
        key = CredentialKey.objects.get(signing_key=signer.key_id)
    return key


def card_signer() -> Signer:
    """The key that signs credentials and the status list now (made on first use, ECDSA P-256)."""
    signer: Signer = vault.current_signer(purpose=PURPOSE, algorithm=ECDSA_P256)
    if signer.algorithm != ECDSA_P256:
        raise CredentialError("not_es256", key=signer.key_id)
    _record(signer)
    return signer


def rotate_keys(*, actor: Actor | None) -> CredentialKey:
    """A new signing key for credentials from now on; the old one is retired (its private half
    destroyed, its public half still published so that cards it signed keep verifying). The host
    operator only (``cards.rotate_keys``). The status list is re-signed with the new key."""
    authorize(actor, "cards.rotate_keys", target="cards:keys")
    card_signer()  # the current key is recorded before it is retired
    with transaction.atomic():
        signer = vault.rotate_signer(purpose=PURPOSE, algorithm=ECDSA_P256)
        CredentialKey.objects.filter(retired_at=None).exclude(signing_key=signer.key_id).update(
            retired_at=timezone.now())
        key = _record(signer)
        record_event(actor=actor, action="card.keys_rotate", target=f"card_key:{key.kid}")
        transaction.on_commit(rebuild_status_list, robust=True)
    return key


def published_keys() -> list[CredentialKey]:
    """Every credential key, newest first: the current one and the retired ones."""
    return list(CredentialKey.objects.all())


def jwk_set() -> dict[str, Any]:
    """The JWK Set served at ``/.well-known/cityid/keys`` and printed by ``cityid card keys``."""
    return credentials.jwk_set([
        (bytes(key.public_key), key.retired_at.date().isoformat() if key.retired_at else None)
        for key in published_keys()
    ])


def key_set() -> dict[str, Any]:
    """The verifying keys of the published set (for the command's verifier)."""
    return credentials.key_set_of([bytes(key.public_key) for key in published_keys()])


# --- status-list indexes ------------------------------------------------------------------------------


def draw_status_indexes(count: int) -> list[int]:
    """``count`` distinct indexes drawn uniformly at random among those no card holds, in random order:
    a card's index says nothing about when it was issued or to whom. A concurrent issuer may draw the
    same one; the unique constraint refuses the second, which draws again."""
    entries = settings.CITYID_CARD_STATUS_ENTRIES
    chosen: set[int] = set()
    for _attempt in range(50):
        need = count - len(chosen)
        if need <= 0:
            break
        candidates = {secrets.randbelow(entries) for _ in range(need)} - chosen
        listed = list(candidates)
        taken: set[int] = set()
        for start in range(0, len(listed), 5000):
            taken.update(index for index in Card.objects.filter(status_index__in=listed[start:start + 5000])
                         .values_list("status_index", flat=True) if index is not None)
        chosen |= candidates - taken
    if len(chosen) < count:
        raise CredentialError("status_list_full", entries=entries)
    drawn = list(chosen)
    random.SystemRandom().shuffle(drawn)
    return drawn[:count]


def ensure_status_index(card: Card) -> int:
    """The card's index, drawn now for a card issued before indexes existed."""
    if card.status_index is not None:
        return card.status_index
    for _attempt in range(5):
        index = draw_status_indexes(1)[0]
        try:
            with transaction.atomic():
                updated = Card.objects.filter(pk=card.pk, status_index=None).update(status_index=index)
        except IntegrityError:
            continue
        if not updated:  # another process gave it one first
            card.status_index = Card.objects.values_list("status_index", flat=True).get(pk=card.pk)
        else:
            card.status_index = index
        return int(card.status_index)  # type: ignore[arg-type]
    raise CredentialError("status_list_full", entries=settings.CITYID_CARD_STATUS_ENTRIES)


# --- the status list ----------------------------------------------------------------------------------


def status_list_url() -> str:
    return settings.CITYID_CARD_ISSUER.rstrip("/") + STATUS_PATH


def rebuild_status_list(*, now: datetime | None = None) -> StatusListDocument:
    """Sign the status list of every card as it stands now and store it for the public URL.
    Rebuilds are serialised (a row lock), so a later change is never overwritten by an older list."""
    signer = card_signer()
    now = now or timezone.now()
    entries = settings.CITYID_CARD_STATUS_ENTRIES
    for _attempt in range(3):
        try:
            with transaction.atomic():
                StatusListDocument.objects.select_for_update().filter(pk=1).first()
                statuses: list[tuple[int, int]] = [
                    (index, STATUS_VALUES[status]) for index, status in
                    Card.objects.exclude(status=CardStatus.ISSUED).exclude(status_index=None)
                    .values_list("status_index", "status").iterator(chunk_size=10_000) if index is not None
                ]
                jws = status_list.build(
                    statuses=statuses, entries=entries, issuer=settings.CITYID_CARD_ISSUER, url=status_list_url(),
                    signer=signer, valid_from=now, ttl=timedelta(hours=settings.CITYID_CARD_STATUS_HOURS))
                document, _ = StatusListDocument.objects.update_or_create(pk=1, defaults=dict(
                    jws=jws, etag=hashlib.sha256(jws.encode()).hexdigest()[:32], built_at=now, entries=entries))
            return document
        except IntegrityError:
            continue  # two first builds: the other created the row; lock it and build again
    raise CredentialError("status_list_busy")


def rebuild_status_list_after_commit() -> None:
    """Rebuild once the current transaction commits (a status change's own transaction). A failure to
    sign (the HSM away) is logged, not raised: the change stands, and the next rebuild publishes it."""
    transaction.on_commit(lambda: rebuild_status_list(), robust=True)


def published_status_list() -> StatusListDocument | None:
    """The signed status list as last built (None before the first build). Reads only."""
    return StatusListDocument.objects.filter(pk=1).first()


def ensure_status_list() -> StatusListDocument:
    return published_status_list() or rebuild_status_list()


def verified_status_list(*, now: datetime | None = None) -> status_list.StatusList:
    """The published status list, its signature checked against the published keys (the command's
    verifier checks what partners download)."""
    document = ensure_status_list()
    return status_list.parse(document.jws, key_set(), now=now or timezone.now())


# --- a card's two codes ------------------------------------------------------------------------------------


def credential_payloads(card: Card, *, name: str, birth_date: date, photo_hash: bytes,
                        today: date | None = None) -> tuple[str, str]:
    """The texts of the card's two QR codes, ``(full, minimal)``, signed now.

    ``name`` and ``birth_date`` are as printed on the card; ``photo_hash`` is SHA-256 of the printed
    portrait's bytes. The card number is opened here if the caller has not opened it (the caller
    authorises and logs the card's printing). The minimal code's over-18 and over-21 hold on ``today``
    (the day the card is printed)."""
    if card.number is None:
        open_numbers([card])
    if card.number is None:
        raise CredentialError("number_destroyed")
    if len(photo_hash) != 32:
        raise CredentialError("photo_hash")
    index = ensure_status_index(card)
    today = today or timezone.localdate()
    signer = card_signer()
    if published_status_list() is None:
        rebuild_status_list()
    issuer = settings.CITYID_CARD_ISSUER
    full = credentials.FullClaims(issuer=issuer, expires_on=card.expires_on, card_number=card.number, name=name,
                                  birth_date=birth_date, photo_hash=bytes(photo_hash), status_index=index)
    age = age_on(birth_date, today)
    minimal = credentials.MinimalClaims(issuer=issuer, expires_on=card.expires_on, resident=True,
                                        over_18=age >= 18, over_21=age >= 21, status_index=index)
    return credentials.encode(full, signer), credentials.encode(minimal, signer)
