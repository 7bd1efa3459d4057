"""Extraction of a `paiement`-shaped table to Parquet: our extractor against its peers.

PostgreSQL: ours (connectorx stream -> Lake.publish_partition), connectorx to one Arrow
table + pyarrow dataset write, DuckDB's postgres scanner (duckdb 1.5.5 in a throwaway `uv`
environment: the pinned DuckDB cannot load it offline), pandas.read_sql in chunks, and the
server's own binary COPY to /dev/null (the floor). MariaDB: ours, connectorx, pandas.
"ours, wide decimal" reads the same table with `montant` as numeric(38,2) / decimal(38,2),
which the type contract parses from the server's text (connectorx cannot carry it): the cost of
that exactness. Each contender runs in its own process (peak memory = its resident high-water mark, VmHWM,
imports included; time from after its imports to its last byte written; CPU = the client
process's user + system seconds, imports included: on this 2-core machine the server competes
for the same cores); the median of
BENCH_REPEATS runs is reported. Sizes: BENCH_ROWS (default 1000000,3000000).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root"}
EXPECTED_ROWS = [0]  # rows of the table being measured: every contender must write them all
WIDE = "ours, wide decimal"  # not a peer: ours on numeric(38,2), parsed from text
THROWAWAY = ["uv", "run", "--quiet", "--no-project", "--python", sys.executable]

PREAMBLE = """
import json, resource, sys, time
args = json.loads(sys.argv[1])
"""
# Peak memory is the process's own high-water mark (VmHWM), not ru_maxrss: Linux carries the
# parent's high-water mark into ru_maxrss across fork + exec, so a large `make bench` parent
# would put a floor under every contender's figure.
EPILOGUE = """
usage = resource.getrusage(resource.RUSAGE_SELF)
hwm_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"seconds": time.monotonic() - started, "rows": globals().get("rows"),
                  "peak_mb": hwm_kb / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}))
"""
OURS = """
from datetime import date
from orchestration.platform.connections import ConnectionSpec
from orchestration.platform.extractors import ReadRequest, Source, open_extractor
from orchestration.platform.lake import Lake
started = time.monotonic()
spec = ConnectionSpec("bench", args["engine"], args["connection"])
extractor = open_extractor(spec, {}, "bench")
source = Source(table=args.get("table", "paiement"))
described = extractor.describe(source)
rows = Lake(args["out"]).publish_partition(
    "bench", "paiement", date(2026, 1, 1), described.schema,
    extractor.batches(ReadRequest(source, described)),
).rows
"""
CONNECTORX = """
import connectorx, pyarrow.dataset as ds
started = time.monotonic()
table = connectorx.read_sql(args["url"], "select * from paiement", return_type="arrow")
rows = table.num_rows
ds.write_dataset(table, args["out"] + "/partition_date=2026-01-01", format="parquet",
                 existing_data_behavior="overwrite_or_ignore")
"""
DUCKDB = """
import duckdb, glob, duckdb_extension_postgres_scanner as extension
started = time.monotonic()
c = duckdb.connect()
c.execute(f"load '{glob.glob(extension.__path__[0] + '/extensions/*/*.duckdb_extension')[0]}'")
c.execute(f"attach '{args['dsn']}' as src (type postgres, read_only)")
c.execute(f"copy (select * from src.public.paiement) to '{args['out']}/data.parquet' (format parquet, compression zstd)")
rows = c.execute(f"select count(*) from '{args['out']}/data.parquet'").fetchone()[0]
"""
PANDAS = """
import pandas, pyarrow as pa, pyarrow.parquet as pq, sqlalchemy
started = time.monotonic()
engine = sqlalchemy.create_engine(args["sqlalchemy"])
writer = rows = None
with engine.connect().execution_options(stream_results=True) as connection:
    for chunk in pandas.read_sql("select * from paiement", connection, chunksize=65536):
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        writer = writer or pq.ParquetWriter(args["out"] + "/data.parquet", table.schema)
        writer.write_table(table)
        rows = (rows or 0) + table.num_rows
