"""Subventions culturelles: grants requested and paid by month, sector and province."""

import streamlit as st

from dashboard import data, ui

PAGE = "culture_subventions"  # the page's URL path and its dbt exposure
TITLE = "Subventions culturelles"
TABLE = "gld_culture__subventions_mensuelles"
RELATION = f"{data.SCHEMA}.{TABLE}"


def queries(sectors=(), provinces=(), months=()) -> dict[str, data.Query]:
    where, params = data.matching(sector_code=sectors, province_code=provinces, month=months)
    return {
        "totals": (
            f"select sum(requested_amount) as requested, sum(request_count) as requests, "
            f"sum(paid_amount) as paid, sum(payment_count) as payments from {RELATION} where {where}",
            params,
        ),
        "paid_by_month": (
            f"select strftime(month, '%Y-%m') as mois, sector_label as secteur, "
            f'sum(paid_amount) as "payé" from {RELATION} where {where} group by all order by all',
            params,
        ),
        "by_province": (
            f'select province_name as province, sum(requested_amount) as "demandé", '
            f'sum(paid_amount) as "payé" from {RELATION} where {where} group by all order by 3 desc',
            params,
        ),
        "detail": (
            f"select month, sector_label, province_name, requested_amount, request_count, "
            f"paid_amount, payment_count from {RELATION} where {where} "
            "order by month, sector_label, province_name",
            params,
        ),
    }


def render(connection) -> None:
    sectors = data.labels(connection, f"select distinct sector_code, sector_label from {RELATION} order by 2")
    provinces = data.labels(connection, f"select distinct province_code, province_name from {RELATION} order by 2")
    months = data.column(connection, f"select distinct month from {RELATION} order by 1")
    left, middle, right = st.columns(3)
    chosen_sectors = left.multiselect("Secteurs", sectors, format_func=sectors.get, placeholder="Tous les secteurs")
    chosen_provinces = middle.multiselect(
        "Provinces", provinces, format_func=provinces.get, placeholder="Toutes les provinces"
    )
    first, last = (
        right.select_slider("Mois", months, value=(months[0], months[-1]), format_func="{:%m/%Y}".format)
        if len(months) > 1
        else (months[0], months[0])
    )
    chosen_months = [m for m in months if first <= m <= last]
    result = data.run(connection, queries(chosen_sectors, chosen_provinces, chosen_months))

    totals = result["totals"].iloc[0]
    ui.metrics({"Montant demandé": ui.euros(totals.requested), "Montant payé": ui.euros(totals.paid)})
    ui.metrics({"Demandes": ui.number(totals.requests), "Paiements": ui.number(totals.payments)})
    st.subheader("Subventions payées par mois")
    st.line_chart(result["paid_by_month"], x="mois", y="payé", color="secteur", y_label="payé (€)")
    st.subheader("Par province")
    st.bar_chart(result["by_province"], x="province", y=["demandé", "payé"], stack=False, y_label="€")
    st.subheader("Détail")
    st.dataframe(
        result["detail"],
        hide_index=True,
        use_container_width=True,
        column_config={
            "month": st.column_config.DateColumn("Mois", format="MM/YYYY"),
            "sector_label": "Secteur",
            "province_name": "Province",
            "requested_amount": st.column_config.NumberColumn("Demandé (€)", format="%.2f"),
            "request_count": "Demandes",
            "paid_amount": st.column_config.NumberColumn("Payé (€)", format="%.2f"),
            "payment_count": "Paiements",
        },
    )
