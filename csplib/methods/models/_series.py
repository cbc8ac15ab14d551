"""Input checks shared by every time-series model, and the long/wide helpers.

Conventions
-----------
*One series* is a pandas Series of monthly counts with a ``DatetimeIndex`` of month starts
(``freq="MS"``) holding every month from the first to the last. Values are whole,
non-negative numbers; a month with no data is ``NaN`` and is never read as zero.

*Many series* (the emerging-trend screen) are a **wide** frame: one row per month (the same
index as above) and one column per series. Several key columns (``category``, ``ward``) become
a column ``MultiIndex`` whose level names are the key names. :func:`long_to_wide` builds it
from the long table the aggregation step produces (key columns, ``month``, ``count``) and
:func:`wide_to_long` goes back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["as_monthly_counts", "as_monthly_frame", "long_to_wide", "wide_to_long"]


def format_months(months, limit: int = 6) -> str:
    """``"2020-03, 2020-04 and 2 more"`` for a list of month timestamps."""
    labels = [pd.Timestamp(m).strftime("%Y-%m") for m in months]
    if len(labels) <= limit:
        return ", ".join(labels)
    return f"{', '.join(labels[:limit])} and {len(labels) - limit} more"


def count_months(n: int, noun: str = "month") -> str:
    """``"1 month"``, ``"3 months"`` (or another noun ending in "month")."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _month_index(index, name: str) -> pd.DatetimeIndex:
    """Check that ``index`` is a complete run of month starts and return it with freq MS."""
    if isinstance(index, pd.PeriodIndex):
        if index.freqstr not in ("M", "M-DEC"):
            raise ValueError(f"{name} index must be monthly; got periods of {index.freqstr!r}")
        index = index.to_timestamp(how="start")
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(
            f"{name} must be indexed by month: a DatetimeIndex of month starts (freq='MS'); "
            f"got {type(index).__name__}"
        )
    if index.tz is not None:
        raise ValueError(f"{name} index must be timezone-naive month starts")
    if len(index) == 0:
        raise ValueError(f"{name} is empty: at least one month is needed")
    bad = index[(index.day != 1) | (index != index.normalize())]
    if len(bad):
        raise ValueError(
            f"{name} index must hold month starts (day 1, midnight); "
            f"first offending value: {bad[0]}"
        )
    if index.has_duplicates:
        dup = index[index.duplicated()]
        raise ValueError(f"{name} index repeats months: {format_months(dup.unique())}")
    if not index.is_monotonic_increasing:
        raise ValueError(f"{name} index must be in increasing month order")
    full = pd.date_range(index[0], index[-1], freq="MS", name=index.name)
    if len(full) != len(index):
        gaps = full.difference(index)
        raise ValueError(
            f"{name} skips months {format_months(gaps)}: the index must hold every month "
            "from the first to the last; record a month with no data as NaN, not by leaving "
            "it out"
        )
    return full


def _check_values(values: np.ndarray, index: pd.DatetimeIndex, name: str, column=None) -> None:
    where = f"{name}[{column!r}]" if column is not None else name
    finite = np.isfinite(values) | np.isnan(values)
    if not finite.all():
        month = index[np.argmin(finite)]
        raise ValueError(f"{where} must hold finite counts; {month:%Y-%m} is infinite")
    negative = values < 0
    if negative.any():
        i = int(np.argmax(negative))
        raise ValueError(
            f"{where} must hold non-negative counts; {index[i]:%Y-%m} is {values[i]:g}"
        )
    fractional = ~np.isnan(values) & (values != np.round(values))
    if fractional.any():
        i = int(np.argmax(fractional))
        raise ValueError(
            f"{where} must hold whole-number counts; {index[i]:%Y-%m} is {values[i]:g}"
        )


def _to_float(obj, name: str) -> np.ndarray:
    dtypes = [obj.dtype] if isinstance(obj, pd.Series) else list(obj.dtypes)
    for dtype in dtypes:
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise ValueError(f"{name} must hold numeric counts; found dtype {dtype}")
    return obj.to_numpy(dtype="float64", na_value=np.nan)


