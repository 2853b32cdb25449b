"""``kgmed eval``: measure kgmed's models on held-out data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kgmed.cli.options import format_option


@click.group("eval")
def evaluate() -> None:
    """Evaluate kgmed's models (strict, exact-match metrics)."""


@evaluate.command("ner")
@click.option(
    "--data",
    "data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="A BIO/CoNLL .tsv file or a PubTator file.",
)
@click.option("--tagger", type=click.Choice(["bert", "lexicon"]), default="bert", show_default=True)
@click.option(
    "--model",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Model folder (default: the shipped model).",
)
@click.option(
    "--types",
    default=None,
    help="Comma-separated entity types to score (default: all in the data).",
)
@click.option(
    "--device", type=click.Choice(["auto", "cuda", "cpu"]), default="auto", show_default=True
)
@click.option("--quantize", is_flag=True, help="Use the int8 CPU fast path.")
@format_option("table", "json", default="table")
def ner(
    data: Path,
    tagger: str,
    model: Path | None,
    types: str | None,
    device: str,
    quantize: bool,
    fmt: str,
) -> None:
    """Strict entity-level P/R/F1 per type and micro-averaged (exact span and type)."""
    from kgmed.evaluation.ner import evaluate_ner

    scores = evaluate_ner(
        data,
        tagger=tagger,
        model=model,
        types=tuple(types.split(",")) if types else None,
        device=device,
        quantize=quantize,
    )
    if fmt == "json":
        click.echo(json.dumps(scores, indent=2))
        return
    from kgmed.cli.output import render_table

    rows = [
        [t, f"{s['p']:.4f}", f"{s['r']:.4f}", f"{s['f1']:.4f}"]
        for t, s in scores["per_type"].items()
    ]
    m = scores["micro"]
    rows.append(["micro", f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}"])
    click.echo(render_table(["type", "P", "R", "F1"], rows))
    click.echo(f"{scores['n_docs']} {scores['unit']}s scored, tagger {scores['tagger']}")
