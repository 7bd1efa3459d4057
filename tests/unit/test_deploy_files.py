"""The deployment files (deploy/, .gitlab-ci.yml) against the code they start.

Every file parses; every path, module and command it names exists; every department is deployed
and nothing else; the run queue and pools are the instance's (orchestration/platform/instance.py);
each code server gets its own sources' variables only; no secret is written in any of them. No
image is built or pulled here: docs/operations.md says what that leaves unvalidated.
"""

import importlib
import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster_dbt import DbtProject

from orchestration.platform import alerts, settings
from orchestration.platform.definitions import all_departments
from orchestration.platform.instance import POSTGRES_VARIABLES, instance_config
from orchestration.platform.registry import load_all
from orchestration.platform.settings import (
    LAKE_AUTH_MODES,
    PROJECT_ROOT,
    SOURCE_CONNECTIONS,
    load_settings,
    settings_for,
)

DEPLOY = PROJECT_ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
WORKSPACE = DEPLOY / "workspace.yaml"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
HELM_VALUES = DEPLOY / "helm" / "values.yaml"
GITLAB_CI = PROJECT_ROOT / ".gitlab-ci.yml"
YAML_FILES = [WORKSPACE, COMPOSE, HELM_VALUES, GITLAB_CI]

IMAGE_ROOT = "/app/"  # the Dockerfile's WORKDIR: the repository's root in the image
CODE_SERVER_PORT = 4000
# what the image runs besides Python and the console scripts of the locked environment
BASE_IMAGE_TOOLS = {"pip", "uv", "test", "useradd", "mkdir", "chown", "chmod", "rm", "sh"}
# the console scripts that the roles of the image start (deploy/Dockerfile)
ROLE_SCRIPTS = {"dagster", "dagster-webserver", "dagster-daemon", "dagster-dbt"}
FIX_NEW_DEPARTMENT = (
    "a department is deployed in deploy/workspace.yaml, deploy/compose.yaml and "
    "deploy/helm/values.yaml: add it (or remove it) in all three"
)


def load(path: Path):
    return yaml.safe_load(path.read_text())


