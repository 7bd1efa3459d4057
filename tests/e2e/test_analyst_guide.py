"""The README's analyst guide, executed word for word on a copy of the project.

Every fenced block after a `<!-- guide: ... -->` marker is applied in order: `run` blocks are
run by bash in the copy, `append`/`create` blocks are written to the named file, `add-model`
blocks are added under `models:` of the named YAML file. Then the new gold table is checked
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

from orchestration.demo.sample_data import FEDERATION_ROWS, SampleSpec, generate_rows
from orchestration.platform.scaffold import add_to_section
from orchestration.platform.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e
STEP = re.compile(r"<!-- guide: (?P<action>[a-z-]+) ?(?P<path>\S*) -->\n```\w*\n(?P<body>.*?)```", re.S)
NOT_COPIED = {".venv", "data", "target", "logs", ".dagster_home", "node_modules", "test-artifacts", ".git"}


def guide_steps() -> list[tuple[str, str, str]]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    steps = [(m["action"], m["path"], m["body"]) for m in STEP.finditer(readme)]
    assert len(steps) >= 8, "the guide lost its steps"
    return steps


def test_readme_guide_adds_a_source_table_and_a_gold_model(tmp_path: Path):
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

    for action, path, body in guide_steps():
        if action == "run":
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=project, env=env,
                                  capture_output=True, text=True)
            assert done.returncode == 0, f"guide step failed: {body}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        elif action == "append":
            with open(project / path, "a") as handle:
                handle.write(body)
        elif action == "create":
            (project / path).write_text(body)
        elif action == "add-model":
            [entry] = yaml.safe_load(body)
            add_to_section(project / path, entry, "models", indent=2, where=lambda d: d["models"])
        else:
            pytest.fail(f"unknown guide action {action!r}")

    rows = generate_rows(SampleSpec())
    discipline = {name: d for name, d, _, _ in FEDERATION_ROWS}
    expected = Counter(discipline[club[2].strip()] for club in rows["sport"]["club"])
    with duckdb.connect(str(project / "data/serving/lakehouse.duckdb"), read_only=True) as db:
        actual = dict(db.execute(
            "select discipline, club_count from gld.gld_sport__clubs_par_discipline"
        ).fetchall())
    assert actual == dict(expected)
