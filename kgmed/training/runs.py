"""One results file per training or evaluation run: config, seed, data checksums, version,
git commit, metrics (PyKEEN-style)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgmed import __version__


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit() -> str:
    """The checkout's HEAD, unless ``KGMED_GIT_COMMIT`` names the commit (a copied source tree or
    a container, whose ``.git``, if any, can be stale or absent); ``"unknown"`` without either."""
    if os.environ.get("KGMED_GIT_COMMIT"):
        return os.environ["KGMED_GIT_COMMIT"]
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _dirty() -> bool | None:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return bool(out.strip())


def write_results(
    path: Path,
    *,
    kind: str,
    config: Any,
    data: list[Path],
    metrics: dict[str, Any],
    extra: dict[str, Any] | None = None,
    commit: str | None = None,
) -> dict[str, Any]:
    """Write the results file; ``commit`` is the git commit the run started from (read now
    when not given: runs should capture it at their start, since the tree may move)."""
    dirty = _dirty()
    record = {
        "kind": kind,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "kgmed_version": __version__,
        "git_commit": commit or git_commit(),
        "uncommitted_changes_at_write": dirty,
        "python": platform.python_version(),
        "config": asdict(config) if is_dataclass(config) else config,
        "data": {str(p): sha256_file(p) for p in data},
        "metrics": metrics,
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return record