def env_example() -> dict[str, str]:
    lines = [line.strip() for line in ENV_EXAMPLE.read_text().splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def copy_sources() -> list[str]:
    sources = []
    for instruction, arguments in dockerfile():
        if instruction == "COPY":
            words = [w for w in shlex.split(arguments) if not w.startswith("--")]
            sources += words[:-1]
    return sources


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell line, as argv (split at operators outside quotes)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if set(token) <= set(lexer.punctuation_chars):
            commands.append([])
        else:
            commands[-1].append(token)
    return [argv for argv in commands if argv]


def lakehouse_services() -> dict[str, dict]:
    """The compose services that run the lakehouse image."""
    compose = load(COMPOSE)
    return {name: s for name, s in compose["services"].items() if s.get("image") == compose["x-image"]}


def image_commands() -> list[list[str]]:
    """Every command the image runs: the Dockerfile's RUN and CMD, the compose services of the
    image (command and health check) and the Helm code servers."""
    commands = []
    for instruction, arguments in dockerfile():
        if instruction == "RUN":
            commands += shell_commands(arguments)
        if instruction == "CMD":
            commands.append(yaml.safe_load(arguments))
    for service in lakehouse_services().values():
        command = service["command"]
        commands += shell_commands(command[2]) if command[:2] == ["sh", "-c"] else [command]
        if "healthcheck" in service:
            assert service["healthcheck"]["test"][0] == "CMD"
            commands.append(service["healthcheck"]["test"][1:])
    for deployment in helm_deployments():
        commands.append(["dagster", "api", "grpc", "-p", str(deployment["port"]), *deployment["dagsterApiGrpcArgs"]])
    return commands


def ci_commands() -> list[list[str]]:
    """The commands of every job's script in .gitlab-ci.yml."""
    jobs = [job for job in load(GITLAB_CI).values() if isinstance(job, dict) and "script" in job]
    return [argv for job in jobs for line in job["script"] for argv in shell_commands(line)]


def helm_deployments() -> list[dict]:
    return load(HELM_VALUES)["dagster-user-deployments"]["deployments"]


def generated_dirs() -> set[str]:
    """The folders that .gitignore keeps out of the repository (the environment, dbt's target/...)."""
    lines = (PROJECT_ROOT / ".gitignore").read_text().splitlines()
    return {line.strip().rstrip("/") for line in lines if line.strip().endswith("/") and "*" not in line}


def named_paths() -> set[str]:
    """The repository paths that the files name: COPY sources, the entry point, and every
    relative path in a command of the image or of the pipeline."""
    paths = set(copy_sources())
    entrypoint = yaml.safe_load(dict(dockerfile())["ENTRYPOINT"])[0]
    paths.add(entrypoint.removeprefix(IMAGE_ROOT))
    for argv in image_commands() + ci_commands():
        for word in argv:
            word = word.removeprefix("$CI_PROJECT_DIR/").removeprefix(IMAGE_ROOT)
            if re.fullmatch(r"[\w.-]+(/[\w.-]+)+/?", word):
                paths.add(word)
    return {path for path in paths if path.split("/")[0] not in generated_dirs()}


def modules_named() -> set[str]:
    """Every module started with `-m` (python -m, dagster ... -m) in the files."""
    return {argv[i + 1] for argv in image_commands() + ci_commands() for i, w in enumerate(argv[:-1]) if w == "-m"}


SECRET_KEY = re.compile(
    r"password|passwd|secret|token|api_?key|access_?key|account_?key|connection_?string|dsn|webhook", re.I
)
NOT_A_SECRET_KEY = re.compile(r"name$|file$|ref$|_env$", re.I)  # names a secret, does not hold it
ASSIGNMENT = re.compile(r"(\w+)=(\S*)")


def is_secret_literal(key: str, value) -> bool:
    """A secret-looking key with a literal value: not empty, not a `$VARIABLE` reference, not
    a `<placeholder>`, not a flag."""
    if not isinstance(value, str) or not SECRET_KEY.search(key) or NOT_A_SECRET_KEY.search(key):
        return False
    value = value.strip().strip("'\"")
    placeholder = value.startswith("$") or re.fullmatch(r"<[^<>]+>", value)
    return bool(value) and not placeholder and value.lower() not in {"0", "1", "true", "false", "yes", "no"}


def secret_literals(node, where: str = "") -> list[str]:
    """Where a document holds a secret-looking key with a literal value, in mappings, in
    `KEY=value` strings and in commands."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if is_secret_literal(str(key), value):
                found.append(f"{where}{key}")
            found += secret_literals(value, f"{where}{key}.")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += secret_literals(item, f"{where}{index}.")
    elif isinstance(node, str):
        found += [f"{where}{key}" for key, value in ASSIGNMENT.findall(node) if is_secret_literal(key, value)]
    return found


# --- the files parse, and name what exists ---


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_yaml_file_parses_to_a_mapping(path):
    assert isinstance(load(path), dict), f"{path} is not a YAML mapping"


def test_every_repository_path_named_exists():
    missing = sorted(path for path in named_paths() if not (PROJECT_ROOT / path).exists())
    assert not missing, f"the deployment files name paths that are not in the repository: {missing}"
    assert {
        "deploy/Dockerfile",
        "deploy/helm/values.yaml",
        "deploy/workspace.yaml",
        "dashboard/app.py",
    } <= named_paths()


def test_the_image_holds_the_whole_dbt_project():
    project = load(PROJECT_ROOT / "dbt_project.yml")
    needed = [path for key, paths in project.items() if key.endswith("-paths") for path in paths] + ["dbt/profiles.yml"]
    copied = [source.rstrip("/") for source in copy_sources()]
    missing = [path for path in needed if not any(path == c or path.startswith(c + "/") for c in copied)]
    assert not missing, f"deploy/Dockerfile does not COPY {missing}, which dbt reads (dbt_project.yml)"


def test_every_module_named_is_importable():
    modules = modules_named()
    assert "orchestration.platform.instance" in modules and "streamlit" in modules
    missing = sorted(module for module in modules if importlib.util.find_spec(module) is None)
    assert not missing, f"modules started with -m that do not exist: {missing}"


def test_every_command_of_the_image_exists_in_the_locked_environment():
    bin_dir = Path(sys.executable).parent  # the environment of uv.lock, as in the image
    programs = {argv[0] for argv in image_commands()}
    unknown = sorted(p for p in programs - BASE_IMAGE_TOOLS - {"python"} if not (bin_dir / p).exists())
    assert not unknown, f"commands of the image that the locked environment does not install: {unknown}"
    assert ROLE_SCRIPTS <= programs
    assert all((bin_dir / script).exists() for script in [*ROLE_SCRIPTS, "streamlit"])


def test_the_image_prepares_the_dbt_project_that_the_definitions_load():
    run = next(argv for argv in image_commands() if argv[:3] == ["dagster-dbt", "project", "prepare-and-package"])
    module = run[run.index("--file") + 1].removesuffix(".py").replace("/", ".")
    assert isinstance(importlib.import_module(module).DBT_PROJECT, DbtProject)


# --- every department, and nothing else ---


def test_deploy_workspace_has_one_code_server_per_department():
    servers = [entry["grpc_server"] for entry in load(WORKSPACE)["load_from"]]
    assert sorted(s["location_name"] for s in servers) == all_departments(), FIX_NEW_DEPARTMENT
    services = load(COMPOSE)["services"]
    for server in servers:
        assert server["host"] == f"location-{server['location_name']}" and server["host"] in services
        assert server["port"] == CODE_SERVER_PORT


def test_compose_runs_one_code_server_per_department():
    services = {name: s for name, s in lakehouse_services().items() if name.startswith("location-")}
    assert sorted(name.removeprefix("location-") for name in services) == all_departments(), FIX_NEW_DEPARTMENT
    for name, service in services.items():
        department = name.removeprefix("location-")
        assert service["command"] == [
            *("dagster", "code-server", "start", "-h", "0.0.0.0", "-p", str(CODE_SERVER_PORT)),
            *("-m", f"orchestration.locations.{department}.definitions", "--location-name", department),
        ]


def test_helm_deploys_one_code_server_per_department():
    deployments = helm_deployments()
    assert sorted(d["name"] for d in deployments) == all_departments(), FIX_NEW_DEPARTMENT
    for deployment in deployments:
        assert deployment["dagsterApiGrpcArgs"] == ["-m", f"orchestration.locations.{deployment['name']}.definitions"]
        assert deployment["port"] == CODE_SERVER_PORT


def test_the_pipeline_sets_the_image_of_every_helm_deployment():
    """The deploy job rewrites the image's placeholders (one YAML anchor) to the commit's."""
    deploy = " ".join(load(GITLAB_CI)[".deploy"]["script"])
    replaced = re.findall(r"s\|([^|]+)\|", deploy)
    text = HELM_VALUES.read_text()
    assert replaced and all(text.count(old) == 1 for old in replaced)
    images = {(d["image"]["repository"], d["image"]["tag"]) for d in helm_deployments()}
    assert len(images) == 1 and all(any(v in old for old in replaced) for v in images.pop())


# --- the instance's limits ---


def test_helm_limits_are_the_prod_instance_limits():
    expected = instance_config(settings_for("prod"))
    values = load(HELM_VALUES)
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == expected["run_coordinator"]["class"] == "QueuedRunCoordinator"
    queue = coordinator["config"]["queuedRunCoordinator"]
    runs = expected["concurrency"]["runs"]
    assert queue["maxConcurrentRuns"] == runs["max_concurrent_runs"]
    assert queue["tagConcurrencyLimits"] == runs["tag_concurrency_limits"]
    pools = expected["concurrency"]["pools"]
    assert values["concurrency"]["enabled"] is True
    assert values["concurrency"]["pools"] == {
        "defaultLimit": pools["default_limit"],
        "granularity": pools["granularity"],
    }
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert expected["run_monitoring"] == {
        "enabled": monitoring["enabled"],
        "start_timeout_seconds": monitoring["startTimeoutSeconds"],
        "poll_interval_seconds": monitoring["pollIntervalSeconds"],
    }
    postgres = expected["storage"]["postgres"]["postgres_db"]
    assert values["postgresql"].get("postgresqlScheme") == postgres.get("scheme")
    retention = values["retention"]
    assert retention["schedule"]["purgeAfterDays"] == expected["retention"]["schedule"]["purge_after_days"]
    assert expected["retention"]["sensor"]["purge_after_days"].items() <= retention["sensor"]["purgeAfterDays"].items()


def test_compose_instance_is_written_by_the_entry_point_for_the_env_file():
    """Compose's Dagster processes read the dagster.yaml that the entry point writes from
    instance.py; with the env file's variables, that is the prod instance."""
    assert "python -m orchestration.platform.instance yaml" in ENTRYPOINT.read_text()
    assert yaml.safe_load(dict(dockerfile())["ENTRYPOINT"]) == [IMAGE_ROOT + "deploy/entrypoint.sh"]
    assert not [name for name, service in lakehouse_services().items() if "entrypoint" in service]
    deployed = load_settings(env_example())
    assert deployed.environment == "prod"
    assert instance_config(deployed) == instance_config(settings_for("prod"))
    assert deployed.lake_credentials.mode  # raises unless exactly one authentication mode is set


# --- variables and secrets ---


def test_compose_and_env_file_name_the_same_variables():
    used = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    defined = set(env_example())
    assert used == defined, (
        f"only in compose.yaml: {sorted(used - defined)}; only in .env.example: {sorted(defined - used)}"
    )


def test_env_file_lists_every_variable_the_platform_reads():
    sources = {
        str(value)
        for environment in ("staging", "prod")
        for options in SOURCE_CONNECTIONS[environment].values()
        for key, value in options.items()
        if key.endswith("_env")
    }
    lake = {name for variables in LAKE_AUTH_MODES.values() for name in variables}
    # every variable the settings and the alerts name in a constant (serving, UI, schedule, alerts...)
    constants = {
        value
        for module in (settings, alerts)
        for value in vars(module).values()
        if isinstance(value, str) and re.fullmatch(r"LAKEHOUSE_[A-Z0-9_]*[A-Z0-9]", value)
    }
    read_by_load_settings = {"LAKEHOUSE_ENV", "LAKEHOUSE_DATA_DIR", "LAKEHOUSE_LAKE_ROOT"}
    needed = sources | lake | constants | read_by_load_settings | set(POSTGRES_VARIABLES.values())
    assert not needed - set(env_example()), f"deploy/.env.example misses {sorted(needed - set(env_example()))}"


def test_each_code_server_gets_its_own_sources_variables_only():
    def variables(connections) -> set[str]:
        options = [SOURCE_CONNECTIONS["prod"][name] for name in connections]
        return {str(v) for o in options for k, v in o.items() if k.endswith("_env")}

    every_source = variables(SOURCE_CONNECTIONS["prod"])
    specs = load_all()
    for department in all_departments():
        own = variables({spec.connection for spec in specs if spec.department == department})
        given = set(lakehouse_services()[f"location-{department}"]["environment"]) & every_source
        assert given == own, f"location-{department} gets {sorted(given)}, its sources need {sorted(own)}"


def test_secret_detection_finds_a_literal_and_accepts_references():
    assert secret_literals({"db": {"password": "hunter2"}, "env": ["API_TOKEN=abc123"]}) == [
        "db.password",
        "env.0.API_TOKEN",
    ]
    assert not secret_literals({"password": "${DB_PASSWORD:?set it}", "token": "<token>", "secretName": "db-secret"})


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_no_secret_is_written_in_a_deployment_file(path):
    assert not secret_literals(load(path)), f"{path.name} holds a secret value: use a variable or a Secret"


def test_no_secret_is_written_in_the_env_file_or_the_dockerfile():
    assert not secret_literals(env_example()), ".env.example holds real secrets: use <placeholders>"
    env_lines = [arguments for instruction, arguments in dockerfile() if instruction in ("ENV", "ARG")]
    assert not secret_literals(env_lines)


def test_compose_config_is_valid():
    docker = shutil.which("docker")
    has_compose = docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    if not has_compose:
        pytest.skip("`docker compose` is not installed here: compose.yaml is checked only by the other tests")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
