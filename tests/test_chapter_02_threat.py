"""The threat chapter end to end: its data annex on the default synthetic assessment, checked
against the effects planted in the synthetic data (truth.json, docs/synthetic_data.md)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.params import load_params
from csplib.schema import ASB

REPO = Path(__file__).resolve().parent.parent
RECENT = "last 3 years"
LONG = f"since {load_params(REPO / 'parameters' / 'default.yaml').assessment.baseline.label}"


def annex(run: Path, name: str, index_col=None) -> pd.DataFrame:
    path = run / "tables" / f"02_threat__{name}.csv"
    assert path.is_file(), f"the threat chapter did not write {path.name}"
    return pd.read_csv(path, index_col=index_col)


@pytest.fixture(scope="module")
def ward_trends(synthetic_run):
    return annex(synthetic_run, "ward_trends", index_col=[0, 1, 2])


@pytest.fixture(scope="module")
def category_trends(synthetic_run):
    return annex(synthetic_run, "category_trends_detail", index_col=[0, 1])


def test_weapons_rise_in_the_planted_wards_is_significantly_rising(
    synthetic_run, truth, ward_trends
):
    effect = truth["effects"]["weapons_rise"]
    growth = 100 * effect["growth_per_year"]
    for ward in effect["wards"]:
        row = ward_trends.loc[(effect["category"], ward, RECENT)]
        assert row["direction"] == "↑", ward
        assert row["q_value"] < 0.05
        # the planted growth (+40% a year) lies inside the estimated interval
        assert row["lower_pct"] < growth < row["upper_pct"], ward
    # the screen ranks both as increases with strong (if not FDR-significant) evidence
    screen = annex(synthetic_run, "screen_all").set_index(["category", "ward"])
    for ward in effect["wards"]:
        row = screen.loc[(effect["category"], ward)]
        # (the annex column is text where small counts elsewhere are suppressed as "[c]")
        assert row["change"] == "increase" and float(row["rate_ratio"]) > 1.3
        assert row["p_value"] < 0.01
    # and both are among the series the chapter shows in detail
    concern = annex(synthetic_run, "series_of_concern")
    shown = set(zip(concern["category"], concern["ward"], strict=True))
    assert {(effect["category"], w) for w in effect["wards"]} <= shown


def test_stable_category_is_not_a_significant_citywide_trend(truth, category_trends):
    stable = truth["effects"]["stable_category"]["category"]
    for window in (RECENT, LONG):
        row = category_trends.loc[(stable, window)]
        assert row["direction"] == "↔", window
        assert row["p_value"] >= 0.05
        assert row["lower_pct"] < 0 < row["upper_pct"]
        assert bool(row["mk_agrees"])


def test_burglary_scheme_wards_show_as_falling_more_than_the_city(
    truth, ward_trends, category_trends
):
    effect = truth["effects"]["burglary_scheme"]
    city = category_trends.loc[(effect["category"], LONG), "annual_change_pct"]
    for ward in effect["wards"]:
        row = ward_trends.loc[(effect["category"], ward, LONG)]
        assert row["direction"] == "↓", ward
        assert row["upper_pct"] < 0
        # the scheme's extra -30% makes these wards fall faster than the city as a whole
        assert row["annual_change_pct"] < city


def test_publication_defects_are_left_out(truth, category_trends):
    low = truth["effects"]["low_month"]
    assert low["category"] == ASB
    # the thinned ASB month is in the last three years and is not used; other categories are
    assert category_trends.loc[(ASB, RECENT), "months_used"] == 35
    assert category_trends.loc[("Drugs", RECENT), "months_used"] == 36


def test_lockdown_raised_asb_and_cut_crime(synthetic_run, truth):
    its = annex(synthetic_run, "lockdown_its", index_col=[0, 1])
    ratio = truth["calibration"]["covid"]["april_2020_vs_april_2019"]
    asb = its.loc[(ASB, "level change")]
    crime = its.loc[("All crime", "level change")]
    assert ratio["asb"] > 1 and asb["lower_pct"] > 0 and asb["p_value"] < 0.05
    assert ratio["victim_based"] < 1 and crime["upper_pct"] < 0 and crime["p_value"] < 0.05


def test_seasonal_peaks_match_the_planted_seasonality(synthetic_run, truth):
    profiles = annex(synthetic_run, "seasonal_profiles", index_col=[0, 1])
    season = truth["calibration"]["seasonality"]
    for name in (ASB, "Violence and sexual offences"):
        table = profiles.loc[name]
        assert table["index"].idxmax() == season[name]["peak_month"], name
        peak = table.loc[season[name]["peak_month"]]
        assert peak["lower"] > 1  # the peak is significantly above a typical month


def test_forecasts_cover_the_next_year(synthetic_run):
    totals = annex(synthetic_run, "forecast_totals", index_col=0)
    assert set(totals.index) == {"All crime", ASB}
    assert (totals["forecast_period"] == "Apr 2025 to Mar 2026").all()
    assert (totals["months_with_data"] == 12).all()
    assert np.all(np.abs(totals["change_pct"]) < 20)
    monthly = annex(synthetic_run, "forecast_monthly", index_col=[0, 1])
    assert len(monthly) == 24
    assert (monthly["lower"] < monthly["expected"]).all()
    assert (monthly["expected"] < monthly["upper"]).all()
