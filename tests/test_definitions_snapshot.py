"""A snapshot of the asset graph, so that any change to it shows up in review.

The snapshot holds, per asset: dependencies, checks, partitioning, automation condition,
owners, group and kinds. After an intended change, refresh it with
`UPDATE_SNAPSHOTS=1 make test` and commit tests/snapshots/definitions.json with the change.
"""

import json
import os
from pathlib import Path

from orchestration.platform.definitions import all_departments, build_definitions
from orchestration.platform.settings import settings_for

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def describe_graph(definitions) -> dict:
    graph = definitions.get_repository_def().asset_graph
    checks: dict[str, list[str]] = {}
    for check in graph.asset_check_keys:
        checks.setdefault(check.asset_key.to_user_string(), []).append(check.name)
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        name = key.to_user_string()
        condition = node.automation_condition
        assets[name] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitions": type(node.partitions_def).__name__ if node.partitions_def else None,
            "automation": condition.get_label() or type(condition).__name__ if condition else None,
            "materializable": node.is_materializable,
            "checks": sorted(checks.get(name, [])),
        }
    jobs = sorted(job.name for job in definitions.resolve_all_job_defs() if not job.name.startswith("__"))
    schedules = sorted(s.name for s in definitions.schedules or [])
    sensors = sorted(s.name for s in definitions.sensors or [])
    return {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def describe_departments(settings) -> dict:
    """Per code location: the assets it materialises, its jobs and schedules."""
    described = {}
    for department in all_departments():
        definitions = build_definitions(settings, [department])
        graph = definitions.get_repository_def().asset_graph
        described[department] = {
            "assets": sorted(k.to_user_string() for k in graph.executable_asset_keys),
            "jobs": sorted(j.name for j in definitions.resolve_all_job_defs() if not j.name.startswith("__")),
            "schedules": sorted(s.name for s in definitions.schedules or []),
        }
    return described


def test_asset_graph_matches_the_reviewed_snapshot(tmp_path):
    settings = settings_for("local", data_dir=tmp_path)
    current = {**describe_graph(build_definitions(settings)), "departments": describe_departments(settings)}
    text = json.dumps(current, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), (
        f"{SNAPSHOT} is missing: generate it with `UPDATE_SNAPSHOTS=1 make test-fast` and commit it"
    )
    recorded = json.loads(SNAPSHOT.read_text())
    assert current == recorded, (
        "The asset graph changed. If that is intended, run `UPDATE_SNAPSHOTS=1 make test` and "
        "commit tests/snapshots/definitions.json so reviewers see the change."
    )
