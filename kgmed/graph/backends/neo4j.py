"""The Neo4j store, over Bolt with the official driver.

Constraints and indexes are created on first use; writes run in managed write transactions
(``execute_write``), which the driver retries on transient errors; analyst queries without
``write`` run in read transactions, which Neo4j itself refuses to let write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from kgmed.core.errors import (
    QueryError,
    SchemaError,
    StoreAuthError,
    StoreError,
    StoreUnavailableError,
    WriteNotAllowedError,
)
from kgmed.graph import schema
from kgmed.graph.store import CypherGraphStore, QueryResult, Run

log = logging.getLogger(__name__)
T = TypeVar("T")


def _translate(exc: Exception, uri: str) -> Exception:
    from neo4j import exceptions as nx

    if isinstance(exc, nx.AuthError):
        return StoreAuthError(f"Neo4j at {uri} rejected the credentials")
    if isinstance(exc, nx.ServiceUnavailable | nx.SessionExpired):
        return StoreUnavailableError(f"cannot reach Neo4j at {uri}")
    code = getattr(exc, "code", "") or ""
    message = getattr(exc, "message", None) or str(exc)
    first = str(message).splitlines()[0]
    if code.endswith("Statement.AccessMode"):
        return WriteNotAllowedError("the query writes to the graph")
    if code.startswith("Neo.ClientError.Statement"):
        return QueryError(first)
    if isinstance(exc, nx.Neo4jError):
        return StoreError(f"Neo4j error {code}: {first}")
    return StoreError(str(exc))


class Neo4jStore(CypherGraphStore):
    """A Neo4j database reached at ``uri`` (``bolt://`` or ``neo4j://``)."""

    def __init__(
        self,
        uri: str,
        *,
        user: str,
        password: str,
        database: str | None = None,
        read_only: bool = False,
        batch_size: int = 5000,
    ) -> None:
        import neo4j

        self.uri = uri
        self.read_only = read_only
        self.batch_size = batch_size
        self.database = database
        self._neo4j = neo4j
        self._driver = neo4j.GraphDatabase.driver(
            uri,
            auth=(user, password),
            connection_timeout=10.0,
            max_transaction_retry_time=30.0,
            # Server notifications ("property key does not exist" on a new graph) are noise
            # for kgmed's own queries and would flood logs during bulk writes.
            notifications_min_severity="OFF",
        )
        try:
            self._driver.verify_connectivity()
            if not read_only:
                self._ensure_schema()
        except Exception as exc:
            self._driver.close()
            raise _translate(exc, uri) from exc

    def _session(self, *, write: bool) -> Any:
        mode = self._neo4j.WRITE_ACCESS if write else self._neo4j.READ_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _ensure_schema(self) -> None:
        with self._session(write=True) as session:
            for ddl in schema.neo4j_ddl():
                session.run(ddl).consume()
            session.run(
                "MERGE (m:KgmedMeta {key: 'schema_version'}) SET m.value = $v",
                v=str(schema.SCHEMA_VERSION),
            ).consume()

    def _transaction(self, work: Callable[[Run], T]) -> T:
        if self.read_only:
            raise WriteNotAllowedError(f"the store {self.uri} was opened read-only")

        def unit(tx: Any) -> T:
            def run(cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
                return tx.run(cypher, params).data()

            return work(run)

        try:
            with self._session(write=True) as session:
                return session.execute_write(unit)
        except self._neo4j.exceptions.Neo4jError as exc:
            if (getattr(exc, "code", "") or "").startswith("Neo.ClientError.Statement"):
                raise SchemaError(f"kgmed write failed: {exc}") from exc
            raise _translate(exc, self.uri) from exc
        except self._neo4j.exceptions.DriverError as exc:
            raise _translate(exc, self.uri) from exc

    def _read(self, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            with self._session(write=False) as session:
                return session.execute_read(lambda tx: tx.run(cypher, params).data())
        except (self._neo4j.exceptions.Neo4jError, self._neo4j.exceptions.DriverError) as exc:
            raise _translate(exc, self.uri) from exc

    def _query(self, cypher: str, params: dict[str, Any], write: bool) -> QueryResult:
        """Without ``write`` the query runs in a read transaction, where Neo4j refuses writes."""

        def unit(tx: Any) -> QueryResult:
            result = tx.run(cypher, params)
            columns = list(result.keys())
            rows = [{k: _plain(record[k]) for k in columns} for record in result]
            return QueryResult(columns=columns, rows=rows)

        try:
            with self._session(write=write) as session:
                if write:
                    return session.execute_write(unit)
                return session.execute_read(unit)
        except (self._neo4j.exceptions.Neo4jError, self._neo4j.exceptions.DriverError) as exc:
            raise _translate(exc, self.uri) from exc

    def close(self) -> None:
        self._driver.close()


def _plain(value: Any) -> Any:
    """Driver graph types as plain dicts/lists, shaped like the embedded store's."""
    from neo4j import graph as ng

    if isinstance(value, ng.Node):
        labels = sorted(value.labels)
        return {"_label": labels[0] if len(labels) == 1 else labels, **dict(value.items())}
    if isinstance(value, ng.Relationship):
        return {"_label": value.type, **dict(value.items())}
    if isinstance(value, ng.Path):
        return {
            "_nodes": [_plain(n) for n in value.nodes],
            "_rels": [_plain(r) for r in value.relationships],
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
