"""Masked-language-model adaptation of the base BERT on the corpora's own text.

The base weights (all-MiniLM-L6-v2) are a general-domain sentence encoder. Continuing masked-LM
pre-training on the unlabelled text of the task's training documents (task-adaptive
pre-training, Gururangan et al., ACL 2020) adapts the encoder to biomedical vocabulary before
the NER model is fine-tuned from it (``kgmed train ner --base-model``).

Text: the titles and abstracts of BC5CDR and NCBI-disease training documents (and their
development documents with ``final``), and BioRED's documents outside the BC5CDR and
NCBI-disease development and test sets; all public domain. Test documents are never read.
Documents are tokenized, joined with ``[SEP]`` and cut into blocks of ``block_size`` tokens;
15% of the sub-word tokens are masked as BERT did (``transformers``' collator: 80% ``[MASK]``,
10% a random token, 10% kept), and the loss is computed on those positions only (projecting
every position onto the vocabulary would double the cost on CPU).
5% of the blocks are held out to report the masked-LM loss before and after.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgmed.training.ner import (
    BIORED_FILES,
    HELD_OUT_DOCUMENTS,
    NAME_SOURCES,
    default_base_model,
    set_seed,
)
from kgmed.training.runs import git_commit, write_results


@dataclass
class MlmConfig:
    output_dir: Path
    base_model: Path | None = None
    epochs: int = 8
    batch_size: int = 32
    block_size: int = 128
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    mask_probability: float = 0.15
    held_out_share: float = 0.05
    seed: int = 13
    device: str = "auto"
    threads: int | None = None
    show_progress: bool = True


def adaptation_texts(data_dir: Path, final: bool) -> tuple[list[str], list[Path]]:
    """The documents' texts (each once, in file order) and the files they come from."""
    from kgmed.documents.pubtator import iter_pubtator
    from kgmed.training.corpora import corpus_file, documents_outside

    splits = ("train", "dev") if final else ("train",)
    # the PubTator files whose mention texts the known names count: the same training splits
    files = [corpus_file(data_dir, rel) for split in splits for rel, _ in NAME_SOURCES[split]]
    seen: set[str] = set()
    texts: list[str] = []
    documents = [doc for path in files for doc in iter_pubtator(path)]
    # BioRED's documents that a BC5CDR or NCBI-disease dev or test set holds: never (with
    # ``final`` the dev ones come from their own corpus's file above)
    documents += list(documents_outside(data_dir, BIORED_FILES, HELD_OUT_DOCUMENTS))
    for doc in documents:
        if doc.document.id not in seen and doc.document.text.strip():
            seen.add(doc.document.id)
            texts.append(doc.document.text)
    files += [corpus_file(data_dir, rel) for rel in BIORED_FILES]
    return texts, files


def blocks(tokenizer: Any, texts: list[str], block_size: int) -> list[list[int]]:
    """Token ids of the texts joined by ``[SEP]``, cut into ``[CLS] ... [SEP]`` blocks."""
    ids: list[int] = []
    for text in texts:
        ids += tokenizer(text, add_special_tokens=False)["input_ids"]
        ids.append(tokenizer.sep_token_id)
    room = block_size - 2
    return [
        [tokenizer.cls_token_id, *ids[i : i + room], tokenizer.sep_token_id]
        for i in range(0, len(ids) - room // 2, room)  # a last block under half full is dropped
    ]


def masked_loss(model: Any, batch: dict[str, Any], device: str, bf16: bool = False) -> Any:
    """Cross-entropy over the masked positions, projecting only those onto the vocabulary
    (under bf16 autocast on a GPU when ``bf16``; the loss itself is computed in fp32)."""
    import torch

    with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=bf16):
        hidden = model.bert(
            input_ids=batch["input_ids"].to(device),
            attention_mask=batch["attention_mask"].to(device),
        ).last_hidden_state
        labels = batch["labels"].to(device)
        chosen = labels != -100
        logits = model.cls(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits.float(), labels[chosen])


def adapt_encoder(texts: list[str], files: list[Path], config: MlmConfig) -> dict[str, Any]:
    """Masked-LM training from the base weights; saves the model (with its MLM head, which
    ``AutoModelForTokenClassification`` drops when it loads the encoder) and a results file."""
    import torch
    from transformers import (
        AutoTokenizer,
        BertForMaskedLM,
        DataCollatorForLanguageModeling,
        get_linear_schedule_with_warmup,
    )
    from transformers.utils import logging as hf_logging

    from kgmed.mentions.bert import resolve_device
    from kgmed.progress import progress
    from kgmed.training.ner import adamw, training_bf16

    commit = git_commit()
    hf_logging.disable_progress_bar()  # kgmed shows its own progress (or none)
    set_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    base = config.base_model or default_base_model()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = BertForMaskedLM.from_pretrained(str(base), dtype=torch.float32).to(device)
    bf16 = training_bf16(device)
    rng = random.Random(config.seed)
    all_blocks = blocks(tokenizer, texts, config.block_size)
    rng.shuffle(all_blocks)
    n_held = max(1, int(config.held_out_share * len(all_blocks)))
    held, train = all_blocks[:n_held], all_blocks[n_held:]
    collator = DataCollatorForLanguageModeling(
        tokenizer, mlm_probability=config.mask_probability, whole_word_mask=False
    )

    def batch_of(rows: list[list[int]]) -> dict[str, Any]:
        return dict(collator([{"input_ids": r} for r in rows]))

    # the held-out blocks are masked once, so the loss before and after compares like with like
    torch.manual_seed(config.seed)
    held_batches = [
        batch_of(held[i : i + config.batch_size]) for i in range(0, len(held), config.batch_size)
    ]

    def held_out_loss() -> float:
        model.eval()
        with torch.no_grad():
            losses = [float(masked_loss(model, b, device, bf16)) for b in held_batches]
        return sum(losses) / len(losses)

    before = held_out_loss()
    print(f"held-out masked-LM loss before: {before:.4f}", flush=True)
    optimizer = adamw(model, config.learning_rate, config.weight_decay)
    steps = math.ceil(len(train) / config.batch_size) * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * steps), steps)
    history = []
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        rng.shuffle(train)
        starts = range(0, len(train), config.batch_size)
        running = 0.0
        for i in progress(starts, enabled=config.show_progress, desc=f"mlm epoch {epoch}"):
            loss = masked_loss(model, batch_of(train[i : i + config.batch_size]), device, bf16)
            loss.backward()
            running += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
        held_loss = held_out_loss()
        seconds = time.perf_counter() - t0
        history.append(
            {
                "epoch": epoch,
                "loss": running / max(1, len(starts)),
                "held_out_loss": held_loss,
                "epoch_seconds": round(seconds, 1),
            }
        )
        print(
            f"mlm epoch {epoch}: loss {running / max(1, len(starts)):.4f} "
            f"held-out {held_loss:.4f} ({seconds:.0f} s)",
            flush=True,
        )
    config.output_dir.mkdir(parents=True, exist_ok=True)
    model.to("cpu").save_pretrained(str(config.output_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(config.output_dir))
    metrics = {
        "documents": len(texts),
        "blocks": len(all_blocks),
        "held_out_blocks": n_held,
        "held_out_loss_before": before,
        "held_out_loss_after": history[-1]["held_out_loss"] if history else before,
        "history": history,
        "seconds": round(time.perf_counter() - started, 1),
        "device": device,
        "bf16_autocast": bf16,
    }
    write_results(
        config.output_dir / "results.json",
        kind="train-mlm",
        config=config,
        data=files,
        metrics=metrics,
        commit=commit,
    )
    return metrics
