"""Trends that start in (or span) the Covid-19 lockdowns, in the threat and priorities chapters.

Worked examples with the expected counts themselves as data (no noise): violence flat but for a
lockdown dip, with data starting at the low in May 2020 (the case that ranked violence first
on "+14.5% a year"), the same data too short to leave the restrictions out, and a real +15% a
year rise through the dip with data before it. Neither chapter may state a significant rise
from the lockdown low without saying so; both must still find the real rise. The simulations
of the rule's size and coverage are in ``tests/methods/test_covid.py``.
"""

import re

import numpy as np
import pandas as pd
import pytest

from csplib.chapters import threat
from csplib.chapters.priorities import chapter_result, prioritise
from csplib.methods.models import CountForecast, CountTrend
from csplib.params import Window
from tests.methods.test_covid import _mu  # the lockdown profile of the simulations

VIOLENCE = "Violence and sexual offences"
THEMES = {
    "violence": {"name": "Violence", "categories": [VIOLENCE]},
    "drugs": {"name": "Drugs", "categories": ["Drugs"]},
}
RISE = re.compile(r"rose by [^;]*; the rise is statistically significant")


def _incidents(start: str, end: str, growth: float = 0.0) -> pd.DataFrame:
    """Violence (60 a month, the lockdown dip, ``growth`` a year) and flat drugs (30), in two
    wards, each month's count the expected count rounded."""
    idx = pd.date_range(start, end, freq="MS")
    parts = []
    for category, mu in ((VIOLENCE, _mu(idx, 60.0, growth)), ("Drugs", np.full(len(idx), 30.0))):
        for ward in ("A", "B"):
            n = np.round(mu / 2).astype(int)
            parts.append(
                pd.DataFrame({"month": idx.repeat(n), "category": category, "ward_name": ward})
            )
    return pd.concat(parts, ignore_index=True)


def _uncaveated_rises(texts) -> list[str]:
    """Sentences stating a significant rise without a word about the Covid-19 restrictions."""
    return [t for t in texts if RISE.search(t) and "Covid-19" not in t]


# ----------------------------------------------------------------------------- threat
@pytest.fixture(scope="module")
def from_the_low():
    """Data from May 2020 (the lockdown low) to Mar 2024; flat underlying violence."""
    a = threat.analyse_threat(_incidents("2020-05", "2024-03"), baseline=Window.parse("2018/19"))
    return a, threat.chapter_result(a)


def test_threat_leaves_the_restriction_months_out_of_a_window_starting_at_the_low(from_the_low):
    a, result = from_the_low
    assert list(a.windows) == ["last 3 years", "since May 2020"]
    # unadjusted, the recovery from the low reads as a significant rise
    naive = CountTrend(a.whole_area.loc["2020-05-01":, VIOLENCE]).fit()
    assert naive.p_value < 0.001 and naive.annual_change > 0.05
    rows = a.area_trends.xs(VIOLENCE, level="category")
    assert rows["covid_rule"].tolist() == ["left out", "left out"]
    assert rows["covid_months"].tolist() == [3, 14] and rows["months_used"].tolist() == [33, 33]
    # the other months are the flat rate and its season exactly: leaving the restriction
    # months out recovers no change at all
    assert (rows["annual_change_pct"].abs() < 1e-6).all()
    assert "covid_rule" in result.table("category_trends").frame.columns
    texts = [f.text for f in result.findings]
    assert not _uncaveated_rises(texts)
    assert any(
        t.startswith("Recorded crime ")
        and "over Apr 2021 to Mar 2024 (its 3 months of Covid-19 restrictions left out)" in t
        for t in texts
    ), texts
    assert result.notes["trends"] == [
        "The trend window 'last 3 years' takes in 3 months of the Covid-19 restrictions (March "
        "2020 to June 2021): they are left out of its trends, so each annual change is the trend "
        "of the other months, net of the lockdowns.",
        "The trend window 'since May 2020' takes in 14 months of the Covid-19 restrictions "
        "(March 2020 to June 2021): they are left out of its trends, so each annual change is the "
        "trend of the other months, net of the lockdowns.",
    ]
    # the forecast's 36 months of history leave the same 3 months out: flat, it expects the
    # last year's total again, where the low months would have tilted it upwards
    recent = a.whole_area[threat.ALL_CRIME].iloc[-12:].sum()
    assert a.forecasts[threat.ALL_CRIME].total == pytest.approx(recent, rel=0.01)
    with_the_low = CountForecast(a.whole_area[threat.ALL_CRIME], history_months=36).fit()
    assert with_the_low.total > 1.01 * recent


