"""The project's conventions, checked on the dbt manifest, in words an analyst understands.

`python -m orchestration.platform.conventions` (part of `make lint`) prints every violation and
fails; tests/test_conventions.py breaks each rule on purpose to prove it is enforced.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.platform.portability import portability

LAYERS = ("stg", "int", "gld")
# which layers a model of each layer may read (`ref`); stg reads sources only
MAY_READ = {"stg": set(), "int": {"stg", "int", "seed"}, "gld": {"int", "gld", "seed"}}
KEY_TESTS = {"unique", "unique_combination_of_columns"}

Manifest = Mapping[str, Any]


@dataclass(frozen=True)
class Violation:
    node: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.node}: {self.message} [{self.rule}]"


def check_manifest(manifest: Manifest) -> list[Violation]:
    rules = (
        naming,
        layering,
        documentation,
        key_tests,
        gold_contracts,
        sources_match_registry,
        departments,
        runs_on_spark,
        personal_policies,
        personal_lineage,
        open_data,
    )
    return [violation for rule in rules for violation in rule(manifest)]


def models(manifest: Manifest) -> list[Mapping[str, Any]]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]


def layer_of(node: Mapping[str, Any]) -> str:
    if node["resource_type"] == "seed":
        return "seed"
    if node["resource_type"] == "source":
        return "source"
    return node["fqn"][1]


def naming(manifest: Manifest) -> Iterator[Violation]:
    for model in models(manifest):
        folders = model["fqn"][1:-1]
        if len(folders) != 2 or folders[0] not in LAYERS:
            yield Violation(
                model["name"],
                "naming",
                f"lives in models/{'/'.join(folders)}/; a model lives in models/<stg|int|gld>/<source or domain>/.",
            )
            continue
        layer, folder = folders
        if not re.fullmatch(rf"{layer}_{folder}__[a-z0-9_]+", model["name"]):
            yield Violation(
                model["name"],
                "naming",
                f"a model in models/{layer}/{folder}/ must be named {layer}_{folder}__<name> "
                "(lower case, two underscores after the folder name).",
            )


def layering(manifest: Manifest) -> Iterator[Violation]:
    everything = {**manifest["nodes"], **manifest.get("sources", {})}
    for model in models(manifest):
        layer = layer_of(model)
        if layer not in MAY_READ:
            continue
        parents = [everything[p] for p in model["depends_on"]["nodes"] if p in everything]
        if layer == "stg" and not any(layer_of(p) == "source" for p in parents):
            yield Violation(model["name"], "layering", "a staging model must read a source().")
        for parent in parents:
            parent_layer = layer_of(parent)
            if parent_layer == "source":
                if layer != "stg":
                    yield Violation(
                        model["name"],
                        "layering",
                        f"reads source {parent['source_name']}.{parent['name']} directly; only "
                        "staging models read sources: ref() its stg_ model instead.",
                    )
            elif parent_layer not in MAY_READ[layer]:
                allowed = ", ".join(sorted(MAY_READ[layer])) or "sources only"
                yield Violation(
                    model["name"],
                    "layering",
                    f"reads {parent['name']} ({parent_layer}); a {layer} model may read: {allowed}.",
                )


def documentation(manifest: Manifest) -> Iterator[Violation]:
    for model in models(manifest):
        if not model.get("description", "").strip():
            yield Violation(
                model["name"],
                "documentation",
                "has no description: add one in the folder's _<folder>__models.yml.",
            )
        if layer_of(model) == "gld":
            for column in model["columns"].values():
                if not column.get("description", "").strip():
                    yield Violation(
                        model["name"],
                        "documentation",
                        f"gold column {column['name']} has no description.",
                    )


def key_tests(manifest: Manifest) -> Iterator[Violation]:
    tests: dict[str, list[Mapping[str, Any]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node"):
            tests.setdefault(node["attached_node"], []).append(node)
    for model in models(manifest):
        attached = tests.get(model["unique_id"], [])
        key_columns = set()
        for test in attached:
            metadata = test.get("test_metadata") or {}
            if metadata.get("name") == "unique":
                key_columns.add(test["column_name"])
            elif metadata.get("name") == "unique_combination_of_columns":
                key_columns.update(metadata["kwargs"]["combination_of_columns"])
        if not key_columns:
            yield Violation(
                model["name"],
                "keys",
                "has no key test: give its key column a `unique` test (or the table a "
                "`unique_combination_of_columns` test).",
            )
        not_null = {t["column_name"] for t in attached if (t.get("test_metadata") or {}).get("name") == "not_null"}
        for column in sorted(key_columns - not_null):
            yield Violation(model["name"], "keys", f"key column {column} has no `not_null` test.")


def gold_contracts(manifest: Manifest) -> Iterator[Violation]:
    for model in models(manifest):
        if layer_of(model) != "gld":
            continue
        if not model["config"].get("contract", {}).get("enforced"):
            yield Violation(
                model["name"],
                "contract",
                "is a gold model without an enforced contract: dashboards rely on its columns.",
            )
        if not (model["config"].get("meta") or {}).get("owner"):
            yield Violation(model["name"], "ownership", "is a gold model without meta.owner.")


def sources_match_registry(manifest: Manifest) -> Iterator[Violation]:
    """One contract per source table: the dbt source (`_<system>__sources.yml`) and the
    department's registry entry name the same tables, with the same primary key."""
    from orchestration.platform.registry import RegistryError, load_all

    try:
        registry = {(s.system, s.table): s for s in load_all()}
    except RegistryError:
        return  # reported by registry_violations
    sources = {(s["source_name"], s["name"]): s for s in manifest["sources"].values()}
    for key in sorted(sources.keys() - registry.keys()):
        yield Violation(
            f"source {key[0]}.{key[1]}",
            "sources",
            "is a dbt source that no department's registry lands: add its entry to the "
            "department's defs/sources/defs.yaml, or remove the source.",
        )
    for key in sorted(registry.keys() - sources.keys()):
        spec = registry[key]
        yield Violation(
            f"source {key[0]}.{key[1]}",
            "sources",
            f"is landed ({spec.where}) but not declared as a dbt source: add it to "
            f"dbt/models/stg/{key[0]}/_{key[0]}__sources.yml (make scaffold TABLE={key[0]}.{key[1]} writes it).",
        )
    import yaml

    from orchestration.platform.layout import dbt_external_location
    from orchestration.platform.settings import PROJECT_ROOT

    # the manifest holds the sources as parsed, with the project's default lake_root
    lake_root = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]["lake_root"]
    for key in sorted(sources.keys()):
        meta = sources[key].get("config", {}).get("meta") or sources[key].get("meta") or {}
        expected = dbt_external_location(key[0])
        written = " ".join(str(meta.get("external_location", "")).split())
        if written != expected and written != expected.replace("{{ var('lake_root') }}", str(lake_root)):
            yield Violation(
                f"source {key[0]}.{key[1]}",
                "sources",
                f"reads {written or 'no external_location'}; the lake writes its partitions where "
                f"{expected} reads them (orchestration/platform/layout.py): use that.",
            )
    for key in sorted(sources.keys() & registry.keys()):
        declared = (sources[key].get("config", {}).get("meta") or sources[key].get("meta") or {}).get("primary_key")
        declared = tuple(declared.split(", ")) if isinstance(declared, str) else tuple(declared or ())
        if declared != registry[key].primary_key:
            yield Violation(
                f"source {key[0]}.{key[1]}",
                "sources",
                f"has primary_key {', '.join(declared) or 'none'} in its dbt source but "
                f"{', '.join(registry[key].primary_key)} in {registry[key].where}: make them agree.",
            )


