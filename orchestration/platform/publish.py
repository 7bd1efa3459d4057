"""Publish: the gold tables into the serving layer, and the dashboards that read them.

`serving/<model>`: one asset per gold model of a department, all published by one step that runs
after the dbt builds of the same run and their checks succeeded (a failing check fails its build, so nothing
is published). A publication takes from the warehouse exactly what the run built: a
current-state table whole, a partitioned table's partitions (its months); every other table and
partition is carried over from the previous publication. So re-running an old window never
publishes older data than what is already published, and the published tables always come from
one version. The step adds a version of each rebuilt table to the lake and commits the
publication in the department's log (versions.py), then serves what the lake now holds: (one
department at a time) the serving file and, when configured, the PostgreSQL schema with every
department's current publication. It records the date each table's data describes, the run and
the source partitions it was built from.

`dashboard/<exposure>`: one asset per dbt exposure (a page of the dashboard), downstream of
the published tables it reads, with its URL. dagster-dbt does not turn exposures into
assets, so they are built here from the manifest. Materialising them opens the serving file
as the dashboard does and records what each page now shows (tables, rows, published_at).
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg

from orchestration.platform.dbt_translator import DEPARTMENT, TRANSLATOR, layer, personal_columns
from orchestration.platform.lake import Lake, LakeError
from orchestration.platform.lineage import personal_exposures
from orchestration.platform.registry import kept_in_clear
from orchestration.platform.serving import (
    PUBLISHED,
    Published,
    connect_read_only,
    publish_postgres,
    publish_serving_file,
)
from orchestration.platform.settings import ServingConfig, Settings
from orchestration.platform.versions import (
    CARRIED_OVER,
    Publication,
    Rebuilt,
    publish_versions,
    published_departments,
    read_publication,
    vacuum_versions,
)
from orchestration.platform.warehouse import exclusive_writer, read_gold, writer_lock

Manifest = Mapping[str, Any]


def gold_models(manifest: Manifest, department: str | None = None) -> list[Mapping[str, Any]]:
    """The gold models (of `department`, by their dbt database)."""
    return sorted(
        (
            n
            for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and layer(n) == "gld" and department in (None, n["database"])
        ),
        key=lambda n: n["name"],
    )


def serving_key(model_name: str) -> dg.AssetKey:
    return dg.AssetKey(["serving", model_name])


def serving_specs(manifest: Manifest, department: str) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            serving_key(node["name"]),
            deps=[TRANSLATOR.get_asset_key(node)],
            description=f"{node['name']} as published for dashboards and BI tools.",
            group_name="serving",
            owners=TRANSLATOR.get_owners(node),
            tags={DEPARTMENT: department},
            kinds={"duckdb", "parquet"},
            skippable=True,  # a table never published yet and not built by the run
        )
        for node in gold_models(manifest, department)
    ]


def dashboard_specs(manifest: Manifest, department: str) -> list[dg.AssetSpec]:
    """One asset per dbt exposure that reads the department's gold tables, downstream of them."""
    return [
        dg.AssetSpec(
            dg.AssetKey(["dashboard", exposure["name"]]),
            deps=[serving_key(manifest["nodes"][node_id]["name"]) for node_id in exposure["depends_on"]["nodes"]],
            description=exposure.get("description"),
            group_name="dashboard",
            skippable=True,
            owners=[exposure["owner"]["email"]] if exposure["owner"].get("email") else None,
            tags={DEPARTMENT: department},
            kinds={"streamlit"},
            # its URL depends on the environment: definitions.py adds it (settings.DASHBOARD_URL)
            metadata={"label": exposure.get("label") or exposure["name"]},
        )
        for exposure in sorted(manifest["exposures"].values(), key=lambda e: e["name"])
        if any(manifest["nodes"][n]["database"] == department for n in exposure["depends_on"]["nodes"])
    ]


