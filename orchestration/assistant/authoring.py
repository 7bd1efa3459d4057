"""What the assistant writes: drafts in the working tree, validated as `make lint` would.

Each tool writes files (a registry entry, a staging model, an intermediate or gold model with
its YAML) and then runs the same checks as `make lint` on the project as it now stands: sqlfluff
on the SQL written, `dbt parse`, the registry and the project's conventions. It returns what it
wrote and every error to fix, in the words `make lint` uses. Nothing is materialised, committed
or sent anywhere; the analyst reviews the files (`git diff`) and keeps or deletes them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from orchestration.platform.alerts import secret_values
from orchestration.platform.conventions import check_manifest, registry_violations
from orchestration.platform.privacy import looks_personal, proposed_policy
from orchestration.platform.registry import department_of, display, load_all, registry_files
from orchestration.platform.scaffold import ScaffoldError, add_to_section, dump_yaml, scaffold_landed
from orchestration.platform.settings import PROJECT_ROOT, Settings

MODEL_NAME = re.compile(r"^(int|gld)_([a-z][a-z0-9]*)__([a-z][a-z0-9_]*)$")
KEY_NAME = re.compile(r"^(id|id_.+|.+_id)$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TIMESTAMP_TYPES = ("timestamp", "date")


class DraftError(ValueError):
    """A draft cannot be written as asked; the message says why and what to ask instead."""


def validate(settings: Settings, sql_files: list[str]) -> str:
    """`validate_project`: make lint's checks after the analyst edited drafts by hand."""
    paths = [(PROJECT_ROOT / p).resolve() for p in sql_files]
    wrong = [p for p, path in zip(sql_files, paths) if not path.is_relative_to(PROJECT_ROOT) or not path.is_file()]
    if wrong:
        raise DraftError(f"No such file in the project: {', '.join(wrong)} (paths from the project's root).")
    problems = validation(settings, paths)
    if not problems:
        return "make lint's checks pass."
    return "\n".join([f"{len(problems)} problem(s) to fix:", *(f"- {p}" for p in problems)])


def validation(settings: Settings, sql_files: list[Path]) -> list[str]:
    """`make lint`'s checks on the project as it stands: sqlfluff on `sql_files`, `dbt parse`, the
    registry and the conventions. Returns the problems, one per line (none: all good). dbt and
    sqlfluff run without the environment's secrets: a draft's Jinja could otherwise print one."""
    secrets = set(secret_values(settings))
    environ = {name: value for name, value in os.environ.items() if value not in secrets}
    problems = lint_sql(sql_files, environ)
    with tempfile.TemporaryDirectory() as target:
        parse = subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"),
                "parse",
                "--quiet",
                "--project-dir",
                str(PROJECT_ROOT),
                "--profiles-dir",
                str(PROJECT_ROOT / "dbt"),
                "--target-path",
                target,
            ],
            cwd=PROJECT_ROOT,
            env=environ,
            capture_output=True,
            text=True,
        )
        if parse.returncode:
            output = (parse.stdout + parse.stderr).strip().splitlines()
            return [*problems, "dbt parse failed: " + " ".join(line.strip() for line in output[-8:])]
        manifest = json.loads((Path(target) / "manifest.json").read_text())
    problems += [str(v) for path in registry_files() for v in registry_violations(path)]
    problems += [str(v) for v in check_manifest(manifest)]
    return problems


def lint_sql(paths: list[Path], environ: dict[str, str]) -> list[str]:
    if not paths:
        return []
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sqlfluff"), "lint", "--format", "json", *map(str, paths)],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
    )
    try:
        files = json.loads(result.stdout)
    except json.JSONDecodeError:
        return [f"sqlfluff could not run: {(result.stderr or result.stdout).strip()[-500:]}"]
    return [
        f"{Path(f['filepath']).relative_to(PROJECT_ROOT) if Path(f['filepath']).is_absolute() else f['filepath']}"
        f":{v.get('start_line_no', v.get('line_no'))}: {v['description']} [sqlfluff {v['code']}]"
        for f in files
        for v in f["violations"]
    ]


