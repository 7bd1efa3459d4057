"""Opérateurs culturels par commune: operators per commune and per 10,000 inhabitants."""

import streamlit as st

from dashboard import data, ui

PAGE = "culture_operateurs"
TITLE = "Opérateurs culturels par commune"
TABLE = "gld_culture__operateurs_par_commune"
RELATION = f"{data.SCHEMA}.{TABLE}"
PER_10K = "sum(operator_count) filter (where population is not null) * 10000.0 / sum(population)"


def queries(provinces=()) -> dict[str, data.Query]:
    where, params = data.matching(province_code=provinces)
    return {
        "totals": (
            f"select count(*) as communes, sum(operator_count) as operators, "
            f"sum(population) as population, {PER_10K} as per_10k from {RELATION} where {where}",
            params,
        ),
        "by_province": (
            f"select province_name, {PER_10K} as per_10k from {RELATION} where {where} "
            "group by all order by per_10k desc, province_name",
            params,
        ),
        "communes": (
            f"select province_name, commune_name, commune_nis_code, population, operator_count, "
            f"operators_per_10k_inhabitants from {RELATION} where {where} "
            "order by province_name, operators_per_10k_inhabitants desc nulls last, commune_name",
            params,
        ),
    }


def render(connection) -> None:
    provinces = data.labels(connection, f"select distinct province_code, province_name from {RELATION} order by 2")
    chosen = st.multiselect("Provinces", provinces, format_func=provinces.get, placeholder="Toutes les provinces")
    result = data.run(connection, queries(chosen))

    totals = result["totals"].iloc[0]
    ui.metrics(
        {
            "Communes": ui.number(totals.communes),
            "Opérateurs": ui.number(totals.operators),
            "Habitants": ui.number(totals.population),
            "Opérateurs pour 10 000 habitants": ui.number(totals.per_10k, 2),
        }
    )
    st.subheader("Par province")
    ui.bar_chart(
        result["by_province"],
        "province_name",
        "per_10k",
        {"province_name": "Province", "per_10k": "Opérateurs pour 10 000 habitants"},
        decimals=2,
    )
    st.subheader("Par commune")
    ui.table(
        result["communes"],
        {
            "province_name": ("Province", None),
            "commune_name": ("Commune", None),
            "commune_nis_code": ("Code INS", None),
            "population": ("Habitants", 0),
            "operator_count": ("Opérateurs", 0),
            "operators_per_10k_inhabitants": ("Opérateurs pour 10 000 hab.", 2),
        },
    )