def as_monthly_counts(series, name: str = "series") -> pd.Series:
    """Check one monthly count series and return it as float64 with ``freq="MS"``.

    Parameters
    ----------
    series : Series
        Monthly counts indexed by month start (a ``DatetimeIndex`` or a monthly
        ``PeriodIndex``). Missing months are ``NaN``.
    name : str
        How to refer to the series in error messages.

    Returns
    -------
    Series
        Same values, name and index labels, as float64, with ``index.freq == "MS"``.

    Raises
    ------
    ValueError
        If the index is not a complete run of month starts, or a value is negative,
        fractional or infinite. The message names the first offending month.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> as_monthly_counts(pd.Series([3, None, 5], index=idx)).tolist()
    [3.0, nan, 5.0]
    >>> as_monthly_counts(pd.Series([3, -1, 5], index=idx))
    Traceback (most recent call last):
    ...
    ValueError: series must hold non-negative counts; 2024-02 is -1
    """
    if not isinstance(series, pd.Series):
        raise ValueError(
            f"{name} must be a pandas Series of monthly counts indexed by month; "
            f"got {type(series).__name__}"
        )
    index = _month_index(series.index, name)
    values = _to_float(series, name)
    _check_values(values, index, name)
    return pd.Series(values, index=index, name=series.name)


def as_monthly_frame(frame, name: str = "counts") -> pd.DataFrame:
    """Check a wide frame (months x series) of counts and return it as float64.

    Parameters
    ----------
    frame : DataFrame
        One row per month (index as for :func:`as_monthly_counts`), one column per series.
    name : str
        How to refer to the frame in error messages.

    Returns
    -------
    DataFrame
        Same columns, float64 values, ``index.freq == "MS"``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=2, freq="MS")
    >>> as_monthly_frame(pd.DataFrame({"a": [1, 2], "b": [0, None]}, index=idx)).shape
    (2, 2)
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"{name} must be a pandas DataFrame with one row per month and one column per "
            f"series (see long_to_wide); got {type(frame).__name__}"
        )
    if frame.shape[1] == 0:
        raise ValueError(f"{name} has no columns: at least one series is needed")
    if frame.columns.has_duplicates:
        raise ValueError(f"{name} has duplicated column keys; each series needs its own key")
    index = _month_index(frame.index, name)
    values = _to_float(frame, name)
    for j, column in enumerate(frame.columns):
        _check_values(values[:, j], index, name, column)
    return pd.DataFrame(values, index=index, columns=frame.columns)


def _month_column(values: pd.Series, column: str) -> pd.Series:
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.to_timestamp(how="start")
    try:
        months = pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"column {column!r} must hold months (dates of month starts or 'YYYY-MM'): {exc}"
        ) from None
    if months.isna().any():
        raise ValueError(f"column {column!r} has missing months; every row needs a month")
    bad = months[(months.dt.day != 1) | (months != months.dt.normalize())]
    if len(bad):
        raise ValueError(
            f"column {column!r} must hold month starts (day 1); first offending value: "
            f"{bad.iloc[0]}"
        )
    return months


def long_to_wide(
    data: pd.DataFrame,
    keys: str | Sequence[str],
    *,
    month: str = "month",
    count: str = "count",
    absent: str = "missing",
) -> pd.DataFrame:
    """Pivot a long count table (keys, month, count) to the wide months x series frame.

    Parameters
    ----------
    data : DataFrame
        One row per series and month.
    keys : str or sequence of str
        Columns identifying a series (e.g. ``["category", "ward"]``). Several keys give a
        column ``MultiIndex`` with these level names.
    month, count : str
        Names of the month and count columns.
    absent : {"missing", "zero"}
        What a (series, month) pair with no row means. ``"missing"`` (default) leaves it
        ``NaN``. ``"zero"`` counts it as 0, which is right when the long table came from
        aggregating incidents (a month with no incidents has no row); a month with no row
        for *any* series is still ``NaN`` (a gap in the data, not zero crime).

    Returns
    -------
    DataFrame
        Index: every month from the first to the last (``freq="MS"``, name ``month``);
        columns: one per series, sorted.

    Examples
    --------
    >>> long = pd.DataFrame({"category": ["Burglary", "Burglary", "Robbery"],
    ...                      "month": ["2024-01", "2024-02", "2024-02"],
    ...                      "count": [4, 6, 1]})
    >>> long_to_wide(long, "category", absent="zero")
    category    Burglary  Robbery
    month
    2024-01-01       4.0      0.0
    2024-02-01       6.0      1.0
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    keys = [keys] if isinstance(keys, str) else list(keys)
    if not keys:
        raise ValueError("keys must name at least one column that identifies a series")
    if absent not in ("missing", "zero"):
        raise ValueError(f"absent must be 'missing' or 'zero'; got {absent!r}")
    needed = [*keys, month, count]
    lacking = [c for c in needed if c not in data.columns]
    if lacking:
        raise ValueError(
            f"data lacks column(s) {lacking}; expected the keys {keys}, {month!r} and {count!r}"
        )
    if data.empty:
        raise ValueError("data has no rows: at least one series and month is needed")
    frame = data[needed].copy()
    frame[month] = _month_column(frame[month], month)
    duplicated = frame.duplicated([*keys, month])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        which = ", ".join(f"{k}={row[k]!r}" for k in keys)
        raise ValueError(
            f"data has more than one row for {which}, {month}={row[month]:%Y-%m}; "
            "aggregate to one count per series and month first"
        )
    counts = _to_float(frame[count], f"column {count!r}")
    _check_values(counts, pd.DatetimeIndex(frame[month]), f"column {count!r}")
    frame[count] = counts
    wide = frame.set_index([month, *keys])[count].unstack(keys)
    months = pd.date_range(wide.index.min(), wide.index.max(), freq="MS", name=month)
    if absent == "zero":
        # Absent rows become 0; a value given explicitly as NaN stays missing.
        explicit = frame.assign(_na=frame[count].isna()).set_index([month, *keys])["_na"]
        explicit = explicit.unstack(keys).reindex_like(wide).fillna(False).astype(bool)
        wide = wide.fillna(0.0).mask(explicit)
    wide = wide.reindex(months).sort_index(axis=1)
    wide.index.freq = "MS"
    return wide


