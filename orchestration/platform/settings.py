"""The one place that knows the environment.

`load_settings()` reads `LAKEHOUSE_ENV` (default `local`, the embedded default: nothing to
install, nothing secret) and returns a typed `Settings`. Each concern has a complete map
with one entry per environment; `tests/unit/test_settings.py` checks that every map covers
every environment. Library code receives a `Settings`; it never reads the environment.

The lake's credentials come from `LAKEHOUSE_LAKE_*` variables (`lake_credentials`, a pure
function of a mapping); dbt reads the same variables in dbt/profiles.yml. docs/lake.md lists
them with an example of each authentication mode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from orchestration.platform.connections import ConnectionSpec, parse_connections
from orchestration.platform.lake import NO_CREDENTIALS, Lake, LakeCredentials

if TYPE_CHECKING:
    from orchestration.platform.portal import Portal

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS_PATH = PROJECT_ROOT / "orchestration" / "connections.yml"
PORTAL_PATH = PROJECT_ROOT / "orchestration" / "open_data_portal.yml"

ENVIRONMENTS = ("local", "ci", "staging", "prod")


# --- one map per concern: environment -> value (paths relative to the data directory) ---

# A local path (relative to the data directory) or an `abfs://<container>/<prefix>` URL in the
# storage account that the LAKEHOUSE_LAKE_* variables name; LAKEHOUSE_LAKE_ROOT overrides it.
LAKE_ROOT: Mapping[str, str] = {
    "local": "lake",
    "ci": "abfs://lake",  # Azurite
    "staging": "abfs://lake",
    "prod": "abfs://lake",
}
# The folder of the warehouses (relative to the data directory): one DuckDB file per department,
# `<department>.duckdb`, so that departments never wait on each other's writer lock; a department
# reads another's models (the reference data) by attaching its file read-only (docs/departments.md).
WAREHOUSE_DIR: Mapping[str, str] = {
    "local": "warehouse",
    "ci": "warehouse",
    "staging": "warehouse",
    "prod": "warehouse",
}
# The engine that builds the dbt models: `duckdb` on one machine (one file per department), or
# `spark` when the data outgrows it (docs/engines.md): the same project, models and checks.
# LAKEHOUSE_ENGINE overrides it for an environment.
ENGINE: Mapping[str, str] = {
    "local": "duckdb",
    "ci": "duckdb",
    "staging": "duckdb",
    "prod": "duckdb",
}
ENGINES = ("duckdb", "spark")
# The output of dbt/profiles.yml on DuckDB: `azure` registers the abfs filesystem with DuckDB.
DBT_TARGET: Mapping[str, str] = {
    "local": "local",
    "ci": "azure",
    "staging": "azure",
    "prod": "azure",
}
# The output on Spark: a local[2] session in the dbt process over a local lake; a cluster
# (Databricks, Fabric, Synapse, a Thrift server) that reads the lake on ADLS itself.
SPARK_TARGET: Mapping[str, str] = {
    "local": "spark",
    "ci": "spark_cluster",
    "staging": "spark_cluster",
    "prod": "spark_cluster",
}
# When the first stage's schedule runs (UTC, hour and minute): the `daily` job extracts the
# previous day's partition. Every time leaves room before the freshness deadline, 07:00 in
# Brussels, in summer too (UTC+2: 04:00 UTC is 06:00 there). LAKEHOUSE_INGESTION_TIME=HH:MM
# overrides it (an operator moving the nightly run without a release).
INGESTION_TIME: Mapping[str, tuple[int, int]] = {
    "local": (4, 0),
    "ci": (4, 0),
    "staging": (4, 0),
    "prod": (4, 30),
}
# The serving file (a DuckDB file, relative to the data directory) that dashboards open
# read-only; LAKEHOUSE_SERVING_PATH overrides it. LAKEHOUSE_SERVING_POSTGRES_DSN (optional)
# also publishes the gold tables to a PostgreSQL schema (LAKEHOUSE_SERVING_POSTGRES_SCHEMA).
SERVING_FILE: Mapping[str, str] = {
    "local": "serving/lakehouse.duckdb",
    "ci": "serving/lakehouse.duckdb",
    "staging": "serving/lakehouse.duckdb",
    "prod": "serving/lakehouse.duckdb",
}
# The Dagster instance (orchestration/platform/instance.py writes its dagster.yaml): `sqlite`
# keeps the run history under DAGSTER_HOME (dagster dev, make run); `postgres` keeps it in the
# database that the DAGSTER_PG_* variables name, for the webserver, the daemon and the code
# servers running as separate processes (docs/operations.md).
INSTANCE_STORAGE: Mapping[str, str] = {
    "local": "sqlite",
    "ci": "sqlite",
    "staging": "postgres",
    "prod": "postgres",
}
# How many runs the queue lets run at once (the daemon's QueuedRunCoordinator); runs beyond it
# wait in the queue. Steps are limited further by pools: one dbt build per warehouse, and at
# most `max_extractions` (connections.yml, default 2) extractions per source connection.
MAX_CONCURRENT_RUNS: Mapping[str, int] = {
    "local": 4,
    "ci": 4,
    "staging": 4,
    "prod": 8,
}
# The Dagster UI's address, for the links in alerts; LAKEHOUSE_UI_URL overrides it.
UI_URL: Mapping[str, str] = {
    "local": "http://127.0.0.1:3000",
    "ci": "http://127.0.0.1:3000",
    "staging": "http://dagster-webserver:3000",
    "prod": "http://dagster-webserver:3000",
}
# Where the dbt documentation site is served (`make docs` serves it locally), for the links on
# every model's page in the Dagster UI; LAKEHOUSE_DOCS_URL overrides it.
DOCS_URL: Mapping[str, str] = {
    "local": "http://127.0.0.1:8080",
    "ci": "http://127.0.0.1:8080",
    "staging": "http://lakehouse-docs:8080",
    "prod": "http://lakehouse-docs:8080",
}
# Where the dashboard is served (`make dashboard` locally), for the links from the Dagster UI to
# its pages; LAKEHOUSE_DASHBOARD_URL overrides it.
DASHBOARD_URL: Mapping[str, str] = {
    "local": "http://127.0.0.1:8501",
    "ci": "http://127.0.0.1:8501",
    "staging": "http://lakehouse-dashboard:8501",
    "prod": "http://lakehouse-dashboard:8501",
}
# How long a replaced version of a gold table stays readable (versions.py): "what did this
# dashboard show on day D" can be answered for this many days back; older versions are vacuumed
# after each publication. LAKEHOUSE_GOLD_VERSIONS_DAYS overrides it.
GOLD_VERSIONS_DAYS: Mapping[str, int] = {
    "local": 30,
    "ci": 30,
    "staging": 90,
    "prod": 1830,  # five years
}
# connection name (used by the ingestion registry) -> definition, from connections.yml
SOURCE_CONNECTIONS: Mapping[str, Mapping[str, dict]] = yaml.safe_load(CONNECTIONS_PATH.read_text())
# the key of the pseudonyms (orchestration/platform/privacy.py): a secret in staging and prod,
# where extracting a column to pseudonymise fails without it; a fixed, public key for the sample
PSEUDONYM_KEY_ENV = "LAKEHOUSE_PSEUDONYM_KEY"
SAMPLE_PSEUDONYM_KEY = "sample-only-key-not-a-secret"
PSEUDONYM_KEY: Mapping[str, str] = {
    "local": SAMPLE_PSEUDONYM_KEY,
    "ci": SAMPLE_PSEUDONYM_KEY,
    "staging": "",
    "prod": "",
}
CONCERNS: Mapping[str, Mapping[str, object]] = {
    "LAKE_ROOT": LAKE_ROOT,
    "WAREHOUSE_DIR": WAREHOUSE_DIR,
    "ENGINE": ENGINE,
    "DBT_TARGET": DBT_TARGET,
    "SPARK_TARGET": SPARK_TARGET,
    "INGESTION_TIME": INGESTION_TIME,
    "SERVING_FILE": SERVING_FILE,
    "INSTANCE_STORAGE": INSTANCE_STORAGE,
    "MAX_CONCURRENT_RUNS": MAX_CONCURRENT_RUNS,
    "UI_URL": UI_URL,
    "DOCS_URL": DOCS_URL,
    "DASHBOARD_URL": DASHBOARD_URL,
    "GOLD_VERSIONS_DAYS": GOLD_VERSIONS_DAYS,
    "SOURCE_CONNECTIONS": SOURCE_CONNECTIONS,
    "PSEUDONYM_KEY": PSEUDONYM_KEY,
}
SERVING_PATH_ENV = "LAKEHOUSE_SERVING_PATH"
POSTGRES_DSN_ENV = "LAKEHOUSE_SERVING_POSTGRES_DSN"
POSTGRES_SCHEMA_ENV = "LAKEHOUSE_SERVING_POSTGRES_SCHEMA"
POSTGRES_READER_ENV = "LAKEHOUSE_SERVING_POSTGRES_READER"
UI_URL_ENV = "LAKEHOUSE_UI_URL"
DOCS_URL_ENV = "LAKEHOUSE_DOCS_URL"
DASHBOARD_URL_ENV = "LAKEHOUSE_DASHBOARD_URL"
INGESTION_TIME_ENV = "LAKEHOUSE_INGESTION_TIME"
ENGINE_ENV = "LAKEHOUSE_ENGINE"
GOLD_VERSIONS_DAYS_ENV = "LAKEHOUSE_GOLD_VERSIONS_DAYS"
PORTAL_URL_ENV = "LAKEHOUSE_OPEN_DATA_PORTAL_URL"
PORTAL_API_KEY_ENV = "LAKEHOUSE_OPEN_DATA_PORTAL_API_KEY"


class SettingsError(ValueError):
    """The environment asked for cannot be configured; the message says what to fix."""


# --- the lake's credentials: one mode, from the variables that adlfs takes as options ---

LAKE_ACCOUNT = "LAKEHOUSE_LAKE_ACCOUNT"
# mode -> {variable: adlfs option}, in adlfs's own order of precedence (dbt's profile passes
# every variable and lets adlfs choose, so only one mode may be set)
LAKE_AUTH_MODES: Mapping[str, Mapping[str, str]] = {
    "connection string": {"LAKEHOUSE_LAKE_CONNECTION_STRING": "connection_string"},
    "account key": {"LAKEHOUSE_LAKE_ACCOUNT_KEY": "account_key"},
    "SAS token": {"LAKEHOUSE_LAKE_SAS_TOKEN": "sas_token"},
    "service principal": {
        "LAKEHOUSE_LAKE_TENANT_ID": "tenant_id",
        "LAKEHOUSE_LAKE_CLIENT_ID": "client_id",
        "LAKEHOUSE_LAKE_CLIENT_SECRET": "client_secret",
    },
}
DEFAULT_AZURE_CREDENTIAL = "DefaultAzureCredential"
# Not a mode: the blob endpoint without `https://` (adlfs `account_host`) when it is not
# `<account>.blob.core.windows.net`: a sovereign cloud, or Azurite over HTTPS
# (`127.0.0.1:<port>/devstoreaccount1`). A connection string carries its own endpoint.
LAKE_ACCOUNT_HOST = "LAKEHOUSE_LAKE_ACCOUNT_HOST"
# the storage account and its endpoint, shared by every mode: {variable: adlfs option}
LAKE_ENDPOINT: Mapping[str, str] = {LAKE_ACCOUNT: "account_name", LAKE_ACCOUNT_HOST: "account_host"}


def lake_credentials(lake_root: str, environ: Mapping[str, str]) -> LakeCredentials:
    """The credentials of the lake at `lake_root` from `environ`; a clear error when incomplete.

    A local root needs none. On `abfs://`, the mode is the one whose variables are set (exactly
    one), or `DefaultAzureCredential` (managed identity, Azure CLI login, AZURE_* variables)
    when none is; every mode but the connection string also needs LAKEHOUSE_LAKE_ACCOUNT, and
    may name its endpoint in LAKEHOUSE_LAKE_ACCOUNT_HOST.
    """
    if "://" not in lake_root or lake_root.startswith("file://"):
        return NO_CREDENTIALS
    chosen = {
        mode: variables for mode, variables in LAKE_AUTH_MODES.items() if any(environ.get(name) for name in variables)
    }
    if len(chosen) > 1:
        found = "; ".join(f"{mode}: {', '.join(v for v in names if environ.get(v))}" for mode, names in chosen.items())
        raise SettingsError(f"The lake's credentials name more than one mode ({found}): set one only.")
    mode, variables = next(iter(chosen.items()), (DEFAULT_AZURE_CREDENTIAL, {}))
    missing = [name for name in variables if not environ.get(name)]
    if mode != "connection string" and not environ.get(LAKE_ACCOUNT):
        missing.append(LAKE_ACCOUNT)
    if missing:
        raise SettingsError(
            f"The lake {lake_root} authenticates by {mode} and needs {', '.join(missing)}: "
            "set it in the environment (docs/lake.md has an example of each mode)."
        )
    host = environ.get(LAKE_ACCOUNT_HOST)
    if host and mode == "connection string":
        raise SettingsError(
            f"{LAKE_ACCOUNT_HOST} does not combine with LAKEHOUSE_LAKE_CONNECTION_STRING, which "
            "names its own endpoint (BlobEndpoint=...): unset one."
        )
    if host and "://" in host:
        raise SettingsError(
            f"{LAKE_ACCOUNT_HOST}={host} must not name a scheme (adlfs always uses https): "
            "give the host and optional path only, e.g. stlakehouse.blob.core.chinacloudapi.cn."
        )
    endpoint = {name: option for name, option in LAKE_ENDPOINT.items() if environ.get(name)}
    options = {
        **{option: environ[name] for name, option in {**variables, **endpoint}.items()},
        "anon": False,  # never fall back to anonymous access
    }
    return LakeCredentials(mode, (*variables, *endpoint), options)


@dataclass(frozen=True)
class ServingConfig:
    """Where the publish step serves the gold tables (docs/dashboard.md)."""

    path: Path
    postgres_dsn: str | None = field(repr=False)  # may hold a password
    postgres_schema: str
    # the role the dashboards and analysts read with: every column but those tagged personal
    postgres_reader: str = "lakehouse_reader"


def serving_config(environment: str, data_dir: Path, environ: Mapping[str, str]) -> ServingConfig:
    path = environ.get(SERVING_PATH_ENV)
    return ServingConfig(
        path=Path(path) if path else data_dir / SERVING_FILE[environment],
        postgres_dsn=environ.get(POSTGRES_DSN_ENV) or None,
        postgres_schema=environ.get(POSTGRES_SCHEMA_ENV) or "gld",
        postgres_reader=environ.get(POSTGRES_READER_ENV) or "lakehouse_reader",
    )


@dataclass(frozen=True)
class Settings:
    environment: str
    data_dir: Path
    lake_root: str
    warehouse_dir: Path
    dbt_target: str
    connections: Mapping[str, ConnectionSpec]
    ingestion_time: tuple[int, int]
    serving: ServingConfig
    engine: str = "duckdb"
    instance_storage: str = "sqlite"
    max_concurrent_runs: int = 4
    ui_url: str = UI_URL["local"]
    docs_url: str = DOCS_URL["local"]
    dashboard_url: str = DASHBOARD_URL["local"]
    gold_versions_days: int = GOLD_VERSIONS_DAYS["local"]
    # the LAKEHOUSE_LAKE_* variables only, resolved when the lake is opened
    lake_environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    # the variables that the connections name (`*_env` keys: hosts, users, passwords), read
    # by the extractors: the only way source secrets reach an asset
    source_environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    # the LAKEHOUSE_ALERT_* variables: where alerts go (orchestration/platform/alerts.py)
    alert_environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    pseudonym_key: str = field(default=SAMPLE_PSEUDONYM_KEY, repr=False)
    # the open-data portal the open gold tables are pushed to; None: they stay in the lake
    portal: Portal | None = field(default=None, repr=False)

    @property
    def sample_dir(self) -> Path:
        return self.data_dir / "sample"

    def warehouse(self, department: str) -> Path:
        """The DuckDB file where `department`'s dbt models are built; its catalog name (the file's
        stem) is the `database` that dbt_project.yml gives the department's folders."""
        return self.warehouse_dir / f"{department}.duckdb"

    @property
    def spark_dir(self) -> Path:
        """On Spark with a local session: its warehouse (tables as Parquet folders) and its
        catalog (a Derby metastore, one process at a time) under the warehouse folder."""
        return self.warehouse_dir / "spark"

    @property
    def lake_credentials(self) -> LakeCredentials:
        return lake_credentials(self.lake_root, self.lake_environ)

    def open_lake(self) -> Lake:
        """The lake, its credentials and container checked before anything is read or written."""
        return Lake(self.lake_root, self.lake_credentials).check_access()


