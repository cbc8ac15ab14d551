"""The Covid-19 restrictions rule for trends: checked on simulations with known truth.

A flat underlying rate whose data start at the first lockdown's low must not read as a
significant rise (the failure that ranked violence first on "+14.5% a year"); a real rise that
spans the lockdowns, with data before them, must still be found, with an interval that covers
the true annual change at about its nominal 95%.
"""

import numpy as np
import pandas as pd
import pytest

from csplib.methods.covid import (
    NATIONAL_LOCKDOWNS,
    RESTRICTIONS,
    restriction_months,
    restriction_rule,
    restriction_trend,
    restrictions_text,
)
from csplib.methods.models import CountTrend

#: Crime relative to its underlying level in each month of the restrictions (a lockdown
#: profile like England's: the deep low of April-May 2020, a summer recovery, the second and
#: third lockdowns), so the dip is not one step a single indicator could absorb.
DIP = dict(
    zip(
        pd.date_range("2020-03-01", "2021-06-01", freq="MS"),
        [0.85, 0.55, 0.6, 0.75, 0.85, 0.9, 0.9, 0.85, 0.7, 0.8, 0.65, 0.65, 0.75, 0.85, 0.9, 0.95],
        strict=True,
    )
)


def _mu(idx: pd.DatetimeIndex, level: float, growth: float = 0.0) -> np.ndarray:
    """Expected counts: level x (1 + growth)^years x season x lockdown dip."""
    years = ((idx.year - 2020) * 12 + idx.month - 1) / 12
    season = 1 + 0.15 * np.cos(2 * np.pi * (idx.month.to_numpy() - 7) / 12)
    dip = np.array([DIP.get(m, 1.0) for m in idx])
    return level * (1 + growth) ** years * season * dip


def _fits(idx, counts: np.ndarray, **kwargs):
    return [restriction_trend(pd.Series(c, index=idx, dtype=float), **kwargs)[0] for c in counts]


def test_the_period_is_defined_once_by_month():
    assert RESTRICTIONS == (pd.Timestamp("2020-03-01"), pd.Timestamp("2021-06-01"))
    assert restrictions_text() == "March 2020 to June 2021"
    idx = pd.date_range("2020-01-01", "2021-12-01", freq="MS")
    inside = idx[restriction_months(idx)]
    assert (inside[0], inside[-1], len(inside)) == (*RESTRICTIONS, 16)
    # every national lockdown starts inside the period; the last limits end in July 2021
    assert all(
        RESTRICTIONS[0] <= pd.Timestamp(start) <= RESTRICTIONS[1]
        for _, start, _ in NATIONAL_LOCKDOWNS
    )
    assert NATIONAL_LOCKDOWNS[-1][2] == "2021-07-19"
    # the threat chapter's lockdown model starts from the same month
    from csplib.chapters.threat.lockdown import LOCKDOWN_MONTH
    from csplib.chapters.threat.lockdown import RESTRICTIONS as REEXPORTED

    assert LOCKDOWN_MONTH == RESTRICTIONS[0] and REEXPORTED is RESTRICTIONS


@pytest.mark.parametrize(
    ("start", "end", "rule", "used", "left_out", "words"),
    [
        ("2021-07", "2024-03", "none", 33, 0, ""),
        ("2018-04", "2025-03", "left out", 68, 16, "net of the lockdowns"),
        ("2020-05", "2024-03", "left out", 33, 14, "the other 33 months"),
        ("2017-04", "2020-03", "left out", 35, 1, "so it is the trend before them"),
        ("2020-05", "2022-03", "not estimated", 9, 14, "this window starts during"),
        ("2019-06", "2021-03", "not estimated", 9, 13, "this window ends during"),
        ("2020-06", "2021-05", "not estimated", 0, 12, "this window falls within"),
    ],
)
def test_the_rule_for_each_kind_of_window(start, end, rule, used, left_out, words):
    idx = pd.date_range(start, end, freq="MS")
    r = restriction_rule(pd.Series(30.0, index=idx))
    assert (r.rule, r.used, len(r.left_out)) == (rule, used, left_out)
    assert words in r.note
    if rule == "left out":  # the restriction months are gone from what is fitted
        assert r.series.loc[RESTRICTIONS[0] : RESTRICTIONS[1]].isna().all()
        assert int(r.series.notna().sum()) == used
    if rule == "not estimated":
        assert "unusually low" in r.note and "at least 12 are needed" in r.note


