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

import numpy as np
from unidecode import unidecode

from dedup.config import NormalizeConfig
from dedup.text import _compiled

__all__ = ["fold", "normalize", "normalize_lines", "normalize_text_lines", "tokenize"]

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

    Examples
    --------
    >>> normalize_lines(["Bùi Van  Nam", "", "l’Intérieur!"])
    ['bui van nam', '', 'l interieur']
    """
    if not lines:
        return []
    return normalize_text_lines("\n".join(lines), config)


def normalize_text_lines(
    text: str,
    config: NormalizeConfig | None = None,
    *,
    _units: np.ndarray | None = None,
    _nfkc: bool = False,
) -> list[str]:
    """``[normalize(line, config) for line in text.split("\\n")]``, for the whole text at once.

    The text is folded in one pass: NFKC of the whole text (it never composes or reorders
    across a ``\\n``, a stable starter), then every character mapped through a table to its
    folded, case-folded and tokenized form -- one ASCII byte (a letter or digit, a space for
    a separator, ``\\n`` for the line break) -- and the runs of separators collapsed, all in
    numpy. Transliteration, casefolding and the separator mapping act on each character on
    its own, so the table gives what folding line by line gives. Characters folding to
    several letters ("œ" -> "oe") are replaced in the text first; a text holding characters
    outside the Basic Multilingual Plane is normalized line by line.

    Examples
    --------
    >>> normalize_text_lines("Bùi Van  Nam\\n\\nl’Intérieur! Œuvre")
    ['bui van nam', '', 'l interieur oeuvre']
    """
    cfg = config or NormalizeConfig()
    keys = _fast_lines(text, cfg, _units, _nfkc)
    if keys is None:
        keys = [normalize(line, cfg) for line in text.split("\n")]
    return keys


# ------------------------------------------------------------------ one-pass folding tables
#
# _TABLES[(transliterate, lowercase)] maps a UTF-16 code unit to one output byte:
# a letter or digit kept, 32 for a separator, 10 for the line break; and three markers:
_MULTI = 255  # folds to several letters/digits: replaced in the text before the table runs
_DROP = 254  # folds to nothing (unidecode has no transliteration): removed
_UNKNOWN = 0  # not looked at yet (every other entry is filled on first sight)
_SURROGATE = 253  # half of a character outside the BMP: the text takes the line-by-line path
_TABLES: dict[tuple[bool, bool], np.ndarray] = {}
_MULTI_OUT: dict[tuple[bool, bool], dict[str, str]] = {}


def _char_out(ch: str, cfg: NormalizeConfig) -> str:
    """What ``normalize`` makes of the character ``ch`` of NFKC text, before runs of
    separators collapse: letters/digits kept, every other character a space."""
    if cfg.transliterate:
        out = ch if ch.isascii() else _fold_one(ch)
    else:
        out = ch.translate(_PUNCT_TABLE)
    if cfg.lowercase:
        out = out.casefold()
        keep = _KEEP
    else:
        keep = _KEEP_CASED
    return "".join(c if c in keep else " " for c in out)


_KEEP_CASED = frozenset(_KEEP | {c.upper() for c in _KEEP})


def _table(cfg: NormalizeConfig) -> np.ndarray:
    key = (cfg.transliterate, cfg.lowercase)
    table = _TABLES.get(key)
    if table is None:
        table = np.zeros(0x10000, dtype=np.uint8)
        for i in range(128):
            out = _char_out(chr(i), cfg)
            table[i] = ord(out) if len(out) == 1 else 32
        table[10] = 10
        table[0xD800:0xE000] = _SURROGATE
        _TABLES[key] = table
        _MULTI_OUT[key] = {}
    return table


_MULTI_ARRAYS: dict[tuple[bool, bool], tuple[int, np.ndarray, np.ndarray]] = {}
_MULTI_LONGEST: dict[tuple[bool, bool], int] = {}


def _multi_arrays(cfg: NormalizeConfig) -> tuple[np.ndarray, np.ndarray]:
    """The characters folding to several letters as arrays: ``bytes[index[u]:index[u+1]]``
    is what unit ``u`` becomes (for the compiled loop)."""
    key = (cfg.transliterate, cfg.lowercase)
    multi = _MULTI_OUT[key]
    cached = _MULTI_ARRAYS.get(key)
    if cached is None or cached[0] != len(multi):
        lengths = np.zeros(0x10000, dtype=np.int64)
        for ch, out in multi.items():
            lengths[ord(ch)] = len(out)
        _MULTI_LONGEST[key] = max(map(len, multi.values()), default=0)
        data = b"".join(out.encode("ascii") for _, out in sorted(multi.items()))
        index = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        cached = (len(multi), index, np.frombuffer(data, dtype=np.uint8))
        _MULTI_ARRAYS[key] = cached
    return cached[1], cached[2]


_FOLD_ARGS: dict[tuple[bool, bool], tuple[np.ndarray, np.ndarray, np.ndarray, int, int]] = {}


def _fold_units(
    units: np.ndarray, spans: np.ndarray, n_spanned: int, cfg: NormalizeConfig
) -> list[str] | None:
    """``normalize_text_lines`` of an NFKC text given as its units, then of the lines
    ``spans`` describes (pairs of unit offsets, ``-1, -1`` a line break; ``n_spanned``
    units in all) -- through the compiled fold, in one call (``None`` when a unit needs the
    slow path: the caller takes :func:`_fast_lines`, which learns it). The kernel's
    arguments are made once per config and table state."""
    key = (cfg.transliterate, cfg.lowercase)
    args = _FOLD_ARGS.get(key)
    if args is None or args[4] != len(_MULTI_OUT[key]):
        table = _table(cfg)
        multi, multi_bytes = _multi_arrays(cfg)
        # a unit writes at most one byte, or its replacement with a space before each word
        longest = 1 + 2 * _MULTI_LONGEST.get(key, 0)
        args = (table, multi, multi_bytes, longest, len(_MULTI_OUT[key]))
        _FOLD_ARGS[key] = args
    table, multi, multi_bytes, longest, _ = args
    out = np.empty((len(units) + n_spanned + len(spans)) * longest, dtype=np.uint8)
    n = _compiled.kernels().fold_collapse(units, spans, table, multi, multi_bytes, out)  # type: ignore[union-attr]
    if n < 0:
        return None
    return out[:n].tobytes().decode("ascii").split("\n")


_NO_SPANS = np.zeros(0, dtype=np.int64)


def _learn(table: np.ndarray, units: np.ndarray, cfg: NormalizeConfig) -> None:
    """Fill the table entries of the code units of ``units`` not looked at yet."""
    multi = _MULTI_OUT[(cfg.transliterate, cfg.lowercase)]
    for u in np.unique(units[table.take(units) == _UNKNOWN]).tolist():
        ch = chr(u)
        out = _char_out(ch, cfg)
        if not out:
            table[u] = _DROP
        elif not out.strip():
            table[u] = 32
        elif len(out) == 1:
            table[u] = ord(out)
        else:
            table[u] = _MULTI
            multi[ch] = out


def _fast_lines(
    text: str, cfg: NormalizeConfig, units: np.ndarray | None = None, nfkc: bool = False
) -> list[str] | None:
    """:func:`normalize_text_lines` through the table, or ``None`` for the line-by-line path.
    ``units``: the text's units as the code below makes them (bytes of ASCII text, else
    UTF-16), when the caller has them already; ``nfkc``: the caller knows the text is NFKC."""
    if not (nfkc or text.isascii()):
        folded = unicodedata.normalize("NFKC", text)
        if folded is not text:
            units = None  # the units of another text
            if folded.count("\n") != text.count("\n"):
                return None  # never seen (no character's NFKC holds a line break); for safety
        text = folded
    table = _table(cfg)
    if units is not None:
        pass
    elif text.isascii():
        units = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    else:
        units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    if _compiled.kernels() is not None:
        keys = _fold_units(units, _NO_SPANS, 0, cfg)
        if keys is not None:
            return keys
    codes = table.take(units)
    if not text.isascii():
        if (codes == _UNKNOWN).any():
            _learn(table, units, cfg)
            codes = table.take(units)
        if (codes >= _SURROGATE).any():
            if (codes == _SURROGATE).any():
                return None
            if (codes == _MULTI).any():
                multi = _MULTI_OUT[(cfg.transliterate, cfg.lowercase)]
                for u in np.unique(units[codes == _MULTI]).tolist():
                    ch = chr(u)
                    text = text.replace(ch, multi[ch])
                units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
                codes = table.take(units)
            codes = codes[codes != _DROP]
    # Collapse: keep letters/digits and line breaks, and of each run of separators between
    # two letters/digits of one line its last separator.
    keep = codes != 32
    pos = np.flatnonzero(keep)
    word = codes.take(pos) != 10
    gap = (pos[1:] - pos[:-1] > 1) & word[1:] & word[:-1]
    keep[pos[1:][gap] - 1] = True
    return codes[keep].tobytes().decode("ascii").split("\n")
