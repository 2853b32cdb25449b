"""Identifiers, records and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgmed.config.settings import Settings, load_settings
from kgmed.core.errors import ConfigError
from kgmed.core.ids import content_key, normalize_curie
from kgmed.core.records import Assertion, Evidence, aggregate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MeSH:D003920", "MESH:D003920"),
        ("msh:D003920", "MESH:D003920"),
        ("D003920", "MESH:D003920"),
        ("DB00331", "DRUGBANK:DB00331"),
        ("drugbank:DB00331", "DRUGBANK:DB00331"),
        ("UMLS_CUI:C0021400", "UMLS:C0021400"),
        ("MIM:264300", "OMIM:264300"),
        ("SNOMEDCT_US_2023_03_01:39000009", "SNOMEDCT:39000009"),
        ("ncbigene:5468", "NCBIGene:5468"),
        ("DOID:9352", "DOID:9352"),
        (" SYMP:0000613 ", "SYMP:0000613"),
    ],
)
def test_normalize_curie(raw, expected):
    assert normalize_curie(raw) == expected


@given(st.text(min_size=1, max_size=30).filter(lambda s: s.strip()))
def test_normalize_curie_is_idempotent(raw):
    once = normalize_curie(raw)
    assert normalize_curie(once) == once


def test_normalize_curie_rejects_empty():
    with pytest.raises(ValueError):
        normalize_curie("  ")


def test_content_key_is_stable_and_discriminating():
    assert content_key("a", 1) == content_key("a", 1)
    assert content_key("a", 1) != content_key("a", 2)
    assert len(content_key("x")) == 32


def test_evidence_key_ignores_model_version_and_probability():
    a = Evidence("PMID:1", "lit", "re", "v1", 0.9, Assertion.AFFIRMED, "s", 0, 10, 0, 2, 5, 8)
    b = Evidence("PMID:1", "lit", "re", "v2", 0.4, Assertion.NEGATED, "s", 0, 10, 0, 2, 5, 8)
    c = Evidence("PMID:1", "lit", "re", "v1", 0.9, Assertion.AFFIRMED, "s", 0, 10, 0, 2, 6, 8)
    assert a.key("S|P|O") == b.key("S|P|O")
    assert a.key("S|P|O") != c.key("S|P|O")
    assert a.key("S|P|O") != a.key("S|P|X")


def test_aggregate_noisy_or_with_negation():
    agg = aggregate([(0.5, "affirmed", "d1", "lit"), (0.5, "affirmed", "d2", "lit")])
    assert agg.probability == pytest.approx(0.75)
    assert (agg.evidence_count, agg.document_count, agg.negated_count) == (2, 2, 0)
    against = aggregate([(0.5, "affirmed", "d1", "lit"), (0.5, "negated", "d1", "notes")])
    assert against.probability == pytest.approx(0.25)
    assert against.document_count == 1 and against.sources == ("lit", "notes")
    only_negated = aggregate([(0.9, "negated", "d1", "notes")])
    assert only_negated.probability == 0.0
    uncertain = aggregate([(0.8, "uncertain", "d1", "notes")])
    assert uncertain.probability == pytest.approx(0.4)


def test_settings_precedence(tmp_path: Path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('store = "/from/file"\n[neo4j]\nuser = "fileuser"\npassword = "file-secret"\n')
    from_file = load_settings(environ={}, config_path=cfg)
    assert from_file.store == "/from/file" and from_file.neo4j_user == "fileuser"
    from_env = load_settings(
        environ={"KGMED_STORE": "/from/env", "NEO4J_PASSWORD": "env-secret"}, config_path=cfg
    )
    assert from_env.store == "/from/env" and from_env.neo4j_password == "env-secret"
    explicit = load_settings("bolt://h:7687", environ={"KGMED_STORE": "/from/env"}, config_path=cfg)
    assert explicit.store == "bolt://h:7687" and explicit.is_server


def test_default_store_is_under_user_data_dir(tmp_path: Path):
    settings = load_settings(environ={}, config_path=tmp_path / "absent.toml")
    assert settings.store.endswith("graph") and "kgmed" in settings.store


def test_password_never_in_repr():
    s = Settings(store="bolt://x", neo4j_password="top-secret")
    assert "top-secret" not in repr(s) and "top-secret" not in str(s)


def test_config_rejects_unknown_keys(tmp_path: Path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[neo4j]\npasword = "typo"\n')
    with pytest.raises(ConfigError, match=r"neo4j\.pasword"):
        load_settings(environ={}, config_path=cfg)
