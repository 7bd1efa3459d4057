"""The ingestion registry: one YAML entry per source table, read into typed specs.

Each department declares its source systems in its own folder,
`orchestration/locations/<department>/defs/sources/defs.yaml`, a `SourceSystems` component
(orchestration/platform/components.py); analysts add a table by adding lines there, and one
factory (orchestration/platform/ingestion.py) turns every entry into an asset. The registry is
the union of those files (`load_all`). Every mistake is refused when a file is read, with the
file, the line, the entry and what to write instead: an unknown key (often a table indented
under the wrong key), a key or a table declared twice (YAML itself would keep the last one
silently), a system without tables, a system declared by two departments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import yaml

from orchestration.platform.extractors.sql import Source
from orchestration.platform.privacy import ColumnPolicy, PolicyError, parse_policy
from orchestration.platform.settings import PROJECT_ROOT

SOURCES_COMPONENT = "orchestration.platform.components.SourceSystems"
LOCATIONS_DIR = PROJECT_ROOT / "orchestration" / "locations"
MODES = ("snapshot", "incremental")
GRAINS = ("day", "month")
SCHEMA_POLICIES = ("evolve", "freeze")
SYSTEM_KEYS = {"owner", "connection", "description", "tables"}
ENTRY_KEYS = {
    "description",
    "owner",
    "primary_key",
    "mode",
    "cursor",
    "partition_by",
    "lookback_days",
    "grain",
    "schema_policy",
    "personal_data",
    "connection",
    "table",
    "schema",
    "query",
    "anomalies",
    "retention_days",
}
ANOMALY_KEYS = {"severity", "columns", "tolerance"}
SEVERITIES = ("warn", "error")


def raw_asset_key(system: str, table: str) -> dg.AssetKey:
    """The asset key of a source table landed in the lake; dbt sources point here."""
    return dg.AssetKey(["raw", system, table])


class RegistryError(ValueError):
    """The registry YAML is wrong; the message names the file, the line, the entry and the fix."""


@dataclass(frozen=True)
class AnomalyPolicy:
    """The `anomalies:` key of an entry: how its landed partitions are compared with its history
    (orchestration/platform/anomalies.py)."""

    severity: str = "warn"  # warn, or error: an anomaly is a blocking failure
    columns: tuple[str, ...] = ()  # their null rates and distinct counts are compared too
    tolerance: float = 0.5  # a count is usual within [1 - tolerance, 1 / (1 - tolerance)] x the median


@dataclass(frozen=True)
class TableSpec:
    system: str
    connection: str
    table: str  # the name in the lake and in dbt: raw/<system>/<table>
    description: str
    owner: str
    primary_key: tuple[str, ...]
    mode: str  # snapshot: the current copy of the table; incremental: rows read by a cursor
    cursor: str | None = None
    privacy: dict[str, ColumnPolicy] = field(default_factory=dict, hash=False)  # personal column -> policy
    retention_days: int | None = None  # lake partitions older than this are deleted (retention.py)
    lookback_days: int = 0  # incremental: also read the changes of this many days before
    grain: str = "day"  # one lake partition per day, or per month (keyed by its first day)
    schema_policy: str = "evolve"  # evolve: new columns land; freeze: any change fails
    source_table: str | None = None  # the table in the source, when it differs from `table`
    source_schema: str | None = None
    query: str | None = None  # a SELECT read instead of a table
    partition_column: str | None = None  # `partition_by:` when it is not the cursor
    file: str = "defs.yaml"
    line: int = 0
    department: str = ""  # the code location that declares it (its folder under locations/)
    anomalies: AnomalyPolicy = field(default_factory=AnomalyPolicy)

    @property
    def name(self) -> str:
        return f"{self.system}.{self.table}"

    @property
    def personal_data(self) -> tuple[str, ...]:
        """The personal columns that land (in clear, pseudonymised or generalised)."""
        return tuple(c for c, p in self.privacy.items() if p.action != "drop")

    @property
    def asset_key(self) -> dg.AssetKey:
        return raw_asset_key(self.system, self.table)

    @property
    def partition_by(self) -> str | None:
        """The date or timestamp column whose (UTC) day or month is a row's lake partition."""
        return self.partition_column or self.cursor

    @property
    def source(self) -> Source:
        if self.query is not None:
            return Source(query=self.query)
        return Source(table=self.source_table or self.table, namespace=self.source_schema)

    @property
    def where(self) -> str:
        """How error messages name this entry: file, line and path in the YAML."""
        return f"{self.file}:{self.line}: systems.{self.system}.tables.{self.table}"


