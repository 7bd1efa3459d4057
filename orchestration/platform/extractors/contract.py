"""The type contract: for every source type of every engine, its Arrow type and how it travels.

A value lands exactly (the same number, the same text byte for byte, the same instant) or the
run fails before publishing, naming the entry, the column, the source type by its SQL name and
the cast or option that fixes it. `CONTRACT` is the one table the extractors apply
(`types.py` finds a column's rule from the driver's description, `conform` enforces its
limits); docs/extraction.md shows it: `python -m orchestration.platform.extractors.contract_docs`
rewrites that section, and a unit test fails when it is out of date.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa


class Travel(enum.Enum):
    NATIVE = "native"  # the reader's own value, checked and cast to the Arrow type
    TEXT = "text"  # as text (cast in the SELECT on connectorx): lands as that text
    PARSED = "parsed"  # as text, parsed back into the Arrow type; a value that does not parse refuses
    REFUSED = "refused"  # the run fails at once, naming the fix


@dataclass(frozen=True)
class Limit:
    """Values the source type holds that its Arrow type cannot: any such value refuses the run."""

    cause: str  # what the column holds, e.g. "holds a zero date (0000-00-00)"
    fix: str  # the cast or option that fixes it; `{c}` is the quoted column
    bounds: tuple[int, int] | None = None  # the reader's values allowed (as integers), checked per batch
    find: str = ""  # SQL condition on `{c}` finding such a value, to name the column after a reader failed


@dataclass(frozen=True)
class Rule:
    """One source type of one engine: `keys` are the names the driver's description resolves to."""

    keys: tuple[str, ...]
    sql: str  # the source type by its SQL name, as the docs show it
    arrow: str  # the Arrow type: a name of ARROW_TYPES or "decimal128(p,s)"
    travel: Travel
    limit: Limit | None = None
    fix: str = ""  # for REFUSED: what to write instead (`{c}` is the quoted column)
    text_sql: str = ""  # how the SELECT turns `{c}` to text, if not the dialect's plain cast
    trim: str = ""  # a regex removed from the text before it is parsed (a zero 7th digit)


ARROW_TYPES: Mapping[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int8": pa.int8(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "uint8": pa.uint8(),
    "uint16": pa.uint16(),
    "uint32": pa.uint32(),
    "uint64": pa.uint64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "binary": pa.binary(),
    "date32": pa.date32(),
    "time64[us]": pa.time64("us"),
    "timestamp[us]": pa.timestamp("us"),
    "timestamp[us, UTC]": pa.timestamp("us", tz="UTC"),
    "-": pa.null(),
}
DECIMAL = "decimal128(p,s)"


def _days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (any year, BC as year <= 0)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    of_era = year - era * 400
    of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + of_year - 719468


# connectorx decodes PostgreSQL dates and timestamps with chrono: `infinity` comes out as
# chrono's last day (262142-12-31), `-infinity` as its first, later years fail mid-stream.
# Everything between lands exactly (4713 BC included); the rest is refused.
CHRONO_FIRST_DAY = -96465292
PG_LAST_DAY = _days(262142, 1, 1) - 1
DAY_US = 86_400_000_000
PG_DATE_BOUNDS = (CHRONO_FIRST_DAY + 1, PG_LAST_DAY)
PG_TIMESTAMP_BOUNDS = ((CHRONO_FIRST_DAY + 1) * DAY_US, (PG_LAST_DAY + 1) * DAY_US - 1)

# connectorx hands decimals over as decimal128(38, 10) through rust_decimal's 28 digits:
# a numeric(p, s) travels natively only when s <= 10 and its integer digits plus 10 fit in 28.
NATIVE_DECIMAL_SCALE = 10
NATIVE_DECIMAL_INTEGER_DIGITS = 18

