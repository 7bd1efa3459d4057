import textwrap
from pathlib import Path

import pytest

from orchestration.demo.sample_data import GUIDE_TABLES, SCHEMAS
from orchestration.platform.registry import SOURCES_COMPONENT, RegistryError, load_all, load_registry, registry_files


def write(tmp_path: Path, text: str) -> Path:
    """`text` (a `systems:` mapping) as the attributes of a SourceSystems component file; its
    lines move down by two."""
    path = tmp_path / "registry.yml"
    path.write_text(f"type: {SOURCES_COMPONENT}\nattributes:\n" + textwrap.indent(text, "  "))
    return path


def test_shipped_registry_declares_every_sample_table():
    specs = load_all()
    assert {(s.system, s.table) for s in specs} == {
        (system, table) for system, tables in SCHEMAS.items() for table in tables
    } - GUIDE_TABLES
    for spec in specs:
        columns = SCHEMAS[spec.system][spec.table]
        assert set(spec.primary_key) <= set(columns), spec.name
        assert spec.cursor is None or spec.cursor in columns, spec.name
        assert set(spec.personal_data) <= set(columns), spec.name


def entry(extra: str) -> str:
    return (
        "systems:\n  s:\n    owner: a@b.c\n    tables:\n      t:\n"
        "        description: d\n        primary_key: [id]\n" + extra
    )


def test_bad_yaml_names_the_file(tmp_path):
    with pytest.raises(RegistryError, match="registry.yml: not valid YAML"):
        load_registry(write(tmp_path, "systems: [unclosed"))
    (tmp_path / "other.yaml").write_text("systems: {}\n")
    with pytest.raises(RegistryError, match=f"other.yaml: expected `type: {SOURCES_COMPONENT}`"):
        load_registry(tmp_path / "other.yaml")


def test_unknown_mode_names_the_entry(tmp_path):
    with pytest.raises(RegistryError, match=r"systems\.s\.tables\.t: mode 'full'"):
        load_registry(write(tmp_path, entry("        mode: full\n")))


def test_missing_owner_is_refused(tmp_path):
    path = write(
        tmp_path,
        "systems:\n  s:\n    tables:\n      t:\n"
        "        description: d\n        primary_key: [id]\n        mode: snapshot\n",
    )
    with pytest.raises(RegistryError, match="`owner:` is required"):
        load_registry(path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("        mode: incremental\n", "needs `cursor:`"),
        ("        mode: snapshot\n        primary_keys: [id]\n", r"unknown key\(s\) \['primary_keys'\]"),
        ("        mode: snapshot\n        lookback_days: 2\n", "for incremental tables only"),
        ("        mode: incremental\n        cursor: c\n        grain: week\n", "grain 'week'"),
        ("        mode: snapshot\n        schema_policy: strict\n", "schema_policy 'strict'"),
        ("        mode: snapshot\n        table: x\n        query: select 1\n", "either `query:` or `table:`"),
    ],
)
def test_bad_options_name_the_entry(tmp_path, extra, message):
    with pytest.raises(RegistryError, match=rf"systems\.s\.tables\.t: .*{message}"):
        load_registry(write(tmp_path, entry(extra)))


def test_options_are_read_with_their_defaults(tmp_path):
    [spec] = load_registry(
        write(
            tmp_path,
            entry(
                "        mode: incremental\n        cursor: signe_le\n        lookback_days: 3\n"
                "        grain: month\n        schema_policy: freeze\n        table: T_CONTRAT\n"
                "        schema: app\n        connection: crm\n"
            ),
        )
    )
    assert (spec.lookback_days, spec.grain, spec.schema_policy, spec.connection) == (3, "month", "freeze", "crm")
    assert (spec.source.table, spec.source.namespace, spec.table) == ("T_CONTRAT", "app", "t")


