"""The threat chapter (csplib/chapters/threat/) on small simulated data with fixed seeds."""

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from csplib.chapters import threat
from csplib.chapters.findings import Finding
from csplib.chapters.result import ChapterResult
from csplib.chapters.threat import series as threat_series
from csplib.chapters.threat.chapter import forecast_sentence
from csplib.chapters.threat.outlook import total_range_text
from csplib.core.schema import ASB
from csplib.methods.models import as_monthly_counts
from csplib.params import Window

# ---------------------------------------------------------------------------- helpers


def incidents_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """One row per incident from a long table (month, category, ward_name, count)."""
    reps = counts["count"].to_numpy(int)
    rows = counts.drop(columns="count").loc[np.repeat(counts.index, reps)]
    return rows.reset_index(drop=True)


def simulate_incidents(
    rng,
    months,
    categories=("Drugs", "Burglary", ASB),
    wards=("A", "B", "C", "D"),
    mean=20.0,
    effect=None,
):
    """Poisson counts per category x ward x month; ``effect(month, category, ward)`` multiplies."""
    rows = []
    for m in months:
        for c in categories:
            for w in wards:
                mu = mean * (effect(m, c, w) if effect else 1.0)
                rows.append((m, c, w, rng.poisson(mu)))
    counts = pd.DataFrame(rows, columns=["month", "category", "ward_name", "count"])
    return incidents_from_counts(counts), counts


MONTHS_60 = pd.date_range("2020-04-01", periods=60, freq="MS")


# ---------------------------------------------------------------------------- month_span, formats


def test_month_span_and_formats():
    assert threat.month_span("2022-04-15", "2025-03-01") == "Apr 2022 to Mar 2025"
    assert threat.month_span("2025-03-01", "2025-03-01") == "Mar 2025"
    formats = threat.table_formats(pd.DataFrame(columns=["rate_ratio", "ward", "change_pct"]))
    assert formats == {"change_pct": "{:+.1f}%", "rate_ratio": "{:.2f}"}
    assert threat.FORMATS["p_value"].format(0.000123) == "0.000123"


# ---------------------------------------------------------------------------- monthly_series


def test_monthly_series_matches_an_independent_count_and_keeps_missing_months_missing():
    rng = np.random.default_rng(1)
    months = pd.date_range("2023-01-01", periods=8, freq="MS")
    inc, counts = simulate_incidents(rng, months, mean=3.0)
    gap = months[3]
    inc = inc[inc["month"] != gap]
    present = months.drop(gap)
    wide = threat.monthly_series(
        inc.rename(columns={"ward_name": "ward"}), ["category", "ward"], months_present=present
    )
    assert wide.columns.names == ["category", "ward"]
    assert wide.index.freqstr == "MS" and len(wide) == 8
    assert wide.loc[gap].isna().all()
    expected = counts[counts["month"] != gap].set_index(["month", "category", "ward_name"])["count"]
    for (m, c, w), n in expected.items():
        assert wide.loc[m, (c, w)] == n  # zeros included: a present month with no incident
    # the one-key path (csplib.methods.volume.monthly_counts) agrees with the sum over wards
    by_cat = threat.monthly_series(inc, "category", months_present=present)
    pd.testing.assert_frame_equal(
        by_cat, wide.T.groupby(level="category").sum(min_count=1).T, check_names=False
    )


def test_monthly_series_cuts_at_end_and_masks_excluded_cells():
    rng = np.random.default_rng(2)
    months = pd.date_range("2023-01-01", periods=6, freq="MS")
    inc, _ = simulate_incidents(rng, months, mean=5.0)
    inc = inc.rename(columns={"ward_name": "ward"})
    exclude = pd.DataFrame({"month": [months[2], months[5]], "category": [ASB, "Drugs"]})
    wide = threat.monthly_series(inc, ["category", "ward"], end="2023-05-01", exclude=exclude)
    assert wide.index[-1] == pd.Timestamp("2023-05-01")
    assert wide.loc[months[2], ASB].isna().all()  # every ward of the category
    assert wide.loc[months[2], "Drugs"].notna().all()  # other categories kept
    assert wide.notna().sum().sum() == wide.size - 4  # the cell after `end` is not there
    by_cat = threat.monthly_series(inc, "category", exclude=exclude)
    assert np.isnan(by_cat.loc[months[5], "Drugs"]) and by_cat.loc[months[5], ASB] > 0


def test_monthly_series_errors():
    inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"]), "category": ["Drugs"]})
    with pytest.raises(ValueError, match="lack column"):
        threat.monthly_series(inc, ["category", "ward"])
    with pytest.raises(ValueError, match="no month with data up to 2023-12"):
        threat.monthly_series(inc, end="2023-12-01")
    inc["ward"] = "A"
    exclude = pd.DataFrame({"month": ["2024-01-01"], "category": ["Drugs"]})
    with pytest.raises(ValueError, match="keyed by 'category'"):
        threat.monthly_series(inc, "ward", exclude=exclude)


# ---------------------------------------------------------------------------- area_series


