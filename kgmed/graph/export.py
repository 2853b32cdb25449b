"""Export the graph as JSON lines (KGX-like) or RDF Turtle (rdflib).

JSON lines: one object per line with ``type`` = ``node`` | ``document`` | ``edge`` |
``evidence``. Turtle: concepts as OBO/MeSH/DrugBank/NCBI Gene IRIs, each asserted
relationship as a direct triple plus a reified ``rdf:Statement`` carrying its aggregates,
and each evidence record linked to its statement with ``kgmed:supports``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from kgmed.core.ids import content_key
from kgmed.graph import schema
from kgmed.graph.store import CypherGraphStore

PAGE = 5000

IRI_PREFIXES = {
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    "SYMP": "http://purl.obolibrary.org/obo/SYMP_",
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "DRUGBANK": "https://go.drugbank.com/drugs/",
    "NCBIGene": "https://www.ncbi.nlm.nih.gov/gene/",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/",
}
KGMED = "urn:kgmed:schema#"


def concept_iri(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    base = IRI_PREFIXES.get(prefix)
    return base + local if base else f"urn:curie:{curie}"


def _pages(store: CypherGraphStore, match: str, key: str, returns: str) -> Iterator[dict[str, Any]]:
    """Keyset pagination over ``match`` ordered by ``key`` (unique per page source)."""
    after = ""
    while True:
        rows = store._read(
            f"{match} WHERE {key} > $after RETURN {returns}, {key} AS _key "
            f"ORDER BY _key LIMIT {PAGE}",
            {"after": after},
        )
        yield from rows
        if len(rows) < PAGE:
            return
        after = rows[-1]["_key"]


def iter_records(store: CypherGraphStore) -> Iterator[dict[str, Any]]:
    """Every node, document, edge and evidence record as a plain dict."""
    concept_props = ", ".join(f"n.{p} AS {p}" for p in schema.CONCEPT_PROPERTIES)
    for label in schema.CONCEPT_LABELS:
        for row in _pages(store, f"MATCH (n:{label})", "n.id", concept_props):
            row.pop("_key")
            yield {"type": "node", "label": label, **row}
    doc_props = ", ".join(f"n.{p} AS {p}" for p in schema.DOCUMENT_PROPERTIES)
    for row in _pages(store, "MATCH (n:Document)", "n.id", doc_props):
        row.pop("_key")
        yield {"type": "document", **row}
    agg_props = ", ".join(f"x.{p} AS {p}" for p in schema.AGGREGATE_PROPERTIES if p != "statement")
    for rel in schema.ASSERTED_TYPES:
        for a, b in rel.endpoints:
            match = f"MATCH (s:{a})-[x:{rel.name}]->(o:{b})"
            returns = f"s.id AS subject, o.id AS object, {agg_props}"
            for row in _pages(store, match, "x.statement", returns):
                statement = row.pop("_key")
                yield {
                    "type": "edge",
                    "subject": row.pop("subject"),
                    "subject_label": a,
                    "predicate": rel.name,
                    "object": row.pop("object"),
                    "object_label": b,
                    "statement": statement,
                    **row,
                }
    ev_props = ", ".join(f"n.{p} AS {p}" for p in schema.EVIDENCE_PROPERTIES)
    for row in _pages(store, "MATCH (n:Evidence)", "n.id", ev_props):
        row.pop("_key")
        yield {"type": "evidence", **row}


def export_graph(store: CypherGraphStore, fmt: str, out: IO[str]) -> dict[str, int]:
    """Write the graph to ``out``; returns counts of what was written."""
    counts = {"nodes": 0, "relationships": 0, "evidence": 0, "documents": 0}
    kind_to_count = {
        "node": "nodes",
        "edge": "relationships",
        "evidence": "evidence",
        "document": "documents",
    }
    if fmt == "jsonl":
        for record in iter_records(store):
            counts[kind_to_count[record["type"]]] += 1
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        return counts
    if fmt == "ttl":
        graph = _to_rdf(store, counts, kind_to_count)
        out.write(graph.serialize(format="turtle"))
        return counts
    raise ValueError(f"unknown export format {fmt!r}")


def _to_rdf(store: CypherGraphStore, counts: dict[str, int], kind_to_count: dict[str, str]) -> Any:
    import rdflib
    from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

    g = rdflib.Graph()
    kg = rdflib.Namespace(KGMED)
    g.bind("kgmed", kg)
    g.bind("skos", SKOS)
    g.bind("dcterms", DCTERMS)
    for prefix, base in IRI_PREFIXES.items():
        g.bind(prefix.lower(), rdflib.Namespace(base))
    lit = rdflib.Literal
    for record in iter_records(store):
        counts[kind_to_count[record["type"]]] += 1
        kind = record["type"]
        if kind == "node":
            node = rdflib.URIRef(concept_iri(record["id"]))
            g.add((node, RDF.type, kg[record["label"]]))
            g.add((node, DCTERMS.identifier, lit(record["id"])))
            g.add((node, RDFS.label, lit(record["name"] or record["id"])))
            for s in record["synonyms"] or ():
                g.add((node, SKOS.altLabel, lit(s)))
            if record["definition"]:
                g.add((node, SKOS.definition, lit(record["definition"])))
            for x in record["xrefs"] or ():
                g.add(
                    (node, SKOS.exactMatch if x.startswith(("MESH:", "UMLS:")) else kg.xref, lit(x))
                )
        elif kind == "document":
            doc = rdflib.URIRef(f"urn:kgmed:document:{record['id']}")
            g.add((doc, RDF.type, kg.Document))
            g.add((doc, DCTERMS.identifier, lit(record["id"])))
            for p in ("title", "source", "kind", "checksum", "pipeline_version"):
                if record.get(p):
                    g.add((doc, kg[p], lit(record[p])))
        elif kind == "edge":
            s, o = (
                rdflib.URIRef(concept_iri(record["subject"])),
                rdflib.URIRef(concept_iri(record["object"])),
            )
            pred = kg[record["predicate"]]
            g.add((s, pred, o))
            st = rdflib.URIRef(f"urn:kgmed:statement:{content_key(record['statement'])}")
            g.add((st, RDF.type, RDF.Statement))
            g.add((st, RDF.subject, s))
            g.add((st, RDF.predicate, pred))
            g.add((st, RDF.object, o))
            g.add((st, kg.probability, lit(record["probability"], datatype=XSD.double)))
            for p in ("evidence_count", "negated_count", "document_count"):
                g.add((st, kg[p], lit(record[p], datatype=XSD.integer)))
            for src in record["sources"] or ():
                g.add((st, kg.source, lit(src)))
        else:
            ev = rdflib.URIRef(f"urn:kgmed:evidence:{record['id']}")
            st = rdflib.URIRef(f"urn:kgmed:statement:{content_key(record['statement'])}")
            g.add((ev, RDF.type, kg.Evidence))
            g.add((ev, kg.supports, st))
            g.add((ev, kg.document, rdflib.URIRef(f"urn:kgmed:document:{record['document_id']}")))
            for p in (
                "source",
                "extractor",
                "extractor_version",
                "assertion",
                "sentence",
                "section",
            ):
                if record.get(p):
                    g.add((ev, kg[p], lit(record[p])))
            g.add((ev, kg.probability, lit(record["probability"], datatype=XSD.double)))
            for p in (
                "sentence_start",
                "sentence_end",
                "subject_start",
                "subject_end",
                "object_start",
                "object_end",
            ):
                if record.get(p) is not None and record[p] >= 0:
                    g.add((ev, kg[p], lit(record[p], datatype=XSD.integer)))
    return g
