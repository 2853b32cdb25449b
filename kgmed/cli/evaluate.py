"""``kgmed eval``: measure kgmed's models on held-out data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kgmed.cli.options import data_dir_option, device_option, format_option


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
@device_option
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


@evaluate.command("infer")
@click.option(
    "--task", type=click.Choice(["diagnosis", "drugs", "all"]), default="all", show_default=True
)
@click.option(
    "--vignettes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("benchmarks/data/vignettes.tsv"),
    show_default=True,
    help="Symptom vignettes with Disease Ontology answers (dev/test split column).",
)
@data_dir_option("pharmacotherapydb/ and rephetio_validation/ (drug gold standards)")
@click.option(
    "--fit",
    is_flag=True,
    help="Refit the parameters on the dev/training split and save them into the package.",
)
@click.option("--store", default=None, metavar="PATH|URI", help="Graph store (see kgmed build).")
@click.option(
    "--fit-store",
    "fit_stores",
    multiple=True,
    metavar="PATH|URI",
    help="With --fit: fit the diagnosis parameters on this graph too (e.g. one with literature "
    "ingested); the graphs' mean dev MRR is maximised. Repeatable.",
)
@format_option("table", "json", default="table")
def infer(
    task: str,
    vignettes: Path,
    data_dir: Path,
    fit: bool,
    store: str | None,
    fit_stores: tuple[str, ...],
    fmt: str,
) -> None:
    """Diagnosis top-k/MRR on held-out vignettes; drug AUROC/AUPRC on held-out diseases."""
    from kgmed.pipeline import evaluate_inference

    if fit_stores and not fit:
        raise click.UsageError("--fit-store needs --fit")
    result = evaluate_inference(
        store,
        task=task,
        vignettes=vignettes,
        data_dir=data_dir,
        fit=fit,
        fit_stores=fit_stores,
    )
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    from kgmed.cli.output import render_table

    if "diagnosis" in result:
        rows = []
        for split in ("dev", "test"):
            for method in ("kgmed", "symptom_overlap", "popularity"):
                m = result["diagnosis"][split][method]
                rows.append(
                    [
                        split,
                        method,
                        *(f"{m[k]:.3f}" for k in ("top1", "top5", "top10", "mrr")),
                        str(m["n"]),
                    ]
                )
        click.echo(render_table(["split", "method", "top1", "top5", "top10", "MRR", "n"], rows))
    if "drugs" in result:
        rows = []
        for setting in ("test_pharmacotherapydb", "test_drugcentral", "train_pharmacotherapydb"):
            for method, m in result["drugs"][setting].items():
                rows.append(
                    [setting, method, f"{m['auroc']:.4f}", f"{m['auprc']:.4f}", str(m["n_pos"])]
                )
        click.echo(render_table(["set", "method", "AUROC", "AUPRC", "positives"], rows))


@evaluate.command("re")
@click.option("--task", type=click.Choice(["cid", "ddi", "treats"]), required=True)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="cid: BC5CDR PubTator file; treats: BioRED PubTator file; ddi: the DDI 2013 zip.",
)
@click.option(
    "--setting",
    type=click.Choice(["gold", "end2end"]),
    default="gold",
    show_default=True,
    help="gold: the corpus's entities; end2end (cid): our NER and MeSH linking.",
)
@click.option(
    "--model",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Relation model folder (default: the shipped model).",
)
@device_option
@format_option("table", "json", default="table")
def re(task: str, data: Path, setting: str, model: Path | None, device: str, fmt: str) -> None:
    """Relation extraction P/R/F1 (CID document-level, DDI micro-F1) and calibration (ECE)."""
    from kgmed.core.errors import ConfigError
    from kgmed.pipeline import evaluate_relations

    if setting == "end2end" and task != "cid":
        raise ConfigError("--setting end2end is defined for --task cid only")
    result = evaluate_relations(task, data, setting=setting, model=model, device=device)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    from kgmed.cli.output import render_table

    rows = [
        [
            result["task"],
            result["setting"],
            result.get("document_scoring", "argmax"),
            *(f"{result[k]:.4f}" for k in ("p", "r", "f1")),
            f"{result['ece']:.4f}" if "ece" in result else "—",
            f"{result['pair_ece']:.4f}" if "pair_ece" in result else "—",
        ]
    ]
    if "max_rule" in result and result.get("document_scoring") != "max rule":
        m = result["max_rule"]
        rows.append(
            [result["task"], result["setting"], "max rule"]
            + [f"{m[k]:.4f}" for k in ("p", "r", "f1")]
            + ["—", "—"]
        )
    columns = ["task", "setting", "scoring", "P", "R", "F1", "candidate ECE", "pair ECE"]
    click.echo(render_table(columns, rows))


@evaluate.command("linking")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="A PubTator file with gold MeSH ids (BC5CDR or NCBI-disease test).",
)
@format_option("table", "json", default="table")
def linking(data: Path, fmt: str) -> None:
    """Linking accuracy with gold spans against the corpus's MeSH ids."""
    from kgmed.pipeline import evaluate_linking_file

    result = evaluate_linking_file(data)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    for t, s in [*result["per_type"].items(), ("all", result)]:
        click.echo(
            f"{t:<10} accuracy {s['accuracy']:.4f}  reachable {s['reachable']:.4f}"
            f"  ({s['n']} mentions)"
        )
