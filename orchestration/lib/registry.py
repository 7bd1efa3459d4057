"""The ingestion registry: one YAML entry per source table, read into typed specs.

Analysts add a table by adding lines to `orchestration/defs/ingestion/registry.yml`; one
factory (`orchestration/defs/ingestion/assets.py`) turns every entry into an asset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import yaml

MODES = ("snapshot", "incremental")


def raw_asset_key(system: str, table: str) -> dg.AssetKey:
    """The asset key of a source table landed in the lake; dbt sources point here."""
    return dg.AssetKey(["raw", system, table])


class RegistryError(ValueError):
    """The registry YAML is wrong; the message names the entry and what to fix."""


@dataclass(frozen=True)
class TableSpec:
    system: str
    connection: str
    table: str
    description: str
    owner: str
    primary_key: tuple[str, ...]
    mode: str  # snapshot: a full copy per partition; incremental: rows whose cursor is in it
    cursor: str | None = None
    personal_data: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return f"{self.system}.{self.table}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return raw_asset_key(self.system, self.table)


def load_registry(path: Path) -> list[TableSpec]:
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise RegistryError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("systems"), dict):
        raise RegistryError(f"{path}: expected a top-level `systems:` mapping.")
    specs = []
    for system, body in document["systems"].items():
        body = body or {}
        for table, entry in (body.get("tables") or {}).items():
            specs.append(_table_spec(path, system, body, table, entry or {}))
    return specs


def _table_spec(path: Path, system: str, body: dict, table: str, entry: dict) -> TableSpec:
    where = f"{path.name}: systems.{system}.tables.{table}"
    allowed = {"description", "owner", "primary_key", "mode", "cursor", "personal_data"}
    if unknown := set(entry) - allowed:
        raise RegistryError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}.")
    for required in ("description", "primary_key", "mode"):
        if required not in entry:
            raise RegistryError(f"{where}: `{required}` is required.")
    mode = entry["mode"]
    if mode not in MODES:
        raise RegistryError(f"{where}: mode {mode!r} is not one of {', '.join(MODES)}.")
    cursor = entry.get("cursor")
    if (mode == "incremental") != (cursor is not None):
        raise RegistryError(f"{where}: an incremental table needs `cursor:`, a snapshot has none.")
    owner = entry.get("owner", body.get("owner"))
    if not owner:
        raise RegistryError(f"{where}: `owner:` is required (on the table or its system).")
    return TableSpec(
        system=system,
        connection=body.get("connection", system),
        table=table,
        description=entry["description"].strip(),
        owner=owner,
        primary_key=tuple(entry["primary_key"]),
        mode=mode,
        cursor=cursor,
        personal_data=tuple(entry.get("personal_data", ())),
    )
