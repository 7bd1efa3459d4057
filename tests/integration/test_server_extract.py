"""Extraction from the real PostgreSQL and MariaDB servers, declared in YAML only, and every
bad input of issue 4. Denodo's wire path is exercised against PostgreSQL (CONTEXT off)."""

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import dagster as dg
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.platform.connections import ConnectionError_
from orchestration.platform.extractors import ExtractError, ReadRequest, Window, open_extractor
from orchestration.platform.extractors import arrow as arrow_module
from orchestration.platform.extractors import rows as rows_module
from orchestration.platform.extractors.base import prefetch
from orchestration.platform.extractors.sql import POSTGRES, select_sql
from orchestration.platform.ingestion import build_ingestion_defs, ingest
from orchestration.platform.ingestion_plan import SchemaDriftError
from orchestration.platform.lake import Lake
from orchestration.platform.registry import load_registry
from orchestration.platform.settings import PROJECT_ROOT
from tests.integration.conftest import MYSQL, PG, with_connections

DAY = date(2026, 1, 5)
REGISTRY = """
systems:
  crm:
    owner: crm-steward@example.be
    connection: {connection}
    tables:
      contrat:
        description: Contracts of the new CRM.
        primary_key: [id]
        mode: incremental
        cursor: signe_le
        lookback_days: 1
"""


def connection_block(engine: str, database: str, **extra) -> dict:
    if engine == "postgres":
        return {"src": {"type": "postgres", **PG, "database": database, **extra}}
    if engine == "denodo":
        return {"src": {"type": "denodo", **PG, "database": database, "vql_context": False, **extra}}
    return {"src": {"type": "mysql", **MYSQL, "database": database, **extra}}


def materialize(registry_path, settings, day=DAY):
    lake = Lake(settings.lake_root)
    assets = list(build_ingestion_defs(load_registry(registry_path)).assets)
    partitioned = any(getattr(a, "partitions_def", None) for a in assets)  # snapshots are not
    result = dg.materialize(
        assets,
        resources={"lake": lake, "settings": settings},
        partition_key=day.isoformat() if partitioned else None,
        raise_on_error=False,
    )
    return result, lake


def metadata(result, day=DAY) -> dict:
    """The metadata of the run's own partition (the lookback's are recorded too)."""
    [event] = [e for e in result.get_asset_materialization_events() if e.partition == day.isoformat()]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def contrat_rows(engine):
    return [
        (1, Decimal("1250.50"), datetime(2026, 1, 5, 9, tzinfo=UTC), True),
        (2, Decimal("-0.01"), datetime(2026, 1, 4, 23, 59, tzinfo=UTC), False),
        (3, None, datetime(2026, 1, 6, 0, 0, tzinfo=UTC), None),
    ]


@pytest.fixture(params=["postgres", "mariadb"])
def source(request):
    """(engine, database name, DB-API connection) with a `contrat` table of three rows."""
    engine = request.param
    if engine == "postgres":
        database, connection = request.getfixturevalue("pg_database"), request.getfixturevalue("pg")
        connection.execute(
            "create table contrat (id bigint primary key, montant numeric(12,2), signe_le timestamptz, actif boolean)"
        )
        for row in contrat_rows(engine):
            connection.execute("insert into contrat values (%s, %s, %s, %s)", row)
        return "postgres", database, connection
    database, connection = request.getfixturevalue("mysql_database"), request.getfixturevalue("mysql")
    with connection.cursor() as cursor:
        cursor.execute("set time_zone = '+00:00'")
        cursor.execute(
            "create table contrat (id bigint primary key, montant decimal(12,2), "
            "signe_le timestamp(6) null, actif boolean)"
        )
        for id_, amount, signed, active in contrat_rows(engine):
            cursor.execute(
                "insert into contrat values (%s, %s, %s, %s)",
                (id_, amount, signed.replace(tzinfo=None), active),
            )
    return "mysql", database, connection


