"""One loader for the swappable parts (key provider, signing-key store, and the ones to come).

A setting names the class, by a short alias or a dotted path. The class is imported with
``import_string``, checked against the part's ``Protocol`` (every method and attribute the protocol
declares must be there), and cached per value of the setting (cleared when the setting changes).
An unknown, missing or wrong class raises ``ImproperlyConfigured`` naming the setting:
:func:`check_all` runs at start-up (the vault's ``ready()``), so a typo stops the server and every
command at once, and ``cityid check`` reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Part:
    """A swappable part: the setting that chooses it, the protocol it must meet, its short names."""

    setting: str
    protocol: type
    aliases: dict[str, str] = field(default_factory=dict)


_parts: dict[str, Part] = {}
_classes: dict[tuple[str, Any], type] = {}


def register_part(*, setting: str, protocol: type, aliases: dict[str, str] | None = None) -> None:
    """Declare a swappable part (called by the app that defines its protocol)."""
    _parts[setting] = Part(setting, protocol, dict(aliases or {}))
    _forget(setting=setting)


def protocol_members(protocol: type) -> set[str]:
    """The names a protocol declares: its methods, properties and annotated attributes."""
    names: set[str] = set()
    for klass in protocol.__mro__:
        if klass in (object,) or klass.__name__ in {"Protocol", "Generic"}:
            continue
        names.update(getattr(klass, "__annotations__", {}))
        names.update(name for name, value in vars(klass).items()
                     if not name.startswith("_") and (callable(value) or isinstance(value, (property, classmethod,
                                                                                            staticmethod))))
    return names


def _resolve(part: Part) -> type:
    value = getattr(settings, part.setting, None)
    if not isinstance(value, str) or not value:
        raise ImproperlyConfigured(f"{part.setting} is not set: one of {', '.join(part.aliases) or 'a dotted path'}")
    path = part.aliases.get(value, value)
    if "." not in path:
        raise ImproperlyConfigured(
            f"{part.setting}={value!r} is not a known choice: one of {', '.join(part.aliases)} or a dotted class path"
        )
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{part.setting}={value!r}: cannot import {path} ({exc})") from None
    if not isinstance(cls, type):
        raise ImproperlyConfigured(f"{part.setting}={value!r}: {path} is not a class")
    missing = sorted(name for name in protocol_members(part.protocol) if not hasattr(cls, name))
    if missing:
        raise ImproperlyConfigured(
            f"{part.setting}={value!r}: {path} does not implement {part.protocol.__name__} "
            f"(missing {', '.join(missing)})"
        )
    return cls


def backend_class(setting: str) -> Any:
    """The class the setting names, checked against its protocol (cached until the setting changes)."""
    if setting not in _parts:
        raise KeyError(f"no swappable part is registered for {setting}")
    cache_key = (setting, getattr(settings, setting, None))
    if cache_key not in _classes:
        _classes[cache_key] = _resolve(_parts[setting])
    return _classes[cache_key]


def check_all() -> None:
    """Resolve every registered part; the first bad one raises ``ImproperlyConfigured``."""
    for setting in list(_parts):
        backend_class(setting)


def problems() -> list[str]:
    """One line per badly configured part (for the system check)."""
    found = []
    for setting in list(_parts):
        try:
            backend_class(setting)
        except ImproperlyConfigured as exc:
            found.append(str(exc))
    return found


def _forget(*, setting: str, **_: Any) -> None:
    for key in [key for key in _classes if key[0] == setting]:
        del _classes[key]


setting_changed.connect(_forget, dispatch_uid="cityid.core.backends")
