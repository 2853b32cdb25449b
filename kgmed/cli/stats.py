"""``kgmed stats``: node and relationship counts."""

from __future__ import annotations

import json

import click

from kgmed.cli.options import format_option, store_option
from kgmed.cli.output import render_table


@click.command()
@format_option("table", "json", default="table")
@store_option
def stats(fmt: str, store: str | None) -> None:
    """Count nodes per label and relationships per type."""
    from kgmed.config import load_settings
    from kgmed.graph.open import open_store

    with open_store(load_settings(store), read_only=True) as graph:
        counts = graph.stats()
    if fmt == "json":
        click.echo(json.dumps(counts, indent=2))
        return
    rows = [["node", k, str(v)] for k, v in counts["nodes"].items()]
    rows += [["relationship", k, str(v)] for k, v in counts["relationships"].items()]
    click.echo(render_table(["kind", "name", "count"], rows))
