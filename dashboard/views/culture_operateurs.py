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
            f"select province_code, {PER_10K} as per_10k from {RELATION} where {where} group by all order by all",
            params,
        ),
        "communes": (
            f"select province_code, commune_name, commune_nis_code, population, operator_count, "
            f"operators_per_10k_inhabitants from {RELATION} where {where} "
            "order by province_code, operators_per_10k_inhabitants desc nulls last, commune_name",
            params,
        ),
    }


def render(connection) -> None:
    provinces = data.column(connection, f"select distinct province_code from {RELATION} order by 1")
    chosen = st.multiselect("Provinces", provinces, placeholder="Toutes les provinces")
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
    st.bar_chart(
        result["by_province"], x="province_code", y="per_10k", x_label="province", y_label="opérateurs / 10 000 hab."
    )
    st.subheader("Par commune")
    communes = result["communes"]
    st.dataframe(
        communes,
        hide_index=True,
        use_container_width=True,
        column_config={
            "province_code": "Province",
            "commune_name": "Commune",
            "commune_nis_code": "Code INS",
            "population": st.column_config.NumberColumn("Habitants", format="localized"),
            "operator_count": "Opérateurs",
            "operators_per_10k_inhabitants": st.column_config.ProgressColumn(
                "Opérateurs / 10 000 hab.",
                format="%.2f",
                min_value=0,
                max_value=float(communes.operators_per_10k_inhabitants.max() or 1),
            ),
        },
    )
