"""Column-level lineage of the dbt models, and where personal values kept in clear reach gold.

Each model's SQL is rendered as the Spark lint renders it (orchestration/platform/portability.py:
`ref('x')` stands for the relation `x`, `source('s', 't')` for `s__t`), and sqlglot traces each
of its declared columns back to the columns of the relations it reads, through CTEs and `select *`
(the parents' columns are those their YAML declares). Following the model graph down to the
sources gives, for every column, the source columns it is computed from.

Two uses:
* the assets' metadata: `dagster/column_lineage` on each model (Dagster's own format, shown in
  the asset's metadata table; its graph view of column lineage is a Dagster+ feature) and
  `column_sources`, the same in words;
* the personal-data rule: a gold column computed from a source column whose policy is `keep`
  (a personal value in clear) must say why, in its YAML: `config: {meta: {personal_in_clear:
  "<why, e.g. counts by gender, never one person>"}}`. Otherwise `make lint` fails, and the
  publication of that gold table is refused (docs/personal-data.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage

from orchestration.platform.portability import render

Manifest = Mapping[str, Any]
Column = tuple[str, str]  # (unique_id of a model, seed or source, column name)
LINEAGE_PAGE = "column_lineage.html"  # written by `make docs` beside dbt's site (cli.write_lineage_page)
DECLARED = "personal_in_clear"  # a gold column's meta: why a personal value kept in clear reaches it


@dataclass(frozen=True)
class Exposure:
    """A gold column computed from source columns kept in clear by their policy."""

    model: str
    column: str
    sources: tuple[str, ...]  # "<system>.<table>.<column>"

    def __str__(self) -> str:
        return (
            f"gold column {self.column} is computed from {', '.join(self.sources)}, personal data kept in "
            f"clear: aggregate or pseudonymise it, or say why it may reach gold under `config: meta: "
            f"{DECLARED}:` of the column (docs/personal-data.md)."
        )


def relation_name(node: Mapping[str, Any]) -> str:
    """How the rendered SQL names a node (portability.render's stand-ins)."""
    if node["resource_type"] == "source":
        return f"{node['source_name']}__{node['name']}"
    return node["name"]


def nodes(manifest: Manifest) -> dict[str, Mapping[str, Any]]:
    relevant = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    return {n["unique_id"]: n for n in [*relevant, *manifest["sources"].values()]}


_computed: dict[int, dict[str, dict[str, frozenset[Column]]]] = {}  # by the SQL and columns they read


def direct_lineage(manifest: Manifest) -> dict[str, dict[str, frozenset[Column]]]:
    """Model -> column -> the (parent, column) pairs it is computed from (a count(*) or a literal:
    none)."""
    key = hash(tuple((uid, n.get("raw_code", ""), tuple(n["columns"])) for uid, n in sorted(nodes(manifest).items())))
    if key not in _computed:
        _computed[key] = _direct(manifest)
    return _computed[key]


def _direct(manifest: Manifest) -> dict[str, dict[str, frozenset[Column]]]:
    everything = nodes(manifest)
    by_relation = {relation_name(n): uid for uid, n in everything.items()}
    schema = {relation_name(n): {c: "text" for c in n["columns"]} for n in everything.values() if n["columns"]}
    found: dict[str, dict[str, frozenset[Column]]] = {}
    for uid, node in everything.items():
        if node["resource_type"] != "model":
            continue
        try:
            select = sqlglot.parse_one(render(node["raw_code"]), read="duckdb")
        except Exception:  # SQL that does not render or parse: the Spark lint says why
            continue
        columns = {}
        for column in node["columns"]:
            try:
                root = lineage(column, select, schema=schema, dialect="duckdb")
            except (sqlglot.errors.SqlglotError, ValueError, KeyError):
                continue
            columns[column] = frozenset(
                (by_relation[leaf.source.name], leaf.name.split(".")[-1])
                for leaf in root.walk()
                if not leaf.downstream and isinstance(leaf.source, exp.Table) and leaf.source.name in by_relation
            )
        found[uid] = columns
    return found


def source_columns(manifest: Manifest, unique_id: str, column: str) -> set[Column]:
    """The source and seed columns that `column` of a model is computed from."""
    direct = direct_lineage(manifest)
    seen, todo, sources = set(), [(unique_id, column)], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current[0].startswith(("source.", "seed.")):  # where values come from: sources and seeds
            sources.add(current)
        todo.extend(direct.get(current[0], {}).get(current[1], ()))
    return sources


def origin(node: Mapping[str, Any], column: str) -> str:
    """A source column as `<system>.<table>.<column>`, a seed's as `seed <name>.<column>`."""
    if node["resource_type"] == "seed":
        return f"seed {node['name']}.{column}"
    return f"{node['source_name']}.{node['name']}.{column}"


def declared_reason(column: Mapping[str, Any]) -> str:
    meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
    return str(meta.get(DECLARED) or "").strip()


def personal_exposures(manifest: Manifest, kept_in_clear: Mapping[tuple[str, str], Iterable[str]]) -> list[Exposure]:
    """Gold columns computed from a source column kept in clear, and not declared.
    `kept_in_clear`: (system, table) -> its columns whose policy is `keep`."""
    everything = nodes(manifest)
    found = []
    for uid, node in sorted(everything.items()):
        if node["resource_type"] != "model" or node.get("fqn", [None, None])[1] != "gld":
            continue
        for name, column in node["columns"].items():
            clear = sorted(
                origin(everything[source], source_column)
                for source, source_column in source_columns(manifest, uid, name)
                if everything[source]["resource_type"] == "source"
                and source_column
                in kept_in_clear.get((everything[source]["source_name"], everything[source]["name"]), ())
            )
            if clear and not declared_reason(column):
                found.append(Exposure(node["name"], name, tuple(clear)))
    return found


def columns_from(manifest: Manifest, unique_id: str, wanted: Mapping[tuple[str, str], Iterable[str]]) -> list[str]:
    """The columns of a model computed from any of the source columns `wanted`
    ((system, table) -> columns)."""
    everything = nodes(manifest)
    return [
        name
        for name in everything[unique_id]["columns"]
        if any(
            everything[source]["resource_type"] == "source"
            and column in wanted.get((everything[source]["source_name"], everything[source]["name"]), ())
            for source, column in source_columns(manifest, unique_id, name)
        )
    ]


def lineage_metadata(manifest: Manifest, unique_id: str, key_of) -> dict[str, Any]:
    """A model's column lineage as asset metadata: Dagster's `dagster/column_lineage` (each column
    -> the columns of the assets it is computed from; `key_of` maps a node to its asset key) and
    `column_sources`, the source columns of each column, in words."""
    import dagster as dg

    everything = nodes(manifest)
    direct = direct_lineage(manifest).get(unique_id)
    if not direct:
        return {}
    deps = {
        column: [
            dg.TableColumnDep(asset_key=key_of(everything[parent]), column_name=name) for parent, name in sorted(pairs)
        ]
        for column, pairs in direct.items()
        if pairs
    }
    sources = []
    for column in direct:
        found = sorted(origin(everything[s], c) for s, c in source_columns(manifest, unique_id, column))
        sources.append(f"{column} <- {', '.join(found) or '(computed: no source or seed column)'}")
    return {
        "dagster/column_lineage": dg.TableColumnLineage(deps_by_column=deps),
        "column_sources": dg.MetadataValue.md("\n".join(f"- {line}" for line in sources)),
    }
