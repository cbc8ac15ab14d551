"""Unit tests of csplib.chapters.performance: rows, periods, targets, findings and charts.

Small-number protection (the counts behind the tables, protected with secondary suppression)
is in test_performance_protection.py.

Every fixture is built here; expected values are worked out by hand or with an independent
implementation (scipy's binomial test, numpy's least squares) and simulated data with a
planted change (fixed seed). Targets come from a framework (the worked example's,
parameters/nottingham/framework.yaml): the measure library sets none.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csplib.chapters.findings import Finding
from csplib.chapters.performance import (
    MIN_YEARS_TO_PROJECT,
    NO_TARGET,
    PerformanceData,
    assess_rows,
    assessment_period,
    comparison_period,
    format_performance_rows,
    format_targets_frame,
    format_tracking_frame,
    measure_definitions,
    performance_findings,
    performance_rows_frame,
    resolve_period,
    target_chart,
    target_charts,
    targets_frame,
    targets_summary,
    track_framework_targets,
    tracking_frame,
    unavailable_notes,
)
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period
from csplib.methods.measures import load_framework
from csplib.params import Window

ASB = "Anti-social behaviour"
NOTTS = load_framework(Path(__file__).parents[2] / "parameters" / "nottingham" / "framework.yaml")
REG = NOTTS.registry


def incidents(counts: dict, start="2018-04", end="2020-03", drop=()):
    """Monthly incidents: ``counts`` maps category -> rows per month (or f(month) -> rows)."""
    rows = []
    for month in pd.date_range(f"{start}-01", f"{end}-01", freq="MS"):
        if month in pd.DatetimeIndex(pd.to_datetime(list(drop))):
            continue
        for cat, n in counts.items():
            k = n(month) if callable(n) else n
            rows += [(month, cat)] * int(k)
    return pd.DataFrame(rows, columns=["month", "category"])


def survey(waves: dict):
    """Calendar-year survey rows: year -> (numerator, denominator)."""
    years = sorted(waves)
    return pd.DataFrame(
        {
            "indicator": "survey_experience_asb",
            "area": "E06000018",
            "period_start": pd.to_datetime([f"{y}-01-01" for y in years]),
            "period_end": pd.to_datetime([f"{y}-12-31" for y in years]),
            "numerator": [float(waves[y][0]) for y in years],
            "denominator": [float(waves[y][1]) for y in years],
            "value": np.nan,
            "source": "test",
        }
    )


def completions(ends, num=220, den=1000):
    """Rolling 12-month successful completions rows ending each month in ``ends``."""
    ends = pd.date_range(*ends, freq="MS")
    starts = ends - pd.DateOffset(months=11)
    return pd.DataFrame(
        {
            "indicator": "treatment_successful_completions",
            "area": "E06000018",
            "period_start": starts,
            "period_end": ends + pd.offsets.MonthEnd(0),
            "numerator": float(num),
            "denominator": float(den),
            "value": num / den,
            "source": "test",
        }
    )


# -- periods and data -------------------------------------------------------------------


def test_assessment_period_keeps_the_partnership_labels():
    fy = assessment_period(Window.parse("2024/25"))
    assert (fy.label, fy.previous_year().label, fy.kind) == ("2024/25", "2023/24", "financial_year")
    cy = assessment_period(Window.parse("2019"))
    assert (cy.label, cy.previous_year().label) == ("2019", "2018")
    w = assessment_period(Window.parse({"start": "2019-09", "end": "2020-08"}))
    assert (w.label, w.previous_year().label, w.n_months) == (
        "Sep 19 - Aug 20",
        "Sep 18 - Aug 19",
        12,
    )
    custom = assessment_period(
        Window.parse({"start": "2024-01", "end": "2024-03", "label": "Q4 so far"})
    )
    assert custom.label == "Q4 so far" and custom.n_months == 3
    with pytest.raises(ParamsError, match="assessed period"):
        assessment_period(42)


def test_performance_data_checks_tables_and_defaults_months():
    with pytest.raises(ParamsError, match="unknown table"):
        PerformanceData({"crimes": pd.DataFrame()})
    inc = incidents({"Burglary": 1}, "2019-01", "2019-03")
    data = PerformanceData({"incidents": inc, "partner": None})
    assert not data.has("partner") and data.has("incidents")
    assert list(data.months_present.strftime("%Y-%m")) == ["2019-01", "2019-02", "2019-03"]
    assert data.why_absent("partner") == "no partner data in the store"


def test_residents_uses_the_year_of_the_middle_month():
    asked = []

    def population(year):
        asked.append(year)
        return 1000.0 * year

    data = PerformanceData({}, population=population)
    assert data.residents(Period.parse("2019/20")) == 2019 * 1000.0  # middle: Sep 2019
    assert data.residents(Period.parse("Q4 2019/20")) == 2020 * 1000.0  # Feb 2020
    data.residents(Period.parse("2019/20"))
    assert asked == [2019, 2020]  # cached
    assert PerformanceData({}, population=5.0).residents(Period.parse("2019")) == 5.0
    assert PerformanceData({}).residents(Period.parse("2019")) is None


def test_framework_sections_are_the_chapters_rows():
    rows = NOTTS.sections
    assert list(rows) == ["Headline measures", "Tracked categories", "Other framework measures"]
    assert rows["Headline measures"][:2] == ["victim_based_crime", "asb_police_recorded"]
    listed = [m for ids in rows.values() for m in ids]
    assert len(listed) == len(set(listed)) == 31
    # a framework reports its sections, never the whole library
    generic = load_framework().sections
    assert generic["Other framework measures"] == []
    assert "hate_crime_volume" not in [m for ids in generic.values() for m in ids]


def test_resolve_and_compare_survey_waves_across_a_missing_year():
    ind = survey({2018: (172, 2023), 2019: (179, 1950), 2021: (206, 2136), 2022: (171, 2116)})
    data = PerformanceData({"indicators": ind})
    p = resolve_period("experience_of_asb", data, "2021/22")
    assert p.label == "2021 Survey" and p == Period.calendar_year(2021)
    # no 2020 survey: the 2021 wave is compared with 2019
    assert comparison_period("experience_of_asb", data, p).label == "2019 Survey"
    assert comparison_period("experience_of_asb", data, "2022").label == "2021 Survey"
    assert comparison_period("experience_of_asb", data, p, Period.parse("2018/19")).label == (
        "2018 Survey"
    )
    with pytest.raises(
        DataError, match="no 'survey_experience_asb' row ends within Jan 21 - Mar 21"
    ):
        resolve_period("experience_of_asb", data, "Jan 21 - Mar 21")
    with pytest.raises(DataError, match="no earlier"):
        comparison_period("experience_of_asb", data, "2018")


def test_rolling_indicator_prefers_the_exact_row_else_the_latest_inside():
    data = PerformanceData({"indicators": completions(("2019-03-01", "2020-08-01"))})
    done = NOTTS["successful_completions"]
    assert resolve_period(done, data, "2019/20").label == "2019/20"
    # a 3-month period: the latest 12 months ending inside it
    q = resolve_period(done, data, "Q1 2020/21")
    assert (q.start, q.end) == (pd.Timestamp("2019-07-01"), pd.Timestamp("2020-06-01"))
    # additive measures keep the period asked for
    assert resolve_period("burglary", data, "Q1 2020/21") == Period.parse("Q1 2020/21")


# -- performance rows -------------------------------------------------------------------


def test_count_row_values_changes_and_an_independent_exact_poisson_test():
    # 2018/19: 10 burglaries a month; 2019/20: 12 a month (120 against 144)
    inc = incidents({"Burglary": lambda m: 10 if m < pd.Timestamp("2019-04-01") else 12})
    [row] = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    c = row.change
    assert (row.value.value, c.previous, c.volume_change) == (144.0, 120.0, 24.0)
    assert c.pct_change == pytest.approx(20.0)
    p = stats.binomtest(144, 264, 0.5).pvalue  # independent: equal exposures
    assert c.p_value == pytest.approx(p) and (p < 0.05) == c.significant
    frame = performance_rows_frame([row])
    assert frame.loc[0, "DOT"] == ("↑" if p < 0.05 else "↔")
    shown = format_performance_rows(frame)
    assert shown.loc[0, ["Performance", "% Change", "Vol. Change"]].tolist() == [
        "144",
        "+20.0%",
        "+24",
    ]


def test_planted_rise_is_found_and_null_categories_mostly_are_not():
    """Simulation with known truth: +30% burglary, no change in 8 other categories."""
    rng = np.random.default_rng(20240601)
    months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    cats = {
        "Burglary": 200,
        "Robbery": 60,
        "Vehicle crime": 150,
        "Shoplifting": 400,
        "Other theft": 300,
        "Bicycle theft": 90,
        "Public order": 250,
        "Drugs": 170,
        "Other crime": 100,
    }
    rows = []
    for m in months:
        for cat, mu in cats.items():
            lam = mu * (1.3 if cat == "Burglary" and m >= pd.Timestamp("2019-04-01") else 1.0)
            rows += [(m, cat)] * int(rng.poisson(lam))
    data = PerformanceData({"incidents": pd.DataFrame(rows, columns=["month", "category"])})
    ids = [
        "burglary",
        "robbery",
        "vehicle_crime",
        "shoplifting",
        "other_theft",
        "bicycle_theft",
        "public_order",
        "drugs",
        "other_crime",
    ]
    frame = performance_rows_frame(assess_rows(data, "2019/20", ids))
    dot = dict(zip(frame["measure"], frame["DOT"], strict=True))
    assert dot["burglary"] == "↑"
    assert frame.loc[0, "% Change"] == pytest.approx(30, abs=3)
    assert sum(dot[m] != "↔" for m in ids[1:]) <= 1  # about 5% false positives expected


def test_absent_source_and_uncovered_comparison_keep_their_rows():
    inc = incidents({"Burglary": 2, ASB: 1}, "2019-01", "2019-12")
    rows = assess_rows(
        PerformanceData({"incidents": inc}, absent={"partner": "no extract named"}),
        "2019",
        ["burglary", "hate_crime_repeat_victims", "asb_police_recorded"],
    )
    assert [r.measure.id for r in rows] == [
        "burglary",
        "hate_crime_repeat_victims",
        "asb_police_recorded",
    ]
    assert rows[0].value.value == 24 and rows[0].change is None
    assert "no police.uk data for the comparison period 2018" in rows[0].note
    assert rows[1].value is None and rows[1].note == "no partner data: no extract named"
    frame = performance_rows_frame(rows)
    assert frame["DOT"].tolist() == ["n/a", "n/a", "n/a"]
    assert np.isnan(frame.loc[1, "Performance"]) and frame.loc[0, "Performance"] == 24
    notes = unavailable_notes(rows)
    assert notes[0].startswith("Volume of Police Recorded Incidents".join(["Burglary, ", ""]))
    assert notes[1] == "Volume of Repeat Victims: no partner data: no extract named."


def test_partly_covered_period_keeps_its_value_and_is_compared_like_for_like():
    inc = incidents({"Burglary": 5, ASB: lambda m: 10 if m.year == 2019 else 8},
                    drop=["2019-08-01"])  # fmt: skip
    rows = assess_rows(
        PerformanceData({"incidents": inc}), "2019/20", ["burglary", "asb_police_recorded"]
    )
    row, asb = rows
    # the period's count keeps every month it has, stated as 11 of 12 months
    assert row.value.value == 55 and not row.value.complete
    assert "11 of 12 months (missing: Aug 2019)" in row.note
    # compared like-for-like: Aug 2018 is left out too (55 against 55, not 55 against 60)
    assert row.basis.kind == "like_for_like" and row.basis.n_months == 11
    assert (row.change.current, row.change.previous) == (55, 55)
    assert row.previous.value == 60 and row.current_compared.value == 55
    assert row.previous_compared.value == 55 and row.change.volume_change == 0
    assert (
        "2019/20 against 2018/19, like-for-like: Apr-Jul and Sep-Mar (11 of 12 months; "
        "no data for Aug 2019)" in row.note
    )
    # ASB, 10 a month in 2019 and 8 in other years, over Apr-Jul, Sep-Dec and Jan-Mar
    assert asb.change.current == 4 * 10 + 4 * 10 + 3 * 8  # 2019/20
    assert asb.change.previous == 4 * 8 + 4 * 8 + 3 * 10  # 2018/19 less Aug 2018
    assert asb.change.p_value == pytest.approx(
        stats.binomtest(int(asb.change.current), int(asb.change.current + asb.change.previous),
                        0.5).pvalue)  # fmt: skip
    frame = performance_rows_frame(rows)
    assert frame.loc[0, "Performance"] == 55 and frame.loc[0, "Previous"] == 60
    assert frame.loc[0, "Months"] == "11 of 12 months" and not frame.loc[0, "Complete"]
    assert frame.loc[0, "Compared"] == "like-for-like: Apr-Jul and Sep-Mar (11 of 12 months)"
    assert frame.loc[0, ["Performance (compared)", "Previous (compared)"]].tolist() == [55, 55]
    shown = format_performance_rows(frame)
    assert shown.loc[0, "Performance Period"] == "2019/20 (11 of 12 months)"
    assert "like-for-like" in shown.loc[0, "Note"]
    [finding] = [f.text for f in performance_findings(rows[:1])]
    assert "compared with 2018/19, like-for-like: Apr-Jul and Sep-Mar (11 of 12 months)" in (
        finding
    )
    # a gap in the comparison year: the period is complete, the comparison like-for-like
    inc = incidents({"Burglary": 5}, drop=["2018-08-01"])
    [row] = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    assert row.value.complete and row.value.value == 60 and row.previous.value == 55
    assert (row.change.current, row.change.previous) == (55, 55)
    frame = performance_rows_frame([row])
    assert frame.loc[0, "Complete"] and frame.loc[0, "Months"] == "all 12 months"
    assert format_performance_rows(frame).loc[0, "Performance Period"] == "2019/20"
    assert "no data for Aug 2018" in row.note


def test_comparison_with_no_month_in_common_is_dropped_and_says_why():
    # 2018/19 has data only for Apr-Jun 2018; 2019/20 only from Jul 2019
    months = [m for m in pd.date_range("2018-04-01", "2020-03-01", freq="MS")
              if m < pd.Timestamp("2018-07-01") or m >= pd.Timestamp("2019-07-01")]  # fmt: skip
    inc = pd.DataFrame({"month": np.repeat(months, 2), "category": "Burglary"})
    [row] = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    assert row.value.value == 18 and row.previous.value == 6 and row.change is None
    assert row.basis.kind == "dropped"
    assert "no month has data in both 2019/20 and 2018/19: not compared" in row.note
    frame = performance_rows_frame([row])
    assert frame.loc[0, "DOT"] == "n/a" and frame.loc[0, "Compared"].startswith("not compared")
    assert unavailable_notes([row]) == [
        "Burglary: the period 2019/20 has 9 of 12 months (missing: Apr 2019, May 2019, "
        "Jun 2019) of police.uk data; no month has data in both 2019/20 and 2018/19."
    ]


def test_complete_periods_are_compared_as_before():
    inc = incidents({"Burglary": lambda m: 6 if m.year == 2019 and m.month >= 4 else 5})
    [row] = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    assert row.basis.kind == "complete" and row.value.complete
    assert row.current_compared is row.value and row.previous_compared is row.previous
    assert (row.change.current, row.change.previous) == (9 * 6 + 3 * 5, 60)
    frame = performance_rows_frame([row])
    assert frame.loc[0, "Compared"] == "all 12 months" and frame.loc[0, "Note"] == ""


def test_period_of_another_length_than_the_baseline_is_not_compared():
    inc = incidents({ASB: 3})
    [row] = assess_rows(
        PerformanceData({"incidents": inc}),
        "Q4 2019/20",
        ["asb_police_recorded"],
        against="baseline",
        registry=REG,
    )
    assert row.value.value == 9 and row.change is None
    assert "Q4 2019/20 (3 months) and 2018/19 (12 months) differ in length" in row.note
    [row] = assess_rows(
        PerformanceData({"incidents": inc}),
        "2019/20",
        ["asb_police_recorded"],
        against="baseline",
        registry=REG,
    )
    assert row.comparison.label == "2018/19" and row.change.volume_change == 0
    # the library sets no target, so no baseline
    with pytest.raises(ParamsError, match="against='baseline' needs a measure with a target"):
        assess_rows(
            PerformanceData({"incidents": inc}),
            "2019/20",
            ["asb_police_recorded"],
            against="baseline",
        )


def test_implausible_month_is_named_in_the_note():
    inc = incidents({ASB: 10, "Burglary": 10})
    flags = pd.DataFrame(
        {"month": [pd.Timestamp("2018-06-01")], "category": [ASB], "direction": ["low"]}
    )
    rows = assess_rows(
        PerformanceData({"incidents": inc}, implausible=flags),
        "2019/20",
        ["asb_police_recorded", "burglary", "all_crime"],
    )
    assert rows[0].warning == (
        "the comparison period 2018/19 includes Jun 2018 Anti-social behaviour "
        "(implausibly low): read with care"
    )
    assert rows[1].warning == "" and rows[2].warning == ""  # ASB is not a crime
    assert rows[0].note == "" and "Jun 2018" in performance_rows_frame(rows).loc[0, "Note"]


def test_survey_row_uses_the_survey_interval():
    ind = survey({2018: (170, 2000), 2019: (184, 2000)})
    [row] = assess_rows(PerformanceData({"indicators": ind}), "2019/20", ["experience_of_asb"])
    assert row.period.label == "2019 Survey" and row.comparison.label == "2018 Survey"
    p1, p2 = 0.092, 0.085
    se = math.sqrt(p1 * (1 - p1) / 2000 + p2 * (1 - p2) / 2000)
    lo, hi = (p1 - p2) - 1.959964 * se, (p1 - p2) + 1.959964 * se
    assert row.change.test.ci == pytest.approx((100 * lo, 100 * hi), abs=1e-4)
    shown = format_performance_rows(performance_rows_frame([row])).iloc[0]
    assert shown[
        ["Performance", "Performance Period", "% Change", "Vol. Change", "DOT"]
    ].tolist() == [
        "9.2%",
        "2019 Survey",
        "+0.7pp",
        "n/a",
        "↔ no significant change",
    ]


def test_hate_repeat_share_row_from_a_partner_extract():
    # 2019/20: 10 victims, 3 with two crimes; 2018/19: 10 victims, 5 with two crimes
    def year(start, repeats):
        rows = []
        for v in range(10):
            n = 2 if v < repeats else 1
            rows += [(pd.Timestamp(start), f"V{start[:4]}{v}", True)] * n
        rows.append((pd.Timestamp(start), "X", False))  # not hate
        return rows

    partner = pd.DataFrame(
        year("2018-06-01", 5) + year("2019-06-01", 3), columns=["month", "victim_id", "hate"]
    )
    months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    partner = pd.concat(
        [partner, pd.DataFrame({"month": months, "victim_id": None, "hate": False})]
    )
    rows = assess_rows(
        PerformanceData({"partner": partner}),
        "2019/20",
        ["hate_crime_repeat_victims", "hate_crime_repeat_victim_share"],
        registry=REG,
    )
    assert rows[0].value.value == 3 and rows[0].change.volume_change == -2
    assert rows[1].value.value == pytest.approx(30.0) and rows[1].change.pp_change == pytest.approx(
        -20
    )
    # the share has the target; the count of repeat victims has none of its own
    assert rows[1].target == "Reduce Repeat Victimisation by 10%" and rows[0].target == ""


def test_target_per_theme_copies_a_themes_target_only_when_asked():
    # targets on victim-based crime and ASB only: shoplifting (theme Crime) and the ASB rate
    # have none of their own
    reg = NOTTS.registry
    data = PerformanceData(
        {"incidents": incidents({"Burglary": 3, "Shoplifting": 2, ASB: 4})}, population=1000.0
    )
    ids = ["victim_based_crime", "shoplifting", "asb_police_recorded", "asb_rate", "drugs"]
    off = assess_rows(data, "2019/20", ids, registry=reg)
    assert [r.target for r in off] == ["Reduce Crime", "", "Reduce ASB by 25%", "", ""]
    on = assess_rows(data, "2019/20", ids, registry=reg, target_per_theme=True)
    assert [r.target for r in on] == [
        "Reduce Crime",
        "Reduce Crime",
        "Reduce ASB by 25%",
        "Reduce ASB by 25%",
        "Reduce Crime",
    ]
    # shown: a repeated area and target are blank (as published), so a row without a target
    # among rows of its area with one says so, rather than a blank read as the target above
    shown = format_performance_rows(performance_rows_frame(off))
    assert shown[["Area", "Target"]].values.tolist() == [
        ["Crime", "Reduce Crime"],
        ["", NO_TARGET],
        ["Anti-Social Behaviour", "Reduce ASB by 25%"],
        ["", NO_TARGET],
        ["Crime", ""],  # an area of its own with no target: nothing to tell apart
    ]
    shown = format_performance_rows(performance_rows_frame(on))
    assert shown["Target"].tolist() == ["Reduce Crime", "", "Reduce ASB by 25%", "", "Reduce Crime"]


def test_rate_volume_change_is_a_whole_number():
    inc = incidents({ASB: lambda m: 10 if m < pd.Timestamp("2019-04-01") else 11})
    data = PerformanceData({"incidents": inc}, population=2000.0)
    frame = performance_rows_frame(assess_rows(data, "2019/20", ["asb_rate"]))
    assert frame.loc[0, "Performance"] == pytest.approx(132 / 2000 * 1000)
    assert frame.loc[0, "Vol. Change"] == 12
    shown = format_performance_rows(frame)
    assert shown.loc[0, ["Performance", "Vol. Change"]].tolist() == ["66.0", "+12"]


def test_rate_without_population_is_explained():
    [row] = assess_rows(
        PerformanceData({"incidents": incidents({ASB: 1})}), "2019/20", ["asb_rate"]
    )
    assert row.value is None and row.note == "no population given for the rate per 1,000"


# -- targets ----------------------------------------------------------------------------


def asb_years(values: dict, end="2023-03"):
    """ASB incidents with a fixed total per financial year (spread over its months)."""

    def per_month(m):
        fy = m.year if m.month >= 4 else m.year - 1
        total = values[fy]
        return total // 12 + (1 if (m.month - 4) % 12 < total % 12 else 0)

    return incidents({ASB: per_month}, "2018-04", end)


def test_target_path_on_track_and_linear_projection_by_hand():
    values = {2018: 1200, 2019: 1140, 2020: 1000, 2021: 960, 2022: 900}
    data = PerformanceData({"incidents": asb_years(values)})
    [t] = track_framework_targets(data, "2020/21", [("asb_police_recorded", None)], registry=REG)
    s = t.status
    assert t.annual.tolist()[:3] == [1200, 1140, 1000]
    assert t.cells == {"2021/22": "Awaiting data", "2022/23": "Awaiting data"}
    # target 900 by the end of 2022/23; two years of four elapsed: path 1,050
    assert (s.target_value, s.elapsed, s.path_value) == (900.0, 0.5, 1050.0)
    assert t.state == "On track" and not t.ended
    slope, intercept = np.polyfit([0, 1, 2], [1200, 1140, 1000], 1)
    assert s.projected_value == pytest.approx(intercept + 4 * slope)
    row = tracking_frame([t]).iloc[0]
    assert row["Projected"] == pytest.approx(intercept + 4 * slope)
    assert row["Change vs Baseline"] == pytest.approx(-100 / 6)
    assert row["Judged On"] == "2020/21" and row["Path / Outcome"] == "On track"
    # with two yearly values the projection is withheld
    [t2] = track_framework_targets(data, "2019/20", [("asb_police_recorded", None)], registry=REG)
    assert MIN_YEARS_TO_PROJECT == 3
    row2 = tracking_frame([t2]).iloc[0]
    assert np.isnan(row2["Projected"]) and row2["Note"].startswith("no projection: 2 yearly")


def test_rolling_window_judged_while_the_target_runs():
    values = {2018: 1200, 2019: 1200, 2020: 1200}
    data = PerformanceData({"incidents": asb_years(values, end="2021-03")})
    [t] = track_framework_targets(
        data, "Sep 19 - Aug 20", [("asb_police_recorded", None)], registry=REG
    )
    assert t.status.current_period.label == "Sep 19 - Aug 20"
    assert t.status.current_value == 1200 and t.state == "Not on track"
    assert t.status.elapsed == pytest.approx(17 / 48)
    assert list(t.annual.index) == ["2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]
    assert t.cells["2020/21"] == "Awaiting data"  # ends after the assessed period


def test_ended_target_is_judged_on_its_final_year():
    values = {2018: 1000, 2019: 900, 2020: 800, 2021: 760, 2022: 740, 2023: 700}
    data = PerformanceData({"incidents": asb_years(values, end="2024-03")})
    [t] = track_framework_targets(data, "2023/24", [("asb_police_recorded", None)], registry=REG)
    assert t.ended and t.status.current_period.label == "2022/23"
    assert t.state == "Met"  # 740 <= 750
    assert t.annual["2023/24"] == 700
    row = tracking_frame([t]).iloc[0]
    assert np.isnan(row["Projected"]) and row["Projection Meets Target"] is None
    values[2022] = 760
    data = PerformanceData({"incidents": asb_years(values, end="2024-03")})
    [t] = track_framework_targets(data, "2023/24", [("asb_police_recorded", None)], registry=REG)
    assert t.state == "Not met"
    assert "Not met: Reduce ASB by 25%" in targets_summary([t])


def test_year_cells_say_why_a_value_is_missing():
    inc = incidents({ASB: 10, "Burglary": 10}, "2019-04", "2022-03", drop=["2020-08-01"])
    ind = survey({2018: (170, 2000), 2019: (184, 2000), 2021: (190, 2000)})
    data = PerformanceData({"incidents": inc, "indicators": ind})
    tracks = track_framework_targets(
        data,
        "2021/22",
        [("asb_police_recorded", None), ("experience_of_asb", "asb_police_recorded")],
        registry=REG,
    )
    asb, exp = tracks
    assert asb.cells == {
        "2018/19": "No data",
        "2020/21": "Incomplete",
        "2022/23": "Awaiting data",
    }
    assert asb.status is None and asb.note.startswith("no value for the baseline 2018/19;")
    assert exp.annual["2018/19"] == pytest.approx(8.5) and exp.cells["2020/21"] == "Not available"
    assert exp.status is None and "under the target of" in exp.note
    frame = targets_frame(tracks)
    assert list(frame.columns[:4]) == ["Target", "Measure", "Baseline (2018/19)", "2019/20"]
    assert frame["Target"].tolist() == ["Reduce ASB by 25%", "Reduce ASB by 25%"]
    shown = format_targets_frame(tracks)
    assert shown.loc[0, ["Baseline (2018/19)", "2019/20", "2020/21", "2022/23"]].tolist() == [
        "No data",
        "120",
        "Incomplete",
        "Awaiting data",
    ]
    assert shown.loc[1, ["Baseline (2018/19)", "2019/20", "2020/21"]].tolist() == [
        "8.50%",
        "9.20%",
        "Not available",
    ]
    # only measures with a target get a tracking row
    assert tracking_frame(tracks)["measure"].tolist() == ["asb_police_recorded"]
    assert format_tracking_frame(tracking_frame(tracks)).loc[0, "Status"] == "n/a"


def test_supporting_measure_needs_a_target_to_sit_under():
    with pytest.raises(ParamsError, match="no target"):
        track_framework_targets(PerformanceData({}), "2019/20", [("experience_of_asb", "burglary")])


# -- findings, definitions and charts ---------------------------------------------------


def test_findings_state_changes_significance_and_targets():
    values = {2018: 1200, 2019: 1000, 2020: 1000, 2021: 960, 2022: 920}
    inc = asb_years(values)
    ind = survey({2018: (170, 2000), 2019: (184, 2000)})
    data = PerformanceData({"incidents": inc, "indicators": ind})
    rows = assess_rows(data, "2019/20", ["asb_police_recorded", "experience_of_asb", "burglary"])
    base = assess_rows(
        data,
        "2019/20",
        ["asb_police_recorded", "experience_of_asb"],
        against="baseline",
        registry=REG,
    )
    tracks = track_framework_targets(data, "2022/23", [("asb_police_recorded", None)], registry=REG)
    found = performance_findings(rows, tracks, base)
    assert all(isinstance(f, Finding) and f.evidence == "06_performance" for f in found)
    texts = [f.text for f in found]
    assert texts[0] == (
        "Police-recorded ASB fell by 16.7% (200 fewer incidents) in 2019/20 compared with "
        "2018/19; the fall is statistically significant."
    )
    p = stats.binomtest(1000, 2200, 0.5).pvalue
    assert p < 0.05
    assert texts[1].startswith(
        "The share of survey respondents who experienced ASB rose from 8.5% to 9.2% "
        "(0.7 percentage points) in the 2019 survey compared with the 2018 survey; the change "
        "is not statistically significant (p = 0."
    )
    # burglary: no rows at all, so 0 against 0: unchanged, not missing
    assert texts[2] == "Burglary was unchanged at 0 in 2019/20 compared with 2018/19."
    # one baseline sentence, for the measure with a target only
    assert texts[3] == (
        "Police-recorded ASB fell by 16.7% (200 fewer incidents) in 2019/20 against the "
        "2018/19 baseline; the fall is statistically significant."
    )
    assert texts[4] == (
        'The target "Reduce ASB by 25%" (Volume of Police Recorded Incidents; baseline 1,200 '
        "in 2018/19) was not met: 920 in 2022/23, the final year, against a target of 900 "
        "(at or below)."
    )
    assert len(texts) == 5


def test_findings_group_what_could_not_be_compared():
    rows = assess_rows(
        PerformanceData({}, absent={"partner": "none named"}),
        "2019/20",
        ["hate_crime_repeat_victims", "hate_crime_repeat_victim_share"],
    )
    [f] = performance_findings(rows)
    assert f.text == (
        "Not compared or not assessed: Volume of Repeat Victims, % of Victims that are Repeats. "
        "Reason: no partner data: none named."
    )


def test_measure_definitions_quote_the_registry():
    d = measure_definitions(["serious_violence", "asb_police_recorded", "experience_of_asb"], REG)
    sv = d.loc["serious_violence", "filter"]
    assert sv.startswith("any of (offence_codes: 1/4.1/4.10/4.2, 1, 4.1, 4.10")
    assert "offence_codes: 34A, 34B; flags: weapon=true)" in sv
    assert d.loc["asb_police_recorded", "target"] == (
        "Reduce ASB by 25%: -25% against 2018/19, assessed over 2019/20 - 2022/23"
    )
    assert d.loc["experience_of_asb", "test"] == "survey CI of the difference"
    assert d.loc["asb_police_recorded", "test"] == "exact Poisson"


def test_target_chart_holds_values_baseline_path_and_latest_window():
    values = {2018: 1200, 2019: 1140, 2020: 1000, 2021: 960, 2022: 900}
    data = PerformanceData({"incidents": asb_years(values)})
    [t] = track_framework_targets(
        data, "Sep 20 - Aug 21", [("asb_police_recorded", None)], registry=REG
    )
    chart = target_chart(t)
    assert chart.title.startswith("Police-recorded ASB: ") and "in Sep 20 - Aug 21" in chart.title
    assert chart.name == "Volume of Police Recorded Incidents" and not chart.percent
    assert chart.points["value"].tolist()[:3] == [1200, 1140, 1000]
    assert chart.points.loc["2021/22", "note"] == "Awaiting data"
    assert chart.baseline == 1200 and chart.baseline_label == "Baseline 2018/19"
    assert chart.path == (0, 1200, 4, 900) and chart.path_label == "Target path (Reduce ASB by 25%)"
    x, value, label = chart.latest
    assert x == pytest.approx(29 / 12) and label == "Latest 12 months (Sep 20 - Aug 21)"
    empty = track_framework_targets(
        PerformanceData({}), "2019/20", [("asb_police_recorded", None)], registry=REG
    )
    assert target_charts(empty) == []
    three = track_framework_targets(
        data, "2020/21", [("asb_police_recorded", None)] * 3, registry=REG
    )
    assert len(target_charts(three)) == 3


def test_target_chart_leaves_out_hidden_figures():
    values = {2018: 1200, 2019: 1140, 2020: 1000, 2021: 960, 2022: 900}
    data = PerformanceData({"incidents": asb_years(values)})
    [t] = track_framework_targets(
        data, "Sep 20 - Aug 21", [("asb_police_recorded", None)], registry=REG
    )
    chart = target_chart(t, hidden={"2018/19", "Sep 20 - Aug 21"})
    assert chart.baseline is None and chart.path is None and chart.latest is None
    assert np.isnan(chart.points.loc["2018/19", "value"])
    assert chart.points.loc["2018/19", "note"] == "[c]"
    assert chart.title == "Police-recorded ASB: on track"


def test_only_material_implausible_months_are_named_and_shown_in_the_targets_table():
    inc = incidents({ASB: 100, "Burglary": 5, "Robbery": 500}, end="2021-03")
    flags = pd.DataFrame(
        {
            "month": pd.to_datetime(["2019-06-01", "2019-07-01"]),
            "category": [ASB, "Burglary"],
            "count": [5, 1],
            "expected": [100.0, 5.0],
            "direction": ["low", "low"],
        }
    )
    data = PerformanceData({"incidents": inc}, implausible=flags)
    rows = assess_rows(data, "2019/20", ["asb_police_recorded", "burglary", "victim_based_crime"])
    # ASB: 95 short of 1,200 (7.9%); burglary: 4 short of 60 (6.7%); victim-based: 4 of 6,060
    assert "Jun 2019 Anti-social behaviour" in rows[0].warning
    assert "Jul 2019 Burglary" in rows[1].warning
    assert rows[2].warning == ""
    [t] = track_framework_targets(data, "2020/21", [("asb_police_recorded", None)], registry=REG)
    assert t.flags == {"2019/20": "Jun 2019 Anti-social behaviour (implausibly low)"}
    shown = format_targets_frame([t])
    assert (
        shown.loc[0, "2019/20"]
        == "1,200 (includes Jun 2019 Anti-social behaviour (implausibly low))"
    )
    assert shown.loc[0, "2020/21"] == "1,200"


def test_finding_carries_the_implausible_month_caution():
    inc = incidents({ASB: lambda m: 10 if m < pd.Timestamp("2019-04-01") else 20})
    flags = pd.DataFrame(
        {"month": [pd.Timestamp("2018-06-01")], "category": [ASB], "direction": ["low"]}
    )
    rows = assess_rows(
        PerformanceData({"incidents": inc}, implausible=flags), "2019/20", ["asb_police_recorded"]
    )
    [f] = performance_findings(rows)
    assert f.text == (
        "Police-recorded ASB rose by 100.0% (120 more incidents) in 2019/20 compared with "
        "2018/19; the rise is statistically significant. Caution: the comparison period 2018/19 "
        "includes Jun 2018 Anti-social behaviour (implausibly low)."
    )
