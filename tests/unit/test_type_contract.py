"""The type contract as pure functions: how driver descriptions resolve to rules, what
`conform` lets through or refuses, the SQL of SQL Server and DB2 (no server here), and the
generated table of docs/extraction.md."""

from decimal import Decimal

import pyarrow as pa
import pytest

from orchestration.platform.extractors.base import Described, withhold_values
from orchestration.platform.extractors.contract import (
    CONTRACT,
    PG_DATE_BOUNDS,
    PG_TIMESTAMP_BOUNDS,
    Travel,
    rule_for,
)
from orchestration.platform.extractors.contract_docs import DOCS, with_contract
from orchestration.platform.extractors.sql import MSSQL, POSTGRES, Source, keyset_page_sql, select_sql
from orchestration.platform.extractors.types import (
    Refusal,
    conform,
    decimal_key,
    mysql_column,
    named_column,
    numeric_modifier,
    postgres_column,
    sqlite_column,
)

ENTRY = "registry.yml: systems.x.tables.t"


def refusal_text(error: Refusal, dialect=POSTGRES) -> str:
    return error.message(ENTRY, dialect.quote)


def test_the_docs_show_the_contract_of_the_code():
    current = DOCS.read_text()
    assert with_contract(current) == current, (
        "docs/extraction.md is out of date: run `python -m orchestration.platform.extractors.contract_docs`"
    )


def test_every_engine_has_a_rule_for_any_other_type_and_each_refusal_names_its_fix():
    for engine, rules in CONTRACT.items():
        assert any("other" in r.keys for r in rules), engine
        keys = [k for r in rules for k in r.keys]
        assert len(keys) == len(set(keys)), f"{engine}: a key in two rules"
        for rule in rules:
            assert rule.travel is not Travel.REFUSED or rule.fix, rule
            assert rule.limit is None or (rule.limit.cause and rule.limit.fix), rule


@pytest.mark.parametrize(
    ("precision", "scale", "key"),
    [
        (12, 2, "numeric:native"),
        (28, 10, "numeric:native"),
        (18, 0, "numeric:native"),
        (19, 0, "numeric:parsed"),
        (20, 11, "numeric:parsed"),
        (38, 2, "numeric:parsed"),
        (38, 38, "numeric:parsed"),
        (39, 2, "numeric:text"),
        (None, None, "numeric:text"),
        (5, -2, "numeric:text"),  # PostgreSQL 15's negative scales keep their digits as text
    ],
)
def test_a_decimal_travels_natively_only_where_connectorx_holds_it(precision, scale, key):
    assert decimal_key("numeric", precision, scale) == key


def test_numeric_type_modifiers():
    assert numeric_modifier(((38 << 16) | 2) + 4) == (38, 2)
    assert numeric_modifier(-1) == (None, None)
    assert numeric_modifier(((5 << 16) | (0x800 - 2)) + 4) == (5, -2)


@pytest.mark.parametrize(
    ("args", "sql", "arrow"),
    [
        ((8, 20, 0, 32, 63), "bigint unsigned", pa.uint64()),
        ((3, 10, 0, 32, 63), "int unsigned", pa.uint32()),
        ((9, 8, 0, 32, 63), "mediumint unsigned", pa.uint32()),
        ((1, 3, 0, 32, 63), "tinyint unsigned", pa.uint8()),
        ((1, 1, 0, 0, 63), "tinyint(1)", pa.bool_()),
        ((1, 4, 0, 0, 63), "tinyint", pa.int8()),
        ((246, 40, 2, 0, 63), "decimal(38,2)", pa.decimal128(38, 2)),
        ((246, 11, 2, 32, 63), "decimal(10,2) unsigned", pa.decimal128(10, 2)),
        ((246, 67, 30, 0, 63), "decimal(65,30)", pa.string()),
        ((16, 8, 0, 32, 63), "bit(8)", pa.binary()),
        ((12, 26, 6, 128, 63), "datetime(6)", pa.timestamp("us")),
        ((7, 19, 0, 128, 63), "timestamp", pa.timestamp("us", tz="UTC")),
        ((254, 4, 0, 256, 45), "enum", pa.string()),
        ((254, 12, 0, 128, 63), "binary", pa.binary()),
        ((252, 65535, 0, 144, 63), "blob", pa.binary()),
        ((252, 4294967295, 0, 144, 45), "text", pa.string()),
        ((245, 4294967295, 0, 144, 63), "json", pa.string()),
    ],
)
def test_mysql_field_packets_resolve_to_sql_names_and_exact_types(args, sql, arrow):
    column = mysql_column("c", *args)
    assert (column.sql, column.arrow) == (sql, arrow)


