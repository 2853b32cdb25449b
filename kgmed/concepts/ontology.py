"""Readers for the ontologies and vocabularies kgmed ships (all CC0).

* Disease Ontology: OBO (``doid.obo.gz``) with pronto, supplemented by the newer DO report
  tables (``HumanDO.tsv`` for terms, ``allXREFinDO.tsv`` for cross-references).
* Symptom Ontology: OWL/RDF (``symp.owl``) with rdflib, plus the lay terms kgmed's developers
  wrote for its symptoms (``symptom-lay-terms.tsv``: "yellow skin" for jaundice).
* DO's disease-symptom table (``disease-symptom.tsv``): curated HAS_SYMPTOM facts.
* DrugBank open vocabulary (``drugbank_vocabulary.csv``): drugs as Chemical concepts.
* Drug classes (``drug-classes.tsv``, written by kgmed's developers from the WHO's INN stems):
  a drug whose name carries a class's stem ("-pril", "-sartan") IS_A that class.

Readers return records; they do not touch the graph. A file that cannot be parsed raises
:class:`~kgmed.core.errors.OntologyError` naming the file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from kgmed.concepts.linking import normalize
from kgmed.core.errors import OntologyError
from kgmed.core.ids import normalize_curie
from kgmed.core.records import Concept, Document, Evidence, Relation
from kgmed.resources import ontology_dir

EXTRACTOR = "kgmed.ontology_reader"
EXTRACTOR_VERSION = "1"


@dataclass
class OntologyPaths:
    """The ontology files kgmed reads (``kgmed ontology load``, the evaluation linker and
    lexicon); ``shipped()`` names the copies in the package, the one place that spells them."""

    doid: Path
    doid_terms: Path | None
    doid_xrefs: Path | None
    symp: Path
    disease_symptom: Path
    drugbank: Path
    symp_lay_terms: Path | None = None
    drug_classes: Path | None = None

    @classmethod
    def shipped(cls) -> OntologyPaths:
        d = ontology_dir()
        return cls(
            doid=d / "doid.obo.gz",
            doid_terms=d / "HumanDO.tsv",
            doid_xrefs=d / "allXREFinDO.tsv",
            symp=d / "symp.owl",
            disease_symptom=d / "disease-symptom.tsv",
            drugbank=d / "drugbank_vocabulary.csv",
            symp_lay_terms=d / "symptom-lay-terms.tsv",
            drug_classes=d / "drug-classes.tsv",
        )


@dataclass
class OntologyContent:
    """Concepts and curated relations read from one source, and the document they came from."""

    source: str
    document: Document
    concepts: list[Concept] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)


def dataset_document(source: str, path: Path, version: str) -> Document:
    """A Document node standing for a curated file, so its facts keep their provenance."""
    return Document(
        id=f"dataset:{path.name}@{version}",
        title=f"{source} {path.name} ({version})",
        source=source,
        kind="dataset",
        pipeline_version=EXTRACTOR_VERSION,
    )


def curated_evidence(document: Document, source: str) -> Evidence:
    return Evidence(
        document_id=document.id,
        source=source,
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
        probability=1.0,
    )


def _require(path: Path) -> Path:
    if not path.is_file():
        raise OntologyError(f"ontology file not found: {path}")
    return path


def _obo_version(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for line in fh:
            if line.startswith("data-version:"):
                return line.split(":", 1)[1].strip().split("/")[-2 if "/" in line else -1]
            if line.startswith("[Term]"):
                break
    return "unknown"


def read_disease_ontology(
    obo: Path, terms_tsv: Path | None = None, xrefs_tsv: Path | None = None
) -> OntologyContent:
    """Disease concepts (id, name, synonyms, definition, xrefs) and IS_A relations."""
    import pronto

    _require(obo)
    try:
        ontology = pronto.Ontology(str(obo))
        version = _obo_version(obo)
    except Exception as exc:  # pronto raises several parser-specific types
        raise OntologyError(f"cannot parse the Disease Ontology file {obo}: {exc}") from exc
    document = dataset_document("DO", obo, version)
    evidence = (curated_evidence(document, "DO"),)
    concepts: dict[str, Concept] = {}
    parents: dict[str, set[str]] = {}
    for term in ontology.terms():
        if term.obsolete or not term.id.startswith("DOID:"):
            continue
        concepts[term.id] = Concept(
            id=term.id,
            label="Disease",
            name=term.name or term.id,
            synonyms=tuple(
                sorted({s.description for s in term.synonyms if s.scope in ("EXACT", "RELATED")})
            ),
            definition=str(term.definition or ""),
            xrefs=tuple(sorted({normalize_curie(x.id) for x in term.xrefs})),
            source="DO",
        )
        parents[term.id] = {
            p.id for p in term.superclasses(distance=1, with_self=False) if p.id.startswith("DOID:")
        }
    if terms_tsv is not None:
        _add_newer_terms(_require(terms_tsv), concepts, parents)
    if xrefs_tsv is not None:
        _add_xrefs(_require(xrefs_tsv), concepts)
    relations = [
        Relation(child, "Disease", "IS_A", parent, "Disease", evidence)
        for child, ps in parents.items()
        for parent in sorted(ps)
        if parent in concepts
    ]
    return OntologyContent("DO", document, list(concepts.values()), relations)


def _read_quoted_tsv(path: Path) -> Iterator[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            for row in reader:
                yield {k: (v or "").strip().strip('"') for k, v in row.items() if k}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OntologyError(f"cannot read {path}: {exc}") from exc


def _add_newer_terms(
    path: Path, concepts: dict[str, Concept], parents: dict[str, set[str]]
) -> None:
    """Add DO terms newer than the OBO release; parents are given by label in this table."""
    rows = list(_read_quoted_tsv(path))
    if rows and not {"id", "label", "subClassOf"} <= rows[0].keys():
        raise OntologyError(f"{path} lacks the columns id, label, subClassOf")
    by_name = {c.name: c.id for c in concepts.values()}
    by_name.update({r["label"]: r["id"] for r in rows if r.get("id", "").startswith("DOID:")})
    for r in rows:
        doid = r["id"]
        if not doid.startswith("DOID:") or doid in concepts:
            continue
        concepts[doid] = Concept(id=doid, label="Disease", name=r["label"] or doid, source="DO")
        parent = by_name.get(r["subClassOf"])
        parents.setdefault(doid, set())
        if parent:
            parents[doid].add(parent)


def _add_xrefs(path: Path, concepts: dict[str, Concept]) -> None:
    extra: dict[str, set[str]] = {}
    for r in _read_quoted_tsv(path):
        doid, xref = r.get("id", ""), r.get("xref", "")
        if doid in concepts and xref:
            extra.setdefault(doid, set()).add(normalize_curie(xref))
    for doid, xrefs in extra.items():
        c = concepts[doid]
        merged = tuple(sorted(set(c.xrefs) | xrefs))
        if merged != c.xrefs:
            concepts[doid] = replace(c, xrefs=merged)


def read_symptom_ontology(owl: Path, lay_terms: Path | None = None) -> OntologyContent:
    """Symptom concepts and IS_A relations from the Symptom Ontology OWL file (rdflib), with
    the lay terms of ``lay_terms`` (see :func:`add_lay_terms`) among their synonyms."""
    import rdflib
    from rdflib.namespace import OWL, RDF, RDFS

    _require(owl)
    graph = rdflib.Graph()
    try:
        graph.parse(str(owl), format="xml")
    except Exception as exc:  # rdflib surfaces SAX and plugin errors
        raise OntologyError(f"cannot parse the Symptom Ontology file {owl}: {exc}") from exc
    obo = rdflib.Namespace("http://purl.obolibrary.org/obo/")
    oio = rdflib.Namespace("http://www.geneontology.org/formats/oboInOwl#")
    version = "unknown"
    for _, _, v in graph.triples((None, OWL.versionIRI, None)):
        parts = str(v).split("/")
        version = parts[-2] if len(parts) > 2 else str(v)
    document = dataset_document("SYMP", owl, version)
    evidence = (curated_evidence(document, "SYMP"),)

    def curie(node: rdflib.term.Node) -> str | None:
        text = str(node)
        if text.startswith(str(obo) + "SYMP_"):
            return "SYMP:" + text.rsplit("SYMP_", 1)[1]
        return None

    concepts: dict[str, Concept] = {}
    relations: list[Relation] = []
    for cls in graph.subjects(RDF.type, OWL.Class):
        cid = curie(cls)
        if cid is None or str(graph.value(cls, OWL.deprecated) or "").lower() == "true":
            continue
        name = str(graph.value(cls, RDFS.label) or cid)
        if name.startswith("obsolete "):
            continue
        synonyms = sorted(
            {
                str(s)
                for pred in (oio.hasExactSynonym, oio.hasRelatedSynonym)
                for s in graph.objects(cls, pred)
            }
        )
        concepts[cid] = Concept(
            id=cid,
            label="Symptom",
            name=name,
            synonyms=tuple(synonyms),
            definition=str(graph.value(cls, obo.IAO_0000115) or ""),
            xrefs=tuple(
                sorted({normalize_curie(str(x)) for x in graph.objects(cls, oio.hasDbXref)})
            ),
            source="SYMP",
        )
    for cid in concepts:
        cls = obo["SYMP_" + cid.split(":", 1)[1]]
        for parent in graph.objects(cls, RDFS.subClassOf):
            pid = curie(parent)
            if pid in concepts:
                relations.append(Relation(cid, "Symptom", "IS_A", pid, "Symptom", evidence))
    if not concepts:
        raise OntologyError(f"no Symptom Ontology classes found in {owl}")
    if lay_terms is not None:
        add_lay_terms(lay_terms, concepts)
    return OntologyContent("SYMP", document, list(concepts.values()), relations)


def add_lay_terms(path: Path, concepts: dict[str, Concept]) -> None:
    """Add the lay terms of a ``symptom_id, symptom_name, lay_term`` TSV to the symptoms'
    synonyms. SYMP names few of the words patients use ("yellow skin", "pins and needles");
    these then link exactly instead of by a loose embedding match. Each row must name a SYMP
    term by its id and current label (a typo or a renamed term is an error, not a silent
    miss), and a lay term must not already name another symptom."""
    _require(path)
    # keyed as the concept index keys names, so a term that would collide there is caught
    taken = {normalize(n): c.id for c in concepts.values() for n in (c.name, *c.synonyms)}
    extra: dict[str, set[str]] = {}
    columns = ("symptom_id", "symptom_name", "lay_term")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        if not set(columns) <= set(reader.fieldnames or ()):
            raise OntologyError(f"{path} needs the tab-separated columns {', '.join(columns)}")
        for line, r in enumerate(reader, start=2):
            sid, name, term = (str(r[k] or "").strip() for k in columns)
            if not term:
                raise OntologyError(f"{path}:{line}: the lay term is empty")
            c = concepts.get(sid)
            if c is None or c.name != name:
                raise OntologyError(
                    f"{path}:{line}: {sid} is not the Symptom Ontology term {name!r}"
                )
            owner = taken.get(normalize(term))
            if owner not in (None, sid):
                raise OntologyError(f"{path}:{line}: {term!r} already names {owner}")
            extra.setdefault(sid, set()).add(term)
    for sid, terms in extra.items():
        c = concepts[sid]
        concepts[sid] = replace(c, synonyms=tuple(sorted(set(c.synonyms) | terms)))


def read_disease_symptoms(
    tsv: Path, known_diseases: set[str], known_symptoms: set[str]
) -> tuple[OntologyContent, int]:
    """Curated HAS_SYMPTOM facts; returns the content and how many rows were skipped
    because an endpoint is unknown to the loaded ontologies."""
    _require(tsv)
    document = dataset_document("DO", tsv, "2026")
    evidence = (curated_evidence(document, "DO"),)
    relations: dict[tuple[str, str], Relation] = {}
    skipped = 0
    rows = list(_read_quoted_tsv(tsv))
    if rows and not {"disease_id", "symptom_id"} <= rows[0].keys():
        raise OntologyError(f"{tsv} lacks the columns disease_id, symptom_id")
    for r in rows:
        d, s = normalize_curie(r["disease_id"]), normalize_curie(r["symptom_id"])
        if d not in known_diseases or s not in known_symptoms:
            skipped += 1
            continue
        relations[(d, s)] = Relation(d, "Disease", "HAS_SYMPTOM", s, "Symptom", evidence)
    return OntologyContent("DO", document, [], list(relations.values())), skipped


def read_drugbank_vocabulary(path: Path) -> OntologyContent:
    """DrugBank open vocabulary: one Chemical concept per drug, id ``DRUGBANK:DB#####``."""
    _require(path)
    document = dataset_document("DrugBank", path, "open-vocabulary")
    concepts = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            needed = {"DrugBank ID", "Common name", "Synonyms"}
            if reader.fieldnames is None or not needed <= set(reader.fieldnames):
                raise OntologyError(f"{path} lacks the DrugBank columns {sorted(needed)}")
            for row in reader:
                dbid = (row.get("DrugBank ID") or "").strip()
                name = (row.get("Common name") or "").strip()
                if not dbid or not name:
                    continue
                synonyms = {
                    s.strip() for s in (row.get("Synonyms") or "").split(" | ") if s.strip()
                }
                synonyms.discard(name)
                xrefs = [
                    f"{prefix}:{value.strip()}"
                    for prefix, col in (
                        ("CAS", "CAS"),
                        ("UNII", "UNII"),
                        ("INCHIKEY", "Standard InChI Key"),
                    )
                    if (value := row.get(col) or "").strip()
                ]
                concepts.append(
                    Concept(
                        id=normalize_curie(dbid),
                        label="Chemical",
                        name=name,
                        synonyms=tuple(sorted(synonyms)),
                        xrefs=tuple(xrefs),
                        source="DrugBank",
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OntologyError(f"cannot read the DrugBank vocabulary {path}: {exc}") from exc
    if not concepts:
        raise OntologyError(f"no drugs found in {path}")
    return OntologyContent("DrugBank", document, concepts, [])


# A drug name a stem may classify: at most three words of letters (a base and a salt or ester,
# "fluticasone propionate"); systematic names, mixtures and vaccines, whose words hit stems by
# accident ("propylene glycol", "...(propiolactone inactivated)"), are left unclassified.
_CLASSIFIABLE_NAME = re.compile(r"^[a-z-]+( [a-z-]+){0,2}$")
DRUG_CLASS_SOURCE = "kgmed drug classes"


@dataclass(frozen=True)
class DrugClass:
    """A pharmacological class recognised by the INN stems in its members' names."""

    id: str
    name: str
    pattern: re.Pattern[str]


def read_drug_class_table(path: Path) -> list[DrugClass]:
    """The ``id, name, pattern`` rows of ``drug-classes.tsv`` in file order (the first class
    whose pattern matches a word of a drug's name wins)."""
    _require(path)
    classes = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        if not {"id", "name", "pattern"} <= set(reader.fieldnames or ()):
            raise OntologyError(f"{path} needs the tab-separated columns id, name, pattern")
        for line, r in enumerate(reader, start=2):
            try:
                pattern = re.compile(r["pattern"])
            except re.error as exc:
                raise OntologyError(f"{path}:{line}: bad pattern {r['pattern']!r}: {exc}") from exc
            classes.append(DrugClass(r["id"].strip(), r["name"].strip(), pattern))
    ids = [c.id for c in classes]
    if len(set(ids)) != len(ids):
        raise OntologyError(f"{path}: a class id is repeated")
    return classes


def drug_class_of(name: str, classes: list[DrugClass]) -> DrugClass | None:
    """The class whose stem a word of the drug's name carries ("ramipril" -> ACE inhibitor)."""
    text = name.lower().replace("/", " ").strip()
    if not _CLASSIFIABLE_NAME.match(text):
        return None
    words = text.split()
    return next((c for c in classes if any(c.pattern.search(w) for w in words)), None)


def read_drug_classes(path: Path, drugs: OntologyContent) -> OntologyContent:
    """Drug classes as Chemical concepts (as MeSH files pharmacologic classes under its
    chemicals tree) and each drug's IS_A to its class. A class no drug falls in is left out."""
    classes = read_drug_class_table(path)
    # versioned by content: a revised table is a new document, and the loader retires the old
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    document = dataset_document(DRUG_CLASS_SOURCE, path, version)
    evidence = (curated_evidence(document, "INN stems"),)
    relations = []
    used: set[str] = set()
    for drug in drugs.concepts:
        found = drug_class_of(drug.name, classes)
        if found is not None:
            used.add(found.id)
            relations.append(Relation(drug.id, "Chemical", "IS_A", found.id, "Chemical", evidence))
    concepts = [
        Concept(id=c.id, label="Chemical", name=c.name, source=DRUG_CLASS_SOURCE)
        for c in classes
        if c.id in used
    ]
    return OntologyContent(DRUG_CLASS_SOURCE, document, concepts, relations)
