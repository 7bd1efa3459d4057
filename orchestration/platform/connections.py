"""Source connection definitions: typed, validated, secrets read from the environment only.

A definition in `orchestration/connections.yml` names each value directly (`host: db1`) or
names the environment variable that holds it (`host_env: DB1_HOST`). Passwords can only be
named (`password_env:`); a definition without one connects without a password (trust or
peer authentication, as on the CI machine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

CONNECTION_TYPES = ("sqlite", "postgres", "mysql", "mssql", "db2", "denodo")
SETTINGS = ("host", "port", "database", "user")
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "sqlite": ("path",),
    **{kind: ("host", "database") for kind in CONNECTION_TYPES if kind != "sqlite"},
}
OPTIONAL = {
    "path",
    "port",
    "password_env",
    "vql_context",
    "query_timeout_ms",
    "i18n",
    "options",
    "streams",
    "max_extractions",
    *SETTINGS,
    *(f"{s}_env" for s in SETTINGS),
}
# in production, at most this many extractions read one connection at once (its Dagster pool)
DEFAULT_MAX_EXTRACTIONS = 2
DEFAULT_PORTS = {"postgres": 5432, "denodo": 9996, "mysql": 3306, "mssql": 1433, "db2": 50000}


def source_pool(connection: str) -> str:
    """The Dagster pool of the extractions that read `connection` (orchestration/platform/instance.py)."""
    return f"source_{connection}"


class ConnectionError_(ValueError):
    """A connection definition is wrong; the message names it and what to fix."""


@dataclass(frozen=True)
class ConnectionSpec:
    """One source connection as declared in orchestration/connections.yml (no secret values)."""

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pool(self) -> str:
        return source_pool(self.name)

    @property
    def max_extractions(self) -> int:
        return self.options.get("max_extractions", DEFAULT_MAX_EXTRACTIONS)


@dataclass(frozen=True)
class Credentials:
    """A connection's resolved settings. The password never appears in its repr."""

    host: str
    port: int
    database: str
    user: str | None
    password: str | None = field(default=None, repr=False)

    def url(self, scheme: str) -> str:
        """A URL for drivers that only take one (connectorx); percent-encoded."""
        auth = ""
        if self.user:
            auth = quote(self.user, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        return f"{scheme}://{auth}{self.host}:{self.port}/{quote(self.database, safe='')}"

    def redact(self, text: str) -> str:
        """`text` with the password (raw and URL-encoded) replaced by `***`."""
        if not self.password:
            return text
        for form in {self.password, quote(self.password, safe="")}:
            text = text.replace(form, "***")
        return text


def parse_connections(block: Mapping[str, Mapping[str, Any]], where: str) -> dict[str, ConnectionSpec]:
    specs = {}
    for name, definition in (block or {}).items():
        definition = definition or {}
        kind = definition.get("type")
        here = f"{where}.{name}"
        if kind not in CONNECTION_TYPES:
            raise ConnectionError_(f"{here}: type {kind!r} is not one of {', '.join(CONNECTION_TYPES)}.")
        options = {k: v for k, v in definition.items() if k != "type"}
        if "password" in options:
            raise ConnectionError_(
                f"{here}: a password never goes in the YAML; put it in an environment variable "
                "and name that variable with `password_env:`."
            )
        if unknown := set(options) - OPTIONAL:
            raise ConnectionError_(f"{here}: unknown key(s) {sorted(unknown)}; allowed: {sorted(OPTIONAL)}.")
        streams = options.get("streams", 1)
        if type(streams) is not int or streams < 1 or (streams > 1 and kind != "postgres"):
            raise ConnectionError_(
                f"{here}: `streams:` is how many connections read one table at once: a whole "
                "number, at least 1, and above 1 only for postgres connections."
            )
        limit = options.get("max_extractions", DEFAULT_MAX_EXTRACTIONS)
        if type(limit) is not int or limit < 1:
            raise ConnectionError_(
                f"{here}: `max_extractions:` is how many tables may be extracted from it at once "
                "in production (its Dagster pool): a whole number, at least 1."
            )
        for key in REQUIRED[kind]:
            if key not in options and f"{key}_env" not in options:
                raise ConnectionError_(f"{here}: `{key}:` (or `{key}_env:`) is required for {kind}.")
        specs[name] = ConnectionSpec(name=name, type=kind, options=options)
    return specs


def resolve_credentials(spec: ConnectionSpec, environ: Mapping[str, str], where: str) -> Credentials:
    """The settings of a server connection, reading `*_env` variables from `environ`."""

    def value(key: str) -> Any:
        if f"{key}_env" in spec.options:
            variable = spec.options[f"{key}_env"]
            if not environ.get(variable):
                raise ConnectionError_(
                    f"{where}: environment variable {variable} (`{key}_env` of connection "
                    f"{spec.name!r}) is not set; export it before running."
                )
            return environ[variable]
        return spec.options.get(key)

    port = value("port") or DEFAULT_PORTS[spec.type]
    return Credentials(
        host=value("host"),
        port=int(port),
        database=value("database"),
        user=value("user"),
        password=value("password"),
    )
