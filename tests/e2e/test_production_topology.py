"""The production topology as processes (issue 15): the Dagster instance of `prod` on the real
PostgreSQL, the code servers, the webserver and the daemon each in its own process, started with
the entry points of deploy/ (docs/operations.md).

A sensor's tick launches a run through the queue (QueuedRunCoordinator: the daemon dequeues it,
the code server runs it), the run completes, everything stops, starts again, and the history is
intact: the run, the sensor's ticks and state, the pools' limits, all in PostgreSQL. The test
owns its database and drops it. The code runs on the embedded default's lake (the lake on Azure
is tested by the azurite tests); the instance is prod's.
"""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import yaml

from orchestration.demo.sample_data import SampleSpec, generate
from orchestration.platform.settings import PROJECT_ROOT
from tests.integration.conftest import pg_database  # noqa: F401 (the fixture: a database of its own)
from tests.services import free_port, graphql, stop_process_group

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

DEPARTMENTS = ("referentiel", "culture")  # two code servers: enough to show them apart
SENSOR = {"repositoryLocationName": "referentiel", "repositoryName": "__repository__", "sensorName": ""}
LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
  __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }"""
SENSOR_STATE = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { ... on Sensor {
  sensorState { status ticks(limit: 20) { timestamp status runIds } } } } }"""
RUNS = """{ runsOrError { ... on Runs { results { runId status jobName startTime
  tags { key value } } } } }"""
EVENTS = """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  __typename ... on MessageEvent { timestamp } } } } }"""
POOLS = "{ instance { info poolConfig { defaultPoolLimit } concurrencyLimits { concurrencyKey slotCount } } }"
DAEMONS = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"


