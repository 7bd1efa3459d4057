"""The assistant's pure pieces: its word match, its guesses, and a registry entry added in place."""

import pytest
import yaml

from orchestration.assistant.authoring import KEY_NAME, DraftError, add_table, draft_model
from orchestration.assistant.catalogue import words
from orchestration.platform.privacy import looks_personal
from orchestration.platform.settings import settings_for

REGISTRY = """\
# Culture: the source tables it lands.
type: orchestration.platform.components.SourceSystems
attributes:
  systems:
    subventions:
      owner: culture-data-steward@example.be
      tables:
        paiement:
          description: Payments.  # inline comment kept
          primary_key: [id_paiement]
          mode: snapshot

        # a comment between entries
        demande:
          description: Requests.
          primary_key: [id_demande]
          mode: snapshot
    autre:
      owner: x@example.be
      tables:
        t:
          description: T.
          primary_key: [id]
          mode: snapshot
"""


def test_words_fold_plurals_and_case_so_a_question_finds_its_table():
    assert {"paiement", "subvention", "grant"} <= words("Paiements des Subventions (grants)")
    assert "de" not in words("de la")  # two letters: not a word to search on


@pytest.mark.parametrize(
    ("column", "personal"),
    [
        ("nom", True),
        ("prenom", True),
        ("courriel", True),
        ("date_naissance", True),
        ("email", True),
        ("numero_registre_national", True),
        ("nombre", False),
        ("genre", False),
        ("montant", False),
    ],
)
def test_personal_columns_are_guessed_from_their_names(column, personal):
    assert looks_personal(column) is personal


def test_key_columns_are_guessed_from_their_names():
    assert [c for c in ("id", "id_club", "club_id", "idee", "valide") if KEY_NAME.match(c)] == [
        "id",
        "id_club",
        "club_id",
    ]


def test_a_table_is_added_at_the_end_of_its_system_keeping_every_comment(tmp_path):
    path = tmp_path / "defs.yaml"
    path.write_text(REGISTRY)
    entry = {"description": "Beneficiaries.", "primary_key": ["id_beneficiaire"], "mode": "snapshot"}
    add_table(path, "subventions", "beneficiaire", entry)
    text = path.read_text()
    tables = yaml.safe_load(text)["attributes"]["systems"]["subventions"]["tables"]
    assert list(tables) == ["paiement", "demande", "beneficiaire"] and tables["beneficiaire"] == entry
    assert "# inline comment kept" in text and "# a comment between entries" in text
    assert list(yaml.safe_load(text)["attributes"]["systems"]["autre"]["tables"]) == ["t"]


def test_a_table_of_an_unknown_system_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "defs.yaml"
    path.write_text(REGISTRY)
    with pytest.raises(DraftError, match="no `archives:` block"):
        add_table(path, "archives", "fonds", {"description": "x"})
    assert path.read_text() == REGISTRY


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("culture_totals", "int_<department>__<entity> or gld_<department>__<entity>"),
        ("gld_nulle__totaux", "No department 'nulle'"),
    ],
)
def test_a_model_drafted_under_a_wrong_name_is_refused_before_anything_is_written(tmp_path, name, message):
    with pytest.raises(DraftError, match=message):
        draft_model(settings_for("local", data_dir=tmp_path), name, "select 1 as x", "x", [{"name": "x"}], ["x"])