def test_a_new_table_lands_in_the_lake_from_yaml_only(source, local_settings, registry):
    engine, database, _ = source
    settings = with_connections(local_settings, connection_block(engine, database))
    result, lake = materialize(registry(REGISTRY.format(connection="src")), settings)
    assert result.success
    # lookback 1: the partitions of the 4th and the 5th, each with the rows of its UTC day
    assert lake.partition_days("crm", "contrat") == [date(2026, 1, 4), DAY]
    table = lake.read_table("crm", "contrat").sort_by("id")
    assert table.column("id").to_pylist() == [1, 2]
    assert table.schema.field("montant").type == pa.decimal128(12, 2)
    assert table.schema.field("signe_le").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("actif").type == pa.bool_()
    assert table.column("montant").to_pylist() == [Decimal("1250.50"), Decimal("-0.01")]
    assert table.column("partition_date").to_pylist() == [DAY, date(2026, 1, 4)]
    facts = metadata(result)
    assert facts["dagster/row_count"] == 2
    assert facts["partitions_written"] == "2026-01-04, 2026-01-05"
    assert facts["watermark_low"] == "2026-01-04T23:59:00+00:00"
    assert facts["watermark_high"] == "2026-01-05T09:00:00+00:00"
    assert facts["bytes_written"] > 0 and facts["duration_s"] > 0
    assert [c.name for c in facts["dagster/column_schema"].columns] == ["id", "montant", "signe_le", "actif"]
    # re-running replaces the partition exactly: no duplicates, no orphan files
    assert materialize(registry(REGISTRY.format(connection="src")), settings)[0].success
    assert lake.read_table("crm", "contrat").num_rows == 2
    directory = lake.partition_path("crm", "contrat", DAY).rsplit("/", 1)[0]
    assert os.listdir(directory) == ["data.parquet"]


def test_postgres_types_are_kept_exactly_on_both_wire_paths(pg, pg_database, local_settings):
    long_text = "é" * 1_500_000 + "fin"
    pg.execute(
        "create table t (id int primary key, n numeric(12,2), fine numeric(20,12), free numeric, "
        "ts timestamptz, naive timestamp, d date, b boolean, s text, small smallint, f float8)"
    )
    pg.execute(
        "insert into t values (1, 1234567890.12, 12345678.123456789012, 1.000000000000000000001, "
        "'2026-01-05 10:00:00+02', '2026-01-05 10:00:00', '2026-01-05', true, %s, 7, 0.5)",
        (long_text,),
    )
    pg.execute("insert into t (id) values (2)")
    tables = {}
    for engine in ("postgres", "denodo"):
        spec = with_connections(local_settings, connection_block(engine, pg_database)).connections["src"]
        extractor = open_extractor(spec, {}, "test")
        described = extractor.describe(_source("t"))
        batches = extractor.batches(ReadRequest(_source("t"), described, primary_key=("id",)))
        tables[engine] = pa.Table.from_batches(list(batches), schema=described.schema).sort_by("id")
    assert tables["postgres"].equals(tables["denodo"])
    table = tables["postgres"]
    assert dict(zip(table.schema.names, table.schema.types)) == {
        "id": pa.int32(),
        "n": pa.decimal128(12, 2),
        "fine": pa.decimal128(20, 12),
        "free": pa.string(),
        "ts": pa.timestamp("us", tz="UTC"),
        "naive": pa.timestamp("us"),
        "d": pa.date32(),
        "b": pa.bool_(),
        "s": pa.string(),
        "small": pa.int16(),
        "f": pa.float64(),
    }
    first = table.to_pylist()[0]
    assert first["n"] == Decimal("1234567890.12")
    assert first["fine"] == Decimal("12345678.123456789012")
    assert first["free"] == "1.000000000000000000001"
    assert first["ts"] == datetime(2026, 1, 5, 8, tzinfo=UTC)
    assert first["s"] == long_text  # whole, not truncated
    assert table.to_pylist()[1]["n"] is None


