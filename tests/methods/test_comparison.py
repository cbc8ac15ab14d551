"""One comparison rule for every chapter and pack (issue 15).

The theme pack (:func:`csplib.chapters.pack.assess`, through
:func:`csplib.methods.themes.theme_volumes`), the priorities scoring's year-on-year
indicator (:func:`csplib.chapters.priorities.prioritise`, through
:func:`csplib.methods.scoring.theme_indicators`), the performance row
(:func:`csplib.chapters.performance.assess_rows`), the ward profiles summed over the wards
(:func:`csplib.methods.places.ward_profiles`) and the emerging hotspots' counts compared
(:func:`csplib.methods.places.emerging_hotspots`) give the same year-on-year change for the
same categories and period, on data with a missing month: the months present in both years,
like-for-like. The expected numbers are counted here from the rows, by hand, and the p-value
is scipy's exact binomial test.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csplib.chapters import pack
from csplib.chapters.performance import PerformanceData, assess_rows, performance_rows_frame
from csplib.chapters.priorities import prioritise
from csplib.core.schema import ASB
from csplib.ingest.geography import Geography
from csplib.methods.places import emerging_hotspots, ward_profiles
from csplib.methods.themes import theme_volumes
from csplib.params import ThemeSpec, Window

PERIOD = "2023/24"
MONTHS = pd.date_range("2021-04-01", "2024-03-01", freq="MS")
THEME = {"asb": {"name": "Anti-social behaviour", "categories": [ASB]}}


@pytest.fixture(scope="module")
def geo():
    return Geography("data/reference", la_codes=["E06000018"])


def incidents(geo, missing, seed=4):
    """ASB and burglary in the LSOAs of the area, with a rise of ASB in 2023/24; the
    ``missing`` months have no rows at all (a month police.uk did not publish)."""
    rng = np.random.default_rng(seed)
    codes = geo.lsoa_table.index.to_numpy()
    parts = []
    for month in MONTHS.drop(pd.DatetimeIndex(pd.to_datetime(missing))):
        for cat, mean in ((ASB, 260 if month >= pd.Timestamp("2023-04-01") else 220),
                          ("Burglary", 60)):  # fmt: skip
            n = int(rng.poisson(mean))
            parts.append(pd.DataFrame({"month": month, "category": cat,
                                       "lsoa": rng.choice(codes, n)}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def hand_counts(inc, months_now, months_then):
    asb = inc[inc["category"] == ASB]
    now = int(asb["month"].isin(pd.to_datetime(months_now)).sum())
    then = int(asb["month"].isin(pd.to_datetime(months_then)).sum())
    return now, then


def pack_volume(geo, inc):
    """The pack's volume table, from :func:`pack.assess` on a minimal context."""
    window = Window.parse(PERIOD)
    params = SimpleNamespace(
        themes={"asb": ThemeSpec(name="Anti-social behaviour", categories=[ASB])},
        assessment=SimpleNamespace(period=window),
        thresholds=SimpleNamespace(suppress_below=5),
    )
    store = SimpleNamespace(
        incidents=inc, partner=None, months_present=sorted(inc["month"].unique()), geography=geo
    )
    result = pack.assess(SimpleNamespace(params=params, store=store), "asb")
    return result.table("volume")


