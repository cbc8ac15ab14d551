"""The one comparison rule: complete, like-for-like or dropped, and the words for it."""

import pandas as pd
import pytest

from csplib.core.comparison import KINDS, compare_months, month_list, of_months
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period, check_coverage


def months(start, end, drop=()):
    out = pd.date_range(f"{start}-01", f"{end}-01", freq="MS")
    return out.drop(pd.DatetimeIndex(pd.to_datetime(list(drop))))


def ym(stamps):
    return [f"{m:%Y-%m}" for m in stamps]


def test_a_month_missing_inside_the_period_is_compared_like_for_like():
    present = months("2023-01", "2024-03", drop=["2024-01"])
    c = compare_months(Period.parse("Q1 2024"), Period.parse("Q1 2023"), present)
    assert c.kind == "like_for_like" and c.compared and c.n_months == 2
    assert ym(c.months) == ["2024-02", "2024-03"]
    assert ym(c.previous_months) == ["2023-02", "2023-03"]  # Jan 2023 has data, left out
    assert c.current_coverage.short() == "2 of 3 months"
    assert c.previous_coverage.short() == "all 3 months"
    assert c.cell() == "like-for-like: Feb and Mar (2 of 3 months)"
    assert c.sentence() == (
        "Q1 2024 against Q1 2023, like-for-like: Feb and Mar (2 of 3 months; no data for Jan 2024)"
    )
    assert c.to_dict() == {
        "current": "Q1 2024",
        "previous": "Q1 2023",
        "kind": "like_for_like",
        "months_compared": 2,
        "comparison": "like-for-like: Feb and Mar (2 of 3 months)",
    }


def test_no_month_in_common_is_dropped_and_says_why():
    # Jan 2023 only in the earlier quarter, Feb-Mar 2024 only in the later one
    present = pd.to_datetime(["2023-01-01", "2024-02-01", "2024-03-01"])
    c = compare_months("Q1 2024", "Q1 2023", present)
    assert c.kind == "dropped" and not c.compared and c.months == () == c.previous_months
    assert c.reason == "no month has data in both Q1 2024 and Q1 2023"
    assert c.cell() == "not compared: no month has data in both Q1 2024 and Q1 2023"
    assert c.sentence() == (
        "Q1 2024 is not compared with Q1 2023: no month has data in both Q1 2024 and Q1 2023"
    )
    # a period with no data at all is named
    assert compare_months("Q1 2024", "Q1 2022", present).reason == "no data for Q1 2022"
    assert compare_months("Q2 2024", "Q1 2024", present).reason == "no data for Q2 2024"


def test_complete_periods_compare_every_month():
    present = months("2018-04", "2020-03")
    c = compare_months("2019/20", "2018/19", present)
    assert c.kind == "complete" and c.n_months == 12
    assert list(c.months) == list(Period.parse("2019/20").months)
    assert list(c.previous_months) == list(Period.parse("2018/19").months)
    assert c.detail == "" and c.cell() == "all 12 months"
    assert c.sentence() == "2019/20 against 2018/19"
    assert set(KINDS) == {"complete", "like_for_like", "dropped"}


def test_excluded_months_are_left_out_of_both_periods():
    present = months("2018-01", "2019-03")
    c = compare_months("Q1 2019", "Q1 2018", present, exclude=["2018-03-15"])
    assert c.kind == "like_for_like" and ym(c.months) == ["2019-01", "2019-02"]
    assert ym(c.excluded) == ["2018-03"]
    assert c.sentence() == (
        "Q1 2019 against Q1 2018, like-for-like: Jan and Feb (2 of 3 months; Mar 2018 left out)"
    )
    gone = compare_months("Jan 19", "Jan 18", present, exclude=["2018-01"])
    assert gone.kind == "dropped"
    assert gone.reason == "every month of Jan 18 with data is left out (Jan 2018)"


