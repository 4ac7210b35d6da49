"""The key provider the retention suites (disposition, hold) run under."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from cityid.bench.softhsm import init_token, softhsm_available

BENCH_SOFTHSM_LABEL = "cityid-bench"
BENCH_SOFTHSM_PIN = "1234"


def use_key_provider(kind: str, scratch: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Make ``kind`` ("local" or "pkcs11") the active key provider of this process.

    For ``pkcs11`` a fresh SoftHSM2 token (label ``cityid-bench``) is created in ``scratch`` (a
    temporary directory if None). SoftHSM reads ``SOFTHSM2_CONF`` once, when the library is first
    loaded: call this before anything in the process has used PKCS#11 (``cityid bench`` runs each
    provider in its own process for that reason).
    """
    from django.conf import settings

    from cityid.vault import providers

    if kind == "pkcs11":
        if not softhsm_available():
            raise RuntimeError("SoftHSM2 is not installed (apt-get install softhsm2)")
        root = Path(scratch if scratch is not None else tempfile.mkdtemp(prefix="cityid-softhsm-")) / "softhsm"
        token = init_token(root, BENCH_SOFTHSM_LABEL, BENCH_SOFTHSM_PIN)
        settings.CITYID_PKCS11_LIBRARY = token.library
        settings.CITYID_PKCS11_TOKEN = token.label
        settings.CITYID_PKCS11_PIN = token.pin
        described = {"provider": "pkcs11", "library": token.library, "token": token.label,
                     "softhsm2_conf": str(token.conf)}
    elif kind == "local":
        described = {"provider": "local", "keys_dir": str(settings.KEYS_DIR)}
    else:
        raise ValueError(f"unknown key provider {kind!r}: local or pkcs11")
    settings.CITYID_KEY_PROVIDER = kind
    providers._providers.clear()
    return described