@pytest.mark.parametrize(
    "missing, compared",
    [
        # a month missing from the comparison year: Jun 2022 is left out of 2023/24 too
        (["2022-06-01"], "like-for-like: Apr, May and Jul-Mar (11 of 12 months)"),
        # a month missing from the assessed year: Jan 2023 is left out of 2022/23 too
        (["2024-01-01"], "like-for-like: Apr-Dec, Feb and Mar (11 of 12 months)"),
    ],
)
def test_the_chapters_and_the_pack_give_the_same_change(geo, missing, compared):
    inc = incidents(geo, missing)
    gone = pd.DatetimeIndex(pd.to_datetime(missing))
    months_now = pd.date_range("2023-04-01", "2024-03-01", freq="MS")
    months_then = months_now - pd.DateOffset(years=1)
    keep = ~(months_now.isin(gone) | months_then.isin(gone))
    now, then = hand_counts(inc, months_now[keep], months_then[keep])
    pct = (now - then) / then * 100
    p = stats.binomtest(now, now + then, 0.5).pvalue

    # the pack
    table = pack_volume(geo, inc)
    vol = table.frame.loc["Anti-social behaviour"]
    assert vol["comparison"] == compared and not vol["complete"]
    assert (vol["count_compared"], vol["previous_compared"]) == (now, then)
    assert vol["pct_change"] == pytest.approx(pct) and vol["p_value"] == pytest.approx(p)
    assert "11 of 12 months" in (vol["months"], vol["previous_months"])
    # the counts compared are declared, and the change is derived from them
    assert {"count", "previous", "count_compared", "previous_compared"} == set(table.counts)
    assert table.derived["pct_change"] == ("count_compared", "previous_compared")

    # the priorities scoring's year-on-year indicator
    res = prioritise(THEME, inc, period=PERIOD, population=330_000)
    ind = res.indicators.loc["Anti-social behaviour"]
    assert ind["yoy_pct_change"] == pytest.approx(pct)
    assert ind["yoy_p_value"] == pytest.approx(p)

    # the performance row (police-recorded ASB: the same category)
    data = PerformanceData({"incidents": inc})
    [row] = assess_rows(data, PERIOD, ["asb_police_recorded"])
    assert (row.change.current, row.change.previous) == (now, then)
    assert row.change.pct_change == pytest.approx(pct)
    assert row.change.p_value == pytest.approx(p)
    frame = performance_rows_frame([row])
    assert frame.loc[0, "Compared"] == compared
    assert frame.loc[0, ["Performance (compared)", "Previous (compared)"]].tolist() == [now, then]

    # the ward profiles, summed over the wards
    prof = ward_profiles(
        inc,
        geo,
        period=PERIOD,
        population_year=2021,
        categories=[ASB],
        total=None,
        allow_incomplete=True,
    )
    assert set(prof["comparison"]) == {compared}
    assert (prof["count_compared"].sum(), prof["previous_compared"].sum()) == (now, then)

    # the emerging hotspots' counts compared (the same months a year earlier)
    emerging = emerging_hotspots(
        inc, geo, current=PERIOD, categories=[ASB], allow_incomplete=True, permutations=0
    )
    assert emerging.config["comparison"] == compared
    assert emerging.table["count_compared"].sum() == now
    assert emerging.table["previous_compared"].sum() == then


def test_complete_years_compare_every_month_in_every_chapter(geo):
    inc = incidents(geo, [])
    now, then = hand_counts(
        inc,
        pd.date_range("2023-04-01", "2024-03-01", freq="MS"),
        pd.date_range("2022-04-01", "2023-03-01", freq="MS"),
    )
    vol = theme_volumes(THEME, inc, period=PERIOD).loc["Anti-social behaviour"]
    assert vol["comparison"] == "all 12 months" and vol["complete"]
    assert (vol["count"], vol["previous"]) == (now, then)
    assert (vol["count_compared"], vol["previous_compared"]) == (now, then)
    [row] = assess_rows(PerformanceData({"incidents": inc}), PERIOD, ["asb_police_recorded"])
    assert row.basis.kind == "complete" and row.note == ""
    assert (row.change.current, row.change.previous) == (now, then)
    assert row.change.pct_change == pytest.approx(vol["pct_change"])


def test_no_month_in_common_drops_the_comparison_everywhere(geo):
    # 2022/23 has data only for Apr-Jun 2022, 2023/24 only from Jul 2023
    gone = list(pd.date_range("2022-07-01", "2023-06-01", freq="MS"))
    inc = incidents(geo, gone)
    vol = theme_volumes(THEME, inc, period=PERIOD).loc["Anti-social behaviour"]
    reason = "no month has data in both 2023/24 and 2022/23"
    assert vol["comparison"] == f"not compared: {reason}"
    assert np.isnan(vol["pct_change"]) and vol["direction"] == "none"
    assert vol["months"] == "9 of 12 months" and vol["previous_months"] == "3 of 12 months"
    assert vol["count"] > 0 and vol["previous"] > 0  # the totals are kept, with their months
    [row] = assess_rows(PerformanceData({"incidents": inc}), PERIOD, ["asb_police_recorded"])
    assert row.change is None and f"{reason}: not compared" in row.note
    res = prioritise(THEME, inc, period=PERIOD, population=330_000)
    assert np.isnan(res.indicators.loc["Anti-social behaviour", "yoy_pct_change"])
