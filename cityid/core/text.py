"""One normal form for names and addresses: what a person typed, without what no one can see.

Pure Python (no Django). ``clean_text`` is applied to names and address lines before they are
sealed and indexed (the clerk's form, the import, the seeder, the search), so that
``Ana``, ``A<ZERO WIDTH SPACE>na``, ``<RIGHT-TO-LEFT OVERRIDE>Ana`` and fullwidth ``Ａｎａ`` are one
spelling of one person, stored and found as one.

What it does, in order:

* NFKC: compatibility forms become their ordinary letters (fullwidth ``Ａ`` is ``A``, the ligature
  ``ﬁ`` is ``fi``, a no-break space is a space) and accents are composed.
* Removes the characters that render as nothing: every format character (Unicode category Cf:
  zero-width space, word joiner, soft hyphen, byte-order mark, the bidi embeddings, overrides and
  isolates LRE RLE PDF LRO RLO LRI RLI FSI PDI, LRM RLM ALM, tag characters), control characters
  (Cc) and lone surrogates (Cs), variation selectors, and the invisible "letters" (Hangul fillers,
  combining grapheme joiner, Khmer inherent vowels, Mongolian free variation selectors).
* Except ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER **between two letters of a script that spells
  with them** (Arabic script — Persian and Urdu names — and the Indic scripts): there they change
  how the name is written, so the stored and printed name keeps them. Anywhere else (between Latin
  letters, at either end, doubled) they are removed. The search form ignores them everywhere
  (``clean_text(..., keep_joiners=False)``, used by the blind index), so a name typed with or
  without them is found either way.
* Collapses every run of whitespace (any Unicode space, tab, line break) to one space and trims.

Confusable letters of different scripts (Latin ``a`` and Cyrillic ``а``) are distinct letters and
are kept as they are.
"""

from __future__ import annotations

import unicodedata

ZWNJ = "\u200c"
ZWJ = "\u200d"
JOINERS = frozenset({ZWNJ, ZWJ})

#: Scripts whose spelling uses ZWNJ/ZWJ between letters (the first word of a character's Unicode name).
JOINER_SCRIPTS = frozenset({
    "ARABIC", "SYRIAC", "NKO", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU",
    "KANNADA", "MALAYALAM", "SINHALA", "MYANMAR", "KHMER", "MONGOLIAN",
})

#: Characters outside category Cf that still render as nothing.
INVISIBLE = frozenset(
    {"\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u180c", "\u180d", "\u180f", "\u3164", "\uffa0"}
    | {chr(c) for c in range(0xFE00, 0xFE10)}
    | {chr(c) for c in range(0xE0100, 0xE01F0)}
)

_REMOVED_CATEGORIES = frozenset({"Cf", "Cc", "Cs"})


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ", 1)[0]


def _joins_letters(before: str, after: str) -> bool:
    if not before or not after:
        return False
    if unicodedata.category(before)[0] not in "LM" or unicodedata.category(after)[0] not in "LM":
        return False
    script = _script(before)
    return script in JOINER_SCRIPTS and _script(after) == script


def clean_text(value: str, *, keep_joiners: bool = True) -> str:
    """``value`` in NFKC, without invisible, format and bidi control characters, spaces collapsed.

    Idempotent: ``clean_text(clean_text(x)) == clean_text(x)``. ``keep_joiners=False`` removes
    ZWNJ/ZWJ everywhere (the form a search compares)."""
    text = unicodedata.normalize("NFKC", value)
    kept: list[str] = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif ch in JOINERS:
            kept.append(ch)  # decided below, once its neighbours are known
        elif ch in INVISIBLE or unicodedata.category(ch) in _REMOVED_CATEGORIES:
            continue
        else:
            kept.append(ch)
    out: list[str] = []
    for index, ch in enumerate(kept):
        if ch in JOINERS:
            if not keep_joiners or (out and out[-1] in JOINERS):
                continue
            after = next((c for c in kept[index + 1 :] if c not in JOINERS), "")
            if not _joins_letters(out[-1] if out else "", after):
                continue
        out.append(ch)
    # NFKC again: removing a character can leave a base letter and a combining mark side by side.
    return " ".join(unicodedata.normalize("NFKC", "".join(out)).split())


def clean_strings(value: object, *, keep_joiners: bool = True) -> object:
    """``clean_text`` applied to every string inside ``value`` (dicts and lists walked; others as given)."""
    if isinstance(value, str):
        return clean_text(value, keep_joiners=keep_joiners)
    if isinstance(value, dict):
        return {key: clean_strings(item, keep_joiners=keep_joiners) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_strings(item, keep_joiners=keep_joiners) for item in value]
    return value