PG_TEXT_FIX = "cast it in a `query:` of the entry, e.g. `{c}::text`"
PG_FINITE = Limit(
    "holds infinity, -infinity or a year after 262141, which connectorx cannot decode exactly",
    "map it in a `query:` of the entry: `nullif({c}, 'infinity')` for NULL, or `{c}::text` to keep the text",
    find="not isfinite({c}) or extract(year from {c}) > 262141",
)
PG_NUMERIC_FINITE = Limit(
    "holds NaN or infinity, which a decimal cannot hold",
    "map it in a `query:` of the entry: `nullif({c}, 'NaN')` for NULL, or `{c}::text` to keep the text",
    find="{c}::text in ('NaN', 'Infinity', '-Infinity')",
)
PYTHON_DATES = Limit(
    "holds infinity, a BC date or a year after 9999, which the Python driver cannot read",
    "map it in a `query:` of the entry: `cast({c} as varchar)` keeps the text",
)
PG_TIME = Limit("holds 24:00:00, which time64 cannot hold", "cast it in a `query:` of the entry: `{c}::text`")
MYSQL_ZERO_DATE = Limit(
    "holds a zero date (0000-00-00) or a zero month or day, which is no date",
    "map it in a `query:` of the entry: `nullif({c}, '0000-00-00')` for NULL, or `cast({c} as char)` to keep the text",
    find="month({c}) = 0 or dayofmonth({c}) = 0",
)
MYSQL_ZERO_DATETIME = Limit(
    "holds a zero date (0000-00-00 00:00:00) or a zero month or day, which is no instant",
    "map it in a `query:` of the entry: `nullif({c}, '0000-00-00 00:00:00')` for NULL, or "
    "`cast({c} as char)` to keep the text",
    find="month({c}) = 0 or dayofmonth({c}) = 0",
)
MYSQL_TIME = Limit(
    "holds a negative time or one of 24 hours or more (a duration), which time64 cannot hold",
    "cast it in a `query:` of the entry: `time_to_sec({c})` (seconds) or `cast({c} as char)`",
    find="{c} < '00:00:00' or {c} >= '24:00:00'",
)
BOOL_01 = Limit(
    "holds a value other than 0 and 1, so it is a small integer, not a boolean",
    "cast it in a `query:` of the entry: `cast({c} as signed)`",
    bounds=(0, 1),
)
SQLITE_BOOL_01 = Limit(
    "holds a value other than 0 and 1",
    "fix the value in the source, or declare the column INTEGER",
    bounds=(0, 1),
)
# SQL Server's default precision is 7 digits (100 ns): the text keeps them; a zero 7th digit is
# dropped before parsing, any other digit does not parse into microseconds and refuses
SEVENTH_ZERO = r"(\.\d{6})0"
SEVENTH_DIGIT = Limit(
    "holds a 7th fractional digit (100 ns), which Arrow's microseconds cannot hold",
    "cast it in a `query:` of the entry to 6 digits, e.g. `cast({c} as datetime2(6))` (rounds)",
)
SQLITE_VALUE = "fix the value in the source (SQLite stores any value in any column), or fix the declared type"


PG_MONEY = Rule(
    ("money",),
    "money",
    "-",
    Travel.REFUSED,
    fix="cast it in a `query:` of the entry: `{c}::numeric(20,2)` (its text depends on lc_monetary)",
)


def _pg_natives() -> tuple[Rule, ...]:
    native = Travel.NATIVE
    return (
        Rule(("bool",), "boolean", "bool", native),
        Rule(("int2",), "smallint", "int16", native),
        Rule(("int4",), "integer", "int32", native),
        Rule(("int8",), "bigint", "int64", native),
        Rule(("oid",), "oid", "int64", native),
        Rule(("float4",), "real", "float32", native),
        Rule(("float8",), "double precision", "float64", native),
        Rule(("text", "varchar", "bpchar", "name"), "text, varchar(n), char(n), name", "string", native),
        Rule(("bytea",), "bytea", "binary", native),
    )


