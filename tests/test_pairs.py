"""Document-level pair scoring: features of a pair in its document, the scorer's fit, and the
max rule it falls back to."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgmed.core.errors import ConfigError
from kgmed.core.records import Mention
from kgmed.relations.candidates import Candidate
from kgmed.relations.pairs import (
    FEATURES,
    MentionStats,
    PairScorer,
    best_cut,
    document_pairs,
    fit_pair_scorer,
    stated_pairs,
)


def mention(start: int, cid: str, label: str = "Chemical") -> Mention:
    return Mention("d1", start, start + 3, "xyz", label, (cid,))


def candidate(doc: str, s: str, o: str) -> Candidate:
    return Candidate(doc, "[S:Chemical] a [/S] b [O:Disease] c [/O]", (s,), (o,), "none")


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_features_of_a_pair_in_its_document():
    stats = {
        "d1": MentionStats.of(
            [mention(0, "C1"), mention(40, "C1"), mention(60, "C2")],
            [mention(10, "D1", "Disease"), mention(70, "D2", "Disease")],
            title_end=30,
        )
    }
    cands = [candidate("d1", "C1", "D1"), candidate("d1", "C1", "D1"), candidate("d1", "C1", "D2")]
    pairs, x = document_pairs(cands, [0.2, 0.8, 0.5], stats)
    assert x.shape == (2, len(FEATURES))
    row = dict(zip(FEATURES, x[0], strict=True))
    first = pairs[0]
    assert (first.document, first.subject, first.object) == ("d1", "C1", "D1")
    assert first.candidates == (0, 1) and first.best == 1
    assert row["logit_best"] == pytest.approx(logit(0.8))
    assert row["logit_second"] == pytest.approx(logit(0.2))
    assert row["log_candidates"] == pytest.approx(math.log(3))
    assert row["log_subject_mentions"] == pytest.approx(math.log(3))  # C1 twice
    assert row["subject_in_title"] == 1.0 and row["object_in_title"] == 1.0
    assert row["subject_most_mentioned"] == 1.0
    assert row["log_object_concepts"] == pytest.approx(math.log(3))
    assert row["gap_to_subject_best"] == 0.0  # C1's most likely disease
    second = dict(zip(FEATURES, x[1], strict=True))
    assert second["object_in_title"] == 0.0
    assert second["gap_to_subject_best"] == pytest.approx(logit(0.5) - logit(0.8))
    # a document without statistics counts no mentions
    _, bare = document_pairs([candidate("d9", "C1", "D1")], [0.5], {})
    assert bare[0, FEATURES.index("log_subject_mentions")] == 0.0


def test_composite_mentions_give_a_pair_per_id():
    c = Candidate("d1", "t", ("C1",), ("D1", "D2"), "none")
    pairs, _ = document_pairs([c], [0.7], {})
    assert sorted((p.subject, p.object) for p in pairs) == [("C1", "D1"), ("C1", "D2")]


def test_max_rule_without_a_scorer():
    cands = [candidate("d1", "C1", "D1"), candidate("d1", "C1", "D1"), candidate("d1", "C2", "D1")]
    stated = stated_pairs(cands, [0.3, 0.6, 0.4], {}, None, threshold=0.5)
    assert [(p.subject, p.best, q) for p, q in stated] == [("C1", 1, 0.6)]


def test_scorer_learns_what_the_max_rule_misses():
    """Pairs whose chemical is in the title are related whatever their candidate says: the
    scorer learns it from the features; the max rule cannot."""
    rng = np.random.default_rng(0)
    cands, positive, stats, gold = [], [], {}, set()
    for d in range(60):
        doc = f"d{d}"
        chems = [mention(100 + 10 * k, f"C{k}") for k in range(4)]
        titled = int(rng.integers(4))
        chems[titled] = mention(0, f"C{titled}")
        stats[doc] = MentionStats.of(chems, [mention(200, "D0", "Disease")], title_end=20)
        gold.add((doc, f"C{titled}", "D0"))
        for k in range(4):
            cands.append(candidate(doc, f"C{k}", "D0"))
            positive.append(float(rng.uniform(0.05, 0.95)))
    pairs, x = document_pairs(cands, positive, stats)
    labels = [(p.document, p.subject, p.object) in gold for p in pairs]
    scorer = fit_pair_scorer(pairs, x, labels, len(gold))
    assert scorer is not None and scorer.fit["cv_f1"] > 0.9
    assert scorer.coefficients[FEATURES.index("subject_in_title")] > 1.0
    stated = {
        (p.document, p.subject, p.object)
        for p, _ in stated_pairs(cands, positive, stats, scorer, 0.5)
    }
    assert len(stated & gold) / len(gold) > 0.9 and len(stated - gold) < 6
    max_rule = {
        (p.document, p.subject, p.object)
        for p, _ in stated_pairs(cands, positive, stats, None, 0.5)
    }
    assert len(max_rule & gold) / max(1, len(max_rule)) < 0.5  # chance precision
    # saved and loaded in relations.json form
    again = PairScorer.from_dict(scorer.to_dict())
    assert np.allclose(again.probabilities(x), scorer.probabilities(x))
    raw = scorer.to_dict()
    raw["coefficients"] = {"something_else": 1.0}
    with pytest.raises(ConfigError):
        PairScorer.from_dict(raw)


def test_too_few_pairs_keep_the_max_rule():
    pairs, x = document_pairs([candidate("d1", "C1", "D1")], [0.9], {})
    assert fit_pair_scorer(pairs, x, [True], 1) is None


def test_best_cut():
    cut, f1 = best_cut([0.9, 0.8, 0.3, 0.1], [True, True, False, False], gold_count=3)
    assert cut == pytest.approx(0.55) and f1 == pytest.approx(0.8)  # 2 of 3 gold, no false
    cut, f1 = best_cut([0.9, 0.8, 0.3, 0.1], [True, True, False, True], gold_count=3)
    assert cut == pytest.approx(0.05) and f1 == pytest.approx(6 / 7)  # all four
