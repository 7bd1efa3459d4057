"""Will a model run on Spark? Checked at lint time, without Spark (part of `make lint`).

The dbt project runs on DuckDB and, unchanged, on Spark (docs/engines.md). What differs between
the two is written once in a macro that dispatches per engine (macros/utc_date.sql), or taken
from dbt's cross-database macros (`dbt.date_trunc`, `dbt.datediff`, ...). A model that calls a
DuckDB-only function directly would build here and fail the day its department moves to Spark;
this module tells the analyst now.

Each model and singular test is rendered with its Jinja calls standing in for what they return
(a relation, a value; macros are the engines' business), then:

* every function it calls by name must be a Spark SQL function: pyspark's own list of its pinned
  version, plus the few that are SQL syntax in Spark (`if`, `try_cast`). sqlglot is not enough
  alone: it passes a function it does not know through transpilation unchanged;
* sqlglot must parse it as Spark SQL, and it must not use what Spark's own parser lacks (QUALIFY,
  which sqlglot accepts for Databricks).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import jinja2
import sqlglot
from sqlglot import exp
from sqlglot.dialects import Dialect
from sqlglot.tokens import TokenType

FIX = (
    "write it with a dbt cross-database macro (dbt.date_trunc, dbt.datediff, ...) or a macro of "
    "macros/ that dispatches per engine (docs/engines.md)"
)
# Spark SQL words that are written like a function but are syntax, not in pyspark's list
SPARK_SYNTAX_FUNCTIONS = {"cast", "try_cast", "if"}
# what sqlglot's Spark dialect parses (Databricks has it) but Apache Spark's own parser does not
NOT_IN_SPARK: Mapping[type[exp.Expression], str] = {
    exp.Qualify: "QUALIFY (filter a row_number() column in an outer select instead)",
}


@functools.cache
def spark_functions() -> frozenset[str]:
    """The SQL functions of the Spark of this environment (pyspark's list, no JVM needed)."""
    from pyspark.sql import functions

    return frozenset(name.lower() for name in functions.__all__) | SPARK_SYNTAX_FUNCTIONS


class _Macro(jinja2.ChainableUndefined):
    """Any other macro, dbt's or the project's: its call stands for a value (engines dispatch)."""

    def __call__(self, *args, **kwargs) -> str:
        return "null"


def render(raw_code: str) -> str:
    """The SQL of a model or test with its Jinja calls replaced by what they stand for."""
    environment = jinja2.Environment(undefined=_Macro, extensions=["jinja2.ext.do"])
    context = {
        "ref": lambda *names, **_: names[-1],
        "source": lambda source, table: f"{source}__{table}",
        "config": lambda *_, **__: "",
        "is_incremental": lambda: False,
        "var": lambda name, default=None: default if default is not None else "null",
        "execute": False,
    }
    return environment.from_string(raw_code).render(context)


def called_functions(sql: str) -> set[str]:
    """The names of the functions `sql` calls, as written (a name followed by a parenthesis)."""
    tokens = Dialect.get_or_raise("spark").tokenizer_class().tokenize(sql)
    return {
        name.text.lower()
        for before, name, after in zip([None, *tokens], tokens, tokens[1:])
        if name.token_type == TokenType.VAR
        and after.token_type == TokenType.L_PAREN
        and (before is None or before.token_type != TokenType.DOT)  # not schema.function()
    }


def spark_problems(raw_code: str) -> list[str]:
    """What would stop this dbt SQL from running on Spark, one sentence each (empty: portable)."""
    try:
        sql = render(raw_code)
    except jinja2.TemplateError as error:
        return [f"its Jinja does not render ({error})"]
    problems = [
        f"calls {name}(), which is not a Spark SQL function: {FIX}"
        for name in sorted(called_functions(sql) - spark_functions())
    ]
    try:
        statements = sqlglot.parse(sql, read="spark")
    except sqlglot.errors.SqlglotError as error:
        return [*problems, f"is not Spark SQL ({str(error).splitlines()[0]}): {FIX}"]
    for statement in filter(None, statements):
        for kind, what in NOT_IN_SPARK.items():
            if statement.find(kind):
                problems.append(f"uses {what}, which Spark does not have")
    return problems


def portability(manifest: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(node name, problem) for each model and singular test that would not run on Spark."""
    for node in manifest["nodes"].values():
        singular = node["resource_type"] == "test" and not node.get("test_metadata")
        if node["resource_type"] == "model" or singular:
            for problem in spark_problems(node["raw_code"]):
                yield node["name"], problem