class _Mapping(dict):
    """A YAML mapping that remembers the line of each key and the keys written twice."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: dict[object, int] = {}
        self.repeated: list[tuple[object, int, int]] = []  # (key, line, first line)


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping.lines:
            mapping.repeated.append((key, line, mapping.lines[key]))
        else:
            mapping.lines[key] = line
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def display(path: Path) -> str:
    """How messages name a file: relative to the project when it is in it."""
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else path.name


def department_of(path: Path) -> str:
    """The department of a file under orchestration/locations/<department>/ ("" elsewhere)."""
    path = path.resolve()
    return path.relative_to(LOCATIONS_DIR).parts[0] if path.is_relative_to(LOCATIONS_DIR) else ""


def registry_files() -> list[Path]:
    """Every department's source declarations (the defs.yaml files of type SourceSystems)."""
    return sorted(path for path in LOCATIONS_DIR.glob("*/defs/**/defs.yaml") if SOURCES_COMPONENT in path.read_text())


def load_all() -> list[TableSpec]:
    """The whole registry: every department's source tables. A system belongs to one department."""
    specs: list[TableSpec] = []
    owners: dict[str, TableSpec] = {}
    for path in registry_files():
        for spec in load_registry(path):
            first = owners.setdefault(spec.system, spec)
            if first.department != spec.department:
                raise RegistryError(
                    f"{spec.file}:{spec.line}: system {spec.system!r} is already declared by "
                    f"department {first.department} ({first.file}): a source system belongs to one department; declare its tables "
                    "in that file (another department reads them through dbt)."
                )
            specs.append(spec)
    return specs


def kept_in_clear() -> dict[tuple[str, str], list[str]]:
    """(system, table) -> its personal columns whose policy is `keep`: clear values in the lake."""
    return personal_source_columns(("keep",))


def personal_source_columns(actions: tuple[str, ...] | None = None) -> dict[tuple[str, str], list[str]]:
    """(system, table) -> its personal columns (whose policy is one of `actions`, if given).
    A file that does not read is left out (make lint reports it; its department does not load)."""
    found = {}
    for path in registry_files():
        try:
            specs = load_registry(path)
        except RegistryError:
            continue
        found |= {
            (s.system, s.table): [c for c, p in s.privacy.items() if actions is None or p.action in actions]
            for s in specs
        }
    return found


