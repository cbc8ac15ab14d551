"""The threat inputs of the prioritisation: each theme's monthly counts, trend and forecast.

:func:`theme_monthly_counts` counts each theme's incidents by month over the last
``trend_months`` (36) months to the end of the assessed period. A month with no data, and a
month that the quality report flags as implausible for a category the theme reads from
police.uk (:func:`csplib.methods.places.flagged_months`), is missing (never zero).

:func:`theme_threat` fits each theme's series: the annual % change with its confidence
interval and p-value from :class:`csplib.methods.models.CountTrend` (Poisson / negative
binomial GLM with month-of-year effects), and the forecast % change for the next
``horizon`` (12) months from :class:`csplib.methods.models.CountForecast`: its expected
total against the last 12 months (the mean of the months with data, times 12). Missing
months are left out of both models. When the forecast would have no trend (fewer than 24
months with data, or a calendar month never counted;
:func:`csplib.methods.models.seasonal_problem`) it is not used, as a constant-rate forecast
says nothing about change.

A trend window that meets the Covid-19 restrictions (March 2020 to June 2021) follows the
rule of :func:`csplib.methods.covid.restriction_rule`, as in the threat chapter: their months
are left out of the trend and the forecast (the annual change is the trend of the other
months, net of the lockdowns) when at least 12 other months have data; otherwise no trend
and no forecast are used (``covid_rule`` "not estimated"): the window starts during the
lockdowns, when crime was unusually low, so its trend measures the recovery from them, and it
is not used to rank priorities (:func:`covid_findings` says so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.chapters.priorities.text import join_names, month_span
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period
from csplib.core.periods import months_present as _months_present
from csplib.core.schema import ASB
from csplib.methods.covid import (
    MIN_MONTHS_OUTSIDE,
    restriction_trend,
    restrictions_text,
)
from csplib.methods.models import CountForecast, seasonal_problem
from csplib.methods.places import flagged_months
from csplib.methods.themes import as_themes, theme_incidents, theme_sources

__all__ = ["theme_monthly_counts", "theme_threat", "covid_findings", "covid_note"]


def _source_months(name: str, table: pd.DataFrame, months_present) -> set:
    if name == "incidents" and months_present is not None:
        return set(pd.DatetimeIndex(months_present))
    if "month" not in table.columns:
        raise DataError(f"{name} have no 'month' column")
    return set(_months_present(table["month"]))


def theme_monthly_counts(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    end,
    months: int = 36,
    months_present=None,
    implausible: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each theme's monthly counts over the ``months`` months to ``end``; missing is NaN.

    Rows are selected by :func:`csplib.methods.themes.theme_incidents`. A month is missing (NaN,
    never zero) when a table the theme reads has no data for it (for police.uk incidents:
    not in ``months_present``; for a partner extract: no row that month), or when
    ``implausible`` flags it for a category the theme reads from police.uk.

    Parameters
    ----------
    themes : mapping or list of themes
    incidents, partner : pandas.DataFrame
    end : month-like
        Last month (e.g. the end of the assessed period).
    months : int, default 36
    months_present : sequence of months, optional
        Months with police.uk data (default: months with any incident row).
    implausible : pandas.DataFrame, optional
        ``category`` and ``month`` of implausible months (the quality report's table).

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (month starts, ``freq="MS"``), one column per theme (display name).
        ``attrs["excluded"]``: theme -> months left out as implausible.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]),
    ...                     "category": ["Drugs", "Drugs", "Burglary"]})
    >>> theme_monthly_counts({"d": {"name": "Drugs", "categories": ["Drugs"]}}, inc,
    ...                      end="2024-03", months=3)["Drugs"].tolist()
    [2.0, nan, 0.0]
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ParamsError(f"months must be a whole number of at least 1, got {months!r}")
    last = Period.parse(pd.Timestamp(end).strftime("%Y-%m")).end
    index = pd.date_range(last - pd.DateOffset(months=months - 1), last, freq="MS", name="month")
    specs = as_themes(themes)
    out = pd.DataFrame(index=index)
    excluded = {}
    for name, spec in specs.items():
        sources = theme_sources(spec, incidents, partner)
        present = None
        for source, table in sources:
            m = _source_months(source, table, months_present)
            present = m if present is None else present & m
        rows = theme_incidents(spec, incidents, partner, period=Period(index[0], index[-1]))
        counts = rows.groupby(pd.to_datetime(rows["month"]).dt.to_period("M")).size()
        counts.index = counts.index.to_timestamp()
        series = counts.reindex(index, fill_value=0).astype(float)
        series[~index.isin(sorted(present or []))] = np.nan
        from_police = [s for s, _ in sources if s == "incidents"]
        cats = []
        if from_police:
            cats = [ASB] if len(sources) == 2 else list(spec.categories)
        bad = sorted(m for m in flagged_months(implausible, cats) if m in index)
        series[index.isin(bad)] = np.nan
        excluded[name] = bad
        out[name] = series
    out.columns.name = "theme"
    out.attrs = {"excluded": excluded}
    return out


def _trim(series: pd.Series) -> pd.Series:
    """Drop leading months with no data (the data start later than the window)."""
    first = series.first_valid_index()
    return series if first is None else series.loc[first:]


def theme_threat(
    monthly: pd.DataFrame,
    *,
    horizon: int = 12,
    level: float = 0.95,
    n_sims: int = 500,
    random_state: int = 0,
) -> pd.DataFrame:
    """Trend and forecast of each theme's monthly counts (the threat inputs).

    Parameters
    ----------
    monthly : pandas.DataFrame
        Months x themes, as from :func:`theme_monthly_counts` (NaN = missing month).
    horizon : int, default 12
        Months forecast.
    level : float, default 0.95
        Confidence level of the trend's interval.
    n_sims, random_state : int
        Passed to :class:`csplib.methods.models.CountForecast` (fixed seed).

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; ``months_used`` (months with data the trend used) and ``window``
        (the first to the last of them, ``"Apr 2022 to Feb 2025"``); ``covid_months``
        (months of the Covid-19 restrictions with data in the window) and ``covid_rule``
        (``"none"``, ``"left out"`` or ``"not estimated"``: the module notes) and
        ``covid_note`` (the rule in words); the trend in the one shape of
        :meth:`csplib.methods.models.TrendResults.row` (``annual_change_pct``,
        ``lower_pct``, ``upper_pct``, ``p_value``, ``family``, ``method``); ``last_12_months``
        (mean of the months with data in the last 12, times 12), ``forecast_total`` (the
        forecast's expected total, the predictive mean),
        ``forecast_change`` (% of the first on the second), ``forecast_method`` and ``note``.
        The three forecast columns are NaN when the forecast would have no trend, and when
        the window starts or ends in the Covid-19 restrictions and the rule cannot leave
        them out.

    Examples
    --------
    >>> idx = pd.date_range("2022-04-01", periods=36, freq="MS")
    >>> y = 100 * 1.2 ** (np.arange(36) / 12)              # +20% a year
    >>> t = theme_threat(pd.DataFrame({"Rising": np.round(y)}, index=idx))
    >>> round(float(t.loc["Rising", "annual_change_pct"])), bool(t.loc["Rising", "p_value"] < 0.001)
    (20, True)
    >>> bool(15 < t.loc["Rising", "forecast_change"] < 25)
    True
    """
    records = []
    for name in monthly.columns:
        y = _trend_input(monthly[name])
        rec = {
            "theme": name,
            "months_used": float(y.notna().sum()),
            "window": _window(y),
            "covid_months": 0,
            "covid_rule": "none",
            "covid_note": "",
        }
        if y.notna().sum() == 0:
            rec.update(
                annual_change_pct=np.nan,
                lower_pct=np.nan,
                upper_pct=np.nan,
                p_value=np.nan,
                family=None,
                method="none (no data)",
                last_12_months=np.nan,
                forecast_total=np.nan,
                forecast_change=np.nan,
                forecast_method="none (no data)",
                note="No months with data in the trend window.",
            )
            records.append(rec)
            continue
        trend, rule = restriction_trend(y, level=level, min_months=MIN_MONTHS_OUTSIDE)
        notes = [trend.pop("note")]
        trend["months_used"] = float(trend["months_used"])
        rec.update(trend, covid_note=rule.note)
        used = rule.series  # the months the trend used: restriction months left out
        rec["window"] = _window(used)
        recent = used.iloc[-12:]
        base = float(recent.mean() * 12) if recent.notna().any() else np.nan
        rec["last_12_months"] = base
        problem = seasonal_problem(used)
        why = f"{problem}, so it would be a constant rate" if problem else ""
        if rule.rule == "not estimated":
            why = "the trend window starts (or ends) during the Covid-19 restrictions"
        elif used.index[-1] < y.index[-1]:
            why = "the trend window ends during the Covid-19 restrictions"
        if why:
            rec.update(
                last_12_months=np.nan,
                forecast_total=np.nan,
                forecast_change=np.nan,
                forecast_method="not used (no trend)",
            )
            notes.append(f"Forecast not used: {why}.")
        else:
            fc = CountForecast(
                used, horizon=horizon, level=level, n_sims=n_sims, random_state=random_state
            ).fit()
            change = 100 * (fc.total / base - 1) if base > 0 else np.nan
            rec.update(forecast_total=fc.total, forecast_change=change, forecast_method=fc.method)
        rec["note"] = " ".join(n for n in notes if n)
        records.append(rec)
    cols = [
        "months_used",
        "window",
        "covid_months",
        "covid_rule",
        "covid_note",
        "annual_change_pct",
        "lower_pct",
        "upper_pct",
        "p_value",
        "family",
        "method",
        "last_12_months",
        "forecast_total",
        "forecast_change",
        "forecast_method",
        "note",
    ]
    if not records:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="theme"))
    out = pd.DataFrame.from_records(records, index="theme")[cols]
    out.index.name = "theme"
    return out


def _window(y: pd.Series) -> str:
    """The first to the last month with data of ``y`` (empty when it has none)."""
    present = y.dropna()
    if present.empty:
        return ""
    return month_span(present.index[0], present.index[-1])


def _trend_input(series: pd.Series) -> pd.Series:
    y = _trim(series.astype(float))
    y.index = pd.DatetimeIndex(y.index, freq="MS", name="month")
    return y


def covid_note(threat: pd.DataFrame) -> str:
    """What the Covid-19 rule did to the threat trends, in one or two sentences for the page
    (empty when no theme's trend window meets the restrictions).

    Examples
    --------
    >>> t = pd.DataFrame({"covid_rule": ["left out", "none"], "covid_months": [3, 0],
    ...                   "covid_note": ""}, index=["Drugs", "Burglary"])
    >>> print(covid_note(t))  # doctest: +NORMALIZE_WHITESPACE
    The trend window of Drugs takes in 3 months of the Covid-19 restrictions (March 2020 to
    June 2021): they are left out of its trend and forecast, so its annual change is the
    trend of the other months, net of the lockdowns.
    """
    if "covid_rule" not in threat.columns:
        return ""
    out = []
    left = threat[threat["covid_rule"] == "left out"]
    if len(left):
        n = int(left["covid_months"].max())
        one = len(left) == 1
        out.append(
            f"The trend window of {join_names(map(str, left.index))} takes in {n} month"
            f"{'s' * (n != 1)} of the Covid-19 restrictions ({restrictions_text()}): they are "
            f"left out of {'its' if one else 'their'} trend{'' if one else 's'} and forecast"
            f"{'' if one else 's'}, so {'its' if one else 'each'} annual change is the trend "
            "of the other months, net of the lockdowns."
        )
    out.extend(covid_findings(threat))
    return " ".join(out)


def covid_findings(threat: pd.DataFrame) -> list[str]:
    """A sentence for each group of themes whose trend the Covid-19 rule could not
    estimate: it is not stated and not used to rank priorities, and why.

    Examples
    --------
    >>> t = pd.DataFrame({"covid_rule": ["not estimated"], "covid_note": [
    ...     "No trend is stated: this window starts during the Covid-19 lockdowns."]},
    ...     index=["Violence"])
    >>> print(covid_findings(t)[0])  # doctest: +NORMALIZE_WHITESPACE
    No trend of Violence is stated or used to rank priorities: this window starts during the
    Covid-19 lockdowns.
    """
    if "covid_rule" not in threat.columns:
        return []
    dropped = threat[threat["covid_rule"] == "not estimated"]
    groups: dict[str, list[str]] = {}
    for theme, note in dropped["covid_note"].items():
        groups.setdefault(str(note).removeprefix("No trend is stated: "), []).append(str(theme))
    return [
        f"No trend of {join_names(themes)} is stated or used to rank priorities: {why}"
        for why, themes in groups.items()
    ]
