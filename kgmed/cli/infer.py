"""``kgmed infer``: rank diagnoses for symptoms, or drug candidates for a disease."""

from __future__ import annotations

import json
from typing import Any

import click

from kgmed.cli.options import format_option, store_option


@click.command()
@click.option(
    "--symptoms",
    metavar="TEXT",
    help='Comma-separated symptom phrases; "no X" marks an absent one: "fever, cough, no rash".',
)
@click.option(
    "--drugs-for",
    "drugs_for",
    metavar="DISEASE",
    help="A disease name, synonym or id (DOID:9352) to rank drug candidates for.",
)
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True)
@format_option("table", "json", default="table")
@store_option
def infer(
    symptoms: str | None, drugs_for: str | None, top: int, fmt: str, store: str | None
) -> None:
    """Rank diagnoses (--symptoms) or drug candidates (--drugs-for), with explanations."""
    from kgmed.core.errors import ConfigError

    if bool(symptoms) == bool(drugs_for):
        raise ConfigError(
            "give exactly one of --symptoms or --drugs-for",
            hint='kgmed infer --symptoms "fever, cough"',
        )
    from kgmed.pipeline import run_inference

    result = run_inference(store, symptoms=symptoms, drugs_for=drugs_for, top=top)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(_render(result, diagnosis=bool(symptoms)))


def _render(result: dict[str, Any], *, diagnosis: bool) -> str:
    from kgmed.cli.output import render_table

    lines = []
    linked = ", ".join(
        f"{'no ' if x['negated'] else ''}{x['text']} -> "
        + (f"{x['name']} ({x['id']}, {x['method']})" if x["id"] else "not linked")
        for x in result["linked"]
    )
    lines.append(f"linked: {linked}")
    rows = []
    for r in result["results"]:
        e = r["explanation"]
        if diagnosis:
            why = "; ".join(
                f"{m['symptom']}" + ("" if m["match"] == "exact" else f"~{m['via_name']}")
                for m in e["matched"]
            )
            if e["contradicted"]:
                why += " | against: " + ", ".join(c["symptom"] for c in e["contradicted"])
        else:
            why = "; ".join(_drug_path(p, result["linked"][0]["id"]) for p in e["paths"][:3])
        rows.append([str(r["rank"]), r["id"], r["name"] or "", f"{r['score']:.4f}", why])
    lines.append(render_table(["rank", "id", "name", "score", "why"], rows, max_width=70))
    lines.append("use --format json for the paths and evidence sentences")
    return "\n".join(lines)


def _drug_path(path: dict[str, Any], disease_id: str) -> str:
    """``CbGaD via NCBIGene:3767``, ``CtreatsD p=0.79``; a statement about another disease (a
    resembling or neighbouring one) names it: ``CtreatsD DOID:1612 p=0.36``; a path through a
    classmate names it and the class: ``like lisinopril (ACE inhibitor): CtreatsD p=0.80``."""
    if path["path"] == "class":
        like = f"like {path['chemical_name']} ({path['class_name']})"
        if "statement" in path:
            return f"{like}: {_drug_path({**path, 'path': 'CtreatsD'}, disease_id)}"
        return f"{like}: {path['feature'].removeprefix('dwpc_')}"
    if "gene" in path:
        return f"{path['path']} via {path['gene']}"
    other = f" {path['via']}" if path.get("via") not in (None, disease_id) else ""
    return f"{path['path']}{other} p={path.get('p', 0):.2f}"
