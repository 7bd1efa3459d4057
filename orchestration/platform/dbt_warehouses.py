"""Which warehouse files a dbt build opens: a dbt-duckdb plugin (dbt/profiles.yml).

Each department's models are built in its own DuckDB file, `<warehouse_dir>/<department>.duckdb`,
whose catalog name is the department: the `database` that dbt_project.yml gives the department's
folders, so `ref()` to another department's model resolves to that department's file. dbt's main
database is in memory and holds nothing; the files are attached when dbt opens its connection,
before it looks at any schema:

* a build run by the orchestration (orchestration/platform/transform.py) writes the list in
  `warehouses.json` in its own target folder: its department's file read-write and the files of
  the departments it reads read-only, matching the file locks it holds. The list is not a dbt
  var, so every department's build shares one parse of the project;
* a `dbt` command typed by hand (no list: `dbt build --profiles-dir dbt --vars ...`) attaches
  every department's file read-write (created when new), for a developer alone on their copy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

ATTACHMENTS = "warehouses.json"
LOCATIONS = Path(__file__).resolve().parents[1] / "locations"  # one folder per department


def attachments_file(target_path: Path) -> Path:
    return target_path / ATTACHMENTS


def write_attachments(target_path: Path, write: dict[str, Path], read: dict[str, Path]) -> None:
    """The warehouses a build opens: department -> file, written and read (read-only)."""
    target_path.mkdir(parents=True, exist_ok=True)
    entries = [{"name": n, "path": str(p), "read_only": False} for n, p in write.items()]
    entries += [{"name": n, "path": str(p), "read_only": True} for n, p in read.items()]
    attachments_file(target_path).write_text(json.dumps(entries, indent=2))


def attach_sql(name: str, path: str, read_only: bool) -> str:
    quoted_path = path.replace("'", "''")
    quoted_name = name.replace('"', '""')
    return f"attach if not exists '{quoted_path}' as \"{quoted_name}\"" + (" (read_only)" if read_only else "")


class Plugin(BasePlugin):
    """Attaches the warehouse files of this dbt invocation to its DuckDB database."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.warehouse_dir = Path(plugin_config["warehouse_dir"])

    def configure_connection(self, conn) -> None:
        target = os.environ.get("DBT_TARGET_PATH")
        listed = attachments_file(Path(target)) if target else None
        if listed is not None and listed.exists():
            entries = json.loads(listed.read_text())
        else:
            self.warehouse_dir.mkdir(parents=True, exist_ok=True)
            entries = [
                {"name": p.parent.name, "path": str(self.warehouse_dir / f"{p.parent.name}.duckdb"), "read_only": False}
                for p in sorted(LOCATIONS.glob("*/definitions.py"))
            ]
        for entry in entries:
            conn.execute(attach_sql(entry["name"], entry["path"], entry["read_only"]))