POSTGRES_RULES = (
    *_pg_natives(),
    Rule(("numeric:native",), "numeric(p,s), s <= 10 and p - s <= 18", DECIMAL, Travel.NATIVE, PG_NUMERIC_FINITE),
    Rule(("numeric:parsed",), "numeric(p,s), other p <= 38", DECIMAL, Travel.PARSED, PG_NUMERIC_FINITE),
    Rule(("numeric:text",), "numeric(p,s), p > 38; numeric", "string", Travel.TEXT),
    Rule(("date",), "date", "date32", Travel.NATIVE, Limit(**{**PG_FINITE.__dict__, "bounds": PG_DATE_BOUNDS})),
    Rule(
        ("timestamp",),
        "timestamp(p)",
        "timestamp[us]",
        Travel.NATIVE,
        Limit(**{**PG_FINITE.__dict__, "bounds": PG_TIMESTAMP_BOUNDS}),
    ),
    Rule(
        ("timestamptz",),
        "timestamp(p) with time zone",
        "timestamp[us, UTC]",
        Travel.NATIVE,
        Limit(**{**PG_FINITE.__dict__, "bounds": PG_TIMESTAMP_BOUNDS}),
    ),
    Rule(("time",), "time(p)", "time64[us]", Travel.PARSED, PG_TIME),
    Rule(("json", "jsonb"), "json, jsonb", "string", Travel.TEXT),
    Rule(("array",), "arrays (text[], integer[], ...)", "string", Travel.TEXT),
    Rule(("enum",), "enums", "string", Travel.TEXT),
    Rule(("bit", "varbit"), "bit(n), bit varying(n)", "string", Travel.TEXT),
    Rule(("uuid",), "uuid", "string", Travel.TEXT),
    Rule(("interval", "timetz"), "interval, time with time zone", "string", Travel.TEXT),
    Rule(("inet", "cidr", "macaddr", "macaddr8"), "inet, cidr, macaddr", "string", Travel.TEXT),
    Rule(("xml",), "xml", "string", Travel.TEXT),
    Rule(("range", "multirange"), "ranges, multiranges", "string", Travel.TEXT),
    Rule(("composite",), "composite types", "string", Travel.TEXT),
    Rule(("char",), '"char"', "string", Travel.TEXT),
    Rule(("domain",), "domains", "the base type's", Travel.NATIVE),
    PG_MONEY,
    Rule(("other",), "any other type (tsvector, point, ...)", "string", Travel.TEXT),
)

DENODO_RULES = (
    *_pg_natives(),
    Rule(
        ("numeric:native", "numeric:parsed"),
        "numeric(p,s), p <= 38",
        DECIMAL,
        Travel.PARSED,
        Limit(PG_NUMERIC_FINITE.cause, "map it in a `query:` of the entry: `cast({c} as varchar)` keeps the text"),
    ),
    Rule(("numeric:text",), "numeric(p,s), p > 38; numeric", "string", Travel.TEXT),
    Rule(("date",), "date", "date32", Travel.PARSED, PYTHON_DATES),
    Rule(("timestamp",), "timestamp", "timestamp[us]", Travel.PARSED, PYTHON_DATES),
    Rule(("timestamptz",), "timestamp with time zone", "timestamp[us, UTC]", Travel.PARSED, PYTHON_DATES),
    Rule(
        ("time",),
        "time",
        "time64[us]",
        Travel.PARSED,
        Limit(PG_TIME.cause, "cast it in a `query:` of the entry: `cast({c} as varchar)`"),
    ),
    Rule(
        ("money",),
        "money",
        "-",
        Travel.REFUSED,
        fix="cast it in a `query:` of the entry: `cast({c} as decimal(20,2))` (its text depends on the locale)",
    ),
    Rule(("other",), "any other type (json, arrays, uuid, interval, ...)", "string", Travel.TEXT),
)

MYSQL_RULES = (
    Rule(("tinyint(1)",), "tinyint(1), boolean", "bool", Travel.NATIVE, BOOL_01),
    Rule(("tinyint",), "tinyint", "int8", Travel.NATIVE),
    Rule(("tinyint unsigned",), "tinyint unsigned", "uint8", Travel.NATIVE),
    Rule(("smallint",), "smallint", "int16", Travel.NATIVE),
    Rule(("smallint unsigned",), "smallint unsigned", "uint16", Travel.NATIVE),
    Rule(("mediumint", "int"), "mediumint, int", "int32", Travel.NATIVE),
    Rule(("mediumint unsigned", "int unsigned"), "mediumint unsigned, int unsigned", "uint32", Travel.NATIVE),
    Rule(("bigint",), "bigint", "int64", Travel.NATIVE),
    Rule(("bigint unsigned",), "bigint unsigned", "uint64", Travel.NATIVE),
    Rule(("float",), "float", "float32", Travel.NATIVE),
    Rule(("double",), "double", "float64", Travel.NATIVE),
    Rule(("decimal:native",), "decimal(p,s), s <= 10 and p - s <= 18", DECIMAL, Travel.NATIVE),
    Rule(("decimal:parsed",), "decimal(p,s), other p <= 38", DECIMAL, Travel.PARSED),
    Rule(("decimal:text",), "decimal(p,s), p > 38", "string", Travel.TEXT),
    Rule(
        ("char", "varchar", "text", "enum", "set"),
        "char, varchar, text (MariaDB json too), enum, set",
        "string",
        Travel.NATIVE,
    ),
    Rule(("json",), "json (MySQL)", "string", Travel.TEXT),
    Rule(("binary", "varbinary", "blob"), "binary, varbinary, blob", "binary", Travel.NATIVE),
    Rule(("bit",), "bit(n)", "binary", Travel.NATIVE),  # big-endian bytes, as MySQL returns them
    Rule(("year",), "year", "int16", Travel.NATIVE),
    Rule(("date",), "date", "date32", Travel.NATIVE, MYSQL_ZERO_DATE),
    Rule(("datetime",), "datetime(p)", "timestamp[us]", Travel.NATIVE, MYSQL_ZERO_DATETIME),
    Rule(
        ("timestamp",),
        "timestamp(p) (UTC inside; the session is UTC)",
        "timestamp[us, UTC]",
        Travel.NATIVE,
        MYSQL_ZERO_DATETIME,
    ),
    Rule(("time",), "time(p)", "time64[us]", Travel.NATIVE, MYSQL_TIME),
    Rule(
        ("geometry",),
        "geometry",
        "-",
        Travel.REFUSED,
        fix="cast it in a `query:` of the entry: `st_astext({c})` (WKT) or `st_asbinary({c})`",
    ),
    Rule(
        ("other",),
        "any other type",
        "-",
        Travel.REFUSED,
        fix="cast it in a `query:` of the entry, e.g. `cast({c} as char)`",
    ),
)

