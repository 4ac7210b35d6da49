"""The base of cityid's own errors: a stable code and its parameters, words only at the edges.

Services raise ``SomeError("code", name=value)``; a view or a command turns the error into a sentence
in the reader's language through the catalogue (``message(error)``, which ``str(error)`` calls), so the
code never reaches a person and the sentence never reaches the audit log (``error.code`` goes there).
Each app registers its words once, from its Django side (``messages.py`` beside its errors, imported in
``AppConfig.ready()``): a lazy translatable string with ``%(name)s`` placeholders filled from the params,
or a callable taking the params. Pure: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CityidError", "has_words", "message", "register_messages"]


class CityidError(Exception):
    """An expected refusal or failure, named by ``code`` (a short snake_case word) with ``params``."""

    #: The code used when a subclass is raised with none.
    default_code: str = "error"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        self.code: str = code or self.default_code
        self.params: dict[str, Any] = params
        super().__init__(self.code)

    def __str__(self) -> str:
        return message(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, **{self.params!r})"


#: (error class, code) -> the words: a (lazy) string formatted with the params, or a callable taking them.
_CATALOGUE: dict[tuple[type[CityidError], str], Any] = {}


def register_messages(cls: type[CityidError], messages: Mapping[str, Any]) -> None:
    """Give the words for ``cls``'s codes (called by the app that raises them, in its ``ready()``)."""
    for code, words in messages.items():
        _CATALOGUE[(cls, code)] = words


def _words(cls: type[CityidError], code: str) -> Any:
    for klass in cls.__mro__:
        if isinstance(klass, type) and issubclass(klass, CityidError) and (klass, code) in _CATALOGUE:
            return _CATALOGUE[(klass, code)]
    return None


def has_words(cls: type[CityidError], code: str) -> bool:
    """Whether ``cls`` (or a base) has words for ``code``."""
    return _words(cls, code) is not None


def _format(words: Any, params: Mapping[str, Any]) -> str:
    if callable(words):
        return str(words(**params))
    text = str(words)
    return text % params if "%" in text else text


def message(error: CityidError) -> str:
    """The sentence for ``error`` in the active language; the code itself if none is registered."""
    words = _words(type(error), error.code)
    if words is None:
        return error.code
    try:
        return _format(words, error.params)
    except (KeyError, TypeError, ValueError):
        return error.code
