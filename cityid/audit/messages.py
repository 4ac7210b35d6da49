"""The words for the audit log's error codes (registered in ``AuditConfig.ready()``).

The signed-note reader (``note.py``) is a pure core: it raises codes, and its words live here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityid.audit.note import NoteError
from cityid.audit.selectors import BadRequest, NotSigned, UnknownActor
from cityid.audit.services import LogInconsistent
from cityid.audit.verify import LogBroken, VerifyError
from cityid.core.errors import register_messages


def _broken(reason: Any) -> Any:
    """The first bad entry's index, then why."""
    def words(index: int, **params: Any) -> str:
        return str(_("audit log broken at index %(index)s: %(reason)s") % {"index": index, "reason": reason % params})
    return words


def register() -> None:
    register_messages(NoteError, {
        "bad_base64": _("invalid base64"),
        "noncanonical_base64": _("non-canonical base64"),
        "bad_key_name": _("invalid key name '%(name)s'"),
        "bad_public_key": _("public key must be Ed25519 (32 raw bytes) or ECDSA P-256 (DER)"),
        "bad_verifier_key": _("invalid public key in the verifier key"),
        "key_type_mismatch": _("the key is not of its stated type"),
        "bad_ecdsa_signature_length": _("an ECDSA P-256 signature is 8 to 72 bytes of DER"),
        "bad_private_key": _("private key must be an Ed25519PrivateKey or a 32-byte seed"),
        "malformed_key": _("malformed key"),
        "unsupported_key": _("unsupported key type or length"),
        "verifier_not_text": _("verifier key must be a string"),
        "verifier_id_mismatch": _("verifier key ID does not match the key"),
        "malformed_signer_key": _("malformed signer key"),
        "signer_id_mismatch": _("signer key ID does not match the key"),
        "bad_text": _("note text must be non-empty, end in a newline and hold no control characters"),
        "bad_signature_length": _("an Ed25519 signature is 64 bytes"),
        "malformed_note": _("malformed note"),
        "no_signature_block": _("malformed note: no signature block"),
        "signature_block_newline": _("malformed note: signature block must end in a newline"),
        "too_many_signatures": _("malformed note: too many signatures"),
        "bad_signature_line": _("malformed note: bad signature line"),
        "signature_too_short": _("malformed note: signature too short"),
        "ambiguous_key": _("ambiguous key %(key)s"),
        "invalid_signature": _("invalid signature for key %(key)s"),
        "no_verifiable_signature": _("note has no verifiable signatures"),
        "bad_origin": _("invalid checkpoint origin"),
        "bad_size": _("invalid checkpoint size"),
        "bad_root": _("checkpoint root must be 32 bytes"),
        "bad_extension": _("invalid checkpoint extension line"),
        "malformed_checkpoint": _("malformed checkpoint"),
        "checkpoint_lines": _("malformed checkpoint: needs origin, size and root on non-empty lines"),
        "malformed_size": _("malformed checkpoint size"),
        "malformed_root": _("malformed checkpoint root"),
        "wrong_origin": _("checkpoint origin '%(found)s' is not '%(origin)s'"),
    })
    register_messages(VerifyError, {
        "no_signing_key": _("cannot check the checkpoints: the log has no signing key"),
        "checkpoint_signature": _("%(label)s does not verify with the log's key: %(reason)s"),
        "checkpoint_columns": _("%(label)s: its size or root column differs from its signed note"),
    })
    register_messages(LogBroken, {
        "tile_malformed": _broken(_("stored tile %(tile)s is malformed (%(size)s bytes for width %(width)s)")),
        "tile_short": _broken(_("stored tile %(tile)s is missing or too short")),
        "tile_missing": _broken(_("stored tile %(tile)s is missing")),
        "tile_width": _broken(_("stored tile %(tile)s is %(width)s hashes wide; the tree of %(size)s entries has "
                                "%(want)s")),
        "node_differs": _broken(_("stored tree node %(node)s differs from the one the entries give")),
        "leaf_differs": _broken(_("the entry's leaf hash differs from the stored tree")),
        "not_json": _broken(_("the entry is not valid JSON")),
        "not_object": _broken(_("the entry is not a JSON object")),
        "wrong_index": _broken(_("the entry's bytes say index %(said)s")),
        "column_differs": _broken(_("column '%(column)s' does not match the entry")),
        "bad_time": _broken(_("the entry's time is malformed")),
        "not_canonical": _broken(_("the entry is not in canonical form")),
        "tree_shrank": _broken(_("the stored tree shrank from %(verified)s to %(size)s entries")),
        "missing_before": _broken(_("the entry is missing (the next stored one is %(next)s)")),
        "salt_size": _broken(_("the entry's salt is %(size)s bytes, not %(want)s")),
        "salt_missing": _broken(_("the entry has no salt, but entries from %(salted_from)s on are salted")),
        "target_hash": _broken(_("column 'target_hash' does not match the entry's target (a search misses it)")),
        "missing_by_head": _broken(_("the entry is missing (the log head says %(size)s entries)")),
        "beyond_head": _broken(_("entries beyond the log head (%(head)s) are stored")),
        "missing_by_tree": _broken(_("the entry is missing (the stored tree holds %(size)s)")),
        "checkpoint_beyond_log": _broken(_("%(label)s covers %(size)s entries but the log holds %(count)s")),
        "checkpoint_root": _broken(_("%(label)s (size %(size)s) does not match the root the entries give (the "
                                     "entries before %(good)s match the checkpoints)")),
    })
    register_messages(LogInconsistent, {
        "tile_missing": _("tile %(tile)s is missing; a tree of %(size)s entries needs %(width)s"),
        "tile_width": _("tile %(tile)s is %(have)s hashes wide; a tree of %(size)s entries needs %(width)s"),
        "tile_malformed": _("tile %(tile)s: %(reason)s"),
        "node_missing": _("stored tree node %(node)s is missing"),
        "checkpoint_signature": _("latest checkpoint (#%(checkpoint)s) does not verify: %(reason)s"),
        "checkpoint_columns": _("latest checkpoint (#%(checkpoint)s) does not match its signed note"),
        "checkpoint_beyond_tree": _("latest checkpoint (#%(checkpoint)s) is of %(signed)s entries but the tree holds "
                                    "%(size)s"),
        "not_consistent": _("the tree of %(size)s entries is not consistent with checkpoint #%(checkpoint)s "
                            "(%(signed)s entries): refusing to sign"),
        "nothing_signed": _("no checkpoint has been signed yet: run `cityid audit checkpoint` first"),
        "tile_unavailable": _("%(path)s of checkpoint size %(size)s is not available"),
    })
    register_messages(BadRequest, {
        "missing_parameter": _("missing parameter '%(name)s'"),
        "not_a_count": _("'%(name)s' must be a non-negative integer"),
        "index_beyond_size": _("index=%(index)s must be less than size=%(size)s"),
        "old_beyond_new": _("old=%(old)s must not be larger than new=%(new)s"),
    })
    register_messages(NotSigned, {
        "nothing_signed": _("the log has not signed a checkpoint yet; checkpoints are signed on a schedule"),
        "beyond_checkpoint": _("%(name)s=%(size)s is beyond the latest signed checkpoint (%(published)s entries); "
                               "checkpoints are signed on a schedule, not on request"),
        "entry_not_signed": _("entry %(index)s is not in the latest signed checkpoint (%(size)s entries) yet; "
                              "checkpoints are signed on a schedule, not on request"),
    })
    register_messages(UnknownActor, {
        "unknown_actor": _("No staff account is named %(name)s. Give a username or an actor id such as staff:12."),
    })
