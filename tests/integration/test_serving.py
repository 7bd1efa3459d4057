"""The serving layer on real systems: a DuckDB file and PostgreSQL (the lake's gold: test_versions.py).

Every target is re-published while a reader is connected: the publish must not wait for the
reader, and the reader must see a whole version of the table, old or new.
"""

import stat
import threading
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from orchestration.platform.serving import (
    Published,
    connect_read_only,
    publish_postgres,
    publish_serving_file,
)
from tests.services import port_open, require_service

NOW = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
LATER = datetime(2026, 4, 2, 6, 0, tzinfo=UTC)
PUBLISH_TIMEOUT_S = 30


def grants(*amounts: str) -> pa.Table:
    return pa.table(
        {
            "sector_code": [f"S{i}" for i in range(len(amounts))],
            "paid_amount": pa.array([Decimal(a) for a in amounts], pa.decimal128(18, 2)),
        }
    )


def published(at: datetime = NOW, **tables: pa.Table) -> dict[str, Published]:
    return {name: Published(table, at, date(2026, 3, 31)) for name, table in tables.items()}


def total(connection, relation="gld.grants") -> tuple:
    return connection.execute(f"select count(*), sum(paid_amount) from {relation}").fetchall()[0]


def run_with_timeout(function, *args) -> None:
    """Run `function` in a thread; fail if it has not finished within PUBLISH_TIMEOUT_S."""
    errors = []

    def target():
        try:
            function(*args)
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(PUBLISH_TIMEOUT_S)
    assert not thread.is_alive(), f"publish blocked for more than {PUBLISH_TIMEOUT_S} s"
    if errors:
        raise errors[0]


def test_serving_file_is_replaced_whole_while_a_reader_holds_the_old_one(tmp_path):
    path = tmp_path / "serving" / "lakehouse.duckdb"
    publish_serving_file(path, published(grants=grants("1.10", "2.20")))
    with connect_read_only(path) as old_reader:
        assert total(old_reader) == (2, Decimal("3.30"))
        run_with_timeout(publish_serving_file, path, published(LATER, grants=grants("5.00")))
        assert total(old_reader) == (2, Decimal("3.30")), "a reader keeps its version, whole"
        # opened while the old reader is still open: must see the new file, not the old one
        with connect_read_only(path) as new_reader:
            assert total(new_reader) == (1, Decimal("5.00"))
            assert new_reader.execute(
                "select table_name, row_count, published_at, data_as_of from gld._published"
            ).fetchall() == [("grants", 1, LATER, date(2026, 3, 31))]
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left"
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_failed_publish_leaves_the_published_serving_file(tmp_path):
    path = tmp_path / "lakehouse.duckdb"
    publish_serving_file(path, published(grants=grants("1.10")))
    with pytest.raises(Exception):  # noqa: B017 (whatever DuckDB raises: the old file must stay)
        publish_serving_file(path, published(LATER, grants=grants("9.99"), **{'bad"name': grants("1")}))
    with connect_read_only(path) as reader:
        assert total(reader) == (1, Decimal("1.10"))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_missing_serving_file_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="make demo"):
        connect_read_only(tmp_path / "nothing.duckdb")


# --- PostgreSQL ---


@pytest.fixture
def postgres_dsn():
    """A fresh database on the real server, dropped afterwards."""
    require_service("PostgreSQL", port_open("127.0.0.1", 5432), "start PostgreSQL on 127.0.0.1:5432")
    import psycopg

    name = f"serving_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f"create database {name}")
        try:
            yield f"host=127.0.0.1 user=postgres dbname={name}"
        finally:
            admin.execute(f"drop database {name} with (force)")


def schemas(dsn) -> list[str]:
    import psycopg

    with psycopg.connect(dsn) as connection:
        return sorted(
            n for (n,) in connection.execute("select nspname from pg_namespace where nspname like 'gld%'").fetchall()
        )


def test_postgres_republish_while_a_reader_is_in_a_transaction(postgres_dsn):
    import psycopg

    publish_postgres(postgres_dsn, "gld", published(grants=grants("1.10", "2.20")))
    with psycopg.connect(postgres_dsn) as reader:  # not autocommit: holds its transaction open
        assert total(reader) == (2, Decimal("3.30"))
        run_with_timeout(publish_postgres, postgres_dsn, "gld", published(LATER, grants=grants("5.00")))
        assert total(reader) in {(2, Decimal("3.30")), (1, Decimal("5.00"))}, "old or new, whole"
        reader.commit()
        assert total(reader) == (1, Decimal("5.00"))
        assert reader.execute("select row_count, published_at from gld._published").fetchall() == [(1, LATER)]
    # the retired schema the reader held is dropped by the next publish
    publish_postgres(postgres_dsn, "gld", published(LATER, grants=grants("7.00")))
    assert schemas(postgres_dsn) == ["gld"]


def test_postgres_failed_publish_leaves_the_published_schema(postgres_dsn):
    import psycopg

    publish_postgres(postgres_dsn, "gld", published(grants=grants("1.10")))
    unsupported = pa.table({"tags": pa.array([["a"]], pa.list_(pa.string()))})
    with pytest.raises(TypeError, match="No PostgreSQL type"):
        publish_postgres(postgres_dsn, "gld", published(LATER, grants=grants("9.99"), tags=unsupported))
    with psycopg.connect(postgres_dsn) as reader:
        assert total(reader) == (1, Decimal("1.10"))
    assert schemas(postgres_dsn) == ["gld"]


def test_postgres_read_role_cannot_select_the_columns_tagged_personal(postgres_dsn):
    """The read role of the serving schema: every column of a gold table except the personal
    ones (column privileges), on the real server; kept across republications."""
    import psycopg

    reader = f"reader_{uuid.uuid4().hex[:8]}"  # roles are the server's: this test's own, dropped
    members = pa.table({"season": ["2025-2026", "2025-2026"], "member": ["a1f3", "9c2e"], "count": [3, 4]})
    try:
        for at in (NOW, LATER):  # a second publication swaps the schema: the privileges follow
            publish_postgres(
                postgres_dsn,
                "gld",
                published(at, grants=grants("1.10"), members=members),
                reader=reader,
                personal={"members": ["member"]},
            )
        with psycopg.connect(postgres_dsn, autocommit=True) as connection:
            connection.execute(f"set role {reader}")
            assert connection.execute("select season, count from gld.members order by count").fetchall() == [
                ("2025-2026", 3),
                ("2025-2026", 4),
            ]
            assert total(connection) == (1, Decimal("1.10"))
            assert connection.execute("select count(*) from gld._published").fetchone() == (2,)
            for query in ("select member from gld.members", "select * from gld.members"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                    connection.execute(query)
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(f"drop owned by {reader}")
            admin.execute(f"drop role {reader}")
