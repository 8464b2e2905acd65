"""Input readers: every bad input gives a clear error (file:line) or a Skipped record."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest

from dedup.documents import REASONS, Skipped
from dedup.errors import InputError
from dedup.io import InputReader, read_csv, read_inputs, read_jsonl, read_text_file


def _write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _jsonl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def _read(paths, **kw) -> tuple[list, InputReader]:
    reader = InputReader([str(p) for p in paths], **kw)
    return list(reader), reader


# ---------------------------------------------------------------- JSONL


def test_jsonl_good_lines_with_crlf_and_bom(tmp_path):
    p = _write(
        tmp_path / "a.jsonl",
        b"\xef\xbb\xbf" + b'{"id": "x", "text": "one\\r\\ntwo"}\r\n\r\n{"id": 7, "text": "t"}\r\n',
    )
    docs, reader = _read([p])
    assert [(d.id, d.text) for d in docs] == [("x", "one\r\ntwo"), ("7", "t")]
    assert [d.meta["line"] for d in docs] == [1, 3]
    assert (reader.read, reader.accepted, reader.skipped) == (2, 2, [])


@pytest.mark.parametrize(
    ("line", "reason", "message"),
    [
        ("{not json", "invalid_json", "invalid JSON"),
        ("[1, 2]", "not_an_object", "expected a JSON object, got list"),
        ('"just a string"', "not_an_object", "got str"),
        ('{"text": "no id"}', "missing_field", "no id field 'id'"),
        ('{"id": "a"}', "missing_field", "no text field 'text'"),
        ('{"id": null, "text": "x"}', "bad_id", "got None"),
        ('{"id": "", "text": "x"}', "bad_id", "non-empty"),
        ('{"id": 1.5, "text": "x"}', "bad_id", "got 1.5"),
        ('{"id": true, "text": "x"}', "bad_id", "got True"),
        ('{"id": ["a"], "text": "x"}', "bad_id", "got ['a']"),
        ('{"id": "\\ud800", "text": "x"}', "bad_id", "lone surrogate"),
        ('{"id": "a", "text": null}', "bad_text", "got NoneType"),
        ('{"id": "a", "text": 12}', "bad_text", "got int"),
        ('{"id": "a", "text": ["x"]}', "bad_text", "got list"),
        ("[" * 100_000 + "]" * 100_000, "invalid_json", "invalid JSON"),
        ('{"id": ' + "9" * 5000 + ', "text": "x"}', "invalid_json", "invalid JSON"),
    ],
)
def test_jsonl_bad_line_fails_with_file_and_line_or_is_skipped(tmp_path, line, reason, message):
    good = {"id": "ok", "text": "fine"}
    p = _write(tmp_path / "in.jsonl", _jsonl(good, line, {"id": "ok2", "text": "fine"}))
    with pytest.raises(InputError) as info:
        _read([p])
    assert str(info.value).startswith(f"{p}:2: ")
    assert message in str(info.value)
    assert isinstance(info.value.skipped, Skipped) and info.value.skipped.reason == reason

    docs, reader = _read([p], on_error="skip")
    assert [d.id for d in docs] == ["ok", "ok2"]
    assert [(s.reason, s.source, s.line) for s in reader.skipped] == [(reason, str(p), 2)]
    assert reader.read == 3 and reader.accepted == 2
    assert reason in REASONS


def test_jsonl_invalid_utf8_names_line_and_keeps_id(tmp_path):
    p = _write(
        tmp_path / "in.jsonl",
        b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "caf\xe9"}\n{"id": "c", "text": "ok"}\n',
    )
    with pytest.raises(InputError, match=r"in\.jsonl:2: not valid UTF-8 \(byte b'\\xe9'"):
        _read([p])
    docs, reader = _read([p], on_error="skip")
    assert [d.id for d in docs] == ["a", "c"]
    (s,) = reader.skipped
    assert (s.reason, s.id, s.line) == ("invalid_utf8", "b", 2)


def test_jsonl_field_names(tmp_path):
    p = _write(tmp_path / "in.jsonl", _jsonl({"url": "u1", "body": "b"}))
    with pytest.raises(InputError, match="pass --id-field NAME"):
        _read([p])
    docs, _ = _read([p], id_field="url", text_field="body")
    assert [(d.id, d.text) for d in docs] == [("u1", "b")]


def test_binary_jsonl_is_a_whole_input_error_even_when_skipping(tmp_path):
    p = _write(tmp_path / "x.jsonl", bytes(range(256)) * 4)
    for mode in ("fail", "skip"):
        with pytest.raises(InputError, match=r"x\.jsonl: looks like a binary file") as info:
            _read([p], on_error=mode)
        assert info.value.skipped is None


def test_overlong_jsonl_line_is_skipped_without_loading_it(tmp_path):
    limit = 1000
    big = "word " * 6_000_000  # a real 30 MB line: far over 6 * limit + 1 MiB
    p = _write(
        tmp_path / "in.jsonl",
        _jsonl({"id": "a", "text": "small"}, {"id": "big", "text": big}, {"id": "c", "text": "x"}),
    )
    tracemalloc.start()
    try:
        docs, reader = _read([p], on_error="skip", max_doc_bytes=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [d.id for d in docs] == ["a", "c"]
    (s,) = reader.skipped
    assert (s.reason, s.line) == ("too_large", 2)
    assert "over the read limit" in s.detail
    assert s.detail.startswith(f"{p}:2: line of 30000")
    assert peak < 8_000_000  # the 30 MB line was never held in memory whole


def test_text_over_limit_is_too_large(tmp_path):
    p = _write(tmp_path / "in.jsonl", _jsonl({"id": "a", "text": "é" * 600}))  # 1200 bytes
    with pytest.raises(InputError, match=r"in\.jsonl:1: text of 'a' is 1200 bytes, over the limit"):
        _read([p], max_doc_bytes=1000)
    assert [d.id for d in _read([p], max_doc_bytes=1200)[0]] == ["a"]
    assert [d.id for d in _read([p])[0]] == ["a"]  # no limit by default in the library


def test_empty_and_blank_inputs_have_no_documents_and_are_listed(tmp_path):
    e1 = _write(tmp_path / "empty.jsonl", b"")
    e2 = _write(tmp_path / "blank.jsonl", b"\n  \r\n\n")
    e3 = _write(tmp_path / "empty.csv", b"")
    docs, reader = _read([e1, e2, e3])
    assert docs == [] and reader.read == 0
    assert reader.empty_inputs == [str(e1), str(e2), str(e3)]


def test_stdin_bytes_with_bad_line(monkeypatch):
    data = b'{"id": "a", "text": "x"}\n{"id": "b", "text": "\xff"}\n'
    fake = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", fake)
    with pytest.raises(InputError, match="<stdin>:2: not valid UTF-8"):
        _read(["-"])


def test_read_jsonl_accepts_text_streams():
    docs = list(read_jsonl(io.StringIO('\ufeff{"id": "a", "text": "x"}\n'), "s"))
    assert [d.id for d in docs] == ["a"]


# ---------------------------------------------------------------- duplicates


def test_duplicate_ids_across_files_name_both_places(tmp_path):
    a = _write(tmp_path / "a.jsonl", _jsonl({"id": "x", "text": "first"}))
    d = tmp_path / "dir"
    d.mkdir()
    _write(d / "x.txt", "second")
    with pytest.raises(InputError, match=rf"x\.txt: duplicate id 'x' \(first seen at {a}:1\)"):
        _read([a, d])
    docs, reader = _read([a, d], on_error="skip")
    assert [(doc.id, doc.text) for doc in docs] == [("x", "first")]
    assert reader.skipped[0].reason == "duplicate_id"


# ---------------------------------------------------------------- CSV


def test_csv_with_bom_crlf_and_multiline_fields(tmp_path):
    p = _write(
        tmp_path / "in.csv",
        b'\xef\xbb\xbfid,text\r\na,"line one\r\nline two"\r\nb,plain\r\n',
    )
    docs, _ = _read([p])
    assert [(d.id, d.text, d.meta["line"]) for d in docs] == [
        ("a", "line one\r\nline two", 2),
        ("b", "plain", 4),
    ]


def test_csv_wrong_column_is_a_whole_input_error(tmp_path):
    p = _write(tmp_path / "in.csv", "id,body\na,hello\n")
    for mode in ("fail", "skip"):
        with pytest.raises(InputError, match=r"in\.csv:1: no text column 'text' in header"):
            _read([p], on_error=mode)
    docs, _ = _read([p], text_field="body")
    assert [d.text for d in docs] == ["hello"]


def test_csv_bad_rows_and_invalid_utf8(tmp_path):
    p = _write(
        tmp_path / "in.csv",
        b"id,text\na,ok\nb,too,many\nc\nd,caf\xe9\ne,fine\n",
    )
    with pytest.raises(InputError, match=r"in\.csv:3: row has 3 fields, the header has 2"):
        _read([p])
    docs, reader = _read([p], on_error="skip")
    assert [d.id for d in docs] == ["a", "e"]
    assert [(s.reason, s.line) for s in reader.skipped] == [
        ("bad_row", 3),
        ("bad_row", 4),
        ("invalid_utf8", 5),
    ]


def test_read_csv_stream():
    docs = list(read_csv(io.StringIO("id,text\r\n1,x\r\n", newline=""), "s.csv"))
    assert [(d.id, d.text) for d in docs] == [("1", "x")]


# ---------------------------------------------------------------- directories and .txt


def test_directory_binary_and_invalid_files(tmp_path):
    _write(tmp_path / "a.txt", "\ufeffHello\r\nworld\r\n")
    _write(tmp_path / "b.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _write(tmp_path / "c.txt", b"line one\nline \xc3\x28 two\n")
    _write(tmp_path / "d.txt", "")
    _write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF")
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError, match=r"b\.txt: looks like a binary file"):
        _read([tmp_path])
    docs, reader = _read([tmp_path], on_error="skip")
    assert [(d.id, d.text) for d in docs] == [("a", "Hello\r\nworld\r\n"), ("d", "")]
    assert [(s.reason, s.id, s.line) for s in reader.skipped] == [
        ("binary_file", "b", None),
        ("invalid_utf8", "c", 2),
    ]
    assert sorted(Path(p).name for p in reader.ignored) == ["photo.jpg", "sub"]


def test_txt_file_over_limit_is_not_read(tmp_path):
    p = _write(tmp_path / "big.txt", b"x" * 5000)
    with pytest.raises(InputError, match=r"big\.txt: file of 5000 bytes is over the limit of 100"):
        read_text_file(p, max_doc_bytes=100)


def test_whole_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        list(read_inputs([tmp_path / "missing.jsonl"]))
    p = _write(tmp_path / "x.parquet", b"PAR1")
    with pytest.raises(InputError, match=r"unknown input type '\.parquet'"):
        list(read_inputs([p]))


def test_read_inputs_fails_on_first_bad_document(tmp_path):
    p = _write(tmp_path / "in.jsonl", _jsonl({"id": "a", "text": "x"}, "oops"))
    it = read_inputs([p])
    assert next(it).id == "a"
    with pytest.raises(InputError, match=r"in\.jsonl:2"):
        next(it)


def test_on_error_must_be_known():
    with pytest.raises(ValueError, match="on_error must be 'fail' or 'skip'"):
        InputReader([], on_error="ignore")  # type: ignore[arg-type]
