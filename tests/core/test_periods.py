"""Periods: labels, parsing, financial-year boundaries, rolling windows, coverage checks."""

import pandas as pd
import pytest

from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period, check_coverage, financial_year_of, months_present


def ym(p):
    return f"{p.start:%Y-%m}", f"{p.end:%Y-%m}"


@pytest.mark.parametrize(
    "label, start, end, kind, canonical",
    [
        ("2018/19", "2018-04", "2019-03", "financial_year", "2018/19"),
        ("2019/2020", "2019-04", "2020-03", "financial_year", "2019/20"),
        ("2019-20", "2019-04", "2020-03", "financial_year", "2019/20"),
        ("1999/00", "1999-04", "2000-03", "financial_year", "1999/00"),
        ("2019", "2019-01", "2019-12", "calendar_year", "2019"),
        ("Q1 2020/21", "2020-04", "2020-06", "financial_quarter", "Q1 2020/21"),
        ("Q3 2020/21", "2020-10", "2020-12", "financial_quarter", "Q3 2020/21"),
        ("Q4 2020/21", "2021-01", "2021-03", "financial_quarter", "Q4 2020/21"),
        ("Q1 2020", "2020-01", "2020-03", "calendar_quarter", "Q1 2020"),
        ("q4 2020", "2020-10", "2020-12", "calendar_quarter", "Q4 2020"),
        ("Sep 19 - Aug 20", "2019-09", "2020-08", "window", "Sep 19 - Aug 20"),
        ("Jun 19 – May 20", "2019-06", "2020-05", "window", "Jun 19 - May 20"),
        ("September 2019 to August 2020", "2019-09", "2020-08", "window", "Sep 19 - Aug 20"),
        ("2019-09 - 2020-08", "2019-09", "2020-08", "window", "Sep 19 - Aug 20"),
        ("Aug 20", "2020-08", "2020-08", "window", "Aug 20"),
        ("2011-12", "2011-12", "2011-12", "window", "Dec 11"),
        ("2019/20 - 2022/23", "2019-04", "2023-03", "span", "2019/20 - 2022/23"),
        ("2019 - 2021", "2019-01", "2021-12", "span", "2019 - 2021"),
    ],
)
def test_parse_labels(label, start, end, kind, canonical):
    p = Period.parse(label)
    assert ym(p) == (start, end)
    assert p.kind == kind
    assert p.label == canonical
    # the canonical label parses back to the same months
    assert Period.parse(p.label) == p


@pytest.mark.parametrize(
    "label, match",
    [
        ("2019/21", "second year must follow the first"),
        ("2019-13", "second year must follow the first"),
        ("Foo 19", "cannot read period 'Foo 19'"),
        ("Aug 20 - Sep 19", "ends before it starts"),
        ("", "cannot read period"),
        (3.5, "must be text"),
    ],
)
def test_parse_refuses_bad_labels(label, match):
    with pytest.raises(ParamsError, match=match):
        Period.parse(label)


def test_financial_year_boundaries():
    fy = Period.financial_year(2019)
    assert ym(fy) == ("2019-04", "2020-03")
    assert fy.n_months == 12
    assert fy.contains("2019-04-01") and fy.contains("2020-03-31")
    assert not fy.contains("2019-03-31") and not fy.contains("2020-04-01")
    assert financial_year_of("2020-03-31") == "2019/20"
    assert financial_year_of("2020-04-01") == "2020/21"
    assert financial_year_of("2000-01-15") == "1999/00"
    assert list(fy.months.strftime("%Y-%m"))[:2] == ["2019-04", "2019-05"]
    assert fy.months.name == "month"
    assert fy.end_exclusive == pd.Timestamp("2020-04-01")


def test_quarters_tile_the_financial_year():
    quarters = [Period.financial_quarter(2020, q) for q in (1, 2, 3, 4)]
    assert [q.label for q in quarters] == ["Q1 2020/21", "Q2 2020/21", "Q3 2020/21", "Q4 2020/21"]
    months = [m for q in quarters for m in q.months]
    assert months == list(Period.financial_year(2020).months)
    cal = [Period.calendar_quarter(2020, q) for q in (1, 2, 3, 4)]
    assert [m for q in cal for m in q.months] == list(Period.calendar_year(2020).months)
    with pytest.raises(ParamsError, match="quarter must be 1, 2, 3 or 4"):
        Period.financial_quarter(2020, 5)


