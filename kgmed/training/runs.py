"""One results file per training or evaluation run: config, seed, data checksums, version,
git commit, metrics (PyKEEN-style)."""

from __future__ import annotations

import hashlib
import json
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


def write_results(
    path: Path,
    *,
    kind: str,
    config: Any,
    data: list[Path],
    metrics: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    record = {
        "kind": kind,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "kgmed_version": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "config": asdict(config) if is_dataclass(config) else config,
        "data": {str(p): sha256_file(p) for p in data},
        "metrics": metrics,
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return record
