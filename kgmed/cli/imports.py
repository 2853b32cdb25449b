"""``kgmed import``: load a graph written by ``kgmed export --format jsonl``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from kgmed.cli.options import no_progress_option, store_option


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_option
@no_progress_option
def import_(path: Path, store: str | None, no_progress: bool) -> None:
    """Load PATH, the JSON lines of `kgmed export --format jsonl` (gzipped if it ends in .gz),
    e.g. to move an embedded graph into Neo4j. Documents the graph already holds are left as
    they are; concepts it has keep their names. Safe to rerun."""
    from kgmed.config import load_settings
    from kgmed.graph.imports import import_file
    from kgmed.graph.open import open_store
    from kgmed.progress import progress

    bar = partial(progress, enabled=not no_progress, desc="import", unit="batch")
    with open_store(load_settings(store)) as graph:
        result = import_file(graph, path, progress=bar)
    click.echo(
        f"imported {result.documents:,} documents ({result.evidence:,} evidence records, "
        f"{result.mentions:,} mentions), {result.concepts:,} new concepts; "
        f"{result.documents_unchanged:,} documents already in the graph left as they were"
    )