def upstream_sources(manifest: Manifest, unique_id: str) -> set[tuple[str, str]]:
    """(system, table) of every dbt source a node reads, directly or through other models."""
    found, seen, todo = set(), set(), [unique_id]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        if node_id in manifest["sources"]:
            source = manifest["sources"][node_id]
            found.add((source["source_name"], source["name"]))
        else:
            todo.extend(manifest["nodes"].get(node_id, {}).get("depends_on", {}).get("nodes", []))
    return found


def data_as_of(landed: Mapping[tuple[str, str], list[date]], sources: set[tuple[str, str]]) -> date | None:
    """The date a table's data describes: the newest partition of each table it reads (the
    last day landed of a fact table, the day a snapshot was taken), the oldest of those.
    `landed`: each source's published partitions, oldest first."""
    newest = [landed[source][-1] for source in sorted(sources) if landed[source]]
    return min(newest) if newest else None


def built_in_run(context: dg.AssetExecutionContext, keys: set[dg.AssetKey]) -> dict[dg.AssetKey, set[str]]:
    """The assets of `keys` materialised earlier in this run, with their partition keys (an
    empty set for an unpartitioned asset)."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    built: dict[dg.AssetKey, set[str]] = {}
    for record in records:
        event = record.event_log_entry.dagster_event
        if event.asset_key in keys:
            partitions = built.setdefault(event.asset_key, set())
            if event.partition:
                partitions.add(event.partition)
    return built


def source_partitions(landed: Mapping[tuple[str, str], list[date]], sources: set[tuple[str, str]]) -> str:
    """The partitions of the sources a table reads, as the lake holds them: for an audit."""
    described = []
    for system, table in sorted(sources):
        days = landed[(system, table)]
        span = f"{days[0].isoformat()}..{days[-1].isoformat()} ({len(days)} days)" if days else "none"
        described.append(f"{system}.{table}: {span}")
    return "; ".join(described)


def serve_every_department(
    lake: Lake,
    config: ServingConfig,
    department: str,
    tables: Mapping[str, Published],
    personal: Mapping[str, list[str]] | None = None,
) -> None:
    """The serving file (and PostgreSQL schema) with every department's current publication, the
    department's own being `tables`; one department at a time. `personal`: gold table -> its
    columns tagged personal, which PostgreSQL's read role cannot select."""
    with exclusive_writer(config.path):
        served = {}
        for other in published_departments(lake):
            if other != department:
                served.update(read_publication(lake, other))
        served.update(tables)
        publish_serving_file(config.path, served)
        if config.postgres_dsn:
            publish_postgres(config.postgres_dsn, config.postgres_schema, served, config.postgres_reader, personal)


