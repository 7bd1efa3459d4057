"""The SQL each engine family is sent, checked exactly (MSSQL and DB2 have no server here)."""

from datetime import date

import pyarrow as pa
import pytest

from orchestration.platform.extractors.arrow import MIN_BLOCKS_PER_STREAM, mssql_describe_sql, parallel_streams
from orchestration.platform.extractors.sql import (
    DB2,
    DENODO,
    MSSQL,
    MYSQL,
    POSTGRES,
    SQLITE,
    Blocks,
    Source,
    Window,
    block_ranges,
    bound_literal,
    describe_sql,
    keyset_page_sql,
    keyset_parameters,
    null_cursor_sql,
    select_sql,
    vql_context,
)

SCHEMA = pa.schema(
    [
        ("id_paiement", pa.int64()),
        ("montant", pa.decimal128(12, 2)),
        ("paye_le", pa.date32()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)
PAIEMENT = Source(table="paiement")
FEBRUARY = Window("updated_at", date(2026, 2, 1), date(2026, 2, 3))
COLUMNS = "{0}id_paiement{1}, {0}montant{1}, {0}paye_le{1}, {0}updated_at{1}"


def test_snapshot_select_quotes_every_column_per_dialect():
    assert select_sql(POSTGRES, PAIEMENT, SCHEMA) == (
        'select "id_paiement", "montant", "paye_le", "updated_at" from "paiement"'
    )
    assert select_sql(MYSQL, PAIEMENT, SCHEMA) == f"select {COLUMNS.format('`', '`')} from `paiement`"
    assert select_sql(MSSQL, PAIEMENT, SCHEMA) == f"select {COLUMNS.format('[', ']')} from [paiement]"


@pytest.mark.parametrize(
    ("dialect", "where"),
    [
        (
            POSTGRES,
            "\"updated_at\" >= TIMESTAMPTZ '2026-02-01 00:00:00+00:00' "
            "and \"updated_at\" < TIMESTAMPTZ '2026-02-03 00:00:00+00:00'",
        ),
        (
            DENODO,
            "\"updated_at\" >= TIMESTAMPTZ '2026-02-01 00:00:00+00:00' "
            "and \"updated_at\" < TIMESTAMPTZ '2026-02-03 00:00:00+00:00'",
        ),
        (MYSQL, "`updated_at` >= '2026-02-01 00:00:00' and `updated_at` < '2026-02-03 00:00:00'"),
        (MSSQL, "[updated_at] >= '2026-02-01T00:00:00+00:00' and [updated_at] < '2026-02-03T00:00:00+00:00'"),
        (DB2, "\"updated_at\" >= TIMESTAMP '2026-02-01 00:00:00' and \"updated_at\" < TIMESTAMP '2026-02-03 00:00:00'"),
        (SQLITE, "\"updated_at\" >= '2026-02-01 00:00:00+00:00' and \"updated_at\" < '2026-02-03 00:00:00+00:00'"),
    ],
)
def test_incremental_select_bounds_the_window_with_typed_literals(dialect, where):
    assert select_sql(dialect, PAIEMENT, SCHEMA, FEBRUARY).endswith(f" where {where}")


@pytest.mark.parametrize(
    ("dialect", "kind", "literal"),
    [
        (POSTGRES, pa.date32(), "DATE '2026-03-01'"),
        (POSTGRES, pa.timestamp("us"), "TIMESTAMP '2026-03-01 00:00:00'"),
        (MYSQL, pa.date32(), "'2026-03-01'"),
        (MSSQL, pa.timestamp("us"), "'2026-03-01T00:00:00'"),
        (DB2, pa.date32(), "DATE '2026-03-01'"),
    ],
)
def test_bound_literal_per_dialect_and_cursor_type(dialect, kind, literal):
    assert bound_literal(dialect, date(2026, 3, 1), kind) == literal


def test_a_cursor_that_is_not_a_date_or_timestamp_is_refused():
    with pytest.raises(ValueError, match="must be a date or a timestamp"):
        bound_literal(POSTGRES, date(2026, 3, 1), pa.int64())


def test_identifier_with_quotes_and_sql_is_quoted_not_executed():
    hostile = 'x"; drop table paiement; --'
    assert POSTGRES.quote(hostile) == '"x""; drop table paiement; --"'
    assert MYSQL.quote("a`; drop table t; --") == "`a``; drop table t; --`"
    assert MSSQL.quote("a]; drop table t; --") == "[a]]; drop table t; --]"
    assert describe_sql(POSTGRES, Source(table=hostile)) == ('select * from "x""; drop table paiement; --" where 1 = 0')
    with pytest.raises(ValueError, match="Invalid SQL identifier"):
        POSTGRES.quote("")


def test_schema_qualified_table_and_query_sources():
    assert describe_sql(POSTGRES, Source(table="paiement", namespace="app")) == (
        'select * from "app"."paiement" where 1 = 0'
    )
    query = Source(query="select id, montant from paiement where montant > 0;\n")
    assert select_sql(POSTGRES, query, pa.schema([("id", pa.int64())])) == (
        'select "id" from (select id, montant from paiement where montant > 0) as "q"'
    )


def test_columns_that_travel_as_text_are_cast_in_the_select():
    schema = pa.schema([("id", pa.int64()), ("taux", pa.decimal128(20, 12))])
    assert select_sql(POSTGRES, Source(table="t"), schema, as_text=["taux"]) == (
        'select "id", "taux"::text as "taux" from "t"'
    )
    assert select_sql(MYSQL, Source(table="t"), schema, as_text=["taux"]) == (
        "select `id`, cast(`taux` as char) as `taux` from `t`"
    )


def test_null_cursor_count():
    assert null_cursor_sql(MYSQL, PAIEMENT, "updated_at") == (
        "select count(*) from `paiement` where `updated_at` is null"
    )


def test_keyset_first_page_and_next_pages_on_a_composite_key():
    base = 'select "a", "b" from "t"'
    assert keyset_page_sql(DENODO, base, ["a"], False, 1000) == (
        'select * from (select "a", "b" from "t") as "page" order by "a" limit 1000'
    )
    assert keyset_page_sql(DENODO, base, ["a", "b"], True, 1000) == (
        'select * from (select "a", "b" from "t") as "page" '
        'where ("a" > %s) or ("a" = %s and "b" > %s) order by "a", "b" limit 1000'
    )
    assert keyset_parameters([7, "x"]) == [7, 7, "x"]
    assert keyset_page_sql(DB2, base, ["a"], False, 10).endswith('order by "a" fetch first 10 rows only')
    assert keyset_page_sql(MSSQL, "select 1", ["a"], False, 10).endswith(
        "order by [a] offset 0 rows fetch next 10 rows only"
    )


def test_keyset_page_with_parameters_doubles_a_literal_percent():
    base = "select * from t where name like 'a%'"
    assert "like 'a%%'" in keyset_page_sql(DENODO, base, ["id"], True, 10)
    assert "like 'a%'" in keyset_page_sql(DENODO, base, ["id"], False, 10)


def test_vql_context_clause():
    assert vql_context({"querytimeout": "900000", "cache": "off", "i18n": "us_utc"}) == (
        " context ('querytimeout' = '900000', 'cache' = 'off', 'i18n' = 'us_utc')"
    )
    assert vql_context({"i18n": "it's"}) == " context ('i18n' = 'it''s')"


def test_mssql_describes_a_query_with_its_own_function():
    assert mssql_describe_sql("select * from [it's] where 1 = 0") == (
        "select name, system_type_name from sys.dm_exec_describe_first_result_set"
        "(N'select * from [it''s] where 1 = 0', NULL, 0) order by column_ordinal"
    )


@pytest.mark.parametrize(
    ("blocks", "streams", "ranges"),
    [
        (10, 2, [Blocks(0, 5), Blocks(5)]),
        (11, 2, [Blocks(0, 6), Blocks(6)]),
        (10, 3, [Blocks(0, 4), Blocks(4, 8), Blocks(8)]),
        (8192, 1, [Blocks(0)]),
    ],
)
def test_block_ranges_cover_the_table_once_and_leave_the_last_open(blocks, streams, ranges):
    assert block_ranges(blocks, streams) == ranges


def test_a_block_range_is_a_tid_range_added_to_the_window():
    columns = '"id_paiement", "montant", "paye_le", "updated_at"'
    assert select_sql(POSTGRES, PAIEMENT, SCHEMA, blocks=Blocks(0, 4096)) == (
        f"select {columns} from \"paiement\" where ctid >= '(0,0)'::tid and ctid < '(4096,0)'::tid"
    )
    assert select_sql(POSTGRES, PAIEMENT, SCHEMA, FEBRUARY, blocks=Blocks(4096)) == (
        f'select {columns} from "paiement" where "updated_at" >= TIMESTAMPTZ \'2026-02-01 00:00:00+00:00\' '
        "and \"updated_at\" < TIMESTAMPTZ '2026-02-03 00:00:00+00:00' and ctid >= '(4096,0)'::tid"
    )


@pytest.mark.parametrize(
    ("dialect", "source"), [(MYSQL, PAIEMENT), (DENODO, PAIEMENT), (POSTGRES, Source(query="select 1"))]
)
def test_block_ranges_are_refused_outside_postgres_tables(dialect, source):
    with pytest.raises(ValueError, match="only on PostgreSQL tables"):
        select_sql(dialect, source, SCHEMA, blocks=Blocks(0, 1))


@pytest.mark.parametrize(
    ("relkind", "blocks", "version", "streams", "expected"),
    [
        ("r", 10 * MIN_BLOCKS_PER_STREAM, 150000, 2, 2),
        ("m", 10 * MIN_BLOCKS_PER_STREAM, 140000, 4, 4),
        ("r", 3 * MIN_BLOCKS_PER_STREAM, 170000, 4, 3),  # each stream gets enough blocks
        ("r", 2 * MIN_BLOCKS_PER_STREAM - 1, 150000, 2, 1),  # too small to split
        ("v", 10 * MIN_BLOCKS_PER_STREAM, 150000, 2, 1),  # a view has no blocks of its own
        ("p", 0, 150000, 2, 1),  # a partitioned parent neither
        ("r", 10 * MIN_BLOCKS_PER_STREAM, 130011, 2, 1),  # before 14: no TID range scan
    ],
)
def test_parallel_streams_only_where_block_ranges_pay(relkind, blocks, version, streams, expected):
    assert parallel_streams(relkind, blocks, version, streams) == expected
