"""The Covid-19 lockdowns: the first as an interrupted time series, and the restrictions period.

The period of the restrictions, March 2020 to June 2021 (:data:`RESTRICTIONS`, with the three
national lockdowns' dates in :data:`NATIONAL_LOCKDOWNS`), is defined once, in
:mod:`csplib.methods.covid`, so that the threat and priorities chapters apply the same rule to
a trend window that starts in or spans it (:func:`csplib.methods.covid.restriction_rule`: the
restriction months are left out of the trend where enough other months remain, and no trend
is stated where they do not); it is re-exported here.

:func:`lockdown_its` fits :class:`csplib.methods.models.InterruptedTimeSeries` at April 2020,
the first full month of lockdown, leaving out March 2020 as a transition month;
:func:`lockdown_problem` says why it cannot be fitted to a short series; :func:`its_table`
and :func:`its_title` state the estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.chapters.threat.text import _add_months
from csplib.methods.covid import NATIONAL_LOCKDOWNS, RESTRICTIONS, restrictions_text
from csplib.methods.models import InterruptedTimeSeries, ITSResults, as_monthly_counts

__all__ = [
    "LOCKDOWN_MONTH",
    "RESTRICTIONS",
    "NATIONAL_LOCKDOWNS",
    "restrictions_text",
    "lockdown_problem",
    "lockdown_its",
    "its_table",
    "its_title",
]

#: The month the first national lockdown began (23 March 2020), the first month of the
#: restrictions: a transition month, left out of the interrupted time series.
LOCKDOWN_MONTH = RESTRICTIONS[0]


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
    (:class:`csplib.methods.models.InterruptedTimeSeries`) estimates a level change and a slope
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
