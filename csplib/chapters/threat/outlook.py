"""What to expect: seasonal profiles, and forecasts of the next 12 months.

:func:`seasonal_profiles` (:class:`csplib.methods.models.SeasonalProfile`) gives each calendar
month relative to a typical month; :func:`forecast_series`
(:class:`csplib.methods.models.CountForecast`) extrapolates the recent trend and season, and
:func:`forecast_totals` gives the expected total of the coming year with its 95% prediction
interval (from the model's simulated futures, not the monthly bounds added up) against the
last one recorded; :func:`total_range_text` words it. A forecast's history that meets the
Covid-19 restrictions follows the trend rule (:func:`csplib.methods.covid.restriction_rule`):
their months are left out of the fit, or no forecast is made when too few months are left or
the data end during them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from csplib.chapters.threat.text import _about, _month, month_span
from csplib.chapters.threat.trends import MIN_MONTHS
from csplib.methods.covid import restriction_rule
from csplib.methods.models import (
    CountForecast,
    ForecastResults,
    ProfileResults,
    SeasonalProfile,
    as_monthly_counts,
)

__all__ = [
    "seasonal_profiles",
    "profile_table",
    "profile_title",
    "forecast_problem",
    "forecast_series",
    "forecast_table",
    "forecast_totals",
    "forecast_title",
    "total_range_text",
]


def seasonal_profiles(
    wide: pd.DataFrame, series: Sequence[str], *, start=None, end=None, level: float = 0.95
) -> dict[str, ProfileResults]:
    """Month-of-year profiles (:class:`csplib.methods.models.SeasonalProfile`) of some series.

    Series absent from ``wide`` are skipped. ``start`` / ``end`` cut the months used.

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=36, freq="MS")
    >>> y = np.random.default_rng(3).poisson(50 * (1 + 0.4 * idx.month.isin([6, 7, 8])))
    >>> res = seasonal_profiles(pd.DataFrame({"ASB": y}, index=idx), ["ASB", "Drugs"])
    >>> list(res), bool(res["ASB"].table.loc[7, "index"] > 1.1)
    (['ASB'], True)
    """
    part = wide.loc[
        _month(start) if start is not None else None : _month(end) if end is not None else None
    ]
    return {
        name: SeasonalProfile(part[name], level=level).fit()
        for name in series
        if name in wide.columns
    }


def profile_table(profiles: dict[str, ProfileResults]) -> pd.DataFrame:
    """Seasonal profiles of several series as one table (series, month of year).

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=36, freq="MS")
    >>> y = np.random.default_rng(3).poisson(50, 36)
    >>> profile_table(seasonal_profiles(pd.DataFrame({"ASB": y}, index=idx), ["ASB"])).shape
    (12, 4)
    """
    if not profiles:
        return pd.DataFrame(
            columns=["month", "index", "lower", "upper"],
            index=pd.MultiIndex.from_tuples([], names=["series", "month_of_year"]),
        )
    return pd.concat({k: r.table for k, r in profiles.items()}, names=["series", "month_of_year"])


def profile_title(name: str, res: ProfileResults, sep: str = " ") -> str:
    """``"ASB peaks in Jul (24% above a typical month) and is lowest in Feb (20% below)"``.

    ``sep`` goes before "and" (``"\\n"`` for a two-line chart title).

    Examples
    --------
    >>> t = pd.DataFrame({"month": ["Jan", "Feb", "Mar"], "index": [0.8, 1.0, 1.3]})
    >>> profile_title("ASB", type("R", (), {"table": t, "method": "GLM"})())
    'ASB peaks in Mar (30% above a typical month) and is lowest in Jan (20% below)'
    """
    t = res.table.dropna(subset=["index"])
    if t.empty:
        return f"{name}: no seasonal profile"
    hi, lo = t["index"].idxmax(), t["index"].idxmin()
    return (
        f"{name} peaks in {t.loc[hi, 'month']} ({100 * (t.loc[hi, 'index'] - 1):.0f}% above a "
        f"typical month){sep}and is lowest in {t.loc[lo, 'month']} "
        f"({100 * (1 - t.loc[lo, 'index']):.0f}% below)"
    )


# ---------------------------------------------------------------------------- forecasts


def forecast_problem(
    series: pd.Series, *, min_months: int = MIN_MONTHS, history_months: int = 36
) -> str:
    """Why no forecast is made from ``series``; empty when one is.

    Its last ``history_months`` months are the forecast's history; when they meet the
    Covid-19 restrictions and the trend rule cannot leave those months out (too few others,
    :func:`csplib.methods.covid.restriction_rule`), or the data end during them, no forecast
    is made.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> forecast_problem(pd.Series([1.0, 2, 3], index=idx))
    'A forecast needs at least 12 months with data; there are 3.'
    >>> since_may_2020 = pd.date_range("2020-05-01", periods=20, freq="MS")
    >>> print(forecast_problem(pd.Series(50.0, index=since_may_2020)))  # doctest: +ELLIPSIS
    The forecast's history starts during the Covid-19 lockdowns (14 months, ...
    >>> to_march_2021 = pd.date_range("2018-04-01", periods=36, freq="MS")
    >>> print(forecast_problem(pd.Series(50.0, index=to_march_2021)))  # doctest: +ELLIPSIS
    The data end during the Covid-19 restrictions, ...
    """
    y = as_monthly_counts(series)
    n = int(y.notna().sum())
    if n < min_months:
        return f"A forecast needs at least {min_months} months with data; there are {n}."
    rule = restriction_rule(y.iloc[-history_months:])
    if rule.rule == "none":
        return ""
    if y.index[y.notna()][-1] <= rule.left_out[-1]:
        return (
            "The data end during the Covid-19 restrictions, so the "
            "months to forecast would follow unusually low crime and high anti-social behaviour."
        )
    if rule.rule == "not estimated":
        return "The forecast's history" + rule.note.split("this window", 1)[1]
    return ""


def forecast_series(
    series: pd.Series, *, horizon: int = 12, history_months: int = 36, level: float = 0.95
) -> ForecastResults:
    """Forecast the next ``horizon`` months (:class:`csplib.methods.models.CountForecast`).

    The model (month of year + linear trend, Poisson or negative binomial) is fitted to the
    last ``history_months`` months, so the trend extrapolated is the recent one; months of
    the Covid-19 restrictions among them are left out of the fit, as in the trends
    (:func:`csplib.methods.covid.restriction_rule`; :func:`forecast_problem` says when no
    forecast is made at all).

    Examples
    --------
    >>> idx = pd.date_range("2022-04-01", periods=36, freq="MS")
    >>> y = pd.Series(np.random.default_rng(1).poisson(100, 36), index=idx)
    >>> res = forecast_series(y)
    >>> res.table.index[0].strftime("%Y-%m"), len(res.table)
    ('2025-04', 12)
    """
    y = as_monthly_counts(series)
    rule = restriction_rule(y.iloc[-history_months:])
    if rule.rule == "left out":
        y = y.where(~y.index.isin(rule.left_out))
    return CountForecast(y, horizon=horizon, level=level, history_months=history_months).fit()


def forecast_table(results: dict[str, ForecastResults]) -> pd.DataFrame:
    """Monthly forecasts of several series as one table (series, month).

    Examples
    --------
    >>> idx = pd.date_range("2022-04-01", periods=36, freq="MS")
    >>> y = pd.Series(np.random.default_rng(1).poisson(100, 36), index=idx)
    >>> forecast_table({"ASB": forecast_series(y, horizon=2)}).columns.tolist()
    ['expected', 'median', 'lower', 'upper']
    """
    parts = {name: res.table for name, res in results.items()}
    if not parts:
        return pd.DataFrame(
            columns=["expected", "median", "lower", "upper"],
            index=pd.MultiIndex.from_tuples([], names=["series", "month"]),
        )
    table = pd.concat(parts, names=["series", "month"])
    return table


def forecast_totals(results: dict[str, ForecastResults], wide: pd.DataFrame) -> pd.DataFrame:
    """Expected totals over the forecast horizon, with their prediction intervals, against
    the same number of months before.

    Returns
    -------
    DataFrame
        Index ``series``; ``forecast_period``, ``expected_total`` (the predictive mean),
        ``total_lower`` and ``total_upper`` (the total's prediction interval at the
        forecast's level, :meth:`~csplib.methods.models.ForecastResults.total_interval`),
        ``last_period``, ``last_total`` (recorded), ``months_with_data`` (in the last period)
        and ``change_pct`` (only when every month of the last period has data).

    Examples
    --------
    >>> idx = pd.date_range("2022-04-01", periods=36, freq="MS")
    >>> y = pd.Series(np.random.default_rng(1).poisson(100, 36), index=idx)
    >>> t = forecast_totals({"ASB": forecast_series(y)}, y.to_frame("ASB"))
    >>> t.loc["ASB", ["forecast_period", "last_period"]].tolist()
    ['Apr 2025 to Mar 2026', 'Apr 2024 to Mar 2025']
    >>> row = t.loc["ASB"]
    >>> bool(row["total_lower"] < row["expected_total"] < row["total_upper"])
    True
    """
    rows = {}
    for name, res in results.items():
        future = res.table.index
        last = wide[name].iloc[-len(future) :]
        n = int(last.notna().sum())
        last_total = float(last.sum()) if n else np.nan
        expected = res.total
        lower, upper = res.total_interval() if res.total_draws.size else (np.nan, np.nan)
        change = 100 * (expected / last_total - 1) if n == len(future) and last_total else np.nan
        rows[name] = {
            "forecast_period": month_span(future[0], future[-1]),
            "expected_total": expected,
            "total_lower": lower,
            "total_upper": upper,
            "last_period": month_span(last.index[0], last.index[-1]),
            "last_total": last_total,
            "months_with_data": n,
            "change_pct": change,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("series")


def total_range_text(
    expected: float, lower: float, upper: float, level: float = 0.95, noun: str = ""
) -> str:
    """``"about 4,100 (95% range 3,800 to 4,400)"``: a forecast total and its interval.

    The three numbers are rounded to one step, a power of ten no bigger than a quarter of
    the interval's width (at least 1), so the range shows what is uncertain and no more:
    ``4,100 (3,800 to 4,400)`` rather than ``4,132 (3,817 to 4,441)``. Without an interval
    the total is rounded to three significant figures. ``noun`` goes after the total
    (``"about 4,100 crimes (95% range ...)"``).

    Examples
    --------
    >>> total_range_text(4132.4, 3817.5, 4441.2)
    'about 4,100 (95% range 3,800 to 4,400)'
    >>> total_range_text(1203.7, 1141.0, 1268.5, noun="incidents")
    'about 1,200 incidents (95% range 1,140 to 1,270)'
    >>> total_range_text(40.2, 26.3, 54.4)
    'about 40 (95% range 26 to 54)'
    >>> total_range_text(11264.8, np.nan, np.nan)
    'about 11,300'
    """
    noun = f" {noun}" if noun else ""
    if not (np.isfinite(lower) and np.isfinite(upper) and upper > lower):
        return f"about {_about(expected)}{noun}"
    step = 10.0 ** max(0, int(np.floor(np.log10((upper - lower) / 4))))

    def rounded(x: float) -> str:
        return f"{step * np.floor(x / step + 0.5):,.0f}"

    return (
        f"about {rounded(expected)}{noun} ({level:.0%} range {rounded(lower)} to {rounded(upper)})"
    )


def forecast_title(name: str, totals: pd.DataFrame, level: float = 0.95) -> str:
    """Chart title stating a forecast total and its interval (from :func:`forecast_totals`).

    Examples
    --------
    >>> totals = pd.DataFrame({"expected_total": [11264.8], "total_lower": [10583.0],
    ...                        "total_upper": [11987.5], "change_pct": [-7.7],
    ...                        "forecast_period": ["Apr 2025 to Mar 2026"]}, index=["ASB"])
    >>> forecast_title("ASB", totals)  # doctest: +NORMALIZE_WHITESPACE
    'ASB: about 11,300 (95% range 10,600 to 12,000) expected in Apr 2025 to Mar 2026
     (-8% on the last 12 months)'
    """
    row = totals.loc[name]
    about = total_range_text(
        row["expected_total"], row.get("total_lower", np.nan), row.get("total_upper", np.nan), level
    )
    text = f"{name}: {about} expected in {row['forecast_period']}"
    if np.isfinite(row["change_pct"]):
        text += f" ({row['change_pct']:+.0f}% on the last 12 months)"
    return text
