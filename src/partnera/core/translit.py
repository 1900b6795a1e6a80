"""Bulgarian ↔ Latin transliteration and the folded "search key" both scripts share.

The official Bulgarian system (Transliteration Act, 2009; the "Streamlined System"): щ → sht,
ъ → a, ь → y, ю → yu, я → ya, and "ия" at the end of a word → "ia" (България → Bulgaria).
Search compares texts by their Latin key, so «Петров» and "Petrov" meet in the middle whichever
script the user types in; ambiguities (ъ and а both → a) only ever widen a match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_BG_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a",
    "ь": "y", "ю": "yu", "я": "ya",
    # Letters of other Cyrillic alphabets that turn up in company names and e-mails.
    "ё": "yo", "ы": "y", "э": "e", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j",
    "љ": "lj", "њ": "nj", "ђ": "dj", "ћ": "c", "џ": "dz", "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
}
_TRANSLATE = str.maketrans({**_BG_TO_LATIN, **{k.upper(): v.capitalize() for k, v in _BG_TO_LATIN.items()}})
_FINAL_IA = re.compile(r"(?<=\w)([иИ])([яЯ])\b")

# Latin → Bulgarian: longest sequences first; "ia" at a word's end is «ия».
_LATIN_TO_BG = [
    ("sht", "щ"), ("zh", "ж"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"), ("ya", "я"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"),
    ("y", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"),
    ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "ц"), ("w", "в"), ("x", "кс"),
    ("q", "к"), ("j", "дж"),
]
_LATIN_RE = re.compile("|".join(re.escape(src) for src, _ in _LATIN_TO_BG), re.IGNORECASE)
_LATIN_MAP = dict(_LATIN_TO_BG)


def _final_ia(m: re.Match[str]) -> str:
    return ("I" if m.group(1).isupper() else "i") + ("A" if m.group(2).isupper() else "a")


def to_latin(text: str) -> str:
    """«Петров» → "Petrov", «Юлия» → "Yulia"; anything not Cyrillic is kept. (The law fixes "Bulgaria"
    for the country's name as an exception; letter by letter it is "Balgaria".)"""
    text = _FINAL_IA.sub(_final_ia, text)
    return text.translate(_TRANSLATE)


def to_cyrillic(text: str) -> str:
    """"Petrov" → «Петров»: the reverse of `to_latin` where it is unambiguous (lower case out)."""
    text = re.sub(r"ia\b", "ия", text, flags=re.IGNORECASE)
    return _LATIN_RE.sub(lambda m: _LATIN_MAP[m.group(0).lower()], text)


# Combining marks to drop after NFD, except the breve of й and the diaeresis of ё (letters of their own).
_ACCENTS = re.compile("(?<![иИ])\u0306|(?<![еЕ])\u0308|[\u0300-\u0305\u0307\u0309-\u036f]")


def strip_accents(text: str) -> str:
    """"Müller" → "Muller", «й» kept (it is a letter of its own in Bulgarian)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)))


@lru_cache(maxsize=65536)
def search_key(text: str) -> str:
    """The folded Latin form both the index and a query are compared in: case, accents and script
    erased, runs of space collapsed. «"Алфа" ООД» → 'alfa ood' ; "Alfa OOD" → 'alfa ood'."""
    return " ".join(to_latin(strip_accents(text or "").casefold()).split())
