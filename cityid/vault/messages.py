"""The words for the vault's error codes (registered in ``VaultConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.core.errors import register_messages
from cityid.vault.envelope import SealError
from cityid.vault.providers import KeyUnavailable
from cityid.vault.services import RecordDestroyed
from cityid.vault.signers import SigningKeyMissing


def register() -> None:
    register_messages(SealError, {
        "unknown_version": _("not a sealed value of a known version"),
        "not_provider_sealed": _("not a value sealed with a provider key"),
        "provider_key_unavailable": _("provider key %(key)s is unavailable"),
        "authentication_failed": _("a sealed value failed authentication (wrong key, wrong record or altered bytes)"),
    })
    register_messages(KeyUnavailable, {
        "missing": _("the key %(key)s does not exist in the key provider"),
        "not_this_key": _("the wrapped key does not belong to the key %(key)s"),
        "destroyed": _("the key is destroyed"),
    })
    register_messages(RecordDestroyed, {
        "destroyed": _("the record's key is destroyed: its data can no longer be read"),
    })
    register_messages(SigningKeyMissing, {
        "missing": _("the key store holds no signing key %(label)s"),
        "wrong_key_type": _("the signing key %(label)s is neither an Ed25519 nor an ECDSA P-256 key"),
        "no_mechanism": _("this token cannot make %(algorithm)s signing keys"),
        "none_yet": _("no %(purpose)s signing key yet"),
        "not_recorded": _("could not record a %(purpose)s signing key"),
    })
