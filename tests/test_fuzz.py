"""Fuzz targets (hypothesis) for the normalizer, boilerplate stripping and the input readers.

Bounded for CI: ``DEDUP_FUZZ_EXAMPLES`` examples per target (default 150). Fuzz longer with
e.g. ``DEDUP_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py``.

The contract fuzzed: any text normalizes to ``[a-z0-9]+`` tokens separated by single spaces,
idempotently; any bytes given as an input file either yield validated documents (every record
accounted as accepted or skipped) or raise :class:`~dedup.errors.InputError` -- never another
exception; and whatever is accepted can be clustered and written as UTF-8.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup.errors import InputError
from dedup.io import InputReader, write_jsonl
from dedup.text.boilerplate import strip_boilerplate

EXAMPLES = int(os.environ.get("DEDUP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_NORMALIZED = re.compile(r"(?:[a-z0-9]+(?: [a-z0-9]+)*)?")

# any code point, lone surrogates included; plus text with news-like structure
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
news_like = st.lists(
    st.sampled_from(
        [
            "Hanoi (VNA) –", "Photo : VNA", "Voir plus", "Bùi Văn Nam", "l’Intérieur",
            "Москва", "北京", "😀", "\r\n", "\n", "  ", "\t", "\ufeff", "\u00a0", "ﬁ", "Ⅻ",
            "İstanbul", "ß", "2019-2021", "#", "[…]", "VNA/CVN", "«", "»", "\x00", "\u200b",
        ]
    ),
    max_size=40,
).map("".join)  # fmt: skip
texts = st.one_of(any_text, news_like)


@pytest.fixture(autouse=True)
def _quiet_unidecode():
    with warnings.catch_warnings():  # unidecode warns on lone surrogates; they are dropped
        warnings.filterwarnings("ignore", message="Surrogate character", category=RuntimeWarning)
        yield


@FUZZ
@given(texts)
def test_normalize_contract(text):
    norm = dedup.normalize(text)
    assert _NORMALIZED.fullmatch(norm), norm
    assert dedup.normalize(norm) == norm
    assert " ".join(dedup.tokenize(text)) == norm


@FUZZ
@given(texts)
def test_strip_boilerplate_contract(text):
    s = strip_boilerplate(text)
    n = len(s.source)
    for pieces in s.lines:
        assert all(0 <= a < b <= n for a, b in pieces)
    assert all(0 <= r.start <= r.end <= n for r in s.removed)
    assert [(r.start, r.end) for r in s.removed] == sorted((r.start, r.end) for r in s.removed)
    assert _NORMALIZED.fullmatch(dedup.normalize(s.text))


# ---------------------------------------------------------------- readers

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)
records = st.fixed_dictionaries(
    {},
    optional={"id": st.one_of(any_text, st.integers(), json_values), "text": json_values | texts},
)
jsonl_line = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    records.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.binary(max_size=60),
    st.sampled_from([b"", b"\r", b"{", b"\xef\xbb\xbf{}", b"[]", b"null", b'"x"', b"\x00"]),
)
jsonl_files = st.lists(jsonl_line, max_size=12).flatmap(
    lambda lines: st.sampled_from([b"\n", b"\r\n"]).map(lambda nl: nl.join(lines))
)
csv_files = st.one_of(
    st.binary(max_size=200),
    st.lists(
        st.lists(
            st.one_of(texts.map(lambda t: t.encode("utf-8", "replace")), st.binary()), max_size=4
        ),
        max_size=8,
    ).map(
        lambda rows: (
            b"id,text\r\n"
            + b"\r\n".join(b",".join(b'"' + c.replace(b'"', b'""') + b'"' for c in r) for r in rows)
        )
    ),
)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def _check_reader(paths: list[Path]) -> None:
    for mode in ("fail", "skip"):
        reader = InputReader(paths, on_error=mode, max_doc_bytes=10_000)
        try:
            docs = list(reader)
        except InputError as exc:
            assert str(exc)
            if mode == "skip":
                assert exc.skipped is None  # only whole-input problems stop a skipping run
            continue
        assert (
            reader.read == reader.accepted + len(reader.skipped) == len(docs) + len(reader.skipped)
        )
        assert len({d.id for d in docs}) == len(docs)
        result = dedup.cluster(docs)
        out = io.StringIO()
        write_jsonl(result.records, out)
        out.getvalue().encode("utf-8")  # everything accepted can be written as UTF-8
        assert len(out.getvalue().splitlines()) == len(docs)  # any line splitter
        for s in reader.skipped:
            json.dumps(s.to_dict(), ensure_ascii=False).encode("utf-8")


@FUZZ
@given(data=jsonl_files)
def test_jsonl_reader_never_crashes(scratch, data):
    p = scratch / "in.jsonl"
    p.write_bytes(data)
    _check_reader([p])


@FUZZ
@given(data=csv_files)
def test_csv_reader_never_crashes(scratch, data):
    p = scratch / "in.csv"
    p.write_bytes(data)
    _check_reader([p])


@FUZZ
@given(
    files=st.lists(
        st.binary(max_size=120) | texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
        max_size=5,
    )
)
def test_directory_reader_never_crashes(scratch, files):
    d = scratch / "dir"
    d.mkdir(exist_ok=True)
    for old in d.iterdir():
        old.unlink()
    for i, data in enumerate(files):
        (d / f"{i}.txt").write_bytes(data)
    _check_reader([d])
