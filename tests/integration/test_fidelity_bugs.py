"""The silent changes, losses and unreadable refusals of the extraction-fidelity issue, one
test each, on the real servers (each failed before the fix)."""

from decimal import Decimal

import pytest

from orchestration.platform.extractors import ExtractError
from orchestration.platform.extractors import rows as rows_module
from tests.integration.fidelity import land, refusal_pattern

JSON_TEXT = '{"a": 1.00000000000000000001, "b": [1, 2]}'
TOP_38_2 = Decimal("9" * 36 + ".99")  # the largest numeric(38,2)
BOTTOM_38_2 = Decimal("-" + "9" * 36 + ".99")  # not -TOP_38_2: unary minus rounds to 28 digits


def test_postgres_json_and_jsonb_land_as_the_text_the_server_returns(pg, pg_database, local_settings, tmp_path):
    pg.execute("create table t (id int primary key, j json, jb jsonb)")
    pg.execute("insert into t values (1, %s, %s)", (JSON_TEXT, JSON_TEXT))
    table = land("postgres", pg_database, local_settings, tmp_path)
    expected = pg.execute("select j::text, jb::text from t").fetchone()
    assert (table["j"][0].as_py(), table["jb"][0].as_py()) == expected
    assert "1.00000000000000000001" in expected[1]


def test_mariadb_tinyint1_holding_2_is_refused_not_turned_to_true(mysql, mysql_database, local_settings, tmp_path):
    with mysql.cursor() as cursor:
        cursor.execute("create table t (id int primary key, flag tinyint(1))")
        cursor.execute("insert into t values (1, 1), (2, 2)")
    with pytest.raises(ExtractError, match=refusal_pattern("flag", "tinyint(1)")) as refused:
        land("mysql", mysql_database, local_settings, tmp_path)
    assert "cast(`flag` as signed)" in str(refused.value)


def test_denodo_keyset_pages_keep_rows_whose_equal_keys_straddle_a_page(
    pg, pg_database, local_settings, tmp_path, monkeypatch
):
    monkeypatch.setattr(rows_module, "BATCH_ROWS", 4)
    pg.execute("create table t (id int, v int)")  # declared key `id`, not unique
    # ids 1, 2, 3, 4, 4, 4, 5: the first page ends inside the group of 4s
    pg.execute("insert into t values (1, 1), (2, 2), (3, 3), (4, 4), (4, 5), (4, 6), (5, 7)")
    table = land("denodo", pg_database, local_settings, tmp_path)
    assert sorted(table["v"].to_pylist()) == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_decimals_at_the_top_of_38_digits_land_exactly(engine, request, local_settings, tmp_path):
    database = request.getfixturevalue("pg_database" if engine == "postgres" else "mysql_database")
    connection = request.getfixturevalue("pg" if engine == "postgres" else "mysql")
    kind = "numeric(38,2)" if engine == "postgres" else "decimal(38,2)"
    connection.cursor().execute(f"create table t (id int primary key, n {kind})")
    connection.cursor().execute("insert into t values (1, %s), (2, %s)", (TOP_38_2, BOTTOM_38_2))
    table = land(engine, database, local_settings, tmp_path)
    assert table["n"].to_pylist() == [TOP_38_2, BOTTOM_38_2]


def test_mariadb_bigint_unsigned_above_2_63_lands_as_uint64(mysql, mysql_database, local_settings, tmp_path):
    with mysql.cursor() as cursor:
        cursor.execute("create table t (id int primary key, u bigint unsigned)")
        cursor.execute("insert into t values (1, 18446744073709551615), (2, 9223372036854775808)")
    table = land("mysql", mysql_database, local_settings, tmp_path)
    assert str(table.schema.field("u").type) == "uint64"
    assert table["u"].to_pylist() == [18446744073709551615, 9223372036854775808]


def test_mariadb_zero_date_is_refused_naming_the_column_and_the_fix(mysql, mysql_database, local_settings, tmp_path):
    with mysql.cursor() as cursor:
        cursor.execute("set sql_mode = ''")
        cursor.execute("create table t (id int primary key, d date, ok date)")
        cursor.execute("insert into t values (1, '2026-01-05', '2026-01-05'), (2, '0000-00-00', '2026-01-05')")
    with pytest.raises(ExtractError, match=refusal_pattern("d", "date")) as refused:
        land("mysql", mysql_database, local_settings, tmp_path)
    message = str(refused.value)
    assert "zero date" in message and "nullif(`d`, '0000-00-00')" in message
    assert "panicked" not in message and "backtrace" not in message


def test_refusals_name_the_sql_type_not_an_internal_code(
    pg, pg_database, mysql, mysql_database, local_settings, tmp_path
):
    pg.execute("create table t (id int primary key, tags text[], m money)")
    with pytest.raises(ExtractError, match=refusal_pattern("m", "money")):
        land("postgres", pg_database, local_settings, tmp_path)
    with mysql.cursor() as cursor:
        cursor.execute("create table t (id int primary key, g geometry)")
    with pytest.raises(ExtractError, match=refusal_pattern("g", "geometry")):
        land("mysql", mysql_database, local_settings, tmp_path)


def test_postgres_arrays_land_as_the_server_text(pg, pg_database, local_settings, tmp_path):
    pg.execute("create table t (id int primary key, tags text[], bits bit(4))")
    pg.execute("insert into t values (1, '{a,\"b c\",NULL}', B'1010')")
    table = land("postgres", pg_database, local_settings, tmp_path)
    assert (table["tags"][0].as_py(), table["bits"][0].as_py()) == ('{a,"b c",NULL}', "1010")


def test_denodo_keyset_refuses_when_one_key_value_fills_a_whole_page(
    pg, pg_database, local_settings, tmp_path, monkeypatch
):
    monkeypatch.setattr(rows_module, "BATCH_ROWS", 3)
    pg.execute("create table t (id int, v int)")
    pg.execute("insert into t values (1, 1), (2, 2), (2, 3), (2, 4), (3, 5)")
    with pytest.raises(ExtractError, match=refusal_pattern("id", "integer")) as refused:
        land("denodo", pg_database, local_settings, tmp_path)
    assert "declare a unique `primary_key:`" in str(refused.value)
