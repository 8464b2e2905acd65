"""Reading inputs and writing results (no clustering logic here)."""

from dedup.io.readers import (
    InputReader,
    read_csv,
    read_inputs,
    read_jsonl,
    read_path,
    read_text_file,
)
from dedup.io.writers import (
    WRITERS,
    atomic_output,
    write_csv,
    write_jsonl,
    write_skipped,
    write_table,
)

__all__ = [
    "WRITERS",
    "InputReader",
    "atomic_output",
    "read_csv",
    "read_inputs",
    "read_jsonl",
    "read_path",
    "read_text_file",
    "write_csv",
    "write_jsonl",
    "write_skipped",
    "write_table",
]
