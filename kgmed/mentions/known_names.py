"""Known names: texts the training corpora annotate (nearly) wherever they appear.

A sentence tagger misses some occurrences of names its training data tagged every time
("mesna", "haloperidol", "proteinuria") when the context is unusual. The training corpora say
how reliably a text is a mention: of its whole-word occurrences in their documents, the share
annotated with one type. After the tagger and label propagation, every whole-word occurrence
of a name whose share reaches the type's rate, and that no mention covers, is added with that
type, longest names first.

The names and their counts are saved with the model (``names.tsv``, written by ``kgmed train
ner`` or ``kgmed train ner-names`` from the PubTator files of the model's training splits);
the rate per type is a decoding choice made on development data with a model and names that
never saw it (``benchmarks/ner_decoding.py``) and recorded in ``kgmed.json``
(``decoding.names``). Texts annotated with two types, and texts under three characters, are
never added.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kgmed.core.errors import ConfigError
from kgmed.core.records import Mention
from kgmed.mentions.consistency import whole_words

NAMES_FILE = "names.tsv"
MIN_LENGTH = 3


@dataclass(frozen=True)
class NameCount:
    """How often a text is annotated with a type, and how often it appears as a whole word,
    in the same documents."""

    text: str
    label: str
    annotated: int
    occurrences: int


def count_names(
    documents: Iterable[tuple[str, Sequence[tuple[str, str]], Collection[str]]],
) -> list[NameCount]:
    """``NameCount`` rows, sorted, from ``(text, [(mention text, label), ...], labels)``
    documents, where ``labels`` are the types the document's corpus annotates: a name's
    occurrences count only in documents that would have annotated it (NCBI-disease's
    abstracts say nothing about chemicals)."""
    docs = list(documents)
    annotated: Counter[tuple[str, str]] = Counter()
    for _, mentions, _ in docs:
        annotated.update(mentions)
    occurrences: Counter[tuple[str, str]] = Counter({key: 0 for key in annotated})
    for text, _, labels in docs:
        for name, label in annotated:
            if label in labels and name in text:  # the cheap test first: most are absent
                occurrences[(name, label)] += sum(1 for _ in whole_words(text, name))
    return [
        NameCount(name, label, n, occurrences[(name, label)])
        for (name, label), n in sorted(annotated.items())
    ]


def write_names(rows: Iterable[NameCount], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["text", "label", "annotated", "occurrences"])
        w.writerows((r.text, r.label, r.annotated, r.occurrences) for r in rows)


def read_names(path: Path) -> list[NameCount]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            NameCount(r["text"], r["label"], int(r["annotated"]), int(r["occurrences"]))
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        ]


def select_names(rows: Iterable[NameCount], rates: Mapping[str, float]) -> dict[str, str]:
    """Text -> label of the names annotated at least ``rates[label]`` of the times they
    appear (a text annotated with two labels is left out)."""
    rows = list(rows)
    labels: Counter[str] = Counter(r.text for r in rows)
    out = {}
    for r in rows:
        rate = rates.get(r.label)
        if rate is None or labels[r.text] > 1 or len(r.text) < MIN_LENGTH:
            continue
        # an annotation can sit inside a longer word ("cocaine-induced"), so the share of
        # whole-word occurrences may pass 1: that name is tagged reliably too
        if r.annotated >= rate * max(r.occurrences, 1):
            out[r.text] = r.label
    return out


def known_names(model_dir: Path, rates: Mapping[str, float]) -> dict[str, str]:
    """The names the model's ``names.tsv`` holds at the decoding's rates ({} without rates)."""
    if not rates:
        return {}
    path = model_dir / NAMES_FILE
    if not path.is_file():
        raise ConfigError(
            f"{model_dir} records known-name rates but has no {NAMES_FILE}",
            hint=f"write it with `kgmed train ner-names --model {model_dir}`",
        )
    return select_names(read_names(path), rates)


def add_known_names(
    document_id: str, text: str, mentions: Sequence[Mention], names: Mapping[str, str]
) -> list[Mention]:
    """``mentions`` plus the whole-word occurrences of ``names`` (text -> label) that no
    mention covers, longest names first, in text order."""
    if not names:
        return list(mentions)
    covered = bytearray(len(text))
    for m in mentions:
        covered[m.start : m.end] = b"\x01" * (m.end - m.start)
    added = []
    for name in sorted((n for n in names if n in text), key=lambda n: (-len(n), n)):
        for start, end in whole_words(text, name):
            if covered.find(1, start, end) == -1:
                added.append(Mention(document_id, start, end, name, names[name]))
                covered[start:end] = b"\x01" * (end - start)
    return sorted([*mentions, *added], key=lambda m: (m.start, m.end)) if added else list(mentions)
