"""What every page shows the same way: its header (freshness, lineage) and number formats."""

from datetime import UTC, datetime

import streamlit as st

from dashboard import data

NBSP = "\u00a0"


def number(value: float | int | None, decimals: int = 0) -> str:
    """French formatting: 1 234 567,89 (no-break spaces)."""
    if value is None or value != value:  # None or NaN
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def euros(value: float | None) -> str:
    return f"{number(value, 2)}{NBSP}€"


def age(published_at: datetime, now: datetime) -> str:
    minutes = int((now - published_at).total_seconds() // 60)
    if minutes < 60:
        return f"il y a {minutes} min"
    if minutes < 48 * 60:
        return f"il y a {minutes // 60} h"
    return f"il y a {minutes // (24 * 60)} jours"


def described(data_as_of) -> str:
    """The date the data describes, as readers say it."""
    return f"données au {data_as_of:%d/%m/%Y}" if data_as_of else "date des données inconnue"


def header(connection, title: str, table: str) -> None:
    data_as_of, published_at, rows = data.freshness(connection, table)
    st.title(title)
    st.caption(
        f"Table `{table}` · {described(data_as_of)} · publiée le "
        f"{published_at:%d/%m/%Y %H:%M} UTC ({age(published_at, datetime.now(UTC))}) · "
        f"{number(rows)} lignes · [lignage dans Dagster]({data.lineage_url(table)})"
    )


def metrics(values: dict[str, str]) -> None:
    for column, (label, value) in zip(st.columns(len(values)), values.items()):
        column.metric(label, value)
