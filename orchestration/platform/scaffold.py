"""Scaffold a staging model from a table the registry lands in the lake.

`make scaffold TABLE=<system>.<table>` reads the schema of the table's latest published
partition and writes `dbt/models/stg/<system>/stg_<system>__<entity>.sql` in the staging
shape of STYLE.md (source, the latest snapshot or the partitioned facts without exact
duplicates, renamed with columns grouped under ids / attributes / dates / audit), plus its
entries in the folder's YAML files. A model over facts is partitioned like them (the dbt config
event_time / batch_size of orchestration/platform/partitions.py).
The SQL and YAML are pure functions of the registry entry and the schema, tested exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import yaml

from orchestration.platform.layout import PARTITION_COLUMN, dbt_external_location
from orchestration.platform.registry import TableSpec
from orchestration.platform.settings import PROJECT_ROOT, Settings

AUDIT_COLUMNS = ("updated_at", "created_at")


class ScaffoldError(ValueError):
    """The model cannot be scaffolded; the message says what to do first."""


def duckdb_type(kind: pa.DataType) -> str:
    if pa.types.is_decimal(kind):
        return f"decimal({kind.precision}, {kind.scale})"
    if pa.types.is_timestamp(kind):
        return "timestamptz" if kind.tz else "timestamp"
    names = {
        pa.int64(): "bigint",
        pa.int32(): "integer",
        pa.int16(): "smallint",
        pa.float64(): "double",
        pa.float32(): "float",
        pa.bool_(): "boolean",
        pa.date32(): "date",
        pa.string(): "varchar",
        pa.large_string(): "varchar",
    }
    return names.get(kind, "varchar")


def column_group(spec: TableSpec, field: pa.Field) -> str:
    name = field.name
    if name in spec.primary_key or name.startswith("id_") or name.endswith("_id"):
        return "ids"
    if name in AUDIT_COLUMNS or name == spec.cursor and pa.types.is_timestamp(field.type):
        return "audit"
    if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
        return "dates"
    return "attributes"


def column_expression(field: pa.Field) -> str:
    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        return f"trim({field.name})"
    return f"cast({field.name} as {duckdb_type(field.type)})"


def staging_sql(spec: TableSpec, schema: pa.Schema) -> str:
    """The staging model of `spec`, keeping source column names (rename them as you see fit)."""
    fields = [f for f in schema if f.name != PARTITION_COLUMN]
    config = ""
    if spec.mode == "snapshot":
        keep_cte = "latest_snapshot"
        keep = (
            "    -- every partition is a full copy of the table: the newest one is its current state\n"
            "    select * from source\n"
            f"    where {PARTITION_COLUMN} = {{{{ latest_partition('{spec.system}', '{spec.table}') }}}}"
        )
        audit = f"cast({PARTITION_COLUMN} as date) as extracted_on"
    else:
        config = f"{{{{ config(event_time='{PARTITION_COLUMN}', batch_size='{spec.grain}') }}}}\n\n"
        keep_cte = "deduplicated"
        keep = (
            "    -- a row sits in the partition of its day only: exact duplicates within it collapse\n"
            "    select * from source\n"
            "    qualify row_number() over (\n"
            f"        partition by {PARTITION_COLUMN}, {', '.join(spec.primary_key)}\n"
            f"        order by {spec.cursor} desc\n"
            "    ) = 1"
        )
        audit = f"cast({PARTITION_COLUMN} as date) as {PARTITION_COLUMN}"
    groups: dict[str, list[str]] = {"ids": [], "attributes": [], "dates": [], "audit": []}
    for field in fields:
        groups[column_group(spec, field)].append(f"{column_expression(field)} as {field.name}")
    groups["audit"].append(audit)
    blocks = [
        f"        -- {name}\n" + "".join(f"        {line},\n" for line in lines)
        for name, lines in groups.items()
        if lines
    ]
    columns = "\n".join(blocks).rstrip(",\n") + "\n"
    return (
        f"{config}with\n\n"
        "source as (\n\n"
        f"    select * from {{{{ source('{spec.system}', '{spec.table}') }}}}\n\n"
        "),\n\n"
        f"{keep_cte} as (\n\n{keep}\n\n"
        "),\n\n"
        "renamed as (\n\n"
        "    select\n"
        f"{columns}\n"
        f"    from {keep_cte}\n\n"
        ")\n\n"
        "select * from renamed\n"
    )


def model_entry(spec: TableSpec, model: str, schema: pa.Schema, described: dict[str, str]) -> dict:
    """The model's YAML entry: description, every column described, key tested."""
    columns = []
    for field in schema:
        if field.name == PARTITION_COLUMN:
            continue  # added below, under the name the model gives it
        column = {
            "name": field.name,
            "description": described.get(field.name)
            or f"{field.name} of {spec.system}.{spec.table} ({duckdb_type(field.type)}).",
        }
        if field.name in spec.primary_key and len(spec.primary_key) == 1:
            column["data_tests"] = ["not_null", "unique"]
        if field.name in spec.personal_data:
            column["config"] = {"tags": ["personal"]}
        columns.append(column)
    if spec.mode == "snapshot":
        columns.append({"name": "extracted_on", "description": "Day (UTC) the snapshot was taken."})
    else:
        columns.append(
            {
                "name": PARTITION_COLUMN,
                "description": f"The lake partition of the row: the day of its {spec.partition_by}.",
            }
        )
    entry = {"name": model, "description": spec.description, "columns": columns}
    if len(spec.primary_key) > 1:
        entry["data_tests"] = [
            {"unique_combination_of_columns": {"arguments": {"combination_of_columns": list(spec.primary_key)}}}
        ]
    return entry