def test_a_postgres_table_read_by_parallel_streams_gives_exactly_its_rows(pg, pg_database, local_settings, monkeypatch):
    monkeypatch.setattr(arrow_module, "MIN_BLOCKS_PER_STREAM", 1)  # this small table is split too
    pg.execute("create table t (id bigint primary key, signe_le timestamptz, v text)")
    pg.execute(
        "insert into t select g, '2026-01-05 00:00+00'::timestamptz + (g % 48) * interval '1 hour', "
        "repeat('x', g % 50) from generate_series(1, 20000) g"
    )
    source = _source("t")
    read = {}
    for streams in (1, 3):
        spec = with_connections(local_settings, connection_block("postgres", pg_database, streams=streams))
        extractor = open_extractor(spec.connections["src"], {}, "test")
        described = extractor.describe(source)
        with extractor.read_plan(source) as (_, ranges):
            assert len(ranges) == streams
        for window in (None, Window("signe_le", DAY, date(2026, 1, 6))):
            batches = extractor.batches(ReadRequest(source, described, window))
            read[streams, window] = pa.Table.from_batches(list(batches), described.schema).sort_by("id")
    whole = read[1, None]
    assert whole.num_rows == 20000 and len(whole.column("id").unique()) == 20000
    assert read[3, None].equals(whole)
    window = [key for key in read if key[1] is not None]
    assert read[window[0]].equals(read[window[1]]) and 0 < read[window[0]].num_rows < 20000


def test_parallel_streams_read_one_snapshot_taken_before_any_of_them(pg, pg_database, local_settings, monkeypatch):
    monkeypatch.setattr(arrow_module, "MIN_BLOCKS_PER_STREAM", 1)
    pg.execute("create table t (id bigint primary key, v text)")
    pg.execute("insert into t select g, 'before' from generate_series(1, 5000) g")
    spec = with_connections(local_settings, connection_block("postgres", pg_database, streams=2))
    extractor = open_extractor(spec.connections["src"], {}, "test")
    source = _source("t")
    described = extractor.describe(source)
    with extractor.read_plan(source) as (setup, ranges):
        # committed after the plan, before any stream starts: no stream may see it
        pg.execute("update t set v = 'after' where id % 2 = 0")
        pg.execute("delete from t where id > 4000")
        pg.execute("insert into t select g, 'new' from generate_series(5001, 6000) g")
        streams = [
            extractor.read_stream(select_sql(POSTGRES, source, described.schema, blocks=b), described.schema, setup)
            for b in ranges
        ]
        table = pa.Table.from_batches(list(prefetch(*streams)), described.schema).sort_by("id")
    assert len(ranges) == 2
    assert table.column("id").to_pylist() == list(range(1, 5001))
    assert set(table.column("v").to_pylist()) == {"before"}


def test_denodo_path_pages_by_keyset_on_a_composite_key(pg, pg_database, local_settings, monkeypatch):
    monkeypatch.setattr(rows_module, "BATCH_ROWS", 7)
    pg.execute("create table t (a int, b text, v int, primary key (a, b))")
    pg.execute("insert into t select g % 5, 'k' || g, g from generate_series(1, 50) g")
    spec = with_connections(local_settings, connection_block("denodo", pg_database)).connections["src"]
    extractor = open_extractor(spec, {}, "test")
    described = extractor.describe(_source("t"))
    batches = list(extractor.batches(ReadRequest(_source("t"), described, primary_key=("a", "b"))))
    # each full page holds back the rows sharing its last key value (here one row, the key
    # being unique): the next page starts at that value and reads them again whole
    assert [b.num_rows for b in batches] == [6] * 8 + [2]
    values = pa.Table.from_batches(batches).column("v").to_pylist()
    assert sorted(values) == list(range(1, 51))


def test_unknown_connection_names_the_entry(local_settings, registry, tmp_path):
    path = registry(REGISTRY.format(connection="nowhere"))
    with pytest.raises(ExtractError, match=r"systems\.crm\.tables\.contrat: connection 'nowhere' is not defined"):
        ingest(load_registry(path)[0], local_settings, Lake(str(tmp_path / "lake")), DAY, DAY, {})


def test_missing_environment_variable_names_it(local_settings, registry, tmp_path):
    settings = with_connections(local_settings, connection_block("postgres", "x", password_env="CRM_PASSWORD"))
    spec = load_registry(registry(REGISTRY.format(connection="src")))[0]
    with pytest.raises(ConnectionError_, match=r"contrat .*environment variable CRM_PASSWORD .* is not set"):
        ingest(spec, settings, Lake(str(tmp_path / "lake")), DAY, DAY, {})


