"""Strict entity-level precision, recall and F1 (exact span and type), per type and micro."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    p: float
    r: float
    f1: float
    tp: int
    fp: int
    fn: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "p": round(self.p, 4),
            "r": round(self.r, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def prf(tp: int, fp: int, fn: int) -> PRF:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(p, r, f1, tp, fp, fn)


Span = tuple[object, int, int, str]  # (unit id, start, end, type)


def bio_spans(
    tag_sequences: Iterable[Sequence[str]],
    *,
    label_map: dict[str, str] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> list[Span]:
    """``(sentence index, first token, last token + 1, type)`` for every entity in BIO tag
    sequences; types are renamed by ``label_map`` and filtered by ``keep``."""
    from kgmed.mentions.bio import decode

    spans: list[Span] = []
    for i, tags in enumerate(tag_sequences):
        for a, b, t in decode(tags):
            t = (label_map or {}).get(t, t)
            if keep is None or keep(t):
                spans.append((i, a, b, t))
    return spans


def entity_scores(gold: Iterable[Span], predicted: Iterable[Span]) -> dict[str, object]:
    """Scores over sets of ``(unit, start, end, type)``: ``{"per_type": {...}, "micro": {...}}``."""
    gold_set, pred_set = set(gold), set(predicted)
    types = sorted({s[3] for s in gold_set | pred_set})
    tp = Counter(s[3] for s in gold_set & pred_set)
    fp = Counter(s[3] for s in pred_set - gold_set)
    fn = Counter(s[3] for s in gold_set - pred_set)
    per_type = {t: prf(tp[t], fp[t], fn[t]).as_dict() for t in types}
    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values())).as_dict()
    return {"per_type": per_type, "micro": micro}
