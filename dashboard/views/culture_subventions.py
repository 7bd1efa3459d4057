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
            f"select month, sector_label, sum(paid_amount) as paid_amount from {RELATION} "
            f"where {where} group by all order by all",
            params,
        ),
        "by_province": (
            f'unpivot (select province_name, sum(requested_amount) as "Demandé", sum(paid_amount) as "Payé" '
            f"from {RELATION} where {where} group by all) "
            'on "Demandé", "Payé" into name amount_kind value amount order by province_name, amount_kind',
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
    ui.monthly_chart(
        result["paid_by_month"],
        "month",
        "paid_amount",
        "sector_label",
        {"month": "Mois", "paid_amount": "Montant payé (€)", "sector_label": "Secteur"},
    )
    st.subheader("Par province")
    ui.bar_chart(
        result["by_province"],
        "province_name",
        "amount",
        {"province_name": "Province", "amount": "Montant (€)", "amount_kind": "Montant"},
        series="amount_kind",
    )
    st.subheader("Détail")
    ui.table(
        result["detail"],
        {
            "month": ("Mois", "month"),
            "sector_label": ("Secteur", None),
            "province_name": ("Province", None),
            "requested_amount": ("Demandé", "€"),
            "request_count": ("Demandes", 0),
            "paid_amount": ("Payé", "€"),
            "payment_count": ("Paiements", 0),
        },
    )