@pytest.fixture
def secret_role(pg, pg_database):
    """A PostgreSQL role with a password, allowed to read `contrat`; dropped afterwards."""
    import psycopg

    role, secret = f"r_{pg_database[-12:]}", "S3cr3t-p@ss/w:rd"
    pg.execute(f"create role {role} login password '{secret}'")
    pg.execute("create table contrat (id bigint primary key, signe_le timestamptz)")
    pg.execute("insert into contrat values (1, '2026-01-05 10:00:00+00')")
    pg.execute(f"grant select on contrat to {role}")
    # a server trusting 127.0.0.1 accepts any password: make this role's login check it
    try:
        yield role, secret
    finally:
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'drop database if exists "{pg_database}" with (force)')
            admin.execute(f"drop role if exists {role}")


def test_secret_never_appears_in_errors_logs_or_metadata(
    secret_role, pg_database, local_settings, registry, capfd, caplog
):
    role, secret = secret_role
    block = connection_block("postgres", pg_database, user=role, password_env="CRM_PASSWORD")
    # the secret reaches the asset the one way settings do: the settings resource
    settings = dataclasses.replace(with_connections(local_settings, block), source_environ={"CRM_PASSWORD": secret})
    path = registry(REGISTRY.format(connection="src"))
    result, lake = materialize(path, settings)
    assert result.success
    events = " ".join(str(e) for e in result.all_events)
    spec = load_registry(path)[0]
    wrong = {"CRM_PASSWORD": secret + "-wrong"}
    with pytest.raises(ExtractError) as failure:
        # wrong password is refused only where the server checks passwords; the missing
        # table below fails for sure, with the password in the URL of both drivers
        ingest(
            spec.__class__(**{**spec.__dict__, "source_table": "nope"}),
            settings,
            lake,
            DAY,
            DAY,
            wrong,
        )
    assert "does not exist" in str(failure.value) and "source_table" not in str(failure.value)
    captured = capfd.readouterr()
    for text in (events, str(failure.value), repr(failure.value), captured.out, captured.err, caplog.text):
        assert secret not in text and secret.replace("/", "%2F") not in text


def test_wrong_password_fails_at_once_without_the_secret(local_settings, registry, tmp_path):
    """The machine's server trusts local connections; a server that checks passwords is the
    MariaDB root with a password we do not know: any password given to it is wrong."""
    secret = "N0t-the-r00t-password"
    block = {"src": {"type": "mysql", **MYSQL, "database": "mysql", "password_env": "P"}}
    settings = with_connections(local_settings, block)
    spec = load_registry(registry(REGISTRY.format(connection="src")))[0]
    started = time.monotonic()
    with pytest.raises(ExtractError) as failure:
        ingest(spec, settings, Lake(str(tmp_path / "lake")), DAY, DAY, {"P": secret})
    assert time.monotonic() - started < 5, "a permanent error is not retried"
    message = str(failure.value)
    assert "Access denied" in message and "password_env" in message
    assert "systems.crm.tables.contrat" in message and secret not in message


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_missing_table_fails_at_once_naming_the_entry(engine, request, local_settings, registry, tmp_path):
    database = request.getfixturevalue("pg_database" if engine == "postgres" else "mysql_database")
    block = connection_block("postgres" if engine == "postgres" else "mysql", database)
    settings = with_connections(local_settings, block)
    spec = load_registry(registry(REGISTRY.format(connection="src")))[0]
    started = time.monotonic()
    with pytest.raises(
        ExtractError, match=r"systems\.crm\.tables\.contrat .*describing table 'contrat' failed.*check `table:`"
    ):
        ingest(spec, settings, Lake(str(tmp_path / "lake")), DAY, DAY, {})
    assert time.monotonic() - started < 5


def test_identifier_with_quotes_and_sql_is_quoted_not_executed(pg, pg_database, local_settings, registry):
    hostile = 'x"; drop table victim; --'
    pg.execute("create table victim (id int)")
    pg.execute(f'create table "{hostile.replace(chr(34), chr(34) * 2)}" (id bigint primary key)')
    pg.execute(f'insert into "{hostile.replace(chr(34), chr(34) * 2)}" values (1)')
    path = registry(
        "systems:\n  crm:\n    owner: o@example.be\n    connection: src\n    tables:\n"
        f"      hostile:\n        description: d\n        primary_key: [id]\n        mode: snapshot\n"
        f"        table: '{hostile}'\n"
    )
    settings = with_connections(local_settings, connection_block("postgres", pg_database))
    result, lake = materialize(path, settings)
    assert result.success and lake.read_table("crm", "hostile").num_rows == 1
    assert pg.execute("select count(*) from victim").fetchone() == (0,)


