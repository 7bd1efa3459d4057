from datetime import date

import pyarrow as pa
import pytest

from orchestration.lib.extract import arrow_type, extract_query, quote_identifier, sqlite_bound


def test_snapshot_query_selects_quoted_columns():
    assert extract_query("paiement", ["id_paiement", "montant"], None) == (
        'select "id_paiement", "montant" from "paiement"'
    )


def test_incremental_query_binds_the_window_as_parameters():
    assert extract_query("demande", ["id_demande"], "updated_at") == (
        'select "id_demande" from "demande" where "updated_at" >= ? and "updated_at" < ?'
    )


def test_identifier_with_quotes_and_sql_is_quoted_not_executed():
    hostile = 'x"; drop table paiement; --'
    assert quote_identifier(hostile) == '"x""; drop table paiement; --"'
    assert extract_query(hostile, ["a"], None) == 'select "a" from "x""; drop table paiement; --"'


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("NUMERIC(12,2)", pa.decimal128(12, 2)),
        ("decimal(18, 4)", pa.decimal128(18, 4)),
        ("INTEGER", pa.int64()),
        ("TEXT", pa.string()),
        ("DATE", pa.date32()),
        ("TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
        ("BOOLEAN", pa.bool_()),
    ],
)
def test_declared_types_map_exactly(declared, expected):
    assert arrow_type(declared) == expected


def test_unknown_declared_type_is_a_clear_error():
    with pytest.raises(ValueError, match="'BLOB' is not supported"):
        arrow_type("BLOB")


def test_window_bounds_match_how_sqlite_stores_each_type():
    day = date(2026, 3, 1)
    assert sqlite_bound(day, pa.date32()) == "2026-03-01"
    assert sqlite_bound(day, pa.timestamp("us", tz="UTC")) == "2026-03-01 00:00:00+00:00"
    assert sqlite_bound(day, pa.timestamp("us")) == "2026-03-01 00:00:00"