writer.close()
"""
COPY_FLOOR = """
import psycopg
started = time.monotonic()
with psycopg.connect(**args["pg"]) as c, c.cursor().copy("copy paiement to stdout (format binary)") as copy:
    for _ in copy:
        pass
rows = args["rows"]
"""


def run(code: str, args: dict, throwaway: list[str] | None = None) -> dict:
    with tempfile.TemporaryDirectory() as out:
        args = {**args, "out": out}
        command = [*(throwaway or [sys.executable]), "-c", PREAMBLE + code + EPILOGUE, json.dumps(args)]
        if throwaway:
            command = [*throwaway, "python", "-c", PREAMBLE + code + EPILOGUE, json.dumps(args)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:120]}
        return json.loads(done.stdout.strip().splitlines()[-1])


def measure(code, args, repeats, throwaway=None) -> dict:
    args = {**args, "expected": EXPECTED_ROWS[0]}
    runs = [run(code, args, throwaway) for _ in range(repeats)]
    if any("error" in r for r in runs):
        return next(r for r in runs if "error" in r)
    if any(r["rows"] != args["expected"] for r in runs):
        return {"error": f"wrote {runs[0]['rows']} rows, not {args['expected']}"}
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
    }


def create_postgres(rows: int) -> str:
    import psycopg

    name = f"lakehouse_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f"create database {name}")
    with psycopg.connect(**PG, dbname=name, autocommit=True) as db:
        db.execute(
            "create table paiement (id_paiement bigint primary key, id_demande bigint, "
            "montant numeric(12,2), paye_le date, updated_at timestamptz)"
        )
        db.execute(
            "insert into paiement select g, g / 3, (g %% 500000) / 100.0 + 50, "
            "date '2026-01-01' + (g %% 90), timestamptz '2026-01-01 08:00+00' + (g %% 7776000) * interval '1 second' "
            "from generate_series(1, %s) g",
            (rows,),
        )
        db.execute(
            "create table paiement_wide as select id_paiement, id_demande, "
            "montant::numeric(38,2) as montant, paye_le, updated_at from paiement"
        )
        db.execute("vacuum analyze paiement")
        db.execute("vacuum analyze paiement_wide")
    return name


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")


def create_mysql(rows: int) -> str:
    import pymysql

    name = f"lakehouse_bench_{uuid.uuid4().hex[:8]}"
    connection = pymysql.connect(**MYSQL, password="", autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute(f"create database {name}")
        cursor.execute(f"use {name}")
        cursor.execute(
            f"create table {name}.paiement (id_paiement bigint primary key, id_demande bigint, "
            "montant decimal(12,2), paye_le date, updated_at timestamp(6) null)"
        )
        cursor.execute("set time_zone = '+00:00'")
        cursor.execute(
            f"insert into {name}.paiement select seq, seq div 3, (seq mod 500000) / 100 + 50, "
            "'2026-01-01' + interval (seq mod 90) day, "
            "timestamp '2026-01-01 08:00:00' + interval (seq mod 7776000) second "
            f"from seq_1_to_{rows}"
        )
        cursor.execute(
            f"create table {name}.paiement_wide as select id_paiement, id_demande, "
            f"cast(montant as decimal(38,2)) as montant, paye_le, updated_at from {name}.paiement"
        )
    connection.close()
    return name


def drop_mysql(name: str) -> None:
    import pymysql

    connection = pymysql.connect(**MYSQL, password="", autocommit=True)
    connection.cursor().execute(f"drop database if exists {name}")
    connection.close()


def report(engine: str, rows: int, results: dict) -> None:
    ours = results["ours"]
    print(f"\n{engine}, {rows:,} rows")
    print(f"  {'contender':<24}{'median s':>10}{'rows/s':>14}{'peak MB':>10}{'CPU s':>8}{'vs ours':>10}")
    for name, result in results.items():
        if "error" in result:
            print(f"  {name:<24}unavailable: {result['error']}")
            continue
        ratio = result["seconds"] / ours["seconds"] if "seconds" in ours else float("nan")
        print(
            f"  {name:<24}{result['seconds']:>10.2f}{rows / result['seconds']:>14,.0f}"
            f"{result['peak_mb']:>10.0f}{result['cpu_s']:>8.1f}{ratio:>9.2f}x"
        )


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_ROWS", "1000000,3000000").split(",")]
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    print(f"sizes {sizes}, median of {repeats} runs, each contender in its own process")
    peaks = {}
    for rows in sizes:
        EXPECTED_ROWS[0] = rows
        name = create_postgres(rows)
        try:
            conn = {**PG, "database": name}
            url = f"postgresql://postgres@127.0.0.1:5432/{name}"
            results = {
                "ours": measure(OURS, {"engine": "postgres", "connection": conn}, repeats),
                WIDE: measure(OURS, {"engine": "postgres", "connection": conn, "table": "paiement_wide"}, repeats),
                "connectorx + pyarrow": measure(CONNECTORX, {"url": url}, repeats),
                "duckdb postgres_scanner": measure(
                    DUCKDB,
                    {"dsn": f"host=127.0.0.1 user=postgres dbname={name}"},
                    repeats,
                    [*THROWAWAY, "--with", "duckdb==1.5.5", "--with", "duckdb-extension-postgres_scanner"],
                ),
                "pandas.read_sql chunks": measure(
                    PANDAS,
                    {"sqlalchemy": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"},
                    1,
                    [
                        *THROWAWAY,
                        "--with",
                        "pandas",
                        "--with",
                        "sqlalchemy",
                        "--with",
                        "psycopg[binary]",
                        "--with",
                        "pyarrow",
                    ],
                ),
                "COPY binary > /dev/null": measure(COPY_FLOOR, {"pg": {**PG, "dbname": name}, "rows": rows}, repeats),
            }
        finally:
            drop_postgres(name)
        report("PostgreSQL", rows, results)
        peaks.setdefault("postgres", []).append(results["ours"].get("peak_mb"))
        summarize(results)

        name = create_mysql(rows)
        try:
            url = f"mysql://root@127.0.0.1:3306/{name}"
            results = {
                "ours": measure(OURS, {"engine": "mysql", "connection": {**MYSQL, "database": name}}, repeats),
                WIDE: measure(
                    OURS,
                    {"engine": "mysql", "connection": {**MYSQL, "database": name}, "table": "paiement_wide"},
                    repeats,
                ),
                "connectorx + pyarrow": measure(CONNECTORX, {"url": url}, repeats),
                "pandas.read_sql chunks": measure(
                    PANDAS,
                    {"sqlalchemy": f"mysql+pymysql://root@127.0.0.1:3306/{name}"},
                    1,
                    [*THROWAWAY, "--with", "pandas", "--with", "sqlalchemy", "--with", "pymysql", "--with", "pyarrow"],
                ),
            }
        finally:
            drop_mysql(name)
        report("MariaDB", rows, results)
        peaks.setdefault("mariadb", []).append(results["ours"].get("peak_mb"))
        summarize(results)
    for engine, values in peaks.items():
        if len(values) > 1 and all(values):
            print(
                f"\n{engine}: our peak memory {values[0]:.0f} MB at {sizes[0]:,} rows, "
                f"{values[-1]:.0f} MB at {sizes[-1]:,} rows: ratio {values[-1] / values[0]:.2f} (target <= 1.2)"
            )


def summarize(results: dict) -> None:
    ours = results["ours"].get("seconds")
    peers = {
        k: v["seconds"]
        for k, v in results.items()
        if k not in ("ours", WIDE, "COPY binary > /dev/null") and "seconds" in v
    }
    if not ours or not peers:
        return
    if "seconds" in results.get(WIDE, {}):
        print(f"  wide decimal (parsed from text) / ours: {results[WIDE]['seconds'] / ours:.2f}")
    fastest = min(peers, key=peers.get)
    line = f"  ours / fastest peer ({fastest}): {ours / peers[fastest]:.2f} (target <= 1.2)"
    if "pandas.read_sql chunks" in peers:
        line += f"; pandas / ours: {peers['pandas.read_sql chunks'] / ours:.1f} (target >= 8)"
    print(line)
