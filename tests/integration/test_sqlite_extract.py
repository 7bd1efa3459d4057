"""The SQLite extractor against generated sample sources: exact types, windows, errors."""

import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from orchestration.platform.connections import ConnectionSpec
from orchestration.platform.extractors import ExtractError, ReadRequest, Source, Window, open_extractor
from orchestration.platform.privacy import ColumnPolicy


def extractor(settings, name):
    return open_extractor(settings.connections[name], {}, f"entry of {name}")


def read_all(source, table, window=None) -> pa.Table:
    described = source.describe(Source(table=table))
    batches = source.batches(ReadRequest(Source(table=table), described, window))
    return pa.Table.from_batches(list(batches), schema=described.schema)


def test_types_are_kept_exactly(sample_settings):
    payments = read_all(extractor(sample_settings, "subventions"), "paiement")
    assert payments.schema.field("montant").type == pa.decimal128(12, 2)
    assert payments.schema.field("paye_le").type == pa.date32()
    assert payments.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    with sqlite3.connect(sample_settings.connections["subventions"].options["path"]) as connection:
        expected = connection.execute("select count(*), sum(montant) from paiement").fetchone()
    assert payments.num_rows == expected[0]
    total = sum(payments.column("montant").to_pylist(), Decimal(0))
    assert total == Decimal(str(round(expected[1], 2)))


def test_window_reads_only_rows_of_those_days(sample_settings):
    window = Window("updated_at", date(2026, 2, 1), date(2026, 2, 3))
    rows = read_all(extractor(sample_settings, "subventions"), "paiement", window)
    values = rows.column("updated_at").to_pylist()
    assert values
    assert all(datetime(2026, 2, 1, tzinfo=UTC) <= r < datetime(2026, 2, 3, tzinfo=UTC) for r in values)


def test_missing_table_and_missing_file_are_clear_errors(sample_settings, tmp_path):
    with pytest.raises(ExtractError, match="entry of sport: table 'nope' does not exist in sport.sqlite"):
        read_all(extractor(sample_settings, "sport"), "nope")
    absent = open_extractor(ConnectionSpec("x", "sqlite", {"path": tmp_path / "absent.sqlite"}), {}, "e")
    with pytest.raises(ExtractError, match="make sample"):
        read_all(absent, "club")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"nom_inconnu": ColumnPolicy("drop")}, "personal_data names 'nom_inconnu', which is not a column"),
        ({"genre": ColumnPolicy("generalise", "year")}, "personal_data.genre is generalised to a year but is string"),
    ],
)
def test_a_personal_data_policy_the_source_cannot_take_stops_before_anything_lands(sample_settings, policy, message):
    import dataclasses

    from orchestration.platform.ingestion import ingest
    from orchestration.platform.registry import load_all

    [spec] = [s for s in load_all() if s.name == "sport.affiliation"]
    spec = dataclasses.replace(spec, privacy=policy)
    lake = sample_settings.open_lake()
    with pytest.raises(ExtractError, match=message):
        ingest(spec, sample_settings, lake, date(2026, 1, 1), date(2026, 1, 2), {})
    assert lake.partition_days("sport", "affiliation") == []


def test_pseudonymising_without_a_key_stops_before_anything_lands(sample_settings):
    import dataclasses

    from orchestration.platform.ingestion import ingest
    from orchestration.platform.registry import load_all

    [spec] = [s for s in load_all() if s.name == "sport.affiliation"]
    settings = dataclasses.replace(sample_settings, pseudonym_key="")  # staging and prod's default
    lake = settings.open_lake()
    with pytest.raises(ExtractError, match="set LAKEHOUSE_PSEUDONYM_KEY"):
        ingest(spec, settings, lake, date(2026, 1, 1), date(2026, 1, 2), {})
    assert lake.partition_days("sport", "affiliation") == []
