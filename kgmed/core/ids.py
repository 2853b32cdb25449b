"""Identifiers: CURIE normalization and content hashes.

kgmed writes every concept id as a CURIE with one canonical prefix spelling (``MESH:D003920``,
``DOID:9352``, ``SYMP:0000613``, ``DRUGBANK:DB00331``, ``NCBIGene:5468``). Sources spell
prefixes in many ways; :func:`normalize_curie` maps them, and is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import re

# Lower-cased source prefix -> canonical prefix.
_PREFIXES: dict[str, str] = {
    "doid": "DOID",
    "symp": "SYMP",
    "mesh": "MESH",
    "msh": "MESH",
    "drugbank": "DRUGBANK",
    "db": "DRUGBANK",
    "ncbigene": "NCBIGene",
    "ncbi_gene": "NCBIGene",
    "entrez": "NCBIGene",
    "gene": "NCBIGene",
    "umls": "UMLS",
    "umls_cui": "UMLS",
    "omim": "OMIM",
    "mim": "OMIM",
    "icd10cm": "ICD10CM",
    "icd9cm": "ICD9CM",
    "snomedct": "SNOMEDCT",
    "snomedct_us": "SNOMEDCT",
    "nci": "NCIT",
    "ncit": "NCIT",
    "ordo": "ORPHANET",
    "orphanet": "ORPHANET",
    "gard": "GARD",
    "efo": "EFO",
    "kegg": "KEGG",
    "cas": "CAS",
    "unii": "UNII",
    "inchikey": "INCHIKEY",
    "pmid": "PMID",
    "hp": "HP",
}

_DRUGBANK_BARE = re.compile(r"^DB\d{5}$")
_MESH_BARE = re.compile(r"^[CD]\d{6,9}$")
_SNOMED_VERSIONED = re.compile(r"^snomedct_us_\d{4}_\d{2}_\d{2}$")


def normalize_curie(value: str) -> str:
    """Return the canonical CURIE for ``value``.

    Bare DrugBank (``DB00331``) and MeSH (``D003920``) ids get their prefix; versioned SNOMED
    prefixes lose the version; unknown prefixes are kept as written. Raises ``ValueError`` for
    an empty value.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty identifier")
    if ":" not in text:
        if _DRUGBANK_BARE.match(text):
            return f"DRUGBANK:{text}"
        if _MESH_BARE.match(text):
            return f"MESH:{text}"
        return text
    prefix, local = text.split(":", 1)
    key = prefix.strip().lower()
    if _SNOMED_VERSIONED.match(key):
        key = "snomedct"
    canonical = _PREFIXES.get(key, prefix.strip())
    return f"{canonical}:{local.strip()}"


def curie_prefix(curie: str) -> str:
    """The prefix of a CURIE (``"MESH"`` for ``"MESH:D003920"``); empty if there is none."""
    return curie.split(":", 1)[0] if ":" in curie else ""


def content_key(*parts: object) -> str:
    """A stable 32-hex-digit hash of ``parts`` (JSON-encoded), used as a content key."""
    payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(payload.encode("utf-8"), digest_size=16).hexdigest()


def checksum_text(text: str) -> str:
    """SHA-256 of a text, for document change detection."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
