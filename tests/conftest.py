"""Shared fixtures: stores for every backend, and the real Neo4j server.

The Neo4j server is started once per session from ``docker/neo4j_launcher.py`` unless
``KGMED_TEST_NEO4J_URI`` names one already running (``.ci/run`` does that). Under CI
(``CI=true``) a test that needs Neo4j fails when it cannot be reached; elsewhere it skips.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_PASSWORD = "kgmed-test-password"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

BACKENDS = ("embedded", "neo4j")


def _launcher():
    spec = importlib.util.spec_from_file_location(
        "neo4j_launcher", ROOT / "docker" / "neo4j_launcher.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["neo4j_launcher"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``{"uri", "user", "password"}`` of a running Neo4j; started here if needed."""
    uri = os.environ.get("KGMED_TEST_NEO4J_URI")
    if uri:
        info = {
            "uri": uri,
            "user": os.environ.get("KGMED_TEST_NEO4J_USER", "neo4j"),
            "password": os.environ.get("KGMED_TEST_NEO4J_PASSWORD", TEST_PASSWORD),
        }
        _check_reachable(info)
        yield info
        return
    launcher = _launcher()
    home = tmp_path_factory.mktemp("neo4j-home")
    port = launcher.free_port()
    try:
        proc = launcher.start(home, port, TEST_PASSWORD)
    except Exception as exc:  # no Java/Maven, or the server failed to start
        message = f"cannot start Neo4j for the tests: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield {"uri": f"bolt://127.0.0.1:{port}", "user": "neo4j", "password": TEST_PASSWORD}
    finally:
        launcher.stop_process(proc)


def _check_reachable(info: dict[str, str]) -> None:
    from neo4j import GraphDatabase

    try:
        with GraphDatabase.driver(info["uri"], auth=(info["user"], info["password"])) as driver:
            driver.verify_connectivity()
    except Exception as exc:
        message = f"Neo4j at {info['uri']} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _clear_neo4j(info: dict[str, str]) -> None:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(info["uri"], auth=(info["user"], info["password"])) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")


def settings_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    from kgmed.config.settings import Settings

    if backend == "embedded":
        return Settings(store=str(tmp_path / "graph"))
    info = request.getfixturevalue("neo4j_server")
    _clear_neo4j(info)
    return Settings(store=info["uri"], neo4j_user=info["user"], neo4j_password=info["password"])


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path):
    """Settings for an empty store of each backend (the contract suite runs on both)."""
    if request.param == "neo4j":
        request.applymarker(pytest.mark.neo4j)
    return settings_for(request.param, tmp_path, request)


@pytest.fixture
def store(backend_settings):
    from kgmed.graph.open import open_store

    with open_store(backend_settings) as s:
        yield s