def test_area_series_all_crime_is_the_crime_total_checked_on_its_own():
    rng = np.random.default_rng(3)
    months = pd.date_range("2023-01-01", periods=9, freq="MS")
    inc, counts = simulate_incidents(rng, months, mean=40.0, wards=("A",))
    # a release that lost 95% of one month's crime: the total is implausible that month
    bad = months[4]
    crime = inc[(inc["month"] == bad) & (inc["category"] != ASB)]
    inc = inc.drop(crime.index[: int(0.95 * len(crime))])
    exclude = pd.DataFrame({"month": [months[6]], "category": ["Drugs"]})
    whole_area = threat.area_series(inc, exclude=exclude)
    crime_counts = counts[counts["category"] != ASB].groupby("month")["count"].sum()
    assert list(whole_area.columns) == [ASB, "Burglary", "Drugs", threat.ALL_CRIME]
    assert np.isnan(whole_area.loc[bad, threat.ALL_CRIME])
    # a defect in one category does not remove the month from the total
    assert whole_area.loc[months[6], threat.ALL_CRIME] == crime_counts[months[6]]
    assert np.isnan(whole_area.loc[months[6], "Drugs"])
    ok = months.drop(bad)
    np.testing.assert_array_equal(whole_area.loc[ok, threat.ALL_CRIME], crime_counts[ok])
    only_asb = threat.area_series(inc[inc["category"] == ASB])
    assert list(only_asb.columns) == [ASB]
    # as published and with the excluded cells missing, from one count of the incidents
    raw, masked = threat.area_frames(inc, exclude=exclude)
    pd.testing.assert_frame_equal(masked, whole_area)
    pd.testing.assert_frame_equal(raw, threat.area_series(inc))
    assert raw.loc[months[6], "Drugs"] == counts.query("category == 'Drugs'")["count"].iloc[6]


# ---------------------------------------------------------------------------- trends


def test_trend_windows():
    w = threat.trend_windows("2025-03", baseline=Window.parse("2018/19"))
    assert w == {
        "last 3 years": (pd.Timestamp("2022-04-01"), pd.Timestamp("2025-03-01")),
        "since 2018/19": (pd.Timestamp("2018-04-01"), pd.Timestamp("2025-03-01")),
    }
    # data starting later clip a window, which is then named by the first month with data
    # (never by the months it would have had); a baseline inside the recent window adds none
    w = threat.trend_windows("2025-03", first="2020-01", baseline=Window.parse("2018/19"))
    assert list(w) == ["last 3 years", "since Jan 2020"]
    assert w["since Jan 2020"] == (pd.Timestamp("2020-01-01"), pd.Timestamp("2025-03-01"))
    w = threat.trend_windows("2025-03", first="2023-07", baseline=Window.parse("2018/19"))
    assert w == {"since Jul 2023": (pd.Timestamp("2023-07-01"), pd.Timestamp("2025-03-01"))}
    assert list(threat.trend_windows("2025-03", baseline=Window.parse("2023/24"))) == [
        "last 3 years"
    ]
    assert list(threat.trend_windows("2025-03", recent_months=30)) == ["last 30 months"]


def simulated_trends(rng, n_each=20, months=48):
    idx = pd.date_range("2021-04-01", periods=months, freq="MS", name="month")
    t = np.arange(months) / 12
    season = 1 + 0.2 * np.cos(2 * np.pi * (idx.month.to_numpy() - 7) / 12)
    cols = {}
    for kind, rate in (("up", 1.25), ("flat", 1.0), ("down", 0.8)):
        for i in range(n_each):
            cols[(kind, f"w{i}")] = rng.poisson(30 * season * rate**t)
    wide = pd.DataFrame(cols, index=idx).astype(float)
    wide.columns.names = ["category", "ward"]
    return wide