def test_null_cursor_empty_table_and_duplicate_keys_are_reported(pg, pg_database, local_settings, registry):
    pg.execute("create table contrat (id bigint, signe_le timestamptz)")
    pg.execute(
        "insert into contrat values (1, '2026-01-05 10:00+00'), (1, '2026-01-05 11:00+00'), "
        "(2, null), (3, '2026-02-01 00:00+00')"
    )
    settings = with_connections(local_settings, connection_block("postgres", pg_database))
    path = registry(REGISTRY.format(connection="src"))
    result, lake = materialize(path, settings)
    facts = metadata(result)
    assert facts["null_cursor_rows"] == 1
    assert facts["duplicate_primary_key_rows"] == 1
    assert facts["dagster/row_count"] == 2
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == "primary_key_unique"]
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert result.success  # a warning: raw keeps what the source holds
    # an empty source: each partition is published empty (and replaces what was there)
    pg.execute("truncate contrat")
    result, lake = materialize(path, settings)
    assert result.success and metadata(result)["dagster/row_count"] == 0
    # no repeated key; two days of history are too little to judge anomalies: all pass
    assert {c.check_name: c.passed for c in result.get_asset_check_evaluations()} == {
        "primary_key_unique": True,
        "row_count_anomaly": True,
        "freshness_anomaly": True,
        "schema_change": True,
    }
    assert lake.read_table("crm", "contrat").num_rows == 0
    assert lake.partition_days("crm", "contrat") == [date(2026, 1, 4), DAY]


def test_schema_drift_evolve_records_freeze_refuses_retype_fails(pg, pg_database, local_settings, registry):
    pg.execute("create table contrat (id bigint primary key, signe_le timestamptz, statut text)")
    pg.execute("insert into contrat values (1, '2026-01-05 10:00+00', 'a')")
    settings = with_connections(local_settings, connection_block("postgres", pg_database))
    evolve = registry(REGISTRY.format(connection="src"))
    assert materialize(evolve, settings)[0].success

    pg.execute("alter table contrat add column canal text, drop column statut")
    result, lake = materialize(evolve, settings)
    assert result.success
    assert metadata(result)["schema_change"] == "added canal; dropped statut"

    published = pq.read_table(lake.partition_path("crm", "contrat", DAY))
    pg.execute("alter table contrat add column remise int")
    frozen = registry(REGISTRY.format(connection="src") + "        schema_policy: freeze\n")
    spec = load_registry(frozen)[0]
    with pytest.raises(SchemaDriftError, match="added remise.*'freeze'; nothing was published"):
        ingest(spec, settings, lake, DAY, DAY, {})
    assert pq.read_table(lake.partition_path("crm", "contrat", DAY)).equals(published)

    pg.execute("alter table contrat drop column remise, alter column canal type int using null")
    with pytest.raises(SchemaDriftError, match=r"retyped canal: string -> int32"):
        ingest(load_registry(evolve)[0], settings, lake, DAY, DAY, {})
    assert pq.read_table(lake.partition_path("crm", "contrat", DAY)).equals(published)


def test_text_that_is_not_utf8_is_transcoded_or_refused_clearly(local_settings):
    """LATIN1: the server transcodes, nothing is lost. SQL_ASCII holding a Latin-1 byte:
    the bytes have no encoding to convert from, so the read is refused, naming the fix."""
    import psycopg

    from tests.integration.conftest import unique_name

    latin1, ascii_ = unique_name("lakehouse_latin1"), unique_name("lakehouse_ascii")
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        for name, encoding in ((latin1, "LATIN1"), (ascii_, "SQL_ASCII")):
            admin.execute(
                f"create database {name} encoding '{encoding}' lc_collate 'C' lc_ctype 'C' template template0"
            )
    try:
        for name, text in ((latin1, "'Liège, Neufchâteau'"), (ascii_, "E'Li\\xe8ge'")):
            with psycopg.connect(**PG, dbname=name, autocommit=True) as db:
                db.execute(f"create table t (id int, s text); insert into t values (1, {text})")

        def read(database):
            spec = with_connections(local_settings, connection_block("postgres", database)).connections["src"]
            extractor = open_extractor(spec, {}, "entry t")
            described = extractor.describe(_source("t"))
            return next(extractor.batches(ReadRequest(_source("t"), described))).column("s").to_pylist()

        assert read(latin1) == ["Liège, Neufchâteau"]
        with pytest.raises(ExtractError, match="invalid byte sequence.*not valid in its declared encoding"):
            read(ascii_)
    finally:
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
            for name in (latin1, ascii_):
                admin.execute(f"drop database if exists {name} with (force)")


