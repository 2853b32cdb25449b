"""Where the files kgmed ships live, in a wheel and in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def ontology_dir() -> Path:
    """The ontology folder: ``kgmed/_ontologies`` in a wheel, ``ontologies/`` in a checkout."""
    for candidate in (_PACKAGE / "_ontologies", _PACKAGE.parent / "ontologies"):
        if (candidate / "doid.obo.gz").exists():
            return candidate
    return _PACKAGE.parent / "ontologies"


def model_dir(name: str) -> Path:
    """A shipped model's folder (``kgmed/models/<name>``)."""
    return _PACKAGE / "models" / name


def pipeline_dir() -> Path:
    """The pipeline configs: ``kgmed/_pipelines`` in a wheel, ``pipelines/`` in a checkout."""
    for candidate in (_PACKAGE / "_pipelines", _PACKAGE.parent / "pipelines"):
        if (candidate / "literature.toml").exists():
            return candidate
    return _PACKAGE.parent / "pipelines"
