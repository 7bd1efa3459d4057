"""Source columns resolved to their rule of the type contract, and batches made to obey it.

Each engine's driver describes a column in its own codes (PostgreSQL OIDs and type
modifiers, MySQL field packets, declared type names); the functions here turn a description
into a `Column`: its SQL name (`numeric(38,2)`, `text[]`, `bigint unsigned`), its rule of
`contract.CONTRACT`, its Arrow type. `conform` then checks and casts every batch the reader
gives: a value outside the rule's limits, or one a cast would change, refuses the run with
the column named and no value quoted (values may be personal data).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.platform.extractors.contract import (
    NATIVE_DECIMAL_INTEGER_DIGITS,
    NATIVE_DECIMAL_SCALE,
    Rule,
    Travel,
    arrow_type,
    rule_for,
)


class Refusal(ValueError):
    """A column whose type or value the contract refuses; `refusal()` words it for the entry."""

    def __init__(self, column: Column, cause: str, fix: str):
        super().__init__(f"column {column.name} ({column.sql}): {cause}")
        self.column, self.cause, self.fix = column, cause, fix

    def message(self, where: str, quote) -> str:
        """`<entry>: column <name> (<sql type>): <cause>.` then `Fix: ...` (`quote` quotes a name)."""
        return (
            f"{where}: column {self.column.name} ({self.column.sql}): {self.cause}.\n"
            f"Fix: {self.fix.replace('{c}', quote(self.column.name))}."
        )


@dataclass(frozen=True)
class Column:
    """A source column: its name, its type by its SQL name, its rule and Arrow type."""

    name: str
    sql: str
    rule: Rule
    arrow: pa.DataType
    cast: str = ""  # a PostgreSQL domain is read as its base type, cast in the SELECT
    code: int | None = None  # the driver's type code (Denodo: the OID whose loader reads text)

    @property
    def as_text(self) -> bool:
        return self.rule.travel in (Travel.TEXT, Travel.PARSED)

    @property
    def reader_type(self) -> pa.DataType:
        """The type a row reader builds before `conform` (a bounded boolean: its integers)."""
        if self.as_text:
            return pa.string()
        if self.rule.limit and self.rule.limit.bounds and pa.types.is_boolean(self.arrow):
            return pa.int64()
        return self.arrow

    def refuse(self, cause: str | None = None) -> Refusal:
        if self.rule.travel is Travel.REFUSED:
            return Refusal(self, "has no exact Arrow type here", self.rule.fix)
        limit = self.rule.limit
        if limit is not None:
            return Refusal(self, limit.cause, limit.fix)
        return Refusal(
            self,
            cause or f"holds a value that {self.arrow} cannot hold exactly",
            "cast it in a `query:` of the entry to a type of the contract (docs/extraction.md)",
        )


def column(engine: str, name: str, key: str, sql: str, precision=None, scale=None, **extra) -> Column:
    rule = rule_for(engine, key)
    kind = pa.null() if rule.travel is Travel.REFUSED else arrow_type(rule, precision, scale)
    return Column(name, sql, rule, kind, **extra)


def decimal_key(base: str, precision: int | None, scale: int | None) -> str:
    """How a decimal travels: natively when connectorx's decimal128(38, 10) holds it exactly,
    parsed from text up to 38 digits, as text (its exact digits) beyond or unconstrained."""
    if precision is None or scale is None or precision > 38 or not 0 <= scale <= precision:
        return f"{base}:text"
    if scale <= NATIVE_DECIMAL_SCALE and precision - scale <= NATIVE_DECIMAL_INTEGER_DIGITS:
        return f"{base}:native"
    return f"{base}:parsed"


# --- PostgreSQL and Denodo: the RowDescription's OID and type modifier ---


def numeric_modifier(fmod: int) -> tuple[int | None, int | None]:
    """numeric(p, s) from its type modifier; (None, None) when unconstrained."""
    if fmod < 4:
        return None, None
    packed = fmod - 4
    scale = packed & 0x7FF
    return packed >> 16 & 0xFFFF, scale - 0x800 if scale & 0x400 else scale  # PG 15: negative scales


def postgres_key(typname: str, typtype: str, category: str) -> str:
    """The contract's key of a PostgreSQL type, from pg_type's name, kind and category."""
    if category == "A":
        return "array"
    return {"e": "enum", "r": "range", "m": "multirange", "c": "composite"}.get(typtype, typname)


def postgres_column(
    engine: str,
    name: str,
    oid: int,
    fmod: int,
    sql: str,
    typname: str,
    typtype: str = "b",
    category: str = "",
    cast: str = "",
) -> Column:
    """A column of PostgreSQL (`engine` "postgres") or Denodo's wire interface ("denodo")."""
    if typname == "numeric":
        precision, scale = numeric_modifier(fmod)
        key = decimal_key("numeric", precision, scale)
        return column(engine, name, key, sql, precision, scale, cast=cast, code=oid)
    return column(engine, name, postgres_key(typname, typtype, category), sql, cast=cast, code=oid)


