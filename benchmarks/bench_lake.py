"""The lake on a local disk vs on Azurite, and the two ways DuckDB can read blob storage.

1. Write the sample's largest table as daily partitions with `Lake.publish_partition`, to a
   local folder and to Azurite; read it back with DuckDB: natively from the folder, through
   adlfs (fsspec: the pinned reads that dbt/profiles.yml's `azure` output uses, and plain
   adlfs with whole-file downloads) and through DuckDB's azure extension
   (duckdb==1.5.5 + duckdb-extension-azure in a throwaway `uv run`, as this repo pins duckdb 2).
2. A full `dbt build` over the lake on Azurite vs over the local lake.
Prints medians and ratios. Needs Azurite (`python -m orchestration.demo.azurite install`) and `uv`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import fsspec
import pyarrow as pa

from benchmarks import median_seconds
from orchestration.demo.azurite import Azurite, executable
from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, SampleSpec, generate
from orchestration.platform.lake import SNAPSHOT_READS, Lake
from orchestration.platform.lake_reads import PinnedBlobFileSystem
from orchestration.platform.settings import PROJECT_ROOT, lake_credentials, settings_for

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
REPEAT = 3
EXTENSION_READ = textwrap.dedent(
    """
    import glob, json, statistics, sys, time, duckdb, duckdb_extension_azure
    path = glob.glob(duckdb_extension_azure.__path__[0] + "/extensions/*/azure.duckdb_extension")[0]
    connection_string, url, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"load '{path}'")
    con.execute("set azure_transport_option_type = 'curl'")
    con.execute("create secret (type azure, connection_string ?)".replace("?", repr(connection_string)))
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = con.execute(f"select count(*) from read_parquet('{url}', hive_partitioning = true)").fetchone()[0]
        times.append(time.perf_counter() - started)
    print(json.dumps({"seconds": statistics.median(times), "rows": rows, "duckdb": duckdb.__version__}))
    """
)


def largest_table(sample_dir: Path) -> tuple[str, str, pa.Table]:
    tables = []
    for path in sorted(sample_dir.glob("*.sqlite")):
        with sqlite3.connect(path) as connection:
            for (name,) in connection.execute("select name from sqlite_master where type = 'table'"):
                tables.append((connection.execute(f'select count(*) from "{name}"').fetchone()[0], path, name))
    _, path, name = max(tables)
    with sqlite3.connect(path) as connection:
        cursor = connection.execute(f'select * from "{name}"')
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    return (
        path.stem,
        name,
        pa.table({c: [str(r[i]) if r[i] is not None else None for r in rows] for i, c in enumerate(columns)}),
    )


def timed(action) -> float:
    return median_seconds(action, REPEAT)


def publish_all(lake: Lake, system: str, name: str, table: pa.Table) -> None:
    chunk = -(-table.num_rows // SAMPLE_DAYS)
    for index in range(SAMPLE_DAYS):
        part = table.slice(index * chunk, chunk)
        lake.publish_partition(system, name, SAMPLE_START + timedelta(days=index), part.schema, part.to_batches())


def duckdb_count(url: str, filesystem=None) -> int:
    with duckdb.connect() as connection:
        if filesystem is not None:
            connection.register_filesystem(filesystem)
        return connection.execute(f"select count(*) from read_parquet('{url}', hive_partitioning = true)").fetchone()[0]


def extension_read(connection_string: str, url: str) -> dict | str:
    command = [
        "uv",
        "run",
        "--no-project",
        "--quiet",
        "--with",
        "duckdb==1.5.5",
        "--with",
        "duckdb-extension-azure==1.5.5",
        "python",
        "-c",
        EXTENSION_READ,
        connection_string,
        url,
        str(REPEAT),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode:
        return f"failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def dbt_build_seconds(settings, environ: dict[str, str]) -> float:
    from orchestration.platform.partitions import event_time_flags
    from orchestration.platform.transform import dbt_vars

    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--quiet",
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT / "dbt"),
        "--target",
        settings.dbt_target,
        "--target-path",
        str(settings.data_dir / "target"),
        "--vars",
        json.dumps(dbt_vars(settings)),
        *event_time_flags(SAMPLE_START, SAMPLE_START + timedelta(days=SAMPLE_DAYS)),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, **environ}, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    if not executable():
        print("Azurite is not installed: python -m orchestration.demo.azurite install")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        service = Azurite(tmp / "azurite").start()
        try:
            run(tmp, service)
        finally:
            service.stop()


def run(tmp: Path, service: Azurite) -> None:
    from dataclasses import replace

    import dagster as dg

    from orchestration.platform.cli import run_window

    local_settings = settings_for("local", data_dir=tmp / "local")
    generate(local_settings.sample_dir, SampleSpec(scale=SCALE))
    system, name, table = largest_table(local_settings.sample_dir)
    print(
        f"Largest table of the sample (scale {SCALE}): {system}.{name}, {table.num_rows} rows, "
        f"{SAMPLE_DAYS} partitions; medians of {REPEAT} runs"
    )

    container = service.create_container("bench")
    environ = {"LAKEHOUSE_LAKE_CONNECTION_STRING": service.connection_string}
    credentials = lake_credentials("abfs://bench", environ)
    local = Lake(str(tmp / "bench-lake"))
    remote = Lake(f"abfs://{container}/bench", credentials).check_access()
    write_local = timed(lambda: publish_all(local, system, name, table))
    write_remote = timed(lambda: publish_all(remote, system, name, table))
    print(f"  write, local disk          {write_local:8.2f} s")
    print(f"  write, Azurite (adlfs)     {write_remote:8.2f} s   x{write_remote / write_local:.1f}")

    glob = f"{system}/{name}/*/data.parquet"
    url = f"abfs://{container}/bench/{glob}"
    read_local = timed(lambda: duckdb_count(f"{local.root}/{glob}"))
    # a new reader each time, as each dbt run has: nothing is read from a previous run's memory
    read_fsspec = timed(lambda: duckdb_count(url, PinnedBlobFileSystem(**credentials.options)))
    read_plain = timed(
        lambda: duckdb_count(
            url, fsspec.filesystem("abfs", skip_instance_cache=True, **credentials.options, **SNAPSHOT_READS)
        )
    )
    print(f"  read, local disk (DuckDB)  {read_local:8.2f} s")
    print(
        f"  read, Azurite via fsspec   {read_fsspec:8.2f} s   x{read_fsspec / read_local:.1f}  (chosen: pinned reads)"
    )
    print(f"  read, Azurite plain adlfs  {read_plain:8.2f} s   x{read_plain / read_local:.1f}  (one download per open)")
    extension = extension_read(service.connection_string, f"az://{container}/bench/{glob}")
    if isinstance(extension, dict):
        print(
            f"  read, Azurite via azure ext{extension['seconds']:8.2f} s   x{extension['seconds'] / read_local:.1f}"
            f"  (duckdb {extension['duckdb']}, {extension['rows']} rows)"
        )
        print(f"  fsspec / azure extension   x{read_fsspec / extension['seconds']:.2f}")
    else:
        print(f"  read, Azurite via azure extension: {extension}")

    # the whole pipeline lands both lakes; then dbt build alone is timed on each
    lake_environ = {**environ, "LAKEHOUSE_LAKE_ROOT": f"abfs://{service.create_container('pipeline')}/lake"}
    on_azurite = replace(
        settings_for("ci", data_dir=tmp / "ci", environ=lake_environ), connections=local_settings.connections
    )
    last = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)
    for settings, env in ((local_settings, {}), (on_azurite, lake_environ)):
        os.environ.update(env)
        assert run_window(
            settings, SAMPLE_START, last, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR"
        ).success
    dbt_local = dbt_build_seconds(local_settings, {})
    dbt_azurite = dbt_build_seconds(on_azurite, lake_environ)
    print(f"  dbt build, local lake      {dbt_local:8.2f} s")
    print(f"  dbt build, lake on Azurite {dbt_azurite:8.2f} s   x{dbt_azurite / dbt_local:.1f}")
