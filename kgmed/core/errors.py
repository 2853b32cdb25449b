"""One error hierarchy for kgmed.

Every error has a short code (``E###``), a one-line message and a hint saying what to do
next. The library raises these; the CLI prints ``message`` and ``hint`` and exits non-zero
(the exit status comes from the class), with a traceback only under ``--debug``.
"""

from __future__ import annotations


class KgmedError(Exception):
    """Base class: a failure the user can act on."""

    code = "E000"
    exit_code = 1
    default_hint = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ConfigError(KgmedError):
    """Bad configuration: an unknown store URI, a malformed config file, a bad option value."""

    code = "E001"
    exit_code = 2


class StoreError(KgmedError):
    """The graph store failed or cannot be used."""

    code = "E100"


class StoreBusyError(StoreError):
    """Another kgmed process holds the embedded store."""

    code = "E101"
    exit_code = 75  # EX_TEMPFAIL: try again later
    default_hint = "wait for the other kgmed command to finish, or use another --store path"


class StoreUnavailableError(StoreError):
    """A server store (Neo4j) cannot be reached."""

    code = "E102"
    exit_code = 69  # EX_UNAVAILABLE
    default_hint = "start Neo4j (see docker/README.md) or check the --store / KGMED_STORE address"


class StoreAuthError(StoreError):
    """The server rejected the credentials."""

    code = "E103"
    exit_code = 77  # EX_NOPERM
    default_hint = "set NEO4J_USER and NEO4J_PASSWORD (or [neo4j] in the kgmed config file)"


class StoreCorruptError(StoreError):
    """The embedded store's files cannot be opened."""

    code = "E104"
    default_hint = (
        "the embedded store is rebuildable: move the directory aside and run "
        "`kgmed ontology load` (and your ingests) again"
    )


class SchemaError(StoreError):
    """A record does not fit the graph schema (unknown label, relationship or endpoints)."""

    code = "E105"


class QueryError(KgmedError):
    """A Cypher query failed: syntax, an unknown name, a missing parameter."""

    code = "E200"
    exit_code = 65  # EX_DATAERR
    default_hint = "check the query; `kgmed cypher --help` lists the options"


class WriteNotAllowedError(QueryError):
    """A query that writes was run without ``--write``."""

    code = "E201"
    default_hint = "add --write if you mean to change the graph"


class UnsupportedQueryError(QueryError):
    """The embedded store's Cypher dialect cannot run this query."""

    code = "E202"
    default_hint = (
        "the embedded store speaks a Cypher dialect without some Neo4j forms; "
        "point kgmed at Neo4j with --store bolt://HOST:7687 (see docs/cypher.md)"
    )


class DataError(KgmedError):
    """An input file is missing, unreadable or malformed."""

    code = "E300"
    exit_code = 65
    default_hint = "check the file's path and format"


class OntologyError(DataError):
    """An ontology file cannot be parsed."""

    code = "E301"
    default_hint = (
        "the file may be truncated or not OBO/OWL; restore it from ontologies/ "
        "or pass the right file with --doid / --symp / --drugbank"
    )


class NotFoundError(KgmedError):
    """A query term (a disease name, symptom phrases) links to nothing in the graph."""

    code = "E400"
    exit_code = 66  # EX_NOINPUT
