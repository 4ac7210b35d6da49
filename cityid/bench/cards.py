"""The cards suite: offline credential verification (Base45 + CBOR + ES256 + a status-list lookup)
beside raw ECDSA P-256 verification on the same machine in the same run, and building and signing the
status list of 1,000,000 cards, and the card PDF rendering rate (:mod:`cityid.bench.card_pdf`)."""

from __future__ import annotations

import hashlib
import itertools
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from cityid.bench.common import load_average
from cityid.cards import credentials, status_list


def _full_claims(index: int) -> credentials.FullClaims:
    return credentials.FullClaims(
        issuer="https://id.example.city", expires_on=date.today() + timedelta(days=5 * 365),
        card_number="4000123456789017", name="Ana María Pérez-Rodríguez", birth_date=date(1990, 2, 3),
        photo_hash=hashlib.sha256(b"portrait").digest(), status_index=index)


def _everything_but_the_signature(text: str, statuses: status_list.StatusList) -> None:
    kid, payload, signature, _message = credentials._decode_token(text)  # the Sig_structure is built here
    credentials.b64url(kid)
    credentials.der_signature(signature)
    claims, _exp = credentials._claims(payload)
    statuses.status_at(claims.status_index)


def _cwt_key(signer: credentials.LocalSigner) -> Any:
    numbers = signer.private_key.public_key().public_numbers()
    return cwt.COSEKey.new({1: 2, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big"),
                            3: -7, 2: credentials.kid_bytes(signer.public_key())})


