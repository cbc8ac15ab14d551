"""The threat chapter's analysis: what is changing, where, and what is expected next year.

This module joins the time-series models of :mod:`csplib.models` into the analysis the
threat chapter (``notebooks/02_threat.ipynb``) shows, and says in words what could not be
computed and why when the data are short.

Series
------
:func:`monthly_series` turns tidy incidents into a wide months x series frame (by category,
or by category x ward) over every month from the first with data to the end of the assessed
period. A month the source does not cover is ``NaN``, never zero; so is a (month, category)
cell the ingest quality check flagged as implausible (a publication defect, such as a
release that kept 5% of a month's ASB): treating it as data would bend every model that
sees it. :func:`city_series` adds an ``All crime`` column (every category except ASB), which
is checked for implausible months on its own.

Analyses
--------
* **Emerging-trend screen** (:func:`run_screen`, :func:`screen_table`): every category x ward
  series, the last 6 months against the level expected from the 36 months before, with a
  seasonal index and overdispersion pooled by category and Benjamini-Hochberg control of the
  false discovery rate (:class:`csplib.models.EmergingTrendScreen`).
* **Trends** (:func:`trend_windows`, :func:`trend_table`): annual % change from a Poisson /
  negative binomial GLM with month-of-year effects (:class:`csplib.models.CountTrend`) over
  the last three years and since the start of the assessment's baseline year, with
  Mann-Kendall on deseasonalised counts as a check, and a direction arrow (↑ ↓, or ↔ when
  not significant).
* **Series that stand out** (:func:`series_of_concern`, :func:`series_detail`): flagged
  series of the screen (then, if fewer than three, the ward series with a significant recent
  trend, rises first), each with an expected-range chart and an SPC chart.
* **Covid-19 lockdown** (:func:`lockdown_problem`, :func:`lockdown_its`, :func:`its_table`):
  an interrupted time series at April 2020, the first full month of lockdown.
* **Seasonal profiles** (:func:`seasonal_profiles`) and **forecasts** of the next 12 months
  (:func:`forecast_problem`, :func:`forecast_series`, :func:`forecast_table`,
  :func:`forecast_totals`).

:func:`analyse_threat` runs everything once and returns a :class:`ThreatAnalysis`; the
chapter shows its parts and :func:`threat_findings` states its key findings for the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from csplib.ingest.quality import implausible_months
from csplib.models import (
    CountForecast,
    CountTrend,
    EmergingTrendScreen,
    ExpectedRange,
    ExpectedRangeResults,
    ForecastResults,
    InterruptedTimeSeries,
    ITSResults,
    MannKendallTrend,
    ProfileResults,
    ScreenResults,
    SeasonalProfile,
    SPCChart,
    SPCResults,
    as_monthly_counts,
    long_to_wide,
)
from csplib.narrative import Finding
from csplib.schema import ASB
from csplib.volume import monthly_counts

__all__ = [
    "ALL_CRIME",
    "VIOLENCE",
    "UP",
    "DOWN",
    "FLAT",
    "LOCKDOWN_MONTH",
    "TREND_COLUMNS",
    "FORMATS",
    "table_formats",
    "month_span",
    "monthly_series",
    "city_series",
    "trend_windows",
    "trend_table",
    "screen_problem",
    "run_screen",
    "screen_table",
    "series_of_concern",
    "SeriesDetail",
    "series_detail",
    "detail_tables",
    "lockdown_problem",
    "lockdown_its",
    "its_table",
    "seasonal_profiles",
    "profile_table",
    "profile_title",
    "forecast_problem",
    "forecast_series",
    "forecast_table",
    "forecast_totals",
    "forecast_title",
    "its_title",
    "ThreatAnalysis",
    "analyse_threat",
    "threat_findings",
]

#: Name of the total of every crime category (ASB is not a crime).
ALL_CRIME = "All crime"
VIOLENCE = "Violence and sexual offences"
#: Direction arrows: significant rise, significant fall, no significant trend.
UP, DOWN, FLAT = "↑", "↓", "↔"
#: The month the first national lockdown began (23 March 2020): a transition month, left out.
LOCKDOWN_MONTH = pd.Timestamp("2020-03-01")
#: Columns of a :func:`trend_table` worth showing in a chapter (the rest go to the annex).
TREND_COLUMNS = [
    "period",
    "annual_change_pct",
    "lower_pct",
    "upper_pct",
    "p_value",
    "q_value",
    "direction",
    "family",
]
#: Fewest months with data for a trend, forecast or seasonal profile to be shown at all.
MIN_MONTHS = 12
EVIDENCE = "02_threat"

#: SPC rules in words, in the order titles name them (at most two).
_RULE_WORDS = {
    "outside_limits": "beyond the process limits",
    "shift": "a run on one side of the mean",
    "trend": "a run of rises or falls",
    "two_of_three": "two of three near a limit",
}


# ---------------------------------------------------------------------------- helpers


def _month(value) -> pd.Timestamp:
    """A month start from a date, ``"YYYY-MM"`` string or Timestamp."""
    ts = pd.Timestamp(value)
    return pd.Timestamp(year=ts.year, month=ts.month, day=1)


def _add_months(month: pd.Timestamp, n: int) -> pd.Timestamp:
    return month + pd.DateOffset(months=n)


def month_span(start, end) -> str:
    """``"Apr 2022 to Mar 2025"`` (one month: ``"Mar 2025"``).

    Examples
    --------
    >>> month_span("2022-04-01", "2025-03-01")
    'Apr 2022 to Mar 2025'
    """
    start, end = _month(start), _month(end)
    if start == end:
        return f"{start:%b %Y}"
    return f"{start:%b %Y} to {end:%b %Y}"


def _count_text(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _label(key) -> str:
    """``"Possession of weapons in Bulwell"`` for a (category, ward) key; the name otherwise."""
    if isinstance(key, tuple):
        if len(key) == 2:
            return f"{key[0]} in {key[1]}"
        return " / ".join(map(str, key))
    return str(key)


def _pct(x: float, signed: bool = False) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:+.0f}%" if signed else f"{x:.0f}%"


def _about(x: float) -> str:
    """A count rounded to 3 significant figures, with thousands separators."""
    if not np.isfinite(x) or x == 0:
        return f"{x:,.0f}"
    digits = max(0, int(np.floor(np.log10(abs(x)))) - 2)
    return f"{round(x, -digits):,.0f}"


def _arrow(change: float, significant: bool) -> str:
    if not significant or not np.isfinite(change):
        return FLAT
    return UP if change > 0 else DOWN


#: Display formats of the columns this module's tables hold.
FORMATS = {
    **{
        c: "{:+.1f}%"
        for c in (
            "annual_change_pct",
            "lower_pct",
            "upper_pct",
            "pct_change",
            "estimate_pct",
            "change_pct",
        )
    },
    **{c: "{:.3g}" for c in ("p_value", "q_value", "mk_p_value", "mk_tau")},
    **{c: "{:.2f}" for c in ("rate_ratio", "rr_lower", "rr_upper")},
    "expected": "{:,.1f}",
    "expected_total": "{:,.0f}",
    "last_total": "{:,.0f}",
}


def table_formats(frame: pd.DataFrame) -> dict[str, str]:
    """The display formats (:data:`FORMATS`) of the columns ``frame`` has, for
    :meth:`csplib.context.Context.show`.

    Examples
    --------
    >>> table_formats(pd.DataFrame(columns=["p_value", "category"]))
    {'p_value': '{:.3g}'}
    """
    return {c: f for c, f in FORMATS.items() if c in frame.columns}


# ---------------------------------------------------------------------------- series


def monthly_series(
    incidents: pd.DataFrame,
    keys: str | Sequence[str] = "category",
    *,
    months_present=None,
    end=None,
    exclude: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Monthly counts as a wide frame (months x series), with missing months kept missing.

    Parameters
    ----------
    incidents : DataFrame
        Tidy incidents with ``month`` and the ``keys`` columns.
    keys : str or sequence of str
        Columns identifying a series: ``"category"`` (one column per category, via
        :func:`csplib.volume.monthly_counts`) or e.g. ``["category", "ward"]`` (a column
        MultiIndex, via :func:`csplib.models.long_to_wide`).
    months_present : iterable of dates, optional
        Months the source covers (default: months with at least one incident). Months in
        the span but not present are ``NaN``; a present month with no incident of a series
        is 0.
    end : date-like, optional
        Last month kept (the end of the assessed period). Later months are dropped.
    exclude : DataFrame, optional
        ``month`` and ``category`` of cells to treat as missing (e.g. the quality report's
        implausible months); every series of that category is ``NaN`` in that month.

    Returns
    -------
    DataFrame
        Index ``month`` (every month from the first present to the last, ``freq="MS"``);
        one float column per series, sorted.

    Raises
    ------
    ValueError
        If a key column is missing, no month is present up to ``end``, or ``exclude`` is
        given without a ``category`` key.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]),
    ...                     "category": ["Burglary", "Drugs", "Burglary"],
    ...                     "ward": ["A", "B", "A"]})
    >>> months = pd.to_datetime(["2024-01-01", "2024-03-01"])
    >>> monthly_series(inc, ["category", "ward"], months_present=months)
    category    Burglary  Drugs
    ward               A      B
    month
    2024-01-01       1.0    1.0
    2024-02-01       NaN    NaN
    2024-03-01       1.0    0.0
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    lacking = [c for c in ["month", *keys] if c not in incidents.columns]
    if lacking:
        raise ValueError(f"incidents lack column(s) {lacking}; expected 'month' and {keys}")
    source = incidents["month"] if months_present is None else pd.Series(list(months_present))
    present = pd.DatetimeIndex(sorted({_month(m) for m in pd.to_datetime(source)}))
    if end is not None:
        end = _month(end)
        present = present[present <= end]
        incidents = incidents[incidents["month"] <= end]
    if present.empty:
        raise ValueError("no month with data" + (f" up to {end:%Y-%m}" if end is not None else ""))
    span = pd.date_range(present[0], present[-1], freq="MS", name="month")
    if len(keys) == 1:
        wide = monthly_counts(incidents, by=keys[0], months_present=present).reindex(span)
    else:
        counts = (
            incidents.groupby([*keys, "month"], observed=True).size().rename("count").reset_index()
        )
        if counts.empty:
            wide = pd.DataFrame(
                index=span, columns=pd.MultiIndex.from_tuples([], names=keys), dtype=float
            )
        else:
            wide = long_to_wide(counts, keys, absent="zero").reindex(span)
        is_present = span.isin(present)
        wide.loc[is_present] = wide.loc[is_present].fillna(0.0)
        wide.loc[~is_present] = np.nan
    wide = wide.astype(float).sort_index(axis=1)
    wide.index = span
    if exclude is not None and len(exclude):
        if "category" not in wide.columns.names:
            raise ValueError("exclude needs series keyed by 'category'")
        categories = wide.columns.get_level_values("category")
        for month, category in zip(exclude["month"], exclude["category"], strict=True):
            month = _month(month)
            if month in wide.index:
                wide.loc[month, categories == category] = np.nan
    return wide


def city_series(
    incidents: pd.DataFrame,
    *,
    months_present=None,
    end=None,
    exclude: pd.DataFrame | None = None,
    asb: str = ASB,
) -> pd.DataFrame:
    """Monthly counts by category plus ``All crime`` (every category except ASB).

    ``All crime`` is summed from the counts as published and then checked for implausible
    months on its own (:func:`csplib.ingest.quality.implausible_months`): a defect in one
    small category does not remove a month from the total unless the total itself is
    implausible.

    Parameters
    ----------
    incidents, months_present, end, exclude
        As for :func:`monthly_series` (keyed by category).
    asb : str
        The ASB category (left out of ``All crime``).

    Returns
    -------
    DataFrame
        Months x categories, with an ``All crime`` column last when there is any crime.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01"]),
    ...                     "category": ["Burglary", "Drugs", ASB, "Drugs"]})
    >>> city_series(inc)["All crime"].tolist()
    [2.0, 1.0]
    """
    wide = monthly_series(
        incidents, "category", months_present=months_present, end=end, exclude=exclude
    )
    raw = monthly_series(incidents, "category", months_present=months_present, end=end)
    crime = [c for c in raw.columns if c != asb]
    if not crime:
        return wide
    total = raw[crime].sum(axis=1, min_count=1)
    present = total.dropna()
    if len(present) >= 3:
        flagged = implausible_months(
            pd.DataFrame({"month": present.index, "category": ALL_CRIME, "count": present})
        )
        total[total.index.isin(pd.DatetimeIndex(flagged["month"]))] = np.nan
    wide[ALL_CRIME] = total
    wide.columns.name = "category"
    return wide


def _excluded_cells(wide: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """(category, month) cells missing in ``wide`` though ``raw`` has data."""
    dropped = wide.isna() & raw.reindex(columns=wide.columns).notna()
    cells = dropped.stack()
    cells = cells[cells].reset_index()
    if cells.empty:
        return pd.DataFrame({"category": pd.Series(dtype=str), "month": pd.Series(dtype="M8[ns]")})
    cells = cells.rename(columns={cells.columns[0]: "month", cells.columns[1]: "category"})
    return cells[["category", "month"]].sort_values(["month", "category"], ignore_index=True)


# ---------------------------------------------------------------------------- trends


def trend_windows(
    end, *, first=None, recent_months: int = 36, baseline=None
) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """The windows over which trends are estimated, by label.

    Parameters
    ----------
    end : date-like
        Last month (the end of the assessed period).
    first : date-like, optional
        First month with data; windows do not start before it.
    recent_months : int
        Length of the recent window (36: "last 3 years").
    baseline : object with ``start`` and ``label``, optional
        The assessment's baseline period (:class:`csplib.params.Window`); adds a long-term
        window "since <label>" from its start when that is before the recent window.

    Returns
    -------
    dict
        Label -> (first month, last month).

    Examples
    --------
    >>> from csplib.params import Window
    >>> w = trend_windows("2025-03", baseline=Window.parse("2018/19"))
    >>> {k: month_span(*v) for k, v in w.items()}
    {'last 3 years': 'Apr 2022 to Mar 2025', 'since 2018/19': 'Apr 2018 to Mar 2025'}
    """
    end = _month(end)
    first = _month(first) if first is not None else None
    start = _add_months(end, -(recent_months - 1))
    if first is not None:
        start = max(start, first)
    years = recent_months / 12
    label = f"last {years:g} years" if recent_months % 12 == 0 else f"last {recent_months} months"
    windows = {label: (start, end)}
    if baseline is not None:
        since = _month(baseline.start)
        if first is not None:
            since = max(since, first)
        if since < start:
            windows[f"since {baseline.label}"] = (since, end)
    return windows


def trend_table(
    wide: pd.DataFrame,
    windows: dict[str, tuple],
    *,
    level: float = 0.95,
    significance: str = "p_value",
    alpha: float = 0.05,
    mann_kendall: bool = True,
    min_months: int = MIN_MONTHS,
) -> pd.DataFrame:
    """Annual % change of every series over each window, with a direction arrow.

    For each series and window: :class:`csplib.models.CountTrend` (Poisson or negative
    binomial GLM with month-of-year effects; annual change with a Wald interval and
    p-value) and, as a check, :class:`csplib.models.MannKendallTrend` on deseasonalised
    counts. p-values are adjusted with Benjamini-Hochberg across the series of each window
    (``q_value``). The direction is ↑ or ↓ when the chosen ``significance`` column is below
    ``alpha``, ↔ otherwise. Series with fewer than ``min_months`` months with data in a
    window get no estimate (the note says why).

    Parameters
    ----------
    wide : DataFrame
        Months x series (:func:`monthly_series`).
    windows : dict
        Label -> (first month, last month) (:func:`trend_windows`).
    level : float
        Confidence level (0.95).
    significance : {"p_value", "q_value"}
        Which p-value sets the arrow: raw (few series, e.g. city categories) or
        BH-adjusted (many series, e.g. category x ward).
    alpha : float
        Significance level (0.05).
    mann_kendall : bool
        Add the Mann-Kendall check (``mk_tau``, ``mk_p_value``, ``mk_agrees``).
    min_months : int
        Months with data needed in a window (12).

    Returns
    -------
    DataFrame
        Index: the series keys plus ``window``; columns ``period``, ``months_used``,
        ``annual_change_pct``, ``lower_pct``, ``upper_pct``, ``p_value``, ``q_value``,
        ``direction``, ``family``, (Mann-Kendall columns), ``method``, ``note``.

    Examples
    --------
    >>> idx = pd.date_range("2022-04-01", periods=36, freq="MS", name="month")
    >>> rng = np.random.default_rng(1)
    >>> wide = pd.DataFrame({"Rising": rng.poisson(40 * 1.3 ** (np.arange(36) / 12)),
    ...                      "Flat": rng.poisson(40, 36)}, index=idx)
    >>> t = trend_table(wide, {"last 3 years": (idx[0], idx[-1])})
    >>> t["direction"].tolist()
    ['↑', '↔']
    """
    if significance not in ("p_value", "q_value"):
        raise ValueError(f"significance must be 'p_value' or 'q_value'; got {significance!r}")
    names = [n if n is not None else "series" for n in wide.columns.names]
    rows, index = [], []
    for key in wide.columns:
        for label, (start, end) in windows.items():
            y = wide.loc[_month(start) : _month(end), key]
            n = int(y.notna().sum())
            row = {
                "period": month_span(start, end),
                "months_used": n,
                "annual_change_pct": np.nan,
                "lower_pct": np.nan,
                "upper_pct": np.nan,
                "p_value": np.nan,
                "family": None,
            }
            if mann_kendall:
                row.update(mk_tau=np.nan, mk_p_value=np.nan)
            if n < min_months:
                row.update(
                    method="none",
                    note=f"Only {_count_text(n, 'month')} with data "
                    f"(at least {min_months} are needed).",
                )
            else:
                res = CountTrend(y, level=level).fit()
                row.update(
                    annual_change_pct=100 * res.annual_change,
                    lower_pct=100 * res.ci[0],
                    upper_pct=100 * res.ci[1],
                    p_value=res.p_value,
                    family=res.family,
                    method=res.method,
                    note=res.note,
                )
                if mann_kendall:
                    mk = MannKendallTrend(y).fit()
                    row.update(mk_tau=mk.tau, mk_p_value=mk.p_value)
            rows.append(row)
            index.append((*(key if isinstance(key, tuple) else (key,)), label))
    table = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=[*names, "window"]))
    table.insert(table.columns.get_loc("p_value") + 1, "q_value", np.nan)
    for label in windows:
        sel = (table.index.get_level_values("window") == label) & table["p_value"].notna()
        if sel.any():
            table.loc[sel, "q_value"] = multipletests(
                table.loc[sel, "p_value"].to_numpy(float), method="fdr_bh"
            )[1]
    significant = table[significance] < alpha
    direction = [_arrow(c, s) for c, s in zip(table["annual_change_pct"], significant, strict=True)]
    table.insert(table.columns.get_loc("q_value") + 1, "direction", direction)
    if mann_kendall:
        mk_sig = table["mk_p_value"] < alpha
        glm_sig = table["p_value"] < alpha
        same_sign = np.sign(table["mk_tau"]) == np.sign(table["annual_change_pct"])
        agrees = (mk_sig & glm_sig & same_sign) | (~mk_sig & ~glm_sig)
        table.insert(
            table.columns.get_loc("mk_p_value") + 1,
            "mk_agrees",
            agrees.where(table["p_value"].notna() & table["mk_p_value"].notna()),
        )
    return table


# ---------------------------------------------------------------------------- screen


def screen_problem(wide: pd.DataFrame, *, recent_months: int = 6, min_baseline: int = 12) -> str:
    """Why the emerging-trend screen cannot run on ``wide``; empty when it can.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> screen_problem(pd.DataFrame({"a": [1.0, 2, 3]}, index=idx))
    'The screen needs at least 18 months (6 recent and 12 baseline); the data cover 3.'
    """
    if wide.shape[1] == 0:
        return "There are no series to screen."
    needed = recent_months + min_baseline
    if len(wide) < needed:
        return (
            f"The screen needs at least {needed} months ({recent_months} recent and "
            f"{min_baseline} baseline); the data cover {len(wide)}."
        )
    if wide.iloc[-recent_months:].isna().all().all():
        return f"There are no data in the last {recent_months} months."
    if wide.iloc[:-recent_months].notna().sum().max() < min_baseline:
        return f"No series has {min_baseline} baseline months with data."
    return ""


def run_screen(
    wide: pd.DataFrame,
    *,
    recent_months: int = 6,
    baseline_months: int = 36,
    fdr: float = 0.05,
    level: float = 0.95,
) -> ScreenResults:
    """Run :class:`csplib.models.EmergingTrendScreen` with the chapter's settings.

    Seasonal index and overdispersion are pooled by category when the series are keyed by
    category (each category its own season), across all series otherwise; change either way
    is tested.

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> rng = np.random.default_rng(0)
    >>> wide = pd.DataFrame(rng.poisson(20, (48, 20)), index=idx).add_prefix("w")
    >>> wide.iloc[-6:, 3] = rng.poisson(45, 6)
    >>> run_screen(wide).flagged.index.tolist()
    ['w3']
    """
    pool_by = "category" if "category" in wide.columns.names else None
    return EmergingTrendScreen(
        wide,
        recent_months=recent_months,
        baseline_months=baseline_months,
        pool_by=pool_by,
        fdr=fdr,
        level=level,
    ).fit()


def screen_table(
    results: ScreenResults, *, flagged_only: bool = False, top: int | None = None
) -> pd.DataFrame:
    """The screen's ranked table for showing: series keys as columns, indexed by rank.

    Columns: the series keys, ``recent`` (count in the recent months), ``expected``,
    ``rate_ratio`` with ``rr_lower`` / ``rr_upper``, ``pct_change``, ``p_value``,
    ``q_value`` (BH), ``flagged`` and ``change``.

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> rng = np.random.default_rng(0)
    >>> wide = pd.DataFrame(rng.poisson(20, (48, 20)), index=idx).add_prefix("w")
    >>> wide.iloc[-6:, 3] = rng.poisson(45, 6)
    >>> t = screen_table(run_screen(wide), top=2)
    >>> t.loc[1, "series"], bool(t.loc[1, "flagged"]), len(t)
    ('w3', True, 2)
    """
    t = results.table
    if flagged_only:
        t = t[t["flagged"]]
    if top is not None:
        t = t.head(top)
    names = [n if n is not None else "series" for n in t.index.names]
    if isinstance(t.index, pd.MultiIndex):
        keys = t.index.to_frame(index=False, name=names)
    else:
        keys = t.index.to_frame(index=False, name=names[0])
    out = pd.concat(
        [
            keys,
            pd.DataFrame(
                {
                    "recent": t["observed"].to_numpy(),
                    "expected": t["expected"].to_numpy(),
                    "rate_ratio": t["rate_ratio"].to_numpy(),
                    "rr_lower": t["rr_lower"].to_numpy(),
                    "rr_upper": t["rr_upper"].to_numpy(),
                    "pct_change": t["pct_change"].to_numpy(),
                    "p_value": t["p_value"].to_numpy(),
                    "q_value": t["q_value"].to_numpy(),
                    "flagged": t["flagged"].to_numpy(),
                    "change": t["change"].to_numpy(),
                }
            ),
        ],
        axis=1,
    )
    out.index = pd.Index(t["rank"].to_numpy(), name="rank")
    return out


# ---------------------------------------------------------------------------- series that stand out


def series_of_concern(
    screen: ScreenResults | None = None,
    trends: pd.DataFrame | None = None,
    *,
    n: int = 3,
    window: str | None = None,
    recent_label: str = "the recent months",
) -> pd.DataFrame:
    """The ``n`` series that stand out: flagged by the screen, then by a significant trend.

    Flagged series of the screen come first: rises, then falls, each in rank order. If fewer
    than ``n`` are
    flagged, the list is filled with series whose trend over ``window`` (default: the first
    window of ``trends``) is significant (``direction`` not ↔): rises first, largest first,
    then falls, largest first (a threat assessment looks for what is growing).

    Parameters
    ----------
    screen : ScreenResults, optional
    trends : DataFrame, optional
        A :func:`trend_table` of the same series.
    n : int
        How many series (3).
    window : str, optional
        Which trend window to draw from.
    recent_label : str
        How to name the screen's recent months in the finding text.

    Returns
    -------
    DataFrame
        One row per series: the key columns, ``selected_by`` (``"screen"`` or ``"trend"``)
        and ``finding`` (a sentence).

    Examples
    --------
    >>> trends = pd.DataFrame({"annual_change_pct": [40.0, -5.0], "lower_pct": [20.0, -9.0],
    ...     "upper_pct": [62.0, -1.0], "q_value": [0.001, 0.04], "direction": ["↑", "↓"],
    ...     "period": "Apr 2022 to Mar 2025"}, index=pd.MultiIndex.from_tuples(
    ...     [("Drugs", "A", "last 3 years"), ("Drugs", "B", "last 3 years")],
    ...     names=["category", "ward", "window"]))
    >>> series_of_concern(None, trends, n=1)[["ward", "selected_by"]]
      ward selected_by
    0    A       trend
    """
    rows: list[dict] = []
    names: list[str] | None = None
    if screen is not None:
        flagged = screen.flagged
        # rises first (a threat assessment looks for what is growing), each in rank order
        flagged = flagged.iloc[
            np.argsort((flagged["change"] != "increase").to_numpy(), kind="stable")
        ]
        names = [nm if nm is not None else "series" for nm in flagged.index.names]
        for key, r in flagged.head(n).iterrows():
            key = key if isinstance(key, tuple) else (key,)
            rows.append(
                {
                    **dict(zip(names, key, strict=True)),
                    "selected_by": "screen",
                    "finding": (
                        f"{r['observed']:,.0f} recorded in {recent_label} against "
                        f"{r['expected']:,.1f} expected ({r['rate_ratio']:.2f} times; 95% CI "
                        f"{r['rr_lower']:.2f} to {r['rr_upper']:.2f}; q = {r['q_value']:.3f})"
                    ),
                }
            )
    if len(rows) < n and trends is not None and len(trends):
        window = window or trends.index.get_level_values("window")[0]
        part = trends.xs(window, level="window")
        part = _by_rise(part[part["direction"] != FLAT])
        tnames = [nm if nm is not None else "series" for nm in part.index.names]
        names = names or tnames
        chosen = {tuple(r[k] for k in names) for r in rows}
        for key, r in part.iterrows():
            if len(rows) >= n:
                break
            key = key if isinstance(key, tuple) else (key,)
            if key in chosen:
                continue
            verb = "rising" if r["annual_change_pct"] > 0 else "falling"
            rows.append(
                {
                    **dict(zip(tnames, key, strict=True)),
                    "selected_by": "trend",
                    "finding": (
                        f"{verb} by {abs(r['annual_change_pct']):.0f}% a year (95% CI "
                        f"{r['lower_pct']:+.0f}% to {r['upper_pct']:+.0f}%; q = "
                        f"{r['q_value']:.3g}) over {r['period']}"
                    ),
                }
            )
    columns = [*(names or ["series"]), "selected_by", "finding"]
    return pd.DataFrame(rows, columns=columns)


def _by_rise(trends: pd.DataFrame) -> pd.DataFrame:
    """Rising series first (largest rise first), then falling ones (largest fall first)."""
    change = trends["annual_change_pct"]
    order = np.lexsort((-change.abs().to_numpy(), (change <= 0).to_numpy()))
    return trends.iloc[order]


@dataclass(frozen=True)
class SeriesDetail:
    """One series that stands out: its expected range and SPC chart, with finding titles.

    Attributes
    ----------
    key : tuple
        The series key, e.g. ``("Possession of weapons", "Bulwell")``.
    label : str
        The series in words.
    expected : ExpectedRangeResults
        Expected range of the recent months from the baseline months.
    spc : SPCResults
        SPC chart of the baseline and recent months (limits from the baseline).
    expected_title, spc_title : str
        Chart titles stating the finding.
    """

    key: tuple
    label: str
    expected: ExpectedRangeResults
    spc: SPCResults
    expected_title: str
    spc_title: str


def _expected_title(label: str, res: ExpectedRangeResults) -> str:
    t = res.table
    span = month_span(t.index[0], t.index[-1])
    has = t["observed"].notna()
    n = int(has.sum())
    if t["expected"].isna().all() or n == 0:
        return f"{label}:\nno expected range could be computed for {span}"
    observed, expected = t.loc[has, "observed"].sum(), t.loc[has, "expected"].sum()
    ratio = f", {observed / expected:.1f} times the {_about(expected)} expected" if expected else ""
    above, below = int(t["above"].sum()), int(t["below"].sum())
    over = int((t.loc[has, "observed"] > t.loc[has, "median"]).sum())
    return (
        f"{label}: {observed:,.0f} recorded in {span}{ratio}\n"
        f"months above the expected range: {above} of {n}; below it: {below}; "
        f"above its median: {over}"
    )


def _spc_title(label: str, res: SPCResults, recent_months: int) -> str:
    t = res.table.iloc[-recent_months:]
    t = t[t["value"].notna()]
    n = len(t)
    if res.method.startswith("none"):
        return f"{label}:\nno SPC chart (too few baseline months)"
    for kind, word in (
        ("special_cause_concern", "concern"),
        ("special_cause_improvement", "improvement"),
    ):
        hit = t[t["variation"] == kind]
        if len(hit):
            rules = [w for r, w in _RULE_WORDS.items() if hit[r].any()][:2]
            return (
                f"{label}:\nspecial-cause {word} in {len(hit)} of the last {n} months "
                f"({'; '.join(rules)})"
            )
    if t["special_cause"].any():
        return f"{label}:\nspecial-cause variation in the last {n} months"
    return f"{label}:\ncommon-cause variation only in the last {n} months"


def series_detail(
    series: pd.Series,
    label: str,
    *,
    key: tuple | None = None,
    recent_months: int = 6,
    baseline_months: int = 36,
    polarity: str = "down",
) -> SeriesDetail:
    """Expected range and SPC chart for one series, over the screen's windows.

    The expected range (:class:`csplib.models.ExpectedRange`) assesses the last
    ``recent_months`` against the trend and season of the ``baseline_months`` before them
    (so it asks whether the recent months go beyond a continuing trend); the SPC chart
    (:class:`csplib.models.SPCChart`) covers the baseline and recent months with limits from
    the baseline months only, so a recent change shows against the earlier process.

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=42, freq="MS")
    >>> rng = np.random.default_rng(5)
    >>> y = pd.Series(rng.poisson(np.r_[np.full(36, 20), np.full(6, 45)]), index=idx)
    >>> d = series_detail(y, "Drugs in Castle")
    >>> d.spc_title.splitlines()[1].startswith("special-cause concern in 6 of the last 6")
    True
    """
    y = as_monthly_counts(series)
    if len(y) <= recent_months:
        raise ValueError(
            f"series must cover more than recent_months ({recent_months}) months; "
            f"it covers {len(y)}"
        )
    start = y.index[-recent_months]
    window = y.iloc[-(recent_months + baseline_months) :]
    expected = ExpectedRange(y, start=start, baseline_months=baseline_months).fit()
    spc = SPCChart(
        window, baseline=(window.index[0], _add_months(start, -1)), polarity=polarity
    ).fit()
    return SeriesDetail(
        key=key if key is not None else (label,),
        label=label,
        expected=expected,
        spc=spc,
        expected_title=_expected_title(label, expected),
        spc_title=_spc_title(label, spc, recent_months),
    )


def detail_tables(details: Sequence[SeriesDetail]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The expected-range and SPC tables of several series, stacked for the data annex.

    Returns
    -------
    (DataFrame, DataFrame)
        Expected ranges (index ``series``, ``month``) and SPC tables (same index).

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=42, freq="MS")
    >>> y = pd.Series(np.random.default_rng(5).poisson(20, 42), index=idx)
    >>> er, spc = detail_tables([series_detail(y, "Drugs in Castle")])
    >>> er.shape[0], spc.shape[0]
    (6, 42)
    """
    if not details:
        empty = pd.MultiIndex.from_tuples([], names=["series", "month"])
        return pd.DataFrame(index=empty), pd.DataFrame(index=empty)
    expected = pd.concat({d.label: d.expected.table for d in details}, names=["series", "month"])
    spc = pd.concat({d.label: d.spc.table for d in details}, names=["series", "month"])
    return expected, spc


