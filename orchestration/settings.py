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

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("local",)


@dataclass(frozen=True)
class SqliteConnection:
    """A source database in a local SQLite file (the embedded default's sample sources)."""

    path: Path

    @property
    def kind(self) -> str:
        return "sqlite"


Connection = SqliteConnection


# --- one map per concern: environment -> value (paths relative to the data directory) ---

LAKE_ROOT: Mapping[str, str] = {
    "local": "lake",
}
DUCKDB_PATH: Mapping[str, str] = {
    "local": "warehouse/lakehouse.duckdb",
}
DBT_TARGET: Mapping[str, str] = {
    "local": "local",
}
SOURCE_CONNECTIONS: Mapping[str, Mapping[str, str]] = {
    # connection name (used by the ingestion registry) -> SQLite file under the data directory
    "local": {
        "denodo": "sample/denodo.sqlite",
        "subventions": "sample/subventions.sqlite",
        "sport": "sample/sport.sqlite",
    },
}
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
    connections: Mapping[str, Connection]

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
        connections={
            name: SqliteConnection(data_dir / path)
            for name, path in SOURCE_CONNECTIONS[environment].items()
        },
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the process environment: `LAKEHOUSE_ENV` and `LAKEHOUSE_DATA_DIR`."""
    environ = os.environ if environ is None else environ
    data_dir = environ.get("LAKEHOUSE_DATA_DIR")
    return settings_for(
        environ.get("LAKEHOUSE_ENV", "local"), Path(data_dir) if data_dir else None
    )
