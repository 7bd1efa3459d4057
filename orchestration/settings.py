"""The one place that knows the environment.

`load_settings()` reads `LAKEHOUSE_ENV` (default `local`, the embedded default: nothing to
install, nothing secret) and returns a typed `Settings`. Each concern has a complete map
with one entry per environment; `tests/unit/test_settings.py` checks that every map covers
every environment. Library code receives a `Settings`; it never reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.lib.connections import ConnectionSpec, parse_connections

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS_PATH = Path(__file__).with_name("connections.yml")

ENVIRONMENTS = ("local", "ci", "staging", "prod")


# --- one map per concern: environment -> value (paths relative to the data directory) ---

LAKE_ROOT: Mapping[str, str] = {
    "local": "lake",
    "ci": "lake",
    "staging": "lake",
    "prod": "lake",
}
DUCKDB_PATH: Mapping[str, str] = {
    "local": "warehouse/lakehouse.duckdb",
    "ci": "warehouse/lakehouse.duckdb",
    "staging": "warehouse/lakehouse.duckdb",
    "prod": "warehouse/lakehouse.duckdb",
}
DBT_TARGET: Mapping[str, str] = {
    "local": "local",
    "ci": "local",
    "staging": "local",
    "prod": "local",
}
# connection name (used by the ingestion registry) -> definition, from connections.yml
SOURCE_CONNECTIONS: Mapping[str, Mapping[str, dict]] = yaml.safe_load(CONNECTIONS_PATH.read_text())
CONCERNS: Mapping[str, Mapping[str, object]] = {
    "LAKE_ROOT": LAKE_ROOT,
    "DUCKDB_PATH": DUCKDB_PATH,
    "DBT_TARGET": DBT_TARGET,
    "SOURCE_CONNECTIONS": SOURCE_CONNECTIONS,
}


class SettingsError(ValueError):
    """The environment asked for cannot be configured; the message says what to fix."""


@dataclass(frozen=True)
class Settings:
    environment: str
    data_dir: Path
    lake_root: str
    duckdb_path: Path
    dbt_target: str
    connections: Mapping[str, ConnectionSpec]

    @property
    def sample_dir(self) -> Path:
        return self.data_dir / "sample"


def settings_for(environment: str, data_dir: Path | None = None) -> Settings:
    """Settings of `environment`, with its local files under `data_dir` (default: ./data)."""
    if environment not in ENVIRONMENTS:
        raise SettingsError(
            f"Unknown LAKEHOUSE_ENV {environment!r}: use one of {', '.join(ENVIRONMENTS)}."
        )
    data_dir = (data_dir or PROJECT_ROOT / "data").resolve()
    return Settings(
        environment=environment,
        data_dir=data_dir,
        lake_root=str(data_dir / LAKE_ROOT[environment]),
        duckdb_path=data_dir / DUCKDB_PATH[environment],
        dbt_target=DBT_TARGET[environment],
        connections=_resolve_paths(
            parse_connections(SOURCE_CONNECTIONS[environment], f"connections.yml: {environment}"),
            data_dir,
        ),
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the process environment: `LAKEHOUSE_ENV` and `LAKEHOUSE_DATA_DIR`."""
    environ = os.environ if environ is None else environ
    data_dir = environ.get("LAKEHOUSE_DATA_DIR")
    return settings_for(
        environ.get("LAKEHOUSE_ENV", "local"), Path(data_dir) if data_dir else None
    )


def _resolve_paths(specs: dict[str, ConnectionSpec], data_dir: Path) -> dict[str, ConnectionSpec]:
    """SQLite paths in connections.yml are relative to the data directory."""
    return {
        name: ConnectionSpec(name, spec.type, {**spec.options, "path": data_dir / spec.options["path"]})
        if spec.type == "sqlite"
        else spec
        for name, spec in specs.items()
    }
