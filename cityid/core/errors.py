"""The base of cityid's own errors: a stable code and its parameters, words only at the edges.

Services raise ``SomeError("code", name=value)``; a view or a command turns the error into a sentence
in the reader's language through the catalogue (``message(error)``), so the code never reaches a
person and the sentence never reaches the audit log. Pure: no Django import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CityidError", "message", "register_messages"]


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


#: (error class, code) -> a callable giving the sentence from the params (gettext applied inside).
_CATALOGUE: dict[tuple[type[CityidError], str], Callable[..., str]] = {}


def register_messages(cls: type[CityidError], messages: Mapping[str, Callable[..., str]]) -> None:
    """Give the words for ``cls``'s codes (called by the app that raises them, at import or in ready())."""
    for code, words in messages.items():
        _CATALOGUE[(cls, code)] = words


def message(error: CityidError) -> str:
    """The sentence for ``error`` in the active language; the code itself if none is registered."""
    for cls in type(error).__mro__:
        words = _CATALOGUE.get((cls, error.code)) if isinstance(cls, type) and issubclass(cls, CityidError) else None
        if words is not None:
            try:
                return str(words(**error.params))
            except (KeyError, TypeError):
                break
    return error.code
