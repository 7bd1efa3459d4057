"""The dashboard: `make dashboard` serves it on http://127.0.0.1:8501, one page per gold table.

It reads only the serving file (`make demo` publishes it), found as the publish step finds
it: LAKEHOUSE_SERVING_PATH, or `serving/lakehouse.duckdb` under the data directory.
"""

import streamlit as st

from dashboard import data, ui
from dashboard.views import VIEWS
from orchestration.platform.settings import SettingsError

TITLE = "Tableaux de bord"


def page(view) -> st.Page:
    def show() -> None:
        try:
            connection = data.connect()
        except (FileNotFoundError, SettingsError) as error:
            st.title(view.TITLE)
            ui.unavailable(error)
            return
        with connection:  # one version of the serving file for the whole page, then let go
            ui.header(connection, view.TITLE, view.TABLE)
            view.render(connection)

    return st.Page(show, title=view.TITLE, url_path=view.PAGE)


def overview(pages: list[st.Page]) -> None:
    """The home page: every page with the freshness of its table."""
    st.title(TITLE)
    try:
        connection = data.connect()
    except (FileNotFoundError, SettingsError) as error:
        ui.unavailable(error)
        return
    with connection:
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