def source_entry(spec: TableSpec, schema: pa.Schema) -> dict:
    return {
        "name": spec.table,
        "description": spec.description,
        "config": {"meta": {"primary_key": ", ".join(spec.primary_key)}},
        "columns": [{"name": f.name, "description": f"{f.name} ({duckdb_type(f.type)})."} for f in schema],
    }


def scaffold(spec: TableSpec, schema: pa.Schema, models_dir: Path, entity: str | None = None) -> list[Path]:
    """Write the staging model and its YAML entries; return the files written."""
    folder = models_dir / "stg" / spec.system
    model = f"stg_{spec.system}__{entity or spec.table}"
    sql_path = folder / f"{model}.sql"
    if sql_path.exists():
        raise ScaffoldError(f"{sql_path} already exists: delete it first to scaffold again.")
    folder.mkdir(parents=True, exist_ok=True)
    sources_path = folder / f"_{spec.system}__sources.yml"
    models_path = folder / f"_{spec.system}__models.yml"

    if not sources_path.exists():  # a new system: its source, read where the lake writes it
        sources_path.write_text(
            dump_yaml(
                {
                    "version": 2,
                    "sources": [
                        {
                            "name": spec.system,
                            "description": f"The {spec.system} system, landed in the lake as Hive-partitioned Parquet.",
                            "config": {"meta": {"external_location": dbt_external_location(spec.system)}},
                            "tables": [],
                        }
                    ],
                }
            )
        )
    if spec.department:  # its staging models are built in its department's warehouse
        add_folder_config(
            models_dir.parent.parent / "dbt_project.yml", "stg", spec.system, {"+database": spec.department}
        )
    sources = _load(sources_path)
    source = next((s for s in sources.get("sources", []) if s["name"] == spec.system), None)
    if source is None:
        raise ScaffoldError(f"{sources_path} declares no source named {spec.system!r}.")
    declared = next((t for t in source.get("tables") or [] if t["name"] == spec.table), None)
    if declared is None and not source.get("tables"):
        declared = source_entry(spec, schema)
        source["tables"] = [declared]
        sources_path.write_text(dump_yaml(sources))
    elif declared is None:
        declared = source_entry(spec, schema)
        add_to_section(sources_path, declared, "sources", indent=6, where=lambda d: d["sources"][-1]["tables"])
    described = {c["name"]: c.get("description", "") for c in declared.get("columns", [])}

    entry = model_entry(spec, model, schema, described)
    if models_path.exists():
        add_to_section(models_path, entry, "models", indent=2, where=lambda d: d["models"])
    else:
        models_path.write_text(yaml.safe_dump({"version": 2, "models": [entry]}, sort_keys=False))
    sql_path.write_text(staging_sql(spec, schema))
    return [sql_path, sources_path, models_path]


def scaffold_landed(settings: Settings, name: str, entity: str | None = None) -> list[Path]:
    """`make scaffold TABLE=<system>.<table>`: the staging model of a table of the registry, from
    the schema of its newest partition in the lake."""
    import pyarrow.parquet as pq

    from orchestration.platform.registry import load_all

    spec = next((s for s in load_all() if s.name == name), None)
    if spec is None:
        raise ScaffoldError(
            f"{name} is not in any department's registry: declare it first in its department's "
            "orchestration/locations/<department>/defs/sources/defs.yaml."
        )
    lake = settings.open_lake()
    newest = lake.newest_partition(spec.system, spec.table)
    if newest is None:
        raise ScaffoldError(
            f"{name} has no partition in the lake yet: land it first, e.g. "
            f"`make run FROM=2026-01-01 SELECT='key:raw/{spec.system}/{spec.table}'`."
        )
    schema = pq.read_schema(lake.partition_path(spec.system, spec.table, newest), filesystem=lake.fs)
    return scaffold(spec, schema, PROJECT_ROOT / "dbt" / "models", entity)


