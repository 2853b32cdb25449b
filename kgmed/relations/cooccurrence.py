"""Disease–symptom co-occurrence statistics over documents, as Hetionet computed them from
MEDLINE (Himmelstein et al. 2017): for each pair, the documents mentioning both (observed)
against the count expected if the two were independent, ``n_disease * n_symptom / N``, the
enrichment observed / expected, and a one-sided Fisher (hypergeometric) p-value. Enriched pairs
(p below ``max_p`` and observed above expected) become HAS_SYMPTOM evidence with source
``cooccurrence_enrichment``, whose probability is ``observed / n_disease``: the share of the
disease's documents that mention the symptom, read by the diagnosis model as P(symptom |
disease).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from kgmed.core.records import Document, Evidence, Relation

DOCUMENT_ID = "kgmed:cooccurrence"  # the statistics' evidence hangs off this one document
SOURCE = "cooccurrence_enrichment"
EXTRACTOR = "kgmed.cooccurrence_enrichment"
VERSION = "1"


@dataclass(frozen=True)
class PairStatistics:
    disease: str
    symptom: str
    observed: int
    disease_documents: int
    symptom_documents: int
    documents: int
    expected: float
    enrichment: float
    p_value: float


def pair_statistics(
    documents: Iterable[tuple[set[str], set[str]]], *, min_observed: int = 3
) -> list[PairStatistics]:
    """Statistics of every (disease, symptom) pair mentioned together in at least
    ``min_observed`` documents. ``documents``: each document's (disease ids, symptom ids);
    documents mentioning neither count in N only if given."""
    from scipy.stats import hypergeom

    n_docs = 0
    disease_docs: Counter[str] = Counter()
    symptom_docs: Counter[str] = Counter()
    both: Counter[tuple[str, str]] = Counter()
    for diseases, symptoms in documents:
        n_docs += 1
        disease_docs.update(diseases)
        symptom_docs.update(symptoms)
        both.update((d, s) for d in diseases for s in symptoms)
    out = []
    for (d, s), observed in sorted(both.items()):
        if observed < min_observed:
            continue
        nd, ns = disease_docs[d], symptom_docs[s]
        expected = nd * ns / n_docs
        # P(X >= observed) for X ~ Hypergeometric(N, n_disease, n_symptom)
        p = float(hypergeom.sf(observed - 1, n_docs, nd, ns))
        out.append(PairStatistics(d, s, observed, nd, ns, n_docs, expected, observed / expected, p))
    return out


def enrichment_relations(
    stats: Iterable[PairStatistics], *, max_p: float = 0.005
) -> list[Relation]:
    """HAS_SYMPTOM relations with one evidence record each, for the enriched pairs."""
    out = []
    for st in stats:
        if st.p_value >= max_p or st.enrichment <= 1.0:
            continue
        evidence = Evidence(
            document_id=DOCUMENT_ID,
            source=SOURCE,
            extractor=EXTRACTOR,
            extractor_version=VERSION,
            probability=round(st.observed / st.disease_documents, 6),
            sentence=(
                f"{st.observed} of the {st.disease_documents} documents mentioning {st.disease} "
                f"also mention {st.symptom} ({st.symptom_documents} of {st.documents} documents "
                f"do): expected {st.expected:.2f}, enrichment {st.enrichment:.2f}, "
                f"one-sided Fisher p = {st.p_value:.3g}"
            ),
        )
        out.append(
            Relation(st.disease, "Disease", "HAS_SYMPTOM", st.symptom, "Symptom", (evidence,))
        )
    return out


def statistics_document(n_documents: int) -> Document:
    return Document(
        DOCUMENT_ID,
        title=f"Disease-symptom co-occurrence statistics over {n_documents} documents",
        source="kgmed",
        kind="dataset",
    )
