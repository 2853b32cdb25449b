"""One typed settings object, resolved from explicit arguments, the environment and a file.

Precedence: an explicit value (a CLI option) > environment variable > the config file
(``$KGMED_CONFIG`` or ``<user config dir>/kgmed/config.toml``) > defaults. Nothing is read
at import time. The Neo4j password never appears in ``repr`` or logs.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgmed.core.errors import ConfigError

_FILE_KEYS = {
    "store": str,
    "batch_size": int,
    "neo4j": dict,
}
_NEO4J_KEYS = {"user", "password", "database"}


def default_store_path() -> Path:
    """The embedded store under the user's data directory."""
    from platformdirs import user_data_path

    return user_data_path("kgmed", appauthor=False) / "graph"


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("kgmed", appauthor=False) / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Where the graph lives and how to reach it."""

    store: str
    neo4j_user: str = "neo4j"
    neo4j_password: str = field(default="", repr=False)
    neo4j_database: str | None = None
    batch_size: int = 5000

    @property
    def is_server(self) -> bool:
        return is_server_uri(self.store)


def is_server_uri(store: str) -> bool:
    return store.startswith(
        ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
    )


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc}", hint="fix or remove the file"
        ) from exc
    unknown = set(data) - set(_FILE_KEYS)
    unknown |= {f"neo4j.{k}" for k in data.get("neo4j", {})} - {f"neo4j.{k}" for k in _NEO4J_KEYS}
    if unknown:
        raise ConfigError(
            f"unknown key(s) in {path}: {', '.join(sorted(unknown))}",
            hint="allowed: store, batch_size, [neo4j] user/password/database",
        )
    return data


def load_settings(
    store: str | None = None,
    *,
    environ: dict[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Resolve the settings; see the module docstring for the precedence."""
    env = os.environ if environ is None else environ
    path = config_path or (Path(env["KGMED_CONFIG"]) if env.get("KGMED_CONFIG") else None)
    file_data = _read_config_file(path or default_config_path())
    neo = file_data.get("neo4j", {})
    resolved_store = store or env.get("KGMED_STORE") or file_data.get("store")
    if not resolved_store:
        resolved_store = str(default_store_path())
    batch = env.get("KGMED_BATCH_SIZE") or file_data.get("batch_size") or 5000
    try:
        batch_size = int(batch)
    except ValueError:
        raise ConfigError(f"batch size must be an integer, got {batch!r}") from None
    if batch_size < 1:
        raise ConfigError(f"batch size must be positive, got {batch_size}")
    return Settings(
        store=str(resolved_store),
        neo4j_user=env.get("NEO4J_USER") or neo.get("user") or "neo4j",
        neo4j_password=env.get("NEO4J_PASSWORD") or neo.get("password") or "",
        neo4j_database=env.get("NEO4J_DATABASE") or neo.get("database") or None,
        batch_size=batch_size,
    )