def report(written: list[Path], problems: list[str], next_step: str) -> str:
    lines = ["Wrote (review with `git diff`; `git restore` or delete what you do not keep):"]
    lines += [f"- {p.relative_to(PROJECT_ROOT)}" for p in written]
    if problems:
        lines.append(f"make lint would fail, {len(problems)} problem(s) to fix:")
        lines += [f"- {p}" for p in problems]
    else:
        lines.append("make lint's checks pass.")
    lines.append(f"Next: {next_step}")
    return "\n".join(lines)


# --- a registry entry, from the source's live schema ---


def draft_source(settings: Settings, system: str, table: str, description: str, cursor: str | None = None) -> str:
    """Add `table` of the known `system` to its department's registry, from the table's columns
    as the source describes them now: key, mode and personal columns proposed for review."""
    from orchestration.platform.extractors import Source, open_extractor

    if not NAME.match(table):
        raise DraftError(f"{table!r} is not a table name of the lake: lower case letters, digits and _.")
    known = [s for s in load_all() if s.system == system]
    if not known:
        systems = sorted({s.system for s in load_all()})
        raise DraftError(
            f"No system {system!r} in any registry (known: {', '.join(systems)}). A new system needs its "
            "connection in orchestration/connections.yml and its block in a department's defs.yaml first."
        )
    if any(s.table == table for s in known):
        raise DraftError(f"{system}.{table} is already declared ({known[0].where.split(':')[0]}).")
    spec = known[0]
    connection = settings.connections.get(spec.connection)
    if connection is None:
        raise DraftError(f"Connection {spec.connection!r} is not defined for environment {settings.environment!r}.")
    extractor = open_extractor(connection, settings.source_environ, f"{system}.{table}")
    described = extractor.describe(Source(table=table))
    columns = {field.name: str(field.type) for field in described.schema}
    if cursor is not None and cursor not in columns:
        raise DraftError(f"{system}.{table} has no column {cursor!r}; its columns: {', '.join(columns)}.")
    keys = [name for name in columns if KEY_NAME.match(name)]
    primary_key = [next((k for k in keys if table in k), keys[0] if keys else next(iter(columns)))]
    entry: dict = {"description": description, "primary_key": primary_key}
    if cursor:
        entry |= {"mode": "incremental", "cursor": cursor}
    else:
        entry["mode"] = "snapshot"
    personal = [name for name in columns if looks_personal(name)]
    if personal:  # a policy proposed per column, for the steward to confirm (docs/personal-data.md)
        entry["personal_data"] = {name: proposed_policy(name, columns[name]) for name in personal}
    path = next(p for p in registry_files() if department_of(p) == spec.department)
    add_table(path, system, table, entry)
    problems = validation(settings, [])
    timestamps = [n for n, t in columns.items() if t.startswith(TIMESTAMP_TYPES)]
    text = report(
        [path],
        problems,
        f"land it (`make run FROM=... SELECT='key:raw/{system}/{table}'`), then `scaffold_staging_model` "
        "(which also declares its dbt source).",
    )
    return (
        f"{system}.{table} has {len(columns)} columns: "
        + ", ".join(f"{n} ({t})" for n, t in columns.items())
        + f".\nProposed primary key {primary_key} and mode {entry['mode']}"
        + (f" (a timestamp column could be its cursor: {', '.join(timestamps)})" if not cursor and timestamps else "")
        + (f"; personal columns {entry['personal_data']}" if personal else "")
        + ": check them against the source's documentation.\n"
        + text
    )


def add_table(path: Path, system: str, table: str, entry: dict) -> None:
    """Append `table: entry` under `systems.<system>.tables` of a registry file, keeping its
    comments; the file is parsed back, and restored if the entry did not land."""
    original = path.read_text()
    lines = original.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == f"{system}:"), None)
    tables = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "tables:"), None) if start else None
    if tables is None:
        raise DraftError(f"{display(path)} has no `{system}:` block with `tables:`; add the entry by hand.")
    indent = len(lines[tables]) - len(lines[tables].lstrip()) + 2
    end = next(
        (
            i
            for i in range(tables + 1, len(lines))
            if lines[i].strip()
            and not lines[i].lstrip().startswith("#")
            and len(lines[i]) - len(lines[i].lstrip()) < indent
        ),
        len(lines),
    )
    while not lines[end - 1].strip():
        end -= 1
    block = dump_yaml({table: entry})
    lines[end:end] = [" " * indent + line for line in block.splitlines()]
    path.write_text("\n".join(lines) + "\n")
    try:
        landed = yaml.safe_load(path.read_text())["attributes"]["systems"][system]["tables"][table] == entry
    except (yaml.YAMLError, KeyError, TypeError):
        landed = False
    if not landed:
        path.write_text(original)
        raise DraftError(f"Could not add the entry to {display(path)}; add it by hand:\n{block}")


