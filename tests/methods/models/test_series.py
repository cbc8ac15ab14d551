"""Input checks and the long/wide helpers of csplib.methods.models."""

import numpy as np
import pandas as pd
import pytest

from csplib.methods.models import as_monthly_counts, as_monthly_frame, long_to_wide, wide_to_long
from csplib.methods.models._series import check_month


def months(n, start="2020-01-01"):
    return pd.date_range(start, periods=n, freq="MS")


def test_valid_series_comes_back_float_with_month_start_frequency():
    idx = pd.DatetimeIndex(["2020-01-01", "2020-02-01", "2020-03-01"])  # no freq set
    out = as_monthly_counts(pd.Series([1, 2, 3], index=idx, name="asb"))
    assert out.index.freq == "MS"
    assert out.dtype == "float64"
    assert out.name == "asb"
    assert out.tolist() == [1.0, 2.0, 3.0]


def test_missing_month_stays_nan_not_zero():
    s = pd.Series([4, None, 6], index=months(3), dtype="Int64")
    out = as_monthly_counts(s)
    assert np.isnan(out.iloc[1])
    assert out.iloc[[0, 2]].tolist() == [4.0, 6.0]


def test_monthly_period_index_is_accepted():
    s = pd.Series([1, 2], index=pd.period_range("2021-11", periods=2, freq="M"))
    out = as_monthly_counts(s)
    assert list(out.index) == [pd.Timestamp("2021-11-01"), pd.Timestamp("2021-12-01")]


@pytest.mark.parametrize(
    ("series", "match"),
    [
        ([1, 2, 3], "must be a pandas Series"),
        (pd.Series([1, 2], index=[0, 1]), "must be indexed by month"),
        (
            pd.Series([1, 2], index=pd.DatetimeIndex(["2020-01-01", "2020-03-01"])),
            "skips months 2020-02",
        ),
        (
            pd.Series([1, 2], index=pd.DatetimeIndex(["2020-01-15", "2020-02-15"])),
            "must hold month starts",
        ),
        (
            pd.Series([1, 2], index=pd.DatetimeIndex(["2020-02-01", "2020-01-01"])),
            "increasing month order",
        ),
        (
            pd.Series([1, 2], index=pd.DatetimeIndex(["2020-01-01", "2020-01-01"])),
            "repeats months: 2020-01",
        ),
        (pd.Series([1, -2], index=months(2)), "non-negative counts; 2020-02 is -2"),
        (pd.Series([1, 2.5], index=months(2)), "whole-number counts; 2020-02 is 2.5"),
        (pd.Series([1, np.inf], index=months(2)), "finite counts"),
        (pd.Series(["a", "b"], index=months(2)), "numeric counts"),
        (pd.Series([True, False], index=months(2)), "numeric counts"),
        (pd.Series([], index=pd.DatetimeIndex([]), dtype=float), "is empty"),
    ],
)
def test_bad_series_raise_value_error_stating_the_rule(series, match):
    with pytest.raises(ValueError, match=match):
        as_monthly_counts(series)


def test_frame_check_names_the_column():
    frame = pd.DataFrame({"a": [1, 2], "b": [0, -1]}, index=months(2))
    with pytest.raises(ValueError, match=r"counts\['b'\] must hold non-negative"):
        as_monthly_frame(frame)
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        as_monthly_frame(pd.Series([1], index=months(1)))


def long_table():
    return pd.DataFrame(
        {
            "category": ["Burglary", "Burglary", "Burglary", "Robbery", "Robbery"],
            "ward": ["W1", "W1", "W2", "W1", "W1"],
            "month": ["2024-01", "2024-03", "2024-03", "2024-01", "2024-03"],
            "count": [4, 6, 2, 1, np.nan],
        }
    )


def test_long_to_wide_absent_as_zero_keeps_explicit_nan_and_whole_gap_months():
    wide = long_to_wide(long_table(), ["category", "ward"], absent="zero")
    assert list(wide.columns) == [("Burglary", "W1"), ("Burglary", "W2"), ("Robbery", "W1")]
    assert wide.columns.names == ["category", "ward"]
    assert wide.index.freq == "MS"
    # February has no row for any series: a gap, not zero crime.
    assert wide.loc["2024-02-01"].isna().all()
    # Burglary W2 has no January row: zero under absent="zero".
    assert wide.loc["2024-01-01", ("Burglary", "W2")] == 0
    # Robbery W1 March was given as NaN: it stays missing.
    assert np.isnan(wide.loc["2024-03-01", ("Robbery", "W1")])
    assert wide.loc["2024-03-01", ("Burglary", "W1")] == 6


def test_long_to_wide_default_leaves_absent_rows_missing():
    wide = long_to_wide(long_table(), ["category", "ward"])
    assert np.isnan(wide.loc["2024-01-01", ("Burglary", "W2")])


def test_wide_to_long_round_trip():
    wide = long_to_wide(long_table(), ["category", "ward"], absent="zero")
    long = wide_to_long(wide)
    assert list(long.columns) == ["category", "ward", "month", "count"]
    assert len(long) == 3 * 3
    back = long_to_wide(long, ["category", "ward"])
    pd.testing.assert_frame_equal(back, wide, check_freq=False)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"keys": ["category", "lsoa"]}, r"lacks column\(s\) \['lsoa'\]"),
        ({"keys": []}, "at least one column"),
        ({"keys": "category", "absent": "drop"}, "absent must be 'missing' or 'zero'"),
        ({"keys": "category"}, "more than one row for category='Burglary', month=2024-03"),
    ],
)
def test_long_to_wide_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        long_to_wide(long_table(), **kwargs)


def test_long_to_wide_rejects_mid_month_dates_and_negative_counts():
    t = long_table().iloc[:1].assign(month="2024-01-15")
    with pytest.raises(ValueError, match="must hold month starts"):
        long_to_wide(t, "category")
    t = long_table().iloc[:1].assign(count=-3)
    with pytest.raises(ValueError, match="non-negative counts"):
        long_to_wide(t, "category")


def test_check_month_parses_and_bounds():
    idx = months(12)
    assert check_month("2020-05", "start", idx) == pd.Timestamp("2020-05-01")
    assert check_month(pd.Period("2020-06", "M"), "start", idx) == pd.Timestamp("2020-06-01")
    with pytest.raises(ValueError, match=r"must fall inside the series \(2020-01 to 2020-12\)"):
        check_month("2021-01", "start", idx)
    with pytest.raises(ValueError, match="must be a month such as '2023-04'"):
        check_month("2020-05-17", "start", idx)
    with pytest.raises(ValueError, match="must be a month such as '2023-04'"):
        check_month("not a month", "start", idx)