# ---------------------------------------------------------------------------- Covid-19


def lockdown_problem(series: pd.Series, *, pre_months: int = 24, post_months: int = 12) -> str:
    """Why the lockdown cannot be modelled from ``series``; empty when it can.

    The data must hold at least ``pre_months`` months with data before March 2020 and
    every one of the ``post_months`` months from April 2020.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> print(lockdown_problem(pd.Series([1.0, 2, 3], index=idx)))  # doctest: +NORMALIZE_WHITESPACE
    The data hold 0 months before March 2020 and 0 of the 12 months from April 2020; the
    lockdown model needs at least 24 before and all 12 after.
    """
    y = as_monthly_counts(series)
    pre = int(y.loc[: _add_months(LOCKDOWN_MONTH, -1)].notna().sum())
    post_window = y.loc[_add_months(LOCKDOWN_MONTH, 1) : _add_months(LOCKDOWN_MONTH, post_months)]
    post = int(post_window.notna().sum())
    if pre >= pre_months and post >= post_months:
        return ""
    return (
        f"The data hold {pre} months before March 2020 and {post} of the {post_months} months "
        f"from April 2020; the lockdown model needs at least {pre_months} before and all "
        f"{post_months} after."
    )


def lockdown_its(
    series: pd.Series, *, pre_months: int = 36, post_months: int = 12, level: float = 0.95
) -> ITSResults:
    """Interrupted time series of the first Covid-19 lockdown.

    The series is cut to the ``pre_months`` before March 2020 and the ``post_months`` from
    April 2020; March 2020 (lockdown from the 23rd) is a transition month and is left out.
    The intervention is April 2020, the first full month of lockdown; the model
    (:class:`csplib.models.InterruptedTimeSeries`) estimates a level change and a slope
    change against the pre-pandemic trend and season.

    Examples
    --------
    >>> idx = pd.date_range("2017-03-01", "2021-03-01", freq="MS")
    >>> mu = np.where(idx >= "2020-04-01", 60, 40)
    >>> y = pd.Series(np.random.default_rng(2).poisson(mu), index=idx)
    >>> res = lockdown_its(y)
    >>> est, lo, hi = res.table.loc["level change", ["estimate", "lower", "upper"]]
    >>> bool(lo < 0.5 < hi)
    True
    """
    y = as_monthly_counts(series)
    window = y.loc[
        _add_months(LOCKDOWN_MONTH, -pre_months) : _add_months(LOCKDOWN_MONTH, post_months)
    ].copy()
    if LOCKDOWN_MONTH in window.index:
        window[LOCKDOWN_MONTH] = np.nan
    return InterruptedTimeSeries(window, _add_months(LOCKDOWN_MONTH, 1), level=level).fit()


