"""Trends of the threat chapter: annual % change of each series over the trend windows.

:func:`trend_windows` names the windows (the last three years, and since the start of the
assessment's baseline year); :func:`trend_table` estimates the annual % change of every
series over each with :class:`csplib.methods.models.CountTrend` (Poisson / negative binomial
GLM with month-of-year effects), checks it with Mann-Kendall on deseasonalised counts, and
gives a direction arrow (↑ ↓, or ↔ when not significant).

A window that meets the Covid-19 restrictions (March 2020 to June 2021) follows the one rule
of :func:`csplib.methods.covid.restriction_rule`: their months are left out of the trend
(``covid_rule`` "left out": the annual change is the trend of the other months, net of the
lockdowns) when at least ``min_months`` other months have data, and otherwise no trend is
stated (``covid_rule`` "not estimated": the window starts or ends during the lockdowns, when
crime was unusually low); the note says which. :func:`covid_sentences` says it on the page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from csplib.chapters.threat.text import _add_months, _count_text, _month, month_span
from csplib.methods.covid import restriction_trend, restrictions_text

__all__ = [
    "UP",
    "DOWN",
    "FLAT",
    "MIN_MONTHS",
    "trend_windows",
    "trend_table",
    "window_period",
    "covid_sentences",
]

#: Direction arrows: significant rise, significant fall, no significant trend.
UP, DOWN, FLAT = "↑", "↓", "↔"
#: Fewest months with data for a trend, forecast or seasonal profile to be shown at all.
MIN_MONTHS = 12


def window_period(start, end, with_data: int) -> str:
    """A window's months in words, saying how many had data when not all did.

    Examples
    --------
    >>> window_period("2022-04", "2025-03", 36)
    'Apr 2022 to Mar 2025'
    >>> window_period("2022-04", "2025-03", 27)
    'Apr 2022 to Mar 2025 (27 months with data)'
    """
    start, end = _month(start), _month(end)
    span = month_span(start, end)
    total = (end.year - start.year) * 12 + end.month - start.month + 1
    if with_data >= total:
        return span
    return f"{span} ({_count_text(with_data, 'month')} with data)"


def _arrow(change: float, significant: bool) -> str:
    if not significant or not np.isfinite(change):
        return FLAT
    return UP if change > 0 else DOWN


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
        Label -> (first month, last month). A window the data do not reach back to starts
        at ``first`` and is named by it (``"since Oct 2021"``), never by the months it
        would have had.

    Examples
    --------
    >>> from csplib.params import Window
    >>> w = trend_windows("2025-03", baseline=Window.parse("2018/19"))
    >>> {k: month_span(*v) for k, v in w.items()}
    {'last 3 years': 'Apr 2022 to Mar 2025', 'since 2018/19': 'Apr 2018 to Mar 2025'}
    >>> {k: month_span(*v) for k, v in trend_windows("2025-03", first="2020-01",
    ...                                             baseline=Window.parse("2018/19")).items()}
    {'last 3 years': 'Apr 2022 to Mar 2025', 'since Jan 2020': 'Jan 2020 to Mar 2025'}
    >>> list(trend_windows("2025-03", first="2023-10"))
    ['since Oct 2023']
    """
    end = _month(end)
    first = _month(first) if first is not None else None
    start = _add_months(end, -(recent_months - 1))
    years = recent_months / 12
    label = f"last {years:g} years" if recent_months % 12 == 0 else f"last {recent_months} months"
    if first is not None and first > start:  # the data start later: named by their start
        start, label = first, f"since {first:%b %Y}"
    windows = {label: (start, end)}
    if baseline is not None:
        since, name = _month(baseline.start), baseline.label
        if first is not None and first > since:
            since, name = first, f"{first:%b %Y}"
        if since < start:
            windows[f"since {name}"] = (since, end)
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

    For each series and window: :class:`csplib.methods.models.CountTrend` (Poisson or negative
    binomial GLM with month-of-year effects; annual change with a Wald interval and
    p-value) and, as a check, :class:`csplib.methods.models.MannKendallTrend` on deseasonalised
    counts. p-values are adjusted with Benjamini-Hochberg across the series of each window
    (``q_value``). The direction is ↑ or ↓ when the chosen ``significance`` column is below
    ``alpha``, ↔ otherwise. Series with fewer than ``min_months`` months with data in a
    window get no estimate (the note says why). A window that meets the Covid-19
    restrictions follows :func:`csplib.methods.covid.restriction_rule` (``covid_rule``): their
    months are left out of the trend and of the Mann-Kendall check when at least
    ``min_months`` other months have data; otherwise there is no estimate.

    Parameters
    ----------
    wide : DataFrame
        Months x series (:func:`monthly_series`).
    windows : dict
        Label -> (first month, last month) (:func:`trend_windows`).
    level : float
        Confidence level (0.95).
    significance : {"p_value", "q_value"}
        Which p-value sets the arrow: raw (few series, e.g. the whole area's categories) or
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
        Index: the series keys plus ``window``; columns ``period`` (the window's months,
        with how many had data when not all did: :func:`window_period`), ``months_used``
        (months with data in the fit), ``covid_months`` (months of the Covid-19 restrictions
        with data in the window), ``covid_rule`` (``"none"``, ``"left out"`` or ``"not
        estimated"``), ``annual_change_pct``, ``lower_pct``, ``upper_pct``, ``p_value``,
        ``q_value``, ``direction``, ``family``, (Mann-Kendall columns), ``method``, ``note``.

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
                "period": window_period(start, end, n),
                "months_used": n,
                "covid_months": 0,
                "covid_rule": "none",
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
                fit, _ = restriction_trend(
                    y, level=level, min_months=min_months, mann_kendall=mann_kendall
                )
                row.update(fit)
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


def _by_rise(trends: pd.DataFrame) -> pd.DataFrame:
    """Rising series first (largest rise first), then falling ones (largest fall first)."""
    change = trends["annual_change_pct"]
    order = np.lexsort((-change.abs().to_numpy(), (change <= 0).to_numpy()))
    return trends.iloc[order]


def covid_sentences(trends: pd.DataFrame) -> list[str]:
    """What the Covid-19 rule did to the trends of a :func:`trend_table`, one sentence per
    window that meets the restrictions (none when no window does).

    Examples
    --------
    >>> idx = pd.date_range("2020-05-01", "2023-03-01", freq="MS", name="month")
    >>> mu = np.where(idx <= "2021-06-01", 20, 40)  # flat but for the lockdown low
    >>> wide = pd.DataFrame({"Violence": np.random.default_rng(0).poisson(mu)}, index=idx)
    >>> t = trend_table(wide, {"since May 2020": (idx[0], idx[-1])}, mann_kendall=False)
    >>> t[["months_used", "covid_months", "covid_rule"]].values.tolist()
    [[21, 14, 'left out']]
    >>> print(covid_sentences(t)[0])  # doctest: +NORMALIZE_WHITESPACE
    The trend window 'since May 2020' takes in 14 months of the Covid-19 restrictions (March
    2020 to June 2021): they are left out of its trends, so each annual change is the trend
    of the other months, net of the lockdowns.
    """
    out: list[str] = []
    if trends is None or not len(trends) or "covid_rule" not in trends.columns:
        return out
    for label in dict.fromkeys(trends.index.get_level_values("window")):
        part = trends.xs(label, level="window")
        touched = part[part["covid_rule"] != "none"]
        if touched.empty:
            continue
        n = int(touched["covid_months"].max())
        text = (
            f"The trend window '{label}' takes in {_count_text(n, 'month')} of the Covid-19 "
            f"restrictions ({restrictions_text()})"
        )
        dropped = touched[touched["covid_rule"] == "not estimated"]
        if dropped.empty:
            out.append(
                f"{text}: they are left out of its trends, so each annual change is the trend "
                "of the other months, net of the lockdowns."
            )
            continue
        what = (
            "no trend is stated for any series in it"
            if len(dropped) == len(part)
            else f"no trend is stated for {len(dropped)} of its {len(part)} series (the "
            "others leave the restriction months out)"
        )
        out.append(
            f"{text}, and too few of its months with data fall outside them: {what}. A trend "
            "that starts (or ends) during the lockdowns, when crime was unusually low and "
            "anti-social behaviour unusually high, measures the lockdowns, not the underlying "
            "trend."
        )
    return out
