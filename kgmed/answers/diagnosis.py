"""Rank diagnoses for a set of present and absent symptoms.

Model (naive Bayes over a noisy channel). For a disease ``d`` with symptoms ``S_d`` (graph
HAS_SYMPTOM relationships with their evidence probability ``p``), a query symptom ``q`` is
explained by ``d`` with strength ``m(q, d)``: ``p`` when ``d`` has ``q``, ``lam_specific * p``
when ``q`` is a more specific symptom than one of ``d``'s (``dry cough`` vs ``cough``, via
the Symptom Ontology's IS_A), ``lam_general * p`` when it is more general. Then

    log score(d) = gamma * log(1 + evidence(d))                  prior from evidence counts
                 + sum_present log(l_q + (1 - l_q) * theta * r_d * m)   a leak for unexplained
                 + sum_absent  log(1 - theta * r_d * m)           negated symptoms count against
                                                                  (same or more specific only)
                 + sum_{s in S_d not mentioned} log(1 - beta * r_d * p)  expected, not reported

``r_d = min(1, nu / |S_d|)`` is the chance that a patient with ``d`` reports one given symptom
of its list: a patient names a handful of symptoms, not all sixteen that the sources list for
influenza, so a well-described disease is neither punished for each unreported symptom nor
credited in full for each matched one (``nu = 0`` turns this off: ``r_d = 1``).

The leak ``l_q = min(0.5, eps + kappa * share(q))`` is the chance of reporting ``q`` when the
disease does not explain it; ``share(q)`` is the share of diseases in the graph that have
``q`` or a more or less specific form of it. A common symptom (fever) is then weak evidence
for any one disease and a rare one (Koplik spots) strong, as in a naive Bayes model whose
background rate follows the symptom's frequency.

Its eight parameters are fit on the development vignettes (``kgmed eval infer --fit``), never
on the test vignettes, and shipped in ``kgmed/answers/diagnosis_params.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kgmed.concepts.linking import ConceptIndex, Link
from kgmed.graph.store import CypherGraphStore

PARAMS_FILE = Path(__file__).with_name("diagnosis_params.json")
# Candidates scored in full per query. 100 ranks the dev vignettes exactly as 400 did (top-1/5/10
# equal, MRR -0.001) and keeps the second query's IN list short: on LadybugDB its cost grows
# with the list (80 ms at 400 on a 1M-relationship graph).
MAX_CANDIDATES = 100


@dataclass(frozen=True)
class DiagnosisParams:
    theta: float = 0.8
    eps: float = 0.05
    beta: float = 0.1
    gamma: float = 0.25
    lam_specific: float = 0.9
    lam_general: float = 0.5
    kappa: float = 0.0
    nu: float = 0.0

    def report_rate(self, n_symptoms: int) -> float:
        """``r_d``: how much of a disease's symptom list one patient is expected to report."""
        if self.nu <= 0 or n_symptoms <= 0:
            return 1.0
        return min(1.0, self.nu / n_symptoms)

    @classmethod
    def shipped(cls) -> DiagnosisParams:
        if PARAMS_FILE.is_file():
            raw = json.loads(PARAMS_FILE.read_text())
            return cls(**raw["params"])
        return cls()


def shipped_link_threshold() -> float:
    """The embedding-similarity threshold for symptom phrases, fit with the parameters."""
    if PARAMS_FILE.is_file():
        return float(json.loads(PARAMS_FILE.read_text()).get("fit", {}).get("link_threshold", 0.8))
    return 0.8


@dataclass
class DiseaseFacts:
    """What the graph says about one candidate disease."""

    id: str
    name: str
    symptoms: dict[str, tuple[str, float, int, str]]  # symptom id -> (name, p, n, statement)
    evidence: int = 0


@dataclass
class Facts:
    """Everything the score needs for one query, gathered once (parameter fitting rescores)."""

    present: list[Link]
    absent: list[Link]
    ancestors: dict[str, set[str]]  # symptom -> its IS_A ancestors
    diseases: dict[str, DiseaseFacts] = field(default_factory=dict)
    share: dict[str, float] = field(default_factory=dict)  # present symptom -> share(q)

    def leak(self, symptom: str, params: DiagnosisParams) -> float:
        return min(0.5, params.eps + params.kappa * self.share.get(symptom, 0.0))


# What :func:`add_facts` reads of a (d:Disease)-[r:HAS_SYMPTOM]->(s:Symptom) match.
FACT_COLUMNS = (
    "RETURN d.id AS disease, d.name AS dname, s.id AS symptom, s.name AS sname, "
    "r.probability AS p, r.evidence_count AS n, r.statement AS statement"
)