def settings_for(environment: str, data_dir: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings of `environment`, with its local files under `data_dir` (default: ./data).

    `environ` supplies the lake's variables (LAKEHOUSE_LAKE_ROOT and credentials) and the
    serving ones (LAKEHOUSE_SERVING_*); default none.
    """
    if environment not in ENVIRONMENTS:
        raise SettingsError(f"Unknown LAKEHOUSE_ENV {environment!r}: use one of {', '.join(ENVIRONMENTS)}.")
    data_dir = (data_dir or PROJECT_ROOT / "data").resolve()
    environ = environ or {}
    engine = environ.get(ENGINE_ENV) or ENGINE[environment]
    if engine not in ENGINES:
        raise SettingsError(f"Unknown {ENGINE_ENV} {engine!r}: use one of {', '.join(ENGINES)}.")
    lake_root = environ.get("LAKEHOUSE_LAKE_ROOT") or LAKE_ROOT[environment]
    if "://" not in lake_root:
        lake_root = str(data_dir / lake_root)
    if ("://" in lake_root) != (DBT_TARGET[environment] == "azure"):
        raise SettingsError(
            f"LAKEHOUSE_LAKE_ROOT={lake_root} does not suit environment {environment!r}, whose "
            f"dbt target is {DBT_TARGET[environment]!r}: use a "
            + ("local path." if DBT_TARGET[environment] == "local" else "abfs:// URL.")
        )
    return Settings(
        environment=environment,
        data_dir=data_dir,
        lake_root=lake_root,
        warehouse_dir=data_dir / WAREHOUSE_DIR[environment],
        dbt_target=SPARK_TARGET[environment] if engine == "spark" else DBT_TARGET[environment],
        engine=engine,
        ingestion_time=ingestion_time(environ.get(INGESTION_TIME_ENV)) or INGESTION_TIME[environment],
        serving=serving_config(environment, data_dir, environ),
        instance_storage=INSTANCE_STORAGE[environment],
        max_concurrent_runs=MAX_CONCURRENT_RUNS[environment],
        ui_url=(environ.get(UI_URL_ENV) or UI_URL[environment]).rstrip("/"),
        docs_url=(environ.get(DOCS_URL_ENV) or DOCS_URL[environment]).rstrip("/"),
        dashboard_url=(environ.get(DASHBOARD_URL_ENV) or DASHBOARD_URL[environment]).rstrip("/"),
        gold_versions_days=gold_versions_days(environ.get(GOLD_VERSIONS_DAYS_ENV)) or GOLD_VERSIONS_DAYS[environment],
        connections=_resolve_paths(
            parse_connections(SOURCE_CONNECTIONS[environment], f"connections.yml: {environment}"),
            data_dir,
        ),
        lake_environ={k: v for k, v in environ.items() if k.startswith("LAKEHOUSE_LAKE_")},
        source_environ=source_variables(SOURCE_CONNECTIONS[environment], environ),
        alert_environ={k: v for k, v in environ.items() if k.startswith("LAKEHOUSE_ALERT_")},
        pseudonym_key=environ.get(PSEUDONYM_KEY_ENV) or PSEUDONYM_KEY[environment],
        portal=portal(environ),
    )


def ingestion_time(value: str | None) -> tuple[int, int] | None:
    """`HH:MM` (UTC) as (hour, minute); None when not given."""
    if not value:
        return None
    hour, _, minute = value.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise SettingsError(f"{INGESTION_TIME_ENV}={value!r} is not a time: write HH:MM in UTC, e.g. 04:30.")
    return int(hour), int(minute)


def gold_versions_days(value: str | None) -> int | None:
    """A number of days of at least 1 (a reader may be on the version just replaced)."""
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{GOLD_VERSIONS_DAYS_ENV}={value!r} is not a number of days: write 1 or more, e.g. 30.")
    return int(value)


def portal(environ: Mapping[str, str]) -> Portal | None:
    """The open-data portal that LAKEHOUSE_OPEN_DATA_PORTAL_* name, with its ids of our licences
    and themes (orchestration/open_data_portal.yml); None when no portal is named."""
    url, key = environ.get(PORTAL_URL_ENV), environ.get(PORTAL_API_KEY_ENV)
    if not url and not key:
        return None
    if not (url and key):
        raise SettingsError(
            f"The open-data portal needs both {PORTAL_URL_ENV} and {PORTAL_API_KEY_ENV}: set the other one."
        )
    from orchestration.platform.portal import Portal  # (it imports the dbt side, which imports settings)

    ids = yaml.safe_load(PORTAL_PATH.read_text())
    return Portal(url.rstrip("/"), key, ids.get("licences") or {}, ids.get("themes") or {})


def source_variables(connections: Mapping[str, Mapping[str, object]], environ: Mapping[str, str]) -> dict[str, str]:
    """The variables the connections of an environment name in their `*_env` keys, from `environ`."""
    names = {str(value) for options in connections.values() for key, value in options.items() if key.endswith("_env")}
    return {name: environ[name] for name in sorted(names) if name in environ}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the process environment: `LAKEHOUSE_ENV`, `LAKEHOUSE_DATA_DIR`, the lake's."""
    environ = os.environ if environ is None else environ
    data_dir = environ.get("LAKEHOUSE_DATA_DIR")
    return settings_for(environ.get("LAKEHOUSE_ENV", "local"), Path(data_dir) if data_dir else None, environ)


def _resolve_paths(specs: dict[str, ConnectionSpec], data_dir: Path) -> dict[str, ConnectionSpec]:
    """SQLite paths in connections.yml are relative to the data directory."""
    return {
        name: ConnectionSpec(name, spec.type, {**spec.options, "path": data_dir / spec.options["path"]})
        if spec.type == "sqlite"
        else spec
        for name, spec in specs.items()
    }
