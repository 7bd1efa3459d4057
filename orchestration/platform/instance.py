"""The Dagster instance of an environment: its `dagster.yaml`, written from the settings.

* `sqlite` (local, ci): the run history under DAGSTER_HOME; `dagster dev` and `make run`.
* `postgres` (staging, prod): run, event-log and schedule storage in PostgreSQL
  (dagster-postgres), so the webserver, the daemon, the code servers and the runs share one
  history as separate processes and survive a restart. Its connection comes from the
  DAGSTER_PG_* variables at run time: the file holds no secret.

Both queue runs (QueuedRunCoordinator, `MAX_CONCURRENT_RUNS` of the settings at once; the
daemon dequeues them) and limit steps across runs by pool:
* `warehouse_<department>`: one dbt build per warehouse file at once (DuckDB has one writer);
* `source_<connection>`: at most `max_extractions` (connections.yml, default 2) extractions read
  one source connection at once, to protect the application databases and Denodo.
Pools not listed get `default_limit` 1. Pool limits live in the instance's storage, so a
deployment sets them once after each change (`pools` below; docs/operations.md).

    python -m orchestration.platform.instance yaml > "$DAGSTER_HOME/dagster.yaml"
    python -m orchestration.platform.instance pools   # the limits, on the instance at DAGSTER_HOME
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import yaml

from orchestration.platform.settings import Settings, load_settings

POSTGRES_VARIABLES = {
    "hostname": "DAGSTER_PG_HOST",
    "port": "DAGSTER_PG_PORT",
    "db_name": "DAGSTER_PG_DB",
    "username": "DAGSTER_PG_USER",
    "password": "DAGSTER_PG_PASSWORD",
}
# runs of one department at once; the others wait in the queue (a backfill never fills it alone)
RUNS_PER_DEPARTMENT = 2
DEPARTMENT_TAG = "lakehouse/department"


def warehouse_pool(departments: tuple[str, ...]) -> str:
    """The pool of the dbt steps that build these departments' warehouses."""
    return "warehouse_" + "_".join(departments)


def pool_limits(settings: Settings, departments: list[str]) -> dict[str, int]:
    """Every pool of the platform and its limit."""
    return {
        **{spec.pool: spec.max_extractions for spec in settings.connections.values()},
        **{warehouse_pool((department,)): 1 for department in departments},
    }


def instance_config(settings: Settings) -> dict:
    """The content of dagster.yaml for `settings.environment`."""
    config: dict = {
        "telemetry": {"enabled": False},
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
        },
        "concurrency": {
            "runs": {
                "max_concurrent_runs": settings.max_concurrent_runs,
                "tag_concurrency_limits": [
                    {
                        "key": DEPARTMENT_TAG,
                        "value": {"applyLimitPerUniqueValue": True},
                        "limit": RUNS_PER_DEPARTMENT,
                    }
                ],
            },
            "pools": {"default_limit": 1, "granularity": "op"},
        },
        # a run whose process died is marked failed (and alerted) instead of staying STARTED
        "run_monitoring": {"enabled": True, "start_timeout_seconds": 300, "poll_interval_seconds": 30},
        "retention": {
            "schedule": {"purge_after_days": 90},
            "sensor": {"purge_after_days": {"skipped": 7, "failure": 30, "success": -1}},
        },
    }
    if settings.instance_storage == "postgres":
        config["storage"] = {
            "postgres": {
                "postgres_db": {
                    **{key: {"env": variable} for key, variable in POSTGRES_VARIABLES.items()},
                    # the driver dagster-postgres is built on: SQLAlchemy 2.1 would pick psycopg 3,
                    # whose connections the webserver then finds closed (seen in the topology test)
                    "scheme": "postgresql+psycopg2",
                }
            }
        }
    return config


def instance_yaml(settings: Settings) -> str:
    header = (
        f"# The Dagster instance of environment {settings.environment!r}, written by\n"
        "# `python -m orchestration.platform.instance yaml` (orchestration/platform/instance.py).\n"
    )
    return header + yaml.safe_dump(instance_config(settings), sort_keys=False)


def apply_pools(instance, limits: Mapping[str, int]) -> None:
    """Set each pool's limit on `instance` (a DagsterInstance)."""
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "yaml"
    settings = load_settings()
    if command == "yaml":
        sys.stdout.write(instance_yaml(settings))
        return 0
    if command == "pools":
        import dagster as dg

        from orchestration.platform.definitions import all_departments

        limits = pool_limits(settings, all_departments())
        with dg.DagsterInstance.get() as instance:
            apply_pools(instance, limits)
        for pool, limit in limits.items():
            print(f"{pool}: {limit}")
        return 0
    print("usage: python -m orchestration.platform.instance [yaml|pools]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
