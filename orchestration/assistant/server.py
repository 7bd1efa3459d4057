"""The MCP server: each tool a thin wrapper over catalogue.py (read) or authoring.py (draft).

A tool's anticipated failure (an unknown asset, a draft that cannot be written) returns its
message to the client as an error it can act on; anything else returns "Error executing tool"
and the traceback goes to the server's log (stderr, which MCP clients keep), never to the answer.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from functools import cache
from pathlib import Path

import dagster as dg
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from orchestration.assistant import authoring
from orchestration.assistant.catalogue import Catalogue, NotFound
from orchestration.platform.alerts import redact, secret_values
from orchestration.platform.extractors import ExtractError
from orchestration.platform.lake import LakeError
from orchestration.platform.settings import PROJECT_ROOT, SettingsError, load_settings

INSTRUCTIONS = """\
You help analysts of a ministry's data platform: Denodo views and application databases land in a
lake, dbt builds stg / int / gld models on DuckDB, Dagster orchestrates one code location per
department. Find things with search_catalogue and describe_asset; explain failures with
explain_run or explain_check; look at published figures with preview_gold_table (personal columns
are masked). To add a source table: draft_source_entry, then (once landed) scaffold_staging_model;
to add an int_ or gld_ model: draft_model. Drafts are only files in the working tree: each tool
returns make lint's errors, fix them by calling it again or editing the files; the analyst reviews
with git diff. Nothing is run in production from here.
"""

server = MCPServer("lakehouse", instructions=INSTRUCTIONS, log_level="WARNING")


@cache
def secrets() -> list[str]:
    """Every secret value of the environment's settings; when they cannot load, the value of every
    LAKEHOUSE_ variable, to be safe."""
    try:
        return secret_values(load_settings())
    except SettingsError:
        return [v for k, v in os.environ.items() if k.startswith("LAKEHOUSE_") and len(v) >= 8]


@cache
def catalogue() -> Catalogue:
    """The environment's catalogue; the history is the instance at DAGSTER_HOME (`make dev`'s
    .dagster_home by default), or none yet."""
    home = os.environ.get("DAGSTER_HOME") or str(PROJECT_ROOT / ".dagster_home")
    if (Path(home) / "dagster.yaml").exists():
        instance = dg.DagsterInstance.from_config(home)
    else:
        print(f"No Dagster instance at {home}: answering without run history.", file=sys.stderr)
        instance = dg.DagsterInstance.ephemeral()
    return Catalogue(load_settings(), instance)


# failures a tool anticipates: their messages name what to fix (and never a secret)
TOLD = (NotFound, ValueError, SettingsError, ExtractError, LakeError, FileNotFoundError)
DRAFTING = threading.Lock()  # drafts edit shared YAML files: one at a time


def answer(action, *args, **kwargs) -> str:
    """`action(catalogue, ...)`'s answer, with every secret value replaced by `***`."""
    try:
        found = catalogue()
        return found.safe(action(found, *args, **kwargs))
    except TOLD as error:
        raise ToolError(redact(str(error), secrets())) from None


def draft(action, *args, **kwargs) -> str:
    with DRAFTING:
        return answer(lambda found: action(found.settings, *args, **kwargs))


@server.tool()
def search_catalogue(query: str, limit: int = 10) -> str:
    """Find assets (source tables, lake tables, dbt models, gold tables, dashboards) by words of
    their name, description, columns, owners or tags, e.g. "grant payments" or "affiliations"."""
    return answer(Catalogue.search, query, limit)


@server.tool()
def describe_asset(asset: str) -> str:
    """One asset by its key (e.g. gld/gld_culture__subventions_mensuelles, raw/subventions/paiement):
    description, columns (personal ones marked), upstream and downstream assets, checks with their
    last results, last materialisation, partitions."""
    return answer(Catalogue.describe, asset)


@server.tool()
def explain_run(run_id: str | None = None) -> str:
    """Why a run failed, in a few lines: failed steps with the platform's message (cause and fix),
    failed checks with what they verify, what to do next. Without run_id: the latest failed run."""
    return answer(Catalogue.explain_run, run_id)


@server.tool()
def explain_check(asset: str, check: str) -> str:
    """A check's last result on an asset (its name as describe_asset lists it): what it verifies
    and, when it failed, what it found and what to do."""
    return answer(Catalogue.explain_check, asset, check)


@server.tool()
def preview_gold_table(table: str, rows: int = 10) -> str:
    """The first rows (20 at most) of a published gold table, as the dashboards read it; personal
    columns are masked."""
    return answer(Catalogue.preview, table, rows)


@server.tool()
def draft_source_entry(system: str, table: str, description: str, cursor: str | None = None) -> str:
    """Declare a table of a known source system in its department's registry (defs.yaml), from the
    table's live columns: proposes its key, its mode (incremental when a `cursor` column is given)
    and its personal columns, then validates. Writes the file only."""
    return draft(authoring.draft_source, system, table, description, cursor)


@server.tool()
def scaffold_staging_model(table: str, entity: str | None = None) -> str:
    """The staging model of a landed registry table, `<system>.<table>` (as `make scaffold`), then
    validated. Writes files only."""
    return draft(authoring.scaffold_staging, table, entity)


@server.tool()
def draft_model(name: str, sql: str, description: str, columns: list[dict], unique_key: list[str]) -> str:
    """Write an intermediate or gold model: `name` int_<department>__<entity> or
    gld_<department>__<entity>, its dbt SQL (ref() and source() as in the project), a description,
    its columns ([{name, description, data_type}], data_type required for gold: its contract) and
    the columns of its key; then validate as make lint does. Writes files only."""
    return draft(authoring.draft_model, name, sql, description, columns, unique_key)


@server.tool()
def validate_project(sql_files: list[str] | None = None) -> str:
    """make lint's checks on the working tree as it is now (after editing a draft): sqlfluff on the
    given SQL files (paths from the project's root), dbt parse, the registry, the conventions."""
    return draft(authoring.validate, sql_files or [])


def client_config() -> dict:
    """How an MCP client starts this server (Claude Desktop, VS Code, Cursor... take this shape)."""
    return {
        "mcpServers": {
            "lakehouse": {
                "command": sys.executable,
                "args": ["-m", "orchestration.assistant"],
                "cwd": str(PROJECT_ROOT),
                "env": {
                    "PYTHONPATH": str(PROJECT_ROOT),
                    "DAGSTER_HOME": os.environ.get("DAGSTER_HOME") or str(PROJECT_ROOT / ".dagster_home"),
                },
            }
        }
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--client-config"]:  # make assistant
        print(json.dumps(client_config(), indent=2))
        print(
            "\nAdd the block above to your MCP client's configuration (Claude Desktop: "
            "claude_desktop_config.json; VS Code: .vscode/mcp.json, under `servers`; Cursor: "
            ".cursor/mcp.json). The client starts the server itself, over stdio, on this machine; "
            "it reads the environment LAKEHOUSE_ENV names (local by default). docs/assistant.md "
            "lists the tools.",
            file=sys.stderr,
        )
        return
    server.run()