def test_pg_terminate_backend_mid_extract_is_retried_and_published_exactly(pg, pg_database, local_settings, registry):
    rows = 300_000
    pg.execute("create table contrat_rows (id bigint primary key, signe_le timestamptz)")
    pg.execute(f"insert into contrat_rows select g, '2026-01-05 10:00+00' from generate_series(1, {rows}) g")
    # the server pauses every 50,000 rows, so a read lasts long enough to be killed in the middle
    pg.execute(
        "create view contrat as select id, signe_le from contrat_rows where id % 50000 <> 0 or pg_sleep(0.2)::text = ''"
    )
    settings = with_connections(local_settings, connection_block("postgres", pg_database))
    spec = load_registry(registry(REGISTRY.format(connection="src")))[0]
    lake = Lake(settings.lake_root)
    killed, done = threading.Event(), threading.Event()

    def kill_the_first_read_that_returns_rows():
        with psycopg.connect(**PG, dbname=pg_database, autocommit=True) as killer:
            while not (killed.is_set() or done.is_set()):
                if killer.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where datname = current_database() and pid <> pg_backend_pid() "
                    "and state = 'active' and query like 'COPY%signe_le%>=%'"
                ).fetchall():
                    killed.set()
                time.sleep(0.02)

    watcher = threading.Thread(target=kill_the_first_read_that_returns_rows)
    watcher.start()
    retries = []
    try:
        report = ingest(spec, settings, lake, DAY, date(2026, 1, 6), {}, retries.append)
    finally:
        done.set()
        watcher.join()
    assert killed.is_set() and any("retrying" in r for r in retries)
    assert report.rows == rows
    ids = lake.read_table("crm", "contrat").column("id")
    assert len(ids) == rows and len(ids.unique()) == rows


def test_killed_process_mid_extract_leaves_the_published_partition(pg, pg_database, tmp_path):
    pg.execute("create table contrat (id bigint primary key, signe_le timestamptz)")
    pg.execute("insert into contrat values (1, '2026-01-05 10:00+00')")
    lake_root = tmp_path / "lake"
    script = textwrap.dedent(f"""
        import sys, time
        from datetime import date
        from orchestration.platform.connections import ConnectionSpec
        from orchestration.platform.extractors import ReadRequest, Source, open_extractor
        from orchestration.platform.lake import Lake
        spec = ConnectionSpec("src", "postgres", {{"host": "127.0.0.1", "database": "{pg_database}", "user": "postgres"}})
        extractor = open_extractor(spec, {{}}, "entry")
        described = extractor.describe(Source(table="contrat"))
        def slow():
            for batch in extractor.batches(ReadRequest(Source(table="contrat"), described)):
                yield batch
                print("written", flush=True)
                time.sleep(float(sys.argv[1]))
        Lake("{lake_root}").publish_partition("crm", "contrat", date(2026, 1, 5), described.schema, slow())
    """)
    subprocess.run([sys.executable, "-c", script, "0"], cwd=PROJECT_ROOT, check=True)
    partition = lake_root / "crm/contrat/partition_date=2026-01-05"
    before = (partition / "data.parquet").read_bytes()
    pg.execute("insert into contrat values (2, '2026-01-05 11:00+00')")
    process = subprocess.Popen(
        [sys.executable, "-c", script, "60"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "written"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (partition / "data.parquet").read_bytes() == before
    assert pq.read_table(partition / "data.parquet").num_rows == 1
    subprocess.run([sys.executable, "-c", script, "0"], cwd=PROJECT_ROOT, check=True)
    assert pq.read_table(partition / "data.parquet").num_rows == 2
    assert os.listdir(partition) == ["data.parquet"]  # the killed run's leftover is gone


def _source(table):
    from orchestration.platform.extractors import Source

    return Source(table=table)
