"""Affiliations sportives: affiliations by season, age band, gender and commune."""

import streamlit as st

from dashboard import data, ui

PAGE = "sport_affiliations"
TITLE = "Affiliations sportives"
TABLE = "gld_sport__affiliations"
RELATION = f"{data.SCHEMA}.{TABLE}"
AGE_BANDS = ("00-11", "12-17", "18-34", "35-59", "60+", "INCONNU")  # the model's accepted values
GENDERS = ("F", "M", "X")


def queries(seasons=(), genders=(), communes=()) -> dict[str, data.Query]:
    where, params = data.matching(season=seasons, gender=genders, commune_nis_code=communes)
    # every season, for the comparison between seasons
    all_seasons, all_seasons_params = data.matching(gender=genders, commune_nis_code=communes)
    bands = ", ".join(f"'{band}'" for band in AGE_BANDS)
    return {
        "totals": (
            "select sum(affiliation_count) as total, "
            + ", ".join(
                f"coalesce(sum(affiliation_count) filter (where gender = '{g}'), 0) as \"{g}\"" for g in GENDERS
            )
            + f" from {RELATION} where {where}",
            params,
        ),
        "by_age_band": (
            f"select age_band, gender, sum(affiliation_count) as affiliations from {RELATION} "
            f"where {where} group by all order by all",
            params,
        ),
        "by_season": (
            f"select season, sum(affiliation_count) as affiliations from {RELATION} "
            f"where {all_seasons} group by all order by all",
            all_seasons_params,
        ),
        "by_commune": (
            f"pivot (select commune_name, age_band, affiliation_count from {RELATION} "
            f"where {where}) on age_band in ({bands}) using coalesce(sum(affiliation_count), 0) "
            "order by commune_name",
            params,
        ),
    }


def render(connection) -> None:
    seasons = data.column(connection, f"select distinct season from {RELATION} order by 1 desc")
    communes = data.labels(connection, f"select distinct commune_nis_code, commune_name from {RELATION} order by 2")
    left, middle, right = st.columns(3)
    season = left.selectbox("Saison", seasons)
    genders = middle.multiselect("Genre", GENDERS, placeholder="Tous")
    chosen = right.multiselect("Communes", communes, format_func=communes.get, placeholder="Toutes les communes")
    result = data.run(connection, queries([season], genders, chosen))

    totals = result["totals"].iloc[0]
    ui.metrics(
        {
            f"Affiliations {season}": ui.number(totals.total),
            **{f"Genre {g}": ui.number(totals[g]) for g in GENDERS},
        }
    )
    st.subheader("Par tranche d'âge")
    ui.bar_chart(
        result["by_age_band"],
        "age_band",
        "affiliations",
        {"age_band": "Tranche d'âge", "affiliations": "Affiliations", "gender": "Genre"},
        series="gender",
    )
    st.subheader("Par saison")
    ui.bar_chart(result["by_season"], "season", "affiliations", {"season": "Saison", "affiliations": "Affiliations"})
    st.subheader("Par commune et tranche d'âge")
    ui.table(
        result["by_commune"],
        {
            "commune_name": ("Commune", None),
            **{band: (f"{band} ans" if band[0].isdigit() else "Âge inconnu", 0) for band in AGE_BANDS},
        },
    )
