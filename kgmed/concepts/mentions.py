"""Link NER mentions to one concept id each ("one concept, one node").

Order of attempts, per type:

* Disease: Disease Ontology name or synonym -> ``DOID``; else a Symptom Ontology name or
  synonym -> ``SYMP`` (the NER corpora annotate symptoms such as "fever" as diseases; the link
  then carries the label Symptom); else a MeSH id (the dictionary, the vocabulary, the nearest
  neighbour), and through DO's MESH cross-reference -> ``DOID``; else the MeSH id itself.
* Chemical: DrugBank name or synonym -> ``DRUGBANK``; else a MeSH id (the dictionary, the
  vocabulary, the nearest neighbour) -> ``MESH``.
* Symptom: Symptom Ontology name or synonym -> ``SYMP``.

Abbreviations are linked through their long form when the document defines them. MeSH ids
(:meth:`MentionLinker.mesh_id`, which evaluation and relation extraction read) come from, in
this order:

1. the MeSH dictionary (``kgmed/data/mesh_dictionary.tsv``): normalized mention texts -> MeSH
   id, learnt from the gold mentions of BC5CDR and NCBI-disease train and dev and of BioRED
   (public domain); never from their test splits. It carries the corpora's own usage
   ("psychosis" -> the id annotators chose, not always the one MeSH names so);
2. the MeSH vocabulary (``kgmed/data/mesh_vocabulary.tsv.gz``): the names and entry terms of
   MeSH 2024 descriptors (diseases: trees C and F03; chemicals: tree D) and supplementary
   concepts (courtesy of the U.S. National Library of Medicine; version, terms and
   modifications in ``kgmed/data/README.md``);
3. a bridge through another vocabulary: a DO term's MeSH cross-reference; a DrugBank drug's
   MeSH id (from a dictionary name DrugBank also knows, or one of its DrugBank names that the
   MeSH vocabulary holds);
4. the nearest dictionary text or DO name by MiniLM similarity, above a threshold per type.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgmed.concepts.linking import ConceptIndex, normalize

if TYPE_CHECKING:
    from kgmed.concepts.ontology import OntologyPaths

MESH_DICTIONARY = Path(__file__).resolve().parents[1] / "data" / "mesh_dictionary.tsv"
MESH_VOCABULARY = Path(__file__).resolve().parents[1] / "data" / "mesh_vocabulary.tsv.gz"
# MiniLM cosine a nearest neighbour needs, per type, chosen on BC5CDR dev with a train-only
# dictionary: diseases 0.55 (best accuracy); chemicals 0.75, where accuracy is within 0.05
# points of the best (0.65) and wrong neighbours fall from 151 to 39 (the MeSH vocabulary
# already names most chemicals, so the unseen rest are mostly codes and abbreviations).
THRESHOLDS = {"Disease": 0.55, "Chemical": 0.75}
# Mentions that name an ontology's root class ("symptoms", "disease"), not a finding: linking
# them gave diseases a HAS_SYMPTOM "symptom" from co-occurrence. They stay unlinked (counted).
GENERIC_MENTIONS = frozenset(
    {"symptom", "symptoms", "sign", "signs", "disease", "diseases", "disorder", "disorders"}
)


@dataclass(frozen=True)
class Linked:
    id: str
    label: str
    method: str  # ontology | mesh->do | mesh | none


def build_mesh_dictionary(mentions: Iterable[tuple[str, str, tuple[str, ...]]]) -> list[list[str]]:
    """Rows ``(normalized text, type, MeSH id, count)``: the most frequent id per text and type,
    from ``(text, type, ids)`` gold mentions (composite mentions with several ids are skipped)."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for text, etype, ids in mentions:
        if len(ids) != 1 or not ids[0].startswith("MESH:"):
            continue
        key = normalize(text)
        if key:
            counts[(key, etype)][ids[0]] += 1
    rows = []
    for (key, etype), c in sorted(counts.items()):
        mesh, n = c.most_common(1)[0]
        rows.append([key, etype, mesh, str(n)])
    return rows


