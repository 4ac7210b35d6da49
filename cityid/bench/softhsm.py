"""SoftHSM2 tokens for the PKCS#11 figures of ``cityid bench`` and for the tests: one set-up for both."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SOFTHSM_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "5678"


@dataclass(frozen=True)
class SoftHSMToken:
    library: str
    label: str
    pin: str
    conf: Path


def softhsm_available() -> bool:
    return bool(shutil.which("softhsm2-util")) and os.path.exists(SOFTHSM_LIBRARY)


def init_token(root: Path, label: str, pin: str) -> SoftHSMToken:
    """A fresh token labelled ``label`` whose files live under ``root``, made this process's SoftHSM2.

    SoftHSM reads ``SOFTHSM2_CONF`` once, when the library is first loaded: call this before
    anything in the process has used PKCS#11.
    """
    (root / "tokens").mkdir(parents=True, exist_ok=True)
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", pin],
        check=True, capture_output=True,
    )
    return SoftHSMToken(library=SOFTHSM_LIBRARY, label=label, pin=pin, conf=conf)