# PostgreSQL's own names (format_type) of the types psycopg displays by their internal names
POSTGRES_SQL_NAMES = {
    "bool": "boolean",
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
}


def postgres_sql_name(display: str) -> str:
    """`int4` -> `integer`, `varchar(5)` -> `character varying(5)`, as format_type spells them."""
    base, _, modifier = display.partition("(")
    if base in POSTGRES_SQL_NAMES:
        return POSTGRES_SQL_NAMES[base] + (f"({modifier}" if modifier else "")
    return display


def psycopg_column(engine: str, description) -> Column:
    """A column from psycopg's description alone (Denodo has no usable pg_catalog): the SQL
    name from psycopg's registry of built-in types, an unknown OID named as such."""
    from psycopg.postgres import types

    info = types.get(description.type_code)
    fmod = description._fmod
    if info is None:
        return column(
            engine, description.name, "other", f"type OID {description.type_code}", code=description.type_code
        )
    if info.array_oid == description.type_code:
        sql = f"{postgres_sql_name(info.name)}[]"
        return column(engine, description.name, "array", sql, code=description.type_code)
    sql = postgres_sql_name(description.type_display or info.name)
    return postgres_column(engine, description.name, description.type_code, fmod, sql, info.name)


# --- MySQL / MariaDB: field packets (pymysql.constants.FIELD_TYPE, FLAG) ---

MYSQL_BINARY_CHARSET = 63
MYSQL_UNSIGNED, MYSQL_ENUM, MYSQL_SET = 32, 256, 2048
MYSQL_INTEGERS = {1: "tinyint", 2: "smallint", 9: "mediumint", 3: "int", 8: "bigint"}
MYSQL_NAMES = {
    4: "float",
    5: "double",
    16: "bit",
    13: "year",
    10: "date",
    14: "date",
    12: "datetime",
    7: "timestamp",
    11: "time",
    245: "json",
    247: "enum",
    248: "set",
    255: "geometry",
    15: "varchar",
    253: "varchar",
    254: "char",
    249: "text",
    250: "text",
    251: "text",
    252: "text",
}
MYSQL_BINARY_NAMES = {"varchar": "varbinary", "char": "binary", "text": "blob"}


def mysql_column(name: str, code: int, length: int, scale: int, flags: int, charset: int) -> Column:
    """`length` is the display length: tinyint(1) is MySQL's boolean, decimals count their
    sign and point in it."""
    unsigned = bool(flags & MYSQL_UNSIGNED)
    if code in (0, 246):
        precision = length - (1 if scale else 0) - (0 if unsigned else 1)
        sql = f"decimal({precision},{scale})" + (" unsigned" if unsigned else "")
        return column("mysql", name, decimal_key("decimal", precision, scale), sql, precision, scale)
    if code == 1 and length == 1:
        return column("mysql", name, "tinyint(1)", "tinyint(1)")
    if code in MYSQL_INTEGERS:
        key = MYSQL_INTEGERS[code] + (" unsigned" if unsigned else "")
        return column("mysql", name, key, key)
    base = MYSQL_NAMES.get(code, f"field type {code}")
    if flags & MYSQL_ENUM:
        base = "enum"
    elif flags & MYSQL_SET:
        base = "set"
    elif charset == MYSQL_BINARY_CHARSET and base in MYSQL_BINARY_NAMES:
        base = MYSQL_BINARY_NAMES[base]
    sql = base
    if base == "bit":
        sql = f"bit({length})"
    elif base in ("datetime", "timestamp", "time") and scale:
        sql = f"{base}({scale})"
    return column("mysql", name, base, sql)  # a name with no rule falls to `other`


# --- SQL Server and DB2: type names as their describe functions spell them ---

NAMED_TYPE = re.compile(r"\s*([a-z0-9 ]+?)\s*(?:\((\d+|max)(?:\s*,\s*(\d+))?\))?\s*")