SQLITE_RULES = (
    Rule(("INTEGER",), "INTEGER", "int64", Travel.NATIVE),
    Rule(("REAL",), "REAL", "float64", Travel.NATIVE),
    Rule(("TEXT",), "TEXT", "string", Travel.NATIVE),
    Rule(("BLOB",), "BLOB", "binary", Travel.NATIVE),
    Rule(("BOOLEAN",), "BOOLEAN (0 or 1)", "bool", Travel.NATIVE, SQLITE_BOOL_01),
    Rule(
        ("NUMERIC(p,s)",),
        "NUMERIC(p,s), DECIMAL(p,s)",
        DECIMAL,
        Travel.PARSED,
        Limit("holds a value with more digits than the declared type, or not a number", SQLITE_VALUE),
    ),
    Rule(
        ("DATE",),
        "DATE (ISO text)",
        "date32",
        Travel.PARSED,
        Limit("holds a value that is not an ISO date from 0001 to 9999", SQLITE_VALUE),
    ),
    Rule(
        ("TIMESTAMP",),
        "TIMESTAMP (ISO text, no offset)",
        "timestamp[us]",
        Travel.PARSED,
        Limit("holds a value that is not an ISO timestamp without offset", SQLITE_VALUE),
    ),
    Rule(
        ("TIMESTAMPTZ",),
        "TIMESTAMPTZ (ISO text with offset)",
        "timestamp[us, UTC]",
        Travel.PARSED,
        Limit("holds a value that is not an ISO timestamp with an offset", SQLITE_VALUE),
    ),
    Rule(
        ("other",), "any other declared type", "-", Travel.REFUSED, fix="declare the column with one of the types above"
    ),
)

MSSQL_RULES = (
    Rule(("bit",), "bit", "bool", Travel.NATIVE),
    Rule(("tinyint",), "tinyint", "uint8", Travel.NATIVE),
    Rule(("smallint",), "smallint", "int16", Travel.NATIVE),
    Rule(("int",), "int", "int32", Travel.NATIVE),
    Rule(("bigint",), "bigint", "int64", Travel.NATIVE),
    Rule(("real",), "real", "float32", Travel.NATIVE),
    Rule(("float",), "float", "float64", Travel.NATIVE),
    Rule(("decimal:native",), "decimal(p,s), s <= 10 and p - s <= 18", DECIMAL, Travel.NATIVE),
    Rule(("decimal:parsed",), "decimal(p,s), other", DECIMAL, Travel.PARSED),
    Rule(
        ("char", "varchar", "nchar", "nvarchar", "text", "ntext"),
        "char, varchar, nchar, nvarchar, text, ntext",
        "string",
        Travel.NATIVE,
    ),
    Rule(("uniqueidentifier", "xml"), "uniqueidentifier, xml", "string", Travel.TEXT),
    Rule(("binary", "varbinary", "image"), "binary, varbinary, image", "binary", Travel.NATIVE),
    Rule(("date",), "date", "date32", Travel.NATIVE),
    Rule(
        ("datetime", "smalldatetime", "datetime2"),
        "datetime, smalldatetime, datetime2(p), p <= 6",
        "timestamp[us]",
        Travel.NATIVE,
    ),
    Rule(("datetimeoffset",), "datetimeoffset(p), p <= 6", "timestamp[us, UTC]", Travel.NATIVE),
    Rule(("time",), "time(p), p <= 6", "time64[us]", Travel.NATIVE),
    Rule(
        ("datetime2(7)",),
        "datetime2(7)",
        "timestamp[us]",
        Travel.PARSED,
        SEVENTH_DIGIT,
        text_sql="convert(varchar(27), {c}, 126)",
        trim=SEVENTH_ZERO,
    ),
    Rule(
        ("datetimeoffset(7)",),
        "datetimeoffset(7)",
        "timestamp[us, UTC]",
        Travel.PARSED,
        SEVENTH_DIGIT,
        text_sql="convert(varchar(33), {c}, 126)",
        trim=SEVENTH_ZERO,
    ),
    Rule(
        ("time(7)",),
        "time(7)",
        "time64[us]",
        Travel.PARSED,
        SEVENTH_DIGIT,
        text_sql="cast({c} as varchar(16))",
        trim=SEVENTH_ZERO,
    ),
    Rule(
        ("money", "smallmoney"),
        "money, smallmoney",
        "-",
        Travel.REFUSED,
        fix="cast it in a `query:` of the entry: `cast({c} as decimal(19,4))`",
    ),
    Rule(
        ("other",),
        "any other type (sql_variant, geography, hierarchyid, ...)",
        "-",
        Travel.REFUSED,
        fix="cast it in a `query:` of the entry, e.g. `cast({c} as nvarchar(max))`",
    ),
)

