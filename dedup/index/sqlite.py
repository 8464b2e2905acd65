"""SQLite backend: the embedded default (one file, no server).

Layout (``PRAGMA application_id`` marks the file as a dedup index, ``user_version`` holds the
format version)::

    meta(key, value)                  format marker, version, settings (JSON), fold counter,
                                      the last fold (``folded``), ``maxnum`` (format 5),
                                      ``banded`` (format 6)
    docs(num, id UNIQUE, ts, published_at, added_at, text_hash, text)
    cands(num, ts, text_hash, sig)    what a lookup reads per candidate: its MinHash signature
                                      (``sig``, format 6; in ``docs`` before) beside the time
                                      and text hash, ~530 bytes, no text
    bands(key, num)  WITHOUT ROWID    one row per LSH band of each document numbered up to
                                      ``meta.banded`` (format 6: later ones wait for a fold)
    words(word, n)   WITHOUT ROWID    documents per word (``set(text.split())``); the row
                                      ``''`` holds the number of documents
    wlog(seq, delta, words)           word-count changes not yet folded into ``words``: one
                                      row per added (+1) or removed (-1) document, its
                                      distinct words as a JSON list
    vocab(id, word UNIQUE)            a number for every word ever stored; rows are never
                                      deleted, so a number is never reused (format 5)
    wids(num, ids)                    each document's distinct words as sorted vocab numbers,
                                      little-endian uint32 (format 5)
    gone(seq AUTOINCREMENT, num)      the numbers of removed documents, in order; the oldest
                                      beyond :data:`GONE_KEEP` are trimmed (format 6)

A word's count is ``words.n`` plus the deltas of ``wlog``. Both change in the same
transaction as the documents they count, so they can never drift from the stored texts
(:meth:`~dedup.index.base.Index.word_count_problems` recounts). A single ``add`` appends one
``wlog`` row (one page) instead of updating ~150 ``words`` rows on as many pages; a background
thread folds the log into ``words`` once it holds :data:`FOLD_ROWS` rows: it reads and sums
the log without the write lock, then adds the sums to ``words`` and deletes those rows in one
transaction, which also bumps ``meta.fold`` and records it in ``meta.folded`` (a connection
that had read every folded row keeps its cached totals; the others read them again). The
fold leaves its last row as an empty marker, so log numbers are never reused. Bulk loads
(many documents per transaction) update ``words`` directly.

A lookup filters candidates on their signatures in ``cands`` (rows of ~530 bytes, ~7 per page:
the ``docs`` rows, a page each with their texts, are read only for the ids and texts of the
~0.4 candidates per check that survive verification's bound).

Band rows cost ~40 random B-tree pages per document, so a single add writes none: documents
numbered after ``meta.banded`` wait for a fold (the background thread writes their rows,
sorted, once :data:`BAND_FOLD_ROWS` wait; a bulk load writes its own), and a lookup made from
the file adds those documents' keys, computed from their signatures.

A connection that has made :attr:`SQLiteIndex.warm_up_checks` lookups keeps copies in memory,
indexed by document number (:class:`~dedup.index.copies.DocCopies`): the ``cands`` rows, the
``wids`` and the buckets (:class:`~dedup.index.buckets.BandRuns`, from the signatures). This
module decides when rows are read into them. Document numbers are never
reused (``meta.maxnum`` keeps the number of a removed newest document), so the copies are
kept current by reading the rows numbered after the last one held, and removals by reading
``gone`` (a connection that finds rows it had not read trimmed re-reads which numbers
``cands`` holds). A lookup then reads nothing from the file but the text-hash index; the
verification bound (:func:`dedup.index.base._prune_ids`) gathers the candidates' word numbers
and counts from memory, and only the few candidates that survive it have their texts read.
At 1M articles the copies take ~2 GB per process (signatures 512 + 128 bytes, word numbers ~760
bytes, bucket pairs 504 bytes per article) and 10-15 s to load (in a thread);
``SQLiteIndex.cache_candidates = False`` keeps a process on the file.

Signatures are raw little-endian uint32 bytes; texts are stored normalized (what verification
reads). Nothing is pickled.

Concurrency and crash safety come from SQLite itself: WAL journal, one transaction per
document (or per batch in :meth:`~dedup.index.base.Index.add_many`), and
``BEGIN IMMEDIATE`` for :meth:`~dedup.index.base.Index.check_and_add`, which takes the write
lock *before* looking for matches, so two processes checking the same story are serialized:
the second one sees the first one's document. Text preparation and hashing happen before the
lock is taken, so the lock is held for the lookup, verification and insert only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from dedup.config import DedupConfig
from dedup.index.base import (
    FORMAT_VERSION,
    AddResult,
    Candidate,
    DuplicateIdError,
    Index,
    IndexFormatError,
    OnConflict,
    Prepared,
    WordIds,
    check_stored,
    dumps_settings,
)
from dedup.index.copies import DocCopies
from dedup.sketch.lsh import band_keys, empty_rows

__all__ = ["APPLICATION_ID", "SQLiteIndex"]

#: ``PRAGMA application_id`` of a dedup index ("ddup").
APPLICATION_ID = 0x64647570

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs(
    num INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    published_at REAL,
    added_at REAL NOT NULL,
    text_hash INTEGER,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_ts ON docs(ts);
CREATE INDEX IF NOT EXISTS docs_text_hash ON docs(text_hash) WHERE text_hash IS NOT NULL;
CREATE TABLE IF NOT EXISTS bands(key INTEGER NOT NULL, num INTEGER NOT NULL,
                                 PRIMARY KEY(key, num)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS words(word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cands(num INTEGER PRIMARY KEY, ts REAL NOT NULL, text_hash INTEGER,
                                 sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS wlog(seq INTEGER PRIMARY KEY, delta INTEGER NOT NULL,
                                words TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vocab(id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS wids(num INTEGER PRIMARY KEY, ids BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS gone(seq INTEGER PRIMARY KEY AUTOINCREMENT, num INTEGER NOT NULL);
"""

_SQLITE_MAGIC = b"SQLite format 3\x00"
# the star rule of a lookup over the band rows: (keys as JSON, cap, cap, cap)
_STAR_SQL = """
    WITH q(key) AS (SELECT value FROM json_each(?)),
    c(key, n) AS (SELECT key, (SELECT count(*) FROM
        (SELECT 1 FROM bands WHERE bands.key = q.key LIMIT ?)) FROM q)
    SELECT bands.num FROM c JOIN bands ON bands.key = c.key WHERE c.n < ?
    UNION
    SELECT (SELECT num FROM bands WHERE bands.key = c.key ORDER BY num LIMIT 1)
    FROM c WHERE c.n >= ?
"""
# a stored document's number and signature, by id
_NUM_SIG_OF_ID = (
    "SELECT num, (SELECT sig FROM cands WHERE cands.num = docs.num) FROM docs WHERE id = ?"
)
_CHECKPOINT_EVERY = 1.0  # seconds
_CACHE_KIB = -65536  # page cache: 64 MiB (negative: KiB)
_WORD_CACHE = 2_000_000  # word counts kept in memory (then the cache starts over)
#: Fold the word-count log into ``words`` once it holds this many documents' changes.
FOLD_ROWS = 1000
#: Write the band rows of the newest documents (those numbered after ``meta.banded``) once
#: this many wait (a single add writes none: ~40 rows on as many random pages of ``bands``).
BAND_FOLD_ROWS = 256
#: Rows of ``gone`` (removed document numbers) kept for other connections to read; one
#: that has not read those trimmed meanwhile re-reads which documents are live (all of cands).
GONE_KEEP = 100_000
#: A transaction changing the counts of at least this many documents updates ``words``
#: directly (a bulk load touches most of its pages anyway) instead of appending to the log.
_DIRECT = 64
#: Memory-map the file (reads of candidate and band pages then cost no read() call and no
#: copy); SQLite caps it at its compile-time maximum (2 GiB in common builds).
_MMAP_BYTES = 1 << 34
# The page size stays SQLite's 4096 bytes: a check_and_add writes one row to each of ~20
# random B-tree pages (band keys, id and hash indexes), and every dirty page goes to the WAL
# whole, so larger pages would make each commit write more.