def departments(manifest: Manifest) -> Iterator[Violation]:
    """Every model and seed belongs to a department (its dbt `database`, set per folder in
    dbt_project.yml), and workspace.yaml lists every department's code location."""
    import yaml

    from orchestration.platform.definitions import all_departments
    from orchestration.platform.settings import PROJECT_ROOT

    known = all_departments()
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "seed") and node["database"] not in known:
            folder = "/".join(node["fqn"][1:-1])
            yield Violation(
                node["name"],
                "departments",
                f"belongs to no department (its database is {node['database']!r}): give its folder "
                f"one in dbt_project.yml (`{folder}: +database: <department>`, one of {', '.join(known)}).",
            )
    workspace = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text()) or {}
    listed = [e["python_module"]["location_name"] for e in workspace.get("load_from", []) if "python_module" in e]
    for name in sorted(set(known) - set(listed)):
        yield Violation(
            f"location {name}",
            "departments",
            "is a folder of orchestration/locations/ missing from workspace.yaml: add it.",
        )
    for name in sorted(set(listed) - set(known)):
        yield Violation(
            f"location {name}",
            "departments",
            "is listed in workspace.yaml but has no orchestration/locations/<name>/definitions.py.",
        )


def runs_on_spark(manifest: Manifest) -> Iterator[Violation]:
    """Every model and singular test runs on Spark too (orchestration/platform/portability.py)."""
    for name, problem in portability(manifest):
        yield Violation(name, "portable_sql", problem)