def test_threat_states_no_trend_when_too_few_months_follow_the_restrictions():
    a = threat.analyse_threat(_incidents("2020-05", "2022-03"), baseline=Window.parse("2018/19"))
    result = threat.chapter_result(a)
    assert list(a.windows) == ["since May 2020"]
    trends = a.area_trends
    assert (trends["covid_rule"] == "not estimated").all()
    assert trends["annual_change_pct"].isna().all() and (trends["direction"] == threat.FLAT).all()
    assert a.ward_trends["annual_change_pct"].isna().all()
    texts = [f.text for f in result.findings]
    assert not [t for t in texts if RISE.search(t)]
    assert (
        "No trend of recorded crime is stated over May 2020 to Mar 2022: this window starts "
        "during the Covid-19 lockdowns (14 months, May 2020 to Jun 2021, fall in the restrictions "
        "of March 2020 to June 2021), when crime was unusually low"
    ) in " ".join(texts)
    assert "no trend is stated for any series in it" in result.notes["trends"][0]
    # nor a forecast from a history that is mostly the restrictions
    assert not a.forecasts
    assert a.reasons["forecast"].startswith(
        "No forecast was made. The forecast's history starts during the Covid-19"
    )


def test_threat_still_finds_a_real_rise_through_the_lockdowns():
    a = threat.analyse_threat(
        _incidents("2018-04", "2024-03", growth=0.15), baseline=Window.parse("2018/19")
    )
    long = a.area_trends.loc[(VIOLENCE, "since 2018/19")]
    assert long["covid_rule"] == "left out" and long["covid_months"] == 16
    assert long["months_used"] == 56 and long["direction"] == threat.UP
    assert long["annual_change_pct"] == pytest.approx(15, abs=0.1)  # up to rounding the counts
    texts = [f.text for f in threat.chapter_result(a).findings]
    assert any(
        t.startswith("Violence and sexual offences rose by 15% a year")
        and "(its 3 months of Covid-19 restrictions left out)" in t
        for t in texts
    ), texts


# ----------------------------------------------------------------------------- priorities
def test_priorities_does_not_rank_on_a_rise_from_the_lockdown_low():
    res = prioritise(THEMES, _incidents("2020-05", "2023-03"), period="2022/23", population=1e5)
    naive = CountTrend(res.monthly["Violence"].dropna()).fit()
    assert naive.p_value < 0.001 and naive.annual_change > 0.05  # the "+14.5% a year" case
    row = res.threat.loc["Violence"]
    assert (row["covid_rule"], row["covid_months"], row["months_used"]) == ("left out", 14, 21)
    assert row["window"] == "Jul 2021 to Mar 2023" and row["p_value"] >= 0.05
    # not significant: scored as no change (3 of 5), not as a rise
    assert res.scores.loc["Violence", "pct_change_score"] == 3
    assert res.indicators.loc["Violence", "threat_basis"] == (
        "trend over 21 months with data, Jul 2021 to Mar 2023 (GLM; 14 months of Covid-19 "
        "restrictions left out)"
    )
    result = chapter_result(res)
    texts = [f.text for f in result.findings]
    assert not [t for t in texts if t.startswith("Violence rose")]
    assert (
        "The trend window of Violence and Drugs takes in 14 months of the Covid-19 restrictions "
        "(March 2020 to June 2021): they are left out of their trends and forecasts"
    ) in result.notes["scored"][0]
    assert "covid_rule" in result.table("threat_models").frame.columns


def test_priorities_says_a_trend_starting_in_the_lockdowns_is_not_used():
    res = prioritise(THEMES, _incidents("2020-05", "2022-03"), period="2021/22", population=1e5)
    assert (res.threat["covid_rule"] == "not estimated").all()
    assert res.threat[["annual_change_pct", "forecast_change"]].isna().all().all()
    ind = res.indicators
    # the year-on-year change (2021/22 on 2020/21) compares lockdown months: not used either
    assert ind["yoy_pct_change"].notna().all()
    assert ind["pct_change"].isna().all() and ind["p_value"].isna().all()
    assert (
        ind["threat_basis"]
        == "none (the trend window starts or ends during the Covid-19 restrictions)"
    ).all()
    assert "pct_change" in res.sensitivity.unscored  # its whole range is checked instead
    texts = [f.text for f in chapter_result(res).findings]
    assert not [t for t in texts if RISE.search(t)]
    assert any(
        t.startswith(
            "No trend of Violence and Drugs is stated or used to rank priorities: this window "
            "starts during the Covid-19 lockdowns"
        )
        for t in texts
    ), texts


def test_priorities_still_finds_a_real_rise_spanning_the_lockdowns():
    res = prioritise(
        THEMES, _incidents("2018-04", "2022-03", growth=0.15), period="2021/22", population=1e5
    )
    row = res.threat.loc["Violence"]
    # Apr 2019 - Mar 2022: 11 months before the restrictions and 9 after (16 left out)
    assert (row["covid_rule"], row["covid_months"], row["months_used"]) == ("left out", 16, 20)
    assert row["p_value"] < 0.001 and row["annual_change_pct"] > 5
    assert res.scores.loc["Violence", "pct_change_score"] == 5
    texts = [f.text for f in chapter_result(res).findings]
    rises = [t for t in texts if t.startswith("Violence rose")]
    assert len(rises) == 1 and "16 months of Covid-19 restrictions left out" in rises[0]