def named_column(engine: str, name: str, declared: str) -> Column:
    """A type spelled like `decimal(12,2)`, `datetime2(7)` or `varchar(max)` (SQL Server, DB2)."""
    match = NAMED_TYPE.fullmatch(declared.lower())
    if not match:
        return column(engine, name, "other", declared)
    base, first, second = match.groups()
    if base in ("decimal", "numeric"):
        precision = int(first) if first else 18
        scale = int(second or 0) if first else 0
        key = decimal_key("decimal", precision, scale)
        if engine == "db2" and key == "decimal:text":
            key = "other"
        return column(engine, name, key, declared, precision, scale)
    digits = int(first) if first and first.isdigit() else None
    if engine == "mssql" and base in ("datetime2", "datetimeoffset", "time") and (digits is None or digits > 6):
        return column(engine, name, f"{base}(7)", declared)  # SQL Server's default: 7 digits
    if engine == "db2" and base == "timestamp" and digits is not None and digits > 6:
        return column(engine, name, "timestamp(7+)", declared)
    return column(engine, name, base, declared)


# --- SQLite: the type declared in the table's DDL ---


def sqlite_column(name: str, declared: str) -> Column:
    kind = declared.strip().upper()
    if match := re.fullmatch(r"(?:NUMERIC|DECIMAL)\((\d+),\s*(\d+)\)", kind):
        precision, scale = int(match[1]), int(match[2])
        key = "NUMERIC(p,s)" if 0 <= scale <= precision <= 38 else "other"
        return column("sqlite", name, key, declared, precision, scale)
    return column("sqlite", name, kind, declared)


# --- batches ---


def schema_of(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([(c.name, c.arrow) for c in columns])


def refused_column(columns: Sequence[Column]) -> Refusal | None:
    """The first column the contract refuses by its type (found when describing)."""
    return next((c.refuse() for c in columns if c.rule.travel is Travel.REFUSED), None)


def _integers(array: pa.Array) -> pa.Array:
    if pa.types.is_date32(array.type):
        return array.view(pa.int32())
    if pa.types.is_timestamp(array.type):
        return array.view(pa.int64())
    return array


def _parse_time(array: pa.Array) -> pa.Array:
    """`HH:MM:SS[.ffffff]` text as time64[us] (Arrow has no cast from text to time)."""
    moment = pc.binary_join_element_wise("1970-01-01 ", array, "")
    return moment.cast(pa.timestamp("us")).cast(pa.time64("us"))


def conform_array(array: pa.Array, column: Column) -> pa.Array:
    """`array` as `column.arrow`, exactly: a value outside the rule's bounds, or one that the
    cast would change or cannot parse, raises the column's Refusal."""
    limit = column.rule.limit
    if limit is not None and limit.bounds is not None and array.null_count < len(array):
        low, high = pc.min_max(_integers(array)).values()
        if low.as_py() < limit.bounds[0] or high.as_py() > limit.bounds[1]:
            raise column.refuse()
    if array.type == column.arrow:
        return array
    if column.rule.trim:
        array = pc.replace_substring_regex(array, column.rule.trim, r"\1")
    try:
        if pa.types.is_time(column.arrow) and pa.types.is_string(array.type):
            return _parse_time(array)
        return array.cast(column.arrow, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise column.refuse() from None


def conform(batch: pa.RecordBatch, columns: Sequence[Column] | pa.Schema) -> pa.RecordBatch:
    """`batch` (the reader's types) with exactly the columns' Arrow types, every limit checked.
    Given a bare schema, only casts (a cast that would lose data raises ArrowInvalid)."""
    if isinstance(columns, pa.Schema):
        return pa.RecordBatch.from_arrays(
            [a.cast(f.type, safe=True) for a, f in zip(batch.columns, columns)], schema=columns
        )
    arrays = [conform_array(array, column) for array, column in zip(batch.columns, columns)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema_of(columns))


# --- one Arrow type from one description, as the earlier interface gave it ---


def postgres_type(name: str, oid: int, precision: int | None, scale: int | None) -> pa.DataType:
    from psycopg.postgres import types

    fmod = -1 if precision is None else ((precision << 16) | (scale or 0)) + 4
    info = types.get(oid)
    return postgres_column("postgres", name, oid, fmod, "", info.name if info else "other").arrow


def mysql_type(name: str, code: int, length: int, scale: int, binary: bool) -> pa.DataType:
    return mysql_column(name, code, length, scale, 0, MYSQL_BINARY_CHARSET if binary else 0).arrow


def named_type(name: str, declared: str) -> pa.DataType:
    return named_column("mssql", name, declared).arrow