def read_log(db: sqlite3.Connection) -> tuple[str | None, int, Counter[str], set[str], int]:
    """A snapshot of the word-count log: ``(fold counter, last seq, summed deltas (``''`` =
    documents), words with a negative delta, rows)``; one read transaction (readers never
    block writers)."""
    totals: Counter[str] = Counter()
    negative: set[str] = set()
    last = rows = 0
    own = not db.in_transaction
    if own:
        db.execute("BEGIN")
    try:
        row = db.execute("SELECT value FROM meta WHERE key='fold'").fetchone()
        for seq, delta, words in db.execute("SELECT seq, delta, words FROM wlog ORDER BY seq"):
            listed = json.loads(words)
            if delta > 0:
                totals.update(listed)
            else:
                totals.subtract(listed)
                negative.update(listed)
            totals[""] += delta
            last, rows = seq, rows + (delta != 0)  # (not the marker a fold leaves)
    finally:
        if own:
            db.execute("COMMIT")
    return (row[0] if row else None), last, totals, negative, rows


def fold_log(db: sqlite3.Connection, snapshot: Any = None) -> int:
    """Add the word-count log's deltas to ``words`` and delete those log rows, inside the
    caller's write transaction; returns the number of log rows folded.

    ``snapshot``: a :func:`read_log` result taken before the transaction (so the reading and
    summing do not hold the write lock); it is used only if no fold happened since (the fold
    counter is unchanged), else nothing is folded (0).
    """
    if snapshot is None:
        snapshot = read_log(db)
    gen, last, totals, negative, rows = snapshot
    row = db.execute("SELECT value FROM meta WHERE key='fold'").fetchone()
    if not rows or (row[0] if row else None) != gen:
        return 0
    n_docs = totals.pop("", 0)
    # sorted: neighbouring B-tree pages one after the other
    db.executemany(
        "INSERT INTO words(word, n) VALUES (?, ?) "
        "ON CONFLICT(word) DO UPDATE SET n = n + excluded.n",
        sorted((w, d) for w, d in totals.items() if d),
    )
    db.execute("UPDATE words SET n = n + ? WHERE word = ''", (n_docs,))
    db.executemany("DELETE FROM words WHERE word = ? AND n <= 0", [(w,) for w in sorted(negative)])
    # the last folded row stays as an empty marker: log numbers are then never reused (a new
    # row numbers after the largest one left), which connections that keep their cached
    # totals across this fold rely on
    db.execute("DELETE FROM wlog WHERE seq < ?", (last,))
    db.execute("UPDATE wlog SET delta = 0, words = '[]' WHERE seq = ?", (last,))
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'fold'")
    # what was folded: a connection that had read every folded row keeps its cached totals
    (after,) = db.execute("SELECT value FROM meta WHERE key='fold'").fetchone()
    db.execute("INSERT OR REPLACE INTO meta VALUES ('folded', ?)", (json.dumps([after, last]),))
    return int(rows)


def _agreement_needed(width: int, floor: float) -> int:
    """The fewest equal signature values ``k`` out of ``width`` with ``k / width >= floor``
    (the estimate of the batch filter, in the same float arithmetic)."""
    k = max(0, min(width, int(floor * width)))
    while k > 0 and (k - 1) / width >= floor:
        k -= 1
    while k <= width and k / width < floor:
        k += 1
    return k


def _banded(db: sqlite3.Connection) -> int:
    """Documents numbered up to this have their ``bands`` rows; none after it has any."""
    row = db.execute("SELECT value FROM meta WHERE key = 'banded'").fetchone()
    return int(row[0]) if row else 0


def _unbanded(db: sqlite3.Connection) -> int:
    """Documents waiting for their band rows."""
    return int(db.execute("SELECT count(*) FROM cands WHERE num > ?", (_banded(db),)).fetchone()[0])


def fold_bands(db: sqlite3.Connection, lsh: Any) -> int:
    """Write the band rows of every document numbered after ``meta.banded`` (sorted: a batch
    lands on neighbouring pages) and move the mark past them; inside the caller's write
    transaction. Returns the rows written."""
    banded = _banded(db)
    rows = db.execute("SELECT num, sig FROM cands WHERE num > ? ORDER BY num", (banded,)).fetchall()
    if not rows:
        return 0
    nums = np.array([r[0] for r in rows], dtype=np.int64)
    sigs = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4").reshape(len(rows), -1)
    ok = ~empty_rows(sigs)  # a document without shingles has no bands
    keys = band_keys(sigs[ok], lsh).view(np.int64).ravel()
    owner = np.repeat(nums[ok], lsh.bands)
    order = np.lexsort((owner, keys))  # (sorted in numpy: less time holding the GIL)
    pairs = list(zip(keys[order].tolist(), owner[order].tolist()))
    db.executemany("INSERT OR IGNORE INTO bands(key, num) VALUES (?, ?)", pairs)
    db.execute(
        "INSERT OR REPLACE INTO meta VALUES ('banded', ?)",
        (str(max(int(nums[-1]), banded)),),
    )
    return len(pairs)