def personal_policies(manifest: Manifest) -> Iterator[Violation]:
    """Every column of a source that looks personal by its name (orchestration/platform/privacy.py),
    or that its dbt source tags `personal`, has a policy in its registry entry."""
    from orchestration.platform.privacy import looks_personal
    from orchestration.platform.registry import RegistryError, load_all

    try:
        registry = {(s.system, s.table): s for s in load_all()}
    except RegistryError:
        return  # reported by registry_violations
    for source in manifest["sources"].values():
        spec = registry.get((source["source_name"], source["name"]))
        if spec is None:
            continue
        for column in source.get("columns", {}).values():
            tags = (column.get("tags") or []) + ((column.get("config") or {}).get("tags") or [])
            if (looks_personal(column["name"]) or "personal" in tags) and column["name"] not in spec.privacy:
                yield Violation(
                    f"source {spec.name}",
                    "personal_data",
                    f"column {column['name']} looks personal but has no policy: give it one under "
                    f"`personal_data:` in {spec.where} (pseudonymise, drop, generalise, or keep with "
                    "its legal basis; docs/personal-data.md).",
                )


def personal_lineage(manifest: Manifest) -> Iterator[Violation]:
    """No gold column is computed from a personal value kept in clear unless it says why
    (orchestration/platform/lineage.py)."""
    from orchestration.platform.lineage import personal_exposures
    from orchestration.platform.registry import RegistryError, kept_in_clear

    try:
        kept = kept_in_clear()
    except RegistryError:
        return  # reported by registry_violations
    for exposure in personal_exposures(manifest, kept):
        yield Violation(exposure.model, "personal_data", str(exposure))


def open_data(manifest: Manifest) -> Iterator[Violation]:
    """A gold model flagged open (`meta.open_data`) has the metadata of an open dataset and no
    personal data (orchestration/platform/open_data.py, docs/open-data.md)."""
    from orchestration.platform.lineage import columns_from
    from orchestration.platform.open_data import is_open, metadata_problems, personal_problems
    from orchestration.platform.registry import personal_source_columns

    personal = personal_source_columns()
    for model in models(manifest):
        if layer_of(model) == "gld" and is_open(model):
            derived = columns_from(manifest, model["unique_id"], personal)
            for problem in metadata_problems(model) + personal_problems(model, derived):
                yield Violation(model["name"], "open_data", f"is flagged open, but {problem}")


def personal_content(settings, specs, rows: int = 200) -> list[Violation]:
    """The values of the newest landed partition of each table, read as a sample: a text column
    without a policy whose values look like e-mail addresses or national register numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from orchestration.platform.privacy import looks_personal, personal_values

    lake = settings.open_lake()
    found = []
    for spec in specs:
        newest = lake.newest_partition(spec.system, spec.table)
        if newest is None:
            continue
        path = lake.partition_path(spec.system, spec.table, newest)
        sample = pq.ParquetFile(lake.fs.open(path)).iter_batches(batch_size=rows)
        batch = next(sample, None)
        for field in batch.schema if batch is not None else []:
            if field.name in spec.privacy:
                continue
            if looks_personal(field.name):
                kind = "personal data, by its name"
            elif pa.types.is_string(field.type):
                kind = personal_values(batch.column(field.name).to_pylist())
            else:
                kind = None
            if kind:
                found.append(
                    Violation(
                        f"source {spec.name}",
                        "personal_data",
                        f"column {field.name} holds {kind} in the lake ({newest}) and has "
                        f"no policy: give it one under `personal_data:` in {spec.where}, then land it "
                        "again (docs/personal-data.md).",
                    )
                )
    return found


def registry_violations(path: Path) -> list[Violation]:
    """The ingestion registry read as the platform reads it: its first mistake, if any."""
    from orchestration.platform.registry import RegistryError, load_registry

    try:
        load_registry(path)
    except RegistryError as error:
        return [Violation(str(error), "registry", "the registry is refused as written")]
    return []


def main(path: str = "target/manifest.json") -> int:
    from orchestration.platform.registry import registry_files

    violations = [v for file in registry_files() for v in registry_violations(file)]
    violations += check_manifest(json.loads(Path(path).read_text()))
    if not violations:  # the lake this checkout lands in, if any: the values of its newest partitions
        from orchestration.platform.registry import load_all
        from orchestration.platform.settings import load_settings

        settings = load_settings()
        if "://" not in settings.lake_root and Path(settings.lake_root).exists():
            violations += personal_content(settings, load_all())
    for violation in violations:
        print(violation)
    print(f"{len(violations)} convention violation(s)" if violations else "Conventions: all good.")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
