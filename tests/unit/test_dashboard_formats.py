"""The dashboard's formats: one locale (fr-BE) for every number, date and time it shows."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd

from dashboard import ui


def test_numbers_amounts_and_months_are_written_the_french_way():
    assert ui.number(1234567) == "1\u00a0234\u00a0567"
    assert ui.number(2.5403, 2) == "2,54"
    assert ui.euros(Decimal("291185.93")) == "291\u00a0185,93\u00a0€"
    assert ui.number(None) == "–"
    frame = pd.DataFrame(
        {"month": [date(2026, 3, 1)], "paid_amount": [Decimal("291185.93")], "payment_count": [1500], "label": ["x"]}
    )
    html = ui.styled(
        frame,
        {
            "month": ("Mois", "month"),
            "paid_amount": ("Payé", "€"),
            "payment_count": ("Paiements", 0),
            "label": ("L", None),
        },
    ).to_html()
    assert "03/2026" in html and "291\u00a0185,93\u00a0€" in html and "1\u00a0500" in html
    assert "291185.93" not in html


def test_times_are_brussels_times_winter_and_summer():
    assert ui.local_time(datetime(2026, 1, 15, 23, 30, tzinfo=UTC)) == "16/01/2026 00:30"
    assert ui.local_time(datetime(2026, 7, 1, 5, 0, tzinfo=UTC)) == "01/07/2026 07:00"


def test_chart_axes_format_through_a_vega_expression_that_swaps_the_separators():
    expression = ui.french(2)
    assert expression.startswith("replace(replace(replace(format(datum.value, ',.2f')")
    assert "/,/g, '_'" in expression and "/[.]/g, ','" in expression
