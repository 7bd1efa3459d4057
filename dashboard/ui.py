"""What every page shows the same way: its header (freshness, lineage), its charts and tables,
and one locale (fr-BE) for every number, date and time.

Charts are Altair's: Streamlit's own charts label axes with d3's English formats
(`1,500,000`) and let no other locale in, so their axes format numbers through a Vega expression
instead (`french`). Tables keep their numbers (sorting stays numeric) and show them formatted
like the headline figures.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from dashboard import data
from orchestration.platform.versions import VersionGone

NBSP = "\u00a0"
BRUSSELS = ZoneInfo("Europe/Brussels")  # the readers' time: every time the dashboard shows


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


def local_time(moment: datetime) -> str:
    """A moment as the readers' clocks show it: 04/12/2026 18:21 (Europe/Brussels)."""
    return f"{moment.astimezone(BRUSSELS):%d/%m/%Y %H:%M}"


def described(data_as_of) -> str:
    """The date the data describes, as readers say it."""
    return f"données au {data_as_of:%d/%m/%Y}" if data_as_of else "date des données inconnue"


def header(connection, title: str, table: str, as_of: date | None = None) -> None:
    data_as_of, published_at, rows = data.freshness(connection, table)
    st.title(title)
    if as_of:
        st.info(f"Tel que publié le {as_of:%d/%m/%Y} : une version passée de la table, pas la dernière.")
    st.caption(
        f"Table `{table}` · {described(data_as_of)} · publiée le "
        f"{local_time(published_at)} ({age(published_at, datetime.now(UTC))}) · "
        f"{number(rows)} lignes · [lignage dans Dagster]({data.lineage_url(table)})"
    )


def as_of_picker() -> date | None:
    """The day whose publication the pages show, in the sidebar and in the URL (`?as_of=2026-11-03`,
    a link an auditor can keep); none: the current publication."""
    given = st.query_params.get("as_of")
    today = datetime.now(BRUSSELS).date()
    try:
        default = min(date.fromisoformat(given), today) if given else None  # a day to come: today's
    except ValueError:
        default = None
    day = st.sidebar.date_input(
        "Tel que publié le",
        value=default,
        max_value=today,
        format="DD/MM/YYYY",
        help="Montre les tables telles qu'elles étaient publiées à la fin de ce jour. Vide : la dernière publication.",
    )
    if day:
        st.query_params["as_of"] = day.isoformat()
    elif "as_of" in st.query_params:
        del st.query_params["as_of"]
    return day


def unavailable(error: Exception) -> None:
    """Why the page has nothing to show, in the readers' language, instead of a traceback."""
    if isinstance(error, data.NothingAsOf):
        st.info(str(error))
    elif isinstance(error, VersionGone):  # older than the environment keeps
        st.warning(
            "La version publiée à cette date n'est plus conservée ; choisissez un jour plus récent. "
            f"Pour l'équipe data : {error}"
        )
    elif isinstance(error, FileNotFoundError):
        st.info(
            "Aucune table n'est encore publiée dans cet environnement. Elles le seront après la "
            "première exécution du pipeline (en local : `make demo`)."
        )
    else:  # the environment's settings: the operators' message, for the team that runs it
        st.error(f"Le tableau de bord est mal configuré ; à transmettre à l'équipe data : {error}")


def metrics(values: dict[str, str]) -> None:
    for column, (label, value) in zip(st.columns(len(values)), values.items()):
        column.metric(label, value)


def french(decimals: int = 0) -> str:
    """A Vega expression that writes an axis value the French way: 1 500 000 or 2,54."""
    english = f"format(datum.value, ',.{decimals}f')"
    return f"replace(replace(replace({english}, /,/g, '_'), /[.]/g, ','), /_/g, '{NBSP}')"


def bar_chart(
    frame: pd.DataFrame,
    category: str,
    value: str,
    titles: Mapping[str, str],
    series: str | None = None,
    decimals: int = 0,
) -> None:
    """Horizontal bars (long labels stay readable) of `value` by `category`, one bar per `series`
    value side by side; `titles` names each column as readers say it (axes, legend, tooltip)."""
    frame = frame.assign(_shown=frame[value].map(lambda v: number(v, decimals)))
    tooltip = [alt.Tooltip(f"{c}:N", title=titles[c]) for c in (category, series) if c]
    encoding = {
        "y": alt.Y(f"{category}:N", title=titles[category], sort=None, axis=alt.Axis(labelLimit=250)),
        "x": alt.X(f"{value}:Q", title=titles[value], axis=alt.Axis(labelExpr=french(decimals))),
        "tooltip": [*tooltip, alt.Tooltip("_shown:N", title=titles[value])],
    }
    if series:
        encoding |= {"color": alt.Color(f"{series}:N", title=titles[series]), "yOffset": alt.YOffset(f"{series}:N")}
    draw(alt.Chart(frame).mark_bar().encode(**encoding))


def monthly_chart(frame: pd.DataFrame, month: str, value: str, series: str, titles: Mapping[str, str]) -> None:
    """One line per `series` value over the months (`month`: a date), months written 03/2026."""
    frame = frame.assign(_shown=frame[value].map(euros), _month=pd.to_datetime(frame[month]).dt.strftime("%m/%Y"))
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{month}:T", title=titles[month], axis=alt.Axis(format="%m/%Y", tickCount="month")),
            y=alt.Y(f"{value}:Q", title=titles[value], axis=alt.Axis(labelExpr=french())),
            color=alt.Color(f"{series}:N", title=titles[series]),
            tooltip=[
                alt.Tooltip("_month:N", title=titles[month]),
                alt.Tooltip(f"{series}:N", title=titles[series]),
                alt.Tooltip("_shown:N", title=titles[value]),
            ],
        )
    )
    draw(chart)


def draw(chart: alt.Chart) -> None:
    # drawn as SVG: its labels are text a browser (and a screen reader, and a test) can read
    st.altair_chart(chart.properties(usermeta={"embedOptions": {"renderer": "svg"}}), use_container_width=True)


def table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str | int | None]]) -> None:
    """`frame` with its columns named for readers and formatted like the headline figures:
    `columns` maps a column to (header, format): None as it is, a number of decimals, "€" for
    euros, "month" for 03/2026."""
    styler = styled(frame, columns)
    st.dataframe(
        styler,
        hide_index=True,
        use_container_width=True,
        column_config={column: header for column, (header, _) in columns.items()},
    )


def styled(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str | int | None]]) -> Styler:
    """`frame` with the display formats of `table` (its values unchanged, so sorting stays numeric)."""

    def month(value) -> str:
        return f"{value:%m/%Y}" if value is not None and value == value else "–"

    def formatter(kind: str | int):
        if kind == "€":
            return euros
        if kind == "month":
            return month
        return lambda value: number(value, kind)

    return frame.style.format({column: formatter(kind) for column, (_, kind) in columns.items() if kind is not None})
