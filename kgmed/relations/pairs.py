"""Document-level relation scores: from mention-pair candidates to one probability per pair.

A document states (or does not state) that a chemical induces or treats a disease; its
mention-pair candidates are the evidence. The *max rule* gives a pair its best candidate's
probability. The *pair scorer* (Peng et al. 2016 and most BioCreative V CID systems add such
document features) is a logistic regression over a few features of the pair in its document:

* the best and second-best candidate log-odds and the number of candidates,
* how often the two concepts are mentioned, whether in the title, whether each is its
  document's most mentioned concept of its type, how many concepts of each type there are,
* the gap between the pair's best log-odds and the best of any pair sharing its subject
  (object): a chemical's most likely disease is the one the corpus annotates (BC5CDR
  annotates the most specific disease, not its hypernyms as well).

It is fit on the development split after temperature scaling (``kgmed train re``, or
``kgmed train re-calibrate`` for a trained model), with the regularization and decision
threshold chosen by cross-validation over documents, and stored in ``relations.json``. Its
output is a calibrated probability that the document states the relation; ingest writes it
on the pair's evidence. Without a scorer the max rule applies.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from kgmed.core.records import Mention
from kgmed.relations.candidates import Candidate

FEATURES = (
    "logit_best",
    "logit_second",
    "log_candidates",
    "log_subject_mentions",
    "log_object_mentions",
    "subject_in_title",
    "object_in_title",
    "subject_most_mentioned",
    "object_most_mentioned",
    "log_subject_concepts",
    "log_object_concepts",
    "gap_to_subject_best",
    "gap_to_object_best",
)


def title_end(text: str, title: str) -> int:
    """Where the title ends in a document's text (0 when the text does not start with it)."""
    return len(title) if title and text.startswith(title) else 0


@dataclass(frozen=True)
class MentionStats:
    """What the pair features need from a document's mentions: how often each concept id is
    mentioned, and which ids are mentioned in the title."""

    subjects: Counter[str]
    objects: Counter[str]
    subjects_in_title: frozenset[str]
    objects_in_title: frozenset[str]

    @classmethod
    def of(
        cls, subjects: Iterable[Mention], objects: Iterable[Mention], title_end: int = 0
    ) -> MentionStats:
        """Counts over the mentions' concept ids; a mention starting before ``title_end`` is
        in the title (kgmed's readers put the title first in the text)."""
        counts: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
        titled: tuple[set[str], set[str]] = (set(), set())
        for k, mentions in enumerate((subjects, objects)):
            for m in mentions:
                for i in m.concept_ids:
                    counts[k][i] += 1
                    if m.start < title_end:
                        titled[k].add(i)
        return cls(counts[0], counts[1], frozenset(titled[0]), frozenset(titled[1]))


@dataclass(frozen=True)
class DocumentPair:
    """A (document, subject id, object id) pair and its candidates (indices into the list
    the pairs were built from); ``best`` is the candidate with the highest probability."""

    document: str
    subject: str
    object: str
    candidates: tuple[int, ...]
    best: int


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def document_pairs(
    candidates: Sequence[Candidate],
    positive: Sequence[float],
    stats: Mapping[str, MentionStats],
) -> tuple[list[DocumentPair], Any]:
    """The document-level pairs of scored candidates and their feature matrix (rows in the
    order of the pairs, columns :data:`FEATURES`). ``positive`` is each candidate's calibrated
    probability of the relation; ``stats`` maps a document id (the candidate's ``unit``) to its
    mention statistics (a document missing from it counts no mentions)."""
    import numpy as np

    grouped: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for k, c in enumerate(candidates):
        for a in c.subject:
            for b in c.object:
                grouped[(c.unit, a, b)].append(k)
    pairs, rows = [], []
    for (doc, a, b), idx in grouped.items():
        ps = sorted((float(positive[k]) for k in idx), reverse=True)
        best = max(idx, key=lambda k: float(positive[k]))
        s = stats.get(doc) or MentionStats(Counter(), Counter(), frozenset(), frozenset())
        top_s = max(s.subjects.values(), default=0)
        top_o = max(s.objects.values(), default=0)
        rows.append(
            [
                _logit(ps[0]),
                _logit(ps[1] if len(ps) > 1 else ps[0]),
                math.log1p(len(ps)),
                math.log1p(s.subjects[a]),
                math.log1p(s.objects[b]),
                float(a in s.subjects_in_title),
                float(b in s.objects_in_title),
                float(s.subjects[a] > 0 and s.subjects[a] == top_s),
                float(s.objects[b] > 0 and s.objects[b] == top_o),
                math.log1p(len(s.subjects)),
                math.log1p(len(s.objects)),
                0.0,  # gaps: filled below, once every pair's best is known
                0.0,
            ]
        )
        pairs.append(DocumentPair(doc, a, b, tuple(idx), best))
    best_s: dict[tuple[str, str], float] = defaultdict(lambda: -math.inf)
    best_o: dict[tuple[str, str], float] = defaultdict(lambda: -math.inf)
    for p, r in zip(pairs, rows, strict=True):
        best_s[(p.document, p.subject)] = max(best_s[(p.document, p.subject)], r[0])
        best_o[(p.document, p.object)] = max(best_o[(p.document, p.object)], r[0])
    for p, r in zip(pairs, rows, strict=True):
        r[11] = r[0] - best_s[(p.document, p.subject)]
        r[12] = r[0] - best_o[(p.document, p.object)]
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
    return pairs, matrix


