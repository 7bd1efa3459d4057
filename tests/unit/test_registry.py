from pathlib import Path

import pytest

from orchestration.defs.ingestion.assets import REGISTRY_PATH
from orchestration.lib.registry import RegistryError, load_registry
from orchestration.lib.sample_data import SCHEMAS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.yml"
    path.write_text(text)
    return path


def test_shipped_registry_declares_every_sample_table():
    specs = load_registry(REGISTRY_PATH)
    assert {(s.system, s.table) for s in specs} == {
        (system, table) for system, tables in SCHEMAS.items() for table in tables
    }
    for spec in specs:
        columns = SCHEMAS[spec.system][spec.table]
        assert set(spec.primary_key) <= set(columns), spec.name
        assert spec.cursor is None or spec.cursor in columns, spec.name
        assert set(spec.personal_data) <= set(columns), spec.name


def test_bad_yaml_names_the_file(tmp_path):
    with pytest.raises(RegistryError, match="registry.yml: not valid YAML"):
        load_registry(write(tmp_path, "systems: [unclosed"))


def test_unknown_mode_names_the_entry(tmp_path):
    path = write(
        tmp_path,
        "systems:\n  s:\n    owner: a@b.c\n    tables:\n      t:\n"
        "        description: d\n        primary_key: [id]\n        mode: full\n",
    )
    with pytest.raises(RegistryError, match=r"systems\.s\.tables\.t: mode 'full'"):
        load_registry(path)


def test_incremental_without_cursor_is_refused(tmp_path):
    path = write(
        tmp_path,
        "systems:\n  s:\n    owner: a@b.c\n    tables:\n      t:\n"
        "        description: d\n        primary_key: [id]\n        mode: incremental\n",
    )
    with pytest.raises(RegistryError, match="needs `cursor:`"):
        load_registry(path)


def test_misspelt_key_is_refused(tmp_path):
    path = write(
        tmp_path,
        "systems:\n  s:\n    owner: a@b.c\n    tables:\n      t:\n"
        "        description: d\n        primary_key: [id]\n        mode: snapshot\n"
        "        primary_keys: [id]\n",
    )
    with pytest.raises(RegistryError, match=r"unknown key\(s\) \['primary_keys'\]"):
        load_registry(path)


def test_missing_owner_is_refused(tmp_path):
    path = write(
        tmp_path,
        "systems:\n  s:\n    tables:\n      t:\n"
        "        description: d\n        primary_key: [id]\n        mode: snapshot\n",
    )
    with pytest.raises(RegistryError, match="`owner:` is required"):
        load_registry(path)
