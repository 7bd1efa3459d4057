"""Tests that need a service: a loud skip locally when it is missing, a failure in CI.

`.ci/run` sets LAKEHOUSE_REQUIRE_SERVICES=1, which turns every such skip into a failure.
"""

import json
import os
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from orchestration.demo.azurite import free_port, port_open  # noqa: F401 (the tests' one probe of a port)
from orchestration.platform.settings import PROJECT_ROOT

# what a copy of the project for a test leaves out: environments, data, history, caches
NOT_COPIED = {".venv", "data", ".dagster_home", "node_modules", ".git", "logs", "__pycache__", "test-artifacts"}


def copy_project(destination: Path) -> Path:
    """A copy of the project a test may change (its own data, history and drafts), with the
    parsed dbt manifest of target/ and nothing else from there."""
    shutil.copytree(
        PROJECT_ROOT,
        destination,
        ignore=lambda folder, names: (
            (NOT_COPIED & set(names)) | (set(names) - {"manifest.json"} if Path(folder).name == "target" else set())
        ),
    )
    return destination


def require_service(name: str, available: bool, how_to_start: str) -> None:
    """Skip (locally) or fail (in CI) the calling test when `name` is not available."""
    if available:
        return
    message = f"{name} is not available: {how_to_start}"
    if os.environ.get("LAKEHOUSE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (required: LAKEHOUSE_REQUIRE_SERVICES=1)")
    pytest.skip(f"SERVICE MISSING, test skipped: {message}")


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a server started with `start_new_session=True`, and all it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    """The `data` of a GraphQL query to the Dagster webserver on 127.0.0.1:`port`."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["data"]
    except urllib.error.HTTPError as error:  # a query the schema refuses: say why
        raise AssertionError(f"GraphQL {error.code}: {error.read().decode()[:2000]}") from None
