"""``kgmed ontology load``: ontologies and vocabularies into the graph."""

from __future__ import annotations

from pathlib import Path

import click

from kgmed.cli.options import no_progress_option, store_option

_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def ontology() -> None:
    """Ontologies: Disease Ontology, Symptom Ontology, DrugBank vocabulary."""


@ontology.command("load")
@store_option
@click.option(
    "--doid", type=_file, help="Disease Ontology OBO file (default: shipped doid.obo.gz)."
)
@click.option("--symp", type=_file, help="Symptom Ontology OWL file (default: shipped symp.owl).")
@click.option(
    "--lay-terms",
    type=_file,
    help="Lay terms for Symptom Ontology terms, a TSV of symptom_id, symptom_name, lay_term "
    "(default: the shipped symptom-lay-terms.tsv, unless --symp names another file).",
)
@click.option("--no-lay-terms", is_flag=True, help="Load the Symptom Ontology without lay terms.")
@click.option("--disease-symptom", type=_file, help="DO disease-symptom TSV (default: shipped).")
@click.option("--drugbank", type=_file, help="DrugBank open vocabulary CSV (default: shipped).")
@no_progress_option
def load(
    store: str | None,
    doid: Path | None,
    symp: Path | None,
    lay_terms: Path | None,
    no_lay_terms: bool,
    disease_symptom: Path | None,
    drugbank: Path | None,
    no_progress: bool,
) -> None:
    """Load concepts, IS_A hierarchies and curated HAS_SYMPTOM facts. Safe to rerun."""
    from kgmed.config import load_settings
    from kgmed.pipeline import OntologyPaths, load_ontologies

    paths = OntologyPaths.shipped()
    if doid:
        # A custom DO file replaces the shipped one; the newer DO report tables
        # belong to the shipped release, so they are not mixed in.
        paths.doid, paths.doid_terms, paths.doid_xrefs = doid, None, None
    if symp:
        # The shipped lay terms name the shipped SYMP release's ids and labels: with another
        # SYMP file they are read only when --lay-terms names them.
        paths.symp, paths.symp_lay_terms = symp, None
    paths.symp_lay_terms = None if no_lay_terms else (lay_terms or paths.symp_lay_terms)
    paths.disease_symptom = disease_symptom or paths.disease_symptom
    paths.drugbank = drugbank or paths.drugbank
    settings = load_settings(store)
    summary = load_ontologies(settings, paths, show_progress=not no_progress)
    for name, n in summary.concepts.items():
        click.echo(f"{name:<28} {n:>8,} concepts")
    for name, n in summary.relations.items():
        click.echo(f"{name:<28} {n:>8,} relationships")
    for name, n in summary.skipped.items():
        if n:
            click.echo(f"skipped: {n} {name}")
    click.echo(f"loaded into {settings.store} in {summary.seconds:.1f} s")
