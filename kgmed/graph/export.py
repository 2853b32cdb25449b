"""Export the graph as JSON lines (KGX-like) or RDF Turtle (rdflib).

JSON lines: one object per line with ``type`` = ``node`` | ``document`` | ``edge`` |
``evidence``. Turtle: concepts as OBO/MeSH/DrugBank/NCBI Gene IRIs, each asserted
relationship as a direct triple plus a reified ``rdf:Statement`` carrying its aggregates,
and each evidence record linked to its statement with ``kgmed:supports``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
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
        if not rows:
            return
        last = rows[-1]["_key"]  # read before yielding: consumers pop "_key"
        yield from rows
        if len(rows) < PAGE:
            return
        after = last


def iter_records(store: CypherGraphStore) -> Iterator[dict[str, Any]]:
    """Every node, document, edge, evidence and mention record as a plain dict."""
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
    for label in schema.CONCEPT_LABELS:  # a page row per document: its key is unique
        match = f"MATCH (d:Document)-[m:MENTIONS]->(c:{label})"
        returns = "collect(c.id) AS concepts, collect(m.count) AS counts"
        for row in _pages(store, match, "d.id", returns):
            document = row.pop("_key")
            for concept, count in sorted(zip(row["concepts"], row["counts"], strict=True)):
                yield {
                    "type": "mention",
                    "document_id": document,
                    "label": label,
                    "concept": concept,
                    "count": count,
                }


def export_graph(store: CypherGraphStore, fmt: str, out: IO[str]) -> dict[str, int]:
    """Write the graph to ``out``; returns counts of what was written."""
    counts = {"nodes": 0, "relationships": 0, "evidence": 0, "documents": 0, "mentions": 0}
    kind_to_count = {
        "node": "nodes",
        "edge": "relationships",
        "evidence": "evidence",
        "document": "documents",
        "mention": "mentions",
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
        elif kind == "mention":  # the count stays in the property graph
            doc = rdflib.URIRef(f"urn:kgmed:document:{record['document_id']}")
            g.add((doc, kg.mentions, rdflib.URIRef(concept_iri(record["concept"]))))
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


ADMIN_ARRAY_DELIMITER = "|"
_ADMIN_TYPES = {"STRING": "string", "STRING[]": "string[]", "DOUBLE": "double", "INT64": "long"}


def export_neo4j_admin(store: CypherGraphStore, folder: Path) -> dict[str, int]:
    """CSV files for ``neo4j-admin database import full`` (a first bulk load into an empty
    Neo4j, much faster than Bolt writes), plus ``import.sh`` with the exact command.

    Nodes carry kgmed's schema properties; each asserted relationship its aggregates; each
    evidence record its EVIDENCE_FOR (to the subject, with ``statement``) and FROM_DOCUMENT
    links, as kgmed's own writes create them. Arrays use ``|`` as delimiter.
    """
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    counts = {"nodes": 0, "relationships": 0, "evidence": 0, "documents": 0, "mentions": 0}
    writers: dict[str, Any] = {}
    handles = []
    d = ADMIN_ARRAY_DELIMITER

    def writer(name: str, header: list[str]) -> Any:
        if name not in writers:
            fh = (folder / f"{name}.csv").open("w", newline="", encoding="utf-8")
            handles.append(fh)
            writers[name] = csv.writer(fh)
            writers[name].writerow(header)
        return writers[name]

    def header(props: dict[str, str], key: str) -> list[str]:
        return [
            f"{p}:ID({key})" if p == "id" else f"{p}:{_ADMIN_TYPES[t]}" for p, t in props.items()
        ]

    def cell(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return d.join(str(v).replace(d, " ") for v in value)
        return "" if value is None else value

    label_of: dict[str, str] = {}  # concept id -> label (nodes come first); one ID space each
    try:
        for record in iter_records(store):
            kind = record["type"]
            if kind == "node":
                props = schema.CONCEPT_PROPERTIES
                label = record["label"]
                w = writer(f"nodes_{label}", [*header(props, label), ":LABEL"])
                w.writerow([cell(record.get(p)) for p in props] + [label])
                label_of[record["id"]] = label
                counts["nodes"] += 1
            elif kind == "document":
                props = schema.DOCUMENT_PROPERTIES
                w = writer("nodes_Document", [*header(props, "Document"), ":LABEL"])
                w.writerow([cell(record.get(p)) for p in props] + ["Document"])
                counts["documents"] += 1
            elif kind == "edge":
                props = schema.AGGREGATE_PROPERTIES
                a, b = record["subject_label"], record["object_label"]
                w = writer(
                    f"rels_{record['predicate']}_{a}_{b}",
                    [
                        f":START_ID({a})",
                        f":END_ID({b})",
                        ":TYPE",
                        *(f"{p}:{_ADMIN_TYPES[t]}" for p, t in props.items()),
                    ],
                )
                w.writerow(
                    [
                        record["subject"],
                        record["object"],
                        record["predicate"],
                        *(cell(record.get(p)) for p in props),
                    ]
                )
                counts["relationships"] += 1
            elif kind == "mention":
                label = record["label"]
                writer(
                    f"rels_MENTIONS_{label}",
                    [":START_ID(Document)", f":END_ID({label})", ":TYPE", "count:long"],
                ).writerow([record["document_id"], record["concept"], "MENTIONS", record["count"]])
                counts["mentions"] += 1
            else:
                props = schema.EVIDENCE_PROPERTIES
                w = writer("nodes_Evidence", [*header(props, "Evidence"), ":LABEL"])
                w.writerow([cell(record.get(p)) for p in props] + ["Evidence"])
                a = label_of[record["subject"]]
                writer(
                    f"rels_EVIDENCE_FOR_{a}", [":START_ID(Evidence)", f":END_ID({a})", ":TYPE"]
                ).writerow([record["id"], record["subject"], "EVIDENCE_FOR"])
                writer(
                    "rels_FROM_DOCUMENT", [":START_ID(Evidence)", ":END_ID(Document)", ":TYPE"]
                ).writerow([record["id"], record["document_id"], "FROM_DOCUMENT"])
                counts["evidence"] += 1
    finally:
        for fh in handles:
            fh.close()
    nodes = sorted(p.name for p in folder.glob("nodes_*.csv"))
    rels = sorted(p.name for p in folder.glob("rels_*.csv"))
    script = (
        "#!/bin/sh\n# Bulk-load this folder into an EMPTY Neo4j database (the server stopped),\n"
        "# then start Neo4j and run any kgmed command once: it creates the constraints.\n"
        'cd "$(dirname "$0")"\n'
        "neo4j-admin database import full neo4j --overwrite-destination "
        f"--array-delimiter='{d}' --multiline-fields=true \\\n"
        + "".join(f"  --nodes={n} \\\n" for n in nodes)
        + " \\\n".join(f"  --relationships={r}" for r in rels)
        + "\n"
    )
    (folder / "import.sh").write_text(script)
    (folder / "import.sh").chmod(0o755)
    return counts
