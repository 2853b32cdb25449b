"""``kgmed build``: assemble the default graph."""

from __future__ import annotations

from pathlib import Path

import click

from kgmed.cli.options import no_progress_option, store_option


@click.command()
@store_option
@click.option(
    "--literature",
    "literature",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Literature (files or folders) to ingest as well; repeatable.",
)
@click.option(
    "--no-literature-facts",
    is_flag=True,
    help="Leave out the literature facts kgmed ships (mined from public-domain PubMed "
    "abstracts): curated facts only.",
)
@no_progress_option
def build(
    store: str | None, literature: tuple[Path, ...], no_literature_facts: bool, no_progress: bool
) -> None:
    """Ontologies, curated open facts (DO has_symptom; Hetionet CC0/CC BY disease-gene,
    chemical-gene and disease-disease edges), the literature facts kgmed ships and any
    literature given. Safe to rerun."""
    from kgmed.config import load_settings
    from kgmed.pipeline import build_graph

    settings = load_settings(store)
    summaries = build_graph(
        settings,
        literature=list(literature),
        literature_facts=not no_literature_facts,
        show_progress=not no_progress,
    )
    for summary in summaries:
        for counts, unit in (
            (summary.concepts, "concepts"),
            (summary.documents, "documents"),
            (summary.relations, "relationships"),
            (summary.evidence, "evidence records"),
        ):
            for name, n in counts.items():
                click.echo(f"{name:<36} {n:>8,} {unit}")
        for name, n in summary.skipped.items():
            if n:
                click.echo(f"skipped: {n} {name}")
    total = sum(s.seconds for s in summaries)
    click.echo(
        f'built {settings.store} in {total:.1f} s; try: kgmed infer --symptoms "fever, cough"'
    )
