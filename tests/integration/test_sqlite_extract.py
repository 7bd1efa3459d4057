"""The SQLite extractor against generated sample sources: exact types, windows, errors."""

import sqlite3
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pytest

from orchestration.lib.extract import SqliteSource, Window


def read_all(source, table, window=None) -> pa.Table:
    schema, batches = source.read(table, window)
    return pa.Table.from_batches(list(batches), schema=schema)


def test_types_are_kept_exactly(sample_settings):
    source = SqliteSource(sample_settings.connections["subventions"].options["path"])
    payments = read_all(source, "paiement")
    assert payments.schema.field("montant").type == pa.decimal128(12, 2)
    assert payments.schema.field("paye_le").type == pa.date32()
    assert payments.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    with sqlite3.connect(sample_settings.connections["subventions"].options["path"]) as connection:
        expected = connection.execute("select count(*), sum(montant) from paiement").fetchone()
    assert payments.num_rows == expected[0]
    total = sum(payments.column("montant").to_pylist(), Decimal(0))
    assert total == Decimal(str(round(expected[1], 2)))


def test_window_reads_only_rows_of_those_days(sample_settings):
    source = SqliteSource(sample_settings.connections["subventions"].options["path"])
    window = Window("updated_at", date(2026, 2, 1), date(2026, 2, 3))
    rows = read_all(source, "paiement", window).column("updated_at").to_pylist()
    assert rows
    assert all(
        datetime(2026, 2, 1, tzinfo=timezone.utc) <= r < datetime(2026, 2, 3, tzinfo=timezone.utc)
        for r in rows
    )


def test_missing_table_and_missing_file_are_clear_errors(sample_settings, tmp_path):
    source = SqliteSource(sample_settings.connections["sport"].options["path"])
    with pytest.raises(LookupError, match="Table 'nope' does not exist in sport.sqlite"):
        source.read("nope")
    with pytest.raises(FileNotFoundError, match="make sample"):
        SqliteSource(tmp_path / "absent.sqlite").read("club")


def test_unknown_cursor_column_is_a_clear_error(sample_settings):
    source = SqliteSource(sample_settings.connections["sport"].options["path"])
    with pytest.raises(LookupError, match="Cursor column 'nope' is not a column of 'club'"):
        source.read("club", Window("nope", date(2026, 1, 1), date(2026, 1, 2)))
