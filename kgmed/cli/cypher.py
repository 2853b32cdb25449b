"""``kgmed cypher``: run a Cypher query for analysts."""

from __future__ import annotations

import json
from typing import Any

import click

from kgmed.cli.options import format_option, store_option
from kgmed.cli.output import render_rows
from kgmed.core.errors import ConfigError


def parse_param(text: str) -> tuple[str, Any]:
    """``name=value``; the value is read as JSON when it parses (numbers, lists, true)."""
    if "=" not in text:
        raise ConfigError(f"--param {text!r} is not NAME=VALUE", hint="e.g. --param id=DOID:9352")
    name, raw = text.split("=", 1)
    name = name.strip()
    if not name.isidentifier():
        raise ConfigError(f"--param name {name!r} is not a valid parameter name")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name, value


@click.command()
@click.argument("query")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Query parameter ($NAME); repeatable.",
)
@format_option("table", "json", "csv", default="table")
@click.option("--write", is_flag=True, help="Allow the query to change the graph.")
@store_option
def cypher(query: str, params: tuple[str, ...], fmt: str, write: bool, store: str | None) -> None:
    """Run QUERY (Cypher) against the graph; read-only unless --write.

    JSON output is a list of row objects. On the embedded store some Neo4j-only forms
    (shortestPath, reduce, CALL {...}) are unavailable; use a bolt:// store for those.
    """
    from kgmed.config import load_settings
    from kgmed.graph.open import open_store

    values = dict(parse_param(p) for p in params)
    settings = load_settings(store)
    with open_store(settings, read_only=not write) as graph:
        result = graph.query(query, values, write=write)
    click.echo(render_rows(result.columns, result.rows, fmt))