DB2_RULES = (
    Rule(("boolean",), "boolean", "bool", Travel.NATIVE),
    Rule(("smallint",), "smallint", "int16", Travel.NATIVE),
    Rule(("integer", "int"), "integer", "int32", Travel.NATIVE),
    Rule(("bigint",), "bigint", "int64", Travel.NATIVE),
    Rule(("real",), "real", "float32", Travel.NATIVE),
    Rule(("double", "float"), "double", "float64", Travel.NATIVE),
    Rule(("decimal:native", "decimal:parsed"), "decimal(p,s)", DECIMAL, Travel.NATIVE),
    Rule(
        ("char", "varchar", "clob", "graphic", "vargraphic", "dbclob", "string"),
        "char, varchar, clob, graphic, vargraphic, dbclob",
        "string",
        Travel.NATIVE,
    ),
    Rule(("binary", "varbinary", "blob"), "binary, varbinary, blob", "binary", Travel.NATIVE),
    Rule(("date",), "date", "date32", Travel.NATIVE),
    Rule(("time",), "time", "time64[us]", Travel.NATIVE),
    Rule(("timestamp",), "timestamp(p), p <= 6", "timestamp[us]", Travel.NATIVE),
    Rule(
        ("timestamp(7+)",),
        "timestamp(p), p > 6",
        "-",
        Travel.REFUSED,
        fix="cast it in a `query:` of the entry: `cast({c} as timestamp(6))` or `varchar({c})`",
    ),
    Rule(
        ("other",),
        "any other type (decfloat, xml, ...)",
        "-",
        Travel.REFUSED,
        fix="cast it in a `query:` of the entry, e.g. `varchar({c})`",
    ),
)

CONTRACT: Mapping[str, tuple[Rule, ...]] = {
    "postgres": POSTGRES_RULES,
    "denodo": DENODO_RULES,
    "mysql": MYSQL_RULES,
    "sqlite": SQLITE_RULES,
    "mssql": MSSQL_RULES,
    "db2": DB2_RULES,
}
ENGINE_TITLES = {
    "postgres": "PostgreSQL (connectorx, binary COPY)",
    "denodo": "Denodo (PostgreSQL wire, psycopg text protocol)",
    "mysql": "MySQL / MariaDB (connectorx)",
    "sqlite": "SQLite (sqlite3)",
    "mssql": "SQL Server (connectorx; no server here: untested)",
    "db2": "DB2 (ibm_db; no server here: untested)",
}


def rule_for(engine: str, key: str) -> Rule:
    """The rule of `key` (a name the driver's description resolved to), else the engine's `other`."""
    for rule in CONTRACT[engine]:
        if key in rule.keys:
            return rule
    for rule in CONTRACT[engine]:
        if "other" in rule.keys:
            return rule
    raise KeyError(f"{engine} has no rule for {key!r}")


def arrow_type(rule: Rule, precision: int | None = None, scale: int | None = None) -> pa.DataType:
    if rule.arrow == DECIMAL:
        return pa.decimal128(precision, scale or 0)
    return ARROW_TYPES[rule.arrow]
