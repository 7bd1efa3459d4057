"""Extraction: read a source as a stream of Arrow record batches with exact types.

One interface (`Extractor`: describe a source, stream its batches) and one implementation
per engine family: `ArrowExtractor` (connectorx: PostgreSQL, MySQL/MariaDB, SQL Server) and
`RowsExtractor` (DB-API rows: Denodo, DB2, SQLite). `open_extractor` picks it from a
connection of orchestration/connections.yml. The SQL they send is generated in `sql.py`.
"""

from __future__ import annotations

from collections.abc import Mapping

from orchestration.platform.connections import ConnectionSpec, resolve_credentials
from orchestration.platform.extractors.arrow import ArrowExtractor
from orchestration.platform.extractors.base import (
    BATCH_ROWS,
    Described,
    ExtractError,
    Extractor,
    ReadRequest,
    is_transient,
    with_retries,
)
from orchestration.platform.extractors.rows import Db2Extractor, DenodoExtractor, SqliteExtractor
from orchestration.platform.extractors.sql import Source, Window

EXTRACTORS: Mapping[str, type[Extractor]] = {
    "postgres": ArrowExtractor,
    "mysql": ArrowExtractor,
    "mssql": ArrowExtractor,
    "denodo": DenodoExtractor,
    "db2": Db2Extractor,
    "sqlite": SqliteExtractor,
}

__all__ = [
    "BATCH_ROWS",
    "Described",
    "ExtractError",
    "Extractor",
    "ReadRequest",
    "Source",
    "Window",
    "is_transient",
    "open_extractor",
    "with_retries",
]


def open_extractor(connection: ConnectionSpec, environ: Mapping[str, str], where: str) -> Extractor:
    """The extractor of `connection`, its credentials read from `environ` (never from YAML)."""
    credentials = None if connection.type == "sqlite" else resolve_credentials(connection, environ, where)
    return EXTRACTORS[connection.type](connection, credentials, where)
