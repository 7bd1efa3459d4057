"""Source connection definitions: typed, validated, secrets read from the environment only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CONNECTION_TYPES = ("sqlite", "postgres", "mysql", "mssql", "db2", "denodo")


class ConnectionError_(ValueError):
    """A connection definition is wrong; the message names it and what to fix."""


@dataclass(frozen=True)
class ConnectionSpec:
    """One source connection as declared in orchestration/connections.yml (no secret values)."""

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)


def parse_connections(block: Mapping[str, Mapping[str, Any]], where: str) -> dict[str, ConnectionSpec]:
    specs = {}
    for name, definition in (block or {}).items():
        kind = (definition or {}).get("type")
        if kind not in CONNECTION_TYPES:
            raise ConnectionError_(
                f"{where}.{name}: type {kind!r} is not one of {', '.join(CONNECTION_TYPES)}."
            )
        options = {k: v for k, v in definition.items() if k != "type"}
        specs[name] = ConnectionSpec(name=name, type=kind, options=options)
    return specs