def test_rolling_windows_and_labels():
    p = Period.rolling("2020-08-31")
    assert ym(p) == ("2019-09", "2020-08")
    assert p.label == "Sep 19 - Aug 20"
    assert Period.rolling("2020-08", months=3).label == "Jun 20 - Aug 20"
    # crossing a year boundary
    assert ym(Period.rolling("2020-02", months=12)) == ("2019-03", "2020-02")
    with pytest.raises(ParamsError, match="months must be a positive whole number"):
        Period.rolling("2020-08", months=0)
    assert Period.window("2019-09-15", "2020-08-02").label == "Sep 19 - Aug 20"


def test_previous_year_and_shift_keep_the_kind():
    assert Period.parse("Sep 19 - Aug 20").previous_year().label == "Sep 18 - Aug 19"
    assert Period.parse("2019/20").previous_year().label == "2018/19"
    assert Period.parse("2019").previous_year().label == "2018"
    assert Period.parse("Q1 2020/21").previous_year().label == "Q1 2019/20"
    assert Period.parse("Q1 2020/21").shift(-3).label == "Q4 2019/20"
    assert Period.parse("Q1 2020").shift(-3).label == "Q4 2019"
    assert Period.parse("2019/20 - 2022/23").shift(12).label == "2020/21 - 2023/24"


def test_equality_ignores_label_and_orders_by_months():
    assert Period.parse("2019/20") == Period.window("2019-04", "2020-03")
    assert hash(Period.parse("2019/20")) == hash(Period.window("2019-04", "2020-03"))
    assert Period.parse("2018/19") < Period.parse("2019/20")
    assert Period.parse("2019/20") != Period.parse("2019")


def test_financial_years_inside_a_span():
    span = Period.parse("2019/20 - 2022/23")
    assert [p.label for p in span.financial_years()] == ["2019/20", "2020/21", "2021/22", "2022/23"]
    assert Period.parse("Sep 19 - Aug 21").financial_years() == [Period.financial_year(2020)]


def test_end_before_start_is_refused():
    with pytest.raises(ParamsError, match="before its start"):
        Period.window("2020-08", "2019-09")


def test_months_present_normalises_days_and_duplicates():
    col = pd.Series(pd.to_datetime(["2019-09-15", "2019-09-01", "2019-11-30", None]))
    assert list(months_present(col).strftime("%Y-%m")) == ["2019-09", "2019-11"]
    assert list(months_present(["2019-10", "2019-09"]).strftime("%Y-%m")) == [
        "2019-09",
        "2019-10",
    ]


def test_coverage_complete():
    months = pd.date_range("2019-01-01", "2020-12-01", freq="MS")
    cov = check_coverage("Sep 19 - Aug 20", months)
    assert cov.complete and cov.n_covered == 12 and cov.missing == ()


def test_window_past_the_end_of_the_data_is_refused():
    months = pd.date_range("2018-09-01", "2020-07-01", freq="MS")
    with pytest.raises(DataError) as err:
        check_coverage("Sep 19 - Aug 20", months)
    msg = str(err.value)
    assert "Sep 19 - Aug 20" in msg
    assert "runs past the end" in msg
    assert "Aug 2020" in msg
    assert "last month with data: Jul 2020" in msg


def test_window_before_the_data_is_refused():
    months = pd.date_range("2019-10-01", "2020-12-01", freq="MS")
    with pytest.raises(DataError, match=r"starts before the data: no data for Sep 2019"):
        check_coverage("Sep 19 - Aug 20", months)


def test_missing_month_inside_the_data_is_refused():
    months = [m for m in pd.date_range("2019-01-01", "2020-12-01", freq="MS") if m.month != 2]
    with pytest.raises(DataError) as err:
        check_coverage("2019/20", months)
    msg = str(err.value)
    assert "period 2019/20" in msg and "Feb 2020" in msg and "missing month" in msg


def test_allow_incomplete_lists_the_months():
    months = pd.date_range("2019-09-01", "2020-06-01", freq="MS")
    cov = check_coverage("Sep 19 - Aug 20", months, allow_incomplete=True)
    assert not cov.complete
    assert cov.n_covered == 10
    assert [f"{m:%Y-%m}" for m in cov.missing] == ["2020-07", "2020-08"]
    assert cov.describe() == "10 of 12 months (missing: Jul 2020, Aug 2020)"
