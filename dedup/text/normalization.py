"""Text normalization: Unicode NFKC, ``unidecode`` folding, casefold, tokens.

The normalized form of a text is its tokens joined by single spaces: pure ASCII, lowercase,
``[a-z0-9]+`` tokens. Everything downstream (shingles, hashing, verification) works on it.

``unidecode`` maps each code point independently, so instead of calling it on every text we
transliterate each distinct non-ASCII character once and cache it: same output, a fraction of
the cost on a corpus (news text reuses a few hundred accented characters).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from unidecode import unidecode

from dedup.config import NormalizeConfig

__all__ = ["fold", "normalize", "normalize_lines", "tokenize"]

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_TOKEN_RE_CASED = re.compile(r"[A-Za-z0-9]+")
_NON_ASCII_SPLIT = re.compile(r"([^\x00-\x7f])")
# Typographic apostrophes, quotes and dashes, unified before transliteration so that
# "l’Intérieur" and "l'Intérieur" agree even with transliterate=False.
_PUNCT_TABLE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_FOLD_CACHE: dict[str, str] = {}
# The same, with the typographic punctuation of _PUNCT_TABLE mapped first: one pass over the
# non-ASCII characters does both (those characters are all non-ASCII, their images ASCII).
_FOLD_PUNCT_CACHE: dict[str, str] = {chr(k): v for k, v in _PUNCT_TABLE.items()}
# ASCII letters/digits kept, every other ASCII character a separator: ``translate`` on ASCII
# text with a one-character ASCII table takes CPython's fast path, and ``split`` then does the
# tokenizing -- the same tokens as _TOKEN_RE / _TOKEN_RE_CASED, a fraction of the time.
_KEEP = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_SEP_LOWER = {i: (chr(i) if chr(i) in _KEEP else " ") for i in range(128)}
_SEP_CASED = {
    i: (chr(i) if chr(i).lower() in _KEEP and chr(i).isalnum() else " ") for i in range(128)
}
# The same tables keeping line breaks, for a whole document's lines at once.
_SEP_LOWER_NL = {**_SEP_LOWER, 10: "\n"}
_SEP_CASED_NL = {**_SEP_CASED, 10: "\n"}


def _fold_one(ch: str) -> str:
    """ASCII form of one non-ASCII character (typographic punctuation unified), cached."""
    out = _FOLD_PUNCT_CACHE.get(ch)
    if out is None:
        out = _FOLD_CACHE.get(ch)
        if out is None:
            # Pad with spaces when a character becomes a word of its own (CJK, symbols), so
            # neighbouring transliterations do not glue into one token.
            out = unidecode(ch)
            if len(out) > 1 and not unicodedata.category(ch).startswith("L"):
                out = f" {out} "
            _FOLD_CACHE[ch] = out
        _FOLD_PUNCT_CACHE[ch] = out
    return out


def _transliterate(text: str) -> str:
    """Every non-ASCII character of ``text`` replaced by :func:`_fold_one` of it.

    ``re.split`` with a capturing group puts the non-ASCII characters at the odd positions
    of the list, where they are replaced in one list comprehension (no per-match callback).
    """
    parts = _NON_ASCII_SPLIT.split(text)
    get = _FOLD_PUNCT_CACHE.get
    odd = [get(ch) for ch in parts[1::2]]
    if None in odd:
        odd = [_fold_one(ch) for ch in parts[1::2]]
    parts[1::2] = odd
    return "".join(parts)


def fold(text: str, config: NormalizeConfig | None = None) -> str:
    """NFKC, unified punctuation, ASCII transliteration and casefold -- before tokenizing.

    Examples
    --------
    >>> fold("Bùi Van Nam")
    'bui van nam'
    >>> fold("l’Intérieur")
    "l'interieur"
    """
    cfg = config or NormalizeConfig()
    if text.isascii():  # ASCII is NFKC already and holds no typographic punctuation
        pass
    elif cfg.transliterate:
        text = unicodedata.normalize("NFKC", text)
        if not text.isascii():
            text = _transliterate(text)
    else:
        text = unicodedata.normalize("NFKC", text).translate(_PUNCT_TABLE)
    if cfg.lowercase:
        text = text.casefold()
    return text


def tokenize(text: str, config: NormalizeConfig | None = None) -> list[str]:
    """Tokens of ``text``: runs of ASCII letters and digits after :func:`fold`.

    Examples
    --------
    >>> tokenize("Bùi Van Nam (à gauche), 2019-2021")
    ['bui', 'van', 'nam', 'a', 'gauche', '2019', '2021']
    """
    cfg = config or NormalizeConfig()
    folded = fold(text, cfg)
    if folded.isascii():
        return folded.translate(_SEP_LOWER if cfg.lowercase else _SEP_CASED).split()
    return (_TOKEN_RE if cfg.lowercase else _TOKEN_RE_CASED).findall(folded)


def normalize(text: str, config: NormalizeConfig | None = None) -> str:
    """The normalized form: tokens joined by single spaces.

    Parameters
    ----------
    text : str
        Any Unicode text.
    config : NormalizeConfig, optional
        Defaults to ``NormalizeConfig()``.

    Returns
    -------
    str
        ASCII text, tokens separated by one space; ``""`` when the text has no letters or digits
        (emoji only, punctuation only).

    Examples
    --------
    >>> normalize("Bùi Van Nam") == normalize("Bui  Van\\nNam")
    True
    >>> normalize("Vietnam–Russie : l’amitié")
    'vietnam russie l amitie'
    """
    return " ".join(tokenize(text, config))


def normalize_lines(lines: Sequence[str], config: NormalizeConfig | None = None) -> list[str]:
    """``[normalize(line, config) for line in lines]`` for lines of one text (no ``\\n`` inside).

    Folds the lines joined by ``\\n`` in one pass instead of line by line. That gives the
    same result: NFKC never composes or reorders across a line break (``\\n`` is a stable
    code point), transliteration and casefolding map characters one by one, and the fast
    path is only taken when the folded text is ASCII and has exactly as many line breaks as
    were put in (no character folded into a line break); otherwise each line is normalized.

    Examples
    --------
    >>> normalize_lines(["Bùi Van  Nam", "", "l’Intérieur!"])
    ['bui van nam', '', 'l interieur']
    """
    cfg = config or NormalizeConfig()
    folded = fold("\n".join(lines), cfg)
    if folded.isascii() and folded.count("\n") == len(lines) - 1:
        table = _SEP_LOWER_NL if cfg.lowercase else _SEP_CASED_NL
        return [" ".join(seg.split()) for seg in folded.translate(table).split("\n")]
    return [normalize(line, cfg) for line in lines]