@dataclass
class PairScorer:
    """A logistic regression over :data:`FEATURES` and its decision threshold."""

    coefficients: tuple[float, ...]
    intercept: float
    threshold: float
    features: tuple[str, ...] = FEATURES
    fit: dict[str, Any] = field(default_factory=dict)  # how it was fit: data, C, CV F1

    def probabilities(self, matrix: Any) -> Any:
        import numpy as np

        z = np.asarray(matrix, dtype=np.float64) @ np.asarray(self.coefficients) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["coefficients"] = dict(zip(self.features, self.coefficients, strict=True))
        del out["features"]
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PairScorer:
        from kgmed.core.errors import ConfigError

        coefficients = raw["coefficients"]
        if tuple(coefficients) != FEATURES:
            raise ConfigError(
                "the relation model's pair scorer uses other features than this kgmed version",
                hint="refit it: kgmed train re-calibrate --model DIR",
            )
        return cls(
            tuple(float(coefficients[f]) for f in FEATURES),
            float(raw["intercept"]),
            float(raw["threshold"]),
            FEATURES,
            dict(raw.get("fit", {})),
        )


def pair_probabilities(
    pairs: Sequence[DocumentPair],
    matrix: Any,
    positive: Sequence[float],
    scorer: PairScorer | None,
) -> Any:
    """Each pair's probability: the scorer's, or (without one) its best candidate's."""
    import numpy as np

    if scorer is None or not len(pairs):
        return np.asarray([float(positive[p.best]) for p in pairs], dtype=np.float64)
    return scorer.probabilities(matrix)


def fit_pair_scorer(
    pairs: Sequence[DocumentPair],
    matrix: Any,
    labels: Sequence[bool],
    gold_count: int,
    *,
    folds: int = 5,
    strengths: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
) -> PairScorer | None:
    """Fit on development pairs: the inverse regularization strength C with the best F1 over
    ``folds`` folds split by document, the threshold with the best F1 on the out-of-fold
    probabilities of that C, then the coefficients on every pair. ``gold_count`` is the number
    of gold pairs (those without a candidate count as missed). None when the data are too few
    (fewer than ``folds`` documents or 10 pairs of each class): keep the max rule then."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    y = np.asarray(labels, dtype=bool)
    documents = [p.document for p in pairs]
    if len(set(documents)) < folds or y.sum() < 10 or (~y).sum() < 10:
        return None
    best: tuple[float, float, float] | None = None  # (F1, C, threshold)
    for c in strengths:
        oof = np.zeros(len(y))
        for train, test in GroupKFold(folds).split(matrix, y, documents):
            model = LogisticRegression(C=c, max_iter=2000).fit(matrix[train], y[train])
            oof[test] = model.predict_proba(matrix[test])[:, 1]
        cut, f1 = best_cut(oof, y, gold_count)
        if best is None or f1 > best[0]:
            best = (f1, c, cut)
    assert best is not None
    f1, c, cut = best
    model = LogisticRegression(C=c, max_iter=2000).fit(matrix, y)
    return PairScorer(
        tuple(float(w) for w in model.coef_[0]),
        float(model.intercept_[0]),
        cut,
        FEATURES,
        {"C": c, "cv_f1": round(f1, 4), "folds": folds, "pairs": len(y), "positives": int(y.sum())},
    )


def best_cut(scores: Any, labels: Any, gold_count: int) -> tuple[float, float]:
    """The threshold with the best F1 (halfway between neighbouring scores) and that F1."""
    import numpy as np

    order = np.argsort(-np.asarray(scores), kind="stable")
    ranked = np.asarray(scores)[order]
    tp = np.cumsum(np.asarray(labels)[order])
    predicted = np.arange(1, len(order) + 1)
    f1 = 2 * tp / (predicted + max(gold_count, 1))
    i = int(f1.argmax())
    after = ranked[i + 1] if i + 1 < len(ranked) else 0.0
    return float((ranked[i] + after) / 2), float(f1[i])


def stated_pairs(
    candidates: Sequence[Candidate],
    positive: Sequence[float],
    stats: Mapping[str, MentionStats],
    scorer: PairScorer | None,
    threshold: float,
) -> list[tuple[DocumentPair, float]]:
    """The pairs each document states, with their document-level probability: the scorer's
    at or above its threshold, or without a scorer the best candidate's at or above
    ``threshold`` (the max rule)."""
    pairs, matrix = document_pairs(candidates, positive, stats)
    probabilities = pair_probabilities(pairs, matrix, positive, scorer)
    cut = scorer.threshold if scorer is not None else threshold
    return [(p, float(q)) for p, q in zip(pairs, probabilities, strict=True) if q >= cut]
