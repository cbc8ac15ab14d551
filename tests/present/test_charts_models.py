"""Charts for the models (csplib/present/charts/models.py)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from csplib.present.charts.models import (  # noqa: E402
    plot_its,
    plot_screen,
    plot_seasonal_profile,
    plot_series,
    plot_spc,
)
from csplib.present.charts.style import PALETTE  # noqa: E402

IDX = pd.date_range("2023-01-01", periods=6, freq="MS")


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("plt.show() must never be called")

    monkeypatch.setattr(plt, "show", fail)
    yield
    plt.close("all")


def colours_of(ax):
    out = set()
    for coll in ax.collections:
        for c in coll.get_facecolor():
            out.add(tuple(np.round(c[:3], 3)))
    return out


def rgb(hex_colour):
    return tuple(np.round(to_rgb(hex_colour), 3))


def test_plot_series_draws_into_a_given_axes_with_band_and_exceedances():
    fig, ax = plt.subplots()
    observed = pd.Series([10, 12, np.nan, 30, 11, 2], index=IDX)
    expected = pd.DataFrame(
        {
            "lower": 5.0,
            "upper": 20.0,
            "median": 11.0,
            "above": [False, False, False, True, False, False],
            "below": [False, False, False, False, False, True],
        },
        index=IDX,
    )
    trend = pd.Series(np.linspace(10, 12, 6), index=IDX)
    out = plot_series(
        observed,
        trend=trend,
        expected=expected,
        ax=ax,
        title="T",
        ylabel="Crimes",
        source="police.uk",
    )
    assert out is ax
    assert ax.get_ylabel() == "Crimes" and ax.get_xlabel() == "Month"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "Recorded",
        "Expected range",
        "Expected (median)",
        "Trend",
        "Above range",
        "Below range",
    ]
    recorded = ax.get_lines()[1]
    assert np.isnan(recorded.get_ydata()[2])  # a missing month is a gap, not zero
    assert rgb(PALETTE[5]) in colours_of(ax)  # above-range point in vermilion


def test_plot_spc_colours_points_by_variation():
    table = pd.DataFrame(
        {
            "value": [5.0, 6, 20, 1, 5, 6],
            "centre": 5.0,
            "lower": 0.0,
            "upper": 12.0,
            "lower_2sigma": 0.0,
            "upper_2sigma": 9.7,
            "variation": [
                "common_cause",
                "common_cause",
                "special_cause_concern",
                "special_cause_improvement",
                "common_cause",
                "common_cause",
            ],
        },
        index=IDX,
    )
    ax = plot_spc(table, title="One high month")
    colours = colours_of(ax)
    assert {rgb("#7B7D7D"), rgb("#E69F00"), rgb("#0072B2")} <= colours
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Special cause: concern" in labels and "Special cause: improvement" in labels
    assert ax.get_title(loc="left") == "One high month"


def test_plot_seasonal_profile_without_intervals():
    table = pd.DataFrame(
        {
            "month": ["Jan", "Feb", "Mar"],
            "index": [0.8, 1.0, 1.2],
            "lower": np.nan,
            "upper": np.nan,
        },
        index=[1, 2, 3],
    )
    ax = plot_seasonal_profile(table)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan", "Feb", "Mar"]
    assert ax.get_ylabel() == "Index (1 = typical month)"


def test_plot_its_marks_the_intervention():
    s = pd.Series([5.0, 6, 3, 2, 3, 2], index=IDX)
    cf = pd.Series([np.nan, np.nan, 6, 6, 6, 6], index=IDX)
    ax = plot_its(s, s, cf, IDX[2])
    vline = [line for line in ax.get_lines() if line.get_label() == "Intervention"][0]
    assert pd.Timestamp(vline.get_xdata()[0]) == IDX[2]


def test_plot_screen_handles_multiindex_keys_and_infinite_upper_bounds():
    index = pd.MultiIndex.from_tuples(
        [("Burglary", "W1"), ("Robbery", "W2")], names=["category", "ward"]
    )
    table = pd.DataFrame(
        {
            "rank": [1, 2],
            "rate_ratio": [np.inf, 0.5],
            "rr_lower": [3.0, 0.3],
            "rr_upper": [np.inf, 0.8],
            "flagged": [True, True],
            "change": ["increase", "decrease"],
        },
        index=index,
    )
    ax = plot_screen(table)
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert labels == {"Burglary / W1", "Robbery / W2"}
    assert ax.get_xscale() == "log"
