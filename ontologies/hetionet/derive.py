"""Derive the committed Hetionet fact tables from the Hetionet v1.0 source files.

Run from the repository root:  python ontologies/hetionet/derive.py ../shared/data/hetionet

Keeps every row whose licence permits commercial use: CC0 (Hetionet's blank licence column),
CC BY 3.0/4.0, CC BY-SA 3.0 and ODbL 1.0; each row keeps its licence in a ``license`` column
(README.md gives attribution and the share-alike terms). Rows under CC BY-NC are left out.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ALLOWED = {"", "CC0 1.0", "CC BY 3.0", "CC BY 4.0", "CC BY-SA 3.0", "ODbL 1.0"}
OUT = Path(__file__).resolve().parent


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def write(name: str, header: list[str], data: list[list[str]]) -> None:
    with (OUT / name).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        w.writerows(sorted(data))
    print(f"{name}: {len(data)} rows")


def main(src: Path) -> None:
    nodes = {r["id"]: r["name"] for r in rows(src / "hetionet-v1.0-nodes.tsv")}
    dag = [
        [r["doid_id"], r["entrez_gene_id"], r["gene_symbol"], r["sources"], r["license"] or "CC0 1.0"]
        for r in rows(src / "DaG-association.tsv")
        if r["license"] in ALLOWED
    ]
    write("disease-gene.tsv", ["doid_id", "entrez_gene_id", "gene_symbol", "sources", "license"], dag)
    cbg = [
        [r["drugbank_id"], r["entrez_gene_id"], r["sources"], r["license"] or "CC0 1.0"]
        for r in rows(src / "CbG-binding.tsv")
        if r["license"] in ALLOWED
        and f"Compound::{r['drugbank_id']}" in nodes
        and f"Gene::{r['entrez_gene_id']}" in nodes
    ]
    write("compound-gene.tsv", ["drugbank_id", "entrez_gene_id", "sources", "license"], cbg)
    seen, drd = set(), []
    for r in rows(src / "disease-disease-cooccurrence.tsv"):
        pair = tuple(sorted((r["doid_code_0"], r["doid_code_1"])))
        if pair in seen or float(r["p_fisher"]) >= 0.005:
            continue
        seen.add(pair)
        drd.append([*pair, r["cooccurrence"], f"{float(r['enrichment']):.4f}", r["p_fisher"]])
    write("disease-disease.tsv", ["doid_id_0", "doid_id_1", "cooccurrence", "enrichment", "p_fisher"], drd)
    genes = {g for row in dag for g in [row[1]]} | {row[1] for row in cbg}
    write("genes.tsv", ["entrez_gene_id", "symbol"], [[g, nodes[f"Gene::{g}"]] for g in genes if f"Gene::{g}" in nodes])


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/hetionet"))