def bench_verification(*, verifications: int = 20_000, rounds: int = 20, entries: int = 1 << 22,
                       progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Verifications per second of the full offline pipeline (the QR text of a full credential:
    prefix, Base45, the COSE envelope, the ES256 signature, the claims, expiry, a status-list
    lookup in a verified list of ``entries``) and of a raw ECDSA P-256 verification (``cryptography``
    over the same signed bytes), interleaved in ``rounds`` so that a busy machine slows both alike."""
    signer = credentials.LocalSigner()
    keys = credentials.key_set_of([signer.public_key()])
    index = random.randrange(entries)
    text = credentials.encode(_full_claims(index), signer)
    statuses = status_list.StatusList(status_list.build_bitstring([(index ^ 1, status_list.REVOKED)], entries))
    raw_token = credentials.b45decode(text[len(credentials.PREFIX):])
    _kid, payload, signature, message = credentials._decode_token(text)
    signed = credentials._sig_structure(credentials._protected(credentials.kid_bytes(signer.public_key())), payload)
    if message != signed:  # the raw side verifies the bytes encode() signed, as the pipeline does
        raise AssertionError("the verifier's Sig_structure is not the signed one")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public = signer.private_key.public_key()
    algorithm = ec.ECDSA(hashes.SHA256())
    now = time.time()
    per_round = max(1, verifications // rounds)
    pipeline_seconds: list[float] = []
    raw_seconds: list[float] = []
    pipeline_cpu: list[float] = []
    raw_cpu: list[float] = []
    cwt_seconds: list[float] = []
    rest_seconds: list[float] = []
    cwt_key = _cwt_key(signer)
    load = load_average()
    for _ in range(rounds):
        c0, t0 = time.thread_time(), time.perf_counter()
        for _ in range(per_round):
            credentials.verify(text, keys, status=statuses, now=now)
        pipeline_seconds.append(time.perf_counter() - t0)
        pipeline_cpu.append(time.thread_time() - c0)
        c0, t0 = time.thread_time(), time.perf_counter()
        for _ in range(per_round):
            public.verify(der, message, algorithm)
        raw_seconds.append(time.perf_counter() - t0)
        raw_cpu.append(time.thread_time() - c0)
        t0 = time.perf_counter()
        for _ in range(per_round):
            _everything_but_the_signature(text, statuses)
        rest_seconds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(per_round // 4 or 1):
            cwt.decode(raw_token, cwt_key)
        cwt_seconds.append(time.perf_counter() - t0)
        if progress:
            progress(per_round)
    pipeline_rate = per_round * rounds / sum(pipeline_seconds)
    raw_rate = per_round * rounds / sum(raw_seconds)
    ratios = [raw / pipe for pipe, raw in zip(pipeline_seconds, raw_seconds, strict=True)]
    return {
        "verifications": per_round * rounds,
        "rounds": rounds,
        "qr_characters": len(text),
        "cose_bytes": len(raw_token),
        "pipeline_per_second": round(pipeline_rate),
        "raw_ecdsa_p256_verify_per_second": round(raw_rate),
        "ratio": round(pipeline_rate / raw_rate, 3),
        "ratio_median_of_rounds": round(statistics.median(ratios), 3),
        # The same loops in this thread's CPU time: what the other processes of a busy machine take
        # (time slices, not their share of the caches) left out of both sides.
        "ratio_cpu_time": round(sum(raw_cpu) / sum(pipeline_cpu), 3),
        # The pipeline without the signature check (text, Base45, envelope, claims, expiry, status lookup),
        # in raw verifications' time: what the pipeline adds when the signature check runs as fast in it as alone.
        "non_signature_work_in_raw_verifications": round(sum(rest_seconds) / sum(raw_seconds), 3),
        # For reference: python-cwt's decode of the same COSE token (signature and CWT claims; no Base45,
        # no status lookup), a quarter as many per round.
        "python_cwt_decode_per_second": round((per_round // 4 or 1) * rounds / sum(cwt_seconds)),
        "target_ratio": 0.7,
        "load_average": [load, load_average()],
    }


def bench_status_list(*, cards: int = 1_000_000, entries: int = 1 << 22, revoked: float = 0.01,
                      suspended: float = 0.005, signer: Any = None, repeats: int = 3) -> dict[str, Any]:
    """Seconds to build and sign the status list of ``cards`` cards at random distinct indexes among
    ``entries`` (``revoked`` and ``suspended`` shares of them not active).

    The cards come as two columns, index and status, as the database holds them; the timed work is
    what a rebuild does with them: pick the cards that are not active (the server's query does this
    in SQL; here the same scan of all ``cards`` rows, in C), set their bits, GZIP, base64url, the
    credential JSON, and the compact JWS signature (by ``signer``: the configured card signer when
    run by ``cityid bench``, so a key file or the HSM). The best of ``repeats``; the list read back
    verifies and holds every card's status."""
    signer = signer or credentials.LocalSigner()
    rng = random.Random(2026)
    indexes = rng.sample(range(entries), cards)
    n_revoked, n_suspended = int(cards * revoked), int(cards * suspended)
    values = ([status_list.REVOKED] * n_revoked + [status_list.SUSPENDED] * n_suspended
              + [status_list.ACTIVE] * (cards - n_revoked - n_suspended))
    rng.shuffle(values)
    timings = []
    jws = ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        not_active = zip(itertools.compress(indexes, values), filter(None, values), strict=True)
        jws = status_list.build(statuses=not_active, entries=entries, issuer="https://id.example.city",
                                url="https://id.example.city/.well-known/cityid/status", signer=signer,
                                valid_from=datetime.now(UTC))
        timings.append(time.perf_counter() - t0)
    keys = credentials.key_set_of([signer.public_key()])
    parsed = status_list.parse(jws, keys)
    checked = rng.sample(range(cards), 2000)
    if any(parsed.status_at(indexes[i]) != values[i] for i in checked):
        raise AssertionError("the status list read back does not match what was built")
    return {
        "cards": cards,
        "entries": entries,
        "revoked": n_revoked,
        "suspended": n_suspended,
        "build_and_sign_seconds": round(min(timings), 6),  # a small list builds in well under a millisecond
        "build_and_sign_seconds_all": [round(t, 6) for t in timings],
        "target_seconds": 2.0,
        "jws_bytes": len(jws),
        "signed_by": getattr(signer, "key_id", "in-memory key"),
    }


def signed_payloads(count: int, *, signer: Any = None) -> list[tuple[str, str]]:
    """``count`` pairs of real signed credential texts (full, minimal) for distinct cards: what the card PDF
    rate renders (signed before the timing starts)."""
    signer = signer or credentials.LocalSigner()
    rng = random.Random(11)
    pairs = []
    for n in range(count):
        index = rng.randrange(1 << 22)
        full = credentials.FullClaims(
            issuer="https://id.example.city", expires_on=date.today() + timedelta(days=5 * 365),
            card_number=f"{4000_0000_0000_0000 + n:016d}", name=rng.choice(["Ana María Pérez-Rodríguez", "Wei Zhang"]),
            birth_date=date(1950, 1, 1) + timedelta(days=rng.randrange(20000)),
            photo_hash=hashlib.sha256(n.to_bytes(4, "big")).digest(), status_index=index)
        minimal = credentials.MinimalClaims(issuer=full.issuer, expires_on=full.expires_on, resident=True,
                                            over_18=True, over_21=n % 5 != 0, status_index=index)
        pairs.append((credentials.encode(full, signer), credentials.encode(minimal, signer)))
    return pairs


def bench_cards(*, cards: int = 1_000_000, verifications: int = 20_000, pdf_cards: int = 200,
                progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The three figures; the status list is signed by the configured card signing key
    (``issuing.card_signer``); the card PDF rate (``cityid.bench.card_pdf``) renders ``pdf_cards`` cards with
    real signed credentials."""
    from django.conf import settings

    from cityid.bench.card_pdf import bench_card_pdf
    from cityid.cards.issuing import card_signer

    entries = settings.CITYID_CARD_STATUS_ENTRIES
    payloads = signed_payloads(pdf_cards)
    return {
        "verification": bench_verification(verifications=verifications, entries=entries, progress=progress),
        "status_list": bench_status_list(cards=min(cards, entries), entries=entries, signer=card_signer()),
        "card_pdf": bench_card_pdf(cards=pdf_cards, payloads=lambda n: payloads[n]),
    }