def test_mysql_refusals_name_the_sql_type_not_the_field_code():
    for code, sql in ((255, "geometry"), (242, "field type 242")):
        with pytest.raises(Refusal) as refused:
            Described.of([mysql_column("g", code, 0, 0, 0, 63)])
        text = refusal_text(refused.value)
        assert text.startswith(f"{ENTRY}: column g ({sql}): ") and "\nFix: " in text


def test_postgres_types_resolve_by_name_kind_and_category():
    array = postgres_column("postgres", "tags", 1009, -1, "text[]", "_text", "b", "A")
    assert (array.sql, array.arrow, array.rule.travel) == ("text[]", pa.string(), Travel.TEXT)
    enum = postgres_column("postgres", "mood", 16500, -1, "mood", "mood", "e", "E")
    assert enum.rule.travel is Travel.TEXT
    json = postgres_column("postgres", "j", 114, -1, "json", "json")
    assert json.as_text  # connectorx re-serialises JSON: it travels as the server's text
    money = postgres_column("postgres", "m", 790, -1, "money", "money")
    with pytest.raises(Refusal) as refused:
        Described.of([money])
    assert refusal_text(refused.value) == (
        f"{ENTRY}: column m (money): has no exact Arrow type here.\n"
        'Fix: cast it in a `query:` of the entry: `"m"::numeric(20,2)` (its text depends on lc_monetary).'
    )


def test_a_postgres_domain_is_read_as_its_base_type():
    amount = postgres_column("postgres", "a", 16600, ((38 << 16) | 2) + 4, "amount", "numeric", cast="numeric(38,2)")
    described = Described.of([amount])
    assert described.schema.field("a").type == pa.decimal128(38, 2)
    assert described.as_text == ("a",)  # 36 integer digits: parsed from the server's text
    small = postgres_column("postgres", "s", 16601, -1, "small", "int4", cast="integer")
    assert select_sql(
        POSTGRES, Source(table="t"), Described.of([small]).schema, expressions=Described.of([small]).expressions
    ) == ('select cast("s" as integer) as "s" from "t"')


def test_conform_refuses_a_tinyint1_holding_2_without_quoting_it():
    flag = mysql_column("flag", 1, 1, 0, 0, 63)
    ok = pa.RecordBatch.from_pydict({"flag": pa.array([0, 1, None], pa.int8())})
    assert conform(ok, [flag]).column(0).to_pylist() == [False, True, None]
    with pytest.raises(Refusal) as refused:
        conform(pa.RecordBatch.from_pydict({"flag": pa.array([1, 2], pa.int8())}), [flag])
    text = refused.value.message(ENTRY, lambda n: f"`{n}`")
    assert text.splitlines() == [
        f"{ENTRY}: column flag (tinyint(1)): holds a value other than 0 and 1, so it is a small "
        "integer, not a boolean.",
        "Fix: cast it in a `query:` of the entry: `cast(`flag` as signed)`.",
    ]


def test_conform_refuses_the_stand_ins_of_postgres_infinity():
    day = postgres_column("postgres", "d", 1082, -1, "date", "date")
    moment = postgres_column("postgres", "ts", 1184, -1, "timestamp with time zone", "timestamptz")
    for column, kind, (low, high) in (
        (day, pa.date32(), PG_DATE_BOUNDS),
        (moment, pa.timestamp("us", tz="UTC"), PG_TIMESTAMP_BOUNDS),
    ):
        integers = pa.int32() if kind == pa.date32() else pa.int64()
        inside = pa.RecordBatch.from_arrays([pa.array([low, high], integers).cast(kind)], [column.name])
        assert conform(inside, [column]).num_rows == 2
        for stand_in in (low - 1, high + 1):
            outside = pa.RecordBatch.from_arrays([pa.array([0, stand_in], integers).cast(kind)], [column.name])
            with pytest.raises(Refusal, match="infinity"):
                conform(outside, [column])


def test_conform_parses_text_exactly_or_refuses():
    wide = postgres_column("postgres", "n", 1700, ((38 << 16) | 2) + 4, "numeric(38,2)", "numeric")
    text = pa.RecordBatch.from_pydict({"n": ["9" * 36 + ".99", None]})
    assert conform(text, [wide]).column(0).to_pylist() == [Decimal("9" * 36 + ".99"), None]
    with pytest.raises(Refusal, match="NaN"):
        conform(pa.RecordBatch.from_pydict({"n": ["NaN"]}), [wide])
    time = postgres_column("postgres", "t", 1083, -1, "time without time zone", "time")
    last = conform(pa.RecordBatch.from_pydict({"t": ["23:59:59.999999"]}), [time]).column(0)[0]
    assert last.as_py().microsecond == 999999
    with pytest.raises(Refusal, match="24:00:00"):
        conform(pa.RecordBatch.from_pydict({"t": ["24:00:00"]}), [time])


