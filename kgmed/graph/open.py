"""Open the store a settings object names: a path means embedded, bolt:// means Neo4j."""

from __future__ import annotations

import re

from kgmed.config.settings import Settings, is_server_uri
from kgmed.core.errors import ConfigError, StoreAuthError
from kgmed.graph.store import CypherGraphStore

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_store(settings: Settings, *, read_only: bool = False) -> CypherGraphStore:
    """Open the graph store; the caller closes it (or uses ``with``)."""
    store = settings.store
    if is_server_uri(store):
        if not settings.neo4j_password:
            raise StoreAuthError(
                f"no password for Neo4j at {store}",
                hint="set NEO4J_PASSWORD (and NEO4J_USER), or [neo4j] password in the config file",
            )
        from kgmed.graph.backends.neo4j import Neo4jStore

        return Neo4jStore(
            store,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
            read_only=read_only,
            batch_size=settings.batch_size,
        )
    if _URI_SCHEME.match(store):
        scheme = store.split("://", 1)[0]
        raise ConfigError(
            f"unknown store URI scheme {scheme!r} in {store!r}",
            hint="use a directory path for the embedded store, or bolt:// / neo4j:// for Neo4j",
        )
    from kgmed.graph.backends.embedded import EmbeddedStore

    return EmbeddedStore(store, read_only=read_only, batch_size=settings.batch_size)
