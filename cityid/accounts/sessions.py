"""Sessions stored under a keyed hash of their key: a copy of the session table signs no one in.

The cookie carries the session's random key; the ``django_session`` row is stored under
``HMAC-SHA-256(k, key)`` (hex, 160 bits kept: the column is 40 characters), where ``k`` is a secret of
the key provider (``accounts`` key: the keyring file or the HSM), never in the database. Whoever holds
the table (a backup, a copy of the SQLite file) holds only digests: a digest sent as a cookie is hashed
again and finds nothing, and the key behind a digest cannot be computed without ``k``.

Django's database engine is used as it is otherwise (``SESSION_ENGINE = "cityid.accounts.sessions"``):
``clearsessions`` deletes expired rows, and :func:`cityid.accounts.services.end_sessions` deletes a
person's rows by their stored digests (:meth:`SessionStore.delete_stored`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.utils import timezone

from cityid.vault.providers import KeyUnavailable, get_provider

#: The key provider's key whose index secret keys the session and lockout digests.
ACCOUNTS_KEY = "accounts"
STORED_KEY_LENGTH = 40


def accounts_digest(kind: str, value: str) -> str:
    """A keyed hash (hex) of ``value`` under the provider's ``accounts`` key, separated by ``kind``."""
    provider, message = get_provider(), kind.encode() + b"\x00" + value.encode()
    try:
        return provider.keyed_hash(ACCOUNTS_KEY, message).hex()
    except KeyUnavailable:  # the first use: created once (asking the provider at every request costs an HSM)
        provider.ensure_key(ACCOUNTS_KEY)
        return provider.keyed_hash(ACCOUNTS_KEY, message).hex()


def stored_key(session_key: str) -> str:
    """The row key under which a session with cookie key ``session_key`` is stored."""
    return accounts_digest("session", session_key)[:STORED_KEY_LENGTH]


class SessionStore(db.SessionStore):
    """Django's database sessions, each row keyed by :func:`stored_key` of the cookie's key."""

    def _get_session_from_db(self) -> Any:
        if not self._validate_session_key(self.session_key):
            self._session_key = None
            return None
        found = self.model.objects.filter(
            session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
        ).first()
        if found is None:
            self._session_key = None
        return found

    async def _aget_session_from_db(self) -> Any:
        if not self._validate_session_key(self.session_key):
            self._session_key = None
            return None
        found = await self.model.objects.filter(
            session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
        ).afirst()
        if found is None:
            self._session_key = None
        return found

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    async def aexists(self, session_key: str) -> bool:
        return await self.model.objects.filter(session_key=stored_key(session_key)).aexists()

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance = super().create_model_instance(data)
        instance.session_key = stored_key(instance.session_key)
        return instance

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        instance = await super().acreate_model_instance(data)
        instance.session_key = stored_key(instance.session_key)
        return instance

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key:
            self.delete_stored([stored_key(session_key)])

    async def adelete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key:
            await self.model.objects.filter(session_key=stored_key(session_key)).adelete()

    @classmethod
    def delete_stored(cls, stored_keys: list[str]) -> int:
        """Delete the sessions stored under these row keys (digests read from the table); the number deleted."""
        deleted, _ = cls.get_model_class().objects.filter(session_key__in=list(stored_keys)).delete()
        return deleted