def dump_yaml(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def add_folder_config(project_file: Path, layer: str, folder: str, config: dict) -> bool:
    """Give `models/<layer>/<folder>/` its folder-level config in dbt_project.yml (under
    `models: lakehouse: <layer>:`), keeping the file's comments; False when it already has one."""
    original = project_file.read_text()
    models = yaml.safe_load(original)["models"]["lakehouse"]
    if folder in (models.get(layer) or {}):
        return False
    lines = original.rstrip("\n").split("\n")
    start = lines.index(f"    {layer}:")
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].strip()
            and not lines[i].lstrip().startswith("#")
            and len(lines[i]) - len(lines[i].lstrip()) <= 4
        ),
        len(lines),
    )
    while not lines[end - 1].strip():
        end -= 1
    block = yaml.safe_dump({folder: config}, sort_keys=False, width=100)
    lines[end:end] = ["      " + line for line in block.splitlines()]
    project_file.write_text("\n".join(lines) + "\n")
    if (yaml.safe_load(project_file.read_text())["models"]["lakehouse"][layer] or {}).get(folder) != config:
        project_file.write_text(original)
        raise ScaffoldError(f"Could not add {layer}/{folder} to {project_file}: add by hand:\n{block}")
    return True


def _load(path: Path) -> dict | None:
    return yaml.safe_load(path.read_text()) if path.exists() else None


def add_to_section(path: Path, item: dict, section: str, indent: int | None, where) -> None:
    """Insert `item` at the end of the top-level `section` of a YAML file, keeping its
    comments, `indent` spaces in (None: as the section's first items are); the result is parsed back and the file restored if `item` did not land last
    in `where(document)`."""
    original = path.read_text()
    lines = original.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith(f"{section}:")), None)
    end = len(lines)
    if start is not None:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i][:1] not in ("", " ", "#", "-")),
            len(lines),
        )
    items = [line for line in lines[start + 1 : end] if line.lstrip().startswith("- ")] if start is not None else []
    if indent is None:  # as the section's items are indented (2 when it has none)
        indent = len(items[0]) - len(items[0].lstrip()) if items else 2
    block = yaml.safe_dump([item], sort_keys=False, allow_unicode=True, width=100)
    indented = [" " * indent + line if line.strip() else line for line in block.splitlines()]
    head = lines[:end]
    while head and not head[-1].strip():
        head.pop()
    path.write_text("\n".join(head + [""] + indented + [""] + lines[end:]) + "\n")
    try:
        landed = where(yaml.safe_load(path.read_text()))[-1] == item
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        landed = False
    if not landed:
        path.write_text(original)
        raise ScaffoldError(f"Could not add to {path}: add this entry by hand:\n{block}")


# --- a new department: its code location ---

DEPARTMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


def location_files(name: str, owner: str, description: str) -> dict[str, str]:
    """The files of a new department's folder, orchestration/locations/<name>/ (path -> text)."""
    return {
        "__init__.py": "",
        "defs/__init__.py": "",
        "definitions.py": (
            f'"""{description}\n\nOwner: {owner}. A code location of its own (workspace.yaml): its components are\n'
            'declared in defs/ (sources, dbt models, publication); the platform does the rest.\n"""\n\n'
            "import dagster as dg\n\n"
            "from orchestration.platform.definitions import build_definitions\n"
            "from orchestration.platform.settings import load_settings\n\n\n"
            "@dg.definitions\n"
            "def defs() -> dg.Definitions:\n"
            f'    return build_definitions(load_settings(), ["{name}"])\n'
        ),
        "defs/models/defs.yaml": (
            f"# The dbt models this department owns: those whose `database` is {name} in dbt_project.yml.\n"
            "type: orchestration.platform.components.DbtModels\n"
            f"attributes:\n  department: {name}\n"
        ),
        "defs/publication/defs.yaml": (
            "# Publishes the department's gold tables to the serving layer, and its dashboards.\n"
            "type: orchestration.platform.components.Publication\n"
            f"attributes:\n  department: {name}\n"
        ),
    }


def scaffold_location(project: Path, name: str, owner: str, description: str) -> list[Path]:
    """A new department: its folder under orchestration/locations/, its entry in workspace.yaml
    and its int/gld folders in dbt_project.yml (its `database` and owner). All or nothing."""
    if not DEPARTMENT_NAME.match(name):
        raise ScaffoldError(
            f"NAME={name!r}: a department's name is lower case letters, digits and _, "
            "starting with a letter (it names a folder, a code location and a DuckDB file)."
        )
    if "@" not in owner:
        raise ScaffoldError(f"OWNER={owner!r}: give the e-mail address of the department's data steward.")
    folder = project / "orchestration" / "locations" / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists: the department {name!r} is there already.")
    workspace = project / "workspace.yaml"
    dbt_project = project / "dbt_project.yml"
    saved = {path: path.read_text() for path in (workspace, dbt_project)}
    written = []
    try:
        for relative, text in location_files(name, owner, description).items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
        entry = (
            f"  - python_module:\n      module_name: orchestration.locations.{name}.definitions\n"
            f"      location_name: {name}\n"
        )
        workspace.write_text(saved[workspace].rstrip("\n") + "\n" + entry)
        for layer in ("int", "gld"):
            add_folder_config(dbt_project, layer, name, {"+database": name, "+meta": {"owner": owner}})
    except Exception:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        for path, text in saved.items():
            path.write_text(text)
        raise
    return [folder, workspace, dbt_project]