def load_registry(path: Path) -> list[TableSpec]:
    """The tables declared in one SourceSystems file."""
    name = display(path)
    try:
        document = yaml.load(path.read_text(), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        raise RegistryError(f"{name}: not valid YAML: {error}") from error
    attributes = document.get("attributes") if isinstance(document, _Mapping) else None
    if (
        not isinstance(document, _Mapping)
        or document.get("type") != SOURCES_COMPONENT
        or not isinstance(attributes, _Mapping)
        or not isinstance(attributes.get("systems"), _Mapping)
    ):
        raise RegistryError(
            f"{name}: expected `type: {SOURCES_COMPONENT}` and `attributes:` with a `systems:` mapping below it."
        )
    _refuse_repeats(path, document, "")
    _refuse_repeats(path, attributes, "attributes")
    systems = attributes["systems"]
    _refuse_repeats(path, systems, "systems")
    specs = []
    for system, body in systems.items():
        here = f"{name}:{systems.lines[system]}: systems.{system}"
        if not isinstance(body, _Mapping):
            raise RegistryError(f"{here}: expected `owner:` and `tables:` under the system.")
        _refuse_repeats(path, body, f"systems.{system}")
        _refuse_unknown(path, body, f"systems.{system}", SYSTEM_KEYS, "a system")
        tables = body.get("tables")
        if not isinstance(tables, _Mapping) or not tables:
            raise RegistryError(
                f"{here}: the system declares no table; add its tables under `tables:` (each "
                "entry indented one level below `tables:`), or remove the system."
            )
        _refuse_repeats(path, tables, f"systems.{system}.tables")
        for table, entry in tables.items():
            line = tables.lines[table]
            if not isinstance(entry, _Mapping):
                raise RegistryError(
                    f"{name}:{line}: systems.{system}.tables.{table}: expected the table's "
                    "keys (description, primary_key, mode...) indented below its name."
                )
            specs.append(_table_spec(path, system, body, table, entry, line))
    return specs


def _refuse_repeats(path: Path, mapping: _Mapping, where: str) -> None:
    for key, line, first in mapping.repeated:
        raise RegistryError(
            f"{display(path)}:{line}: {where + '.' if where else ''}{key}: declared twice (first at "
            f"line {first}); YAML would keep only the last one. Remove or rename one of them."
        )


def _refuse_unknown(path: Path, mapping: _Mapping, where: str, allowed: set[str], what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise RegistryError(
                f"{display(path)}:{mapping.lines[key]}: {where}: unknown key {key!r} for {what} "
                f"(allowed: {', '.join(sorted(allowed))}); if it is a table, indent it under "
                "`tables:` like the others."
            )


def _table_spec(path: Path, system: str, body: dict, table: str, entry: _Mapping, line: int) -> TableSpec:
    name = display(path)

    def fail(message: str, key: str | None = None) -> RegistryError:
        at = f"{name}:{entry.lines[key]}" if key in entry.lines else f"{name}:{line}"
        return RegistryError(f"{at}: systems.{system}.tables.{table}: {message}")

    _refuse_repeats(path, entry, f"systems.{system}.tables.{table}")
    if unknown := sorted(set(entry) - ENTRY_KEYS):
        raise fail(
            f"unknown key(s) {unknown}; allowed: {sorted(ENTRY_KEYS)}. If it is another table, "
            "indent it under `tables:` at the level of this one.",
            unknown[0],
        )
    for required in ("description", "primary_key", "mode"):
        if required not in entry:
            raise fail(f"`{required}` is required.")
    mode = entry["mode"]
    if mode not in MODES:
        raise fail(f"mode {mode!r} is not one of {', '.join(MODES)}.", "mode")
    cursor = entry.get("cursor")
    if (mode == "incremental") != (cursor is not None):
        raise fail("an incremental table needs `cursor:`, a snapshot has none.", "mode")
    partition_by = entry.get("partition_by")
    if partition_by is not None and (mode != "incremental" or not isinstance(partition_by, str)):
        raise fail("`partition_by:` names one date or timestamp column, for incremental tables only.", "partition_by")
    lookback = entry.get("lookback_days", 0)
    if not isinstance(lookback, int) or lookback < 0 or (lookback and mode == "snapshot"):
        raise fail("`lookback_days:` is a whole number of days >= 0, for incremental tables only.", "lookback_days")
    grain = entry.get("grain", "day")
    if grain not in GRAINS or (grain != "day" and mode == "snapshot"):
        raise fail(f"grain {grain!r} is not one of {', '.join(GRAINS)} (incremental tables only).", "grain")
    policy = entry.get("schema_policy", "evolve")
    if policy not in SCHEMA_POLICIES:
        raise fail(f"schema_policy {policy!r} is not one of {', '.join(SCHEMA_POLICIES)}.", "schema_policy")
    if "query" in entry and ("table" in entry or "schema" in entry):
        raise fail("give either `query:` or `table:` (with `schema:`), not both.", "query")
    primary_key = entry["primary_key"]
    if isinstance(primary_key, str):
        primary_key = [primary_key]
    if not primary_key or not all(isinstance(k, str) and k for k in primary_key):
        raise fail("`primary_key:` is a list of column names.", "primary_key")
    anomalies = _anomaly_policy(entry.get("anomalies"), fail)
    retention = entry.get("retention_days")
    if retention is not None and (not isinstance(retention, int) or isinstance(retention, bool) or retention < 1):
        raise fail(
            "`retention_days:` is a whole number of days >= 1 (how long its partitions are kept).", "retention_days"
        )
    privacy = _privacy(entry.get("personal_data"), tuple(primary_key), {cursor, partition_by} - {None}, fail)
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
        privacy=privacy,
        retention_days=retention,
        lookback_days=lookback,
        grain=grain,
        schema_policy=policy,
        source_table=entry.get("table"),
        source_schema=entry.get("schema"),
        query=entry.get("query"),
        partition_column=partition_by if partition_by != cursor else None,
        file=name,
        line=line,
        department=department_of(path),
        anomalies=anomalies,
    )


def _privacy(block: object, primary_key: tuple[str, ...], cursors: set[str], fail) -> dict[str, ColumnPolicy]:
    """`personal_data:`, column -> policy (orchestration/platform/privacy.py)."""
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise fail(
            "`personal_data:` maps each personal column to its policy, e.g. `nom: drop`, "
            '`numero_national: pseudonymise`, `date_naissance: {generalise: year}`, `genre: {keep: "<legal '
            'basis>"}` (docs/personal-data.md).',
            "personal_data",
        )
    policies = {}
    for column, value in block.items():
        try:
            policies[str(column)] = policy = parse_policy(value)
        except PolicyError as error:
            raise fail(f"personal_data.{column}: {error}", "personal_data") from None
        if column in cursors and policy.action != "keep":
            raise fail(
                f"personal_data.{column}: the cursor or partition column lands as it is: `keep` it.", "personal_data"
            )
        if column in primary_key and policy.action not in ("keep", "pseudonymise"):
            raise fail(
                f"personal_data.{column}: a primary key column can only be kept or pseudonymised "
                "(its rows must stay distinct).",
                "personal_data",
            )
    return policies


def _anomaly_policy(block: object, fail) -> AnomalyPolicy:
    if block is None:
        return AnomalyPolicy()
    if not isinstance(block, dict) or set(block) - ANOMALY_KEYS:
        raise fail(f"`anomalies:` takes {', '.join(sorted(ANOMALY_KEYS))}.", "anomalies")
    severity = block.get("severity", "warn")
    columns = block.get("columns", [])
    tolerance = block.get("tolerance", 0.5)
    if severity not in SEVERITIES:
        raise fail(f"`anomalies: severity:` is one of {', '.join(SEVERITIES)}, not {severity!r}.", "anomalies")
    if not isinstance(columns, list) or not all(isinstance(c, str) and c for c in columns):
        raise fail("`anomalies: columns:` is a list of column names.", "anomalies")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        raise fail("`anomalies: tolerance:` is a number between 0 and 1 (0.5: half to double the usual).", "anomalies")
    return AnomalyPolicy(severity=severity, columns=tuple(columns), tolerance=float(tolerance))
