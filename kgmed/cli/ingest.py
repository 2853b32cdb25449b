"""``kgmed ingest``: literature and clinical notes into the graph."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kgmed.cli.options import device_option, no_progress_option, store_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@store_option
@click.option(
    "--pipeline",
    metavar="NAME|FILE",
    help="literature or clinical_notes (pipelines/*.toml) or a .toml file "
    "(default: clinical_notes for .csv/.jsonl input, else literature).",
)
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["pubtator", "bioc", "medline", "text", "csv", "jsonl"]),
    help="Input format (default: detected from extension and content).",
)
@click.option("--id-column", help="Notes: the id column/field (default from the pipeline: id).")
@click.option("--text-column", help="Notes: the text column/field (default: text).")
@click.option(
    "--no-store-text", is_flag=True, help="Keep offsets only: no sentence text in the graph."
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("kgmed-rejects.jsonl"),
    show_default=True,
    help="Where unreadable files and records are listed.",
)
@device_option
@click.option("--threads", type=int, help="CPU threads for the models.")
@click.option("--limit", type=int, help="Stop after this many documents.")
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="ray: run the NLP stages as Ray Data batch inference (GPU actors when there are "
    "GPUs; RAY_ADDRESS joins a cluster).",
)
@click.option("--workers", type=int, help="Ray actors (default: one per GPU, or CPUs / 2).")
@click.option(
    "--bulk-export",
    "bulk_export",
    type=click.Path(file_okay=False, path_type=Path),
    help="Afterwards, write the graph as neo4j-admin import CSVs (+ import.sh) into this "
    "folder: a first bulk load of a large corpus into Neo4j.",
)
@click.option(
    "--summary",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the end-of-run summary.",
)
@no_progress_option
def ingest(
    paths: tuple[Path, ...],
    store: str | None,
    pipeline: str | None,
    input_format: str | None,
    id_column: str | None,
    text_column: str | None,
    no_store_text: bool,
    rejects: Path,
    device: str,
    threads: int | None,
    limit: int | None,
    engine: str,
    workers: int | None,
    bulk_export: Path | None,
    fmt: str,
    no_progress: bool,
) -> None:
    """Read documents, extract linked entities and scored relations, write the evidence.

    Safe to rerun: unchanged documents are skipped, changed ones replace their evidence, and
    an interrupted run resumes where it stopped.
    """
    from kgmed.config import load_settings
    from kgmed.ingest import ingest_paths

    summary = ingest_paths(
        load_settings(store),
        list(paths),
        pipeline=pipeline,
        fmt=input_format,
        id_column=id_column,
        text_column=text_column,
        store_text=False if no_store_text else None,
        rejects=rejects,
        device=device,
        threads=threads,
        show_progress=not no_progress,
        limit=limit,
        engine=engine,
        workers=workers,
    )
    if bulk_export is not None:
        from kgmed.graph.export import export_neo4j_admin
        from kgmed.graph.open import open_store

        with open_store(load_settings(store), read_only=True) as graph:
            counts = export_neo4j_admin(graph, bulk_export)
        click.echo(
            f"bulk export: {counts['nodes']:,} concepts, {counts['relationships']:,} "
            f"relationships, {counts['evidence']:,} evidence in {bulk_export} (run import.sh)",
            err=True,
        )
    data = summary.as_dict()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        rate = (data["documents"] / data["seconds"]) if data["seconds"] else 0.0
        click.echo(
            f"documents: {data['documents']} processed ({rate:.1f}/s), "
            f"{data['unchanged']} unchanged, {data['replaced']} replaced, "
            f"{data['rejected']} rejected"
        )
        click.echo(
            f"mentions: {data['mentions']} ({data['linked_percent']:.1f}% linked; unlinked "
            + (", ".join(f"{k} {v}" for k, v in data["unlinked_by_type"].items()) or "none")
            + ")"
        )
        click.echo(
            "relations: "
            + (", ".join(f"{k} {v}" for k, v in data["relations"].items()) or "none")
            + f"; {data['evidence']} evidence written in {data['seconds']:.1f} s"
        )
        if data["enriched_pairs"]:
            click.echo(f"co-occurrence enrichment: {data['enriched_pairs']} disease-symptom pairs")
        if data["identifiers_removed"]:
            click.echo(f"de-identification: {data['identifiers_removed']} identifiers removed")
    if summary.rejected:
        raise click.exceptions.Exit(_rejected(summary.rejected, summary.rejects_file))


def _rejected(n: int, where: str) -> int:
    click.echo(f"kgmed: {n} file(s) or record(s) rejected; see {where}", err=True)
    return 65
