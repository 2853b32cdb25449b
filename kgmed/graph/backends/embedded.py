"""The embedded store: LadybugDB in a directory, no server.

LadybugDB (PyPI ``ladybug``, the maintained fork of Kuzu) gives Cypher, ACID transactions
with a write-ahead log and columnar storage. Two of its traits shape this module:

* A second process opening the database while another writes has corrupted the WAL in
  tests, so kgmed holds an exclusive lock file for as long as a store is open and says
  clearly when the store is busy.
* A writer killed mid-append can leave a torn last WAL record, which LadybugDB refuses with
  a checksum error; kgmed then replays the log up to the tear (``_recover_torn_wal``).
* Its Cypher is a dialect (no multiple labels, no ``shortestPath``, no ``reduce``); kgmed's
  own queries stay in the subset both engines run, and analyst queries that fall outside
  it get a message pointing at Neo4j.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from kgmed.core.errors import (
    ConfigError,
    QueryError,
    SchemaError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    UnsupportedQueryError,
    WriteNotAllowedError,
)
from kgmed.graph import schema
from kgmed.graph.store import CypherGraphStore, QueryResult, Run

log = logging.getLogger(__name__)
T = TypeVar("T")

DB_FILE = "graph.lbug"
LOCK_FILE = "kgmed.lock"
# Batches with at least this many new statements use COPY instead of Cypher CREATE.
COPY_MIN_ROWS = 2000

# Neo4j forms the LadybugDB dialect lacks, with the message kgmed gives for each.
_UNSUPPORTED_HINTS = (
    ("shortestpath", "shortestPath()/allShortestPaths()"),
    ("reduce(", "reduce()"),
    ("call {", "CALL { } subqueries"),
    ("foreach", "FOREACH"),
    ("labels(", "labels() (use label(n))"),
    ("elementid(", "elementId()"),
)


def _translate(exc: Exception, cypher: str | None = None) -> Exception:
    """Turn a LadybugDB RuntimeError into a kgmed error with a hint."""
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    if "read-only" in text and "write" in text.lower():
        return WriteNotAllowedError("the query writes to the graph")
    if cypher is not None and "Assertion failed" in text:
        return UnsupportedQueryError(
            "the embedded store's engine failed on this query (an internal LadybugDB assertion); "
            "a $parameter inside a list predicate is a known trigger: bind it with WITH first"
        )
    if cypher is not None and (
        first.startswith("Parser exception") or first.startswith("Binder exception")
    ):
        lowered = " ".join(cypher.lower().split())
        for needle, what in _UNSUPPORTED_HINTS:
            if needle in lowered:
                return UnsupportedQueryError(f"the embedded store does not support {what}: {first}")
        return QueryError(first)
    if "Checksum verification failed" in text or "corrupt" in text.lower():
        return StoreCorruptError(f"the embedded store cannot be opened: {first}")
    if cypher is not None:
        return QueryError(first)
    return StoreError(first)


class EmbeddedStore(CypherGraphStore):
    """A LadybugDB database in ``path`` (a directory), opened by one process at a time."""

    def __init__(self, path: str | Path, *, read_only: bool = False, batch_size: int = 5000):
        import ladybug

        self._lb = ladybug
        self.path = Path(path).expanduser()
        self.uri = str(self.path)
        self.read_only = read_only
        self.batch_size = batch_size
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(
                f"embedded store path {self.path} is a file, not a directory",
                hint="give --store a directory path (it is created if missing)",
            )
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path / LOCK_FILE))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreBusyError(
                f"the store {self.path} is in use by another kgmed process"
            ) from None
        try:
            self._db, self._conn = self._open()
        except BaseException:
            self._lock.release()
            raise

    # -- opening ------------------------------------------------------------------------
    def _open(self) -> tuple[Any, Any]:
        db_file = str(self.path / DB_FILE)
        if self.read_only:
            # Schema creation and WAL replay after a crash need a writable open first.
            if not (self.path / DB_FILE).exists() or (self.path / (DB_FILE + ".wal")).exists():
                db, conn = self._connect(db_file, read_only=False)
                self._ensure_schema(conn)
                conn.execute("CHECKPOINT")
                conn.close()
                db.close()
            return self._connect(db_file, read_only=True)
        db, conn = self._connect(db_file, read_only=False)
        self._ensure_schema(conn)
        return db, conn

    def _connect(self, db_file: str, *, read_only: bool) -> tuple[Any, Any]:
        try:
            db = self._lb.Database(db_file, read_only=read_only)
            return db, self._lb.Connection(db)
        except RuntimeError as exc:
            error = _translate(exc)
            wal = Path(db_file + ".wal")
            if read_only or not isinstance(error, StoreCorruptError) or not wal.exists():
                raise error from exc
            return self._recover_torn_wal(db_file, wal, error)

    def _recover_torn_wal(
        self, db_file: str, wal: Path, error: StoreCorruptError
    ) -> tuple[Any, Any]:
        """Open a store whose write-ahead log ends in a torn record.

        A writer killed while appending to the WAL can leave a half-written last record,
        which LadybugDB refuses with a checksum error (rarely: about 1 SIGKILL in 14 in
        ``../shared/research/graph-stores.md``, once in kgmed's CI). Every transaction
        committed before that record is whole, so kgmed does what SQLite and PostgreSQL do
        with a torn tail: replays the log up to it and checkpoints. The original log is
        kept beside the database for inspection. What the torn record held was never
        acknowledged, and an ingest marks a document complete (its checksum) only after
        its evidence is written, so the next run of the same ingest reads again any
        document whose writes were lost.
        """
        kept = wal.with_name(f"{wal.name}.torn-{time.strftime('%Y%m%dT%H%M%S')}")
        shutil.copy2(wal, kept)
        try:
            db = self._lb.Database(db_file, throw_on_wal_replay_failure=False)
            conn = self._lb.Connection(db)
            conn.execute("CHECKPOINT")
        except RuntimeError as exc:
            raise StoreCorruptError(
                f"{error} (replaying the log up to the damage failed too: "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
            ) from exc
        log.warning(
            "the store %s was not closed cleanly and its write-ahead log ends in a torn "
            "record; recovered every transaction before it (the original log is kept as %s). "
            "Run the interrupted ingest again to finish it.",
            self.path,
            kept,
        )
        return db, conn

    def _ensure_schema(self, conn: Any) -> None:
        version = self._schema_version(conn)
        if version is not None and version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {version}, newer than this kgmed "
                f"({schema.SCHEMA_VERSION})",
                hint="upgrade kgmed (pip install -U kgmed)",
            )
        if version == schema.SCHEMA_VERSION:
            return
        conn.execute("BEGIN TRANSACTION")
        try:
            for ddl in schema.ladybug_ddl():
                conn.execute(ddl)
            conn.execute(
                "MERGE (m:KgmedMeta {key: 'schema_version'}) SET m.value = $v",
                {"v": str(schema.SCHEMA_VERSION)},
            )
            conn.execute("COMMIT")
        except RuntimeError as exc:
            with contextlib.suppress(RuntimeError):  # the engine may have rolled back already
                conn.execute("ROLLBACK")
            raise _translate(exc) from exc

    @staticmethod
    def _schema_version(conn: Any) -> int | None:
        try:
            rows = conn.execute(
                "MATCH (m:KgmedMeta {key: 'schema_version'}) RETURN m.value"
            ).get_all()
        except RuntimeError:
            return None  # no meta table yet: a new store
        return int(rows[0][0]) if rows else None

    # -- primitives -----------------------------------------------------------------------
    def _rows(self, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        result = self._conn.execute(cypher, params)
        if isinstance(result, list):  # several statements: keep the last result
            result = result[-1]
        columns = result.get_column_names()
        return [dict(zip(columns, row, strict=True)) for row in result.get_all()]

    def _transaction(self, work: Callable[[Run], T]) -> T:
        if self.read_only:
            raise WriteNotAllowedError(f"the store {self.path} was opened read-only")
        self._conn.execute("BEGIN TRANSACTION")
        try:
            out = work(self._run_owned)
        except BaseException:
            self._rollback()
            raise
        self._conn.execute("COMMIT")
        return out

    # Large batches of new records go in with COPY from data frames (LadybugDB's bulk path)
    # inside the caller's transaction, so a crash leaves all or nothing of the batch. A COPY
    # checkpoints the database when its transaction commits, which costs more than a Cypher
    # CREATE for small batches; those take the shared Cypher path.
    def _create_evidence(
        self, run: Run, subject_label: str, evidence: list[dict[str, Any]]
    ) -> None:
        if len(evidence) < COPY_MIN_ROWS:
            super()._create_evidence(run, subject_label, evidence)
            return
        import pandas as pd

        ev = pd.DataFrame(evidence, columns=list(schema.EVIDENCE_PROPERTIES))
        run("COPY Evidence FROM $frame", {"frame": ev})
        links = pd.DataFrame({"from": ev["id"], "to": ev["subject"]})
        run(
            f"COPY EVIDENCE_FOR FROM $frame (from='Evidence', to='{subject_label}')",
            {"frame": links},
        )
        docs = pd.DataFrame({"from": ev["id"], "to": ev["document_id"]})
        run("COPY FROM_DOCUMENT FROM $frame (from='Evidence', to='Document')", {"frame": docs})

    def _create_relationships(
        self,
        run: Run,
        predicate: str,
        subject_label: str,
        object_label: str,
        relationships: list[dict[str, Any]],
    ) -> None:
        if len(relationships) < COPY_MIN_ROWS:
            super()._create_relationships(
                run, predicate, subject_label, object_label, relationships
            )
            return
        import pandas as pd

        rels = pd.DataFrame(relationships).rename(columns={"subject": "from", "object": "to"})
        rels = rels[["from", "to", *schema.AGGREGATE_PROPERTIES]]
        run(
            f"COPY {predicate} FROM $frame (from='{subject_label}', to='{object_label}')",
            {"frame": rels},
        )

    def _run_owned(self, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return self._rows(cypher, params)
        except RuntimeError as exc:
            raise SchemaError(f"kgmed write failed: {str(exc).splitlines()[0]}") from exc

    def _read(self, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return self._rows(cypher, params)
        except RuntimeError as exc:
            raise _translate(exc, cypher) from exc

    def _query(self, cypher: str, params: dict[str, Any], write: bool) -> QueryResult:
        """Without ``write`` the query runs in a read-only transaction."""
        begin = "BEGIN TRANSACTION" if write else "BEGIN TRANSACTION READ ONLY"
        self._conn.execute(begin)
        try:
            result = self._conn.execute(cypher, params)
            if isinstance(result, list):
                result = result[-1]
            columns = result.get_column_names()
            rows = [
                dict(
                    zip(
                        columns, [v if type(v) in _SCALARS else _plain(v) for v in row], strict=True
                    )
                )
                for row in result.get_all()
            ]
        except RuntimeError as exc:
            self._rollback()
            raise _translate(exc, cypher) from exc
        self._conn.execute("COMMIT")
        return QueryResult(columns=columns, rows=rows)

    def _rollback(self) -> None:
        """Roll back the open transaction, if the engine has not already done so."""
        try:
            self._conn.execute("ROLLBACK")
        except RuntimeError as exc:
            if "No active transaction" not in str(exc):
                raise

    def close(self) -> None:
        if getattr(self, "_conn", None) is None:
            return
        try:
            if not self.read_only:
                self._conn.execute("CHECKPOINT")
            self._conn.close()
            self._db.close()
        finally:
            self._conn = None
            self._lock.release()


_SCALARS = frozenset({str, int, float, bool, type(None)})  # returned as they are


def _plain(value: Any) -> Any:
    """Nodes and relationships as plain dicts: ``_label`` plus properties."""
    if isinstance(value, dict) and "_LABEL" in value:
        out: dict[str, Any] = {"_label": value["_LABEL"]}
        label = value["_LABEL"]
        allowed = schema.NODE_TABLES.get(label)
        if allowed is None and label in schema.RELATIONSHIP_TYPES:
            allowed = schema.relationship_properties(schema.RELATIONSHIP_TYPES[label])
        for key, item in value.items():
            if key.startswith("_"):
                continue
            if allowed is None or key in allowed:
                out[key] = _plain(item)
        return out
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
