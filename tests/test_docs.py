"""The documentation stays true: every analyst query runs, every command is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kgmed.cli import COMMANDS
from tests import graphdata as g

ROOT = Path(__file__).resolve().parents[1]
QUERY = re.compile(r"<!-- params: (\{.*?\}) -->\s*```cypher\n(.*?)```", re.S)


def documented_queries() -> list[tuple[str, dict]]:
    text = (ROOT / "docs" / "cypher.md").read_text()
    return [(q.strip(), json.loads(p)) for p, q in QUERY.findall(text)]


def test_at_least_ten_analyst_queries():
    assert len(documented_queries()) >= 10


def test_documented_queries_run_on_every_backend(store):
    """Each query in docs/cypher.md runs on this backend and returns rows."""
    g.load(store)
    results = {}
    for query, params in documented_queries():
        result = store.query(query, params)
        assert result.rows, f"no rows from:\n{query}"
        results[query] = result.rows
    # Spot-check answers against the fixture graph.
    by_number = list(results.values())
    assert by_number[1][0]["disease"] in {"influenza", "COVID-19"}
    assert by_number[2][0]["drug"] == "Metformin"
    assert [r["gene"] for r in by_number[4]] == ["INS"]
    assert {r["name"] for r in by_number[7]} == {"influenza", "common cold", "COVID-19"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_documented(command):
    readme = (ROOT / "README.md").read_text()
    cli_doc = (ROOT / "docs" / "cli.md").read_text()
    assert f"kgmed {command}" in readme, f"README lacks `kgmed {command}`"
    assert f"kgmed {command}" in cli_doc, f"docs/cli.md lacks `kgmed {command}`"


def test_readme_test_command_matches_ci():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r"<!-- test-command -->\s*```bash\n(.*?)\n```", readme, re.S)
    assert match, "README has no marked test command"
    assert match.group(1).strip() in ci
