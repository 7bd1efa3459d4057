"""The ingestion registry: one YAML entry per source table, read into typed specs.

Analysts add a table by adding lines to `orchestration/defs/ingestion/registry.yml`; one
factory (`orchestration/defs/ingestion/assets.py`) turns every entry into an asset. Every
mistake is refused when the registry is read, with the entry named and what to write instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import yaml

from orchestration.lib.extractors.sql import Source

MODES = ("snapshot", "incremental")
GRAINS = ("day", "month")
SCHEMA_POLICIES = ("evolve", "freeze")
ENTRY_KEYS = {
    "description", "owner", "primary_key", "mode", "cursor", "lookback_days", "grain",
    "schema_policy", "personal_data", "connection", "table", "schema", "query",
}


def raw_asset_key(system: str, table: str) -> dg.AssetKey:
    """The asset key of a source table landed in the lake; dbt sources point here."""
    return dg.AssetKey(["raw", system, table])


class RegistryError(ValueError):
    """The registry YAML is wrong; the message names the entry and what to fix."""


@dataclass(frozen=True)
class TableSpec:
    system: str
    connection: str
    table: str  # the name in the lake and in dbt: raw/<system>/<table>
    description: str
    owner: str
    primary_key: tuple[str, ...]
    mode: str  # snapshot: a full copy per partition; incremental: rows whose cursor is in it
    cursor: str | None = None
    personal_data: tuple[str, ...] = field(default_factory=tuple)
    lookback_days: int = 0  # incremental: also rewrite the partitions of this many days before
    grain: str = "day"  # one lake partition per day, or per month (keyed by its first day)
    schema_policy: str = "evolve"  # evolve: new columns land; freeze: any change fails
    source_table: str | None = None  # the table in the source, when it differs from `table`
    source_schema: str | None = None
    query: str | None = None  # a SELECT read instead of a table

    @property
    def name(self) -> str:
        return f"{self.system}.{self.table}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return raw_asset_key(self.system, self.table)

    @property
    def source(self) -> Source:
        if self.query is not None:
            return Source(query=self.query)
        return Source(table=self.source_table or self.table, namespace=self.source_schema)

    @property
    def where(self) -> str:
        """How error messages name this entry."""
        return f"registry.yml: systems.{self.system}.tables.{self.table}"


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

    def fail(message: str) -> RegistryError:
        return RegistryError(f"{where}: {message}")

    if unknown := set(entry) - ENTRY_KEYS:
        raise fail(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(ENTRY_KEYS)}.")
    for required in ("description", "primary_key", "mode"):
        if required not in entry:
            raise fail(f"`{required}` is required.")
    mode = entry["mode"]
    if mode not in MODES:
        raise fail(f"mode {mode!r} is not one of {', '.join(MODES)}.")
    cursor = entry.get("cursor")
    if (mode == "incremental") != (cursor is not None):
        raise fail("an incremental table needs `cursor:`, a snapshot has none.")
    lookback = entry.get("lookback_days", 0)
    if not isinstance(lookback, int) or lookback < 0 or (lookback and mode == "snapshot"):
        raise fail("`lookback_days:` is a whole number of days >= 0, for incremental tables only.")
    grain = entry.get("grain", "day")
    if grain not in GRAINS:
        raise fail(f"grain {grain!r} is not one of {', '.join(GRAINS)}.")
    policy = entry.get("schema_policy", "evolve")
    if policy not in SCHEMA_POLICIES:
        raise fail(f"schema_policy {policy!r} is not one of {', '.join(SCHEMA_POLICIES)}.")
    if "query" in entry and ("table" in entry or "schema" in entry):
        raise fail("give either `query:` or `table:` (with `schema:`), not both.")
    primary_key = entry["primary_key"]
    if isinstance(primary_key, str):
        primary_key = [primary_key]
    if not primary_key or not all(isinstance(k, str) and k for k in primary_key):
        raise fail("`primary_key:` is a list of column names.")
    owner = entry.get("owner", body.get("owner"))
    if not owner:
        raise fail("`owner:` is required (on the table or its system).")
    return TableSpec(
        system=system,
        connection=entry.get("connection", body.get("connection", system)),
        table=table,
        description=str(entry["description"]).strip(),
        owner=owner,
        primary_key=tuple(primary_key),
        mode=mode,
        cursor=cursor,
        personal_data=tuple(entry.get("personal_data", ())),
        lookback_days=lookback,
        grain=grain,
        schema_policy=policy,
        source_table=entry.get("table"),
        source_schema=entry.get("schema"),
        query=entry.get("query"),
    )
