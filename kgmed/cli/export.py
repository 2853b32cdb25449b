"""``kgmed export``: the graph as RDF Turtle or JSON lines."""

from __future__ import annotations

from pathlib import Path

import click

from kgmed.cli.options import store_option


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "jsonl", "neo4j-admin"]),
    required=True,
    help="Output format (neo4j-admin: a folder of CSVs and import.sh for a bulk load).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File to write (default: stdout); a folder for neo4j-admin.",
)
@store_option
def export(fmt: str, output: Path | None, store: str | None) -> None:
    """Write every node, relationship and evidence record as Turtle (rdflib) or JSON lines."""
    from kgmed.config import load_settings
    from kgmed.graph.export import export_graph
    from kgmed.graph.open import open_store

    with open_store(load_settings(store), read_only=True) as graph:
        if fmt == "neo4j-admin":
            from kgmed.core.errors import ConfigError
            from kgmed.graph.export import export_neo4j_admin

            if output is None:
                raise ConfigError("--format neo4j-admin writes a folder", hint="add -o DIR")
            counts = export_neo4j_admin(graph, output)
        elif output is None:
            stream = click.get_text_stream("stdout")
            counts = export_graph(graph, fmt, stream)
        else:
            with output.open("w", encoding="utf-8") as fh:
                counts = export_graph(graph, fmt, fh)
    click.echo(
        f"exported {counts['nodes']:,} nodes, {counts['relationships']:,} relationships, "
        f"{counts['evidence']:,} evidence records",
        err=True,
    )
