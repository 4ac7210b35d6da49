"""Receipt references: short, read aloud without confusion, and check-charactered (pure; no Django).

A reference is nine random Crockford base32 symbols (45 bits: no I, L, O or U) and one check symbol,
printed in two groups of five: ``K7Q4M-9X2TB``. The check symbol is Luhn mod 32 over the other nine, so
any single mistyped symbol and any swap of two neighbours is caught before anything is looked up.
Typed references are read without regard to case, spaces or dashes, and with the letters people
confuse for digits (O for 0, I and L for 1) read as those digits.
"""

from __future__ import annotations

import secrets

from cityid.core.errors import CityidError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
BODY = 9  # random symbols; one check symbol follows


class ReferenceInvalid(CityidError, ValueError):
    """``code``: ``malformed`` (not ten symbols of the alphabet) or ``check`` (the check symbol is wrong)."""


def check_symbol(body: str) -> str:
    """The Luhn mod 32 check symbol of ``body`` (symbols of :data:`ALPHABET`)."""
    total, factor = 0, 2
    for symbol in reversed(body):
        addend = factor * _VALUE[symbol]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def formatted(symbols: str) -> str:
    return f"{symbols[:5]}-{symbols[5:]}"


def new_reference() -> str:
    """A fresh reference, e.g. ``K7Q4M-9X2TB``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return formatted(body + check_symbol(body))


def looks_like_reference(text: str) -> bool:
    """Whether ``text`` has the shape of a reference (ten symbols once spaces and dashes are dropped)."""
    symbols = _symbols(text)
    return len(symbols) == BODY + 1 and all(symbol in _VALUE for symbol in symbols)


def _symbols(text: str) -> str:
    return "".join(str(text or "").split()).replace("-", "").upper().translate(_READ_AS)


def normalize_reference(text: str) -> str:
    """The reference as stored (``K7Q4M-9X2TB``) from what someone typed; :class:`ReferenceInvalid` if it
    is not one or its check symbol is wrong."""
    symbols = _symbols(text)
    if len(symbols) != BODY + 1 or any(symbol not in _VALUE for symbol in symbols):
        raise ReferenceInvalid("malformed")
    if check_symbol(symbols[:BODY]) != symbols[BODY]:
        raise ReferenceInvalid("check")
    return formatted(symbols)