def test_months_without_data_are_not_counted_as_restriction_months():
    idx = pd.date_range("2019-04-01", "2022-03-01", freq="MS")
    y = pd.Series(30.0, index=idx)
    y[(idx >= "2020-01-01") & (idx <= "2020-12-01")] = np.nan  # a gap in the data
    r = restriction_rule(y)
    assert len(r.left_out) == 6 and r.used == 18  # Jan-Jun 2021 in; 2020's months had no data
    row, _ = restriction_trend(y)
    # the note lists the real gap as missing, and the restriction months as left out
    assert "6 months of Covid-19 restrictions in this window (Jan 2021 to Jun 2021)" in row["note"]
    assert (
        "No data for 2020-01, 2020-02" in row["note"]
        and "2021-01" not in row["note"].split("No data for")[1]
    )


def test_a_window_starting_at_the_lockdown_low_shows_no_false_rise():
    """Flat underlying rate, data from May 2020 to Mar 2024 (14 restriction months, then 33):
    the unadjusted trend finds a significant rise in most series; leaving the restriction
    months out, a significant rise is no more frequent than the test's 2.5% one-sided size,
    and rejections either way stay near 5%."""
    idx = pd.date_range("2020-05-01", "2024-03-01", freq="MS")
    rng = np.random.default_rng(20200501)
    counts = rng.poisson(_mu(idx, 40.0), size=(300, len(idx)))
    naive = [CountTrend(pd.Series(c, index=idx, dtype=float)).fit() for c in counts[:60]]
    naive_rise = np.mean([r.p_value < 0.05 and r.annual_change > 0 for r in naive])
    assert naive_rise > 0.75  # the failure the rule is for (60 series: SE under 4 points)
    rows = pd.DataFrame(_fits(idx, counts))
    assert (rows["covid_rule"] == "left out").all() and (rows["months_used"] == 33).all()
    significant = rows["p_value"] < 0.05
    rise = (significant & (rows["annual_change_pct"] > 0)).mean()
    # 300 replicates: the standard error of a 5% rate is 1.3 points, of 2.5% 0.9 points, of
    # 95% 1.3 points; each bound is about three standard errors away
    assert rise <= 0.055
    assert 0.015 <= significant.mean() <= 0.09
    # and the interval covers the true change (0) at about its nominal level
    covered = ((rows["lower_pct"] < 0) & (rows["upper_pct"] > 0)).mean()
    assert 0.91 <= covered <= 0.985


def test_a_real_rise_spanning_the_lockdowns_is_still_found():
    """+15% a year from Apr 2018 to Mar 2024 through the lockdown dip: the rule leaves the 16
    restriction months out, finds the rise in every series and covers +15% at about 95% (the
    unadjusted trend, biased by the dip, covers it in about 85%)."""
    idx = pd.date_range("2018-04-01", "2024-03-01", freq="MS")
    rng = np.random.default_rng(20180401)
    counts = rng.poisson(_mu(idx, 30.0, growth=0.15), size=(300, len(idx)))
    rows = pd.DataFrame(_fits(idx, counts))
    assert (rows["covid_rule"] == "left out").all() and (rows["covid_months"] == 16).all()
    assert ((rows["p_value"] < 0.05) & (rows["annual_change_pct"] > 0)).mean() >= 0.99
    covered = ((rows["lower_pct"] < 15) & (rows["upper_pct"] > 15)).mean()
    assert 0.91 <= covered <= 0.985
    assert rows["annual_change_pct"].mean() == pytest.approx(15, abs=1.0)


def test_too_few_months_outside_the_restrictions_gives_no_trend_and_says_why():
    idx = pd.date_range("2020-05-01", "2022-03-01", freq="MS")
    y = pd.Series(np.round(_mu(idx, 40.0)), index=idx)
    assert CountTrend(y).fit().annual_change > 0.05  # unadjusted: the recovery as a rise
    row, rule = restriction_trend(y, mann_kendall=True)
    assert rule.rule == "not estimated" and row["covid_rule"] == "not estimated"
    assert np.isnan([row["annual_change_pct"], row["p_value"], row["mk_p_value"]]).all()
    assert row["method"] == "none (Covid-19 restrictions)"
    assert row["note"].startswith(
        "No trend is stated: this window starts during the Covid-19 lockdowns (14 months, May "
        "2020 to Jun 2021, fall in the restrictions of March 2020 to June 2021), when crime was "
        "unusually low"
    )
    assert "the 9 months after them are too few" in row["note"]
    # a lower threshold lets the 9 months carry a trend
    assert restriction_trend(y, min_months=9)[0]["covid_rule"] == "left out"