# --- SQL Server and DB2: no server here, so their contract is tested as pure functions ---


@pytest.mark.parametrize(
    ("engine", "declared", "arrow", "travel"),
    [
        ("mssql", "tinyint", pa.uint8(), Travel.NATIVE),
        ("mssql", "decimal(12,2)", pa.decimal128(12, 2), Travel.NATIVE),
        ("mssql", "decimal(38,4)", pa.decimal128(38, 4), Travel.PARSED),
        ("mssql", "datetime2(3)", pa.timestamp("us"), Travel.NATIVE),
        ("mssql", "datetime2(7)", pa.timestamp("us"), Travel.PARSED),
        ("mssql", "datetimeoffset(7)", pa.timestamp("us", tz="UTC"), Travel.PARSED),
        ("mssql", "nvarchar(max)", pa.string(), Travel.NATIVE),
        ("mssql", "uniqueidentifier", pa.string(), Travel.TEXT),
        ("mssql", "varbinary(max)", pa.binary(), Travel.NATIVE),
        ("mssql", "money", pa.null(), Travel.REFUSED),
        ("mssql", "sql_variant", pa.null(), Travel.REFUSED),
        ("db2", "decimal(31,5)", pa.decimal128(31, 5), Travel.NATIVE),
        ("db2", "timestamp(6)", pa.timestamp("us"), Travel.NATIVE),
        ("db2", "timestamp(12)", pa.null(), Travel.REFUSED),
        ("db2", "decfloat", pa.null(), Travel.REFUSED),
        ("db2", "vargraphic(20)", pa.string(), Travel.NATIVE),
    ],
)
def test_sql_server_and_db2_types_follow_their_contract_rows(engine, declared, arrow, travel):
    column = named_column(engine, "c", declared)
    assert (column.arrow, column.rule.travel, column.sql) == (arrow, travel, declared)


def test_sql_server_seven_digit_times_travel_as_iso_text_and_refuse_a_nonzero_seventh_digit():
    moment = named_column("mssql", "at", "datetimeoffset(7)")
    described = Described.of([moment])
    assert select_sql(
        MSSQL, Source(table="t"), described.schema, as_text=described.as_text, expressions=described.expressions
    ) == ("select convert(varchar(33), [at], 126) as [at] from [t]")
    exact = pa.RecordBatch.from_pydict({"at": ["2026-01-05T10:00:00.1234560+02:00", None]})
    assert conform(exact, [moment]).column(0).cast(pa.int64())[0].as_py() % 1_000_000 == 123456
    with pytest.raises(Refusal) as refused:
        conform(pa.RecordBatch.from_pydict({"at": ["2026-01-05T10:00:00.1234567+02:00"]}), [moment])
    assert refusal_text(refused.value, MSSQL).endswith(
        "Fix: cast it in a `query:` of the entry to 6 digits, e.g. `cast([at] as datetime2(6))` (rounds)."
    )


def test_sqlite_declared_types():
    assert sqlite_column("m", "NUMERIC(12,2)").arrow == pa.decimal128(12, 2)
    assert sqlite_column("d", "date").arrow == pa.date32()
    assert sqlite_column("v", "VARCHAR(10)").rule.travel is Travel.REFUSED


def test_keyset_pages_after_the_first_start_at_the_last_key_value_inclusive():
    base = 'select "a", "b" from "t"'
    assert keyset_page_sql(POSTGRES, base, ["a"], True, 10, inclusive=True) == (
        'select * from (select "a", "b" from "t") as "page" where ("a" >= %s) order by "a" limit 10'
    )
    assert keyset_page_sql(POSTGRES, base, ["a", "b"], True, 10, inclusive=True).split(" where ")[1] == (
        '("a" > %s) or ("a" = %s and "b" >= %s) order by "a", "b" limit 10'
    )


def test_a_rust_panic_message_withholds_the_value_it_quotes():
    panic = (
        "Could not retrieve `core::option::Option<chrono::naive::date::NaiveDate>`: Couldn't convert "
        "the value `Date(\"'0000-00-00'\")` to a desired type"
    )
    assert "0000" not in withhold_values(panic) and "Couldn't convert the value" in withhold_values(panic)


def test_rule_lookup_falls_back_to_the_engine_rule_for_other_types():
    assert rule_for("postgres", "tsvector").travel is Travel.TEXT
    assert rule_for("mysql", "nothing").travel is Travel.REFUSED