def wide_to_long(wide: pd.DataFrame, *, month: str = "month", count: str = "count"):
    """Turn a wide months x series frame back into a long table (keys, month, count).

    Missing months stay as rows with a ``NaN`` count.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=2, freq="MS", name="month")
    >>> wide = pd.DataFrame({"Burglary": [4.0, 6.0]}, index=idx).rename_axis(columns="category")
    >>> wide_to_long(wide)
       category      month  count
    0  Burglary 2024-01-01    4.0
    1  Burglary 2024-02-01    6.0
    """
    wide = as_monthly_frame(wide, name="wide")
    n_months, n_series = wide.shape
    names = [n if n is not None else f"key_{i}" for i, n in enumerate(wide.columns.names)]
    if isinstance(wide.columns, pd.MultiIndex):
        keys = wide.columns.to_frame(index=False, name=names)
    else:
        keys = pd.DataFrame({names[0]: wide.columns.to_numpy()})
    long = keys.loc[np.repeat(np.arange(n_series), n_months)].reset_index(drop=True)
    long[month] = np.tile(wide.index.to_numpy(), n_series)
    long[count] = wide.to_numpy().T.ravel()
    return long


# -- argument checks shared by the model constructors ------------------------------------


def check_level(value, name: str = "level") -> float:
    """A probability strictly between 0 and 1 (confidence level, FDR, test level)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1; got {value!r}")
    return float(value)


def check_int(value, name: str, minimum: int) -> int:
    """A whole number at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_bool(value, name: str) -> bool:
    """True or False, nothing else."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_month(value, name: str, index: pd.DatetimeIndex | None = None) -> pd.Timestamp:
    """A month (``"2023-04"``, a date on the 1st, a Timestamp or a monthly Period).

    With ``index``, the month must lie inside it.
    """
    if isinstance(value, pd.Period):
        value = value.to_timestamp(how="start")
    try:
        month = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"{name} must be a month such as '2023-04' or a date on the 1st; got {value!r}"
        ) from None
    if month is pd.NaT or month.day != 1 or month != month.normalize():
        raise ValueError(
            f"{name} must be a month such as '2023-04' or a date on the 1st; got {value!r}"
        )
    if index is not None and not index[0] <= month <= index[-1]:
        raise ValueError(
            f"{name} must fall inside the series ({index[0]:%Y-%m} to {index[-1]:%Y-%m}); "
            f"got {month:%Y-%m}"
        )
    return month