# --- a staging model, from the landed table ---


def scaffold_staging(settings: Settings, table: str, entity: str | None = None) -> str:
    """`make scaffold`: the staging model of a landed table (<system>.<table>), then validated."""
    if entity is not None and not NAME.match(entity):
        raise DraftError(f"{entity!r} is not a model entity: lower case letters, digits and _.")
    try:
        written = scaffold_landed(settings, table, entity)
    except ScaffoldError as error:
        raise DraftError(str(error)) from None
    return report(
        written,
        validation(settings, [p for p in written if p.suffix == ".sql"]),
        "rename the columns in the `renamed` CTE, describe them, then `make dev` to build it.",
    )


# --- an intermediate or gold model ---


def draft_model(
    settings: Settings,
    name: str,
    sql: str,
    description: str,
    columns: list[dict],
    unique_key: list[str],
) -> str:
    """Write dbt/models/<int|gld>/<department>/<name>.sql and its entry in the folder's
    _<department>__models.yml (description, columns, key tests; a gold model also its enforced
    contract), then validate the project."""
    match = MODEL_NAME.match(name)
    if match is None:
        raise DraftError(
            f"{name!r} is not a model name of this project: int_<department>__<entity> or "
            "gld_<department>__<entity>, lower case (docs/conventions in README)."
        )
    layer, department, _ = match.groups()
    folder = PROJECT_ROOT / "dbt" / "models" / layer / department
    if not folder.is_dir():
        departments = sorted(p.name for p in folder.parent.iterdir() if p.is_dir())
        raise DraftError(f"No department {department!r} with {layer} models (there are: {', '.join(departments)}).")
    sql_path, yaml_path = folder / f"{name}.sql", folder / f"_{department}__models.yml"
    if sql_path.exists():
        raise DraftError(f"{sql_path.relative_to(PROJECT_ROOT)} already exists: choose another name or edit it.")
    missing = [c for c in unique_key if c not in {col.get("name") for col in columns}]
    if not unique_key or missing:
        raise DraftError(f"unique_key must name one or more of the columns given (missing: {missing or 'all'}).")
    entry: dict = {"name": name, "description": description}
    if layer == "gld":
        entry["config"] = {"contract": {"enforced": True}}
    entry["columns"] = []
    for column in columns:
        if not NAME.match(str(column.get("name", ""))):
            raise DraftError(f"Every column needs a `name` in lower case letters, digits and _ (got {column}).")
        if layer == "gld" and not column.get("data_type"):
            raise DraftError(f"Gold column {column['name']} needs its `data_type`: the contract checks it.")
        described = {"name": column["name"], "description": column.get("description", "")}
        if layer == "gld":
            described["data_type"] = column.get("data_type", "")
        if column["name"] in unique_key:
            described["data_tests"] = ["not_null"] + (["unique"] if len(unique_key) == 1 else [])
            if layer == "gld":
                described["constraints"] = [{"type": "not_null"}]
        entry["columns"].append(described)
    if len(unique_key) > 1:
        entry["data_tests"] = [{"unique_combination_of_columns": {"arguments": {"combination_of_columns": unique_key}}}]
    if yaml_path.exists():  # the folder's models file, as the project writes them
        try:
            add_to_section(yaml_path, entry, "models", indent=None, where=lambda document: document["models"])
        except ScaffoldError as error:
            raise DraftError(str(error)) from None
    else:
        yaml_path.write_text(dump_yaml({"version": 2, "models": [entry]}))
    sql_path.write_text(sql.strip() + "\n")
    return report(
        [sql_path, yaml_path],
        validation(settings, [sql_path]),
        f"`make dev` and materialise {layer}/{name}, or `make run`.",
    )
