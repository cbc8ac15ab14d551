"""The threat chapter end to end: its data annex and saved result on the default synthetic
assessment, checked against the effects planted in the synthetic data (truth.json,
docs/synthetic_data.md).

The default assessment runs once per test session (``synthetic_run``, tests/conftest.py).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.result import ChapterResult
from csplib.core.schema import ALL_CRIME, ASB
from csplib.params import load_params

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "parameters" / "default.yaml"
RECENT = "last 3 years"
LONG = f"since {load_params(DEFAULT).assessment.baseline.label}"


@pytest.fixture(scope="module")
def threat_run(synthetic_run):
    """Output folder of the default assessment (run once per session, tests/conftest.py)."""
    return synthetic_run


def annex(run: Path, name: str, index_col=None) -> pd.DataFrame:
    path = run / "tables" / f"02_threat__{name}.csv"
    assert path.is_file(), f"the threat chapter did not write {path.name}"
    return pd.read_csv(path, index_col=index_col)


@pytest.fixture(scope="module")
def ward_trends(threat_run):
    return annex(threat_run, "ward_trends", index_col=[0, 1, 2])


@pytest.fixture(scope="module")
def category_trends(threat_run):
    return annex(threat_run, "category_trends_detail", index_col=[0, 1])


def test_saved_result_names_the_annex_tables_and_states_the_findings(threat_run):
    path = threat_run / "results" / "02_threat.json"
    result = ChapterResult.from_json(path.read_text(encoding="utf-8"))
    written = sorted(p.name for p in (threat_run / "tables").glob("02_threat__*.csv"))
    assert sorted(f"02_threat__{name}.csv" for name in result.tables) == written
    assert len(written) == 13 and all(t.caption for t in result.tables.values())
    assert result.findings and all(f.evidence == "02_threat" for f in result.findings)
    # the headline agrees with the annex
    concern = annex(threat_run, "series_of_concern")
    assert result.headline["series_of_concern"] == [
        f"{c} in {w}" for c, w in zip(concern["category"], concern["ward"], strict=True)
    ]
    totals = annex(threat_run, "forecast_totals", index_col=0)
    for name, row in totals.iterrows():
        for column in ("expected_total", "total_lower", "total_upper"):
            stated = result.headline["forecasts"][name][column]
            assert stated == pytest.approx(row[column])
    assert {f"forecast: {n}" for n in totals.index} <= set(result.figures)
    # the chapter's text is in the saved result, not computed again by its readers
    assert result.notes["coverage"][0].startswith("The analysis uses ")


def test_screen_hides_what_is_computed_from_a_hidden_count(threat_run):
    screen = annex(threat_run, "screen_all")
    hidden = screen["recent"].astype(str) == "[c]"
    assert hidden.any()
    for column in ("rate_ratio", "pct_change", "change"):
        assert (screen.loc[hidden, column].astype(str) == "[c]").all(), column


def test_weapons_rise_in_the_planted_wards_is_significantly_rising(threat_run, truth, ward_trends):
    effect = truth["effects"]["weapons_rise"]
    growth = 100 * effect["growth_per_year"]
    for ward in effect["wards"]:
        row = ward_trends.loc[(effect["category"], ward, RECENT)]
        assert row["direction"] == "↑", ward
        assert row["q_value"] < 0.05
        # the planted growth (+40% a year) lies inside the estimated interval
        assert row["lower_pct"] < growth < row["upper_pct"], ward
    # the screen ranks both as increases with strong (if not FDR-significant) evidence
    screen = annex(threat_run, "screen_all").set_index(["category", "ward"])
    for ward in effect["wards"]:
        row = screen.loc[(effect["category"], ward)]
        # (the annex column is text where small counts elsewhere are suppressed as "[c]")
        assert row["change"] == "increase" and float(row["rate_ratio"]) > 1.3
        assert float(row["p_value"]) < 0.01
    # and both are among the series the chapter shows in detail
    concern = annex(threat_run, "series_of_concern")
    shown = set(zip(concern["category"], concern["ward"], strict=True))
    assert {(effect["category"], w) for w in effect["wards"]} <= shown


def test_stable_category_is_not_a_significant_areawide_trend(truth, category_trends):
    stable = truth["effects"]["stable_category"]["category"]
    for window in (RECENT, LONG):
        row = category_trends.loc[(stable, window)]
        assert row["direction"] == "↔", window
        assert row["p_value"] >= 0.05
        assert row["lower_pct"] < 0 < row["upper_pct"]
        assert bool(row["mk_agrees"])


def test_burglary_scheme_wards_show_as_falling_more_than_the_whole_area(
    truth, ward_trends, category_trends
):
    effect = truth["effects"]["burglary_scheme"]
    whole_area = category_trends.loc[(effect["category"], LONG), "annual_change_pct"]
    for ward in effect["wards"]:
        row = ward_trends.loc[(effect["category"], ward, LONG)]
        assert row["direction"] == "↓", ward
        assert row["upper_pct"] < 0
        # the scheme's extra -30% makes these wards fall faster than the area as a whole
        assert row["annual_change_pct"] < whole_area


def test_publication_defects_are_left_out(truth, category_trends):
    low = truth["effects"]["low_month"]
    assert low["category"] == ASB
    # the thinned ASB month is in the last three years and is not used; other categories are
    assert category_trends.loc[(ASB, RECENT), "months_used"] == 35
    assert category_trends.loc[("Drugs", RECENT), "months_used"] == 36


def test_lockdown_raised_asb_and_cut_crime(threat_run, truth):
    its = annex(threat_run, "lockdown_its", index_col=[0, 1])
    ratio = truth["calibration"]["covid"]["april_2020_vs_april_2019"]
    asb = its.loc[(ASB, "level change")]
    crime = its.loc[(ALL_CRIME, "level change")]
    assert ratio["asb"] > 1 and asb["lower_pct"] > 0 and asb["p_value"] < 0.05
    assert ratio["victim_based"] < 1 and crime["upper_pct"] < 0 and crime["p_value"] < 0.05


def test_seasonal_peaks_match_the_planted_seasonality(threat_run, truth):
    profiles = annex(threat_run, "seasonal_profiles", index_col=[0, 1])
    season = truth["calibration"]["seasonality"]
    for name in (ASB, "Violence and sexual offences"):
        table = profiles.loc[name]
        assert table["index"].idxmax() == season[name]["peak_month"], name
        peak = table.loc[season[name]["peak_month"]]
        assert peak["lower"] > 1  # the peak is significantly above a typical month


def test_forecasts_cover_the_next_year(threat_run):
    totals = annex(threat_run, "forecast_totals", index_col=0)
    assert set(totals.index) == {ALL_CRIME, ASB}
    assert (totals["forecast_period"] == "Apr 2025 to Mar 2026").all()
    assert (totals["months_with_data"] == 12).all()
    assert np.all(np.abs(totals["change_pct"]) < 20)
    # the year's own interval, far narrower than the monthly bounds added up
    assert (totals["total_lower"] < totals["expected_total"]).all()
    assert (totals["expected_total"] < totals["total_upper"]).all()
    monthly = annex(threat_run, "forecast_monthly", index_col=[0, 1])
    summed = monthly.groupby(level=0)[["lower", "upper"]].sum()
    width = totals["total_upper"] - totals["total_lower"]
    assert (width < 0.6 * (summed["upper"] - summed["lower"]).reindex(width.index)).all()
    assert len(monthly) == 24
    assert (monthly["lower"] < monthly["expected"]).all()
    assert (monthly["expected"] < monthly["upper"]).all()
