"""Écoles ouvertes: schools open by commune, network and level."""

import streamlit as st

from dashboard import data, ui

PAGE = "enseignement_ecoles"
TITLE = "Écoles ouvertes"
TABLE = "gld_enseignement__ecoles_ouvertes"
RELATION = f"{data.SCHEMA}.{TABLE}"


def queries(networks=(), levels=()) -> dict[str, data.Query]:
    where, params = data.matching(network_code=networks, level_code=levels)
    return {
        "totals": (
            f"select sum(open_school_count) as schools, count(distinct commune_nis_code) as communes "
            f"from {RELATION} where {where}",
            params,
        ),
        "by_network_level": (
            f"select network_label, level_label, sum(open_school_count) as schools "
            f"from {RELATION} where {where} group by all order by all",
            params,
        ),
        "by_commune": (
            f"select commune_name, network_label, level_label, open_school_count "
            f"from {RELATION} where {where} order by commune_name, network_label, level_label",
            params,
        ),
    }


def render(connection) -> None:
    networks = data.labels(connection, f"select distinct network_code, network_label from {RELATION} order by 1")
    levels = data.labels(connection, f"select distinct level_code, level_label from {RELATION} order by 1")
    left, right = st.columns(2)
    chosen_networks = left.multiselect("Réseaux", networks, format_func=networks.get, placeholder="Tous les réseaux")
    chosen_levels = right.multiselect("Niveaux", levels, format_func=levels.get, placeholder="Tous les niveaux")
    result = data.run(connection, queries(chosen_networks, chosen_levels))

    totals = result["totals"].iloc[0]
    ui.metrics(
        {
            "Écoles ouvertes": ui.number(totals.schools),
            "Communes avec une école": ui.number(totals.communes),
        }
    )
    st.subheader("Par réseau et niveau")
    ui.bar_chart(
        result["by_network_level"],
        "network_label",
        "schools",
        {"network_label": "Réseau", "schools": "Écoles ouvertes", "level_label": "Niveau"},
        series="level_label",
    )
    st.subheader("Par commune")
    ui.table(
        result["by_commune"],
        {
            "commune_name": ("Commune", None),
            "network_label": ("Réseau", None),
            "level_label": ("Niveau", None),
            "open_school_count": ("Écoles ouvertes", 0),
        },
    )