def add_facts(
    diseases: dict[str, DiseaseFacts], rows: Sequence[dict[str, Any]], categories: frozenset[str]
) -> None:
    """Add HAS_SYMPTOM rows (:data:`FACT_COLUMNS`) to ``diseases``; the Symptom Ontology's root
    and categories are no evidence and are skipped."""
    for r in rows:
        if r["symptom"] in categories:
            continue
        d = diseases.setdefault(r["disease"], DiseaseFacts(r["disease"], r["dname"], {}))
        d.symptoms[r["symptom"]] = (
            r["sname"],
            float(r["p"] or 0.0),
            int(r["n"] or 0),
            r["statement"],
        )
        d.evidence += int(r["n"] or 0)


class DiagnosisReasoner:
    """Links symptom phrases and ranks diseases from the graph's HAS_SYMPTOM knowledge."""

    def __init__(self, store: CypherGraphStore, index: ConceptIndex) -> None:
        self.store = store
        self.index = index
        self._ancestors: dict[str, set[str]] | None = None
        self._categories: frozenset[str] = frozenset()
        self._frequency: tuple[dict[str, int], int] | None = None

    def categories(self) -> frozenset[str]:
        """The hierarchy's roots and their children that have children of their own:
        "symptom", "nervous system symptom" (a finding directly under a root stays). They
        name no finding a patient reports, so a HAS_SYMPTOM to one is no evidence for any
        query (literature co-occurrence links a few diseases to "symptom"; as a more general
        form of every symptom it matched every query and lifted those diseases to the top)."""
        self.ancestors()
        return self._categories

    def ancestors(self) -> dict[str, set[str]]:
        """Symptom -> all IS_A ancestors (the hierarchy is small: read once per process)."""
        if self._ancestors is None:
            parents: dict[str, set[str]] = {}
            rows = self.store.query(
                "MATCH (a:Symptom)-[:IS_A]->(b:Symptom) RETURN a.id AS child, b.id AS parent"
            ).rows
            for r in rows:
                parents.setdefault(r["child"], set()).add(r["parent"])
            roots = {p for ps in parents.values() for p in ps if p not in parents}
            inner = {p for ps in parents.values() for p in ps}  # symptoms with children
            self._categories = frozenset(
                roots | {child for child, ps in parents.items() if ps & roots and child in inner}
            )
            closure: dict[str, set[str]] = {}
            for node in parents:
                seen, stack = set(), list(parents[node])
                while stack:
                    p = stack.pop()
                    if p not in seen:
                        seen.add(p)
                        stack.extend(parents.get(p, ()))
                closure[node] = seen
            self._ancestors = closure
        return self._ancestors

    def frequency(self) -> tuple[dict[str, int], int]:
        """Symptom -> how many diseases have it, and how many diseases have any (read once
        per process, like the hierarchy)."""
        if self._frequency is None:
            rows = self.store.query(
                "MATCH (d:Disease)-[:HAS_SYMPTOM]->(s:Symptom) RETURN s.id AS id, count(*) AS n"
            ).rows
            total = self.store.query(
                "MATCH (d:Disease)-[:HAS_SYMPTOM]->(:Symptom) RETURN count(DISTINCT d) AS n"
            ).rows
            self._frequency = (
                {r["id"]: int(r["n"]) for r in rows},
                int(total[0]["n"]) if total else 0,
            )
        return self._frequency

    def gather(self, links: Sequence[Link]) -> Facts:
        linked = [link for link in links if link.id]
        facts = Facts(
            [link for link in linked if not link.negated],
            [link for link in linked if link.negated],
            self.ancestors(),
        )
        anc = facts.ancestors
        categories = self.categories()
        counts, diseases = self.frequency()
        related: set[str] = set()
        for link in facts.present:
            forms = {link.id} | anc.get(link.id, set())
            forms |= {s for s, a in anc.items() if link.id in a}  # more specific symptoms
            forms -= categories
            related |= forms
            # (diseases with two forms of q count twice: an upper bound, capped at all)
            facts.share[link.id] = min(
                1.0, (1 + sum(counts.get(s, 0) for s in forms)) / (1 + diseases)
            )
        if not related:
            return facts
        # Candidate generation: on a large graph common symptoms reach thousands of diseases;
        # only those sharing the most query symptoms are scored in full (ranked in the store:
        # thousands of rows over Bolt cost more than the traversal).
        rows = self.store.query(
            "MATCH (d:Disease)-[r:HAS_SYMPTOM]->(s:Symptom) WHERE s.id IN $ids "
            "WITH d.id AS id, count(*) AS n, sum(r.probability) AS p "
            "RETURN id ORDER BY n DESC, p DESC, id LIMIT $k",
            {"ids": sorted(related), "k": MAX_CANDIDATES},
        ).rows
        candidates = sorted(r["id"] for r in rows)
        if not candidates:
            return facts
        rows = self.store.query(
            f"MATCH (d:Disease)-[r:HAS_SYMPTOM]->(s:Symptom) WHERE d.id IN $ids {FACT_COLUMNS}",
            {"ids": candidates},
        ).rows
        add_facts(facts.diseases, rows, categories)
        return facts

    def evidence_sentences(
        self, statements: Sequence[str], subject_label: str = "Disease", per_statement: int = 2
    ) -> dict:
        """The best evidence (sentence, document, the sentence's character offsets in it) of
        each statement; the sentence is empty where its text was not stored (``--no-store-text``,
        the shipped literature facts: look the document up). Evidence is reached from
        the statements' subjects (key lookups and adjacency), never by scanning Evidence."""
        if not statements:
            return {}
        subjects = sorted({st.split("|", 1)[0] for st in statements})
        rows = self.store.query(
            f"MATCH (x:{subject_label}) WHERE x.id IN $ids "
            "MATCH (x)<-[:EVIDENCE_FOR]-(e:Evidence) "
            # WITH before the filter: LadybugDB otherwise filters every Evidence node by
            # statement first and joins after (7x slower); Neo4j plans both the same.
            "WITH e WHERE e.statement IN $s "
            "RETURN e.statement AS statement, e.document_id AS document, "
            "e.sentence AS sentence, e.probability AS p, e.source AS source, "
            "e.assertion AS assertion, e.sentence_start AS sentence_start, "
            "e.sentence_end AS sentence_end",
            {"ids": subjects, "s": list(statements)},
        ).rows
        out: dict[str, list[dict[str, Any]]] = {}
        for r in sorted(rows, key=lambda r: (-(r["p"] or 0.0), r["document"])):
            items = out.setdefault(r["statement"], [])
            if len(items) < per_statement:
                item = {k: r[k] for k in ("document", "sentence", "p", "source", "assertion")}
                start = r["sentence_start"]
                if start is not None and start >= 0:  # where the sentence is in the document
                    item["offsets"] = [start, r["sentence_end"]]
                items.append(item)
        return out