def test_trend_table_recovers_known_trends_with_arrows_and_bh_q_values():
    rng = np.random.default_rng(4)
    wide = simulated_trends(rng)
    windows = {"all": (wide.index[0], wide.index[-1]), "last 2 years": (wide.index[24], None)}
    windows["last 2 years"] = (wide.index[24], wide.index[-1])
    table = threat.trend_table(wide, windows)
    assert table.index.names == ["category", "ward", "window"]
    assert len(table) == 2 * wide.shape[1]
    full = table.xs("all", level="window")
    # +25% / -20% a year: the intervals cover the truth for nearly every series
    up, down = full.loc["up"], full.loc["down"]
    assert ((up["lower_pct"] < 25) & (up["upper_pct"] > 25)).mean() >= 0.85
    assert ((down["lower_pct"] < -20) & (down["upper_pct"] > -20)).mean() >= 0.85
    assert (up["direction"] == threat.UP).all() and (down["direction"] == threat.DOWN).all()
    assert (full.loc["flat", "direction"] == threat.FLAT).mean() >= 0.8
    # the data start in April 2021: its three months of Covid-19 restrictions are left out
    assert (full["months_used"] == 45).all() and (full["covid_months"] == 3).all()
    assert (full["covid_rule"] == "left out").all()
    assert (table.xs("last 2 years", level="window")["months_used"] == 24).all()
    # q-values: Benjamini-Hochberg within each window
    q = multipletests(full["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(full["q_value"], q)
    # Mann-Kendall agrees with the GLM on clear trends
    assert full.loc["up", "mk_agrees"].all() and full.loc["down", "mk_agrees"].all()


def test_trend_table_arrow_follows_the_chosen_significance_and_short_series_get_no_estimate():
    rng = np.random.default_rng(5)
    wide = simulated_trends(rng, n_each=5)
    wide.iloc[:40, 0] = np.nan  # 8 months with data left
    window = {"all": (wide.index[0], wide.index[-1])}
    by_p = threat.trend_table(wide, window, mann_kendall=False)
    by_q = threat.trend_table(wide, window, significance="q_value", mann_kendall=False)
    assert "mk_p_value" not in by_p.columns
    first = by_p.iloc[0]
    assert np.isnan(first["annual_change_pct"]) and first["direction"] == threat.FLAT
    assert first["note"] == "Only 8 months with data (at least 12 are needed)."
    assert first["months_used"] == 8
    # q >= p, so the q-based arrows are a subset of the p-based ones
    sig_p = by_p["direction"] != threat.FLAT
    sig_q = by_q["direction"] != threat.FLAT
    assert (sig_q <= sig_p).all()
    assert ((by_q["q_value"] < 0.05) == sig_q).all()
    with pytest.raises(ValueError, match="significance must be"):
        threat.trend_table(wide, window, significance="alpha")


# ---------------------------------------------------------------------------- screen


def screen_frame(rng, step=2.5):
    idx = pd.date_range("2020-01-01", periods=48, freq="MS", name="month")
    cols = {}
    for cat, season_amp in (("Drugs", 0.0), (ASB, 0.3)):
        season = 1 + season_amp * np.cos(2 * np.pi * (idx.month.to_numpy() - 7) / 12)
        for w in range(15):
            cols[(cat, f"w{w}")] = rng.poisson(15 * season).astype(float)
    wide = pd.DataFrame(cols, index=idx)
    wide.columns.names = ["category", "ward"]
    wide.iloc[-6:, wide.columns.get_loc(("Drugs", "w4"))] = rng.poisson(15 * step, 6)
    return wide


def test_screen_problem_states_why():
    idx = pd.date_range("2024-01-01", periods=10, freq="MS")
    assert "need" in threat.screen_problem(pd.DataFrame({"a": np.ones(10)}, index=idx))
    assert threat.screen_problem(pd.DataFrame(index=idx)) == "There are no series to screen."
    idx = pd.date_range("2022-01-01", periods=24, freq="MS")
    wide = pd.DataFrame({"a": np.r_[np.ones(18), np.full(6, np.nan)]}, index=idx)
    assert threat.screen_problem(wide) == "There are no data in the last 6 months."
    wide = pd.DataFrame({"a": np.r_[np.full(10, np.nan), np.ones(14)]}, index=idx)
    assert threat.screen_problem(wide) == "No series has 12 baseline months with data."
    assert threat.screen_problem(pd.DataFrame({"a": np.ones(24)}, index=idx)) == ""


def test_run_screen_pools_by_category_and_flags_the_planted_step():
    wide = screen_frame(np.random.default_rng(6))
    res = threat.run_screen(wide)
    assert res.config["pool_by"] == ["category"]
    assert set(res.seasonal_index.index) == {ASB, "Drugs"}
    # each category its own season: ASB peaks in July, drugs flat
    assert res.seasonal_index.loc[ASB, "Jul"] > 1.15
    assert abs(res.seasonal_index.loc["Drugs", "Jul"] - 1) < 0.15
    assert res.flagged.index.tolist() == [("Drugs", "w4")]
    plain = threat.run_screen(wide.droplevel("category", axis=1).T.groupby(level=0).sum().T)
    assert plain.config["pool_by"] is None


def test_screen_table_is_the_ranked_table_with_keys_as_columns():
    res = threat.run_screen(screen_frame(np.random.default_rng(6)))
    table = threat.screen_table(res)
    assert table.index.name == "rank" and table.index.tolist() == list(range(1, 31))
    assert table.columns[:2].tolist() == ["category", "ward"]
    top = table.loc[1]
    assert (top["category"], top["ward"]) == ("Drugs", "w4")
    row = res.table.loc[("Drugs", "w4")]
    assert top["recent"] == row["observed"] and top["q_value"] == row["q_value"]
    assert top["rate_ratio"] == pytest.approx(row["observed"] / row["expected"])
    assert len(threat.screen_table(res, flagged_only=True)) == 1
    assert len(threat.screen_table(res, top=5)) == 5


# ---------------------------------------------------------------------------- series of concern


def fake_trends(rows):
    index = pd.MultiIndex.from_tuples(
        [(c, w, "last 3 years") for c, w, *_ in rows], names=["category", "ward", "window"]
    )
    return pd.DataFrame(
        {
            "annual_change_pct": [r[2] for r in rows],
            "lower_pct": [r[2] - 10 for r in rows],
            "upper_pct": [r[2] + 10 for r in rows],
            "q_value": [r[3] for r in rows],
            "direction": [r[4] for r in rows],
            "period": "Apr 2022 to Mar 2025",
        },
        index=index,
    )


def test_series_of_concern_screen_first_then_rises_then_falls():
    res = threat.run_screen(screen_frame(np.random.default_rng(6)))
    trends = fake_trends(
        [
            ("Drugs", "w4", 50.0, 0.001, threat.UP),  # already flagged: not repeated
            (ASB, "w1", -30.0, 0.0001, threat.DOWN),
            ("Drugs", "w2", 12.0, 0.01, threat.UP),
            ("Drugs", "w3", 20.0, 0.04, threat.UP),
            ("Drugs", "w9", 80.0, 0.3, threat.FLAT),  # not significant
        ]
    )
    out = threat.series_of_concern(res, trends, n=4, recent_label="Jul 2023 to Dec 2023")
    assert out[["category", "ward"]].apply(tuple, axis=1).tolist() == [
        ("Drugs", "w4"),
        ("Drugs", "w3"),
        ("Drugs", "w2"),
        (ASB, "w1"),
    ]
    assert out["selected_by"].tolist() == ["screen", "trend", "trend", "trend"]
    assert "recorded in Jul 2023 to Dec 2023 against" in out.loc[0, "finding"]
    assert out.loc[1, "finding"].startswith("rising by 20% a year (95% CI +10% to +30%")
    assert out.loc[3, "finding"].startswith("falling by 30% a year")
    assert len(threat.series_of_concern(res, trends, n=1)) == 1
    # a series chosen by its trend also states the screen's expected count and ratio
    screened = res.table.loc[("Drugs", "w3")]
    assert out.loc[1, "finding"].endswith(
        f"; {screened['observed']:,.0f} recorded in Jul 2023 to Dec 2023 against "
        f"{screened['expected']:,.1f} expected ({screened['rate_ratio']:.2f} times)"
    )
    empty = threat.series_of_concern(None, None)
    assert empty.empty and list(empty.columns) == ["series", "selected_by", "finding"]


# ---------------------------------------------------------------------------- series detail


def step_series(step, seed=7):
    idx = pd.date_range("2021-01-01", periods=42, freq="MS")
    mu = np.r_[np.full(36, 20.0), np.full(6, 20.0 * step)]
    return pd.Series(np.random.default_rng(seed).poisson(mu), index=idx, dtype=float)


def test_series_detail_titles_state_the_finding():
    up = threat.series_detail(step_series(2.5), "Drugs in A", key=("Drugs", "A"))
    assert up.key == ("Drugs", "A")
    assert up.expected.table.index[0] == pd.Timestamp("2024-01-01")  # the last 6 months
    assert up.spc.config["baseline"] == "2021-01 to 2023-12"
    observed = up.expected.table["observed"].sum()
    line1, line2 = up.expected_title.splitlines()
    assert line1.startswith(f"Drugs in A: {observed:,.0f} recorded in Jan 2024 to Jun 2024")
    above = int(up.expected.table["above"].sum())
    assert line2.startswith(
        "(expected: the level of the 36 months before, allowing for the season)"
    )
    assert above >= 4 and f"months above the expected range: {above} of 6" in line2
    assert up.spc_title.splitlines()[1].startswith("special-cause concern in 6 of the last 6")
    down = threat.series_detail(step_series(0.3), "Drugs in B")
    assert "special-cause improvement" in down.spc_title
    assert "below it: 0;" not in down.expected_title
    same = threat.series_detail(step_series(1.0), "Drugs in C")
    assert same.spc_title.endswith("common-cause variation only in the last 6 months")
    with pytest.raises(ValueError, match="more than recent_months"):
        threat.series_detail(step_series(1.0).iloc[:6], "x")


def test_detail_tables_stack_by_series():
    details = [threat.series_detail(step_series(s, seed=i), f"S{i}") for i, s in enumerate([1, 2])]
    expected, spc = threat.detail_tables(details)
    assert expected.index.names == ["series", "month"] and len(expected) == 12
    assert spc.index.get_level_values("series").unique().tolist() == ["S0", "S1"]
    pd.testing.assert_frame_equal(expected.loc["S1"], details[1].expected.table)
    empty_expected, empty_spc = threat.detail_tables([])
    assert empty_expected.empty and empty_spc.index.names == ["series", "month"]


# ---------------------------------------------------------------------------- lockdown


def lockdown_series(seed=8, effect=1.5):
    idx = pd.date_range("2016-04-01", "2021-06-01", freq="MS")
    season = 1 + 0.15 * np.cos(2 * np.pi * (idx.month.to_numpy() - 7) / 12)
    mu = 200 * season * np.where(idx >= "2020-04-01", effect, 1.0)
    y = pd.Series(np.random.default_rng(seed).poisson(mu), index=idx, dtype=float)
    y["2020-03-01"] = 5000  # a transition month: must be left out
    return y


def test_lockdown_problem():
    y = lockdown_series()
    assert threat.lockdown_problem(y) == ""
    short = y.loc["2018-06-01":]
    assert threat.lockdown_problem(short).startswith("The data hold 21 months before March 2020")
    gap = y.copy()
    gap["2020-07-01"] = np.nan
    assert "11 of the 12 months from April 2020" in threat.lockdown_problem(gap)


def test_lockdown_its_recovers_the_level_change_and_leaves_out_march_2020():
    res = threat.lockdown_its(lockdown_series())
    est, lo, hi = res.table.loc["level change", ["estimate", "lower", "upper"]]
    assert lo < 0.5 < hi and abs(est - 0.5) < 0.1
    assert np.isnan(res.observed["2020-03-01"])
    assert res.observed.index[0] == pd.Timestamp("2017-03-01")
    assert res.observed.index[-1] == pd.Timestamp("2021-03-01")
    assert res.config["intervention"] == "2020-04"
    table = threat.its_table({"ASB": res})
    assert table.loc[("ASB", "level change"), "estimate_pct"] == pytest.approx(100 * est)
    assert table.index.names == ["series", "effect"]
    assert threat.its_table({}).empty
    title = threat.its_title("ASB", res)
    assert title.startswith(f"ASB: {100 * est:.0f}% above its pre-pandemic trend in April 2020")
    null = threat.lockdown_its(lockdown_series(seed=9, effect=1.0))
    assert null.table.loc["level change", "p_value"] > 0.05
    assert threat.its_title("ASB", null).endswith("(not statistically significant)")


# ---------------------------------------------------------------------------- seasonality


def test_seasonal_profiles_use_the_window_and_skip_absent_series():
    idx = pd.date_range("2019-01-01", periods=72, freq="MS")
    rng = np.random.default_rng(10)
    summer = np.where(idx.month.isin([6, 7, 8]), 1.5, 1.0)
    # a winter peak in the first three years, a summer peak in the last three
    y = np.where(idx.year < 2022, rng.poisson(60 / summer), rng.poisson(60 * summer))
    wide = pd.DataFrame({ASB: y}, index=idx, dtype=float)
    late = threat.seasonal_profiles(wide, [ASB, threat.VIOLENCE], start="2022-01", end="2024-12")
    assert list(late) == [ASB]
    assert late[ASB].table["index"].idxmax() in (6, 7, 8)
    early = threat.seasonal_profiles(wide, [ASB], end="2021-12-01")
    assert early[ASB].table["index"].idxmax() not in (6, 7, 8)
    table = threat.profile_table(late)
    assert table.index.names == ["series", "month_of_year"] and len(table) == 12
    assert threat.profile_table({}).empty
    title = threat.profile_title(ASB, late[ASB], sep="\n")
    peak = late[ASB].table.loc[late[ASB].table["index"].idxmax()]
    assert title.splitlines()[0] == (
        f"{ASB} peaks in {peak['month']} ({100 * (peak['index'] - 1):.0f}% above a typical month)"
    )


# ---------------------------------------------------------------------------- forecasts


def test_forecasts_and_totals():
    idx = pd.date_range("2021-04-01", periods=48, freq="MS")
    rng = np.random.default_rng(11)
    y = pd.Series(rng.poisson(100, 48), index=idx, dtype=float)
    assert threat.forecast_problem(y) == ""
    assert threat.forecast_problem(y.iloc[:5]).endswith("there are 5.")
    res = threat.forecast_series(y)
    assert res.config["history"] == "2022-04 to 2025-03"  # the last 36 months
    assert res.table.index[0] == pd.Timestamp("2025-04-01") and len(res.table) == 12
    assert (res.table["lower"] < 100).all() and (res.table["upper"] > 100).all()
    table = threat.forecast_table({"ASB": res, threat.ALL_CRIME: res})
    assert table.index.names == ["series", "month"] and len(table) == 24
    assert threat.forecast_table({}).empty
    totals = threat.forecast_totals({"ASB": res}, y.to_frame("ASB"))
    row = totals.loc["ASB"]
    assert row["last_total"] == y.iloc[-12:].sum() and row["months_with_data"] == 12
    assert row["change_pct"] == pytest.approx(100 * (res.total / row["last_total"] - 1))
    assert abs(row["expected_total"] - 1200) < 120
    gappy = y.copy()
    gappy.iloc[-3] = np.nan
    assert np.isnan(
        threat.forecast_totals({"ASB": res}, gappy.to_frame("ASB")).iloc[0]["change_pct"]
    )
    # the total's interval: from the simulated years, far narrower than the monthly bounds
    # added up, and the table's numbers are the forecast's own
    assert (row["total_lower"], row["total_upper"]) == res.total_interval()
    assert row["total_lower"] < row["expected_total"] < row["total_upper"]
    summed = res.table["upper"].sum() - res.table["lower"].sum()
    assert row["total_upper"] - row["total_lower"] < 0.6 * summed
    title = threat.forecast_title("ASB", totals)
    # about 1,200 (95% range 1,100 to 1,300): rounded to a step of 10 or 100
    about = total_range_text(row["expected_total"], row["total_lower"], row["total_upper"])
    assert re.fullmatch(r"about [\d,]+0 \(95% range [\d,]+0 to [\d,]+0\)", about)
    assert title.startswith(f"ASB: {about} expected in Apr 2025 to Mar 2026 (")


# ---------------------------------------------------------------------------- the analysis


def rise_effect(m, c, w):
    """Drugs in ward B doubles in the last 6 months of MONTHS_60; ASB seasonal."""
    mult = 1.0
    if c == "Drugs" and w == "B" and m >= MONTHS_60[-6]:
        mult *= 2.0
    if c == ASB:
        mult *= 1 + 0.25 * np.cos(2 * np.pi * (m.month - 7) / 12)
    return mult


@pytest.fixture(scope="module")
def store():
    """A store's worth of incidents: 60 months with a gap, one implausible cell."""
    rng = np.random.default_rng(12)
    inc, _ = simulate_incidents(rng, MONTHS_60, effect=rise_effect)
    gap = MONTHS_60[20]
    return SimpleNamespace(
        incidents=inc[inc["month"] != gap],
        months_present=MONTHS_60.drop(gap),
        quality=SimpleNamespace(
            implausible=pd.DataFrame({"month": [MONTHS_60[30]], "category": ["Burglary"]})
        ),
    )


@pytest.fixture(scope="module")
def analysis(store):
    return threat.analyse_threat(
        store.incidents,
        months_present=store.months_present,
        end="2025-03-01",
        exclude=store.quality.implausible,
        baseline=Window.parse("2020/21"),
    )


def test_analyse_threat_counts_the_area_series_once(store, monkeypatch):
    calls = []

    def counted(*args, **kwargs):
        calls.append(kwargs.get("exclude"))
        return monthly_series(*args, **kwargs)

    monthly_series = threat_series.monthly_series
    monkeypatch.setattr(threat_series, "monthly_series", counted)
    a = threat.analyse_threat(
        store.incidents,
        months_present=store.months_present,
        exclude=store.quality.implausible,
    )
    assert calls == [None]  # once, as published; the exclusions are masked on a copy
    assert np.isnan(a.whole_area.loc[MONTHS_60[30], "Burglary"])
    assert len(a.excluded) == 1


def test_analyse_threat_finds_the_planted_rise(analysis):
    a = analysis
    assert a.end == pd.Timestamp("2025-03-01") and a.recent_label == "Oct 2024 to Mar 2025"
    assert list(a.windows) == ["last 3 years", "since 2020/21"]
    assert a.wards.shape == (60, 12) and threat.ALL_CRIME in a.whole_area.columns
    assert a.screen.flagged.index.tolist() == [("Drugs", "B")]
    assert a.concern.loc[0, ["category", "ward", "selected_by"]].tolist() == [
        "Drugs",
        "B",
        "screen",
    ]
    assert a.details[0].key == ("Drugs", "B") and len(a.details) == len(a.concern)
    assert a.area_trends.index.names == ["category", "window"]
    assert set(a.profiles) == {ASB}
    assert a.profiles[ASB].table["index"].idxmax() in (6, 7, 8)
    assert set(a.forecasts) == {threat.ALL_CRIME, ASB}
    # data start in April 2020: the lockdown cannot be modelled, and the reason says so
    assert a.lockdown == {}
    assert a.reasons["lockdown"].startswith("The Covid-19 lockdown cannot be modelled.")
    assert set(a.reasons) == {"lockdown"}
    assert a.excluded.to_dict("list") == {
        "category": ["Burglary"],
        "month": [MONTHS_60[30]],
    }
    assert a.settings["fdr"] == 0.05


def test_analysis_texts(analysis):
    a = analysis
    cover = a.coverage_text()
    assert cover.startswith("The analysis uses 59 months of police.uk data, Apr 2020 to Mar 2025")
    assert "1 month with no data (Dec 2021) is left out" in cover
    assert "Burglary in Oct 2022" in cover
    text = a.screen_text()
    assert text.startswith("1 of the 12 category x ward series tested changed in Oct 2024")
    assert "1 rose and 0 fell" in text and "Drugs in B" in text
    assert a.screen_title().startswith("1 ward series changed beyond chance")
    assert a.concern_text().startswith(f"The {len(a.concern)} series shown below are: 1 flagged")
    sig = a.significant_ward_trends()
    assert (sig["direction"] != threat.FLAT).all()
    assert sig["annual_change_pct"].is_monotonic_decreasing
    assert a.lockdown_sentences() == []


def test_threat_findings_state_numbers(analysis):
    findings = threat.threat_findings(analysis)
    assert all(isinstance(f, Finding) and f.evidence == "02_threat" for f in findings)
    texts = [f.text for f in findings]
    assert texts[0] == analysis.screen_text()
    # each links to the table that shows it
    assert findings[0].anchor == "table-screen_top"
    anchors = {f.text: f.anchor for f in findings}
    totals = threat.forecast_totals(analysis.forecasts, analysis.whole_area)
    crime = totals.loc[threat.ALL_CRIME]
    sentence = forecast_sentence(threat.ALL_CRIME, crime)
    assert sentence in texts and anchors[sentence] == "table-forecast_totals"
    about = total_range_text(crime["expected_total"], crime["total_lower"], crime["total_upper"])
    assert sentence.startswith(f"A{about[1:].replace(' (', ' recorded crimes (', 1)} are expected")
    recent = analysis.area_trends.xs("last 3 years", level="window")
    crime_trend = recent.loc[threat.ALL_CRIME]
    expected = (
        "Recorded crime showed no statistically significant trend"
        if crime_trend["direction"] == threat.FLAT
        else "Recorded crime "
    )
    assert any(t.startswith(expected) for t in texts)


def _stated(result) -> list[str]:
    """Everything a chapter result states: findings, notes, chart titles, table captions."""
    texts = [f.text for f in result.findings] + list(result.figures.values())
    texts += [t for note in result.notes.values() for t in note]
    return texts + [t.caption for t in result.tables.values()]


def test_data_shorter_than_the_windows_are_stated_as_used():
    """30 months (Apr 2022 - Sep 2024) with a gap in Jan 2023, for a period ending in
    Mar 2025 with a baseline year of 2020/21: every window the chapter states is the months
    it used (how many had data, and their span), none the 36 months it would have had."""
    months = pd.date_range("2022-04-01", "2024-09-01", freq="MS")
    inc, _ = simulate_incidents(np.random.default_rng(21), months)
    gap = pd.Timestamp("2023-01-01")
    a = threat.analyse_threat(
        inc[inc["month"] != gap],
        months_present=months.drop(gap),
        end="2025-03-01",
        baseline=Window.parse("2020/21"),
    )
    # the data stop in Sep 2024, start after both windows would: one window, named by its
    # start, with the months it had
    assert a.end == pd.Timestamp("2024-09-01")
    assert a.windows == {"since Apr 2022": (months[0], months[-1])}
    assert a.recent_label == "Apr 2024 to Sep 2024"
    assert a.baseline_months().sum() == 23 and len(a.baseline_months()) == 24
    result = threat.chapter_result(a)
    assert result.notes["windows"] == [
        "The emerging-trend screen (recent window: the last 6 months) compares the 6 months "
        "(Apr 2024 to Sep 2024) with the 23 months with data in the 24 before them "
        "(Apr 2022 to Mar 2024).",
        "The trend window 'since Apr 2022' uses the 29 months with data in the 30 "
        "(Apr 2022 to Sep 2024).",
        "The seasonal profiles use the months of the trend window 'since Apr 2022'.",
        "The forecast of All crime (excluding ASB) and Anti-social behaviour (fitted to at "
        "most the last 36 months) uses the 29 months with data in the 30 to Sep 2024 "
        "(Apr 2022 to Sep 2024).",
    ]
    trends = a.area_trends.xs("since Apr 2022", level="window")
    assert (trends["period"] == "Apr 2022 to Sep 2024 (29 months with data)").all()
    assert (trends["months_used"] == 29).all()
    findings = [f.text for f in result.findings]
    assert any(
        t.startswith(
            "Recorded crime showed no statistically significant trend over Apr 2022 to Sep "
            "2024 (29 months with data): "
        )
        for t in findings
    ), findings
    assert result.table("ward_trends_significant").caption.endswith(
        "over Apr 2022 to Sep 2024 (29 months with data)"
    )
    # nothing states the windows as meant: 36 months, three years, or the period's end
    stated = _stated(result)
    meant = re.compile(r"the 36 months|36 months (to|before)|last 3 years|Mar 2025")
    assert not [t for t in stated if meant.search(t)]


def test_gaps_in_the_recent_and_baseline_windows_are_counted():
    """The screen's recent window with a month missing, and an expected range whose
    baseline has gaps: the recent label, the concern text and the chart titles say so."""
    months = pd.date_range("2020-04-01", periods=60, freq="MS")
    inc, _ = simulate_incidents(np.random.default_rng(12), months, effect=rise_effect)
    gaps = pd.DatetimeIndex(["2022-06-01", "2022-07-01", "2025-01-01"])
    a = threat.analyse_threat(
        inc[~inc["month"].isin(gaps)], months_present=months.drop(gaps), end="2025-03-01"
    )
    assert a.recent_label == "Oct 2024 to Mar 2025 (5 months with data)"
    assert a.details, "the planted rise stands out"
    assert (
        "expected for Oct 2024 to Mar 2025 (5 months with data) from the 34 months with data "
        "in the 36 before it (Oct 2021 to Sep 2024)" in a.concern_text()
    )
    detail = a.details[0]
    assert "recorded in the 5 months with data of Oct 2024 to Mar 2025" in detail.expected_title
    assert "the 5 months with data in the last 6" in detail.spc_title


def test_short_data_give_reasons_not_errors():
    rng = np.random.default_rng(13)
    months = pd.date_range("2024-01-01", periods=3, freq="MS")
    inc, _ = simulate_incidents(rng, months)
    a = threat.analyse_threat(inc, end="2024-03-01")
    assert a.screen is None and a.area_trends is None and a.ward_trends is None
    assert a.details == [] and a.profiles == {} and a.lockdown == {} and a.forecasts == {}
    assert set(a.reasons) == {
        "screen",
        "trends",
        "ward_trends",
        "concern",
        "profiles",
        "lockdown",
        "forecast",
    }
    assert a.reasons["screen"].endswith("the data cover 3.")
    assert a.reasons["forecast"] == (
        "No forecast was made. A forecast needs at least 12 months with data; there are 3."
    )
    findings = threat.threat_findings(a)
    assert [f.text for f in findings] == [a.reasons["screen"]]
    assert a.concern_text() == a.reasons["concern"]
    assert a.significant_ward_trends().empty
    with pytest.raises(ValueError, match="no month with data up to 2023-06"):
        threat.analyse_threat(inc, end="2023-06-01")
    with pytest.raises(ValueError, match=r"lack column\(s\) \['ward'\]"):
        threat.analyse_threat(inc, ward_column="ward")


def test_lockdown_is_modelled_when_the_data_span_it():
    idx = pd.date_range("2016-04-01", "2021-06-01", freq="MS")
    rng = np.random.default_rng(14)

    def effect(m, c, w):
        if m >= pd.Timestamp("2020-04-01"):
            return 1.6 if c == ASB else 0.6
        return 1.0

    inc, _ = simulate_incidents(rng, idx, effect=effect, wards=("A", "B"))
    a = threat.analyse_threat(inc)
    assert set(a.lockdown) == {ASB, threat.ALL_CRIME}
    asb = a.lockdown[ASB].table.loc["level change"]
    crime = a.lockdown[threat.ALL_CRIME].table.loc["level change"]
    assert asb["lower"] < 0.6 < asb["upper"] and crime["lower"] < -0.4 < crime["upper"]
    sentences = a.lockdown_sentences()
    assert sentences[0].startswith(
        "In April 2020, the first full month of lockdown, anti-social behaviour was "
        f"{100 * asb['estimate']:.0f}% higher"
    )
    assert "recorded crime was" in sentences[1] and "lower" in sentences[1]
    assert as_monthly_counts(a.whole_area[ASB]).index[-1] == pd.Timestamp("2021-06-01")


# ---------------------------------------------------------------------------- the chapter


TABLES = [
    "screen_all",
    "screen_top",
    "series_of_concern",
    "concern_expected_ranges",
    "concern_spc",
    "category_trends_detail",
    "category_trends",
    "ward_trends",
    "ward_trends_significant",
    "seasonal_profiles",
    "forecast_totals",
    "forecast_monthly",
]


@pytest.fixture(scope="module")
def result(store):
    params = SimpleNamespace(
        assessment=SimpleNamespace(period=Window.parse("2024/25"), baseline=Window.parse("2020/21"))
    )
    return threat.assess(SimpleNamespace(params=params, store=store))


def test_assess_returns_the_chapter_result_of_the_analysis(result, analysis):
    assert isinstance(result, ChapterResult) and result.chapter == "02_threat"
    assert [f.text for f in result.findings] == [f.text for f in threat.threat_findings(analysis)]
    assert all(f.evidence == "02_threat" for f in result.findings)
    # no lockdown table: the data start after it
    assert list(result.tables) == TABLES
    pd.testing.assert_frame_equal(result.analysis.ward_trends, analysis.ward_trends)


def test_assess_tables_declare_their_counts(result, analysis):
    derived = ("rate_ratio", "rr_lower", "rr_upper", "pct_change", "p_value", "q_value")
    screen = {c: ("recent",) for c in (*derived, "flagged", "change")}
    for name in ("screen_all", "screen_top"):
        table = result.table(name)
        assert table.counts == ("recent",) and table.derived == screen
    ranges = result.table("concern_expected_ranges")
    flags = ("p_high", "p_low", "above", "below", "run_high", "run_low")
    assert ranges.counts == ("observed",)
    assert ranges.derived == {c: ("observed",) for c in flags}  # each gives the count back
    spc = result.table("concern_spc")
    assert spc.counts == ("value",) and set(spc.derived) >= {"special_cause", "variation"}
    # everything else is a model estimate: nothing to suppress
    counted = ("screen_all", "screen_top", "concern_expected_ranges", "concern_spc")
    rest = [n for n in TABLES if n not in counted]
    assert all(result.table(n).counts == () and result.table(n).derived == {} for n in rest)
    for table in result.tables.values():
        assert table.caption and table.totals is None
        assert table.formats == threat.table_formats(table.frame)
    ranked = result.table("screen_all").frame
    assert len(ranked) == 12  # every series; the chapter shows the first 15
    pd.testing.assert_frame_equal(result.table("screen_top").frame, ranked.head(15))
    assert result.table("screen_all").frame["recent"].sum() == (
        analysis.screen.table["observed"].sum()
    )
    assert list(result.table("ward_trends_significant").frame.columns) == threat.TREND_COLUMNS
    pd.testing.assert_frame_equal(result.table("series_of_concern").frame, analysis.concern)


def test_screen_table_chart_and_sentence_state_one_expected_level(result):
    """Every series shown in detail: the screen table's expected count and ratio (as the
    page formats them) are the ones its chart title and its finding sentence state."""
    ranked = result.table("screen_all")
    fmt = ranked.formats
    rows = ranked.frame.set_index(["category", "ward"])
    concern = result.table("series_of_concern").frame.set_index(["category", "ward"])
    details = result.analysis.details
    assert details and {d.key for d in details} == set(concern.index)
    for detail in details:
        row = rows.loc[detail.key]
        ratio = fmt["rate_ratio"].format(row["rate_ratio"])
        expected = fmt["expected"].format(row["expected"])
        stated = f"{ratio} times the {expected} expected"
        assert stated in result.figures[f"expected_range: {detail.label}"]
        assert f"against {expected} expected ({ratio} times" in concern.loc[detail.key, "finding"]
        # and the chart draws that level: its months add up to the screen's expected count
        table = detail.expected.table
        has = table["observed"].notna()
        assert table.loc[has, "expected"].sum() == pytest.approx(row["expected"])


def test_assess_headline_figures_and_notes(result, analysis):
    head = result.headline
    assert head["months_with_data"] == 59 and head["period"] == "Apr 2020 to Mar 2025"
    assert (head["series_screened"], head["series_flagged"], head["flagged_rises"]) == (12, 1, 1)
    assert head["series_of_concern"][0] == "Drugs in B"
    crime = head["area_trends"][threat.ALL_CRIME]
    recent = analysis.area_trends.xs("last 3 years", level="window").loc[threat.ALL_CRIME]
    assert crime["annual_change_pct"] == recent["annual_change_pct"]
    assert crime["direction"] == recent["direction"]
    assert set(head["forecasts"]) == {threat.ALL_CRIME, ASB}
    asb = head["forecasts"][ASB]
    assert asb["total_lower"] < asb["expected_total"] < asb["total_upper"]
    assert "lockdown_level_change_pct" not in head
    assert result.figures["screen"] == analysis.screen_title()
    assert result.figures["expected_range: Drugs in B"] == analysis.details[0].expected_title
    assert result.figures[f"seasonal_profile: {ASB}"].startswith(f"{ASB} peaks in ")
    assert result.figures[f"forecast: {ASB}"].startswith(f"{ASB}: about ")
    notes = result.notes
    assert notes["coverage"] == [analysis.coverage_text()]
    assert notes["screen"] == [analysis.screen_text()]
    assert notes["lockdown"] == [analysis.reasons["lockdown"]]
    assert notes["lockdown_estimates"] == [] and notes["forecast"] == []
    assert notes["ward_trends"][0].endswith("in the data annex (its table of ward trends).")
    # the saved form keeps all of it but the table values
    saved = ChapterResult.from_json(result.to_json())
    assert saved.findings == result.findings and saved.notes == result.notes
    assert saved.headline["series_flagged"] == 1 and list(saved.tables) == TABLES


def test_assess_on_short_data_states_reasons():
    inc, _ = simulate_incidents(
        np.random.default_rng(13), pd.date_range("2024-01-01", periods=3, freq="MS")
    )
    res = threat.chapter_result(threat.analyse_threat(inc, end="2024-03-01"))
    assert res.tables == {} and res.figures == {}
    assert res.notes["screen"] == [res.analysis.reasons["screen"]]
    assert res.notes["trends"][0].startswith("No trends were estimated.")
    assert res.notes["forecast"][0].startswith("No forecast was made.")
    assert [f.text for f in res.findings] == res.notes["screen"]
