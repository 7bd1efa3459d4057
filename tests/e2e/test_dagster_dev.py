"""`make dev`'s server really starts and serves the lineage from source tables to gold."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.platform.settings import PROJECT_ROOT
from tests.services import stop_process_group

pytestmark = pytest.mark.e2e

QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } groupName } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_dagster_dev_serves_lineage_from_source_to_gold(tmp_path: Path):
    port = free_port()
    bin_dir = Path(sys.executable).parent  # as `uv run` does for `make dev`
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(tmp_path),
        "LAKEHOUSE_DATA_DIR": str(tmp_path),
    }
    dagster = bin_dir / "dagster"
    server = subprocess.Popen(
        [str(dagster), "dev", "-m", "orchestration.platform.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as a whole below
    )
    try:
        deadline = time.monotonic() + 120
        nodes = None
        while time.monotonic() < deadline:
            try:
                nodes = graphql(port)["data"]["assetNodes"]
                if nodes:
                    break
            except (OSError, KeyError, TypeError):
                pass
            assert server.poll() is None, "dagster dev exited"
            time.sleep(1)
        assert nodes, "dagster dev did not serve the asset graph within 120 s"
    finally:
        stop_process_group(server)

    upstream = {
        "/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]}
        for n in nodes
    }

    def ancestors(key: str) -> set[str]:
        seen, todo = set(), [key]
        while todo:
            for parent in upstream.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    gold = [k for k in upstream if k.startswith("gld/")]
    dashboards = [k for k in upstream if k.startswith("dashboard/")]
    assert gold and dashboards
    for key in gold + dashboards:
        assert any(a.startswith("source/") for a in ancestors(key)), key
    assert {"source/subventions/paiement", "raw/subventions/paiement"} <= ancestors(
        "dashboard/culture_subventions"
    )