def test_previous_present_can_come_from_elsewhere():
    c = compare_months(
        "Q1 2019", "Q1 2018", months("2019-01", "2019-03"), previous_present=["2018-02"]
    )
    assert ym(c.months) == ["2019-02"] and ym(c.previous_months) == ["2018-02"]


def test_periods_of_different_lengths_compare_the_same_calendar_months():
    # a year against the three before it, with Jun 2022 missing and Aug 2024 missing
    present = months("2021-04", "2025-03", drop=["2022-06", "2024-08"])
    c = compare_months("2024/25", "Apr 21 - Mar 24", present)
    assert c.kind == "like_for_like"
    assert len(c.months) == 11 and "2024-08" not in ym(c.months)
    # every month of the three years with a calendar month compared: 36 - 1 missing - 3 Augs
    assert len(c.previous_months) == 32 and not any(m.month == 8 for m in c.previous_months)
    assert c.cell() == (
        "like-for-like: 11 of 12 months against 32 of 36 months, the same calendar months"
    )
    full = compare_months("2024/25", "Apr 21 - Mar 24", months("2021-04", "2025-03"))
    assert full.kind == "complete" and len(full.previous_months) == 36


def test_a_whole_period_against_a_shifted_one_pairs_months_by_position():
    # Q4 against Q1 of the same financial year: month i with month i
    present = months("2019-04", "2020-03", drop=["2019-05"])
    c = compare_months("Q4 2019/20", "Q1 2019/20", present)
    assert ym(c.months) == ["2020-01", "2020-03"] and ym(c.previous_months) == [
        "2019-04",
        "2019-06",
    ]
    assert c.cell() == "like-for-like: Jan and Mar (2 of 3 months)"


def test_month_list_joins_runs_and_names_years_when_asked():
    assert month_list(months("2019-04", "2020-03", drop=["2019-08"])) == "Apr-Jul and Sep-Mar"
    assert month_list(months("2023-04", "2024-03", drop=["2023-06"])) == "Apr, May and Jul-Mar"
    assert month_list(pd.to_datetime(["2024-01-01", "2024-03-01"])) == "Jan and Mar"
    assert month_list(months("2023-01", "2023-02"), years=True) == "Jan 2023 and Feb 2023"
    assert month_list([]) == ""


def test_long_periods_name_the_months_with_their_years():
    present = months("2019-04", "2023-03", drop=["2020-05"])
    c = compare_months("2021/22 - 2022/23", "2019/20 - 2020/21", present)
    assert c.kind == "like_for_like" and c.n_months == 23
    # May 2020 is the 14th month of the earlier span: May 2022 is left out of the later one
    assert c.cell() == "like-for-like: Apr 2021-Apr 2022 and Jun 2022-Mar 2023 (23 of 24 months)"


def test_select_keeps_the_rows_of_the_months_compared():
    present = months("2023-01", "2024-03", drop=["2024-01"])
    rows = pd.DataFrame({"month": pd.to_datetime(["2023-01-10", "2023-02-01", "2024-03-31"])})
    c = compare_months("Q1 2024", "Q1 2023", present)
    assert ym(c.select(rows, "previous")["month"]) == ["2023-02"]
    assert ym(c.select(rows)["month"]) == ["2024-03"]
    with pytest.raises(ParamsError, match="which must be 'current' or 'previous'"):
        c.select(rows, "before")
    with pytest.raises(DataError, match="no 'month' column"):
        of_months(rows.rename(columns={"month": "when"}), ["2024-03"])


def test_coverage_short_states_the_months_beside_a_total():
    present = months("2019-09", "2020-07")
    assert check_coverage("Sep 19 - Aug 20", present, allow_incomplete=True).short() == (
        "11 of 12 months"
    )
    assert check_coverage("Q4 2019", present).short() == "all 3 months"
    assert check_coverage("Aug 20", present, allow_incomplete=True).short() == "0 of 1 month"
