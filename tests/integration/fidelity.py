"""Shared by the fidelity tests: land a source through the extractor into a Parquet file
written by `Lake.publish_partition`, and read it back as the lake holds it."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.platform.extractors import ReadRequest, Source, open_extractor
from orchestration.platform.lake import Lake
from tests.integration.conftest import MYSQL, PG, with_connections

ENTRY = "registry.yml: systems.fid.tables.t"
DAY = date(2026, 1, 5)


def connection_block(engine: str, database: str) -> dict:
    if engine == "postgres":
        return {"src": {"type": "postgres", **PG, "database": database}}
    if engine == "denodo":
        return {"src": {"type": "denodo", **PG, "database": database, "vql_context": False}}
    if engine == "mysql":
        return {"src": {"type": "mysql", **MYSQL, "database": database}}
    return {"src": {"type": "sqlite", "path": database}}


def extractor_of(engine: str, database: str, settings):
    spec = with_connections(settings, connection_block(engine, database)).connections["src"]
    return open_extractor(spec, {}, ENTRY)


def land(engine: str, database: str, settings, tmp_path, table: str = "t", primary_key=("id",)) -> pa.Table:
    """The table as read back from the Parquet file the lake published."""
    extractor = extractor_of(engine, database, settings)
    source = Source(table=table)
    described = extractor.describe(source)
    request = ReadRequest(source, described, primary_key=primary_key)
    published = Lake(str(tmp_path / "lake")).publish_partition(
        "fid", table, DAY, described.schema, extractor.batches(request)
    )
    return pq.read_table(published.path).sort_by("id")


def refusal_pattern(column: str, sql_type: str) -> str:
    """The first line of a refusal of `column`, and its `Fix:` line."""
    import re

    return rf"(?s)^{re.escape(ENTRY)}: column {re.escape(column)} \({re.escape(sql_type)}\): .+\.\nFix: "
