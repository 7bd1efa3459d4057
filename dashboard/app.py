"""The dashboard: `make dashboard` serves it on http://127.0.0.1:8501, one page per gold table.

It reads the serving file (`make demo` publishes it), found as the publish step finds it:
LAKEHOUSE_SERVING_PATH, or `serving/lakehouse.duckdb` under the data directory; or, for a day
picked in the sidebar ("as of"), the gold tables as they were published that day, from the lake.
"""

import streamlit as st

from dashboard import data, ui
from dashboard.views import VIEWS
from orchestration.platform.lake import LakeError
from orchestration.platform.settings import SettingsError

UNAVAILABLE = (FileNotFoundError, SettingsError, LakeError, data.NothingAsOf)

TITLE = "Tableaux de bord"


def page(view) -> st.Page:
    def show() -> None:
        as_of = ui.as_of_picker()
        try:
            connection = data.connect(as_of)
        except UNAVAILABLE as error:
            st.title(view.TITLE)
            ui.unavailable(error)
            return
        with connection:  # one version of the serving layer for the whole page, then let go
            ui.header(connection, view.TITLE, view.TABLE, as_of)
            view.render(connection)

    return st.Page(show, title=view.TITLE, url_path=view.PAGE)


def overview(pages: list[st.Page]) -> None:
    """The home page: every page with the freshness of its table."""
    st.title(TITLE)
    as_of = ui.as_of_picker()
    try:
        connection = data.connect(as_of)
    except UNAVAILABLE as error:
        ui.unavailable(error)
        return
    with connection:
        if as_of:
            st.info(f"Tables telles que publiées le {as_of:%d/%m/%Y}, pas les dernières.")
        for view, view_page in zip(VIEWS, pages):
            data_as_of, published_at, rows = data.freshness(connection, view.TABLE)
            st.page_link(view_page, label=view.TITLE)
            st.caption(
                f"`{view.TABLE}` · {ui.described(data_as_of)} · publiée le "
                f"{ui.local_time(published_at)} · {ui.number(rows)} lignes"
            )


st.set_page_config(page_title=TITLE, layout="wide")
# the home page has the root URL, so that every gold table's page keeps its own URL path
pages = [page(view) for view in VIEWS]
home = st.Page(lambda: overview(pages), title="Vue d'ensemble", url_path="overview", default=True)
st.navigation([home, *pages]).run()
