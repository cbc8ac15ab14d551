"""Count tables for the volume chapter: monthly and yearly counts by category, and coverage.

A month missing from the data is never a month of zero crime: monthly tables carry NaN for
months with no data, and yearly tables come with a coverage table saying how many of the
period's months the counts cover.

Examples
--------
>>> inc = pd.DataFrame({
...     "month": pd.to_datetime(["2019-03-01", "2019-03-01", "2019-05-01"]),
...     "category": ["Burglary", "Robbery", "Burglary"],
... })
>>> monthly_counts(inc)
category    Burglary  Robbery
month
2019-03-01       1.0      1.0
2019-04-01       NaN      NaN
2019-05-01       1.0      0.0
>>> period_counts(inc)
period    2018/19  2019/20
category
Burglary        1        1
Robbery         1        0
All             2        1
>>> coverage(inc["month"])
  period  months_covered  months_in_period  complete first_month last_month
0  2018/19               1                12     False     2019-03    2019-03
1  2019/20               1                12     False     2019-05    2019-05
"""

from __future__ import annotations

import pandas as pd

from csplib.core.periods import financial_year_of

__all__ = ["monthly_counts", "period_counts", "coverage", "window_table", "PERIOD_KINDS"]


def _calendar_year(month: pd.Timestamp) -> str:
    return str(month.year)


#: How months are grouped into periods: a function from a month to the period's label.
PERIOD_KINDS = {"financial_year": financial_year_of, "calendar_year": _calendar_year}


def _period_labels(months: pd.Series, kind: str) -> pd.Series:
    try:
        label_of = PERIOD_KINDS[kind]
    except KeyError:
        raise ValueError(f"kind must be one of {sorted(PERIOD_KINDS)}, got {kind!r}") from None
    lookup = {m: label_of(m) for m in months.unique()}
    return months.map(lookup)


def monthly_counts(
    incidents: pd.DataFrame, by: str = "category", months_present=None
) -> pd.DataFrame:
    """Months x ``by`` counts over the whole span, with NaN for months that have no data.

    Parameters
    ----------
    incidents : DataFrame
        Tidy incidents with ``month`` and the ``by`` column.
    by : str
        Column to spread across (default ``category``).
    months_present : iterable of Timestamp, optional
        Months the source covers. Default: months with at least one incident. Months in
        the span but not present are NaN (missing), not zero.

    Returns
    -------
    DataFrame
        Index ``month`` (month-start frequency), one column per value of ``by``.
    """
    present = pd.DatetimeIndex(
        sorted(set(incidents["month"]) if months_present is None else set(months_present))
    )
    counts = incidents.groupby(["month", by], observed=True).size().unstack(by, fill_value=0)
    counts = counts.reindex(present, fill_value=0).astype(float)
    if len(present):
        span = pd.date_range(present.min(), present.max(), freq="MS", name="month")
        counts = counts.reindex(span)
    counts.columns.name = by
    counts.index.name = "month"
    return counts


def period_counts(
    incidents: pd.DataFrame, by: str = "category", kind: str = "financial_year"
) -> pd.DataFrame:
    """Counts by ``by`` (rows, plus an ``All`` row) and period (columns).

    Read with :func:`coverage`: a period whose data are incomplete has a smaller count
    because months are missing, not because crime fell.
    """
    periods = _period_labels(incidents["month"], kind).rename("period")
    table = (
        incidents.groupby([incidents[by], periods], observed=True)
        .size()
        .unstack("period", fill_value=0)
    )
    table = table.sort_index()
    table.loc["All"] = table.sum()
    return table.astype(int)


def coverage(months, kind: str = "financial_year") -> pd.DataFrame:
    """How many of each period's months the data cover.

    Parameters
    ----------
    months : iterable of Timestamp
        Months present in the data (duplicates allowed).
    kind : {"financial_year", "calendar_year"}

    Returns
    -------
    DataFrame
        ``period, months_covered, months_in_period, complete, first_month, last_month``.
    """
    present = pd.Series(
        sorted(set(pd.to_datetime(pd.Series(list(months))))), dtype="datetime64[ns]"
    )
    labels = _period_labels(present, kind)
    out = (
        pd.DataFrame({"period": labels, "month": present})
        .groupby("period")
        .agg(months_covered=("month", "size"), first=("month", "min"), last=("month", "max"))
        .reset_index()
    )
    out.insert(2, "months_in_period", 12)
    out.insert(3, "complete", out["months_covered"] == out["months_in_period"])
    out["first_month"] = out.pop("first").dt.strftime("%Y-%m")
    out["last_month"] = out.pop("last").dt.strftime("%Y-%m")
    return out


def window_table(
    incidents: pd.DataFrame, start, end, population: float, by: str = "category"
) -> pd.DataFrame:
    """Counts, rates per 1,000 residents and shares by ``by`` for the months ``start``..``end``.

    Parameters
    ----------
    incidents : DataFrame
        Tidy incidents with ``month`` and ``by``.
    start, end : date-like
        First and last month, inclusive.
    population : float
        Residents of the area (the denominator of the rates).

    Returns
    -------
    DataFrame
        Index ``by`` (sorted by count, largest first) plus an ``All`` row; columns
        ``count``, ``rate_per_1000`` and ``share`` (of all incidents in the window).

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2019-04-01"] * 3 + ["2020-04-01"]),
    ...                     "category": ["Burglary", "Burglary", "Robbery", "Robbery"]})
    >>> window_table(inc, "2019-04-01", "2020-03-01", population=2000)
              count  rate_per_1000     share
    category
    Burglary      2            1.0  0.666667
    Robbery       1            0.5  0.333333
    All           3            1.5  1.000000
    """
    if not population > 0:
        raise ValueError(f"population must be positive, got {population!r}")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    inside = incidents[(incidents["month"] >= start) & (incidents["month"] <= end)]
    counts = inside.groupby(by, observed=True).size().sort_values(ascending=False, kind="stable")
    counts.loc["All"] = counts.sum()
    out = counts.rename("count").to_frame()
    out["rate_per_1000"] = out["count"] / population * 1000
    out["share"] = out["count"] / out.loc["All", "count"] if len(inside) else float("nan")
    out.index.name = by
    return out
