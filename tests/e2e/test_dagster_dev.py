"""`make dev`'s server really starts: every department as a code location, lineage unbroken
between them from source tables to dashboards, and a broken department isolated.

The test runs `dagster dev -w workspace.yaml` on a copy of the project to which it adds two
broken departments: one whose Python does not compile, one whose YAML has an unknown key. The
UI must show both errors (the YAML one with its file and line) while every other department
loads and serves its assets. In a real browser, a gold table's page links to its dbt docs page and
its dashboard over HTTP, at the addresses the environment's settings give.
"""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.browser import save_screenshot
from tests.services import copy_project, free_port, graphql, stop_process_group

pytestmark = pytest.mark.e2e

ASSETS = "{ assetNodes { assetKey { path } dependencyKeys { path } repository { location { name } } } }"
LOCATIONS = (
    "{ workspaceOrError { ... on Workspace { locationEntries { name "
    "locationOrLoadError { __typename ... on PythonError { message causes { message } } } } } } }"
)
DOCS_URL, DASHBOARD_URL = "http://docs.lakehouse.test:8080", "http://dashboards.lakehouse.test"
BAD_YAML = """\
type: orchestration.platform.components.SourceSystems
attributes:
  systems:
    archives:
      owner: archives-data-steward@example.be
      tables:
        fonds:
          description: Archival fonds.
          primary_keys: [id_fonds]
          mode: snapshot
"""


def add_broken_departments(project: Path) -> None:
    """`syntaxe` does not compile; `archives` declares a table with a misspelt key."""
    locations = project / "orchestration" / "locations"
    shutil.copytree(locations / "enseignement", locations / "syntaxe")
    (locations / "syntaxe" / "definitions.py").write_text("def defs(:\n")
    sources = locations / "archives" / "defs" / "sources"
    shutil.copytree(locations / "enseignement", locations / "archives")
    for path in (locations / "archives").rglob("*.*"):  # the same department, renamed
        path.write_text(path.read_text().replace("enseignement", "archives"))
    sources.mkdir(parents=True)
    (sources / "defs.yaml").write_text(BAD_YAML)
    workspace = yaml.safe_load((project / "workspace.yaml").read_text())
    for name in ("syntaxe", "archives"):
        workspace["load_from"].append(
            {
                "python_module": {
                    "module_name": f"orchestration.locations.{name}.definitions",
                    "location_name": name,
                }
            }
        )
    (project / "workspace.yaml").write_text(yaml.safe_dump(workspace))


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory) -> Iterator[tuple[int, list, list]]:
    """`dagster dev` on a copy of the project with two broken departments, the docs and dashboards
    at test addresses; yields its port, its code locations (or their errors) and its assets."""
    tmp_path = tmp_path_factory.mktemp("dev")
    project = tmp_path / "project"
    copy_project(project)
    add_broken_departments(project)
    port = free_port()
    bin_dir = Path(sys.executable).parent  # as `uv run` does for `make dev`
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(tmp_path),
        "LAKEHOUSE_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(project),
        "LAKEHOUSE_DOCS_URL": DOCS_URL,
        "LAKEHOUSE_DASHBOARD_URL": DASHBOARD_URL,
    }
    server = subprocess.Popen(
        [str(bin_dir / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as a whole below
    )
    try:
        deadline = time.monotonic() + 240
        entries = None
        while time.monotonic() < deadline:
            try:
                entries = graphql(port, LOCATIONS)["workspaceOrError"]["locationEntries"]
                if all(e["locationOrLoadError"] for e in entries):
                    break
            except (OSError, KeyError, TypeError):
                pass
            assert server.poll() is None, "dagster dev exited"
            time.sleep(2)
        yield port, entries, graphql(port, ASSETS)["assetNodes"]
    finally:
        stop_process_group(server)


def test_departments_load_as_code_locations_with_lineage_between_them(dev_server):
    _, entries, nodes = dev_server
    outcome = {e["name"]: e["locationOrLoadError"] for e in entries}
    for error in outcome.values():  # the error and its causes, as the UI shows them
        error["message"] = "\n".join([error.get("message", ""), *(c["message"] for c in error.get("causes") or [])])
    assert {name for name, o in outcome.items() if o["__typename"] == "RepositoryLocation"} == {
        "referentiel",
        "culture",
        "sport",
        "enseignement",
    }
    assert outcome["syntaxe"]["__typename"] == "PythonError"
    assert "SyntaxError" in outcome["syntaxe"]["message"]
    bad_yaml = outcome["archives"]["message"]
    assert "primary_keys" in bad_yaml and "archives/defs/sources/defs.yaml:" in bad_yaml, bad_yaml

    location = {"/".join(n["assetKey"]["path"]): n["repository"]["location"]["name"] for n in nodes}
    upstream: dict[str, set[str]] = {}
    for n in nodes:
        upstream.setdefault("/".join(n["assetKey"]["path"]), set()).update(
            "/".join(d["path"]) for d in n["dependencyKeys"]
        )

    def ancestors(key: str) -> set[str]:
        seen, todo = set(), [key]
        while todo:
            for parent in upstream.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    assert location["gld/gld_culture__operateurs_par_commune"] == "culture"
    assert location["int/int_territoire__communes"] == "referentiel"
    # a culture gold table shows the reference location's communes, and their source, upstream
    assert {"int/int_territoire__communes", "raw/denodo/bv_commune", "source/denodo/bv_commune"} <= ancestors(
        "gld/gld_culture__operateurs_par_commune"
    )
    assert {"source/subventions/paiement", "raw/subventions/paiement"} <= ancestors("dashboard/culture_subventions")
    for key in [k for k in upstream if k.startswith(("gld/", "dashboard/"))]:
        assert any(a.startswith("source/") for a in ancestors(key)), key


def test_a_gold_asset_page_links_to_its_dbt_docs_and_its_dashboard_over_http(dev_server, browser):
    """The links a steward clicks on a gold table's page: its model's page of the dbt docs site
    and the dashboard page that shows it, both at the environment's addresses, never a file."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    port = dev_server[0]
    browser.get(f"http://127.0.0.1:{port}/assets/gld/gld_culture__subventions_mensuelles")
    docs = f"{DOCS_URL}/static_index.html#!/model/model.lakehouse.gld_culture__subventions_mensuelles"
    dashboard = f"{DASHBOARD_URL}/culture_subventions"

    def links(driver):  # read at once: the page redraws while it loads
        found = set(driver.execute_script("return Array.from(document.querySelectorAll('a'), a => a.href)"))
        return found if {docs, dashboard} <= found else None

    shown = WebDriverWait(browser, 90).until(links)
    assert not [h for h in shown if h and h.startswith("file:")]
    browser.execute_script(  # Dagster's own "join the community" dialog, shown once on a new instance
        "for (const b of document.querySelectorAll('button')) if (b.textContent.trim() === 'Skip') b.click();"
        "const m = Array.from(document.querySelectorAll('div, span')).find(e => e.textContent === 'Metadata');"
        "if (m) m.scrollIntoView();"
    )
    save_screenshot(browser, "dagster", "gold_asset_links")
    # the link's text says where it goes: the row `dashboard: <the page's label>`
    assert "dashboard: Subventions culturelles" in browser.find_element(By.TAG_NAME, "body").text
