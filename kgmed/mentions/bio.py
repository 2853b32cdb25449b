"""BIO tag sets and decoding of tag sequences into spans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ENTITY_TYPES: tuple[str, ...] = ("Chemical", "Disease")


def bio_labels(types: tuple[str, ...] = ENTITY_TYPES) -> list[str]:
    """``["O", "B-Chemical", "I-Chemical", ...]``: the label order a model is trained with."""
    return ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]


def decode(tags: list[str] | tuple[str, ...]) -> list[tuple[int, int, str]]:
    """Spans ``(first, last_exclusive, type)`` over token indices.

    An ``I-X`` that does not continue an ``X`` span starts a new one (the lenient reading
    conlleval uses), so no predicted entity is lost.
    """
    spans: list[tuple[int, int, str]] = []
    start, current = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, etype = tag.partition("-")
        continues = prefix == "I" and etype == current
        if start >= 0 and not continues:
            spans.append((start, i, current))
            start, current = -1, ""
        if prefix == "B" or (prefix == "I" and not continues):
            start, current = i, etype
    return spans


def allowed_transitions(labels: list[str] | tuple[str, ...]) -> tuple[Any, Any]:
    """``(allowed[prev, cur], may_start[cur])``: ``I-X`` only continues ``B-X`` or ``I-X``."""
    import numpy as np

    parts = [tag.partition("-") for tag in labels]
    allowed = np.array(
        [[c[0] != "I" or (p[0] in ("B", "I") and p[2] == c[2]) for c in parts] for p in parts]
    )
    may_start = np.array([p[0] != "I" for p in parts])
    return allowed, may_start


def viterbi_decode(
    scores: Sequence[Any], labels: list[str] | tuple[str, ...], o_bias: float = 0.0
) -> list[list[str]]:
    """The best valid BIO sequence of each sentence.

    ``scores`` holds one ``(words, labels)`` array of log-probabilities per sentence; ``o_bias``
    is added to the ``O`` column first (> 0 trades recall for precision). Unlike reading each
    word's argmax, no ``I-X`` can follow ``O`` or another type, so a sentence's tags always form
    whole entities. Sentences are decoded together, length-sorted in chunks.
    """
    import numpy as np

    allowed, may_start = allowed_transitions(labels)
    neg = -1e9
    transition = np.where(allowed, 0.0, neg)
    start = np.where(may_start, 0.0, neg)
    bias = np.array([o_bias if tag == "O" else 0.0 for tag in labels])
    out: list[list[str]] = [[] for _ in scores]
    order = sorted(range(len(scores)), key=lambda i: len(scores[i]))
    for c in range(0, len(order), 256):
        chunk = [i for i in order[c : c + 256] if len(scores[i])]
        if not chunk:
            continue
        lengths = np.array([len(scores[i]) for i in chunk])
        width = int(lengths.max())
        x = np.zeros((len(chunk), width, len(labels)))
        for row, i in enumerate(chunk):
            x[row, : lengths[row]] = scores[i]
        x += bias
        best = x[:, 0] + start
        back = np.zeros((len(chunk), width, len(labels)), dtype=np.int64)
        for t in range(1, width):
            candidates = best[:, :, None] + transition  # (sentence, previous, current)
            back[:, t] = candidates.argmax(1)
            moved = candidates.max(1) + x[:, t]
            best = np.where((t < lengths)[:, None], moved, best)
        for row, i in enumerate(chunk):
            tag = int(best[row].argmax())
            path = [tag]
            for t in range(lengths[row] - 1, 0, -1):
                tag = int(back[row, t, tag])
                path.append(tag)
            out[i] = [labels[k] for k in reversed(path)]
    return out
