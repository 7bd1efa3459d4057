"""The README's guides, executed word for word on one copy of the project: the analyst's guide
(a source table and a gold model), then the department guide (a new code location).

Every fenced block after a `<!-- guide: ... -->` (`<!-- guide-department: ... -->`) marker is
applied in order: `run` blocks are
run by bash in the copy, `append`/`create` blocks are written to the named file, `add-model`
blocks are added under `models:` of the named YAML file. Then each new gold table is checked
against the generator's own rows.
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.demo.sample_data import COMMUNES, FEDERATION_ROWS, SampleSpec, generate_rows
from orchestration.platform.scaffold import add_to_section
from orchestration.platform.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e
STEP = re.compile(
    r"<!-- (?P<guide>guide|guide-department): (?P<action>[a-z-]+) ?(?P<path>\S*) -->\n```\w*\n(?P<body>.*?)```", re.S
)
NOT_COPIED = {".venv", "data", "target", "logs", ".dagster_home", "node_modules", "test-artifacts", ".git"}


def guide_steps(guide: str) -> list[tuple[str, str, str]]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    return [(m["action"], m["path"], m["body"]) for m in STEP.finditer(readme) if m["guide"] == guide]


def follow(steps, project: Path, env: dict) -> None:
    for action, path, body in steps:
        if action == "run":
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", body], cwd=project, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"guide step failed: {body}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        elif action == "append":
            with open(project / path, "a") as handle:
                handle.write(body)
        elif action == "create":
            (project / path).parent.mkdir(parents=True, exist_ok=True)
            (project / path).write_text(body)
        elif action == "add-model":
            [entry] = yaml.safe_load(body)
            add_to_section(project / path, entry, "models", indent=2, where=lambda d: d["models"])
        else:
            pytest.fail(f"unknown guide action {action!r}")


def test_readme_guides_add_a_source_table_a_gold_model_and_a_department(tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT, project, ignore=lambda d, names: NOT_COPIED & set(names))
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv_bin.parent),  # the installed environment, no download
        "UV_OFFLINE": "1",
        "LAKEHOUSE_DATA_DIR": str(project / "data"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
    }
    subprocess.run(["make", "sample"], cwd=project, env=env, check=True, capture_output=True)

    analyst, department = guide_steps("guide"), guide_steps("guide-department")
    assert len(analyst) >= 8 and len(department) >= 6, "a guide lost its steps"
    follow(analyst, project, env)
    rows = generate_rows(SampleSpec())
    discipline = {name: d for name, d, _, _ in FEDERATION_ROWS}
    expected = Counter(discipline[club[2].strip()] for club in rows["sport"]["club"])
    with duckdb.connect(str(project / "data/serving/lakehouse.duckdb"), read_only=True) as db:
        actual = dict(db.execute("select discipline, club_count from gld.gld_sport__clubs_par_discipline").fetchall())
    assert actual == dict(expected)

    # the department guide, on the same copy (the reference data is built by now)
    follow(department, project, env)
    places: dict[str, list[int]] = {}
    province = {code: province for code, _, _, province, _ in COMMUNES}
    for _, _, commune, count, _ in rows["jeunesse"]["centre"]:
        places.setdefault(province[commune], []).append(count)
    with duckdb.connect(str(project / "data/serving/lakehouse.duckdb"), read_only=True) as db:
        actual = {
            code: (centres, int(total))
            for code, centres, total in db.execute(
                "select province_code, centre_count, place_count from gld.gld_jeunesse__places_par_province"
            ).fetchall()
        }
        assert "gld_sport__clubs_par_discipline" in {
            n for (n,) in db.execute("select table_name from gld._published").fetchall()
        }  # the other departments' still served
    assert actual == {code: (len(p), sum(p)) for code, p in places.items()}
    workspace = yaml.safe_load((project / "workspace.yaml").read_text())
    assert "jeunesse" in {e["python_module"]["location_name"] for e in workspace["load_from"]}