def test_every_registry_connection_is_defined_in_every_environment():
    from orchestration.platform.settings import ENVIRONMENTS, settings_for

    for environment in ENVIRONMENTS:
        defined = settings_for(environment).connections
        for spec in load_all():
            assert spec.connection in defined, f"{spec.where}: {spec.connection!r} missing in {environment}"


TWO_TABLES = """\
systems:
  s:
    owner: a@b.c
    tables:
      t:
        description: d
        primary_key: [id]
        mode: snapshot
{second}"""


@pytest.mark.parametrize(
    ("second", "message"),
    [
        # a copy-paste slip: YAML alone would keep only the second `t`, silently
        (
            "      t:\n        description: e\n        primary_key: [id]\n        mode: snapshot\n",
            r"registry.yml:11: systems\.s\.tables\.t: declared twice \(first at line 7\)",
        ),
        # a table indented at the level of `tables:` lands under the system
        (
            "    u:\n      description: e\n      primary_key: [id]\n      mode: snapshot\n",
            r"registry.yml:11: systems\.s: unknown key 'u' for a system .*indent it under `tables:`",
        ),
        # a table indented one level too deep lands inside the previous table
        (
            "        u:\n          description: e\n",
            r"registry.yml:11: systems\.s\.tables\.t: unknown key\(s\) \['u'\].*indent it under `tables:`",
        ),
        (
            "        mode: incremental\n",
            r"registry.yml:11: systems\.s\.tables\.t\.mode: declared twice \(first at line 10\)",
        ),
    ],
)
def test_entries_that_do_not_parse_as_meant_name_file_and_line(tmp_path, second, message):
    with pytest.raises(RegistryError, match=message):
        load_registry(write(tmp_path, TWO_TABLES.format(second=second)))


def test_a_system_without_tables_is_refused(tmp_path):
    path = write(tmp_path, "systems:\n  s:\n    owner: a@b.c\n    tables:\n")
    with pytest.raises(RegistryError, match=r"registry.yml:4: systems\.s: the system declares no table"):
        load_registry(path)


def test_the_entry_line_travels_with_the_spec(tmp_path):
    [spec] = load_registry(write(tmp_path, TWO_TABLES.format(second="")))
    assert spec.where == "registry.yml:7: systems.s.tables.t"


def test_partition_by_is_for_incremental_tables_and_defaults_to_the_cursor(tmp_path):
    [spec] = load_registry(
        write(tmp_path, entry("        mode: incremental\n        cursor: updated_at\n        partition_by: paye_le\n"))
    )
    assert (spec.cursor, spec.partition_by) == ("updated_at", "paye_le")
    [spec] = load_registry(write(tmp_path, entry("        mode: incremental\n        cursor: c\n")))
    assert spec.partition_by == "c"
    with pytest.raises(RegistryError, match="`partition_by:` names one date or timestamp column"):
        load_registry(write(tmp_path, entry("        mode: snapshot\n        partition_by: c\n")))


def test_make_lint_reports_a_registry_mistake(tmp_path):
    from orchestration.platform.conventions import registry_violations

    path = write(tmp_path, "systems:\n  s:\n    owner: a@b.c\n    tables:\n")
    [violation] = registry_violations(path)
    assert "registry.yml:4: systems.s: the system declares no table" in str(violation)
    assert all(registry_violations(path) == [] for path in registry_files())


def test_a_system_belongs_to_one_department(tmp_path, monkeypatch):
    from orchestration.platform import registry

    for department in ("a", "b"):
        folder = tmp_path / department / "defs" / "sources"
        folder.mkdir(parents=True)
        write(folder, TWO_TABLES.format(second="")).rename(folder / "defs.yaml")
    monkeypatch.setattr(registry, "LOCATIONS_DIR", tmp_path)
    with pytest.raises(RegistryError, match=r"defs.yaml:7: system 's' is already declared by department a"):
        registry.load_all()


def test_each_table_knows_its_department():
    assert {s.system: s.department for s in load_all()} == {
        "denodo": "referentiel",
        "subventions": "culture",
        "sport": "sport",
    }