def _check_file(path: Path) -> None:
    """Cheap checks before SQLite touches the file: magic bytes and truncation."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return  # SQLite treats an empty file as a new database
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise IndexFormatError(
            f"{path} is not a dedup index (not an SQLite database); pass a new path or an "
            "index made by dedup.open_index"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    n_pages = int.from_bytes(header[28:32], "big")
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    if n_pages and valid_for == change_counter and size < n_pages * page_size:
        raise IndexFormatError(
            f"{path} is truncated: {size} bytes, its header says {n_pages * page_size}; "
            "restore it from a backup or rebuild the index"
        )


class SQLiteIndex(Index):
    """Index in one SQLite file (see the module docstring); use :func:`dedup.open_index`.

    Parameters
    ----------
    path : str or Path
        The index file; created when missing (unless ``create=False``).
    config : DedupConfig, optional
        Settings for a new index; for an existing one they must equal the stored ones.
        Omit to use the stored settings.
    retention : float, optional
        Seconds; stored in the index and used by later opens when omitted.
    create : bool
        Create the file if it does not exist.
    timeout : float
        Seconds to wait for another process's write lock.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        config: DedupConfig | None = None,
        *,
        retention: float | None = None,
        create: bool = True,
        timeout: float = 60.0,
    ) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        if not self.path.exists() and not create:
            raise IndexFormatError(f"{self.path}: no such index (pass create=True to make one)")
        _check_file(self.path)
        self._lock = threading.RLock()
        self._local = threading.local()
        # word counts read so far (word -> documents, '' -> number of documents); valid while
        # no other connection commits (PRAGMA data_version), kept current by our own writes
        self._wc: dict[str, int] = {}  # word -> words.n + pending deltas (read so far)
        self._wc_version: int | None = None
        self._gen: str | None = None
        self._pending: Counter[str] | None = None  # deltas of wlog rows read so far
        self._last_seq = 0
        self._lsh_candidates = 0  # candidates of the last lookup, before the signature filter
        # the vocabulary (word <-> number, as in the table vocab, synced like the counts) and
        # the word counts by number (valid where _known; the same totals as _wc)
        self._vid: dict[str, int] = {}
        self._vword: list[str] = [""]  # number 0: no stored word (count 0)
        self._vlen = np.zeros(1024, dtype=np.int64)
        self._cnt = np.zeros(1024, dtype=np.int64)
        self._known = np.zeros(1024, dtype=bool)
        self._known[0] = True
        self._vmark = 1  # vocabulary size when the current write transaction began
        self._vnew: list[tuple[int, str]] = []  # vocab rows numbered, not yet written
        self._all_known = False  # counts of every numbered word loaded (since the last drop)
        self._lookups = 0  # lookups made by this connection (see warm_up_checks)
        self._kmark = (0, 0)  # the copies when the current write transaction began
        self._init_copies()
        # a thread loading the copies (warm_up_checks > 0), and what it made (or raised)
        self._loader: threading.Thread | None = None
        self._loaded: DocCopies | BaseException | None = None
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise IndexFormatError(f"{self.path}: cannot open index: {exc}") from None
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        try:
            self.config, self.retention = self._open(config, retention)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise IndexFormatError(
                f"{self.path} is not a dedup index or is damaged ({exc}); "
                "restore it from a backup or rebuild the index"
            ) from None
        except BaseException:
            self._db.close()
            raise
        self._copies = DocCopies(self.config.lsh)
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop,
            args=(timeout,),
            name="dedup-index-checkpoint",
            daemon=True,
        )
        self._checkpointer.start()

    def _init_copies(self) -> None:
        """Empty in-process copies (see the module docstring and :meth:`_sync_cands`)."""
        self._kloaded, self._kver = False, None  # loaded; PRAGMA data_version they hold
        cfg = getattr(self, "config", None)  # (unknown until the file is opened)
        self._copies: DocCopies | None = None if cfg is None else DocCopies(cfg.lsh)

    def _start_loading(self) -> None:
        """Load the copies in a thread, on its own connection, while this one goes on
        reading the file; :meth:`_install_loaded` takes them over when ready."""

        def load() -> None:
            try:
                self._loaded = self._load_copies()
            except BaseException as exc:  # (reported by _install_loaded)
                self._loaded = exc

        self._loader = threading.Thread(target=load, name="dedup-index-copies", daemon=True)
        self._loader.start()

    def _load_copies(self) -> DocCopies:
        """Copies made on a new connection (the state :meth:`_sync_cands` makes)."""
        shadow = SQLiteIndex.__new__(SQLiteIndex)
        shadow.path, shadow.config = self.path, self.config
        shadow._lock = threading.RLock()
        shadow._init_copies()
        shadow._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            shadow._db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
            shadow._sync_cands()
        finally:
            shadow._db.close()
        assert shadow._copies is not None
        return shadow._copies

    def _install_loaded(self) -> None:
        """Take over the copies a finished loader made; the next sync reads what was
        committed after them (rows numbered later, ``gone`` rows)."""
        if self._loader is None or self._loader.is_alive():
            return
        loaded, self._loader, self._loaded = self._loaded, None, None
        if isinstance(loaded, BaseException):
            raise loaded
        if loaded is None or self._kloaded:
            return
        self._copies, self._kloaded, self._kver = loaded, True, None
        # inside a write transaction: a rollback drops only what comes after these
        self._kmark = loaded.keep_marks(self._kmark)

    def _checkpoint_loop(self, timeout: float) -> None:
        """Every second: fold a full word-count log into ``words``, then fold the WAL into the
        file (PASSIVE: never blocks readers or writers)."""
        try:
            db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            while not self._stop.wait(_CHECKPOINT_EVERY):
                try:
                    lo, hi = db.execute("SELECT min(seq), max(seq) FROM wlog").fetchone()
                    if lo is not None and hi - lo + 1 >= FOLD_ROWS:
                        snapshot = read_log(db)  # without the write lock
                        db.execute("BEGIN IMMEDIATE")
                        try:
                            fold_log(db, snapshot)
                            db.execute("COMMIT")
                        except BaseException:
                            db.execute("ROLLBACK")
                            raise
                    if _unbanded(db) >= BAND_FOLD_ROWS:
                        db.execute("BEGIN IMMEDIATE")
                        try:
                            fold_bands(db, self.config.lsh)
                            db.execute("COMMIT")
                        except BaseException:
                            db.execute("ROLLBACK")
                            raise
                    lo, hi = db.execute("SELECT min(seq), max(seq) FROM gone").fetchone()
                    if lo is not None and hi - lo + 1 >= 2 * GONE_KEEP:
                        db.execute("DELETE FROM gone WHERE seq <= ?", (hi - GONE_KEEP,))
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    pass  # busy (another process checkpoints) or closing: try again later
        finally:
            db.close()

    # ---- opening -------------------------------------------------------------------------

    def _open(
        self, config: DedupConfig | None, retention: float | None
    ) -> tuple[DedupConfig, float | None]:
        db = self._db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        n_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if n_tables and app_id != APPLICATION_ID:
            raise IndexFormatError(
                f"{self.path} is an SQLite database but not a dedup index; pass a new path"
            )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA cache_size={_CACHE_KIB}")
        db.execute("PRAGMA temp_store=MEMORY")
        db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
        # Checkpoints (copying the WAL into the file, with an fsync) run in a background thread
        # on its own connection, not inside a commit: check_and_add never waits for one.
        db.execute("PRAGMA wal_autocheckpoint=0")
        with self._write():
            has_meta = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
            ).fetchone()
            if not has_meta:
                if n_tables and app_id == APPLICATION_ID:
                    raise IndexFormatError(f"{self.path}: dedup index without settings (damaged)")
                cfg = config or DedupConfig()
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO words VALUES ('', 0)")
                db.execute("INSERT INTO meta VALUES ('fold', '0'), ('banded', '0')")
                db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                db.execute(f"PRAGMA user_version={FORMAT_VERSION}")
                db.execute(
                    "INSERT INTO meta VALUES ('settings', ?), ('created_at', ?)",
                    (dumps_settings(cfg, retention), repr(time.time())),
                )
                return cfg, retention
            value = db.execute("SELECT value FROM meta WHERE key='settings'").fetchone()
            if value is None:
                raise IndexFormatError(f"{self.path}: dedup index without settings (damaged)")
            try:
                meta = json.loads(value[0])
            except (TypeError, ValueError):
                raise IndexFormatError(
                    f"{self.path}: stored settings are not JSON (damaged)"
                ) from None
            # versions 2 and 3 have the same SQLite layout (3 changed Redis buckets only);
            # 4 added the tables cands and wlog, 5 vocab and wids, 6 moved the signatures
            # from docs to cands: an older file is upgraded in place, in this transaction (a
            # killed upgrade leaves the old file as it was)
            cfg = check_stored(str(self.path), meta, config, readable=(2, 3, 4, 5, FORMAT_VERSION))
            if meta.get("format_version") != FORMAT_VERSION:
                self._upgrade(db, meta)
            if retention is not None and retention != meta.get("retention"):
                db.execute(
                    "UPDATE meta SET value=? WHERE key='settings'",
                    (dumps_settings(cfg, retention),),
                )
            else:
                retention = meta.get("retention")
            return cfg, retention

    def _upgrade(self, db: sqlite3.Connection, meta: dict[str, Any]) -> None:
        """Format 2/3/4/5 -> 6, inside the opening transaction: an empty ``wlog`` (2/3); the
        table ``cands`` made anew with each document's signature, moved from ``docs``; then
        (2/3/4) every stored word numbered (``vocab``) and each document's numbers written
        (``wids``)."""
        version = meta.get("format_version")
        if sqlite3.sqlite_version_info < (3, 35):
            raise IndexFormatError(
                f"{self.path}: upgrading a format-{version} index needs SQLite 3.35 or later "
                f"(this Python has {sqlite3.sqlite_version}); rebuild the index instead"
            )
        db.execute("DROP TABLE IF EXISTS cands")  # 4/5: the low bytes of the signatures
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        if version in (2, 3):
            db.execute("INSERT OR IGNORE INTO meta VALUES ('fold', '0')")
        db.execute(
            "INSERT INTO cands(num, ts, text_hash, sig) "
            "SELECT num, ts, text_hash, sig FROM docs ORDER BY num"
        )
        db.execute("ALTER TABLE docs DROP COLUMN sig")
        db.execute(  # every stored document has its band rows
            "INSERT OR REPLACE INTO meta VALUES ('banded', ?)", (str(self._next_num(db) - 1),)
        )
        if version == 5:
            self._set_version(db, meta)
            return
        db.execute("DELETE FROM wids")  # (none in a real older file)
        db.execute("DELETE FROM vocab")
        vid: dict[str, int] = {}
        rows = db.execute("SELECT num, text FROM docs ORDER BY num")
        while batch := rows.fetchmany(20000):
            out = []
            for num, text in batch:
                words = set(text.split())
                for w in words:
                    if w not in vid:
                        vid[w] = len(vid) + 1
                ids = np.fromiter(map(vid.__getitem__, words), np.uint32, len(words))
                ids.sort()
                out.append((num, ids.astype("<u4").tobytes()))
            db.executemany("INSERT INTO wids VALUES (?, ?)", out)
        db.executemany(
            "INSERT INTO vocab(id, word) VALUES (?, ?)", ((i, w) for w, i in vid.items())
        )
        self._set_version(db, meta)

    @staticmethod
    def _set_version(db: sqlite3.Connection, meta: dict[str, Any]) -> None:
        meta = {**meta, "format_version": FORMAT_VERSION}
        db.execute(
            "UPDATE meta SET value=? WHERE key='settings'", (json.dumps(meta, sort_keys=True),)
        )
        db.execute(f"PRAGMA user_version={FORMAT_VERSION}")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Hold the connection lock; report a damaged file as :class:`IndexFormatError`."""
        with self._lock:
            try:
                yield
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError):
                    raise  # locked, disk full, ...: not damage
                raise IndexFormatError(
                    f"{self.path} is damaged ({exc}); restore it from a backup or rebuild the index"
                ) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any error)."""
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            self._vmark = len(self._vword)
            if self._copies is not None:
                self._kmark = self._copies.mark()
            changes = self._db.total_changes
            try:
                yield self._db
            except BaseException:
                if self._db.total_changes != changes:
                    self._pending = None  # the caches may hold this transaction's counts
                self._forget_new_words()
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except BaseException:
                self._pending = None
                self._forget_new_words()
                raise

    def _forget_new_words(self) -> None:
        """After a rollback: drop the numbers given since the transaction began (the next
        sync reads back those another connection committed meanwhile)."""
        mark = self._vmark
        self._vnew.clear()
        for w in self._vword[mark:]:
            self._vid.pop(w, None)
        del self._vword[mark:]
        self._known[mark:] = False
        # and the documents copied since then (their numbers will be given again)
        if self._copies is not None:
            self._copies.forget_after(self._kmark)
        self._kver = None

    # ---- primitives ----------------------------------------------------------------------

    def _lookup(self, prep: Prepared, min_ts: float | None) -> Sequence[Candidate]:
        self._lookups += 1
        keys = list(prep.keys)
        if not keys and prep.text_hash is None:
            return []
        cap = self.config.lsh.max_bucket
        with self._guard():
            same: list[int] = []
            if prep.text_hash is not None:
                same = [
                    r[0]
                    for r in self._db.execute(
                        "SELECT num FROM docs WHERE text_hash = ?", (prep.text_hash,)
                    )
                ]
            self._lsh_candidates = 0
            if self._copies_ready():
                self._sync_cands()
                # sorted, without repeats (as the lookup of the copy returns them)
                arr = self._copy().lookup(keys, cap) if keys else np.zeros(0, np.int64)
                if same:
                    arr = np.union1d(arr, np.array(same, dtype=np.int64))
                return self._filter_cached(prep, arr, min_ts) if len(arr) else []
            nums = set(same)
            if keys:
                nums.update(self._bucket_rows(keys, cap))
            return self._filter_rows(prep, nums, min_ts) if nums else []

    def _copies_ready(self) -> bool:
        """Whether this lookup uses the copies: loaded in this call when ``warm_up_checks``
        is 0, else started in a thread at the lookup after the warm-up ones and used once
        ready (the lookups meanwhile read the file)."""
        if not self.cache_candidates or self._lookups <= self.warm_up_checks:
            return False
        if not self._kloaded:
            if self.warm_up_checks == 0:
                self._sync_cands()
            elif self._loader is None:
                self._start_loading()
            else:
                self._install_loaded()
            if self._kloaded and not self._all_known:
                with self._snapshot():  # the vocabulary and every count, now rather than
                    self._load_counts(self._sync_counts())  # at the next verification
        return self._kloaded

    def _bucket_rows(self, keys: Sequence[int], cap: int) -> set[int]:
        """The star rule over the band rows, and the documents whose rows wait for a fold
        (their keys computed from their signatures; at most a few hundred documents)."""
        tail: dict[int, list[int]] = {}
        with self._snapshot():
            banded = _banded(self._db)
            rows = self._db.execute(
                "SELECT num, sig FROM cands WHERE num > ? ORDER BY num", (banded,)
            ).fetchall()
            if rows:
                nums = np.array([r[0] for r in rows], dtype=np.int64)
                sigs = np.frombuffer(b"".join(r[1] for r in rows), "<u4").reshape(len(rows), -1)
                ok = ~empty_rows(sigs)
                tkeys = band_keys(sigs[ok], self.config.lsh).view(np.int64)
                hit = np.isin(tkeys, np.array(keys, dtype=np.int64))
                for r, b in zip(*np.nonzero(hit)):
                    tail.setdefault(int(tkeys[r, b]), []).append(int(nums[ok][r]))
            # A bucket that already holds ``cap`` documents would exceed the cap with this
            # one: the query is compared with its first (oldest) member only, the star rule
            # of dedup.sketch.lsh.candidate_pairs. Counting stops at ``cap`` (in SQLite, not
            # Python), so a huge bucket costs no more than a full small one.
            plain = [k for k in keys if k not in tail]
            found = {r[0] for r in self._db.execute(_STAR_SQL, (json.dumps(plain), cap, cap, cap))}
            for key, members in tail.items():  # the rows' members come first (lower numbers)
                listed = [
                    r[0]
                    for r in self._db.execute(
                        "SELECT num FROM bands WHERE key = ? ORDER BY num LIMIT ?", (key, cap)
                    )
                ]
                listed += sorted(members)
                found.update(listed[:1] if len(listed) >= cap else listed)
        return found

    #: Look up candidates in in-process copies of ``cands``, ``wids`` and the buckets (kept
    #: current by number: numbers are never reused; ~2 GB per process at 1M articles)
    #: instead of reading the file; False always reads the file (the tests compare both).
    cache_candidates: bool = True
    _lookup_filters = True  # (both filters: _filter_rows and _filter_cached)
    #: The copies are loaded after this many lookups, by a thread (10-15 s at 1M articles)
    #: while the lookups go on reading the file, so a process that checks a handful of
    #: articles (one CLI call) never loads them; the counts of every word are read then too.
    #: 0 loads everything in the first lookup, in the calling thread.
    warm_up_checks: int = 16

    def _filter_rows(self, prep: Prepared, nums: set[int], min_ts: float | None) -> list[Candidate]:
        """The candidates whose signature estimate reaches ``lsh.min_similarity`` (or with the
        query's text hash), from their ``cands`` rows (ids left to :meth:`_with_ids`)."""
        sql = (
            "SELECT num, ts, text_hash, sig FROM cands "
            "WHERE num IN (SELECT value FROM json_each(?))"
        )
        params = [json.dumps(sorted(nums))]
        if min_ts is not None:
            sql += " AND ts >= ?"
            params.append(min_ts)
        rows = self._db.execute(sql, params).fetchall()
        self._lsh_candidates = len(rows)
        if not rows:
            return []
        sigs = np.frombuffer(b"".join(r[3] for r in rows), dtype="<u4").reshape(len(rows), -1)
        est = (sigs == prep.signature).mean(axis=1)
        floor = self.config.lsh.min_similarity
        th = prep.text_hash
        return [
            Candidate(num, None, ts, sig, h)
            for (num, ts, h, sig), e in zip(rows, est)
            if e >= floor or (th is not None and h == th)
        ]

    def _filter_cached(
        self, prep: Prepared, arr: np.ndarray, min_ts: float | None
    ) -> Sequence[Candidate]:
        """:meth:`_filter_rows` on the in-process copy of ``cands`` (the same candidates);
        ``arr``: the document numbers, sorted (the caller synced the copies after reading
        them)."""
        copies = self._copy()
        if len(arr) and arr[-1] > copies.top:  # committed after the sync (cannot happen)
            return self._filter_rows(prep, set(arr.tolist()), min_ts)
        need = _agreement_needed(copies.sig.shape[1], self.config.lsh.min_similarity)
        found, self._lsh_candidates = copies.filter(
            prep.signature, prep.text_hash, arr, min_ts, need
        )
        return found

    def _copy(self) -> DocCopies:
        """The copies (made when the file was opened)."""
        assert self._copies is not None
        return self._copies

    def _candidate_ids(self, cands: Sequence[Candidate]) -> list[str | None]:
        nums = [c.ref for c in cands if c.id is None]
        if not nums:
            return [c.id for c in cands]
        marks = ",".join("?" * len(nums))
        with self._guard():
            ids = dict(self._db.execute(f"SELECT num, id FROM docs WHERE num IN ({marks})", nums))
        return [c.id if c.id is not None else ids.get(c.ref) for c in cands]

    def _sync_cands(self) -> None:
        """Bring the copies up to date: read the rows numbered after the last one seen.
        Document numbers only grow (:meth:`_next_num`), so no other row can have appeared;
        a removed document keeps its copy, which no lookup asks for (its band rows and
        ``docs`` row are gone; :meth:`_sync_gone` marks it)."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if self._kloaded and version == self._kver:
            return
        copies = self._copy()
        with self._snapshot():
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'gone'")
            gone = (row.fetchone() or (0,))[0]
            rows = self._db.execute(
                "SELECT num, ts, text_hash, sig, (SELECT ids FROM wids WHERE wids.num = cands.num) "
                "FROM cands WHERE num > ? ORDER BY num",
                (copies.top,),
            )
            first = copies.top + 1
            if not self._kloaded:  # the arrays at their size at once (not grown batch by batch)
                (top,) = self._db.execute("SELECT coalesce(max(num), 0) FROM cands").fetchone()
                copies.grow(top, self.config.minhash.num_perm)
            while batch := rows.fetchmany(50000):
                copies.put(batch, bands=False)
            new = np.arange(first, copies.top + 1)
            copies.add_bands(new[copies.live[first : copies.top + 1]])
            if self._kloaded and gone != copies.gone:
                self._sync_gone(gone)
            copies.gone = gone
        self._kloaded, self._kver = True, version

    def _sync_gone(self, gone: int) -> None:
        """Mark the documents removed since the last sync as not live (from the rows of
        ``gone``; when some were trimmed unread, from which documents ``cands`` holds)."""
        copies = self._copy()
        seen = copies.gone
        rows = []
        if seen is not None and gone > seen:
            rows = self._db.execute(
                "SELECT num FROM gone WHERE seq > ? ORDER BY seq", (seen,)
            ).fetchall()
        if seen is not None and len(rows) == gone - seen:
            copies.mark_removed(np.array([r[0] for r in rows], dtype=np.int64))
            return
        self._reread_live()

    def _reread_live(self) -> None:
        """Which copied documents are live: those ``cands`` holds."""
        live = np.array([r[0] for r in self._db.execute("SELECT num FROM cands")], np.int64)
        self._copy().set_live(live)

    def _next_num(self, db: sqlite3.Connection) -> int:
        """The number of the next document: after every number ever given (the largest left
        in ``docs`` or, when the newest documents were removed, ``meta.maxnum``)."""
        (num,) = db.execute(
            "SELECT max(coalesce((SELECT max(num) FROM docs), 0), "
            "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'maxnum'), 0)) + 1"
        ).fetchone()
        return int(num)

    def _texts(self, refs: Sequence[Any]) -> list[str]:
        marks = ",".join("?" * len(refs))
        with self._guard():
            rows = dict(
                self._db.execute(f"SELECT num, text FROM docs WHERE num IN ({marks})", list(refs))
            )
        return [rows.get(r, "") for r in refs]  # removed meanwhile: never a match

    def _sync_counts(self) -> Counter[str]:
        """Bring the cached counts up to date with other connections' commits; returns the
        pending (not yet folded) deltas, ``''`` = documents."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        pending = self._pending
        if pending is not None and version == self._wc_version:
            return pending
        meta = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('fold', 'folded')"))
        gen = meta.get("fold")
        self._sync_vocab()  # before the log: its rows' words are numbered
        if pending is not None and gen != self._gen and self._survives(gen, meta.get("folded")):
            # a fold of log rows all read already: the totals cached are unchanged, the
            # pending deltas are now those of the log rows left
            pending = self._pending = Counter()
            for _, delta, words in self._db.execute(
                "SELECT seq, delta, words FROM wlog WHERE seq <= ? ORDER BY seq",
                (self._last_seq,),
            ):
                self._apply(pending, json.loads(words), delta)
            self._gen = gen
        if pending is None or gen != self._gen:
            # first read, a rollback, or ``words`` changed otherwise (a bulk write)
            self._drop_counts()
            pending = self._pending = Counter()
            self._last_seq = 0
            self._gen = gen
        for seq, delta, words in self._db.execute(
            "SELECT seq, delta, words FROM wlog WHERE seq > ? ORDER BY seq", (self._last_seq,)
        ):
            listed = json.loads(words)
            self._apply(pending, listed, delta, self._wc)
            self._apply_ids(listed, delta)
            self._last_seq = seq
        self._wc_version = version
        return pending

    def _survives(self, gen: str | None, folded: str | None) -> bool:
        """Whether the change of ``meta.fold`` to ``gen`` was one fold of log rows that this
        connection had all read (``meta.folded`` = the fold's counter and last row)."""
        try:
            after, last = json.loads(folded)  # type: ignore[arg-type]
            return (
                str(after) == str(gen)
                and int(gen) == int(self._gen) + 1  # type: ignore[arg-type]
                and int(last) <= self._last_seq
            )
        except (TypeError, ValueError):
            return False

    def _drop_counts(self) -> None:
        """Forget every cached count (they are read again when needed)."""
        self._wc.clear()
        self._known[1:] = False
        self._all_known = False

    def _sync_vocab(self) -> None:
        """Read the words other connections numbered since the last sync (numbers only grow:
        rows of ``vocab`` are never deleted, and writers are serialized)."""
        top = len(self._vword) - 1
        rows = self._db.execute("SELECT id, word FROM vocab WHERE id > ? ORDER BY id", (top,))
        new = rows.fetchall()
        if not new:
            return
        if new[0][0] != top + 1 or new[-1][0] != top + len(new):
            # not contiguous (cannot happen with this code): start over from the table
            self._vid.clear()
            del self._vword[1:]
            self._drop_counts()
            new = self._db.execute("SELECT id, word FROM vocab ORDER BY id").fetchall()
            if new and (new[0][0] != 1 or new[-1][0] != len(new)):
                raise IndexFormatError(f"{self.path}: word numbers are not contiguous (damaged)")
        first = len(self._vword)
        words = [w for _, w in new]
        self._vword.extend(words)
        self._vid.update(zip(words, range(first, first + len(words))))
        self._grow(len(self._vword))
        self._vlen[first : len(self._vword)] = np.fromiter(map(len, words), np.int64, len(words))
        self._known[first : len(self._vword)] = False

    def _grow(self, size: int) -> None:
        """Make the arrays indexed by word number hold ``size`` numbers."""
        cap = len(self._cnt)
        if size <= cap:
            return
        cap = max(size + size // 4, 2 * cap)  # (room: the next new word copies nothing)
        for name in ("_vlen", "_cnt", "_known"):
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def _number(self, words: Sequence[str]) -> np.ndarray:
        """The numbers of distinct ``words`` (in their order); new words get the next numbers
        (inside the caller's write transaction, vocabulary synced), and their ``vocab`` rows
        wait in ``_vnew`` for the caller to write."""
        vid = self._vid
        got = list(map(vid.get, words))
        if None in got:
            new = [w for w, i in zip(words, got) if i is None]
            first = len(self._vword)
            # written by the caller's flush (one statement for a whole batch)
            self._vnew.extend(zip(range(first, first + len(new)), new))
            self._vword.extend(new)
            vid.update(zip(new, range(first, first + len(new))))
            self._grow(len(self._vword))
            self._vlen[first : len(self._vword)] = np.fromiter(map(len, new), np.int64, len(new))
            self._known[first : len(self._vword)] = False
            got = list(map(vid.__getitem__, words))
        return np.array(got, dtype=np.int64)

    def _apply_ids(self, words: Sequence[str], delta: int, ids: np.ndarray | None = None) -> None:
        """Add one document's change to the counts cached by number (``ids``: the numbers of
        ``words``, when known)."""
        if ids is None:
            ids = np.fromiter((self._vid.get(w, 0) for w in words), np.int64, len(words))
        ids = ids[self._known[ids] & (ids > 0)]
        self._cnt[ids] += delta  # distinct words: no repeated index

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction (unless in one already): the log, the word numbers and the
        counts read together are of the same commit."""
        with self._guard():
            own = not self._db.in_transaction
            if own:
                self._db.execute("BEGIN")
            try:
                yield
            finally:
                if own and self._db.in_transaction:
                    self._db.execute("COMMIT")

    def _word_ids(self, refs: Sequence[Any], words: Sequence[str]) -> WordIds | None:
        with self._snapshot():
            return self._read_word_ids(refs, words)

    def _read_word_ids(self, refs: Sequence[Any], words: Sequence[str]) -> WordIds:
        """:meth:`_word_ids` inside a read transaction."""
        pending = self._sync_counts()
        nums = np.fromiter(refs, np.int64, len(refs))
        vid = self._vid
        q = np.fromiter((vid.get(w, 0) for w in words), np.int64, len(words))
        if not self._all_known and self._lookups > self.warm_up_checks:
            self._load_counts(pending)
        copies = self._copies
        gathered: dict[str, Any] = {}  # what the compiled gather adds to WordIds
        if (
            self._kloaded
            and copies is not None
            and self.cache_candidates
            and (not len(nums) or nums.max() <= copies.top)
        ):  # from the copy (the lookup that found them synced it)
            if self.gather_compiled and copies.compiled_gather:
                self._fetch_ids(q, pending)
                lens, got, gathered = self._gather(copies, nums, q, pending)
                flat, counts = got[0], got[1]
            else:
                lens = copies.word_counts_of(nums)
                flat = copies.word_numbers(nums)  # (uint32: indexes as well, half the bytes)
        else:
            found = dict(
                self._db.execute(
                    "SELECT num, ids FROM wids WHERE num IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(refs)),),
                )
            )
            blobs = [found.get(r, b"") for r in refs]  # removed meanwhile: no words
            lens = np.fromiter(map(len, blobs), np.int64, len(blobs)) // 4
            flat = np.frombuffer(b"".join(blobs), dtype="<u4").astype(np.int64)
        if not gathered:
            self._fetch_ids(flat, pending, q)
            counts = self._cnt[flat]
            gathered["scratch"] = self._scratch(len(self._vword))
        return WordIds(
            flat=flat,
            lens=lens,
            counts=counts,
            count_of=self._cnt,
            lengths=None,
            length_of=self._vlen,
            query_counts=self._cnt[q],
            n_docs=self._n_docs(pending),
            vocab=vid,
            words=self._vword,
            query_nums=q,
            **gathered,
        )

    #: With the copies and numba: the candidates' words, their counts and the check's
    #: document frequencies gathered in one compiled pass (:meth:`DocCopies.gather_words`);
    #: False keeps the numpy passes (the tests compare both).
    gather_compiled: bool = True

    def _gather(
        self, copies: DocCopies, nums: np.ndarray, q: np.ndarray, pending: Counter[str]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """The copies' words of ``nums`` in one compiled pass (query words ``q``): ``lens``,
        ``(numbers, counts, df)`` and the :class:`WordIds` fields the pass fills (``df``,
        the membership as a per-thread stamp, the scratch array)."""
        size = len(self._cnt)
        scratch = self._scratch(size)
        member, mark = self._member_stamp(size)
        q_in = q[q > 0]
        scratch[q_in] = 1.0
        try:
            lens, got, unknown = copies.gather_words(
                nums, self._cnt, self._known, scratch, member, mark
            )
            if unknown:  # counts not cached yet (rare once every count is loaded): read, again
                self._fetch_ids(got[0], pending)
                lens, got, _ = copies.gather_words(
                    nums, self._cnt, self._known, scratch, member, mark
                )
        finally:
            scratch[q_in] = 0.0
        extra = {"scratch": scratch, "df": got[2], "member": member, "member_mark": mark}
        return lens, got, extra

    def _member_stamp(self, size: int) -> tuple[np.ndarray, int]:
        """This thread's stamp array (uint32, at least ``size`` entries) and a stamp no entry
        holds yet: :class:`WordIds`'s ``member`` without clearing it per check."""
        got = getattr(self._local, "member", None)
        mark = getattr(self._local, "mark", 0) + 1
        if got is None or len(got) < size or mark >= 1 << 32:
            got = self._local.member = np.zeros(size + size // 4 + 1024, dtype=np.uint32)
            mark = 1
        self._local.mark = mark
        return got, mark

    def _scratch(self, size: int) -> np.ndarray:
        """This thread's zeroed float64 array of at least ``size`` entries (``WordIds.scratch``:
        per thread, as checks may run in several threads)."""
        got = getattr(self._local, "scratch", None)
        if got is None or len(got) < size:
            got = self._local.scratch = np.zeros(size + size // 4 + 1024)
        return got

    def _load_counts(self, pending: Counter[str]) -> None:
        """Cache the count of every numbered word (a check then reads none from the file;
        they stay current through the log, and across folds of rows already read)."""
        top = len(self._vword)
        cnt = np.zeros(top, dtype=np.int64)
        vid = self._vid
        for w, n in self._db.execute("SELECT word, n FROM words"):
            i = vid.get(w)
            if i is not None:
                cnt[i] = n
        for w, d in pending.items():
            i = vid.get(w)
            if i is not None:
                cnt[i] += d
        cnt[0] = 0
        self._cnt[:top] = cnt
        self._known[:top] = True
        self._all_known = True

    def _fetch_ids(
        self, ids: np.ndarray, pending: Counter[str], more: np.ndarray | None = None
    ) -> None:
        """Read the counts of the numbered words (``ids``, and ``more``) not cached yet."""
        miss = ids[~self._known[ids]]
        if more is not None:
            miss = np.concatenate((miss, more[~self._known[more]]))
        if not len(miss):
            return
        miss = np.unique(miss)
        vword = self._vword
        words = [vword[i] for i in miss.tolist()]
        found = dict(
            self._db.execute(
                "SELECT word, n FROM words WHERE word IN (SELECT value FROM json_each(?))",
                (json.dumps(words, ensure_ascii=False),),
            )
        )
        self._cnt[miss] = [found.get(w, 0) + pending.get(w, 0) for w in words]
        self._known[miss] = True

    def _n_docs(self, pending: Counter[str]) -> int:
        cache = self._wc
        if "" not in cache:
            row = self._db.execute("SELECT n FROM words WHERE word = ''").fetchone()
            cache[""] = (row[0] if row else 0) + pending.get("", 0)
        return int(cache[""])

    @staticmethod
    def _apply(
        pending: Counter[str], words: Sequence[str], delta: int, cache: dict[str, int] | None = None
    ) -> None:
        """Add one log row to the pending deltas (and to the cached totals, if given)."""
        if delta > 0:
            pending.update(words)
        else:
            pending.subtract(words)
        pending[""] += delta
        if cache:
            for w in filter(cache.__contains__, words):
                cache[w] += delta
            if "" in cache:
                cache[""] += delta

    def _word_counts(self, words: Sequence[str]) -> tuple[dict[str, int], int]:
        with self._snapshot():
            pending = self._sync_counts()
            if not self._all_known and self._lookups > self.warm_up_checks:
                self._load_counts(pending)
            # by number (a word without a number is stored nowhere); those not cached yet
            # are read
            vid = self._vid
            listed = [w for w in words if w in vid]
            ids = np.fromiter(map(vid.__getitem__, listed), np.int64, len(listed))
            self._fetch_ids(ids, pending)
            counts = self._cnt[ids].tolist()
            out = {w: n for w, n in zip(listed, counts) if n}
            return out, self._n_docs(pending)

    def _word_counts_by_string(self, words: Sequence[str]) -> tuple[dict[str, int], int]:
        """:meth:`_word_counts` from the string cache (the format-4 path; the tests compare)."""
        with self._snapshot():
            pending = self._sync_counts()
            cache = self._wc
            if len(cache) > _WORD_CACHE:
                cache.clear()
            missing = set(words).difference(cache)
            if "" not in cache:
                missing.add("")
            if missing:
                found = dict(
                    self._db.execute(
                        "SELECT word, n FROM words WHERE word IN (SELECT value FROM json_each(?))",
                        (json.dumps(sorted(missing), ensure_ascii=False),),
                    )
                )
                for w in missing:  # the cache holds totals: folded + pending
                    cache[w] = found.get(w, 0) + pending.get(w, 0)
            out = dict(zip(words, map(cache.__getitem__, words)))
            n_docs = cache[""]
            out.pop("", None)
            if 0 in out.values():
                out = {w: n for w, n in out.items() if n}
            return out, int(n_docs)

    def stored_word_counts(self) -> tuple[dict[str, int], int]:
        with self._snapshot():
            pending = self._sync_counts()
            counts = Counter(dict(self._db.execute("SELECT word, n FROM words")))
        counts.update(pending)
        n_docs = counts.pop("", 0)
        return {w: n for w, n in counts.items() if n}, int(n_docs)

    def _all_texts(self) -> Iterator[str]:
        with self._guard():
            texts = [r[0] for r in self._db.execute("SELECT text FROM docs")]
        return iter(texts)

    def _record(
        self,
        db: sqlite3.Connection,
        changes: Sequence[tuple[Sequence[str], int]],
        numbers: Sequence[np.ndarray | None] = (),
    ) -> None:
        """Count (+1) or uncount (-1) the distinct words of documents, in this transaction
        (``numbers``: their word numbers, when known)."""
        if not changes:
            return
        pending = self._sync_counts()  # before appending: our rows come after all seen ones
        if len(changes) < _DIRECT:
            for k, (words, delta) in enumerate(changes):
                cur = db.execute(
                    "INSERT INTO wlog(delta, words) VALUES (?, ?)",
                    (delta, json.dumps(list(words), ensure_ascii=False)),
                )
                self._apply(pending, words, delta, self._wc)
                self._apply_ids(words, delta, numbers[k] if k < len(numbers) else None)
                self._last_seq = int(cur.lastrowid)  # type: ignore[arg-type]
            return
        total: Counter[str] = Counter()
        for words, delta in changes:
            self._apply(total, words, delta)
        n_docs = total.pop("", 0)
        db.executemany(
            "INSERT INTO words(word, n) VALUES (?, ?) "
            "ON CONFLICT(word) DO UPDATE SET n = n + excluded.n",
            sorted((w, d) for w, d in total.items() if d),
        )
        if any(d < 0 for d in total.values()):
            db.executemany(
                "DELETE FROM words WHERE word = ? AND n <= 0",
                [(w,) for w, d in total.items() if d < 0],
            )
        db.execute("UPDATE words SET n = n + ? WHERE word = ''", (n_docs,))
        # other connections must drop their cached counts; this one adds the changes
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'fold'")
        db.execute("DELETE FROM meta WHERE key = 'folded'")
        self._gen = db.execute("SELECT value FROM meta WHERE key='fold'").fetchone()[0]
        cache = self._wc
        for w in filter(cache.__contains__, total):
            cache[w] += total[w]
        if "" in cache:
            cache[""] += n_docs
        words = list(total)
        ids = np.fromiter((self._vid.get(w, 0) for w in words), np.int64, len(words))
        mask = self._known[ids] & (ids > 0)
        self._cnt[ids[mask]] += np.fromiter(total.values(), np.int64, len(words))[mask]

    def _insert_rows(
        self,
        db: sqlite3.Connection,
        rows: Sequence[tuple[str, Prepared, float, float | None]],
        on_conflict: OnConflict,
    ) -> int:
        now = time.time()
        n = 0
        cands: list[tuple[int, float, int | None, bytes]] = []
        keyed: list[tuple[int, tuple[int, ...]]] = []  # (number, band keys) for the copy
        wids: list[tuple[int, bytes]] = []
        changes: list[tuple[Sequence[str], int]] = []
        numbers: list[np.ndarray | None] = []
        self._sync_counts()  # the vocabulary as committed: new words get the next numbers
        if self._kloaded:
            self._sync_cands()  # (then this transaction's documents are copied after them)
        num = self._next_num(db) - 1

        def flush() -> None:
            # one statement per table for many documents; their band rows wait for a fold
            db.executemany("INSERT INTO cands VALUES (?, ?, ?, ?)", cands)
            db.executemany("INSERT INTO vocab(id, word) VALUES (?, ?)", self._vnew)
            self._vnew.clear()
            db.executemany("INSERT INTO wids VALUES (?, ?)", wids)
            if self._kloaded:
                copies = self._copy()
                copies.put([(*c, w[1]) for c, w in zip(cands, wids)], bands=False)
                if keyed:  # (the keys are known: not recomputed)
                    copies.add_bands(
                        np.array([n for n, _ in keyed]), np.array([k for _, k in keyed])
                    )
            self._record(db, changes, numbers)
            cands.clear()
            keyed.clear()
            wids.clear()
            changes.clear()
            numbers.clear()

        for doc_id, prep, ts, pub in rows:
            old = db.execute(_NUM_SIG_OF_ID, (doc_id,)).fetchone()
            if old is not None:
                if on_conflict == "skip":
                    continue
                if on_conflict == "error":
                    raise DuplicateIdError(
                        f"document {doc_id!r} is already in the index {self.path}; remove it "
                        "first, or pass on_conflict='skip' or 'replace'"
                    )
                flush()  # the replaced document may be one of this batch
                self._record(db, [self._delete(db, old[0], old[1])])
            num += 1  # never a number given before (a copy of cands may hold its row)
            db.execute(
                "INSERT INTO docs(num, id, ts, published_at, added_at, text_hash, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (num, doc_id, ts, pub, now, prep.text_hash, prep.normalized),
            )
            cands.append((num, ts, prep.text_hash, prep.sig_bytes))
            if prep.keys:
                keyed.append((num, prep.keys))
            words = list(set(prep.normalized.split()))
            ids = self._number(words)
            wids.append((num, np.sort(ids).astype("<u4").tobytes()))
            changes.append((words, 1))
            numbers.append(ids)
            n += 1
        flush()
        if n >= _DIRECT:  # a bulk load writes its band rows now, sorted
            fold_bands(db, self.config.lsh)
        return n

    def _insert(
        self, rows: Sequence[tuple[str, Prepared, float, float | None]], on_conflict: OnConflict
    ) -> int:
        with self._write() as db:
            return self._insert_rows(db, rows, on_conflict)

    def _bulk_cache(self, on: bool) -> None:
        """A larger page cache while bulk loading (band rows land all over the b-tree)."""
        with self._guard():
            self._db.execute(f"PRAGMA cache_size={-1048576 if on else _CACHE_KIB}")

    def _check_and_insert(
        self,
        doc_id: str,
        prep: Prepared,
        ts: float,
        published_at: float | None,
        add_duplicates: bool,
    ) -> AddResult:
        with self._write() as db:
            if db.execute("SELECT 1 FROM docs WHERE id = ?", (doc_id,)).fetchone():
                raise DuplicateIdError(
                    f"document {doc_id!r} is already in the index {self.path}; remove it first"
                )
            matches = self._match(prep)
            added = add_duplicates or not matches
            if added:
                self._insert_rows(db, [(doc_id, prep, ts, published_at)], "error")
        return AddResult(doc_id, added, tuple(matches))

    def _delete(self, db: sqlite3.Connection, num: int, sig: bytes | None) -> tuple[list[str], int]:
        """Delete one document's rows; returns its word-count change for :meth:`_record`."""
        if num > _banded(db):
            pass  # its band rows were not written yet
        elif sig is None:  # no cands row (a damaged file): find its band rows the slow way
            db.execute("DELETE FROM bands WHERE num = ?", (num,))
        else:
            sig_arr = np.frombuffer(sig, dtype="<u4").reshape(1, -1)
            keys = band_keys(sig_arr, self.config.lsh).view(np.int64)[0]
            db.executemany(
                "DELETE FROM bands WHERE key = ? AND num = ?", [(int(k), num) for k in keys]
            )
        text = db.execute("SELECT text FROM docs WHERE num = ?", (num,)).fetchone()
        db.execute("DELETE FROM docs WHERE num = ?", (num,))
        db.execute(  # the newest document: its number must not be given again
            "INSERT INTO meta SELECT 'maxnum', ? WHERE ? > (SELECT coalesce(max(num), 0) "
            "FROM docs) ON CONFLICT(key) DO UPDATE SET value = "
            "max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (num, num),
        )
        db.execute("DELETE FROM cands WHERE num = ?", (num,))
        db.execute("DELETE FROM wids WHERE num = ?", (num,))
        db.execute("INSERT INTO gone(num) VALUES (?)", (num,))
        self._kver = None  # (our own commits leave data_version as it is)
        return (list(set(text[0].split())) if text is not None else []), -1

    def _after_bulk(self) -> None:
        # A bulk load leaves a large write-ahead log; folding it in now keeps the next
        # commits (check_and_add) from paying for it. PASSIVE never waits for other connections.
        with self._guard():
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def remove(self, doc_id: str) -> bool:
        """Delete one document; returns whether it was there."""
        with self._write() as db:
            row = db.execute(_NUM_SIG_OF_ID, (str(doc_id),)).fetchone()
            if row is None:
                return False
            self._record(db, [self._delete(db, row[0], row[1])])
            return True

    def _evict_before(self, cutoff: float) -> int:
        total = 0
        while True:  # batches keep each write transaction short
            with self._write() as db:
                rows = db.execute(
                    "SELECT num, (SELECT sig FROM cands WHERE cands.num = docs.num) FROM docs "
                    "WHERE ts < ? ORDER BY ts LIMIT 1000",
                    (cutoff,),
                ).fetchall()
                self._record(db, [self._delete(db, num, sig) for num, sig in rows])
            total += len(rows)
            if len(rows) < 1000:
                return total

    def __len__(self) -> int:
        with self._guard():
            return int(self._db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def __contains__(self, doc_id: object) -> bool:
        with self._guard():
            return (
                self._db.execute("SELECT 1 FROM docs WHERE id = ?", (str(doc_id),)).fetchone()
                is not None
            )

    def ids(self) -> list[str]:
        """Every stored id, oldest first."""
        with self._guard():
            return [r[0] for r in self._db.execute("SELECT id FROM docs ORDER BY ts, num")]

    def integrity_check(self) -> list[str]:
        """SQLite's full ``PRAGMA integrity_check``, a band-row check and a recount of the word
        counts from the stored texts; [] when sound."""
        with self._lock:
            try:
                problems = [r[0] for r in self._db.execute("PRAGMA integrity_check")]
                problems = [] if problems == ["ok"] else problems
                orphan = self._db.execute(
                    "SELECT count(*) FROM bands WHERE num NOT IN (SELECT num FROM docs) OR num > ?",
                    (_banded(self._db),),
                ).fetchone()[0]
                (bad_cands,) = self._db.execute(
                    "SELECT (SELECT count(*) FROM docs LEFT JOIN cands USING (num) "
                    "WHERE cands.num IS NULL OR cands.ts IS NOT docs.ts "
                    "OR cands.text_hash IS NOT docs.text_hash) "
                    "+ (SELECT count(*) FROM cands WHERE num NOT IN (SELECT num FROM docs))"
                ).fetchone()
            except sqlite3.DatabaseError as exc:
                return [*locals().get("problems", []), f"unreadable: {exc}"]
        if orphan:
            problems.append(f"{orphan} band rows of missing documents (or after meta.banded)")
        if bad_cands:
            problems.append(f"{bad_cands} candidate rows missing, orphaned or out of date")
        if not problems:
            problems += self.word_count_problems()
            problems += self.word_number_problems()
        return problems

    def word_number_problems(self) -> list[str]:
        """Documents whose ``wids`` numbers are not the words of their text, and numbers not
        in ``vocab`` (empty when sound). Reads every stored text."""
        with self._guard():
            vword = dict(self._db.execute("SELECT id, word FROM vocab"))
            rows = self._db.execute(
                "SELECT docs.num, docs.text, wids.ids FROM docs LEFT JOIN wids USING (num) "
                "UNION ALL SELECT wids.num, NULL, wids.ids FROM wids "
                "WHERE wids.num NOT IN (SELECT num FROM docs)"
            ).fetchall()
        bad = []
        for num, text, blob in rows:
            ids = np.frombuffer(blob or b"", dtype="<u4").tolist()
            words = {vword.get(i) for i in ids}
            if text is None or blob is None or len(words) != len(ids) or None in words:
                bad.append(num)
            elif words != set(text.split()) or ids != sorted(ids):
                bad.append(num)
        if not bad:
            return []
        return [f"{len(bad)} documents' word numbers differ from their texts (e.g. {bad[:5]})"]

    def _stats(self) -> dict[str, Any]:
        with self._guard():
            n, lo, hi = self._db.execute("SELECT count(*), min(ts), max(ts) FROM docs").fetchone()
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            page_size = self._db.execute("PRAGMA page_size").fetchone()[0]
        size = pages * page_size
        return {
            "backend": "sqlite",
            "documents": int(n),
            "oldest": lo,
            "newest": hi,
            "bytes": size,
            "bytes_per_document": round(size / n, 1) if n else None,
        }

    def close(self) -> None:
        """Close the connection (the file stays consistent whether or not this is called)."""
        self._stop.set()
        if self._checkpointer is not None and self._checkpointer is not threading.current_thread():
            self._checkpointer.join(timeout=5)
        with self._lock:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            try:
                # band rows still waiting: written now by a process that adds a few documents
                # per run and never lives long enough for the background fold
                if _unbanded(self._db) >= BAND_FOLD_ROWS:
                    with self._write() as db:
                        fold_bands(db, self.config.lsh)
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:
                pass
            self._db.close()
