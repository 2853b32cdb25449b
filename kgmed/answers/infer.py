"""``kgmed infer`` as a library: link the query, ask the reasoners, explain the answers.

Results are plain dicts in the documented JSON shape (``docs/cli.md``).
"""

from __future__ import annotations

import math
from typing import Any

from kgmed.answers.diagnosis import DiagnosisParams, DiagnosisReasoner, rank
from kgmed.answers.drugs import MODEL_FILE, DrugModel, DrugReasoner
from kgmed.concepts.linking import ConceptIndex, Embedder, Link, split_phrases
from kgmed.core.errors import ConfigError, NotFoundError
from kgmed.graph.store import CypherGraphStore

# An embedding link at least this close is kept even when a name inside the phrase matches.
CONFIDENT_EMBEDDING = 0.9


def concept_index(
    store: CypherGraphStore, label: str, embedder: Embedder | None = None, threshold: float = 0.8
) -> ConceptIndex:
    """Names and synonyms of every ``label`` concept in the store."""
    return ConceptIndex(store.concept_names(label), threshold=threshold, embedder=embedder)


class Inference:
    """Holds the indexes and reasoners of one store, so repeated queries are warm."""

    def __init__(self, store: CypherGraphStore, embedder: Embedder | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self._symptoms: ConceptIndex | None = None
        self._diseases: ConceptIndex | None = None
        self.diagnosis = DiagnosisReasoner(store, ConceptIndex(()))
        self.drugs = DrugReasoner(store)

    @property
    def symptoms(self) -> ConceptIndex:
        if self._symptoms is None:
            self._symptoms = concept_index(self.store, "Symptom", self.embedder)
            self.diagnosis.index = self._symptoms
            if not len(self._symptoms):
                raise ConfigError(
                    "the graph has no symptoms", hint="run `kgmed build` (or `kgmed ontology load`)"
                )
        return self._symptoms

    @property
    def diseases(self) -> ConceptIndex:
        if self._diseases is None:
            self._diseases = concept_index(self.store, "Disease")
            if not len(self._diseases):
                raise ConfigError("the graph has no diseases", hint="run `kgmed build` first")
        return self._diseases

    # -- diagnosis ------------------------------------------------------------------------
    def link_symptoms(self, text: str) -> list[Link]:
        index = self.symptoms
        phrases = split_phrases(text, keep=lambda p: index.lookup(p) is not None)
        links = self.symptoms.link([p for p, _ in phrases])
        ancestors = self.diagnosis.ancestors()
        out = []
        for (_, negated), link in zip(phrases, links, strict=True):
            if not link.id or (link.method == "embedding" and link.score < CONFIDENT_EMBEDDING):
                # "watery diarrhea" -> diarrhea beats a near miss to a sibling ("severe
                # diarrhea"), unless the near miss is a more specific form of the same name.
                part = index.partial(link.text)
                if part and not (link.id and part.id in ancestors.get(link.id, ())):
                    link = part
            out.append(Link(link.text, link.id, link.name, link.score, link.method, negated))
        return out

    def diagnose(
        self, text: str, *, top: int = 10, params: DiagnosisParams | None = None
    ) -> dict[str, Any]:
        params = params or DiagnosisParams.shipped()
        links = self.link_symptoms(text)
        if not any(link.id for link in links):
            hints = {link.text: self.symptoms.suggest(link.text) for link in links if not link.id}
            tried = "; ".join(
                f"'{t}' (closest: {', '.join(s) or 'none'})" for t, s in hints.items()
            )
            raise NotFoundError(
                f"none of the symptoms links to the Symptom Ontology: {tried}",
                hint='use other words, or check `kgmed cypher "MATCH (s:Symptom) RETURN s.name"`',
            )
        facts = self.diagnosis.gather(links)
        everything = rank(facts, params)
        ranked = everything[:top]
        statements = [
            facts.diseases[d].symptoms[sid][3]
            for d, _, parts in ranked
            for _, sid, _, _ in parts["matched"]
        ]
        evidence = self.diagnosis.evidence_sentences(statements)
        total = _logsumexp([s for _, s, _ in everything]) if ranked else 0.0
        results = []
        for i, (did, logp, parts) in enumerate(ranked, 1):
            d = facts.diseases[did]
            results.append(
                {
                    "rank": i,
                    "id": did,
                    "name": d.name,
                    "score": round(math.exp(logp - total), 6),
                    "log_score": round(logp, 4),
                    "explanation": {
                        "matched": [
                            {
                                "symptom": link.text,
                                "id": link.id,
                                "via": sid,
                                "via_name": d.symptoms[sid][0],
                                "match": how,
                                "probability": round(d.symptoms[sid][1], 4),
                                "evidence_count": d.symptoms[sid][2],
                                "path": f"({did})-[:HAS_SYMPTOM]->({sid})"
                                + ("" if how == "exact" else f" ~IS_A~ ({link.id})"),
                                "evidence": evidence.get(d.symptoms[sid][3], []),
                            }
                            for link, sid, how, _ in parts["matched"]
                        ],
                        "unmatched": [link.text for link in parts["unmatched"]],
                        "contradicted": [
                            {"symptom": link.text, "id": link.id, "via": sid}
                            for link, sid, _, _ in parts["contradicted"]
                        ],
                        "expected_not_reported": [
                            name for _, name in parts["expected_not_reported"]
                        ][:10],
                        "disease_evidence_count": d.evidence,
                    },
                }
            )
        return {
            "query": {"symptoms": text, "top": top},
            "linked": [_link_json(link) for link in links],
            "results": results,
        }

    # -- drugs -----------------------------------------------------------------------------
    def resolve_disease(self, text: str) -> Link:
        raw = text.strip()
        if ":" in raw and not raw.startswith(" "):
            from kgmed.core.ids import normalize_curie

            cid = normalize_curie(raw)
            if cid in self.diseases.names:
                return Link(raw, cid, self.diseases.names[cid], 1.0, "id")
        link = self.diseases.lookup(raw)
        if link is None:
            suggestions = self.diseases.suggest(raw)
            raise NotFoundError(
                f"no disease named '{text}' in the graph"
                + (f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""),
                hint="give a Disease Ontology name, synonym or id such as DOID:9352",
            )
        return link

    def drugs_for(self, text: str, *, top: int = 10, model: DrugModel | None = None) -> dict:
        if model is None:
            if not MODEL_FILE.is_file():
                raise ConfigError(
                    "the drug-ranking model is missing",
                    hint="fit it with `kgmed eval infer --task drugs --fit`",
                )
            model = DrugModel.load()
        link = self.resolve_disease(text)
        found = self.drugs.gather(link.id)
        shown = found.top(model, top)  # by logit: probabilities of strong ones round to 1.0
        self.drugs.explain(found, shown)
        scored = [(model.probability(c.features), c) for c in shown]
        statements = [p["statement"] for _, c in scored for p in c.paths if "statement" in p]
        evidence = self.diagnosis.evidence_sentences(statements, "Chemical")
        results = []
        for i, (p, c) in enumerate(scored, 1):
            contributions = model.contributions(c.features)
            paths = [
                {**path, "evidence": evidence.get(path.get("statement", ""), [])}
                for path in sorted(c.paths, key=lambda x: -(x.get("weight") or x.get("p") or 0))
            ][:5]
            results.append(
                {
                    "rank": i,
                    "id": c.id,
                    "name": c.name,
                    "score": round(p, 6),
                    "explanation": {
                        "features": {k: round(v, 6) for k, v in c.features.items()},
                        "contributions": {k: round(v, 4) for k, v in contributions.items()},
                        "paths": paths,
                    },
                }
            )
        return {
            "query": {"drugs_for": text, "top": top},
            "linked": [_link_json(link)],
            "results": results,
        }


def _link_json(link: Link) -> dict[str, Any]:
    return {
        "text": link.text,
        "id": link.id or None,
        "name": link.name or None,
        "negated": link.negated,
        "method": link.method,
        "score": round(link.score, 4),
    }


def _logsumexp(values: list[float]) -> float:
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))
