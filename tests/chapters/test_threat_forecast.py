"""The threat chapter's forecast totals: their interval in the table, title and finding."""

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.threat.chapter import FORMATS, forecast_sentence
from csplib.chapters.threat.outlook import (
    forecast_series,
    forecast_title,
    forecast_totals,
    total_range_text,
)
from csplib.chapters.threat.series import ALL_CRIME
from csplib.core.schema import ASB


def row(**changes):
    base = {
        "forecast_period": "Apr 2025 to Mar 2026",
        "expected_total": 4132.4,
        "total_lower": 3817.5,
        "total_upper": 4441.2,
        "last_period": "Apr 2024 to Mar 2025",
        "last_total": 4320.0,
        "months_with_data": 12,
        "change_pct": 100 * (4132.4 / 4320 - 1),
    }
    return pd.Series({**base, **changes})


@pytest.fixture(scope="module")
def forecast():
    idx = pd.date_range("2021-04-01", periods=48, freq="MS")
    mu = 300 * np.exp(0.2 * np.cos(2 * np.pi * idx.month.to_numpy() / 12))
    y = np.random.default_rng(21).negative_binomial(50, 50 / (50 + mu))
    series = pd.Series(y, index=idx, dtype=float)
    return series, forecast_series(series)


def test_totals_table_carries_the_forecasts_own_interval(forecast):
    series, res = forecast
    totals = forecast_totals({ASB: res}, series.to_frame(ASB))
    assert list(totals.columns[:4]) == [
        "forecast_period",
        "expected_total",
        "total_lower",
        "total_upper",
    ]
    got = totals.loc[ASB]
    assert (got["total_lower"], got["total_upper"]) == res.total_interval()
    assert got["expected_total"] == res.total
    # the table shows whole numbers for the interval, like the total
    assert FORMATS["total_lower"] == FORMATS["total_upper"] == FORMATS["expected_total"]
    # a year of about 3,600 (the model's own estimate is 3,476, its range 2,851 to 4,173
    # with the trend extrapolated from 36 months), far inside the monthly bounds added up
    assert 3600 * 0.7 < got["total_lower"] < got["expected_total"] < got["total_upper"]
    assert got["total_upper"] < 3600 * 1.3
    summed = res.table["upper"].sum() - res.table["lower"].sum()
    assert got["total_upper"] - got["total_lower"] < 0.6 * summed


def test_a_series_with_no_forecast_has_no_interval(forecast):
    series, _ = forecast
    empty = forecast_series(series.where(series.index < "2021-01-01"))  # every month missing
    totals = forecast_totals({ASB: empty}, series.to_frame(ASB))
    assert totals.loc[ASB, ["expected_total", "total_lower", "total_upper"]].isna().all()


@pytest.mark.parametrize(
    ("expected", "lower", "upper", "text"),
    [
        (4132.4, 3817.5, 4441.2, "about 4,100 (95% range 3,800 to 4,400)"),
        (11264.8, 10583.0, 11987.5, "about 11,300 (95% range 10,600 to 12,000)"),
        (1203.7, 1141.0, 1268.5, "about 1,200 (95% range 1,140 to 1,270)"),
        (40.2, 26.3, 54.4, "about 40 (95% range 26 to 54)"),
        (2.3, 0.0, 6.2, "about 2 (95% range 0 to 6)"),
        (11264.8, np.nan, np.nan, "about 11,300"),
    ],
)
def test_total_range_text_rounds_to_what_the_interval_supports(expected, lower, upper, text):
    assert total_range_text(expected, lower, upper) == text


def test_total_range_text_states_the_level_and_noun():
    assert total_range_text(4132.4, 3900.0, 4400.0, level=0.8, noun="crimes") == (
        "about 4,100 crimes (80% range 3,900 to 4,400)"
    )


def test_forecast_title_states_the_interval_and_change():
    totals = pd.DataFrame([row()], index=[ASB])
    assert forecast_title(ASB, totals) == (
        f"{ASB}: about 4,100 (95% range 3,800 to 4,400) expected in Apr 2025 to Mar 2026 "
        "(-4% on the last 12 months)"
    )


@pytest.mark.parametrize(
    ("last", "where"), [(4320.0, "within"), (3700.0, "below"), (4500.0, "above")]
)
def test_forecast_sentence_says_where_last_year_falls(last, where):
    change = 100 * (4132.4 / last - 1)
    text = forecast_sentence(ALL_CRIME, row(last_total=last, change_pct=change))
    more = "more" if change > 0 else "fewer"
    assert text == (
        "About 4,100 recorded crimes (95% range 3,800 to 4,400) are expected in Apr 2025 to "
        "Mar 2026 if the recent trend and season continue: "
        f"{abs(change):.0f}% {more} than the {last:,.0f} recorded in Apr 2024 to Mar 2025, "
        f"which is {where} that range."
    )


def test_forecast_sentence_without_a_comparison_or_interval():
    text = forecast_sentence(ASB, row(change_pct=np.nan, last_total=np.nan))
    assert text == (
        "About 4,100 incidents of anti-social behaviour (95% range 3,800 to 4,400) are "
        "expected in Apr 2025 to Mar 2026 if the recent trend and season continue."
    )
    text = forecast_sentence(ASB, row(total_lower=np.nan, total_upper=np.nan))
    assert text.startswith("About 4,130 incidents of anti-social behaviour are expected")
    assert text.endswith("recorded in Apr 2024 to Mar 2025.")