def build_publish_defs(manifest: Manifest, department: str) -> dg.Definitions:
    models = {TRANSLATOR.get_asset_key(node): node for node in gold_models(manifest, department)}
    if not models:
        return dg.Definitions()

    @dg.multi_asset(specs=serving_specs(manifest, department), name=f"publish_{department}")
    def publish_gold(
        context: dg.AssetExecutionContext, lake: dg.ResourceParam[Lake], settings: dg.ResourceParam[Settings]
    ):
        config = settings.serving
        built = built_in_run(context, set(models))
        # a personal value kept in clear reaches no dashboard unless its gold column says why
        exposed = [
            e for e in personal_exposures(manifest, kept_in_clear()) if e.model in {n["name"] for n in models.values()}
        ]
        if exposed:
            raise dg.Failure(
                description="Nothing was published: "
                + "; ".join(f"{e.model}: {e}" for e in exposed)
                + " `make lint` shows the same."
            )
        filters, rebuilt_months = {}, {}
        for key, partitions in built.items():
            node = models[key]
            if partitions:  # a partitioned table: only the partitions this run built
                column = node["config"]["event_time"]
                rebuilt_months[node["name"]] = sorted(date.fromisoformat(p) for p in partitions)
                keys = ", ".join(f"date '{d.isoformat()}'" for d in rebuilt_months[node["name"]])
                filters[node["name"]] = f'"{column}" in ({keys})'
        versions, rebuilt = {}, {}
        # the warehouse's writer lock: no dbt build writes meanwhile, and no other publication of the
        # department interleaves with this one (its time, taken inside, orders the publications)
        with exclusive_writer(writer_lock(settings, department), context.log):
            read = read_gold(settings, department, [models[k]["name"] for k in built], filters)
            sources = {key: upstream_sources(manifest, models[key]["unique_id"]) for key in built}
            # each source listed once, though several tables read it
            landed = {source: lake.partition_days(*source) for source in set().union(*sources.values())}
            for key in built:
                node, name = models[key], models[key]["name"]
                rebuilt[name] = Rebuilt(
                    rows=read[name].select(list(node["columns"])),  # the contract's order, on every engine
                    data_as_of=data_as_of(landed, sources[key]),
                    sources=source_partitions(landed, sources[key]),
                    partition_column=node["config"]["event_time"] if name in rebuilt_months else None,
                    partitions=tuple(rebuilt_months.get(name, ())),
                )
            if built:
                now = datetime.now(UTC)
                publication = Publication(f"{now:%Y%m%dT%H%M%S%fZ}-{context.run.run_id[:8]}", context.run.run_id, now)
                versions = publish_versions(lake, department, publication, rebuilt, settings.gold_versions_days)
            tables = read_publication(lake, department)  # what the lake now holds: what is served
        if not built:
            context.log.warning("No gold table was built in this run: the publication is unchanged.")
        else:
            personal = {node["name"]: personal_columns(node) for node in gold_models(manifest)}
            serve_every_department(lake, config, department, tables, personal)
            context.log.info(
                f"Published {len(built)} rebuilt gold table(s) ({', '.join(sorted(rebuilt))}) "
                f"with {len(tables) - len(built)} carried over, to {config.path}"
            )
            try:  # published and served: a vacuum that fails only leaves old files for the next one
                vacuum_versions(lake, department, settings.gold_versions_days)
            except LakeError as error:
                context.log.warning(f"The vacuum of old gold versions failed; the next publication retries. {error}")
        for key in context.selected_asset_keys:
            name = key.path[-1]
            if name not in tables:
                continue
            published = tables[name]
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": published.table.num_rows,
                    "published_at": dg.MetadataValue.timestamp(published.published_at),
                    "data_as_of": published.data_as_of.isoformat() if published.data_as_of else "",
                    "rebuilt_in_this_run": rebuilt[name].described if name in rebuilt else CARRIED_OVER,
                    "version": versions.get(name, "unchanged"),
                    "sources": rebuilt[name].sources if name in rebuilt else "",
                    "serving_file": dg.MetadataValue.path(str(config.path)),
                    "postgres": (f"{config.postgres_schema}.{name}" if config.postgres_dsn else "not configured"),
                },
            )

    @dg.multi_asset(specs=dashboard_specs(manifest, department), name=f"dashboards_{department}")
    def dashboards(context: dg.AssetExecutionContext, settings: dg.ResourceParam[Settings]):
        path = settings.serving.path
        with connect_read_only(path) as connection:
            published = {
                name: (rows, at, as_of)
                for name, rows, at, as_of in connection.execute(
                    f"select table_name, row_count, published_at, data_as_of from gld.{PUBLISHED}"
                ).fetchall()
            }
        for key in context.selected_asset_keys:
            tables = [dep.asset_key.path[-1] for dep in context.assets_def.specs_by_key[key].deps]
            if not all(t in published for t in tables):
                continue
            as_of = [published[t][2] for t in tables if published[t][2]]
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "tables": ", ".join(tables),
                    "rows": sum(published[t][0] for t in tables),
                    "published_at": dg.MetadataValue.timestamp(min(published[t][1] for t in tables)),
                    "data_as_of": min(as_of).isoformat() if as_of else "",
                },
            )

    pages = dashboard_specs(manifest, department)
    assets = [publish_gold, dashboards] if pages else [publish_gold]
    return dg.Definitions(assets=assets)
