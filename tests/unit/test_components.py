"""A department's YAML is checked against the component's schema when its location loads:
wrong indentation, unknown keys and missing fields are errors naming the file and line."""

import importlib
import sys
import uuid

import dagster as dg
import pytest

from orchestration.platform.components import SourceSystems, describe

GOOD = """\
type: orchestration.platform.components.SourceSystems
attributes:
  systems:
    crm:
      owner: crm-steward@example.be
      tables:
        contrat:
          description: Contracts.
          primary_key: [id]
          mode: snapshot
"""


def load(tmp_path, text: str) -> dg.Definitions:
    """The definitions of a department folder holding one sources file with `text`."""
    package = f"dept_{uuid.uuid4().hex[:8]}"
    sources = tmp_path / package / "defs" / "sources"
    sources.mkdir(parents=True)
    for folder in (tmp_path / package, tmp_path / package / "defs"):
        (folder / "__init__.py").write_text("")
    (sources / "defs.yaml").write_text(text)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module(f"{package}.defs")
        return dg.ComponentTree.from_module(defs_module=module, project_root=tmp_path).build_defs()
    finally:
        sys.path.remove(str(tmp_path))


def test_a_valid_file_gives_the_source_and_its_landed_asset(tmp_path):
    defs = load(tmp_path, GOOD)
    keys = {
        key.to_user_string() for asset in defs.assets for key in getattr(asset, "keys", [getattr(asset, "key", None)])
    }
    assert keys == {"source/crm/contrat", "raw/crm/contrat"}


@pytest.mark.parametrize(
    ("broken", "reported"),
    [
        # an unknown key (a misspelling)
        (GOOD.replace("primary_key:", "primary_keys:"), "primary_keys"),
        # a missing field
        (GOOD.replace("          mode: snapshot\n", ""), "mode"),
        # wrong indentation: a second table written at the level of `tables:` lands in the system
        (
            GOOD
            + "      facture:\n        description: Invoices.\n        primary_key: [id]\n        mode: snapshot\n",
            "facture",
        ),
    ],
)
def test_a_wrong_entry_is_an_error_with_file_and_line(tmp_path, broken, reported):
    with pytest.raises(Exception) as error:  # noqa: PT011 (Dagster wraps the schema error)
        load(tmp_path, broken)
    message = str(error.value) + "".join(str(e) for e in _causes(error.value))
    assert "defs.yaml:" in message and reported in message, message


def _causes(error: BaseException):
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
        yield error


def test_the_components_document_every_field():
    text = describe(SourceSystems)
    assert "Import source tables and Denodo views into the lake" in text
    for field in ("primary_key", "mode", "cursor", "partition_by", "schema_policy", "schema"):
        assert f"  {field} " in text