def mesh_to_do_map(diseases: Iterable[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """MeSH id -> DOID from (DOID, xrefs) pairs; the first DOID (in id order) wins."""
    out: dict[str, str] = {}
    for doid, xrefs in sorted(diseases):
        for x in xrefs or ():
            if x.startswith("MESH:"):
                out.setdefault(x, doid)
    return out


def read_mesh_dictionary(path: Path = MESH_DICTIONARY) -> dict[tuple[str, str], str]:
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {(r["text"], r["type"]): r["mesh"] for r in csv.DictReader(fh, delimiter="\t")}


def _text_or_singular(table: dict[tuple[str, str], str], text: str, etype: str) -> str | None:
    """``table``'s id for a mention text, else for the text less a final "s"."""
    key = normalize(text)
    hit = table.get((key, etype))
    if hit is None and key.endswith("s"):
        hit = table.get((key[:-1], etype))
    return hit


class MeshVocabulary:
    """MeSH names per type: normalized text -> MeSH id, and each id's preferred name.

    Read from the rows ``text, type, mesh, name`` that ``kgmed train linker --mesh`` writes
    (texts already normalized; ``name`` only on the row of the concept's preferred name)."""

    def __init__(
        self, terms: dict[tuple[str, str], str], names: dict[str, str] | None = None
    ) -> None:
        self.terms = terms
        self.names = names or {}

    @classmethod
    def read(cls, path: Path = MESH_VOCABULARY) -> MeshVocabulary:
        """The vocabulary in ``path`` (gzip TSV); empty when the file is absent."""
        if not path.is_file():
            return cls({})
        terms: dict[tuple[str, str], str] = {}
        names: dict[str, str] = {}
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            for line in fh:
                if line.startswith("#") or line.startswith("text\t"):
                    continue
                text, etype, mesh_id, name = line.rstrip("\n").split("\t")
                terms[(text, etype)] = mesh_id
                if name:
                    names[mesh_id] = name
        return cls(terms, names)

    def lookup(self, text: str, etype: str) -> str | None:
        """The MeSH id a mention text names, or its singular does ("anthracyclines")."""
        return _text_or_singular(self.terms, text, etype)

    def name(self, mesh_id: str) -> str | None:
        return self.names.get(mesh_id)

    def ids(self, etype: str) -> set[str]:
        return {m for (_, t), m in self.terms.items() if t == etype}


@cache
def shipped_vocabulary() -> MeshVocabulary:
    """The MeSH vocabulary in the package, read once per process (about 557,000 names)."""
    return MeshVocabulary.read()


class MentionLinker:
    """Links (text, type) mentions with the indexes of the loaded ontologies."""

    def __init__(
        self,
        diseases: ConceptIndex,
        chemicals: ConceptIndex,
        symptoms: ConceptIndex,
        mesh_to_do: dict[str, str],
        mesh: dict[tuple[str, str], str] | None = None,
        *,
        vocabulary: MeshVocabulary | None = None,
        embedder: Any | None = None,
        thresholds: dict[str, float] | None = None,
    ) -> None:
        self.indexes = {"Disease": diseases, "Chemical": chemicals, "Symptom": symptoms}
        self.mesh_to_do = mesh_to_do
        self.mesh = read_mesh_dictionary() if mesh is None else mesh
        self.vocabulary = shipped_vocabulary() if vocabulary is None else vocabulary
        self.do_to_mesh: dict[str, str] = {}
        for m, d in sorted(mesh_to_do.items()):
            self.do_to_mesh.setdefault(d, m)
        self.drugbank_to_mesh = self._drugbank_to_mesh()
        self.embedder = embedder
        self.thresholds = THRESHOLDS if thresholds is None else thresholds
        self._vectors: dict[str, tuple[list[str], Any]] = {}  # type -> (MeSH ids, vectors)
        self._nearest: dict[tuple[str, str], str | None] = {}  # mention texts repeat a lot

    def _drugbank_to_mesh(self) -> dict[str, str]:
        """DrugBank id -> MeSH id, learnt from the dictionary's chemical names that DrugBank
        also knows: a DrugBank synonym unseen in the corpora ("glyceryl trinitrate") then
        reaches the MeSH id of a seen one ("nitroglycerin")."""
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for (text, etype), mesh_id in sorted(self.mesh.items()):
            if etype == "Chemical":
                hit = self.indexes["Chemical"].lookup(text)
                if hit is not None:
                    votes[hit.id][mesh_id] += 1
        return {db: c.most_common(1)[0][0] for db, c in sorted(votes.items())}

    def _nearest_mesh(self, text: str, etype: str) -> str | None:
        """The MeSH id of the most similar dictionary entry (MiniLM cosine >= the type's
        threshold)."""
        if self.embedder is None:
            return None
        key = (normalize(text), etype)
        if key not in self._nearest:
            self._nearest[key] = self._nearest_uncached(text, etype)
        return self._nearest[key]

    def _nearest_uncached(self, text: str, etype: str) -> str | None:
        self.prefetch([(text, etype)], force=True)
        return self._nearest[(normalize(text), etype)]

    def prefetch(self, mentions: Iterable[tuple[str, str]], *, force: bool = False) -> None:
        """Find the nearest dictionary entries of many unseen mention texts in one batched
        encoder pass (ingest calls it per batch of documents; one text at a time is slow).
        Texts the ontology or the dictionary already link are skipped unless ``force``."""
        if self.embedder is None:
            return
        todo: dict[str, list[str]] = defaultdict(list)
        for text, etype in mentions:
            key = normalize(text)
            if etype not in ("Disease", "Chemical") or (key, etype) in self._nearest:
                continue
            unseen = (
                self._dictionary(key, etype) is None
                and self.vocabulary.lookup(key, etype) is None
                and self.indexes[etype].lookup(text) is None
            )
            if (force or unseen) and key not in todo[etype]:
                todo[etype].append(key)
        for etype, keys in todo.items():
            if not keys:
                continue
            if etype not in self._vectors:
                candidates = self._candidates(etype)
                entries = sorted(candidates)
                ids = [candidates[k] for k in entries]
                matrix = self.embedder.encode(entries) if entries else None
                self._vectors[etype] = (ids, matrix)
            ids, matrix = self._vectors[etype]
            if not ids:
                self._nearest.update({(k, etype): None for k in keys})
                continue
            sims = self.embedder.encode(keys) @ matrix.T
            threshold = self.thresholds[etype]
            for key, row in zip(keys, sims, strict=True):
                best = int(row.argmax())
                self._nearest[(key, etype)] = ids[best] if row[best] >= threshold else None

    def _candidates(self, etype: str) -> dict[str, str]:
        """Normalized texts -> MeSH id that the embedding search compares unseen mentions
        with: the dictionary's texts, and for diseases also the Disease Ontology names and
        synonyms of concepts with a MeSH cross-reference (the dictionary wins a shared text).
        On BC5CDR dev with a train-only dictionary the DO names raise disease accuracy
        0.8436 -> 0.8482."""
        out = {k: m for (k, t), m in self.mesh.items() if t == etype}
        if etype == "Disease":
            for key, (cid, _) in sorted(self.indexes["Disease"].by_text.items()):
                mesh_id = self.do_to_mesh.get(cid)
                if mesh_id is not None:
                    out.setdefault(key, mesh_id)
        return out

    def mesh_id(self, text: str, etype: str, long_form: str | None = None) -> str | None:
        """The MeSH id of a mention text (the order in the module's docstring); an
        abbreviation through its ``long_form`` first, when the document defines one."""
        if long_form:
            hit = self._mesh_id(long_form, etype)
            if hit is not None:
                return hit
        return self._mesh_id(text, etype)

    def _dictionary(self, text: str, etype: str) -> str | None:
        """The MeSH dictionary's id for a mention text, or for its singular ("seizures")."""
        return _text_or_singular(self.mesh, text, etype)

    def _mesh_id(self, text: str, etype: str) -> str | None:
        if etype not in ("Disease", "Chemical"):
            return None
        hit = self._dictionary(text, etype) or self.vocabulary.lookup(text, etype)
        if hit is None:
            hit = self._bridge(text, etype)
        if hit is None:
            hit = self._nearest_mesh(text, etype)
        return hit

    def _bridge(self, text: str, etype: str) -> str | None:
        """The MeSH id of the DO term or DrugBank drug the text names."""
        index = self.indexes[etype]
        link = index.lookup(text)
        if link is None:
            return None
        if etype == "Disease":
            return self.do_to_mesh.get(link.id)
        hit = self.drugbank_to_mesh.get(link.id)
        if hit is None:  # "glyceryl trinitrate": its DrugBank name, "Nitroglycerin", is MeSH's
            for name in index.texts_of(link.id):
                hit = self.vocabulary.lookup(name, etype)
                if hit is not None:
                    break
        return hit

    def link(self, text: str, etype: str, long_form: str | None = None) -> Linked:
        if normalize(text) in GENERIC_MENTIONS:
            return Linked("", etype, "none")
        for surface in ([long_form] if long_form else []) + [text]:
            linked = self._link(surface, etype)
            if linked.id:
                return linked
        return Linked("", etype, "none")

    def _link(self, text: str, etype: str) -> Linked:
        index = self.indexes.get(etype)
        if index is not None:
            hit = index.lookup(text)
            if hit is not None:
                return Linked(hit.id, etype, "ontology")
        if etype == "Disease":  # corpora tag symptoms as diseases ("fever"): one symptom node
            hit = self.indexes["Symptom"].lookup(text)
            if hit is not None:
                return Linked(hit.id, "Symptom", "ontology")
        if etype in ("Disease", "Chemical"):
            mesh = (
                self._dictionary(text, etype)
                or self.vocabulary.lookup(text, etype)
                or self._nearest_mesh(text, etype)
            )
            if mesh is not None:
                if etype == "Disease" and mesh in self.mesh_to_do:
                    return Linked(self.mesh_to_do[mesh], etype, "mesh->do")
                return Linked(mesh, etype, "mesh")
        return Linked("", etype, "none")

    def name(self, mesh_id: str) -> str | None:
        """MeSH's preferred name of an id the linker returned, when the vocabulary has it."""
        return self.vocabulary.name(mesh_id)


def linker_from_ontologies(
    embedder: Any | None = None, paths: OntologyPaths | None = None
) -> MentionLinker:
    """A linker over the ontology files (the shipped ones by default): no graph needed, for
    evaluation and benchmarks."""
    from kgmed.concepts.ontology import (
        OntologyPaths,
        read_disease_ontology,
        read_drugbank_vocabulary,
        read_symptom_ontology,
    )

    paths = paths or OntologyPaths.shipped()
    do = read_disease_ontology(paths.doid, paths.doid_terms, paths.doid_xrefs)
    symp = read_symptom_ontology(paths.symp, paths.symp_lay_terms)
    drugs = read_drugbank_vocabulary(paths.drugbank)
    mesh_to_do = mesh_to_do_map((c.id, c.xrefs) for c in do.concepts)

    def index(concepts: list) -> ConceptIndex:
        return ConceptIndex((c.id, c.name, c.synonyms) for c in concepts)

    return MentionLinker(
        index(do.concepts),
        index(drugs.concepts),
        index(symp.concepts),
        mesh_to_do,
        embedder=embedder,
    )
