"""Real PostgreSQL and MariaDB databases for the extraction tests, each created with a unique
name for one test and dropped after it (the servers are left as they were found)."""

import textwrap
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from orchestration.platform.connections import parse_connections
from orchestration.platform.registry import SOURCES_COMPONENT
from orchestration.platform.settings import Settings
from tests.services import port_open, require_service

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root"}


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_database():
    """The name of a fresh PostgreSQL database; dropped (connections terminated) afterwards."""
    require_service("PostgreSQL", port_open(PG["host"], PG["port"]), "start it on 127.0.0.1:5432")
    import psycopg

    name = unique_name("lakehouse_test")
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    yield name
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def pg(pg_database):
    """A psycopg connection (autocommit) to `pg_database`."""
    import psycopg

    with psycopg.connect(**PG, dbname=pg_database, autocommit=True) as connection:
        yield connection


@pytest.fixture
def mysql_database():
    require_service("MariaDB", port_open(MYSQL["host"], MYSQL["port"]), "start it on 127.0.0.1:3306")
    import pymysql

    name = unique_name("lakehouse_test")
    admin = pymysql.connect(**MYSQL, password="")
    try:
        admin.cursor().execute(f"create database `{name}` character set utf8mb4")
        yield name
    finally:
        admin.cursor().execute(f"drop database if exists `{name}`")
        admin.close()


@pytest.fixture
def mysql(mysql_database):
    import pymysql

    connection = pymysql.connect(**MYSQL, password="", database=mysql_database, autocommit=True)
    yield connection
    connection.close()


def with_connections(settings: Settings, block: dict) -> Settings:
    """`settings` whose connections are `block` (as it would read in connections.yml)."""
    return replace(settings, connections=parse_connections(block, "connections.yml: test"))


@pytest.fixture
def registry(tmp_path: Path):
    """Write a registry YAML (the text an analyst adds) and return its path."""

    def write(text: str) -> Path:
        """`text` (a `systems:` mapping) as a department's SourceSystems file."""
        path = tmp_path / "registry.yml"
        path.write_text(f"type: {SOURCES_COMPONENT}\nattributes:\n" + textwrap.indent(text, "  "))
        return path

    return write