def match_strength(
    query: str,
    disease: DiseaseFacts,
    ancestors: dict[str, set[str]],
    params: DiagnosisParams,
    *,
    absent: bool = False,
) -> tuple[float, str | None, str]:
    """(strength, the disease symptom that explains ``query``, how: exact|specific|general).

    For an ``absent`` query only the same symptom or a more specific one of the disease's
    counts: "no chest pain" rules out "pleuritic chest pain" but says nothing against a disease
    listed with "pain" (it may hurt elsewhere)."""
    best: tuple[float, str | None, str] = (0.0, None, "")
    for sid, (_, p, _, _) in disease.symptoms.items():
        if sid == query:
            m, how = p, "exact"
        elif sid in ancestors.get(query, ()):
            if absent:
                continue
            m, how = params.lam_specific * p, "specific"
        elif query in ancestors.get(sid, ()):
            m, how = params.lam_general * p, "general"
        else:
            continue
        if m > best[0]:
            best = (m, sid, how)
    return best


def score_disease(
    facts: Facts, disease: DiseaseFacts, params: DiagnosisParams
) -> tuple[float, dict[str, Any]]:
    """Log score and its explanation parts."""
    logp = params.gamma * math.log1p(disease.evidence)
    rate = params.report_rate(len(disease.symptoms))
    used: set[str] = set()
    matched, unmatched, contradicted = [], [], []
    for link in facts.present:
        m, sid, how = match_strength(link.id, disease, facts.ancestors, params)
        leak = facts.leak(link.id, params)
        logp += math.log(leak + (1 - leak) * params.theta * rate * m)
        if sid:
            used.add(sid)
            matched.append((link, sid, how, m))
        else:
            unmatched.append(link)
    for link in facts.absent:
        m, sid, how = match_strength(link.id, disease, facts.ancestors, params, absent=True)
        logp += math.log(max(1e-9, 1 - params.theta * rate * m))
        if sid:
            used.add(sid)
            contradicted.append((link, sid, how, m))
    missing = []
    for sid, (name, p, _, _) in disease.symptoms.items():
        if sid not in used:
            logp += math.log(max(1e-9, 1 - params.beta * rate * p))
            missing.append((sid, name))
    return logp, {
        "matched": matched,
        "unmatched": unmatched,
        "contradicted": contradicted,
        "expected_not_reported": missing,
    }


def rank(facts: Facts, params: DiagnosisParams) -> list[tuple[str, float, dict[str, Any]]]:
    """Diseases by descending score (ties by id, so results are deterministic)."""
    scored = [(d.id, *score_disease(facts, d, params)) for d in facts.diseases.values()]
    scored.sort(key=lambda t: (-t[1], t[0]))
    return scored


def save_params(params: DiagnosisParams, fit: dict[str, Any], path: Path = PARAMS_FILE) -> None:
    path.write_text(json.dumps({"params": asdict(params), "fit": fit}, indent=2) + "\n")
