"""BIO tag sets and decoding of tag sequences into spans."""

from __future__ import annotations

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
