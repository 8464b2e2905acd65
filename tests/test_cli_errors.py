"""Bad input through the ``dedup cluster`` command: exit codes, messages, --on-error/--skipped.

Most cases call :func:`dedup.cli.main` in-process (the real argument parsing and error
mapping, fast); a few run the real command in a subprocess to check the exit code the shell sees.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.cli import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, main

STORY = (
    "The minister of foreign affairs signed a cooperation agreement in Moscow on Tuesday "
    "covering trade, energy and education exchanges between the two countries."
)
OTHER = "Heavy rain is expected over the northern provinces tomorrow, forecasters said."


def _jsonl(path: Path, lines: list[object]) -> Path:
    path.write_bytes(
        b"".join(
            (x if isinstance(x, bytes) else (x if isinstance(x, str) else json.dumps(x)).encode())
            + b"\n"
            for x in lines
        )
    )
    return path


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["cluster", *args, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def _ids(out: str) -> list[str]:
    return [json.loads(line)["id"] for line in out.splitlines()]


GOOD = [{"id": "a", "text": STORY}, {"id": "b", "text": STORY + " Photo: VNA"}]

# (name, bad JSONL line as bytes/str/object, reason, words the message must contain)
BAD_LINES = [
    ("malformed_json", '{"id": "x", "text": ', "invalid_json", ["invalid JSON"]),
    ("not_object", "[1, 2, 3]", "not_an_object", ["expected a JSON object"]),
    ("missing_text", {"id": "x"}, "missing_field", ["no text field 'text'", "--text-field"]),
    ("missing_id", {"text": OTHER}, "missing_field", ["no id field 'id'", "--id-field"]),
    ("null_id", {"id": None, "text": OTHER}, "bad_id", ["id must be"]),
    ("number_text", {"id": "x", "text": 3}, "bad_text", ["text of 'x' must be a string"]),
    ("invalid_utf8", b'{"id": "x", "text": "caf\xe9"}', "invalid_utf8", ["not valid UTF-8"]),
    ("duplicate_id", {"id": "a", "text": OTHER}, "duplicate_id", ["duplicate id 'a'", ":1)"]),
]


@pytest.mark.parametrize(
    ("name", "line", "reason", "words"), BAD_LINES, ids=[c[0] for c in BAD_LINES]
)
def test_bad_jsonl_line_fails_with_exit_2_and_location(tmp_path, capsys, name, line, reason, words):
    src = _jsonl(tmp_path / "in.jsonl", [*GOOD, line, {"id": "c", "text": OTHER}])
    out_file = tmp_path / "out.jsonl"
    code, out, err = _cli(capsys, str(src), "-o", str(out_file))
    assert code == EXIT_USAGE
    assert f"dedup: error: {src}:3: " in err
    for w in words:
        assert w in err
    assert not out_file.exists()  # fail means: nothing written

    skipped = tmp_path / "skipped.jsonl"
    code, out, err = _cli(capsys, str(src), "--on-error", "skip", "--skipped", str(skipped))
    assert code == EXIT_SKIPPED
    assert _ids(out) == ["a", "b", "c"]  # one line per accepted document
    (row,) = [json.loads(x) for x in skipped.read_text("utf-8").splitlines()]
    assert (row["source"], row["line"], row["reason"]) == (str(src), 3, reason)
    assert f"read 4 documents: 3 clustered, 1 skipped (1 {reason})" in err
    assert f"dedup: skipped {src}:3: " in err


def test_skip_summary_counts_every_reason(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", [*GOOD] + [line for _, line, _, _ in BAD_LINES])
    code, out, err = _cli(capsys, str(src), "--on-error", "skip")
    assert code == EXIT_SKIPPED
    assert _ids(out) == ["a", "b"]
    n = len(BAD_LINES)
    assert f"read {n + 2} documents: 2 clustered, {n} skipped (" in err
    assert err.count("dedup: skipped ") == n


def test_skipped_file_is_written_empty_on_a_clean_run(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", GOOD)
    skipped = tmp_path / "skipped.jsonl"
    code, out, _ = _cli(capsys, str(src), "--on-error", "skip", "--skipped", str(skipped))
    assert code == EXIT_OK and _ids(out) == ["a", "b"]
    assert skipped.exists() and skipped.read_text() == ""


def test_csv_wrong_column_fails_even_when_skipping(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("id,body\r\na,hello\r\n")
    for extra in ([], ["--on-error", "skip"]):
        code, out, err = _cli(capsys, str(src), *extra)
        assert code == EXIT_USAGE and out == ""
        assert f"{src}:1: no text column 'text'" in err and "--text-field" in err
    code, out, _ = _cli(capsys, str(src), "--text-field", "body")
    assert code == EXIT_OK and _ids(out) == ["a"]


def test_directory_with_binary_and_non_utf8_files(tmp_path, capsys):
    (tmp_path / "a.txt").write_text(STORY)
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "c.txt").write_bytes(b"\xef\xbb\xbf" + STORY.replace("\n", "\r\n").encode())
    (tmp_path / "d.txt").write_bytes(b"Ligne une\nLigne deux \xe9t\xe9\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    code, out, err = _cli(capsys, str(tmp_path))
    assert code == EXIT_USAGE and f"{tmp_path / 'b.txt'}: looks like a binary file" in err
    code, out, err = _cli(capsys, str(tmp_path), "--on-error", "skip")
    assert code == EXIT_SKIPPED
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "c"]
    assert rows[1]["representative"] == "a"  # the BOM/CRLF copy is still an exact copy
    assert f"{tmp_path / 'd.txt'}:2: not valid UTF-8" in err
    assert "ignored 1 directory entries not *.txt" in err and "image.png" in err


def test_empty_inputs_and_empty_texts(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    src = _jsonl(
        tmp_path / "in.jsonl",
        [
            *GOOD,
            {"id": "blank", "text": ""},
            {"id": "spaces", "text": " \r\n\t "},
            {"id": "emoji", "text": "😀🎉🔥"},
            {"id": "emoji2", "text": "😀🎉🔥"},
            {"id": "short", "text": "Hi"},
        ],
    )
    code, out, err = _cli(capsys, str(empty), str(src))
    assert code == EXIT_OK
    rows = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert list(rows) == ["a", "b", "blank", "spaces", "emoji", "emoji2", "short"]
    for k in ("blank", "spaces", "emoji", "emoji2", "short"):  # accepted singletons
        assert rows[k]["representative"] == k and rows[k]["relation"] is None
    assert len({rows[k]["cluster"] for k in rows}) == 6
    assert f"warning: {empty}: no documents" in err
    assert "4 documents have no words after normalization" in err


def test_huge_document_is_too_large_by_default(tmp_path, capsys):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.txt").write_text(STORY)
    (d / "huge.txt").write_bytes(b"word " * 6_000_000)  # a real 30 MB document
    code, _, err = _cli(capsys, str(d))
    assert code == EXIT_USAGE
    assert "huge.txt: file of 30000000 bytes is over the limit of 4194304" in err
    assert "--max-doc-bytes" in err
    code, out, err = _cli(capsys, str(d), "--on-error", "skip")
    assert code == EXIT_SKIPPED and _ids(out) == ["a"]
    assert "1 too_large" in err


def test_bad_max_doc_bytes_value(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["cluster", "x.jsonl", "--max-doc-bytes", "lots"])
    assert info.value.code == EXIT_USAGE
    assert "k, M or G suffix" in capsys.readouterr().err


def test_bad_rule_file_names_file_and_line(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", GOOD)
    rules = tmp_path / "extra.rules"
    rules.write_text("# my rules\ndrop_line ok ^Photo\nstrip broken (unclosed\n")
    code, out, err = _cli(capsys, str(src), "--extra-rules", str(rules))
    assert code == EXIT_USAGE and out == ""
    assert f"{rules}:3: bad regular expression" in err
    rules.write_text("delete_line x ^y\n")
    code, _, err = _cli(capsys, str(src), "--rules", str(rules))
    assert code == EXIT_USAGE and f"{rules}:1: unknown rule kind 'delete_line'" in err


def test_unwritable_output_is_exit_2(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", GOOD)
    code, _, err = _cli(capsys, str(src), "-o", str(tmp_path / "missing" / "out.jsonl"))
    assert code == EXIT_USAGE and "out.jsonl: cannot write: No such file" in err


def test_exit_codes_seen_by_the_shell(tmp_path, run_cli):
    src = _jsonl(tmp_path / "in.jsonl", [*GOOD, "{broken"])
    r = run_cli("cluster", str(src))
    assert r.returncode == EXIT_USAGE and r.stdout == ""
    assert f"dedup: error: {src}:3: invalid JSON" in r.stderr
    assert "Traceback" not in r.stderr
    stdin = json.dumps({"id": "s", "text": OTHER}) + "\r\n" + "\ufeff{oops\n"
    r = run_cli("cluster", str(src), "-", "--on-error", "skip", input=stdin)
    assert r.returncode == EXIT_SKIPPED and _ids(r.stdout) == ["a", "b", "s"]
    assert f"{src}:3: invalid JSON" in r.stderr and "<stdin>:2: invalid JSON" in r.stderr
    assert EXIT_ERROR == 1 and EXIT_OK == 0


def test_non_utf8_rule_file_names_the_file(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", GOOD)
    rules = tmp_path / "latin1.rules"
    rules.write_bytes(b"# r\ndrop_line x caf\xe9\n")
    code, _, err = _cli(capsys, str(src), "--extra-rules", str(rules))
    assert code == EXIT_USAGE
    assert f"{rules}:2: " in err