class Topology:
    """The processes of a deployment, started and stopped as a whole."""

    def __init__(self, tmp_path: Path, database: str):
        self.home = tmp_path / "dagster_home"
        self.home.mkdir()
        bin_dir = Path(sys.executable).parent
        self.bin = bin_dir
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "DAGSTER_HOME": str(self.home),
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": "5432",
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USER": "postgres",
            "DAGSTER_PG_PASSWORD": "not-used-by-trust-auth",
            "LAKEHOUSE_ENV": "local",
            "LAKEHOUSE_DATA_DIR": str(tmp_path / "data"),
        }
        self.ports = {d: free_port() for d in DEPARTMENTS}
        self.web = free_port()
        self.workspace = tmp_path / "workspace.yaml"
        self.processes: list[subprocess.Popen] = []
        self.logs = tmp_path / "logs"
        self.logs.mkdir()

    def command(self, *args: str, env: dict | None = None) -> str:
        """Run a one-shot entry point (as deploy/'s init job does); its standard output."""
        done = subprocess.run(args, cwd=PROJECT_ROOT, env=env or self.env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def initialise(self) -> None:
        """dagster.yaml of prod, the instance's tables, the pools' limits: deploy's init job."""
        config = self.command(
            str(self.bin / "python"),
            "-m",
            "orchestration.platform.instance",
            "yaml",
            env={**self.env, "LAKEHOUSE_ENV": "prod"},
        )
        (self.home / "dagster.yaml").write_text(config)
        self.command(str(self.bin / "dagster"), "instance", "migrate")
        self.command(str(self.bin / "python"), "-m", "orchestration.platform.instance", "pools")
        deploy = yaml.safe_load((PROJECT_ROOT / "deploy" / "workspace.yaml").read_text())
        for entry in deploy["load_from"]:  # the deployment's workspace, on this host's ports
            server = entry["grpc_server"]
            server["host"], server["port"] = "127.0.0.1", self.ports.get(server["location_name"])
        deploy["load_from"] = [e for e in deploy["load_from"] if e["grpc_server"]["port"]]
        self.workspace.write_text(yaml.safe_dump(deploy))

    def start(self) -> None:
        for department, port in self.ports.items():
            self._spawn(
                department,
                "dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(port),
                "-m", f"orchestration.locations.{department}.definitions", "--location-name", department,
            )  # fmt: skip
        self._spawn("webserver", "dagster-webserver", "-h", "127.0.0.1", "-p", str(self.web), "-w", str(self.workspace))
        self._spawn("daemon", "dagster-daemon", "run", "-w", str(self.workspace))
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, KeyError, TypeError):
                entries = graphql(self.web, LOCATIONS)["workspaceOrError"]["locationEntries"]
                loaded = {
                    e["name"]
                    for e in entries
                    if (e["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation"
                }
                if loaded == set(DEPARTMENTS):
                    return
            assert all(p.poll() is None for p in self.processes), self.tail()
            time.sleep(2)
        raise AssertionError(f"the code locations did not load in 240 s\n{self.tail()}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop_process_group(process)
        self.processes.clear()

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                [str(self.bin / args[0]), *args[1:]],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
            )
        )

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.logs.glob("*.log")))

    def webserver_rss_mb(self) -> float:
        webserver = self.processes[len(DEPARTMENTS)]
        status = Path(f"/proc/{webserver.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024


def wait_for(what: str, probe, topology: Topology, seconds: float = 240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(2)
    raise AssertionError(f"{what}: not within {seconds:.0f} s\n{topology.tail()}")


def test_a_sensor_launches_a_queued_run_and_the_history_survives_a_restart(tmp_path, pg_database):  # noqa: F811
    database = pg_database
    generate(tmp_path / "data" / "sample", SampleSpec())
    topology = Topology(tmp_path, database)
    topology.initialise()
    sensor = {**SENSOR, "sensorName": "freshness_checks_sensor"}
    try:
        topology.start()
        health = graphql(topology.web, DAEMONS)["instance"]["daemonHealth"]["allDaemonStatuses"]
        required = {d["daemonType"] for d in health if d["required"]}
        assert {"SENSOR", "SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= required
        instance = graphql(topology.web, POOLS)["instance"]
        assert "PostgresRunStorage" in instance["info"] and "QueuedRunCoordinator" in instance["info"]
        limits = {c["concurrencyKey"]: c["slotCount"] for c in instance["concurrencyLimits"]}
        assert limits["warehouse_culture"] == 1 and limits["source_denodo"] == 2

        started = graphql(topology.web, START_SENSOR, {"s": sensor})["startSensor"]
        assert started["__typename"] == "Sensor", started

        def finished_run():
            runs = graphql(topology.web, RUNS)["runsOrError"]["results"]
            return next((r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")), None)

        run = wait_for("a run launched by the sensor finishes", finished_run, topology)
        assert run["status"] == "SUCCESS", topology.tail()
        assert {"key": "dagster/sensor_name", "value": "freshness_checks_sensor"} in run["tags"]
        events = graphql(topology.web, EVENTS, {"id": run["runId"]})["logsForRun"]["events"]
        kinds = [e["__typename"] for e in events]
        # queued, then dequeued by the daemon (starting), then started by the code server
        assert kinds.index("RunEnqueuedEvent") < kinds.index("RunStartingEvent") < kinds.index("RunStartEvent")
        ticks = graphql(topology.web, SENSOR_STATE, {"s": sensor})["sensorOrError"]["sensorState"]["ticks"]
        [tick] = [t for t in ticks if run["runId"] in t["runIds"]]
        first_step = min(float(e["timestamp"]) for e in events if e["__typename"] == "ExecutionStepStartEvent") / 1000
        print(
            f"tick -> first step through the queue: {first_step - tick['timestamp']:.1f} s; "
            f"webserver RSS with {len(DEPARTMENTS)} locations: {topology.webserver_rss_mb():.0f} MB"
        )
        topology.stop()

        topology.start()  # a new webserver, daemon and code servers on the same instance
        runs = graphql(topology.web, RUNS)["runsOrError"]["results"]
        assert {"runId": run["runId"], "status": "SUCCESS"} in [
            {"runId": r["runId"], "status": r["status"]} for r in runs
        ]
        state = graphql(topology.web, SENSOR_STATE, {"s": sensor})["sensorOrError"]["sensorState"]
        assert state["status"] == "RUNNING" and any(run["runId"] in t["runIds"] for t in state["ticks"])
    finally:
        topology.stop()
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as db:  # it was PostgreSQL all along
        assert db.execute("select status from runs where run_id = %s", [run["runId"]]).fetchone() == ("SUCCESS",)