def its_table(results: dict[str, ITSResults]) -> pd.DataFrame:
    """The lockdown models' estimates as percentages, one row per series and effect.

    Examples
    --------
    >>> idx = pd.date_range("2017-03-01", "2021-03-01", freq="MS")
    >>> y = pd.Series(np.random.default_rng(2).poisson(40, len(idx)), index=idx)
    >>> its_table({"ASB": lockdown_its(y)}).index.tolist()[:2]
    [('ASB', 'level change'), ('ASB', 'slope change')]
    """
    parts = []
    for name, res in results.items():
        t = res.table
        parts.append(
            pd.DataFrame(
                {
                    "estimate_pct": 100 * t["estimate"],
                    "lower_pct": 100 * t["lower"],
                    "upper_pct": 100 * t["upper"],
                    "p_value": t["p_value"],
                    "family": res.config.get("family_used"),
                },
                index=pd.MultiIndex.from_product([[name], t.index], names=["series", "effect"]),
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["estimate_pct", "lower_pct", "upper_pct", "p_value", "family"],
            index=pd.MultiIndex.from_tuples([], names=["series", "effect"]),
        )
    return pd.concat(parts)


def its_title(name: str, res: ITSResults) -> str:
    """Chart title stating the lockdown's level change.

    Examples
    --------
    >>> idx = pd.date_range("2017-03-01", "2021-03-01", freq="MS")
    >>> mu = np.where(idx >= "2020-04-01", 80, 40)
    >>> y = pd.Series(np.random.default_rng(2).poisson(mu), index=idx)
    >>> its_title("ASB", lockdown_its(y)).startswith("ASB: ")
    True
    """
    est, lo, hi, p = res.table.loc["level change", ["estimate", "lower", "upper", "p_value"]]
    if not np.isfinite(est):
        return f"{name}: no estimate of the lockdown's effect"
    word = "above" if est > 0 else "below"
    sig = "" if p < 0.05 else " (not statistically significant)"
    return (
        f"{name}: {abs(100 * est):.0f}% {word} its pre-pandemic trend in April 2020, the "
        f"first full month of lockdown{sig}"
    )


def _its_sentence(name: str, res: ITSResults) -> str:
    est, lo, hi, p = res.table.loc["level change", ["estimate", "lower", "upper", "p_value"]]
    if not np.isfinite(est):
        return f"No lockdown estimate for {name}: {res.note}"
    word = "higher" if est > 0 else "lower"
    sig = "statistically significant" if p < 0.05 else "not statistically significant"
    return (
        f"In April 2020, the first full month of lockdown, {name} was {abs(100 * est):.0f}% "
        f"{word} than its pre-pandemic trend and season predicted (95% CI {100 * lo:+.0f}% to "
        f"{100 * hi:+.0f}%; {sig})."
    )


# ---------------------------------------------------------------------------- seasonality


def seasonal_profiles(
    wide: pd.DataFrame, series: Sequence[str], *, start=None, end=None, level: float = 0.95
) -> dict[str, ProfileResults]:
    """Month-of-year profiles (:class:`csplib.models.SeasonalProfile`) of some series.

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


def forecast_problem(series: pd.Series, *, min_months: int = MIN_MONTHS) -> str:
    """Why no forecast is made from ``series``; empty when one is.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> forecast_problem(pd.Series([1.0, 2, 3], index=idx))
    'A forecast needs at least 12 months with data; there are 3.'
    """
    n = int(as_monthly_counts(series).notna().sum())
    if n < min_months:
        return f"A forecast needs at least {min_months} months with data; there are {n}."
    return ""


def forecast_series(
    series: pd.Series, *, horizon: int = 12, history_months: int = 36, level: float = 0.95
) -> ForecastResults:
    """Forecast the next ``horizon`` months (:class:`csplib.models.CountForecast`).

    The model (month of year + linear trend, Poisson or negative binomial) is fitted to the
    last ``history_months`` months, so the trend extrapolated is the recent one.

    Examples
    --------
    >>> idx = pd.date_range("2022-04-01", periods=36, freq="MS")
    >>> y = pd.Series(np.random.default_rng(1).poisson(100, 36), index=idx)
    >>> res = forecast_series(y)
    >>> res.table.index[0].strftime("%Y-%m"), len(res.table)
    ('2025-04', 12)
    """
    return CountForecast(series, horizon=horizon, level=level, history_months=history_months).fit()


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
    """Expected totals over the forecast horizon against the same number of months before.

    Returns
    -------
    DataFrame
        Index ``series``; ``forecast_period``, ``expected_total``, ``last_period``,
        ``last_total`` (recorded), ``months_with_data`` (in the last period) and
        ``change_pct`` (only when every month of the last period has data).

    Examples
    --------
    >>> idx = pd.date_range("2022-04-01", periods=36, freq="MS")
    >>> y = pd.Series(np.random.default_rng(1).poisson(100, 36), index=idx)
    >>> t = forecast_totals({"ASB": forecast_series(y)}, y.to_frame("ASB"))
    >>> t.loc["ASB", ["forecast_period", "last_period"]].tolist()
    ['Apr 2025 to Mar 2026', 'Apr 2024 to Mar 2025']
    """
    rows = {}
    for name, res in results.items():
        future = res.table.index
        last = wide[name].iloc[-len(future) :]
        n = int(last.notna().sum())
        last_total = float(last.sum()) if n else np.nan
        expected = res.total
        change = 100 * (expected / last_total - 1) if n == len(future) and last_total else np.nan
        rows[name] = {
            "forecast_period": month_span(future[0], future[-1]),
            "expected_total": expected,
            "last_period": month_span(last.index[0], last.index[-1]),
            "last_total": last_total,
            "months_with_data": n,
            "change_pct": change,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("series")


def forecast_title(name: str, totals: pd.DataFrame) -> str:
    """Chart title stating a forecast total (from :func:`forecast_totals`).

    Examples
    --------
    >>> totals = pd.DataFrame({"expected_total": [11264.8], "change_pct": [-7.7],
    ...                        "forecast_period": ["Apr 2025 to Mar 2026"]}, index=["ASB"])
    >>> forecast_title("ASB", totals)
    'ASB: about 11,300 expected in Apr 2025 to Mar 2026 (-8% on the last 12 months)'
    """
    row = totals.loc[name]
    text = f"{name}: about {_about(row['expected_total'])} expected in {row['forecast_period']}"
    if np.isfinite(row["change_pct"]):
        text += f" ({row['change_pct']:+.0f}% on the last 12 months)"
    return text


# ---------------------------------------------------------------------------- the analysis


@dataclass
class ThreatAnalysis:
    """Everything the threat chapter shows, computed once by :func:`analyse_threat`.

    Parts that the data cannot support are ``None`` (or empty) and ``reasons`` says why,
    in one sentence, keyed by section: ``"screen"``, ``"concern"``, ``"trends"``,
    ``"ward_trends"``, ``"profiles"``, ``"lockdown"``, ``"forecast"``.

    Attributes
    ----------
    end : Timestamp
        Last month analysed (the end of the assessed period, or of the data if earlier).
    city, wards : DataFrame
        Monthly series by category (with ``All crime``) and by category x ward.
    excluded : DataFrame
        (category, month) cells treated as missing (implausible months).
    windows : dict
        Trend windows (:func:`trend_windows`).
    recent : tuple of Timestamp
        First and last month of the screen's recent window.
    screen : ScreenResults or None
    city_trends, ward_trends : DataFrame or None
        :func:`trend_table` results.
    concern : DataFrame or None
        :func:`series_of_concern`.
    details : list of SeriesDetail
    profiles : dict of ProfileResults
    lockdown : dict of ITSResults
    forecasts : dict of ForecastResults
    settings : dict
        The settings used.
    """

    end: pd.Timestamp
    city: pd.DataFrame
    wards: pd.DataFrame
    excluded: pd.DataFrame
    windows: dict
    recent: tuple
    screen: ScreenResults | None = None
    city_trends: pd.DataFrame | None = None
    ward_trends: pd.DataFrame | None = None
    concern: pd.DataFrame | None = None
    details: list = field(default_factory=list)
    profiles: dict = field(default_factory=dict)
    lockdown: dict = field(default_factory=dict)
    forecasts: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    @property
    def recent_label(self) -> str:
        """The screen's recent months in words."""
        return month_span(*self.recent)

    def coverage_text(self) -> str:
        """What the chapter rests on: months, gaps and cells treated as missing."""
        idx = self.city.index
        with_data = int(self.city.notna().any(axis=1).sum())
        text = (
            f"The analysis uses {_count_text(with_data, 'month')} of police.uk data, "
            f"{month_span(idx[0], idx[-1])}"
        )
        gaps = idx[self.city.isna().all(axis=1)]
        if len(gaps):
            verb = "is" if len(gaps) == 1 else "are"
            text += (
                f"; {_count_text(len(gaps), 'month')} with no data ({_months_list(gaps)}) "
                f"{verb} left out, never counted as zero"
            )
        text += "."
        if len(self.excluded):
            cells = "; ".join(
                f"{r.category} in {r.month:%b %Y}" for r in self.excluded.itertuples()
            )
            text += (
                f" Months flagged as implausible by the quality check are treated as missing: "
                f"{cells}."
            )
        return text

    def screen_text(self) -> str:
        """The screen's result in one or two sentences (or why it was not run)."""
        if self.screen is None:
            return self.reasons.get("screen", "The screen was not run.")
        t = self.screen.table
        n_tested = int(t["p_value"].notna().sum())
        flagged = self.screen.flagged
        fdr = self.screen.config["fdr"]
        if flagged.empty:
            top = t.iloc[0]
            return (
                f"None of the {n_tested:,} category x ward series tested changed in "
                f"{self.recent_label} by more than the season and chance explain (false "
                f"discovery rate {fdr:.0%}). The strongest evidence was for "
                f"{_label(t.index[0])}: {top['observed']:,.0f} recorded against "
                f"{top['expected']:,.1f} expected (q = {top['q_value']:.2f})."
            )
        up = int((flagged["change"] == "increase").sum())
        down = len(flagged) - up
        return (
            f"{len(flagged)} of the {n_tested:,} category x ward series tested changed in "
            f"{self.recent_label} by more than the season and chance explain (false discovery "
            f"rate {fdr:.0%}): {up} rose and {down} fell. The strongest evidence was for "
            f"{_label(flagged.index[0])}, {flagged['rate_ratio'].iloc[0]:.2f} times its "
            "expected level."
        )

    def screen_title(self) -> str:
        """Title of the screen chart, stating the finding."""
        if self.screen is None:
            return "Emerging-trend screen not run"
        flagged = self.screen.flagged
        if flagged.empty:
            return (
                f"No ward series changed beyond chance in {self.recent_label};\n"
                f"strongest evidence: {_label(self.screen.table.index[0])}"
            )
        return (
            f"{len(flagged)} ward series changed beyond chance in {self.recent_label};\n"
            f"strongest: {_label(flagged.index[0])}"
        )

    def significant_ward_trends(self, window: str | None = None) -> pd.DataFrame:
        """Ward-level trends significant after FDR control in ``window`` (default: recent),
        largest changes first."""
        if self.ward_trends is None:
            return pd.DataFrame()
        window = window or next(iter(self.windows))
        part = self.ward_trends.xs(window, level="window", drop_level=False)
        part = part[part["direction"] != FLAT]
        return part.sort_values("annual_change_pct", ascending=False, kind="stable")

    def lockdown_sentences(self) -> list[str]:
        """The lockdown's level change for each series modelled, in words."""
        return [
            _its_sentence("anti-social behaviour" if name == ASB else "recorded crime", res)
            for name, res in self.lockdown.items()
        ]

    def concern_text(self) -> str:
        """How the series shown in detail were chosen (or why none are shown)."""
        if self.concern is None or self.concern.empty:
            return self.reasons.get("concern", "No series stands out.")
        by = self.concern["selected_by"]
        n_screen, n_trend = int((by == "screen").sum()), int((by == "trend").sum())
        parts = []
        if n_screen:
            parts.append(f"{n_screen} flagged by the screen")
        if n_trend:
            flagged = "none" if not n_screen else f"only {n_screen}"
            parts.append(
                f"{n_trend} with a significant ward-level trend over the "
                f"{next(iter(self.windows))} (rises first, largest first), because the screen "
                f"flagged {flagged}"
            )
        return (
            f"The {len(self.concern)} series shown below are: {' and '.join(parts)}. Each has "
            f"an expected range for {self.recent_label} from the trend and season of the "
            f"{self.settings['baseline_months']} months before it (is the recent level beyond "
            "a continuing trend?) and an SPC chart whose limits come from those months (has "
            "the process changed since?)."
        )


def _months_list(months) -> str:
    labels = [f"{m:%b %Y}" for m in months]
    return ", ".join(labels[:6]) + (f" and {len(labels) - 6} more" if len(labels) > 6 else "")


def analyse_threat(
    incidents: pd.DataFrame,
    *,
    months_present=None,
    end=None,
    exclude: pd.DataFrame | None = None,
    baseline=None,
    recent_months: int = 6,
    baseline_months: int = 36,
    trend_months: int = 36,
    fdr: float = 0.05,
    level: float = 0.95,
    horizon: int = 12,
    n_concern: int = 3,
    ward_column: str = "ward_name",
) -> ThreatAnalysis:
    """Run the threat chapter's analysis.

    Parameters
    ----------
    incidents : DataFrame
        Tidy incidents (``month``, ``category`` and ``ward_column``).
    months_present : iterable of dates, optional
        Months the source covers (the store's ``months_present``).
    end : date-like, optional
        End of the assessed period; later months are left out. Default: the last month.
    exclude : DataFrame, optional
        (month, category) cells to treat as missing (the quality report's implausible
        months).
    baseline : Window, optional
        The assessment's baseline period; adds a long-term trend window from its start.
    recent_months, baseline_months : int
        The screen's windows (6 and 36).
    trend_months : int
        The recent trend window (36).
    fdr, level : float
        False discovery rate (0.05) and confidence level (0.95).
    horizon : int
        Forecast months (12).
    n_concern : int
        Series shown in detail (3).
    ward_column : str
        Column naming the ward (``ward_name``; rows without a ward are left out of the
        ward series).

    Returns
    -------
    ThreatAnalysis
    """
    if end is not None:
        present = pd.DatetimeIndex(
            pd.to_datetime(pd.Series(list(months_present)))
            if months_present is not None
            else incidents["month"].unique()
        )
        if (present <= _month(end)).sum() == 0:
            raise ValueError(f"no month with data up to {_month(end):%Y-%m}")
    lacking = [c for c in ("month", "category", ward_column) if c not in incidents.columns]
    if lacking:
        raise ValueError(
            f"incidents lack column(s) {lacking}; expected month, category and {ward_column!r}"
        )
    raw = city_series(incidents, months_present=months_present, end=end)
    city = city_series(incidents, months_present=months_present, end=end, exclude=exclude)
    end = city.index[-1]
    ward_rows = incidents[incidents[ward_column].notna()]
    ward_rows = ward_rows[["month", "category", ward_column]].rename(columns={ward_column: "ward"})
    wards = monthly_series(
        ward_rows, ["category", "ward"], months_present=months_present, end=end, exclude=exclude
    )
    windows = trend_windows(end, first=city.index[0], recent_months=trend_months, baseline=baseline)
    recent = (city.index[max(len(city) - recent_months, 0)], end)
    analysis = ThreatAnalysis(
        end=end,
        city=city,
        wards=wards,
        excluded=_excluded_cells(city, raw),
        windows=windows,
        recent=recent,
        settings={
            "recent_months": recent_months,
            "baseline_months": baseline_months,
            "trend_months": trend_months,
            "fdr": fdr,
            "level": level,
            "horizon": horizon,
        },
    )
    reasons = analysis.reasons
    n_months = int(city.notna().any(axis=1).sum())

    # screen
    problem = screen_problem(wards, recent_months=recent_months)
    if problem:
        reasons["screen"] = f"The emerging-trend screen was not run. {problem}"
    else:
        analysis.screen = run_screen(
            wards,
            recent_months=recent_months,
            baseline_months=baseline_months,
            fdr=fdr,
            level=level,
        )

    # trends
    if n_months < MIN_MONTHS:
        why = (
            f"Trends need at least {MIN_MONTHS} months with data (24 to allow for the "
            f"season); the data cover {n_months}."
        )
        reasons["trends"] = f"No trends were estimated. {why}"
        reasons["ward_trends"] = f"No ward-level trends were estimated. {why}"
    else:
        analysis.city_trends = trend_table(city, windows, level=level)
        analysis.ward_trends = trend_table(
            wards, windows, level=level, significance="q_value", mann_kendall=False
        )

    # the series that stand out
    if analysis.screen is not None or analysis.ward_trends is not None:
        concern = series_of_concern(
            analysis.screen, analysis.ward_trends, n=n_concern, recent_label=analysis.recent_label
        )
        analysis.concern = concern
        if concern.empty:
            reasons["concern"] = (
                "No series stands out: the screen flagged none and no ward-level trend is "
                "significant."
            )
        elif len(wards) > recent_months + 1:
            for row in concern.itertuples(index=False):
                key = (row.category, row.ward)
                analysis.details.append(
                    series_detail(
                        wards[key],
                        _label(key),
                        key=key,
                        recent_months=recent_months,
                        baseline_months=baseline_months,
                    )
                )
    else:
        reasons["concern"] = (
            "No series can be singled out: neither the screen nor the ward-level trends could "
            "be computed from these data."
        )

    # seasonal profiles (recent trend window)
    first_window = next(iter(windows.values()))
    if n_months < MIN_MONTHS:
        reasons["profiles"] = (
            f"No seasonal profile: at least {MIN_MONTHS} months with data are needed (24 for "
            f"a modelled profile); the data cover {n_months}."
        )
    else:
        analysis.profiles = seasonal_profiles(
            city, [ASB, VIOLENCE], start=first_window[0], end=first_window[1], level=level
        )

    # Covid-19 lockdown
    problems = {}
    for name in (ASB, ALL_CRIME):
        if name in city.columns:
            problem = lockdown_problem(city[name])
            if problem:
                problems[name] = problem
            else:
                analysis.lockdown[name] = lockdown_its(city[name], level=level)
    if problems:
        first = next(iter(problems.values()))
        if analysis.lockdown:
            reasons["lockdown"] = f"The lockdown is not modelled for {', '.join(problems)}. {first}"
        else:
            reasons["lockdown"] = f"The Covid-19 lockdown cannot be modelled. {first}"
    elif not analysis.lockdown:
        reasons["lockdown"] = "The Covid-19 lockdown cannot be modelled: no ASB or crime series."

    # forecasts
    problems = {}
    for name in (ALL_CRIME, ASB):
        if name in city.columns:
            problem = forecast_problem(city[name])
            if problem:
                problems[name] = problem
            else:
                analysis.forecasts[name] = forecast_series(
                    city[name], horizon=horizon, history_months=trend_months, level=level
                )
    if problems:
        first = next(iter(problems.values()))
        if analysis.forecasts:
            reasons["forecast"] = f"No forecast for {', '.join(problems)}. {first}"
        else:
            reasons["forecast"] = f"No forecast was made. {first}"
    elif not analysis.forecasts:
        reasons["forecast"] = "No forecast was made: no ASB or crime series."
    return analysis


# ---------------------------------------------------------------------------- findings


def _trend_sentence(name: str, row: pd.Series, qualifier: str = "") -> str:
    change = row["annual_change_pct"]
    verb = "rose" if change > 0 else "fell"
    return (
        f"{name} {verb} by {abs(change):.0f}% a year (95% CI {row['lower_pct']:+.0f}% to "
        f"{row['upper_pct']:+.0f}%){qualifier} over {row['period']}; the "
        f"{'rise' if change > 0 else 'fall'} is statistically significant"
    )


def threat_findings(analysis: ThreatAnalysis, max_trends: int = 3) -> list[Finding]:
    """The chapter's key findings as sentences for the summary.

    In order: the screen's result; the most significant ward-level trends (up to
    ``max_trends``); all crime and ASB city-wide, then the categories with a significant
    city-wide trend over the recent window; the lockdown; the forecasts.

    Examples
    --------
    >>> idx = pd.date_range("2019-04-01", periods=72, freq="MS")
    >>> rng = np.random.default_rng(0)
    >>> inc = pd.DataFrame({"month": np.repeat(idx, 30), "category": "Drugs",
    ...                     "ward_name": np.tile(["A", "B", "C"], 720)})
    >>> findings = threat_findings(analyse_threat(inc))
    >>> findings[0].evidence
    '02_threat'
    """
    out: list[str] = []
    out.append(analysis.screen_text())
    recent = next(iter(analysis.windows))
    wt = analysis.ward_trends
    if wt is not None:
        part = wt.xs(recent, level="window")
        sig = _by_rise(part[part["direction"] != FLAT])
        for key, row in sig.head(max_trends).iterrows():
            out.append(
                _trend_sentence(f"{key[0]} in {key[1]}", row)
                + " after allowing for testing every category in every ward."
            )
    ct = analysis.city_trends
    if ct is not None:
        part = ct.xs(recent, level="window")
        for name in (ALL_CRIME, ASB):
            if name in part.index and np.isfinite(part.loc[name, "annual_change_pct"]):
                row = part.loc[name]
                label = "Recorded crime" if name == ALL_CRIME else "Anti-social behaviour"
                if row["direction"] == FLAT:
                    out.append(
                        f"{label} showed no statistically significant trend over "
                        f"{row['period']} ({row['annual_change_pct']:+.0f}% a year, 95% CI "
                        f"{row['lower_pct']:+.0f}% to {row['upper_pct']:+.0f}%)."
                    )
                else:
                    out.append(_trend_sentence(label, row) + " (city-wide).")
        cats = part.drop(index=[ALL_CRIME, ASB], errors="ignore")
        rising = cats[cats["direction"] == UP].sort_values("annual_change_pct", ascending=False)
        for name, row in rising.iterrows():
            out.append(_trend_sentence(name, row) + " (city-wide).")
        falling = cats[cats["direction"] == DOWN].sort_values("annual_change_pct")
        if len(falling):
            items = ", ".join(
                f"{name} ({row['annual_change_pct']:+.0f}% a year)"
                for name, row in falling.iterrows()
            )
            out.append(
                f"City-wide, {len(falling)} categories fell significantly over "
                f"{falling['period'].iloc[0]}: {items}."
            )
    out.extend(analysis.lockdown_sentences())
    if analysis.forecasts:
        totals = forecast_totals(analysis.forecasts, analysis.city)
        for name, row in totals.iterrows():
            label = "Recorded crime" if name == ALL_CRIME else "Anti-social behaviour"
            text = (
                f"{label} is forecast at about {_about(row['expected_total'])} in "
                f"{row['forecast_period']}"
            )
            if np.isfinite(row["change_pct"]):
                text += (
                    f", {abs(row['change_pct']):.0f}% "
                    f"{'more' if row['change_pct'] > 0 else 'fewer'} than the "
                    f"{row['last_total']:,.0f} recorded in {row['last_period']}"
                )
            out.append(text + " if the recent trend and season continue.")
    return [Finding(text, EVIDENCE) for text in out]
